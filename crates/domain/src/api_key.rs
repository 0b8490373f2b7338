//! API keys: `pk-lf-…` / `sk-lf-…` pairs as the Langfuse SDKs expect them. The secret is shown once
//! at creation; the store keeps only a salted SHA-256 of it (the secret is a random UUID, so a fast
//! hash is enough, and it keeps authentication cheap) plus a redacted form for display.

use std::fmt;

use sha2::{Digest, Sha256};

pub const PUBLIC_KEY_PREFIX: &str = "pk-lf-";
pub const SECRET_KEY_PREFIX: &str = "sk-lf-";

/// A freshly generated or operator-supplied key pair. The secret is never printed by `Debug`.
#[derive(Clone)]
pub struct ApiKeyPair {
    pub public_key: String,
    pub secret_key: String,
}

impl ApiKeyPair {
    pub fn generate() -> Self {
        Self {
            public_key: format!("{PUBLIC_KEY_PREFIX}{}", uuid::Uuid::new_v4()),
            secret_key: format!("{SECRET_KEY_PREFIX}{}", uuid::Uuid::new_v4()),
        }
    }

    /// A pair given by an operator (headless initialization). Langfuse requires the prefixes for
    /// predefined keys, and so do we: it keeps keys recognisable in logs and secret scanners.
    pub fn parse(public_key: &str, secret_key: &str) -> Result<Self, InvalidKeyPair> {
        if !public_key.starts_with(PUBLIC_KEY_PREFIX) || public_key.len() <= PUBLIC_KEY_PREFIX.len()
        {
            return Err(InvalidKeyPair::PublicKey);
        }
        if !secret_key.starts_with(SECRET_KEY_PREFIX) || secret_key.len() <= SECRET_KEY_PREFIX.len()
        {
            return Err(InvalidKeyPair::SecretKey);
        }
        if public_key.contains(char::is_whitespace) || secret_key.contains(char::is_whitespace) {
            return Err(InvalidKeyPair::Whitespace);
        }
        Ok(Self {
            public_key: public_key.to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }

    /// `sk-lf-...abcd`: what lists show instead of the secret.
    pub fn display_secret(&self) -> String {
        let tail: String = self
            .secret_key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{SECRET_KEY_PREFIX}...{tail}")
    }
}

impl fmt::Debug for ApiKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyPair")
            .field("public_key", &self.public_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKeyPair {
    #[error("the public key must start with '{PUBLIC_KEY_PREFIX}'")]
    PublicKey,
    #[error("the secret key must start with '{SECRET_KEY_PREFIX}'")]
    SecretKey,
    #[error("keys must not contain whitespace")]
    Whitespace,
}

/// A random server salt: 32 bytes, hex-encoded.
pub fn generate_salt() -> String {
    use rand::Rng;
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// The stored form of a secret key: hex SHA-256 over the server salt and the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn compute(salt: &str, secret_key: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(salt.as_bytes());
        hasher.update([0u8]);
        hasher.update(secret_key.as_bytes());
        Self(hex::encode(hasher.finalize()))
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in time independent of where the hashes first differ.
    pub fn matches(&self, other: &SecretHash) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pairs_have_langfuse_prefixes() {
        let pair = ApiKeyPair::generate();
        assert!(pair.public_key.starts_with("pk-lf-"));
        assert!(pair.secret_key.starts_with("sk-lf-"));
        assert!(!format!("{pair:?}").contains(&pair.secret_key));
    }

    #[test]
    fn display_secret_keeps_only_the_tail() {
        let pair = ApiKeyPair::parse("pk-lf-1", "sk-lf-abcdef123456").unwrap();
        assert_eq!(pair.display_secret(), "sk-lf-...3456");
    }

    #[test]
    fn parse_requires_prefixes() {
        assert_eq!(
            ApiKeyPair::parse("pk-1", "sk-lf-1").unwrap_err(),
            InvalidKeyPair::PublicKey
        );
        assert_eq!(
            ApiKeyPair::parse("pk-lf-1", "sk-lf-").unwrap_err(),
            InvalidKeyPair::SecretKey
        );
    }

    #[test]
    fn hash_depends_on_salt_and_secret() {
        let a = SecretHash::compute("salt", "sk-lf-1");
        assert!(a.matches(&SecretHash::compute("salt", "sk-lf-1")));
        assert!(!a.matches(&SecretHash::compute("pepper", "sk-lf-1")));
        assert!(!a.matches(&SecretHash::compute("salt", "sk-lf-2")));
    }
}
