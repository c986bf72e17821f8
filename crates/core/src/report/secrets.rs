//! Secrets: values wrapped by `secret(v)`. The wrapper prints as `********`, and every
//! event, log line and error message passes through [`Secrets::redact`], so a secret that
//! was concatenated into a command or a message is still hidden wherever it is printed.

use std::fmt;
use std::sync::{Arc, RwLock};

/// What a secret looks like when printed.
pub const REDACTED: &str = "********";

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

/// Every secret value seen in this run.
#[derive(Clone, Default)]
pub struct Secrets(Arc<RwLock<Vec<Arc<str>>>>);

impl Secrets {
    /// Remember `value` as secret and return its wrapper. Every form the value can take on
    /// its way out is registered with it (see [`forms`]), so one `redact` covers them all.
    pub fn add(&self, value: &str) -> Secret {
        let value: Arc<str> = value.into();
        if !value.is_empty() {
            let mut all = self.0.write().unwrap_or_else(|e| e.into_inner());
            for form in forms(&value) {
                if !all.iter().any(|s| **s == *form) {
                    all.push(form.into());
                }
            }
            // Longest first, so a secret that contains another is hidden whole.
            all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        Secret(value)
    }

    /// `text` with every known secret, in every registered form, replaced by `********`.
    /// Redact before cutting text short: a cut can split a secret.
    pub fn redact(&self, text: &str) -> String {
        let all = self.0.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for s in all.iter() {
            if out.contains(&**s) {
                out = out.replace(&**s, REDACTED);
            }
        }
        out
    }
}

/// The forms a secret takes in output: as written; quoted for the shell (`'` becomes
/// `'\''`); escaped as JSON and as Rust/Rhai debug output (`"`, `\`, tabs, newlines,
/// unicode escapes); and each line of a multi-line secret (stderr tails and diffs show
/// lines). Derived forms shorter than 4 characters are left out, so redaction cannot eat
/// ordinary text.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    let strip = |s: String| s[1..s.len() - 1].to_string();
    let derived = [
        value.replace('\'', "'\\''"),
        strip(serde_json::to_string(value).unwrap_or_default()),
        strip(format!("{value:?}")),
    ];
    out.extend(derived);
    out.extend(value.lines().map(str::to_string));
    out.retain(|f| f == value || f.chars().count() >= 4);
    out.sort();
    out.dedup();
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
            "stderr: second line",                           // one line of it
        ] {
            let r = s.redact(shown);
            assert!(
                !r.contains("pass") && !r.contains("second line"),
                "{shown} -> {r}"
            );
        }
        // Short derived forms are not registered: "a" stays.
        let s = Secrets::default();
        s.add("x\ny");
        assert_eq!(s.redact("x and y"), "x and y");
        assert_eq!(s.redact("x\ny"), REDACTED);
    }

    #[test]
    fn redacts_longest_first() {
        let s = Secrets::default();
        s.add("abc");
        s.add("abcdef");
        assert_eq!(s.redact("x abcdef y abc"), "x ******** y ********");
        assert_eq!(format!("{}", s.add("pw")), REDACTED);
    }
}
