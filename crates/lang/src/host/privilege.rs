//! `become`: running a command or a file operation as another user through sudo, as
//! Ansible's `become` does. An operation's own `become`/`become_user` options win over the
//! host's `ansible_become*` variables (with `-e` over them), which win over the run's
//! `--become`, `--become-user` and `-K` (variables over command-line options, as in
//! ansible-core). The controller (`local`) has no inventory variables and ignores
//! `--become`: it becomes only when an operation asks.

use super::Host;
use crate::raise::OrMessage;
use rb_core::report::Secret;
use rb_core::transport::Become;
use rhai::Dynamic;

/// The run's defaults: `--become`, `--become-user`, and the password `-K` read.
#[derive(Clone, Default)]
pub struct BecomeDefaults {
    pub enabled: bool,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// An operation's `become` and `become_user` options (`sudo` is `become`'s older name).
#[derive(Clone, Default, Debug)]
pub struct BecomeOpt {
    pub enabled: Option<bool>,
    pub user: Option<String>,
}

impl BecomeOpt {
    /// Read `key` if it is a become option: `Ok(true)` when it was one.
    pub fn take(&mut self, key: &str, v: &Dynamic) -> OrMessage<bool> {
        match key {
            "become" | "sudo" => {
                self.enabled = Some(v.as_bool().map_err(|_| {
                    format!(
                        "option `{key}` must be true or false, got {}",
                        crate::raise::type_of(v)
                    )
                })?);
            }
            "become_user" => {
                let user = v
                    .read_lock::<rhai::ImmutableString>()
                    .map(|s| s.to_string())
                    .ok_or_else(|| {
                        format!(
                            "option `become_user` must be a user name, got {}",
                            crate::raise::type_of(v)
                        )
                    })?;
                check_user(&user).map_err(|e| format!("option `become_user` {e}"))?;
                self.user = Some(user);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn check_user(user: &str) -> OrMessage<()> {
    let ok = !user.is_empty()
        && !user.starts_with('-')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-$#".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("must be a user name or #uid, got {user:?}"))
    }
}

/// The last of `names` the host sets, with its name.
fn var<'a>(host: &'a Host, names: &[&'static str]) -> Option<(&'static str, &'a Dynamic)> {
    names
        .iter()
        .rev()
        .find_map(|n| host.vars.get(*n).filter(|v| !v.is_unit()).map(|v| (*n, v)))
}

/// Ansible's boolean reading of a variable (`yes`, `on`, `1`, `true`...).
fn boolean(name: &str, host: &Host, v: &Dynamic) -> OrMessage<bool> {
    if let Ok(b) = v.as_bool() {
        return Ok(b);
    }
    if let Ok(i) = v.as_int() {
        if i == 0 || i == 1 {
            return Ok(i == 1);
        }
    }
    let s = v.to_string().to_ascii_lowercase();
    match s.as_str() {
        "yes" | "on" | "1" | "true" | "y" | "t" => Ok(true),
        "no" | "off" | "0" | "false" | "n" | "f" | "" => Ok(false),
        _ => Err(format!(
            "host {}: `{name}` is `{v}`, not true or false",
            host.name
        )),
    }
}

/// How an operation on `host` runs: `None` as the login user, else the user to become and
/// the password to give sudo.
pub fn resolve(
    defaults: &BecomeDefaults,
    host: &Host,
    op: &BecomeOpt,
) -> OrMessage<Option<Become>> {
    let controller = host.name.as_ref() == "local";
    let enabled = match op.enabled {
        Some(b) => b,
        None => match var(host, &["ansible_become", "ansible_sudo"]) {
            Some((name, v)) => boolean(name, host, v)?,
            None => defaults.enabled && !controller,
        },
    };
    if !enabled {
        return Ok(None);
    }
    let user = match &op.user {
        Some(u) => u.clone(),
        None => match var(host, &["ansible_become_user", "ansible_sudo_user"]) {
            Some((name, v)) => {
                let u = v.to_string();
                check_user(&u).map_err(|e| format!("host {}: `{name}` {e}", host.name))?;
                u
            }
            None => defaults.user.clone().unwrap_or_else(|| "root".into()),
        },
    };
    let password = match var(
        host,
        &[
            "ansible_become_password",
            "ansible_become_pass",
            "ansible_sudo_pass",
        ],
    ) {
        Some((_, v)) => Some(match v.read_lock::<Secret>() {
            Some(s) => s.clone(),
            // context() wraps these variables as secrets; a value set later is not one.
            None => return Err(format!(
                "host {}: the become password must be a secret (it is wrapped as one when it comes from the inventory or -e)",
                host.name
            )),
        }),
        None => defaults.password.clone(),
    };
    if password.as_ref().is_some_and(|p| p.reveal().contains('\n')) {
        return Err(format!(
            "host {}: the become password contains a line break, which sudo cannot read",
            host.name
        ));
    }
    Ok(Some(Become { user, password }))
}

/// The variables that hold a become password: `context()` turns their values into
/// secrets so they print as `********`.
pub const PASSWORD_VARS: &[&str] = &[
    "ansible_become_password",
    "ansible_become_pass",
    "ansible_sudo_pass",
];
