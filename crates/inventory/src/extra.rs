//! `-e` as ansible-playbook takes it: `key=value` pairs split like a shell (values stay
//! strings, as ansible-core keeps them), `-e '{"json": 1}'` / `-e '[...]'` read as YAML
//! (JSON is YAML), `-e @file.yml` / `-e @file.json` read from a file.

use crate::{shlex, yaml, Error};
use serde_json::{Map, Value};

/// Whether `arg` is the `key=value` form (its values come back as strings), rather than
/// `@file` or inline JSON/YAML (which keep the types they were written with).
pub fn is_key_value(arg: &str) -> bool {
    !(arg.starts_with('@') || arg.trim_start().starts_with(['{', '[']))
}

pub fn parse_extra_vars(arg: &str) -> Result<Map<String, Value>, Error> {
    let err = |m: String| Error::ExtraVars {
        arg: arg.to_string(),
        message: m,
    };
    let (text, origin) = if let Some(path) = arg.strip_prefix('@') {
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {path}: {e}")))?;
        let (text, encrypted) =
            crate::vault::open(text).map_err(|e| err(format!("{path}: {e}")))?;
        if encrypted {
            let m = parse_extra_vars_text(&text, path).map_err(err)?;
            crate::vault::found_in(&Value::Object(m.clone()));
            return Ok(m);
        }
        (text, path.to_string())
    } else if !is_key_value(arg) {
        (arg.to_string(), "(-e)".to_string())
    } else {
        let mut out = Map::new();
        // `k={"json": 1}` / `k=[1, 2]`: one pair whose value is JSON (split at spaces, it
        // would be nonsense; rb has always read it whole).
        if let Some((k, v)) = arg.split_once('=') {
            let key_ok = !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_');
            if key_ok && v.trim_start().starts_with(['{', '[']) {
                out.insert(k.to_string(), Value::String(v.to_string()));
                return Ok(out);
            }
        }
        for w in shlex::split(arg).map_err(err)? {
            let (k, v) = w.split_once('=').ok_or_else(|| {
                err(format!(
                    "expects key=value pairs, got `{w}`; quote values with spaces: -e 'k=\"a b\"'"
                ))
            })?;
            if k.is_empty() {
                return Err(err(format!("`{w}` has no name before `=`")));
            }
            out.insert(k.to_string(), Value::String(v.to_string()));
        }
        return Ok(out);
    };
    parse_extra_vars_text(&text, &origin).map_err(err)
}

/// A YAML or JSON document of extra variables (`origin` names it in errors).
fn parse_extra_vars_text(text: &str, origin: &str) -> Result<Map<String, Value>, String> {
    let node = yaml::parse(text)
        .map_err(|e| format!("{origin}:{}: invalid YAML/JSON: {}", e.line, e.message))?;
    match node.map(|n| n.to_value()) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(format!(
            "{origin}: extra variables must be a mapping (name: value)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_extra_vars;
    use serde_json::json;

    #[test]
    fn forms() {
        assert_eq!(
            serde_json::Value::Object(parse_extra_vars(r#"a=1 b="x y""#).unwrap()),
            json!({"a": "1", "b": "x y"})
        );
        assert_eq!(
            serde_json::Value::Object(parse_extra_vars(r#"{"n": 1, "l": [true]}"#).unwrap()),
            json!({"n": 1, "l": [true]})
        );
        assert!(parse_extra_vars("justaword").is_err());
        assert!(parse_extra_vars("[1, 2]").is_err());
    }

    /// `k={json}` and `k=[json]` are one pair with the JSON text whole; only a plain name
    /// before `=` and a value opening with `{`/`[` count, anything else splits like a shell.
    #[test]
    fn one_pair_with_a_json_value() {
        let one = |arg: &str| serde_json::Value::Object(parse_extra_vars(arg).unwrap());
        assert_eq!(
            one(r#"opts={"serial": 2, "x": "a b"}"#),
            json!({"opts": r#"{"serial": 2, "x": "a b"}"#})
        );
        assert_eq!(one("ids= [1, 2]"), json!({"ids": " [1, 2]"}));
        // Not a plain name: split like a shell, and `2}` is no pair.
        assert!(parse_extra_vars(r#"bad-key={"a": 2}"#).is_err());
        // The value does not open with JSON: pairs as usual.
        assert_eq!(one("a=x b=[1]"), json!({"a": "x", "b": "[1]"}));
        assert!(parse_extra_vars("=[1]").is_err());
    }
}
