//! YAML as ansible-core loads it: PyYAML's YAML 1.1 resolver (`yes`/`on` are booleans,
//! `0777` is octal, `1e3` is a string, `1:20` is 80), anchors, aliases and `<<` merges.
//! Nodes keep their line so inventory errors can point at it.

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML node and the line it starts on (1-based).
#[derive(Debug, Clone)]
pub struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Value),
    Seq(Vec<Node>),
    /// Keys as text (ansible-core stringifies them), in file order.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Scalar(v) => v.clone(),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Kind::Map(pairs) => {
                let mut m = Map::new();
                for (k, v) in pairs {
                    m.insert(k.clone(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Scalar(Value::Null))
    }
}

/// A YAML error: the line and what is wrong.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

enum Frame {
    Seq(usize, Vec<Node>, usize),
    /// Line, pairs, pending key, anchor, and the keys a `<<` merge put there (a later
    /// merge may replace those; the map's own keys it never does).
    Map(usize, Vec<(String, Node)>, Option<Node>, usize, Vec<String>),
}

/// The most nodes (scalars, sequences, maps) aliases may copy into one document. Each
/// alias is a full copy here (PyYAML shares one object instead), so nested aliases grow
/// exponentially: a 388-byte "billion laughs" would need gigabytes.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    /// Each anchored node with its size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied by aliases so far.
    aliased: usize,
    error: Option<YamlError>,
}

/// How many nodes `n` holds, itself included; a long text counts one more per 64 bytes
/// (so a budget of a million is also about 64 MB of copied text).
fn size(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar(Value::String(t)) => 1 + t.len() / 64,
        Kind::Scalar(_) => 1,
        Kind::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Kind::Map(pairs) => 1 + pairs.iter().map(|(_, v)| 1 + size(v)).sum::<usize>(),
    }
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let n = size(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items, _)) => items.push(node),
            Some(Frame::Map(_, pairs, key, _, merged)) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let text = key_text(&k);
                    if text == "<<" {
                        merge(pairs, merged, &node);
                    } else if let Some(slot) = pairs.iter_mut().find(|(kk, _)| *kk == text) {
                        // Later keys win, as PyYAML's dict construction does; an own key
                        // wins over a merged one.
                        slot.1 = node;
                        merged.retain(|m| *m != text);
                    } else {
                        pairs.push((text, node));
                    }
                }
            },
        }
    }
}

/// `<<: *base` (or a list of them), as PyYAML 6.0.4 builds the map for ansible-core: the
/// merged maps' keys in order, a later one replacing an earlier (not the YAML spec's
/// first-wins), and the map's own keys over all of them.
fn merge(pairs: &mut Vec<(String, Node)>, merged: &mut Vec<String>, node: &Node) {
    let sources: Vec<&Node> = match &node.kind {
        Kind::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    for src in sources {
        if let Kind::Map(src_pairs) = &src.kind {
            for (k, v) in src_pairs {
                match pairs.iter_mut().find(|(kk, _)| kk == k) {
                    Some(slot) if merged.contains(k) => slot.1 = v.clone(),
                    Some(_) => {}
                    None => {
                        pairs.push((k.clone(), v.clone()));
                        merged.push(k.clone());
                    }
                }
            }
        }
    }
}

fn key_text(k: &Node) -> String {
    match &k.kind {
        Kind::Scalar(Value::String(s)) => s.clone(),
        Kind::Scalar(Value::Null) => "null".into(),
        Kind::Scalar(v) => v.to_string(),
        other => format!(
            "{:?}",
            Node {
                line: k.line,
                kind: other.clone()
            }
            .to_value()
        ),
    }
}

impl Builder {
    /// Start a sequence or mapping; nesting is bounded so hostile input cannot exhaust
    /// the stack when values are later walked.
    fn open(&mut self, frame: Frame, mark: Marker) {
        if self.stack.len() > 200 {
            self.error = Some(YamlError {
                line: mark.line(),
                col: mark.col(),
                message: "nested more than 200 levels deep".into(),
            });
            return;
        }
        self.stack.push(frame);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = match resolve(&text, style, tag.as_ref()) {
                    Ok(v) => v,
                    Err(message) => {
                        self.error = Some(YamlError {
                            line,
                            col: mark.col(),
                            message,
                        });
                        return;
                    }
                };
                self.push(
                    Node {
                        line,
                        kind: Kind::Scalar(value),
                    },
                    anchor,
                );
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((_, n)) if self.aliased.saturating_add(*n) > MAX_ALIAS_NODES => {
                    self.error = Some(YamlError {
                        line,
                        col: mark.col(),
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?); rb copies each alias"
                        ),
                    })
                }
                Some((node, n)) => {
                    self.aliased += n;
                    let node = node.clone();
                    self.push(node, 0)
                }
                None => {
                    self.error = Some(YamlError {
                        line,
                        col: mark.col(),
                        message: "alias to an unknown anchor".into(),
                    })
                }
            },
            Event::SequenceStart(anchor, _) => {
                self.open(Frame::Seq(line, Vec::new(), anchor), mark)
            }
            Event::MappingStart(anchor, _) => {
                self.open(Frame::Map(line, Vec::new(), None, anchor, Vec::new()), mark)
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(l, items, anchor)) = self.stack.pop() {
                    self.push(
                        Node {
                            line: l,
                            kind: Kind::Seq(items),
                        },
                        anchor,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(l, pairs, _, anchor, _)) = self.stack.pop() {
                    self.push(
                        Node {
                            line: l,
                            kind: Kind::Map(pairs),
                        },
                        anchor,
                    );
                }
            }
            _ => {}
        }
    }
}

