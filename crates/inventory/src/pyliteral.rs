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
    // Blank lines before the expression are skipped, as Python's tokenizer does.
    p.skip_ws(true);
    let v = p.expr_list()?;
    p.skip_ws(true);
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

/// Python's tokenizer refuses a 201st open bracket ("too many nested parentheses").
const MAX_DEPTH: usize = 200;

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
                let v = self.signed_operand()?;
                let v = if c == b'-' { v.negate()? } else { v };
                self.complex_tail(v)
            }
            b'0'..=b'9' | b'.' => {
                let v = self.number()?;
                self.complex_tail(v)
            }
            // Only ASCII words can be literals (True, False, None, set, string prefixes); any
            // other name fails to parse, here or at the characters after the word.
            c if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.i += 1;
                }
                let word = &self.s[start..self.i];
                match word {
                    b"True" => Some(Value::Bool(true)),
                    b"False" => Some(Value::Bool(false)),
                    b"None" => Some(Value::Null),
                    // literal_eval's one call: an empty set (stored as a list).
                    b"set" if self.s[self.i..].starts_with(b"()") => {
                        self.i += 2;
                        Some(Value::Array(vec![]))
                    }
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

    /// One or more adjacent string literals (Python concatenates them; bytes and text
    /// cannot be mixed).
    fn strings(&mut self) -> Option<Value> {
        let mut out = String::new();
        let mut kind = None;
        loop {
            self.skip_ws(false);
            let start = self.i;
            let (mut raw, mut bytes) = (false, false);
            while let Some(c) = self.peek() {
                match c.to_ascii_lowercase() {
                    b'r' => raw = true,
                    b'b' => bytes = true,
                    b'u' => {}
                    _ => break,
                }
                self.i += 1;
            }
            match self.peek() {
                Some(q @ (b'\'' | b'"')) => {
                    if *kind.get_or_insert(bytes) != bytes {
                        return None;
                    }
                    self.string(q, raw, bytes, &mut out)?
                }
                _ => {
                    self.i = start;
                    break;
                }
            }
        }
        Some(Value::String(out))
    }

    fn string(&mut self, q: u8, raw: bool, bytes: bool, out: &mut String) -> Option<()> {
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
            if c == b'\n' && !triple || bytes && c >= 0x80 {
                // A newline ends a one-line string early; bytes literals are ASCII only.
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
                    b'u' if !bytes => self.hex(4),
                    b'U' if !bytes => self.hex(8),
                    b'N' if !bytes => self.char_name(),
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

    /// `\N{NAME}`: a character by its Unicode name (case-insensitive, as Python's).
    fn char_name(&mut self) -> Option<u32> {
        if self.peek() != Some(b'{') {
            return None;
        }
        let end = self.s[self.i..].iter().position(|&c| c == b'}')?;
        let name = std::str::from_utf8(&self.s[self.i + 1..self.i + end]).ok()?;
        let ch = unicode_names2::character(&name.to_ascii_uppercase())?;
        self.i += end + 1;
        Some(ch as u32)
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(self.i..self.i + n)?).ok()?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        self.i += n;
        Some(v)
    }

    /// The operand of a unary `-`/`+`: a number, possibly in parentheses (`-(1)`; the
    /// parentheses make no node in Python's tree).
    fn signed_operand(&mut self) -> Option<Num> {
        if self.peek() != Some(b'(') {
            return self.number_token();
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.skip_ws(true);
        let v = self.signed_operand()?;
        self.skip_ws(true);
        if self.peek() != Some(b')') {
            return None;
        }
        self.i += 1;
        self.depth -= 1;
        Some(v)
    }

    /// A real number followed by `+ Nj` or `- Nj` is a complex literal (`2+3j`), as
    /// literal_eval allows; anything else after a number is left to the caller.
    fn complex_tail(&mut self, left: Num) -> Option<Value> {
        let save = self.i;
        self.skip_ws(false);
        let op = self.peek();
        if matches!(op, Some(b'+' | b'-')) && !matches!(left, Num::Complex(..)) {
            self.i += 1;
            self.skip_ws(false);
            if let Some(Num::Complex(0.0, im)) = self.number_token() {
                let re = left.as_f64();
                let im = if op == Some(b'-') { -im } else { im };
                return Some(Num::Complex(re, im).into_value());
            }
            // `1+2`, `1+-2j`: not literals.
            return None;
        }
        self.i = save;
        Some(left.into_value())
    }

    fn number(&mut self) -> Option<Num> {
        self.number_token()
    }

    fn number_token(&mut self) -> Option<Num> {
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

/// A number as Python holds it before ansible-core stores it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
    /// Real and imaginary parts.
    Complex(f64, f64),
}

impl Num {
    fn negate(self) -> Option<Num> {
        Some(match self {
            Num::Int(i) => Num::Int(-i),
            Num::Float(f) => Num::Float(-f),
            // -(a+bj): Python negates both parts (so -1j has a real part of -0.0).
            Num::Complex(re, im) => Num::Complex(-re, -im),
        })
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
            Num::Complex(re, _) => re,
        }
    }

    /// What ansible-core stores: ints within 64 bits as numbers (beyond, their digits as
    /// text: Rhai has no big integers), floats, and complex numbers as Python prints them.
    fn into_value(self) -> Value {
        match self {
            Num::Int(i) => {
                if let Ok(v) = i64::try_from(i) {
                    Value::from(v)
                } else if let Ok(v) = u64::try_from(i) {
                    Value::from(v)
                } else {
                    Value::String(i.to_string())
                }
            }
            Num::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(py_float(f))),
            Num::Complex(re, im) => Value::String(py_complex(re, im)),
        }
    }
}

/// Python's `str(complex)`: `1j`, `(2+3j)`, `(-0-1j)`; parts without a trailing `.0`.
fn py_complex(re: f64, im: f64) -> String {
    let part = |f: f64| {
        let s = py_float(f);
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if re == 0.0 && re.is_sign_positive() {
        format!("{}j", part(im))
    } else {
        let im_text = part(im);
        let sign = if im_text.starts_with('-') { "" } else { "+" };
        format!("({}{sign}{im_text}j)", part(re))
    }
}

/// A Python number literal: ints (decimal without leading zeros, 0x, 0o, 0b, underscores
/// between digits), floats, and imaginary numbers (`1j`, `1.5e3J`).
fn python_number(text: &str) -> Option<Num> {
    if text.is_empty() || text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if let Some(body) = lower.strip_suffix('j') {
        // An imaginary literal: decimal digits (leading zeros allowed) or a float, then j.
        let digits = body.bytes().all(|c| c.is_ascii_digit() || c == b'_');
        let im = match python_number(body) {
            _ if digits && python_number(&format!("1{body}")).is_some() => {
                body.replace('_', "").parse().ok()?
            }
            Some(Num::Float(f)) => f,
            _ => return None,
        };
        return Some(Num::Complex(0.0, im));
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let digits = digits.strip_prefix('_').unwrap_or(digits);
            if digits.is_empty() || digits.starts_with('_') {
                return None;
            }
            return i128::from_str_radix(&digits.replace('_', ""), radix)
                .ok()
                .map(Num::Int);
        }
    }
    let plain = lower.replace('_', "");
    if plain.bytes().all(|c| c.is_ascii_digit()) {
        // `01` is a syntax error in Python 3; `00` is zero.
        if plain.len() > 1 && plain.starts_with('0') && plain.bytes().any(|c| c != b'0') {
            return None;
        }
        return plain.parse::<i128>().ok().map(Num::Int);
    }
    // Floats: digits with a `.` and/or an exponent; underscores only between digits.
    let valid = {
        let b = lower.as_bytes();
        b.iter().enumerate().all(|(i, &c)| {
            c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        })
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
    plain.parse().ok().map(Num::Float)
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
/// Python's `repr(float)`: shortest digits, `1.0`, `1e+16`, `1e-05`, `inf`.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's Debug has Python's digits and exponent switch; Python writes the exponent with
    // a sign and at least two digits (1e-05, 1e+16).
    let s = format!("{f:?}");
    match s.split_once('e') {
        None => s,
        Some((m, e)) => {
            let (sign, digits) = e.strip_prefix('-').map_or(('+', e), |d| ('-', d));
            format!("{m}e{sign}{digits:0>2}")
        }
    }
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

    /// Line breaks (Python's implicit joining inside brackets, `\` continuations), comments,
    /// escapes and bytes prefixes: values from Python's `ast.literal_eval` (3.13).
    #[test]
    fn line_breaks_escapes_and_bytes() {
        let cases = [
            ("[1,\n 2]", json!([1, 2])),
            ("(1,\n2)", json!([1, 2])),
            ("{'a':\n 1}", json!({"a": 1})),
            ("[1, \\\n2]", json!([1, 2])),
            ("1,\\\n2", json!([1, 2])),
            ("1\n", json!(1)),
            ("1\n2", json!("1\n2")),
            (" \t[1]", json!([1])),
            ("'a\\\nb'", json!("ab")),
            ("'a\\\"b'", json!("a\"b")),
            ("b'\\u00e9'", json!("\\u00e9")),
            ("b'\\U0001F600'", json!("\\U0001F600")),
            ("b'\\N{BULLET}'", json!("\\N{BULLET}")),
            ("'x' # c\n", json!("x")),
            ("[1, # c\n 2]", json!([1, 2])),
            ("\n1", json!(1)),
            ("\\\n1", json!(1)),
            ("{\n}", json!({})),
            ("[\n]", json!([])),
            ("(\n)", json!([])),
            ("'''a\nb'''", json!("a\nb")),
            ("1\r\n", json!(1)),
            ("[1,\r\n2]", json!([1, 2])),
        ];
        for (text, want) in cases {
            assert_eq!(ini_value(text), want, "{text:?}");
        }
        // A line break ends the expression outside brackets; a backslash outside a string
        // is no continuation unless a line break follows.
        for text in ["1,\n2", "1 \\x", "[1, \\x]"] {
            assert_eq!(ini_value(text), json!(text), "{text:?}");
        }
        for text in [
            "set[]", "set()x", "set(1)", "rb", "u", "[1)", "(1]", "{1]", "b'é'", "'a\nb'", "x'a'",
            "True1", "None_", "_x", "é",
        ] {
            assert_eq!(ini_value(text), json!(text), "{text:?}");
        }
        assert_eq!(ini_value("set()"), json!([]));
        // Siblings do not add up to the nesting limit.
        for item in ["[]", "{}", "()", "-(1)", "{1}"] {
            let many = format!("[{}]", vec![item; 250].join(", "));
            assert!(ini_value(&many).is_array(), "{item}");
            assert_eq!(ini_value(&many).as_array().unwrap().len(), 250, "{item}");
        }
        // Python's parser takes 200 nested brackets and refuses the 201st.
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(ini_value(&nest(200)).is_array());
        assert_eq!(ini_value(&nest(201)), json!(nest(201)));
        let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ini_value(&parens(200)), json!(1));
        assert_eq!(ini_value(&parens(201)), json!(parens(201)));
        let dicts = |n: usize| format!("{}1{}", "{'k': ".repeat(n), "}".repeat(n));
        assert!(ini_value(&dicts(200)).is_object());
        assert!(ini_value(&dicts(201)).is_string());
    }

    /// Python's number syntax at its edges (values from Python 3.13's `ast.literal_eval`).
    #[test]
    fn numbers_at_their_edges() {
        let cases = [
            ("0x_ff", json!(255)),
            ("0x_", json!("0x_")),
            ("0x", json!("0x")),
            ("0_0", json!(0)),
            ("00_0", json!(0)),
            ("1__0", json!("1__0")),
            ("1_", json!("1_")),
            ("_1", json!("_1")),
            ("0b", json!("0b")),
            ("0o", json!("0o")),
            ("0b_1", json!(1)),
            ("0o_7", json!(7)),
            ("1e5_0", json!(1e+50)),
            ("1_e5", json!("1_e5")),
            ("1._5", json!("1._5")),
            ("1.5_", json!("1.5_")),
            ("01.5", json!(1.5)),
            ("00.5", json!(0.5)),
            ("1e+_5", json!("1e+_5")),
            (".5e1", json!(5.0)),
            ("5.e1", json!(50.0)),
            ("1_0j", json!("10j")),
            ("0j", json!("0j")),
            ("00j", json!("0j")),
            ("1.5e3j", json!("1500j")),
            ("1e", json!("1e")),
            ("1e+", json!("1e+")),
            ("1e-5", json!(1e-05)),
            ("1E+05", json!(100000.0)),
            ("0e0", json!(0.0)),
            ("0_1", json!("0_1")),
            ("1_000_000", json!(1000000)),
            ("0x1F_FF", json!(8191)),
            ("0B1_0", json!(2)),
            ("0O7_7", json!(63)),
            ("12_34.5_6", json!(1234.56)),
            ("1.e5", json!(100000.0)),
            ("1.0e-0_1", json!(0.1)),
            ("0.0_1", json!(0.01)),
            ("1__2.0", json!("1__2.0")),
            ("1.__2", json!("1.__2")),
            (
                "999999999999999999999999999999",
                json!("999999999999999999999999999999"),
            ),
            ("1_2_3j", json!("123j")),
            ("0x10j", json!("0x10j")),
            ("1e3_j", json!("1e3_j")),
            ("1_.5", json!("1_.5")),
            ("1._5e3", json!("1._5e3")),
            ("5_e3", json!("5_e3")),
            ("1.5e_3", json!("1.5e_3")),
            ("._5", json!("._5")),
            (".", json!(".")),
            // Dict keys as json.dumps writes them; floats as Python prints them.
            (
                "{1e16: 1, 1.5: 2, 10: 3, 1e-5: 4, 1.5e-7: 5, 2.5e100: 6}",
                json!({"1e+16": 1, "1.5": 2, "10": 3, "1e-05": 4, "1.5e-07": 5, "2.5e+100": 6}),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ini_value(text), want, "{text:?}");
        }
        // Parentheses after a sign count toward the nesting limit, and close again.
        let neg = |n: usize| format!("-{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ini_value(&neg(200)), json!(-1));
        assert_eq!(ini_value(&neg(201)), json!(neg(201)));
        let many = format!("[{}]", ["-(1)", "(1)", "(1,)"].repeat(100).join(", "));
        assert_eq!(ini_value(&many).as_array().map(Vec::len), Some(300));
    }

    /// Where rb deliberately differs from ansible-inventory's output (docs/hosts.md): Python
    /// ints beyond 64 bits keep their digits (Rhai has no big integers; a float would change
    /// the value), bytes are text (ansible-core wraps them in an internal marker), infinite
    /// floats are Python's text for them (JSON has no infinity).
    #[test]
    fn deliberate_differences() {
        let cases = [
            ("-9223372036854775809", json!("-9223372036854775809")),
            ("0x1_0000_0000_0000_0000", json!("18446744073709551616")),
            ("9223372036854775808", json!(9223372036854775808u64)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("b'raw'", json!("raw")),
            ("1e400", json!("inf")),
            ("-1e400", json!("-inf")),
        ];
        for (text, want) in cases {
            assert_eq!(ini_value(text), want, "{text:?}");
        }
    }
}
