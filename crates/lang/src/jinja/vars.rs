//! Jinja inside inventory variables (`ansible_host: "{{ inventory_hostname }}.example.com"`),
//! rendered as ansible-core 2.19 renders them: lazily, each variable in its host's merged
//! variables (`-e` included), a variable naming another rendered first (chains across
//! group_vars), with `inventory_hostname`, `groups`, `group_names` and `hostvars`; a value
//! that is exactly one `{{ expression }}` keeps the expression's type (`"{{ [1, 2] }}"` is a
//! list, as in 2.19), anything else renders to a string. Lists and maps are rendered item by
//! item. A value that cannot be rendered is an error naming the host, the variable and where
//! it was set.

use super::environment;
use inventory::{Inventory, Vars};
use minijinja::value::{Enumerator, Object, Value as J};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Whether text holds Jinja (ansible-core's `is_possibly_template`).
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Whether a value holds Jinja anywhere inside.
pub fn holds_template(v: &Value) -> bool {
    match v {
        Value::String(s) => is_template(s),
        Value::Array(a) => a.iter().any(holds_template),
        Value::Object(m) => m.values().any(holds_template),
        _ => false,
    }
}

/// Every host's raw merged variables, and what rendering them found so far.
pub struct VarContext {
    names: Vec<String>,
    raw: Vec<Vars>,
    groups: J,
    group_names: Vec<J>,
    done: Mutex<HashMap<(usize, String), Value>>,
    /// The variables being rendered, innermost last: a repeat is a loop.
    stack: Mutex<Vec<(usize, String)>>,
    /// The first error met inside a nested variable (an object cannot return one).
    error: Mutex<Option<String>>,
}

impl std::fmt::Debug for VarContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VarContext({} hosts)", self.names.len())
    }
}

impl VarContext {
    /// `raw[i]` is host `i`'s merged variables, in inventory order.
    pub fn new(inv: &Inventory, raw: Vec<Vars>) -> Arc<VarContext> {
        let group_names = (0..inv.hosts.len())
            .map(|i| {
                let mut g = inv.groups_of(i);
                g.sort();
                J::from(minijinja::value::Serde(&g))
            })
            .collect();
        Arc::new(VarContext {
            names: inv.hosts.iter().map(|h| h.name.clone()).collect(),
            raw,
            groups: J::from(minijinja::value::Serde(&inv.groups_json())),
            group_names,
            done: Mutex::default(),
            stack: Mutex::default(),
            error: Mutex::default(),
        })
    }

    /// Host `h`'s variables with every template rendered, as ansible-core leaves them
    /// until read: a variable that cannot be rendered is left out and returned with why,
    /// unless `fatal(name)` says its failure stops everything (the error is then the only
    /// one returned, first).
    pub fn rendered_lazily(
        self: &Arc<Self>,
        h: usize,
        fatal: impl Fn(&str) -> bool,
    ) -> (Vars, Vec<(String, String)>) {
        let mut out = self.raw[h].clone();
        let mut failed = Vec::new();
        for (k, v) in &self.raw[h].values {
            if !holds_template(v) {
                continue;
            }
            match self.resolve(h, k) {
                Ok(Some(r)) => {
                    out.values.insert(k.clone(), r);
                }
                Ok(None) => {}
                Err(why) if fatal(k) => return (out, vec![(k.clone(), why)]),
                Err(why) => {
                    out.values.remove(k);
                    failed.push((k.clone(), why));
                }
            }
        }
        (out, failed)
    }

