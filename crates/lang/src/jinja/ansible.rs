//! Ansible's own filters, tests and lookups that real roles' templates use, each as
//! ansible-core 2.19 defines it (the Python function named in each comment, under
//! `lib/ansible/plugins/`), checked against it in tests/templates/ansible-filters.j2.

use super::python::{defined, py_str, python_regex};
use base64::Engine as _;
use minijinja::value::{Kwargs, Value as J, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

fn bad(m: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, m.into())
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("ternary", ternary);
    env.add_filter("b64encode", |v: J| {
        defined(&v)?;
        Ok::<_, Error>(base64::engine::general_purpose::STANDARD.encode(py_str(&v).as_bytes()))
    });
    env.add_filter("b64decode", |v: J| -> Result<String, Error> {
        defined(&v)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(py_str(&v).trim())
            .map_err(|e| bad(format!("b64decode: {e}")))?;
        String::from_utf8(bytes).map_err(|_| bad("b64decode: the decoded bytes are not UTF-8 text"))
    });
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("flatten", flatten);
    env.add_filter("basename", |v: J| {
        defined(&v)?;
        Ok::<_, Error>(py_str(&v).rsplit('/').next().unwrap_or("").to_string())
    });
    env.add_filter("dirname", |v: J| {
        defined(&v)?;
        Ok::<_, Error>(dirname(&py_str(&v)))
    });
    env.add_filter("quote", |v: J| {
        defined(&v)?;
        Ok::<_, Error>(shell_quote(&py_str(&v)))
    });
    env.add_filter("regex_search", regex_search);
    env.add_filter("comment", comment);
    env.add_filter("urlsplit", urlsplit);
    env.add_filter("extract", extract);
    // Python's os.path.expanduser on the controller, where Ansible runs it.
    env.add_filter("expanduser", |v: J| {
        defined(&v)?;
        let p = py_str(&v);
        let home = std::env::var("HOME").unwrap_or_default();
        Ok::<_, Error>(match p.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
            _ => p,
        })
    });
    env.add_test("version", version);
    env.add_test("version_compare", version);
    env.add_function("lookup", lookup);
}

/// `core.py` `ternary(value, true_val, false_val, none_val=None)`.
fn ternary(v: &J, yes: J, no: J, none: Option<J>) -> Result<J, Error> {
    defined(v)?;
    Ok(match none {
        Some(n) if v.is_none() => n,
        _ if v.is_true() => yes,
        _ => no,
    })
}

/// `core.py` `comment(text, style='plain', **kw)`: the text as a comment block, each line
/// decorated, between a prefix and a postfix line.
fn comment(v: &J, style: Option<&str>, kw: Kwargs) -> Result<String, Error> {
    defined(v)?;
    let text = py_str(v);
    let style = style.unwrap_or("plain");
    // (beginning, decoration, end) of ansible-core's comment_styles.
    let (beginning, decoration, end) = match style {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => {
            return Err(bad(format!(
                "comment: invalid style `{other}` (plain, erlang, c, cblock, xml)"
            )))
        }
    };
    let get = |k: &str, d: &str| -> Result<String, Error> {
        Ok(kw
            .get::<Option<String>>(k)?
            .unwrap_or_else(|| d.to_string()))
    };
    let prepostfix = get("decoration", decoration)?;
    let newline = get("newline", "\n")?;
    let beginning = get("beginning", beginning)?;
    let decoration = get("decoration", decoration)?;
    let prefix = get("prefix", prepostfix.trim_end())?;
    let postfix = get("postfix", prepostfix.trim_end())?;
    let end = get("end", end)?;
    let prefix_count = kw.get::<Option<usize>>("prefix_count")?.unwrap_or(1);
    let postfix_count = kw.get::<Option<usize>>("postfix_count")?.unwrap_or(1);
    kw.assert_all_used()?;
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&format!("{beginning}{newline}"));
    }
    if !prefix.is_empty() {
        let one = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&one.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    );
    out.push_str(&body.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    ));
    let mut parts = vec![String::new()];
    parts.extend(std::iter::repeat_n(postfix, postfix_count));
    out.push_str(&parts.join(&newline));
    if !end.is_empty() {
        out.push_str(&format!("{newline}{end}"));
    }
    Ok(out)
}

