//! Patches: what one ingestion event (or one OTel span) says about one entity. A field is
//! `None` when the event does not mention it, `Some(None)` when it sets it to null (for fields
//! that may be nulled), and `Some(Some(v))` when it sets a value. The merge rules in `merge.rs`
//! fold patches, in envelope-timestamp order, into stored rows.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Millis;

/// Absent (`None`), explicit null (`Some(None)`) or a value (`Some(Some(v))`).
pub type Field<T> = Option<Option<T>>;

/// Usage or cost by key (`input`, `output`, `total`, `input_cached_tokens`, …).
pub type UsageMap = BTreeMap<String, f64>;

macro_rules! upper_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == raw)
                    .ok_or_else(|| format!("'{raw}' is not a valid {}", stringify!($name)))
            }
        }
    };
}

upper_enum!(
    /// The kind of an observation.
    ObservationType {
        Span = "SPAN",
        Generation = "GENERATION",
        Event = "EVENT",
        Agent = "AGENT",
        Tool = "TOOL",
        Chain = "CHAIN",
        Retriever = "RETRIEVER",
        Evaluator = "EVALUATOR",
        Embedding = "EMBEDDING",
        Guardrail = "GUARDRAIL",
    }
);

upper_enum!(
    /// An observation's level.
    Level {
        Debug = "DEBUG",
        Default = "DEFAULT",
        Warning = "WARNING",
        Error = "ERROR",
    }
);

upper_enum!(
    /// What a score's value means.
    ScoreDataType {
        Numeric = "NUMERIC",
        Categorical = "CATEGORICAL",
        Boolean = "BOOLEAN",
        Correction = "CORRECTION",
        Text = "TEXT",
    }
);

upper_enum!(
    /// Where a score came from.
    ScoreSource {
        Api = "API",
        Eval = "EVAL",
        Annotation = "ANNOTATION",
    }
);

/// What one event says about a trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TracePatch {
    pub id: String,
    /// Immutable: the first value in timestamp order wins.
    pub timestamp: Option<Millis>,
    pub environment: Option<String>,
    pub name: Field<String>,
    pub user_id: Field<String>,
    pub session_id: Field<String>,
    pub release: Field<String>,
    pub version: Field<String>,
    pub public: Option<bool>,
    /// Unioned with the stored tags.
    pub tags: Option<Vec<String>>,
    /// Deep-merged into the stored metadata (always an object here).
    pub metadata: Option<Value>,
    /// Only "truthy" values (not null, "", 0, false) overwrite.
    pub input: Option<Value>,
    pub output: Option<Value>,
}

/// What one event (or one OTel span) says about an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationPatch {
    pub id: String,
    /// Immutable. `None` when the event names no trace.
    pub trace_id: Option<String>,
    pub r#type: ObservationType,
    /// Immutable.
    pub start_time: Option<Millis>,
    pub environment: Option<String>,
    pub name: Field<String>,
    pub end_time: Field<Millis>,
    pub completion_start_time: Field<Millis>,
    pub parent_observation_id: Field<String>,
    pub level: Field<Level>,
    pub status_message: Field<String>,
    pub version: Field<String>,
    pub model: Field<String>,
    pub model_parameters: Field<Value>,
    pub metadata: Option<Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// Usage the client reported (non-negative numbers; empty maps are `None`).
    pub usage_details: Option<UsageMap>,
    /// Cost in USD the client reported (empty maps are `None`).
    pub cost_details: Option<UsageMap>,
    /// Prompt name and version; set together or not at all.
    pub prompt: Option<(String, i64)>,
}

impl ObservationPatch {
    /// A patch that says nothing but the identity.
    pub fn new(id: impl Into<String>, r#type: ObservationType) -> Self {
        ObservationPatch {
            id: id.into(),
            trace_id: None,
            r#type,
            start_time: None,
            environment: None,
            name: None,
            end_time: None,
            completion_start_time: None,
            parent_observation_id: None,
            level: None,
            status_message: None,
            version: None,
            model: None,
            model_parameters: None,
            metadata: None,
            input: None,
            output: None,
            usage_details: None,
            cost_details: None,
            prompt: None,
        }
    }
}

/// A validated score.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorePatch {
    pub id: String,
    pub name: String,
    pub timestamp: Millis,
    pub environment: String,
    pub data_type: ScoreDataType,
    /// Numeric value (NUMERIC, BOOLEAN); for CATEGORICAL a config may map it.
    pub value: Option<f64>,
    /// String value (CATEGORICAL, CORRECTION, TEXT; BOOLEAN as "True"/"False").
    pub string_value: Option<String>,
    pub source: ScoreSource,
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub session_id: Option<String>,
    pub dataset_run_id: Option<String>,
    pub comment: Option<String>,
    pub metadata: Option<Value>,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    pub execution_trace_id: Option<String>,
}
