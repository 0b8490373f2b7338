//! Datasets (wire-spec §7) as plain functions: dataset upserts with their JSON Schemas, item
//! upserts checked against them, and run items (creating the run on first use). Experiments
//! (runs from SDK spans, run comparison) are in `experiments.rs`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sightline_domain::ProjectId;
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem, Store,
    StoreError,
};

/// Why a dataset operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// Bad input (400), with the message to show.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DatasetError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => DatasetError::NotFound(what),
            StoreError::Conflict(what) => DatasetError::Conflict(what),
            other => DatasetError::Store(other),
        }
    }
}

pub type DatasetResult<T> = Result<T, DatasetError>;

/// A field of an update: absent (keep), `null` (clear) or a value.
pub type Patch<T> = Option<Option<T>>;

/// `POST /v2/datasets` (and the legacy route): absent or null description and metadata keep
/// the stored values; schemas may be cleared with `null`.
#[derive(Debug, Clone, Default)]
pub struct DatasetInput {
    pub name: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    pub input_schema: Patch<Value>,
    pub expected_output_schema: Patch<Value>,
}

/// Compiles a JSON Schema; a schema that is not one is bad input.
fn compile(field: &str, schema: &Value) -> DatasetResult<jsonschema::Validator> {
    jsonschema::validator_for(schema)
        .map_err(|e| DatasetError::Invalid(format!("{field} is not a valid JSON Schema: {e}")))
}

/// The dataset's schemas, compiled once for checking many items.
pub(crate) struct Schemas {
    input: Option<jsonschema::Validator>,
    expected_output: Option<jsonschema::Validator>,
}

impl Schemas {
    pub(crate) fn of(dataset: &Dataset) -> DatasetResult<Self> {
        Ok(Schemas {
            input: dataset
                .input_schema
                .as_ref()
                .map(|schema| compile("inputSchema", schema))
                .transpose()?,
            expected_output: dataset
                .expected_output_schema
                .as_ref()
                .map(|schema| compile("expectedOutputSchema", schema))
                .transpose()?,
        })
    }

    fn is_empty(&self) -> bool {
        self.input.is_none() && self.expected_output.is_none()
    }

