//! Reading what is on a host: one POSIX script tells what is at a path (and gives a
//! regular file's content), bounded in size and time, never blocked by a FIFO or a device.

use super::super::shell::{exec_quiet, OpError};
use crate::context::Ctx;
use crate::host::{privilege, Host};
use crate::raise::OrMessage;
use rb_core::transport::{Become, ExecError, ExecRequest, Program};

/// What is at $1: `link dir|other TARGET` (not followed, with $2 = nofollow), `dir`, `file
/// MODE OWNER GROUP UID GID` then the content, `special KIND` (a FIFO would block `cat`
/// forever, /dev/zero never ends), or `absent`.
const PROBE: &str = r#"p=$1
if [ "$2" = nofollow ] && [ -L "$p" ]; then
  k=other; [ -d "$p" ] && k=dir
  printf 'link %s %s\n' "$k" "$(readlink -- "$p")"; exit 0
fi
if [ -d "$p" ]; then echo dir; exit 0; fi
if [ -f "$p" ]; then stat -c 'file %a %U %G %u %g' -- "$p" && exec cat -- "$p"; fi
if [ -e "$p" ]; then printf 'special %s\n' "$(LC_ALL=C stat -c %F -- "$p")"; exit 0; fi
# Absent, or hidden from this user (a folder it may not enter): only the first is "absent".
case $(LC_ALL=C stat -c %n -- "$p" 2>&1) in *"Permission denied"*) echo "permission denied (as $(id -un))" >&2; exit 1;; esac
echo absent"#;

/// The most rb reads of one file (`read`, and the current content `put` compares with).
pub const READ_LIMIT: usize = 64 << 20;
/// How long reading one file may take.
pub const READ_TIME: std::time::Duration = std::time::Duration::from_secs(300);

/// What is at a path now.
pub enum Current {
    Absent,
    Dir,
    /// A symlink (probed without following): whether it leads to a directory, and where
    /// it points.
    Link {
        to_dir: bool,
        target: String,
    },
    /// Not a regular file, directory or link: a FIFO, a socket, a device (`stat`'s words).
    Special(String),
    File {
        mode: String,
        /// Owner and group by name and by number (`root 0`): an owner given as a number
        /// matches the number.
        owner: (String, String),
        group: (String, String),
        content: Vec<u8>,
    },
}

/// `sh -c BODY rb ARGS...`, as `as_` when given: a script with its data as arguments, never
/// spliced into its text.
pub fn script(body: &str, args: &[&str], as_: &Option<Become>) -> ExecRequest {
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), body.into(), "rb".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let mut req = ExecRequest::new(Program::Argv(argv));
    req.become_ = as_.clone();
    req
}

/// What is at `path`; with `follow` false a symlink is reported as one, not as its target.
pub fn probe(
    ctx: &Ctx,
    host: &Host,
    path: &str,
    follow: bool,
    as_: &Option<Become>,
) -> Result<Current, OpError> {
    let mode = if follow { "follow" } else { "nofollow" };
    let mut req = script(PROBE, &[path, mode], as_);
    req.max_output = Some(READ_LIMIT);
    req.output_pool = ctx.output_pool.clone();
    req.timeout = Some(READ_TIME);
    let out = match exec_quiet(ctx, host, &req) {
        Err(e) if matches!(e.exec_error(), Some(ExecError::TooMuchOutput(_))) => {
            return Err(format!(
                "{path} on {} is larger than {} MiB, the most rb reads of a file; read the part you need with a command (head, tail, grep)",
                host.name,
                READ_LIMIT >> 20
            )
            .into())
        }
        Err(e) if matches!(e.exec_error(), Some(ExecError::Timeout(_))) => {
            return Err(format!(
                "reading {path} on {} took longer than {}s and was stopped",
                host.name,
                READ_TIME.as_secs()
            )
            .into())
        }
        r => r?,
    };
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
        Some("link") => {
            let to_dir = f.next() == Some("dir");
            let target = f.collect::<Vec<_>>().join(" ");
            Current::Link { to_dir, target }
        }
        Some("special") => Current::Special(first["special ".len()..].to_string()),
        Some("file") => {
            let mut next = || f.next().unwrap_or("").to_string();
            let (mode, owner, group) = (next(), next(), next());
            let (uid, gid) = (next(), next());
            Current::File {
                mode,
                owner: (owner, uid),
                group: (group, gid),
                content: rest,
            }
        }
        _ => Current::Absent,
    })
}

/// What `put`, `line_in_file` and `read` say of a directory where a file should be.
pub fn a_directory(host: &Host, path: &str) -> String {
    format!("{path} on {} is a directory", host.name)
}

pub fn not_regular(host: &Host, path: &str, kind: &str) -> String {
    format!(
        "{path} on {} is not a regular file ({kind}); rb reads and writes regular files only",
        host.name
    )
}

/// The bytes of the regular file at `path` (links followed), for `read` and `read_bytes`.
pub fn read_file(ctx: &Ctx, host: &Host, path: &str) -> Result<Vec<u8>, OpError> {
    let as_ = host_become(ctx, host)?;
    match probe(ctx, host, path, true, &as_)? {
        Current::File { content, .. } => Ok(content),
        Current::Dir => Err(a_directory(host, path).into()),
        Current::Absent => Err(format!("{path} does not exist on {}", host.name).into()),
        Current::Special(kind) => Err(not_regular(host, path, &kind).into()),
        // Not produced when following links; kept so every case has its words.
        Current::Link { target, .. } => {
            Err(format!("{path} on {} is a symlink to {target}", host.name).into())
        }
    }
}

/// The host's own become settings, for operations that take no options (`read`, `exists`).
pub fn host_become(ctx: &Ctx, host: &Host) -> OrMessage<Option<Become>> {
    privilege::resolve(&ctx.become_defaults, host, &privilege::BecomeOpt::default())
}
