//! Ansible Vault, as ansible-core 2.19 reads it (`lib/ansible/parsing/vault/__init__.py`,
//! `VaultAES256`): a `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;LABEL`) header, then hex
//! of `hex(salt) \n hex(hmac) \n hex(ciphertext)`. Keys from PBKDF2-HMAC-SHA256 (10,000
//! rounds, 80 bytes: the AES-256 key, the HMAC-SHA256 key, the CTR counter's start); the
//! HMAC is checked before anything is decrypted; the plaintext is PKCS#7-padded. Only
//! decryption (and, for tests, encryption): no crypto of our own, the RustCrypto crates'.
//!
//! ```
//! let text = vault::encrypt(b"hunter2", b"pw", &[7; 32]);
//! assert!(vault::is_vault(&text));
//! assert_eq!(vault::decrypt(&text, b"pw").unwrap(), b"hunter2");
//! assert!(matches!(vault::decrypt(&text, b"nope"), Err(vault::Error::WrongPassword)));
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

const HEADER: &str = "$ANSIBLE_VAULT";
const ROUNDS: u32 = 10_000;

/// Why a vault text could not be read. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not an Ansible Vault text (it does not start with `$ANSIBLE_VAULT;`)")]
    NotVault,
    #[error("unsupported vault header `{0}`: rb reads `$ANSIBLE_VAULT;1.1;AES256` and `1.2;AES256;LABEL`")]
    Header(String),
    #[error("the vault text is damaged ({0}); re-encrypt it with ansible-vault")]
    Damaged(&'static str),
    #[error("the vault password does not decrypt it (wrong password, or another vault id's)")]
    WrongPassword,
}

/// Whether `text` is a vault text (ansible-core's `is_encrypted`).
pub fn is_vault(text: &str) -> bool {
    text.trim_start().starts_with(&format!("{HEADER};"))
}

/// The plaintext of a vault text, with `password` (a password file's first line, without
/// its newline, as ansible-core strips it).
pub fn decrypt(text: &str, password: &[u8]) -> Result<Vec<u8>, Error> {
    let text = text.trim();
    let (header, body) = text.split_once('\n').unwrap_or((text, ""));
    let fields: Vec<&str> = header.trim().split(';').collect();
    match fields.as_slice() {
        [HEADER, "1.1", cipher] | [HEADER, "1.2", cipher, _] if cipher.trim() == "AES256" => {}
        [HEADER, ..] => return Err(Error::Header(header.trim().to_string())),
        _ => return Err(Error::NotVault),
    }
    let hexed: String = body.split_whitespace().collect();
    let inner = hex::decode(hexed).map_err(|_| Error::Damaged("its body is not hex"))?;
    let inner = String::from_utf8(inner).map_err(|_| Error::Damaged("its envelope is not text"))?;
    let mut parts = inner.split('\n');
    let (Some(salt), Some(mac), Some(cipher), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Damaged("its envelope has not three parts"));
    };
    let unhex = |s: &str| hex::decode(s.trim()).map_err(|_| Error::Damaged("a part is not hex"));
    let (salt, mac, mut data) = (unhex(salt)?, unhex(mac)?, unhex(cipher)?);
    let (key, mac_key, iv) = keys(password, &salt);
    let mut check = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).expect("any key length");
    check.update(&data);
    check.verify_slice(&mac).map_err(|_| Error::WrongPassword)?;
    use aes::cipher::{KeyIvInit, StreamCipher};
    Aes256Ctr::new(&key.into(), &iv.into()).apply_keystream(&mut data);
    let pad = usize::from(*data.last().ok_or(Error::Damaged("it holds no data"))?);
    if pad == 0
        || pad > 16
        || pad > data.len()
        || !data[data.len() - pad..]
            .iter()
            .all(|&b| usize::from(b) == pad)
    {
        return Err(Error::Damaged("its padding is wrong"));
    }
    data.truncate(data.len() - pad);
    Ok(data)
}

