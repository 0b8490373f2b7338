//! Metrics (wire-spec §5.5): `GET /api/public/metrics` and `GET /api/public/v2/metrics`, view
//! queries given as JSON in the `query` parameter (`services/metrics.rs`), and
//! `GET /api/public/metrics/daily`, the traces, observations, cost and per-model usage of each
//! UTC day, newest day first.

use axum::extract::State;
use serde_json::{Value, json};
use sightline_domain::metrics::{
    MetricsQueryError, MetricsVersion, json_number, parse_metrics_query,
};
use sightline_domain::time::to_iso;
use sightline_store::{DAY_MS, DailyMetrics, MetricsQuery};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::services;
use crate::state::AppState;

/// `GET /api/public/metrics`: a v1 query (views `traces`, `observations` and the scores').
pub async fn get_metrics(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<axum::Json<Value>> {
    metrics(state, &caller.project_id, &query, MetricsVersion::V1).await
}

/// `GET /api/public/v2/metrics`: a v2 query (no `traces` view, a default row limit of 100, the
/// high-cardinality rules).
pub async fn get_metrics_v2(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<axum::Json<Value>> {
    metrics(state, &caller.project_id, &query, MetricsVersion::V2).await
}

async fn metrics(
    state: AppState,
    project: &sightline_domain::ProjectId,
    pairs: &QueryPairs,
    version: MetricsVersion,
) -> ApiResult<axum::Json<Value>> {
    let raw = pairs
        .get("query")
        .ok_or_else(|| ApiError::invalid_field("query", "Required"))?;
    let query = parse_metrics_query(raw, version).map_err(|error| match error {
        MetricsQueryError::Shape { path, message } => ApiError::InvalidData { path, message },
        MetricsQueryError::Invalid(message) => ApiError::InvalidRequest(message),
    })?;
    let data = services::metrics::query_metrics(state.store().events(), project, &query).await?;
    Ok(axum::Json(json!({"data": data})))
}

/// `YYYY-MM-DD` of a day counted from the Unix epoch.
fn date(day: i64) -> String {
    to_iso(day * DAY_MS).chars().take(10).collect()
}

fn view(metrics: &DailyMetrics) -> Value {
    let usage: Vec<Value> = metrics
        .usage
        .iter()
        .map(|usage| {
            json!({
                "model": usage.model,
                "inputUsage": json_number(usage.input_usage),
                "outputUsage": json_number(usage.output_usage),
                "totalUsage": json_number(usage.total_usage),
                "countTraces": usage.count_traces,
                "countObservations": usage.count_observations,
                "totalCost": usage.total_cost,
            })
        })
        .collect();
    json!({
        "date": date(metrics.day),
        "countTraces": metrics.count_traces,
        "countObservations": metrics.count_observations,
        "totalCost": metrics.total_cost,
        "usage": usage,
    })
}

/// Repeated parameters, also in their `name[]` spelling.
fn all(query: &QueryPairs, name: &str) -> Vec<String> {
    let mut values = query.all(name);
    values.extend(query.all(&format!("{name}[]")));
    values
}

pub async fn get_daily_metrics(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<axum::Json<Value>> {
    let page = query.page()?;
    let metrics_query = MetricsQuery {
        trace_name: query.get("traceName").map(str::to_owned),
        user_id: query.get("userId").map(str::to_owned),
        tags: all(&query, "tags"),
        environments: all(&query, "environment"),
        from_timestamp: query.time("fromTimestamp")?,
        to_timestamp: query.time("toTimestamp")?,
        limit: page.limit,
        offset: page.offset(),
    };
    let (days, total) = state
        .store()
        .events()
        .daily_metrics(&caller.project_id, &metrics_query)
        .await?;
    let data: Vec<Value> = days.iter().map(view).collect();
    Ok(axum::Json(json!({"data": data, "meta": page.meta(total)})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_formatted_in_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(json_number(3.0), json!(3));
        assert_eq!(json_number(0.5), json!(0.5));
    }
}
