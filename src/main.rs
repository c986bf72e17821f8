//! The `rb` command line. Everything here is argument handling; the work is in the library.

use clap::{Args, Parser, Subcommand};
use rb::report::{HumanPrinter, JsonPrinter};
use rb::{Diagnostic, Runtime};
use std::path::PathBuf;
use std::process::ExitCode;
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
}

#[derive(Args)]
struct RunArgs {
    /// The runbook (.rhai).
    file: PathBuf,
    /// Set a variable: -e key=value (ints and true/false are typed; {..}/[..] are JSON).
    #[arg(short = 'e', long = "extra-var", value_name = "KEY=VALUE")]
    extra: Vec<String>,
    /// Read variables from a JSON object file (applied before -e).
    #[arg(long = "vars", value_name = "FILE")]
    vars: Vec<PathBuf>,
    /// Print newline-delimited JSON events instead of human output.
    #[arg(long)]
    json: bool,
    /// Check mode: report what would run and change; run only read-only commands.
    #[arg(long)]
    check: bool,
}

fn usage(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::plain(msg, 2)
}

fn run(args: RunArgs) -> Result<(), Diagnostic> {
    let cancel = CancellationToken::new();
    let mut b = Runtime::builder()
        .check_mode(args.check)
        .cancel_token(cancel.clone());
    for f in &args.vars {
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
    for kv in &args.extra {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage(format!("-e expects key=value, got {kv:?}")))?;
        if k.is_empty() {
            return Err(usage(format!("-e expects key=value, got {kv:?}")));
        }
        b = b.var(k, rb::parse_cli_value(v));
    }
    b = if args.json {
        let p = JsonPrinter;
        b.on_event(move |e| p.print(e))
    } else {
        let p = HumanPrinter;
        b.on_event(move |e| p.print(e))
    };
    let mut rt = b.build()?;
    // Ctrl-C: stop new work and kill commands in flight; the run then ends with 130.
    let c = cancel.clone();
    rt.context().handle.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
        }
    });
    rt.run_file(&args.file).map(|_| ()).map_err(|mut d| {
        // Already reported through the event stream.
        d.message.clear();
        d
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Check { files } => {
            let mut worst = Ok(());
            for f in files {
                let mut rt = match Runtime::builder().build() {
                    Ok(rt) => rt,
                    Err(d) => return report(d),
                };
                if let Err(d) = rt.check_file(&f) {
                    eprintln!("{d}");
                    worst = Err(Diagnostic {
                        message: String::new(),
                        ..d
                    });
                }
            }
            worst
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(d) => report(d),
    }
}

fn report(d: Diagnostic) -> ExitCode {
    if !d.message.is_empty() {
        eprintln!("error: {d}");
    }
    ExitCode::from(d.exit_code.clamp(0, 255) as u8)
}
