//! Fan-out over plain Rust closures: the hosts of a batch in parallel (at most `forks` at a
//! time, one scoped thread each), batches one after another, with Ansible's failure policy
//! (`max_fail_percentage`, `any_errors_fatal`). Knows nothing of the runbook language: the
//! language layer hands it a closure per host and turns its typed results back into values.

use crate::batches::{self, Size};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Why one host did not finish its work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    /// The work ran and failed there (a command's rc, a runbook error).
    #[error("{0}")]
    Failed(String),
    /// The host could not be reached (ssh's reason).
    #[error("{0}")]
    Unreachable(String),
    /// The run was cancelled while the host was working.
    #[error("interrupted")]
    Interrupted,
}

impl HostError {
    pub fn is_unreachable(&self) -> bool {
        matches!(self, HostError::Unreachable(_))
    }
}

/// How to fan out: Ansible's play keywords.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Batch sizes (`serial`); empty: one batch of every host.
    pub serial: Vec<Size>,
    /// At most this many hosts at once; `None`: the whole batch.
    pub forks: Option<usize>,
    /// Stop when more than this share of a batch failed.
    pub max_fail_percentage: Option<f64>,
    /// Stop at the first failure; hosts of the batch not yet started do not start.
    pub any_errors_fatal: bool,
}

/// Why the fan-out stopped before every batch ran (or gave nothing back).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stop {
    #[error("any_errors_fatal: {} failed; stopping the run", .0.join(", "))]
    AnyErrorsFatal(Vec<String>),
    #[error("max_fail_percentage {pct}% exceeded in batch {batch} ({} of {size} hosts failed: {}); stopping the run", .failed.len(), .failed.join(", "))]
    MaxFailPercentage {
        pct: f64,
        batch: usize,
        size: usize,
        failed: Vec<String>,
    },
    #[error("interrupted: the run was cancelled")]
    Cancelled,
}

/// A started host: its index in the host list and what its work gave.
pub type Finished<T> = (usize, Result<T, HostError>);

/// Run `work` for every host as `plan` says. `settle` sees each finished host of a batch,
/// in batch order, on the calling thread, before the next batch starts (so a failed host
/// can be marked out of the play). Returns each started host's index and result.
pub fn run<H, T>(
    hosts: &[H],
    plan: &Plan,
    cancelled: &(dyn Fn() -> bool + Sync),
    work: &(dyn Fn(&H) -> Result<T, HostError> + Sync),
    settle: &mut dyn FnMut(&H, &Result<T, HostError>),
) -> Result<Vec<Finished<T>>, Stop>
where
    H: AsRef<str> + Sync,
    T: Send,
{
    run_batches(hosts, plan, cancelled, work, settle, &mut |_| {})
}

/// `run`, and `batch_done` with the indices of the hosts that succeeded in each batch once
/// the batch is over and did not stop the run (a runbook's handlers run there).
pub fn run_batches<H, T>(
    hosts: &[H],
    plan: &Plan,
    cancelled: &(dyn Fn() -> bool + Sync),
    work: &(dyn Fn(&H) -> Result<T, HostError> + Sync),
    settle: &mut dyn FnMut(&H, &Result<T, HostError>),
    batch_done: &mut dyn FnMut(&[usize]),
) -> Result<Vec<Finished<T>>, Stop>
where
    H: AsRef<str> + Sync,
    T: Send,
{
    let mut out = Vec::new();
    if hosts.is_empty() {
        return Ok(out);
    }
    let stop = AtomicBool::new(false);
    let mut start = 0;
    for (bi, size) in batches::split(hosts.len(), &plan.serial)
        .into_iter()
        .enumerate()
    {
        if cancelled() {
            break;
        }
        let batch = &hosts[start..start + size];
        let forks = plan
            .forks
            .unwrap_or(batch.len())
            .clamp(1, open_files_forks());
        let results = run_batch(batch, forks, &stop, plan.any_errors_fatal, cancelled, work);
        let mut failed_here = Vec::new();
        let mut ok_here = Vec::new();
        for (i, r) in results.into_iter().enumerate() {
            // None: not started (any_errors_fatal or Ctrl-C).
            let Some(r) = r else { continue };
            settle(&batch[i], &r);
            if r.is_err() {
                failed_here.push(batch[i].as_ref().to_string());
            } else {
                ok_here.push(start + i);
            }
            out.push((start + i, r));
        }
        start += size;
        if failed_here.is_empty() {
            if !cancelled() {
                batch_done(&ok_here);
            }
            continue;
        }
        if plan.any_errors_fatal {
            return Err(Stop::AnyErrorsFatal(failed_here));
        }
        if let Some(pct) = plan.max_fail_percentage {
            // Ansible: stop when the failures in a batch exceed pct% of the batch.
            let allowed = (pct / 100.0 * size as f64).floor() as usize;
            if failed_here.len() > allowed {
                return Err(Stop::MaxFailPercentage {
                    pct,
                    batch: bi + 1,
                    size,
                    failed: failed_here,
                });
            }
        }
        if !cancelled() {
            batch_done(&ok_here);
        }
    }
    if cancelled() {
        return Err(Stop::Cancelled);
    }
    Ok(out)
}

