//! `ansible-inventory --list`: each group with its direct `hosts` and its `children` (empty
//! keys and empty groups left out), `all` with children only, and `_meta.hostvars` with each
//! host's merged variables (hosts without variables left out).

use crate::Inventory;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

pub fn list(inv: &Inventory) -> Value {
    let mut out = Map::new();
    let mut seen = HashSet::new();
    format_group(inv, "all", &mut out, &mut seen);
    let mut hostvars = Map::new();
    for (i, h) in inv.hosts.iter().enumerate() {
        let v = inv.host_vars(i);
        if !v.is_empty() && !h.implicit {
            hostvars.insert(h.name.clone(), Value::Object(v));
        }
    }
    out.insert(
        "_meta".into(),
        json!({ "hostvars": hostvars, "profile": "inventory_legacy" }),
    );
    Value::Object(out)
}

fn format_group(
    inv: &Inventory,
    name: &str,
    out: &mut Map<String, Value>,
    seen: &mut HashSet<String>,
) {
    let g = &inv.groups[name];
    let mut entry = Map::new();
    if name != "all" && !g.hosts.is_empty() {
        let hosts: Vec<Value> = g
            .hosts
            .iter()
            .map(|&h| Value::String(inv.hosts[h].name.clone()))
            .collect();
        entry.insert("hosts".into(), Value::Array(hosts));
    }
    if !g.children.is_empty() {
        entry.insert(
            "children".into(),
            Value::Array(
                g.children
                    .iter()
                    .map(|c| Value::String(c.clone()))
                    .collect(),
            ),
        );
    }
    for c in &g.children {
        if seen.insert(c.clone()) {
            format_group(inv, c, out, seen);
        }
    }
    if !entry.is_empty() {
        out.insert(name.to_string(), Value::Object(entry));
    }
}
