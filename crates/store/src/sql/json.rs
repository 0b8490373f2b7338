//! JSON held as text in the relational stores: encoding for a bound value, decoding of a stored
//! column (a value that does not parse is [`StoreError::Corrupt`]).

use serde_json::{Map, Value};
use sightline_domain::ingest::UsageMap;

use crate::error::{StoreError, StoreResult};

pub(crate) fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

pub(crate) fn parse_json(text: Option<String>) -> StoreResult<Option<Value>> {
    text.map(|text| {
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("stored JSON: {e}")))
    })
    .transpose()
}

pub(crate) fn parse_object(text: &str) -> StoreResult<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored JSON object: {e}")))
}

pub(crate) fn parse_usage(text: &str) -> StoreResult<UsageMap> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored usage: {e}")))
}

pub(crate) fn usage_text(map: &UsageMap) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// A JSON object as stored text.
pub(crate) fn object_text(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}
