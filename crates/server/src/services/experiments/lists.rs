//! The experiment and experiment-item lists of the public API (`GET /experiments`,
//! `GET /experiment-items`): run items from the metadata store, ordered, filtered by time and
//! paged by the times of their observations and traces from the event store.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;
use sightline_store::{
    DatasetRun, DatasetRunItem, Experiment, ExperimentItem, ExperimentItemQuery,
    ExperimentObservation, ExperimentQuery, ExperimentTrace, RunItemFilter, RunItemRef,
    SpanPayload, Store, StoreResult,
};

/// A page of experiments (runs with items), latest activity first (`GET /experiments`).
///
/// The page is ordered and filtered by the times of the runs' observations, which live in the
/// event store: so every call reads a reference to every run item of the runs that match the
/// named filters (all of the project's without them), and the start and end of their
/// observations (one read per 8,000), then aggregates, orders and pages in memory. A page
/// costs O(matching run items), not O(page); only the runs on the page are read in full.
pub async fn list_experiments(
    store: &Store,
    project: &ProjectId,
    query: &ExperimentQuery,
) -> StoreResult<Vec<Experiment>> {
    let filter = RunItemFilter {
        run_ids: query.ids.clone(),
        run_names: query.names.clone(),
        dataset_ids: query.dataset_ids.clone(),
        dataset_item_ids: Vec::new(),
    };
    let refs = store
        .metadata()
        .experiment_item_refs(project, &filter)
        .await?;
    let observation_ids: Vec<String> = refs
        .iter()
        .filter_map(|item| item.observation_id.clone())
        .collect();
    let observations = store
        .events()
        .experiment_observations(project, &observation_ids, SpanPayload::Nothing)
        .await?;
    let page = experiment_page(&refs, &observations, query);
    let run_ids: Vec<String> = page.iter().map(|span| span.run_id.to_owned()).collect();
    let runs = store.metadata().experiment_runs(project, &run_ids).await?;
    let runs: HashMap<&str, &DatasetRun> = runs.iter().map(|run| (run.id.as_str(), run)).collect();
    // A run deleted since its items were read is left out.
    Ok(page
        .into_iter()
        .filter_map(|span| {
            Some(Experiment {
                run: (*runs.get(span.run_id)?).clone(),
                start_time: span.start_time,
                end_time: span.end_time,
                item_count: span.item_count,
            })
        })
        .collect())
}

/// A run's time span and item count, before the run itself is read.
#[derive(Debug, Clone, PartialEq)]
struct RunSpan<'a> {
    run_id: &'a str,
    start_time: Millis,
    end_time: Millis,
    item_count: u64,
}

/// The experiments of the page: per run, the first start and the last end of its items (their
/// observation's start and end, or start; else the run item's creation) and their number;
/// those that start in the query's window, latest end first, then by run id, descending.
fn experiment_page<'a>(
    refs: &'a [RunItemRef],
    observations: &[ExperimentObservation],
    query: &ExperimentQuery,
) -> Vec<RunSpan<'a>> {
    let observations: HashMap<&str, &ExperimentObservation> = observations
        .iter()
        .map(|observation| (observation.id.as_str(), observation))
        .collect();
    let mut spans: HashMap<&str, RunSpan<'a>> = HashMap::new();
    for item in refs {
        let (start, end) = match item
            .observation_id
            .as_deref()
            .and_then(|id| observations.get(id))
        {
            Some(o) => (o.start_time, o.end_time.unwrap_or(o.start_time)),
            None => (item.created_at, item.created_at),
        };
        let span = spans.entry(item.run_id.as_str()).or_insert(RunSpan {
            run_id: item.run_id.as_str(),
            start_time: start,
            end_time: end,
            item_count: 0,
        });
        span.start_time = span.start_time.min(start);
        span.end_time = span.end_time.max(end);
        span.item_count += 1;
    }
    let mut spans: Vec<RunSpan<'a>> = spans
        .into_values()
        .filter(|span| in_window(span.start_time, query.from_start_time, query.to_start_time))
        .collect();
    spans.sort_by(|a, b| {
        b.end_time
            .cmp(&a.end_time)
            .then_with(|| b.run_id.cmp(a.run_id))
    });
    page_of(spans, query.limit, query.offset)
}

