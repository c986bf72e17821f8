//! Files on hosts: `h.put`, `h.read`, `h.exists`, `h.line_in_file`, `h.which`. Built from
//! plain POSIX commands over the host's transport, so they behave the same locally and
//! over SSH. Writes are atomic (a temp file in the same directory, then rename) and report
//! `changed` only when content, mode or owner actually changed.

use super::errors::{at, type_of, RhaiResult};
use super::shell::{exec_quiet, text_of, OpError};
use crate::context::{current_tasks, Ctx};
use crate::host::Host;
use crate::report::Event;
use crate::transport::{ExecRequest, Program};
use rhai::{Dynamic, Engine, Map, NativeCallContext};
use std::sync::Arc;

const PROBE: &str = r#"p=$1
if [ -d "$p" ]; then echo dir; exit 0; fi
if [ -e "$p" ]; then stat -c 'file %a %U %G' -- "$p" && exec cat -- "$p"; fi
echo absent"#;

const WRITE: &str = r#"set -e
p=$1; mode=$2; owner=$3; group=$4
d=$(dirname -- "$p")
[ -d "$d" ] || { echo "directory $d does not exist" >&2; exit 3; }
t=$(mktemp "$d/.rb-put.XXXXXX")
trap 'rm -f "$t"' EXIT
cat > "$t"
if [ -e "$p" ]; then chmod --reference="$p" "$t"; chown --reference="$p" "$t"; else chmod 0644 "$t"; fi
[ -z "$mode" ] || chmod "$mode" "$t"
[ -z "$owner" ] || chown "$owner" "$t"
[ -z "$group" ] || chgrp "$group" "$t"
mv -f "$t" "$p"
trap - EXIT"#;

/// What is at a path now.
enum Current {
    Absent,
    Dir,
    File {
        mode: String,
        owner: String,
        group: String,
        content: Vec<u8>,
    },
}

fn script(body: &str, args: &[&str]) -> ExecRequest {
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), body.into(), "rb".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    ExecRequest::new(Program::Argv(argv))
}

