//! Settings from files and the environment, under the command line: rb's own `rb.toml`
//! (found first of `$RB_CONFIG`, `rb.toml` beside the runbook — for `rb run`; the current
//! folder for other commands — then `$XDG_CONFIG_HOME/rb/rb.toml`), then an Ansible
//! project's (ansible.cfg and `ANSIBLE_*` variables: ansible.rs). For each setting the
//! first of these that gives it wins: a flag, its `RB_*` variable, rb.toml, its `ANSIBLE_*`
//! variable, ansible.cfg. `rb config` shows each setting and where it came from.

pub mod ansible;

use crate::cli::{Cli, Command};
use crate::commands::usage;
use clap::parser::ValueSource;
use clap::ArgMatches;
use rb::Diagnostic;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file's keys; any other key is an error (a typo must not pass unnoticed).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `-i`: one source or a list, relative to the file's folder.
    pub inventory: Option<Sources>,
    /// `-f/--forks`.
    pub forks: Option<u64>,
    /// `-u/--user`.
    pub remote_user: Option<String>,
    /// `--private-key`.
    pub private_key_file: Option<String>,
    /// `--ssh-common-args`.
    pub ssh_common_args: Option<String>,
    /// `--ssh-config`.
    pub ssh_config: Option<String>,
    /// `--ssh-persist`.
    pub ssh_persist: Option<u64>,
    /// `--connect-timeout`.
    pub connect_timeout: Option<u64>,
    /// `-b/--become` (ansible.cfg's `[privilege_escalation] become`).
    #[serde(rename = "become")]
    pub become_: Option<bool>,
    /// `--become-user`.
    pub become_user: Option<String>,
}

/// One inventory source or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Sources {
    One(String),
    Many(Vec<String>),
}

/// Where the settings came from, for messages.
pub struct Found {
    pub path: PathBuf,
    pub config: Config,
}

/// The config file for a run of `runbook` (or of a command without one).
pub fn find(runbook: Option<&Path>) -> Result<Option<Found>, String> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("RB_CONFIG") {
        let p = PathBuf::from(p);
        if !p.is_file() {
            return Err(format!(
                "RB_CONFIG names {}, which is not a file",
                p.display()
            ));
        }
        candidates.push(p);
    }
    // Beside the runbook; the current folder (`rb.toml`) for a runbook there or none.
    let here = runbook.and_then(Path::parent).unwrap_or(Path::new(""));
    candidates.push(here.join("rb.toml"));
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(dir) = xdg {
        candidates.push(dir.join("rb/rb.toml"));
    }
    let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let config: Config = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        format!("{}{at}: {}", path.display(), e.message())
    })?;
    Ok(Some(Found { path, config }))
}

