//! Datasets and experiments: the list (with create) and every run of the project, with and
//! without a dataset; a dataset's page (edit name, description, metadata and JSON Schemas; its
//! items with add, edit, archive and restore; its runs with averages per score, latency and
//! cost); run comparison item by item; item import from CSV or JSON(L) with a column mapping
//! and a preview; and "add to dataset" from the trace view. The rules are the API's
//! (`services::datasets`, `services::dataset_import`). Reading is `datasets:read` (VIEWER),
//! changing `datasets:CUD` (MEMBER).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use sightline_domain::ProjectScope;
use sightline_server::services::dataset_import::{self as import, Format, ImportError, Target};
use sightline_server::services::datasets::{
    self as service, DatasetError, DatasetInput, ItemInput,
};
use sightline_server::services::experiments::{compare_runs, list_experiments};
use sightline_store::{
    Dataset, DatasetItemQuery, DatasetItemStatus, ExperimentQuery, RunItemResult, RunSummary,
};

use crate::error::{WebError, WebResult};
use crate::pages::payload::preview;
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

const ITEMS_PER_PAGE: u64 = 50;

fn list_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "datasets")
}

fn dataset_url(access: &ProjectAccess, id: &str) -> String {
    format!("{}/{}", list_url(access), urls::segment(id))
}

fn trace_url(access: &ProjectAccess, trace_id: &str, observation_id: Option<&str>) -> String {
    let base = format!(
        "{}/{}",
        urls::project_section(&access.project.id, "traces"),
        urls::segment(trace_id)
    );
    match observation_id {
        Some(id) => format!("{base}?observation={}", urls::segment(id)),
        None => base,
    }
}

fn pretty(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// A JSON field of a form: empty is `None`; text that is not JSON is an error naming the field.
fn json_field(fields: &Fields, name: &str, label: &str) -> Result<Option<Value>, String> {
    let raw = fields.one(name).unwrap_or_default().trim();
    if raw.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(raw)
        .map(Some)
        .map_err(|e| format!("{label} is not JSON: {e}"))
}

/// Item input and expected output are JSON, or else taken as text.
fn value_field(fields: &Fields, name: &str) -> Option<Value> {
    let raw = fields.one(name).unwrap_or_default().trim();
    if raw.is_empty() {
        return None;
    }
    Some(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())))
}

/// A refused dataset operation as a page error: store failures as they are, the rest as 400.
fn web_error(error: DatasetError) -> WebError {
    match error {
        DatasetError::Store(error) => WebError::from(error),
        other => WebError::BadRequest(other.to_string()),
    }
}

fn message(error: DatasetError) -> WebResult<String> {
    match error {
        DatasetError::Store(error) => Err(error.into()),
        other => Ok(other.to_string()),
    }
}

async fn read_access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
) -> WebResult<ProjectAccess> {
    rbac::project_access(
        state.store(),
        &signed_in.user,
        project_id,
        ProjectScope::DatasetsRead,
    )
    .await
}

async fn edit_access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
) -> WebResult<ProjectAccess> {
    rbac::project_access(
        state.store(),
        &signed_in.user,
        project_id,
        ProjectScope::DatasetsCud,
    )
    .await
}

async fn dataset_of(state: &WebState, access: &ProjectAccess, id: &str) -> WebResult<Dataset> {
    state
        .store()
        .metadata()
        .dataset_by_id(&access.project.id, id)
        .await?
        .ok_or(WebError::NotFound)
}

// ---- the list -------------------------------------------------------------------------------

pub struct DatasetRow {
    pub name: String,
    pub url: String,
    pub description: String,
    pub items: u64,
    pub updated: TimeView,
}

pub struct ExperimentRow {
    pub name: String,
    pub dataset: Option<(String, String)>,
    pub items: u64,
    pub start: TimeView,
    pub compare_url: Option<String>,
}

/// The dataset form's values (create, or edit with the stored ones).
#[derive(Default)]
pub struct DatasetForm {
    pub name: String,
    pub description: String,
    pub metadata: String,
    pub input_schema: String,
    pub expected_output_schema: String,
}

impl DatasetForm {
    fn of(dataset: &Dataset) -> DatasetForm {
        DatasetForm {
            name: dataset.name.clone(),
            description: dataset.description.clone().unwrap_or_default(),
            metadata: pretty(dataset.metadata.as_ref()),
            input_schema: pretty(dataset.input_schema.as_ref()),
            expected_output_schema: pretty(dataset.expected_output_schema.as_ref()),
        }
    }

