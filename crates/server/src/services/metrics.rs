//! The metrics APIs' answers (wire-spec §5.5): a checked query run on the event store, its empty
//! time buckets filled as Langfuse fills them, and its rows as the JSON objects clients read.
//!
//! Langfuse fills the buckets between `fromTimestamp` and the bucket holding `toTimestamp`
//! (exclusive) when a query has a time dimension and no `orderBy`, with one row per empty bucket
//! whose dimensions are `null` and whose counts and sums are 0 (`buildWithFillClause` in
//! `packages/shared/src/features/query/server/queryBuilder.ts`); its row limit applies after.

use serde_json::{Map, Value};
use sightline_domain::ProjectId;
use sightline_domain::metrics::{Aggregation, Granularity, MetricsQuery, json_number};
use sightline_store::{EventStore, MetricsRow, StoreResult, fills_gaps};

/// The rows of `query` for `project`, as the JSON objects of the reply's `data`.
pub async fn query_metrics(
    events: &dyn EventStore,
    project: &ProjectId,
    query: &MetricsQuery,
) -> StoreResult<Vec<Value>> {
    let mut rows = events.query_metrics(project, query).await?;
    if let Some(granularity) = query.granularity.filter(|_| fills_gaps(query)) {
        rows = fill_gaps(rows, query, granularity);
    }
    if let Some(limit) = query.limit() {
        rows.truncate(limit as usize);
    }
    Ok(rows.iter().map(|row| object(query, row)).collect())
}

/// `rows` (ordered by bucket) with a row for every empty bucket of the range.
fn fill_gaps(
    rows: Vec<MetricsRow>,
    query: &MetricsQuery,
    granularity: Granularity,
) -> Vec<MetricsRow> {
    let end = granularity.bucket(query.to);
    let mut bucket = granularity.bucket(query.from);
    let mut filled = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while bucket < end || rows.peek().is_some() {
        let mut seen = false;
        while let Some(row) = rows.next_if(|row| row.bucket.is_some_and(|b| b <= bucket)) {
            seen = true;
            filled.push(row);
        }
        if !seen && bucket < end {
            filled.push(empty_row(query, bucket));
        }
        bucket = granularity.next(bucket);
        // Rows past the range's last bucket (the bucket of `toTimestamp` itself) follow as they are.
        if bucket >= end {
            filled.extend(rows.by_ref());
            break;
        }
    }
    filled
}

/// The row of an empty bucket: no dimension values, counts and sums 0, the rest without value.
fn empty_row(query: &MetricsQuery, bucket: i64) -> MetricsRow {
    let zero_or_none = |aggregation: Aggregation| match aggregation {
        Aggregation::Count | Aggregation::Uniq | Aggregation::Sum => Some(0.0),
        _ => None,
    };
    let mut metrics: Vec<Option<f64>> = query
        .metrics
        .iter()
        .map(|metric| zero_or_none(metric.aggregation))
        .collect();
    if query.metrics.is_empty() {
        metrics.push(Some(0.0));
    }
    MetricsRow {
        dimensions: vec![Value::Null; query.dimensions.len()],
        bucket: Some(bucket),
        metrics,
    }
}

/// A row as the object clients read: dimensions by name, `time_dimension`, and one
/// `<aggregation>_<measure>` per metric (`count` for a query without metrics).
fn object(query: &MetricsQuery, row: &MetricsRow) -> Value {
    let mut object = Map::new();
    for (name, value) in query.dimensions.iter().zip(&row.dimensions) {
        object.insert(name.clone(), value.clone());
    }
    if let (Some(granularity), Some(bucket)) = (query.granularity, row.bucket) {
        object.insert(
            "time_dimension".into(),
            Value::from(granularity.label(bucket)),
        );
    }
    if query.metrics.is_empty() {
        object.insert(
            "count".into(),
            number(row.metrics.first().copied().flatten()),
        );
    }
    for (metric, value) in query.metrics.iter().zip(&row.metrics) {
        object.insert(metric.key(), number(*value));
    }
    Value::Object(object)
}

/// A figure as JSON, `null` when there is none.
fn number(value: Option<f64>) -> Value {
    value.map_or(Value::Null, json_number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sightline_domain::metrics::{MetricsVersion, parse_metrics_query};

    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn empty_days_are_filled_up_to_the_last_bucket() {
        let query = parse_metrics_query(
            &json!({"view": "observations", "dimensions": [{"field": "name"}],
                "metrics": [{"measure": "count", "aggregation": "count"},
                    {"measure": "latency", "aggregation": "avg"}],
                "timeDimension": {"granularity": "day"},
                "fromTimestamp": "1970-01-01T00:00:00Z", "toTimestamp": "1970-01-04T12:00:00Z"})
            .to_string(),
            MetricsVersion::V1,
        )
        .unwrap();
        let row = |day: i64, name: &str| MetricsRow {
            dimensions: vec![json!(name)],
            bucket: Some(day * DAY),
            metrics: vec![Some(2.0), Some(1.5)],
        };
        let rows = fill_gaps(
            vec![row(1, "a"), row(1, "b"), row(3, "a")],
            &query,
            Granularity::Day,
        );
        let objects: Vec<Value> = rows.iter().map(|r| object(&query, r)).collect();
        assert_eq!(
            objects,
            vec![
                json!({"name": null, "time_dimension": "1970-01-01", "count_count": 0, "avg_latency": null}),
                json!({"name": "a", "time_dimension": "1970-01-02", "count_count": 2, "avg_latency": 1.5}),
                json!({"name": "b", "time_dimension": "1970-01-02", "count_count": 2, "avg_latency": 1.5}),
                json!({"name": null, "time_dimension": "1970-01-03", "count_count": 0, "avg_latency": null}),
                json!({"name": "a", "time_dimension": "1970-01-04", "count_count": 2, "avg_latency": 1.5}),
            ]
        );
    }
}