/// Stack of each fan-out thread: the work runs runbook closures, and Rhai clones and drops
/// nested values recursively (see the binary's STACK_SIZE). Only touched pages are used.
const WORKER_STACK: usize = 32 << 20;

/// File descriptors one host in flight holds at most (a command's three pipes and its
/// multiplex socket, measured: 872 for 200 SSH hosts), with room to spare.
const FDS_PER_HOST: u64 = 6;

/// The most hosts in flight the open-files limit allows, whatever `forks` says: past it
/// commands would fail with "Too many open files" and hosts look unreachable. The binary
/// raises the soft limit to the hard one at start, so this bites only where the hard limit
/// itself is low.
pub fn open_files_forks() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return usize::MAX;
    }
    // Room for rb itself: stdio, the runtime, log files, the terminal.
    let spare = lim.rlim_cur.saturating_sub(64) / FDS_PER_HOST;
    usize::try_from(spare.max(1)).unwrap_or(usize::MAX)
}

/// One batch, at most `forks` hosts at a time; results in batch order.
fn run_batch<H: Sync, T: Send>(
    batch: &[H],
    forks: usize,
    stop: &AtomicBool,
    stop_on_failure: bool,
    cancelled: &(dyn Fn() -> bool + Sync),
    work: &(dyn Fn(&H) -> Result<T, HostError> + Sync),
) -> Vec<Option<Result<T, HostError>>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, HostError>>>> =
        Mutex::new((0..batch.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..forks.min(batch.len()) {
            let worker = std::thread::Builder::new().stack_size(WORKER_STACK);
            let spawned = worker.spawn_scoped(s, || loop {
                if stop.load(Ordering::SeqCst) || cancelled() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(host) = batch.get(i) else { break };
                let r = work(host);
                if stop_on_failure && r.is_err() {
                    stop.store(true, Ordering::SeqCst);
                }
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
            // Out of threads: the ones started take the remaining hosts.
            if spawned.is_err() {
                break;
            }
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn only_unreachable_is_unreachable() {
        assert!(HostError::Unreachable("x".into()).is_unreachable());
        assert!(!HostError::Failed("x".into()).is_unreachable());
        assert!(!HostError::Interrupted.is_unreachable());
    }

    /// The open-files cap is (soft limit - 64) / 6, at least 1.
    #[test]
    fn the_open_files_cap_follows_the_soft_limit() {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        let want = (lim.rlim_cur.saturating_sub(64) / 6).max(1);
        assert_eq!(open_files_forks() as u64, want);
    }

    /// Each batch that does not stop the run is handed over when it is over, with the
    /// hosts that succeeded in it (a runbook's handlers run there); the batch that stops
    /// the run is not.
    #[test]
    fn batch_done_sees_each_finished_batch_and_its_hosts_that_succeeded() {
        let hosts = names(5);
        let h4_fails = |h: &String| {
            if h == "h4" {
                Err(HostError::Failed("x".into()))
            } else {
                Ok(())
            }
        };
        let batches = |plan: &Plan| {
            let mut seen = Vec::new();
            let r = run_batches(
                &hosts,
                plan,
                &|| false,
                &h4_fails,
                &mut |_, _| {},
                &mut |ok| seen.push(ok.to_vec()),
            );
            (r.is_ok(), seen)
        };
        let stops = Plan {
            serial: vec![Size::Count(2)],
            max_fail_percentage: Some(0.0),
            ..Plan::default()
        };
        // h4's batch stops the run: only the first is handed over.
        assert_eq!(batches(&stops), (false, vec![vec![0, 1]]));
        // Without a stop, every batch; a failed host is left out of its batch's list.
        let plan = Plan {
            serial: vec![Size::Count(2)],
            ..Plan::default()
        };
        assert_eq!(batches(&plan), (true, vec![vec![0, 1], vec![2], vec![4]]));
        // Cancelled while a batch ran (Ctrl-C): that batch is not handed over.
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let _ = run_batches(
            &hosts,
            &plan,
            &|| stop.load(Ordering::SeqCst),
            &|_: &String| {
                stop.store(true, Ordering::SeqCst);
                Ok(())
            },
            &mut |_, _| {},
            &mut |ok| seen.push(ok.to_vec()),
        );
        assert!(seen.is_empty(), "{seen:?}");
    }

    /// Ansible's rule: stop when failures exceed P% of the batch, not when they reach it.
    #[test]
    fn max_fail_percentage_is_exceeded_not_reached() {
        for (pct, failing, stops) in [
            (40.0, 2, false),
            (40.0, 3, true),
            (0.0, 1, true),
            (50.0, 2, false),
        ] {
            let plan = Plan {
                max_fail_percentage: Some(pct),
                serial: vec![Size::Count(5)],
                ..Plan::default()
            };
            let r = run(
                &(0..10).map(|i| format!("h{i}")).collect::<Vec<_>>(),
                &plan,
                &|| false,
                &|h: &String| {
                    let i: usize = h[1..].parse().unwrap();
                    if i < failing {
                        Err(HostError::Failed("x".into()))
                    } else {
                        Ok(())
                    }
                },
                &mut |_, _| {},
            );
            assert_eq!(r.is_err(), stops, "{pct}% with {failing} of 5 failing");
        }
    }

    #[test]
    fn forks_limit_hosts_in_flight() {
        let hosts = names(6);
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let plan = Plan {
            forks: Some(2),
            ..Plan::default()
        };
        let r = run(
            &hosts,
            &plan,
            &|| false,
            &|_h: &String| {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                now.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            },
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn any_errors_fatal_stops_inside_a_batch() {
        // One batch of 3 with forks 1: h1 fails, h2 and h3 never start.
        let hosts = names(3);
        let started = Mutex::new(Vec::new());
        let plan = Plan {
            forks: Some(1),
            any_errors_fatal: true,
            ..Plan::default()
        };
        let e = run(
            &hosts,
            &plan,
            &|| false,
            &|h: &String| {
                started.lock().unwrap().push(h.clone());
                if h == "h1" {
                    Err(HostError::Failed("boom".into()))
                } else {
                    Ok(())
                }
            },
            &mut |_, _| {},
        )
        .unwrap_err();
        assert_eq!(e, Stop::AnyErrorsFatal(vec!["h1".into()]));
        assert_eq!(*started.lock().unwrap(), ["h1"]);
    }

    #[test]
    fn max_fail_percentage_counts_per_batch() {
        let hosts = names(4);
        let plan = Plan {
            serial: vec![Size::Count(2)],
            max_fail_percentage: Some(49.0),
            ..Plan::default()
        };
        let mut settled = Vec::new();
        let e = run(
            &hosts,
            &plan,
            &|| false,
            &|h: &String| {
                if h == "h2" {
                    Err(HostError::Unreachable("no route".into()))
                } else {
                    Ok(h.clone())
                }
            },
            &mut |h, r| settled.push((h.clone(), r.is_ok())),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "max_fail_percentage 49% exceeded in batch 1 (1 of 2 hosts failed: h2); stopping the run");
        assert_eq!(
            settled,
            [("h1".to_string(), true), ("h2".to_string(), false)],
            "batch 2 never ran"
        );
    }

    #[test]
    fn batches_run_one_after_another() {
        let hosts = names(5);
        let spans = Mutex::new(Vec::new());
        let plan = Plan {
            serial: vec![Size::Count(1), Size::Percent(50.0)],
            ..Plan::default()
        };
        let t0 = Instant::now();
        run(
            &hosts,
            &plan,
            &|| false,
            &|h: &String| {
                let s = t0.elapsed();
                std::thread::sleep(Duration::from_millis(40));
                spans.lock().unwrap().push((h.clone(), s, t0.elapsed()));
                Ok(())
            },
            &mut |_, _| {},
        )
        .unwrap();
        let spans = spans.into_inner().unwrap();
        let end_of = |h: &str| spans.iter().find(|s| s.0 == h).unwrap().2;
        let start_of = |h: &str| spans.iter().find(|s| s.0 == h).unwrap().1;
        // Batches [h1], [h2, h3], [h4, h5]: each starts after the one before ended.
        assert!(start_of("h2") >= end_of("h1") && start_of("h3") >= end_of("h1"));
        assert!(start_of("h4") >= end_of("h2").max(end_of("h3")));
    }

    #[test]
    fn every_host_failing_still_reports_each_and_cancel_is_cancelled() {
        let hosts = names(2);
        let r = run(
            &hosts,
            &Plan::default(),
            &|| false,
            &|_h: &String| -> Result<(), _> { Err(HostError::Failed("x".into())) },
            &mut |_, _| {},
        )
        .unwrap();
        let failed = Err(HostError::Failed("x".into()));
        assert_eq!(r, [(0, failed.clone()), (1, failed)]);
        let e = run(
            &hosts,
            &Plan::default(),
            &|| true,
            &|_h: &String| Ok(()),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert_eq!(e, Stop::Cancelled);
        assert!(run::<String, ()>(
            &[],
            &Plan::default(),
            &|| false,
            &|_| Ok(()),
            &mut |_, _| {}
        )
        .unwrap()
        .is_empty());
    }
}
