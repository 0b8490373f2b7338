//! The query of Langfuse's metrics APIs (`GET /api/public/metrics` and `/api/public/v2/metrics`,
//! wire-spec §5.5): the JSON of the `query` parameter checked for shape, the time buckets and
//! their labels. Which views, dimensions and measures exist, and what they compute, is the event
//! store's business (`store/src/metrics/views.rs`).
//!
//! Langfuse's schema: `web/src/features/public-api/types/metrics.ts` (`MetricsQueryObject`,
//! `MetricsQueryObjectV2`); granularity thresholds: `determineTimeGranularity` in
//! `packages/shared/src/features/query/server/queryBuilder.ts`.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::filter::{FilterCondition, FilterError, parse_filter};
use crate::time::Millis;

/// Which API the query came through: v2 has no `traces` view, a default row limit and rules for
/// high-cardinality dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsVersion {
    V1,
    V2,
}

/// How a metric aggregates its measure over the rows of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Avg,
    Count,
    Max,
    Min,
    /// The number of distinct values.
    Uniq,
    /// A percentile, `50` for `p50` (linear interpolation between the closest ranks).
    Percentile(u8),
    /// `bins` equal-width buckets between the group's smallest and largest value.
    Histogram,
}

impl Aggregation {
    /// The aggregation named `name` (`sum`, `p95`, …).
    pub fn parse(name: &str) -> Option<Aggregation> {
        Some(match name {
            "sum" => Aggregation::Sum,
            "avg" => Aggregation::Avg,
            "count" => Aggregation::Count,
            "max" => Aggregation::Max,
            "min" => Aggregation::Min,
            "uniq" => Aggregation::Uniq,
            "p50" => Aggregation::Percentile(50),
            "p75" => Aggregation::Percentile(75),
            "p90" => Aggregation::Percentile(90),
            "p95" => Aggregation::Percentile(95),
            "p99" => Aggregation::Percentile(99),
            "histogram" => Aggregation::Histogram,
            _ => return None,
        })
    }

    /// The name in the query and in the result keys (`sum` of `sum_totalCost`).
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Avg => "avg",
            Aggregation::Count => "count",
            Aggregation::Max => "max",
            Aggregation::Min => "min",
            Aggregation::Uniq => "uniq",
            Aggregation::Percentile(50) => "p50",
            Aggregation::Percentile(75) => "p75",
            Aggregation::Percentile(90) => "p90",
            Aggregation::Percentile(95) => "p95",
            Aggregation::Percentile(_) => "p99",
            Aggregation::Histogram => "histogram",
        }
    }
}

const AGGREGATIONS: &str = "sum, avg, count, max, min, p50, p75, p90, p95, p99, histogram, uniq";

/// One metric of the query: a measure of the view and its aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub measure: String,
    pub aggregation: Aggregation,
}

impl Metric {
    /// The key of the metric in each result row (`sum_totalCost`).
    pub fn key(&self) -> String {
        format!("{}_{}", self.aggregation.name(), self.measure)
    }
}

/// The size of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Minute,
    Hour,
    Day,
    /// Weeks start on Monday.
    Week,
    Month,
}

const MINUTE_MS: Millis = 60_000;
const HOUR_MS: Millis = 3_600_000;
const DAY_MS: Millis = 86_400_000;

impl Granularity {
    /// What `auto` means for the range `from..to`, as Langfuse picks it.
    pub fn auto(from: Millis, to: Millis) -> Granularity {
        let hours = (to - from) as f64 / HOUR_MS as f64;
        if hours < 2.0 {
            Granularity::Minute
        } else if hours < 72.0 {
            Granularity::Hour
        } else if hours < 1440.0 {
            Granularity::Day
        } else if hours < 8760.0 {
            Granularity::Week
        } else {
            Granularity::Month
        }
    }

