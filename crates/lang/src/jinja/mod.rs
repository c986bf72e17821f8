//! Jinja2 as Ansible's `template` module renders it, through minijinja: blocks trim the
//! newline after them, the template's trailing newlines are kept, an undefined variable is
//! an error at the template's line, values print as Python prints them (`True`, `None` as an
//! empty string at the top level, `['a', 1]`), and Ansible's everyday filters behave as
//! ansible-core 2.19's (checked against it: tests/templates/). No Rhai here: `api/template.rs`
//! is the runbook's side.

mod ansible;
mod dict;
mod jinja2;
mod percent;
mod python;
pub mod vars;
mod yaml;

use crate::raise::OrMessage;
use minijinja::value::{Kwargs, Value as J, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use python::{defined, py_json, py_str, python_regex};
use serde_json::Value;
use std::sync::OnceLock;

/// The most template instructions one render may take: a loop without end is an error, not
/// a hang.
const FUEL: u64 = 50_000_000;

/// The whitespace options a template's `#jinja2:` header may set (Ansible's
/// `TemplateOverrides`); Ansible's defaults otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Whitespace {
    trim_blocks: bool,
    lstrip_blocks: bool,
    keep_trailing_newline: bool,
}

const ANSIBLE_WHITESPACE: Whitespace = Whitespace {
    trim_blocks: true,
    lstrip_blocks: false,
    keep_trailing_newline: false,
};

/// The environment of Ansible's defaults.
fn environment() -> &'static Environment<'static> {
    environment_for(ANSIBLE_WHITESPACE)
}

/// One environment per combination of whitespace options, each built once.
fn environment_for(ws: Whitespace) -> &'static Environment<'static> {
    static ENVS: [OnceLock<Environment<'static>>; 8] = [const { OnceLock::new() }; 8];
    let i = usize::from(ws.trim_blocks)
        | usize::from(ws.lstrip_blocks) << 1
        | usize::from(ws.keep_trailing_newline) << 2;
    ENVS[i].get_or_init(|| {
        let mut env = Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(ws.trim_blocks)
                .lstrip_blocks(ws.lstrip_blocks)
                .keep_trailing_newline(ws.keep_trailing_newline)
                .build()
                .expect("the default delimiters are valid"),
        );
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // Python's str/dict/list methods (`d.items()`, `s.split(',')`), as Jinja2 has them.
        env.set_unknown_method_callback(|state, value, method, args| {
            // Python's dict.update() changes the dict in place; minijinja's values cannot
            // change, so a template relying on it would silently lose the update.
            if method == "update" && value.kind() == ValueKind::Map {
                return Err(dict::refused());
            }
            if method == "index" {
                if let Some(r) = jinja2::list_index(value, args) {
                    return r;
                }
            }
            minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
        });
        env.set_formatter(|out, _state, value| {
            // Ansible's finalize: None prints as nothing; everything else as Python's str().
            // An undefined value reaching here is the missing else of `x if c` (a variable
            // never set fails before): Jinja2 prints nothing for it.
            if !value.is_none() && !value.is_undefined() {
                out.write_str(&py_str(value))?;
            }
            Ok(())
        });
        env.add_filter("default", default);
        env.add_filter("d", default);
        env.add_filter("join", join);
        env.add_filter("to_json", |v: J| {
            defined(&v)?;
            Ok::<_, Error>(py_json(&v, None, false, (", ", ": ")))
        });
        env.add_filter("to_nice_json", |v: J, indent: Option<usize>, kw: Kwargs| {
            defined(&v)?;
            let indent = indent_arg(indent, &kw)?;
            Ok::<_, Error>(py_json(&v, Some(indent), true, (",", ": ")))
        });
        env.add_filter("to_nice_yaml", |v: J, indent: Option<usize>, kw: Kwargs| {
            defined(&v)?;
            let indent = indent_arg(indent, &kw)?;
            let mut out = String::new();
            yaml::block(&v, indent, &mut out)?;
            Ok::<_, Error>(out)
        });
        env.add_filter("to_yaml", |v: J, indent: Option<usize>, kw: Kwargs| {
            defined(&v)?;
            let named: Option<usize> = kw.get("indent")?;
            kw.assert_all_used()?;
            let mut out = String::new();
            yaml::mixed(&v, named.or(indent).unwrap_or(2), &mut out)?;
            Ok::<_, Error>(out)
        });
        env.add_filter("regex_replace", regex_replace);
        env.add_filter("bool", to_bool);
        env.add_filter("indent", indent);
        ansible::register(&mut env);
        jinja2::register(&mut env);
        env.add_function("rb_dict", |v: J| dict::MutableDict::from_value(&v));
        env.add_filter("pyformat", |fmt: &str, args: J, tuple: bool| {
            percent::pyformat(fmt, args, tuple)
        });
        env.add_filter("int", to_int);
        env
    })
}

