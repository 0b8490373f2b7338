//! What experiment reads return (wire-spec §7.3): run comparison rows, experiments (runs with the
//! time span and count of their items) and experiment items, which the server composes; and the
//! parts they are composed of: run item references from the metadata store, and trace totals,
//! observations, traces and scores from the event store, read by id.

use serde_json::Value;
use sightline_domain::time::Millis;

use crate::datasets::{DatasetRun, DatasetRunItem};

/// A run's aggregate for comparison: item count, average latency, total cost, score averages.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub item_count: u64,
    /// Average over items of their trace's span (first start to last end), in milliseconds.
    pub avg_latency_ms: Option<f64>,
    /// Sum of the total cost of every observation of the items' traces.
    pub total_cost: Option<f64>,
    /// `(score name, average numeric value, number of scores)`, by name.
    pub score_averages: Vec<(String, f64, u64)>,
}

/// One run item's result: its output (its observation's, else its trace's), latency, cost and
/// scores.
#[derive(Debug, Clone, PartialEq)]
pub struct RunItemResult {
    pub run_id: String,
    pub dataset_item_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub output: Option<Value>,
    pub latency_ms: Option<f64>,
    pub total_cost: Option<f64>,
    /// `(name, numeric value, string value)` of the trace's scores.
    pub scores: Vec<(String, Option<f64>, Option<String>)>,
}

/// A page of experiments (runs) by their first item's start, newest first.
#[derive(Debug, Clone, Default)]
pub struct ExperimentQuery {
    pub from_start_time: Millis,
    pub to_start_time: Option<Millis>,
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub dataset_ids: Vec<String>,
    pub limit: u64,
    pub offset: u64,
}

/// An experiment: a run with the time span and count of its items.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub run: DatasetRun,
    pub start_time: Millis,
    pub end_time: Millis,
    pub item_count: u64,
}

/// A page of experiment items (run items with their root observation), newest first.
#[derive(Debug, Clone, Default)]
pub struct ExperimentItemQuery {
    pub from_start_time: Millis,
    pub to_start_time: Option<Millis>,
    pub experiment_ids: Vec<String>,
    pub experiment_names: Vec<String>,
    pub item_ids: Vec<String>,
    pub dataset_ids: Vec<String>,
    pub limit: u64,
    pub offset: u64,
}

/// A run item with its run and what its observation (or trace) shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentItem {
    pub item: DatasetRunItem,
    pub run: DatasetRun,
    pub start_time: Millis,
    pub end_time: Option<Millis>,
    pub level: String,
    pub environment: String,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Option<Value>,
}

/// Which run items an experiment read covers; each non-empty list must hold (an empty one
/// does not filter).
#[derive(Debug, Clone, Default)]
pub struct RunItemFilter {
    pub run_ids: Vec<String>,
    pub run_names: Vec<String>,
    /// The runs' datasets.
    pub dataset_ids: Vec<String>,
    pub dataset_item_ids: Vec<String>,
}

impl RunItemFilter {
    /// The run items of these runs.
    pub fn runs(run_ids: &[String]) -> Self {
        RunItemFilter {
            run_ids: run_ids.to_vec(),
            ..RunItemFilter::default()
        }
    }
}

/// What experiment reads need of a run item to find its trace and observation, and to order it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunItemRef {
    pub id: String,
    pub run_id: String,
    pub dataset_item_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub created_at: Millis,
}

/// A trace's observations taken together: first start, last end (or start) and total cost.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceTotals {
    pub trace_id: String,
    pub start_time: Millis,
    pub end_time: Millis,
    /// The sum of the observations' total costs; `None` when none has one.
    pub total_cost: Option<f64>,
}

/// How much of each observation or trace an experiment read wants besides times, level and
/// environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanPayload {
    Nothing,
    Output,
    /// Input, output and metadata.
    All,
}

/// An observation as experiment reads show it. `input`, `output` and `metadata` are `None`
/// unless the [`SpanPayload`] asked for them.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentObservation {
    pub id: String,
    pub start_time: Millis,
    pub end_time: Option<Millis>,
    pub level: String,
    pub environment: String,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Option<Value>,
}

/// A trace as experiment reads show it; payload as for [`ExperimentObservation`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentTrace {
    pub id: String,
    pub timestamp: Millis,
    pub environment: String,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Option<Value>,
}

/// One score of a trace: `(name, numeric value, string value)` with the trace's id.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceScore {
    pub trace_id: String,
    pub name: String,
    pub value: Option<f64>,
    pub string_value: Option<String>,
}

/// A stored JSON text as a value; text that is not JSON stays a string.
pub(crate) fn lenient_json(text: Option<String>) -> Option<Value> {
    text.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
