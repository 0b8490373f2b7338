//! The hourly rollups (migration 0014, `metrics/rollups.rs`): on random traces, observations
//! and scores, changed and partly deleted afterwards, every query a rollup answers gives the
//! raw rows' answer (sums to rounding, percentiles within the sketch's 2%).
//!
//! The raw answer of the same query comes from adding a filter that every row meets but no
//! rollup keeps (`id` is not null), which sends the query to raw rows.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_domain::ProjectId;
use sightline_domain::filter::{FilterCondition, Test, TextOperator};
use sightline_domain::ingest::{
    Level, ObservationRow, ObservationType, ScoreDataType, ScorePatch, ScoreSource, TraceRow,
};
use sightline_domain::metrics::{
    Aggregation, Granularity, Metric, MetricsQuery, MetricsVersion, OrderBy,
};
use sightline_domain::sketch::RELATIVE_ACCURACY;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::testing::{observation_row, put_rows, score_row, trace_row};
use sightline_store::{EventRows, MetricsRow, Store};

use super::org_and_project;

const HOUR: i64 = 3_600_000;
/// The data spans three days from here.
const START: i64 = 1_760_000_000_000;
const SPAN: i64 = 3 * 24 * HOUR;

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn random_trace(rng: &mut StdRng, id: &str) -> TraceRow {
    let mut row = trace_row(id, START + rng.random_range(0..SPAN));
    row.environment = pick(rng, &["default", "staging"]).to_string();
    row.name = pick(rng, &[Some("chat"), Some("search"), None]).map(Into::into);
    row.user_id = pick(rng, &[Some("alice"), Some("bob"), Some("carol"), None]).map(Into::into);
    row
}

fn random_observation(rng: &mut StdRng, id: &str, traces: usize) -> ObservationRow {
    let trace = format!("t{}", rng.random_range(0..traces));
    let mut row = observation_row(&trace, id, START + rng.random_range(0..SPAN));
    row.r#type = *pick(
        rng,
        &[
            ObservationType::Generation,
            ObservationType::Span,
            ObservationType::Event,
        ],
    );
    row.environment = pick(rng, &["default", "staging"]).to_string();
    row.name = pick(rng, &[Some("llm"), Some("retrieve"), None]).map(Into::into);
    row.model = pick(rng, &[Some("gpt-4o"), Some("claude"), None]).map(Into::into);
    row.level = *pick(
        rng,
        &[Level::Default, Level::Default, Level::Warning, Level::Error],
    );
    // Latencies from 0 ms to about a minute, spread over the logarithmic buckets; some open.
    row.end_time = if rng.random_bool(0.15) {
        None
    } else {
        let latency = (rng.random_range(0.0..11.0f64)).exp().floor() as i64 - 1;
        Some(row.start_time + latency.max(0))
    };
    if rng.random_bool(0.7) {
        let input = f64::from(rng.random_range(0..2_000));
        let output = f64::from(rng.random_range(0..800));
        row.usage_details = BTreeMap::from([
            ("input".to_owned(), input),
            ("output".to_owned(), output),
            ("total".to_owned(), input + output),
        ]);
        row.cost_details = BTreeMap::from([
            ("input".to_owned(), input * 2.5e-6),
            ("output".to_owned(), output * 1e-5),
        ]);
        row.total_cost = Some(input * 2.5e-6 + output * 1e-5);
    }
    row
}

fn random_score(rng: &mut StdRng, id: &str, traces: usize) -> ScorePatch {
    let trace = format!("t{}", rng.random_range(0..traces));
    let name = pick(rng, &["accuracy", "helpful", "tone"]);
    let mut row = score_row(id, &trace, name, 0.0, START + rng.random_range(0..SPAN));
    row.environment = pick(rng, &["default", "staging"]).to_string();
    row.source = *pick(
        rng,
        &[ScoreSource::Api, ScoreSource::Annotation, ScoreSource::Eval],
    );
    match rng.random_range(0..3) {
        0 => row.value = Some(rng.random_range(0.0..1.0)),
        1 => {
            row.data_type = ScoreDataType::Boolean;
            let value = rng.random_bool(0.5);
            row.value = Some(if value { 1.0 } else { 0.0 });
            row.string_value = Some(if value { "True" } else { "False" }.into());
        }
        _ => {
            row.data_type = ScoreDataType::Categorical;
            row.value = None;
            row.string_value = Some(pick(rng, &["good", "bad", "neutral"]).to_string());
        }
    }
    row
}

