//! Ansible Vault inside what this crate reads: `!vault` values in YAML, and whole files
//! encrypted with `ansible-vault encrypt` (inventories, group_vars/host_vars, `-e @file`).
//! The password is set for a scope ([`with_password`]) by whoever reads (the CLI around
//! loading the inventory and the variables); every decrypted text is collected there, so the
//! caller can treat each as a secret from the moment it was read.

use std::cell::RefCell;

struct State {
    password: Option<Vec<u8>>,
    /// `rb inventory`'s way: show `!vault` values as ansible-inventory prints them,
    /// `{"__ansible_vault": TEXT}`, without decrypting.
    show_encrypted: bool,
    /// Plaintexts decrypted in this scope (every string of a decrypted file).
    found: Vec<String>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Run `f` with `password` (None: none given) as the vault password of everything this
/// thread reads in it; return its result and the texts decrypted.
pub fn with_password<T>(password: Option<Vec<u8>>, f: impl FnOnce() -> T) -> (T, Vec<String>) {
    scoped(
        State {
            password,
            show_encrypted: false,
            found: Vec::new(),
        },
        f,
    )
}

/// Run `f` showing `!vault` values as ansible-inventory does (`{"__ansible_vault": TEXT}`),
/// never decrypting them.
pub fn showing_encrypted<T>(f: impl FnOnce() -> T) -> T {
    let state = State {
        password: None,
        show_encrypted: true,
        found: Vec::new(),
    };
    scoped(state, f).0
}

fn scoped<T>(state: State, f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let outer = STATE.with(|s| s.borrow_mut().replace(state));
    let out = f();
    let state = STATE.with(|s| std::mem::replace(&mut *s.borrow_mut(), outer));
    (out, state.map(|s| s.found).unwrap_or_default())
}

const NO_PASSWORD: &str = "encrypted with Ansible Vault, and no vault password was given: \
    give --vault-password-file FILE or --ask-vault-pass (or ansible.cfg's vault_password_file)";

/// An `!vault` value: its plaintext, or as ansible-inventory shows it.
pub(crate) fn value(text: &str) -> Result<serde_json::Value, String> {
    let show = STATE.with(|s| s.borrow().as_ref().is_some_and(|st| st.show_encrypted));
    if show {
        return Ok(serde_json::json!({ "__ansible_vault": text }));
    }
    decrypt(text).map(serde_json::Value::String)
}

/// The plaintext of an encrypted value or file, as text.
pub(crate) fn decrypt(text: &str) -> Result<String, String> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(state) = s.as_mut().filter(|st| st.password.is_some()) else {
            let showing = s.as_ref().is_some_and(|st| st.show_encrypted);
            return Err(if showing {
                "encrypted with Ansible Vault: rb shows only `!vault` values encrypted, not whole files".to_string()
            } else {
                NO_PASSWORD.to_string()
            });
        };
        let pw = state.password.as_deref().expect("checked");
        let plain = vault::decrypt(text, pw).map_err(|e| e.to_string())?;
        let plain = String::from_utf8(plain)
            .map_err(|_| "the decrypted value is not UTF-8 text".to_string())?;
        state.found.push(plain.clone());
        Ok(plain)
    })
}

/// Record every string inside a value read from an encrypted file as a secret.
pub(crate) fn found_in(v: &serde_json::Value) {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            walk(v, &mut state.found);
        }
    });
}

/// A whole file's text: decrypted when it is a vault file (its strings then recorded as
/// secrets by the caller through [`found_in`]).
pub(crate) fn open(text: String) -> Result<(String, bool), String> {
    if vault::is_vault(&text) {
        decrypt(&text).map(|t| (t, true))
    } else {
        Ok((text, false))
    }
}

/// A vault password from a file as ansible-core reads one: an executable file is run and
/// its output used; otherwise the file's text. Surrounding whitespace is dropped; an empty
/// password is an error.
pub fn read_password_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("the vault password file {shown} cannot be read: {e}"))?;
    if meta.is_dir() {
        return Err(format!("the vault password file {shown} is a folder"));
    }
    let bytes = if meta.permissions().mode() & 0o111 != 0 {
        let out = std::process::Command::new(path)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("the vault password script {shown} could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the vault password script {shown} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        out.stdout
    } else {
        std::fs::read(path)
            .map_err(|e| format!("the vault password file {shown} cannot be read: {e}"))?
    };
    let pw = bytes.trim_ascii().to_vec();
    if pw.is_empty() {
        return Err(format!("the vault password file {shown} is empty"));
    }
    Ok(pw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypts_only_inside_a_scope_with_a_password_and_collects_what_it_read() {
        let text = vault::encrypt(b"s3cret", b"pw", &[1; 32]);
        assert!(decrypt(&text)
            .unwrap_err()
            .contains("no vault password was given"));
        let (r, found) = with_password(Some(b"pw".to_vec()), || decrypt(&text));
        assert_eq!(r.unwrap(), "s3cret");
        assert_eq!(found, ["s3cret"]);
        let (r, found) = with_password(Some(b"other".to_vec()), || decrypt(&text));
        assert!(r.unwrap_err().contains("does not decrypt"));
        assert!(found.is_empty());
        let (_, found) = with_password(None, || found_in(&serde_json::json!({"a": ["x", 1]})));
        assert_eq!(found, ["x"]);
        // The scope ends: no password again.
        assert!(decrypt(&text).is_err());
        let shown = showing_encrypted(|| value(&text)).unwrap();
        assert_eq!(shown, serde_json::json!({ "__ansible_vault": text }));
        assert!(showing_encrypted(|| decrypt(&text))
            .unwrap_err()
            .contains("not whole files"));
    }

    #[test]
    fn password_files_and_scripts() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("pw");
        std::fs::write(&f, "  s3cret\n").unwrap();
        assert_eq!(read_password_file(&f).unwrap(), b"s3cret");
        let s = d.path().join("pw.sh");
        std::fs::write(&s, "#!/bin/sh\necho from-script\n").unwrap();
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read_password_file(&s).unwrap(), b"from-script");
        std::fs::write(&s, "#!/bin/sh\necho nope >&2; exit 3\n").unwrap();
        assert!(read_password_file(&s).unwrap_err().contains("failed"));
        std::fs::write(&f, "\n").unwrap();
        assert!(read_password_file(&f).unwrap_err().contains("is empty"));
        assert!(read_password_file(d.path())
            .unwrap_err()
            .contains("is a folder"));
        assert!(read_password_file(&d.path().join("none"))
            .unwrap_err()
            .contains("cannot be read"));
    }
}
