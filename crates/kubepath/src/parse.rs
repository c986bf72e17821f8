//! The template parser: a faithful port of client-go's `util/jsonpath` parser, quirks
//! included, because the contract is "prints exactly what kubectl prints".

use super::Error;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Param {
    pub value: i64,
    pub known: bool,
    pub derived: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    List(Vec<Node>),
    Field(String),
    Array([Param; 3]),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    root: Vec<Node>,
}

const EOF: Option<char> = None;

fn is_terminator(r: Option<char>) -> bool {
    match r {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Parse a whole template into its top-level nodes (text and `{...}` actions).
pub fn parse(text: &str) -> Result<Vec<Node>, Error> {
    let mut p = Parser {
        input: text,
        pos: 0,
        start: 0,
        width: 0,
        root: Vec::new(),
    };
    p.parse_text()?;
    Ok(p.root)
}

/// Parse the inside of one action, as client-go's `parseAction` does for filters and unions.
fn parse_action(text: &str) -> Result<Vec<Node>, Error> {
    let nodes = parse(&format!("{{{text}}}"))?;
    match nodes.into_iter().next() {
        Some(Node::List(l)) => Ok(l),
        _ => Ok(Vec::new()),
    }
}

impl<'a> Parser<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        // `pos` is a byte offset; people count characters.
        let at = self.pos.min(self.input.len());
        let col = self.input.get(..at).map_or(at, |s| s.chars().count()) + 1;
        Error::Parse {
            msg: msg.into(),
            col,
        }
    }

    fn consume(&mut self) -> String {
        let v = self.input[self.start..self.pos].to_string();
        self.start = self.pos;
        v
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    /// The current action list (the last node of the root, which is always a List here).
    fn cur(&mut self) -> &mut Vec<Node> {
        match self.root.last_mut() {
            Some(Node::List(l)) => l,
            _ => unreachable!("actions always live in a list"),
        }
    }

    fn parse_text(&mut self) -> Result<(), Error> {
        loop {
            if self.rest().starts_with('{') {
                if self.pos > self.start {
                    let t = self.consume();
                    self.root.push(Node::Text(t));
                }
                return self.parse_left_delim();
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            let t = self.consume();
            self.root.push(Node::Text(t));
        }
        Ok(())
    }

    fn parse_left_delim(&mut self) -> Result<(), Error> {
        self.pos += 1;
        self.consume();
        self.root.push(Node::List(Vec::new()));
        self.parse_inside_action()
    }

    fn parse_inside_action(&mut self) -> Result<(), Error> {
        loop {
            if self.rest().starts_with('}') {
                self.pos += 1;
                self.consume();
                return self.parse_text();
            }
            if self.rest().starts_with("[?(") {
                self.parse_filter()?;
                continue;
            }
            if self.rest().starts_with("..") {
                self.parse_recursive()?;
                continue;
            }
            match self.next() {
                None | Some('\r') | Some('\n') => return Err(self.err("unclosed action")),
                Some(' ') | Some('@') | Some('$') => {
                    self.consume();
                }
                Some('[') => self.parse_array()?,
                Some(q @ ('"' | '\'')) => self.parse_quote(q)?,
                Some('.') => self.parse_field()?,
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.backup();
                    self.parse_number()?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier()?;
                }
                Some(c) => {
                    return Err(self.err(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        c as u32
                    )))
                }
            }
        }
    }

    fn parse_identifier(&mut self) -> Result<(), Error> {
        loop {
            let r = self.next();
            if is_terminator(r) {
                self.backup();
                break;
            }
        }
        let v = self.consume();
        let node = match v.as_str() {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(v),
        };
        self.cur().push(node);
        Ok(())
    }

    fn parse_recursive(&mut self) -> Result<(), Error> {
        if matches!(self.cur().last(), Some(Node::Recursive)) {
            return Err(self.err("invalid multiple recursive descent"));
        }
        self.pos += 2;
        self.consume();
        self.cur().push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            return self.parse_field();
        }
        Ok(())
    }

    fn parse_number(&mut self) -> Result<(), Error> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || c.is_ascii_digit() => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let v = self.consume();
        let node = if let Ok(i) = v.trim_start_matches('+').parse::<i64>() {
            Node::Int(i)
        } else if let Ok(f) = v.parse::<f64>() {
            Node::Float(f)
        } else {
            return Err(self.err(format!("cannot parse number {v}")));
        };
        self.cur().push(node);
        Ok(())
    }

    fn parse_array(&mut self) -> Result<(), Error> {
        loop {
            match self.next() {
                None | Some('\n') => return Err(self.err("unterminated array")),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume();
        let mut text = &text[1..text.len() - 1];
        if text == "*" {
            text = ":";
        }
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::new();
            for part in parts {
                union.push(parse_action(&format!("[{}]", part.trim_matches(' ')))?);
            }
            self.cur().push(Node::Union(union));
            return Ok(());
        }
        if text.len() >= 2
            && text.starts_with('\'')
            && text.ends_with('\'')
            && !text[1..text.len() - 1].contains('\'')
        {
            let nodes = parse_action(&format!(".{}", &text[1..text.len() - 1]))?;
            self.cur().extend(nodes);
            return Ok(());
        }
        let Some((a, b, c)) = slice_parts(text) else {
            return Err(self.err(format!("invalid array index {text}")));
        };
        let mut params = [Param::default(); 3];
        for (i, v) in [a, b, c].into_iter().enumerate() {
            match v {
                Some(v) => {
                    let v = if i > 0 { &v[1..] } else { v };
                    if i > 0 && v.is_empty() {
                        params[i].known = false;
                    } else {
                        params[i].known = true;
                        params[i].value = v
                            .parse::<i64>()
                            .map_err(|_| self.err(format!("array index {v} is not a number")))?;
                    }
                }
                None if i == 1 => {
                    params[1] = Param {
                        value: params[0].value + 1,
                        known: true,
                        derived: true,
                    }
                }
                None => {}
            }
        }
        self.cur().push(Node::Array(params));
        Ok(())
    }

    fn parse_filter(&mut self) -> Result<(), Error> {
        self.pos += 3;
        self.consume();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            match self.next() {
                None | Some('\n') => return Err(self.err("unterminated filter")),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes()[self.pos - 2] != b'\\' && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err(self.err("unclosed array expect ]"));
        }
        let text = self.consume();
        let text = &text[..text.len() - 2];
        let node = match split_comparison(text) {
            None => Node::Filter {
                left: parse_action(text)?,
                right: Vec::new(),
                op: "exists".into(),
            },
            Some((l, op, r)) => Node::Filter {
                left: parse_action(l)?,
                right: parse_action(r)?,
                op: op.to_string(),
            },
        };
        self.cur().push(node);
        Ok(())
    }

    fn parse_quote(&mut self, quote: char) -> Result<(), Error> {
        loop {
            match self.next() {
                None | Some('\n') => return Err(self.err("unterminated quoted string")),
                Some(c) if c == quote && self.input.as_bytes()[self.pos - 2] != b'\\' => break,
                _ => {}
            }
        }
        let v = self.consume();
        let s = unquote(&v)
            .ok_or_else(|| self.err(format!("unquote string {v} error invalid syntax")))?;
        self.cur().push(Node::Text(s));
        Ok(())
    }

    fn parse_field(&mut self) -> Result<(), Error> {
        self.consume();
        loop {
            match self.next() {
                Some('\\') => {
                    self.next();
                }
                r if is_terminator(r) => {
                    self.backup();
                    break;
                }
                _ => {}
            }
        }
        let v = self.consume();
        let node = if v == "*" {
            Node::Wildcard
        } else {
            Node::Field(v.replace('\\', ""))
        };
        self.cur().push(node);
        Ok(())
    }
}

