//! The home dashboard, a project's first page: traces and observations over time, cost by model
//! and by trace name, tokens over time, generation latency percentiles by name and by model,
//! errors and warnings, scores, and the top users. Each chart is a metrics query
//! (`services/metrics.rs`, the same engine as `GET /api/public/metrics`) over the chosen time
//! range and filters (environment, tag, trace name, user); the figures travel to the page as
//! JSON and Apache ECharts (vendored) draws them. A click on a point opens the traces or
//! observations behind it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use sightline_domain::filter::{FilterCondition, OptionsOperator, Test, TextOperator};
use sightline_domain::metrics::{
    Aggregation, Granularity, Metric, MetricsQuery, MetricsVersion, OrderBy,
};
use sightline_domain::time::{Millis, now_ms};
use sightline_domain::{ProjectId, ProjectScope};
use sightline_server::services::metrics::query_metrics;
use sightline_store::{EventStore, TraceQuery};

use crate::assets;
use crate::error::WebResult;
use crate::pages::listing::{self, ListParams};
use crate::pages::page;
use crate::rbac;
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

/// The dashboard's range presets: (value, label, length); the default is a week.
pub(crate) const RANGES: &[(&str, &str, Millis)] = &[
    ("1h", "Past hour", 3_600_000),
    ("24h", "Past 24 hours", 86_400_000),
    ("7d", "Past 7 days", 7 * 86_400_000),
    ("30d", "Past 30 days", 30 * 86_400_000),
    ("90d", "Past 90 days", 90 * 86_400_000),
];
const DEFAULT_RANGE: &str = "7d";

/// The chosen range and filters, as the form shows them back and as links carry them on.
pub(crate) struct Selection {
    pub range_key: &'static str,
    pub from: Millis,
    pub to: Millis,
    pub from_text: String,
    pub to_text: String,
    environment: String,
    tag: String,
    name: String,
    user: String,
}

impl Selection {
    pub(crate) fn read(params: &ListParams) -> Selection {
        let now = now_ms();
        let custom = params.range();
        let text = |name: &str| params.text(name).unwrap_or_default();
        let (range_key, from, to) = if custom.key == "custom" {
            let to = custom.to().unwrap_or(now);
            let from = custom
                .from()
                .unwrap_or(to - 7 * 86_400_000)
                .min(to - 60_000);
            ("custom", from, to)
        } else {
            let wanted = params.text("range").unwrap_or_else(|| DEFAULT_RANGE.into());
            let (key, _, length) = RANGES
                .iter()
                .find(|(key, _, _)| *key == wanted)
                .or_else(|| RANGES.iter().find(|(key, _, _)| *key == DEFAULT_RANGE))
                .copied()
                .unwrap_or(RANGES[2]);
            (key, now - length, now)
        };
        Selection {
            range_key,
            from,
            to,
            from_text: custom.from_text,
            to_text: custom.to_text,
            environment: text("environment"),
            tag: text("tag"),
            name: text("name"),
            user: text("user"),
        }
    }

    /// The metrics filters of a view (`traces`, `observations` or a scores view).
    fn filters(&self, view: &str) -> Vec<FilterCondition> {
        let text = |column: &str, value: &str| FilterCondition {
            column: column.into(),
            key: None,
            test: Test::Text(TextOperator::Equal, value.to_owned()),
        };
        let mut filters = Vec::new();
        if !self.environment.is_empty() {
            filters.push(text("environment", &self.environment));
        }
        if !self.tag.is_empty() {
            filters.push(FilterCondition {
                column: "tags".into(),
                key: None,
                test: Test::Options(OptionsOperator::AnyOf, vec![self.tag.clone()]),
            });
        }
        if !self.name.is_empty() {
            let column = if view == "traces" {
                "name"
            } else {
                "traceName"
            };
            filters.push(text(column, &self.name));
        }
        if !self.user.is_empty() {
            filters.push(text("userId", &self.user));
        }
        filters
    }

