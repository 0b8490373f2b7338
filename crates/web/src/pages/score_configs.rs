//! Score configs in the project settings: the list (name, type, accepted values, archived) with
//! a form for numeric (with a range), categorical (with categories) and boolean configs, and
//! archive and restore. The rules are the API's (`services::score_configs::check`). Reading is
//! `scoreConfigs:read` (VIEWER), changing `scoreConfigs:CUD` (MEMBER).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use sightline_domain::ProjectScope;
use sightline_domain::ingest::ScoreDataType;
use sightline_domain::time::now_ms;
use sightline_server::services::score_configs::{boolean_categories, check};
use sightline_store::{ConfigCategory, ScoreConfig};

use crate::error::{WebError, WebResult};
use crate::pages::{Form, non_empty, page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

/// A config as the list shows it.
pub struct ConfigRow {
    pub id: String,
    pub name: String,
    pub data_type: &'static str,
    /// The values it accepts: a range, categories, or True/False.
    pub accepts: String,
    pub description: String,
    pub archived: bool,
    pub archive_url: String,
}

#[derive(Template)]
#[template(path = "score_configs.html")]
struct ConfigsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<ConfigRow>,
    can_edit: bool,
    create_url: String,
    error: Option<String>,
    tabs: SettingsTabs,
}

fn configs_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "settings/score-configs")
}

fn accepts(config: &ScoreConfig) -> String {
    match config.data_type {
        ScoreDataType::Numeric => match (config.min_value, config.max_value) {
            (Some(min), Some(max)) => format!("{min} to {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => "any number".into(),
        },
        _ => config
            .categories
            .iter()
            .flatten()
            .map(|c| format!("{} ({})", c.label, c.value))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

async fn configs_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    error: Option<String>,
) -> WebResult<Response> {
    let (configs, _) = state
        .store()
        .metadata()
        .list_score_configs(&access.project.id, 500, 0)
        .await?;
    let rows = configs
        .iter()
        .map(|config| ConfigRow {
            id: config.id.clone(),
            name: config.name.clone(),
            data_type: config.data_type.as_str(),
            accepts: accepts(config),
            description: config.description.clone().unwrap_or_default(),
            archived: config.is_archived,
            archive_url: format!(
                "{}/{}/archive",
                configs_url(&access),
                urls::segment(&config.id)
            ),
        })
        .collect();
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    page(&ConfigsPage {
        layout,
        rows,
        can_edit: access.can(ProjectScope::ScoreConfigsCud),
        create_url: configs_url(&access),
        error,
        tabs: SettingsTabs::of(&access),
        access,
    })
}

/// `GET …/settings/score-configs`.
pub async fn get_score_configs(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoreConfigsRead,
    )
    .await?;
    configs_page(&state, &signed_in, &csrf, access, None).await
}

#[derive(Deserialize)]
pub struct ConfigForm {
    name: String,
    data_type: String,
    #[serde(default)]
    min_value: Option<String>,
    #[serde(default)]
    max_value: Option<String>,
    /// Categorical: one `label` or `label=value` per line or comma; values default to the
    /// position.
    #[serde(default)]
    categories: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// A bound of the range: empty is none.
fn bound(field: &str, raw: Option<&str>) -> Result<Option<f64>, String> {
    non_empty(raw)
        .map(|raw| {
            raw.trim()
                .parse::<f64>()
                .map_err(|_| format!("{field}: expected a number, got '{raw}'"))
        })
        .transpose()
}

/// Categories from the form's text.
fn categories(raw: &str) -> Result<Vec<ConfigCategory>, String> {
    raw.split(['\n', ','])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(index, line)| match line.split_once('=') {
            Some((label, value)) => value
                .trim()
                .parse::<f64>()
                .map(|value| ConfigCategory {
                    label: label.trim().to_owned(),
                    value,
                })
                .map_err(|_| format!("categories: '{line}' needs a number after '='")),
            None => Ok(ConfigCategory {
                label: line.to_owned(),
                value: index as f64,
            }),
        })
        .collect()
}

fn config_from(form: &ConfigForm, access: &ProjectAccess) -> Result<ScoreConfig, String> {
    let data_type = match form.data_type.as_str() {
        "NUMERIC" => ScoreDataType::Numeric,
        "CATEGORICAL" => ScoreDataType::Categorical,
        "BOOLEAN" => ScoreDataType::Boolean,
        other => {
            return Err(format!(
                "dataType: expected NUMERIC, CATEGORICAL or BOOLEAN, got '{other}'"
            ));
        }
    };
    let numeric = data_type == ScoreDataType::Numeric;
    let now = now_ms();
    let config = ScoreConfig {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: access.project.id.clone(),
        name: form.name.trim().to_owned(),
        data_type,
        is_archived: false,
        min_value: if numeric {
            bound("minValue", form.min_value.as_deref())?
        } else {
            None
        },
        max_value: if numeric {
            bound("maxValue", form.max_value.as_deref())?
        } else {
            None
        },
        categories: match data_type {
            ScoreDataType::Boolean => Some(boolean_categories()),
            ScoreDataType::Categorical => {
                Some(categories(form.categories.as_deref().unwrap_or_default())?)
            }
            _ => None,
        },
        description: non_empty(form.description.as_deref()).map(str::to_owned),
        created_at: now,
        updated_at: now,
    };
    check(&config)?;
    Ok(config)
}

/// `POST …/settings/score-configs`: a new config; a refused one shows the list again with the
/// reason, and nothing is saved.
pub async fn post_score_config(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<ConfigForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoreConfigsCud,
    )
    .await?;
    match config_from(&form, &access) {
        Ok(config) => {
            state
                .store()
                .metadata()
                .insert_score_config(&config)
                .await?;
            tracing::info!(project.id = %access.project.id, config.id = %config.id, "score config created");
            Ok(see_other(&configs_url(&access)))
        }
        Err(message) => configs_page(&state, &signed_in, &csrf, access, Some(message)).await,
    }
}

/// `POST …/settings/score-configs/{config}/archive`: archives the config, or restores an
/// archived one.
pub async fn post_score_config_archive(
    State(state): State<WebState>,
    Path((project_id, config_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoreConfigsCud,
    )
    .await?;
    let store = state.store();
    let mut config = store
        .metadata()
        .score_configs_by_id(&access.project.id, std::slice::from_ref(&config_id))
        .await?
        .pop()
        .ok_or(WebError::NotFound)?;
    config.is_archived = !config.is_archived;
    config.updated_at = now_ms();
    store.metadata().update_score_config(&config).await?;
    Ok(see_other(&configs_url(&access)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_take_positions_or_given_values() {
        let parsed = categories("good\nbad").unwrap();
        assert_eq!((parsed[1].label.as_str(), parsed[1].value), ("bad", 1.0));
        let parsed = categories("high=2, low=0").unwrap();
        assert_eq!((parsed[0].label.as_str(), parsed[0].value), ("high", 2.0));
        assert!(categories("x=y").is_err());
    }
}
