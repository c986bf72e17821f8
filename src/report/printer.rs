//! Printers: human lines (default) and newline-delimited JSON (`--json`).

use super::event::{Event, Level};
use serde::Serialize;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Human output: `log` lines on stdout, everything about the run's progress on stderr.
#[derive(Default)]
pub struct HumanPrinter;

impl HumanPrinter {
    pub fn print(&self, event: &Event) {
        match event {
            Event::Log { host, level, msg } => {
                let prefix = if host == "local" {
                    String::new()
                } else {
                    format!("{host} | ")
                };
                match level {
                    Level::Info => {
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "{prefix}{msg}");
                        let _ = out.flush();
                    }
                    Level::Warn => eprintln!("{prefix}warning: {msg}"),
                }
            }
            Event::TaskStart { host, task } => {
                eprintln!("{host} › {}", task.join(" › "));
            }
            Event::CmdResult {
                host,
                task,
                cmd,
                skipped: true,
                ..
            } => {
                let mut path = vec![host.clone()];
                path.extend(task.iter().cloned());
                eprintln!("{} › would run: {cmd}", path.join(" › "));
            }
            Event::Retry {
                host,
                attempt,
                attempts,
                outcome,
                delay,
                ..
            } => {
                eprintln!("{host} › attempt {attempt}/{attempts} failed ({outcome}); retrying in {delay}s");
            }
            Event::Error {
                message,
                file,
                line,
                col,
                ..
            } => {
                let at = match (file, line, col) {
                    (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                    (Some(f), _, _) => format!("{f}: "),
                    _ => String::new(),
                };
                eprintln!("error: {at}{message}");
            }
            _ => {}
        }
    }
}

/// `--json`: one object per line on stdout, each with a `ts` (seconds since the epoch).
#[derive(Default)]
pub struct JsonPrinter;

#[derive(Serialize)]
struct Stamped<'a> {
    ts: f64,
    #[serde(flatten)]
    event: &'a Event,
}

impl JsonPrinter {
    pub fn print(&self, event: &Event) {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let ts = (ts * 1000.0).round() / 1000.0;
        if let Ok(line) = serde_json::to_string(&Stamped { ts, event }) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}