    /// The start of the bucket holding `at` (UTC).
    pub fn bucket(self, at: Millis) -> Millis {
        match self {
            Granularity::Minute => at.div_euclid(MINUTE_MS) * MINUTE_MS,
            Granularity::Hour => at.div_euclid(HOUR_MS) * HOUR_MS,
            Granularity::Day => at.div_euclid(DAY_MS) * DAY_MS,
            // 1970-01-05 was a Monday.
            Granularity::Week => (at - 4 * DAY_MS).div_euclid(7 * DAY_MS) * 7 * DAY_MS + 4 * DAY_MS,
            Granularity::Month => {
                let date = utc(at).date_naive();
                let first = NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap_or(date);
                first
                    .and_hms_opt(0, 0, 0)
                    .map_or(at, |start| Utc.from_utc_datetime(&start).timestamp_millis())
            }
        }
    }

    /// The start of the bucket after the one that starts at `start`.
    pub fn next(self, start: Millis) -> Millis {
        match self {
            Granularity::Minute => start + MINUTE_MS,
            Granularity::Hour => start + HOUR_MS,
            Granularity::Day => start + DAY_MS,
            Granularity::Week => start + 7 * DAY_MS,
            Granularity::Month => {
                let date = utc(start).date_naive();
                let (year, month) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|first| first.and_hms_opt(0, 0, 0))
                    .map_or(start + 31 * DAY_MS, |first| {
                        Utc.from_utc_datetime(&first).timestamp_millis()
                    })
            }
        }
    }

    /// How a bucket reads in the result: a date for days, weeks and months, an instant for
    /// minutes and hours.
    pub fn label(self, start: Millis) -> String {
        let at = utc(start);
        match self {
            Granularity::Minute | Granularity::Hour => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Granularity::Day | Granularity::Week | Granularity::Month => {
                at.format("%Y-%m-%d").to_string()
            }
        }
    }
}

fn utc(at: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at).unwrap_or_default()
}

/// A figure as JSON, as JavaScript prints it: whole numbers without a fraction (the metrics
/// rows, daily metrics and usage details all print numbers this way).
pub fn json_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// An `orderBy` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// A dimension, `time_dimension` or a metric key (`sum_totalCost`).
    pub field: String,
    pub descending: bool,
}

/// The most rows a query may ask for.
pub const MAX_ROW_LIMIT: u32 = 1_000;
/// v2's row limit when the query sets none.
pub const DEFAULT_V2_ROW_LIMIT: u32 = 100;
/// Histogram buckets when the query sets none, and the most it may ask for.
pub const DEFAULT_BINS: u32 = 10;
pub const MAX_BINS: u32 = 100;

/// A metrics query as the client sent it, checked for shape.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsQuery {
    pub version: MetricsVersion,
    /// `traces` (v1 only), `observations`, `scores-numeric`, `scores-categorical`,
    /// `scores-boolean`.
    pub view: String,
    pub dimensions: Vec<String>,
    pub metrics: Vec<Metric>,
    pub filters: Vec<FilterCondition>,
    /// The time dimension's granularity, `auto` already resolved.
    pub granularity: Option<Granularity>,
    /// Both ends inclusive.
    pub from: Millis,
    pub to: Millis,
    pub order_by: Vec<OrderBy>,
    pub bins: u32,
    /// As the query set it; v2 applies [`DEFAULT_V2_ROW_LIMIT`] when absent.
    pub row_limit: Option<u32>,
}

impl MetricsQuery {
    /// The row limit that applies.
    pub fn limit(&self) -> Option<u32> {
        match self.version {
            MetricsVersion::V1 => self.row_limit,
            MetricsVersion::V2 => Some(self.row_limit.unwrap_or(DEFAULT_V2_ROW_LIMIT)),
        }
    }
}

/// Why a query was refused: a shape problem at `path` (answered like Langfuse's zod errors), or
/// a plain message.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsQueryError {
    /// Answered as `{"message": "Invalid request data", "error": [{path, message}]}`.
    Shape { path: Vec<Value>, message: String },
    /// Answered as `{"message": …, "error": "InvalidRequestError"}`.
    Invalid(String),
}

