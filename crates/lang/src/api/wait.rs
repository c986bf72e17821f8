//! Waiting for the world: `retry` (Ansible's until/retries/delay), `wait_http`, `wait_port`.
//!
//! Counting, as in ansible-core: the action always runs once, and `retries: N` allows N more
//! attempts, so at most N + 1 runs, with `delay` seconds between attempts (none after the
//! last). `retries: 0` means one attempt. Defaults: retries 3, delay 5, as in Ansible.

use super::basics::sleep_cancellable;
use super::shell::{seconds, text_of, CmdResult};
use crate::context::{current_host, Ctx};
use crate::raise::{at, type_of, OrMessage, RhaiResult};
use crate::tasks::current_tasks;
use rb_core::report::Event;
use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct RetryOpts {
    retries: i64,
    delay: Duration,
}

fn retry_opts(opts: &Map, what: &str, known: &[&str]) -> OrMessage<RetryOpts> {
    crate::options::check_known(opts, what, known)?;
    let mut o = RetryOpts {
        retries: 3,
        delay: Duration::from_secs(5),
    };
    for (k, v) in opts {
        match k.as_str() {
            "retries" => {
                o.retries = v
                    .as_int()
                    .map_err(|_| format!("option `retries` must be an int, got {}", type_of(v)))?;
                if !(0..=MAX_RETRIES).contains(&o.retries) {
                    return Err(format!(
                        "option `retries` must be between 0 and {MAX_RETRIES}, got {}",
                        o.retries
                    ));
                }
            }
            "delay" => o.delay = seconds(v, "delay")?,
            _ => {} // checked above
        }
    }
    Ok(o)
}

/// The most retries rb accepts: a million attempts is far past any real wait, and keeps
/// the attempt count well inside an int.
const MAX_RETRIES: i64 = 1_000_000;

/// One line describing an error, without Rhai's position suffix.
fn short_error(e: &EvalAltResult) -> String {
    let mut e = e;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => e = inner,
            EvalAltResult::ErrorRuntime(d, _) => {
                return d.to_string().lines().next().unwrap_or("").to_string()
            }
            other => return crate::raise::without_position(&other.to_string()),
        }
    }
}

/// What an unmet condition looked like, for the final error.
fn describe(ctx: &Ctx, v: &Dynamic) -> String {
    if let Some(r) = v.read_lock::<CmdResult>() {
        if r.no_log {
            return format!("condition not met (rc {}, output hidden by no_log)", r.rc);
        }
        let out = ctx.secrets().redact(&r.stdout);
        let first = out.trim().lines().next().unwrap_or("").to_string();
        return format!("condition not met (rc {}, stdout: {first:?})", r.rc);
    }
    // Redact before cutting: a cut can split a secret past recognition.
    let s = ctx.secrets().redact(&v.to_string());
    let s: String = s.chars().take(120).collect();
    format!("condition not met (value: {s})")
}

fn is_cancel(ctx: &Ctx) -> bool {
    ctx.is_cancelled()
}

/// The attempts of `retry` and `wait_http`, counted as ansible-core counts them: `attempt(n)`
/// answers `Ok(value)` to stop or `Err(outcome)` to try again after the delay, announced
/// by a `retry` event; after the last attempt the error is `headline` over every outcome.
fn with_attempts<T>(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    what: &str,
    o: &RetryOpts,
    mut attempt: impl FnMut(i64) -> RhaiResult<Result<T, String>>,
    headline: impl FnOnce(i64) -> String,
) -> RhaiResult<T> {
    let mut used = 0;
    waited(ctx, what, || {
        let r = attempts_of(ctx, nctx, o, &mut used, &mut attempt, headline);
        (r, used)
    })
}

/// A wait as events: `wait_start` now and `wait_end` when `f` ends (met or not, with the
/// attempts it made), so the host's line shows the wait and the recap's time includes it.
fn waited<T>(ctx: &Ctx, what: &str, f: impl FnOnce() -> (RhaiResult<T>, i64)) -> RhaiResult<T> {
    let started = Instant::now();
    ctx.emit(Event::WaitStart {
        host: current_host(),
        task: current_tasks(),
        what: what.to_string(),
    });
    let (r, attempts) = f();
    ctx.emit(Event::WaitEnd {
        host: current_host(),
        task: current_tasks(),
        what: what.to_string(),
        ok: r.is_ok(),
        attempts,
        duration: started.elapsed().as_secs_f64(),
    });
    r
}

