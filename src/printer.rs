//! Printers: human output (default) and newline-delimited JSON (`--json`).
//!
//! Human output: `log` lines on stdout; everything about progress on stderr. On a terminal,
//! one spinner line per host in flight (indicatif) with its current command and elapsed
//! time; elsewhere, one plain line per finished command: `time host › task › cmd: status`.
//! Statuses in Ansible's colours where colour is on (`--color`, `NO_COLOR`).

use crate::cli::ColorChoice;
use console::Style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rb::report::{Event, Level, RecapRow};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct HumanPrinter {
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
    /// The overall progress of the current `on(...)`: a header line above the spinners.
    header: Mutex<Header>,
    /// `-v` count: 2 and up print task starts and ends.
    verbosity: u8,
    /// `rb exec`: each host's answer is one block (printed by `block`), so no line per
    /// command and no recap table.
    adhoc: bool,
    /// What each host is waiting for now (`wait_http URL`), for its spinner's attempt count.
    waits: Mutex<HashMap<String, (Vec<String>, String)>>,
}

/// Turn colour on or off for this process: `--color always`/`never`, or on a terminal
/// unless `NO_COLOR` is set to something (no-color.org) or `TERM` is `dumb`.
pub fn use_colors(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    console::set_colors_enabled(on);
    console::set_colors_enabled_stderr(on);
}

/// How a status reads: Ansible's colours (ok green, changed yellow, failed and
/// unreachable red, skipped cyan); plain when colour is off.
#[derive(Clone, Copy)]
pub enum Tone {
    Ok,
    Changed,
    Failed,
    Skipped,
    Plain,
}

pub fn paint(tone: Tone, text: &str) -> String {
    let style = match tone {
        Tone::Ok => Style::new().green(),
        Tone::Changed => Style::new().yellow(),
        Tone::Failed => Style::new().red(),
        Tone::Skipped => Style::new().cyan(),
        Tone::Plain => return text.to_string(),
    };
    // Colour is decided once for both streams (use_colors), so stdout's flag serves both.
    style.apply_to(text).to_string()
}

/// Local wall-clock time as HH:MM:SS.
fn clock() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as libc::time_t)
        .unwrap_or(0);
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // localtime_r is thread-safe and honours TZ.
    unsafe { libc::localtime_r(&now, &mut tm) };
    format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
}

fn path(host: &str, task: &[String]) -> String {
    let mut p = vec![host.to_string()];
    p.extend(task.iter().cloned());
    p.join(" › ")
}

/// Where the current `on(...)` is: batch k of n, hosts finished of its total.
#[derive(Default)]
struct Header {
    bar: Option<ProgressBar>,
    batch: usize,
    batches: usize,
    total: usize,
    done: std::collections::HashSet<String>,
}

impl Header {
    fn text(&self) -> String {
        let mut t = format!("{}/{} hosts done", self.done.len(), self.total);
        if self.batches > 1 {
            t.push_str(&format!(" · batch {}/{}", self.batch, self.batches));
        }
        t
    }
}

pub fn recap_table(rows: &[RecapRow]) -> String {
    let w = rows.iter().map(|r| r.host.len()).max().unwrap_or(4).max(4);
    let mut s = format!(
        "RECAP\n{:<w$}  {:>5}  {:>7}  {:>6}  {:>11}  {:>7}  {:>8}\n",
        "host", "ok", "changed", "failed", "unreachable", "skipped", "time"
    );
    for r in rows {
        // The host in the colour of its worst outcome, as ansible-playbook's recap.
        let tone = if r.failed > 0 || r.unreachable > 0 {
            Tone::Failed
        } else if r.changed > 0 {
            Tone::Changed
        } else {
            Tone::Ok
        };
        s.push_str(&format!(
            "{}{}  {:>5}  {:>7}  {:>6}  {:>11}  {:>7}  {:>7.2}s\n",
            paint(tone, &r.host),
            " ".repeat(w - r.host.chars().count().min(w)),
            r.ok,
            r.changed,
            r.failed,
            r.unreachable,
            r.skipped,
            r.time
        ));
    }
    s
}