fn shape(path: &[&str], message: impl Into<String>) -> MetricsQueryError {
    let mut full = vec![Value::from("query")];
    full.extend(path.iter().map(|part| Value::from(*part)));
    MetricsQueryError::Shape {
        path: full,
        message: message.into(),
    }
}

const V1_VIEWS: &[&str] = &[
    "traces",
    "observations",
    "scores-numeric",
    "scores-categorical",
    "scores-boolean",
];
const V2_VIEWS: &[&str] = &[
    "observations",
    "scores-numeric",
    "scores-categorical",
    "scores-boolean",
];
const GRANULARITIES: &str = "auto, minute, hour, day, week, month";

/// Parses the `query` parameter of either version.
pub fn parse_metrics_query(
    raw: &str,
    version: MetricsVersion,
) -> Result<MetricsQuery, MetricsQueryError> {
    let value: Value = serde_json::from_str(raw)
        .map_err(|_| MetricsQueryError::Invalid("Invalid JSON in query parameter".into()))?;
    let Value::Object(object) = value else {
        return Err(shape(&[], "Expected the query to be a JSON object"));
    };
    let views = match version {
        MetricsVersion::V1 => V1_VIEWS,
        MetricsVersion::V2 => V2_VIEWS,
    };
    let view = match object.get("view") {
        Some(Value::String(view)) if views.contains(&view.as_str()) => view.clone(),
        Some(Value::String(view)) => {
            return Err(shape(
                &["view"],
                format!(
                    "Invalid view '{view}'. Expected one of: {}",
                    views.join(", ")
                ),
            ));
        }
        _ => {
            return Err(shape(
                &["view"],
                format!("Required: one of {}", views.join(", ")),
            ));
        }
    };
    let dimensions = parse_dimensions(&object)?;
    let metrics = parse_metrics(&object)?;
    let filters = match object.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(filters @ Value::Array(_)) => {
            parse_filter(&filters.to_string()).map_err(|FilterError { mut path, message }| {
                if path.first() == Some(&Value::from("filter")) {
                    path[0] = Value::from("filters");
                }
                path.insert(0, Value::from("query"));
                MetricsQueryError::Shape { path, message }
            })?
        }
        Some(_) => return Err(shape(&["filters"], "Expected an array of filters")),
    };
    let from = timestamp(&object, "fromTimestamp")?;
    let to = timestamp(&object, "toTimestamp")?;
    if from >= to {
        return Err(shape(&[], "fromTimestamp must be before toTimestamp"));
    }
    let granularity = match object.get("timeDimension") {
        None | Some(Value::Null) => None,
        Some(Value::Object(time)) => Some(match time.get("granularity").and_then(Value::as_str) {
            Some("auto") => Granularity::auto(from, to),
            Some("minute") => Granularity::Minute,
            Some("hour") => Granularity::Hour,
            Some("day") => Granularity::Day,
            Some("week") => Granularity::Week,
            Some("month") => Granularity::Month,
            _ => {
                return Err(shape(
                    &["timeDimension", "granularity"],
                    format!("Expected one of: {GRANULARITIES}"),
                ));
            }
        }),
        Some(_) => {
            return Err(shape(
                &["timeDimension"],
                "Expected an object {granularity}",
            ));
        }
    };
    let order_by = parse_order_by(&object)?;
    let (bins, row_limit) = parse_config(&object)?;
    Ok(MetricsQuery {
        version,
        view,
        dimensions,
        metrics,
        filters,
        granularity,
        from,
        to,
        order_by,
        bins,
        row_limit,
    })
}

fn parse_dimensions(object: &Map<String, Value>) -> Result<Vec<String>, MetricsQueryError> {
    let items = match object.get("dimensions") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(shape(&["dimensions"], "Expected an array of {field}")),
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.get("field")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    shape(
                        &["dimensions", &index.to_string(), "field"],
                        "Expected a string",
                    )
                })
        })
        .collect()
}

