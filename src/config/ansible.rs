//! What rb takes from an Ansible project's settings: ansible.cfg (found and parsed as
//! ansible-core finds and parses it: `inventory::ansible_cfg`) and the `ANSIBLE_*`
//! environment variables of the same settings, the variable winning over the file as in
//! ansible-core. Each setting is honoured, refused (rb would run differently from what it
//! asks), or warned about by name (rb does not use it); none is dropped without a word.

use rb::inventory::ansible_cfg::{self, AnsibleCfg, Entry};
use std::path::{Path, PathBuf};

/// A setting's value and where it came from (`/p/ansible.cfg:3`, `ANSIBLE_FORKS`).
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
}

/// The Ansible settings rb honours, each from the environment or the file.
#[derive(Debug, Default)]
pub struct Settings {
    /// The ansible.cfg read, if any.
    pub path: Option<PathBuf>,
    pub inventory: Option<Sourced<Vec<String>>>,
    pub remote_user: Option<Sourced<String>>,
    pub private_key_file: Option<Sourced<String>>,
    pub forks: Option<Sourced<u64>>,
    pub timeout: Option<Sourced<u64>>,
    pub become_: Option<Sourced<bool>>,
    pub become_user: Option<Sourced<String>>,
    pub become_ask_pass: Option<Sourced<bool>>,
    pub ssh_args: Option<Sourced<String>>,
    pub ssh_common_args: Option<Sourced<String>>,
    pub ssh_extra_args: Option<Sourced<String>>,
    pub vault_password_file: Option<Sourced<String>>,
    pub ansible_managed: Option<Sourced<String>>,
    pub warnings: Vec<String>,
}

/// How a setting's text is read (ansible-core's `ensure_type`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Path,
    PathList,
    Int,
    Bool,
}

/// Settings rb reads: (section, key, environment variable, kind).
const HONOURED: &[(&str, &str, &str, Kind)] = &[
    ("defaults", "inventory", "ANSIBLE_INVENTORY", Kind::PathList),
    ("defaults", "remote_user", "ANSIBLE_REMOTE_USER", Kind::Str),
    (
        "defaults",
        "private_key_file",
        "ANSIBLE_PRIVATE_KEY_FILE",
        Kind::Path,
    ),
    ("defaults", "forks", "ANSIBLE_FORKS", Kind::Int),
    ("defaults", "timeout", "ANSIBLE_TIMEOUT", Kind::Int),
    (
        "privilege_escalation",
        "become",
        "ANSIBLE_BECOME",
        Kind::Bool,
    ),
    (
        "privilege_escalation",
        "become_user",
        "ANSIBLE_BECOME_USER",
        Kind::Str,
    ),
    (
        "privilege_escalation",
        "become_ask_pass",
        "ANSIBLE_BECOME_ASK_PASS",
        Kind::Bool,
    ),
    ("ssh_connection", "ssh_args", "ANSIBLE_SSH_ARGS", Kind::Str),
    (
        "ssh_connection",
        "ssh_common_args",
        "ANSIBLE_SSH_COMMON_ARGS",
        Kind::Str,
    ),
    (
        "ssh_connection",
        "ssh_extra_args",
        "ANSIBLE_SSH_EXTRA_ARGS",
        Kind::Str,
    ),
    (
        "defaults",
        "vault_password_file",
        "ANSIBLE_VAULT_PASSWORD_FILE",
        Kind::Path,
    ),
    // No environment variable in ansible-core.
    ("defaults", "ansible_managed", "", Kind::Str),
];

/// Settings that would make rb run differently from what they ask: refused unless they ask
/// for what rb does anyway. (section, key, environment variable, the values that agree).
const CHECKED: &[(&str, &str, &str, &[&str])] = &[
    (
        "privilege_escalation",
        "become_method",
        "ANSIBLE_BECOME_METHOD",
        &["sudo"],
    ),
    (
        "privilege_escalation",
        "become_exe",
        "ANSIBLE_BECOME_EXE",
        &["", "sudo"],
    ),
    (
        "privilege_escalation",
        "become_flags",
        "ANSIBLE_BECOME_FLAGS",
        &[""],
    ),
    (
        "defaults",
        "ask_pass",
        "ANSIBLE_ASK_PASS",
        &["false", "no", "0", "off", "n", "f"],
    ),
    (
        "defaults",
        "transport",
        "ANSIBLE_TRANSPORT",
        &["ssh", "smart"],
    ),
    (
        "defaults",
        "hash_behaviour",
        "ANSIBLE_HASH_BEHAVIOUR",
        &["replace"],
    ),
    (
        "defaults",
        "jinja2_native",
        "ANSIBLE_JINJA2_NATIVE",
        &["true", "yes", "1", "on", "y", "t"],
    ),
];