/// `indent` given by position or name (default 4); other keyword arguments are errors.
fn indent_arg(pos: Option<usize>, kw: &Kwargs) -> Result<usize, Error> {
    let named: Option<usize> = kw.get("indent")?;
    kw.assert_all_used()?;
    Ok(named.or(pos).unwrap_or(4))
}

/// Python's truthiness.
fn py_truthy(v: &J) -> bool {
    !v.is_undefined() && v.is_true()
}

/// Jinja's `default(value, default_value='', boolean=False)`.
fn default(v: &J, other: Option<J>, boolean: Option<bool>) -> J {
    if v.is_undefined() || (boolean.unwrap_or(false) && !py_truthy(v)) {
        other.unwrap_or_else(|| J::from(""))
    } else {
        v.clone()
    }
}

/// Jinja's `join(d='')`: every item as Python's `str()`.
fn join(v: &J, sep: Option<&str>) -> Result<String, Error> {
    defined(v)?;
    let sep = sep.unwrap_or("");
    if let Some(s) = v.as_str() {
        return Ok(s.chars().map(String::from).collect::<Vec<_>>().join(sep));
    }
    let items: Vec<String> = v.try_iter()?.map(|i| py_str(&i)).collect();
    Ok(items.join(sep))
}

/// Ansible's `regex_replace(pattern, replacement, ignorecase=False, multiline=False,
/// count=0)`: Python's `re.sub`, with `\1` and `\g<name>` in the replacement.
fn regex_replace(
    v: &J,
    pattern: &str,
    replacement: Option<&str>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    defined(v)?;
    let bad = |m: String| Error::new(ErrorKind::InvalidOperation, m);
    let ignorecase: Option<bool> = kwargs.get("ignorecase")?;
    let multiline: Option<bool> = kwargs.get("multiline")?;
    let count: Option<usize> = kwargs.get("count")?;
    kwargs.assert_all_used()?;
    let mut flags = String::new();
    if ignorecase.unwrap_or(false) {
        flags.push('i');
    }
    if multiline.unwrap_or(false) {
        flags.push('m');
    }
    let full = if flags.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{flags}){pattern}")
    };
    let re = python_regex(&full)?;
    let rep = python_replacement(replacement.unwrap_or("")).map_err(bad)?;
    let text = py_str(v);
    Ok(re
        .replacen(&text, count.unwrap_or(0), rep.as_str())
        .into_owned())
}

/// A Python `re.sub` replacement as the regex crate's: `\1`/`\g<1>`/`\g<name>` become
/// `${1}`/`${name}`, `$` is literal, escapes such as `\n` are the characters.
fn python_replacement(rep: &str) -> OrMessage<String> {
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                None => return Err("bad escape (end of pattern) in the replacement".into()),
                Some(d @ '0'..='9') => {
                    let mut n = String::from(d);
                    if let Some(&e @ '0'..='9') = chars.peek() {
                        n.push(e);
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err("missing < after \\g in the replacement".into());
                    }
                    let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('\\') => out.push('\\'),
                Some(c) if c.is_ascii_alphabetic() => {
                    return Err(format!("bad escape \\{c} in the replacement"))
                }
                Some(c) => {
                    out.push('\\');
                    if c == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(c);
                    }
                }
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Jinja2's `indent(width=4, first=False, blank=False)`, which (unlike minijinja's) keeps
/// the text's trailing newline: it appends one, splits with Python's `splitlines`, and
/// indents every line after the first that is not empty.
fn indent(
    v: &J,
    width: Option<J>,
    first: Option<bool>,
    blank: Option<bool>,
    kw: Kwargs,
) -> Result<String, Error> {
    defined(v)?;
    let s = v.as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            "indent takes text (Jinja2 adds a newline to it)",
        )
    })?;
    let width: Option<J> = kw.get::<Option<J>>("width")?.or(width);
    let first = kw.get::<Option<bool>>("first")?.or(first).unwrap_or(false);
    let blank = kw.get::<Option<bool>>("blank")?.or(blank).unwrap_or(false);
    kw.assert_all_used()?;
    let pad = match width {
        None => "    ".to_string(),
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or_default().to_string(),
        Some(w) => " ".repeat(usize::try_from(w.as_i64().unwrap_or(4)).unwrap_or(0)),
    };
    let text = format!("{s}\n");
    let lines = python::splitlines(&text);
    let mut out = if blank {
        lines.join(&format!("\n{pad}"))
    } else {
        let mut rest = lines.iter();
        let mut rv = rest.next().map(|l| l.to_string()).unwrap_or_default();
        let others: Vec<String> = rest
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{l}")
                }
            })
            .collect();
        if !others.is_empty() {
            rv.push('\n');
            rv.push_str(&others.join("\n"));
        }
        rv
    };
    if first {
        out.insert_str(0, &pad);
    }
    Ok(out)
}

