//! What each subcommand does: build the runtime from the flags, run, print. The rules
//! themselves (inventories, variables, selection) live in the crates.

use crate::cli::{
    BecomeArgs, ExecArgs, HostOpts, HostsArgs, InventoryArgs, ReplArgs, RunArgs, VarArgs,
};
use crate::printer::{HumanPrinter, JsonPrinter};
use crate::repl;
use crate::run_cancel;
use rb::inventory::{Inventory, Order};
use rb::transport::SshOptions;
use rb::{Diagnostic, Runtime, RuntimeBuilder};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub fn usage(msg: impl Into<String>) -> Diagnostic {
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
    // ansible.cfg's are.
    let defaults = [
        ("ansible_ssh_private_key_file", &opts.private_key),
        ("ansible_ssh_common_args", &opts.ssh_common_args),
        ("ansible_ssh_args", &opts.ssh_args),
        ("ansible_ssh_extra_args", &opts.ssh_extra_args),
    ];
    for (var, value) in defaults {
        if let Some(v) = value {
            inv.default_on_all(
                var,
                v,
                "(command line, environment, rb.toml or ansible.cfg)",
            );
        }
    }
    Ok(inv)
}

/// The vault password: from `--vault-password-file` (or its setting in rb.toml's
/// environment, ansible.cfg), or asked on the terminal with `--ask-vault-pass`.
fn vault_password(v: &crate::cli::VaultArgs) -> Result<Option<Vec<u8>>, Diagnostic> {
    if v.ask_vault_pass {
        let pw = rpassword::prompt_password("Vault password: ")
            .map_err(|e| usage(format!("--ask-vault-pass: cannot read the password: {e}")))?;
        if pw.is_empty() {
            return Err(usage("--ask-vault-pass: the password is empty"));
        }
        return Ok(Some(pw.into_bytes()));
    }
    match &v.vault_password_file {
        None => Ok(None),
        Some(f) => rb::inventory::vault::read_password_file(f)
            .map(Some)
            .map_err(usage),
    }
}

