//! `ansible.cfg` as ansible-core 2.19 finds and reads it: the first of `$ANSIBLE_CONFIG`
//! (a folder means its `ansible.cfg`), `./ansible.cfg` (skipped, with a warning, when the
//! current folder is world-writable), `~/.ansible.cfg` and `/etc/ansible/ansible.cfg`
//! (`find_ini_config_file` in `lib/ansible/config/manager.py`), parsed as Python's
//! `configparser.ConfigParser(inline_comment_prefixes=(';',))` parses it and read raw (no
//! `%` interpolation), as the config manager reads values. What each setting means to rb is
//! the binary's concern (src/config/ansible.rs); here only the file.

use std::path::{Path, PathBuf};

/// One `key = value` of the file: the key lower-cased (configparser's `optionxform`), the
/// value stripped, continuation lines joined with `\n`, and the line it started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A parsed ansible.cfg: sections in file order, each with its entries in file order.
#[derive(Debug, Clone, Default)]
pub struct AnsibleCfg {
    pub path: PathBuf,
    pub sections: Vec<(String, Vec<Entry>)>,
}

/// Where ansible-core would look, and what it found.
#[derive(Debug, Default)]
pub struct Found {
    pub path: Option<PathBuf>,
    /// ansible-core's warning for an ansible.cfg skipped in a world-writable folder.
    pub warnings: Vec<String>,
}

/// The config file ansible-core would read, given the environment's `ANSIBLE_CONFIG` and
/// `HOME` and the current folder `cwd`.
pub fn find(ansible_config: Option<&str>, home: Option<&Path>, cwd: &Path) -> Found {
    use std::os::unix::fs::PermissionsExt;
    let mut candidates = Vec::new();
    let from_env = ansible_config.map(|p| {
        let p = expand_user(p, home);
        let p = if p.is_relative() { cwd.join(p) } else { p };
        if p.is_dir() {
            p.join("ansible.cfg")
        } else {
            p
        }
    });
    candidates.extend(from_env.clone());
    let here = cwd.join("ansible.cfg");
    let world_writable = std::fs::metadata(cwd).is_ok_and(|m| m.permissions().mode() & 0o002 != 0);
    if !world_writable {
        candidates.push(here.clone());
    }
    if let Some(h) = home {
        candidates.push(h.join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    // As ansible-core: the first that exists and can be read.
    let path = candidates
        .into_iter()
        .find(|p| std::fs::File::open(p).is_ok());
    let mut warnings = Vec::new();
    if world_writable && here.exists() && (from_env.is_none() || path != from_env) {
        warnings.push(format!(
            "Ansible is being run in a world writable directory ({}), ignoring it as an \
             ansible.cfg source (as ansible-core does; set ANSIBLE_CONFIG to use it)",
            cwd.display()
        ));
    }
    Found { path, warnings }
}

/// `~` and `~/...` as Python's `os.path.expanduser`.
pub fn expand_user(p: &str, home: Option<&Path>) -> PathBuf {
    match (p, home) {
        ("~", Some(h)) => h.to_path_buf(),
        (_, Some(h)) if p.starts_with("~/") => h.join(&p[2..]),
        _ => PathBuf::from(p),
    }
}

impl AnsibleCfg {
    /// Read and parse `path`. Errors say file:line and what configparser would say.
    pub fn load(path: &Path) -> Result<AnsibleCfg, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            format!(
                "{}: not UTF-8 text (ansible-core refuses it too: \"the config file was not utf8 encoded\")",
                path.display()
            )
        })?;
        Self::parse(path, &text)
    }

    /// Parse ansible.cfg text as configparser does (strict: a section or key given twice is
    /// an error, as it is for ansible-core).
    pub fn parse(path: &Path, text: &str) -> Result<AnsibleCfg, String> {
        let err = |line: usize, m: String| format!("{}:{line}: {m}", path.display());
        let mut cfg = AnsibleCfg {
            path: path.to_path_buf(),
            sections: Vec::new(),
        };
        // The entry a more-indented line continues, and that entry's indent.
        let mut open: Option<usize> = None;
        let mut open_indent = 0;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let indent = raw.len() - raw.trim_start().len();
            let stripped = raw.trim();
            // Whole-line comments: `#` or `;` first on the line.
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            let value = strip_inline_comment(raw).trim();
            if value.is_empty() {
                // A blank line inside a value ends nothing (empty_lines_in_values), but
                // trailing blank lines are dropped below.
                if let (Some(_), Some((_, entries))) = (open, cfg.sections.last_mut()) {
                    if let Some(e) = entries.last_mut() {
                        e.value.push('\n');
                    }
                }
                continue;
            }
            if let (Some(_), true) = (open, indent > open_indent) {
                let (_, entries) = cfg.sections.last_mut().expect("open entry has a section");
                let e = entries.last_mut().expect("open entry");
                e.value.push('\n');
                e.value.push_str(value);
                continue;
            }
            open = None;
            if let Some(name) = section_header(value) {
                if cfg.sections.iter().any(|(n, _)| n == name) {
                    return Err(err(
                        line,
                        format!(
                            "section [{name}] appears twice (configparser: DuplicateSectionError)"
                        ),
                    ));
                }
                cfg.sections.push((name.to_string(), Vec::new()));
                continue;
            }
            let Some((_, entries)) = cfg.sections.last_mut() else {
                return Err(err(
                    line,
                    format!("`{stripped}` comes before any [section] header (configparser: MissingSectionHeaderError)"),
                ));
            };
            let Some(at) = value.find(['=', ':']) else {
                return Err(err(
                    line,
                    format!("`{stripped}` is neither `key = value` nor a [section] (configparser: ParsingError)"),
                ));
            };
            let key = value[..at].trim().to_lowercase();
            if entries.iter().any(|e| e.key == key) {
                return Err(err(
                    line,
                    format!(
                        "`{key}` is set twice in one section (configparser: DuplicateOptionError)"
                    ),
                ));
            }
            entries.push(Entry {
                key,
                value: value[at + 1..].trim().to_string(),
                line,
            });
            open = Some(line);
            open_indent = indent;
        }
        for (_, entries) in &mut cfg.sections {
            for e in entries {
                let kept = e.value.trim_end_matches('\n').len();
                e.value.truncate(kept);
            }
        }
        Ok(cfg)
    }

    /// The entry `key` of `section`, or of `[DEFAULT]`, which configparser gives every
    /// section.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        let find = |s: &str| {
            self.sections
                .iter()
                .find(|(n, _)| n == s)
                .and_then(|(_, es)| es.iter().find(|e| e.key == key))
        };
        find(section).or_else(|| find("DEFAULT"))
    }

    /// `path:line`, for messages.
    pub fn at(&self, e: &Entry) -> String {
        format!("{}:{}", self.path.display(), e.line)
    }
}