/// A template's `#jinja2: key: value, ...` first line, as Ansible reads it
/// (`_extract_template_overrides`): the line removed, the whitespace options applied;
/// delimiters and line prefixes are refused (rb keeps Jinja's).
fn overrides(source: &str) -> OrMessage<(&str, Whitespace)> {
    const HEADER: &str = "#jinja2:";
    let Some(rest) = source.strip_prefix(HEADER) else {
        return Ok((source, ANSIBLE_WHITESPACE));
    };
    let eol = rest
        .find('\n')
        .ok_or("missing newline after the `#jinja2:` override line")?;
    let mut ws = ANSIBLE_WHITESPACE;
    for pair in rest[..eol].split(',') {
        let (key, value) = pair.split_once(':').ok_or_else(|| {
            format!(
                "missing `:` in the `#jinja2:` override pair `{}`",
                pair.trim()
            )
        })?;
        let key = key.trim();
        let flag = || match value.trim() {
            "True" | "1" => Ok(true),
            "False" | "0" => Ok(false),
            other => Err(format!(
                "`#jinja2:` override `{key}` takes True or False, not `{other}`"
            )),
        };
        match key {
            "trim_blocks" => ws.trim_blocks = flag()?,
            "lstrip_blocks" => ws.lstrip_blocks = flag()?,
            "keep_trailing_newline" => ws.keep_trailing_newline = flag()?,
            "newline_sequence" if matches!(value.trim(), "'\\n'" | "\"\\n\"") => {}
            "block_start_string" | "block_end_string" | "variable_start_string"
            | "variable_end_string" | "comment_start_string" | "comment_end_string"
            | "line_statement_prefix" | "line_comment_prefix" | "newline_sequence" => {
                return Err(format!(
                    "the `#jinja2:` override `{key}` is not supported by rb (only trim_blocks, lstrip_blocks, keep_trailing_newline): render this template with Ansible or drop the override"
                ))
            }
            other => return Err(format!("invalid `#jinja2:` override key `{other}`")),
        }
    }
    Ok((&rest[eol + 1..], ws))
}

/// Ansible's `bool`: yes/on/true/1 (any case) are true, no/off/false/0 false; other values
/// are true only when equal to 1.
fn to_bool(v: &J) -> Result<bool, Error> {
    defined(v)?;
    let text = match v.kind() {
        ValueKind::String => v.as_str().unwrap_or_default().to_lowercase(),
        ValueKind::Bool => return Ok(v.is_true()),
        ValueKind::Number if v.is_integer() => v.to_string(),
        ValueKind::Number => return Ok(f64::try_from(v.clone()).is_ok_and(|f| f == 1.0)),
        _ => return Ok(false),
    };
    Ok(matches!(text.as_str(), "yes" | "on" | "true" | "1"))
}

/// Jinja's `int(default=0, base=10)`: `"42"` → 42, `"42.9"` → 42, anything else `default`.
fn to_int(v: &J, default: Option<i64>, base: Option<u32>, kw: Kwargs) -> Result<i64, Error> {
    defined(v)?;
    let default = kw.get::<Option<i64>>("default")?.or(default);
    let base = kw.get::<Option<u32>>("base")?.or(base);
    kw.assert_all_used()?;
    Ok(int_of(v, default, base))
}

