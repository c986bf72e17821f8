//! The Rhai-facing API, one file per domain. `register` puts all of it into an engine.

pub mod basics;
pub mod display;
pub mod facts;
pub mod files;
pub mod handlers;
pub mod hosts;
pub mod json;
pub mod netaddr;
pub mod on;
pub mod outcome;
pub mod quote;
pub mod regex;
pub mod shell;
pub mod task;
pub mod template;
pub mod wait;

use crate::context::Ctx;
use rhai::Engine;
use std::sync::Arc;

/// Register every rb function and type into `engine`, bound to `ctx`.
pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    basics::register(engine, ctx);
    task::register(engine, ctx);
    display::register(engine);
    facts::register(engine, ctx);
    shell::register(engine, ctx);
    regex::register(engine);
    json::register(engine);
    quote::register(engine);
    netaddr::register(engine);
    wait::register(engine, ctx);
    hosts::register(engine, ctx);
    files::register(engine, ctx);
    handlers::register(engine, ctx);
    template::register(engine, ctx);
}

/// Every escaped form a secret can leave rb in, beyond rb-core's own (shell, JSON, debug):
/// Python's repr and `to_json` in templates, PyYAML's quoted scalars, Go's HTML-safe JSON
/// from `kube_jsonpath`. The run's redaction registers each form of each secret.
pub fn secret_encoders() -> Vec<rb_core::report::Encoder> {
    let mut all: Vec<rb_core::report::Encoder> = vec![kubepath::go_json_string];
    all.extend(crate::jinja::secret_forms());
    all
}