/// Settings that change nothing rb does (output, plugins and paths of features rb does not
/// have, or what rb always does): read without a word. Every other key gets a warning.
const QUIET: &[(&str, &str)] = &[
    ("defaults", "nocows"),
    ("defaults", "nocolor"),
    ("defaults", "stdout_callback"),
    ("defaults", "callback_whitelist"),
    ("defaults", "callbacks_enabled"),
    ("defaults", "bin_ansible_callbacks"),
    ("defaults", "deprecation_warnings"),
    ("defaults", "system_warnings"),
    ("defaults", "command_warnings"),
    ("defaults", "localhost_warning"),
    ("defaults", "display_skipped_hosts"),
    ("defaults", "display_ok_hosts"),
    ("defaults", "display_args_to_stdout"),
    ("defaults", "retry_files_enabled"),
    ("defaults", "retry_files_save_path"),
    ("defaults", "roles_path"),
    ("defaults", "collections_path"),
    ("defaults", "collections_paths"),
    ("defaults", "collections_scan_sys_path"),
    ("defaults", "library"),
    ("defaults", "module_utils"),
    ("defaults", "action_plugins"),
    ("defaults", "callback_plugins"),
    ("defaults", "connection_plugins"),
    ("defaults", "filter_plugins"),
    ("defaults", "lookup_plugins"),
    ("defaults", "strategy_plugins"),
    ("defaults", "test_plugins"),
    ("defaults", "vars_plugins"),
    ("defaults", "inventory_plugins"),
    ("defaults", "interpreter_python"),
    ("defaults", "local_tmp"),
    ("defaults", "remote_tmp"),
    ("defaults", "internal_poll_interval"),
    // rb sends every command over the connection it holds: always "pipelined".
    ("defaults", "pipelining"),
    ("ssh_connection", "pipelining"),
    ("connection", "pipelining"),
    // rb writes files through the command channel, never scp or sftp.
    ("ssh_connection", "scp_if_ssh"),
    ("ssh_connection", "transfer_method"),
    ("ssh_connection", "sftp_batch_mode"),
    ("inventory", "enable_plugins"),
];

/// Warned about with a reason of its own.
const EXPLAINED: &[(&str, &str, &str)] = &[
    ("defaults", "host_key_checking", "rb always checks host keys (add them to known_hosts, or use an ssh config with a known_hosts file of the lab's)"),
    ("ssh_connection", "control_path", "rb keeps its own connection per host (--ssh-persist sets how long it stays)"),
    ("ssh_connection", "control_path_dir", "rb keeps its own connection per host (--ssh-persist sets how long it stays)"),
    ("defaults", "gathering", "rb gathers no facts; runbooks ask hosts what they need"),
    ("defaults", "vault_identity_list", "rb takes one vault password (vault_password_file or --vault-password-file); values of other vault ids fail to decrypt"),
];

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The Ansible settings for a command run in the current folder: ansible.cfg as
/// ansible-core finds it, and the environment.
pub fn load() -> Result<Settings, String> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let found = ansible_cfg::find(env("ANSIBLE_CONFIG").as_deref(), home.as_deref(), &cwd);
    let cfg = match &found.path {
        Some(p) => Some(AnsibleCfg::load(p)?),
        None => None,
    };
    let mut s = settings(cfg.as_ref(), &env, home.as_deref(), &cwd)?;
    s.warnings.splice(0..0, found.warnings);
    Ok(s)
}