/// A page of experiment items (run items with their observation, else their trace), newest
/// first (`GET /experiment-items`).
///
/// As for [`list_experiments`], the order and the time window come from the event store: every
/// call reads a reference to every run item that the named filters select (all of the
/// project's without them) and the start of their observations (of their traces, for those
/// without one), one read per 8,000 ids, then orders and pages in memory. Only the page's run
/// items, runs, observations and traces are read in full.
pub async fn list_experiment_items(
    store: &Store,
    project: &ProjectId,
    query: &ExperimentItemQuery,
) -> StoreResult<Vec<ExperimentItem>> {
    let filter = RunItemFilter {
        run_ids: query.experiment_ids.clone(),
        run_names: query.experiment_names.clone(),
        dataset_ids: query.dataset_ids.clone(),
        dataset_item_ids: query.item_ids.clone(),
    };
    let refs = store
        .metadata()
        .experiment_item_refs(project, &filter)
        .await?;
    let observation_ids: Vec<String> = refs
        .iter()
        .filter_map(|item| item.observation_id.clone())
        .collect();
    let observations = store
        .events()
        .experiment_observations(project, &observation_ids, SpanPayload::Nothing)
        .await?;
    let observed: HashSet<&str> = observations.iter().map(|o| o.id.as_str()).collect();
    let unobserved: Vec<String> = refs
        .iter()
        .filter(|item| {
            !item
                .observation_id
                .as_deref()
                .is_some_and(|id| observed.contains(id))
        })
        .map(|item| item.trace_id.clone())
        .collect();
    let traces = store
        .events()
        .experiment_traces(project, &unobserved, SpanPayload::Nothing)
        .await?;
    let page = item_page(&refs, &observations, &traces, query);

    // The page in full: run items, runs, and the observations' and traces' payloads (traces
    // only where the observation is missing or lacks a value).
    let item_ids: Vec<String> = page.iter().map(|(item, _)| item.id.clone()).collect();
    let mut run_ids: Vec<String> = page.iter().map(|(item, _)| item.run_id.clone()).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let observation_ids: Vec<String> = page
        .iter()
        .filter_map(|(item, _)| item.observation_id.clone())
        .collect();
    let items = store
        .metadata()
        .experiment_run_items(project, &item_ids)
        .await?;
    let runs = store.metadata().experiment_runs(project, &run_ids).await?;
    let observations = store
        .events()
        .experiment_observations(project, &observation_ids, SpanPayload::All)
        .await?;
    let observations: HashMap<&str, &ExperimentObservation> =
        observations.iter().map(|o| (o.id.as_str(), o)).collect();
    let observation_of = |item: &RunItemRef| {
        item.observation_id
            .as_deref()
            .and_then(|id| observations.get(id).copied())
    };
    let trace_ids: Vec<String> = page
        .iter()
        .filter(|(item, _)| {
            observation_of(item)
                .is_none_or(|o| o.input.is_none() || o.output.is_none() || o.metadata.is_none())
        })
        .map(|(item, _)| item.trace_id.clone())
        .collect();
    let traces = store
        .events()
        .experiment_traces(project, &trace_ids, SpanPayload::All)
        .await?;
    let traces: HashMap<&str, &ExperimentTrace> =
        traces.iter().map(|t| (t.id.as_str(), t)).collect();
    let items: HashMap<&str, &DatasetRunItem> =
        items.iter().map(|item| (item.id.as_str(), item)).collect();
    let runs: HashMap<&str, &DatasetRun> = runs.iter().map(|run| (run.id.as_str(), run)).collect();
    // A run item or run deleted since the references were read is left out.
    Ok(page
        .into_iter()
        .filter_map(|(reference, start_time)| {
            let item = *items.get(reference.id.as_str())?;
            let run = *runs.get(reference.run_id.as_str())?;
            let observation = observation_of(reference);
            let trace = traces.get(reference.trace_id.as_str()).copied();
            let either = |own: Option<&Value>, traced: Option<&Value>| own.or(traced).cloned();
            Some(ExperimentItem {
                item: item.clone(),
                run: run.clone(),
                start_time,
                end_time: observation.and_then(|o| o.end_time),
                level: observation.map_or_else(|| "DEFAULT".to_owned(), |o| o.level.clone()),
                environment: observation
                    .map(|o| o.environment.clone())
                    .or_else(|| trace.map(|t| t.environment.clone()))
                    .unwrap_or_else(|| "default".to_owned()),
                input: either(
                    observation.and_then(|o| o.input.as_ref()),
                    trace.and_then(|t| t.input.as_ref()),
                ),
                output: either(
                    observation.and_then(|o| o.output.as_ref()),
                    trace.and_then(|t| t.output.as_ref()),
                ),
                metadata: either(
                    observation.and_then(|o| o.metadata.as_ref()),
                    trace.and_then(|t| t.metadata.as_ref()),
                ),
            })
        })
        .collect())
}

