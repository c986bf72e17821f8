//! The everyday functions: `log`, `warn`, `fail`, `sleep`, `env`, `secret`, and the
//! `Host` and `Secret` types as runbooks see them.

use crate::context::{current_host, Ctx};
use crate::host::{Host, Unrendered};
use crate::raise::{at, OrMessage, RhaiResult};
use rb_core::report::{Level, Secret};
use rhai::{Dynamic, Engine, NativeCallContext};
use std::sync::Arc;
use std::time::Duration;

/// Sleep, waking early (with an error) if the run is cancelled.
pub fn sleep_cancellable(ctx: &Ctx, d: Duration) -> OrMessage<()> {
    let cancel = ctx.cancel();
    let cancelled = ctx.block_on(async {
        tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = cancel.cancelled() => true,
        }
    });
    if cancelled {
        Err("interrupted: the run was cancelled".into())
    } else {
        Ok(())
    }
}

/// A value as `log`, `warn` and `fail` print it: as `print` does (through the engine's
/// `to_string`, so arrays, maps and rb's types read as in Rhai, never as Rust type names),
/// a secret as `********`.
fn to_text(nctx: &NativeCallContext, v: &Dynamic) -> String {
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        s.to_string()
    } else if v.is::<Secret>() {
        rb_core::report::REDACTED.to_string()
    } else {
        nctx.call_fn::<rhai::ImmutableString>("to_string", (v.clone(),))
            .map(|s| s.to_string())
            .unwrap_or_else(|_| v.to_string())
    }
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    engine
        .register_type_with_name::<Host>("Host")
        .register_get("name", |h: &mut Host| h.name.to_string())
        .register_get("addr", |h: &mut Host| h.addr.to_string())
        .register_get("vars", |h: &mut Host| Dynamic::from_map((*h.vars).clone()))
        // A per-host setting: -e, then host vars, then group vars (child over parent, as
        // Ansible merges them), then the runbook's default.
        .register_fn(
            "setting",
            |nctx: NativeCallContext,
             h: &mut Host,
             name: &str,
             default: Dynamic|
             -> RhaiResult<Dynamic> {
                match h.vars.get(name) {
                    Some(v) => match v.read_lock::<Unrendered>() {
                        Some(u) => Err(at(&nctx, u.why.clone())),
                        None => Ok(v.clone()),
                    },
                    None => Ok(default),
                }
            },
        )
        .register_fn("to_string", |h: &mut Host| h.name.to_string())
        .register_fn("to_debug", |h: &mut Host| format!("Host({})", h.name))
        .register_fn("==", |a: Host, b: Host| a.name == b.name)
        .register_fn("!=", |a: Host, b: Host| a.name != b.name);

    // A variable whose Jinja could not be rendered fails where it is used, with why (as
    // ansible-core fails where it reads one).
    // Interpolated or joined, it leaves a marker carrying why: a command or file holding one
    // is refused with why, and output shows why in its place (rb_core::report).
    engine
        .register_type_with_name::<Unrendered>("Unrendered")
        .register_fn("to_string", |u: &mut Unrendered| {
            rb_core::report::unrendered_text(&u.why)
        })
        .register_fn("to_debug", |u: &mut Unrendered| {
            rb_core::report::unrendered_text(&u.why)
        })
        .register_fn("+", |a: &str, u: Unrendered| {
            format!("{a}{}", rb_core::report::unrendered_text(&u.why))
        })
        .register_fn("+", |u: Unrendered, b: &str| {
            format!("{}{b}", rb_core::report::unrendered_text(&u.why))
        });

    // A secret joined into text carries its real value, whichever way it is joined (`+`,
    // `+=`, `${}` — Rhai builds the last two with `to_string`), so commands and files get
    // what the runbook means; every way out of rb redacts the value, so it prints as
    // `********` all the same.
    engine
        .register_type_with_name::<Secret>("Secret")
        .register_fn("to_string", |s: &mut Secret| s.reveal().to_string())
        .register_fn("to_debug", |s: &mut Secret| format!("{:?}", s.reveal()))
        .register_fn("reveal", |s: &mut Secret| s.reveal().to_string())
        .register_fn("+", |a: &str, b: Secret| format!("{a}{}", b.reveal()))
        .register_fn("+", |a: Secret, b: &str| format!("{}{b}", a.reveal()))
        .register_fn("+", |a: Secret, b: Secret| {
            format!("{}{}", a.reveal(), b.reveal())
        })
        .register_fn("len", |s: &mut Secret| s.reveal().chars().count() as i64);

    let c = ctx.clone();
    engine.register_fn(
        "secret",
        move |nctx: NativeCallContext, v: Dynamic| -> RhaiResult<Secret> {
            if let Some(s) = v.read_lock::<Secret>() {
                return Ok(s.clone());
            }
            let text = if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
                s.to_string()
            } else if v.is_int() || v.is_float() || v.is_bool() {
                v.to_string()
            } else {
                return Err(at(
                    &nctx,
                    format!(
                        "secret() needs a string, got {} (is the variable set? `-e name=...` or the inventory)",
                        crate::raise::type_of(&v)
                    ),
                ));
            };
            if text.is_empty() {
                return Err(at(
                    &nctx,
                    "secret() of an empty string: is the variable set? (`-e name=...` or the inventory)",
                ));
            }
            if text.chars().count() < rb_core::report::MIN_SECRET_CHARS {
                c.log(
                    Level::Warn,
                    &format!(
                        "a secret shorter than {} characters is hidden only where it stands as a word, not inside other words",
                        rb_core::report::MIN_SECRET_CHARS
                    ),
                );
            }
            Ok(c.secrets().add(&text))
        },
    );

    let c = ctx.clone();
    engine.register_fn("log", move |nctx: NativeCallContext, v: Dynamic| {
        c.log(Level::Info, &to_text(&nctx, &v))
    });
    let c = ctx.clone();
    engine.register_fn("warn", move |nctx: NativeCallContext, v: Dynamic| {
        c.log(Level::Warn, &to_text(&nctx, &v))
    });

    engine.register_fn(
        "fail",
        |nctx: NativeCallContext, v: Dynamic| -> RhaiResult<()> {
            Err(at(&nctx, to_text(&nctx, &v)))
        },
    );

    // Typed overloads too: Rhai's own `sleep(int)`/`sleep(float)` match an exact type before
    // a `Dynamic` one, and Rhai's panics on huge values and ignores Ctrl-C.
    let c = ctx.clone();
    let sleep = move |nctx: NativeCallContext, secs: Dynamic| -> RhaiResult<()> {
        let d = super::shell::seconds(&secs, "seconds").map_err(|e| at(&nctx, e))?;
        sleep_cancellable(&c, d).map_err(|e| at(&nctx, e))
    };
    let s = sleep.clone();
    engine.register_fn("sleep", move |nctx: NativeCallContext, secs: i64| {
        s(nctx, secs.into())
    });
    let s = sleep.clone();
    engine.register_fn("sleep", move |nctx: NativeCallContext, secs: f64| {
        s(nctx, secs.into())
    });
    engine.register_fn("sleep", sleep);

    engine.register_fn("env", |name: &str| -> Dynamic {
        std::env::var(name)
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT)
    });
    engine.register_fn("env", |name: &str, default: Dynamic| -> Dynamic {
        std::env::var(name).map(Dynamic::from).unwrap_or(default)
    });

    engine.register_fn("current_host", current_host);
    let c = ctx.clone();
    engine.register_fn("check_mode", move || c.check_mode);

    // `vars` as a function too, for code that shadows the name.
    let c = ctx.clone();
    engine.register_fn("vars", move || c.vars.clone());
}
