//! What the dataset store holds (wire-spec §7): datasets, versioned dataset items, dataset runs
//! and run items, the experiment links of SDK spans, and the rows they are stored as. What
//! experiment reads return is in `experiments/model.rs`.

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// A dataset; `name` is unique per project.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub project_id: ProjectId,
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    /// JSON Schemas that item inputs and expected outputs must satisfy.
    pub input_schema: Option<Value>,
    pub expected_output_schema: Option<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// `ACTIVE` items take part in experiments; `ARCHIVED` ones are kept but skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetItemStatus {
    Active,
    Archived,
}

impl DatasetItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Archived => "ARCHIVED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ACTIVE" => Some(Self::Active),
            "ARCHIVED" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// One version of a dataset item: the current one, or the one valid at a chosen time.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetItem {
    pub project_id: ProjectId,
    pub id: String,
    pub dataset_id: String,
    /// Read back from the dataset; ignored on writes.
    pub dataset_name: String,
    pub status: DatasetItemStatus,
    pub input: Option<Value>,
    pub expected_output: Option<Value>,
    pub metadata: Option<Value>,
    pub source_trace_id: Option<String>,
    pub source_observation_id: Option<String>,
    /// When the item was first created.
    pub created_at: Millis,
    /// When this version was written (its `valid_from`).
    pub updated_at: Millis,
}

/// A page of dataset items, newest first.
#[derive(Debug, Clone, Default)]
pub struct DatasetItemQuery {
    pub dataset_id: Option<String>,
    /// One item id.
    pub item_id: Option<String>,
    pub source_trace_id: Option<String>,
    pub source_observation_id: Option<String>,
    /// Items as they were at this time (versions valid then); the current ones without it.
    pub as_of: Option<Millis>,
    /// Only `ACTIVE` items.
    pub active_only: bool,
    pub limit: u64,
    pub offset: u64,
}

/// A dataset run (an experiment). Runs without a dataset are local SDK experiments.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRun {
    pub project_id: ProjectId,
    pub id: String,
    pub dataset_id: Option<String>,
    /// Read back from the dataset; ignored on writes.
    pub dataset_name: Option<String>,
    /// Unique per dataset.
    pub name: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A dataset item's run in an experiment: the trace (and observation) that ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRunItem {
    pub project_id: ProjectId,
    pub id: String,
    pub run_id: String,
    /// Read back from the run; ignored on writes.
    pub run_name: String,
    pub dataset_item_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    /// The dataset version the item was read at.
    pub dataset_item_version: Option<Millis>,
    /// What SDK experiments sent along (OTel attributes); `None` for API run items.
    pub expected_output: Option<Value>,
    pub item_metadata: Option<Value>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What one span of an SDK experiment (wire-spec §7.4) says: the run it belongs to and the
/// item it ran. [`super::DatasetStore::write_experiment_links`] writes these in a transaction of
/// their own, creating the run on first sight and one run item per id (the item's root
/// observation), so repeats change nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentLink {
    /// The experiment id: the run's id unless the dataset already has a run of this name.
    pub run_id: String,
    pub run_name: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    /// Kept only when the project has this dataset; otherwise a local experiment.
    pub dataset_id: Option<String>,
    /// The run item's id.
    pub run_item_id: String,
    pub dataset_item_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub dataset_item_version: Option<Millis>,
    pub expected_output: Option<Value>,
    pub item_metadata: Option<Value>,
    pub created_at: Millis,
}

pub(crate) fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

pub(crate) fn parse_json(text: Option<String>) -> StoreResult<Option<Value>> {
    text.map(|text| serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct DatasetSqlRow {
    project_id: String,
    id: String,
    name: String,
    description: Option<String>,
    metadata: Option<String>,
    input_schema: Option<String>,
    expected_output_schema: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const DATASET_COLUMNS: &str = "d.project_id, d.id, d.name, d.description, d.metadata, \
    d.input_schema, d.expected_output_schema, d.created_at, d.updated_at";

impl TryFrom<DatasetSqlRow> for Dataset {
    type Error = StoreError;

    fn try_from(row: DatasetSqlRow) -> StoreResult<Self> {
        Ok(Dataset {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            name: row.name,
            description: row.description,
            metadata: parse_json(row.metadata)?,
            input_schema: parse_json(row.input_schema)?,
            expected_output_schema: parse_json(row.expected_output_schema)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DatasetItemSqlRow {
    project_id: String,
    id: String,
    dataset_id: String,
    dataset_name: String,
    status: String,
    input: Option<String>,
    expected_output: Option<String>,
    metadata: Option<String>,
    source_trace_id: Option<String>,
    source_observation_id: Option<String>,
    created_at: i64,
    valid_from: i64,
}

pub(crate) const ITEM_COLUMNS: &str = "i.project_id, i.id, i.dataset_id, d.name AS dataset_name, \
    i.status, i.input, i.expected_output, i.metadata, i.source_trace_id, \
    i.source_observation_id, i.created_at, i.valid_from";

impl TryFrom<DatasetItemSqlRow> for DatasetItem {
    type Error = StoreError;

    fn try_from(row: DatasetItemSqlRow) -> StoreResult<Self> {
        Ok(DatasetItem {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            dataset_id: row.dataset_id,
            dataset_name: row.dataset_name,
            status: DatasetItemStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("item status '{}'", row.status)))?,
            input: parse_json(row.input)?,
            expected_output: parse_json(row.expected_output)?,
            metadata: parse_json(row.metadata)?,
            source_trace_id: row.source_trace_id,
            source_observation_id: row.source_observation_id,
            created_at: row.created_at,
            updated_at: row.valid_from,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunSqlRow {
    project_id: String,
    id: String,
    dataset_id: Option<String>,
    dataset_name: Option<String>,
    name: String,
    description: Option<String>,
    metadata: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const RUN_COLUMNS: &str = "r.project_id, r.id, r.dataset_id, d.name AS dataset_name, \
    r.name, r.description, r.metadata, r.created_at, r.updated_at";

impl TryFrom<RunSqlRow> for DatasetRun {
    type Error = StoreError;

    fn try_from(row: RunSqlRow) -> StoreResult<Self> {
        Ok(DatasetRun {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            dataset_id: row.dataset_id,
            dataset_name: row.dataset_name,
            name: row.name,
            description: row.description,
            metadata: parse_json(row.metadata)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunItemSqlRow {
    project_id: String,
    id: String,
    run_id: String,
    run_name: String,
    dataset_item_id: String,
    trace_id: String,
    observation_id: Option<String>,
    dataset_item_version: Option<i64>,
    expected_output: Option<String>,
    item_metadata: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const RUN_ITEM_COLUMNS: &str = "ri.project_id, ri.id, ri.run_id, r.name AS run_name, \
    ri.dataset_item_id, ri.trace_id, ri.observation_id, ri.dataset_item_version, \
    ri.expected_output, ri.item_metadata, ri.created_at, ri.updated_at";

impl TryFrom<RunItemSqlRow> for DatasetRunItem {
    type Error = StoreError;

    fn try_from(row: RunItemSqlRow) -> StoreResult<Self> {
        Ok(DatasetRunItem {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            run_id: row.run_id,
            run_name: row.run_name,
            dataset_item_id: row.dataset_item_id,
            trace_id: row.trace_id,
            observation_id: row.observation_id,
            dataset_item_version: row.dataset_item_version,
            expected_output: parse_json(row.expected_output)?,
            item_metadata: parse_json(row.item_metadata)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
