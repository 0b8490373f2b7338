//! Secrets stored at rest (LLM connection keys and extra headers): AES-256-GCM under the
//! instance's `ENCRYPTION_KEY` (32 bytes), a random 12-byte nonce per value, stored as Langfuse
//! stores them: `hex(nonce):hex(ciphertext):hex(tag)`, so a database moved from Langfuse (or to
//! it) keeps its secrets readable under the same key.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// The instance's cipher for secrets at rest.
#[derive(Clone)]
pub struct Cipher(Aes256Gcm);

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(<redacted>)")
    }
}

/// A stored secret that does not decrypt: another key, or a damaged value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored secret does not decrypt with this ENCRYPTION_KEY")]
pub struct Undecryptable;

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Cipher {
        Cipher(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)))
    }

    /// `hex(nonce):hex(ciphertext):hex(tag)` of `plain`.
    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encrypts any length a string can have");
        let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG_BYTES);
        format!(
            "{}:{}:{}",
            hex::encode(nonce),
            hex::encode(ciphertext),
            hex::encode(tag)
        )
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, Undecryptable> {
        let mut parts = stored.split(':');
        let (Some(nonce), Some(ciphertext), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Undecryptable);
        };
        let nonce = hex::decode(nonce).map_err(|_| Undecryptable)?;
        if nonce.len() != NONCE_BYTES {
            return Err(Undecryptable);
        }
        let mut sealed = hex::decode(ciphertext).map_err(|_| Undecryptable)?;
        sealed.extend(hex::decode(tag).map_err(|_| Undecryptable)?);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(&nonce), sealed.as_slice())
            .map_err(|_| Undecryptable)?;
        String::from_utf8(plain).map_err(|_| Undecryptable)
    }
}

/// How a secret is shown: `...` and its last four characters (of the value inside a JSON
/// object's last string, for JSON credentials), as Langfuse's `displaySecretKey`.
pub fn masked(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = if secret.ends_with("\"}") && chars.len() >= 6 {
        chars[chars.len() - 6..chars.len() - 2].iter().collect()
    } else {
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    format!("...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_in_langfuse_format() {
        let cipher = Cipher::new(&[7u8; 32]);
        let stored = cipher.encrypt("sk-test-1234");
        let parts: Vec<&str> = stored.split(':').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].len(), 24, "a 12-byte nonce");
        assert_eq!(parts[1].len(), 24, "as long as the plain text");
        assert_eq!(parts[2].len(), 32, "a 16-byte tag");
        assert!(!stored.contains("sk-test"));
        assert_eq!(cipher.decrypt(&stored).unwrap(), "sk-test-1234");
        assert_ne!(
            cipher.encrypt("sk-test-1234"),
            stored,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn another_key_or_a_damaged_value_does_not_decrypt() {
        let stored = Cipher::new(&[7u8; 32]).encrypt("secret");
        assert_eq!(Cipher::new(&[8u8; 32]).decrypt(&stored), Err(Undecryptable));
        let cipher = Cipher::new(&[7u8; 32]);
        let mut damaged = stored.clone();
        damaged.replace_range(30..31, if &stored[30..31] == "0" { "1" } else { "0" });
        assert_eq!(cipher.decrypt(&damaged), Err(Undecryptable));
        assert_eq!(cipher.decrypt("plain"), Err(Undecryptable));
    }

    #[test]
    fn masks_show_the_last_four_characters() {
        assert_eq!(masked("sk-abcdef123456"), "...3456");
        assert_eq!(masked("{\"apiKey\":\"xyz98765\"}"), "...8765");
        assert_eq!(masked("ab"), "...ab");
    }
}
