//! Secrets: values wrapped by `secret(v)`. The wrapper prints as `********`, and every
//! event, log line and error message passes through [`Secrets::redact`], so a secret that
//! was concatenated into a command or a message is still hidden wherever it is printed.

use std::fmt;
use std::sync::{Arc, RwLock};

/// What a secret looks like when printed.
pub const REDACTED: &str = "********";

/// Secrets shorter than this are matched only as whole words (see [`Secrets::redact`]):
/// masking every `ok` inside `looks` would hide ordinary text.
pub const MIN_SECRET_CHARS: usize = 4;

/// A value the runbook marked secret. Rhai sees it as type `Secret`.
#[derive(Clone)]
pub struct Secret(pub(crate) Arc<str>);

impl Secret {
    /// The real value, for passing to commands.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A string quoted as some output format writes it (Python's `repr` in a template, Go's
/// HTML-safe JSON from `kube_jsonpath`, ...), quotes included: the writer itself can serve.
/// The redaction registers what stands between the quotes. The crate that writes the
/// format hands its encoder to [`Secrets::with_encoders`], so the one redaction knows every
/// form a secret can leave in.
pub type Encoder = fn(&str) -> String;

/// The encoders rb-core knows itself: the shell's single quotes (`'` becomes `'\''`),
/// JSON as serde writes it (events, `--json`), and Rust's debug form.
const CORE_ENCODERS: [Encoder; 3] = [
    |v| format!("'{}'", v.replace('\'', "'\\''")),
    |v| serde_json::to_string(v).unwrap_or_default(),
    |v| format!("{v:?}"),
];

fn strip_quotes(s: &str) -> String {
    let mut c = s.chars();
    c.next();
    c.next_back();
    c.as_str().to_string()
}

fn json_body(v: &str) -> String {
    strip_quotes(&serde_json::to_string(v).unwrap_or_default())
}

#[derive(Default)]
struct Registry {
    /// Every registered form, longest first, so a secret that contains another is hidden whole.
    forms: Vec<Arc<str>>,
    /// Secrets shorter than [`MIN_SECRET_CHARS`]: hidden only where they stand as a word.
    short: Vec<Arc<str>>,
    /// How many secrets were added: the REPL keeps no history line that made one.
    added: usize,
}

/// Every secret value seen in this run.
#[derive(Clone, Default)]
pub struct Secrets {
    registry: Arc<RwLock<Registry>>,
    encoders: Arc<Vec<Encoder>>,
}

impl Secrets {
    /// Secrets that also know the forms `encoders` write (see [`Encoder`]).
    pub fn with_encoders(encoders: Vec<Encoder>) -> Self {
        Secrets {
            registry: Arc::default(),
            encoders: Arc::new(encoders),
        }
    }