/// Parse one YAML document (an empty file is `None`).
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut b = Builder {
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        aliased: 0,
        error: None,
    };
    let mut p = Parser::new_from_str(text);
    p.load(&mut b, true).map_err(|e| YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    if b.docs.len() > 1 {
        return Err(YamlError {
            line: b.docs[1].line,
            col: 1,
            message: "expected a single document in the stream, but found another document".into(),
        });
    }
    Ok(b.docs.pop())
}

/// A scalar's value under PyYAML's YAML 1.1 implicit resolvers.
fn resolve(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(t) = tag {
        let name = format!("{}{}", t.handle, t.suffix);
        return match name.as_str() {
            "!!str" | "tag:yaml.org,2002:str" | "!unsafe" => Ok(Value::String(text.into())),
            "!vault" => crate::vault::value(text).map_err(|e| format!("an `!vault` value: {e}")),
            "!!int" | "tag:yaml.org,2002:int" => {
                int(text).ok_or_else(|| format!("`{text}` is not an int"))
            }
            "!!float" | "tag:yaml.org,2002:float" => {
                float(text).ok_or_else(|| format!("`{text}` is not a float"))
            }
            "!!bool" | "tag:yaml.org,2002:bool" => bool_(text)
                .map(Value::Bool)
                .ok_or_else(|| format!("`{text}` is not a bool")),
            "!!null" | "tag:yaml.org,2002:null" => Ok(Value::Null),
            _ => Err(format!("unsupported YAML tag `{name}`")),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.into()));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = bool_(text) {
        return Ok(Value::Bool(b));
    }
    if let Some(v) = int(text) {
        return Ok(v);
    }
    if let Some(v) = float(text) {
        return Ok(v);
    }
    Ok(Value::String(text.into()))
}

fn bool_(t: &str) -> Option<bool> {
    match t {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("valid resolver regex")
}

/// PyYAML's int: `0b1`, `017` (octal), `0x1f`, decimal, `1:20` (base 60); `_` ignored.
fn int(t: &str) -> Option<Value> {
    thread_local! {
        static INT: regex::Regex = re(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$");
    }
    if !INT.with(|r| r.is_match(t)) {
        return None;
    }
    let s = t.replace('_', "");
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, s.strip_prefix('+').unwrap_or(&s).to_string()),
    };
    let v: i128 = if s == "0" {
        0
    } else if let Some(b) = s.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else if let Some(x) = s.strip_prefix("0x") {
        i128::from_str_radix(x, 16).ok()?
    } else if let Some(o) = s.strip_prefix('0') {
        i128::from_str_radix(o, 8).ok()?
    } else if s.contains(':') {
        s.split(':')
            .try_fold(0i128, |acc, d| Some(acc * 60 + d.parse::<i128>().ok()?))?
    } else {
        s.parse().ok()?
    };
    let v = if neg { -v } else { v };
    if let Ok(i) = i64::try_from(v) {
        Some(Value::from(i))
    } else {
        u64::try_from(v).ok().map(Value::from)
    }
}

