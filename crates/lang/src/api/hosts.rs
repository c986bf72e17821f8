//! Hosts as runbooks see them: `hosts(pattern)` → HostList, `.order(...)`, `.filter(...)`,
//! iteration and indexing, `host(name)`, and fan-out: `on(...)` and `run_once(...)`.

use crate::context::Ctx;
use crate::host::Host;
use crate::raise::{at, at_usage, OrMessage, RhaiResult};
use inventory::Order;
use rb_core::report::Level;
use rhai::{Array, Dynamic, Engine, FnPtr, Map, NativeCallContext};
use std::fmt;
use std::sync::Arc;

/// An ordered list of hosts.
#[derive(Clone, Default)]
pub struct HostList(pub Vec<Host>);

impl IntoIterator for HostList {
    type Item = Host;
    type IntoIter = std::vec::IntoIter<Host>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for HostList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|h| h.name.as_ref()).collect();
        write!(f, "[{}]", names.join(", "))
    }
}

/// Hosts matching an Ansible pattern, narrowed by `--limit`, in inventory order. A pattern
/// that selects no host of the inventory is an error (a typo must not run nothing, exit
/// 0); one whose hosts are all outside `--limit` gives an empty list (that part of the
/// runbook has nothing to do in this run). A term that matches nothing is a warning.
pub fn select(ctx: &Ctx, pattern: &str) -> OrMessage<HostList> {
    // One selection over the whole inventory: its emptiness is the refusal, its unmatched
    // terms the warnings, and --limit narrows what is left.
    let sel = ctx.inventory.select(pattern).map_err(|e| e.to_string())?;
    if sel.hosts.is_empty() {
        return Err(ctx.selects_nothing(pattern));
    }
    for term in &sel.unmatched {
        ctx.log(Level::Warn, &ctx.inventory.no_match_warning(term));
    }
    let within = |i: &usize| ctx.limit.as_ref().is_none_or(|l| l.allows(*i));
    Ok(hosts_at(ctx, sel.hosts.into_iter().filter(within)))
}

/// Whether `pattern` selects any host of the whole inventory (`--limit` aside).
pub fn selects_any(inv: &inventory::Inventory, pattern: &str) -> bool {
    inv.select(pattern).is_ok_and(|s| !s.hosts.is_empty())
}

/// The hosts `pattern` selects inside `--limit`, without warnings or refusals.
pub fn select_quietly(ctx: &Ctx, pattern: &str) -> OrMessage<HostList> {
    let sel = ctx
        .inventory
        .select_within(pattern, ctx.limit.as_ref())
        .map_err(|e| e.to_string())?;
    Ok(hosts_at(ctx, sel.hosts))
}

/// The run's hosts at these inventory indices.
fn hosts_at(ctx: &Ctx, indices: impl IntoIterator<Item = usize>) -> HostList {
    HostList(indices.into_iter().map(|i| ctx.hosts[i].clone()).collect())
}

/// `need_hosts(pattern)`'s refusal: what the runbook needs, and how to give it.
pub fn needs_hosts_message(ctx: &Ctx, pattern: &str) -> String {
    // The terms as the inventory splits them (brackets, IPv6 and commas included).
    let terms = inventory::split_pattern(pattern);
    let groups: Vec<&str> = terms
        .iter()
        .map(|t| t.trim_start_matches(['&', '!']))
        .filter(|t| !t.is_empty())
        .collect();
    format!(
        "this runbook needs hosts in {pattern}, and {} has none: pass -i inventory.ini with a group named {}",
        ctx.inventory.describe(),
        groups.join(" or ")
    )
}