    /// Remember `value` as secret and return its wrapper. Every form the value can take on
    /// its way out is registered with it (see [`Secrets::forms`]), so one `redact` covers
    /// them all. A value shorter than [`MIN_SECRET_CHARS`] is hidden only as a whole word.
    pub fn add(&self, value: &str) -> Secret {
        let value: Arc<str> = value.into();
        let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
        reg.added += 1;
        if value.chars().count() < MIN_SECRET_CHARS {
            if !value.is_empty() && !reg.short.contains(&value) {
                reg.short.push(value.clone());
            }
        } else {
            for form in self.forms(&value) {
                if !reg.forms.iter().any(|s| **s == *form) {
                    reg.forms.push(form.into());
                }
            }
            reg.forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        Secret(value)
    }

    /// How many secrets were added so far (each `add` counts).
    pub fn added(&self) -> usize {
        self.registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .added
    }

    /// `text` with every known secret, in every registered form, replaced by `********`.
    /// Redact before cutting text short: a cut can split a secret.
    pub fn redact(&self, text: &str) -> String {
        let reg = self.registry.read().unwrap_or_else(|e| e.into_inner());
        // Every way out passes here: a variable that could not be rendered shows why.
        let mut out = super::show_unrendered(text).into_owned();
        for s in reg.forms.iter() {
            if out.contains(&**s) {
                out = out.replace(&**s, REDACTED);
            }
        }
        for s in reg.short.iter() {
            if out.contains(&**s) {
                out = replace_words(&out, s);
            }
        }
        out
    }

    /// The forms a secret takes in output: as written; each encoder's form (core's and
    /// the ones given at construction); each of those once more as JSON (an event carrying
    /// an escaped text is escaped again in `--json`); and each line of a multi-line form
    /// (stderr tails and diffs show lines). Derived forms shorter than 4 characters are
    /// left out, so redaction cannot eat ordinary text.
    fn forms(&self, value: &str) -> Vec<String> {
        let mut out = vec![value.to_string()];
        for enc in CORE_ENCODERS.iter().chain(self.encoders.iter()) {
            let form = strip_quotes(&enc(value));
            out.push(json_body(&form));
            out.push(form);
        }
        let lines: Vec<String> = out
            .iter()
            .flat_map(|f| f.lines().map(str::to_string))
            .collect();
        out.extend(lines);
        out.retain(|f| f == value || f.chars().count() >= MIN_SECRET_CHARS);
        out.sort();
        out.dedup();
        out
    }
}

/// `text` with each occurrence of `word` that no letter, digit or `_` touches replaced.
fn replace_words(text: &str, word: &str) -> String {
    let wordish = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (i, _) in text.match_indices(word) {
        let end = i + word.len();
        if wordish(text[..i].chars().next_back()) || wordish(text[end..].chars().next()) {
            continue;
        }
        out.push_str(&text[done..i]);
        out.push_str(REDACTED);
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_redacted() {
        let s = Secrets::default();
        s.add("it's a \"pass\"\tword\nsecond line");
        for shown in [
            "echo 'it'\\''s a \"pass\"\tword\nsecond line'", // shell-quoted
            r#"{"p":"it's a \"pass\"\tword\nsecond line"}"#, // JSON
            r#"{"cmd":"login it's a \"pass\"\tword\nsecond line --force"}"#, // inside JSON
            r#"{"msg":"{\"p\":\"it's a \\\"pass\\\"\\tword\\nsecond line\"}"}"#, // JSON in JSON
            "stderr: second line",                           // one line of it
        ] {
            let r = s.redact(shown);
            assert!(
                !r.contains("pass") && !r.contains("second line"),
                "{shown} -> {r}"
            );
        }
        // Short derived forms are not registered: "x" stays.
        let s = Secrets::default();
        s.add("x\nyyyy");
        assert_eq!(s.redact("x and yyyy"), "x and ********");
        assert_eq!(s.redact("x\nyyyy"), REDACTED);
    }

    /// A format's own encoder adds its form: here one that doubles quotes, as YAML's
    /// single-quoted style does.
    #[test]
    fn encoders_given_add_their_forms() {
        let plain = Secrets::default();
        plain.add("it's-secret");
        assert_eq!(plain.redact("'it''s-secret'"), "'it''s-secret'");
        let s = Secrets::with_encoders(vec![|v| format!("'{}'", v.replace('\'', "''"))]);
        s.add("it's-secret");
        assert_eq!(s.redact("'it''s-secret'"), format!("'{REDACTED}'"));
    }

    #[test]
    fn redacts_longest_first() {
        let s = Secrets::default();
        s.add("abcd");
        s.add("abcdef");
        assert_eq!(s.redact("x abcdef y abcd"), "x ******** y ********");
        assert_eq!(format!("{}", s.add("pw")), REDACTED);
        assert_eq!(s.added(), 3);
    }

    /// Four characters is long enough to be hidden everywhere, inside words too.
    #[test]
    fn four_characters_are_hidden_everywhere() {
        let s = Secrets::default();
        s.add("abcd");
        assert_eq!(s.redact("xabcdx"), "x********x");
    }

    /// A secret of 1–3 characters is hidden where it stands alone, never inside a word.
    #[test]
    fn short_secrets_are_hidden_only_as_words() {
        let s = Secrets::default();
        s.add("ok");
        assert_eq!(s.redact("looks ok"), "looks ********");
        assert_eq!(s.redact("ok,ok okay _ok"), "********,******** okay _ok");
        assert_eq!(s.redact("pw=ok\n"), "pw=********\n");
        s.add("");
        assert_eq!(s.redact("a  b"), "a  b", "an empty secret hides nothing");
    }
}
