//! Stored rows: the state an entity has after all its patches were folded (`merge.rs`).

use serde_json::{Map, Value};

use crate::ingest::{Level, ObservationType, UsageMap};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    pub id: String,
    pub timestamp: Millis,
    pub environment: String,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub release: Option<String>,
    pub version: Option<String>,
    pub public: bool,
    pub bookmarked: bool,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
    pub metadata: Map<String, Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
}

impl TraceRow {
    /// A trace that only exists because something refers to it.
    pub fn shallow(id: &str, timestamp: Millis, environment: &str) -> TraceRow {
        TraceRow {
            id: id.to_owned(),
            timestamp,
            environment: environment.to_owned(),
            name: None,
            user_id: None,
            session_id: None,
            release: None,
            version: None,
            public: false,
            bookmarked: false,
            tags: Vec::new(),
            metadata: Map::new(),
            input: None,
            output: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub id: String,
    pub trace_id: String,
    pub r#type: ObservationType,
    pub start_time: Millis,
    pub end_time: Option<Millis>,
    pub completion_start_time: Option<Millis>,
    pub environment: String,
    pub name: Option<String>,
    pub parent_observation_id: Option<String>,
    pub level: Level,
    pub status_message: Option<String>,
    pub version: Option<String>,
    pub model: Option<String>,
    pub model_parameters: Option<Value>,
    pub metadata: Map<String, Value>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    /// What the client reported; kept so that a later event can recompute cost.
    pub provided_usage_details: UsageMap,
    pub provided_cost_details: UsageMap,
    /// Reported or computed (tokenized) usage.
    pub usage_details: UsageMap,
    /// Reported or computed cost in USD.
    pub cost_details: UsageMap,
    pub total_cost: Option<f64>,
    pub internal_model_id: Option<String>,
    pub usage_pricing_tier_id: Option<String>,
    pub usage_pricing_tier_name: Option<String>,
    pub prompt_name: Option<String>,
    pub prompt_version: Option<i64>,
}

impl ObservationRow {
    /// An observation with only its identity, type, start and environment: the start of a fold.
    pub fn shallow(
        id: &str,
        trace_id: &str,
        r#type: ObservationType,
        start_time: Millis,
        environment: &str,
    ) -> ObservationRow {
        ObservationRow {
            id: id.to_owned(),
            trace_id: trace_id.to_owned(),
            r#type,
            start_time,
            end_time: None,
            completion_start_time: None,
            environment: environment.to_owned(),
            name: None,
            parent_observation_id: None,
            level: Level::Default,
            status_message: None,
            version: None,
            model: None,
            model_parameters: None,
            metadata: Map::new(),
            input: None,
            output: None,
            provided_usage_details: UsageMap::new(),
            provided_cost_details: UsageMap::new(),
            usage_details: UsageMap::new(),
            cost_details: UsageMap::new(),
            total_cost: None,
            internal_model_id: None,
            usage_pricing_tier_id: None,
            usage_pricing_tier_name: None,
            prompt_name: None,
            prompt_version: None,
        }
    }
}
