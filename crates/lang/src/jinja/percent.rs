//! Python's `'%s-%d' % (a, b)` in templates. minijinja's `%` is numeric only, so inside
//! `{{ }}` and `{% %}` a string literal followed by `% ARG` (a name, an attribute or index
//! chain, a literal, or a parenthesized tuple; not followed by a filter or a call, whose
//! precedence the rewrite could change) becomes `(LITERAL | pyformat(ARG))`, and `pyformat`
//! formats as Python's printf-style formatting does (`str.__mod__`). Any other `%` of a
//! string stays minijinja's error.

use super::python::{defined, py_repr, py_str};
use minijinja::value::{Value as J, ValueKind};
use minijinja::{Error, ErrorKind};
use std::borrow::Cow;
use std::sync::OnceLock;

fn bad(m: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, m.into())
}

/// The template with each string literal's `% ARG` rewritten (see the module's comment).
pub fn rewrite(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    static TAG: OnceLock<regex::Regex> = OnceLock::new();
    static ARG: OnceLock<regex::Regex> = OnceLock::new();
    let tag = TAG.get_or_init(|| regex::Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}").expect("valid"));
    let arg_re = ARG.get_or_init(|| {
        regex::Regex::new(concat!(
            r#"^\s*%\s*("#,
            r#"\((?:[^()'"]|'[^']*'|"[^"]*")*\)|\{(?:[^{}'"]|'[^']*'|"[^"]*")*\}"#,
            r#"|\[(?:[^\[\]'"]|'[^']*'|"[^"]*")*\]"#,
            r#"|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[^\[\]]*\])*"#,
            r#"|-?[0-9]+(?:\.[0-9]+)?|'[^']*'|"[^"]*")"#,
        ))
        .expect("valid")
    });
    let mut changed = false;
    let out = tag.replace_all(text, |t: &regex::Captures| {
        let whole = &t[0];
        let mut body = String::new();
        let mut last = 0;
        let bytes = whole.as_bytes();
        let mut i = 0;
        // Walk the tag, taking each string literal whole (a quote inside one is not a
        // literal's start).
        while i < bytes.len() {
            let q = bytes[i];
            if q != b'\'' && q != b'"' {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != q {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let lit_end = (j + 1).min(bytes.len());
            let rest = &whole[lit_end..];
            if let Some(c) = arg_re.captures(rest) {
                let after = rest[c[0].len()..].trim_start();
                // `%}` ends the tag; a filter, call or lookup after the argument binds
                // tighter than `%`, so those stay as they are.
                let binds = after.starts_with(['|', '(', '.', '[']);
                if !binds {
                    body.push_str(&whole[last..i]);
                    let tuple = c[1].starts_with('(');
                    body.push_str(&format!(
                        "({} | pyformat({}, {tuple}))",
                        &whole[i..lit_end],
                        &c[1]
                    ));
                    last = lit_end + c[0].len();
                    i = last;
                    continue;
                }
            }
            i = lit_end;
        }
        if last == 0 {
            return whole.to_string();
        }
        changed = true;
        body.push_str(&whole[last..]);
        body
    });
    if changed {
        Cow::Owned(out.into_owned())
    } else {
        Cow::Borrowed(text)
    }
}

/// Python's `fmt % args`; `tuple`: the argument was written as a tuple, `(a, b)`, whose
/// items fill the specs one by one (any other value, a list included, is one value, as in
/// Python).
pub fn pyformat(fmt: &str, args: J, tuple: bool) -> Result<String, Error> {
    defined(&args)?;
    let named = args.kind() == ValueKind::Map && fmt.contains("%(");
    let positional: Vec<J> = match args.kind() {
        ValueKind::Seq if tuple => args.try_iter()?.collect(),
        _ if named => Vec::new(),
        _ => vec![args.clone()],
    };
    let mut next = positional.into_iter();
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut key = None;
        if chars.get(i) == Some(&'(') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == ')')
                .ok_or_else(|| bad("incomplete format key"))?;
            key = Some(chars[i + 1..i + end].iter().collect::<String>());
            i += end + 1;
        }
        let mut flags = String::new();
        while let Some(&c) = chars.get(i).filter(|c| "-+ #0".contains(**c)) {
            flags.push(c);
            i += 1;
        }
        let mut width = String::new();
        while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            width.push(c);
            i += 1;
        }
        let mut precision = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                p.push(c);
                i += 1;
            }
            precision = Some(p.parse::<usize>().unwrap_or(0));
        }
        let conv = *chars.get(i).ok_or_else(|| bad("incomplete format"))?;
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let value = match &key {
            Some(k) => args
                .get_attr(k)
                .ok()
                .filter(|v| !v.is_undefined())
                .ok_or_else(|| bad(format!("format key '{k}' not found")))?,
            None => next
                .next()
                .ok_or_else(|| bad("not enough arguments for format string"))?,
        };
        let text = convert(&value, conv, &flags, precision)?;
        let width: usize = width.parse().unwrap_or(0);
        let len = text.chars().count();
        if len >= width {
            out.push_str(&text);
        } else if flags.contains('-') {
            out.push_str(&text);
            out.push_str(&" ".repeat(width - len));
        } else if flags.contains('0') && "diouxXeEfFgG".contains(conv) {
            let (sign, digits) = match text.strip_prefix(['-', '+', ' ']) {
                Some(d) => (&text[..1], d),
                None => ("", text.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - len));
            out.push_str(&text);
        }
    }
    if next.next().is_some() {
        return Err(bad("not all arguments converted during string formatting"));
    }
    Ok(out)
}

