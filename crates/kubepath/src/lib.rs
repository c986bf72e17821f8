//! kubectl's JSONPath templates (`kubectl get -o jsonpath=...`): `{range}`/`{end}`, quoted
//! literals, filters, `..`, `[*]`, unions and slices, printed byte for byte as kubectl
//! prints them (Go's value formatting included). A port of client-go's template engine;
//! maps are walked in sorted key order where kubectl uses Go's random map order.
//!
//! ```
//! let nodes = serde_json::json!({"items": [
//!     {"metadata": {"name": "w1"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}},
//!     {"metadata": {"name": "w2"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.2"}]}}
//! ]});
//! let out = kubepath::render(
//!     r#"{range .items[*]}{.metadata.name}{"\t"}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}"#,
//!     &nodes,
//! ).unwrap();
//! assert_eq!(out, "w1\t10.0.0.1\nw2\t10.0.0.2\n");
//! ```

mod eval;
mod gofmt;
mod parse;

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Why a template could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The template does not parse; `col` is 1-based, in characters of the template.
    Parse { msg: String, col: usize },
    /// The template parsed but could not be applied to this document.
    Exec(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse { msg, col } => {
                write!(
                    f,
                    "invalid kubectl JSONPath template at column {col}: {msg}"
                )
            }
            Error::Exec(msg) => write!(f, "kubectl JSONPath template failed: {msg}"),
        }
    }
}

/// A parsed template, reusable across documents.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parse a template once to render it against many documents.
    pub fn parse(text: &str) -> Result<Template, Error> {
        check_nesting(text)?;
        Ok(Template {
            nodes: parse::parse(text)?,
        })
    }

    /// Apply the template to `doc`, returning what kubectl would print.
    pub fn render(&self, doc: &Value) -> Result<String, Error> {
        let results = eval::Eval::new(&self.nodes).find_results(0, Cow::Borrowed(doc))?;
        let mut out = String::new();
        for list in results {
            for (i, v) in list.iter().enumerate() {
                gofmt::print_value(v, &mut out);
                if i + 1 != list.len() {
                    out.push(' ');
                }
            }
        }
        Ok(out)
    }
}

/// How deep ranges, brackets and parentheses may nest: far past any real template, and
/// shallow enough that parsing and evaluating (both recursive) cannot exhaust the stack.
pub const MAX_NESTING: usize = 100;

/// Refuse templates nested deeper than [`MAX_NESTING`], before the recursive parser sees them.
fn check_nesting(text: &str) -> Result<(), Error> {
    let (mut ranges, mut brackets) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => brackets += 1,
            (None, ']' | ')') => brackets = brackets.saturating_sub(1),
            (None, '{') if text[i..].starts_with("{range") => ranges += 1,
            (None, '{') if text[i..].starts_with("{end}") => ranges = ranges.saturating_sub(1),
            _ => {}
        }
        if ranges > MAX_NESTING || brackets > MAX_NESTING {
            return Err(Error::Parse {
                msg: format!("nested more than {MAX_NESTING} deep"),
                col: text[..i].chars().count() + 1,
            });
        }
    }
    Ok(())
}

/// `s` as Go's `json.Marshal` writes a string, quotes included: HTML-safe (`<` is
/// `\u003c`, `&` is `\u0026`, U+2028 is `\u2028`), as kubectl prints maps and lists.
pub fn go_json_string(s: &str) -> String {
    let mut out = String::new();
    gofmt::json_string(s, &mut out);
    out
}

/// Parse `template` and apply it to `doc`.
pub fn render(template: &str, doc: &Value) -> Result<String, Error> {
    Template::parse(template)?.render(doc)
}

#[cfg(test)]
mod tests {
    use super::{go_json_string, render, Error};

