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
            Event::CmdStart { host, .. } => self.with_row(host, |r| {
                r.1.get_or_insert_with(Instant::now);
            }),
            Event::CmdResult {
                host,
                ok,
                changed,
                skipped,
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

    pub fn rows(&self) -> Vec<RecapRow> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.iter()
            .map(|(row, first, last)| {
                let mut row = row.clone();
                if let (Some(a), Some(b)) = (first, last) {
                    row.time = (b.duration_since(*a).as_secs_f64() * 1000.0).round() / 1000.0;
                }
                row
            })
            .collect()
    }
}