fn attempts_of<T>(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    o: &RetryOpts,
    used: &mut i64,
    attempt: &mut impl FnMut(i64) -> RhaiResult<Result<T, String>>,
    headline: impl FnOnce(i64) -> String,
) -> RhaiResult<T> {
    let attempts = o.retries + 1;
    let mut outcomes = Vec::new();
    for n in 1..=attempts {
        *used = n;
        let outcome = match attempt(n)? {
            Ok(v) => return Ok(v),
            Err(outcome) => outcome,
        };
        outcomes.push(format!("attempt {n}: {outcome}"));
        if n < attempts {
            ctx.emit(Event::Retry {
                host: current_host(),
                task: current_tasks(),
                attempt: n,
                attempts,
                outcome,
                delay: o.delay.as_secs_f64(),
            });
            sleep_cancellable(ctx, o.delay).map_err(|e| at(nctx, e))?;
        }
    }
    Err(at(
        nctx,
        format!("{}:\n  {}", headline(attempts), outcomes.join("\n  ")),
    ))
}

/// The until loop behind `retry`. `condition` None means "the action did not raise".
fn retry(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    opts: &Map,
    action: &FnPtr,
    condition: Option<&FnPtr>,
) -> RhaiResult<Dynamic> {
    let o = retry_opts(opts, "retry", crate::options::RETRY).map_err(|e| at(nctx, e))?;
    with_attempts(
        ctx,
        nctx,
        "retry",
        &o,
        |_| match action.call_within_context::<Dynamic>(nctx, ()) {
            Err(e) if is_cancel(ctx) => Err(e),
            Err(e) => Ok(Err(format!("error: {}", short_error(&e)))),
            Ok(v) => {
                let met = match condition {
                    None => true,
                    Some(c) => {
                        let r: Dynamic = c.call_within_context(nctx, (v.clone(),))?;
                        r.as_bool().map_err(|_| {
                            at(
                                nctx,
                                format!(
                                    "the retry condition must return true or false, got {}",
                                    type_of(&r)
                                ),
                            )
                        })?
                    }
                };
                Ok(if met { Ok(v) } else { Err(describe(ctx, &v)) })
            }
        },
        |attempts| {
            format!(
                "gave up after {attempts} attempts (retries: {}, delay: {}s)",
                o.retries,
                o.delay.as_secs_f64()
            )
        },
    )
}

/// Run the blocking `f` (an HTTP request, a TCP connect) on a thread of its own and wait
/// for it, or stop waiting at once when the run is cancelled: a server that accepts and
/// never answers must not hold Ctrl-C until the request's own timeout. An abandoned
/// thread ends at that timeout.
fn cancellable<T: Send + 'static>(
    ctx: &Ctx,
    f: impl FnOnce() -> T + Send + 'static,
) -> OrMessage<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    let cancel = ctx.cancel();
    ctx.block_on(async move {
        tokio::select! {
            r = rx => r.map_err(|_| "the request ended without an answer".to_string()),
            _ = cancel.cancelled() => Err("interrupted: the run was cancelled".to_string()),
        }
    })
}

