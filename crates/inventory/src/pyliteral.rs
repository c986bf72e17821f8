//! Python's `ast.literal_eval`, as ansible-core's INI plugin applies it to every value: `2` is
//! an int, `[1, 2]` a list, `{'k': 'v'}` a dict, `True` a bool, `'x'` the string x. Anything
//! that is not a literal (`yes`, `a b`, `01`) stays the text it was.

use serde_json::{Map, Number, Value};

/// The value ansible-core gives an INI value `text`.
pub fn ini_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// `ast.literal_eval(text)` converted the way ansible-core stores it (tuples and sets become
/// lists, bytes and complex numbers strings); `None` where Python raises.
pub fn literal_eval(text: &str) -> Option<Value> {
    // Python strips leading spaces and tabs before parsing.
    let mut p = Parser {
        s: text.trim_start_matches([' ', '\t']).as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.expr_list()?;
    p.skip_ws(true);
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 100;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skip spaces and comments; inside brackets newlines too (Python's implicit joining).
    fn skip_ws(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\x0c' => self.i += 1,
                b'\n' | b'\r' if newlines || self.depth > 0 => self.i += 1,
                b'\\' if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// `a` or `a, b, ...` (a tuple without parentheses).
    fn expr_list(&mut self) -> Option<Value> {
        self.skip_ws(false);
        let first = self.expr()?;
        self.skip_ws(false);
        if self.peek() != Some(b',') {
            return Some(first);
        }
        let mut items = vec![first];
        while self.peek() == Some(b',') {
            self.i += 1;
            self.skip_ws(false);
            if self.i == self.s.len() || self.peek() == Some(b'#') {
                break;
            }
            items.push(self.expr()?);
            self.skip_ws(false);
        }
        Some(Value::Array(items))
    }

    fn expr(&mut self) -> Option<Value> {
        self.skip_ws(false);
        let c = self.peek()?;
        match c {
            b'[' => self.seq(b']').map(Value::Array),
            b'(' => {
                // `(x)` is x; `(x,)` and `()` are tuples.
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.skip_ws(true);
                if self.peek() == Some(b')') {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(Value::Array(vec![]));
                }
                let first = self.expr()?;
                self.skip_ws(true);
                let v = match self.peek()? {
                    b')' => first,
                    b',' => {
                        let mut items = vec![first];
                        while self.peek() == Some(b',') {
                            self.i += 1;
                            self.skip_ws(true);
                            if self.peek() == Some(b')') {
                                break;
                            }
                            items.push(self.expr()?);
                            self.skip_ws(true);
                        }
                        Value::Array(items)
                    }
                    _ => return None,
                };
                if self.peek() != Some(b')') {
                    return None;
                }
                self.i += 1;
                self.depth -= 1;
                Some(v)
            }
            b'{' => self.dict_or_set(),
            b'\'' | b'"' => self.strings(),
            b'-' | b'+' => {
                self.i += 1;
                self.skip_ws(false);
                let v = self.number()?;
                Some(if c == b'-' { negate(v)? } else { v })
            }
            b'0'..=b'9' | b'.' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
                {
                    self.i += 1;
                }
                let word = &self.s[start..self.i];
                match word {
                    b"True" => Some(Value::Bool(true)),
                    b"False" => Some(Value::Bool(false)),
                    b"None" => Some(Value::Null),
                    _ => {
                        // String prefixes: r'..', b'..', u'..', rb'..' (not f-strings).
                        let lower = word.to_ascii_lowercase();
                        if matches!(self.peek(), Some(b'\'' | b'"'))
                            && matches!(&lower[..], b"r" | b"u" | b"b" | b"br" | b"rb")
                        {
                            self.i = start;
                            self.strings()
                        } else {
                            None
                        }
                    }
                }
            }
            _ => None,
        }
    }

    fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws(true);
            if self.peek()? == close {
                self.i += 1;
                break;
            }
            items.push(self.expr()?);
            self.skip_ws(true);
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(items)
    }

    fn dict_or_set(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let mut map = Map::new();
        let mut set: Option<Vec<Value>> = None;
        loop {
            self.skip_ws(true);
            if self.peek()? == b'}' {
                self.i += 1;
                break;
            }
            let k = self.expr()?;
            self.skip_ws(true);
            if set.is_none() && self.peek() == Some(b':') {
                self.i += 1;
                let v = self.expr()?;
                map.insert(key_text(&k)?, v);
            } else if map.is_empty() {
                set.get_or_insert_with(Vec::new).push(k);
            } else {
                return None;
            }
            self.skip_ws(true);
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(match set {
            Some(items) => Value::Array(items),
            None => Value::Object(map),
        })
    }

    /// One or more adjacent string literals (Python concatenates them).
    fn strings(&mut self) -> Option<Value> {
        let mut out = String::new();
        loop {
            self.skip_ws(false);
            let start = self.i;
            let mut raw = false;
            while let Some(c) = self.peek() {
                match c.to_ascii_lowercase() {
                    b'r' => raw = true,
                    b'u' | b'b' => {}
                    _ => break,
                }
                self.i += 1;
            }
            match self.peek() {
                Some(q @ (b'\'' | b'"')) => self.string(q, raw, &mut out)?,
                _ => {
                    self.i = start;
                    break;
                }
            }
        }
        Some(Value::String(out))
    }

    fn string(&mut self, q: u8, raw: bool, out: &mut String) -> Option<()> {
        let triple = self.s[self.i..].starts_with(&[q, q, q]);
        self.i += if triple { 3 } else { 1 };
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            if c == q {
                if !triple {
                    self.i += 1;
                    break;
                }
                if self.s[self.i..].starts_with(&[q, q, q]) {
                    self.i += 3;
                    break;
                }
            }
            if c == b'\n' && !triple {
                return None;
            }
            if c == b'\\' {
                let n = *self.s.get(self.i + 1)?;
                if raw {
                    buf.push(b'\\');
                    buf.push(n);
                    self.i += 2;
                    continue;
                }
                self.i += 2;
                let simple = match n {
                    b'\n' => Some(None),
                    b'\\' => Some(Some(b'\\')),
                    b'\'' => Some(Some(b'\'')),
                    b'"' => Some(Some(b'"')),
                    b'a' => Some(Some(7)),
                    b'b' => Some(Some(8)),
                    b'f' => Some(Some(12)),
                    b'n' => Some(Some(b'\n')),
                    b'r' => Some(Some(b'\r')),
                    b't' => Some(Some(b'\t')),
                    b'v' => Some(Some(11)),
                    _ => None,
                };
                if let Some(b) = simple {
                    buf.extend(b);
                    continue;
                }
                let code = match n {
                    b'0'..=b'7' => {
                        let mut v = (n - b'0') as u32;
                        for _ in 0..2 {
                            match self.peek() {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + (d - b'0') as u32;
                                    self.i += 1;
                                }
                                _ => break,
                            }
                        }
                        Some(v)
                    }
                    b'x' => self.hex(2),
                    b'u' => self.hex(4),
                    b'U' => self.hex(8),
                    _ => {
                        // Unknown escapes keep the backslash.
                        buf.push(b'\\');
                        buf.push(n);
                        continue;
                    }
                };
                let ch = char::from_u32(code?)?;
                let mut tmp = [0u8; 4];
                buf.extend(ch.encode_utf8(&mut tmp).as_bytes());
                continue;
            }
            buf.push(c);
            self.i += 1;
        }
        out.push_str(std::str::from_utf8(&buf).ok()?);
        Some(())
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(self.i..self.i + n)?).ok()?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        self.i += n;
        Some(v)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
            || (matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.s.get(self.i - 1), Some(b'e' | b'E'))
                && !self.s[start..self.i].starts_with(b"0x")
                && !self.s[start..self.i].starts_with(b"0X"))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        python_number(text)
    }
}

