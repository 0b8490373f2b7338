//! Traces and observations written straight through the store (as ingestion would, already
//! priced) for the sessions, users and observations views, and hostile strings to check they
//! render inert.

use std::collections::BTreeMap;

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ObservationType, TracePatch};
use sightline_domain::time::now_ms;
use sightline_server::services::ingest::IngestionWrite;
use sightline_server::services::ingest::fold;
use sightline_server::services::ingest::rules::Rules;
use sightline_store::Store;

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
    let mut row = ObservationRow::shallow(id, trace, ObservationType::Generation, at, "default");
    row.end_time = Some(at + latency_ms);
    row.name = Some("llm-call".into());
    row.model = Some(model.into());
    row.provided_usage_details = usage.clone();
    row.usage_details = usage;
    row.total_cost = Some(cost);
    row
}

/// Writes the traces and observations in one ingestion transaction.
pub async fn seed(
    store: &Store,
    project: &ProjectId,
    traces: &[Trace<'_>],
    observations: Vec<ObservationRow>,
) {
    let mut write = IngestionWrite::new(project.clone());
    write.trace_patches = traces.iter().map(Trace::patch).collect();
    write.observations = observations;
    fold::commit(store.events(), &Rules::new(), &mut [write], now_ms())
        .await
        .unwrap();
}
