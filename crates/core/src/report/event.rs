//! The events a run emits. They are the one source of truth for every output: the human
//! printer, `--json` lines, and embedders' callbacks all see the same stream.

use serde::Serialize;

/// Severity of a `log`/`warn` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
}

/// One host's line in the recap.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RecapRow {
    pub host: String,
    pub ok: u64,
    pub changed: u64,
    pub failed: u64,
    pub unreachable: u64,
    pub skipped: u64,
    /// Seconds from the host's first command to its last.
    pub time: f64,
}

/// One thing that happened during a run. Serialized as one JSON object per line with an
/// `"event"` tag; the schema is documented in docs/events.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The runbook started.
    RunStart { runbook: String, check_mode: bool },
    /// A batch of an `on(...)` is starting (`serial`; one batch when none): batch `batch`
    /// of `batches`, these hosts, `total` hosts in the whole `on(...)`.
    BatchStart {
        batch: usize,
        batches: usize,
        hosts: Vec<String>,
        total: usize,
    },
    /// A `task(name, ...)` block started on a host.
    TaskStart { host: String, task: Vec<String> },
    /// A `task(name, ...)` block ended.
    TaskEnd {
        host: String,
        task: Vec<String>,
        ok: bool,
        duration: f64,
    },
    /// A command is about to run.
    CmdStart {
        host: String,
        task: Vec<String>,
        cmd: String,
    },
    /// A command finished (or was skipped in check mode).
    CmdResult {
        host: String,
        task: Vec<String>,
        cmd: String,
        rc: i64,
        ok: bool,
        changed: bool,
        skipped: bool,
        duration: f64,
        /// false for a command run with `check: false`: a result that is not ok is the
        /// runbook's to handle (a probe), not a failure of the host.
        checked: bool,
    },
    /// What a finished command printed (only with `-v`, and never for `no_log` commands).
    CmdOutput {
        host: String,
        task: Vec<String>,
        cmd: String,
        stdout: String,
        stderr: String,
    },
    /// A wait began: `retry` (`what` is "retry"), `wait_http URL` or `wait_port HOST:PORT`.
    WaitStart {
        host: String,
        task: Vec<String>,
        what: String,
    },
    /// A wait ended: met (`ok`) or given up, after `attempts` attempts (`wait_port`: 1)
    /// and `duration` seconds.
    WaitEnd {
        host: String,
        task: Vec<String>,
        what: String,
        ok: bool,
        attempts: i64,
        duration: f64,
    },
    /// An attempt of `retry`/`wait_http` did not succeed; another follows after `delay` s.
    Retry {
        host: String,
        task: Vec<String>,
        attempt: i64,
        attempts: i64,
        outcome: String,
        delay: f64,
    },
    /// `log`, `warn` or `print` output.
    Log {
        host: String,
        level: Level,
        msg: String,
    },
    /// A host left the play: its closure raised, or it could not be reached.
    HostFailed {
        host: String,
        message: String,
        unreachable: bool,
    },
    /// A host finished its part of an `on(...)` (ok: its closure returned).
    HostEnd {
        host: String,
        ok: bool,
        duration: f64,
    },
    /// A file on a host changed (or would change, in check mode); `diff` with `--diff`.
    FileChanged {
        host: String,
        task: Vec<String>,
        path: String,
        diff: Option<String>,
    },
    /// Per-host totals, just before `run_end`.
    Recap { hosts: Vec<RecapRow> },
    /// The error that ended the run (or a host's part of it).
    Error {
        host: String,
        message: String,
        file: Option<String>,
        line: Option<usize>,
        col: Option<usize>,
    },
    /// The run ended. `exit_code` follows the CLI's convention (0 ok, 1 failed, 2 usage).
    RunEnd {
        ok: bool,
        exit_code: i32,
        duration: f64,
    },
}

impl Event {
    /// `cmd` on `host` was not run because of `--check`: reported as what would run.
    pub fn would_run(host: String, task: Vec<String>, cmd: String) -> Event {
        Event::CmdResult {
            host,
            task,
            cmd,
            rc: 0,
            ok: true,
            changed: false,
            skipped: true,
            duration: 0.0,
            checked: true,
        }
    }

    /// Apply `f` to every free-text field, so secrets can be redacted in one place.
    pub(crate) fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        // Every text a runbook can put into an event: task names and paths included.
        let tasks = |t: &mut Vec<String>| t.iter_mut().for_each(|s| *s = f(s));
        match self {
            Event::RunStart { .. } | Event::RunEnd { .. } | Event::HostEnd { .. } => {}
            Event::BatchStart { .. } => {}
            Event::Recap { .. } => {}
            Event::TaskStart { task, .. } | Event::TaskEnd { task, .. } => tasks(task),
            Event::CmdStart { cmd, task, .. } | Event::CmdResult { cmd, task, .. } => {
                tasks(task);
                *cmd = f(cmd);
            }
            Event::Log { msg, .. } => *msg = f(msg),
            Event::CmdOutput {
                task,
                cmd,
                stdout,
                stderr,
                ..
            } => {
                tasks(task);
                *cmd = f(cmd);
                *stdout = f(stdout);
                *stderr = f(stderr);
            }
            Event::WaitStart { what, task, .. } | Event::WaitEnd { what, task, .. } => {
                tasks(task);
                *what = f(what);
            }
            Event::Retry { outcome, task, .. } => {
                tasks(task);
                *outcome = f(outcome);
            }
            Event::Error { message, .. } | Event::HostFailed { message, .. } => {
                *message = f(message)
            }
            Event::FileChanged {
                task, path, diff, ..
            } => {
                tasks(task);
                *path = f(path);
                if let Some(d) = diff {
                    *d = f(d);
                }
            }
        }
    }
}
