//! What every registered function shares during a run: the tokio runtime that drives I/O,
//! the event emitter, cancellation, check mode and the runbook's variables.
//!
//! Per-thread state (the host a closure runs for, the current task path) lives in
//! thread-locals, because fan-out runs each host's closure on its own thread.

use crate::host::Host;
use inventory::Inventory;
use rb_core::report::{Emitter, Event, Level, Secrets};
use rhai::Dynamic;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Why a host left the play.
#[derive(Debug, Clone, PartialEq)]
pub struct HostFailure {
    pub message: String,
    pub unreachable: bool,
}

/// What a run shares: see the module docs. Embedders reach it through `Runtime::context`.
pub struct Ctx {
    /// The tokio runtime that drives commands.
    pub handle: tokio::runtime::Handle,
    /// Where events go (redacted), and the recap.
    pub emitter: Emitter,
    /// Cancellation of the current run (or REPL entry); replaced by `renew_cancel`.
    pub cancel_slot: Mutex<CancellationToken>,
    /// `--check`: mutating commands are reported, not run.
    pub check_mode: bool,
    /// `--diff`: show file changes.
    pub diff: bool,
    /// `vars`: a shared map, so reading it does not copy it.
    pub vars: Dynamic,
    /// The controller (`local` in runbooks).
    pub local: Host,
    /// The hosts runbooks can select.
    pub inventory: Inventory,
    /// One Host per inventory host, same index; transports connect lazily.
    pub hosts: Vec<Host>,
    /// `--limit`: hosts every selection is narrowed to.
    pub limit: Option<inventory::Limit>,
    /// `--seed`: the default seed of `shuffle`.
    pub seed: Option<u64>,
    /// `-f/--forks`: the most hosts an `on(...)` runs at once when it sets no `forks`.
    pub forks: Option<usize>,
    /// `--max-operations`: how many Rhai operations a run may take (0: no limit).
    pub max_operations: u64,
    /// `--max-output`: the most bytes a command may print (`None`: no limit).
    pub max_output: Option<usize>,
    /// Output held at once by the run's running commands (`--max-output-total`).
    pub output_pool: Option<std::sync::Arc<rb_core::transport::OutputPool>>,
    /// Which tasks run (`--tags`, `--skip-tags`, `--start-at-task`).
    pub tasks: crate::tasks::TaskFilter,
    /// `-v` (1), `-vv` (2), `-vvv` (3): 1 and up emit each command's output (`cmd_output`).
    pub verbosity: u8,
    /// `--become`, `--become-user`, `-K`: under each host's `ansible_become*` variables.
    pub become_defaults: crate::host::privilege::BecomeDefaults,
    /// Hosts that failed or were unreachable; they leave the play.
    pub failed: Mutex<BTreeMap<String, HostFailure>>,
    /// The runbook being run, for error positions reported from fan-out threads.
    pub runbook: Mutex<String>,
    /// Why each unreachable host could not be reached (ssh's words), by host name.
    pub unreachable: Mutex<BTreeMap<String, String>>,
    /// Templates' `ansible_managed` (ansible.cfg's, or ansible-core's "Ansible managed").
    pub ansible_managed: String,
    /// The runbook's handlers and the hosts notified of them.
    pub handlers: crate::handlers::Handlers,
}

thread_local! {
    static CURRENT_HOST: RefCell<Option<String>> = const { RefCell::new(None) };
    static CURRENT_PLAY: RefCell<Option<Play>> = const { RefCell::new(None) };
}

/// The `on(...)` a host's closure runs in: what Ansible calls the play (its hosts) and the
/// batch (`serial`), for templates' `ansible_play_hosts` and `ansible_play_batch`.
#[derive(Clone, Debug, Default)]
pub struct Play {
    pub hosts: std::sync::Arc<Vec<String>>,
    pub batch: std::sync::Arc<Vec<String>>,
}

/// The play this thread's host runs in (None outside any `on(...)`).
pub fn current_play() -> Option<Play> {
    CURRENT_PLAY.with(|p| p.borrow().clone())
}

/// Run `f` with `play` as this thread's current play.
pub fn with_play<T>(play: Play, f: impl FnOnce() -> T) -> T {
    let prev = CURRENT_PLAY.with(|p| p.replace(Some(play)));
    let out = f();
    CURRENT_PLAY.with(|p| *p.borrow_mut() = prev);
    out
}

/// The host whose closure this thread is running ("local" outside any fan-out).
pub fn current_host() -> String {
    CURRENT_HOST.with(|h| h.borrow().clone().unwrap_or_else(|| "local".into()))
}

/// The host a command on `host` is reported on: the host itself, or for the controller
/// (`local`) the host whose closure runs it (a `local.sh` inside `on` shows on that host).
pub fn reported_host(host: &crate::host::Host) -> String {
    if host.name.as_ref() == "local" {
        current_host()
    } else {
        host.name.to_string()
    }
}

/// Run `f` with `host` as this thread's current host.
pub fn with_host<T>(host: &str, f: impl FnOnce() -> T) -> T {
    let prev = CURRENT_HOST.with(|h| h.replace(Some(host.to_string())));
    let out = f();
    CURRENT_HOST.with(|h| *h.borrow_mut() = prev);
    out
}

impl Ctx {
    /// The values to redact wherever text leaves the process.
    pub fn secrets(&self) -> &Secrets {
        self.emitter.secrets()
    }

    /// Send an event to every sink (redacted first).
    pub fn emit(&self, event: Event) {
        self.emitter.emit(event);
    }

    /// A `log`/`warn` line from the current host.
    pub fn log(&self, level: Level, msg: &str) {
        self.emit(Event::Log {
            host: current_host(),
            level,
            msg: msg.to_string(),
        });
    }

    /// The token that Ctrl-C cancels for what is running now.
    pub fn cancel(&self) -> CancellationToken {
        self.cancel_slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A fresh token (the REPL starts each entry with one), returned for the signal handler.
    pub fn renew_cancel(&self) -> CancellationToken {
        let t = CancellationToken::new();
        *self.cancel_slot.lock().unwrap_or_else(|e| e.into_inner()) = t.clone();
        t
    }

    /// Whether the current run (or REPL entry) was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel().is_cancelled()
    }

    /// Record that `host` left the play, and tell the event stream.
    /// Remember why `host` could not be reached, for fan-out's report of it.
    pub fn note_unreachable(&self, host: &str, why: &str) {
        self.unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_string(), why.to_string());
    }

    /// Why `host` could not be reached, if it could not.
    pub fn unreachable_reason(&self, host: &str) -> Option<String> {
        self.unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(host)
            .cloned()
    }

    /// Take `host` out of the play as failed (or unreachable), once: later fan-outs skip it.
    pub fn fail_host(&self, host: &str, message: &str, unreachable: bool) {
        let message = self.secrets().redact(message);
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                host.to_string(),
                HostFailure {
                    message: message.clone(),
                    unreachable,
                },
            );
        self.emit(Event::HostFailed {
            host: host.to_string(),
            message,
            unreachable,
        });
    }

    /// Whether `host` left the play.
    pub fn has_failed(&self, host: &str) -> bool {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(host)
    }

    /// The error for a host pattern that selects no host: none in the inventory (with the
    /// closest name), or none inside `--limit`.
    pub fn selects_nothing(&self, pattern: &str) -> String {
        self.inventory
            .selects_nothing_within(pattern, self.limit.as_ref())
    }

    /// Drive a future to completion from a plain (non-tokio) thread: the script thread or
    /// a fan-out thread. Never called from a tokio worker.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.handle.block_on(fut)
    }
}
