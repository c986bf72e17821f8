//! `render_template(text, values)` and `h.render_template(text, values)`: the runbook's
//! side of the Jinja engine in `crate::jinja`. The host form adds what an Ansible template
//! sees for that host: its merged variables, `inventory_hostname`, `group_names`, `groups`
//! and `hostvars`. A `text` naming a `.j2` file is read from the runbook's folder (or its
//! `templates/`).

use crate::api::json::to_value;
use crate::context::Ctx;
use crate::host::Host;
use crate::jinja::render;
use crate::raise::{at, OrMessage, RhaiResult};
use rhai::{Engine, Map, NativeCallContext};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A template argument: inline text, or a `.j2` file on the controller, looked up beside the
/// runbook and in its `templates/` folder.
fn load(ctx: &Ctx, text: &str) -> OrMessage<(String, String)> {
    if !text.ends_with(".j2") || text.contains('\n') || text.contains("{{") {
        return Ok(("(inline)".into(), text.to_string()));
    }
    let runbook = ctx.runbook.lock().map(|r| r.clone()).unwrap_or_default();
    let base = Path::new(&runbook)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let candidates: Vec<PathBuf> = if Path::new(text).is_absolute() {
        vec![PathBuf::from(text)]
    } else {
        vec![base.join(text), base.join("templates").join(text)]
    };
    for p in &candidates {
        if let Ok(s) = std::fs::read_to_string(p) {
            return Ok((p.display().to_string(), s));
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "template file {text} not found (looked at {})",
        tried.join(", ")
    ))
}

/// A host's variables as its templates see them: in their files' order (dicts iterate so,
/// as in Ansible), then any the run added that the inventory did not have; those whose
/// Jinja could not be rendered are left out.
fn template_vars(h: &Host) -> serde_json::Map<String, Value> {
    let mut vars = (*h.ordered).clone();
    for (k, v) in h.vars.iter() {
        if !vars.contains_key(k.as_str()) && !h.unrendered.contains_key(k.as_str()) {
            vars.insert(k.to_string(), to_value(v));
        }
    }
    vars
}

/// What an Ansible template sees for host `h`: its variables, `inventory_hostname`,
/// `inventory_hostname_short`, `group_names` (sorted), `groups` (every group's hosts,
/// ignoring --limit) and `hostvars`.
fn host_scope(ctx: &Ctx, h: &Host) -> serde_json::Map<String, Value> {
    // The variables in their files' order (dicts iterate so, as in Ansible), then any the
    // run added that the inventory did not have.
    let mut scope = template_vars(h);
    let inv = &ctx.inventory;
    let groups = inv.groups_json();
    let hostvars: serde_json::Map<String, Value> = ctx
        .hosts
        .iter()
        .map(|other| (other.name.to_string(), Value::Object(template_vars(other))))
        .collect();
    let mut group_names: Vec<String> = inv
        .hosts
        .iter()
        .position(|x| *x.name == *h.name)
        .map(|i| inv.groups_of(i))
        .unwrap_or_default();
    group_names.sort();
    // ansible-core's magic variables that mean something without a play.
    let runbook = ctx.runbook.lock().map(|r| r.clone()).unwrap_or_default();
    let playbook_dir = std::path::Path::new(&runbook)
        .parent()
        .and_then(|p| {
            std::path::absolute(if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            })
            .ok()
        })
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let origin = inv
        .index
        .get(&*h.name)
        .map(|&i| inv.hosts[i].origin.file.clone())
        .filter(|f| Path::new(f).is_file())
        .and_then(|f| std::path::absolute(f).ok());
    if let Some(f) = origin {
        let dir = f
            .parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        scope.insert(
            "inventory_file".into(),
            Value::String(f.display().to_string()),
        );
        scope.insert("inventory_dir".into(), Value::String(dir));
    }
    scope.insert("playbook_dir".into(), Value::String(playbook_dir));
    // Inside on(...): its hosts are the play's, its batch the play's batch; hosts that
    // failed have left both, as in Ansible.
    if let Some(play) = crate::context::current_play() {
        let live = |names: &[String]| -> Value {
            Value::Array(
                names
                    .iter()
                    .filter(|n| !ctx.has_failed(n))
                    .map(|n| Value::String(n.clone()))
                    .collect(),
            )
        };
        let all: Vec<Value> = play
            .hosts
            .iter()
            .map(|n| Value::String(n.clone()))
            .collect();
        scope.insert("ansible_play_hosts_all".into(), Value::Array(all));
        scope.insert("ansible_play_hosts".into(), live(&play.hosts));
        scope.insert("ansible_play_batch".into(), live(&play.batch));
        scope.insert("play_hosts".into(), live(&play.batch));
    }
    scope.insert("ansible_check_mode".into(), Value::Bool(ctx.check_mode));
    scope.insert(
        "ansible_managed".into(),
        Value::String(ctx.ansible_managed.clone()),
    );
    let name = h.name.to_string();
    let short = name.split('.').next().unwrap_or_default().to_string();
    scope.insert("inventory_hostname".into(), Value::String(name));
    scope.insert("inventory_hostname_short".into(), Value::String(short));
    scope.insert("group_names".into(), serde_json::json!(group_names));
    scope.insert("groups".into(), Value::Object(groups));
    scope.insert("hostvars".into(), Value::Object(hostvars));
    scope
}

/// An undefined-variable error that names a variable of the host whose Jinja could not be
/// rendered says why (it is left out of the template's variables).
fn with_unrendered(e: String, source: &str, h: &Host) -> String {
    if h.unrendered.is_empty() || !e.contains("undefined") {
        return e;
    }
    // The line the error is on: `template NAME:LINE: ...`.
    let line = e
        .split(':')
        .nth(1)
        .and_then(|l| l.trim().parse::<usize>().ok())
        .and_then(|l| source.lines().nth(l.saturating_sub(1)))
        .unwrap_or("");
    let named = h.unrendered.iter().find(|(var, _)| {
        [e.as_str(), line]
            .iter()
            .any(|t| crate::jinja::contains_word(t, var))
    });
    match named {
        Some((_, why)) => format!("{e}; {why}"),
        None => e,
    }
}

fn values_map(values: &Map) -> serde_json::Map<String, Value> {
    values
        .iter()
        .map(|(k, v)| (k.to_string(), to_value(v)))
        .collect()
}

pub fn register(engine: &mut Engine, ctx: &Arc<Ctx>) {
    let c = ctx.clone();
    engine.register_fn(
        "render_template",
        move |nctx: NativeCallContext, text: &str, values: Map| -> RhaiResult<String> {
            let (name, source) = load(&c, text).map_err(|e| at(&nctx, e))?;
            render(&name, &source, &Value::Object(values_map(&values))).map_err(|e| at(&nctx, e))
        },
    );
    let c = ctx.clone();
    engine.register_fn(
        "render_template",
        move |nctx: NativeCallContext,
              h: &mut Host,
              text: &str,
              values: Map|
              -> RhaiResult<String> {
            let (name, source) = load(&c, text).map_err(|e| at(&nctx, e))?;
            let mut scope = host_scope(&c, h);
            scope.extend(values_map(&values));
            render(&name, &source, &Value::Object(scope))
                .map_err(|e| at(&nctx, with_unrendered(e, &source, h)))
        },
    );
}