/// Did the user set `id` on the command line or through its environment variable?
pub fn given(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

impl Found {
    /// A path from the file, relative to the file's folder (`~/` is the home folder).
    pub fn path_of(&self, p: &str) -> String {
        if let Some(rest) = p.strip_prefix("~/") {
            if let Some(home) = std::env::var_os("HOME") {
                return PathBuf::from(home).join(rest).display().to_string();
            }
        }
        // A host list (`a,b,`) is no path; an absolute path stays itself through `join`.
        if p.contains(',') {
            return p.to_string();
        }
        let dir = self.path.parent().unwrap_or(Path::new(""));
        dir.join(p).display().to_string()
    }
}

/// What the files and the environment gave, for `rb config` and `-v`.
#[derive(Default)]
pub struct Applied {
    pub rb_toml: Option<PathBuf>,
    pub ansible_cfg: Option<PathBuf>,
    /// Each setting taken from a file or an `ANSIBLE_*` variable, and where from.
    pub sources: Vec<(&'static str, String)>,
}

/// Fill what the command line and the environment left unset: from rb.toml, then from the
/// Ansible project's settings. Their warnings are printed here, once.
pub fn apply_config(cli: &mut Cli, matches: &clap::ArgMatches) -> Result<Applied, Diagnostic> {
    let mut applied = Applied::default();
    let Some((_, sub)) = matches.subcommand() else {
        return Ok(applied);
    };
    let (hosts, forks, become_, vault, runbook) = match &mut cli.command {
        Command::Run(a) => (
            &mut a.hosts,
            Some(&mut a.forks),
            Some(&mut a.become_),
            Some(&mut a.vault),
            Some(a.file.clone()),
        ),
        Command::Exec(a) => (
            &mut a.hosts,
            Some(&mut a.forks),
            Some(&mut a.become_),
            Some(&mut a.vault),
            None,
        ),
        Command::Hosts(a) => (&mut a.hosts, None, None, None, None),
        Command::Repl(a) => (
            &mut a.hosts,
            None,
            Some(&mut a.become_),
            Some(&mut a.vault),
            None,
        ),
        Command::Inventory(a) => (&mut a.hosts, None, None, None, None),
        Command::Config(a) => (
            &mut a.hosts,
            Some(&mut a.forks),
            Some(&mut a.become_),
            Some(&mut a.vault),
            a.runbook.clone(),
        ),
        _ => return Ok(applied),
    };
    let found = find(runbook.as_deref()).map_err(usage)?;
    let ans = ansible::load().map_err(usage)?;
    for w in &ans.warnings {
        eprintln!("warning: {w}");
    }
    applied.rb_toml = found.as_ref().map(|f| f.path.clone());
    applied.ansible_cfg = ans.path.clone();
    let empty = Config::default();
    let c = found.as_ref().map_or(&empty, |f| &f.config);
    let toml_src = found
        .as_ref()
        .map(|f| f.path.display().to_string())
        .unwrap_or_default();
    let path_of = |p: &str| found.as_ref().map(|f| f.path_of(p)).unwrap_or_default();
    let given = |id: &str| given(sub, id);
    // Record where a setting came from: rb.toml or the Ansible side.
    let mut note =
        |name: &'static str, source: &str| applied.sources.push((name, source.to_string()));

    if !given("inventory") {
        if let Some(srcs) = &c.inventory {
            hosts.inventory = match srcs {
                Sources::One(s) => vec![path_of(s)],
                Sources::Many(v) => v.iter().map(|s| path_of(s)).collect(),
            };
            note("inventory", &toml_src);
        } else if let Some(v) = &ans.inventory {
            hosts.inventory = v.value.clone();
            note("inventory", &v.source);
        } else if Path::new(DEFAULT_INVENTORY).exists() {
            // ansible-core's default inventory, read when nothing names another.
            hosts.inventory = vec![DEFAULT_INVENTORY.into()];
            note("inventory", "ansible-core's default");
        }
    }
    let key = c.private_key_file.as_deref().map(path_of);
    let layered = [
        (
            "user",
            "remote_user",
            c.remote_user.clone(),
            &ans.remote_user,
            &mut hosts.user,
        ),
        (
            "private_key",
            "private_key_file",
            key,
            &ans.private_key_file,
            &mut hosts.private_key,
        ),
        (
            "ssh_common_args",
            "ssh_common_args",
            c.ssh_common_args.clone(),
            &ans.ssh_common_args,
            &mut hosts.ssh_common_args,
        ),
    ];
    for (flag, name, toml, ansible, slot) in layered {
        if let Some(v) = (!given(flag))
            .then(|| first_of(toml, &toml_src, ansible))
            .flatten()
        {
            *slot = Some(v.value);
            note(name, &v.source);
        }
    }
    // No flags of their own: inventory defaults, as ansible-core's config gives them.
    if let Some(v) = &ans.ssh_args {
        hosts.ssh_args = Some(v.value.clone());
        note("ssh_args", &v.source);
    }
    if let Some(v) = &ans.ansible_managed {
        hosts.ansible_managed = Some(v.value.clone());
        note("ansible_managed", &v.source);
    }
    if let Some(v) = &ans.ssh_extra_args {
        hosts.ssh_extra_args = Some(v.value.clone());
        note("ssh_extra_args", &v.source);
    }
    if !given("ssh_config") {
        if let Some(f) = &c.ssh_config {
            hosts.ssh_config = Some(PathBuf::from(path_of(f)));
            note("ssh_config", &toml_src);
        }
    }
    if !given("ssh_persist") {
        if let Some(n) = c.ssh_persist {
            hosts.ssh_persist = n;
            note("ssh_persist", &toml_src);
        }
    }
    if !given("connect_timeout") {
        if let Some(v) = first_of(c.connect_timeout, &toml_src, &ans.timeout) {
            hosts.connect_timeout = v.value;
            note("connect_timeout", &v.source);
        }
    }
    if let Some(b) = become_ {
        if !given("become_") {
            if let Some(v) = first_of(c.become_, &toml_src, &ans.become_) {
                b.become_ = v.value;
                note("become", &v.source);
            }
        }
        if !given("become_user") {
            if let Some(v) = first_of(c.become_user.clone(), &toml_src, &ans.become_user) {
                b.become_user = Some(v.value);
                note("become_user", &v.source);
            }
        }
        if !given("ask_become_pass") && !given("become_password_file") {
            if let Some(v) = &ans.become_ask_pass {
                b.ask_become_pass = v.value;
                note("become_ask_pass", &v.source);
            }
        }
    }
    if let Some(v) = vault {
        let chosen = given("vault_password_file") || given("ask_vault_pass");
        if let (false, Some(f)) = (chosen, &ans.vault_password_file) {
            v.vault_password_file = Some(PathBuf::from(&f.value));
            note("vault_password_file", &f.source);
        }
    }
    if let Some(f) = forks {
        if c.forks == Some(0) {
            return Err(usage(format!("{toml_src}: forks must be at least 1")));
        }
        if !given("forks") {
            if let Some(n) = c.forks {
                *f = Some(n);
                note("forks", &toml_src);
            } else if let Some(v) = &ans.forks {
                *f = Some(v.value);
                note("forks", &v.source);
            }
        }
    }
    Ok(applied)
}

/// A setting from rb.toml (named `toml_src`) if it gives one, else from the Ansible side.
fn first_of<T: Clone>(
    toml: Option<T>,
    toml_src: &str,
    ansible: &Option<ansible::Sourced<T>>,
) -> Option<ansible::Sourced<T>> {
    match toml {
        Some(value) => Some(ansible::Sourced {
            value,
            source: toml_src.to_string(),
        }),
        None => ansible.clone(),
    }
}

/// ansible-core's inventory when nothing names one (`DEFAULT_HOST_LIST`).
const DEFAULT_INVENTORY: &str = "/etc/ansible/hosts";