/// The run items of the page with their start: their observation's start, else their trace's
/// time, else their creation; those that start in the query's window, newest first, then by
/// run item id, descending.
fn item_page<'a>(
    refs: &'a [RunItemRef],
    observations: &[ExperimentObservation],
    traces: &[ExperimentTrace],
    query: &ExperimentItemQuery,
) -> Vec<(&'a RunItemRef, Millis)> {
    let observations: HashMap<&str, Millis> = observations
        .iter()
        .map(|o| (o.id.as_str(), o.start_time))
        .collect();
    let traces: HashMap<&str, Millis> = traces
        .iter()
        .map(|t| (t.id.as_str(), t.timestamp))
        .collect();
    let mut items: Vec<(&RunItemRef, Millis)> = refs
        .iter()
        .map(|item| {
            let start = item
                .observation_id
                .as_deref()
                .and_then(|id| observations.get(id))
                .or_else(|| traces.get(item.trace_id.as_str()))
                .copied()
                .unwrap_or(item.created_at);
            (item, start)
        })
        .filter(|(_, start)| in_window(*start, query.from_start_time, query.to_start_time))
        .collect();
    items.sort_by(|(a, a_start), (b, b_start)| b_start.cmp(a_start).then_with(|| b.id.cmp(&a.id)));
    page_of(items, query.limit, query.offset)
}

/// Whether `start` is at or after `from` and before `to` (when given).
fn in_window(start: Millis, from: Millis, to: Option<Millis>) -> bool {
    start >= from && to.is_none_or(|to| start < to)
}

fn page_of<T>(rows: Vec<T>, limit: u64, offset: u64) -> Vec<T> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    rows.into_iter().skip(offset).take(limit).collect()
}

#[cfg(test)]
mod tests {
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

    fn observation(id: &str, start: Millis, end: Option<Millis>) -> ExperimentObservation {
        ExperimentObservation {
            id: id.into(),
            start_time: start,
            end_time: end,
            level: "DEFAULT".into(),
            environment: "default".into(),
            input: None,
            output: None,
            metadata: None,
        }
    }

    #[test]
    fn experiments_are_paged_by_their_latest_activity() {
        let mut unobserved = item("3", "b", "i1", "t3", 7_000);
        unobserved.observation_id = None;
        let refs = [
            item("1", "a", "i1", "t1", 0),
            item("2", "a", "i2", "t2", 0),
            unobserved,
            item("4", "early", "i1", "t4", 0),
        ];
        let observations = [
            observation("t1-root", 1_000, Some(1_500)),
            observation("t2-root", 2_000, None),
            observation("t4-root", 10, Some(9_000)),
        ];
        let query = ExperimentQuery {
            from_start_time: 500,
            limit: 10,
            ..ExperimentQuery::default()
        };
        let page = experiment_page(&refs, &observations, &query);
        assert_eq!(
            page,
            vec![
                RunSpan {
                    run_id: "b",
                    start_time: 7_000,
                    end_time: 7_000,
                    item_count: 1,
                },
                RunSpan {
                    run_id: "a",
                    start_time: 1_000,
                    end_time: 2_000,
                    item_count: 2,
                },
            ],
            "'early' starts before the window"
        );
        let second = ExperimentQuery {
            limit: 1,
            offset: 1,
            to_start_time: Some(7_000),
            ..query
        };
        let page = experiment_page(&refs, &observations, &second);
        assert!(page.is_empty(), "b starts at the window's end: {page:?}");
    }

    #[test]
    fn experiment_items_start_with_their_observation_else_their_trace() {
        let mut on_trace = item("b", "r", "i2", "t2", 0);
        on_trace.observation_id = None;
        let mut created = item("c", "r", "i3", "t3", 3_000);
        created.observation_id = Some("missing".into());
        let refs = [item("a", "r", "i1", "t1", 0), on_trace, created];
        let observations = [observation("t1-root", 1_000, None)];
        let traces = [ExperimentTrace {
            id: "t2".into(),
            timestamp: 2_000,
            environment: "default".into(),
            input: None,
            output: None,
            metadata: None,
        }];
        let query = ExperimentItemQuery {
            limit: 2,
            ..ExperimentItemQuery::default()
        };
        let page: Vec<(&str, Millis)> = item_page(&refs, &observations, &traces, &query)
            .into_iter()
            .map(|(item, start)| (item.id.as_str(), start))
            .collect();
        assert_eq!(page, vec![("c", 3_000), ("b", 2_000)]);
    }
}
