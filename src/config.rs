//! `rb.toml`: the settings an Ansible user keeps in ansible.cfg. Found (first of) `$RB_CONFIG`,
//! `rb.toml` beside the runbook (for `rb run`; the current folder for other commands), then
//! `$XDG_CONFIG_HOME/rb/rb.toml` (`~/.config/rb/rb.toml`). A command-line flag wins over its
//! environment variable, which wins over the file.

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
    let here = match runbook.and_then(Path::parent) {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
        let dir = self.path.parent().unwrap_or(Path::new("."));
        if Path::new(p).is_absolute() || p.contains(',') {
            p.to_string()
        } else {
            dir.join(p).display().to_string()
        }
    }
}

/// Fill what the command line and the environment left unset from rb.toml.
pub fn apply_config(cli: &mut Cli, matches: &clap::ArgMatches) -> Result<(), Diagnostic> {
    let Some((_, sub)) = matches.subcommand() else {
        return Ok(());
    };
    let (hosts, forks, become_, runbook) = match &mut cli.command {
        Command::Run(a) => (
            &mut a.hosts,
            Some(&mut a.forks),
            Some(&mut a.become_),
            Some(a.file.clone()),
        ),
        Command::Exec(a) => (&mut a.hosts, Some(&mut a.forks), Some(&mut a.become_), None),
        Command::Hosts(a) => (&mut a.hosts, None, None, None),
        Command::Repl(a) => (&mut a.hosts, None, Some(&mut a.become_), None),
        Command::Inventory(a) => (&mut a.hosts, None, None, None),
        _ => return Ok(()),
    };
    let Some(found) = find(runbook.as_deref()).map_err(usage)? else {
        return Ok(());
    };
    let c = &found.config;
    let given = |id: &str| given(sub, id);
    if !given("inventory") {
        match &c.inventory {
            Some(Sources::One(s)) => hosts.inventory = vec![found.path_of(s)],
            Some(Sources::Many(v)) => {
                hosts.inventory = v.iter().map(|s| found.path_of(s)).collect()
            }
            None => {}
        }
    }
    if !given("user") && c.remote_user.is_some() {
        hosts.user = c.remote_user.clone();
    }
    if !given("private_key") {
        if let Some(k) = &c.private_key_file {
            hosts.private_key = Some(found.path_of(k));
        }
    }
    if !given("ssh_common_args") && c.ssh_common_args.is_some() {
        hosts.ssh_common_args = c.ssh_common_args.clone();
    }
    if !given("ssh_config") {
        if let Some(f) = &c.ssh_config {
            hosts.ssh_config = Some(PathBuf::from(found.path_of(f)));
        }
    }
    if !given("ssh_persist") {
        if let Some(n) = c.ssh_persist {
            hosts.ssh_persist = n;
        }
    }
    if !given("connect_timeout") {
        if let Some(n) = c.connect_timeout {
            hosts.connect_timeout = n;
        }
    }
    if let Some(b) = become_ {
        if !given("become_") {
            b.become_ = c.become_.unwrap_or(false);
        }
        if !given("become_user") && c.become_user.is_some() {
            b.become_user = c.become_user.clone();
        }
    }
    if let (Some(f), Some(n)) = (forks, c.forks) {
        if n == 0 {
            return Err(usage(format!(
                "{}: forks must be at least 1",
                found.path.display()
            )));
        }
        if !given("forks") {
            *f = Some(n);
        }
    }
    Ok(())
}
