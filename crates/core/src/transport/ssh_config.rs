//! Just enough of ssh_config(5) to answer one question cheaply: could the user's config give
//! a host a `ControlPath`? Only then is it worth asking `ssh -G` (a process per host) whether
//! the user already has a master open that rb can ride on. Any doubt answers yes.

use std::path::{Path, PathBuf};

/// ssh's own limit on nested `Include`s.
const MAX_DEPTH: usize = 16;

/// Does any config file ssh would read (`-F FILE` alone, else the user's and the system's,
/// following `Include`) mention `ControlPath`?
pub fn may_set_control_path(config: Option<&Path>) -> bool {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let user_dir = home.as_ref().map(|h| h.join(".ssh"));
    match config {
        // `-F` replaces both the user's and the system-wide file.
        Some(f) => file_mentions(f, user_dir.as_deref(), home.as_deref(), 0),
        None => {
            let user = user_dir
                .as_ref()
                .map(|d| file_mentions(&d.join("config"), Some(d), home.as_deref(), 0))
                .unwrap_or(false);
            user || file_mentions(
                Path::new("/etc/ssh/ssh_config"),
                Some(Path::new("/etc/ssh")),
                home.as_deref(),
                0,
            )
        }
    }
}

/// `base`: where relative `Include` paths resolve (~/.ssh for user files, /etc/ssh for
/// system files).
fn file_mentions(path: &Path, base: Option<&Path>, home: Option<&Path>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        // Missing files are skipped by ssh too; unreadable ones are ssh's to report.
        return path.exists();
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let (key, rest) = line
            .split_once(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or((line, ""));
        if key.eq_ignore_ascii_case("controlpath") {
            return true;
        }
        if key.eq_ignore_ascii_case("include") {
            for arg in rest.trim_start_matches(['=', ' ', '\t']).split_whitespace() {
                let arg = arg.trim_matches('"');
                let p = match (arg.strip_prefix("~/"), home, base) {
                    (Some(r), Some(h), _) => h.join(r),
                    (None, _, _) if arg.starts_with('/') => PathBuf::from(arg),
                    (None, _, Some(b)) => b.join(arg),
                    _ => return true,
                };
                if expand(&p)
                    .map(|files| {
                        files
                            .iter()
                            .any(|f| file_mentions(f, base, home, depth + 1))
                    })
                    .unwrap_or(true)
                {
                    return true;
                }
            }
        }
    }
    false
}

/// The files an `Include` pattern names (globs in the last component only); `None` when
/// the pattern is beyond this reader.
fn expand(p: &Path) -> Option<Vec<PathBuf>> {
    let name = p.file_name()?.to_str()?;
    let dir = p.parent()?;
    if dir.to_str()?.contains(['*', '?', '[']) {
        return None;
    }
    if !name.contains(['*', '?', '[']) {
        return Some(vec![p.to_path_buf()]);
    }
    if name.contains('[') {
        return None;
    }
    let pattern = wildmatch::WildMatch::new(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Some(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| pattern.matches(n)))
        .map(|e| e.path())
        .collect();
    files.sort();
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn control_path_found_directly_and_through_includes() {
        let d = tempfile::tempdir().unwrap();
        let plain = write(
            d.path(),
            "plain",
            "Host a\n    HostName 10.0.0.1\n# ControlPath x\n",
        );
        assert!(!may_set_control_path(Some(&plain)));
        let direct = write(d.path(), "direct", "Host *\n  controlpath=~/.ssh/cm-%C\n");
        assert!(may_set_control_path(Some(&direct)));
        std::fs::create_dir(d.path().join("conf.d")).unwrap();
        write(
            &d.path().join("conf.d"),
            "a.conf",
            "Host *\n  ServerAliveInterval 5\n",
        );
        let inc = write(
            d.path(),
            "inc",
            &format!("Include {}/conf.d/*.conf\n", d.path().display()),
        );
        assert!(!may_set_control_path(Some(&inc)));
        write(
            &d.path().join("conf.d"),
            "b.conf",
            "Host b\n  ControlPath /tmp/x\n",
        );
        assert!(may_set_control_path(Some(&inc)));
    }

    #[test]
    fn missing_config_sets_nothing() {
        assert!(!may_set_control_path(Some(Path::new(
            "/nonexistent/rb/config"
        ))));
    }
}