    /// The query string of the traces list for this selection, narrowed by `extra` pairs.
    pub(crate) fn traces_link(
        &self,
        project: &ProjectId,
        range: (Millis, Millis),
        extra: &[(&str, &str)],
    ) -> String {
        let mut pairs = vec![
            ("from", listing::local_input(range.0)),
            ("to", listing::local_input(range.1 + 60_000)),
        ];
        for (key, value) in [
            ("environment", &self.environment),
            ("tags", &self.tag),
            ("name", &self.name),
            ("user_id", &self.user),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        pairs.extend(extra.iter().map(|(key, value)| (*key, (*value).to_owned())));
        link(&urls::project_section(project, "traces"), &pairs)
    }

    /// The query string of the observations list for this selection, narrowed by `extra` pairs.
    pub(crate) fn observations_link(
        &self,
        project: &ProjectId,
        range: (Millis, Millis),
        extra: &[(&str, &str)],
    ) -> String {
        let mut pairs = vec![
            ("from", listing::local_input(range.0)),
            ("to", listing::local_input(range.1 + 60_000)),
        ];
        pairs.extend(extra.iter().map(|(key, value)| (*key, (*value).to_owned())));
        link(&urls::project_section(project, "observations"), &pairs)
    }
}

fn link(base: &str, pairs: &[(&str, String)]) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    format!("{base}?{query}")
}

/// One chart as the page's script draws it.
#[derive(Clone, Serialize)]
pub(crate) struct Chart {
    pub id: String,
    pub title: String,
    /// `line` (x is time), `bar` (x are categories) or `stacked` (bars stacked by series).
    pub kind: &'static str,
    /// How values read: `count`, `usd`, `ms`, `tokens` or `score`.
    pub unit: &'static str,
    pub x: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Clone, Serialize)]
pub(crate) struct Series {
    pub name: String,
    pub data: Vec<Option<f64>>,
    /// Where a click on each point leads.
    pub links: Vec<String>,
}

/// Chart series before their links: (name, one value per point).
pub(crate) type Points = Vec<(String, Vec<Option<f64>>)>;

/// A row of the top-users table.
struct TopUser {
    user_id: String,
    href: String,
    traces: String,
    cost: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    access: rbac::ProjectAccess,
    action: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    custom: bool,
    selection_from: String,
    selection_to: String,
    environment: String,
    tag: String,
    name: String,
    user: String,
    charts: Vec<(String, String)>,
    charts_json: String,
    top_users: Vec<TopUser>,
    echarts_url: String,
    /// The project has no traces yet: the page says how to send some.
    empty_project: bool,
    keys_url: String,
    can_manage_keys: bool,
}

fn metric(measure: &str, aggregation: Aggregation) -> Metric {
    Metric {
        measure: measure.into(),
        aggregation,
    }
}

struct Spec<'a> {
    view: &'static str,
    dimensions: &'a [&'static str],
    metrics: Vec<Metric>,
    extra_filters: Vec<FilterCondition>,
    time: bool,
    order_by: Vec<OrderBy>,
    limit: Option<u32>,
}

impl<'a> Spec<'a> {
    /// A time series of `metrics` by `dimensions`, over the selection only.
    fn over_time(
        view: &'static str,
        dimensions: &'a [&'static str],
        metrics: Vec<Metric>,
    ) -> Spec<'a> {
        Spec {
            view,
            dimensions,
            metrics,
            extra_filters: Vec::new(),
            time: true,
            order_by: Vec::new(),
            limit: None,
        }
    }

    fn query(&self, selection: &Selection) -> MetricsQuery {
        let mut filters = selection.filters(self.view);
        filters.extend(self.extra_filters.iter().cloned());
        MetricsQuery {
            version: MetricsVersion::V1,
            view: self.view.into(),
            dimensions: self.dimensions.iter().map(|d| (*d).to_owned()).collect(),
            metrics: self.metrics.clone(),
            filters,
            granularity: self
                .time
                .then(|| Granularity::auto(selection.from, selection.to)),
            from: selection.from,
            to: selection.to,
            order_by: self.order_by.clone(),
            bins: 10,
            row_limit: self.limit,
        }
    }
}

