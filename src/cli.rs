//! The command line, every flag defined once (clap). What each subcommand does is in
//! commands.rs; rb.toml fills what the command line leaves unset (config.rs).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rb",
    version,
    about = "Runbooks for people who operate clusters"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a runbook.
    Run(RunArgs),
    /// Compile runbooks without running them; report every error as file:line:col.
    Check {
        /// Runbook files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run one command on the hosts a pattern selects; output grouped per host.
    Exec(ExecArgs),
    /// Show the hosts a pattern selects, in order.
    Hosts(HostsArgs),
    /// Interactive: the runbook language with history, completion and multi-line entry.
    Repl(ReplArgs),
    /// Show the inventory as ansible-inventory does: --list (JSON) or --host NAME.
    Inventory(InventoryArgs),
    /// Show the settings a command here would use, each with where it came from: the
    /// command line, rb.toml, ansible.cfg or an ANSIBLE_* variable.
    Config(ConfigArgs),
    /// Print a shell completion script: rb completions bash > /etc/bash_completion.d/rb
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): rb man > rb.1, rb man run > rb-run.1; or write them all:
    /// rb man --dir /usr/local/share/man/man1
    Man {
        /// A subcommand's page (rb-run(1), rb-exec(1), ...) instead of rb(1).
        subcommand: Option<String>,
        /// Write rb.1 and every rb-SUBCOMMAND.1 into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
    /// Print a function's or stdlib module's reference with its example (rb doc sh, rb doc
    /// net, rb doc net::wait_port); without NAME, every function and module.
    Doc {
        /// A function, a stdlib module, or module::function.
        name: Option<String>,
    },
}

#[derive(Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub hosts: HostOpts,
    /// Every group and host, with each host's merged variables (ansible-inventory --list).
    #[arg(long, conflicts_with = "host")]
    pub list: bool,
    /// One host's merged variables (ansible-inventory --host).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// A runbook folder whose group_vars/ and host_vars/ apply too (ansible's --playbook-dir).
    #[arg(long = "playbook-dir", value_name = "DIR")]
    pub playbook_dir: Option<PathBuf>,
}

/// Variables: --vars files, then -e.
#[derive(Args)]
pub struct VarArgs {
    /// Set variables: -e 'k=v k2="a b"' (ints and true/false typed, {..}/[..] as JSON),
    /// -e '{"k": 1}' (JSON or YAML), -e @vars.yml (a file). Later -e win.
    #[arg(
        short = 'e',
        long = "extra-vars",
        visible_alias = "extra-var",
        value_name = "VARS"
    )]
    pub extra: Vec<String>,
    /// Read variables from a JSON or YAML file (applied before -e).
    #[arg(long = "vars", value_name = "FILE")]
    pub vars: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ReplArgs {
    #[command(flatten)]
    pub hosts: HostOpts,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub become_: BecomeArgs,
}

/// Where hosts come from and how to reach them.
#[derive(Args)]
pub struct HostOpts {
    /// Inventory: an INI or YAML file, a folder of them, or `host1,host2,`. Repeat to
    /// merge several, in order. Without it, the only host is localhost.
    #[arg(
        short = 'i',
        long = "inventory",
        value_name = "SOURCE",
        env = "RB_INVENTORY"
    )]
    pub inventory: Vec<String>,
    /// Narrow every host selection to this pattern.
    #[arg(short = 'l', long)]
    pub limit: Option<String>,
    /// Seed for `shuffle` orders, for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Login user for hosts whose inventory sets no ansible_user.
    #[arg(
        short = 'u',
        long = "user",
        value_name = "NAME",
        env = "RB_REMOTE_USER"
    )]
    pub user: Option<String>,
    /// SSH key for hosts whose inventory names none (ansible_ssh_private_key_file).
    #[arg(long = "private-key", value_name = "FILE", env = "RB_PRIVATE_KEY_FILE")]
    pub private_key: Option<String>,
    /// ssh options for hosts whose inventory sets no ansible_ssh_common_args.
    #[arg(
        long = "ssh-common-args",
        value_name = "ARGS",
        env = "RB_SSH_COMMON_ARGS",
        allow_hyphen_values = true
    )]
    pub ssh_common_args: Option<String>,
    /// ssh config file to use instead of ~/.ssh/config.
    #[arg(long = "ssh-config", value_name = "FILE", env = "RB_SSH_CONFIG")]
    pub ssh_config: Option<PathBuf>,
    /// Seconds to wait for an SSH connection.
    #[arg(
        long = "connect-timeout",
        default_value_t = 10,
        env = "RB_CONNECT_TIMEOUT"
    )]
    pub connect_timeout: u64,
    /// Keep SSH connections open this many idle seconds after the run, for later runs to
    /// reuse (Ansible's ControlPersist, also 60 s). 0: close them at exit.
    #[arg(
        long = "ssh-persist",
        value_name = "SECONDS",
        env = "RB_SSH_PERSIST",
        default_value_t = 60
    )]
    pub ssh_persist: u64,
    /// ansible.cfg's `[ssh_connection] ssh_args`: a default under each host's
    /// `ansible_ssh_args` (no flag of its own).
    #[arg(skip)]
    pub ssh_args: Option<String>,
    /// ansible.cfg's `[ssh_connection] ssh_extra_args`, likewise.
    #[arg(skip)]
    pub ssh_extra_args: Option<String>,
    /// ansible.cfg's `ansible_managed`, for templates.
    #[arg(skip)]
    pub ansible_managed: Option<String>,
}