    /// The rendered value of `var` on host `h` (None: the host has no such variable).
    fn resolve(self: &Arc<Self>, h: usize, var: &str) -> Result<Option<Value>, String> {
        let Some(raw) = self.raw[h].values.get(var) else {
            return Ok(None);
        };
        if !holds_template(raw) {
            return Ok(Some(raw.clone()));
        }
        let key = (h, var.to_string());
        if let Some(v) = self.done.lock().expect("not poisoned").get(&key) {
            return Ok(Some(v.clone()));
        }
        {
            let mut stack = self.stack.lock().expect("not poisoned");
            if let Some(at) = stack.iter().position(|k| *k == key) {
                let chain: Vec<String> = stack[at..]
                    .iter()
                    .chain(std::iter::once(&key))
                    .map(|(_, v)| format!("`{v}`"))
                    .collect();
                return Err(self.describe(
                    h,
                    var,
                    &format!("recursive loop: {}", chain.join(" → ")),
                ));
            }
            stack.push(key.clone());
        }
        // Errors of variables this one reads are its own to report; one it got past (a
        // `default()`) is dropped.
        let outer = self.error.lock().expect("not poisoned").take();
        let result = self.render_value(h, raw);
        self.stack.lock().expect("not poisoned").pop();
        let inner = std::mem::replace(&mut *self.error.lock().expect("not poisoned"), outer);
        let result = result.map_err(|e| inner.unwrap_or_else(|| self.describe(h, var, &e)));
        let value = result?;
        self.done
            .lock()
            .expect("not poisoned")
            .insert(key, value.clone());
        Ok(Some(value))
    }

    /// `file:line: host NAME: variable `VAR`: WHY`.
    fn describe(&self, h: usize, var: &str, why: &str) -> String {
        let at = self.raw[h]
            .origins
            .get(var)
            .filter(|o| !o.file.is_empty())
            .map(|o| format!("{o}: "))
            .unwrap_or_default();
        format!(
            "{at}host {}: variable `{var}` cannot be rendered: {why}",
            self.names[h]
        )
    }