fn type_is(value: &str) -> FilterCondition {
    FilterCondition {
        column: "type".into(),
        key: None,
        test: Test::Text(TextOperator::Equal, value.into()),
    }
}

/// Rows of a time-series query (dimension 0, if any, names the series; then `time_dimension`;
/// then one metric per `names`) as chart series. Each metric of each group is one series.
pub(crate) fn time_series(
    rows: &[Value],
    query: &MetricsQuery,
    names: &[&str],
) -> (Vec<String>, Points) {
    let granularity = query.granularity.unwrap_or(Granularity::Day);
    let mut x: Vec<String> = Vec::new();
    let mut bucket = granularity.bucket(query.from);
    while bucket <= query.to && x.len() < 2_000 {
        x.push(granularity.label(bucket));
        bucket = granularity.next(bucket);
    }
    let group_of = |row: &Value| -> Option<String> {
        query.dimensions.first().map(|d| match &row[d] {
            Value::String(s) => s.clone(),
            Value::Null => "(none)".to_owned(),
            other => other.to_string(),
        })
    };
    let mut series: Points = Vec::new();
    for row in rows {
        // The filled rows of empty buckets carry no group and no figures.
        let empty = query
            .metrics
            .iter()
            .all(|m| row[m.key()].as_f64().unwrap_or(0.0) == 0.0);
        if !query.dimensions.is_empty() && row[&query.dimensions[0]].is_null() && empty {
            continue;
        }
        let Some(position) = row["time_dimension"]
            .as_str()
            .and_then(|t| x.iter().position(|l| l == t))
        else {
            continue;
        };
        for (index, metric) in query.metrics.iter().enumerate() {
            let label = match (group_of(row), names.len() > 1) {
                (Some(group), true) => format!("{group} {}", names[index]),
                (Some(group), false) => group,
                (None, _) => names[index].to_owned(),
            };
            let entry = match series.iter().position(|(name, _)| *name == label) {
                Some(found) => found,
                None => {
                    let blank = match metric.aggregation {
                        Aggregation::Count | Aggregation::Uniq | Aggregation::Sum => Some(0.0),
                        _ => None,
                    };
                    series.push((label, vec![blank; x.len()]));
                    series.len() - 1
                }
            };
            series[entry].1[position] = row[metric.key()].as_f64();
        }
    }
    if series.is_empty() && query.dimensions.is_empty() {
        series = names
            .iter()
            .map(|name| ((*name).to_owned(), vec![Some(0.0); x.len()]))
            .collect();
    }
    (x, series)
}

/// Rows of a breakdown query (dimension 0 is the category) as categories and one series per
/// metric.
pub(crate) fn breakdown(
    rows: &[Value],
    query: &MetricsQuery,
    names: &[&str],
) -> (Vec<String>, Points) {
    let dimension = &query.dimensions[0];
    let x: Vec<String> = rows
        .iter()
        .map(|row| match &row[dimension] {
            Value::String(s) => s.clone(),
            Value::Null => "(none)".to_owned(),
            other => other.to_string(),
        })
        .collect();
    let series = query
        .metrics
        .iter()
        .zip(names)
        .map(|(metric, name)| {
            (
                (*name).to_owned(),
                rows.iter().map(|row| row[metric.key()].as_f64()).collect(),
            )
        })
        .collect();
    (x, series)
}

/// The series with a link for each point: `to_link(series name, x index)`.
pub(crate) fn linked(series: Points, to_link: impl Fn(&str, usize) -> String) -> Vec<Series> {
    series
        .into_iter()
        .map(|(name, data)| Series {
            links: (0..data.len()).map(|index| to_link(&name, index)).collect(),
            name,
            data,
        })
        .collect()
}

