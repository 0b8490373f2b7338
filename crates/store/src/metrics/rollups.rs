//! The hourly rollups of migration 0014 as a source of metrics queries: a query that only
//! groups and filters by what a rollup keeps, and only asks for what its sums and latency
//! sketches answer, reads the rollup rows of the whole hours of its range plus the raw rows of
//! the partial hours at either end, so that its cost does not grow with the raw row count and
//! its answer is the raw answer (percentiles within the sketch's 2%,
//! `sightline_domain::sketch`). Every other query runs on raw rows (`query.rs`).
//!
//! Both kinds of row meet in one `UNION ALL` that has the columns of the view's table that
//! the view's dimensions read (`observations.model`, …) and the rollup's sums. The union is
//! named after that table, so the view's dimension expressions, its filters and its segment
//! apply to it unchanged:
//!
//! ```sql
//! SELECT d0, …, SUM(n), … FROM (SELECT <dimension> AS d0, …, n, total_cost, … FROM (
//!     SELECT environment, …, hour AS start_time, observations AS n, … FROM observation_rollups
//!     WHERE project_id = ? AND hour >= <first whole hour> AND hour < <end of the last>
//!   UNION ALL
//!     SELECT observations.environment, …, 1, … FROM observations
//!     WHERE project_id = ? AND <start_time in the partial hours>
//! ) observations WHERE <filters>) r GROUP BY d0, … HAVING SUM(n) > 0
//! ```

use sightline_domain::metrics::{Aggregation, Granularity, Metric, MetricsQuery};
use sightline_domain::time::Millis;

use super::views::View;
use crate::sql::Dialect;

/// The length of a rollup's time bucket.
pub(crate) const HOUR_MS: Millis = 3_600_000;

/// One rollup table and the view whose queries it answers.
pub(crate) struct Rollup {
    pub view: &'static str,
    pub table: &'static str,
    /// The same rows by UTC day (its time column `day`), read for the whole days of a range
    /// when the query has no hourly buckets.
    pub daily: Option<&'static str>,
    /// The view's dimensions it keeps.
    pub dimensions: &'static [&'static str],
    /// The columns of the union, in order (in groups: the trace rollups share theirs).
    pub columns: &'static [&'static [Part]],
    /// The aggregate (over the union's columns) that answers a metric, if the rollup can.
    pub metric: fn(Dialect, &Metric) -> Option<String>,
}

/// A column of the union: its name, its expression over a rollup row, and its expression over
/// a raw row of the view's table.
pub(crate) struct Part {
    pub name: &'static str,
    pub rollup: &'static str,
    pub raw: fn(Dialect, &View) -> String,
}

const fn part(name: &'static str, rollup: &'static str, raw: fn(Dialect, &View) -> String) -> Part {
    Part { name, rollup, raw }
}

/// The raw expression of a measure of the view, `0` where it has no value.
fn measure_or_zero(dialect: Dialect, view: &View, name: &str) -> String {
    let measure = view
        .measure(name)
        .map_or_else(|| "NULL".to_owned(), |m| (m.sql)(dialect));
    format!("COALESCE({measure}, 0)")
}

/// The sum of a column, 0 over no rows (as the raw `sum` answers).
fn sum(column: &str) -> String {
    format!("COALESCE(SUM({column}), 0)")
}

/// An average of sums, NULL where nothing was counted (as `AVG` over no values).
fn average(sum: &str, count: &str) -> String {
    format!("(1.0 * SUM({sum}) / NULLIF(SUM({count}), 0))")
}

pub(crate) const ROLLUPS: &[Rollup] = &[
    OBSERVATIONS,
    TRACES_BY_NAME,
    TRACES_BY_USER,
    scores("scores-numeric"),
    scores("scores-categorical"),
    scores("scores-boolean"),
];

