//! `on(hosts, opts, |h| ...)`: Rhai's side of fan-out. Options maps become a core
//! [`Plan`], the closure becomes a Rust closure that returns a typed [`HostError`], and the
//! core's results become the map runbooks get back. Batches, forks and the failure policy
//! live in `rb_core::fanout`.
//!
//! Each host runs on its own scoped thread, calling the closure through the native call
//! context (Rhai with `sync` allows that). Closures should return values rather than write
//! captured variables: writes from several threads race (see docs/guide.md).

pub mod serial;

use crate::context::{with_host, Ctx};
use crate::host::Host;
use crate::raise::{at, type_of, OrMessage, RhaiResult};
use rb_core::fanout::{self, HostError, Plan};
use rb_core::report::Event;
use rhai::{Dynamic, FnPtr, Map, NativeCallContext};
use std::sync::Arc;
use std::time::Instant;

/// Options of `on(...)`: the core's plan, and the order to put the hosts in first.
#[derive(Debug, Clone, Default)]
pub struct OnOpts {
    pub plan: Plan,
    pub order: Option<inventory::Order>,
}

pub fn parse_opts(ctx: &Ctx, opts: &Map) -> OrMessage<OnOpts> {
    crate::options::check_known(opts, "on()", crate::options::ON)?;
    let mut o = OnOpts::default();
    o.plan.forks = ctx.forks;
    let seed = match opts.get("seed") {
        None => ctx.seed,
        Some(v) => Some(
            v.as_int()
                .map_err(|_| "option `seed` must be an int".to_string())? as u64,
        ),
    };
    for (k, v) in opts {
        match k.as_str() {
            "serial" => o.plan.serial = serial::parse_serial(v)?,
            "order" => {
                let kind = v
                    .clone()
                    .into_string()
                    .map_err(|_| format!("option `order` must be a string, got {}", type_of(v)))?;
                o.order = Some(inventory::Order::parse(&kind, seed).map_err(|e| e.to_string())?);
            }
            "forks" => {
                let n = v
                    .as_int()
                    .map_err(|_| format!("option `forks` must be an int, got {}", type_of(v)))?;
                if n < 1 {
                    return Err("option `forks` must be at least 1".into());
                }
                o.plan.forks = Some(n as usize);
            }
            "max_fail_percentage" => {
                let p = v
                    .as_int()
                    .map(|i| i as f64)
                    .or_else(|_| v.as_float())
                    .map_err(|_| {
                        format!(
                            "option `max_fail_percentage` must be a number, got {}",
                            type_of(v)
                        )
                    })?;
                if !(0.0..=100.0).contains(&p) {
                    return Err("option `max_fail_percentage` must be between 0 and 100".into());
                }
                o.plan.max_fail_percentage = Some(p);
            }
            "any_errors_fatal" => {
                o.plan.any_errors_fatal = v
                    .as_bool()
                    .map_err(|_| "option `any_errors_fatal` must be true or false".to_string())?
            }
            _ => {} // `seed`, read above; the rest checked above
        }
    }
    Ok(o)
}

/// One host's closure, as the core's kind of work: its value, or a typed failure whose
/// text is the runbook error people read.
fn run_host(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    f: &FnPtr,
    host: &Host,
) -> Result<Dynamic, HostError> {
    let started = Instant::now();
    let r = with_host(&host.name, || {
        f.call_within_context::<Dynamic>(nctx, (host.clone(),))
    });
    let outcome = r.map_err(|e| super::outcome::host_error(ctx, &host.name, &e));
    ctx.emit(Event::HostEnd {
        host: host.name.to_string(),
        ok: outcome.is_ok(),
        duration: started.elapsed().as_secs_f64(),
    });
    outcome
}