fn negate(v: Value) -> Option<Value> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Value::from(-i))
            } else if let Some(u) = n.as_u64() {
                // -(2**63) fits an i64; anything larger negated does not.
                if u == 1 << 63 {
                    Some(Value::from(i64::MIN))
                } else {
                    None
                }
            } else {
                Number::from_f64(-n.as_f64()?).map(Value::Number)
            }
        }
        _ => None,
    }
}

/// A Python number literal: ints (decimal without leading zeros, 0x, 0o, 0b, underscores
/// between digits) and floats. Imaginary numbers and ints beyond 64 bits are refused
/// (left as text).
fn python_number(text: &str) -> Option<Value> {
    if text.is_empty() || text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let digits = digits.strip_prefix('_').unwrap_or(digits);
            if digits.is_empty() || digits.starts_with('_') {
                return None;
            }
            return u64::from_str_radix(&digits.replace('_', ""), radix)
                .ok()
                .map(Value::from);
        }
    }
    let plain = lower.replace('_', "");
    if plain.bytes().all(|c| c.is_ascii_digit()) {
        // `01` is a syntax error in Python 3; `00` is zero.
        if plain.len() > 1 && plain.starts_with('0') && plain.bytes().any(|c| c != b'0') {
            return None;
        }
        return plain.parse::<u64>().ok().map(Value::from);
    }
    // Floats: digits with a `.` and/or an exponent; underscores only between digits.
    let valid = {
        let b = lower.as_bytes();
        b.iter().enumerate().all(|(i, &c)| {
            c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        }) && !lower.ends_with('j')
    };
    if !valid || !(plain.contains('.') || plain.contains('e')) {
        return None;
    }
    let (mant, exp) = match plain.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (plain.as_str(), None),
    };
    if mant.is_empty() || mant == "." || !mant.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    if mant.matches('.').count() > 1 {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let f: f64 = plain.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// A dict key as JSON writes it (`json.dumps` turns 1 into "1", True into "true").
fn key_text(k: &Value) -> Option<String> {
    Some(match k {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => py_float(f),
            _ => n.to_string(),
        },
        // Lists are not hashable in Python; tuples are, but JSON cannot write them as keys.
        _ => return None,
    })
}