    fn render_value(self: &Arc<Self>, h: usize, v: &Value) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) if is_template(s) => self.render_str(h, s)?,
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.render_value(h, x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| Ok((k.clone(), self.render_value(h, x)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    fn render_str(self: &Arc<Self>, h: usize, s: &str) -> Result<Value, String> {
        let env = environment();
        let scope = J::from_object(HostScope {
            ctx: self.clone(),
            host: h,
        });
        let describe = |e: minijinja::Error| {
            let what = match e.kind() {
                minijinja::ErrorKind::UndefinedError => "undefined variable".to_string(),
                _ => e
                    .detail()
                    .map_or_else(|| e.kind().to_string(), str::to_string),
            };
            format!("{what} in `{s}`")
        };
        // Exactly one expression: its value, of its own type (ansible-core 2.19).
        if let Some(inner) = single_expression(s) {
            let expr = env
                .compile_expression_owned(inner.to_string())
                .map_err(describe)?;
            let v = expr.eval(scope).map_err(describe)?;
            if v.is_undefined() {
                return Err(format!("undefined variable in `{s}`"));
            }
            return serde_json::to_value(&v).map_err(|e| e.to_string());
        }
        env.render_str(s, scope)
            .map(Value::String)
            .map_err(describe)
    }
}

/// The expression of a template that is exactly `{{ expression }}`.
fn single_expression(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    (!is_template(inner) && !inner.contains("}}")).then_some(inner)
}

/// What a variable's template sees on its host: the host's variables (each rendered when
/// first read) and ansible-core's magic variables.
#[derive(Debug)]
struct HostScope {
    ctx: Arc<VarContext>,
    host: usize,
}

impl Object for HostScope {
    fn get_value(self: &Arc<Self>, key: &J) -> Option<J> {
        let k = key.as_str()?;
        let ctx = &self.ctx;
        let name = &ctx.names[self.host];
        match k {
            "inventory_hostname" => return Some(J::from(name.as_str())),
            "inventory_hostname_short" => {
                return Some(J::from(name.split('.').next().unwrap_or_default()))
            }
            "groups" => return Some(ctx.groups.clone()),
            "group_names" => return Some(ctx.group_names[self.host].clone()),
            "hostvars" => return Some(J::from_object(HostVars { ctx: ctx.clone() })),
            _ => {}
        }
        match ctx.resolve(self.host, k) {
            Ok(v) => v.map(|v| J::from(minijinja::value::Serde(&v))),
            Err(e) => {
                ctx.error.lock().expect("not poisoned").get_or_insert(e);
                None
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let keys: HashSet<&str> = self.ctx.raw[self.host]
            .values
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys: Vec<J> = keys.into_iter().map(J::from).collect();
        keys.sort();
        Enumerator::Values(keys)
    }
}

/// `hostvars`: every host's scope by name.
#[derive(Debug)]
struct HostVars {
    ctx: Arc<VarContext>,
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &J) -> Option<J> {
        let k = key.as_str()?;
        let host = self.ctx.names.iter().position(|n| n == k)?;
        Some(J::from_object(HostScope {
            ctx: self.ctx.clone(),
            host,
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.ctx.names.iter().map(|n| J::from(n.as_str())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(yaml: &str, host: &str) -> Result<serde_json::Map<String, Value>, String> {
        let inv = Inventory::parse_yaml("inv.yml", yaml).unwrap();
        let raw = (0..inv.hosts.len())
            .map(|i| inv.host_vars_with_origins(i))
            .collect();
        let ctx = VarContext::new(&inv, raw);
        let h = inv.index[host];
        match ctx.rendered_lazily(h, |_| false) {
            (v, failed) if failed.is_empty() => Ok(v.values),
            (_, failed) => Err(failed[0].1.clone()),
        }
    }

    /// The expected values were printed by ansible-core 2.19.14 (`to_json` of each variable
    /// in a play on web1).
    #[test]
    fn renders_as_ansible_core() {
        let yaml = r#"
all:
  children:
    web:
      hosts:
        web1:
          a: "{{ 1 + 2 }}"
          b: "x{{ 1 + 2 }}"
          c: "{{ [1,2] }}"
          d: "{{ inventory_hostname }}.example.com"
          e: "{{ groups['web'] }}"
          f: "{{ undefined_x | default('dflt') }}"
          g: "{{ b }}-{{ a }}"
          h: "{{ '5' }}"
          i: "  {{ 1 }}"
          k: "{{ 'a' }}{{ 'b' }}"
          l: "{{ hostvars['web2'].m }}"
          n: ["{{ a }}", {x: "{{ d }}"}]
          o: "{{ a }} "
        web2:
          m: "{{ inventory_hostname }}-m"
"#;
        let v = render(yaml, "web1").unwrap();
        let want = serde_json::json!({"a": 3, "b": "x3", "c": [1, 2], "d": "web1.example.com",
            "e": ["web1", "web2"], "f": "dflt", "g": "x3-3", "h": "5", "i": "  1", "k": "ab",
            "l": "web2-m", "n": [3, {"x": "web1.example.com"}], "o": "3 "});
        for (k, w) in want.as_object().unwrap() {
            assert_eq!(&v[k], w, "{k}");
        }
    }

    #[test]
    fn errors_name_host_variable_and_file() {
        let e = render("all:\n  hosts:\n    h1:\n      x: \"{{ nope }}\"\n", "h1").unwrap_err();
        assert!(
            e.starts_with("inv.yml")
                && e.contains(
                    "host h1: variable `x` cannot be rendered: undefined variable in `{{ nope }}`"
                ),
            "{e}"
        );
        let e = render(
            "all:\n  hosts:\n    h1:\n      a: \"{{ b }}\"\n      b: \"{{ a }}\"\n",
            "h1",
        )
        .unwrap_err();
        assert!(e.contains("recursive loop: `a` → `b` → `a`"), "{e}");
        // An error inside a variable another names is reported for the inner one.
        let e = render(
            "all:\n  hosts:\n    h1:\n      a: \"{{ b }}-x\"\n      b: \"{{ 1 + }}\"\n",
            "h1",
        )
        .unwrap_err();
        assert!(e.contains("variable `b` cannot be rendered"), "{e}");
    }
}