impl HumanPrinter {
    pub fn new(tty: bool, verbosity: u8) -> Self {
        let bars = tty.then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                Mutex::new(HashMap::new()),
            )
        });
        HumanPrinter {
            bars,
            header: Mutex::default(),
            verbosity,
            adhoc: false,
            waits: Mutex::default(),
        }
    }

    /// For `rb exec`: answers come as blocks (`block`), not as lines and a recap.
    pub fn adhoc(mut self) -> Self {
        self.adhoc = true;
        self
    }

    /// A block on stdout, whole, above the spinners.
    pub fn block(&self, text: &str) {
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.bars {
            Some((multi, _)) => multi.suspend(write),
            None => write(),
        }
    }

    /// A line on stderr that does not tear the spinners.
    fn line(&self, text: &str) {
        match &self.bars {
            Some((multi, _)) => multi.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    fn bar(&self, host: &str, f: impl FnOnce(&ProgressBar)) {
        if let Some((multi, bars)) = &self.bars {
            let mut bars = bars.lock().unwrap_or_else(|e| e.into_inner());
            let bar = bars.entry(host.to_string()).or_insert_with(|| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix:.bold} {wide_msg} {elapsed:>4}",
                    )
                    .expect("valid template"),
                );
                b.set_prefix(host.to_string());
                b.enable_steady_tick(Duration::from_millis(120));
                b
            });
            f(bar);
        }
    }

    /// A batch starts: the header shows it (on a terminal; elsewhere a line per batch when
    /// there are several).
    fn batch(&self, batch: usize, batches: usize, hosts: &[String], total: usize) {
        let mut h = self.header.lock().unwrap_or_else(|e| e.into_inner());
        if batch == 1 {
            h.done.clear();
        }
        (h.batch, h.batches, h.total) = (batch, batches, total);
        match &self.bars {
            Some((multi, _)) => {
                if h.bar.is_none() {
                    let b = multi.insert(0, ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("{msg:.bold}").expect("valid template"),
                    );
                    h.bar = Some(b);
                }
                if let Some(b) = &h.bar {
                    b.set_message(h.text());
                }
            }
            None if batches > 1 => {
                eprintln!("{} batch {batch}/{batches}: {}", clock(), hosts.join(", "));
            }
            None => {}
        }
    }

    /// A host finished its part of the current `on(...)`.
    fn host_done(&self, host: &str) {
        let mut h = self.header.lock().unwrap_or_else(|e| e.into_inner());
        if h.total > 0 {
            h.done.insert(host.to_string());
            if let Some(b) = &h.bar {
                b.set_message(h.text());
            }
        }
    }

    fn drop_bar(&self, host: &str) {
        if let Some((multi, bars)) = &self.bars {
            let mut bars = bars.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(b) = bars.remove(host) {
                b.finish_and_clear();
                multi.remove(&b);
            }
            if bars.is_empty() {
                let _ = multi.clear();
            }
        }
        self.host_done(host);
    }

    fn finish_bars(&self) {
        let mut h = self.header.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = h.bar.take() {
            b.finish_and_clear();
            if let Some((multi, _)) = &self.bars {
                multi.remove(&b);
            }
        }
        *h = Header::default();
        drop(h);
        if let Some((multi, bars)) = &self.bars {
            for (_, b) in bars.lock().unwrap_or_else(|e| e.into_inner()).drain() {
                b.finish_and_clear();
                multi.remove(&b);
            }
            let _ = multi.clear();
        }
    }

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
                        let text = format!("{prefix}{msg}");
                        match &self.bars {
                            Some((multi, _)) => {
                                multi.suspend(|| println!("{text}"));
                            }
                            None => {
                                let mut out = std::io::stdout().lock();
                                let _ = writeln!(out, "{text}");
                                let _ = out.flush();
                            }
                        }
                    }
                    Level::Warn => self.line(&format!("{prefix}warning: {msg}")),
                }
            }
            Event::CmdStart { host, task, cmd } => {
                let mut p = task.clone();
                p.push(cmd.clone());
                self.bar(host, |b| {
                    b.reset_elapsed();
                    b.set_message(p.join(" › "));
                });
            }
            Event::CmdResult {
                host,
                task,
                cmd,
                rc,
                ok,
                changed,
                skipped,
                duration,
                checked,
            } => {
                if self.adhoc {
                    return;
                }
                let (tone, status) = if *skipped {
                    (Tone::Skipped, "would run (check mode)".to_string())
                } else if !ok && !checked {
                    // A probe (`check: false`): its rc is an answer, not a failure.
                    (Tone::Plain, format!("rc {rc}, not checked"))
                } else if !ok {
                    (Tone::Failed, format!("failed (rc {rc})"))
                } else if *changed {
                    (Tone::Changed, "changed".to_string())
                } else {
                    (Tone::Ok, "ok".to_string())
                };
                let text = format!(
                    "{} {} › {cmd}: {} ({duration:.2}s)",
                    clock(),
                    path(host, task),
                    paint(tone, &status)
                );
                // Every finished command leaves its line (as Ansible's per-task lines); on a
                // terminal it prints above the spinners of the commands still running.
                self.line(&text);
            }
            // -v: the output under the command's line, stderr marked.
            Event::CmdOutput { stdout, stderr, .. } => {
                let mut text = String::new();
                for l in stdout.lines() {
                    text.push_str(&format!("    {l}\n"));
                }
                for l in stderr.lines() {
                    text.push_str(&format!("    stderr: {l}\n"));
                }
                if !text.is_empty() {
                    self.line(text.trim_end_matches('\n'));
                }
            }
            Event::BatchStart {
                batch,
                batches,
                hosts,
                total,
            } => self.batch(*batch, *batches, hosts, *total),
            Event::TaskStart { host, task } if self.verbosity >= 2 => {
                self.line(&format!("{} {}: started", clock(), path(host, task)));
            }
            Event::TaskEnd {
                host,
                task,
                ok,
                duration,
            } if self.verbosity >= 2 => {
                let status = if *ok { "done" } else { "failed" };
                self.line(&format!(
                    "{} {}: {status} ({duration:.2}s)",
                    clock(),
                    path(host, task)
                ));
            }
            // The write's own line is its `put PATH` command result; here only the diff.
            Event::FileChanged { diff: Some(d), .. } => self.line(d.trim_end()),
            Event::WaitStart { host, task, what } => {
                self.waits
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(host.clone(), (task.clone(), what.clone()));
                let mut p = task.clone();
                p.push(what.clone());
                self.bar(host, |b| {
                    b.reset_elapsed();
                    b.set_message(p.join(" › "));
                });
            }
            Event::Retry {
                host,
                task,
                attempt,
                attempts,
                outcome,
                delay,
            } => {
                self.line(&format!(
                    "{} {} › attempt {attempt}/{attempts} failed ({outcome}); retrying in {delay}s",
                    clock(),
                    path(host, task)
                ));
                let waiting = self
                    .waits
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(host)
                    .cloned();
                if let Some((task, what)) = waiting {
                    let mut p = task;
                    p.push(format!("{what} (attempt {}/{attempts})", attempt + 1));
                    self.bar(host, |b| b.set_message(p.join(" › ")));
                }
            }
            Event::WaitEnd {
                host,
                task,
                what,
                ok,
                attempts,
                duration,
            } => {
                self.waits
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(host);
                let (tone, word) = if *ok {
                    (Tone::Ok, "ok")
                } else {
                    (Tone::Failed, "failed")
                };
                let tries = if *attempts > 1 {
                    format!(" after {attempts} attempts")
                } else {
                    String::new()
                };
                self.line(&format!(
                    "{} {} › {what}: {}{tries} ({duration:.2}s)",
                    clock(),
                    path(host, task),
                    paint(tone, word)
                ));
            }
            Event::HostFailed {
                host,
                message,
                unreachable,
            } => {
                let what = if *unreachable {
                    "UNREACHABLE"
                } else {
                    "FAILED"
                };
                self.drop_bar(host);
                if !self.adhoc {
                    let what = paint(Tone::Failed, what);
                    self.line(&format!("{} {host} › {what}: {message}", clock()));
                }
            }
            Event::HostEnd { host, .. } => self.drop_bar(host),
            Event::Recap { hosts } => {
                self.finish_bars();
                let only_local = hosts.iter().all(|r| r.host == "local");
                if !only_local && !self.adhoc {
                    eprint!("{}", recap_table(hosts));
                }
            }
            Event::Error {
                message,
                file,
                line,
                col,
                ..
            } => {
                self.finish_bars();
                let at = match (file, line, col) {
                    (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                    (Some(f), _, _) => format!("{f}: "),
                    _ => String::new(),
                };
                eprintln!("{} {at}{message}", paint(Tone::Failed, "error:"));
            }
            _ => {}
        }
    }
}

/// `--json` and `--log FILE`: one object per line, each with a `ts` (seconds since the
/// epoch), on stdout or into the file.
pub struct JsonPrinter {
    out: Mutex<Box<dyn Write + Send>>,
}

#[derive(Serialize)]
struct Stamped<'a> {
    ts: f64,
    #[serde(flatten)]
    event: &'a Event,
}

impl JsonPrinter {
    pub fn stdout() -> Self {
        JsonPrinter {
            out: Mutex::new(Box::new(std::io::stdout())),
        }
    }

    /// Events into `file` (created, or emptied if it exists), line by line as they come.
    pub fn file(file: &std::path::Path) -> std::io::Result<Self> {
        Ok(JsonPrinter {
            out: Mutex::new(Box::new(std::fs::File::create(file)?)),
        })
    }

    pub fn print(&self, event: &Event) {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let ts = (ts * 1000.0).round() / 1000.0;
        if let Ok(line) = serde_json::to_string(&Stamped { ts, event }) {
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}