fn int_of(v: &J, default: Option<i64>, base: Option<u32>) -> i64 {
    let fallback = default.unwrap_or(0);
    match v.kind() {
        ValueKind::Bool => i64::from(v.is_true()),
        ValueKind::Number => v
            .as_i64()
            .or_else(|| {
                f64::try_from(v.clone())
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc() as i64)
            })
            .unwrap_or(fallback),
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().trim();
            let digits = s.replace('_', "");
            let base = base.unwrap_or(10);
            let plain = digits.strip_prefix('+').unwrap_or(&digits);
            // Python's int(text, base) takes the base's own prefix: 0x, 0o, 0b.
            let prefix = match base {
                16 => Some(["0x", "0X"]),
                8 => Some(["0o", "0O"]),
                2 => Some(["0b", "0B"]),
                _ => None,
            };
            let plain = prefix
                .and_then(|ps| ps.iter().find_map(|p| plain.strip_prefix(p)))
                .unwrap_or(plain);
            i64::from_str_radix(plain, base)
                .ok()
                .filter(|_| !s.starts_with('_') && !s.ends_with('_') && !s.contains("__"))
                .or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f.trunc() as i64)
                })
                .unwrap_or(fallback)
        }
        _ => fallback,
    }
}

/// Every escaped form a secret can leave a template in: Python's repr and `json.dumps`,
/// PyYAML's quoted scalars.
pub fn secret_forms() -> Vec<rb_core::report::Encoder> {
    let mut all = python::secret_forms().to_vec();
    all.extend(yaml::secret_forms());
    all
}

/// Render `source` (named `name` in errors) with `scope`.
pub fn render(name: &str, source: &str, scope: &Value) -> OrMessage<String> {
    // Text without Jinja syntax is written as it is (ansible-core does not template it, so
    // its line endings are kept too).
    if !["{{", "{%", "{#"].iter().any(|m| source.contains(m)) && !source.starts_with("#jinja2:") {
        return Ok(source.to_string());
    }
    let (body, ws) = overrides(source).map_err(|e| format!("template {name}:1: {e}"))?;
    let env = environment_for(ws);
    let ctx = J::from(minijinja::value::Serde(scope));
    // Jinja reads `\r\n` and `\r` as line breaks and writes `\n`.
    let text = body.replace("\r\n", "\n").replace('\r', "\n");
    let text = outside_raw(&text, |t| {
        let t = implicit_for_tuples(t);
        let t = percent::rewrite(&t).into_owned();
        dict::rewrite(&t).into_owned()
    });
    let mut out = env
        .render_named_str(name, &text, ctx)
        .map_err(|e| describe(&e, name, &text, usize::from(body.len() != source.len())))?;
    // Ansible's rule for the end: as many trailing newlines as the template has, at least
    // (Jinja drops one; a block tag's trimming may drop more).
    let trailing = |s: &str| s.len() - s.trim_end_matches('\n').len();
    let missing = trailing(source).saturating_sub(trailing(&out));
    out.push_str(&"\n".repeat(missing));
    Ok(out)
}

/// Whether `word` stands in `text` as a whole name (no letter, digit or `_` either side).
pub(crate) fn contains_word(text: &str, word: &str) -> bool {
    let name_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).any(|(i, _)| {
        !name_char(text[..i].chars().next_back())
            && !name_char(text[i + word.len()..].chars().next())
    })
}

/// Why a variable every Ansible template has is missing here, and what to do.
fn snippet_hint(snippet: &str) -> String {
    const PLAY: [&str; 5] = [
        "ansible_play_hosts_all",
        "ansible_play_hosts",
        "ansible_play_batch",
        "play_hosts",
        "ansible_play_name",
    ];
    const FACTS: [&str; 12] = [
        "ansible_facts",
        "ansible_hostname",
        "ansible_fqdn",
        "ansible_nodename",
        "ansible_default_ipv4",
        "ansible_default_ipv6",
        "ansible_distribution",
        "ansible_os_family",
        "ansible_architecture",
        "ansible_kernel",
        "ansible_all_ipv4_addresses",
        "ansible_interfaces",
    ];
    let has = |name: &str| contains_word(snippet, name);
    if let Some(n) = PLAY.iter().find(|n| has(n)) {
        return format!(
            " (`{n}` is a play's hosts: inside on(...) they are its hosts; outside, pass the list in `values`, e.g. #{{{n}: hosts(\"etcd\").names()}})"
        );
    }
    if let Some(n) = FACTS.iter().find(|n| has(n)) {
        return format!(
            " (`{n}` is a gathered fact, and rb gathers none: ask the host (`h.sh(\"hostname\").out`) and pass it in `values`)"
        );
    }
    String::new()
}

