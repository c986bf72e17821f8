//! Commands: `sh(cmd, opts)` and `host.sh(cmd, opts)`, and the CmdResult they return.

use crate::context::{reported_host, Ctx};
use crate::failure::CommandFailure;
use crate::host::Host;
use crate::raise::{at, at_fault, type_of, OrMessage, RhaiResult};
use crate::tasks::current_tasks;
use rb_core::report::Event;
use rb_core::transport::{ExecError, ExecRequest, Program};
use rhai::{Array, Dynamic, Engine, FnPtr, Map, NativeCallContext};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of a command, as runbooks see it.
#[derive(Debug, Clone, Default)]
pub struct CmdResult {
    /// The command as shown to people (`<hidden by no_log>` under `no_log`).
    pub cmd: String,
    /// Standard output (invalid UTF-8 replaced; see `stdout_raw`). Shared, not copied, by
    /// every `r.stdout` a runbook reads: outputs can be hundreds of megabytes.
    pub stdout: rhai::ImmutableString,
    /// The exact bytes, kept only when stdout was not valid UTF-8 (then `stdout` is lossy).
    pub stdout_raw: Option<Arc<[u8]>>,
    /// Standard error.
    pub stderr: rhai::ImmutableString,
    /// Exit status (-1 when it never ran to the end).
    pub rc: i64,
    /// rc 0, or not `failed_if`.
    pub ok: bool,
    /// Whether it counts as a change (see `changed`, `changed_if`, `check_mode`).
    pub changed: bool,
    /// Not run: check mode.
    pub skipped: bool,
    /// Seconds.
    pub duration: f64,
    /// Run with `no_log`: its output is never shown (retry outcomes, debug printing).
    pub no_log: bool,
}

impl fmt::Display for CmdResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stdout)
    }
}

#[derive(Default)]
struct CmdOpts {
    timeout: Option<Duration>,
    env: Vec<(String, String)>,
    cwd: Option<String>,
    stdin: Option<String>,
    become_: crate::host::privilege::BecomeOpt,
    check: bool,
    no_log: bool,
    changed_if: Option<FnPtr>,
    failed_if: Option<FnPtr>,
    changed: Option<bool>,
    check_mode: bool,
    shell: Option<String>,
}

/// The text of a string or a secret; anything else is an error naming `what`.
pub fn text_of(v: &Dynamic, what: &str) -> OrMessage<String> {
    if let Some(u) = v.read_lock::<crate::host::Unrendered>() {
        return Err(u.why.clone());
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        if let Some(why) = rb_core::report::unrendered_reason(&s) {
            return Err(why);
        }
        return Ok(s.to_string());
    }
    if let Some(s) = v.read_lock::<rb_core::report::Secret>() {
        return Ok(s.reveal().to_string());
    }
    if v.is_int() || v.is_float() || v.is_bool() {
        return Ok(v.to_string());
    }
    Err(format!("{what} must be a string, got {}", type_of(v)))
}

fn bool_opt(v: &Dynamic, key: &str) -> OrMessage<bool> {
    v.as_bool()
        .map_err(|_| format!("option `{key}` must be true or false, got {}", type_of(v)))
}

