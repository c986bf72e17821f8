//! The recap: per-host totals gathered from the event stream (Ansible's PLAY RECAP).

use super::event::{Event, RecapRow};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Instant;

/// A row and the times of the host's first and last command.
type Row = (RecapRow, Option<Instant>, Option<Instant>);

#[derive(Default)]
pub struct Recap {
    rows: Mutex<Vec<Row>>,
    /// Some host ran its part of an `on(...)`/`run_once` since the last reset.
    fanned_out: std::sync::atomic::AtomicBool,
}

impl Recap {
    fn with_row(
        &self,
        host: &str,
        f: impl FnOnce(&mut (RecapRow, Option<Instant>, Option<Instant>)),
    ) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let i = match rows.iter().position(|r| r.0.host == host) {
            Some(i) => i,
            None => {
                rows.push((
                    RecapRow {
                        host: host.to_string(),
                        ..Default::default()
                    },
                    None,
                    None,
                ));
                rows.len() - 1
            }
        };
        f(&mut rows[i]);
    }

    pub fn observe(&self, e: &Event) {
        match e {
            Event::CmdStart { host, .. } | Event::WaitStart { host, .. } => {
                self.with_row(host, |r| {
                    r.1.get_or_insert_with(Instant::now);
                })
            }
            // A wait counts in the host's time, not as a command.
            Event::WaitEnd { host, .. } => self.with_row(host, |r| {
                let now = Instant::now();
                r.1.get_or_insert(now);
                r.2 = Some(now);
            }),
            Event::CmdResult {
                host,
                ok,
                changed,
                skipped,
                checked,
                ..
            } => self.with_row(host, |r| {
                let now = Instant::now();
                r.1.get_or_insert(now);
                r.2 = Some(now);
                if *skipped {
                    r.0.skipped += 1;
                } else if *ok {
                    r.0.ok += 1;
                    r.0.changed += u64::from(*changed);
                } else if !*checked {
                    // An unchecked command that exited non-zero ran and the runbook took its
                    // answer: ok, as Ansible counts a task with `failed_when: false`; it is
                    // not counted as a change.
                    r.0.ok += 1;
                }
            }),
            Event::HostFailed {
                host, unreachable, ..
            } => self.mark_failed(host, *unreachable),
            Event::HostEnd { .. } => self.fanned_out.store(true, Ordering::Relaxed),
            _ => {}
        }
    }

    pub fn mark_failed(&self, host: &str, unreachable: bool) {
        self.with_row(host, |r| {
            if unreachable {
                r.0.unreachable = 1;
            } else {
                r.0.failed = 1;
            }
        });
    }

    /// Start counting afresh (the REPL reports per entry).
    pub fn reset(&self) {
        self.rows.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.fanned_out.store(false, Ordering::Relaxed);
    }

    pub fn fanned_out(&self) -> bool {
        self.fanned_out.load(Ordering::Relaxed)
    }

    /// The rows by host name in natural order (`rbh2` before `rbh10`), whatever order the
    /// hosts happened to start in, so the recap reads the same on every run.
    pub fn rows(&self) -> Vec<RecapRow> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<RecapRow> = rows
            .iter()
            .map(|(row, first, last)| {
                let mut row = row.clone();
                if let (Some(a), Some(b)) = (first, last) {
                    row.time = (b.duration_since(*a).as_secs_f64() * 1000.0).round() / 1000.0;
                }
                row
            })
            .collect();
        out.sort_by_cached_key(|r| natural_key(&r.host));
        out
    }
}

/// `web10` → [("web", 0), ("", 10)]: text runs compare as text, digit runs as numbers.
fn natural_key(name: &str) -> Vec<(String, u128)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut n = String::from(c);
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                n.push(d);
            }
            key.push((std::mem::take(&mut text), n.parse().unwrap_or(u128::MAX)));
        } else {
            text.push(c);
        }
    }
    key.push((text, 0));
    key
}

#[cfg(test)]
mod tests {
    #[test]
    fn natural_order() {
        let mut v = ["rbh10", "rbh2", "local", "rbh1", "db-a", "rbh02x"];
        v.sort_by_cached_key(|h| super::natural_key(h));
        assert_eq!(v, ["db-a", "local", "rbh1", "rbh2", "rbh02x", "rbh10"]);
    }
}
