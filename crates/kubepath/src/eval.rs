//! Template evaluation, ported from client-go's `JSONPath.FindResults`/`walk` with missing
//! keys allowed (as `kubectl get -o jsonpath` does). Go's random map order is replaced by
//! sorted key order, the one deterministic choice.

use super::gofmt;
use super::parse::{Node, Param};
use super::Error;
use serde_json::Value;
use std::borrow::Cow;

type V<'a> = Cow<'a, Value>;

pub struct Eval<'n> {
    nodes: &'n [Node],
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    last_end: Option<usize>,
    /// Work done so far, against [`MAX_STEPS`].
    steps: usize,
}

/// The most work one render may do: nodes walked plus the values they were walked over.
/// Ranges without their `{end}` each walk the rest of the template again (as client-go
/// does), so 40 of them ask for 2^40 passes (found by cargo-fuzz); this turns that hang
/// into an error. Real templates over thousands of nodes take well under a million.
pub const MAX_STEPS: usize = 10_000_000;

fn fail<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error::Exec(msg.into()))
}

/// Go's `template.Indirect`: JSON null is a nil interface.
fn is_nil(v: &Value) -> bool {
    v.is_null()
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Null => "<invalid reflect.Value>",
    }
}

impl<'n> Eval<'n> {
    pub fn new(nodes: &'n [Node]) -> Self {
        Eval {
            nodes,
            begin_range: 0,
            in_range: 0,
            end_range: 0,
            last_end: None,
            steps: 0,
        }
    }

    pub fn find_results<'a>(
        &mut self,
        start: usize,
        data: V<'a>,
    ) -> Result<Vec<Vec<V<'a>>>, Error> {
        let cur = vec![data];
        let mut full = Vec::new();
        let mut i = start;
        while i < self.nodes.len() {
            let results = self.walk(&cur, &self.nodes[i])?;
            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Still walk the body so the position advances to its `end`.
                    self.find_results(i + 1, Cow::Owned(Value::Null))?;
                } else {
                    for v in results {
                        full.extend(self.find_results(i + 1, v)?);
                    }
                }
                self.in_range -= 1;
                if let Some(e) = self.last_end.filter(|&e| e > i) {
                    i = e;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&mut self, input: &[V<'a>], node: &Node) -> Result<Vec<V<'a>>, Error> {
        self.steps += 1 + input.len();
        if self.steps > MAX_STEPS {
            return fail(format!(
                "the template takes more than {MAX_STEPS} steps (a {{range}} without its \
                 {{end}} walks the rest of the template again); check that every range ends"
            ));
        }
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(t) => Ok(vec![Cow::Owned(Value::String(t.clone()))]),
            Node::Field(name) => Ok(eval_field(input, name)),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(i) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*i))).collect()),
            Node::Float(f) => Ok(input
                .iter()
                .map(|_| {
                    Cow::Owned(serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number))
                })
                .collect()),
            Node::Bool(b) => Ok(input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect()),
            Node::Wildcard => Ok(eval_wildcard(input)),
            Node::Recursive => Ok(eval_recursive(input)),
            Node::Union(lists) => {
                let mut out = Vec::new();
                for l in lists {
                    out.extend(self.eval_list(input, l)?);
                }
                Ok(out)
            }
            Node::Identifier(name) => match name.as_str() {
                "range" => {
                    self.begin_range += 1;
                    Ok(input.to_vec())
                }
                "end" => {
                    if self.in_range > 0 {
                        self.end_range += 1;
                        Ok(Vec::new())
                    } else {
                        fail("not in range, nothing to end")
                    }
                }
                other => fail(format!("unrecognized identifier {other}")),
            },
        }
    }

    fn eval_list<'a>(&mut self, input: &[V<'a>], nodes: &[Node]) -> Result<Vec<V<'a>>, Error> {
        let mut cur = input.to_vec();
        for n in nodes {
            cur = self.walk(&cur, n)?;
        }
        Ok(cur)
    }

    fn eval_filter<'a>(
        &mut self,
        input: &[V<'a>],
        left: &[Node],
        right: &[Node],
        op: &str,
    ) -> Result<Vec<V<'a>>, Error> {
        let mut out = Vec::new();
        for value in input {
            let items: Vec<V<'a>> = match value {
                Cow::Borrowed(Value::Array(a)) => a.iter().map(Cow::Borrowed).collect(),
                Cow::Owned(Value::Array(a)) => a.iter().cloned().map(Cow::Owned).collect(),
                other => {
                    return fail(format!(
                        "{} is not array or slice and cannot be filtered",
                        gofmt::go_value(other)
                    ))
                }
            };
            for item in items {
                let temp = vec![item.clone()];
                let lefts = self.eval_list(&temp, left);
                if op == "exists" {
                    if lefts.is_ok_and(|l| !l.is_empty()) {
                        out.push(item);
                    }
                    continue;
                }
                let lefts = lefts?;
                match lefts.len() {
                    0 => continue,
                    1 => {}
                    _ => return fail("can only compare one element at a time"),
                }
                let rights = self.eval_list(&temp, right)?;
                match rights.len() {
                    0 => continue,
                    1 => {}
                    _ => return fail("can only compare one element at a time"),
                }
                if compare(&lefts[0], &rights[0], op)? {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }
}