    fn submitted(fields: &Fields) -> DatasetForm {
        let text = |name: &str| fields.one(name).unwrap_or_default().to_owned();
        DatasetForm {
            name: text("name"),
            description: text("description"),
            metadata: text("metadata"),
            input_schema: text("input_schema"),
            expected_output_schema: text("expected_output_schema"),
        }
    }
}

#[derive(Template)]
#[template(path = "datasets.html")]
struct DatasetsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<DatasetRow>,
    experiments: Vec<ExperimentRow>,
    can_edit: bool,
    create_url: String,
    form: DatasetForm,
    error: Option<String>,
}

async fn datasets_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: DatasetForm,
    error: Option<String>,
) -> WebResult<Response> {
    let metadata = state.store().metadata();
    let (datasets, _) = metadata.list_datasets(&access.project.id, 100, 0).await?;
    let mut rows = Vec::with_capacity(datasets.len());
    for dataset in &datasets {
        let (_, items) = metadata
            .list_dataset_items(
                &access.project.id,
                &DatasetItemQuery {
                    dataset_id: Some(dataset.id.clone()),
                    limit: 1,
                    ..DatasetItemQuery::default()
                },
            )
            .await?;
        rows.push(DatasetRow {
            name: dataset.name.clone(),
            url: dataset_url(&access, &dataset.id),
            description: dataset.description.clone().unwrap_or_default(),
            items,
            updated: time(dataset.updated_at),
        });
    }
    let experiments = list_experiments(
        state.store(),
        &access.project.id,
        &ExperimentQuery {
            limit: 100,
            ..ExperimentQuery::default()
        },
    )
    .await?;
    let experiments = experiments
        .into_iter()
        .map(|e| ExperimentRow {
            dataset: e.run.dataset_id.as_ref().map(|id| {
                (
                    e.run.dataset_name.clone().unwrap_or_else(|| id.clone()),
                    dataset_url(&access, id),
                )
            }),
            compare_url: e.run.dataset_id.as_ref().map(|id| {
                format!(
                    "{}/compare?run={}",
                    dataset_url(&access, id),
                    urls::segment(&e.run.id)
                )
            }),
            name: e.run.name,
            items: e.item_count,
            start: time(e.start_time),
        })
        .collect();
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "datasets").await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &DatasetsPage {
            layout,
            rows,
            experiments,
            can_edit: access.can(ProjectScope::DatasetsCud),
            create_url: list_url(&access),
            form,
            error,
            access,
        },
    )
}

/// `GET …/datasets`.
pub async fn get_datasets(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = read_access(&state, &signed_in, &project_id).await?;
    datasets_page(
        &state,
        &signed_in,
        &csrf,
        access,
        DatasetForm::default(),
        None,
    )
    .await
}

/// The dataset input of the create and edit forms.
fn dataset_input(fields: &Fields) -> Result<DatasetInput, String> {
    let description = fields
        .one("description")
        .unwrap_or_default()
        .trim()
        .to_owned();
    Ok(DatasetInput {
        name: fields.one("name").unwrap_or_default().trim().to_owned(),
        description: Some(description),
        metadata: Some(json_field(fields, "metadata", "Metadata")?.unwrap_or(Value::Null)),
        input_schema: Some(json_field(fields, "input_schema", "The input schema")?),
        expected_output_schema: Some(json_field(
            fields,
            "expected_output_schema",
            "The expected output schema",
        )?),
    })
}

/// `POST …/datasets`: creates a dataset (a name already taken is refused here; the API's
/// upsert is not what a create form means).
pub async fn post_dataset(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let form = DatasetForm::submitted(&fields);
    let input = match dataset_input(&fields) {
        Ok(input) => input,
        Err(error) => {
            return datasets_page(&state, &signed_in, &csrf, access, form, Some(error)).await;
        }
    };
    if state
        .store()
        .metadata()
        .dataset_by_name(&access.project.id, &input.name)
        .await?
        .is_some()
    {
        let error = format!("A dataset named '{}' exists already.", input.name);
        return datasets_page(&state, &signed_in, &csrf, access, form, Some(error)).await;
    }
    match service::upsert_dataset(state.store(), &access.project.id, input).await {
        Ok(dataset) => Ok(see_other(&dataset_url(&access, &dataset.id))),
        Err(error) => {
            let error = message(error)?;
            datasets_page(&state, &signed_in, &csrf, access, form, Some(error)).await
        }
    }
}

