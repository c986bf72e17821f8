//! JSON: `parse_json`, `to_json`, `v.query(path)`, `v.query_one(path)` (RFC 9535 JSONPath via
//! jsonpath-rust) and `kube_jsonpath(v, template)` (kubectl's template dialect).

use crate::api::shell::CmdResult;
use crate::host::Host;
use crate::raise::{at, type_of, OrMessage, RhaiResult};
use rb_core::report::Secret;
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};
use serde_json::Value;

/// Rhai value → JSON. Custom types become what they print as, so nothing is silently lost.
pub fn to_value(v: &Dynamic) -> Value {
    if v.is_unit() {
        return Value::Null;
    }
    if let Ok(b) = v.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = v.as_int() {
        return Value::from(i);
    }
    if let Ok(f) = v.as_float() {
        return serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return Value::String(s.to_string());
    }
    if let Some(a) = v.read_lock::<Array>() {
        return Value::Array(a.iter().map(to_value).collect());
    }
    if let Some(m) = v.read_lock::<Map>() {
        return Value::Object(
            m.iter()
                .map(|(k, v)| (k.to_string(), to_value(v)))
                .collect(),
        );
    }
    if let Some(r) = v.read_lock::<CmdResult>() {
        return serde_json::json!({
            "cmd": r.cmd, "stdout": r.stdout, "stderr": r.stderr, "rc": r.rc,
            "ok": r.ok, "changed": r.changed, "duration": r.duration,
        });
    }
    if let Some(s) = v.read_lock::<Secret>() {
        return Value::String(s.reveal().to_string());
    }
    if let Some(h) = v.read_lock::<Host>() {
        return Value::String(h.name.to_string());
    }
    Value::String(v.to_string())
}

use crate::value::check_depth;
pub use crate::value::{from_value, parse};

/// A JSONPath error for people: the path, the column, what was expected.
fn path_error(path: &str, err: &jsonpath_rust::parser::errors::JsonPathError) -> String {
    let text = err.to_string();
    let col = crate::api::regex::compile(r"--> \d+:(\d+)")
        .ok()
        .and_then(|r| r.captures(&text).map(|c| c[1].to_string()));
    let expected = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .unwrap_or(text.lines().next().unwrap_or(""))
        .to_string();
    match col {
        Some(c) => format!("invalid JSONPath `{path}` at column {c}: {expected}"),
        None => format!("invalid JSONPath `{path}`: {expected}"),
    }
}

/// Run an RFC 9535 JSONPath query over JSON.
pub fn query(doc: &Value, path: &str) -> OrMessage<Vec<Value>> {
    if !path.starts_with('$') {
        return Err(format!(
            "invalid JSONPath `{path}`: a path starts with `$` (did you mean `$.{}`?)",
            path.trim_start_matches('.')
        ));
    }
    let parsed = jsonpath_rust::parser::parse_json_path(path).map_err(|e| path_error(path, &e))?;
    let found =
        jsonpath_rust::query::js_path_process(&parsed, doc).map_err(|e| path_error(path, &e))?;
    Ok(found.into_iter().map(|r| r.val().clone()).collect())
}

/// Accept a document as parsed JSON (map/array) or as JSON text.
fn doc_of(v: &Dynamic) -> OrMessage<Value> {
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return serde_json::from_str(s.as_str()).map_err(|e| {
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            )
        });
    }
    if let Some(r) = v.read_lock::<CmdResult>() {
        return serde_json::from_str(&r.stdout)
            .map_err(|e| format!("stdout of `{}` is not JSON: {e}", r.cmd));
    }
    check_depth(v, "query")?;
    Ok(to_value(v))
}

pub fn register(engine: &mut Engine) {
    engine.register_fn("parse_json", |nctx: NativeCallContext, s: &str| {
        parse(s).map_err(|e| at(&nctx, e))
    });
    engine.register_fn("to_json", |nctx: NativeCallContext, v: Dynamic| {
        check_depth(&v, "write as JSON").map_err(|e| at(&nctx, e))?;
        Ok::<_, Box<rhai::EvalAltResult>>(serde_json::to_string(&to_value(&v)).unwrap_or_default())
    });
    // Rhai has its own `to_json` for maps, which an exact type match would pick over ours;
    // it writes custom values (a secret, a command result) as their Rust type name.
    engine.register_fn("to_json", |nctx: NativeCallContext, m: Map| {
        let v = Dynamic::from_map(m);
        check_depth(&v, "write as JSON").map_err(|e| at(&nctx, e))?;
        Ok::<_, Box<rhai::EvalAltResult>>(serde_json::to_string(&to_value(&v)).unwrap_or_default())
    });
    engine.register_fn(
        "to_json",
        |nctx: NativeCallContext, v: Dynamic, pretty: bool| {
            check_depth(&v, "write as JSON").map_err(|e| at(&nctx, e))?;
            let v = to_value(&v);
            if pretty {
                serde_json::to_string_pretty(&v)
            } else {
                serde_json::to_string(&v)
            }
            .map_err(|e| at(&nctx, e.to_string()))
        },
    );
    engine.register_fn(
        "query",
        |nctx: NativeCallContext, v: Dynamic, path: &str| -> RhaiResult<Array> {
            let doc = doc_of(&v).map_err(|e| at(&nctx, e))?;
            let found = query(&doc, path).map_err(|e| at(&nctx, e))?;
            Ok(found.into_iter().map(from_value).collect())
        },
    );
    engine.register_fn(
        "query_one",
        |nctx: NativeCallContext, v: Dynamic, path: &str| -> RhaiResult<Dynamic> {
            let doc = doc_of(&v).map_err(|e| at(&nctx, e))?;
            let mut found = query(&doc, path).map_err(|e| at(&nctx, e))?;
            if found.len() != 1 {
                return Err(at(
                    &nctx,
                    format!(
                        "query_one: `{path}` matched {} values, expected exactly 1",
                        found.len()
                    ),
                ));
            }
            Ok(from_value(found.remove(0)))
        },
    );
    engine.register_fn(
        "kube_jsonpath",
        |nctx: NativeCallContext, v: Dynamic, template: &str| -> RhaiResult<String> {
            if !(v.is_map() || v.is_array() || v.is_string() || v.is::<CmdResult>()) {
                return Err(at(
                    &nctx,
                    format!(
                        "kube_jsonpath: expected a JSON document (map, array or JSON text), got {}",
                        type_of(&v)
                    ),
                ));
            }
            let doc = doc_of(&v).map_err(|e| at(&nctx, e))?;
            kubepath::render(template, &doc).map_err(|e| at(&nctx, e.to_string()))
        },
    );
}

#[cfg(test)]
mod secret_tests {
    use super::to_value;
    use rb_core::report::Secrets;
    use rhai::{Dynamic, Map};

    #[test]
    fn to_json_writes_the_real_value_of_a_secret() {
        let s = Secrets::default().add("hunter2");
        let d = Dynamic::from(s);
        assert_eq!(to_value(&d), serde_json::json!("hunter2"));
        let mut m = Map::new();
        m.insert("p".into(), d);
        assert_eq!(
            to_value(&Dynamic::from_map(m)),
            serde_json::json!({"p": "hunter2"})
        );
    }
}