/// `core.py` `extract(item, container, morekeys=None)`: `container[item]`, then each of
/// `morekeys` in turn (`map('extract', d)` looks a list of keys up).
fn extract(item: &J, container: &J, morekeys: Option<J>) -> Result<J, Error> {
    defined(item)?;
    let mut v = container.get_item(item)?;
    if let Some(keys) = morekeys {
        let keys: Vec<J> = if keys.kind() == ValueKind::Seq {
            keys.try_iter()?.collect()
        } else {
            vec![keys]
        };
        for k in keys {
            v = v.get_item(&k)?;
        }
    }
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "extract: no such key",
        ));
    }
    Ok(v)
}

/// `urls.py` `split_url(value, query='')` over Python's `urllib.parse.urlsplit` (3.11,
/// ported: its scheme, `//netloc`, `#fragment` and `?query` rules and its `username`,
/// `password`, `hostname` and `port` properties); all the parts as a dict, or one.
fn urlsplit(v: &J, query: Option<&str>) -> Result<J, Error> {
    defined(v)?;
    let parts = split_url(&py_str(v)).map_err(|e| bad(format!("urlsplit: {e}")))?;
    match query {
        None | Some("") => Ok(J::from(minijinja::value::Serde(&parts))),
        Some(q) => parts
            .get(q)
            .map(|x| J::from(minijinja::value::Serde(x)))
            .ok_or_else(|| bad(format!("urlsplit: unknown URL component: {q}"))),
    }
}

fn split_url(url: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    use serde_json::Value as V;
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':') {
        let head = &rest[..i];
        let valid = |c: char| c.is_ascii_alphanumeric() || "+-.".contains(c);
        // A letter first (so never empty), then scheme characters.
        if head.starts_with(|c: char| c.is_ascii_alphabetic()) && head.chars().all(valid) {
            scheme = head.to_lowercase();
            rest = &rest[i + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return Err("Invalid IPv6 URL".into());
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The properties, from the netloc.
    let (userinfo, hostinfo) = match netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        None => (V::Null, V::Null),
        Some(u) => match u.split_once(':') {
            Some((n, p)) => (V::from(n), V::from(p)),
            None => (V::from(u), V::Null),
        },
    };
    let (host, port) = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let (h, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (h, after.split_once(':').map_or("", |(_, p)| p))
        }
        None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
    };
    let hostname = if host.is_empty() {
        V::Null
    } else {
        let (h, zone) = host
            .split_once('%')
            .map_or((host, None), |(h, z)| (h, Some(z)));
        V::from(match zone {
            Some(z) => format!("{}%{z}", h.to_lowercase()),
            None => h.to_lowercase(),
        })
    };
    let port = if port.is_empty() {
        V::Null
    } else {
        let n: u32 = port
            .parse()
            .ok()
            .filter(|_| port.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("Port could not be cast to integer value as '{port}'"))?;
        if n > 65535 {
            return Err("Port out of range 0-65535".into());
        }
        V::from(n)
    };
    // Python's dir() order: alphabetical.
    let mut m = serde_json::Map::new();
    m.insert("fragment".into(), V::from(fragment));
    m.insert("hostname".into(), hostname);
    m.insert("netloc".into(), V::from(netloc));
    m.insert("password".into(), password);
    m.insert("path".into(), V::from(path));
    m.insert("port".into(), port);
    m.insert("query".into(), V::from(query));
    m.insert("scheme".into(), V::from(scheme));
    m.insert("username".into(), username);
    Ok(m)
}

/// `core.py` `combine(*terms, recursive=False, list_merge='replace')`: later maps win;
/// `recursive` merges maps inside maps.
fn combine(first: J, rest: minijinja::value::Rest<J>, kw: Kwargs) -> Result<J, Error> {
    let recursive: bool = kw.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge: Option<String> = kw.get("list_merge")?;
    kw.assert_all_used()?;
    if list_merge.as_deref().is_some_and(|m| m != "replace") {
        return Err(bad("combine: rb supports list_merge='replace' only"));
    }
    let mut acc = to_json(&first)?;
    for t in rest.iter() {
        merge(&mut acc, to_json(t)?, recursive)?;
    }
    Ok(J::from(minijinja::value::Serde(&acc)))
}

fn to_json(v: &J) -> Result<serde_json::Value, Error> {
    if v.kind() != ValueKind::Map {
        return Err(bad(format!(
            "combine expects dictionaries, got {}",
            v.kind()
        )));
    }
    serde_json::to_value(v).map_err(|e| bad(e.to_string()))
}