// ---- a dataset ------------------------------------------------------------------------------

pub struct ItemRow {
    pub id: String,
    pub input: String,
    pub expected: String,
    pub metadata: String,
    pub archived: bool,
    pub source: Option<String>,
    pub created: TimeView,
    pub edit_url: String,
    pub status_url: String,
}

pub struct RunRow {
    pub id: String,
    pub name: String,
    pub created: TimeView,
    pub items: u64,
    pub latency: String,
    pub cost: String,
    pub scores: Vec<(String, String)>,
}

/// The item form: a new item, or the one being edited.
#[derive(Default)]
pub struct ItemForm {
    pub id: String,
    pub input: String,
    pub expected: String,
    pub metadata: String,
}

#[derive(Template)]
#[template(path = "dataset.html")]
struct DatasetPage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    description: String,
    form: DatasetForm,
    item_form: ItemForm,
    items: Vec<ItemRow>,
    item_count: u64,
    previous_url: Option<String>,
    next_url: Option<String>,
    runs: Vec<RunRow>,
    can_edit: bool,
    page_url: String,
    items_url: String,
    import_url: String,
    compare_url: String,
    list_url: String,
    error: Option<String>,
    /// The "Export" form of the items.
    export: Option<crate::pages::exports::ExportButton>,
}

fn latency_text(ms: Option<f64>) -> String {
    match ms {
        Some(ms) if ms < 1000.0 => format!("{ms:.0} ms"),
        Some(ms) => format!("{:.2} s", ms / 1000.0),
        None => String::new(),
    }
}

fn cost_text(usd: Option<f64>) -> String {
    usd.map(|usd| format!("${usd:.6}")).unwrap_or_default()
}

struct PageState {
    form: Option<DatasetForm>,
    item_form: ItemForm,
    page: u64,
    error: Option<String>,
}

async fn dataset_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    dataset: Dataset,
    view: PageState,
) -> WebResult<Response> {
    let metadata = state.store().metadata();
    let page_url = dataset_url(&access, &dataset.id);
    let (items, item_count) = metadata
        .list_dataset_items(
            &access.project.id,
            &DatasetItemQuery {
                dataset_id: Some(dataset.id.clone()),
                limit: ITEMS_PER_PAGE,
                offset: (view.page - 1) * ITEMS_PER_PAGE,
                ..DatasetItemQuery::default()
            },
        )
        .await?;
    let items = items
        .iter()
        .map(|item| ItemRow {
            id: item.id.clone(),
            input: preview(item.input.as_ref()),
            expected: preview(item.expected_output.as_ref()),
            metadata: preview(item.metadata.as_ref()),
            archived: item.status == DatasetItemStatus::Archived,
            source: item
                .source_trace_id
                .as_deref()
                .map(|trace| trace_url(&access, trace, item.source_observation_id.as_deref())),
            created: time(item.created_at),
            edit_url: format!("{page_url}?item={}#item-form", urls::segment(&item.id)),
            status_url: format!("{page_url}/items/{}/status", urls::segment(&item.id)),
        })
        .collect();
    let (runs, _) = metadata
        .list_dataset_runs(&access.project.id, &dataset.id, 100, 0)
        .await?;
    let run_ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let summaries = compare_runs(state.store(), &access.project.id, &run_ids)
        .await
        .map_err(web_error)?
        .runs;
    let runs = runs
        .iter()
        .zip(summaries.iter())
        .map(|(run, summary)| run_row(run.id.clone(), run.name.clone(), run.created_at, summary))
        .collect();
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "datasets").await?;
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let pages = item_count.div_ceil(ITEMS_PER_PAGE).max(1);
    render(
        status,
        &DatasetPage {
            layout,
            name: dataset.name.clone(),
            description: dataset.description.clone().unwrap_or_default(),
            form: view.form.unwrap_or_else(|| DatasetForm::of(&dataset)),
            item_form: view.item_form,
            items,
            item_count,
            previous_url: (view.page > 1).then(|| format!("{page_url}?page={}", view.page - 1)),
            next_url: (view.page < pages).then(|| format!("{page_url}?page={}", view.page + 1)),
            runs,
            can_edit: access.can(ProjectScope::DatasetsCud),
            items_url: format!("{page_url}/items"),
            import_url: format!("{page_url}/import"),
            compare_url: format!("{page_url}/compare"),
            list_url: list_url(&access),
            export: crate::pages::exports::dataset_items_button(&access, &dataset.id),
            page_url,
            error: view.error,
            access,
        },
    )
}

