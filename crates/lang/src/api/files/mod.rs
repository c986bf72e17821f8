//! Files on hosts: `h.put`, `h.read`, `h.exists`, `h.line_in_file`, `h.which`. Built from
//! plain POSIX commands over the host's transport, so they behave the same locally and
//! over SSH. Writes are atomic (a temp file in the same directory, then rename) and report
//! `changed` only when content, mode or owner actually changed.

mod probe;

use super::shell::{exec_quiet, text_of, OpError};
use crate::context::Ctx;
use crate::host::{privilege, Host};
use crate::raise::{at, type_of, OrMessage, RhaiResult};
use crate::tasks::current_tasks;
use probe::{a_directory, host_become, not_regular, probe, read_file, script, Current};
use rb_core::report::Event;
use rb_core::transport::{Become, ExecRequest, Program};
use rhai::{Dynamic, Engine, Map, NativeCallContext};
use std::sync::Arc;

/// Write stdin to $1 atomically: a temp file beside the target, its size checked against
/// $5 (what rb sent: a sender that died mid-way leaves the target untouched), owner and
/// group before the mode (chown clears setuid/setgid, so the mode, kept or given, goes
/// last), flushed to disk, then renamed over the target. A symlink there is replaced, so
/// its target's owner and mode are not taken. The temp file goes on any error or signal.
/// Paths and owners never reach a command as options.
const WRITE: &str = r#"set -e
p=$1; mode=$2; owner=$3; group=$4; size=$5
d=$(dirname -- "$p")
[ -d "$d" ] || { echo "directory $d does not exist" >&2; exit 3; }
t=$(mktemp -- "$d/.rb-put.XXXXXX")
trap 'rm -f -- "$t"' EXIT
trap 'exit 130' INT TERM HUP PIPE
cat > "$t"
n=$(wc -c < "$t")
[ "$n" -eq "$size" ] || { echo "received $n of $size bytes; $p left unchanged" >&2; exit 4; }
old=; [ -e "$p" ] && [ ! -L "$p" ] && old=$p
[ -z "$old" ] || chown --reference="$old" -- "$t"
[ -z "$owner" ] || chown -- "$owner" "$t"
[ -z "$group" ] || chgrp -- "$group" "$t"
if [ -n "$mode" ]; then chmod -- "$mode" "$t"
elif [ -n "$old" ]; then chmod --reference="$old" -- "$t"
else chmod 0644 -- "$t"; fi
sync -- "$t" 2>/dev/null || sync
mv -f -- "$t" "$p"
trap - EXIT"#;

/// A user or group name as chown takes it: a name or a number, never an option.
fn valid_owner(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-$".contains(c))
}

/// Options of `put` (and `line_in_file`).
#[derive(Default)]
struct PutOpts {
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
    create: bool,
    /// Who reads and writes the file (`become`, `become_user`, the host's settings).
    as_: Option<Become>,
}

fn normalize_mode(m: &str) -> String {
    let t = m.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.to_string()
    }
}

