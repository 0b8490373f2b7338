//! What the read API asks of scores: the list query of `GET /scores` and `GET /v2/scores`, the
//! trace summary each listed score carries, and score configs.

use sightline_domain::ProjectId;
use sightline_domain::filter::FilterCondition;
use sightline_domain::ingest::{ScoreDataType, ScorePatch};
use sightline_domain::time::Millis;

use crate::ScoreRow;
use crate::error::{StoreError, StoreResult};
use crate::tracing_model::ScoreSqlRow;

/// The comparison of the `value` filter (`operator=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOperator {
    Lt,
    Gt,
    Le,
    Ge,
    Ne,
    Eq,
}

impl ValueOperator {
    /// Langfuse's operators: `< > <= >= != =`.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "<" => Self::Lt,
            ">" => Self::Gt,
            "<=" => Self::Le,
            ">=" => Self::Ge,
            "!=" => Self::Ne,
            "=" => Self::Eq,
            _ => return None,
        })
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Ne => "<>",
            Self::Eq => "=",
        }
    }
}

/// A page of scores, newest first, filtered by the named query parameters of `GET /scores`.
/// Empty lists and `None` do not filter.
#[derive(Debug, Clone, Default)]
pub struct ScoreQuery {
    /// Only scores of a trace (`GET /scores`, v1).
    pub trace_scores_only: bool,
    /// The trace's user.
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub data_type: Option<String>,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    pub source: Option<String>,
    /// Every tag must be on the score's trace.
    pub trace_tags: Vec<String>,
    /// Any of these environments.
    pub environments: Vec<String>,
    /// Inclusive.
    pub from_timestamp: Option<Millis>,
    /// Exclusive.
    pub to_timestamp: Option<Millis>,
    pub value: Option<(ValueOperator, f64)>,
    /// The advanced `filter` conditions; all must hold.
    pub filter: Vec<FilterCondition>,
    pub ids: Vec<String>,
    pub trace_ids: Vec<String>,
    pub session_ids: Vec<String>,
    pub dataset_run_ids: Vec<String>,
    pub observation_ids: Vec<String>,
    /// `GET /v3/scores` filters: any of the names, sources, data types, configs or queues.
    pub names: Vec<String>,
    pub sources: Vec<String>,
    pub data_types: Vec<String>,
    pub config_ids: Vec<String>,
    pub queue_ids: Vec<String>,
    /// Scores written through the API have no author: any value here matches nothing.
    pub author_user_ids: Vec<String>,
    /// Any of these numeric values (NUMERIC, or BOOLEAN as 0/1).
    pub numeric_values: Vec<f64>,
    /// Any of these string values (CATEGORICAL).
    pub string_values: Vec<String>,
    /// Inclusive bounds on the numeric value.
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    /// Only scores after this position in `timestamp DESC, id DESC` order (`GET /v3/scores`).
    pub after: Option<ScoreCursor>,
    pub limit: u64,
    pub offset: u64,
}

/// A position in the `timestamp DESC, id DESC` order of score lists: the last score of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreCursor {
    pub timestamp: Millis,
    pub id: String,
}

/// What a listed score shows of its trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreTrace {
    pub user_id: Option<String>,
    pub tags: Vec<String>,
    pub environment: String,
    pub session_id: Option<String>,
}

/// A listed score with its trace, when it has one that exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWithTrace {
    pub score: ScoreRow,
    pub trace: Option<ScoreTrace>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScoreListSqlRow {
    #[sqlx(flatten)]
    score: ScoreSqlRow,
    trace_found: Option<String>,
    trace_user_id: Option<String>,
    trace_tags: Option<String>,
    trace_environment: Option<String>,
    trace_session_id: Option<String>,
}

impl TryFrom<ScoreListSqlRow> for ScoreWithTrace {
    type Error = StoreError;

    fn try_from(row: ScoreListSqlRow) -> StoreResult<Self> {
        let trace = match row.trace_found {
            None => None,
            Some(_) => Some(ScoreTrace {
                user_id: row.trace_user_id,
                tags: serde_json::from_str(row.trace_tags.as_deref().unwrap_or("[]"))
                    .map_err(|e| StoreError::Corrupt(format!("stored tags: {e}")))?,
                environment: row.trace_environment.unwrap_or_default(),
                session_id: row.trace_session_id,
            }),
        };
        Ok(ScoreWithTrace {
            score: row.score.try_into()?,
            trace,
        })
    }
}

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