/// The folder a runbook lives in (ansible-core's playbook folder).
fn runbook_dir(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A runtime builder with the hosts, ssh settings, printer and Ctrl-C wired up.
/// Where a command's events go: the human view (coloured or not) or JSON on stdout, and
/// `--log FILE`'s JSON beside either.
pub struct Sink {
    json: bool,
    verbosity: u8,
    color: crate::cli::ColorChoice,
    log: Option<std::path::PathBuf>,
    /// `rb exec`'s view: a block per host instead of lines and a recap.
    adhoc: bool,
}

impl Sink {
    fn of(o: &crate::cli::Output) -> Self {
        Sink {
            json: o.json,
            verbosity: o.verbose,
            color: o.color,
            log: o.log.clone(),
            adhoc: false,
        }
    }

    fn repl() -> Self {
        Sink {
            json: false,
            verbosity: 0,
            color: crate::cli::ColorChoice::Auto,
            log: None,
            adhoc: false,
        }
    }
}

/// A runtime builder for `opts`, its events going where `sink` says. Returns the human
/// printer too, when there is one, for output that is not an event (`rb exec`'s blocks).
fn builder(
    opts: &HostOpts,
    playbook_dir: Option<&std::path::Path>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<(RuntimeBuilder, Option<Arc<HumanPrinter>>), Diagnostic> {
    let verbosity = sink.verbosity;
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
    if let Some(m) = &opts.ansible_managed {
        b = b.ansible_managed(m);
    }
    crate::printer::use_colors(sink.color);
    let log = match &sink.log {
        None => None,
        Some(f) => Some(
            JsonPrinter::file(f)
                .map_err(|e| usage(format!("--log {}: cannot write there ({e})", f.display())))?,
        ),
    };
    let human = (!sink.json).then(|| {
        let p = HumanPrinter::new(std::io::stderr().is_terminal(), verbosity);
        Arc::new(if sink.adhoc { p.adhoc() } else { p })
    });
    let view: Box<dyn Fn(&rb::report::Event) + Send + Sync> = match &human {
        Some(p) => {
            let p = p.clone();
            Box::new(move |e| p.print(e))
        }
        None => {
            let p = JsonPrinter::stdout();
            Box::new(move |e| p.print(e))
        }
    };
    let b = b.on_event(move |e| {
        view(e);
        if let Some(l) = &log {
            l.print(e);
        }
    });
    Ok((b, human))
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
        b = b.vars_file(f)?;
    }
    for arg in &args.extra {
        b = b.extra_vars(arg)?;
    }
    Ok(b)
}

pub fn run(args: RunArgs) -> Result<(), Diagnostic> {
    let cancel = run_cancel();
    let pw = vault_password(&args.vault)?;
    let (b, decrypted) = rb::inventory::vault::with_password(pw, || {
        let b = builder(
            &args.hosts,
            Some(&runbook_dir(&args.file)),
            &Sink::of(&args.output),
            &cancel,
        )?
        .0
        .check_mode(args.check)
        .diff(args.diff)
        .force_handlers(args.force_handlers);
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
        with_vars(b, &args.vars)
    });
    let mut rt = b?.secret_texts(decrypted).build()?;
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

pub fn exec(args: ExecArgs) -> Result<(), Diagnostic> {
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
    let pw = vault_password(&args.vault)?;
    let (b, decrypted) = rb::inventory::vault::with_password(pw, || {
        builder(
            &args.hosts,
            None,
            &Sink {
                adhoc: true,
                ..Sink::of(&args.output)
            },
            &cancel,
        )
    });
    let (b, human) = b?;
    let rt = args
        .become_
        .apply(b)?
        .max_output(args.output.max_output)
        .max_output_total(args.output.max_output_total)
        .secret_texts(decrypted)
        .build()?;
    on_ctrl_c(&rt, &cancel);
    let started = std::time::Instant::now();
    // Each host's answer as one block the moment it arrives (ansible -m shell's view).
    // Redacted as every other way out is: a command may print a secret.
    let ctx = rt.context().clone();
    let show = |row: &rb::adhoc::Row| {
        if let Some(p) = &human {
            p.block(&ctx.secrets().redact(&exec_block(row)));
        }
    };
    let rows = rt.exec_each(
        &rb::adhoc::AdHoc {
            pattern: args.pattern.clone(),
            command: args.command.clone(),
            forks: args.forks.map(|f| f as usize),
            timeout,
        },
        &show,
    )?;
    if human.is_some() {
        eprintln!("{}", exec_summary(&rows, started.elapsed()));
    }
    // A non-zero rc fails its host, as in Ansible's ad hoc mode.
    let failed = rows.iter().any(rb::adhoc::Row::failed);
    if failed {
        Err(Diagnostic {
            reported: true,
            ..Diagnostic::plain("a host failed", 1)
        })
    } else {
        Ok(())
    }
}

/// One host's block: status line, stdout, then stderr (Ansible's ad hoc view).
fn exec_block(row: &rb::adhoc::Row) -> String {
    use crate::printer::{paint, Tone};
    let name = &row.host;
    let o = match &row.outcome {
        Err(e) => {
            let what = if e.is_unreachable() {
                "UNREACHABLE"
            } else {
                "FAILED"
            };
            return format!(
                "{} >>\n{e}\n",
                paint(Tone::Failed, &format!("{name} | {what}"))
            );
        }
        Ok(o) => o,
    };
    let (tone, status) = if o.rc == 0 {
        (Tone::Changed, "CHANGED")
    } else {
        (Tone::Failed, "FAILED")
    };
    let mut text = paint(tone, &format!("{name} | {status} | rc={} >>", o.rc));
    text.push('\n');
    for stream in [&o.stdout, &o.stderr] {
        if !stream.is_empty() {
            text.push_str(stream);
            if !stream.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    text
}

/// The line after the blocks: how many hosts ended how, and how long it took.
fn exec_summary(rows: &[rb::adhoc::Row], took: Duration) -> String {
    use crate::printer::{paint, Tone};
    let unreachable = rows
        .iter()
        .filter(|r| r.outcome.as_ref().is_err_and(|e| e.is_unreachable()))
        .count();
    let failed = rows.iter().filter(|r| r.failed()).count() - unreachable;
    let changed = rows.len() - failed - unreachable;
    let count = |n: usize, what: &str, tone: Tone| {
        if n > 0 {
            paint(tone, &format!("{n} {what}"))
        } else {
            format!("{n} {what}")
        }
    };
    format!(
        "{} host{}: {}, {}, {} in {:.2}s",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        count(changed, "changed", Tone::Changed),
        count(failed, "failed", Tone::Failed),
        count(unreachable, "unreachable", Tone::Failed),
        took.as_secs_f64()
    )
}

pub fn repl(args: ReplArgs) -> Result<(), Diagnostic> {
    let cancel = run_cancel();
    let pw = vault_password(&args.vault)?;
    let (b, decrypted) = rb::inventory::vault::with_password(pw, || {
        let b = args
            .become_
            .apply(builder(&args.hosts, None, &Sink::repl(), &cancel)?.0)?;
        with_vars(b, &args.vars)
    });
    let rt = b?.secret_texts(decrypted).build()?;
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

pub fn hosts(args: HostsArgs) -> Result<(), Diagnostic> {
    // Encrypted values stay encrypted: nothing here needs them.
    let inv = rb::inventory::vault::showing_encrypted(|| load_inventory(&args.hosts, None))?;
    let order = Order::parse(&args.order, args.hosts.seed).map_err(|e| usage(e.to_string()))?;
    let limit_pattern = match &args.hosts.limit {
        None => None,
        Some(p) => Some(
            rb::inventory::expand_limit_files(p).map_err(|e| usage(format!("--limit {p}: {e}")))?,
        ),
    };
    let limit = match &limit_pattern {
        None => None,
        Some(l) => Some(inv.limit(l).map_err(|e| usage(e.to_string()))?),
    };
    if let (Some(l), Some(p)) = (&limit, &limit_pattern) {
        if l.is_empty() {
            return Err(usage(inv.selects_nothing("--limit", p)));
        }
    }
    let sel = inv
        .select_within(&args.pattern, limit.as_ref())
        .map_err(|e| usage(e.to_string()))?;
    if sel.hosts.is_empty() {
        return Err(usage(
            inv.selects_nothing_within(&args.pattern, limit.as_ref()),
        ));
    }
    for t in &sel.unmatched {
        eprintln!("warning: {}", inv.no_match_warning(t));
    }
    let mut names: Vec<String> = sel
        .hosts
        .into_iter()
        .map(|i| inv.hosts[i].name.clone())
        .collect();
    order.apply(&mut names);
    for n in names {
        println!("{n}");
    }
    Ok(())
}

pub fn inventory(args: InventoryArgs) -> Result<(), Diagnostic> {
    if args.hosts.inventory.is_empty() {
        return Err(usage(
            "rb inventory needs -i SOURCE (a file, a folder or 'host1,host2,')",
        ));
    }
    // As ansible-inventory: `!vault` values shown encrypted, `{"__ansible_vault": ...}`.
    let inv = rb::inventory::vault::showing_encrypted(|| {
        load_inventory(&args.hosts, args.playbook_dir.as_deref())
    })?;
    let out = match (&args.host, args.list) {
        (Some(h), _) => inv.host_json(h).map_err(|e| usage(e.to_string()))?,
        (None, true) => inv.to_list_json(),
        (None, false) => return Err(usage("rb inventory needs --list or --host NAME")),
    };
    // ansible-inventory prints with `sort_keys=True`; variables keep their files' order
    // everywhere else.
    println!(
        "{}",
        serde_json::to_string_pretty(&sort_keys(out)).expect("JSON values serialize")
    );
    Ok(())
}

/// Every map's keys sorted, at every depth.
fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut pairs: Vec<_> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(pairs.into_iter().map(|(k, x)| (k, sort_keys(x))).collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

pub fn check(files: Vec<PathBuf>) -> Result<(), Diagnostic> {
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

/// `rb config`: each setting a command here would use, and where it came from.
pub fn config(
    args: crate::cli::ConfigArgs,
    applied: &crate::config::Applied,
) -> Result<(), Diagnostic> {
    let files = [
        ("rb.toml", &applied.rb_toml),
        ("ansible.cfg", &applied.ansible_cfg),
    ];
    for (name, path) in files {
        match path {
            Some(p) => println!("{name}: {}", p.display()),
            None => println!("{name}: (none found)"),
        }
    }
    let source = |name: &str, default: &str| {
        applied
            .sources
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| default.to_string())
    };
    let h = &args.hosts;
    let b = &args.become_;
    let show = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
    let flag = "command line, RB_* variable or default";
    let rows = [
        (
            "inventory",
            show((!h.inventory.is_empty()).then(|| h.inventory.join(", "))),
            source("inventory", flag),
        ),
        (
            "remote_user",
            show(h.user.clone()),
            source("remote_user", flag),
        ),
        (
            "private_key_file",
            show(h.private_key.clone()),
            source("private_key_file", flag),
        ),
        (
            "forks",
            show(args.forks.map(|f| f.to_string())),
            source("forks", flag),
        ),
        (
            "connect_timeout",
            h.connect_timeout.to_string(),
            source("connect_timeout", flag),
        ),
        (
            "ssh_persist",
            h.ssh_persist.to_string(),
            source("ssh_persist", flag),
        ),
        (
            "ssh_config",
            show(h.ssh_config.as_ref().map(|p| p.display().to_string())),
            source("ssh_config", flag),
        ),
        (
            "ssh_args",
            show(h.ssh_args.clone()),
            source("ssh_args", "not set"),
        ),
        (
            "ansible_managed",
            show(h.ansible_managed.clone()),
            source("ansible_managed", "not set"),
        ),
        (
            "ssh_common_args",
            show(h.ssh_common_args.clone()),
            source("ssh_common_args", flag),
        ),
        (
            "ssh_extra_args",
            show(h.ssh_extra_args.clone()),
            source("ssh_extra_args", "not set"),
        ),
        ("become", b.become_.to_string(), source("become", flag)),
        (
            "become_user",
            show(b.become_user.clone()),
            source("become_user", flag),
        ),
        (
            "become_ask_pass",
            b.ask_become_pass.to_string(),
            source("become_ask_pass", flag),
        ),
        (
            "vault_password_file",
            show(
                args.vault
                    .vault_password_file
                    .as_ref()
                    .map(|p| p.display().to_string()),
            ),
            source("vault_password_file", flag),
        ),
    ];
    for (name, value, from) in rows {
        println!("{name} = {value}\t({from})");
    }
    Ok(())
}

/// `rb man [SUBCOMMAND]`, `rb man --dir DIR`: rb(1) and a page per subcommand, rb-run(1)
/// and the others rb(1) names under SEE ALSO.
pub fn man(subcommand: Option<String>, dir: Option<PathBuf>) -> Result<(), Diagnostic> {
    use clap::CommandFactory;
    let mut top = crate::cli::Cli::command();
    // Built, so clap's own `help` subcommand (named under SEE ALSO too) is there.
    top.build();
    let page = |cmd: clap::Command| -> Result<Vec<u8>, Diagnostic> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Diagnostic::plain(format!("cannot write the man page: {e}"), 1))?;
        Ok(out)
    };
    // Each subcommand's page is named rb-NAME, as rb(1)'s SEE ALSO names it.
    let sub = |name: &str| -> Option<clap::Command> {
        top.find_subcommand(name).map(|c| {
            c.clone()
                .name(format!("rb-{name}"))
                .bin_name(format!("rb {name}"))
        })
    };
    let names: Vec<String> = top
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    if let Some(dir) = dir {
        let write = |file: String, bytes: Vec<u8>| {
            std::fs::write(dir.join(&file), bytes).map_err(|e| {
                Diagnostic::plain(
                    format!("cannot write {}: {e}", dir.join(&file).display()),
                    1,
                )
            })
        };
        write("rb.1".into(), page(top.clone())?)?;
        for n in &names {
            if let Some(c) = sub(n) {
                write(format!("rb-{n}.1"), page(c)?)?;
            }
        }
        return Ok(());
    }
    let bytes = match subcommand {
        None => page(top.clone())?,
        Some(n) => match sub(&n) {
            Some(c) => page(c)?,
            None => {
                return Err(usage(format!(
                    "rb has no subcommand `{n}`{}; pages: rb, {}",
                    rb::did_you_mean(&n, names.iter().map(String::as_str)),
                    names
                        .iter()
                        .map(|n| format!("rb-{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        },
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Diagnostic::plain(format!("cannot write the man page: {e}"), 1))
}

/// `rb doc [NAME]`: the reference's entry for NAME (the text `:help NAME` shows).
pub fn doc(name: Option<String>) -> Result<(), Diagnostic> {
    match name {
        None => {
            print!("{}", rb::docs::help_index());
            Ok(())
        }
        Some(n) => match rb::docs::help(&n) {
            Some(text) => {
                print!("{text}");
                Ok(())
            }
            None => Err(usage(rb::docs::no_help(&n))),
        },
    }
}
