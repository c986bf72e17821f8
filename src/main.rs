//! The `rb` command line: arguments (clap), signals, and what each subcommand prints. The
//! work is in the `rb` library (crates/lang) and the crates under it.

// `Diagnostic`, the error people read, is returned once per command; boxing it would only
// add noise at every `?`.
#![allow(clippy::result_large_err)]

use clap::{Args, Parser, Subcommand};
use rb::inventory::{Inventory, Order};
mod config;
mod printer;
mod repl;

use printer::{HumanPrinter, JsonPrinter};
use rb::transport::SshOptions;
use rb::{Diagnostic, Runtime, RuntimeBuilder};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "rb",
    version,
    about = "Runbooks for people who operate clusters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Print a shell completion script: rb completions bash > /etc/bash_completion.d/rb
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): rb man > /usr/local/share/man/man1/rb.1
    Man,
}

#[derive(Args)]
struct InventoryArgs {
    #[command(flatten)]
    hosts: HostOpts,
    /// Every group and host, with each host's merged variables (ansible-inventory --list).
    #[arg(long, conflicts_with = "host")]
    list: bool,
    /// One host's merged variables (ansible-inventory --host).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// A runbook folder whose group_vars/ and host_vars/ apply too (ansible's --playbook-dir).
    #[arg(long = "playbook-dir", value_name = "DIR")]
    playbook_dir: Option<PathBuf>,
}

/// Variables: --vars files, then -e.
#[derive(Args)]
struct VarArgs {
    /// Set variables: -e 'k=v k2="a b"' (ints and true/false typed, {..}/[..] as JSON),
    /// -e '{"k": 1}' (JSON or YAML), -e @vars.yml (a file). Later -e win.
    #[arg(
        short = 'e',
        long = "extra-vars",
        visible_alias = "extra-var",
        value_name = "VARS"
    )]
    extra: Vec<String>,
    /// Read variables from a JSON or YAML file (applied before -e).
    #[arg(long = "vars", value_name = "FILE")]
    vars: Vec<PathBuf>,
}

#[derive(Args)]
struct ReplArgs {
    #[command(flatten)]
    hosts: HostOpts,
    #[command(flatten)]
    vars: VarArgs,
    #[command(flatten)]
    become_: BecomeArgs,
}

/// Where hosts come from and how to reach them.
#[derive(Args)]
struct HostOpts {
    /// Inventory: an INI or YAML file, a folder of them, or `host1,host2,`. Repeat to
    /// merge several, in order. Without it, the only host is localhost.
    #[arg(
        short = 'i',
        long = "inventory",
        value_name = "SOURCE",
        env = "RB_INVENTORY"
    )]
    inventory: Vec<String>,
    /// Narrow every host selection to this pattern.
    #[arg(short = 'l', long)]
    limit: Option<String>,
    /// Seed for `shuffle` orders, for reproducible runs.
    #[arg(long)]
    seed: Option<u64>,
    /// Login user for hosts whose inventory sets no ansible_user.
    #[arg(
        short = 'u',
        long = "user",
        value_name = "NAME",
        env = "RB_REMOTE_USER"
    )]
    user: Option<String>,
    /// SSH key for hosts whose inventory names none (ansible_ssh_private_key_file).
    #[arg(long = "private-key", value_name = "FILE", env = "RB_PRIVATE_KEY_FILE")]
    private_key: Option<String>,
    /// ssh options for hosts whose inventory sets no ansible_ssh_common_args.
    #[arg(
        long = "ssh-common-args",
        value_name = "ARGS",
        env = "RB_SSH_COMMON_ARGS",
        allow_hyphen_values = true
    )]
    ssh_common_args: Option<String>,
    /// ssh config file to use instead of ~/.ssh/config.
    #[arg(long = "ssh-config", value_name = "FILE", env = "RB_SSH_CONFIG")]
    ssh_config: Option<PathBuf>,
    /// Seconds to wait for an SSH connection.
    #[arg(
        long = "connect-timeout",
        default_value_t = 10,
        env = "RB_CONNECT_TIMEOUT"
    )]
    connect_timeout: u64,
    /// Keep SSH connections open this many idle seconds after the run, for later runs to
    /// reuse (Ansible's ControlPersist, also 60 s). 0: close them at exit.
    #[arg(
        long = "ssh-persist",
        value_name = "SECONDS",
        env = "RB_SSH_PERSIST",
        default_value_t = 60
    )]
    ssh_persist: u64,
}

