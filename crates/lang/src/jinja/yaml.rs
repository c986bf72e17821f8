//! `to_nice_yaml`: block-style YAML written as PyYAML writes it for ansible-core
//! (`yaml.dump(v, indent=4, allow_unicode=True, default_flow_style=False)`): keys sorted,
//! sequences under a key not indented, strings plain when they read back as the same
//! string, else single-quoted (double-quoted with escapes for control characters), long
//! plain and single-quoted strings folded past column 80.

use minijinja::value::{Value as J, ValueKind};
use minijinja::Error;

const WIDTH: usize = 80;

/// Write `v` as a YAML document (ends with a newline).
pub fn block(v: &J, indent: usize, out: &mut String) -> Result<(), Error> {
    let mut w = Writer {
        out,
        indent: indent.max(2),
        flow_leaves: false,
    };
    match v.kind() {
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable if !is_empty(v) => {
            w.node(v, 0, false);
        }
        _ => {
            w.scalar(v, 0, false, false);
            w.out.push('\n');
        }
    }
    Ok(())
}

/// `to_yaml`: `yaml.dump(v, allow_unicode=True, default_flow_style=None)`, as ansible-core
/// 2.19 writes it: like `to_nice_yaml` (indent 2 by default), but a collection whose items
/// are all scalars is written in flow style (`[1, 2]`, `{a: b}`), wrapped past column 80;
/// a lone scalar without the document end marker.
pub fn mixed(v: &J, indent: usize, out: &mut String) -> Result<(), Error> {
    let mut w = Writer {
        out,
        indent: indent.max(2),
        flow_leaves: true,
    };
    if is_collection(v) && !is_empty(v) {
        if w.is_leaf(v) {
            w.flow(v, w.indent);
            w.out.push('\n');
        } else {
            w.node(v, 0, false);
        }
    } else {
        w.scalar(v, 0, false, false);
        w.out.push('\n');
    }
    Ok(())
}

fn is_collection(v: &J) -> bool {
    matches!(
        v.kind(),
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable
    )
}

fn is_empty(v: &J) -> bool {
    v.try_iter().map(|mut i| i.next().is_none()).unwrap_or(true)
}

struct Writer<'a> {
    out: &'a mut String,
    indent: usize,
    /// PyYAML's `default_flow_style=None`: collections of scalars in flow style.
    flow_leaves: bool,
}