/// PyYAML's float: needs a `.` (so `1e3` is a string), `.inf`, `.nan`, base 60.
fn float(t: &str) -> Option<Value> {
    thread_local! {
        static FLOAT: regex::Regex = re(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$");
    }
    if !FLOAT.with(|r| r.is_match(t)) {
        return None;
    }
    let s = t.replace('_', "").to_ascii_lowercase();
    if s.contains("inf") || s.contains("nan") {
        // JSON has no infinity: keep the text (ansible-inventory would print a non-JSON token).
        return Some(Value::String(t.into()));
    }
    let f = if s.contains(':') {
        let (neg, body) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let v = body
            .split(':')
            .try_fold(0f64, |acc, d| Some(acc * 60.0 + d.parse::<f64>().ok()?))?;
        if neg {
            -v
        } else {
            v
        }
    } else {
        s.parse().ok()?
    };
    Number::from_f64(f).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::{parse, MAX_ALIAS_NODES};
    use serde_json::json;

    fn v(text: &str) -> serde_json::Value {
        parse(text).unwrap().unwrap().to_value()
    }

    #[test]
    fn yaml_1_1_scalars_as_pyyaml_reads_them() {
        assert_eq!(
            v("a: yes\nb: off\nc: 0777\nd: 1e3\ne: 1.5\nf: 1:20\ng: '5'\nh: ~\ni: 0x1F\nj: 1_000\nk: 09\nl: True\n"),
            json!({"a": true, "b": false, "c": 511, "d": "1e3", "e": 1.5, "f": 80, "g": "5", "h": null, "i": 31, "j": 1000, "k": "09", "l": true})
        );
    }

    /// Infinities and NaN stay text (JSON has neither), in every spelling.
    #[test]
    fn infinities_stay_text() {
        assert_eq!(
            v("a: .nan\nb: .inf\nc: -.Inf\nd: +.INF\ne: .NaN\n"),
            json!({"a": ".nan", "b": ".inf", "c": "-.Inf", "d": "+.INF", "e": ".NaN"})
        );
    }

    #[test]
    fn anchors_and_merges() {
        assert_eq!(
            v("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"),
            json!({"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}})
        );
    }

    #[test]
    fn errors_have_lines() {
        let e = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        // Columns count from 1: `@` (reserved in YAML) is the sixth character.
        let e = parse("key: @x\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 6), "{e:?}");
    }

    /// 201 nested collections are read; the 202nd is refused (hostile input must not
    /// exhaust the stack later).
    /// A "billion laughs": each level doubles ten times; stopped at the budget with the
    /// line, long before memory runs out.
    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, c) in "bcdefghij".chars().enumerate() {
            let prev = (b'a' + i as u8) as char;
            doc.push_str(&format!(
                "{c}: &{c} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        let e = parse(&doc).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{}", e.message);
        assert!((5..=10).contains(&e.line), "{}", e.line);
        // Ordinary reuse is fine.
        let ok = parse("base: &b {k: 1}\nx: *b\ny: *b\n").unwrap().unwrap();
        assert_eq!(ok.to_value()["y"]["k"], 1);
    }

    /// What an alias copies is counted exactly: a list is itself and its items (9 + 1), a
    /// map itself and two values per pair (1 + 2 × 2), and a long text one more value per
    /// 64 bytes (6,336 bytes: 100). Exactly the budget passes; one alias more is over it.
    #[test]
    fn aliases_count_what_they_copy() {
        let text = "x".repeat(64 * 99);
        for (anchored, size) in [
            ("[1, 2, 3, 4, 5, 6, 7, 8, 9]", 10),
            ("{k: 1, j: 2}", 5),
            (text.as_str(), 100),
        ] {
            let doc = |n: usize| format!("a: &a {anchored}\nl: [{}]\n", vec!["*a"; n].join(", "));
            let n = MAX_ALIAS_NODES / size;
            let ok = parse(&doc(n)).unwrap().unwrap();
            assert_eq!(ok.to_value()["l"].as_array().unwrap().len(), n, "{size}");
            let e = parse(&doc(n + 1)).unwrap_err();
            assert!(e.message.contains("alias bomb"), "{size}: {}", e.message);
        }
    }

    #[test]
    fn nesting_limit() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let first_refused = (190..260).find(|&n| parse(&deep(n)).is_err());
        assert_eq!(first_refused, Some(202));
    }

    /// An Ansible Vault value is decrypted with the scope's password (refused, with what to
    /// do, without one); tagged scalars are read as their tag says.
    #[test]
    fn tags() {
        let e = parse("pw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n").unwrap_err();
        assert!(
            e.message
                .contains("no vault password was given: give --vault-password-file"),
            "{e:?}"
        );
        let text = vault::encrypt(b"hunter22", b"pw", &[3; 32]);
        let doc = format!(
            "pw: !vault |\n  {}\n",
            text.trim_end().replace('\n', "\n  ")
        );
        let (got, found) = crate::vault::with_password(Some(b"pw".to_vec()), || v(&doc));
        assert_eq!(got, json!({"pw": "hunter22"}));
        assert_eq!(found, ["hunter22"]);
        assert_eq!(
            v("a: !!str 1\nb: !!int '2'\nc: !!float '1.5'\nd: !!bool 'yes'\ne: !!null ''\n"),
            json!({"a": "1", "b": 2, "c": 1.5, "d": true, "e": null})
        );
    }
}