/// Privilege: run commands and file operations as another user through sudo.
#[derive(Args, Clone, Default)]
struct BecomeArgs {
    /// Run every command and file operation on the inventory's hosts through sudo, as
    /// root unless --become-user (a host's ansible_become* variables and an operation's
    /// own `become` option win).
    #[arg(short = 'b', long = "become")]
    become_: bool,
    /// The user --become runs as (default root).
    #[arg(long = "become-user", value_name = "USER")]
    become_user: Option<String>,
    /// Ask for the sudo password on the terminal (not echoed); hosts whose inventory sets
    /// ansible_become_password use theirs.
    #[arg(
        short = 'K',
        long = "ask-become-pass",
        conflicts_with = "become_password_file"
    )]
    ask_become_pass: bool,
    /// Read the sudo password from the first line of this file (for unattended runs).
    #[arg(long = "become-password-file", value_name = "FILE")]
    become_password_file: Option<PathBuf>,
}

impl BecomeArgs {
    /// Apply to a builder: the password is read here, before any host is contacted.
    fn apply(&self, b: RuntimeBuilder) -> Result<RuntimeBuilder, Diagnostic> {
        let mut b = b.become_all(self.become_, self.become_user.clone());
        let password = if self.ask_become_pass {
            Some(rpassword::prompt_password("BECOME password: ").map_err(|e| {
                usage(format!(
                    "-K/--ask-become-pass cannot read a password from the terminal ({e}); use --become-password-file FILE for runs without one"
                ))
            })?)
        } else if let Some(f) = &self.become_password_file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| usage(format!("--become-password-file {}: {e}", f.display())))?;
            Some(text.lines().next().unwrap_or_default().to_string())
        } else {
            None
        };
        if let Some(pw) = password {
            b = b.become_password(pw);
        }
        Ok(b)
    }
}

#[derive(Args)]
struct Output {
    /// Print newline-delimited JSON events instead of human output.
    #[arg(long)]
    json: bool,
    /// Kill a command whose stdout and stderr together pass this size (bytes, or with K, M,
    /// G: KiB, MiB, GiB); its call fails. 0: no limit.
    #[arg(long = "max-output", value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_output: usize,
    /// The most output the commands running at once may hold together (same units): the
    /// one that passes it is killed and its call fails. 0: no limit.
    #[arg(long = "max-output-total", value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    max_output_total: usize,
    /// More detail: -v each command's output, -vv task starts and ends too, -vvv ssh's own
    /// debug output while connecting.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,
}