fn order(
    ctx: &Ctx,
    nctx: &NativeCallContext,
    list: &HostList,
    kind: &str,
    seed: Option<u64>,
) -> RhaiResult<HostList> {
    let o = Order::parse(kind, seed.or(ctx.seed)).map_err(|e| at(nctx, e.to_string()))?;
    let mut v = list.0.clone();
    o.apply(&mut v);
    Ok(HostList(v))
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    engine
        .register_type_with_name::<HostList>("HostList")
        .register_iterator::<HostList>()
        .register_fn("len", |l: &mut HostList| l.0.len() as i64)
        .register_fn("is_empty", |l: &mut HostList| l.0.is_empty())
        .register_fn("names", |l: &mut HostList| -> Array {
            l.0.iter()
                .map(|h| Dynamic::from(h.name.to_string()))
                .collect()
        })
        .register_fn("to_string", |l: &mut HostList| l.to_string())
        .register_fn("to_debug", |l: &mut HostList| format!("HostList{l}"))
        .register_indexer_get(
            |nctx: NativeCallContext, l: &mut HostList, i: i64| -> RhaiResult<Host> {
                // Negative counts from the end, as for Rhai's arrays.
                let from = if i < 0 { i + l.0.len() as i64 } else { i };
                usize::try_from(from)
                    .ok()
                    .and_then(|i| l.0.get(i).cloned())
                    .ok_or_else(|| {
                        at(
                            &nctx,
                            format!(
                                "host index {i} out of range: the list has {} hosts",
                                l.0.len()
                            ),
                        )
                    })
            },
        )
        .register_fn(
            "filter",
            |nctx: NativeCallContext, l: &mut HostList, f: FnPtr| -> RhaiResult<HostList> {
                let mut out = Vec::new();
                for h in &l.0 {
                    if f.call_within_context::<bool>(&nctx, (h.clone(),))? {
                        out.push(h.clone());
                    }
                }
                Ok(HostList(out))
            },
        );

    let c = ctx.clone();
    engine.register_fn(
        "order",
        move |nctx: NativeCallContext, l: &mut HostList, kind: &str| {
            order(&c, &nctx, l, kind, None)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "order",
        move |nctx: NativeCallContext, l: &mut HostList, kind: &str, seed: i64| {
            order(&c, &nctx, l, kind, Some(seed as u64))
        },
    );

    let c = ctx.clone();
    engine.register_fn("hosts", move |nctx: NativeCallContext, pattern: &str| {
        select(&c, pattern).map_err(|e| at(&nctx, e))
    });
    let c = ctx.clone();
    engine.register_fn(
        "inventory_hosts",
        move |nctx: NativeCallContext, pattern: &str| -> RhaiResult<HostList> {
            // No warning for terms that match nothing: the runbook selected these hosts
            // with `hosts`/`need_hosts` already, which warned.
            let sel = c
                .inventory
                .select(pattern)
                .map_err(|e| at(&nctx, e.to_string()))?;
            Ok(hosts_at(&c, sel.hosts))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "need_hosts",
        move |nctx: NativeCallContext, pattern: &str| -> RhaiResult<HostList> {
            // Nothing selected: the error says it all, without a warning per term.
            let list = select_quietly(&c, pattern).map_err(|e| at(&nctx, e))?;
            if list.0.is_empty() {
                return Err(at_usage(&nctx, needs_hosts_message(&c, pattern)));
            }
            Ok(list)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "host",
        move |nctx: NativeCallContext, name: &str| -> RhaiResult<Host> {
            c.inventory
                .index
                .get(name)
                .map(|&i| c.hosts[i].clone())
                .ok_or_else(|| {
                    at(
                        &nctx,
                        format!("no host `{name}` in {}", c.inventory.describe()),
                    )
                })
        },
    );
    let c = ctx.clone();
    engine.register_get("groups", move |h: &mut Host| -> Array {
        match c.inventory.index.get(h.name.as_ref()) {
            Some(&i) => c
                .inventory
                .groups_of(i)
                .into_iter()
                .map(Dynamic::from)
                .collect(),
            None => Array::new(),
        }
    });

    let c = ctx.clone();
    engine.register_fn(
        "on",
        move |nctx: NativeCallContext, l: HostList, opts: Map, f: FnPtr| {
            super::on::on(&c, &nctx, &l.0, &opts, &f)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "on",
        move |nctx: NativeCallContext, l: HostList, f: FnPtr| {
            super::on::on(&c, &nctx, &l.0, &Map::new(), &f)
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "run_once",
        move |nctx: NativeCallContext, l: HostList, f: FnPtr| -> RhaiResult<Dynamic> {
            let first: Vec<Host> =
                l.0.into_iter()
                    .filter(|h| !c.has_failed(&h.name))
                    .take(1)
                    .collect();
            let Some(h) = first.first() else {
                return Err(at(&nctx, "run_once: no host left in the list"));
            };
            let mut r = super::on::on(&c, &nctx, &first, &Map::new(), &f)?;
            Ok(r.remove(h.name.as_ref()).unwrap_or(Dynamic::UNIT))
        },
    );
}