/// `text` with `rewrite` applied to everything outside `{% raw %}...{% endraw %}` blocks,
/// whose text is written as it stands.
fn outside_raw(text: &str, rewrite: impl Fn(&str) -> String) -> String {
    use std::sync::OnceLock;
    static RAW: OnceLock<regex::Regex> = OnceLock::new();
    let raw = RAW.get_or_init(|| {
        regex::Regex::new(r"(?s)\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}").expect("valid")
    });
    let mut out = String::new();
    let mut last = 0;
    for m in raw.find_iter(text) {
        out.push_str(&rewrite(&text[last..m.start()]));
        out.push_str(m.as_str());
        last = m.end();
    }
    out.push_str(&rewrite(&text[last..]));
    out
}

/// Jinja2 reads `{% for s in "a", "b" %}` as a loop over the tuple `("a", "b")`; minijinja's
/// grammar has no bare tuples there, so such a list is put in brackets first (the tag's text
/// only; lines and columns stay where they were).
fn implicit_for_tuples(text: &str) -> std::borrow::Cow<'_, str> {
    use std::sync::OnceLock;
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\{%-?\s*for\s[^%]*?\sin\s([^%]*?)(\s+recursive)?\s*-?%\}")
            .expect("valid")
    });
    let mut out = String::new();
    let mut last = 0;
    for c in re.captures_iter(text) {
        let iter = c.get(1).expect("group 1 always takes part");
        // The iterable ends at a top-level ` if ` (a loop filter).
        let (items, _) = split_top_level(iter.as_str());
        if !has_top_level_comma(items) {
            continue;
        }
        out.push_str(&text[last..iter.start()]);
        out.push('(');
        out.push_str(items);
        out.push(')');
        last = iter.start() + items.len();
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// `s` up to a ` if ` outside quotes and brackets, and the rest.
fn split_top_level(s: &str) -> (&str, &str) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ' ') if depth == 0 && s[i..].starts_with(" if ") => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

fn has_top_level_comma(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// A template error for people: file:line, what went wrong, and the expression. `offset`:
/// lines of the file before the text rendered (a `#jinja2:` header).
fn describe(e: &Error, name: &str, source: &str, offset: usize) -> String {
    let line = e
        .line()
        .map(|l| format!(":{}", l + offset))
        .unwrap_or_default();
    let snippet = e
        .range()
        .and_then(|r| source.get(r))
        .map(|s| format!(" in `{s}`"))
        .unwrap_or_default();
    let what = match e.kind() {
        ErrorKind::UndefinedError => {
            // The expression, and the whole line it is on (a filter's error points at the
            // filter, not the variable).
            let at = e.range().and_then(|r| source.get(r)).unwrap_or("");
            let line = e
                .line()
                .and_then(|l| source.lines().nth(l.saturating_sub(1)))
                .unwrap_or("");
            let hint = snippet_hint(&format!("{at} {line}"));
            format!("undefined variable{hint}")
        }
        _ => e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_string),
    };
    format!("template {name}{line}: {what}{snippet}")
}

#[cfg(test)]
mod tests {
    use super::python::py_float;
    use super::*;

    #[test]
    fn floats_as_python_prints_them() {
        for (f, want) in [
            (1.0, "1.0"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789.12345679, "123456789.12345679"),
            (-0.0, "-0.0"),
            (1e300, "1e+300"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(py_float(f), want);
        }
    }

    #[test]
    fn jinja2_header_overrides_as_ansible_reads_them() {
        let scope = serde_json::json!({"xs": [1, 2]});
        let t = "#jinja2: trim_blocks: False\n{% for x in xs %}\n{{ x }}\n{% endfor %}\n";
        // What ansible-core 2.19 writes for it.
        assert_eq!(render("t.j2", t, &scope).unwrap(), "\n1\n\n2\n");
        let e = render(
            "t.j2",
            "#jinja2: variable_start_string: '[['\n[[ x ]]\n",
            &scope,
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "template t.j2:1: the `#jinja2:` override `variable_start_string` is not supported"
            ),
            "{e}"
        );
        let e = render("t.j2", "#jinja2: trim_blocks\nx\n", &scope).unwrap_err();
        assert!(e.contains("missing `:`"), "{e}");
        // Errors count the header's line.
        let e = render(
            "t.j2",
            "#jinja2: lstrip_blocks: True\nok\n{{ nope }}\n",
            &scope,
        )
        .unwrap_err();
        assert!(e.starts_with("template t.j2:3: undefined variable"), "{e}");
    }