/// `256M` → 268435456: sizes as people write them.
fn parse_size(s: &str) -> Result<usize, String> {
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
struct RunArgs {
    /// The runbook (.rhai).
    file: PathBuf,
    #[command(flatten)]
    hosts: HostOpts,
    #[command(flatten)]
    vars: VarArgs,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    become_: BecomeArgs,
    /// Check mode: report what would run and change; run only read-only commands.
    #[arg(short = 'C', long)]
    check: bool,
    /// Show file changes as diffs.
    #[arg(short = 'D', long)]
    diff: bool,
    /// Stop a run whose script takes more than this many operations (a loop that never
    /// ends); 0: no limit.
    #[arg(long = "max-operations", value_name = "N", default_value_t = rb::DEFAULT_MAX_OPERATIONS)]
    max_operations: u64,
    /// At most this many hosts at once in every on(...) that sets no forks (default: the
    /// whole batch).
    #[arg(short = 'f', long, env = "RB_FORKS", value_parser = clap::value_parser!(u64).range(1..))]
    forks: Option<u64>,
    /// Run only tasks with these tags (comma-separated; Ansible's rules: `always`, `never`,
    /// `tagged`, `untagged`, `all`).
    #[arg(short = 't', long, value_name = "TAGS")]
    tags: Vec<String>,
    /// Skip tasks with these tags (comma-separated).
    #[arg(long = "skip-tags", value_name = "TAGS")]
    skip_tags: Vec<String>,
    /// On each host, skip tasks until the first one with this name (a glob, or a path
    /// `outer › inner`).
    #[arg(long = "start-at-task", value_name = "NAME")]
    start_at_task: Option<String>,
    /// List the runbook's tasks and their tags, and run nothing.
    #[arg(long = "list-tasks")]
    list_tasks: bool,
}

#[derive(Args)]
struct ExecArgs {
    /// Host pattern (all, groups, a:b, a:&b, a:!b, globs).
    pattern: String,
    /// The command, run by /bin/sh on each host.
    command: String,
    #[command(flatten)]
    hosts: HostOpts,
    /// At most this many hosts at once (default: all).
    #[arg(short = 'f', long, env = "RB_FORKS", value_parser = clap::value_parser!(u64).range(1..))]
    forks: Option<u64>,
    /// Seconds before the command is killed.
    #[arg(long)]
    timeout: Option<f64>,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    become_: BecomeArgs,
}

#[derive(Args)]
struct HostsArgs {
    /// Host pattern.
    pattern: String,
    #[command(flatten)]
    hosts: HostOpts,
    /// inventory, reverse_inventory, sorted, reverse_sorted or shuffle.
    #[arg(long, default_value = "inventory")]
    order: String,
}

fn usage(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::plain(msg, 2)
}

/// The inventory of `-i` (several merge in order); `playbook_dir` adds the runbook's
/// folder's group_vars/ and host_vars/.
fn load_inventory(
    opts: &HostOpts,
    playbook_dir: Option<&std::path::Path>,
) -> Result<Inventory, Diagnostic> {
    let mut inv = if opts.inventory.is_empty() {
        Inventory::localhost()
    } else {
        Inventory::load(&opts.inventory, playbook_dir).map_err(|e| usage(e.to_string()))?
    };
    // --private-key and --ssh-common-args are defaults under every inventory value, as
    // ansible.cfg's are: set on `all` unless the inventory sets them there.
    let defaults = [
        ("ansible_ssh_private_key_file", &opts.private_key),
        ("ansible_ssh_common_args", &opts.ssh_common_args),
    ];
    for (var, value) in defaults {
        let Some(v) = value else { continue };
        let all = inv.groups.get_mut("all").expect("every inventory has all");
        let set = |k: &str| all.vars.values.contains_key(k);
        let alias = var.replace("ansible_ssh_", "ansible_");
        if !set(var) && !set(&alias) {
            all.vars.set(
                var,
                serde_json::Value::String(v.clone()),
                rb::inventory::Origin {
                    file: "(command line, environment or rb.toml)".into(),
                    line: 0,
                },
            );
        }
    }
    Ok(inv)
}

/// The folder a runbook lives in (ansible-core's playbook folder).
fn runbook_dir(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A runtime builder with the hosts, ssh settings, printer and Ctrl-C wired up.
fn builder(
    opts: &HostOpts,
    playbook_dir: Option<&std::path::Path>,
    json: bool,
    verbosity: u8,
    cancel: &CancellationToken,
) -> Result<RuntimeBuilder, Diagnostic> {
    let mut b = Runtime::builder()
        .inventory(load_inventory(opts, playbook_dir)?)
        .cancel_token(cancel.clone())
        .ssh_options(SshOptions {
            config: opts.ssh_config.clone(),
            user: opts.user.clone(),
            connect_timeout: Duration::from_secs(opts.connect_timeout.max(1)),
            persist: (opts.ssh_persist > 0).then(|| Duration::from_secs(opts.ssh_persist)),
            debug: verbosity >= 3,
            ..SshOptions::default()
        })
        .verbosity(verbosity);
    if let Some(l) = &opts.limit {
        b = b.limit(l);
    }
    if let Some(s) = opts.seed {
        b = b.seed(s);
    }
    Ok(if json {
        let p = JsonPrinter;
        b.on_event(move |e| p.print(e))
    } else {
        let p = HumanPrinter::new(std::io::stderr().is_terminal(), verbosity);
        b.on_event(move |e| p.print(e))
    })
}

/// Ctrl-C (and SIGTERM, SIGHUP: a closed terminal, a CI timeout) stops the run the same way:
/// no new work, commands in flight killed on their hosts, recap, exit 130. A second Ctrl-C
/// exits at once.
fn on_ctrl_c(rt: &Runtime, cancel: &CancellationToken) {
    use tokio::signal::unix::SignalKind;
    let c = cancel.clone();
    on_signal(rt, SignalKind::interrupt(), move || {
        if c.is_cancelled() {
            eprintln!("interrupted again: exiting now; commands in flight may still run");
            std::process::exit(130);
        }
        c.cancel();
    });
    for kind in [SignalKind::terminate(), SignalKind::hangup()] {
        let c = cancel.clone();
        on_signal(rt, kind, move || c.cancel());
    }
}

/// Call `f` on every `kind` signal. The handler is installed before this returns, not
/// whenever a worker first polls a task: the REPL's line editor saves the SIGINT handler
/// when a prompt starts and restores it after, so it must find ours already there.
fn on_signal(
    rt: &Runtime,
    kind: tokio::signal::unix::SignalKind,
    mut f: impl FnMut() + Send + 'static,
) {
    let handle = &rt.context().handle;
    let _entered = handle.enter();
    match tokio::signal::unix::signal(kind) {
        Ok(mut sig) => {
            handle.spawn(async move {
                while sig.recv().await.is_some() {
                    f();
                }
            });
        }
        Err(e) => eprintln!("warning: cannot catch signal {}: {e}", kind.as_raw_value()),
    }
}

fn with_vars(mut b: RuntimeBuilder, args: &VarArgs) -> Result<RuntimeBuilder, Diagnostic> {
    for f in &args.vars {
        let yaml = f.extension().is_some_and(|e| e == "yml" || e == "yaml");
        if yaml {
            // The file's own words, named as the --vars it came from (not as an -e @file).
            let m = rb::inventory::parse_extra_vars(&format!("@{}", f.display())).map_err(|e| {
                let why = match e {
                    rb::inventory::Error::ExtraVars { message, .. } => message,
                    other => other.to_string(),
                };
                usage(format!("--vars {}: {why}", f.display()))
            })?;
            b = b
                .vars_json(&serde_json::Value::Object(m))
                .map_err(|d| usage(format!("{}: {}", f.display(), d.message)))?;
            continue;
        }
        let text = std::fs::read_to_string(f)
            .map_err(|e| usage(format!("cannot read --vars {}: {e}", f.display())))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            usage(format!(
                "{}:{}:{}: invalid JSON: {e}",
                f.display(),
                e.line(),
                e.column()
            ))
        })?;
        b = b
            .vars_json(&json)
            .map_err(|d| usage(format!("{}: {}", f.display(), d.message)))?;
    }
    for arg in &args.extra {
        let m = rb::inventory::parse_extra_vars(arg).map_err(|e| usage(e.to_string()))?;
        // key=value values are typed as documented (docs/hosts.md); JSON, YAML and files
        // keep the types they were written with.
        let kv_form = rb::inventory::is_key_value(arg);
        for (k, v) in m {
            b = match (kv_form, v) {
                (true, serde_json::Value::String(s)) => b.var(&k, rb::parse_cli_value(&s)),
                (_, v) => b
                    .vars_json(&serde_json::json!({ k: v }))
                    .map_err(|d| usage(d.message))?,
            };
        }
    }
    Ok(b)
}