/// Writes random rows, then changes and deletes some of them as later writes would.
async fn random_project(store: &Store, seed: u64) -> ProjectId {
    let (_, project) = org_and_project(store).await;
    let mut rng = StdRng::seed_from_u64(seed);
    let traces = 40;
    let rows = EventRows {
        traces: (0..traces)
            .map(|i| random_trace(&mut rng, &format!("t{i}")))
            .collect(),
        observations: (0..300)
            .map(|i| random_observation(&mut rng, &format!("o{i}"), traces))
            .collect(),
        scores: (0..120)
            .map(|i| random_score(&mut rng, &format!("s{i}"), traces))
            .collect(),
        ..EventRows::default()
    };
    put_rows(store, &project, rows.clone()).await;

    // Later writes: observations, traces and scores that change key or sums, new ones.
    let mut later = EventRows::default();
    for row in rows.observations.iter().step_by(4) {
        let mut changed = random_observation(&mut rng, &row.id, traces);
        changed.trace_id = row.trace_id.clone();
        later.observations.push(changed);
    }
    later
        .observations
        .extend((300..340).map(|i| random_observation(&mut rng, &format!("o{i}"), traces)));
    for row in rows.traces.iter().step_by(3) {
        later.traces.push(random_trace(&mut rng, &row.id));
    }
    for row in rows.scores.iter().step_by(5) {
        let mut changed = random_score(&mut rng, &row.id, traces);
        changed.trace_id = row.trace_id.clone();
        later.scores.push(changed);
    }
    put_rows(store, &project, later).await;

    // Deletes: whole traces with their observations and scores.
    let deleted: Vec<String> = (0..traces).step_by(7).map(|i| format!("t{i}")).collect();
    store
        .events()
        .delete_traces(&project, &deleted)
        .await
        .unwrap();
    project
}

fn metric(measure: &str, aggregation: Aggregation) -> Metric {
    Metric {
        measure: measure.into(),
        aggregation,
    }
}

fn query(
    view: &str,
    dimensions: &[&str],
    metrics: Vec<Metric>,
    granularity: Option<Granularity>,
    filters: Vec<FilterCondition>,
) -> MetricsQuery {
    MetricsQuery {
        version: MetricsVersion::V1,
        view: view.into(),
        dimensions: dimensions.iter().map(|d| (*d).to_owned()).collect(),
        metrics,
        filters,
        granularity,
        // Ranges that start and end inside an hour: rollup rows and raw rows both count.
        from: START + 90 * 60_000,
        to: START + SPAN - 17 * 60_000,
        order_by: Vec::<OrderBy>::new(),
        bins: 10,
        row_limit: None,
    }
}

fn equals(column: &str, value: &str) -> FilterCondition {
    FilterCondition {
        column: column.into(),
        key: None,
        test: Test::Text(TextOperator::Equal, value.into()),
    }
}