fn merge(a: &mut serde_json::Value, b: serde_json::Value, recursive: bool) -> Result<(), Error> {
    let (serde_json::Value::Object(am), serde_json::Value::Object(bm)) = (a, b) else {
        return Ok(());
    };
    for (k, v) in bm {
        match am.get_mut(&k) {
            Some(old) if recursive && old.is_object() && v.is_object() => merge(old, v, true)?,
            _ => {
                am.insert(k, v);
            }
        }
    }
    Ok(())
}

/// `key_name` and `value_name` (default `key`, `value`), the only keyword arguments of
/// `dict2items` and `items2dict`.
fn key_value_names(kw: &Kwargs) -> Result<(String, String), Error> {
    let key = kw
        .get::<Option<String>>("key_name")?
        .unwrap_or("key".into());
    let value = kw
        .get::<Option<String>>("value_name")?
        .unwrap_or("value".into());
    kw.assert_all_used()?;
    Ok((key, value))
}

/// `core.py` `dict_to_list_of_dict_key_value_elements(mydict, key_name, value_name)`.
fn dict2items(v: &J, kw: Kwargs) -> Result<J, Error> {
    let (key, value) = key_value_names(&kw)?;
    if v.kind() != ValueKind::Map {
        return Err(bad(format!(
            "dict2items requires a dictionary, got {}",
            v.kind()
        )));
    }
    let mut out = Vec::new();
    for k in v.try_iter()? {
        let item = v.get_item(&k)?;
        out.push(ordered_map(vec![
            (J::from(key.as_str()), k),
            (J::from(value.as_str()), item),
        ]));
    }
    Ok(J::from(out))
}

/// `core.py` `list_of_dict_key_value_elements_to_dict(mylist, key_name, value_name)`.
fn items2dict(v: &J, kw: Kwargs) -> Result<J, Error> {
    defined(v)?;
    let (key, value) = key_value_names(&kw)?;
    let mut out = Vec::new();
    for item in v.try_iter()? {
        let k = item.get_attr(&key)?;
        let val = item.get_attr(&value)?;
        if k.is_undefined() || val.is_undefined() {
            return Err(bad(format!(
                "items2dict: every item needs `{key}` and `{value}`"
            )));
        }
        out.push((k, val));
    }
    Ok(ordered_map(out))
}

/// A map keeping the pairs' order (minijinja's own maps keep insertion order, as Python's
/// dicts do, when built through serde).
fn ordered_map(pairs: Vec<(J, J)>) -> J {
    struct Pairs(Vec<(J, J)>);
    impl serde::Serialize for Pairs {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }
    J::from(minijinja::value::Serde(Pairs(pairs)))
}

