//! Score analytics: for one score name, its distribution, its trend over the range, and how two
//! sources agree on it (for example ANNOTATION and EVAL) — for numeric, boolean and categorical
//! scores. Figures come from metrics queries over the scores views and from the score pairs of
//! the event store; agreement is computed by the domain's `score_analytics.rs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use sightline_domain::filter::{FilterCondition, Test, TextOperator};
use sightline_domain::metrics::{Aggregation, Granularity, Metric, MetricsQuery, MetricsVersion};
use sightline_domain::score_analytics::{categorical_agreement, histogram, numeric_agreement};
use sightline_domain::{ProjectId, ProjectScope};
use sightline_server::services::metrics::query_metrics;
use sightline_store::EventStore;

use crate::assets;
use crate::error::WebResult;
use crate::pages::dashboard::{
    Chart, RANGES, Selection, Series, breakdown, script_json, time_series,
};
use crate::pages::listing::ListParams;
use crate::pages::page;
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

const SOURCES: &[&str] = &["API", "ANNOTATION", "EVAL"];

/// A score name with its data type, as the picker lists it.
struct ScoreName {
    name: String,
    data_type: String,
    count: u64,
}

/// How two sources agree, as the page shows it.
struct Agreement {
    pairs: usize,
    figures: Vec<(&'static str, String)>,
    /// Rows of the confusion matrix of a categorical or boolean score: (a, b, pairs).
    matrix: Vec<(String, String, usize)>,
}

#[derive(Template)]
#[template(path = "score_analytics.html")]
struct ScoreAnalyticsPage {
    layout: Layout,
    access: ProjectAccess,
    action: String,
    /// The scores table.
    table_url: String,
    names: Vec<ScoreName>,
    selected: String,
    data_type: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    sources: Vec<&'static str>,
    source_a: String,
    source_b: String,
    agreement: Option<Agreement>,
    charts: Vec<(String, String)>,
    charts_json: String,
    echarts_url: String,
}

fn query(
    view: &str,
    dimensions: &[&str],
    metrics: Vec<Metric>,
    filters: Vec<FilterCondition>,
    selection: &Selection,
    time: bool,
) -> MetricsQuery {
    MetricsQuery {
        version: MetricsVersion::V1,
        view: view.into(),
        dimensions: dimensions.iter().map(|d| (*d).to_owned()).collect(),
        metrics,
        filters,
        granularity: time.then(|| Granularity::auto(selection.from, selection.to)),
        from: selection.from,
        to: selection.to,
        order_by: Vec::new(),
        bins: 10,
        row_limit: Some(1_000),
    }
}

fn named(name: &str) -> FilterCondition {
    FilterCondition {
        column: "name".into(),
        key: None,
        test: Test::Text(TextOperator::Equal, name.into()),
    }
}

fn count() -> Metric {
    Metric {
        measure: "count".into(),
        aggregation: Aggregation::Count,
    }
}

/// The project's score names in the range, with their data types, most used first.
async fn score_names(
    events: &dyn EventStore,
    project: &ProjectId,
    selection: &Selection,
) -> WebResult<Vec<ScoreName>> {
    let mut names = Vec::new();
    for (view, dimensions) in [
        ("scores-numeric", &["name", "dataType"][..]),
        ("scores-categorical", &["name", "dataType"][..]),
    ] {
        let rows = query_metrics(
            events,
            project,
            &query(
                view,
                dimensions,
                vec![count()],
                Vec::new(),
                selection,
                false,
            ),
        )
        .await?;
        names.extend(rows.iter().filter_map(|row| {
            Some(ScoreName {
                name: row["name"].as_str()?.to_owned(),
                data_type: row["dataType"].as_str().unwrap_or("NUMERIC").to_owned(),
                count: row["count_count"].as_u64().unwrap_or(0),
            })
        }));
    }
    names.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    Ok(names)
}

fn plain(series: Vec<(String, Vec<Option<f64>>)>) -> Vec<Series> {
    series
        .into_iter()
        .map(|(name, data)| Series {
            links: vec![String::new(); data.len()],
            name,
            data,
        })
        .collect()
}

fn figure(value: f64) -> String {
    format!("{value:.3}")
}

pub async fn get_score_analytics(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let project = access.project.id.clone();
    let events = state.store().events();
    let selection = Selection::read(&params);
    let names = score_names(events, &project, &selection).await?;
    let selected = params
        .text("name")
        .filter(|name| names.iter().any(|n| n.name == *name))
        .or_else(|| names.first().map(|n| n.name.clone()))
        .unwrap_or_default();
    let data_type = names
        .iter()
        .find(|n| n.name == selected)
        .map(|n| n.data_type.clone())
        .unwrap_or_default();
    let source = |key: &str, default: &str| {
        params
            .text(key)
            .filter(|s| SOURCES.contains(&s.as_str()))
            .unwrap_or_else(|| default.to_owned())
    };
    let (source_a, source_b) = (source("a", "ANNOTATION"), source("b", "EVAL"));
    let mut charts = Vec::new();
    let mut agreement = None;
    if !selected.is_empty() {
        let categorical = data_type == "CATEGORICAL";
        // Distribution.
        let (view, dimension) = match data_type.as_str() {
            "CATEGORICAL" => ("scores-categorical", "stringValue"),
            "BOOLEAN" => ("scores-boolean", "booleanValue"),
            _ => ("scores-numeric", "value"),
        };
        let rows = query_metrics(
            events,
            &project,
            &query(
                view,
                &[dimension],
                vec![count()],
                vec![named(&selected)],
                &selection,
                false,
            ),
        )
        .await?;
        if data_type == "NUMERIC" {
            let values: Vec<(f64, u64)> = rows
                .iter()
                .filter_map(|row| Some((row["value"].as_f64()?, row["count_count"].as_u64()?)))
                .collect();
            let buckets = histogram(&values, 10);
            charts.push(Chart {
                id: "distribution".into(),
                title: "Distribution".into(),
                kind: "bar",
                unit: "count",
                x: buckets
                    .iter()
                    .map(|(lo, hi, _)| format!("{} – {}", figure(*lo), figure(*hi)))
                    .collect(),
                series: plain(vec![(
                    "Scores".into(),
                    buckets.iter().map(|(_, _, c)| Some(*c as f64)).collect(),
                )]),
            });
        } else {
            let distribution = query(
                view,
                &[dimension],
                vec![count()],
                vec![named(&selected)],
                &selection,
                false,
            );
            let (x, series) = breakdown(&rows, &distribution, &["Scores"]);
            charts.push(Chart {
                id: "distribution".into(),
                title: "Distribution".into(),
                kind: "bar",
                unit: "count",
                x,
                series: plain(series),
            });
        }
        // Trend: the average (a boolean's true rate) or each value's count per bucket.
        let trend = if categorical {
            query(
                view,
                &[dimension],
                vec![count()],
                vec![named(&selected)],
                &selection,
                true,
            )
        } else {
            query(
                "scores-numeric",
                &[],
                vec![Metric {
                    measure: "value".into(),
                    aggregation: Aggregation::Avg,
                }],
                vec![named(&selected)],
                &selection,
                true,
            )
        };
        let rows: Vec<Value> = query_metrics(events, &project, &trend).await?;
        let (x, series) = time_series(
            &rows,
            &trend,
            &[if categorical { "Scores" } else { "Average" }],
        );
        charts.push(Chart {
            id: "trend".into(),
            title: "Trend".into(),
            kind: "line",
            unit: if categorical { "count" } else { "score" },
            x,
            series: plain(series),
        });
        // Agreement between the two sources.
        let pairs = events
            .score_pairs(
                &project,
                &selected,
                (&source_a, &source_b),
                (selection.from, selection.to),
            )
            .await?;
        agreement = if data_type == "NUMERIC" {
            let values: Vec<(f64, f64)> = pairs
                .iter()
                .filter_map(|p| Some((p.a.0?, p.b.0?)))
                .collect();
            numeric_agreement(&values).map(|a| Agreement {
                pairs: a.pairs,
                figures: vec![
                    (
                        "Mean absolute difference",
                        figure(a.mean_absolute_difference),
                    ),
                    (
                        "Pearson correlation",
                        a.correlation.map_or("–".into(), figure),
                    ),
                ],
                matrix: Vec::new(),
            })
        } else {
            let label = |side: &(Option<f64>, Option<String>)| match (&side.1, side.0) {
                (Some(text), _) => Some(text.clone()),
                (None, Some(value)) => Some(if value == 1.0 {
                    "true".into()
                } else {
                    "false".into()
                }),
                _ => None,
            };
            let values: Vec<(String, String)> = pairs
                .iter()
                .filter_map(|p| Some((label(&p.a)?, label(&p.b)?)))
                .collect();
            categorical_agreement(&values).map(|a| Agreement {
                pairs: a.pairs,
                figures: vec![
                    ("Agreement", format!("{:.1}%", a.agreement * 100.0)),
                    ("Cohen's kappa", a.kappa.map_or("–".into(), figure)),
                ],
                matrix: a.matrix,
            })
        };
    }
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "scores").await?;
    page(&ScoreAnalyticsPage {
        layout,
        action: urls::project_section(&project, "scores"),
        table_url: urls::project_section(&project, "scores/all"),
        names,
        selected,
        data_type,
        ranges: RANGES
            .iter()
            .map(|(key, label, _)| (*key, *label, *key == selection.range_key))
            .collect(),
        sources: SOURCES.to_vec(),
        source_a,
        source_b,
        agreement,
        charts: charts
            .iter()
            .map(|c| (c.id.clone(), c.title.clone()))
            .collect(),
        charts_json: script_json(&charts),
        echarts_url: assets::url("echarts.min.js"),
        access,
    })
}