/// The time range of bucket `index` of a time-series chart.
pub(crate) fn bucket_range(query: &MetricsQuery, index: usize) -> (Millis, Millis) {
    let granularity = query.granularity.unwrap_or(Granularity::Day);
    let mut start = granularity.bucket(query.from);
    for _ in 0..index {
        start = granularity.next(start);
    }
    (start, granularity.next(start) - 60_000)
}

/// The preset charts (the home dashboard's) over `selection`, those `wanted` says, in the home
/// dashboard's order.
pub(crate) async fn preset_charts(
    events: &dyn EventStore,
    project: &ProjectId,
    selection: &Selection,
    wanted: impl Fn(&str) -> bool,
) -> WebResult<Vec<Chart>> {
    let project = project.clone();
    let whole = (selection.from, selection.to);
    let mut charts: Vec<Chart> = Vec::new();
    // Traces over time.
    if wanted("traces") {
        let spec = Spec::over_time("traces", &[], vec![metric("count", Aggregation::Count)]);
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = time_series(&rows, &query, &["Traces"]);
        charts.push(Chart {
            id: "traces".into(),
            title: "Traces".into(),
            kind: "line",
            unit: "count",
            x,
            series: linked(series, |_, i| {
                selection.traces_link(&project, bucket_range(&query, i), &[])
            }),
        });
    }

    // Observations over time, by type.
    if wanted("observations") {
        let spec = Spec::over_time(
            "observations",
            &["type"],
            vec![metric("count", Aggregation::Count)],
        );
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = time_series(&rows, &query, &["Observations"]);
        charts.push(Chart {
            id: "observations".into(),
            title: "Observations by type".into(),
            kind: "line",
            unit: "count",
            x,
            series: linked(series, |name, i| {
                selection.observations_link(&project, bucket_range(&query, i), &[("type", name)])
            }),
        });
    }

    // Cost by model.
    if wanted("cost-by-model") {
        let spec = Spec {
            view: "observations",
            dimensions: &["providedModelName"],
            metrics: vec![metric("totalCost", Aggregation::Sum)],
            extra_filters: vec![],
            time: false,
            order_by: vec![],
            limit: Some(20),
        };
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = breakdown(&rows, &query, &["Cost"]);
        let models = x.clone();
        charts.push(Chart {
            id: "cost-by-model".into(),
            title: "Cost by model".into(),
            kind: "bar",
            unit: "usd",
            x,
            series: linked(series, |_, i| {
                selection.observations_link(
                    &project,
                    whole,
                    &[("type", "ALL"), ("model", &models[i])],
                )
            }),
        });
    }

    // Cost by trace name.
    if wanted("cost-by-trace-name") {
        let spec = Spec {
            view: "traces",
            dimensions: &["name"],
            metrics: vec![metric("totalCost", Aggregation::Sum)],
            extra_filters: vec![],
            time: false,
            order_by: vec![],
            limit: Some(20),
        };
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = breakdown(&rows, &query, &["Cost"]);
        let names = x.clone();
        charts.push(Chart {
            id: "cost-by-trace-name".into(),
            title: "Cost by trace name".into(),
            kind: "bar",
            unit: "usd",
            x,
            series: linked(series, |_, i| {
                selection.traces_link(&project, whole, &[("name", &names[i])])
            }),
        });
    }

    // Tokens over time.
    if wanted("tokens") {
        let spec = Spec::over_time(
            "observations",
            &[],
            vec![
                metric("inputTokens", Aggregation::Sum),
                metric("outputTokens", Aggregation::Sum),
            ],
        );
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = time_series(&rows, &query, &["Input tokens", "Output tokens"]);
        charts.push(Chart {
            id: "tokens".into(),
            title: "Tokens".into(),
            kind: "line",
            unit: "tokens",
            x,
            series: linked(series, |_, i| {
                selection.observations_link(
                    &project,
                    bucket_range(&query, i),
                    &[("type", "GENERATION")],
                )
            }),
        });
    }

    // Generation latency percentiles by name and by model.
    if wanted("latency-by-name") || wanted("latency-by-model") {
        let percentiles = || {
            vec![
                metric("latency", Aggregation::Percentile(50)),
                metric("latency", Aggregation::Percentile(95)),
                metric("latency", Aggregation::Percentile(99)),
            ]
        };
        for (id, title, dimension, parameter) in [
            (
                "latency-by-name",
                "Generation latency by name",
                "name",
                "name",
            ),
            (
                "latency-by-model",
                "Generation latency by model",
                "providedModelName",
                "model",
            ),
        ] {
            let dimensions = [dimension];
            let spec = Spec {
                view: "observations",
                dimensions: &dimensions,
                metrics: percentiles(),
                extra_filters: vec![type_is("GENERATION")],
                time: false,
                order_by: vec![OrderBy {
                    field: "p95_latency".into(),
                    descending: true,
                }],
                limit: Some(15),
            };
            let query = spec.query(selection);
            let rows = query_metrics(events, &project, &query).await?;
            let (x, series) = breakdown(&rows, &query, &["p50", "p95", "p99"]);
            let categories = x.clone();
            charts.push(Chart {
                id: id.into(),
                title: title.into(),
                kind: "bar",
                unit: "ms",
                x,
                series: linked(series, |_, i| {
                    selection.observations_link(
                        &project,
                        whole,
                        &[("type", "GENERATION"), (parameter, &categories[i])],
                    )
                }),
            });
        }
    }

    // Errors and warnings over time.
    if wanted("errors") {
        let spec = Spec {
            view: "observations",
            dimensions: &["level"],
            metrics: vec![metric("count", Aggregation::Count)],
            extra_filters: vec![FilterCondition {
                column: "level".into(),
                key: None,
                test: Test::Options(
                    OptionsOperator::AnyOf,
                    vec!["ERROR".into(), "WARNING".into()],
                ),
            }],
            time: true,
            order_by: vec![],
            limit: None,
        };
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = time_series(&rows, &query, &["Observations"]);
        charts.push(Chart {
            id: "errors".into(),
            title: "Errors and warnings".into(),
            kind: "line",
            unit: "count",
            x,
            series: linked(series, |name, i| {
                selection.observations_link(
                    &project,
                    bucket_range(&query, i),
                    &[("type", "ALL"), ("level", name)],
                )
            }),
        });
    }

    // Numeric and boolean scores over time (a boolean's average is its true rate).
    if wanted("scores") {
        let spec = Spec::over_time(
            "scores-numeric",
            &["name"],
            vec![metric("value", Aggregation::Avg)],
        );
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let (x, series) = time_series(&rows, &query, &["Average"]);
        charts.push(Chart {
            id: "scores".into(),
            title: "Score averages".into(),
            kind: "line",
            unit: "score",
            x,
            series: linked(series, |name, i| {
                selection.traces_link(&project, bucket_range(&query, i), &[("score_name", name)])
            }),
        });
    }

    // Categorical scores: how often each value was given, by score name.
    if wanted("categorical-scores") {
        let spec = Spec {
            view: "scores-categorical",
            dimensions: &["name", "stringValue"],
            metrics: vec![metric("count", Aggregation::Count)],
            extra_filters: vec![],
            time: false,
            order_by: vec![OrderBy {
                field: "name".into(),
                descending: false,
            }],
            limit: Some(200),
        };
        let query = spec.query(selection);
        let rows = query_metrics(events, &project, &query).await?;
        let mut x: Vec<String> = Vec::new();
        let mut by_value: Points = Vec::new();
        for row in &rows {
            let name = row["name"].as_str().unwrap_or("(none)").to_owned();
            let value = row["stringValue"].as_str().unwrap_or("(none)").to_owned();
            let position = x.iter().position(|n| *n == name).unwrap_or_else(|| {
                x.push(name);
                x.len() - 1
            });
            let entry = by_value
                .iter()
                .position(|(v, _)| *v == value)
                .unwrap_or_else(|| {
                    by_value.push((value, Vec::new()));
                    by_value.len() - 1
                });
            let data = &mut by_value[entry].1;
            data.resize(x.len().max(data.len()), None);
            data[position] = row["count_count"].as_f64();
        }
        for (_, data) in &mut by_value {
            data.resize(x.len(), None);
        }
        let score_names = x.clone();
        charts.push(Chart {
            id: "categorical-scores".into(),
            title: "Categorical scores".into(),
            kind: "stacked",
            unit: "count",
            x,
            series: linked(by_value, |_, i| {
                selection.traces_link(&project, whole, &[("score_name", &score_names[i])])
            }),
        });
    }
    Ok(charts)
}