/// `core.py` `flatten(mylist, levels=None, skip_nulls=True)`.
fn flatten(v: &J, levels: Option<i64>, kw: Kwargs) -> Result<J, Error> {
    defined(v)?;
    let levels = kw.get::<Option<i64>>("levels")?.or(levels);
    let skip_nulls = kw.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kw.assert_all_used()?;
    fn go(v: &J, levels: Option<i64>, skip: bool, out: &mut Vec<J>) -> Result<(), Error> {
        for e in v.try_iter()? {
            let null = e.is_none() || matches!(e.as_str(), Some("None" | "null"));
            if skip && null {
                continue;
            }
            match (e.kind(), levels) {
                (ValueKind::Seq, None) => go(&e, None, skip, out)?,
                (ValueKind::Seq, Some(l)) if l >= 1 => go(&e, Some(l - 1), skip, out)?,
                _ => out.push(e),
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(v, levels, skip_nulls, &mut out)?;
    Ok(J::from(out))
}

/// Python's `posixpath.dirname`.
fn dirname(p: &str) -> String {
    let head = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

/// Python's `shlex.quote`.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// `core.py` `regex_search(value, regex, *args, **kwargs)`: the first match (None without
/// one), or with `'\\N'`/`'\\g<name>'` arguments the list of those groups.
fn regex_search(
    v: &J,
    pattern: &str,
    groups: minijinja::value::Rest<String>,
    kw: Kwargs,
) -> Result<J, Error> {
    defined(v)?;
    let ignorecase = kw.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kw.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kw.assert_all_used()?;
    let mut flags = String::new();
    if ignorecase {
        flags.push('i');
    }
    if multiline {
        flags.push('m');
    }
    let full = if flags.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{flags}){pattern}")
    };
    let re = python_regex(&full)?;
    let text = py_str(v);
    let found = re
        .captures(&text)
        .map_err(|e| bad(format!("regex_search: {e}")))?;
    let Some(c) = found else {
        return Ok(J::from(()));
    };
    if groups.is_empty() {
        return Ok(J::from(c.get(0).map_or("", |m| m.as_str())));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let m = if let Some(name) = g.strip_prefix("\\g<").and_then(|n| n.strip_suffix('>')) {
            c.name(name)
        } else if let Some(n) = g.strip_prefix('\\').and_then(|n| n.parse::<usize>().ok()) {
            c.get(n)
        } else {
            return Err(bad(format!("regex_search: unknown argument `{g}`")));
        };
        out.push(J::from(m.map_or("", |m| m.as_str())));
    }
    Ok(J::from(out))
}

/// `test/core.py` `version_compare(value, version, operator='eq', strict=None,
/// version_type=None)` with Python's `LooseVersion`: numbers compare as numbers, words as
/// text; a number against a word is an error, as Python 3 makes it.
fn version(v: &J, other: &str, op: Option<&str>, kw: Kwargs) -> Result<bool, Error> {
    let op = kw
        .get::<Option<String>>("operator")?
        .or(op.map(str::to_string));
    let strict: Option<bool> = kw.get("strict")?;
    let vtype: Option<String> = kw.get("version_type")?;
    kw.assert_all_used()?;
    if strict == Some(true) || vtype.as_deref().is_some_and(|t| t != "loose") {
        return Err(bad(
            "version: rb compares loose versions only (version_type='loose')",
        ));
    }
    let a = loose(&py_str(v));
    let b = loose(other);
    let mut ord = std::cmp::Ordering::Equal;
    for (x, y) in a.iter().zip(&b) {
        let o = match (x, y) {
            (Part::Num(x), Part::Num(y)) => x.cmp(y),
            (Part::Word(x), Part::Word(y)) => x.cmp(y),
            _ => {
                return Err(bad(format!(
                    "Version comparison failed: cannot compare `{}` with `{other}`",
                    py_str(v)
                )))
            }
        };
        if o.is_ne() {
            ord = o;
            break;
        }
    }
    if ord.is_eq() {
        ord = a.len().cmp(&b.len());
    }
    use std::cmp::Ordering::*;
    Ok(match op.as_deref().unwrap_or("eq") {
        "==" | "=" | "eq" => ord == Equal,
        "<" | "lt" => ord == Less,
        "<=" | "le" => ord != Greater,
        ">" | "gt" => ord == Greater,
        ">=" | "ge" => ord != Less,
        "!=" | "<>" | "ne" => ord != Equal,
        other => return Err(bad(format!("version: invalid operator `{other}`"))),
    })
}

#[derive(Debug)]
enum Part {
    Num(u128),
    Word(String),
}

/// `LooseVersion.parse`: runs of digits, runs of letters, and any other character alone;
/// dots dropped.
fn loose(s: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Part::Num(text.parse().unwrap_or(u128::MAX)));
            continue;
        }
        if c.is_ascii_lowercase() {
            while i < chars.len() && chars[i].is_ascii_lowercase() {
                i += 1;
            }
            out.push(Part::Word(chars[start..i].iter().collect()));
            continue;
        }
        i += 1;
        if c != '.' {
            out.push(Part::Word(c.to_string()));
        }
    }
    out
}

