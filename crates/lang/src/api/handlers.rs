//! Handlers, as Ansible's: `handler(name, |h| ...)` defines one; `notify(h, name)` from any
//! task marks it for that host; each notified handler runs once per host, in definition
//! order, when the host's batch of an `on(...)` is over — or at `flush_handlers()`, or when
//! the runbook ends. A host that failed, or a run stopped by a failure, runs none unless
//! `--force-handlers`. Under `--check` a handler is reported as "would run", not run.
//! The state (what is defined, who is notified) is `crate::handlers`.

use super::outcome::host_error;
use super::task::as_task;
use crate::context::{current_host, with_host, with_play, Ctx, Play};
use crate::host::Host;
use crate::raise::{at, RhaiResult};
use crate::tasks::current_tasks;
use rb_core::fanout::{self, HostError, Plan};
use rb_core::report::Event;
use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext};
use std::sync::Arc;

/// How a handler's closure is called: through the calling function's context, or (when the
/// runbook has ended) through the engine and the runbook's AST.
pub type Call<'a> = dyn Fn(&FnPtr, Host) -> Result<Dynamic, Box<EvalAltResult>> + Sync + 'a;

/// Run `host`'s pending handlers on this thread, in definition order.
pub fn run_for(ctx: &Ctx, call: &Call, host: &Host) -> Result<(), HostError> {
    for (name, f) in ctx.handlers.take(&host.name) {
        if ctx.check_mode {
            ctx.emit(Event::would_run(
                host.name.to_string(),
                current_tasks(),
                format!("handler {name}"),
            ));
            continue;
        }
        let ran = with_host(&host.name, || {
            as_task(ctx, &format!("handler {name}"), Default::default(), || {
                call(&f, host.clone())
            })
        });
        if let Err(e) = ran {
            return Err(host_error(ctx, &host.name, &e));
        }
    }
    Ok(())
}

/// The play a host's handlers run in (what templates see as `ansible_play_hosts` and
/// `ansible_play_batch`): the `on(...)` whose batch just ended, or none.
pub type PlayOf<'a> = dyn Fn(&Host) -> Option<Play> + Sync + 'a;

/// Run the pending handlers of `hosts` (those notified, and still in the play unless
/// --force-handlers), the hosts in parallel as `on` runs them; a host whose handler fails
/// leaves the play.
pub fn run_hosts(ctx: &Ctx, call: &Call, hosts: &[Host], forks: Option<usize>, play: &PlayOf) {
    let pending = ctx.handlers.pending();
    let hosts: Vec<Host> = hosts
        .iter()
        .filter(|h| pending.iter().any(|p| p == h.name.as_ref()))
        .filter(|h| ctx.handlers.force || !ctx.has_failed(&h.name))
        .cloned()
        .collect();
    if hosts.is_empty() {
        return;
    }
    let plan = Plan {
        forks,
        ..Plan::default()
    };
    let _ = fanout::run(
        &hosts,
        &plan,
        &|| ctx.is_cancelled(),
        &|h: &Host| match play(h) {
            Some(p) => with_play(p, || run_for(ctx, call, h)),
            None => run_for(ctx, call, h),
        },
        &mut |h, r| {
            if let Err(e) = r {
                ctx.fail_host(&h.name, &e.to_string(), e.is_unreachable());
            }
        },
    );
}

/// Every host with handlers pending, as `Host`s (the controller as `local`).
pub fn pending_hosts(ctx: &Ctx) -> Vec<Host> {
    ctx.handlers
        .pending()
        .iter()
        .filter_map(|name| {
            if name == "local" {
                Some(ctx.local.clone())
            } else {
                ctx.hosts.iter().find(|h| h.name.as_ref() == name).cloned()
            }
        })
        .collect()
}

/// `flush_handlers()`: inside `on(...)`, the current host's pending handlers now; outside,
/// every host's.
fn flush(ctx: &Ctx, nctx: &NativeCallContext) -> RhaiResult<()> {
    let call = |f: &FnPtr, h: Host| f.call_within_context::<Dynamic>(nctx, (h,));
    let here = current_host();
    if here == "local" {
        run_hosts(ctx, &call, &pending_hosts(ctx), ctx.forks, &|_| None);
        return Ok(());
    }
    match pending_hosts(ctx)
        .into_iter()
        .find(|h| h.name.as_ref() == here)
    {
        Some(h) => run_for(ctx, &call, &h).map_err(|e| at(nctx, e.to_string())),
        None => Ok(()),
    }
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_fn(
        "handler",
        move |nctx: NativeCallContext, name: &str, f: FnPtr| -> RhaiResult<()> {
            c.handlers.define(name, f).map_err(|e| at(&nctx, e))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "notify",
        move |nctx: NativeCallContext, h: &mut Host, name: &str| -> RhaiResult<()> {
            c.handlers.notify(&h.name, name).map_err(|e| at(&nctx, e))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "flush_handlers",
        move |nctx: NativeCallContext| -> RhaiResult<()> { flush(&c, &nctx) },
    );
}
