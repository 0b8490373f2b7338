//! Traces and observations written straight through the store (as ingestion would, already
//! priced) for the sessions, users and observations views, and hostile strings to check they
//! render inert.

use std::collections::BTreeMap;

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{Level, ObservationRow, ObservationType, TracePatch, TraceRow};
use sightline_domain::time::now_ms;
use sightline_store::{IngestionRules, IngestionWrite, LoggedEvent, Store};

pub const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
];

/// No raw markup from [`HOSTILE`] in `body`.
pub fn assert_inert(body: &str) {
    assert!(!body.contains("<script>alert"), "raw script tag in page");
    assert!(!body.contains("<img src=x"), "raw img tag in page");
    assert!(!body.contains("\"><img"), "attribute break-out in page");
    assert!(
        !body.contains("href=\"javascript:"),
        "javascript: link in page"
    );
}

/// Milliseconds `minutes` ago.
pub fn ago(minutes: i64) -> i64 {
    now_ms() - minutes * 60_000
}

pub struct Trace<'a> {
    pub id: &'a str,
    pub at: i64,
    pub user: Option<&'a str>,
    pub session: Option<&'a str>,
    pub name: Option<&'a str>,
    pub input: Option<Value>,
    pub output: Option<Value>,
}

impl<'a> Trace<'a> {
    pub fn new(id: &'a str, at: i64) -> Self {
        Trace {
            id,
            at,
            user: None,
            session: None,
            name: None,
            input: None,
            output: None,
        }
    }

    fn patch(&self) -> TracePatch {
        TracePatch {
            id: self.id.into(),
            timestamp: Some(self.at),
            environment: Some("default".into()),
            name: Some(self.name.map(Into::into)),
            user_id: Some(self.user.map(Into::into)),
            session_id: Some(self.session.map(Into::into)),
            input: self.input.clone(),
            output: self.output.clone(),
            ..TracePatch::default()
        }
    }
}

/// A generation of `trace` starting at `at`, lasting `latency_ms`, with usage and cost.
pub fn generation(
    id: &str,
    trace: &str,
    at: i64,
    model: &str,
    (input, output): (f64, f64),
    cost: f64,
    latency_ms: i64,
) -> ObservationRow {
    let usage: BTreeMap<String, f64> = [
        ("input".to_owned(), input),
        ("output".to_owned(), output),
        ("total".to_owned(), input + output),
    ]
    .into();
    ObservationRow {
        id: id.into(),
        trace_id: trace.into(),
        r#type: ObservationType::Generation,
        start_time: at,
        end_time: Some(at + latency_ms),
        completion_start_time: None,
        environment: "default".into(),
        name: Some("llm-call".into()),
        parent_observation_id: None,
        level: Level::Default,
        status_message: None,
        version: None,
        model: Some(model.into()),
        model_parameters: None,
        metadata: serde_json::Map::new(),
        input: None,
        output: None,
        provided_usage_details: usage.clone(),
        provided_cost_details: BTreeMap::new(),
        usage_details: usage,
        cost_details: BTreeMap::new(),
        total_cost: Some(cost),
        internal_model_id: None,
        usage_pricing_tier_id: None,
        usage_pricing_tier_name: None,
        prompt_name: None,
        prompt_version: None,
    }
}

struct Priced;

impl IngestionRules for Priced {
    fn fold_trace(&self, _: &[LoggedEvent]) -> Option<TraceRow> {
        None
    }
    fn fold_observation(&self, _: &[LoggedEvent]) -> Option<ObservationRow> {
        None
    }
    fn enrich(&self, _: &ProjectId, _: &mut ObservationRow) {}
}

/// Writes the traces and observations in one ingestion transaction.
pub async fn seed(
    store: &dyn Store,
    project: &ProjectId,
    traces: &[Trace<'_>],
    observations: Vec<ObservationRow>,
) {
    let mut write = IngestionWrite::new(project.clone());
    write.trace_patches = traces.iter().map(Trace::patch).collect();
    write.observations = observations;
    store.write_ingestion(&[write], &Priced).await.unwrap();
}
