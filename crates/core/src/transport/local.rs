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
    let mut argv = req.become_words();
    // sudo resets the environment, so a command run through it gets its variables from
    // `env` after sudo (with none, `env` just runs it); otherwise they are set on the process.
    let env_words = req.become_.is_some();
    if env_words {
        argv.push("env".into());
        argv.extend(req.env.iter().map(|(k, v)| format!("{k}={v}")));
    }
    match &req.program {
        Program::Shell(s) => argv.extend([req.shell.clone(), "-c".into(), s.clone()]),
        Program::Argv(a) => argv.extend(a.iter().cloned()),
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .envs(req.env.iter().filter(|_| !env_words).map(|(k, v)| (k, v)))
        .stdin(if req.stdin_bytes().is_some() {
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
    signal_group(pid, libc::SIGKILL);
}

fn signal_group(pid: Option<u32>, sig: i32) {
    if let Some(pid) = pid {
        // The child leads its own process group (process_group(0)), so -pid reaches all of it.
        unsafe {
            libc::kill(-(pid as i32), sig);
        }
    }
}

/// How long rb still reads a command's output after it exited while something it left
/// running in the background keeps its stdout or stderr open.
pub(crate) const DRAIN: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a stopped command has between SIGTERM and SIGKILL to run its own clean-up
/// (rb's file writes remove their temp file in a trap).
pub(crate) const STOP_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Why a command could not start, naming the program that did not: with become that is
/// sudo (or the shell that asks sudo for the password), not the command.
fn spawn_error(req: &ExecRequest, e: &std::io::Error) -> ExecError {
    let what = match (req.become_words().first(), &req.program) {
        (Some(w), _) => w.clone(),
        (None, Program::Argv(a)) => a.first().cloned().unwrap_or_default(),
        (None, Program::Shell(_)) => req.shell.clone(),
    };
    let hint = if req.become_.is_some()
        && what == "sudo"
        && e.kind() == std::io::ErrorKind::NotFound
    {
        " (become runs commands through sudo, and this host has none: install sudo, or run without become)"
    } else {
        ""
    };
    ExecError::Spawn(format!("cannot start `{what}`: {e}{hint}"))
}

impl Transport for LocalTransport {
    fn exec<'a>(&'a self, req: &'a ExecRequest, cancel: &'a CancellationToken) -> ExecFuture<'a> {
        Box::pin(async move {
            req.validate()?;
            let mut child = build(req).spawn().map_err(|e| spawn_error(req, &e))?;
            let pid = child.id();
            let stdin = child.stdin.take();
            let input = req.stdin_bytes();
            let feed = async move {
                if let (Some(mut w), Some(data)) = (stdin, input) {
                    // A command that exits without reading its stdin is not an error.
                    let _ = w.write_all(&data).await;
                }
            };
            let mut out = child.stdout.take().expect("stdout is piped");
            let mut err = child.stderr.take().expect("stderr is piped");
            let budget = OutputBudget::of(req);
            let (mut o, mut e) = (Vec::new(), Vec::new());
            let run = async {
                let stream_error = |e: std::io::Error| {
                    if OutputBudget::is_over(&e) {
                        kill_group(pid);
                        budget.exceeded()
                    } else {
                        ExecError::Spawn(e.to_string())
                    }
                };
                let wait_error = |e: std::io::Error| ExecError::Spawn(e.to_string());
                let status = {
                    // try_join: a stream over the limit ends the wait at once (the other
                    // would wait for an end that never comes while the command is blocked).
                    let reading = async {
                        tokio::try_join!(
                            async {
                                feed.await;
                                Ok(())
                            },
                            budget.read_to_end(&mut out, &mut o),
                            budget.read_to_end(&mut err, &mut e)
                        )
                        .map(|_| ())
                    };
                    tokio::pin!(reading);
                    tokio::select! {
                        r = &mut reading => {
                            r.map_err(stream_error)?;
                            child.wait().await.map_err(wait_error)?
                        }
                        // The command ended but its streams are still open: a child it left
                        // in the background holds them. Take what arrives in a moment and
                        // stop waiting, as a terminal would give the prompt back.
                        s = child.wait() => {
                            let s = s.map_err(wait_error)?;
                            if let Ok(r) = tokio::time::timeout(DRAIN, &mut reading).await {
                                r.map_err(stream_error)?;
                            }
                            s
                        }
                    }
                };
                use std::os::unix::process::ExitStatusExt;
                let rc = match (status.code(), status.signal()) {
                    (Some(c), _) => c as i64,
                    (None, Some(s)) => 128 + s as i64,
                    _ => -1,
                };
                Ok(ExecOutput {
                    stdout: std::mem::take(&mut o),
                    stderr: std::mem::take(&mut e),
                    rc,
                })
            };
            let timeout = async {
                match req.timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            let stopped = tokio::select! {
                r = run => return r,
                _ = timeout => ExecError::Timeout(req.timeout.unwrap_or_default()),
                _ = cancel.cancelled() => ExecError::Cancelled,
            };
            // SIGTERM first, so traps run (a half-written temp file is removed), then
            // SIGKILL for whatever is left of the group.
            signal_group(pid, libc::SIGTERM);
            let _ = tokio::time::timeout(STOP_GRACE, child.wait()).await;
            kill_group(pid);
            Err(stopped)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A command that cannot start names the program that did not: sudo under become (with
    /// what to do when there is none), else the command or its shell.
    #[test]
    fn spawn_errors_name_the_program_that_did_not_start() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let mut req = ExecRequest::new(Program::Shell("true".into()));
        let shown = |req: &ExecRequest, e: &std::io::Error| match spawn_error(req, e) {
            ExecError::Spawn(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            shown(&req, &missing),
            format!("cannot start `{}`: {missing}", req.shell)
        );
        req.become_ = become_("root", None);
        assert_eq!(
            shown(&req, &missing),
            format!("cannot start `sudo`: {missing} (become runs commands through sudo, and this host has none: install sudo, or run without become)")
        );
        assert_eq!(
            shown(&req, &denied),
            format!("cannot start `sudo`: {denied}")
        );
        req.become_ = become_("root", Some("pw"));
        assert_eq!(
            shown(&req, &missing),
            format!("cannot start `/bin/sh`: {missing}")
        );
        let argv = ExecRequest::new(Program::Argv(vec!["sudo".into(), "-V".into()]));
        assert_eq!(
            shown(&argv, &missing),
            format!("cannot start `sudo`: {missing}")
        );
    }

    async fn run(cmd: &str, timeout: Option<Duration>) -> Result<ExecOutput, ExecError> {
        let mut req = ExecRequest::new(Program::Shell(cmd.into()));
        req.timeout = timeout;
        LocalTransport.exec(&req, &CancellationToken::new()).await
    }

    fn become_(user: &str, password: Option<&str>) -> Option<super::super::Become> {
        let secrets = crate::report::Secrets::default();
        Some(super::super::Become {
            user: user.into(),
            password: password.map(|p| secrets.add(p)),
        })
    }

    /// A command that leaves a child in the background holding its stdout returns when it
    /// ends (with what it printed), not when the child does; the child keeps running.
    #[tokio::test]
    async fn a_background_child_holding_stdout_does_not_hold_the_command() {
        let started = std::time::Instant::now();
        let out = run("echo before; sleep 5 & echo after >&2; exit 3", None)
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.as_slice(), out.rc),
            (&b"before\n"[..], &b"after\n"[..], 3)
        );
        // Output that arrives right after the exit is still read.
        let out = run("(sleep 0.05; echo late) & echo now", None)
            .await
            .unwrap();
        assert_eq!(out.stdout, b"now\nlate\n");
    }

    /// A stopped command gets SIGTERM first, so its traps run (rb's file writes remove their
    /// temp file there), and SIGKILL after the grace if it ignores that.
    #[tokio::test]
    async fn stopped_commands_run_their_traps_then_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("tmp");
        let script = format!(
            "trap 'rm -f {0}' EXIT; trap 'exit 130' TERM; touch {0}; sleep 30 & wait",
            t.display()
        );
        let started = std::time::Instant::now();
        let e = run(&script, Some(Duration::from_millis(300)))
            .await
            .unwrap_err();
        assert_eq!(e, ExecError::Timeout(Duration::from_millis(300)));
        assert!(!t.exists(), "the trap removed the temp file");
        assert!(started.elapsed() < Duration::from_secs(2));
        // Ignoring SIGTERM buys the grace, no more: then the whole group is killed.
        let pidfile = dir.path().join("pid");
        let started = std::time::Instant::now();
        let e = run(
            &format!(
                "trap '' TERM; sleep 30 & echo $! > {}; wait",
                pidfile.display()
            ),
            Some(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
        assert_eq!(e, ExecError::Timeout(Duration::from_millis(100)));
        let took = started.elapsed();
        assert!(
            took >= STOP_GRACE && took < Duration::from_secs(3),
            "{took:?}"
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Gone, or dead and waiting to be reaped (a zombie: state Z) by whoever adopted it.
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |st| {
                st.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
        });
        assert!(gone, "the sleep that ignored SIGTERM was killed");
        // Cancelled the same way.
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            c.cancel();
        });
        let req = ExecRequest::new(Program::Shell(script));
        assert_eq!(
            LocalTransport.exec(&req, &cancel).await.unwrap_err(),
            ExecError::Cancelled
        );
        assert!(!t.exists());
    }

    /// become through sudo (the tests run as root, as CI does): the command runs as the
    /// user, with its environment (set after sudo, which resets it) and its stdin.
    #[tokio::test]
    async fn become_runs_as_the_user_with_env_and_stdin() {
        let mut req = ExecRequest::new(Program::Shell("id -un; echo $RB_X; cat".into()));
        req.env = vec![("RB_X".into(), "kept".into())];
        req.stdin = Some(b"in\n".to_vec());
        // As the test's own user first: the variables are set on the process.
        let out = LocalTransport
            .exec(&req, &CancellationToken::new())
            .await
            .unwrap();
        let me = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(me.ends_with("\nkept\nin\n"), "{me}");
        let as_nobody = |out: ExecOutput| {
            assert_eq!(
                (String::from_utf8_lossy(&out.stdout).as_ref(), out.rc),
                ("nobody\nkept\nin\n", 0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        req.become_ = become_("nobody", None);
        as_nobody(
            LocalTransport
                .exec(&req, &CancellationToken::new())
                .await
                .unwrap(),
        );
        // With a password, sudo reads it and the command reads only its own stdin (root
        // needs no password, so sudo -v takes the line and checks nothing).
        req.become_ = become_("nobody", Some("the-password"));
        as_nobody(
            LocalTransport
                .exec(&req, &CancellationToken::new())
                .await
                .unwrap(),
        );
        // Without stdin of its own, the command reads nothing after the password.
        req.stdin = None;
        let out = LocalTransport
            .exec(&req, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "nobody\nkept\n");
    }

    /// Exit codes as shells report them: the code, or 128 + the signal that killed it.
    #[tokio::test]
    async fn exit_codes_and_signals() {
        assert_eq!(run("exit 3", None).await.unwrap().rc, 3);
        assert_eq!(run("kill -9 $$", None).await.unwrap().rc, 137);
        let out = run("printf out; printf err >&2", None).await.unwrap();
        assert_eq!(
            (out.stdout, out.stderr, out.rc),
            (b"out".to_vec(), b"err".to_vec(), 0)
        );
    }

    /// A timeout kills the whole process group: a background child the shell started dies
    /// with it.
    #[tokio::test]
    async fn a_timeout_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let cmd = format!("sleep 100 & echo $! > {}; wait", pidfile.display());
        let e = run(&cmd, Some(Duration::from_millis(300)))
            .await
            .unwrap_err();
        assert_eq!(e, ExecError::Timeout(Duration::from_millis(300)));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut gone = false;
        for _ in 0..50 {
            // Gone, or a zombie waiting for init to reap it: dead either way.
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.is_empty() || stat.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')) {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "the background sleep {pid} outlived the timeout");
    }
}
