//! `h.facts`: what the host is, gathered on first use with one read-only command (it runs
//! under `--check` too) and kept for the rest of the run. The parsing is `crate::facts`.

use super::shell::exec_with_events;
use crate::context::{reported_host, Ctx};
use crate::failure::CommandFailure;
use crate::host::Host;
use crate::raise::{at, RhaiResult};
use crate::tasks::current_tasks;
use rb_core::report::Event;
use rb_core::transport::{ExecRequest, Program};
use rhai::{Engine, Map, NativeCallContext};
use std::sync::Arc;

/// The command as progress lines and events show it.
const SHOWN: &str = "gather facts";

fn facts(ctx: &Ctx, nctx: &NativeCallContext, host: &Host) -> RhaiResult<Map> {
    let mut cached = host.facts.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = &*cached {
        return Ok(f.clone());
    }
    let shown_host = reported_host(host);
    let task = current_tasks();
    let req = ExecRequest::new(Program::Argv(vec![
        "/bin/sh".into(),
        "-c".into(),
        crate::facts::SCRIPT.into(),
    ]));
    let (out, duration) = exec_with_events(ctx, host, &shown_host, &task, SHOWN, &req)
        // Unreachable stays unreachable: the failure raises with its fault.
        .map_err(|e| CommandFailure::transport(ctx, &host.name, SHOWN, e).raise(nctx))?;
    let ok = out.rc == 0;
    ctx.emit(Event::CmdResult {
        host: shown_host,
        task,
        cmd: SHOWN.into(),
        rc: out.rc,
        ok,
        changed: false,
        skipped: false,
        duration,
        checked: true,
    });
    if !ok {
        return Err(at(
            nctx,
            format!(
                "cannot gather the facts of {} (rc {}): {}",
                host.name,
                out.rc,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    let f = crate::facts::parse(&String::from_utf8_lossy(&out.stdout));
    *cached = Some(f.clone());
    Ok(f)
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_get(
        "facts",
        move |nctx: NativeCallContext, h: &mut Host| -> RhaiResult<Map> { facts(&c, &nctx, h) },
    );
}
