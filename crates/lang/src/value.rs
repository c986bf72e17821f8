//! JSON → Rhai values, shared by the functions that read JSON (`parse_json`, `r.json()`)
//! and by hosts' inventory variables. Knows no rb type, so anything may use it.

use crate::raise::OrMessage;
use rhai::{Array, Dynamic, Map};
use serde_json::Value;

/// How deep arrays and maps may nest where rb walks them (printing, comparing, JSON): as
/// deep as JSON parsers read (serde_json's limit), and far below what would exhaust the
/// stack.
pub const MAX_DEPTH: usize = 128;

/// The error for a value nested past [`MAX_DEPTH`]; `what` is the operation.
pub fn too_deep(what: &str) -> String {
    format!("cannot {what} a value nested more than {MAX_DEPTH} levels deep (arrays and maps in arrays and maps)")
}

/// `Err` when `v` nests arrays and maps more than [`MAX_DEPTH`] levels. The walk stops at
/// that depth, so its own recursion is bounded.
pub fn check_depth(v: &Dynamic, what: &str) -> OrMessage<()> {
    fn walk(v: &Dynamic, depth: usize, what: &str) -> OrMessage<()> {
        let nested = |x: &Dynamic| {
            if x.is_array() || x.is_map() {
                walk(x, depth + 1, what)
            } else {
                Ok(())
            }
        };
        if let Some(a) = v.read_lock::<Array>() {
            if depth > MAX_DEPTH {
                return Err(too_deep(what));
            }
            a.iter().try_for_each(nested)
        } else if let Some(m) = v.read_lock::<Map>() {
            if depth > MAX_DEPTH {
                return Err(too_deep(what));
            }
            m.values().try_for_each(nested)
        } else {
            Ok(())
        }
    }
    walk(v, 1, what)
}

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
/// Straight to Rhai values, with no `serde_json::Value` in between: a big document is held
/// once, not twice.
pub fn parse(text: &str) -> OrMessage<Dynamic> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserialize::deserialize(&mut de)
        .and_then(|Json(v)| de.end().map(|_| v))
        .map_err(|e| {
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            )
        })
}

/// A Rhai value read from JSON by the rules of [`from_value`].
struct Json(Dynamic);

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(Json)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Dynamic;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::UNIT)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Dynamic, E> {
        Ok(b.into())
    }
    fn visit_i64<E>(self, i: i64) -> Result<Dynamic, E> {
        Ok(i.into())
    }
    fn visit_u64<E>(self, u: u64) -> Result<Dynamic, E> {
        Ok(i64::try_from(u).map_or_else(|_| (u as f64).into(), Dynamic::from))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Dynamic, E> {
        Ok(f.into())
    }
    fn visit_str<E>(self, s: &str) -> Result<Dynamic, E> {
        Ok(s.into())
    }
    fn visit_string<E>(self, s: String) -> Result<Dynamic, E> {
        Ok(s.into())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Dynamic, A::Error> {
        let mut a = rhai::Array::new();
        while let Some(Json(v)) = seq.next_element()? {
            a.push(v);
        }
        Ok(Dynamic::from_array(a))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Dynamic, A::Error> {
        let mut m = Map::new();
        while let Some((k, Json(v))) = map.next_entry::<String, Json>()? {
            m.insert(k.into(), v);
        }
        Ok(Dynamic::from_map(m))
    }
}

/// Parse a `-e key=value` value: integers and true/false become numbers and booleans,
/// `{...}`/`[...]` are parsed as JSON, everything else stays a string (so `1.10` is not 1.1).
pub fn parse_cli_value(v: &str) -> Dynamic {
    if let Ok(i) = v.parse::<i64>() {
        if !(v.starts_with('+') || (v.len() > 1 && v.starts_with('0'))) {
            return i.into();
        }
    }
    match v {
        "true" => return true.into(),
        "false" => return false.into(),
        _ => {}
    }
    if v.starts_with('{') || v.starts_with('[') {
        if let Ok(d) = parse(v) {
            return d;
        }
    }
    v.into()
}