impl Writer<'_> {
    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map_or(0, |i| i + 1)
    }

    fn pad(&mut self, n: usize) {
        self.out.push_str(&" ".repeat(n));
    }

    /// A collection starting at the current position (column `col`), ending with a newline.
    /// `inline`: the first line is already indented (after `- `).
    fn node(&mut self, v: &J, col: usize, inline: bool) {
        match v.kind() {
            ValueKind::Map => {
                let mut keys: Vec<J> = v.try_iter().into_iter().flatten().collect();
                keys.sort_by_key(super::python::py_str);
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 || !inline {
                        self.pad(col);
                    }
                    self.scalar(k, col, true, false);
                    self.out.push(':');
                    let item = v.get_item(k).unwrap_or_default();
                    self.value(&item, col, false);
                }
            }
            _ => {
                for (i, item) in v.try_iter().into_iter().flatten().enumerate() {
                    if i > 0 || !inline {
                        self.pad(col);
                    }
                    self.out.push('-');
                    self.value(&item, col, true);
                }
            }
        }
    }

    /// A non-empty collection whose items are all scalars (PyYAML's `best_style`).
    fn is_leaf(&self, v: &J) -> bool {
        let items: Vec<J> = match v.kind() {
            ValueKind::Map => v
                .try_iter()
                .into_iter()
                .flatten()
                .map(|k| v.get_item(&k).unwrap_or_default())
                .collect(),
            _ => v.try_iter().into_iter().flatten().collect(),
        };
        !items.is_empty() && items.iter().all(|i| !is_collection(i))
    }

    /// A collection of scalars in flow style; past column 80, the next item goes on a new
    /// line at `indent` (PyYAML's `expect_flow_sequence_item`).
    fn flow(&mut self, v: &J, indent: usize) {
        let map = v.kind() == ValueKind::Map;
        self.out.push(if map { '{' } else { '[' });
        let mut items: Vec<J> = v.try_iter().into_iter().flatten().collect();
        if map {
            items.sort_by_key(super::python::py_str);
        }
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            if self.column() > WIDTH {
                self.out.push('\n');
                self.pad(indent);
            } else if i > 0 {
                self.out.push(' ');
            }
            // A scalar's own lines continue one level deeper (PyYAML's `expect_scalar`
            // raises the indent while it writes one).
            let deeper = indent + self.indent;
            if map {
                self.scalar(item, deeper, true, true);
                self.out.push_str(": ");
                let value = v.get_item(item).unwrap_or_default();
                self.scalar(&value, deeper, false, true);
            } else {
                self.scalar(item, deeper, false, true);
            }
        }
        self.out.push(if map { '}' } else { ']' });
    }

    /// The value after `key:` or `-` at column `col`.
    fn value(&mut self, v: &J, col: usize, in_seq: bool) {
        let collection = is_collection(v);
        if !collection || is_empty(v) {
            self.out.push(' ');
            self.scalar(v, col + self.indent, false, false);
            self.out.push('\n');
            return;
        }
        if self.flow_leaves && self.is_leaf(v) {
            self.out.push(' ');
            self.flow(v, col + self.indent);
            self.out.push('\n');
            return;
        }
        match (in_seq, v.kind()) {
            // `-   k: v` / `-   - x`: the item starts on the dash's line.
            (true, _) => {
                self.pad(self.indent - 1);
                self.node(v, col + self.indent, true);
            }
            // A sequence under a key sits at the key's column; a map is indented.
            (false, ValueKind::Map) => {
                self.out.push('\n');
                self.node(v, col + self.indent, false);
            }
            (false, _) => {
                self.out.push('\n');
                self.node(v, col, false);
            }
        }
    }

    /// A scalar; `indent` is where folded lines continue, `key` whether it is a mapping key,
    /// `flow` whether it stands inside `[...]`/`{...}`.
    fn scalar(&mut self, v: &J, indent: usize, key: bool, flow: bool) {
        match v.kind() {
            ValueKind::Undefined | ValueKind::None => self.out.push_str("null"),
            ValueKind::Bool => self
                .out
                .push_str(if v.is_true() { "true" } else { "false" }),
            ValueKind::Number if v.is_integer() => self.out.push_str(&v.to_string()),
            ValueKind::Number => {
                let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
                let text = if f.is_nan() {
                    ".nan".to_string()
                } else if f.is_infinite() {
                    if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
                } else {
                    let r = super::python::py_float(f);
                    // PyYAML: a float always shows a dot (1e+16 → 1.0e+16).
                    match r.split_once('e') {
                        Some((m, e)) if !m.contains('.') => format!("{m}.0e{e}"),
                        _ => r,
                    }
                };
                self.out.push_str(&text);
            }
            ValueKind::Map | ValueKind::Seq | ValueKind::Iterable => {
                self.out.push_str(if v.kind() == ValueKind::Map {
                    "{}"
                } else {
                    "[]"
                })
            }
            _ => {
                let s = super::python::py_str(v);
                self.string(&s, indent, key, flow);
            }
        }
    }

    fn string(&mut self, s: &str, indent: usize, key: bool, flow: bool) {
        let a = analyze(s);
        let multiline = s.contains('\n');
        let plain = if flow { a.flow_plain } else { a.plain };
        if plain && !(key && (s.is_empty() || multiline)) && resolves_to_str(s) {
            self.folded(s, indent, None, !key);
        } else if a.single && !(key && multiline) {
            self.out.push('\'');
            self.folded(s, indent, Some('\''), !key);
            self.out.push('\'');
        } else {
            yaml_double(s, self.out);
        }
    }

    /// Plain or single-quoted text, folded at a space past column 80 as PyYAML folds it.
    fn folded(&mut self, s: &str, indent: usize, quote: Option<char>, fold: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                // One space between words, past the width: a line break instead.
                let lone =
                    i > 0 && chars[i - 1] != ' ' && chars.get(i + 1).is_some_and(|&n| n != ' ');
                if fold && lone && self.column() > WIDTH {
                    self.out.push('\n');
                    self.pad(indent);
                } else {
                    self.out.push(' ');
                }
                i += 1;
            } else if c == '\n' {
                // A run of line breaks: one more than the run (the first is folded away).
                let mut n = 0;
                while chars.get(i) == Some(&'\n') {
                    n += 1;
                    i += 1;
                }
                for _ in 0..=n {
                    self.out.push('\n');
                }
                self.pad(indent);
            } else {
                if Some(c) == quote {
                    self.out.push(c);
                }
                self.out.push(c);
                i += 1;
            }
        }
    }
}