#[derive(Args)]
pub struct ConfigArgs {
    /// The runbook whose folder's rb.toml applies (as for `rb run`).
    pub runbook: Option<PathBuf>,
    #[command(flatten)]
    pub hosts: HostOpts,
    #[arg(short = 'f', long, env = "RB_FORKS", value_parser = parse_forks)]
    pub forks: Option<u64>,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub become_: BecomeArgs,
}

/// Ansible Vault: the password that decrypts `!vault` values and encrypted files.
#[derive(Args, Clone, Default)]
pub struct VaultArgs {
    /// Read the vault password from this file (an executable file is run and its output
    /// used, as in Ansible).
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE",
        env = "RB_VAULT_PASSWORD_FILE",
        conflicts_with = "ask_vault_pass"
    )]
    pub vault_password_file: Option<PathBuf>,
    /// Ask for the vault password on the terminal (not echoed).
    #[arg(
        short = 'J',
        long = "ask-vault-pass",
        visible_alias = "ask-vault-password"
    )]
    pub ask_vault_pass: bool,
}

/// Privilege: run commands and file operations as another user through sudo.
#[derive(Args, Clone, Default)]
pub struct BecomeArgs {
    /// Run every command and file operation on the inventory's hosts through sudo, as
    /// root unless --become-user (a host's ansible_become* variables and an operation's
    /// own `become` option win).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// The user --become runs as (default root).
    #[arg(long = "become-user", value_name = "USER")]
    pub become_user: Option<String>,
    /// Ask for the sudo password on the terminal (not echoed); hosts whose inventory sets
    /// ansible_become_password use theirs.
    #[arg(
        short = 'K',
        long = "ask-become-pass",
        conflicts_with = "become_password_file"
    )]
    pub ask_become_pass: bool,
    /// Read the sudo password from the first line of this file (for unattended runs).
    #[arg(long = "become-password-file", value_name = "FILE")]
    pub become_password_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct Output {
    /// Print newline-delimited JSON events instead of human output.
    #[arg(long)]
    pub json: bool,
    /// Kill a command whose stdout and stderr together pass this size (bytes, or with K, M,
    /// G: KiB, MiB, GiB); its call fails. 0: no limit.
    #[arg(long = "max-output", value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub max_output: usize,
    /// The most output the commands running at once may hold together (same units): the
    /// one that passes it is killed and its call fails. 0: no limit.
    #[arg(long = "max-output-total", value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub max_output_total: usize,
    /// More detail: -v each command's output, -vv task starts and ends too, -vvv ssh's own
    /// debug output while connecting.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour the human view: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    /// Also write the JSON events (as --json prints them) to FILE, while the terminal shows
    /// the human view.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `-f N`: how many hosts at once, 1 or more (0 would run nothing at all).
pub fn parse_forks(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("0 hosts at once would run nothing: give 1 or more (without -f, every host of a batch runs at once)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a number of hosts: give 1 or more")),
    }
}

/// `256M` → 268435456: sizes as people write them.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let shift = match unit {
        "" => 0,
        "K" | "k" | "KiB" => 10,
        "M" | "m" | "MiB" => 20,
        "G" | "g" | "GiB" => 30,
        _ => return Err(format!("`{s}`: give bytes, or a number with K, M or G")),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{s}`: give bytes, or a number with K, M or G"))
}

#[derive(Args)]
pub struct RunArgs {
    /// The runbook (.rhai).
    pub file: PathBuf,
    #[command(flatten)]
    pub hosts: HostOpts,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub become_: BecomeArgs,
    /// Run notified handlers even when the run stops on a failure, and on the hosts that
    /// failed (as ansible-playbook --force-handlers).
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Check mode: report what would run and change; run only read-only commands.
    #[arg(short = 'C', long)]
    pub check: bool,
    /// Show file changes as diffs.
    #[arg(short = 'D', long)]
    pub diff: bool,
    /// Stop a run whose script takes more than this many operations (a loop that never
    /// ends); 0: no limit.
    #[arg(long = "max-operations", value_name = "N", default_value_t = rb::DEFAULT_MAX_OPERATIONS)]
    pub max_operations: u64,
    /// At most this many hosts at once in every on(...) that sets no forks (default: the
    /// whole batch).
    #[arg(short = 'f', long, env = "RB_FORKS", value_parser = parse_forks)]
    pub forks: Option<u64>,
    /// Run only tasks with these tags (comma-separated; Ansible's rules: `always`, `never`,
    /// `tagged`, `untagged`, `all`).
    #[arg(short = 't', long, value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Skip tasks with these tags (comma-separated).
    #[arg(long = "skip-tags", value_name = "TAGS")]
    pub skip_tags: Vec<String>,
    /// On each host, skip tasks until the first one with this name (a glob, or a path
    /// `outer › inner`).
    #[arg(long = "start-at-task", value_name = "NAME")]
    pub start_at_task: Option<String>,
    /// List the runbook's tasks and their tags, and run nothing.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
}

#[derive(Args)]
pub struct ExecArgs {
    /// Host pattern (all, groups, a:b, a:&b, a:!b, globs).
    pub pattern: String,
    /// The command, run by /bin/sh on each host.
    pub command: String,
    #[command(flatten)]
    pub hosts: HostOpts,
    /// At most this many hosts at once (default: all).
    #[arg(short = 'f', long, env = "RB_FORKS", value_parser = parse_forks)]
    pub forks: Option<u64>,
    /// Seconds before the command is killed.
    #[arg(long)]
    pub timeout: Option<f64>,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub become_: BecomeArgs,
}

#[derive(Args)]
pub struct HostsArgs {
    /// Host pattern.
    pub pattern: String,
    #[command(flatten)]
    pub hosts: HostOpts,
    /// inventory, reverse_inventory, sorted, reverse_sorted or shuffle.
    #[arg(long, default_value = "inventory")]
    pub order: String,
}
