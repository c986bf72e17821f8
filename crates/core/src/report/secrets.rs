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
    /// Remember `value` as secret and return its wrapper.
    pub fn add(&self, value: &str) -> Secret {
        let value: Arc<str> = value.into();
        if !value.is_empty() {
            let mut all = self.0.write().unwrap_or_else(|e| e.into_inner());
            if !all.iter().any(|s| **s == *value) {
                all.push(value.clone());
                // Longest first, so a secret that contains another is hidden whole.
                all.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
        Secret(value)
    }

    /// `text` with every known secret replaced by `********`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_longest_first() {
        let s = Secrets::default();
        s.add("abc");
        s.add("abcdef");
        assert_eq!(s.redact("x abcdef y abc"), "x ******** y ********");
        assert_eq!(format!("{}", s.add("pw")), REDACTED);
    }
}
