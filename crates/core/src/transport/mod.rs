//! Transports: how a command reaches a host. One trait, one implementation per connector
//! (local processes, SSH through a multiplexed master), so callers never care which one they talk to.

mod local;
pub mod quote;
mod ssh;
mod ssh_config;

pub use local::LocalTransport;
pub use ssh::{SshOptions, SshTransport};

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
    pub sudo: bool,
    /// The shell that runs string commands (default `/bin/sh`).
    pub shell: String,
}

impl ExecRequest {
    pub fn new(program: Program) -> Self {
        ExecRequest {
            program,
            env: Vec::new(),
            cwd: None,
            stdin: None,
            timeout: None,
            sudo: false,
            shell: "/bin/sh".into(),
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