fn run_row(id: String, name: String, created: i64, summary: &RunSummary) -> RunRow {
    RunRow {
        id,
        name,
        created: time(created),
        items: summary.item_count,
        latency: latency_text(summary.avg_latency_ms),
        cost: cost_text(summary.total_cost),
        scores: summary
            .score_averages
            .iter()
            .map(|(name, avg, _)| (name.clone(), format!("{avg:.3}")))
            .collect(),
    }
}

/// `GET …/datasets/{id}[?page=N][&item=ID]`.
pub async fn get_dataset(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = read_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let query = Fields::parse(query.as_deref().unwrap_or_default());
    let page = query
        .one("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let item_form = match query.one("item").filter(|i| !i.is_empty()) {
        Some(item_id) => {
            let item = state
                .store()
                .metadata()
                .dataset_item(&access.project.id, item_id)
                .await?
                .filter(|item| item.dataset_id == dataset.id)
                .ok_or(WebError::NotFound)?;
            ItemForm {
                id: item.id.clone(),
                input: pretty(item.input.as_ref()),
                expected: pretty(item.expected_output.as_ref()),
                metadata: pretty(item.metadata.as_ref()),
            }
        }
        None => ItemForm::default(),
    };
    let view = PageState {
        form: None,
        item_form,
        page,
        error: None,
    };
    dataset_page(&state, &signed_in, &csrf, access, dataset, view).await
}

/// `POST …/datasets/{id}`: edits name, description, metadata and schemas (every current item
/// must satisfy new schemas; a name the project has already is refused).
pub async fn post_dataset_edit(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let fields = Fields::parse(&body);
    let form = DatasetForm::submitted(&fields);
    let new_name = form.name.trim().to_owned();
    let error = match dataset_input(&fields) {
        Err(error) => error,
        Ok(mut input) => {
            input.name = dataset.name.clone();
            let saved =
                match service::upsert_dataset(state.store(), &access.project.id, input).await {
                    Ok(_) if new_name != dataset.name => {
                        service::rename_dataset(
                            state.store(),
                            &access.project.id,
                            &dataset.id,
                            &new_name,
                        )
                        .await
                    }
                    Ok(_) => Ok(()),
                    Err(error) => Err(error),
                };
            match saved {
                Ok(()) => return Ok(see_other(&dataset_url(&access, &dataset.id))),
                Err(error) => message(error)?,
            }
        }
    };
    let view = PageState {
        form: Some(form),
        item_form: ItemForm::default(),
        page: 1,
        error: Some(error),
    };
    dataset_page(&state, &signed_in, &csrf, access, dataset, view).await
}

/// `POST …/datasets/{id}/items`: adds an item, or with `id` writes its next version.
pub async fn post_item(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let fields = Fields::parse(&body);
    let item_id = fields.one("id").map(str::trim).filter(|i| !i.is_empty());
    let submitted = ItemForm {
        id: item_id.unwrap_or_default().to_owned(),
        input: fields.one("input").unwrap_or_default().to_owned(),
        expected: fields.one("expected_output").unwrap_or_default().to_owned(),
        metadata: fields.one("metadata").unwrap_or_default().to_owned(),
    };
    let error = match json_field(&fields, "metadata", "Metadata") {
        Err(error) => error,
        Ok(_) if value_field(&fields, "input").is_none() => "An item needs an input.".to_owned(),
        Ok(metadata) => {
            let input = ItemInput {
                dataset_name: dataset.name.clone(),
                id: item_id.map(str::to_owned),
                input: value_field(&fields, "input"),
                expected_output: value_field(&fields, "expected_output"),
                metadata,
                ..ItemInput::default()
            };
            match service::upsert_item(state.store(), &access.project.id, input).await {
                Ok(_) => return Ok(see_other(&dataset_url(&access, &dataset.id))),
                Err(error) => message(error)?,
            }
        }
    };
    let view = PageState {
        form: None,
        item_form: submitted,
        page: 1,
        error: Some(error),
    };
    dataset_page(&state, &signed_in, &csrf, access, dataset, view).await
}