/// The settings of `cfg` and the environment `env`; relative paths of the file are under
/// its folder, of the environment under `cwd` (as ansible-core resolves them).
fn settings(
    cfg: Option<&AnsibleCfg>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cwd: &Path,
) -> Result<Settings, String> {
    let mut s = Settings {
        path: cfg.map(|c| c.path.clone()),
        ..Settings::default()
    };
    // The raw text of a setting and where it came from: the environment first.
    let raw = |section: &str, key: &str, var: &str| -> Option<(String, String, PathBuf)> {
        if let Some(v) = env(var).filter(|_| !var.is_empty()) {
            return Some((v, var.to_string(), cwd.to_path_buf()));
        }
        let c = cfg?;
        let e = c.get(section, key)?;
        let dir = c.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Some((ansible_cfg::unquote(&e.value).to_string(), c.at(e), dir))
    };
    for &(section, key, var, values) in CHECKED {
        if let Some((v, source, _)) = raw(section, key, var) {
            if !values.contains(&v.trim().to_lowercase().as_str()) {
                return Err(format!("{source}: `{key} = {v}`: {}", refusal(key)));
            }
        }
    }
    for &(section, key, var, kind) in HONOURED {
        let Some((text, source, dir)) = raw(section, key, var) else {
            continue;
        };
        let bad = |what: &str| format!("{source}: `{key} = {text}` is not {what}");
        let path = |p: &str| resolve(p, home, &dir);
        match kind {
            Kind::Str | Kind::Path => {
                let value = if kind == Kind::Path {
                    path(&text)
                } else {
                    text.clone()
                };
                let v = Some(Sourced {
                    value,
                    source: source.clone(),
                });
                match key {
                    "remote_user" => s.remote_user = v,
                    "private_key_file" => s.private_key_file = v,
                    "become_user" => s.become_user = v,
                    "ssh_args" => s.ssh_args = v,
                    "ssh_common_args" => s.ssh_common_args = v,
                    "ssh_extra_args" => s.ssh_extra_args = v,
                    "vault_password_file" => s.vault_password_file = v,
                    "ansible_managed" => s.ansible_managed = v,
                    _ => unreachable!("every Str/Path setting is placed"),
                }
            }
            Kind::PathList => {
                let value = text
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(path)
                    .collect();
                s.inventory = Some(Sourced {
                    value,
                    source: source.clone(),
                });
            }
            Kind::Int => {
                let n: u64 = text
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| bad("a whole number of 1 or more"))?;
                let v = Some(Sourced {
                    value: n,
                    source: source.clone(),
                });
                match key {
                    "forks" => s.forks = v,
                    _ => s.timeout = v,
                }
            }
            Kind::Bool => {
                let b = ansible_cfg::boolean(&text)
                    .ok_or_else(|| bad("a boolean (true/false, yes/no, on/off, 1/0)"))?;
                let v = Some(Sourced {
                    value: b,
                    source: source.clone(),
                });
                match key {
                    "become" => s.become_ = v,
                    _ => s.become_ask_pass = v,
                }
            }
        }
    }
    if let Some(c) = cfg {
        s.warnings.extend(unused(c));
    }
    if env("ANSIBLE_HOST_KEY_CHECKING")
        .as_deref()
        .and_then(ansible_cfg::boolean)
        == Some(false)
    {
        s.warnings
            .push("ANSIBLE_HOST_KEY_CHECKING=False is ignored: rb always checks host keys".into());
    }
    Ok(s)
}

/// Why a CHECKED setting is refused, and what to do.
fn refusal(key: &str) -> &'static str {
    match key {
        "become_method" => "rb becomes another user through sudo only; set it to sudo or run this project with Ansible",
        "become_exe" | "become_flags" => "rb runs `sudo -n -u USER --` and takes no other sudo program or flags; remove it",
        "ask_pass" => "rb logs in with SSH keys (or an agent) only, never a password; remove it and use a key",
        "transport" => "rb reaches hosts over ssh (or locally where the inventory says `ansible_connection=local`); remove it",
        "hash_behaviour" => "rb merges variables as ansible-core's default `replace` does; `merge` would give other values",
        _ => "rb renders variables and templates to native types, as ansible-core's default does; remove it",
    }
}

/// A warning for every key of the file rb neither honours, checks nor knows to be
/// harmless.
fn unused(c: &AnsibleCfg) -> Vec<String> {
    let known = |s: &str, k: &str| {
        HONOURED.iter().any(|h| h.0 == s && h.1 == k)
            || CHECKED.iter().any(|h| h.0 == s && h.1 == k)
            || QUIET.iter().any(|h| h.0 == s && h.1 == k)
    };
    let mut out = Vec::new();
    for (section, entries) in &c.sections {
        for e in entries {
            out.extend(warning(c, section, e, known(section, &e.key)));
        }
    }
    out
}

fn warning(c: &AnsibleCfg, section: &str, e: &Entry, known: bool) -> Option<String> {
    if let Some((_, _, why)) = EXPLAINED
        .iter()
        .find(|(s, k, _)| *s == section && *k == e.key)
    {
        if e.key == "host_key_checking" && ansible_cfg::boolean(&e.value) != Some(false) {
            return None;
        }
        return Some(format!(
            "{}: `[{section}] {}` is ignored: {why}",
            c.at(e),
            e.key
        ));
    }
    (!known).then(|| {
        format!(
            "{}: `[{section}] {}` is not used by rb: what it changes in Ansible does not happen here (docs/hosts.md lists what rb reads)",
            c.at(e),
            e.key
        )
    })
}

