//! Runs compared side by side: each run's aggregate ([`RunSummary`]) and each item's result per
//! run ([`RunItemResult`]), from the runs' items (metadata store) and their traces,
//! observations and scores (event store).

use std::collections::HashMap;

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_store::{
    RunItemFilter, RunItemRef, RunItemResult, RunSummary, SpanPayload, Store, StoreResult,
    TraceScore, TraceTotals,
};

use crate::services::datasets::DatasetResult;

/// A score of a trace: name, numeric value and string value.
type ScoreValue = (String, Option<f64>, Option<String>);

/// One dataset item across the compared runs: its result in each run (`None` where the run
/// did not run it), in the order the runs were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemComparison {
    pub dataset_item_id: String,
    pub results: Vec<Option<RunItemResult>>,
}

/// Runs side by side: each run's aggregate, and each item's output and scores per run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunComparison {
    pub runs: Vec<RunSummary>,
    pub items: Vec<ItemComparison>,
}

/// Compares runs of the project (unknown run ids give empty summaries). An item run twice in
/// one run shows its latest run item.
pub async fn compare_runs(
    store: &Store,
    project: &ProjectId,
    run_ids: &[String],
) -> DatasetResult<RunComparison> {
    if run_ids.is_empty() {
        return Ok(RunComparison {
            runs: Vec::new(),
            items: Vec::new(),
        });
    }
    // The run items, by dataset item and then oldest first, and what their traces hold.
    let refs = store
        .metadata()
        .experiment_item_refs(project, &RunItemFilter::runs(run_ids))
        .await?;
    let trace_ids: Vec<String> = refs.iter().map(|item| item.trace_id.clone()).collect();
    let totals = store
        .events()
        .experiment_trace_totals(project, &trace_ids)
        .await?;
    let scores = store
        .events()
        .experiment_trace_scores(project, &trace_ids)
        .await?;
    let outputs = item_outputs(store, project, &refs).await?;
    let runs = summarize(run_ids, &refs, &totals, &scores);
    let results = item_results(&refs, &totals, &outputs, &scores);
    let mut items: Vec<ItemComparison> = Vec::new();
    for result in results {
        let Some(run_index) = run_ids.iter().position(|id| id == &result.run_id) else {
            continue;
        };
        let index = match items
            .iter()
            .position(|item| item.dataset_item_id == result.dataset_item_id)
        {
            Some(index) => index,
            None => {
                items.push(ItemComparison {
                    dataset_item_id: result.dataset_item_id.clone(),
                    results: vec![None; run_ids.len()],
                });
                items.len() - 1
            }
        };
        items[index].results[run_index] = Some(result);
    }
    Ok(RunComparison { runs, items })
}