const OBSERVATIONS: Rollup = Rollup {
    view: "observations",
    table: "observation_rollups",
    daily: None,
    dimensions: &["environment", "type", "name", "providedModelName", "level"],
    columns: &[&[
        part("environment", "environment", |_, _| {
            "observations.environment".into()
        }),
        part("type", "type", |_, _| "observations.type".into()),
        part("name", "NULLIF(name, '')", |_, _| {
            "observations.name".into()
        }),
        part("model", "NULLIF(model, '')", |_, _| {
            "observations.model".into()
        }),
        part("level", "level", |_, _| "observations.level".into()),
        part("start_time", "hour", |_, _| {
            "observations.start_time".into()
        }),
        part("n", "observations", |_, _| "1".into()),
        part("input_tokens", "input_tokens", |d, v| {
            measure_or_zero(d, v, "inputTokens")
        }),
        part("output_tokens", "output_tokens", |d, v| {
            measure_or_zero(d, v, "outputTokens")
        }),
        part("total_tokens", "total_tokens", |d, v| {
            measure_or_zero(d, v, "totalTokens")
        }),
        part("input_cost", "input_cost", |d, v| {
            measure_or_zero(d, v, "inputCost")
        }),
        part("output_cost", "output_cost", |d, v| {
            measure_or_zero(d, v, "outputCost")
        }),
        part("total_cost", "total_cost", |d, v| {
            measure_or_zero(d, v, "totalCost")
        }),
        part("latencies", "latencies", |_, _| {
            "(CASE WHEN observations.end_time IS NULL THEN 0 ELSE 1 END)".into()
        }),
        part("latency_sum", "latency_sum", |d, v| {
            measure_or_zero(d, v, "latency")
        }),
        part("latency_sketch", "latency_sketch", |d, _| {
            d.sketch("observations.end_time - observations.start_time")
        }),
    ]],
    metric: |dialect, metric| {
        use Aggregation::*;
        let sums = [
            ("inputTokens", "input_tokens"),
            ("outputTokens", "output_tokens"),
            ("totalTokens", "total_tokens"),
            ("inputCost", "input_cost"),
            ("outputCost", "output_cost"),
            ("totalCost", "total_cost"),
        ];
        match (metric.measure.as_str(), metric.aggregation) {
            ("count", Count | Sum) => Some(sum("n")),
            ("latency", Sum) => Some(sum("latency_sum")),
            ("latency", Count) => Some("SUM(latencies)".into()),
            ("latency", Avg) => Some(average("latency_sum", "latencies")),
            ("latency", Percentile(p)) => {
                Some(dialect.sketch_quantile("latency_sketch", f64::from(p) / 100.0))
            }
            (measure, Sum) => sums
                .iter()
                .find(|(name, _)| *name == measure)
                .map(|(_, column)| sum(column)),
            _ => None,
        }
    },
};

const TRACE_SUMS: &[Part] = &[
    part("timestamp", "hour", |_, _| "traces.timestamp".into()),
    part("n", "traces", |_, _| "1".into()),
    part("total_cost", "total_cost", |d, v| {
        measure_or_zero(d, v, "totalCost")
    }),
    part("total_tokens", "total_tokens", |d, v| {
        measure_or_zero(d, v, "totalTokens")
    }),
];

const TRACE_ENVIRONMENT: Part = part("environment", "environment", |_, _| {
    "traces.environment".into()
});

const TRACES_BY_NAME: Rollup = Rollup {
    view: "traces",
    table: "trace_rollups",
    daily: None,
    dimensions: &["environment", "name"],
    columns: &[
        &[
            TRACE_ENVIRONMENT,
            part("name", "NULLIF(name, '')", |_, _| "traces.name".into()),
        ],
        TRACE_SUMS,
    ],
    metric: trace_metric,
};

const TRACES_BY_USER: Rollup = Rollup {
    view: "traces",
    table: "trace_user_rollups",
    daily: Some("trace_user_daily_rollups"),
    dimensions: &["environment", "userId"],
    columns: &[
        &[
            TRACE_ENVIRONMENT,
            part("user_id", "NULLIF(user_id, '')", |_, _| {
                "traces.user_id".into()
            }),
        ],
        TRACE_SUMS,
    ],
    metric: trace_metric,
};

fn trace_metric(_: Dialect, metric: &Metric) -> Option<String> {
    match (metric.measure.as_str(), metric.aggregation) {
        ("count", Aggregation::Count | Aggregation::Sum) => Some(sum("n")),
        ("totalCost", Aggregation::Sum) => Some(sum("total_cost")),
        ("totalTokens", Aggregation::Sum) => Some(sum("total_tokens")),
        _ => None,
    }
}