/// ansible-core's `unfrackpath`: `~` and `$VAR` expanded, relative to `dir`.
fn resolve(p: &str, home: Option<&Path>, dir: &Path) -> String {
    let expanded = expand_vars(p);
    let path = ansible_cfg::expand_user(&expanded, home);
    // A host list (`a,b`) never reaches here: pathlists are split on commas first.
    if path.is_absolute() {
        path.display().to_string()
    } else {
        dir.join(path).display().to_string()
    }
}

/// Python's `os.path.expandvars`: `$NAME` and `${NAME}` of set variables; others kept.
fn expand_vars(s: &str) -> String {
    let re = regex::Regex::new(r"\$(\w+|\{[^}]*\})").expect("valid");
    re.replace_all(s, |c: &regex::Captures| {
        let name = c[1].trim_start_matches('{').trim_end_matches('}');
        std::env::var(name).unwrap_or_else(|_| c[0].to_string())
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, vars: &[(&str, &str)]) -> Result<Settings, String> {
        let cfg = AnsibleCfg::parse(Path::new("/p/ansible.cfg"), text).unwrap();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let env = move |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        settings(
            Some(&cfg),
            &env,
            Some(Path::new("/home/op")),
            Path::new("/cwd"),
        )
    }

    #[test]
    fn honoured_settings_with_their_sources() {
        let s = read(
            "[defaults]\ninventory = inventory/hosts.ini, ~/more.yml\nremote_user = \"admin\"\n\
             forks = 7\nprivate_key_file = keys/id\n[privilege_escalation]\nbecome = yes\n\
             [ssh_connection]\nssh_args = -o ServerAliveInterval=5\npipelining = True\n",
            &[("ANSIBLE_FORKS", "3")],
        )
        .unwrap();
        let inv = s.inventory.unwrap();
        assert_eq!(inv.value, ["/p/inventory/hosts.ini", "/home/op/more.yml"]);
        assert_eq!(inv.source, "/p/ansible.cfg:2");
        assert_eq!(s.remote_user.unwrap().value, "admin");
        let forks = s.forks.unwrap();
        assert_eq!((forks.value, forks.source.as_str()), (3, "ANSIBLE_FORKS"));
        assert_eq!(s.private_key_file.unwrap().value, "/p/keys/id");
        assert!(s.become_.unwrap().value);
        assert_eq!(s.ssh_args.unwrap().value, "-o ServerAliveInterval=5");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn refusals_and_warnings_name_the_setting() {
        let e = read("[privilege_escalation]\nbecome_method = su\n", &[]).unwrap_err();
        assert!(
            e.starts_with("/p/ansible.cfg:2: `become_method = su`: rb becomes"),
            "{e}"
        );
        let e = read("[defaults]\nforks = many\n", &[]).unwrap_err();
        assert!(e.contains("is not a whole number"), "{e}");
        let e = read("[defaults]\ntimeout = 0\n", &[]).unwrap_err();
        assert!(
            e.contains("`timeout = 0` is not a whole number of 1 or more"),
            "{e}"
        );
        assert_eq!(
            read("[defaults]\nforks = 1\n", &[])
                .unwrap()
                .forks
                .unwrap()
                .value,
            1
        );
        let e = read("[privilege_escalation]\nbecome = Ture\n", &[]).unwrap_err();
        assert!(e.contains("is not a boolean"), "{e}");
        let e = read("", &[("ANSIBLE_HASH_BEHAVIOUR", "merge")]).unwrap_err();
        assert!(
            e.starts_with("ANSIBLE_HASH_BEHAVIOUR: `hash_behaviour = merge`"),
            "{e}"
        );
        let s = read(
            "[defaults]\nhost_key_checking = False\nstrategy = free\nnocows = 1\n",
            &[],
        )
        .unwrap();
        assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
        assert!(s.warnings[0].starts_with(
            "/p/ansible.cfg:2: `[defaults] host_key_checking` is ignored: rb always checks"
        ));
        assert!(
            s.warnings[1].starts_with("/p/ansible.cfg:3: `[defaults] strategy` is not used by rb")
        );
    }
}
