//! Prompt management (wire-spec §6): `GET/POST /api/public/v2/prompts`,
//! `GET/DELETE /v2/prompts/{promptName}` (the name percent-encoded, `%2F` for folders),
//! `PATCH /v2/prompts/{name}/versions/{version}`, and the legacy `GET/POST /prompts`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::prompt::PRODUCTION_LABEL;
use sightline_store::{PromptListQuery, PromptSelector};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::pagination::PageQuery;
use crate::services::prompts::{self as service, CreatePrompt, PromptError};
use crate::state::AppState;
use crate::views;

/// `GET /v2/prompts` pages hold 10 names unless asked otherwise.
const LIST_DEFAULT_LIMIT: &str = "10";

impl From<PromptError> for ApiError {
    fn from(error: PromptError) -> Self {
        match error {
            PromptError::InvalidField { field, message } => ApiError::invalid_field(field, message),
            PromptError::Invalid(message) => ApiError::InvalidRequest(message),
            PromptError::NotFound(message) => ApiError::NotFound(message),
            PromptError::Unresolvable(message) => ApiError::Conflict(message),
            PromptError::Store(error) => error.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePromptBody {
    name: String,
    #[serde(default)]
    r#type: Option<String>,
    prompt: Value,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    commit_message: Option<String>,
    /// Legacy `POST /prompts` only: true adds `production`.
    #[serde(default)]
    is_active: Option<bool>,
}

impl CreatePromptBody {
    fn into_input(self, labels: Vec<String>) -> CreatePrompt {
        CreatePrompt {
            name: self.name,
            r#type: self.r#type,
            prompt: self.prompt,
            config: self.config,
            labels,
            tags: self.tags,
            commit_message: self.commit_message,
            created_by: "API".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLabelsBody {
    new_labels: Vec<String>,
}

fn integer(query: &QueryPairs, name: &'static str) -> ApiResult<Option<i64>> {
    query
        .get(name)
        .map(|raw| {
            raw.trim().parse::<i64>().map_err(|_| {
                ApiError::invalid_field(name, format!("Expected an integer, received '{raw}'"))
            })
        })
        .transpose()
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

pub async fn get_prompt(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(prompt_name): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    let version = integer(&query, "version")?;
    let label = query.get("label").map(str::to_owned);
    let resolve = match query.get("resolve") {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(ApiError::invalid_field(
                "resolve",
                format!("Invalid option: expected one of \"true\"|\"false\", received '{other}'"),
            ));
        }
    };
    let selector = service::selector(version, label)?;
    let body = service::fetch_prompt(
        state.store(),
        state.prompts(),
        &caller.project_id,
        &prompt_name,
        selector,
        resolve,
    )
    .await?;
    Ok(json_bytes(StatusCode::OK, body))
}

pub async fn delete_prompt(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(prompt_name): Path<String>,
    query: QueryPairs,
) -> ApiResult<StatusCode> {
    let version = integer(&query, "version")?;
    let label = query.get("label").map(str::to_owned);
    service::delete_prompt(
        state.store(),
        state.prompts(),
        &caller.project_id,
        &prompt_name,
        version,
        label,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_prompts(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = PageQuery {
        page: query.get("page").map(str::to_owned),
        limit: Some(query.get("limit").unwrap_or(LIST_DEFAULT_LIMIT).to_owned()),
    }
    .page()?;
    let filters = PromptListQuery {
        name: query.get("name").map(str::to_owned),
        label: query.get("label").map(str::to_owned),
        tag: query.get("tag").map(str::to_owned),
        version: integer(&query, "version")?,
        from_updated_at: query.time("fromUpdatedAt")?,
        to_updated_at: query.time("toUpdatedAt")?,
        limit: page.limit,
        offset: page.offset(),
    };
    let (prompts, total) = state
        .store()
        .metadata()
        .list_prompts(&caller.project_id, &filters)
        .await?;
    let data: Vec<Value> = prompts.iter().map(views::prompt_summary).collect();
    let meta = page.meta(total);
    // `pagination` repeats `meta`: Langfuse first released the endpoint with it.
    Ok(Json(
        json!({"data": data, "meta": meta, "pagination": meta}),
    ))
}

pub async fn post_prompt(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreatePromptBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let labels = body.labels.clone().unwrap_or_default();
    let created = service::create_prompt(
        state.store(),
        state.prompts(),
        &caller.project_id,
        body.into_input(labels),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(views::prompt(&created))))
}

pub async fn patch_prompt_version(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path((prompt_name, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateLabelsBody>,
) -> ApiResult<Json<Value>> {
    let version = version.trim().parse::<i64>().map_err(|_| {
        ApiError::invalid_field(
            "version",
            format!("Expected an integer, received '{version}'"),
        )
    })?;
    let updated = service::add_labels(
        state.store(),
        state.prompts(),
        &caller.project_id,
        &prompt_name,
        version,
        &body.new_labels,
    )
    .await?;
    Ok(Json(views::prompt(&updated)))
}

/// Legacy `GET /prompts?name=&version=`: the resolved version (default `production`) with
/// `isActive`.
pub async fn get_legacy_prompt(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Response> {
    let name = query.get("name").ok_or_else(|| {
        ApiError::invalid_field("name", "Invalid input: expected string, received undefined")
    })?;
    let selector = match integer(&query, "version")? {
        Some(version) => PromptSelector::Version(version),
        None => PromptSelector::Label(PRODUCTION_LABEL.into()),
    };
    let body = service::fetch_prompt(
        state.store(),
        state.prompts(),
        &caller.project_id,
        name,
        selector,
        true,
    )
    .await
    .map_err(|error| match error {
        PromptError::NotFound(_) => ApiError::NotFound("Prompt not found".into()),
        other => other.into(),
    })?;
    Ok(json_bytes(StatusCode::OK, body))
}

/// Legacy `POST /prompts`: `isActive` (required) true puts `production` on the new version.
pub async fn post_legacy_prompt(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreatePromptBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let is_active = body.is_active.ok_or_else(|| {
        ApiError::invalid_field(
            "isActive",
            "Invalid input: expected boolean, received undefined",
        )
    })?;
    let mut labels = body.labels.clone().unwrap_or_default();
    if is_active && !labels.iter().any(|label| label == PRODUCTION_LABEL) {
        labels.push(PRODUCTION_LABEL.into());
    }
    let created = service::create_prompt(
        state.store(),
        state.prompts(),
        &caller.project_id,
        body.into_input(labels),
    )
    .await?;
    let mut view = views::prompt(&created);
    view["isActive"] = json!(created.labels.iter().any(|label| label == PRODUCTION_LABEL));
    Ok((StatusCode::CREATED, Json(view)))
}
