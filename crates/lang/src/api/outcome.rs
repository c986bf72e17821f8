//! What a runbook error raised on a host makes of that host, for `on(...)` and for the
//! handlers it runs: unreachable (with ssh's reason) or failed (with the task).

use crate::context::Ctx;
use crate::diagnostics::Diagnostic;
use rb_core::fanout::HostError;

/// What a runbook error raised on `host` makes of the host: unreachable (with ssh's
/// reason), or failed with the error and the task it happened in.
pub fn host_error(ctx: &Ctx, host: &str, e: &rhai::EvalAltResult) -> HostError {
    let runbook = ctx
        .runbook
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let d = Diagnostic::from_eval(&runbook, e);
    if d.fault.is_some_and(|f| f.unreachable) {
        // ssh's reason is what matters here; the runbook error says the rest.
        let why = ctx
            .unreachable_reason(host)
            .unwrap_or_else(|| d.to_string());
        return HostError::Unreachable(why);
    }
    let mut message = d.to_string();
    if let Some(task) = crate::tasks::take_failed_task() {
        message = format!("{}: {message}", task.join(" › "));
    }
    HostError::Failed(message)
}
