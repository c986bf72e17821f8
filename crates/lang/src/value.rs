//! JSON → Rhai values, shared by the functions that read JSON (`parse_json`, `r.json()`)
//! and by hosts' inventory variables. Knows no rb type, so anything may use it.

use rhai::{Dynamic, Map};
use serde_json::Value;

/// JSON → Rhai value: objects become maps, arrays arrays, integers `int`, other numbers `float`.
pub fn from_value(v: Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or(f64::NAN).into(),
        },
        Value::String(s) => s.into(),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(from_value).collect()),
        Value::Object(o) => Dynamic::from_map(
            o.into_iter()
                .map(|(k, v)| (k.into(), from_value(v)))
                .collect::<Map>(),
        ),
    }
}

/// Parse JSON text into a Rhai value; the error names line and column in the text.
pub fn parse(text: &str) -> Result<Dynamic, String> {
    serde_json::from_str::<Value>(text)
        .map(from_value)
        .map_err(|e| {
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            )
        })
}
