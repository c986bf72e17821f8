//! Jinja2's own filters and Python's methods that minijinja lacks, as Jinja2 3.1 and
//! Python 3 define them (the function named in each comment), and Ansible's regex tests.
//! Checked against ansible-core 2.19 in tests/templates/expressions/.

use super::python::{defined, py_str, python_regex};
use minijinja::value::{Kwargs, Value as J, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

fn bad(m: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, m.into())
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("wordcount", |v: J| -> Result<usize, Error> {
        defined(&v)?;
        let re = regex::Regex::new(r"\w+").expect("valid");
        Ok(re.find_iter(&py_str(&v)).count())
    });
    env.add_filter("center", center);
    env.add_filter("truncate", truncate);
    env.add_test("match", |v: J, p: &str, kw: Kwargs| {
        regex_test(&v, p, kw, "match")
    });
    env.add_test("search", |v: J, p: &str, kw: Kwargs| {
        regex_test(&v, p, kw, "search")
    });
    env.add_test("regex", |v: J, p: &str, kw: Kwargs| {
        regex_test(&v, p, kw, "")
    });
}

/// Python's `str.center(width)`.
fn center(v: &J, width: Option<usize>) -> Result<String, Error> {
    defined(v)?;
    let s = py_str(v);
    let width = width.unwrap_or(80);
    let len = s.chars().count();
    if width <= len {
        return Ok(s);
    }
    let marg = width - len;
    let left = marg / 2 + (marg & width & 1);
    Ok(format!(
        "{}{s}{}",
        " ".repeat(left),
        " ".repeat(marg - left)
    ))
}

/// Jinja2's `do_truncate(s, length=255, killwords=False, end='...', leeway=None)` (the
/// default leeway 5).
fn truncate(
    v: &J,
    length: Option<usize>,
    killwords: Option<bool>,
    end: Option<&str>,
    leeway: Option<usize>,
) -> Result<String, Error> {
    defined(v)?;
    let s = py_str(v);
    let length = length.unwrap_or(255);
    let end = end.unwrap_or("...");
    let leeway = leeway.unwrap_or(5);
    let end_len = end.chars().count();
    if length < end_len {
        return Err(bad(format!("expected length >= {end_len}, got {length}")));
    }
    if s.chars().count() <= length + leeway {
        return Ok(s);
    }
    let head: String = s.chars().take(length - end_len).collect();
    if killwords.unwrap_or(false) {
        return Ok(format!("{head}{end}"));
    }
    let kept = head.rsplit_once(' ').map_or(head.as_str(), |(a, _)| a);
    Ok(format!("{kept}{end}"))
}

/// Ansible's `match`, `search` and `regex` tests (`test/core.py` `regex`): Python's
/// `re.match` (anchored at the start) or `re.search`.
fn regex_test(v: &J, pattern: &str, kw: Kwargs, kind: &str) -> Result<bool, Error> {
    defined(v)?;
    let ignorecase = kw.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kw.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let match_type: Option<String> = kw.get("match_type")?;
    kw.assert_all_used()?;
    let kind = match (kind, match_type.as_deref()) {
        ("", Some(t)) => t.to_string(),
        ("", None) => "search".to_string(),
        (k, _) => k.to_string(),
    };
    let mut flags = String::new();
    if ignorecase {
        flags.push('i');
    }
    if multiline {
        flags.push('m');
    }
    let body = if kind == "match" {
        format!(r"\A(?:{pattern})")
    } else if kind == "search" {
        pattern.to_string()
    } else {
        return Err(bad(format!("regex: match_type `{kind}` (match or search)")));
    };
    let full = if flags.is_empty() {
        body
    } else {
        format!("(?{flags}){body}")
    };
    let re = python_regex(&full)?;
    re.is_match(&py_str(v))
        .map_err(|e| bad(format!("regex: {e}")))
}

/// `list.index(x)`: Python's method, for the unknown-method hook.
pub fn list_index(value: &J, args: &[J]) -> Option<Result<J, Error>> {
    if value.kind() != ValueKind::Seq || args.len() != 1 {
        return None;
    }
    let items = match value.try_iter() {
        Ok(i) => i,
        Err(e) => return Some(Err(e)),
    };
    for (i, x) in items.enumerate() {
        if x == args[0] {
            return Some(Ok(J::from(i)));
        }
    }
    Some(Err(bad(format!("{} is not in list", py_str(&args[0])))))
}
