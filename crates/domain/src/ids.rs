//! Identifier newtypes. Ids are opaque strings: generated ones are UUIDs, but ids supplied by
//! operators (for example `LANGFUSE_INIT_PROJECT_ID`) may be any non-empty string without whitespace.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string could not become an id or an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidId {
    #[error("{kind} must not be empty")]
    Empty { kind: &'static str },
    #[error("{kind} must not contain whitespace")]
    Whitespace { kind: &'static str },
    #[error("{kind} must be at most {max} characters")]
    TooLong { kind: &'static str, max: usize },
    #[error("'{0}' is not an email address")]
    Email(String),
}

const MAX_ID_LEN: usize = 128;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// Parses an id given by a user or an operator.
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                let kind = $kind;
                if raw.is_empty() {
                    return Err(InvalidId::Empty { kind });
                }
                if raw.chars().any(char::is_whitespace) {
                    return Err(InvalidId::Whitespace { kind });
                }
                if raw.len() > MAX_ID_LEN {
                    return Err(InvalidId::TooLong { kind, max: MAX_ID_LEN });
                }
                Ok(Self(raw.to_owned()))
            }

            /// Wraps an id read back from the store, which only holds ids that were parsed on the way in.
            pub fn from_trusted(raw: String) -> Self {
                Self(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An organization: owns projects and has members.
    OrgId,
    "organization id"
);
id_type!(
    /// A project: every trace, prompt, dataset and key belongs to exactly one.
    ProjectId,
    "project id"
);
id_type!(
    /// A user who signs in to the UI.
    UserId,
    "user id"
);
id_type!(
    /// The row id of an API key (not its public key).
    ApiKeyId,
    "API key id"
);

/// An email address, trimmed and lower-cased so that lookups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let email = raw.trim().to_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid && email.len() <= 320 {
            Ok(Self(email))
        } else {
            Err(InvalidId::Email(raw.to_owned()))
        }
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_and_whitespace() {
        assert_eq!(
            ProjectId::parse(""),
            Err(InvalidId::Empty { kind: "project id" })
        );
        assert!(ProjectId::parse("a b").is_err());
        assert!(ProjectId::parse(&"x".repeat(129)).is_err());
        assert_eq!(ProjectId::parse("proj-1").unwrap().as_str(), "proj-1");
    }

    #[test]
    fn generated_ids_are_distinct() {
        assert_ne!(OrgId::generate(), OrgId::generate());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in ["", "ada", "@example.com", "ada@", "a@b@c", "a b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