    #[test]
    fn ansible_variables_rb_lacks_are_named_with_what_to_do() {
        let scope = serde_json::json!({});
        let e = render("t.j2", "{{ ansible_play_hosts | join(',') }}", &scope).unwrap_err();
        assert!(
            e.contains("`ansible_play_hosts` is a play's hosts: inside on(...)"),
            "{e}"
        );
        let e = render("t.j2", "x\n{{ ansible_default_ipv4.address }}", &scope).unwrap_err();
        assert!(
            e.starts_with(
                "template t.j2:2: undefined variable (`ansible_default_ipv4` is a gathered fact"
            ),
            "{e}"
        );
        let e = render("t.j2", "{{ ansible_hostnames }}", &scope).unwrap_err();
        assert!(!e.contains("gathered fact"), "{e}");
    }

    #[test]
    fn raw_blocks_are_never_rewritten() {
        let scope = serde_json::json!({"x": 5});
        let t = "{% raw %}{{ '%s' % x }}{% for a in b, c %}{% endraw %}|{{ '%d' % x }}";
        assert_eq!(
            render("t.j2", t, &scope).unwrap(),
            "{{ '%s' % x }}{% for a in b, c %}|5"
        );
    }

    #[test]
    fn bare_tuples_in_for_loops_are_bracketed() {
        let t = |s: &str| implicit_for_tuples(s).into_owned();
        assert_eq!(
            t("{% for s in 'a if b', 'c' %}"),
            "{% for s in ('a if b', 'c') %}"
        );
        assert_eq!(
            t("{%- for s in a, b if s -%}"),
            "{%- for s in (a, b) if s -%}"
        );
        assert_eq!(
            t("{% for x in a, b recursive %}"),
            "{% for x in (a, b) recursive %}"
        );
        assert_eq!(
            t("{% for x in [1 if y else 2], 3 %}"),
            "{% for x in ([1 if y else 2], 3) %}"
        );
        assert_eq!(
            t("{% for x in [1], (2) if x %}"),
            "{% for x in ([1], (2)) if x %}"
        );
        assert_eq!(
            t("{% for x in f(a, b) %}{% for y in [1, 2] %}"),
            "{% for x in f(a, b) %}{% for y in [1, 2] %}"
        );
        assert_eq!(
            t("{% for x in \"a,b\" %}x{% endfor %}"),
            "{% for x in \"a,b\" %}x{% endfor %}"
        );
        assert!(matches!(
            implicit_for_tuples("{{ a, b }}"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    /// What ansible-core 2.19 printed for the same template.
    #[test]
    fn a_dict_made_in_the_template_changes_with_update() {
        let scope = serde_json::json!({"v": {"a": 1}});
        let t = "{% set d = {'a': 1} %}{% for x in [2, 3] %}{% if d.update({'a': d['a'] + x}) %}{% endif %}{% endfor %}{{ d['a'] }}|{{ d | to_json }}|{{ d.items() | list }}|{{ d.get('a') }}|{{ d.update({'b': 2}) }}|{{ d | length }}|{{ d.b }}";
        assert_eq!(
            render("t.j2", t, &scope).unwrap(),
            "6|{\"a\": 6}|[['a', 6]]|6||2|2"
        );
        let e = render("t.j2", "{{ v.update({'b': 2}) }}", &scope).unwrap_err();
        assert!(
            e.contains("for a variable's dict, build a new one with combine"),
            "{e}"
        );
    }

    #[test]
    fn replacements_as_python_reads_them() {
        assert_eq!(python_replacement(r"\2_\1").unwrap(), "${2}_${1}");
        assert_eq!(
            python_replacement(r"\g<name>-\g<1>$").unwrap(),
            "${name}-${1}$$"
        );
        assert_eq!(python_replacement(r"a\nb\\c\-").unwrap(), "a\nb\\c\\-");
        assert!(python_replacement(r"\q").is_err());
    }
}