fn parse_metrics(object: &Map<String, Value>) -> Result<Vec<Metric>, MetricsQueryError> {
    let Some(Value::Array(items)) = object.get("metrics") else {
        return Err(shape(
            &["metrics"],
            "Required: an array of {measure, aggregation}",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let at = index.to_string();
            let measure = item
                .get("measure")
                .and_then(Value::as_str)
                .ok_or_else(|| shape(&["metrics", &at, "measure"], "Expected a string"))?;
            let aggregation = item
                .get("aggregation")
                .and_then(Value::as_str)
                .and_then(Aggregation::parse)
                .ok_or_else(|| {
                    shape(
                        &["metrics", &at, "aggregation"],
                        format!("Expected one of: {AGGREGATIONS}"),
                    )
                })?;
            Ok(Metric {
                measure: measure.to_owned(),
                aggregation,
            })
        })
        .collect()
}

/// An ISO 8601 timestamp with a `Z` or an offset, as milliseconds.
fn timestamp(object: &Map<String, Value>, field: &str) -> Result<Millis, MetricsQueryError> {
    let text = object
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| shape(&[field], "Required: an ISO 8601 timestamp with a time zone"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.timestamp_millis())
        .map_err(|_| {
            shape(
                &[field],
                format!("Invalid datetime '{text}': expected ISO 8601 with a time zone"),
            )
        })
}

fn parse_order_by(object: &Map<String, Value>) -> Result<Vec<OrderBy>, MetricsQueryError> {
    let items = match object.get("orderBy") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(shape(
                &["orderBy"],
                "Expected an array of {field, direction}",
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let at = index.to_string();
            let field = item
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| shape(&["orderBy", &at, "field"], "Expected a string"))?;
            let descending = match item.get("direction").and_then(Value::as_str) {
                Some("asc") => false,
                Some("desc") => true,
                _ => {
                    return Err(shape(
                        &["orderBy", &at, "direction"],
                        "Expected 'asc' or 'desc'",
                    ));
                }
            };
            Ok(OrderBy {
                field: field.to_owned(),
                descending,
            })
        })
        .collect()
}