    /// Checks an item's input and expected output (absent values count as `null`).
    pub(crate) fn check(
        &self,
        item_id: &str,
        input: &Option<Value>,
        expected: &Option<Value>,
    ) -> DatasetResult<()> {
        let mut problems = Vec::new();
        for (field, validator, value) in [
            ("input", &self.input, input),
            ("expectedOutput", &self.expected_output, expected),
        ] {
            if let Some(validator) = validator {
                let value = value.clone().unwrap_or(Value::Null);
                for error in validator.iter_errors(&value) {
                    let path = error.instance_path().to_string();
                    let at = if path.is_empty() {
                        String::new()
                    } else {
                        format!(" at {path}")
                    };
                    problems.push(format!("{field}{at}: {error}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DatasetError::Invalid(format!(
                "Dataset item {item_id} does not match the dataset's schema: {}",
                problems.join("; ")
            )))
        }
    }
}

/// Langfuse's dataset name rules: folder paths (`a/b`) without leading, trailing or doubled
/// slashes, not blank, no HTML tags.
fn check_name(name: &str) -> DatasetResult<()> {
    let problem = if name.trim().is_empty() {
        Some("Name cannot be empty")
    } else if name.starts_with('/') {
        Some("Name cannot start with a slash")
    } else if name.ends_with('/') {
        Some("Name cannot end with a slash")
    } else if name.contains("//") {
        Some("Name cannot contain consecutive slashes")
    } else if contains_html_tag(name) {
        Some("Text cannot contain HTML tags")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(DatasetError::Invalid(format!(
            "Dataset name not valid. {problem}"
        ))),
        None => Ok(()),
    }
}

/// Whether `text` has a `<…>` with no `<` or `>` inside.
fn contains_html_tag(text: &str) -> bool {
    text.char_indices().any(|(start, c)| {
        c == '<'
            && text[start + 1..]
                .find(['<', '>'])
                .is_some_and(|end| text.as_bytes()[start + 1 + end] == b'>')
    })
}

/// Creates the dataset or updates the one with its name. When schemas change, every current
/// item must satisfy them.
pub async fn upsert_dataset(
    store: &Store,
    project: &ProjectId,
    input: DatasetInput,
) -> DatasetResult<Dataset> {
    check_name(&input.name)?;
    let existing = store
        .metadata()
        .dataset_by_name(project, &input.name)
        .await?;
    let now = now_ms();
    let schemas_change = input.input_schema.is_some() || input.expected_output_schema.is_some();
    let mut dataset = existing.clone().unwrap_or_else(|| Dataset {
        project_id: project.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        name: input.name.clone(),
        description: None,
        metadata: None,
        input_schema: None,
        expected_output_schema: None,
        created_at: now,
        updated_at: now,
    });
    if input.description.is_some() {
        dataset.description = input.description;
    }
    if input.metadata.is_some() {
        dataset.metadata = input.metadata;
    }
    if let Some(schema) = input.input_schema {
        dataset.input_schema = schema.filter(|schema| !schema.is_null());
    }
    if let Some(schema) = input.expected_output_schema {
        dataset.expected_output_schema = schema.filter(|schema| !schema.is_null());
    }
    dataset.updated_at = now;
    let schemas = Schemas::of(&dataset)?;
    if existing.is_some() && schemas_change && !schemas.is_empty() {
        let mut offset = 0;
        loop {
            let query = DatasetItemQuery {
                dataset_id: Some(dataset.id.clone()),
                limit: 500,
                offset,
                ..DatasetItemQuery::default()
            };
            let (items, total) = store.metadata().list_dataset_items(project, &query).await?;
            for item in &items {
                schemas.check(&item.id, &item.input, &item.expected_output)?;
            }
            offset += 500;
            if offset >= total || items.is_empty() {
                break;
            }
        }
    }
    Ok(store.metadata().upsert_dataset(&dataset).await?)
}

/// Renames a dataset (Langfuse's name rules; a name the project has already is a conflict).
pub async fn rename_dataset(
    store: &Store,
    project: &ProjectId,
    id: &str,
    name: &str,
) -> DatasetResult<()> {
    check_name(name)?;
    if store
        .metadata()
        .rename_dataset(project, id, name, now_ms())
        .await?
    {
        Ok(())
    } else {
        Err(DatasetError::NotFound("Dataset not found".into()))
    }
}

pub async fn dataset_by_name(
    store: &Store,
    project: &ProjectId,
    name: &str,
) -> DatasetResult<Dataset> {
    store
        .metadata()
        .dataset_by_name(project, name)
        .await?
        .ok_or_else(|| DatasetError::NotFound("Dataset not found".into()))
}

/// `POST /dataset-items`: absent or null fields of an existing item keep their values.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub dataset_name: String,
    pub id: Option<String>,
    pub input: Option<Value>,
    pub expected_output: Option<Value>,
    pub metadata: Option<Value>,
    pub source_trace_id: Option<String>,
    pub source_observation_id: Option<String>,
    pub status: Option<DatasetItemStatus>,
}

