//! The `rb` command line: arguments (cli.rs), rb.toml and ansible.cfg (config/), what each subcommand
//! does (commands.rs), and here the process itself: its stack, signals' and panics'
//! handling, and the dispatch. The work is in the `rb` library (crates/lang) and the crates
//! under it.

// `Diagnostic`, the error people read, is returned once per command; boxing it would only
// add noise at every `?`.
#![allow(clippy::result_large_err)]

mod cli;
mod commands;
mod config;
mod printer;
mod repl;

use cli::{Cli, Command};
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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

fn rb_main() -> ExitCode {
    // Test seam, debug builds only: prove the hook's behaviour without a real bug.
    #[cfg(debug_assertions)]
    if std::env::var_os("RB_DEBUG_PANIC").is_some() {
        panic!("RB_DEBUG_PANIC is set");
    }
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let applied = match config::apply_config(&mut cli, &matches) {
        Ok(a) => a,
        Err(d) => {
            eprintln!("error: {}", d.message);
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => commands::run(args),
        Command::Check { files } => commands::check(files),
        Command::Exec(args) => commands::exec(args),
        Command::Hosts(args) => commands::hosts(args),
        Command::Repl(args) => commands::repl(args),
        Command::Inventory(args) => commands::inventory(args),
        Command::Config(args) => commands::config(args, &applied),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "rb", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { subcommand, dir } => commands::man(subcommand, dir),
        Command::Doc { name } => commands::doc(name),
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
