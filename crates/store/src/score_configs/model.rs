//! Score configs (wire-spec §5.7) as the API sees them and as they are stored, and the check
//! of a score that names one.

use sightline_domain::ProjectId;
use sightline_domain::ingest::{ScoreDataType, ScorePatch};
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// One allowed value of a categorical (or boolean) score config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigCategory {
    pub label: String,
    pub value: f64,
}

/// A score config (wire-spec §5.7): what scores that name it in `configId` must look like.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreConfig {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub data_type: ScoreDataType,
    pub is_archived: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub categories: Option<Vec<ConfigCategory>>,
    pub description: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl ScoreConfig {
    /// Checks a score that names this config, and gives a categorical score the value of its
    /// category.
    pub fn apply_to(&self, score: &mut ScorePatch) -> Result<(), String> {
        if self.is_archived {
            return Err(format!("configId: config {} is archived", self.id));
        }
        if score.name != self.name {
            return Err(format!(
                "name: must equal the config's name '{}', got '{}'",
                self.name, score.name
            ));
        }
        if score.data_type != self.data_type {
            return Err(format!(
                "dataType: the config expects {}, got {}",
                self.data_type, score.data_type
            ));
        }
        match self.data_type {
            ScoreDataType::Numeric => {
                let value = score.value.unwrap_or_default();
                if self.min_value.is_some_and(|min| value < min)
                    || self.max_value.is_some_and(|max| value > max)
                {
                    return Err(format!(
                        "value: {value} is outside the config's range [{}, {}]",
                        self.min_value
                            .map_or("-∞".to_owned(), |min| min.to_string()),
                        self.max_value
                            .map_or("+∞".to_owned(), |max| max.to_string()),
                    ));
                }
            }
            ScoreDataType::Categorical => {
                let label = score.string_value.as_deref().unwrap_or_default();
                let category = self
                    .categories
                    .iter()
                    .flatten()
                    .find(|category| category.label == label)
                    .ok_or_else(|| {
                        format!("value: '{label}' is not one of the config's categories")
                    })?;
                score.value = Some(category.value);
            }
            // BOOLEAN values are 0 or 1 by the score rules; TEXT has nothing to check.
            _ => {}
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScoreConfigSqlRow {
    id: String,
    project_id: String,
    name: String,
    data_type: String,
    is_archived: bool,
    min_value: Option<f64>,
    max_value: Option<f64>,
    categories: Option<String>,
    description: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const SCORE_CONFIG_COLUMNS: &str = "id, project_id, name, data_type, is_archived, \
    min_value, max_value, categories, description, created_at, updated_at";

impl TryFrom<ScoreConfigSqlRow> for ScoreConfig {
    type Error = StoreError;

    fn try_from(row: ScoreConfigSqlRow) -> StoreResult<Self> {
        Ok(ScoreConfig {
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            name: row.name,
            data_type: row.data_type.parse().map_err(StoreError::Corrupt)?,
            is_archived: row.is_archived,
            min_value: row.min_value,
            max_value: row.max_value,
            categories: row
                .categories
                .as_deref()
                .map(parse_categories)
                .transpose()?,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The stored text of a config's categories: a JSON array of `{label, value}`.
pub(crate) fn categories_text(config: &ScoreConfig) -> Option<String> {
    config.categories.as_ref().map(|categories| {
        let items: Vec<serde_json::Value> = categories
            .iter()
            .map(|category| serde_json::json!({"label": category.label, "value": category.value}))
            .collect();
        serde_json::Value::Array(items).to_string()
    })
}

fn parse_categories(text: &str) -> StoreResult<Vec<ConfigCategory>> {
    let corrupt = || StoreError::Corrupt(format!("stored categories: {text}"));
    let items: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| corrupt())?;
    items
        .iter()
        .map(|item| {
            let label = item.get("label").and_then(serde_json::Value::as_str);
            let value = item.get("value").and_then(serde_json::Value::as_f64);
            match (label, value) {
                (Some(label), Some(value)) => Ok(ConfigCategory {
                    label: label.to_owned(),
                    value,
                }),
                _ => Err(corrupt()),
            }
        })
        .collect()
}