/// Creates the item or writes the next version of the one with its id (in the same dataset).
pub async fn upsert_item(
    store: &Store,
    project: &ProjectId,
    input: ItemInput,
) -> DatasetResult<DatasetItem> {
    let dataset = dataset_by_name(store, project, &input.dataset_name).await?;
    if let Some(id) = &input.id
        && (id.is_empty() || id.chars().count() > 255)
    {
        return Err(DatasetError::Invalid(
            "id: must be 1 to 255 characters".into(),
        ));
    }
    let existing = match &input.id {
        Some(id) => store.metadata().dataset_item(project, id).await?,
        None => None,
    };
    if let Some(existing) = &existing
        && existing.dataset_id != dataset.id
    {
        return Err(DatasetError::Conflict(format!(
            "The dataset item with id {} already exists in a dataset other than {}",
            existing.id, dataset.name
        )));
    }
    let now = now_ms();
    let keep = |new: Option<Value>, old: Option<Value>| new.filter(|v| !v.is_null()).or(old);
    let item = match existing {
        Some(old) => DatasetItem {
            input: keep(input.input, old.input),
            expected_output: keep(input.expected_output, old.expected_output),
            metadata: keep(input.metadata, old.metadata),
            source_trace_id: input.source_trace_id.or(old.source_trace_id),
            source_observation_id: input.source_observation_id.or(old.source_observation_id),
            status: input.status.unwrap_or(old.status),
            updated_at: now,
            ..old
        },
        None => new_item(project, &dataset, input, now),
    };
    Schemas::of(&dataset)?.check(&item.id, &item.input, &item.expected_output)?;
    Ok(store.metadata().put_dataset_item(&item).await?)
}

/// A new item of `dataset` from `input` (its id, or a new one; ACTIVE unless given; null
/// values are absent).
fn new_item(project: &ProjectId, dataset: &Dataset, input: ItemInput, now: Millis) -> DatasetItem {
    DatasetItem {
        project_id: project.clone(),
        id: input.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        dataset_id: dataset.id.clone(),
        dataset_name: dataset.name.clone(),
        status: input.status.unwrap_or(DatasetItemStatus::Active),
        input: input.input.filter(|v| !v.is_null()),
        expected_output: input.expected_output.filter(|v| !v.is_null()),
        metadata: input.metadata.filter(|v| !v.is_null()),
        source_trace_id: input.source_trace_id,
        source_observation_id: input.source_observation_id,
        created_at: now,
        updated_at: now,
    }
}

/// Adds new items to one dataset, all checked against its schemas first and written in one
/// transaction: all are added or none. Returns how many.
pub async fn add_items(
    store: &Store,
    project: &ProjectId,
    dataset_name: &str,
    items: Vec<ItemInput>,
) -> DatasetResult<u64> {
    let dataset = dataset_by_name(store, project, dataset_name).await?;
    let schemas = Schemas::of(&dataset)?;
    let now = now_ms();
    let mut rows = Vec::with_capacity(items.len());
    for input in items {
        let item = new_item(project, &dataset, input, now);
        schemas.check(&item.id, &item.input, &item.expected_output)?;
        rows.push(item);
    }
    Ok(store.metadata().put_dataset_items(&rows).await?)
}

