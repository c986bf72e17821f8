//! `rb exec`: one command on the hosts a pattern selects, each host's answer printed as a
//! block the moment it arrives, then one summary line.

use super::{builder, on_ctrl_c, usage, vault_password, Sink};
use crate::cli::ExecArgs;
use crate::run_cancel;
use rb::Diagnostic;
use std::time::Duration;

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
