//! The controller itself: commands are child processes in their own process group, so a
//! timeout or Ctrl-C kills everything the command started, not just the shell.

use super::{ExecError, ExecFuture, ExecOutput, ExecRequest, OutputBudget, Program, Transport};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Default, Clone)]
pub struct LocalTransport;

fn build(req: &ExecRequest) -> Command {
    let mut argv: Vec<String> = Vec::new();
    if req.sudo {
        argv.extend(["sudo", "-n", "--"].map(String::from));
    }
    match &req.program {
        Program::Shell(s) => argv.extend([req.shell.clone(), "-c".into(), s.clone()]),
        Program::Argv(a) => argv.extend(a.iter().cloned()),
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .stdin(if req.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(cwd) = &req.cwd {
        cmd.current_dir(cwd);
    }
    cmd
}

fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid {
        // The child leads its own process group (process_group(0)), so -pid reaches all of it.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGKILL);
        }
    }
}

impl Transport for LocalTransport {
    fn exec<'a>(&'a self, req: &'a ExecRequest, cancel: &'a CancellationToken) -> ExecFuture<'a> {
        Box::pin(async move {
            let mut child = build(req).spawn().map_err(|e| {
                let what = match &req.program {
                    Program::Argv(a) => a.first().cloned().unwrap_or_default(),
                    Program::Shell(_) => req.shell.clone(),
                };
                ExecError::Spawn(format!("cannot start `{what}`: {e}"))
            })?;
            let pid = child.id();
            let stdin = child.stdin.take();
            let input = req.stdin.clone();
            let feed = async move {
                if let (Some(mut w), Some(data)) = (stdin, input) {
                    // A command that exits without reading its stdin is not an error.
                    let _ = w.write_all(&data).await;
                }
            };
            let mut out = child.stdout.take().expect("stdout is piped");
            let mut err = child.stderr.take().expect("stderr is piped");
            let budget = OutputBudget::new(req.max_output);
            let collect = async {
                let mut o = Vec::new();
                let mut e = Vec::new();
                // try_join: a stream over the limit ends the wait at once (the other
                // would wait for an end that never comes while the command is blocked).
                tokio::try_join!(
                    async {
                        feed.await;
                        Ok(())
                    },
                    budget.read_to_end(&mut out, &mut o),
                    budget.read_to_end(&mut err, &mut e)
                )?;
                Ok((o, e))
            };
            let run = async {
                let (o, e) = collect.await.map_err(|e| {
                    if OutputBudget::is_over(&e) {
                        kill_group(pid);
                        ExecError::TooMuchOutput(req.max_output.unwrap_or_default())
                    } else {
                        ExecError::Spawn(e.to_string())
                    }
                })?;
                let status = child
                    .wait()
                    .await
                    .map_err(|e| ExecError::Spawn(e.to_string()))?;
                use std::os::unix::process::ExitStatusExt;
                let rc = match (status.code(), status.signal()) {
                    (Some(c), _) => c as i64,
                    (None, Some(s)) => 128 + s as i64,
                    _ => -1,
                };
                Ok(ExecOutput {
                    stdout: o,
                    stderr: e,
                    rc,
                })
            };
            let timeout = async {
                match req.timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = run => r,
                _ = timeout => {
                    kill_group(pid);
                    Err(ExecError::Timeout(req.timeout.unwrap_or_default()))
                }
                _ = cancel.cancelled() => {
                    kill_group(pid);
                    Err(ExecError::Cancelled)
                }
            }
        })
    }
}
