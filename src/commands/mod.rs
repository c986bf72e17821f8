//! What each subcommand does: build the runtime from the flags, run, print. The rules
//! themselves (inventories, variables, selection) live in the crates. Here: what the
//! commands share, `run`, `repl` and `check`; `rb exec` in exec.rs, the commands that show
//! settings and hosts in show.rs, `rb man` and `rb doc` in help.rs.

mod exec;
mod help;
mod show;

pub use exec::exec;
pub use help::{doc, man};
pub use show::{config, hosts, inventory};

use crate::cli::{BecomeArgs, HostOpts, HostsArgs, InventoryArgs, ReplArgs, RunArgs, VarArgs};
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
