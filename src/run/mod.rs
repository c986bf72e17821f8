//! Fan-out: `on(hosts, opts, |h| ...)` runs a closure per host, the hosts of a batch in
//! parallel (at most `forks` at a time), batches one after another, with Ansible's
//! failure policy (`max_fail_percentage`, `any_errors_fatal`; failed hosts leave the play).
//!
//! Each host runs on its own scoped thread, calling the closure through the native call
//! context (Rhai with `sync` allows that). Closures should return values rather than write
//! captured variables: writes from several threads race (see docs/guide.md).

pub mod batches;

use crate::api::errors::{at, type_of, RhaiResult};
use crate::context::{with_host, Ctx};
use crate::engine::diagnostics::Diagnostic;
use crate::host::Host;
use crate::report::Event;
use rhai::{Dynamic, EvalAltResult, FnPtr, Map, NativeCallContext};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Options of `on(...)`.
#[derive(Debug, Clone, Default)]
pub struct OnOpts {
    pub serial: Vec<batches::Size>,
    pub order: Option<crate::inventory::Order>,
    pub forks: Option<usize>,
    pub max_fail_percentage: Option<f64>,
    pub any_errors_fatal: bool,
}

const KNOWN: &[&str] = &[
    "serial",
    "order",
    "forks",
    "max_fail_percentage",
    "any_errors_fatal",
    "seed",
];

pub fn parse_opts(ctx: &Ctx, opts: &Map) -> Result<OnOpts, String> {
    let mut o = OnOpts::default();
    let seed = match opts.get("seed") {
        None => ctx.seed,
        Some(v) => Some(
            v.as_int()
                .map_err(|_| "option `seed` must be an int".to_string())? as u64,
        ),
    };
    for (k, v) in opts {
        match k.as_str() {
            "serial" => o.serial = batches::parse_serial(v)?,
            "order" => {
                let kind = v
                    .clone()
                    .into_string()
                    .map_err(|_| format!("option `order` must be a string, got {}", type_of(v)))?;
                o.order =
                    Some(crate::inventory::Order::parse(&kind, seed).map_err(|e| e.to_string())?);
            }
            "forks" => {
                let n = v
                    .as_int()
                    .map_err(|_| format!("option `forks` must be an int, got {}", type_of(v)))?;
                if n < 1 {
                    return Err("option `forks` must be at least 1".into());
                }
                o.forks = Some(n as usize);
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
                o.max_fail_percentage = Some(p);
            }
            "any_errors_fatal" => {
                o.any_errors_fatal = v
                    .as_bool()
                    .map_err(|_| "option `any_errors_fatal` must be true or false".to_string())?
            }
            "seed" => {}
            other => {
                return Err(format!(
                    "unknown option `{other}` for on(); known options: {}",
                    KNOWN.join(", ")
                ))
            }
        }
    }
    Ok(o)
}

/// Is this error "the host could not be reached" rather than "the runbook failed there"?
fn is_unreachable(e: &EvalAltResult) -> bool {
    let mut e = e;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => e = inner,
            EvalAltResult::ErrorRuntime(d, _) => return d.to_string().starts_with("unreachable: "),
            _ => return false,
        }
    }
}

/// One host's outcome.
enum Outcome {
    Ok(Dynamic),
    Failed { message: String, unreachable: bool },
}

