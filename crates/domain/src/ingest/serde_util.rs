//! Deserialisation helpers for ingestion bodies: tri-state fields, ISO datetimes with offsets,
//! and Langfuse's id rules.

use serde::{Deserialize, Deserializer};

use crate::ingest::Field;

/// For `#[serde(default, deserialize_with = "field")]`: absent → `None`, null → `Some(None)`.
pub fn field<'de, D, T>(deserializer: D) -> Result<Field<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Langfuse's `idSchema`: 1 to 800 characters, no carriage return.
pub fn validate_id(id: &str, what: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 800 {
        return Err(format!("{what}: must be 1 to 800 characters"));
    }
    if id.contains('\r') {
        return Err(format!("{what}: must not contain a carriage return"));
    }
    Ok(())
}

pub mod datetime {
    //! ISO-8601 datetimes that carry an offset (`Z` or `±hh:mm`), as milliseconds.

    use chrono::DateTime;
    use serde::{Deserialize, Deserializer};

    use crate::ingest::Field;
    use crate::time::Millis;

    pub fn parse(raw: &str) -> Result<Millis, String> {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|parsed| parsed.timestamp_millis())
            .map_err(|_| format!("invalid datetime '{raw}': expected ISO 8601 with an offset"))
    }

    /// Absent or null → `None`.
    pub fn optional<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Millis>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|raw| parse(&raw).map_err(serde::de::Error::custom))
            .transpose()
    }

    /// Absent → `None`, null → `Some(None)`.
    pub fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Field<Millis>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|raw| parse(&raw).map_err(serde::de::Error::custom))
            .transpose()
            .map(Some)
    }
}