fn eval_field<'a>(input: &[V<'a>], name: &str) -> Vec<V<'a>> {
    let mut out = Vec::new();
    for v in input {
        match v {
            Cow::Borrowed(Value::Object(m)) => {
                if let Some(x) = m.get(name) {
                    out.push(Cow::Borrowed(x));
                }
            }
            Cow::Owned(Value::Object(m)) => {
                if let Some(x) = m.get(name) {
                    out.push(Cow::Owned(x.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// The children of a value, as Go's reflection sees them: map values (sorted by key),
/// array elements, and a string's bytes.
fn children<'a>(v: &V<'a>) -> Vec<V<'a>> {
    match v {
        Cow::Borrowed(Value::Object(m)) => crate::gofmt::sorted(m)
            .into_iter()
            .map(|(_, x)| Cow::Borrowed(x))
            .collect(),
        Cow::Borrowed(Value::Array(a)) => a.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Object(m)) => crate::gofmt::sorted(m)
            .into_iter()
            .map(|(_, x)| Cow::Owned(x.clone()))
            .collect(),
        Cow::Owned(Value::Array(a)) => a.iter().cloned().map(Cow::Owned).collect(),
        other => match other.as_ref() {
            Value::String(s) => s.bytes().map(|b| Cow::Owned(Value::from(b))).collect(),
            _ => Vec::new(),
        },
    }
}

fn eval_wildcard<'a>(input: &[V<'a>]) -> Vec<V<'a>> {
    input.iter().flat_map(children).collect()
}

fn eval_recursive<'a>(input: &[V<'a>]) -> Vec<V<'a>> {
    let mut out = Vec::new();
    for v in input {
        let kids = children(v);
        if !kids.is_empty() {
            out.push(v.clone());
            out.extend(eval_recursive(&kids));
        }
    }
    out
}

fn eval_array<'a>(input: &[V<'a>], node: &[Param; 3]) -> Result<Vec<V<'a>>, Error> {
    let mut out = Vec::new();
    for value in input {
        if is_nil(value) {
            continue;
        }
        let Value::Array(arr) = value.as_ref() else {
            return fail(format!("{} is not array or slice", go_type(value)));
        };
        let len = arr.len() as i64;
        let mut p = *node;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value += len;
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value += len;
        }
        if p[1].value == p[0].value {
            return Ok(out);
        }
        if p[0].value >= len || p[0].value < 0 {
            return fail(format!(
                "array index out of bounds: index {}, length {len}",
                p[0].value
            ));
        }
        if p[1].value > len || p[1].value < 0 {
            return fail(format!(
                "array index out of bounds: index {}, length {len}",
                p[1].value - 1
            ));
        }
        if p[0].value > p[1].value {
            return fail(format!(
                "starting index {} is greater than ending index {}",
                p[0].value, p[1].value
            ));
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return fail("step must be > 0");
            }
            p[2].value as usize
        } else {
            1
        };
        let (a, b) = (p[0].value as usize, p[1].value as usize);
        for i in (a..b).step_by(step) {
            out.push(match value {
                Cow::Borrowed(Value::Array(arr)) => Cow::Borrowed(&arr[i]),
                _ => Cow::Owned(arr[i].clone()),
            });
        }
    }
    Ok(out)
}

/// Go text/template's eq/lt/...: both sides must be the same basic kind.
fn compare(l: &Value, r: &Value, op: &str) -> Result<bool, Error> {
    use std::cmp::Ordering;
    enum K<'v> {
        Int(i64),
        Float(f64),
        Str(&'v str),
        Bool(bool),
    }
    fn kind(v: &Value) -> Option<K<'_>> {
        match v {
            Value::Number(n) if n.is_f64() => n.as_f64().map(K::Float),
            Value::Number(n) => n.as_i64().map(K::Int),
            Value::String(s) => Some(K::Str(s)),
            Value::Bool(b) => Some(K::Bool(*b)),
            _ => None,
        }
    }
    let (Some(a), Some(b)) = (kind(l), kind(r)) else {
        return fail("invalid type for comparison");
    };
    let ord: Option<Ordering> = match (&a, &b) {
        (K::Int(x), K::Int(y)) => Some(x.cmp(y)),
        (K::Float(x), K::Float(y)) => x.partial_cmp(y),
        (K::Str(x), K::Str(y)) => Some(x.cmp(y)),
        (K::Bool(x), K::Bool(y)) => {
            return match op {
                "==" => Ok(x == y),
                "!=" => Ok(x != y),
                "<" | ">" | "<=" | ">=" => fail("invalid type for comparison"),
                other => fail(format!("unrecognized filter operator {other}")),
            }
        }
        _ => return fail("incompatible types for comparison"),
    };
    Ok(match op {
        "==" => ord == Some(Ordering::Equal),
        "!=" => ord != Some(Ordering::Equal),
        "<" => ord == Some(Ordering::Less),
        ">" => ord == Some(Ordering::Greater),
        "<=" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        ">=" => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        other => return fail(format!("unrecognized filter operator {other}")),
    })
}