/// A vault text of `plaintext` (format 1.1), with the given salt: what `ansible-vault
/// encrypt` writes, lines of 80 hex digits. For tests and fixtures.
pub fn encrypt(plaintext: &[u8], password: &[u8], salt: &[u8; 32]) -> String {
    use aes::cipher::{KeyIvInit, StreamCipher};
    let (key, mac_key, iv) = keys(password, salt);
    let pad = 16 - plaintext.len() % 16;
    let mut data = plaintext.to_vec();
    data.extend(std::iter::repeat_n(pad as u8, pad));
    Aes256Ctr::new(&key.into(), &iv.into()).apply_keystream(&mut data);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).expect("any key length");
    mac.update(&data);
    let inner = format!(
        "{}\n{}\n{}",
        hex::encode(salt),
        hex::encode(mac.finalize().into_bytes()),
        hex::encode(&data)
    );
    let body = hex::encode(inner);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(80)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect();
    format!("{HEADER};1.1;AES256\n{}\n", lines.join("\n"))
}

/// PBKDF2-HMAC-SHA256 → (AES key, HMAC key, CTR start), as `VaultAES256._gen_key_initctr`.
fn keys(password: &[u8], salt: &[u8]) -> ([u8; 32], [u8; 32], [u8; 16]) {
    let mut out = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut out);
    let mut key = [0u8; 32];
    let mut mac = [0u8; 32];
    let mut iv = [0u8; 16];
    key.copy_from_slice(&out[..32]);
    mac.copy_from_slice(&out[32..64]);
    iv.copy_from_slice(&out[64..]);
    (key, mac, iv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
    }

    fn password() -> Vec<u8> {
        data("password").trim_end().as_bytes().to_vec()
    }

    /// Texts ansible-vault 2.19 wrote (tests/data/README.md).
    #[test]
    fn decrypts_what_ansible_vault_wrote() {
        let whole = decrypt(&data("whole.yml"), &password()).unwrap();
        assert_eq!(
            String::from_utf8(whole).unwrap(),
            "etcd_token: vault-value-123\ndb_pw: \"hunter22\"\n"
        );
        for (file, want) in [
            ("string.yml", "k8s-join-token-abc"),
            ("labelled.yml", "labelled"),
        ] {
            let text = data(file);
            let body: String = text
                .lines()
                .skip(1)
                .map(|l| format!("{}\n", l.trim()))
                .collect();
            assert_eq!(
                decrypt(&body, &password()).unwrap(),
                want.as_bytes(),
                "{file}"
            );
        }
    }

    #[test]
    fn refuses_wrong_passwords_and_damage() {
        let text = data("whole.yml");
        assert_eq!(decrypt(&text, b"wrong"), Err(Error::WrongPassword));
        assert_eq!(decrypt("hello", b"x"), Err(Error::NotVault));
        assert!(matches!(
            decrypt("$ANSIBLE_VAULT;1.0;AES\n00", b"x"),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            decrypt("$ANSIBLE_VAULT;1.1;AES256\nzz", b"x"),
            Err(Error::Damaged(_))
        ));
        // One hex digit of the ciphertext changed: the HMAC no longer matches.
        let mut damaged = text.clone().into_bytes();
        let at = damaged.len() - 3;
        damaged[at] = if damaged[at] == b'0' { b'1' } else { b'0' };
        assert!(decrypt(std::str::from_utf8(&damaged).unwrap(), &password()).is_err());
        assert!(is_vault("  $ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(!is_vault("$ANSIBLE_VAULTX"));
    }

    #[test]
    fn round_trips_every_length() {
        for n in [0, 1, 15, 16, 17, 31, 32, 33] {
            let plain: Vec<u8> = (0..n as u8).collect();
            let text = encrypt(&plain, b"pw", &[n as u8; 32]);
            assert_eq!(decrypt(&text, b"pw").unwrap(), plain, "{n}");
        }
    }
}