fn run(args: RunArgs) -> Result<(), Diagnostic> {
    let cancel = run_cancel();
    let b = builder(
        &args.hosts,
        Some(&runbook_dir(&args.file)),
        args.output.json,
        args.output.verbose,
        &cancel,
    )?
    .check_mode(args.check)
    .diff(args.diff);
    let b = args.become_.apply(b)?;
    let b = match args.forks {
        Some(f) => b.forks(f as usize),
        None => b,
    }
    .max_operations(args.max_operations)
    .max_output(args.output.max_output)
    .max_output_total(args.output.max_output_total)
    .tasks(rb::tasks::TaskFilter::new(
        &args.tags,
        &args.skip_tags,
        args.start_at_task.clone(),
    ));
    let mut rt = with_vars(b, &args.vars)?.build()?;
    if args.list_tasks {
        return list_tasks(&mut rt, &args.file);
    }
    on_ctrl_c(&rt, &cancel);
    rt.run_file(&args.file).map(|_| ())
}

/// `rb run --list-tasks`: as ansible-playbook's, one line a task with its own tags.
fn list_tasks(rt: &mut rb::Runtime, file: &std::path::Path) -> Result<(), Diagnostic> {
    let tasks = rt.list_tasks(file)?;
    println!("runbook: {}\n", file.display());
    for t in tasks {
        println!(
            "  {}{}\tTAGS: [{}]",
            "  ".repeat(t.depth),
            t.name,
            t.tags.join(", ")
        );
    }
    Ok(())
}