fn wait_http(ctx: &Ctx, nctx: &NativeCallContext, url: &str, opts: &Map) -> RhaiResult<Map> {
    let o = retry_opts(opts, "wait_http", crate::options::WAIT_HTTP).map_err(|e| at(nctx, e))?;
    let want = match opts.get("status") {
        None => 200,
        Some(v) => v
            .as_int()
            .map_err(|_| at(nctx, "option `status` must be an int"))?,
    };
    let timeout = match opts.get("timeout") {
        None => Duration::from_secs(5),
        Some(v) => seconds(v, "timeout").map_err(|e| at(nctx, e))?,
    };
    let contains = match opts.get("contains") {
        None => None,
        Some(v) => Some(text_of(v, "option `contains`").map_err(|e| at(nctx, e))?),
    };
    let insecure = opts
        .get("insecure")
        .map(|v| v.as_bool().unwrap_or(false))
        .unwrap_or(false);
    let mut tls = ureq::tls::TlsConfig::builder();
    if insecure {
        tls = tls.disable_verification(true);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls.build())
        .build()
        .into();
    with_attempts(
        ctx,
        nctx,
        &format!("wait_http {url}"),
        &o,
        |attempt| {
            let (a, u) = (agent.clone(), url.to_string());
            let answer = cancellable(ctx, move || {
                a.get(&u).call().map(|mut resp| {
                    let status = resp.status().as_u16() as i64;
                    (status, resp.body_mut().read_to_string().unwrap_or_default())
                })
            })
            .map_err(|e| at(nctx, e))?;
            Ok(match answer {
                Err(e) => Err(format!("error: {e}")),
                Ok((status, body)) => {
                    let body_ok = contains.as_ref().is_none_or(|c| body.contains(c.as_str()));
                    if status == want && body_ok {
                        let mut m = Map::new();
                        m.insert("status".into(), status.into());
                        m.insert("body".into(), body.into());
                        m.insert("attempts".into(), attempt.into());
                        Ok(m)
                    } else if status != want {
                        Err(format!("status {status}, want {want}"))
                    } else {
                        Err(format!(
                            "status {status}, body lacks {:?}",
                            contains.clone().unwrap_or_default()
                        ))
                    }
                }
            })
        },
        |attempts| format!("{url} not ready after {attempts} attempts"),
    )
}

fn wait_port(ctx: &Ctx, host: &str, port: i64, timeout: Duration) -> OrMessage<()> {
    let port = u16::try_from(port).map_err(|_| format!("port {port} is out of range"))?;
    let deadline = Instant::now() + timeout;
    let mut last;
    loop {
        last = match (host, port).to_socket_addrs() {
            Err(e) => format!("cannot resolve {host}: {e}"),
            Ok(addrs) => {
                let mut err = String::from("no address");
                for a in addrs {
                    let left = deadline
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(50));
                    let t = left.min(Duration::from_secs(2));
                    match cancellable(ctx, move || TcpStream::connect_timeout(&a, t))? {
                        Ok(_) => return Ok(()),
                        Err(e) => err = e.to_string(),
                    }
                }
                err
            }
        };
        if Instant::now() >= deadline {
            break;
        }
        sleep_cancellable(
            ctx,
            Duration::from_millis(100).min(deadline - Instant::now()),
        )?;
    }
    Err(format!(
        "{host}:{port} did not accept connections within {}s (last error: {last})",
        timeout.as_secs_f64()
    ))
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_fn(
        "retry",
        move |nctx: NativeCallContext, opts: Map, action: FnPtr, cond: FnPtr| {
            retry(&c, &nctx, &opts, &action, Some(&cond))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "retry",
        move |nctx: NativeCallContext, opts: Map, action: FnPtr| {
            retry(&c, &nctx, &opts, &action, None)
        },
    );
    let c = ctx.clone();
    engine.register_fn("wait_http", move |nctx: NativeCallContext, url: &str| {
        wait_http(&c, &nctx, url, &Map::new())
    });
    let c = ctx.clone();
    engine.register_fn(
        "wait_http",
        move |nctx: NativeCallContext, url: &str, opts: Map| wait_http(&c, &nctx, url, &opts),
    );
    let c = ctx.clone();
    engine.register_fn(
        "wait_port",
        move |nctx: NativeCallContext,
              host: &str,
              port: i64,
              timeout: Dynamic|
              -> RhaiResult<bool> {
            let t = seconds(&timeout, "timeout").map_err(|e| at(&nctx, e))?;
            waited(&c, &format!("wait_port {host}:{port}"), || {
                (wait_port(&c, host, port, t).map_err(|e| at(&nctx, e)), 1)
            })?;
            Ok(true)
        },
    );
}