/// The experiment (run) id Langfuse derives for a run name of a dataset: the first 16 hex
/// digits of `sha256(["langfuse-experiment-v1", projectId, datasetId, runName])` as compact JSON.
/// Python SDK 5.x computes the same id, so runs created here and by its spans coincide.
pub fn stable_experiment_id(project: &ProjectId, dataset_id: &str, run_name: &str) -> String {
    let seed = json!([
        "langfuse-experiment-v1",
        project.as_str(),
        dataset_id,
        run_name
    ])
    .to_string();
    let digest = Sha256::digest(seed.as_bytes());
    digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `POST /dataset-run-items`.
#[derive(Debug, Clone, Default)]
pub struct RunItemInput {
    pub run_name: String,
    pub run_description: Option<String>,
    pub metadata: Option<Value>,
    pub dataset_item_id: String,
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub dataset_version: Option<Millis>,
    pub created_at: Option<Millis>,
}

/// Links a dataset item to the trace (or observation) that ran it, creating the run by name on
/// first use; linking the same item and trace in a run again returns the stored run item. As in
/// Langfuse, the trace need not exist yet (traces arrive asynchronously); an observation given
/// without a trace must exist, since its trace is looked up. With `dataset_version`, the item
/// must have been ACTIVE at that time.
pub async fn create_run_item(
    store: &Store,
    project: &ProjectId,
    input: RunItemInput,
) -> DatasetResult<DatasetRunItem> {
    // The item as it was at the dataset version the client read, else as it is now.
    let item = match input.dataset_version {
        Some(version) => {
            let query = DatasetItemQuery {
                item_id: Some(input.dataset_item_id.clone()),
                as_of: Some(version),
                limit: 1,
                ..DatasetItemQuery::default()
            };
            store
                .metadata()
                .list_dataset_items(project, &query)
                .await?
                .0
                .pop()
        }
        None => {
            store
                .metadata()
                .dataset_item(project, &input.dataset_item_id)
                .await?
        }
    }
    .filter(|item| item.status == DatasetItemStatus::Active)
    .ok_or_else(|| DatasetError::NotFound("Dataset item not found".into()))?;
    let trace_id = match (&input.trace_id, &input.observation_id) {
        (Some(trace_id), _) => trace_id.clone(),
        (None, Some(observation_id)) => {
            store
                .events()
                .observation(project, observation_id)
                .await?
                .ok_or_else(|| DatasetError::NotFound("Observation not found".into()))?
                .row
                .trace_id
        }
        (None, None) => return Err(DatasetError::NotFound("Trace not found".into())),
    };
    // Langfuse: "Metadata of the dataset run, updates run if run already exists" (the
    // `CreateDatasetRunItemRequest` of its API definition); so does `runDescription`.
    let metadata_given = !matches!(input.metadata, None | Some(Value::Null));
    let mut metadata = match input.metadata {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(object)) => object,
        Some(other) => Map::from_iter([("metadata".to_owned(), other)]),
    };
    if let Some(version) = input.dataset_version {
        metadata.insert(
            "dataset_version".into(),
            Value::String(sightline_domain::time::to_iso(version)),
        );
    }
    let created_at = input.created_at.unwrap_or_else(now_ms);
    let run = store
        .metadata()
        .create_or_get_dataset_run(&DatasetRun {
            project_id: project.clone(),
            id: stable_experiment_id(project, &item.dataset_id, &input.run_name),
            dataset_id: Some(item.dataset_id.clone()),
            dataset_name: None,
            name: input.run_name,
            description: input.run_description.clone(),
            metadata: Some(Value::Object(metadata.clone())),
            created_at,
            updated_at: created_at,
        })
        .await?;
    let metadata = Value::Object(metadata);
    let new_metadata =
        (metadata_given && run.metadata.as_ref() != Some(&metadata)).then_some(&metadata);
    let new_description = input
        .run_description
        .as_deref()
        .filter(|description| run.description.as_deref() != Some(*description));
    if new_metadata.is_some() || new_description.is_some() {
        store
            .metadata()
            .update_dataset_run(project, &run.id, new_description, new_metadata, now_ms())
            .await?;
    }
    let run_item = DatasetRunItem {
        project_id: project.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        run_id: run.id.clone(),
        run_name: run.name.clone(),
        dataset_item_id: item.id,
        trace_id,
        observation_id: input.observation_id,
        dataset_item_version: Some(item.updated_at),
        expected_output: None,
        item_metadata: None,
        created_at,
        updated_at: created_at,
    };
    Ok(store.metadata().insert_dataset_run_item(&run_item).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_follow_langfuse_rules() {
        for good in ["qa", "evals/qa", "a < b", "x > y"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "  ", "/qa", "qa/", "a//b", "<b>bold</b>", "a<br>"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stable_experiment_ids_match_the_sdk() {
        // Python SDK 5.x: sha256(json.dumps([...], separators=(",", ":")))[:16].
        let id = stable_experiment_id(&ProjectId::from_trusted("p".into()), "d", "run");
        assert_eq!(id, "b416590ab1e5fd89");
    }
}
