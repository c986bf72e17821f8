//! SSH through the openssh crate: one ControlMaster per host, opened on first use and
//! reused for every command (each command is one multiplexed channel, no process spawned),
//! closed when the run ends.
//!
//! Every remote command is wrapped as `echo rb-pid:$$ >&2; [cd DIR &&] exec ...`: sshd makes
//! each session its own process group, so the reported pid lets rb kill the whole remote
//! command (timeouts, Ctrl-C) through a second channel.

use super::quote::shell_quote;
use super::{ExecError, ExecFuture, ExecOutput, ExecRequest, OutputBudget, Program, Transport};
use openssh::{ControlPersist, KnownHosts, Session, SessionBuilder, Stdio};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// How to reach SSH hosts (shared by every host of a run).
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// `-F FILE`; without it ssh reads the user's ~/.ssh/config as usual.
    pub config: Option<PathBuf>,
    /// `-u/--user`: the login user for hosts whose inventory names none.
    pub user: Option<String>,
    pub connect_timeout: Duration,
    /// Where the ControlMaster sockets live (short: Unix socket paths are limited).
    pub control_dir: PathBuf,
    /// Keep masters open this long after the run and reuse them in later runs (Ansible's
    /// ControlPersist; the `rb` command's default is 60 s). `None` (this type's default, so
    /// a tool embedding rb leaves nothing running unasked): each run opens its own masters
    /// and closes them at exit.
    pub persist: Option<Duration>,
    /// `-vvv`: ssh's own debug output (`ssh -vvv`) while a connection is made, on stderr.
    pub debug: bool,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            config: None,
            user: None,
            connect_timeout: Duration::from_secs(10),
            control_dir: std::env::temp_dir(),
            persist: None,
            debug: false,
        }
    }
}

pub struct SshTransport {
    /// What ssh connects to: `ansible_host`/`rb_host` if set, else the inventory name (so
    /// ssh config `Host` aliases apply).
    dest: String,
    user: Option<String>,
    port: Option<u16>,
    opts: Arc<SshOptions>,
    session: Mutex<Option<Result<Arc<Session>, String>>>,
    /// The session is the user's own ControlMaster: use it, never close it.
    borrowed: std::sync::atomic::AtomicBool,
}

const PID_MARK: &[u8] = b"rb-pid:";