/// `POST …/datasets/{id}/items/{item}/status`: archives an active item, restores an archived one.
pub async fn post_item_status(
    State(state): State<WebState>,
    Path((project_id, id, item_id)): Path<(String, String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let item = state
        .store()
        .metadata()
        .dataset_item(&access.project.id, &item_id)
        .await?
        .filter(|item| item.dataset_id == dataset.id)
        .ok_or(WebError::NotFound)?;
    let status = match item.status {
        DatasetItemStatus::Active => DatasetItemStatus::Archived,
        DatasetItemStatus::Archived => DatasetItemStatus::Active,
    };
    let input = ItemInput {
        dataset_name: dataset.name.clone(),
        id: Some(item.id.clone()),
        status: Some(status),
        ..ItemInput::default()
    };
    service::upsert_item(state.store(), &access.project.id, input)
        .await
        .map_err(web_error)?;
    Ok(see_other(&dataset_url(&access, &dataset.id)))
}

// ---- comparison -----------------------------------------------------------------------------

pub struct CompareCell {
    pub output: String,
    pub latency: String,
    pub cost: String,
    pub scores: Vec<(String, String)>,
    pub trace_url: String,
}

pub struct CompareRow {
    pub item_id: String,
    pub input: String,
    pub expected: String,
    pub cells: Vec<Option<CompareCell>>,
}

#[derive(Template)]
#[template(path = "dataset_compare.html")]
struct ComparePage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    dataset_url: String,
    runs: Vec<RunRow>,
    rows: Vec<CompareRow>,
}

fn cell(access: &ProjectAccess, result: &RunItemResult) -> CompareCell {
    CompareCell {
        output: preview(result.output.as_ref()),
        latency: latency_text(result.latency_ms),
        cost: cost_text(result.total_cost),
        scores: result
            .scores
            .iter()
            .map(|(name, value, text)| {
                let shown = match (value, text) {
                    (_, Some(text)) => text.clone(),
                    (Some(value), None) => format!("{value}"),
                    (None, None) => String::new(),
                };
                (name.clone(), shown)
            })
            .collect(),
        trace_url: trace_url(access, &result.trace_id, result.observation_id.as_deref()),
    }
}

/// `GET …/datasets/{id}/compare?run=A&run=B…`: two or more runs item by item.
pub async fn get_compare(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = read_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let query = Fields::parse(query.as_deref().unwrap_or_default());
    let (runs, _) = state
        .store()
        .metadata()
        .list_dataset_runs(&access.project.id, &dataset.id, 100, 0)
        .await?;
    let wanted = query.all("run");
    let chosen: Vec<_> = runs.iter().filter(|r| wanted.contains(&r.id)).collect();
    if chosen.is_empty() {
        return Err(WebError::BadRequest(
            "Choose the runs to compare.".to_owned(),
        ));
    }
    let run_ids: Vec<String> = chosen.iter().map(|r| r.id.clone()).collect();
    let comparison = compare_runs(state.store(), &access.project.id, &run_ids)
        .await
        .map_err(web_error)?;
    let mut rows = Vec::with_capacity(comparison.items.len());
    // The dataset's current items, read once, for each compared item's input and expectation.
    let (items, _) = state
        .store()
        .metadata()
        .list_dataset_items(
            &access.project.id,
            &DatasetItemQuery {
                dataset_id: Some(dataset.id.clone()),
                limit: 10_000,
                ..DatasetItemQuery::default()
            },
        )
        .await?;
    let items: std::collections::HashMap<&str, &sightline_store::DatasetItem> =
        items.iter().map(|item| (item.id.as_str(), item)).collect();
    for item in &comparison.items {
        let stored = items.get(item.dataset_item_id.as_str());
        rows.push(CompareRow {
            item_id: item.dataset_item_id.clone(),
            input: preview(stored.and_then(|i| i.input.as_ref())),
            expected: preview(stored.and_then(|i| i.expected_output.as_ref())),
            cells: item
                .results
                .iter()
                .map(|r| r.as_ref().map(|r| cell(&access, r)))
                .collect(),
        });
    }
    let runs = chosen
        .iter()
        .zip(comparison.runs.iter())
        .map(|(run, summary)| run_row(run.id.clone(), run.name.clone(), run.created_at, summary))
        .collect();
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "datasets",
    )
    .await?;
    render(
        StatusCode::OK,
        &ComparePage {
            layout,
            name: dataset.name.clone(),
            dataset_url: dataset_url(&access, &dataset.id),
            runs,
            rows,
            access,
        },
    )
}