/// `lookup('env', NAME, ..., default=...)` and `lookup('file', PATH, ...)`: several terms
/// join with commas, as ansible-core's `lookup` does. Files are read from the current folder
/// (rb has no role search path), their trailing newlines stripped.
fn lookup(kind: &str, terms: minijinja::value::Rest<String>, kw: Kwargs) -> Result<String, Error> {
    let default: Option<String> = kw.get("default")?;
    let mut out = Vec::new();
    match kind {
        "env" => {
            kw.assert_all_used()?;
            for t in terms.iter() {
                out.push(
                    std::env::var(t)
                        .ok()
                        .or_else(|| default.clone())
                        .unwrap_or_default(),
                );
            }
        }
        "file" => {
            let rstrip = kw.get::<Option<bool>>("rstrip")?.unwrap_or(true);
            kw.assert_all_used()?;
            for t in terms.iter() {
                let text = std::fs::read_to_string(t)
                    .map_err(|e| bad(format!("lookup('file', '{t}'): cannot read it: {e}")))?;
                out.push(if rstrip {
                    text.trim_end().to_string()
                } else {
                    text
                });
            }
        }
        other => {
            return Err(bad(format!(
                "lookup('{other}', ...) is not supported by rb (only 'env' and 'file')"
            )))
        }
    }
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use crate::jinja::render;
    use serde_json::json;

    fn r(t: &str) -> Result<String, String> {
        render("t.j2", t, &json!({"n": null, "t": true, "f": false}))
    }

    /// Each line's expected text is what ansible-core 2.19 printed for it.
    #[test]
    fn filters_and_tests_as_ansible_core() {
        for (t, want) in [
            ("{{ n | ternary('a', 'b', 'c') }}", "c"),
            ("{{ f | ternary('a', 'b', 'c') }}", "b"),
            ("{{ t | ternary('a', 'b') }}", "a"),
            ("{{ '' | quote }}", "''"),
            ("{{ 'a b' | quote }}", "'a b'"),
            ("{{ 'a_b@c%d+e=f:g,h.i/j-k' | quote }}", "a_b@c%d+e=f:g,h.i/j-k"),
            ("{{ 'é' | quote }}", "'é'"),
            ("{{ '/' | dirname }}|{{ '//a' | dirname }}|{{ 'a' | dirname }}|{{ 'a/b/' | dirname }}", "/|//||a/b"),
            ("{{ 'a/b/' | basename }}|{{ 'c' | basename }}", "|c"),
            ("{{ [1, none, 'None', 'null', [2]] | flatten | to_json }}", "[1, 2]"),
            ("{{ [1, none, [2, [3]]] | flatten(skip_nulls=False) | to_json }}", "[1, null, 2, 3]"),
            ("{{ [1, [2, [3]]] | flatten(0) | to_json }}", "[1, [2, [3]]]"),
            ("{{ 'ab12cd' | regex_search('([a-z]+)([0-9]+)', '\\\\2', '\\\\1') | to_json }}", "[\"12\", \"ab\"]"),
            ("{{ 'ab12' | regex_search('(?P<n>[0-9]+)', '\\\\g<n>') | to_json }}", "[\"12\"]"),
            ("{{ 'AB' | regex_search('ab', ignorecase=True) }}", "AB"),
            ("{{ 'x\\nab' | regex_search('^ab', multiline=True) }}", "ab"),
            ("{{ 'x' | regex_search('y') is none }}", "True"),
            ("{{ '1.10' is version('1.9', '>') }}", "True"),
            ("{{ '1.10' is version('1.10.0', '<') }}", "True"),
            ("{{ '1.2' is version('1.2', 'ge') }} {{ '1.2' is version('1.3', 'le') }}", "True True"),
            ("{{ '1.2' is version('1.3', '!=') }} {{ '1.2' is version('1.2', 'ne') }}", "True False"),
            ("{{ '1.2' is version('1.2') }} {{ '1.2a' is version('1.2b', 'lt') }}", "True True"),
            ("{{ '1.2' is version('1.2', operator='gt') }}", "False"),
            ("{{ {'a': 1} | combine({'a': {'b': 1}}, {'c': 2}) | to_json }}", "{\"a\": {\"b\": 1}, \"c\": 2}"),
            ("{{ {'a': 1, 'b': 2} | dict2items(key_name='k', value_name='v') | to_json }}", "[{\"k\": \"a\", \"v\": 1}, {\"k\": \"b\", \"v\": 2}]"),
            ("{{ [{'k': 'a', 'v': 1}] | items2dict(key_name='k', value_name='v') | to_json }}", "{\"a\": 1}"),
            ("{{ 'aGk=' | b64decode }}", "hi"),
            ("{{ 'abc' is match('b') }}|{{ 'abc' is search('b') }}|{{ 'ABC' is match('a', ignorecase=True) }}|{{ 'x\\nab' is match('^ab', multiline=True) }}|{{ 'abc' is regex('b', match_type='match') }}|{{ 'abc' is regex('b') }}|{{ 'abc' is regex('x') }}", "False|True|True|False|False|True|False"),
            ("{{ \"hello world\" | truncate(8) }}|{{ \"ab\" | center(5) }}|{{ \"http://h:65535/\" | urlsplit(\"port\") }}|{{ \"a b c d e f g h i j\" | truncate(9) }}", "hello world|  ab |65535|a b c..."),
            ("{{ '0o17' | int(base=8) }}|{{ '0b101' | int(base=2) }}|{{ '17' | int(base=8) }}", "15|5|15"),
            ("{{ 'a' | extract({'a': {'b': {'c': 1}}}, ['b', 'c']) }}|{{ 'a' | extract({'a': {'b': 2}}, 'b') }}", "1|2"),
            ("{{ ':x/y' | urlsplit('path') }}|{{ '1a:x' | urlsplit('scheme') }}|{{ 'a1+.-:x' | urlsplit('scheme') }}|{{ 'a_b:x' | urlsplit('path') }}", ":x/y||a1+.-|a_b:x"),
        ] {
            assert_eq!(r(t).as_deref(), Ok(want), "{t}");
        }
    }

    #[test]
    fn what_rb_does_not_do_is_an_error() {
        for (t, why) in [
            (
                "{{ {'a': 1} | combine({'b': 2}, list_merge='append') }}",
                "list_merge='replace' only",
            ),
            (
                "{{ [1] | combine({'b': 2}) }}",
                "combine expects dictionaries",
            ),
            ("{{ [1] | dict2items }}", "dict2items requires a dictionary"),
            (
                "{{ [{'a': 1}] | items2dict }}",
                "every item needs `key` and `value`",
            ),
            (
                "{{ '1.2' is version('1.2', 'about') }}",
                "invalid operator `about`",
            ),
            (
                "{{ '1.a' is version('1.2', 'lt') }}",
                "Version comparison failed",
            ),
            (
                "{{ '1.2' is version('1.2', strict=True) }}",
                "loose versions only",
            ),
            ("{{ 'x' | regex_search('x', 'y') }}", "unknown argument `y`"),
            ("{{ '!!' | b64decode }}", "b64decode:"),
            (
                "{{ lookup('pipe', 'id') }}",
                "lookup('pipe', ...) is not supported",
            ),
            ("{{ lookup('file', '/nonexistent/rb') }}", "cannot read it"),
            (
                "{{ 'http://h:70000/' | urlsplit('port') }}",
                "Port out of range 0-65535",
            ),
            (
                "{{ 'abcdef' | truncate(2) }}",
                "expected length >= 3, got 2",
            ),
            ("{{ {'a': 1}.index('a') }}", "has no method named index"),
            ("{{ [1, 2].index(3) }}", "3 is not in list"),
            (
                "{{ 'a' is regex('a', match_type='full') }}",
                "match_type `full`",
            ),
            (
                "{{ 'http://h:65535/' | urlsplit('nope') }}",
                "unknown URL component: nope",
            ),
            (
                "{{ 'http://h:1x/' | urlsplit('port') }}",
                "Port could not be cast to integer value as '1x'",
            ),
            ("{{ 'http://[::1/' | urlsplit }}", "Invalid IPv6 URL"),
        ] {
            let e = r(t).unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
    }

    #[test]
    fn lookups_read_the_environment_and_files() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("token");
        std::fs::write(&f, "abc\n\n").unwrap();
        let t = format!(
            "{{{{ lookup('file', '{0}') }}}}|{{{{ lookup('file', '{0}', rstrip=False) }}}}|{{{{ lookup('env', 'RB_SURELY_UNSET_VAR', default='dflt') }}}}|{{{{ lookup('env', 'RB_SURELY_UNSET_VAR') }}}}|{{{{ lookup('env', 'PATH') == '{1}' }}}}",
            f.display(),
            std::env::var("PATH").unwrap()
        );
        assert_eq!(r(&t).unwrap(), "abc|abc\n\n|dflt||True");
    }
}

#[cfg(test)]
mod undefined {
    /// A variable never set is an error in every filter but `default` (as in Ansible),
    /// never an empty or `None` text.
    #[test]
    fn filters_refuse_undefined_values() {
        let scope = serde_json::json!({});
        for f in [
            "join",
            "to_json",
            "to_nice_json",
            "to_nice_yaml",
            "regex_replace('a','b')",
            "bool",
            "int",
            "indent",
            "ternary('a','b')",
            "b64encode",
            "b64decode",
            "combine({})",
            "dict2items",
            "items2dict",
            "flatten",
            "basename",
            "dirname",
            "quote",
            "regex_search('a')",
        ] {
            let t = format!("{{{{ nope | {f} }}}}");
            let e = crate::jinja::render("t.j2", &t, &scope).unwrap_err();
            assert!(e.contains("undefined"), "{f}: {e}");
        }
        let ok = crate::jinja::render("t.j2", "{{ nope | default('x') }}", &scope);
        assert_eq!(ok.as_deref(), Ok("x"));
    }
}