pub async fn get_dashboard(
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
    let store = state.store();
    let events = store.events();
    let project = access.project.id.clone();
    let selection = Selection::read(&params);
    let charts = preset_charts(events, &project, &selection, |_| true).await?;

    // Top users by traces.
    let spec = Spec {
        view: "traces",
        dimensions: &["userId"],
        metrics: vec![
            metric("count", Aggregation::Count),
            metric("totalCost", Aggregation::Sum),
        ],
        extra_filters: vec![FilterCondition {
            column: "userId".into(),
            key: None,
            test: Test::Null(false),
        }],
        time: false,
        order_by: vec![OrderBy {
            field: "count_count".into(),
            descending: true,
        }],
        limit: Some(10),
    };
    let query = spec.query(&selection);
    let rows = query_metrics(events, &project, &query).await?;
    let top_users = rows
        .iter()
        .filter_map(|row| {
            let user_id = row["userId"].as_str()?.to_owned();
            Some(TopUser {
                href: format!(
                    "{}/{}",
                    urls::project_section(&project, "users"),
                    urls::segment(&user_id)
                ),
                traces: row["count_count"]
                    .as_f64()
                    .map_or("0".into(), |n| format!("{n:.0}")),
                cost: listing::cost(row["sum_totalCost"].as_f64().unwrap_or(0.0)),
                user_id,
            })
        })
        .collect();

    let (_, all_traces) = events
        .list_traces(
            &project,
            &TraceQuery {
                limit: 1,
                ..TraceQuery::default()
            },
        )
        .await?;
    let empty_project = all_traces == 0;
    let layout =
        Layout::for_project(store, &signed_in, &csrf, &access.project, "dashboard").await?;
    let charts_json = script_json(&charts);
    page(&DashboardPage {
        layout,
        action: urls::project_section(&project, "dashboard"),
        ranges: RANGES
            .iter()
            .map(|(key, label, _)| (*key, *label, *key == selection.range_key))
            .collect(),
        custom: selection.range_key == "custom",
        selection_from: selection.from_text.clone(),
        selection_to: selection.to_text.clone(),
        environment: selection.environment.clone(),
        tag: selection.tag.clone(),
        name: selection.name.clone(),
        user: selection.user.clone(),
        charts: charts
            .iter()
            .map(|chart| (chart.id.clone(), chart.title.clone()))
            .collect(),
        charts_json,
        top_users,
        echarts_url: assets::url("echarts.min.js"),
        empty_project,
        keys_url: urls::project_section(&project, "settings/api-keys"),
        can_manage_keys: access.can(ProjectScope::ApiKeysCud),
        access,
    })
}

/// JSON for a `<script type="application/json">` element: `<`, `>` and `&` escaped, so trace
/// content in it can never close the element or open another.
pub(crate) fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element() {
        let text = script_json(&vec!["</script><script>alert(1)</script>&"]);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, vec!["</script><script>alert(1)</script>&"]);
    }
}
