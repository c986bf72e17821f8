//! POSIX shell quoting: the one place commands built from data get their words quoted.

/// `s` quoted so that `sh` reads it back as exactly one word.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Why a key and value cannot be one env-file line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvLineError {
    /// The key is not a variable name.
    NotAName(String),
    /// The value holds a newline or a NUL byte (`what` says which), which one line cannot
    /// carry.
    NotOneLine { key: String, what: &'static str },
}

impl std::fmt::Display for EnvLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvLineError::NotAName(key) => write!(
                f,
                "{key:?} is not a variable name (letters, digits and _, not starting with a digit)"
            ),
            EnvLineError::NotOneLine { key, what } => write!(
                f,
                "the value of {key} holds {what}, which an env file cannot carry on one line"
            ),
        }
    }
}

impl std::error::Error for EnvLineError {}

/// `KEY="value"`, a line that `sh` (sourcing the file, as init scripts source
/// /etc/default files) and systemd's `EnvironmentFile=` both read back as exactly `value`.
/// Inside double quotes both give `\` a meaning only before `"`, `\`, `` ` `` and `$` (sh:
/// POSIX 2.2.3; systemd: src/basic/env-file.c, `parse_env_file_internal`), so exactly those
/// four are escaped. A bad name, a newline (the file is edited line by line) or a NUL (C
/// strings end there) is refused with the reason.
pub fn env_assignment(key: &str, value: &str) -> Result<String, EnvLineError> {
    if !super::is_env_name(key) {
        return Err(EnvLineError::NotAName(key.to_string()));
    }
    if value.contains(['\n', '\0']) {
        let what = if value.contains('\n') {
            "a newline"
        } else {
            "a NUL byte"
        };
        return Err(EnvLineError::NotOneLine {
            key: key.to_string(),
            what,
        });
    }
    let mut line = format!("{key}=\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`' | '$') {
            line.push('\\');
        }
        line.push(c);
    }
    line.push('"');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::{env_assignment, shell_quote, EnvLineError};

    #[test]
    fn quotes_what_the_shell_would_split_or_expand() {
        assert_eq!(shell_quote("eth0"), "eth0");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(reboot)"), "'$(reboot)'");
    }

    #[test]
    fn env_assignments_escape_exactly_the_four_characters() {
        assert_eq!(env_assignment("A", "plain").unwrap(), r#"A="plain""#);
        assert_eq!(
            env_assignment("A", r#"say "hi" $(x) `y` \z 'q'"#).unwrap(),
            r#"A="say \"hi\" \$(x) \`y\` \\z 'q'""#
        );
        assert_eq!(
            env_assignment("-S", "x").unwrap_err().to_string(),
            r#""-S" is not a variable name (letters, digits and _, not starting with a digit)"#
        );
        assert_eq!(
            env_assignment("A", "a\nb").unwrap_err().to_string(),
            "the value of A holds a newline, which an env file cannot carry on one line"
        );
        assert_eq!(
            env_assignment("A", "a\0b").unwrap_err(),
            EnvLineError::NotOneLine {
                key: "A".into(),
                what: "a NUL byte"
            }
        );
    }

    /// systemd's reading of one `KEY=...` line, after `parse_env_file_internal` in
    /// src/basic/env-file.c (systemd v254+): the states a double-quoted value goes through.
    fn systemd_env_value(line: &str) -> Option<(String, String)> {
        let (key, rest) = line.split_once('=')?;
        let mut chars = rest.chars();
        if chars.next()? != '"' {
            return None;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some((key.trim().to_string(), value)),
                '\\' => match chars.next()? {
                    e if "\"\\`$".contains(e) => value.push(e),
                    '\n' => {}
                    e => {
                        value.push('\\');
                        value.push(e);
                    }
                },
                c => value.push(c),
            }
        }
        None
    }

    proptest::proptest! {
        /// Round trip through the real consumers: `sh` sourcing the line, and systemd's
        /// parser, each read back the value exactly.
        #[test]
        fn env_assignments_round_trip_through_sh_and_systemd(
            value in "[^\n\x00]{0,40}",
            shellish in proptest::sample::select(vec![
                "$(touch /tmp/rb-pwned)", "`id`", "say \"hi\"", "a\\", "\\$HOME", "'", "${x:-y}",
            ]),
        ) {
            let value = format!("{value}{shellish}");
            let line = env_assignment("RB_V", &value).unwrap();
            proptest::prop_assert_eq!(systemd_env_value(&line), Some(("RB_V".to_string(), value.clone())));
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("env");
            std::fs::write(&f, format!("{line}\n")).unwrap();
            let out = std::process::Command::new("sh")
                .args(["-c", ". \"$1\"; printf %s \"$RB_V\"", "sh"])
                .arg(&f)
                .current_dir(dir.path())
                .output()
                .unwrap();
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out.stdout), value);
            proptest::prop_assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
