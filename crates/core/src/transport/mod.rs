//! Transports: how a command reaches a host. One trait, one implementation per connector
//! (local processes, SSH through a multiplexed master), so callers never care which one they talk to.

mod local;
pub mod quote;
mod ssh;
mod ssh_config;

pub use local::LocalTransport;
pub use ssh::{SshOptions, SshTransport};

use crate::report::{Secret, REDACTED};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What to run: a string for the shell, or an argument vector run without any shell.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    Shell(String),
    Argv(Vec<String>),
}

impl Program {
    /// How the command reads in messages: the shell string, or the argv quoted for a shell.
    pub fn display(&self) -> String {
        match self {
            Program::Shell(s) => s.clone(),
            Program::Argv(args) => args
                .iter()
                .map(|a| quote::shell_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A command with everything a transport needs to run it.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    pub program: Program,
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
    pub stdin: Option<Vec<u8>>,
    pub timeout: Option<Duration>,
    /// Run as another user through sudo (`become`).
    pub become_: Option<Become>,
    /// The shell that runs string commands (default `/bin/sh`).
    pub shell: String,
    /// Stop and kill the command once stdout and stderr together pass this many bytes
    /// (`None`: no limit; rb's own file reads set none).
    pub max_output: Option<usize>,
    /// The run's pool of output held at once, shared by its commands.
    pub output_pool: Option<std::sync::Arc<OutputPool>>,
}

impl ExecRequest {
    pub fn new(program: Program) -> Self {
        ExecRequest {
            program,
            env: Vec::new(),
            cwd: None,
            stdin: None,
            timeout: None,
            become_: None,
            shell: "/bin/sh".into(),
            max_output: None,
            output_pool: None,
        }
    }
}

/// Run a command as another user through sudo, as Ansible's `become` does.
#[derive(Clone)]
pub struct Become {
    /// The user to become (`root` unless `become_user` says otherwise).
    pub user: String,
    /// The login user's sudo password, when sudo asks for one (`-K`,
    /// `ansible_become_password`). Sent on stdin, never on a command line.
    pub password: Option<Secret>,
}

impl std::fmt::Debug for Become {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Become")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// Checks the password once with `sudo -v` (the password reaches sudo through a pipe from
/// the shell's own memory: `printf` is a builtin, so it is on no command line), then runs
/// the command with `sudo -n`, which uses the credentials just cached. Reading the password
/// line here, not in the command, means a sudo that asks for no password (NOPASSWD) never
/// passes it on to the command's stdin. Arguments: the user, then the command's argv.
const BECOME_WITH_PASSWORD: &str = r#"IFS= read -r p || { echo "rb: no become password arrived" >&2; exit 1; }
command -v sudo >/dev/null 2>&1 || { p=; echo "become runs commands through sudo, and $(hostname) has none: install sudo, or run without become" >&2; exit 127; }
if ! printf '%s\n' "$p" | sudo -S -p '' -v 2>/dev/null; then
  p=; echo "sudo did not accept the become password of $(id -un) on $(hostname) (wrong password, or $(id -un) may not use sudo)" >&2; exit 1
fi
p=; u=$1; shift
sudo -n -u "$u" -- "$@""#;

/// Whether `name` can name an environment variable: a letter or `_`, then letters, digits
/// and `_` (POSIX's portable names). Anything else could reach `env` as an option (`-S…`)
/// or set a different variable (`A=B`), so requests carrying one are refused.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl ExecRequest {
    /// Refuse a request whose environment names a variable badly (see [`is_env_name`]),
    /// before any transport builds words from it.
    pub fn validate(&self) -> Result<(), ExecError> {
        // A variable whose Jinja could not be rendered never reaches a host.
        let words: Vec<&str> = match &self.program {
            Program::Shell(s) => vec![s.as_str()],
            Program::Argv(a) => a.iter().map(String::as_str).collect(),
        };
        let texts = words
            .into_iter()
            .chain(self.env.iter().map(|(_, v)| v.as_str()))
            .chain(self.cwd.as_deref());
        if let Some(why) = texts.filter_map(crate::report::unrendered_reason).next() {
            return Err(ExecError::Spawn(why));
        }
        match self.env.iter().find(|(k, _)| !is_env_name(k)) {
            Some((k, _)) => Err(ExecError::Spawn(format!(
                "environment variable name {k:?} is not valid: use letters, digits and _, not starting with a digit"
            ))),
            None => Ok(()),
        }
    }

    /// The words in front of the program (and of its `env` assignments) that make it run
    /// as `become_` says; empty when it runs as the login user.
    pub fn become_words(&self) -> Vec<String> {
        match &self.become_ {
            None => Vec::new(),
            Some(b) if b.password.is_none() => ["sudo", "-n", "-u", &b.user, "--"]
                .map(String::from)
                .to_vec(),
            Some(b) => ["/bin/sh", "-c", BECOME_WITH_PASSWORD, "rb-become", &b.user]
                .map(String::from)
                .to_vec(),
        }
    }

    /// What the command reads on stdin: the become password's line first when there is one.
    pub fn stdin_bytes(&self) -> Option<Vec<u8>> {
        match self.become_.as_ref().and_then(|b| b.password.as_ref()) {
            None => self.stdin.clone(),
            Some(pw) => {
                let mut v = Vec::with_capacity(pw.reveal().len() + 1);
                v.extend_from_slice(pw.reveal().as_bytes());
                v.push(b'\n');
                v.extend_from_slice(self.stdin.as_deref().unwrap_or_default());
                Some(v)
            }
        }
    }
}

/// What came back.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit status; a process killed by signal N reports 128 + N, as shells do.
    pub rc: i64,
}

/// Why a command produced no result.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecError {
    /// It ran past its timeout; its whole process group was killed.
    Timeout(Duration),
    /// The run was interrupted (Ctrl-C); the command was killed.
    Cancelled,
    /// The host could not be reached; the text is the transport's own reason.
    Unreachable(String),
    /// The command could not be started (missing program, bad cwd, ...).
    Spawn(String),
    /// Its output passed `max_output` bytes; it was killed.
    TooMuchOutput(usize),
    /// The commands running at once held more output than their shared pool (its limit);
    /// this one was killed.
    TooMuchRunOutput(usize),
}

impl std::fmt::Display for ExecError {
    /// What happened to the command, without naming it or its host (the caller's message
    /// does: rb-lang's `CommandFailure`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Timeout(t) => write!(f, "timed out after {}s and was killed", t.as_secs_f64()),
            ExecError::Cancelled => f.write_str("interrupted: the command was killed"),
            ExecError::Unreachable(why) => write!(f, "unreachable: {why}"),
            ExecError::Spawn(why) => write!(f, "could not start: {why}"),
            ExecError::TooMuchOutput(limit) => {
                write!(f, "printed more than {} and was killed", human_bytes(*limit))
            }
            ExecError::TooMuchRunOutput(limit) => write!(
                f,
                "the run's running commands held more than {} of output together; this one was killed",
                human_bytes(*limit)
            ),
        }
    }
}