fn exec(args: ExecArgs) -> Result<(), Diagnostic> {
    let timeout = match args.timeout {
        None => None,
        Some(t) if t.is_finite() && t > 0.0 && t <= 31_536_000.0 => {
            Some(Duration::from_secs_f64(t))
        }
        Some(t) => {
            return Err(usage(format!(
                "--timeout {t}: give seconds, more than 0 and at most a year"
            )))
        }
    };
    let cancel = run_cancel();
    let b = builder(
        &args.hosts,
        None,
        args.output.json,
        args.output.verbose,
        &cancel,
    )?;
    let rt = args
        .become_
        .apply(b)?
        .max_output(args.output.max_output)
        .max_output_total(args.output.max_output_total)
        .build()?;
    on_ctrl_c(&rt, &cancel);
    let rows = rt.exec(&rb::adhoc::AdHoc {
        pattern: args.pattern.clone(),
        command: args.command.clone(),
        forks: args.forks.map(|f| f as usize),
        timeout,
    })?;
    if !args.output.json {
        print_exec_rows(&rows);
    }
    // A non-zero rc fails its host, as in Ansible's ad hoc mode.
    let failed = !rt
        .context()
        .failed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_empty();
    if failed {
        Err(Diagnostic {
            reported: true,
            ..Diagnostic::plain("a host failed", 1)
        })
    } else {
        Ok(())
    }
}

/// One block per host: status line, stdout, then stderr, never interleaved with other hosts.
fn print_exec_rows(rows: &[rb::adhoc::Row]) {
    for row in rows {
        let name = &row.host;
        let o = match &row.outcome {
            Err(e) => {
                let what = if e.is_unreachable() {
                    "UNREACHABLE"
                } else {
                    "FAILED"
                };
                println!("{name} | {what} >>\n{e}");
                continue;
            }
            Ok(o) => o,
        };
        let status = if o.rc == 0 { "CHANGED" } else { "FAILED" };
        println!("{name} | {status} | rc={} >>", o.rc);
        for stream in [&o.stdout, &o.stderr] {
            if !stream.is_empty() {
                print!("{stream}");
                if !stream.ends_with('\n') {
                    println!();
                }
            }
        }
    }
}

fn repl(args: ReplArgs) -> Result<(), Diagnostic> {
    let cancel = run_cancel();
    let b = args
        .become_
        .apply(builder(&args.hosts, None, false, 0, &cancel)?)?;
    let rt = with_vars(b, &args.vars)?.build()?;
    // Ctrl-C while an entry runs cancels that entry only (each entry gets a fresh token);
    // at the prompt the line editor sees Ctrl-C as a key and clears the line.
    // A closed terminal (SIGHUP) stops the running entry the same way, so nothing is left
    // running on the hosts; the line editor then finds no terminal and the REPL ends.
    for kind in [
        tokio::signal::unix::SignalKind::interrupt(),
        tokio::signal::unix::SignalKind::hangup(),
    ] {
        let ctx = rt.context().clone();
        on_signal(&rt, kind, move || ctx.cancel().cancel());
    }
    let name = match args.hosts.inventory.first() {
        None => "localhost".into(),
        Some(p) => std::path::Path::new(p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.clone()),
    };
    match repl::run(rt, name) {
        0 => Ok(()),
        code => Err(Diagnostic {
            reported: true,
            ..Diagnostic::plain("the REPL ended with an error", code)
        }),
    }
}

fn hosts(args: HostsArgs) -> Result<(), Diagnostic> {
    let inv = load_inventory(&args.hosts, None)?;
    let order = Order::parse(&args.order, args.hosts.seed).map_err(|e| usage(e.to_string()))?;
    let sel = inv
        .select(&args.pattern)
        .map_err(|e| usage(e.to_string()))?;
    for t in sel.unmatched {
        eprintln!(
            "warning: host pattern `{t}` matches no host or group in {}",
            inv.describe()
        );
    }
    let limit = match &args.hosts.limit {
        None => None,
        Some(l) => Some(inv.select(l).map_err(|e| usage(e.to_string()))?.hosts),
    };
    let mut names: Vec<String> = sel
        .hosts
        .into_iter()
        .filter(|i| limit.as_ref().is_none_or(|l| l.contains(i)))
        .map(|i| inv.hosts[i].name.clone())
        .collect();
    order.apply(&mut names);
    for n in names {
        println!("{n}");
    }
    Ok(())
}

