//! Time as Sightline stores and prints it: milliseconds since the Unix epoch in the store,
//! ISO-8601 with millisecond precision and `Z` on the wire (JavaScript's `Date.toISOString()`).

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, as stored.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// `2024-01-01T00:00:00.000Z`.
pub fn to_iso(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An ISO-8601 timestamp with an offset, or without one read as UTC.
pub fn parse_iso(raw: &str) -> Option<Millis> {
    let raw = raw.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Some(time.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|time| time.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_milliseconds_and_z() {
        assert_eq!(to_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_iso(1_704_067_200_123), "2024-01-01T00:00:00.123Z");
    }
}
