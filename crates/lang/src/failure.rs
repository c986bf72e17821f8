//! A command that failed on a host: one type for everything that runs commands (`sh`, the
//! file operations, `rb exec`), made in one place. Its Display is the message people read;
//! [`CommandFailure::raise`] turns it into the runbook error that carries whose fault it is.

use crate::context::Ctx;
use crate::raise::{at, at_fault, Fault};
use rb_core::fanout::HostError;
use rb_core::transport::{human_bytes, ExecError};
use rhai::{EvalAltResult, NativeCallContext};
use std::fmt;

/// Why the command failed.
#[derive(Debug)]
pub enum Cause {
    /// It produced no result: timed out, interrupted, unreachable, could not start, too
    /// much output.
    Transport(ExecError),
    /// It ran and exited with `rc` (non-zero, or zero and `failed_if` judged it failed).
    Exit {
        /// The exit status.
        rc: i64,
    },
}

/// A command that failed on a host.
#[derive(Debug)]
pub struct CommandFailure {
    /// The host, as events name it.
    pub host: String,
    /// The command as shown (`<hidden by no_log>` for no_log commands).
    pub command: String,
    /// Why it failed.
    pub cause: Cause,
    /// Whose failure it is; `None` when the run was interrupted (nobody's fault).
    pub fault: Option<Fault>,
    /// The last lines of its standard error, redacted (exit failures only).
    pub stderr_tail: Option<String>,
    /// What to try.
    pub hint: Option<String>,
}

impl CommandFailure {
    /// A command on `host` (shown as `command`) that the transport could not run. An
    /// unreachable host's reason is kept for the recap.
    pub fn transport(ctx: &Ctx, host: &str, command: &str, e: ExecError) -> CommandFailure {
        let fault = match &e {
            ExecError::Cancelled => None,
            ExecError::Unreachable(why) => {
                ctx.note_unreachable(host, why);
                Some(fault(ctx, host, true))
            }
            _ => Some(fault(ctx, host, false)),
        };
        CommandFailure {
            host: host.to_string(),
            command: command.to_string(),
            cause: Cause::Transport(e),
            fault,
            stderr_tail: None,
            hint: None,
        }
    }

    /// A command on `host` that ran and failed with `rc`.
    pub fn exit(ctx: &Ctx, host: &str, command: &str, rc: i64) -> CommandFailure {
        CommandFailure {
            host: host.to_string(),
            command: command.to_string(),
            cause: Cause::Exit { rc },
            fault: Some(fault(ctx, host, false)),
            stderr_tail: None,
            hint: None,
        }
    }

    /// The transport's failure, if that is why.
    pub fn exec_error(&self) -> Option<&ExecError> {
        match &self.cause {
            Cause::Transport(e) => Some(e),
            Cause::Exit { .. } => None,
        }
    }

    /// The runbook error for this failure, at the current call.
    pub fn raise(&self, nctx: &NativeCallContext) -> Box<EvalAltResult> {
        match self.fault {
            Some(f) => at_fault(nctx, self.to_string(), f),
            None => at(nctx, self.to_string()),
        }
    }

    /// The failure as the core's fan-out counts it (`rb exec`).
    pub fn into_host_error(self) -> HostError {
        let message = self.to_string();
        match self.cause {
            Cause::Transport(ExecError::Unreachable(why)) => HostError::Unreachable(why),
            Cause::Transport(ExecError::Cancelled) => HostError::Interrupted,
            _ => HostError::Failed(message),
        }
    }
}

/// The fault of a failure on `host` (an inventory host, or the controller).
fn fault(ctx: &Ctx, host: &str, unreachable: bool) -> Fault {
    Fault {
        host: ctx.inventory.index.get(host).copied(),
        unreachable,
    }
}

impl fmt::Display for CommandFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, shown) = (&self.host, &self.command);
        match &self.cause {
            Cause::Transport(e) => match e {
                ExecError::Timeout(t) => write!(
                    f,
                    "command timed out after {}s on {host} and was killed: {shown}",
                    t.as_secs_f64()
                ),
                ExecError::Cancelled => write!(f, "interrupted: command killed on {host}: {shown}"),
                ExecError::Unreachable(why) => write!(f, "unreachable: {host}: {why}"),
                ExecError::Spawn(why) => write!(f, "command could not start on {host}: {why}"),
                ExecError::TooMuchRunOutput(limit) => write!(
                    f,
                    "the run's running commands held more than {} of output together; this one on {host} was killed: {shown}\n  \
                     hint: write large output to files on the hosts, run fewer hosts at once (-f), \
                     or raise --max-output-total",
                    human_bytes(*limit)
                ),
                ExecError::TooMuchOutput(limit) => write!(
                    f,
                    "command printed more than {} on {host} and was killed: {shown}\n  \
                     hint: write the output to a file on the host and read the part you need, \
                     or raise --max-output",
                    human_bytes(*limit)
                ),
            }?,
            Cause::Exit { rc: 0 } => write!(f, "command failed on {host} (failed_if): {shown}")?,
            Cause::Exit { rc } => write!(f, "command failed on {host} (rc {rc}): {shown}")?,
        }
        if let Some(t) = self.stderr_tail.as_deref().filter(|t| !t.is_empty()) {
            write!(f, "\n  stderr: {t}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}
