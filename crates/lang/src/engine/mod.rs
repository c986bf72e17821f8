//! Building the Rhai engine for a run: rb's API, `vars`/`local`, print routing, module
//! resolution, cancellation, and compiling runbooks with file:line:col errors.

pub mod calls;
mod lint;
pub mod modules;
pub mod signatures;

use crate::context::Ctx;
use crate::limits::{MAX_ARRAY_ITEMS, MAX_CALL_LEVELS, MAX_MAP_ENTRIES, MAX_STRING_BYTES};
use rb_core::report::Level;
use rhai::{Dynamic, Engine};
use std::path::Path;
use std::sync::Arc;

/// An engine with rb's API bound to `ctx`, resolving imports beside `base_dir`.
pub fn build(ctx: &Arc<Ctx>, base_dir: &Path) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    // Explicit, so debug and release builds accept the same runbooks.
    engine.set_max_expr_depths(128, 64);
    engine.set_max_operations(ctx.max_operations);
    engine.set_max_string_size(MAX_STRING_BYTES);
    engine.set_max_array_size(MAX_ARRAY_ITEMS);
    engine.set_max_map_size(MAX_MAP_ENTRIES);
    register(&mut engine, ctx);
    engine.set_module_resolver(modules::Resolver::new(base_dir.to_path_buf()));
    engine
}

/// Put rb's functions, `vars`, `local`, print routing and Ctrl-C handling into an engine.
pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    crate::api::register(engine, ctx);

    let c = ctx.clone();
    engine.on_print(move |s| c.log(Level::Info, s));
    let c = ctx.clone();
    engine.on_debug(move |s, _, _| c.log(Level::Info, s));

    // `vars` and `local` are visible everywhere, inside functions and modules too, unless
    // the script declares its own variable of that name.
    let c = ctx.clone();
    #[allow(deprecated)]
    engine.on_var(move |name, _, context| match name {
        "vars" | "local" if context.scope().contains(name) => Ok(None),
        "vars" => Ok(Some(c.vars.clone())),
        "local" => Ok(Some(Dynamic::from(c.local.clone()))),
        _ => Ok(None),
    });

    // Ctrl-C stops script loops between operations; commands watch the token themselves.
    let c = ctx.clone();
    engine.on_progress(move |_| {
        if c.is_cancelled() {
            Some("interrupted".into())
        } else {
            None
        }
    });
}