// ---- import ---------------------------------------------------------------------------------

pub struct PreviewRow {
    pub row: usize,
    pub input: String,
    pub expected: String,
    pub metadata: String,
}

#[derive(Template)]
#[template(path = "dataset_import.html")]
struct ImportPage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    dataset_url: String,
    import_url: String,
    format: String,
    content: String,
    columns: Vec<(String, &'static str)>,
    targets: [(&'static str, &'static str); 4],
    formats: [(&'static str, &'static str); 3],
    total_rows: usize,
    preview: Vec<PreviewRow>,
    problems: Vec<(usize, String)>,
    error: Option<String>,
}

const FORMATS: [(&str, &str); 3] = [
    ("auto", "Detect"),
    ("csv", "CSV"),
    ("jsonl", "JSON Lines or JSON"),
];

const TARGETS: [(&str, &str); 4] = [
    ("input", "Input"),
    ("expected_output", "Expected output"),
    ("metadata", "Metadata"),
    ("ignore", "Ignore"),
];

/// `GET …/datasets/{id}/import`.
pub async fn get_import(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "datasets",
    )
    .await?;
    render(
        StatusCode::OK,
        &ImportPage {
            layout,
            name: dataset.name.clone(),
            dataset_url: dataset_url(&access, &dataset.id),
            import_url: format!("{}/import", dataset_url(&access, &dataset.id)),
            format: "auto".into(),
            content: String::new(),
            columns: Vec::new(),
            targets: TARGETS,
            formats: FORMATS,
            total_rows: 0,
            preview: Vec::new(),
            problems: Vec::new(),
            error: None,
            access,
        },
    )
}

/// `POST …/datasets/{id}/import`: without `confirm`, reads the file and shows the mapping and a
/// preview (with every row's problems); with it, imports all rows or none.
pub async fn post_import(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let dataset = dataset_of(&state, &access, &id).await?;
    let fields = Fields::parse(&body);
    let content = fields.one("content").unwrap_or_default().to_owned();
    let format_name = fields.one("format").unwrap_or("auto").to_owned();
    let format = Format::pick(&format_name, &content);
    let mut page = ImportPage {
        layout: Layout::for_project(
            state.store(),
            &signed_in,
            &csrf,
            &access.project,
            "datasets",
        )
        .await?,
        name: dataset.name.clone(),
        dataset_url: dataset_url(&access, &dataset.id),
        import_url: format!("{}/import", dataset_url(&access, &dataset.id)),
        format: format_name,
        content: content.clone(),
        columns: Vec::new(),
        targets: TARGETS,
        formats: FORMATS,
        total_rows: 0,
        preview: Vec::new(),
        problems: Vec::new(),
        error: None,
        access: access.clone(),
    };
    let table = match import::parse(format, &content) {
        Ok(table) => table,
        Err(error) => {
            page.error = Some(error.to_string());
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    // The mapping as submitted, else guessed from the column names.
    let mapping: Vec<(String, Target)> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let target = fields
                .one(&format!("map_{i}"))
                .map(Target::parse)
                .unwrap_or_else(|| Target::guess(column, i));
            (column.clone(), target)
        })
        .collect();
    page.columns = mapping
        .iter()
        .map(|(c, t)| (c.clone(), t.as_str()))
        .collect();
    page.total_rows = table.rows.len();
    let planned = import::plan(&table, &mapping);
    page.preview = planned
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, (input, expected, metadata))| PreviewRow {
            row: i + 1,
            input: preview(input.as_ref()),
            expected: preview(expected.as_ref()),
            metadata: preview(metadata.as_ref()),
        })
        .collect();
    if fields.one("confirm").is_none() {
        page.problems = import::check(&dataset, &planned).map_err(web_error)?;
        return render(StatusCode::OK, &page);
    }
    match import::import(
        state.store(),
        &access.project.id,
        &dataset,
        &table,
        &mapping,
    )
    .await
    {
        Ok(_) => Ok(see_other(&dataset_url(&access, &dataset.id))),
        Err(ImportError::Rows(problems)) => {
            page.error = Some(format!(
                "Nothing was imported: {} of {} rows do not fit the dataset.",
                problems.len(),
                table.rows.len()
            ));
            page.problems = problems;
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(ImportError::Dataset(DatasetError::Store(error))) => Err(error.into()),
        Err(other) => {
            page.error = Some(other.to_string());
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

// ---- add to dataset from the trace view -----------------------------------------------------

/// `(id, name)` of the datasets a trace or observation can be added to (none without
/// `datasets:CUD`).
pub async fn dataset_choices(
    state: &WebState,
    access: &ProjectAccess,
) -> WebResult<Vec<(String, String)>> {
    if !access.can(ProjectScope::DatasetsCud) {
        return Ok(Vec::new());
    }
    let (datasets, _) = state
        .store()
        .metadata()
        .list_datasets(&access.project.id, 200, 0)
        .await?;
    Ok(datasets.into_iter().map(|d| (d.id, d.name)).collect())
}

pub fn bulk_add_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "dataset-items/bulk")
}

pub fn add_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "dataset-items/add")
}