impl SshTransport {
    pub fn new(
        dest: String,
        user: Option<String>,
        port: Option<u16>,
        opts: Arc<SshOptions>,
    ) -> Self {
        SshTransport {
            dest,
            user: user.or_else(|| opts.user.clone()),
            port,
            opts,
            session: Mutex::new(None),
            borrowed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// ssh's own settings for this destination (`ssh -G`), as the user's config resolves them.
    fn ssh_args(&self, cmd: &mut tokio::process::Command) {
        if let Some(cfg) = &self.opts.config {
            cmd.arg("-F").arg(cfg);
        }
        if let Some(u) = &self.user {
            cmd.arg("-l").arg(u);
        }
        if let Some(p) = self.port {
            cmd.arg("-p").arg(p.to_string());
        }
    }

    /// A ControlMaster the user already has open for this host (`ControlPath` in their ssh
    /// config and a live socket): rb rides on it instead of opening its own.
    async fn user_master(&self) -> Option<Session> {
        let mut cmd = tokio::process::Command::new("ssh");
        cmd.arg("-G");
        self.ssh_args(&mut cmd);
        cmd.arg("--")
            .arg(&self.dest)
            .stdin(std::process::Stdio::null());
        let out = cmd.output().await.ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("controlpath "))?
            .trim();
        if path == "none" {
            return None;
        }
        let path = match path.strip_prefix("~/") {
            Some(rest) => PathBuf::from(std::env::var_os("HOME")?).join(rest),
            None => PathBuf::from(path),
        };
        if !path.exists() {
            return None;
        }
        let s = Session::resume_mux(path.into_boxed_path(), None);
        s.check().await.ok()?;
        Some(s)
    }

    /// The master connection, opened on first use. A failed connection is remembered: the
    /// host stays unreachable for the rest of the run.
    async fn session(&self) -> Result<Arc<Session>, ExecError> {
        let mut slot = self.session.lock().await;
        if let Some(s) = slot.as_ref() {
            return s.clone().map_err(ExecError::Unreachable);
        }
        // Asking ssh costs a process per host, so only when a config could name a master.
        let borrowed = if super::ssh_config::may_set_control_path(self.opts.config.as_deref()) {
            self.user_master().await
        } else {
            None
        };
        if let Some(s) = borrowed {
            self.borrowed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let s = Arc::new(s);
            *slot = Some(Ok(s.clone()));
            return Ok(s);
        }
        // ssh's debug output needs rb's own ssh command line (openssh's builder has no -v):
        // with -vvv the master is that one, kept a second when no persistence was asked.
        let persist = match self.opts.persist {
            None if self.opts.debug => Some(Duration::from_secs(1)),
            p => p,
        };
        if let Some(persist) = persist {
            let result = self.persistent_session(persist).await.map(Arc::new);
            *slot = Some(result.clone());
            return result.map_err(ExecError::Unreachable);
        }
        let mut b = SessionBuilder::default();
        b.known_hosts_check(KnownHosts::Strict)
            .connect_timeout(self.opts.connect_timeout)
            .control_directory(&self.opts.control_dir)
            // If rb dies without closing, masters do not linger.
            .control_persist(ControlPersist::IdleFor(
                NonZeroUsize::new(60).expect("non-zero"),
            ))
            .server_alive_interval(Duration::from_secs(5));
        if let Some(cfg) = &self.opts.config {
            b.config_file(cfg);
        }
        if let Some(u) = &self.user {
            b.user(u.clone());
        }
        if let Some(p) = self.port {
            b.port(p);
        }
        let result = b
            .connect_mux(&self.dest)
            .await
            .map(Arc::new)
            .map_err(|e| describe(&e));
        *slot = Some(result.clone());
        result.map_err(ExecError::Unreachable)
    }

    /// A master that outlives the run, at a path derived from the destination, so the next
    /// run finds it warm.
    async fn persistent_session(&self, persist: Duration) -> Result<Session, String> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.dest, &self.user, &self.port, &self.opts.config).hash(&mut h);
        let dir = private_dir(&self.opts.control_dir)?;
        let sock = dir.join(format!("{:016x}", h.finish()));
        if sock.exists() {
            let s = Session::resume_mux(sock.clone().into_boxed_path(), None);
            if s.check().await.is_ok() {
                return Ok(s);
            }
            let _ = std::fs::remove_file(&sock);
        }
        let log = dir.join(format!("{:016x}.log", h.finish()));
        let mut cmd = tokio::process::Command::new("ssh");
        cmd.arg("-E").arg(&log).arg("-S").arg(&sock);
        for o in [
            "ControlMaster=yes".to_string(),
            format!("ControlPersist={}", persist.as_secs().max(1)),
            "BatchMode=yes".into(),
            "StrictHostKeyChecking=yes".into(),
            format!(
                "ConnectTimeout={}",
                self.opts.connect_timeout.as_secs().max(1)
            ),
            "ServerAliveInterval=5".into(),
        ] {
            cmd.arg("-o").arg(o);
        }
        self.ssh_args(&mut cmd);
        if self.opts.debug {
            let _ = std::fs::remove_file(&log);
            cmd.arg("-vvv");
        }
        cmd.arg("-fN")
            .arg("--")
            .arg(&self.dest)
            .stdin(std::process::Stdio::null());
        let st = cmd
            .output()
            .await
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        if self.opts.debug {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            use std::io::Write as _;
            let mut err = std::io::stderr().lock();
            for l in text.lines() {
                let _ = writeln!(err, "{} ssh: {l}", self.dest);
            }
        }
        if !st.status.success() {
            let why = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            return Err(why
                .trim()
                .lines()
                .last()
                .unwrap_or("ssh failed")
                .to_string());
        }
        let s = Session::resume_mux(sock.into_boxed_path(), None);
        s.check().await.map_err(|e| describe(&e))?;
        Ok(s)
    }

    /// Forget a session whose master is gone, so the next command reports it cleanly.
    async fn mark_lost(&self, why: &str) {
        *self.session.lock().await = Some(Err(why.to_string()));
    }

    /// Stop the remote command's process group: SIGTERM, so its traps run (rb's file
    /// writes remove their temp file), then SIGKILL once it is gone or after half a second.
    async fn kill_remote(session: &Session, pid: u32) {
        let _ = session
            .raw_command(format!(
                "kill -TERM -- -{pid} 2>/dev/null || kill -TERM {pid} 2>/dev/null; \
                 for i in 1 2 3 4 5; do kill -0 -- -{pid} 2>/dev/null || exit 0; sleep 0.1; done; \
                 kill -KILL -- -{pid} 2>/dev/null || kill -KILL {pid}"
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
}

/// The folder of the masters kept between runs, `BASE/rb-UID`: created private, and refused
/// unless it is a real folder of this user that no one else can enter (whoever can reach a
/// master's socket runs commands on its host as the user).
fn private_dir(base: &std::path::Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let dir = base.join(format!("rb-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
    }
    let md = std::fs::symlink_metadata(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if !md.is_dir() || md.uid() != uid || md.mode() & 0o077 != 0 {
        return Err(format!(
            "{} is not private (it must be a folder of yours with mode 700, not a link): \
             its control sockets would let others use your connections; remove it, or pass \
             --ssh-persist 0",
            dir.display()
        ));
    }
    Ok(dir)
}

/// The text of an openssh error, with ssh's own reason when there is one.
fn describe(e: &openssh::Error) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !t.is_empty() && !msg.contains(&t) {
            msg = format!("{msg}: {}", t.trim());
        }
        src = s.source();
    }
    msg
}

/// The remote command line: report our pid, change directory, then exec the command.
pub fn remote_command(req: &ExecRequest) -> String {
    let mut s = String::from("echo rb-pid:$$ >&2; ");
    if let Some(cwd) = &req.cwd {
        s.push_str(&format!("cd {} && ", shell_quote(cwd)));
    }
    s.push_str("exec ");
    for w in req.become_words() {
        s.push_str(&shell_quote(&w));
        s.push(' ');
    }
    if !req.env.is_empty() {
        s.push_str("env ");
        for (k, v) in &req.env {
            s.push_str(&shell_quote(&format!("{k}={v}")));
            s.push(' ');
        }
    }
    match &req.program {
        Program::Shell(cmd) => {
            s.push_str(&shell_quote(&req.shell));
            s.push_str(" -c ");
            s.push_str(&shell_quote(cmd));
        }
        Program::Argv(argv) => {
            let q: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
            s.push_str(&q.join(" "));
        }
    }
    s
}

/// Split our pid line out of stderr; lines a login shell printed before it are kept.
fn take_pid(stderr: &mut Vec<u8>) -> Option<u32> {
    let start = stderr
        .windows(PID_MARK.len())
        .position(|w| w == PID_MARK)
        .filter(|&i| i == 0 || stderr[i - 1] == b'\n')?;
    let end = stderr[start..].iter().position(|&b| b == b'\n')? + start;
    let pid = std::str::from_utf8(&stderr[start + PID_MARK.len()..end])
        .ok()?
        .parse()
        .ok()?;
    stderr.drain(start..=end);
    Some(pid)
}

impl Transport for SshTransport {
    fn exec<'a>(&'a self, req: &'a ExecRequest, cancel: &'a CancellationToken) -> ExecFuture<'a> {
        Box::pin(async move {
            req.validate()?;
            let session = self.session().await?;
            let mut cmd = session.raw_command(remote_command(req));
            let input = req.stdin_bytes();
            cmd.stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            let mut child = match cmd.spawn().await {
                Ok(c) => c,
                Err(e) => {
                    let why = format!("connection lost: {}", describe(&e));
                    if session.check().await.is_err() {
                        self.mark_lost(&why).await;
                    }
                    return Err(ExecError::Unreachable(why));
                }
            };
            let stdin = child.stdin().take();
            let mut out = child.stdout().take().expect("stdout is piped");
            let mut err = child.stderr().take().expect("stderr is piped");
            let pid = std::sync::Mutex::new(None::<u32>);
            let budget = OutputBudget::of(req);

            let run = async {
                let feed = async move {
                    if let (Some(mut w), Some(data)) = (stdin, input) {
                        let _ = w.write_all(&data).await;
                        let _ = w.shutdown().await;
                    }
                };
                let read_out = async {
                    let mut o = Vec::new();
                    budget.read_to_end(&mut out, &mut o).await.map(|_| o)
                };
                let read_err = async {
                    // Read until the pid line is in, record it, then read the rest.
                    let mut e = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let n = err.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        e.extend_from_slice(&buf[..n]);
                        budget.charge(n)?;
                        let mut guard = pid.lock().expect("not poisoned");
                        if guard.is_none() {
                            if let Some(p) = take_pid(&mut e) {
                                *guard = Some(p);
                            }
                        }
                    }
                    Ok::<_, std::io::Error>(e)
                };
                // try_join: a stream over the limit ends the wait at once.
                let read = tokio::try_join!(
                    async {
                        feed.await;
                        Ok(())
                    },
                    read_out,
                    read_err
                );
                let read = match read {
                    Ok(((), o, e)) => Ok((o, e)),
                    // Not read any further, it would block writing: killed below.
                    Err(x) if OutputBudget::is_over(&x) => return Ok(None),
                    Err(x) => Err(x.to_string()),
                };
                let status = child.wait().await;
                Ok::<_, String>(Some((read, status)))
            };
            let timeout = async {
                match req.timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            let outcome = tokio::select! {
                r = run => r,
                _ = timeout => {
                    let p = *pid.lock().expect("not poisoned");
                    if let Some(p) = p { Self::kill_remote(&session, p).await; }
                    return Err(ExecError::Timeout(req.timeout.unwrap_or_default()));
                }
                _ = cancel.cancelled() => {
                    let p = *pid.lock().expect("not poisoned");
                    if let Some(p) = p { Self::kill_remote(&session, p).await; }
                    return Err(ExecError::Cancelled);
                }
            };
            let Some((read, status)) = outcome.map_err(ExecError::Spawn)? else {
                let p = *pid.lock().expect("not poisoned");
                if let Some(p) = p {
                    Self::kill_remote(&session, p).await;
                }
                return Err(budget.exceeded());
            };
            let (stdout, stderr) = match read {
                Ok(r) => r,
                Err(x) => {
                    let why = format!("connection lost: {x}");
                    if session.check().await.is_err() {
                        self.mark_lost(&why).await;
                        return Err(ExecError::Unreachable(why));
                    }
                    return Err(ExecError::Spawn(why));
                }
            };
            match status {
                Ok(st) => Ok(ExecOutput {
                    stdout,
                    stderr,
                    rc: st.code().map(i64::from).unwrap_or(-1),
                }),
                // openssh turns exit status 127 into this error (its guess: "remote command
                // not found"); it is an exit status like any other, and the command's own
                // stderr says why.
                Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok(ExecOutput {
                        stdout,
                        stderr,
                        rc: 127,
                    })
                }
                Err(e) => {
                    // The multiplex protocol cannot tell "killed by a signal" from "the
                    // connection dropped": ask the master.
                    if session.check().await.is_err() {
                        let why = format!("connection lost: {}", describe(&e));
                        self.mark_lost(&why).await;
                        return Err(ExecError::Unreachable(why));
                    }
                    let mut stderr = stderr;
                    stderr.extend_from_slice(
                        b"\n(rb: the remote process was terminated by a signal)\n",
                    );
                    Ok(ExecOutput {
                        stdout,
                        stderr,
                        rc: -1,
                    })
                }
            }
        })
    }

    fn close(&self) -> super::CloseFuture<'_> {
        Box::pin(async move {
            if self.opts.persist.is_some()
                || self.borrowed.load(std::sync::atomic::Ordering::SeqCst)
            {
                // Left running: for the next run (ssh's ControlPersist ends it when idle), or
                // because it is the user's own master.
                return;
            }
            let s = self.session.lock().await.take();
            if let Some(Ok(s)) = s {
                if let Ok(s) = Arc::try_unwrap(s) {
                    let _ = s.close().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_folder_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = private_dir(base.path()).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "created private");
        assert_eq!(private_dir(base.path()).unwrap(), dir, "and reused");
        // Opened up by someone: refused, not silently used.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = private_dir(base.path()).unwrap_err();
        assert!(
            e.contains("is not private") && e.contains("--ssh-persist 0"),
            "{e}"
        );
        // A link planted where the folder goes: refused.
        std::fs::remove_dir(&dir).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &dir).unwrap();
        assert!(private_dir(base.path()).unwrap_err().contains("not a link"));
    }

    #[test]
    fn remote_commands_are_quoted() {
        let mut r = ExecRequest::new(Program::Argv(vec![
            "ip".into(),
            "route".into(),
            "a b".into(),
        ]));
        r.cwd = Some("/tmp/x y".into());
        r.env = vec![("A".into(), "it's".into())];
        assert_eq!(
            remote_command(&r),
            r"echo rb-pid:$$ >&2; cd '/tmp/x y' && exec env 'A=it'\''s' ip route 'a b'"
        );
        let r = ExecRequest::new(Program::Shell("echo $HOME | wc -c".into()));
        assert_eq!(
            remote_command(&r),
            "echo rb-pid:$$ >&2; exec /bin/sh -c 'echo $HOME | wc -c'"
        );
    }

    #[test]
    fn pid_line_is_removed_from_stderr() {
        let mut e = b"motd\nrb-pid:4242\nreal error\n".to_vec();
        assert_eq!(take_pid(&mut e), Some(4242));
        assert_eq!(e, b"motd\nreal error\n");
        let mut e = b"rb-pid:7\n".to_vec();
        assert_eq!(take_pid(&mut e), Some(7));
        assert!(e.is_empty());
    }
}
