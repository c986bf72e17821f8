//! Values as Python writes them, for templates that must read as ansible-core renders
//! them: `str()`, `repr()`, floats, and `json.dumps`; Python's `re` patterns; and
//! Ansible's strict undefined, which every filter checks.

use minijinja::value::{Value as J, ValueKind};
use minijinja::{Error, ErrorKind};

/// Python's `str(value)`.
pub fn py_str(v: &J) -> String {
    match v.as_str() {
        Some(s) if v.kind() == ValueKind::String => s.to_string(),
        _ => {
            let mut out = String::new();
            py_repr(v, &mut out);
            out
        }
    }
}

/// Python's `repr(value)`.
pub fn py_repr(v: &J, out: &mut String) {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => out.push_str(&py_number(v)),
        ValueKind::String => py_str_repr(v.as_str().unwrap_or_default(), out),
        ValueKind::Map => {
            out.push('{');
            for (i, k) in v.try_iter().into_iter().flatten().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(&k, out);
                out.push_str(": ");
                py_repr(&v.get_item(&k).unwrap_or_default(), out);
            }
            out.push('}');
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            for (i, item) in v.try_iter().into_iter().flatten().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(&item, out);
            }
            out.push(']');
        }
        _ => out.push_str(&v.to_string()),
    }
}

fn py_number(v: &J) -> String {
    if v.is_integer() {
        v.to_string()
    } else {
        py_float(f64::try_from(v.clone()).unwrap_or(f64::NAN))
    }
}

/// Python's `repr(float)` (shared with the inventory's INI literals).
pub fn py_float(f: f64) -> String {
    inventory::py_float(f)
}

/// How a secret reads inside the text of Python's `repr` (`{{ [pw] }}`) and of `to_json`
/// (`\uXXXX`), for the run's redaction.
pub fn secret_forms() -> [rb_core::report::Encoder; 2] {
    [
        |v| {
            let mut out = String::new();
            py_str_repr(v, &mut out);
            out
        },
        |v| {
            let mut out = String::new();
            py_json_string(v, &mut out);
            out
        },
    ]
}

/// Python's `repr(str)`: single quotes unless the text has one and no double quote.
fn py_str_repr(s: &str, out: &mut String) {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(q);
}

/// A string as Python's `json.dumps` writes it (ASCII only: `\uXXXX` for the rest).
fn py_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `json.dumps` (ASCII only, as its default): `to_json` and `to_nice_json`.
pub fn py_json(v: &J, indent: Option<usize>, sort_keys: bool, seps: (&str, &str)) -> String {
    fn walk(
        v: &J,
        indent: Option<usize>,
        level: usize,
        sort: bool,
        seps: (&str, &str),
        out: &mut String,
    ) {
        let newline = |out: &mut String, level: usize| {
            if let Some(n) = indent {
                out.push('\n');
                out.push_str(&" ".repeat(n * level));
            }
        };
        match v.kind() {
            ValueKind::Undefined | ValueKind::None => out.push_str("null"),
            ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
            ValueKind::Number => {
                let n = py_number(v);
                out.push_str(match n.as_str() {
                    "inf" => "Infinity",
                    "-inf" => "-Infinity",
                    "nan" => "NaN",
                    _ => &n,
                });
            }
            ValueKind::String => py_json_string(v.as_str().unwrap_or_default(), out),
            ValueKind::Map => {
                let mut keys: Vec<J> = v.try_iter().into_iter().flatten().collect();
                if keys.is_empty() {
                    out.push_str("{}");
                    return;
                }
                if sort {
                    keys.sort_by_key(py_str);
                }
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push_str(seps.0);
                    }
                    newline(out, level + 1);
                    py_json_string(&py_json_key(k), out);
                    out.push_str(seps.1);
                    walk(
                        &v.get_item(k).unwrap_or_default(),
                        indent,
                        level + 1,
                        sort,
                        seps,
                        out,
                    );
                }
                newline(out, level);
                out.push('}');
            }
            ValueKind::Seq | ValueKind::Iterable => {
                let items: Vec<J> = v.try_iter().into_iter().flatten().collect();
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(seps.0);
                    }
                    newline(out, level + 1);
                    walk(item, indent, level + 1, sort, seps, out);
                }
                newline(out, level);
                out.push(']');
            }
            _ => py_json_string(&v.to_string(), out),
        }
    }
    let mut out = String::new();
    walk(v, indent, 0, sort_keys, seps, &mut out);
    out
}

/// A map key as `json.dumps` writes it (`True` → "true", `1.5` → "1.5").
fn py_json_key(k: &J) -> String {
    match k.kind() {
        ValueKind::Bool => if k.is_true() { "true" } else { "false" }.into(),
        ValueKind::None => "null".into(),
        _ => py_str(k),
    }
}

/// Python's `str.splitlines()`: breaks at `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`–`\x1e`,
/// `\x85`, `\u2028` and `\u2029`; a break at the end gives no empty last line.
pub fn splitlines(s: &str) -> Vec<&str> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_break(c) {
            out.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Ansible's undefined: a filter given a variable that was never set fails, as Jinja2's
/// StrictUndefined does (only `default` and `is defined` take one).
pub(crate) fn defined(v: &J) -> Result<(), Error> {
    if v.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
    }
    Ok(())
}

/// A Python `re` pattern: the regex crate's syntax, plus look-around and back-references
/// (which real roles use, e.g. kubespray's `'/coredns(?!/coredns).*$'`), through
/// fancy-regex, which hands everything else to the regex crate.
pub(crate) fn python_regex(pattern: &str) -> Result<fancy_regex::Regex, Error> {
    fancy_regex::Regex::new(pattern).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("invalid regex {pattern:?}: {e}"),
        )
    })
}