/// `POST …/dataset-items/add`: a trace's (or observation's) input and output as a new item of
/// the chosen dataset (input → input, output → expected output), linked to its source; then
/// the item's form on the dataset page, to edit it.
pub async fn post_add_item(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let dataset = dataset_of(
        &state,
        &access,
        fields.one("dataset_id").unwrap_or_default(),
    )
    .await?;
    let trace_id = fields.one("trace_id").unwrap_or_default().to_owned();
    let observation_id = fields
        .one("observation_id")
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let events = state.store().events();
    let (input, output) = match &observation_id {
        Some(id) => {
            let observation = events
                .observation(&access.project.id, id)
                .await?
                .filter(|o| o.row.trace_id == trace_id)
                .ok_or(WebError::NotFound)?;
            (observation.row.input, observation.row.output)
        }
        None => {
            let trace = events
                .trace(&access.project.id, &trace_id)
                .await?
                .ok_or(WebError::NotFound)?;
            (trace.row.input, trace.row.output)
        }
    };
    let input = ItemInput {
        dataset_name: dataset.name.clone(),
        input: Some(input.unwrap_or(Value::Null)),
        expected_output: output,
        source_trace_id: Some(trace_id),
        source_observation_id: observation_id,
        ..ItemInput::default()
    };
    match service::upsert_item(state.store(), &access.project.id, input).await {
        Ok(item) => Ok(see_other(&format!(
            "{}?item={}#item-form",
            dataset_url(&access, &dataset.id),
            urls::segment(&item.id)
        ))),
        Err(DatasetError::Store(error)) => Err(error.into()),
        Err(other) => Err(WebError::BadRequest(other.to_string())),
    }
}

/// `POST …/dataset-items/bulk`: the selected traces or observations of a table (`object_id`,
/// `object_type`) as new items of one dataset, all or none; then the dataset's page.
pub async fn post_bulk_add(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = edit_access(&state, &signed_in, &project_id).await?;
    let fields = Fields::parse(&body);
    let dataset = dataset_of(
        &state,
        &access,
        fields.one("dataset_id").unwrap_or_default(),
    )
    .await?;
    let ids = fields.all("object_id");
    if ids.is_empty() || ids.len() > 1000 {
        return Err(WebError::BadRequest(
            "Select 1 to 1000 rows to add.".to_owned(),
        ));
    }
    let events = state.store().events();
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        let item = match fields.one("object_type") {
            Some("OBSERVATION") => {
                let row = events
                    .observation(&access.project.id, id)
                    .await?
                    .ok_or(WebError::NotFound)?
                    .row;
                ItemInput {
                    input: row.input,
                    expected_output: row.output,
                    source_trace_id: Some(row.trace_id),
                    source_observation_id: Some(row.id),
                    ..ItemInput::default()
                }
            }
            _ => {
                let row = events
                    .trace(&access.project.id, id)
                    .await?
                    .ok_or(WebError::NotFound)?
                    .row;
                ItemInput {
                    input: row.input,
                    expected_output: row.output,
                    source_trace_id: Some(row.id),
                    ..ItemInput::default()
                }
            }
        };
        items.push(item);
    }
    match service::add_items(state.store(), &access.project.id, &dataset.name, items).await {
        Ok(_) => Ok(see_other(&dataset_url(&access, &dataset.id))),
        Err(DatasetError::Store(error)) => Err(error.into()),
        Err(other) => Err(WebError::BadRequest(format!("Nothing was added: {other}"))),
    }
}
