//! `rb exec`: one command on the hosts a pattern selects, in plain Rust on the core's
//! fan-out. No script is written or evaluated; the events, recap and exit code are those of
//! any run.

use super::Runtime;
use crate::api::shell::exec_with_events;
use crate::diagnostics::Diagnostic;
use crate::failure::CommandFailure;
use crate::host::Host;
use rb_core::fanout::{self, HostError, Plan};
use rb_core::report::Event;
use rb_core::transport::{ExecError, ExecRequest, Program};
use std::time::{Duration, Instant};

/// What to run, where.
#[derive(Debug, Clone)]
pub struct AdHoc {
    /// Host pattern, narrowed by `--limit`.
    pub pattern: String,
    /// The command, run by `/bin/sh -c` on each host.
    pub command: String,
    /// At most this many hosts at once (default: all).
    pub forks: Option<usize>,
    /// Kill the command after this long.
    pub timeout: Option<Duration>,
}

/// One host's command: rc and output. A non-zero rc fails the host (Ansible's ad hoc rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The command's exit status.
    pub rc: i64,
    /// Standard output (invalid UTF-8 replaced).
    pub stdout: String,
    /// Standard error (invalid UTF-8 replaced).
    pub stderr: String,
}

/// One host's row of the result, in pattern order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The inventory name.
    pub host: String,
    /// What the command gave, or why the host could not run it.
    pub outcome: Result<Output, HostError>,
}

impl Row {
    /// Whether the host failed: it could not run the command, or the command exited
    /// non-zero (Ansible's ad hoc rule).
    pub fn failed(&self) -> bool {
        self.outcome.as_ref().map_or(true, |o| o.rc != 0)
    }
}

impl Runtime {
    /// Run one command on the hosts `a.pattern` selects. Rows come back for every host
    /// that ran (or could not be reached); hosts that failed are in `context().failed`.
    pub fn exec(&self, a: &AdHoc) -> Result<Vec<Row>, Diagnostic> {
        self.exec_each(a, &|_| {})
    }

    /// `exec`, calling `each` with every host's row the moment that host is done (from the
    /// thread that ran it), for output as answers arrive.
    pub fn exec_each(
        &self,
        a: &AdHoc,
        each: &(dyn Fn(&Row) + Sync),
    ) -> Result<Vec<Row>, Diagnostic> {
        let ctx = self.context().clone();
        self.framed("exec", false, || {
            let hosts = crate::api::hosts::select(&ctx, &a.pattern)
                .map_err(|e| Diagnostic::plain(e, 2))?
                .0;
            // Every host outside --limit: nothing to run is a refusal here, not a success.
            if hosts.is_empty() {
                return Err(Diagnostic::plain(ctx.selects_nothing(&a.pattern), 2));
            }
            let plan = Plan {
                forks: a.forks,
                ..Plan::default()
            };
            let work = |h: &Host| -> Result<Output, HostError> {
                let started = Instant::now();
                let mut req = ExecRequest::new(Program::Shell(a.command.clone()));
                req.max_output = ctx.max_output;
                req.output_pool = ctx.output_pool.clone();
                req.timeout = a.timeout;
                let r =
                    crate::host::privilege::resolve(&ctx.become_defaults, h, &Default::default())
                        .map_err(ExecError::Spawn)
                        .and_then(|b| {
                            req.become_ = b;
                            exec_with_events(&ctx, h, &h.name, &[], &a.command, &req)
                        });
                let r =
                    match r {
                        Ok((out, duration)) => {
                            let o = Output {
                                rc: out.rc,
                                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                            };
                            ctx.emit(Event::CmdResult {
                                host: h.name.to_string(),
                                task: Vec::new(),
                                cmd: a.command.clone(),
                                rc: o.rc,
                                ok: o.rc == 0,
                                changed: true,
                                skipped: false,
                                duration,
                                checked: true,
                            });
                            Ok(o)
                        }
                        Err(e) => Err(CommandFailure::transport(&ctx, &h.name, &a.command, e)
                            .into_host_error()),
                    };
                let row = Row {
                    host: h.name.to_string(),
                    outcome: r,
                };
                each(&row);
                ctx.emit(Event::HostEnd {
                    host: h.name.to_string(),
                    ok: !row.failed(),
                    duration: started.elapsed().as_secs_f64(),
                });
                row.outcome
            };
            let settle = &mut |h: &Host, r: &Result<Output, HostError>| match r {
                Err(e) => ctx.fail_host(&h.name, &e.to_string(), e.is_unreachable()),
                Ok(o) if o.rc != 0 => {
                    ctx.fail_host(&h.name, &format!("exited with rc {}", o.rc), false)
                }
                Ok(_) => {}
            };
            let done = fanout::run(&hosts, &plan, &|| ctx.is_cancelled(), &work, settle).map_err(
                |stop| {
                    let code = if ctx.is_cancelled() { 130 } else { 1 };
                    Diagnostic::plain(stop.to_string(), code)
                },
            )?;
            let rows = done
                .into_iter()
                .map(|(i, outcome)| Row {
                    host: hosts[i].name.to_string(),
                    outcome,
                })
                .collect();
            Ok(rows)
        })
    }
}