/// The queries the rollups answer: every view they serve, with their dimensions, filters,
/// time buckets and metrics.
fn rollup_queries() -> Vec<MetricsQuery> {
    use Aggregation::*;
    let observation_metrics = || {
        vec![
            metric("count", Count),
            metric("totalCost", Sum),
            metric("inputTokens", Sum),
            metric("outputTokens", Sum),
            metric("totalTokens", Sum),
            metric("inputCost", Sum),
            metric("outputCost", Sum),
            metric("latency", Avg),
            metric("latency", Count),
            metric("latency", Sum),
            metric("latency", Percentile(50)),
            metric("latency", Percentile(95)),
            metric("latency", Percentile(99)),
        ]
    };
    let trace_metrics = || {
        vec![
            metric("count", Count),
            metric("totalCost", Sum),
            metric("totalTokens", Sum),
        ]
    };
    let score_metrics = || {
        vec![
            metric("count", Count),
            metric("value", Avg),
            metric("value", Sum),
        ]
    };
    vec![
        query("observations", &[], observation_metrics(), None, vec![]),
        query(
            "observations",
            &["type"],
            observation_metrics(),
            Some(Granularity::Hour),
            vec![],
        ),
        query(
            "observations",
            &["name", "providedModelName"],
            observation_metrics(),
            None,
            vec![equals("type", "GENERATION")],
        ),
        query(
            "observations",
            &["level", "environment"],
            vec![metric("count", Count)],
            Some(Granularity::Day),
            vec![],
        ),
        query(
            "observations",
            &["providedModelName"],
            vec![],
            Some(Granularity::Week),
            vec![equals("environment", "staging")],
        ),
        query(
            "traces",
            &[],
            trace_metrics(),
            Some(Granularity::Hour),
            vec![],
        ),
        query("traces", &["name"], trace_metrics(), None, vec![]),
        query(
            "traces",
            &["userId"],
            trace_metrics(),
            Some(Granularity::Day),
            vec![equals("environment", "default")],
        ),
        query("traces", &["userId"], trace_metrics(), None, vec![]),
        query(
            "scores-numeric",
            &["name"],
            score_metrics(),
            Some(Granularity::Hour),
            vec![],
        ),
        query(
            "scores-boolean",
            &["name", "source"],
            score_metrics(),
            None,
            vec![],
        ),
        query(
            "scores-categorical",
            &["name", "stringValue"],
            vec![metric("count", Count)],
            Some(Granularity::Day),
            vec![equals("source", "ANNOTATION")],
        ),
    ]
}

/// The same query on raw rows.
fn on_raw_rows(query: &MetricsQuery) -> MetricsQuery {
    let mut raw = query.clone();
    raw.filters.push(FilterCondition {
        column: "id".into(),
        key: None,
        test: Test::Null(false),
    });
    raw
}

type Answer = BTreeMap<(Vec<String>, Option<i64>), Vec<Option<f64>>>;

fn keyed(rows: Vec<MetricsRow>) -> Answer {
    rows.into_iter()
        .map(|row| {
            let dimensions = row.dimensions.iter().map(|d| d.to_string()).collect();
            ((dimensions, row.bucket), row.metrics)
        })
        .collect()
}

fn close(got: Option<f64>, want: Option<f64>, relative: f64) -> bool {
    match (got, want) {
        (None, None) => true,
        (Some(got), Some(want)) => (got - want).abs() <= relative * want.abs() + 1e-6,
        _ => false,
    }
}

async fn rollups_answer_as_raw_rows_do(db: TestDb) {
    let store: &Store = &db.store;
    for seed in [1, 2, 3] {
        let project = random_project(store, seed).await;
        for query in rollup_queries() {
            let events = store.events();
            assert!(
                events.metrics_source(&query).is_some(),
                "a rollup answers {query:?}"
            );
            let raw_query = on_raw_rows(&query);
            assert_eq!(events.metrics_source(&raw_query), None);
            let rolled = keyed(events.query_metrics(&project, &query).await.unwrap());
            let raw = keyed(events.query_metrics(&project, &raw_query).await.unwrap());
            assert!(!raw.is_empty(), "{query:?} has rows");
            assert_eq!(
                rolled.keys().collect::<Vec<_>>(),
                raw.keys().collect::<Vec<_>>(),
                "the groups of {} by {:?}",
                query.view,
                query.dimensions
            );
            for (key, want) in &raw {
                let got = &rolled[key];
                for (index, metric) in query.metrics.iter().enumerate() {
                    let relative = match metric.aggregation {
                        Aggregation::Percentile(_) => RELATIVE_ACCURACY,
                        _ => 1e-9,
                    };
                    assert!(
                        close(got[index], want[index], relative),
                        "seed {seed}, {} {:?} {}: rollup {:?}, raw {:?}",
                        query.view,
                        key,
                        metric.key(),
                        got[index],
                        want[index]
                    );
                }
                if query.metrics.is_empty() {
                    assert_eq!(got, want);
                }
            }
        }
    }
}