/// Seconds given as an int or a float.
pub fn seconds(v: &Dynamic, key: &str) -> OrMessage<Duration> {
    let secs = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(format!(
            "option `{key}` must be a number of seconds, got {}",
            type_of(v)
        ));
    };
    if !(0.0..=1e9).contains(&secs) {
        return Err(format!("option `{key}` must be between 0 and 1e9 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_opts(opts: &Map) -> OrMessage<CmdOpts> {
    crate::options::check_known(opts, "sh", crate::options::SH)?;
    let mut o = CmdOpts {
        check: true,
        ..Default::default()
    };
    for (key, v) in opts {
        match key.as_str() {
            "timeout" => o.timeout = Some(seconds(v, key)?),
            "env" => {
                let m = v
                    .read_lock::<Map>()
                    .ok_or_else(|| format!("option `env` must be a map, got {}", type_of(v)))?;
                for (k, val) in m.iter() {
                    if !rb_core::transport::is_env_name(k) {
                        return Err(format!(
                            "option `env`: {k:?} is not a variable name (letters, digits and _, not starting with a digit)"
                        ));
                    }
                    o.env
                        .push((k.to_string(), text_of(val, &format!("env.{k}"))?));
                }
            }
            "cwd" => o.cwd = Some(text_of(v, "option `cwd`")?),
            "stdin" => o.stdin = Some(text_of(v, "option `stdin`")?),
            "shell" => o.shell = Some(text_of(v, "option `shell`")?),
            "sudo" | "become" | "become_user" => {
                o.become_.take(key, v)?;
            }
            "check" => o.check = bool_opt(v, key)?,
            "no_log" => o.no_log = bool_opt(v, key)?,
            "check_mode" => o.check_mode = bool_opt(v, key)?,
            "changed" => o.changed = Some(bool_opt(v, key)?),
            "changed_if" | "failed_if" => {
                let f = v.clone().try_cast::<FnPtr>().ok_or_else(|| {
                    format!(
                        "option `{key}` must be a closure like |r| r.rc == 2, got {}",
                        type_of(v)
                    )
                })?;
                if key == "changed_if" {
                    o.changed_if = Some(f);
                } else {
                    o.failed_if = Some(f);
                }
            }
            _ => {} // checked above
        }
    }
    Ok(o)
}

/// A string runs through the shell; an array runs as argv with no shell at all.
pub fn program_of(cmd: &Dynamic) -> OrMessage<Program> {
    if let Some(arr) = cmd.read_lock::<Array>() {
        if arr.is_empty() {
            return Err("the command array is empty".into());
        }
        let argv = arr
            .iter()
            .enumerate()
            .map(|(i, a)| text_of(a, &format!("command array element {i}")))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Program::Argv(argv));
    }
    let s = text_of(cmd, "the command").map_err(|e| {
        if cmd.is_string() || cmd.is::<crate::host::Unrendered>() {
            // A variable that could not be rendered: its why.
            return e;
        }
        format!(
            "a command must be a string or an array of strings, got {}",
            type_of(cmd)
        )
    })?;
    if s.trim().is_empty() {
        return Err("the command is empty".into());
    }
    Ok(Program::Shell(s))
}

/// The last lines of stderr, for error messages.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|l| {
            let l = l.trim_end();
            if l.chars().count() > 300 {
                format!("{}…", l.chars().take(300).collect::<String>())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A command's bytes as a Rhai string, invalid UTF-8 replaced; valid text is not copied
/// on the way to a `String`.
fn text(bytes: Vec<u8>) -> rhai::ImmutableString {
    match String::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned().into(),
    }
}

/// A failed operation of rb's own (the file functions): what went wrong, and the command
/// failure behind it when a command failed (so an unreachable host is reported as
/// unreachable).
#[derive(Debug)]
pub struct OpError {
    pub message: String,
    pub failure: Option<CommandFailure>,
}

impl From<String> for OpError {
    fn from(message: String) -> Self {
        OpError {
            message,
            failure: None,
        }
    }
}

impl From<CommandFailure> for OpError {
    fn from(f: CommandFailure) -> Self {
        OpError {
            message: f.to_string(),
            failure: Some(f),
        }
    }
}

impl OpError {
    /// The runbook error for this failure, at the current call.
    pub fn raise(self, nctx: &NativeCallContext) -> Box<rhai::EvalAltResult> {
        match self.failure.and_then(|f| f.fault) {
            Some(f) => at_fault(nctx, self.message, f),
            None => at(nctx, self.message),
        }
    }

    /// The transport's failure behind this one, if that is why.
    pub fn exec_error(&self) -> Option<&ExecError> {
        self.failure.as_ref().and_then(CommandFailure::exec_error)
    }
}

/// Run a helper command for rb itself (file operations): no events.
pub fn exec_quiet(
    ctx: &Ctx,
    host: &Host,
    req: &ExecRequest,
) -> Result<rb_core::transport::ExecOutput, OpError> {
    if ctx.is_cancelled() {
        return Err("interrupted: the run was cancelled".to_string().into());
    }
    ctx.block_on(host.transport.exec(req, &ctx.cancel()))
        .map_err(|e| CommandFailure::transport(ctx, &host.name, &req.program.display(), e).into())
}

/// Run `req` on `host` as a command people see: `cmd_start`, then on a transport failure
/// `cmd_result` with rc -1. On success the caller emits `cmd_result` once it has judged
/// the output (`failed_if`, `changed_if`). Shared by `sh` and `rb exec`.
pub fn exec_with_events(
    ctx: &Ctx,
    host: &Host,
    host_name: &str,
    task: &[String],
    shown: &str,
    req: &ExecRequest,
) -> Result<(rb_core::transport::ExecOutput, f64), ExecError> {
    ctx.emit(Event::CmdStart {
        host: host_name.to_string(),
        task: task.to_vec(),
        cmd: shown.to_string(),
    });
    let started = Instant::now();
    let out = ctx.block_on(host.transport.exec(req, &ctx.cancel()));
    let duration = started.elapsed().as_secs_f64();
    out.map(|o| (o, duration)).inspect_err(|_| {
        ctx.emit(Event::CmdResult {
            host: host_name.to_string(),
            task: task.to_vec(),
            cmd: shown.to_string(),
            rc: -1,
            ok: false,
            changed: false,
            skipped: false,
            duration,
            checked: true,
        });
    })
}

/// Run `cmd` on `host` with `opts`: the one implementation behind every `sh`.
pub fn run(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    host: &Host,
    cmd: &Dynamic,
    opts: &Map,
) -> RhaiResult<CmdResult> {
    let program = program_of(cmd).map_err(|e| at(nctx, e))?;
    let o = parse_opts(opts).map_err(|e| at(nctx, e))?;
    let become_ = crate::host::privilege::resolve(&ctx.become_defaults, host, &o.become_)
        .map_err(|e| at(nctx, e))?;
    let shown = if o.no_log {
        "<hidden by no_log>".to_string()
    } else {
        program.display()
    };
    let host_name = reported_host(host);
    let task = current_tasks();

    if ctx.check_mode && !o.check_mode {
        ctx.emit(Event::would_run(host_name, task, shown.clone()));
        return Ok(CmdResult {
            cmd: shown,
            ok: true,
            skipped: true,
            ..Default::default()
        });
    }
    if ctx.is_cancelled() {
        return Err(at(nctx, "interrupted: the run was cancelled"));
    }

    let mut req = ExecRequest::new(program);
    req.max_output = ctx.max_output;
    req.output_pool = ctx.output_pool.clone();
    req.env = o.env;
    req.cwd = o.cwd;
    req.stdin = o.stdin.map(String::into_bytes);
    req.timeout = o.timeout;
    req.become_ = become_;
    if let Some(sh) = o.shell {
        req.shell = sh;
    }

    let (out, duration) = match exec_with_events(ctx, host, &host_name, &task, &shown, &req) {
        Ok(r) => r,
        Err(e) => return Err(CommandFailure::transport(ctx, &host_name, &shown, e).raise(nctx)),
    };

    let mut result = CmdResult {
        cmd: shown.clone(),
        stdout_raw: std::str::from_utf8(&out.stdout)
            .is_err()
            .then(|| out.stdout.as_slice().into()),
        stdout: text(out.stdout),
        stderr: text(out.stderr),
        rc: out.rc,
        ok: out.rc == 0,
        changed: o.changed.unwrap_or(!o.check_mode),
        skipped: false,
        duration,
        no_log: o.no_log,
    };
    if let Some(f) = &o.failed_if {
        let failed: bool = f.call_within_context(nctx, (result.clone(),))?;
        result.ok = !failed;
    }
    if let Some(f) = &o.changed_if {
        result.changed = f.call_within_context(nctx, (result.clone(),))?;
    }
    let output_task = (ctx.verbosity >= 1 && !o.no_log).then(|| task.clone());
    ctx.emit(Event::CmdResult {
        host: host_name.clone(),
        task,
        cmd: shown.clone(),
        rc: result.rc,
        ok: result.ok,
        changed: result.changed,
        skipped: false,
        duration,
        checked: o.check,
    });
    // -v: what the command printed, under its line (never for no_log commands).
    if let Some(task) = output_task {
        ctx.emit(Event::CmdOutput {
            host: host_name.clone(),
            task,
            cmd: shown.clone(),
            stdout: result.stdout.to_string(),
            stderr: result.stderr.to_string(),
        });
    }
    if !result.ok && o.check {
        let mut failure = CommandFailure::exit(ctx, &host_name, &shown, result.rc);
        // Redact before cutting: a cut can split a secret past recognition.
        failure.stderr_tail = (!o.no_log).then(|| tail(&ctx.secrets().redact(&result.stderr), 5));
        failure.hint = Some(
            if req.become_.as_ref().is_some_and(|b| b.password.is_none())
                && result.stderr.contains("sudo: a password is required")
            {
                "sudo wants a password on this host: run with -K (or --become-password-file FILE), or set ansible_become_password in the inventory"
            } else if req.become_.is_some()
                && result.rc == 127
                && result.stderr.contains("sudo")
                && result.stderr.contains("not found")
            {
                "become runs commands through sudo, and this host has none: install sudo, or run without become"
            } else {
                "pass #{check: false} to handle a failure yourself"
            }
            .to_string(),
        );
        return Err(failure.raise(nctx));
    }
    Ok(result)
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    engine
        .register_type_with_name::<CmdResult>("CmdResult")
        .register_get("stdout", |r: &mut CmdResult| r.stdout.clone())
        .register_get("stderr", |r: &mut CmdResult| r.stderr.clone())
        .register_get("stdout_bytes", |r: &mut CmdResult| -> rhai::Blob {
            match &r.stdout_raw {
                Some(b) => b.to_vec(),
                None => r.stdout.as_bytes().to_vec(),
            }
        })
        .register_get("out", |r: &mut CmdResult| r.stdout.trim().to_string())
        .register_get("err", |r: &mut CmdResult| r.stderr.trim().to_string())
        .register_get("rc", |r: &mut CmdResult| r.rc)
        .register_get("ok", |r: &mut CmdResult| r.ok)
        .register_get("changed", |r: &mut CmdResult| r.changed)
        .register_get("skipped", |r: &mut CmdResult| r.skipped)
        .register_get("duration", |r: &mut CmdResult| r.duration)
        .register_get("cmd", |r: &mut CmdResult| r.cmd.clone())
        .register_fn("lines", |r: &mut CmdResult| -> Array {
            r.stdout
                .lines()
                .map(|l| Dynamic::from(l.to_string()))
                .collect()
        })
        .register_fn("json", |nctx: NativeCallContext, r: &mut CmdResult| {
            crate::value::parse(&r.stdout)
                .map_err(|e| at(&nctx, format!("stdout of `{}` is not JSON: {e}", r.cmd)))
        })
        .register_fn("to_string", |r: &mut CmdResult| r.stdout.clone())
        .register_fn("to_debug", |r: &mut CmdResult| {
            if r.no_log {
                format!("CmdResult(rc={}, output hidden by no_log)", r.rc)
            } else {
                format!("CmdResult(rc={}, stdout={:?})", r.rc, r.stdout)
            }
        });

    let c = ctx.clone();
    engine.register_fn("sh", move |nctx: NativeCallContext, cmd: Dynamic| {
        run(&c, &nctx, &c.local, &cmd, &Map::new())
    });
    let c = ctx.clone();
    engine.register_fn(
        "sh",
        move |nctx: NativeCallContext, cmd: Dynamic, opts: Map| {
            run(&c, &nctx, &c.local, &cmd, &opts)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "sh",
        move |nctx: NativeCallContext, h: &mut Host, cmd: Dynamic| {
            run(&c, &nctx, h, &cmd, &Map::new())
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "sh",
        move |nctx: NativeCallContext, h: &mut Host, cmd: Dynamic, opts: Map| {
            run(&c, &nctx, h, &cmd, &opts)
        },
    );
}