fn inventory(args: InventoryArgs) -> Result<(), Diagnostic> {
    if args.hosts.inventory.is_empty() {
        return Err(usage(
            "rb inventory needs -i SOURCE (a file, a folder or 'host1,host2,')",
        ));
    }
    let inv = load_inventory(&args.hosts, args.playbook_dir.as_deref())?;
    let out = match (&args.host, args.list) {
        (Some(h), _) => inv.host_json(h).map_err(|e| usage(e.to_string()))?,
        (None, true) => inv.to_list_json(),
        (None, false) => return Err(usage("rb inventory needs --list or --host NAME")),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON values serialize")
    );
    Ok(())
}

fn check(files: Vec<PathBuf>) -> Result<(), Diagnostic> {
    let mut worst = Ok(());
    for f in files {
        let mut rt = Runtime::builder().build()?;
        if let Err(d) = rt.check_file(&f) {
            eprintln!("{d}");
            worst = Err(Diagnostic {
                reported: true,
                ..d
            });
        }
    }
    worst
}

/// The cancellation of the run this process does, reachable from the panic hook.
static RUN_CANCEL: std::sync::OnceLock<CancellationToken> = std::sync::OnceLock::new();

fn run_cancel() -> CancellationToken {
    RUN_CANCEL.get_or_init(CancellationToken::new).clone()
}

/// A panic is a bug in rb, never a user's mistake: stop every command in flight (local
/// and remote process groups are killed on cancellation), say so in one line, exit 70.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if let Some(c) = RUN_CANCEL.get() {
            c.cancel();
            // Give the transports a moment to kill what is running.
            std::thread::sleep(Duration::from_millis(500));
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "error: rb hit an internal error ({what}{at}) and stopped its commands; this is a bug in rb, please report it with the command you ran"
        );
        std::process::exit(70);
    }));
}

/// Stack of the thread rb runs on. Rhai clones, drops and compares nested values
/// recursively, so a runbook can build a value deep enough to overflow a default 8 MiB stack
/// (about 30,000 levels); with this much, building such a value takes longer than anyone
/// waits. Only the pages touched are ever allocated.
const STACK_SIZE: usize = 512 << 20;

/// Raise the open-files limit to its hard maximum: every SSH host holds a master socket and
/// a few pipes, and 200 hosts at once pass the usual soft limit of 1024.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn main() -> ExitCode {
    install_panic_hook();
    raise_fd_limit();
    match std::thread::Builder::new()
        .name("rb".into())
        .stack_size(STACK_SIZE)
        .spawn(rb_main)
    {
        // A panic exits from the hook, so join sees only returns.
        Ok(t) => t.join().unwrap_or(ExitCode::from(70)),
        // No address space for that stack (a `ulimit -v`): run here, on the usual one.
        Err(_) => rb_main(),
    }
}

/// Fill what the command line and the environment left unset from rb.toml.
fn apply_config(cli: &mut Cli, matches: &clap::ArgMatches) -> Result<(), Diagnostic> {
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
    let Some(found) = config::find(runbook.as_deref()).map_err(usage)? else {
        return Ok(());
    };
    let c = &found.config;
    let given = |id: &str| config::given(sub, id);
    if !given("inventory") {
        match &c.inventory {
            Some(config::Sources::One(s)) => hosts.inventory = vec![found.path_of(s)],
            Some(config::Sources::Many(v)) => {
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

fn rb_main() -> ExitCode {
    // Test seam, debug builds only: prove the hook's behaviour without a real bug.
    #[cfg(debug_assertions)]
    if std::env::var_os("RB_DEBUG_PANIC").is_some() {
        panic!("RB_DEBUG_PANIC is set");
    }
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Err(d) = apply_config(&mut cli, &matches) {
        eprintln!("error: {}", d.message);
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Check { files } => check(files),
        Command::Exec(args) => exec(args),
        Command::Hosts(args) => hosts(args),
        Command::Repl(args) => repl(args),
        Command::Inventory(args) => inventory(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "rb", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Diagnostic::plain(format!("cannot write the man page: {e}"), 1))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(d) => {
            if !d.reported {
                eprintln!("error: {d}");
            }
            ExitCode::from(d.exit_code.clamp(0, 255) as u8)
        }
    }
}