/// Queries the rollups cannot answer read raw rows.
async fn other_queries_read_raw_rows(db: TestDb) {
    let store: &Store = &db.store;
    let events = store.events();
    use Aggregation::*;
    let mut minute = query(
        "observations",
        &[],
        vec![metric("count", Count)],
        None,
        vec![],
    );
    minute.granularity = Some(Granularity::Minute);
    let mut short = query(
        "observations",
        &[],
        vec![metric("count", Count)],
        None,
        vec![],
    );
    short.from = START + 10;
    short.to = START + HOUR + 20;
    for raw in [
        minute,
        short,
        query(
            "observations",
            &["traceName"],
            vec![metric("count", Count)],
            None,
            vec![],
        ),
        query(
            "observations",
            &[],
            vec![metric("latency", Max)],
            None,
            vec![],
        ),
        query(
            "observations",
            &[],
            vec![metric("totalTokens", Avg)],
            None,
            vec![],
        ),
        query(
            "traces",
            &["name", "userId"],
            vec![metric("count", Count)],
            None,
            vec![],
        ),
        query(
            "traces",
            &[],
            vec![metric("latency", Percentile(95))],
            None,
            vec![],
        ),
        query(
            "scores-numeric",
            &["value"],
            vec![metric("count", Count)],
            None,
            vec![],
        ),
        query(
            "traces",
            &[],
            vec![metric("count", Count)],
            None,
            vec![equals("release", "1")],
        ),
    ] {
        assert_eq!(events.metrics_source(&raw), None, "{raw:?}");
    }
    // The short range still answers: from raw rows only.
    let (_, project) = org_and_project(store).await;
    let rows = EventRows {
        observations: vec![observation_row("t", "o", START + 100)],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;
    let mut short = query(
        "observations",
        &[],
        vec![metric("count", Count)],
        None,
        vec![],
    );
    short.from = START + 10;
    short.to = START + HOUR + 20;
    let rows = events.query_metrics(&project, &short).await.unwrap();
    assert_eq!(rows[0].metrics, vec![Some(1.0)]);
}

/// Deleting everything leaves rollups that answer nothing, and a project with rollups can be
/// deleted.
async fn deletes_empty_the_rollups(db: TestDb) {
    let store: &Store = &db.store;
    let project = random_project(store, 9).await;
    let events = store.events();
    let all: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    events.delete_traces(&project, &all).await.unwrap();
    for query in rollup_queries() {
        let rows = events.query_metrics(&project, &query).await.unwrap();
        if query.dimensions.is_empty() && query.granularity.is_none() {
            // One row of zeros and empty aggregates, as over no raw rows.
            let raw = events
                .query_metrics(&project, &on_raw_rows(&query))
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
            for (got, want) in rows[0].metrics.iter().zip(&raw[0].metrics) {
                assert!(close(*got, *want, 1e-9), "{got:?} vs {want:?}");
            }
        } else {
            assert_eq!(rows, vec![], "{query:?}");
        }
    }
    events.delete_project_events(&project).await.unwrap();
    store.metadata().delete_project(&project).await.unwrap();
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "rollups_answer_as_raw_rows_do",
            rollups_answer_as_raw_rows_do,
        ),
        backend_test("other_queries_read_raw_rows", other_queries_read_raw_rows),
        backend_test("deletes_empty_the_rollups", deletes_empty_the_rollups),
    ]
}