fn put_opts(ctx: &Ctx, host: &Host, opts: &Map, allow_create: bool) -> OrMessage<PutOpts> {
    let (what, known) = if allow_create {
        ("line_in_file", crate::options::LINE_IN_FILE)
    } else {
        ("put", crate::options::PUT)
    };
    crate::options::check_known(opts, what, known)?;
    let mut o = PutOpts::default();
    let mut become_ = privilege::BecomeOpt::default();
    for (k, v) in opts {
        if become_.take(k, v)? {
            continue;
        }
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
            "owner" | "group" => {
                let name = text_of(v, &format!("option `{k}`"))?;
                if !valid_owner(&name) {
                    return Err(format!(
                        "option `{k}` must be a user or group name or number, got {name:?}"
                    ));
                }
                if k == "owner" {
                    o.owner = Some(name);
                } else {
                    o.group = Some(name);
                }
            }
            "create" if allow_create => {
                o.create = v.as_bool().map_err(|_| {
                    format!("option `create` must be true or false, got {}", type_of(v))
                })?
            }
            _ => {} // checked above
        }
    }
    o.as_ = privilege::resolve(&ctx.become_defaults, host, &become_)?;
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
    // A symlink is replaced by the file (as Ansible's copy/template do without `follow`);
    // its "before" is the link itself, never the content of what it points to.
    let link_before;
    let (old, same) = match &current {
        Current::Dir => return Err(a_directory(host, path).into()),
        Current::Special(kind) => return Err(not_regular(host, path, kind).into()),
        Current::Link { to_dir: true, target } => {
            return Err(format!(
                "{path} on {} is a symlink to the directory {target}; give the path of a file (in it, or remove the link first)",
                host.name
            )
            .into())
        }
        Current::Absent => (None, false),
        Current::Link { target, .. } => {
            link_before = format!("symlink to {target}\n").into_bytes();
            (Some(link_before.as_slice()), false)
        }
        Current::File {
            mode,
            owner,
            group,
            content: old,
        } => {
            let same = old == content
                && o.mode.as_ref().is_none_or(|m| *m == normalize_mode(mode))
                && o.owner
                    .as_ref()
                    .is_none_or(|u| *u == owner.0 || *u == owner.1)
                && o.group
                    .as_ref()
                    .is_none_or(|g| *g == group.0 || *g == group.1);
            (Some(old.as_slice()), same)
        }
    };
    let shown = format!("put {path}");
    // Every command result has its start (the spinner shows the write while it runs).
    ctx.emit(Event::CmdStart {
        host: host.name.to_string(),
        task: current_tasks(),
        cmd: shown.clone(),
    });
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
            checked: true,
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
        let size = content.len().to_string();
        let mut req = script(
            WRITE,
            &[
                path,
                o.mode.as_deref().unwrap_or(""),
                o.owner.as_deref().unwrap_or(""),
                o.group.as_deref().unwrap_or(""),
                &size,
            ],
            &o.as_,
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
        checked: true,
    });
    Ok(true)
}

fn put(ctx: &Ctx, host: &Host, path: &str, content: &Dynamic, opts: &Map) -> Result<Map, OpError> {
    // Text, or a blob for binary files.
    let content = match content.read_lock::<rhai::Blob>() {
        Some(b) => b.clone(),
        None => text_of(content, "the content")?.into_bytes(),
    };
    let o = put_opts(ctx, host, opts, false)?;
    let current = probe(ctx, host, path, false, &o.as_)?;
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
    let o = put_opts(ctx, host, opts, true)?;
    let current = probe(ctx, host, path, false, &o.as_)?;
    let old: Vec<u8> = match &current {
        Current::File { content, .. } => content.clone(),
        Current::Dir => return Err(a_directory(host, path).into()),
        Current::Special(kind) => return Err(not_regular(host, path, kind).into()),
        Current::Link { target, .. } => {
            return Err(format!(
                "{path} on {} is a symlink to {target}; give line_in_file the file itself",
                host.name
            )
            .into())
        }
        Current::Absent if o.create => Vec::new(),
        Current::Absent => {
            return Err(format!(
                "{path} does not exist on {} (pass #{{create: true}} to create it)",
                host.name
            )
            .into())
        }
    };
    let new = edit_lines(&old, &re, line);
    ensure(ctx, host, path, &new, current, &o)
}

