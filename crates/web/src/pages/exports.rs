//! Batch exports in the UI (`features.md` §6.1): the "Export" form on the traces,
//! observations, scores and sessions tables and on a dataset's items (the table's current
//! filters, as CSV, JSON or JSONL), the project's exports with their progress and download
//! links, and the download.
//! Creating is `batchExports:create`, reading and downloading `batchExports:read` (MEMBER).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use sightline_domain::ProjectScope;
use sightline_domain::time::{now_ms, to_iso};
use sightline_server::services::exports::{
    self, DatasetItemsExport, ExportError, ExportQuery, Format,
};
use sightline_store::{BatchExport, ExportStatus};

use crate::error::{WebError, WebResult};
use crate::pages::listing::ListParams;
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

/// The "Export" form of a table: its current query string is exported.
#[derive(Debug, Clone)]
pub struct ExportButton {
    pub action: String,
    pub table: &'static str,
    pub query: String,
    /// The browser replaces `query` with the page's query string on submit (tables whose
    /// filters htmx pushes into the URL); otherwise `query` is sent as rendered.
    pub current_query: bool,
}

/// The form for `table` with the page's query string, when the user may export.
pub fn button(access: &ProjectAccess, table: &'static str, query: &str) -> Option<ExportButton> {
    access
        .can(ProjectScope::BatchExportsCreate)
        .then(|| ExportButton {
            action: urls::project_section(&access.project.id, "exports"),
            table,
            query: query.to_owned(),
            current_query: true,
        })
}

/// The form that exports a dataset's items, when the user may export.
pub fn dataset_items_button(access: &ProjectAccess, dataset_id: &str) -> Option<ExportButton> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("datasetId", dataset_id)
        .finish();
    button(access, "dataset_items", &query).map(|button| ExportButton {
        current_query: false,
        ..button
    })
}

/// The query string of a table's parameters.
pub fn query_string(params: &ListParams) -> String {
    let mut pairs: Vec<(&String, &String)> = params.0.iter().collect();
    pairs.sort();
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The store query a table's query string stands for, as its page reads it; a filter the
/// page cannot use is refused, as the page shows it.
fn export_query(table: &str, raw: &str) -> Result<ExportQuery, String> {
    let params = ListParams(
        form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect(),
    );
    match table {
        "traces" => Ok(ExportQuery::Traces(
            crate::pages::trace_filters::table_query(raw, now_ms())?,
        )),
        "observations" => Ok(ExportQuery::Observations(
            crate::pages::observations::query(&params).0,
        )),
        "scores" => Ok(ExportQuery::Scores(Box::new(
            crate::pages::scores::score_query(&params),
        ))),
        "sessions" => Ok(ExportQuery::Sessions(
            crate::pages::sessions::session_query(&params),
        )),
        "dataset_items" => {
            let dataset_id = params
                .text("datasetId")
                .ok_or("Choose the dataset whose items to export.")?;
            Ok(ExportQuery::DatasetItems(DatasetItemsExport { dataset_id }))
        }
        other => Err(format!(
            "'{other}' cannot be exported: choose traces, observations, scores, sessions or \
             dataset items."
        )),
    }
}

/// `POST /ui/project/{project}/exports`: `table`, `query` (the table's query string) and
/// `format`; queues the export and opens the exports list.
pub async fn post_export(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::BatchExportsCreate,
    )
    .await?;
    let fields = Fields::parse(&body);
    let format = fields
        .one("format")
        .and_then(Format::parse)
        .ok_or_else(|| WebError::BadRequest("Choose CSV, JSON or JSONL.".into()))?;
    let table = fields.one("table").unwrap_or_default();
    let query = export_query(table, fields.one("query").unwrap_or_default())
        .map_err(WebError::BadRequest)?;
    if let ExportQuery::DatasetItems(export) = &query {
        state
            .store()
            .metadata()
            .dataset_by_id(&access.project.id, &export.dataset_id)
            .await?
            .ok_or_else(|| WebError::BadRequest("This project has no such dataset.".into()))?;
    }
    let export = exports::create(
        state.app(),
        &access.project.id,
        Some(signed_in.user.id.as_str()),
        &query,
        format,
    )
    .await?;
    tracing::info!(project = %access.project.id, export = %export.id, table, "export queued");
    Ok(see_other(&urls::project_section(
        &access.project.id,
        "settings/exports",
    )))
}

struct ExportRow {
    name: String,
    status: &'static str,
    rows: i64,
    created: String,
    expires: String,
    download: Option<String>,
    log: String,
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    layout: Layout,
    access: ProjectAccess,
    exports: Vec<ExportRow>,
    /// Some export is still running: the page reloads itself.
    pending: bool,
    tabs: SettingsTabs,
}

/// `GET /ui/project/{project}/settings/exports`: the project's exports, newest first.
pub async fn get_exports(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::BatchExportsRead,
    )
    .await?;
    let listed = state
        .store()
        .metadata()
        .list_exports(&access.project.id, 100)
        .await?;
    let now = now_ms();
    let pending = listed.iter().any(|e| e.status.is_running());
    let exports = listed
        .iter()
        .map(|export| ExportRow {
            name: export.name.clone(),
            status: export.status.as_str(),
            rows: export.rows_written,
            created: to_iso(export.created_at),
            expires: export.expires_at.map(to_iso).unwrap_or_default(),
            download: (export.status == ExportStatus::Completed
                && export.object_key.is_some()
                && export.expires_at.is_some_and(|at| at > now))
            .then(|| download_url(&access, export)),
            log: export.log.clone().unwrap_or_default(),
        })
        .collect();
    let layout = Layout::for_project(
        state.store(),
        &signed_in,
        &csrf,
        &access.project,
        "settings",
    )
    .await?;
    render(
        axum::http::StatusCode::OK,
        &ExportsPage {
            layout,
            exports,
            pending,
            tabs: SettingsTabs::of(&access),
            access,
        },
    )
}

fn download_url(access: &ProjectAccess, export: &BatchExport) -> String {
    urls::project_section(
        &access.project.id,
        &format!("exports/{}/download", urls::segment(&export.id)),
    )
}

/// `GET /ui/project/{project}/exports/{export}/download`: the file, or a redirect to a
/// short-lived presigned URL of its bucket.
pub async fn get_export_download(
    State(state): State<WebState>,
    Path((project_id, export_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::BatchExportsRead,
    )
    .await?;
    let export = state
        .store()
        .metadata()
        .export(&access.project.id, &export_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let app = state.app();
    if let Some(url) = exports::presigned_download(app, &export)
        .await
        .map_err(export_error)?
    {
        return Ok(Redirect::to(&url).into_response());
    }
    let body = exports::open(app, &export).await.map_err(export_error)?;
    let content_type = Format::parse(&export.format).map_or("text/plain", Format::content_type);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        exports::file_name(&export)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

fn export_error(error: ExportError) -> WebError {
    match error {
        ExportError::Store(error) => error.into(),
        ExportError::Blob(sightline_server::services::blobs::BlobError::NotFound { .. }) => {
            WebError::NotFound
        }
        ExportError::Blob(error) => WebError::internal(error),
        ExportError::NotDownloadable(message) => WebError::BadRequest(message),
        ExportError::Encode(message) => WebError::internal(std::io::Error::other(message)),
    }
}