fn run_host(ctx: &Ctx, nctx: &NativeCallContext, f: &FnPtr, host: &Host) -> Outcome {
    let started = Instant::now();
    let r = with_host(&host.name, || {
        f.call_within_context::<Dynamic>(nctx, (host.clone(),))
    });
    let outcome = match r {
        Ok(v) => Outcome::Ok(v),
        Err(e) => {
            let runbook = ctx
                .runbook
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let unreachable = is_unreachable(&e);
            let d = Diagnostic::from_eval(&runbook, &e);
            let mut message = d.to_string();
            if let Some(task) = crate::api::core::take_failed_task() {
                message = format!("{}: {message}", task.join(" › "));
            }
            let message = if unreachable {
                // ssh's reason is what matters; drop our "unreachable: host:" prefix.
                d.message
                    .strip_prefix("unreachable: ")
                    .and_then(|m| m.split_once(": ").map(|(_, why)| why.to_string()))
                    .unwrap_or(message)
            } else {
                message
            };
            Outcome::Failed {
                message,
                unreachable,
            }
        }
    };
    ctx.emit(Event::HostEnd {
        host: host.name.to_string(),
        ok: matches!(outcome, Outcome::Ok(_)),
        duration: started.elapsed().as_secs_f64(),
    });
    outcome
}

/// Run one batch with at most `forks` hosts at a time; results in batch order.
fn run_batch(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    f: &FnPtr,
    batch: &[Host],
    forks: usize,
    stop: &AtomicBool,
    stop_on_failure: bool,
) -> Vec<Option<Outcome>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..batch.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..forks.min(batch.len()) {
            s.spawn(|| loop {
                if stop.load(Ordering::SeqCst) || ctx.is_cancelled() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(host) = batch.get(i) else { break };
                let out = run_host(ctx, nctx, f, host);
                if stop_on_failure && matches!(out, Outcome::Failed { .. }) {
                    // any_errors_fatal: hosts of this batch not yet started do not start.
                    stop.store(true, Ordering::SeqCst);
                }
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(out);
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
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
    if hosts.is_empty() {
        return Ok(results);
    }
    let stop = AtomicBool::new(false);
    let mut fatal: Option<String> = None;
    let mut any_ok = false;
    let plan = batches::split(hosts.len(), &o.serial);
    let mut start = 0;
    for (bi, size) in plan.iter().enumerate() {
        if ctx.is_cancelled() {
            break;
        }
        let batch = &hosts[start..start + size];
        start += size;
        let forks = o.forks.unwrap_or(batch.len());
        let outcomes = run_batch(ctx, nctx, f, batch, forks, &stop, o.any_errors_fatal);
        let mut failed_here = Vec::new();
        for (host, out) in batch.iter().zip(outcomes) {
            match out {
                None => {} // not started: stopped by any_errors_fatal or Ctrl-C
                Some(Outcome::Ok(v)) => {
                    any_ok = true;
                    results.insert(host.name.as_ref().into(), v);
                }
                Some(Outcome::Failed {
                    message,
                    unreachable,
                }) => {
                    ctx.fail_host(&host.name, &message, unreachable);
                    let mut m = Map::new();
                    m.insert("failed".into(), true.into());
                    m.insert("unreachable".into(), unreachable.into());
                    m.insert("error".into(), ctx.secrets().redact(&message).into());
                    results.insert(host.name.as_ref().into(), m.into());
                    failed_here.push(host.name.to_string());
                }
            }
        }
        if failed_here.is_empty() {
            continue;
        }
        if o.any_errors_fatal {
            fatal = Some(format!(
                "any_errors_fatal: {} failed; stopping the run",
                failed_here.join(", ")
            ));
            break;
        }
        if let Some(pct) = o.max_fail_percentage {
            // Ansible: stop when the failures in a batch exceed pct% of the batch.
            let allowed = (pct / 100.0 * batch.len() as f64).floor() as usize;
            if failed_here.len() > allowed {
                fatal = Some(format!(
                    "max_fail_percentage {pct}% exceeded in batch {} ({} of {} hosts failed: {}); stopping the run",
                    bi + 1,
                    failed_here.len(),
                    batch.len(),
                    failed_here.join(", ")
                ));
                break;
            }
        }
    }
    if ctx.is_cancelled() {
        return Err(at(nctx, "interrupted: the run was cancelled"));
    }
    if let Some(msg) = fatal {
        return Err(at(nctx, msg));
    }
    if !any_ok {
        return Err(at(nctx, "no hosts left: every host of this on(...) failed"));
    }
    Ok(results)
}