/// client-go's `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`, without a regex.
#[allow(clippy::type_complexity)]
fn slice_parts(text: &str) -> Option<(Option<&str>, Option<&str>, Option<&str>)> {
    fn int_prefix(s: &str) -> usize {
        let neg = usize::from(s.starts_with('-'));
        neg + s[neg..].bytes().take_while(u8::is_ascii_digit).count()
    }
    let n0 = int_prefix(text);
    let first = &text[..n0];
    let mut rest = &text[n0..];
    let mut groups = [None, None];
    for g in groups.iter_mut() {
        if let Some(after) = rest.strip_prefix(':') {
            let n = 1 + int_prefix(after);
            *g = Some(&rest[..n]);
            rest = &rest[n..];
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let first = if first.is_empty() { None } else { Some(first) };
    Some((first, groups[0], groups[1]))
}

/// client-go's `^([^!<>=]+)([!<>=]+)(.+?)$`.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let i = text.find(is_op)?;
    if i == 0 {
        return None;
    }
    // The operator run is greedy but must leave the right side one character, as the
    // regex's backtracking does: `@.a==` is `@.a` `=` `=` (and `=` then fails to parse).
    let run_end = text[i..]
        .find(|c: char| !is_op(c))
        .map_or(text.len(), |k| i + k);
    let j = if run_end < text.len() {
        run_end
    } else if run_end - i >= 2 {
        run_end - 1
    } else {
        return None;
    };
    let right = &text[j..];
    if right.contains('\n') {
        return None;
    }
    Some((&text[..i], &text[i..j], right))
}

/// Go's `strconv.Unquote`, extended to single quotes as client-go does.
fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(q) || !(q == '"' || q == '\'') {
        return None;
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if c == q {
                return None;
            }
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' | '"' if e == q => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                let v = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == n)?;
                out.push(char::from_u32(v)?);
            }
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                out.push(char::from_u32(v).filter(|_| v <= 255)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_template() {
        let nodes = parse(r#"{range .items[*]}{.spec.podCIDR} {"\n"}{end}"#).unwrap();
        assert_eq!(nodes.len(), 5);
        assert_eq!(nodes[3], Node::List(vec![Node::Text("\n".into())]));
        assert_eq!(nodes[2], Node::Text(" ".into()));
    }

    #[test]
    fn slices_and_comparisons() {
        assert_eq!(slice_parts("-1"), Some((Some("-1"), None, None)));
        assert_eq!(
            slice_parts("1:3:2"),
            Some((Some("1"), Some(":3"), Some(":2")))
        );
        assert_eq!(slice_parts(":"), Some((None, Some(":"), None)));
        assert_eq!(slice_parts("a"), None);
        assert_eq!(split_comparison("@.a==\"x\""), Some(("@.a", "==", "\"x\"")));
        assert_eq!(split_comparison("@.a=="), Some(("@.a", "=", "=")));
        assert_eq!(split_comparison("@.a="), None);
        assert_eq!(split_comparison("@.a"), None);
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse("{.items[")
            .unwrap_err()
            .to_string()
            .contains("unterminated array"));
        assert!(parse("{.a")
            .unwrap_err()
            .to_string()
            .contains("unclosed action"));
    }
}