fn convert(v: &J, conv: char, flags: &str, precision: Option<usize>) -> Result<String, Error> {
    let sign = |neg: bool| {
        if neg {
            "-"
        } else if flags.contains('+') {
            "+"
        } else if flags.contains(' ') {
            " "
        } else {
            ""
        }
    };
    let number = || -> Result<f64, Error> {
        match v.kind() {
            ValueKind::Number | ValueKind::Bool => {
                f64::try_from(v.clone()).map_err(|_| bad("a number is required"))
            }
            _ => Err(bad(format!(
                "%{conv} format: a real number is required, not {}",
                v.kind()
            ))),
        }
    };
    let integer = || -> Result<i128, Error> {
        match v.kind() {
            ValueKind::Bool => Ok(i128::from(v.is_true())),
            ValueKind::Number => Ok(v
                .as_i64()
                .map(i128::from)
                .unwrap_or_else(|| number().map(|f| f.trunc() as i128).unwrap_or(0))),
            _ => Err(bad(format!(
                "%{conv} format: a real number is required, not {}",
                v.kind()
            ))),
        }
    };
    Ok(match conv {
        's' => {
            let s = py_str(v);
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'r' | 'a' => {
            let mut s = String::new();
            py_repr(v, &mut s);
            s
        }
        'd' | 'i' | 'u' => {
            let n = integer()?;
            format!("{}{}", sign(n < 0), n.unsigned_abs())
        }
        'x' | 'X' | 'o' => {
            let n = integer()?;
            let digits = match conv {
                'x' => format!("{:x}", n.unsigned_abs()),
                'X' => format!("{:X}", n.unsigned_abs()),
                _ => format!("{:o}", n.unsigned_abs()),
            };
            let alt = if flags.contains('#') {
                match conv {
                    'x' => "0x",
                    'X' => "0X",
                    _ => "0o",
                }
            } else {
                ""
            };
            format!("{}{alt}{digits}", sign(n < 0))
        }
        'f' | 'F' => {
            let f = number()?;
            format!("{}{:.*}", sign(f < 0.0), precision.unwrap_or(6), f.abs())
        }
        'e' | 'E' => {
            let f = number()?;
            let s = format!("{:.*e}", precision.unwrap_or(6), f.abs());
            // Rust writes `1.5e3`; Python `1.500000e+03`.
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let exp: i32 = e.parse().unwrap_or(0);
            let text = format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
            let text = if conv == 'E' {
                text.to_uppercase()
            } else {
                text
            };
            format!("{}{text}", sign(f < 0.0))
        }
        'c' => match v.as_str() {
            Some(s) if s.chars().count() == 1 => s.to_string(),
            _ => char::from_u32(integer()? as u32)
                .map(String::from)
                .ok_or_else(|| bad("%c requires an int or a char"))?,
        },
        other => return Err(bad(format!("unsupported format character '{other}'"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: J) -> Result<String, String> {
        pyformat(fmt, args, true).map_err(|e| e.to_string())
    }

    fn map(k: &str, v: J) -> J {
        J::from(std::collections::BTreeMap::from([(k.to_string(), v)]))
    }

    /// The expected texts are what Python 3.11 printed for the same formats.
    #[test]
    fn formats_as_python_does() {
        let args = J::from(vec![
            J::from("ab"),
            J::from(3),
            J::from(-5),
            J::from(2.25),
            J::from(0.00012),
            J::from(2.5),
            J::from(42),
        ]);
        assert_eq!(
            f("%5s|%-5d|%05d|%+.1f|%E|%.0f|% 5d", args).unwrap(),
            "   ab|3    |-0005|+2.2|1.200000E-04|2|   42"
        );
        assert_eq!(
            f("%(x)s", map("x", J::from(vec![J::from(1)]))).unwrap(),
            "[1]"
        );
        // A list not written as a tuple is one value, as in Python.
        let list = J::from(vec![J::from(1), J::from(2)]);
        assert_eq!(pyformat("%s", list, false).unwrap(), "[1, 2]");
        assert_eq!(f("%d%%", J::from(true)).unwrap(), "1%");
        let args = J::from(vec![
            J::from("ab"),
            J::from(8),
            J::from(255),
            J::from(7),
            J::from(5),
            J::from(-1234.5),
            J::from("z"),
        ]);
        assert_eq!(
            f("%05s|%#o|%#X|%u|%-+4d|%.2e|%c", args).unwrap(),
            "   ab|0o10|0XFF|7|+5  |-1.23e+03|z"
        );
        assert_eq!(f("%i", J::from(7.9)).unwrap(), "7");
    }

    #[test]
    fn refuses_what_python_refuses() {
        let two = || J::from(vec![J::from(1), J::from(2)]);
        for (fmt, args, why) in [
            ("%s %s %s", two(), "not enough arguments"),
            (
                "%s",
                J::from(vec![J::from(1), J::from(2), J::from(3)]),
                "not all arguments converted",
            ),
            ("%s %s %s %s", J::from(()), "not enough arguments"),
            ("%d", J::from("x"), "a real number is required"),
            ("%f", J::from("x"), "a real number is required"),
            ("%q", J::from(1), "unsupported format character 'q'"),
            ("%(k)s", map("x", J::from(1)), "format key 'k' not found"),
            ("%", J::from(1), "incomplete format"),
            ("%(k", map("k", J::from(1)), "incomplete format key"),
        ] {
            let e = f(fmt, args).unwrap_err();
            assert!(e.contains(why), "{fmt}: {e}");
        }
    }

    #[test]
    fn rewrites_only_a_literal_and_its_argument_inside_tags() {
        assert_eq!(
            rewrite("{{ '%s' % x }}"),
            "{{ ('%s' | pyformat(x, false)) }}"
        );
        assert_eq!(rewrite("100 '%s' % x"), "100 '%s' % x");
        assert_eq!(rewrite("{{ '%s' % x | upper }}"), "{{ '%s' % x | upper }}");
        assert_eq!(rewrite("{{ '%s' % f(x) }}"), "{{ '%s' % f(x) }}");
        assert_eq!(
            rewrite("{% if 'a' %}x{% endif %}"),
            "{% if 'a' %}x{% endif %}"
        );
        assert_eq!(
            rewrite("{{ 'a\\' %s' % b.c[0] ~ \"%d\" % (1) }}"),
            "{{ ('a\\' %s' | pyformat(b.c[0], false)) ~ (\"%d\" | pyformat((1), true)) }}"
        );
        assert!(matches!(rewrite("no percent"), Cow::Borrowed(_)));
        // A lookup or index after a parenthesized argument binds tighter: left alone.
        assert_eq!(rewrite("{{ '%s' % (a).b }}"), "{{ '%s' % (a).b }}");
        assert_eq!(rewrite("{{ '%s' % (a)[0] }}"), "{{ '%s' % (a)[0] }}");
        assert_eq!(rewrite("{{ 'open %s % x }}"), "{{ 'open %s % x }}");
        assert_eq!(rewrite("{{ x % 2 }}"), "{{ x % 2 }}");
    }
}