/// The score rollup as the source of one scores view (the view's segment picks its data
/// types).
const fn scores(view: &'static str) -> Rollup {
    Rollup {
        view,
        table: "score_rollups",
        daily: None,
        dimensions: &["environment", "name", "source", "dataType", "stringValue"],
        columns: &[SCORE_PARTS],
        metric: score_metric,
    }
}

const SCORE_PARTS: &[Part] = &[
    part("environment", "environment", |_, _| {
        "scores.environment".into()
    }),
    part("name", "name", |_, _| "scores.name".into()),
    part("source", "source", |_, _| "scores.source".into()),
    part("data_type", "data_type", |_, _| "scores.data_type".into()),
    part("string_value", "NULLIF(string_value, '')", |_, _| {
        "scores.string_value".into()
    }),
    part("timestamp", "hour", |_, _| "scores.timestamp".into()),
    part("n", "scores", |_, _| "1".into()),
    part("value_count", "\"values\"", |_, _| {
        "(CASE WHEN scores.value IS NULL THEN 0 ELSE 1 END)".into()
    }),
    part("value_sum", "value_sum", |_, _| {
        "COALESCE(scores.value, 0)".into()
    }),
];

fn score_metric(_: Dialect, metric: &Metric) -> Option<String> {
    match (metric.measure.as_str(), metric.aggregation) {
        ("count", Aggregation::Count | Aggregation::Sum) => Some(sum("n")),
        ("value", Aggregation::Sum) => Some(sum("value_sum")),
        ("value", Aggregation::Count) => Some("SUM(value_count)".into()),
        ("value", Aggregation::Avg) => Some(average("value_sum", "value_count")),
        _ => None,
    }
}

/// The whole buckets of `unit` milliseconds within `start..end` (end exclusive): the first that
/// starts at or after `start`, and the end of the last that ends by `end`.
fn whole(start: Millis, end: Millis, unit: Millis) -> Option<(Millis, Millis)> {
    let first = start.div_euclid(unit) * unit + if start.rem_euclid(unit) == 0 { 0 } else { unit };
    let last_end = end.div_euclid(unit) * unit;
    (first < last_end).then_some((first, last_end))
}

/// The whole hours of a range, `to` inclusive; `None` when it holds no whole hour.
pub(crate) fn whole_hours(from: Millis, to: Millis) -> Option<(Millis, Millis)> {
    whole(from, to + 1, HOUR_MS)
}

/// The length of a daily rollup's time bucket.
pub(crate) const DAY_MS: Millis = 86_400_000;

/// The whole UTC days within the whole hours `first..end`, when there is one.
pub(crate) fn whole_days((first, end): (Millis, Millis)) -> Option<(Millis, Millis)> {
    whole(first, end, DAY_MS)
}

/// The rollup that answers `query` (already checked against its view), and the whole hours it
/// reads; `None` when the query needs raw rows: a dimension, filter or metric the rollups do
/// not keep, minute buckets, or a range without a whole hour.
pub(crate) fn plan(
    dialect: Dialect,
    query: &MetricsQuery,
) -> Option<(&'static Rollup, (Millis, Millis))> {
    if query.granularity == Some(Granularity::Minute) || query.from < 0 {
        return None;
    }
    let hours = whole_hours(query.from, query.to)?;
    let rollup = ROLLUPS.iter().find(|rollup| {
        rollup.view == query.view
            && query
                .dimensions
                .iter()
                .all(|d| rollup.dimensions.contains(&d.as_str()))
            && query
                .filters
                .iter()
                .all(|f| rollup.dimensions.contains(&f.column.as_str()))
            && query
                .metrics
                .iter()
                .all(|m| (rollup.metric)(dialect, m).is_some())
    })?;
    Some((rollup, hours))
}

impl Rollup {
    /// Every column of the union.
    pub(crate) fn parts(&self) -> impl Iterator<Item = &'static Part> + '_ {
        self.columns.iter().flat_map(|group| group.iter())
    }
}