/// `on(hosts, opts, closure)`.
pub fn on(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    hosts: &[Host],
    opts: &Map,
    f: &FnPtr,
) -> RhaiResult<Map> {
    let o = parse_opts(ctx, opts).map_err(|e| at(nctx, e))?;
    let mut hosts: Vec<Host> = hosts
        .iter()
        .filter(|h| !ctx.has_failed(&h.name))
        .cloned()
        .collect();
    if let Some(order) = o.order {
        order.apply(&mut hosts);
    }
    let mut results = Map::new();
    // Each batch is announced when its first host starts (batches run one after another).
    let sizes = rb_core::batches::split(hosts.len(), &o.plan.serial);
    let mut batch_of = std::collections::HashMap::new();
    let mut first = 0;
    for (b, size) in sizes.iter().enumerate() {
        for h in &hosts[first..first + size] {
            batch_of.insert(h.name.clone(), (b + 1, first, *size));
        }
        first += size;
    }
    // What templates see as the play's hosts and each host's batch.
    let play_hosts: Arc<Vec<String>> = Arc::new(hosts.iter().map(|h| h.name.to_string()).collect());
    let batch_hosts: Vec<Arc<Vec<String>>> = {
        let mut out = Vec::new();
        let mut start = 0;
        for size in &sizes {
            out.push(Arc::new(play_hosts[start..start + size].to_vec()));
            start += size;
        }
        out
    };
    let play_of = |h: &Host| crate::context::Play {
        hosts: play_hosts.clone(),
        batch: batch_of
            .get(&h.name)
            .map(|&(b, _, _)| batch_hosts[b - 1].clone())
            .unwrap_or_default(),
    };
    let announced = std::sync::atomic::AtomicUsize::new(0);
    let announce = |h: &Host| {
        let Some(&(b, first, size)) = batch_of.get(&h.name) else {
            return;
        };
        let prev = announced.fetch_max(b, std::sync::atomic::Ordering::SeqCst);
        if prev < b {
            ctx.emit(Event::BatchStart {
                batch: b,
                batches: sizes.len(),
                hosts: hosts[first..first + size]
                    .iter()
                    .map(|h| h.name.to_string())
                    .collect(),
                total: hosts.len(),
            });
        }
    };
    // Handlers run when a batch is over: on its hosts that succeeded (and, with
    // --force-handlers, on those that failed too).
    let call = |f: &FnPtr, h: Host| f.call_within_context::<Dynamic>(nctx, (h,));
    // Both callbacks run on this thread, one after the other.
    let failed_in_batch = std::cell::RefCell::new(Vec::new());
    let outcomes = fanout::run_batches(
        &hosts,
        &o.plan,
        &|| ctx.is_cancelled(),
        &|h: &Host| {
            announce(h);
            crate::context::with_play(play_of(h), || run_host(ctx, nctx, f, h))
        },
        &mut |h, r| {
            if let Err(e) = r {
                ctx.fail_host(&h.name, &e.to_string(), e.is_unreachable());
                failed_in_batch.borrow_mut().push(h.clone());
            }
        },
        &mut |ok| {
            let mut due: Vec<Host> = ok.iter().map(|&i| hosts[i].clone()).collect();
            let failed = failed_in_batch.take();
            if ctx.handlers.force {
                due.extend(failed);
            }
            super::handlers::run_hosts(ctx, &call, &due, o.plan.forks, &|h| Some(play_of(h)));
        },
    )
    .map_err(|stop| {
        // The run stops here: handlers notified so far run only with --force-handlers.
        if ctx.handlers.force {
            super::handlers::run_hosts(ctx, &call, &hosts, o.plan.forks, &|h| Some(play_of(h)));
        }
        at(nctx, stop.to_string())
    })?;
    if !hosts.is_empty() && !outcomes.iter().any(|(_, r)| r.is_ok()) {
        return Err(at(nctx, "no hosts left: every host of this on(...) failed"));
    }
    for (i, r) in outcomes {
        let v = match r {
            Ok(v) => v,
            Err(e) => {
                let mut m = Map::new();
                m.insert("failed".into(), true.into());
                m.insert("unreachable".into(), e.is_unreachable().into());
                m.insert("error".into(), ctx.secrets().redact(&e.to_string()).into());
                m.into()
            }
        };
        results.insert(hosts[i].name.as_ref().into(), v);
    }
    Ok(results)
}
