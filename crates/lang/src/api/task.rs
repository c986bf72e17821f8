//! `task(name, [#{tags}], || ...)`: a named step of the runbook. Its events carry the task
//! path; `--tags`, `--skip-tags` and `--start-at-task` (crate::tasks) decide whether it runs.

use crate::context::{current_host, Ctx};
use crate::raise::{at, RhaiResult};
use crate::tasks::{current_tasks, inherited_tags, pop_task, push_task, record_failed_task};
use rb_core::report::Event;
use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

/// Run one task, or skip it (and everything in it, giving `()`) when `--tags`,
/// `--skip-tags` or `--start-at-task` leave it out.
fn run_task(
    c: &Ctx,
    nctx: &NativeCallContext,
    name: &str,
    own_tags: &[String],
    body: FnPtr,
) -> RhaiResult<Dynamic> {
    let mut tags = inherited_tags();
    tags.extend(own_tags.iter().cloned());
    let host = current_host();
    let mut path = current_tasks();
    path.push(name.to_string());
    if !c.tasks.selects(&tags) || !c.tasks.reached(&host, name, &path.join(" › ")) {
        return Ok(Dynamic::UNIT);
    }
    as_task(c, name, tags, || {
        body.call_within_context::<Dynamic>(nctx, ())
    })
}

/// Run `body` as the task `name` on this thread's host: its path pushed for the events of
/// what runs inside, `task_start` and `task_end` around it, the path recorded when it
/// fails. `task()` and the handlers run through it.
pub fn as_task(
    c: &Ctx,
    name: &str,
    tags: BTreeSet<String>,
    body: impl FnOnce() -> RhaiResult<Dynamic>,
) -> RhaiResult<Dynamic> {
    let host = current_host();
    let mut path = current_tasks();
    path.push(name.to_string());
    push_task(name, tags);
    c.emit(Event::TaskStart {
        host: host.clone(),
        task: path.clone(),
    });
    let started = Instant::now();
    let out = body();
    c.emit(Event::TaskEnd {
        host,
        task: path.clone(),
        ok: out.is_ok(),
        duration: started.elapsed().as_secs_f64(),
    });
    if out.is_err() {
        record_failed_task(path);
    }
    pop_task();
    out
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_fn(
        "task",
        move |nctx: NativeCallContext, name: &str, body: FnPtr| -> RhaiResult<Dynamic> {
            run_task(&c, &nctx, name, &[], body)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "task",
        move |nctx: NativeCallContext,
              name: &str,
              opts: rhai::Map,
              body: FnPtr|
              -> RhaiResult<Dynamic> {
            crate::options::check_known(&opts, "task", crate::options::TASK)
                .map_err(|e| at(&nctx, format!("task {name:?}: {e}")))?;
            let mut tags = Vec::new();
            match opts.get("tags") {
                Some(v) if v.is_array() => {
                    for t in v.clone().into_array().unwrap_or_default() {
                        tags.push(t.into_string().map_err(|t| {
                            at(&nctx, format!("task {name:?}: tags are strings, got a {t}"))
                        })?);
                    }
                }
                Some(v) if v.is_string() => tags.push(v.to_string()),
                Some(_) => {
                    return Err(at(
                        &nctx,
                        format!(
                            "task {name:?}: option `tags` must be a string or a list of strings"
                        ),
                    ))
                }
                None => {}
            }
            run_task(&c, &nctx, name, &tags, body)
        },
    );
}
