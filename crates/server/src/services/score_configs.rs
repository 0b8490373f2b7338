//! Score configs: the rules a config must meet (shared by `/api/public/score-configs` and the
//! UI's settings page), and scores that name a config checked against it (name, data type,
//! range, category) before they are written, whichever route they came by.

use sightline_domain::ProjectId;
use sightline_domain::ingest::ScoreDataType;
use sightline_domain::ingest::ScorePatch;
use sightline_store::{ConfigCategory, ScoreConfig, Store, StoreResult};

/// Langfuse's longest config name.
const MAX_NAME_CHARS: usize = 35;

/// Why a score was refused: the status Langfuse answers with, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRejection {
    pub status: u16,
    pub message: String,
}

/// Checks each score that has a `configId` against its config (and gives categorical scores
/// their category's value); scores without one pass unchanged.
pub async fn apply_configs(
    store: &Store,
    project: &ProjectId,
    scores: Vec<ScorePatch>,
) -> StoreResult<Vec<Result<ScorePatch, ScoreRejection>>> {
    let mut ids: Vec<String> = scores
        .iter()
        .filter_map(|score| score.config_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let configs = if ids.is_empty() {
        Vec::new()
    } else {
        store.metadata().score_configs_by_id(project, &ids).await?
    };
    Ok(scores
        .into_iter()
        .map(|mut score| {
            if let Some(id) = &score.config_id {
                let config = configs.iter().find(|config| &config.id == id).ok_or_else(|| ScoreRejection {
                    status: 404,
                    message: "The configId you provided does not match a valid config in this project".into(),
                })?;
                config
                    .apply_to(&mut score)
                    .map_err(|message| ScoreRejection { status: 400, message })?;
            }
            Ok(score)
        })
        .collect())
}

/// The categories every BOOLEAN config has.
pub fn boolean_categories() -> Vec<ConfigCategory> {
    [("True", 1.0), ("False", 0.0)]
        .into_iter()
        .map(|(label, value)| ConfigCategory {
            label: label.to_owned(),
            value,
        })
        .collect()
}

/// The rules a config must satisfy after a create or an update.
pub fn check(config: &ScoreConfig) -> Result<(), String> {
    let name = &config.name;
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name: must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_ .()-".contains(c))
    {
        return Err(
            "name: only letters, numbers, underscores, spaces, periods, parentheses and hyphens are allowed"
                .into(),
        );
    }
    let has_range = config.min_value.is_some() || config.max_value.is_some();
    if has_range && config.data_type != ScoreDataType::Numeric {
        return Err("minValue, maxValue: only NUMERIC configs have a range".into());
    }
    if let (Some(min), Some(max)) = (config.min_value, config.max_value)
        && min > max
    {
        return Err("minValue: must not be greater than maxValue".into());
    }
    if [config.min_value, config.max_value]
        .iter()
        .flatten()
        .any(|value| !value.is_finite())
    {
        return Err("minValue, maxValue: must be finite numbers".into());
    }
    match config.data_type {
        ScoreDataType::Categorical => {
            let categories = config.categories.as_deref().unwrap_or_default();
            if categories.is_empty() {
                return Err("categories: a CATEGORICAL config needs at least one category".into());
            }
            for (i, category) in categories.iter().enumerate() {
                if category.label.trim().is_empty() {
                    return Err("categories: labels must not be empty".into());
                }
                if categories[..i].iter().any(|c| c.label == category.label) {
                    return Err(format!("categories: duplicate label '{}'", category.label));
                }
                if categories[..i].iter().any(|c| c.value == category.value) {
                    return Err(format!("categories: duplicate value {}", category.value));
                }
            }
        }
        ScoreDataType::Boolean => {}
        _ if config.categories.is_some() => {
            return Err(format!(
                "categories: only CATEGORICAL configs have categories, not {}",
                config.data_type
            ));
        }
        _ => {}
    }
    Ok(())
}