fn parse_config(object: &Map<String, Value>) -> Result<(u32, Option<u32>), MetricsQueryError> {
    let config = match object.get("config") {
        None | Some(Value::Null) => return Ok((DEFAULT_BINS, None)),
        Some(Value::Object(config)) => config,
        Some(_) => return Err(shape(&["config"], "Expected an object {bins, row_limit}")),
    };
    let bounded = |field: &str, max: u32| -> Result<Option<u32>, MetricsQueryError> {
        match config.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .filter(|n| (1..=u64::from(max)).contains(n))
                .map(|n| Some(n as u32))
                .ok_or_else(|| {
                    shape(
                        &["config", field],
                        format!("Expected an integer from 1 to {max}"),
                    )
                }),
        }
    };
    let bins = bounded("bins", MAX_BINS)?.unwrap_or(DEFAULT_BINS);
    let row_limit = bounded("row_limit", MAX_ROW_LIMIT)?;
    Ok((bins, row_limit))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(query: Value, version: MetricsVersion) -> Result<MetricsQuery, MetricsQueryError> {
        parse_metrics_query(&query.to_string(), version)
    }

    fn base() -> Value {
        json!({"view": "observations", "metrics": [{"measure": "count", "aggregation": "count"}],
            "fromTimestamp": "2025-01-01T00:00:00Z", "toTimestamp": "2025-01-03T00:00:00Z"})
    }

    #[test]
    fn a_full_query_reads_back() {
        let mut query = base();
        query["dimensions"] = json!([{"field": "name"}]);
        query["metrics"] = json!([{"measure": "latency", "aggregation": "p95"}]);
        query["timeDimension"] = json!({"granularity": "auto"});
        query["orderBy"] = json!([{"field": "p95_latency", "direction": "desc"}]);
        query["config"] = json!({"row_limit": 5, "bins": 20});
        query["filters"] =
            json!([{"column": "type", "type": "string", "operator": "=", "value": "GENERATION"}]);
        let query = parse(query, MetricsVersion::V2).unwrap();
        assert_eq!(query.dimensions, vec!["name"]);
        assert_eq!(query.metrics[0].key(), "p95_latency");
        assert_eq!(query.granularity, Some(Granularity::Hour));
        assert_eq!(query.from, 1_735_689_600_000);
        assert_eq!(query.limit(), Some(5));
        assert_eq!(query.bins, 20);
        assert_eq!(query.filters.len(), 1);
        assert!(query.order_by[0].descending);
    }

    #[test]
    fn v2_defaults_its_row_limit_and_has_no_traces_view() {
        assert_eq!(
            parse(base(), MetricsVersion::V2).unwrap().limit(),
            Some(100)
        );
        assert_eq!(parse(base(), MetricsVersion::V1).unwrap().limit(), None);
        let mut traces = base();
        traces["view"] = json!("traces");
        assert!(parse(traces.clone(), MetricsVersion::V1).is_ok());
        let Err(MetricsQueryError::Shape { path, message }) = parse(traces, MetricsVersion::V2)
        else {
            panic!("traces on v2");
        };
        assert_eq!(path, vec![json!("query"), json!("view")]);
        assert!(message.contains("observations"), "{message}");
    }

    #[test]
    fn bad_queries_name_their_problem() {
        assert_eq!(
            parse_metrics_query("{not json", MetricsVersion::V1),
            Err(MetricsQueryError::Invalid(
                "Invalid JSON in query parameter".into()
            ))
        );
        let cases = [
            (
                "metrics",
                json!([{"measure": "count", "aggregation": "median"}]),
                "aggregation",
            ),
            ("toTimestamp", json!("2025-01-03T00:00:00"), "toTimestamp"),
            ("timeDimension", json!({"granularity": "1h"}), "granularity"),
            ("config", json!({"row_limit": 5000}), "row_limit"),
            (
                "orderBy",
                json!([{"field": "x", "direction": "up"}]),
                "direction",
            ),
        ];
        for (field, value, part) in cases {
            let mut query = base();
            query[field] = value;
            let Err(MetricsQueryError::Shape { path, .. }) = parse(query, MetricsVersion::V1)
            else {
                panic!("{field} accepted");
            };
            assert_eq!(path.last(), Some(&json!(part)), "{field}");
        }
        let mut missing = base();
        missing.as_object_mut().unwrap().remove("fromTimestamp");
        assert!(parse(missing, MetricsVersion::V2).is_err());
        let mut backwards = base();
        backwards["toTimestamp"] = json!("2024-12-31T00:00:00Z");
        let Err(MetricsQueryError::Shape { message, .. }) = parse(backwards, MetricsVersion::V2)
        else {
            panic!("backwards range accepted");
        };
        assert_eq!(message, "fromTimestamp must be before toTimestamp");
    }

    #[test]
    fn buckets_follow_the_calendar() {
        let at = DateTime::parse_from_rfc3339("2025-03-19T13:45:30Z")
            .unwrap()
            .timestamp_millis();
        let label = |g: Granularity| g.label(g.bucket(at));
        assert_eq!(label(Granularity::Minute), "2025-03-19T13:45:00Z");
        assert_eq!(label(Granularity::Hour), "2025-03-19T13:00:00Z");
        assert_eq!(label(Granularity::Day), "2025-03-19");
        assert_eq!(label(Granularity::Week), "2025-03-17");
        assert_eq!(label(Granularity::Month), "2025-03-01");
        let december = Granularity::Month.bucket(
            DateTime::parse_from_rfc3339("2024-12-31T23:00:00Z")
                .unwrap()
                .timestamp_millis(),
        );
        assert_eq!(
            Granularity::Month.label(Granularity::Month.next(december)),
            "2025-01-01"
        );
        assert_eq!(Granularity::auto(0, HOUR_MS), Granularity::Minute);
        assert_eq!(Granularity::auto(0, 3 * DAY_MS), Granularity::Day);
        assert_eq!(Granularity::auto(0, 100 * DAY_MS), Granularity::Week);
        assert_eq!(Granularity::auto(0, 400 * DAY_MS), Granularity::Month);
    }
}
