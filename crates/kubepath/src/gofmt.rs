//! Printing values the way kubectl (Go) does: `fmt.Fprint` for scalars, `json.Marshal`
//! for maps and arrays.

use serde_json::Value;

/// Go's `strconv.FormatFloat(f, 'e', -1, 64)` mantissa digits and decimal exponent.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` is the shortest round-trip representation, like Go's -1 precision.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    (mant.replace('.', ""), exp.parse().unwrap_or(0))
}

fn exp_form(neg: bool, digits: &str, exp: i32, min_exp_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:0w$}", exp.abs(), w = min_exp_digits));
    out
}

fn plain_form(neg: bool, digits: &str, exp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-point) as usize));
        out.push_str(digits);
    } else if point as usize >= digits.len() {
        out.push_str(digits);
        out.push_str(&"0".repeat(point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// `fmt.Fprint(float64)`: `%g` with the shortest precision, which switches to exponent
/// form when the exponent is < -4 or >= 6 (kubectl prints 1234567.5 as 1.2345675e+06).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (digits, exp) = shortest_digits(f);
    if !(-4..6).contains(&exp) {
        exp_form(f < 0.0, &digits, exp, 2)
    } else {
        plain_form(f < 0.0, &digits, exp)
    }
}

/// `json.Marshal(float64)`: plain unless < 1e-6 or >= 1e21, then `1e-07` cleaned to `1e-7`.
fn json_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (digits, exp) = shortest_digits(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        exp_form(f < 0.0, &digits, exp, 1)
    } else {
        plain_form(f < 0.0, &digits, exp)
    }
}

pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `json.Marshal`: sorted keys, no spaces, HTML-safe escapes.
pub fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => out.push_str(&i.to_string()),
            _ => out.push_str(&json_float(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in sorted(m).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                go_json(x, out);
            }
            out.push('}');
        }
    }
}

/// A map's entries by key, as Go walks and prints maps (whatever order the JSON map keeps).
pub(crate) fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// One result as kubectl prints it.
pub fn print_value(v: &Value, out: &mut String) {
    match v {
        Value::Object(_) | Value::Array(_) => go_json(v, out),
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => out.push_str(&i.to_string()),
            _ => out.push_str(&go_float(n.as_f64().unwrap_or(0.0))),
        },
        Value::Null => out.push_str("null"),
    }
}

/// Go's `%v` of a value, for error messages.
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<invalid reflect.Value>".into(),
        Value::Object(m) => format!(
            "map[{}]",
            sorted(m)
                .into_iter()
                .map(|(k, x)| format!("{k}:{}", go_value(x)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => {
            let mut s = String::new();
            print_value(other, &mut s);
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1234567.5), "1.2345675e+06");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e-7), "1e-7");
        assert_eq!(json_float(1234567.5), "1234567.5");
    }

    #[test]
    fn json_is_html_safe_and_sorted() {
        let v: Value = serde_json::from_str(r#"{"b":"<&>","a":[1,2.5]}"#).unwrap();
        let mut s = String::new();
        go_json(&v, &mut s);
        assert_eq!(s, r#"{"a":[1,2.5],"b":"\u003c\u0026\u003e"}"#);
    }
}