/// `[name]`: configparser's `\[(?P<header>.+)\]` at the start of the line.
fn section_header(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// configparser's inline comments: a `;` that starts the line's text or follows
/// whitespace ends the value.
fn strip_inline_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b';' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Python's `ansible.module_utils.parsing.convert_bool.boolean`, strict: the words it
/// accepts, else None (rb refuses what ansible-core would silently read as false).
pub fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Some(true),
        "n" | "no" | "off" | "0" | "false" | "f" | "0.0" | "" => Some(false),
        _ => None,
    }
}

/// ansible-core's `unquote` for ini values: one pair of matching outer quotes removed.
pub fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AnsibleCfg, String> {
        AnsibleCfg::parse(Path::new("ansible.cfg"), text)
    }

    #[test]
    fn reads_as_configparser() {
        let cfg = parse(
            "# comment\n[defaults]\nInventory = inventory/hosts.ini ; a comment\n\
             remote_user: admin\nssh_args = -o A=1\n   -o B=2\n\n; another\n[ssh_connection]\n\
             pipelining=True\nx = a;b\n[DEFAULT]\nforks = 7\n",
        )
        .unwrap();
        let get = |s: &str, k: &str| cfg.get(s, k).map(|e| (e.value.clone(), e.line));
        assert_eq!(
            get("defaults", "inventory"),
            Some(("inventory/hosts.ini".into(), 3))
        );
        assert_eq!(get("defaults", "remote_user"), Some(("admin".into(), 4)));
        assert_eq!(
            get("defaults", "ssh_args"),
            Some(("-o A=1\n-o B=2".into(), 5))
        );
        assert_eq!(
            get("ssh_connection", "pipelining"),
            Some(("True".into(), 10))
        );
        assert_eq!(get("ssh_connection", "x"), Some(("a;b".into(), 11)));
        assert_eq!(get("ssh_connection", "forks"), Some(("7".into(), 13)));
        assert_eq!(get("defaults", "nothing"), None);
        let e = cfg.get("defaults", "remote_user").unwrap();
        assert_eq!(cfg.at(e), "ansible.cfg:4");
    }

    #[test]
    fn loads_a_file_and_names_it_in_errors() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("ansible.cfg");
        std::fs::write(&f, "[defaults]\nforks = 3\n").unwrap();
        let cfg = AnsibleCfg::load(&f).unwrap();
        assert_eq!(cfg.path, f);
        assert_eq!(cfg.get("defaults", "forks").unwrap().value, "3");
        std::fs::write(&f, b"[defaults]\nx = \xff\n").unwrap();
        assert!(AnsibleCfg::load(&f).unwrap_err().contains("not UTF-8"));
        let missing = d.path().join("none.cfg");
        assert!(AnsibleCfg::load(&missing)
            .unwrap_err()
            .contains("cannot read"));
    }

    #[test]
    fn refuses_what_configparser_refuses() {
        let e = parse("forks = 5\n").unwrap_err();
        assert!(
            e.starts_with("ansible.cfg:1: ") && e.contains("before any [section]"),
            "{e}"
        );
        let e = parse("[defaults]\nforks = 5\nforks = 6\n").unwrap_err();
        assert!(
            e.starts_with("ansible.cfg:3: ") && e.contains("set twice"),
            "{e}"
        );
        let e = parse("[a]\n[a]\n").unwrap_err();
        assert!(
            e.starts_with("ansible.cfg:2: ") && e.contains("appears twice"),
            "{e}"
        );
        // `[]` is no header (configparser's `\[(?P<header>.+)\]`), so no section opens.
        let e = parse("[]\nx = 1\n").unwrap_err();
        assert!(e.starts_with("ansible.cfg:1: "), "{e}");
        let e = parse("[a]\njust words\n").unwrap_err();
        assert!(
            e.starts_with("ansible.cfg:2: ") && e.contains("neither"),
            "{e}"
        );
    }

    #[test]
    fn booleans_and_quotes() {
        assert_eq!(boolean("False"), Some(false));
        assert_eq!(boolean("yes"), Some(true));
        assert_eq!(boolean("Flase"), None);
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("'x'"), "x");
        assert_eq!(unquote("\"x'"), "\"x'");
    }

    #[test]
    fn finds_as_ansible_core_does() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let home = d.path().join("home");
        let cwd = d.path().join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&cwd).unwrap();
        assert_eq!(
            find(None, Some(&home), &cwd).path,
            None.or_else(|| {
                Path::new("/etc/ansible/ansible.cfg")
                    .exists()
                    .then(|| "/etc/ansible/ansible.cfg".into())
            })
        );
        std::fs::write(home.join(".ansible.cfg"), "").unwrap();
        assert_eq!(
            find(None, Some(&home), &cwd).path,
            Some(home.join(".ansible.cfg"))
        );
        std::fs::write(cwd.join("ansible.cfg"), "").unwrap();
        assert_eq!(
            find(None, Some(&home), &cwd).path,
            Some(cwd.join("ansible.cfg"))
        );
        // ANSIBLE_CONFIG first; a folder means its ansible.cfg.
        let other = d.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("ansible.cfg"), "").unwrap();
        let f = find(Some(other.to_str().unwrap()), Some(&home), &cwd);
        assert_eq!(f.path, Some(other.join("ansible.cfg")));
        // A world-writable folder's ansible.cfg is skipped, with ansible-core's warning.
        std::fs::set_permissions(&cwd, std::fs::Permissions::from_mode(0o777)).unwrap();
        let f = find(None, Some(&home), &cwd);
        assert_eq!(f.path, Some(home.join(".ansible.cfg")));
        assert!(
            f.warnings[0].contains("world writable directory"),
            "{:?}",
            f.warnings
        );
    }
}