/// Ansible's lineinfile on bytes: the last line matching `re` becomes `line`, else `line` is
/// appended unless already there. Every other byte stays as it was (encodings, CRLF); the
/// new line ends like the file's lines do.
fn edit_lines(old: &[u8], re: &regex::Regex, line: &str) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = if old.is_empty() {
        Vec::new()
    } else {
        old.split(|&b| b == b'\n').collect()
    };
    if old.ends_with(b"\n") {
        lines.pop();
    }
    let bare = |l: &[u8]| -> String {
        String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned()
    };
    let crlf = old.windows(2).any(|w| w == b"\r\n");
    let mut new_line = line.as_bytes().to_vec();
    if crlf {
        new_line.push(b'\r');
    }
    match lines.iter().rposition(|l| re.is_match(&bare(l))) {
        Some(i) => lines[i] = &new_line,
        None if lines.iter().any(|l| bare(l) == line) => {}
        None => lines.push(&new_line),
    }
    let mut new = lines.join(&b'\n');
    if !new.is_empty() {
        new.push(b'\n');
    }
    new
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
            let bytes = read_file(&c, h, path).map_err(|e| e.raise(&nctx))?;
            // Text only: a lossy read put back would change the file's other bytes.
            String::from_utf8(bytes).map_err(|e| {
                at(
                    &nctx,
                    format!(
                        "{path} on {} is not UTF-8 text (byte {} is not); h.read_bytes(path) gives its exact bytes as a blob, which put writes back unchanged",
                        h.name,
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "read_bytes",
        move |nctx: NativeCallContext, h: &mut Host, path: &str| -> RhaiResult<rhai::Blob> {
            read_file(&c, h, path).map_err(|e| e.raise(&nctx))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "exists",
        move |nctx: NativeCallContext, h: &mut Host, path: &str| -> RhaiResult<bool> {
            let mut req =
                ExecRequest::new(Program::Argv(vec!["test".into(), "-e".into(), path.into()]));
            req.become_ = host_become(&c, h).map_err(|e| at(&nctx, e))?;
            Ok(exec_quiet(&c, h, &req).map_err(|e| e.raise(&nctx))?.rc == 0)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "which",
        move |nctx: NativeCallContext, h: &mut Host, cmd: &str| -> RhaiResult<Dynamic> {
            let out = exec_quiet(&c, h, &script(r#"command -v -- "$1""#, &[cmd], &None))
                .map_err(|e| e.raise(&nctx))?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            // `command -v` prints the path exactly when it finds one.
            Ok(if out.rc == 0 {
                path.into()
            } else {
                Dynamic::UNIT
            })
        },
    );
}

#[cfg(test)]
mod tests {
    use super::{edit_lines, valid_owner, WRITE};
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn write(path: &std::path::Path, size: usize, stdin: &[u8]) -> std::process::Output {
        let mut child = Command::new("/bin/sh")
            .args(["-c", WRITE, "rb"])
            .arg(path)
            .args(["", "", "", &size.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    #[test]
    fn a_short_write_leaves_the_target_and_no_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("conf");
        std::fs::write(&p, "old\n").unwrap();
        // rb said 10 bytes and died after 4: the target keeps its old content.
        let out = write(&p, 10, b"new\n");
        assert_eq!(out.status.code(), Some(4));
        assert!(String::from_utf8_lossy(&out.stderr).contains("received 4 of 10 bytes"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old\n");
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no .rb-put.* left"
        );
        let out = write(&p, 4, b"new\n");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"new\n");
    }

    #[test]
    fn setuid_and_the_mode_survive_a_rewrite() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("tool");
        std::fs::write(&p, "a").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o4751)).unwrap();
        let out = write(&p, 2, b"b\n");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(format!("{mode:o}"), "4751");
    }

    #[test]
    fn paths_that_look_like_options_are_paths() {
        let d = tempfile::tempdir().unwrap();
        for name in ["--help", "-x.conf"] {
            let out = Command::new("/bin/sh")
                .current_dir(d.path())
                .args(["-c", WRITE, "rb", name, "", "", "", "2"])
                .stdin(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    c.stdin.take().unwrap().write_all(b"x\n")?;
                    c.wait_with_output()
                })
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{name}");
            assert_eq!(
                std::fs::read(d.path().join(name)).unwrap(),
                b"x\n",
                "{name}"
            );
        }
        assert!(valid_owner("root") && valid_owner("1000") && valid_owner("svc-etcd"));
        assert!(!valid_owner("--reference=/etc/passwd") && !valid_owner("") && !valid_owner("a b"));
    }

    #[test]
    fn line_in_file_keeps_every_other_byte() {
        let re = regex::Regex::new("^port=").unwrap();
        // CRLF stays CRLF; Latin-1 bytes stay as they were.
        let old = b"name=caf\xe9\r\nport=1\r\n";
        assert_eq!(
            edit_lines(old, &re, "port=2"),
            b"name=caf\xe9\r\nport=2\r\n"
        );
        assert_eq!(edit_lines(b"a\n", &re, "port=2"), b"a\nport=2\n");
        assert_eq!(edit_lines(b"", &re, "port=2"), b"port=2\n");
        assert_eq!(edit_lines(b"port=2\n", &re, "port=2"), b"port=2\n");
        // The line already present, and no line matching: nothing is appended (lineinfile).
        let none = regex::Regex::new("^listen=").unwrap();
        assert_eq!(edit_lines(b"a=1\nb=2\n", &none, "a=1"), b"a=1\nb=2\n");
        assert_eq!(
            edit_lines(b"a=1\r\nb=2\r\n", &none, "a=1"),
            b"a=1\r\nb=2\r\n"
        );
    }
}