/// Per run (in the order given): item count, average latency of the items' traces (first
/// observation start to last end), total cost of their observations, and the average of each
/// numeric score of the items' traces, names in the order the event store gave them (by name).
/// Every run item counts, so a trace that a run ran twice counts twice.
fn summarize(
    run_ids: &[String],
    refs: &[RunItemRef],
    totals: &[TraceTotals],
    scores: &[TraceScore],
) -> Vec<RunSummary> {
    let totals: HashMap<&str, &TraceTotals> = totals
        .iter()
        .map(|totals| (totals.trace_id.as_str(), totals))
        .collect();
    let mut numeric: HashMap<&str, Vec<&TraceScore>> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for score in scores.iter().filter(|score| score.value.is_some()) {
        numeric
            .entry(score.trace_id.as_str())
            .or_default()
            .push(score);
        if !names.contains(&score.name.as_str()) {
            names.push(score.name.as_str());
        }
    }
    let mut by_run: HashMap<&str, Vec<&RunItemRef>> = HashMap::new();
    for item in refs {
        by_run.entry(item.run_id.as_str()).or_default().push(item);
    }
    run_ids
        .iter()
        .map(|run_id| {
            let items = by_run
                .get(run_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (mut latency, mut timed) = (0_i64, 0_u32);
            let mut cost: Option<f64> = None;
            let mut sums: HashMap<&str, (f64, u64)> = HashMap::new();
            for item in items {
                if let Some(totals) = totals.get(item.trace_id.as_str()) {
                    latency += totals.end_time - totals.start_time;
                    timed += 1;
                    if let Some(total_cost) = totals.total_cost {
                        *cost.get_or_insert(0.0) += total_cost;
                    }
                }
                for score in numeric.get(item.trace_id.as_str()).into_iter().flatten() {
                    let sum = sums.entry(score.name.as_str()).or_insert((0.0, 0));
                    sum.0 += score.value.unwrap_or(0.0);
                    sum.1 += 1;
                }
            }
            RunSummary {
                run_id: run_id.clone(),
                item_count: items.len() as u64,
                avg_latency_ms: (timed > 0).then(|| latency as f64 / f64::from(timed)),
                total_cost: cost,
                score_averages: names
                    .iter()
                    .filter_map(|name| {
                        let (sum, count) = sums.get(name)?;
                        Some(((*name).to_owned(), sum / *count as f64, *count))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Each run item's output (by run item id): its observation's, else its trace's. Traces are
/// read only for the run items whose observation gives none.
async fn item_outputs(
    store: &Store,
    project: &ProjectId,
    refs: &[RunItemRef],
) -> StoreResult<HashMap<String, Value>> {
    let observation_ids: Vec<String> = refs
        .iter()
        .filter_map(|item| item.observation_id.clone())
        .collect();
    let observations = store
        .events()
        .experiment_observations(project, &observation_ids, SpanPayload::Output)
        .await?;
    let observed: HashMap<&str, &Value> = observations
        .iter()
        .filter_map(|observation| Some((observation.id.as_str(), observation.output.as_ref()?)))
        .collect();
    let mut outputs = HashMap::new();
    let mut pending: Vec<&RunItemRef> = Vec::new();
    for item in refs {
        match item
            .observation_id
            .as_deref()
            .and_then(|id| observed.get(id))
        {
            Some(output) => {
                outputs.insert(item.id.clone(), (*output).clone());
            }
            None => pending.push(item),
        }
    }
    if !pending.is_empty() {
        let trace_ids: Vec<String> = pending.iter().map(|item| item.trace_id.clone()).collect();
        let traces = store
            .events()
            .experiment_traces(project, &trace_ids, SpanPayload::Output)
            .await?;
        let traced: HashMap<&str, &Value> = traces
            .iter()
            .filter_map(|trace| Some((trace.id.as_str(), trace.output.as_ref()?)))
            .collect();
        for item in pending {
            if let Some(output) = traced.get(item.trace_id.as_str()) {
                outputs.insert(item.id.clone(), (*output).clone());
            }
        }
    }
    Ok(outputs)
}

/// Every run item (in the order given) with its output, its trace's latency and cost, and
/// the trace's scores (by name, then oldest first).
fn item_results(
    refs: &[RunItemRef],
    totals: &[TraceTotals],
    outputs: &HashMap<String, Value>,
    scores: &[TraceScore],
) -> Vec<RunItemResult> {
    let totals: HashMap<&str, &TraceTotals> = totals
        .iter()
        .map(|totals| (totals.trace_id.as_str(), totals))
        .collect();
    let mut by_trace: HashMap<&str, Vec<ScoreValue>> = HashMap::new();
    for score in scores {
        by_trace.entry(score.trace_id.as_str()).or_default().push((
            score.name.clone(),
            score.value,
            score.string_value.clone(),
        ));
    }
    refs.iter()
        .map(|item| {
            let totals = totals.get(item.trace_id.as_str());
            RunItemResult {
                run_id: item.run_id.clone(),
                dataset_item_id: item.dataset_item_id.clone(),
                trace_id: item.trace_id.clone(),
                observation_id: item.observation_id.clone(),
                output: outputs.get(&item.id).cloned(),
                latency_ms: totals.map(|totals| (totals.end_time - totals.start_time) as f64),
                total_cost: totals.and_then(|totals| totals.total_cost),
                scores: by_trace
                    .get(item.trace_id.as_str())
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sightline_domain::time::Millis;

    use super::*;

    fn item(id: &str, run: &str, dataset_item: &str, trace: &str, at: Millis) -> RunItemRef {
        RunItemRef {
            id: id.into(),
            run_id: run.into(),
            dataset_item_id: dataset_item.into(),
            trace_id: trace.into(),
            observation_id: Some(format!("{trace}-root")),
            created_at: at,
        }
    }

    fn totals(trace: &str, start: Millis, end: Millis, cost: Option<f64>) -> TraceTotals {
        TraceTotals {
            trace_id: trace.into(),
            start_time: start,
            end_time: end,
            total_cost: cost,
        }
    }

    fn score(trace: &str, name: &str, value: Option<f64>) -> TraceScore {
        TraceScore {
            trace_id: trace.into(),
            name: name.into(),
            value,
            string_value: value.is_none().then(|| "text".to_owned()),
        }
    }

    #[test]
    fn runs_summarize_their_items_traces_and_numeric_scores() {
        let runs = ["a".to_owned(), "b".to_owned(), "none".to_owned()];
        let refs = [
            item("1", "a", "i1", "t1", 0),
            item("2", "a", "i2", "t2", 0),
            item("3", "a", "i3", "t-untimed", 0),
            item("4", "b", "i1", "t3", 0),
        ];
        let totals = [
            totals("t1", 0, 1_000, Some(0.25)),
            totals("t2", 0, 2_000, None),
            totals("t3", 5, 10, None),
        ];
        let scores = [
            score("t1", "accuracy", Some(1.0)),
            score("t2", "accuracy", Some(0.5)),
            score("t1", "verdict", None),
            score("t3", "zeta", Some(3.0)),
        ];
        let summaries = summarize(&runs, &refs, &totals, &scores);
        assert_eq!(
            summaries[0],
            RunSummary {
                run_id: "a".into(),
                item_count: 3,
                avg_latency_ms: Some(1_500.0),
                total_cost: Some(0.25),
                score_averages: vec![("accuracy".into(), 0.75, 2)],
            }
        );
        assert_eq!(summaries[1].total_cost, None);
        assert_eq!(summaries[1].score_averages, vec![("zeta".into(), 3.0, 1)]);
        assert_eq!(
            (summaries[2].item_count, summaries[2].avg_latency_ms),
            (0, None)
        );
    }

    #[test]
    fn item_results_take_every_score_of_their_trace() {
        let refs = [item("1", "a", "i1", "t1", 0), item("2", "a", "i2", "t2", 0)];
        let outputs = HashMap::from([("1".to_owned(), json!("out"))]);
        let scores = [
            score("t1", "accuracy", Some(1.0)),
            score("t1", "verdict", None),
        ];
        let results = item_results(&refs, &[totals("t1", 10, 30, Some(1.0))], &outputs, &scores);
        assert_eq!(results[0].output, Some(json!("out")));
        assert_eq!(
            (results[0].latency_ms, results[0].total_cost),
            (Some(20.0), Some(1.0))
        );
        assert_eq!(results[0].scores.len(), 2);
        assert_eq!(
            (
                &results[1].output,
                results[1].latency_ms,
                results[1].scores.len()
            ),
            (&None, None, 0)
        );
    }
}
