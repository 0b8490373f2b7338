//! Score configs (wire-spec §5.7): `POST /api/public/score-configs`, `GET /score-configs`
//! (paged), `GET /score-configs/{configId}` and `PATCH /score-configs/{configId}`.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use sightline_domain::ingest::ScoreDataType;
use sightline_domain::time::now_ms;
use sightline_store::{ConfigCategory, ScoreConfig};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json as JsonBody, QueryPairs};
use crate::services::score_configs::{boolean_categories, check};
use crate::state::AppState;
use crate::views;

#[derive(Debug, Deserialize)]
pub struct CategoryBody {
    label: String,
    value: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateScoreConfig {
    name: String,
    data_type: String,
    #[serde(default)]
    categories: Option<Vec<CategoryBody>>,
    #[serde(default)]
    min_value: Option<f64>,
    #[serde(default)]
    max_value: Option<f64>,
    #[serde(default)]
    description: Option<String>,
}

/// A field that may be absent (keep), `null` (clear) or a value (set).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateScoreConfig {
    #[serde(default)]
    is_archived: Option<bool>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    categories: Option<Option<Vec<CategoryBody>>>,
    #[serde(default, deserialize_with = "present")]
    min_value: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    max_value: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

fn categories(body: Option<Vec<CategoryBody>>) -> Option<Vec<ConfigCategory>> {
    body.map(|items| {
        items
            .into_iter()
            .map(|item| ConfigCategory {
                label: item.label,
                value: item.value,
            })
            .collect()
    })
}

async fn load(state: &AppState, caller: &ProjectAuth, id: &str) -> ApiResult<ScoreConfig> {
    state
        .store()
        .metadata()
        .score_configs_by_id(&caller.0.project_id, &[id.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound("Score config not found".into()))
}

pub async fn post_score_config(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    JsonBody(body): JsonBody<CreateScoreConfig>,
) -> ApiResult<Json<Value>> {
    let data_type = match body.data_type.parse::<ScoreDataType>() {
        Ok(ScoreDataType::Correction) | Err(_) => {
            return Err(ApiError::InvalidRequest(format!(
                "dataType: expected NUMERIC, CATEGORICAL, BOOLEAN or TEXT, got '{}'",
                body.data_type
            )));
        }
        Ok(data_type) => data_type,
    };
    if data_type == ScoreDataType::Boolean && body.categories.is_some() {
        return Err(ApiError::InvalidRequest(
            "categories: BOOLEAN configs get their categories automatically".into(),
        ));
    }
    let now = now_ms();
    let config = ScoreConfig {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: caller.project_id.clone(),
        name: body.name,
        data_type,
        is_archived: false,
        min_value: body.min_value,
        max_value: body.max_value,
        categories: if data_type == ScoreDataType::Boolean {
            Some(boolean_categories())
        } else {
            categories(body.categories)
        },
        description: body.description,
        created_at: now,
        updated_at: now,
    };
    check(&config).map_err(ApiError::InvalidRequest)?;
    state
        .store()
        .metadata()
        .insert_score_config(&config)
        .await?;
    Ok(Json(views::score_config(&config)))
}

pub async fn get_score_configs(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = query.page()?;
    let (configs, total) = state
        .store()
        .metadata()
        .list_score_configs(&caller.project_id, page.limit, page.offset())
        .await?;
    let data: Vec<Value> = configs.iter().map(views::score_config).collect();
    Ok(Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_score_config(
    State(state): State<AppState>,
    caller: ProjectAuth,
    Path(config_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let config = load(&state, &caller, &config_id).await?;
    Ok(Json(views::score_config(&config)))
}

pub async fn patch_score_config(
    State(state): State<AppState>,
    caller: ProjectAuth,
    Path(config_id): Path<String>,
    JsonBody(body): JsonBody<UpdateScoreConfig>,
) -> ApiResult<Json<Value>> {
    let mut config = load(&state, &caller, &config_id).await?;
    if let Some(is_archived) = body.is_archived {
        config.is_archived = is_archived;
    }
    if let Some(name) = body.name {
        config.name = name;
    }
    if let Some(new_categories) = body.categories {
        if config.data_type == ScoreDataType::Boolean {
            return Err(ApiError::InvalidRequest(
                "categories: BOOLEAN configs get their categories automatically".into(),
            ));
        }
        config.categories = categories(new_categories);
    }
    if let Some(min_value) = body.min_value {
        config.min_value = min_value;
    }
    if let Some(max_value) = body.max_value {
        config.max_value = max_value;
    }
    if let Some(description) = body.description {
        config.description = description;
    }
    config.updated_at = now_ms();
    check(&config).map_err(ApiError::InvalidRequest)?;
    if !state
        .store()
        .metadata()
        .update_score_config(&config)
        .await?
    {
        return Err(ApiError::NotFound("Score config not found".into()));
    }
    Ok(Json(views::score_config(&config)))
}