/// A double-quoted scalar as PyYAML writes it.
fn yaml_double(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
}

/// How a secret reads inside PyYAML's double- and single-quoted scalars (`to_nice_yaml`),
/// for the run's redaction. A long text PyYAML folds across lines is not matched whole.
pub(crate) fn secret_forms() -> [rb_core::report::Encoder; 2] {
    [
        |v| {
            let mut out = String::new();
            yaml_double(v, &mut out);
            out
        },
        |v| format!("'{}'", v.replace('\'', "''")),
    ]
}

/// PyYAML's printable set with allow_unicode.
fn printable(c: char) -> bool {
    let u = c as u32;
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || (0xa0..=0xd7ff).contains(&u)
        || (0xe000..=0xfffd).contains(&u)
        || (0x10000..0x110000).contains(&u)
}

struct Analysis {
    plain: bool,
    /// Plain inside `[...]`/`{...}`, where `,?[]{}` and any `:` are indicators too.
    flow_plain: bool,
    single: bool,
}

/// PyYAML's `analyze_scalar`, for the block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            plain: false,
            flow_plain: false,
            single: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let blank = |c: Option<&char>| {
        c.is_none_or(|c| {
            matches!(
                c,
                ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
            )
        })
    };
    let mut indicators = s.starts_with("---") || s.starts_with("...");
    let mut flow_indicators = indicators;
    for (i, &c) in chars.iter().enumerate() {
        let followed = blank(chars.get(i + 1));
        let preceded = i == 0 || blank(chars.get(i - 1));
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                indicators = true;
                flow_indicators = true;
            }
            if c == '?' || c == ':' {
                flow_indicators = true;
                indicators |= followed;
            }
            if c == '-' && followed {
                indicators = true;
                flow_indicators = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_indicators = true;
            }
            if c == ':' {
                flow_indicators = true;
                indicators |= followed;
            }
            if c == '#' && preceded {
                indicators = true;
                flow_indicators = true;
            }
        }
    }
    let line_break = s.contains(['\n', '\u{85}', '\u{2028}', '\u{2029}']);
    let special = s
        .chars()
        .any(|c| !(c == '\n' || printable(c)) || c == '\u{feff}');
    // A space next to a line break, either way round, leaves only double quotes.
    let space_break = s.contains(" \n") || s.contains("\n ");
    let edge_space = s.starts_with([' ', '\n']) || s.ends_with([' ', '\n']);
    let single = !(space_break || special);
    let plain = single && !edge_space && !line_break && !indicators;
    let flow_plain = plain && !flow_indicators;
    Analysis {
        plain,
        flow_plain,
        single,
    }
}

/// Does plain `s` read back as a string (PyYAML's implicit resolvers: null, bool, int,
/// float, timestamp, merge, value)?
fn resolves_to_str(s: &str) -> bool {
    use std::sync::OnceLock;
    static RES: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
        ]
        .iter()
        .map(|p| regex::Regex::new(p).expect("valid resolver"))
        .collect()
    });
    !res.iter().any(|r| r.is_match(s))
}
