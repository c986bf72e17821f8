//! How to reach a host, from its merged inventory variables, as ansible-core's `ssh` and
//! `local` connection plugins read them. Where ansible-core lists several names for one
//! setting, the later name wins, as in its config manager: `ansible_ssh_host` over
//! `ansible_host`, `ansible_ssh_user` over `ansible_user`, `ansible_ssh_port` over
//! `ansible_port`, `ansible_ssh_private_key_file` over `ansible_private_key_file`; rb's own
//! `rb_host`/`rb_user`/`rb_port`/`rb_connection` win over all of them.
//!
//! SSH options (`ansible_ssh_common_args`, `ansible_ssh_extra_args`, `ansible_ssh_args`,
//! the key file) go into a small ssh config file written for the host, which then includes
//! the user's own config, so they take precedence as they do on ansible-core's command line.

use inventory::{Origin, Vars};
use rb_core::transport::SshOptions;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Connection {
    pub local: bool,
    pub dest: String,
    pub addr: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub ssh: Arc<SshOptions>,
    pub warnings: Vec<String>,
}

impl Connection {
    /// A host outside `--limit` whose variables rb would refuse: it is never contacted.
    pub fn unusable(name: &str) -> Connection {
        Connection {
            local: false,
            dest: name.to_string(),
            addr: name.to_string(),
            user: None,
            port: None,
            ssh: Arc::new(SshOptions::default()),
            warnings: Vec::new(),
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The last of `names` that is set (ansible-core's order), and where it was set.
fn pick<'a>(vars: &'a Vars, names: &[&str]) -> Option<(&'a Value, String, Origin)> {
    names.iter().rev().find_map(|n| {
        let v = vars.values.get(*n)?;
        if v.is_null() {
            return None;
        }
        Some((
            v,
            n.to_string(),
            vars.origins.get(*n).cloned().unwrap_or_default(),
        ))
    })
}

/// Why rb will not reach a host the way its inventory says: the message names the
/// inventory file and line, the host and the variable. The run stops before any host is
/// touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse(origin: &Origin, host: &str, var: &str, why: &str) -> Refusal {
    let at = if origin.file.is_empty() {
        String::new()
    } else {
        format!("{origin}: ")
    };
    Refusal(format!("{at}host {host}: `{var}` {why}"))
}

/// The variables that decide how a host is reached or what it runs as: one of them that
/// cannot be rendered stops the run (left out, the host would be reached another way).
pub fn decides_connection(var: &str) -> bool {
    var.starts_with("rb_")
        || var.starts_with("ansible_become")
        || var.starts_with("ansible_sudo")
        || var.starts_with("ansible_ssh")
        || matches!(
            var,
            "ansible_host"
                | "ansible_user"
                | "ansible_port"
                | "ansible_connection"
                | "ansible_password"
                | "ansible_private_key_file"
        )
}

pub fn resolve(name: &str, vars: &Vars, ssh: &Arc<SshOptions>) -> Result<Connection, Refusal> {
    for secret in [
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
    ] {
        if let Some((_, var, origin)) = pick(vars, &[secret]) {
            return Err(refuse(&origin, name, &var,
                "sets a login password: rb logs in with SSH keys (or an agent) only; use a key (`ansible_ssh_private_key_file`) or remove it"));
        }
    }
    // become goes through sudo only (see privilege.rs); another method would run the
    // commands differently from what the inventory asks.
    if let Some((v, var, origin)) = pick(vars, &["ansible_become_method"]) {
        if text(v) != "sudo" {
            return Err(refuse(&origin, name, &var, &format!(
                "is `{}`: rb becomes another user through `sudo` only; set ansible_become_method=sudo or run those hosts with Ansible",
                text(v)
            )));
        }
    }
    for var in [
        "ansible_become_exe",
        "ansible_become_flags",
        "ansible_sudo_exe",
        "ansible_sudo_flags",
    ] {
        if let Some((_, var, origin)) = pick(vars, &[var]) {
            return Err(refuse(&origin, name, &var,
                "is set: rb runs `sudo -n -u USER --` (with `-S` to check a password) and takes no other sudo program or flags; remove it"));
        }
    }
    let connection = pick(vars, &["ansible_connection", "rb_connection"]);
    let addr_var = pick(vars, &["ansible_host", "ansible_ssh_host", "rb_host"]);
    let local = match &connection {
        Some((v, var, origin)) => match text(v).as_str() {
            "local" => true,
            "ssh" | "smart" | "paramiko" | "paramiko_ssh" => false,
            other => {
                return Err(refuse(origin, name, var, &format!(
                    "is `{other}`: rb connects over `ssh` or runs `local` only; run those hosts with Ansible, or set ansible_connection=ssh"
                )))
            }
        },
        None => name == "localhost" && addr_var.is_none(),
    };
    let addr = addr_var
        .as_ref()
        .map(|(v, _, _)| text(v))
        .filter(|s| !s.is_empty());
    let user =
        pick(vars, &["ansible_user", "ansible_ssh_user", "rb_user"]).map(|(v, _, _)| text(v));
    let port = match pick(vars, &["ansible_port", "ansible_ssh_port", "rb_port"]) {
        None => None,
        Some((v, var, origin)) => Some(text(v).trim().parse::<u16>().map_err(|_| {
            refuse(
                &origin,
                name,
                &var,
                &format!("is `{}`, not a port number (1-65535)", text(v)),
            )
        })?),
    };
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    if let Some((v, _, _)) = pick(
        vars,
        &["ansible_private_key_file", "ansible_ssh_private_key_file"],
    ) {
        lines.push(format!("IdentityFile \"{}\"", text(v)));
        lines.push("IdentitiesOnly yes".into());
    }
    for var in [
        "ansible_ssh_args",
        "ansible_ssh_common_args",
        "ansible_ssh_extra_args",
    ] {
        if let Some((v, _, origin)) = pick(vars, &[var]) {
            let args = inventory::shlex::split(&text(v)).map_err(|e| {
                refuse(
                    &origin,
                    name,
                    var,
                    &format!("cannot be split into ssh arguments: {e}"),
                )
            })?;
            ssh_args_to_config(&args, &mut lines, &mut warnings)
                .map_err(|e| refuse(&origin, name, var, &e.0))?;
        }
    }
    let warnings = warnings
        .into_iter()
        .map(|w| format!("host {name}: {w}"))
        .collect();
    let dest = addr.clone().unwrap_or_else(|| name.to_string());
    let ssh = if lines.is_empty() || local {
        ssh.clone()
    } else {
        Arc::new(SshOptions {
            config: Some(write_config(ssh, &dest, &lines)?),
            ..(**ssh).clone()
        })
    };
    Ok(Connection {
        local,
        dest,
        addr: addr.unwrap_or_else(|| {
            if local {
                "127.0.0.1".into()
            } else {
                name.to_string()
            }
        }),
        user,
        port,
        ssh,
        warnings,
    })
}

/// ssh command-line arguments as ssh config lines. Unknown flags are refused rather than
/// dropped, so a host is never reached differently from what its inventory says.
fn ssh_args_to_config(
    args: &[String],
    lines: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(), Refusal> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str, inline: &str| -> Result<String, Refusal> {
            if !inline.is_empty() {
                return Ok(inline.to_string());
            }
            it.next()
                .cloned()
                .ok_or_else(|| Refusal(format!("has `{flag}` without a value")))
        };
        let (flag, inline) = if a.starts_with('-') && a.len() > 2 {
            a.split_at(2)
        } else {
            (a.as_str(), "")
        };
        match flag {
            "-o" => {
                let opt = value("-o", inline)?;
                let (k, v) = opt
                    .split_once(['=', ' '])
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .ok_or_else(|| Refusal(format!("has `-o {opt}`, which is not Key=Value")))?;
                let key = k.to_ascii_lowercase();
                if key == "stricthostkeychecking" && !matches!(v.to_ascii_lowercase().as_str(), "yes" | "true") {
                    warnings.push(format!(
                        "ignoring `StrictHostKeyChecking={v}` from the inventory: rb always checks host keys; add the host's key to known_hosts (ssh-keyscan)"
                    ));
                    continue;
                }
                if key == "userknownhostsfile" && v == "/dev/null" {
                    warnings.push("ignoring `UserKnownHostsFile=/dev/null` from the inventory: rb always checks host keys".into());
                    continue;
                }
                lines.push(format!("{k} {v}"));
            }
            "-J" => lines.push(format!("ProxyJump {}", value("-J", inline)?)),
            "-i" => {
                lines.push(format!("IdentityFile \"{}\"", value("-i", inline)?));
            }
            "-p" => lines.push(format!("Port {}", value("-p", inline)?)),
            "-l" => lines.push(format!("User {}", value("-l", inline)?)),
            "-A" => lines.push("ForwardAgent yes".into()),
            "-a" => lines.push("ForwardAgent no".into()),
            "-C" => lines.push("Compression yes".into()),
            "-q" => lines.push("LogLevel QUIET".into()),
            "-4" => lines.push("AddressFamily inet".into()),
            "-6" => lines.push("AddressFamily inet6".into()),
            // Terminal and verbosity flags do not change where or how rb connects.
            "-T" | "-t" | "-x" | "-v" | "-n" | "-N" => {}
            _ if flag == "-v" || a.chars().skip(1).all(|c| c == 'v') && a.starts_with('-') => {}
            other => {
                return Err(Refusal(format!(
                    "has `{other}`, an ssh flag rb does not pass on; use `-o Key=Value` (an ssh_config option) instead"
                )))
            }
        }
    }
    Ok(())
}

/// The host's ssh config: its own options first (ssh takes the first value it reads), then
/// the config ssh would read anyway. The options sit in a `Host DEST` block: they apply to
/// this connection only (as on ansible-core's command line), not to the ssh that a
/// `ProxyJump` starts for the jump host (which would otherwise jump through itself).
fn write_config(ssh: &SshOptions, dest: &str, lines: &[String]) -> Result<PathBuf, Refusal> {
    use std::hash::{Hash, Hasher};
    if dest.contains(|c: char| c.is_whitespace() || "*?!,\"".contains(c)) {
        return Err(Refusal(format!(
            "cannot pass ssh options for host address `{dest}`"
        )));
    }
    let mut text = format!(
        "# Written by rb from inventory variables (ansible_ssh_*_args, key files).\nHost {dest}\n"
    );
    for l in lines {
        text.push_str("    ");
        text.push_str(l);
        text.push('\n');
    }
    text.push_str("Match all\n");
    match &ssh.config {
        Some(user) => {
            let abs = std::path::absolute(user).unwrap_or_else(|_| user.clone());
            text.push_str(&format!("Include \"{}\"\n", abs.display()));
        }
        None => {
            text.push_str("Include ~/.ssh/config\nInclude /etc/ssh/ssh_config\n");
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    let dir = ssh
        .control_dir
        .join(format!("rb-{}", unsafe { libc::getuid() }));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Refusal(format!("cannot create {}: {e}", dir.display())))?;
    let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let path = dir.join(format!("cfg-{:016x}", h.finish()));
    if !path.exists() {
        let tmp = dir.join(format!(".cfg-{}-{:016x}", std::process::id(), h.finish()));
        std::fs::write(&tmp, &text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| Refusal(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(path)
}