impl std::error::Error for ExecError {}

/// `268435456` → `256 MiB`: limits read as people set them.
pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut unit = 0;
    let mut v = n;
    while unit < 3 && v >= 1024 && v.is_multiple_of(1024) {
        v /= 1024;
        unit += 1;
    }
    format!("{v} {}", UNITS[unit])
}

/// The output all the commands of a run hold while they run, against one limit
/// (`--max-output-total`): `--max-output` bounds one command, but a dozen hosts each
/// printing just under it would still take gigabytes together. A finished command gives
/// its share back.
#[derive(Debug)]
pub struct OutputPool {
    used: std::sync::atomic::AtomicUsize,
    limit: usize,
}

impl OutputPool {
    pub fn new(limit: usize) -> std::sync::Arc<OutputPool> {
        std::sync::Arc::new(OutputPool {
            used: 0.into(),
            limit,
        })
    }

    /// Bytes held now by running commands.
    pub fn used(&self) -> usize {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Output read so far by all the streams of one command, against its `max_output` and
/// the run's pool.
pub(crate) struct OutputBudget {
    used: std::sync::atomic::AtomicUsize,
    limit: Option<usize>,
    pool: Option<std::sync::Arc<OutputPool>>,
    pool_full: std::sync::atomic::AtomicBool,
}

/// A stream stopped because the command's output passed its limit.
pub(crate) const OVER_LIMIT: &str = "rb: output limit reached";

impl OutputBudget {
    #[cfg(test)]
    pub(crate) fn new(limit: Option<usize>) -> Self {
        OutputBudget {
            used: 0.into(),
            limit,
            pool: None,
            pool_full: false.into(),
        }
    }

    /// The budget of `req`: its own limit, and the run's pool when it has one.
    pub(crate) fn of(req: &ExecRequest) -> Self {
        OutputBudget {
            used: 0.into(),
            limit: req.max_output,
            pool: req.output_pool.clone(),
            pool_full: false.into(),
        }
    }

    /// Which limit stopped the command.
    pub(crate) fn exceeded(&self) -> ExecError {
        match &self.pool {
            Some(p) if self.pool_full.load(std::sync::atomic::Ordering::Relaxed) => {
                ExecError::TooMuchRunOutput(p.limit)
            }
            _ => ExecError::TooMuchOutput(self.limit.unwrap_or_default()),
        }
    }

    /// Read `r` to its end into `buf`; an `OVER_LIMIT` error once the budget is spent, so a
    /// command printing without end cannot exhaust memory.
    pub(crate) async fn read_to_end<R>(&self, r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<()>
    where
        R: tokio::io::AsyncRead + Unpin,
    {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = r.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            self.charge(n)?;
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Count `n` more bytes read; an `OVER_LIMIT` error once past the limit.
    pub(crate) fn charge(&self, n: usize) -> std::io::Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let used = self.used.fetch_add(n, Relaxed) + n;
        if let Some(p) = &self.pool {
            if p.used.fetch_add(n, Relaxed) + n > p.limit {
                self.pool_full.store(true, Relaxed);
                return Err(std::io::Error::other(OVER_LIMIT));
            }
        }
        match self.limit {
            Some(l) if used > l => Err(std::io::Error::other(OVER_LIMIT)),
            _ => Ok(()),
        }
    }

    /// Whether this read error is the budget's, not the stream's.
    pub(crate) fn is_over(e: &std::io::Error) -> bool {
        e.get_ref().is_some_and(|x| x.to_string() == OVER_LIMIT)
    }
}

impl Drop for OutputBudget {
    /// A finished command gives its share of the pool back.
    fn drop(&mut self) {
        if let Some(p) = &self.pool {
            let n = self.used.load(std::sync::atomic::Ordering::Relaxed);
            p.used.fetch_sub(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

pub type CloseFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub type ExecFuture<'a> = Pin<Box<dyn Future<Output = Result<ExecOutput, ExecError>> + Send + 'a>>;

/// A way to run commands on one host.
pub trait Transport: Send + Sync {
    /// Run one command, honouring its timeout and the cancellation token.
    fn exec<'a>(&'a self, req: &'a ExecRequest, cancel: &'a CancellationToken) -> ExecFuture<'a>;

    /// Release connections at the end of a run.
    fn close(&self) -> CloseFuture<'_> {
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each failure says what happened in words, limits as people set them.
    #[test]
    fn exec_errors_read_as_sentences() {
        let cases = [
            (ExecError::Timeout(Duration::from_millis(1500)), "timed out after 1.5s and was killed"),
            (ExecError::Cancelled, "interrupted: the command was killed"),
            (ExecError::Unreachable("Connection refused".into()), "unreachable: Connection refused"),
            (ExecError::Spawn("No such file".into()), "could not start: No such file"),
            (ExecError::TooMuchOutput(256 << 20), "printed more than 256 MiB and was killed"),
            (
                ExecError::TooMuchRunOutput(1 << 30),
                "the run's running commands held more than 1 GiB of output together; this one was killed",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
        assert_eq!(human_bytes(1000), "1000 bytes");
        assert_eq!(human_bytes(3 << 10), "3 KiB");
        // GiB is the largest unit: a TiB is counted in GiB.
        assert_eq!(human_bytes(1 << 40), "1024 GiB");
        assert_eq!(human_bytes((1 << 20) + 1), "1048577 bytes");
    }

    /// A variable whose Jinja could not be rendered never reaches a host: in the command, an
    /// argument, an environment value or the folder, the request is refused with why.
    #[test]
    fn requests_holding_an_unrendered_variable_are_refused_with_why() {
        let mark = crate::report::unrendered_text("undefined x");
        let refused = |r: ExecRequest| match r.validate() {
            Err(ExecError::Spawn(why)) => why,
            other => panic!("not refused: {:?}", other.map(|_| ())),
        };
        assert_eq!(
            refused(ExecRequest::new(Program::Shell(format!("echo {mark}")))),
            "undefined x"
        );
        let argv = ExecRequest::new(Program::Argv(vec!["echo".into(), mark.clone()]));
        assert_eq!(refused(argv), "undefined x");
        let mut env = ExecRequest::new(Program::Shell("true".into()));
        env.env = vec![("A".into(), mark.clone())];
        assert_eq!(refused(env), "undefined x");
        let mut cwd = ExecRequest::new(Program::Shell("true".into()));
        cwd.cwd = Some(mark);
        assert_eq!(refused(cwd), "undefined x");
        assert!(ExecRequest::new(Program::Shell("echo ok".into()))
            .validate()
            .is_ok());
    }

    /// A request's debug form (logs, panics) names the user to become, never the password.
    #[test]
    fn become_debug_hides_the_password() {
        let b = Become {
            user: "postgres".into(),
            password: Some(crate::report::Secrets::default().add("hunter2-pw")),
        };
        let mut req = ExecRequest::new(Program::Shell("true".into()));
        req.become_ = Some(b);
        let shown = format!("{req:?}");
        assert!(
            shown.contains("postgres") && shown.contains(REDACTED),
            "{shown}"
        );
        assert!(!shown.contains("hunter2-pw"), "{shown}");
        assert_eq!(
            req.stdin_bytes().as_deref(),
            Some(&b"hunter2-pw\n"[..]),
            "the password line, then nothing"
        );
    }

    /// Names that could be read as an option or as another assignment are refused.
    #[test]
    fn environment_names_are_checked() {
        for ok in ["A", "_x", "PATH_2", "a1"] {
            assert!(is_env_name(ok), "{ok}");
        }
        for bad in ["", "-S", "1A", "A=B", "A B", "A-B", "é", "A\n"] {
            assert!(!is_env_name(bad), "{bad:?}");
        }
        let mut req = ExecRequest::new(Program::Shell("true".into()));
        req.env = vec![("OK".into(), "-S x".into())];
        assert_eq!(req.validate(), Ok(()), "values are data, any text");
        req.env.push(("-Secho pwned".into(), "x".into()));
        match req.validate() {
            Err(ExecError::Spawn(m)) => assert!(m.contains("\"-Secho pwned\" is not valid"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn argv_displays_quoted_for_a_shell() {
        let p = Program::Argv(vec!["printf".into(), "%s".into(), "a b; $HOME".into()]);
        assert_eq!(p.display(), "printf %s 'a b; $HOME'");
        assert_eq!(Program::Shell("echo hi".into()).display(), "echo hi");
    }

    /// The budget is shared by a command's streams: exactly the limit passes, one byte more
    /// is over, and only the budget's own error counts as over.
    #[tokio::test]
    async fn the_output_budget_is_exact_and_shared() {
        let b = OutputBudget::new(Some(10));
        let mut out = Vec::new();
        b.read_to_end(&mut &b"123456"[..], &mut out).await.unwrap();
        assert_eq!(out, b"123456");
        let mut err = Vec::new();
        b.read_to_end(&mut &b"7890"[..], &mut err).await.unwrap();
        assert_eq!(err, b"7890", "10 of 10: within");
        let e = b.read_to_end(&mut &b"x"[..], &mut err).await.unwrap_err();
        assert!(OutputBudget::is_over(&e));
        assert!(!OutputBudget::is_over(&std::io::Error::other(
            "broken pipe"
        )));
        assert!(b.charge(0).is_err(), "still over");
        let unlimited = OutputBudget::new(None);
        unlimited.charge(usize::MAX / 2).unwrap();
        let fresh = OutputBudget::new(Some(3));
        fresh.charge(2).unwrap();
        fresh.charge(1).unwrap();
        assert!(fresh.charge(1).is_err());
        assert_eq!(fresh.exceeded(), ExecError::TooMuchOutput(3));
    }

    /// Commands running at once share the run's pool; one that finishes gives its bytes
    /// back; the one that tips it over is told so by the pool's limit.
    #[test]
    fn the_run_pool_is_shared_and_given_back() {
        let pool = OutputPool::new(10);
        let mut req = ExecRequest::new(Program::Shell("true".into()));
        req.max_output = Some(8);
        req.output_pool = Some(pool.clone());
        let a = OutputBudget::of(&req);
        let b = OutputBudget::of(&req);
        a.charge(6).unwrap();
        b.charge(4).unwrap();
        assert_eq!(pool.used(), 10, "exactly the limit passes");
        drop(a);
        assert_eq!(pool.used(), 4);
        let c = OutputBudget::of(&req);
        c.charge(6).unwrap();
        assert!(c.charge(1).is_err());
        assert_eq!(c.exceeded(), ExecError::TooMuchRunOutput(10));
        assert_eq!(
            b.exceeded(),
            ExecError::TooMuchOutput(8),
            "b stayed within both"
        );
        drop((b, c));
        assert_eq!(pool.used(), 0);
    }
}
