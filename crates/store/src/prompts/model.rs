//! Prompt records (wire-spec §6): a stored prompt version, what creating one needs, the list
//! query of `GET /v2/prompts` and its grouped rows; and the stored row they decode from.

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::prompt::PromptType;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// One version of a prompt, with the labels it holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptVersion {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub version: i64,
    pub r#type: PromptType,
    pub prompt: Value,
    pub config: Value,
    /// In the order they were given.
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub commit_message: Option<String>,
    pub created_by: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A version to create; the store assigns the version number.
#[derive(Debug, Clone)]
pub struct NewPromptVersion {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub r#type: PromptType,
    pub prompt: Value,
    pub config: Value,
    /// Labels to put on the new version (moved from other versions); `latest` is added.
    pub labels: Vec<String>,
    /// Tags for every version of the name; `None` keeps the previous version's.
    pub tags: Option<Vec<String>>,
    pub commit_message: Option<String>,
    pub created_by: String,
    pub created_at: Millis,
}

/// Which version of a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PromptSelector {
    Version(i64),
    Label(String),
}

/// The filters and page of `GET /v2/prompts`; each filter applies to versions.
#[derive(Debug, Clone, Default)]
pub struct PromptListQuery {
    pub name: Option<String>,
    pub label: Option<String>,
    pub tag: Option<String>,
    pub version: Option<i64>,
    pub from_updated_at: Option<Millis>,
    pub to_updated_at: Option<Millis>,
    pub limit: u64,
    pub offset: u64,
}

/// One name of a prompt list: its matching versions.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptSummary {
    pub name: String,
    /// Of the newest matching version.
    pub r#type: PromptType,
    pub versions: Vec<i64>,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub last_updated_at: Millis,
    /// Of the newest matching version.
    pub last_config: Value,
}

/// The columns of `prompts`, in the order of [`PromptSqlRow`] and of the insert.
pub(crate) const PROMPT_COLUMNS: &str = "project_id, id, name, version, type, prompt, config, \
    tags, commit_message, created_by, created_at, updated_at";

/// [`PROMPT_COLUMNS`], each prefixed with a table alias (`p.project_id, p.id, …`).
pub(crate) fn prefixed_columns(alias: &str) -> String {
    PROMPT_COLUMNS
        .split(',')
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row of `prompts` as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct PromptSqlRow {
    pub(crate) project_id: String,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) version: i64,
    pub(crate) r#type: String,
    pub(crate) prompt: String,
    pub(crate) config: String,
    pub(crate) tags: String,
    pub(crate) commit_message: Option<String>,
    pub(crate) created_by: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("stored prompt {what}: {error}"))
}

/// The tags of a version, stored as a JSON array of strings.
pub(crate) fn parse_tags(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("tags", e))
}

pub(crate) fn tags_text(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

impl PromptSqlRow {
    pub(crate) fn into_version(self, labels: Vec<String>) -> StoreResult<PromptVersion> {
        Ok(PromptVersion {
            r#type: self.r#type.parse().map_err(|e| corrupt("type", e))?,
            prompt: serde_json::from_str(&self.prompt).map_err(|e| corrupt("content", e))?,
            config: serde_json::from_str(&self.config).map_err(|e| corrupt("config", e))?,
            tags: parse_tags(&self.tags)?,
            id: self.id,
            project_id: ProjectId::from_trusted(self.project_id),
            name: self.name,
            version: self.version,
            labels,
            commit_message: self.commit_message,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_columns_name_every_column_of_the_alias() {
        let columns = prefixed_columns("p");
        assert!(columns.starts_with("p.project_id, p.id, p.name, p.version, p.type, "));
        assert!(columns.ends_with("p.created_at, p.updated_at"));
        assert_eq!(columns.matches("p.").count(), 12);
    }

    #[test]
    fn tags_round_trip_through_their_stored_text() {
        let tags = vec!["a".to_owned(), "b \"quoted\"".to_owned()];
        assert_eq!(parse_tags(&tags_text(&tags)).unwrap(), tags);
        assert!(matches!(parse_tags("nope"), Err(StoreError::Corrupt(_))));
    }
}