fn probe(ctx: &Ctx, host: &Host, path: &str) -> Result<Current, OpError> {
    let out = exec_quiet(ctx, host, &script(PROBE, &[path]))?;
    if out.rc != 0 {
        return Err(format!(
            "cannot read {path} on {}: {}",
            host.name,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let nl = out
        .stdout
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(out.stdout.len());
    let first = String::from_utf8_lossy(&out.stdout[..nl]).into_owned();
    let rest = out.stdout.get(nl + 1..).unwrap_or_default().to_vec();
    let mut f = first.split(' ');
    Ok(match f.next() {
        Some("dir") => Current::Dir,
        Some("file") => Current::File {
            mode: f.next().unwrap_or("").to_string(),
            owner: f.next().unwrap_or("").to_string(),
            group: f.next().unwrap_or("").to_string(),
            content: rest,
        },
        _ => Current::Absent,
    })
}

/// Options of `put` (and `line_in_file`).
#[derive(Default)]
struct PutOpts {
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
    create: bool,
}

fn normalize_mode(m: &str) -> String {
    let t = m.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.to_string()
    }
}

fn put_opts(opts: &Map, allow_create: bool) -> Result<PutOpts, String> {
    let mut o = PutOpts::default();
    for (k, v) in opts {
        match k.as_str() {
            "mode" => {
                // 0o644 is an int in Rhai; "0644" a string. Both mean octal.
                let m = if let Ok(i) = v.as_int() {
                    format!("{i:o}")
                } else {
                    text_of(v, "option `mode`")?
                };
                if m.is_empty() || !m.chars().all(|c| c.is_digit(8)) {
                    return Err(format!(
                        "option `mode` must be octal like \"0644\" or 0o644, got {m:?}"
                    ));
                }
                o.mode = Some(normalize_mode(&m));
            }
            "owner" => o.owner = Some(text_of(v, "option `owner`")?),
            "group" => o.group = Some(text_of(v, "option `group`")?),
            "create" if allow_create => {
                o.create = v.as_bool().map_err(|_| {
                    format!("option `create` must be true or false, got {}", type_of(v))
                })?
            }
            other => {
                let known = if allow_create {
                    "mode, owner, group, create"
                } else {
                    "mode, owner, group"
                };
                return Err(format!("unknown option `{other}`; known options: {known}"));
            }
        }
    }
    Ok(o)
}

/// Make `path` hold `content` (and the mode/owner asked for). Returns whether it changed.
fn ensure(
    ctx: &Ctx,
    host: &Host,
    path: &str,
    content: &[u8],
    current: Current,
    o: &PutOpts,
) -> Result<bool, OpError> {
    let (old, same) = match &current {
        Current::Dir => return Err(format!("{path} on {} is a directory", host.name).into()),
        Current::Absent => (None, false),
        Current::File {
            mode,
            owner,
            group,
            content: old,
        } => {
            let same = old == content
                && o.mode.as_ref().is_none_or(|m| *m == normalize_mode(mode))
                && o.owner.as_ref().is_none_or(|u| u == owner)
                && o.group.as_ref().is_none_or(|g| g == group);
            (Some(old.as_slice()), same)
        }
    };
    let shown = format!("put {path}");
    if same {
        ctx.emit(Event::CmdResult {
            host: host.name.to_string(),
            task: current_tasks(),
            cmd: shown,
            rc: 0,
            ok: true,
            changed: false,
            skipped: false,
            duration: 0.0,
        });
        return Ok(false);
    }
    let diff = ctx.diff.then(|| {
        match (
            std::str::from_utf8(old.unwrap_or_default()),
            std::str::from_utf8(content),
        ) {
            (Ok(a), Ok(b)) => similar::TextDiff::from_lines(a, b)
                .unified_diff()
                .header(&format!("{path} (before)"), &format!("{path} (after)"))
                .to_string(),
            _ => format!("binary content of {path} differs\n"),
        }
    });
    if !ctx.check_mode {
        let mut req = script(
            WRITE,
            &[
                path,
                o.mode.as_deref().unwrap_or(""),
                o.owner.as_deref().unwrap_or(""),
                o.group.as_deref().unwrap_or(""),
            ],
        );
        req.stdin = Some(content.to_vec());
        let out = exec_quiet(ctx, host, &req)?;
        if out.rc != 0 {
            return Err(format!(
                "cannot write {path} on {}: {}",
                host.name,
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
    }
    ctx.emit(Event::FileChanged {
        host: host.name.to_string(),
        task: current_tasks(),
        path: path.to_string(),
        diff,
    });
    ctx.emit(Event::CmdResult {
        host: host.name.to_string(),
        task: current_tasks(),
        cmd: shown,
        rc: 0,
        ok: true,
        changed: true,
        skipped: false,
        duration: 0.0,
    });
    Ok(true)
}

fn put(ctx: &Ctx, host: &Host, path: &str, content: &Dynamic, opts: &Map) -> Result<Map, OpError> {
    // Text, or a blob for binary files.
    let content = match content.read_lock::<rhai::Blob>() {
        Some(b) => b.clone(),
        None => text_of(content, "the content")?.into_bytes(),
    };
    let o = put_opts(opts, false)?;
    let current = probe(ctx, host, path)?;
    let changed = ensure(ctx, host, path, &content, current, &o)?;
    let mut m = Map::new();
    m.insert("changed".into(), changed.into());
    m.insert("path".into(), path.into());
    Ok(m)
}

fn line_in_file(
    ctx: &Ctx,
    host: &Host,
    path: &str,
    pattern: &str,
    line: &str,
    opts: &Map,
) -> Result<bool, OpError> {
    let re = super::regex::compile(pattern)?;
    let o = put_opts(opts, true)?;
    let current = probe(ctx, host, path)?;
    let old = match &current {
        Current::File { content, .. } => String::from_utf8_lossy(content).into_owned(),
        Current::Dir => return Err(format!("{path} on {} is a directory", host.name).into()),
        Current::Absent if o.create => String::new(),
        Current::Absent => {
            return Err(format!(
                "{path} does not exist on {} (pass #{{create: true}} to create it)",
                host.name
            )
            .into())
        }
    };
    let mut lines: Vec<&str> = old.lines().collect();
    // The last matching line is replaced (Ansible's lineinfile); otherwise the line is
    // appended unless it is already there.
    match lines.iter().rposition(|l| re.is_match(l)) {
        Some(i) => lines[i] = line,
        None if lines.contains(&line) => {}
        None => lines.push(line),
    }
    let mut new = lines.join("\n");
    if !new.is_empty() {
        new.push('\n');
    }
    ensure(ctx, host, path, new.as_bytes(), current, &o)
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_fn(
        "put",
        move |nctx: NativeCallContext,
              h: &mut Host,
              path: &str,
              content: Dynamic|
              -> RhaiResult<Map> {
            put(&c, h, path, &content, &Map::new()).map_err(|e| e.raise(&nctx))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "put",
        move |nctx: NativeCallContext,
              h: &mut Host,
              path: &str,
              content: Dynamic,
              opts: Map|
              -> RhaiResult<Map> {
            put(&c, h, path, &content, &opts).map_err(|e| e.raise(&nctx))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "line_in_file",
        move |nctx: NativeCallContext,
              h: &mut Host,
              path: &str,
              re: &str,
              line: &str|
              -> RhaiResult<bool> {
            line_in_file(&c, h, path, re, line, &Map::new()).map_err(|e| e.raise(&nctx))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "line_in_file",
        move |nctx: NativeCallContext,
              h: &mut Host,
              path: &str,
              re: &str,
              line: &str,
              opts: Map|
              -> RhaiResult<bool> {
            line_in_file(&c, h, path, re, line, &opts).map_err(|e| e.raise(&nctx))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "read",
        move |nctx: NativeCallContext, h: &mut Host, path: &str| -> RhaiResult<String> {
            match probe(&c, h, path).map_err(|e| e.raise(&nctx))? {
                Current::File { content, .. } => Ok(String::from_utf8_lossy(&content).into_owned()),
                Current::Dir => Err(at(&nctx, format!("{path} on {} is a directory", h.name))),
                Current::Absent => Err(at(&nctx, format!("{path} does not exist on {}", h.name))),
            }
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "exists",
        move |nctx: NativeCallContext, h: &mut Host, path: &str| -> RhaiResult<bool> {
            let req =
                ExecRequest::new(Program::Argv(vec!["test".into(), "-e".into(), path.into()]));
            Ok(exec_quiet(&c, h, &req).map_err(|e| e.raise(&nctx))?.rc == 0)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "which",
        move |nctx: NativeCallContext, h: &mut Host, cmd: &str| -> RhaiResult<Dynamic> {
            let out = exec_quiet(&c, h, &script(r#"command -v -- "$1""#, &[cmd]))
                .map_err(|e| e.raise(&nctx))?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            Ok(if out.rc == 0 && !path.is_empty() {
                path.into()
            } else {
                Dynamic::UNIT
            })
        },
    );
}