    /// One string as kubectl prints it inside a list or map: Go's HTML-safe escapes.
    #[test]
    fn go_json_string_is_html_safe() {
        assert_eq!(
            go_json_string("a<b>&\u{2028}\"\\\n"),
            r#""a\u003cb\u003e\u0026\u2028\"\\\n""#
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let doc = serde_json::json!({"items": []});
        let deep = format!(
            "{}{}",
            "{range .items[*]}".repeat(6000),
            "{end}".repeat(6000)
        );
        let e = render(&deep, &doc).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e}");
        assert!(e.to_string().contains("nested more than 100 deep"), "{e}");
        let brackets = format!("{{.a{}{}}}", "[?(@.b".repeat(3000), ")]".repeat(3000));
        assert!(render(&brackets, &doc).is_err());
        // Ordinary nesting still works.
        let ok = "{range .items[*]}{range .x[*]}{.}{end}{end}";
        assert_eq!(render(ok, &doc).unwrap(), "");
    }

    /// The limit exactly: 100 deep passes the check, 101 does not, for ranges and for each
    /// bracket kind; brackets in quotes and closed ranges do not count.
    #[test]
    fn nesting_limit_is_exact() {
        use super::{check_nesting, MAX_NESTING};
        let n = MAX_NESTING;
        let ranges = |k: usize| format!("{}{}", "{range .a[*]}".repeat(k), "{end}".repeat(k));
        assert!(check_nesting(&ranges(n)).is_ok());
        let e = check_nesting(&ranges(n + 1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid kubectl JSONPath template at column {}: nested more than 100 deep",
                13 * n + 1
            )
        );
        for (open, close) in [("[", "]"), ("(", ")")] {
            let b = |k: usize| format!("{{.a{}{}}}", open.repeat(k), close.repeat(k));
            assert!(check_nesting(&b(n)).is_ok(), "{open}");
            assert!(check_nesting(&b(n + 1)).is_err(), "{open}");
        }
        // Closed ranges one after another, and brackets inside quotes, never add up.
        let siblings = "{range .a[*]}{end}".repeat(3 * n);
        assert!(check_nesting(&siblings).is_ok());
        let siblings = "{.a[0]}".repeat(3 * n);
        assert!(check_nesting(&siblings).is_ok());
        for q in ['"', '\''] {
            let quoted = format!("{{.a[?(@.b=={q}{}{q})]}}", "[(".repeat(3 * n));
            assert!(check_nesting(&quoted).is_ok(), "{quoted}");
        }
        // Only `{range` opens and only `{end}` closes: other actions in a range body do not
        // close it.
        let bodies = format!(
            "{}{}",
            "{range .a[*]}{.x}".repeat(n + 1),
            "{end}".repeat(n + 1)
        );
        assert!(check_nesting(&bodies).is_err());
        // A closing bracket inside quotes does not close, either.
        let open = format!("{{.a{}{}}}", "[\"]\"".repeat(n + 1), "]".repeat(n + 1));
        assert!(check_nesting(&open).is_err());
    }

    /// Parse errors name the column (1-based, in characters) where the template went wrong.
    #[test]
    fn parse_errors_name_the_column() {
        let doc = serde_json::json!({});
        for (t, want) in [
            (
                "{.items[",
                "invalid kubectl JSONPath template at column 9: unterminated array",
            ),
            (
                "{.items[0].metadata.name",
                "invalid kubectl JSONPath template at column 25: unclosed action",
            ),
            // At the end, where the `)]` was expected; é is one column, not two bytes.
            (
                "é{.a[?(@.b}",
                "invalid kubectl JSONPath template at column 12: unterminated filter",
            ),
        ] {
            assert_eq!(render(t, &doc).unwrap_err().to_string(), want, "{t}");
        }
    }

    /// Found by cargo-fuzz (fuzz/seeds/kube_jsonpath/unclosed): each `{range}` without its
    /// `{end}` walks the rest of the template again, so 40 of them ask for 2^40 passes. An
    /// error within seconds, not a hang.
    #[test]
    fn unclosed_ranges_are_an_error_not_a_hang() {
        let doc = serde_json::json!({"items": []});
        let started = std::time::Instant::now();
        let e = render(&"{range .items[*]}".repeat(40), &doc).unwrap_err();
        assert!(e.to_string().contains("more than 10000000 steps"), "{e}");
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
        // A few unclosed ranges are still ordinary work, as in kubectl.
        assert_eq!(render(&"{range .items[*]}".repeat(5), &doc).unwrap(), "");
    }
}