/// Python's repr of a float (`1.0`, `1e+100`).
fn py_float(f: f64) -> String {
    let s = format!("{f:?}");
    s.replace("e", "e+").replace("e+-", "e-")
}

#[cfg(test)]
mod tests {
    use super::ini_value;
    use serde_json::json;

    #[test]
    fn values_as_python_reads_them() {
        let cases = [
            ("2", json!(2)),
            ("-2", json!(-2)),
            ("01", json!("01")),
            ("00", json!(0)),
            ("0x1f", json!(31)),
            ("1_000", json!(1000)),
            ("1.10", json!(1.1)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("True", json!(true)),
            ("true", json!("true")),
            ("yes", json!("yes")),
            ("None", json!(null)),
            ("[1, 'a', [True]]", json!([1, "a", [true]])),
            ("(1, 2)", json!([1, 2])),
            ("1, 2", json!([1, 2])),
            ("{'k': 'v', 1: 2}", json!({"k": "v", "1": 2})),
            ("'say \"hi\"'", json!("say \"hi\"")),
            ("'a' 'b'", json!("ab")),
            ("'\\x41\\n'", json!("A\n")),
            ("r'\\d'", json!("\\d")),
            ("1 # note", json!(1)),
            ("foo # note", json!("foo # note")),
            ("", json!("")),
            ("1.2.3.4", json!("1.2.3.4")),
            ("10.0.0.1", json!("10.0.0.1")),
            ("{{ x }}", json!("{{ x }}")),
            ("1j", json!("1j")),
            ("abc", json!("abc")),
            ("[1,", json!("[1,")),
        ];
        for (text, want) in cases {
            assert_eq!(ini_value(text), want, "{text:?}");
        }
    }
}
