//! TODO(storage v2): module doc.

use async_trait::async_trait;
#[allow(unused_imports)]
use sightline_domain::cost::ModelDefinition;
#[allow(unused_imports)]
use sightline_domain::time::Millis;
#[allow(unused_imports)]
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

#[allow(unused_imports)]
use crate::*;

/// Datasets, versioned dataset items, dataset runs (experiments) and run items (wire-spec §7),
/// project-scoped. SDK experiment spans add runs and run items through ingestion
/// ([`IngestionWrite::experiments`]).
#[async_trait]
pub trait DatasetStore: Send + Sync {
    /// Creates the dataset, or updates description, metadata and schemas of the project's
    /// dataset with its name (id and creation time kept); returns what is stored.
    async fn upsert_dataset(&self, dataset: &Dataset) -> StoreResult<Dataset>;
    async fn dataset_by_name(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Option<Dataset>>;
    async fn dataset_by_id(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Dataset>>;
    /// A page of datasets, newest first, and the number of all.
    async fn list_datasets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dataset>, u64)>;
    /// Writes the next version of the item (`updated_at` is its start; the first version's
    /// `created_at` is kept) in one transaction; fails with [`StoreError::Conflict`] when the
    /// id's current version is in another dataset. Returns the stored version.
    async fn put_dataset_item(&self, item: &DatasetItem) -> StoreResult<DatasetItem>;
    /// The item's current version, whatever its status.
    async fn dataset_item(&self, project: &ProjectId, id: &str)
    -> StoreResult<Option<DatasetItem>>;
    /// A page of items (current, or as of a time), newest first, and the number that match.
    async fn list_dataset_items(
        &self,
        project: &ProjectId,
        query: &DatasetItemQuery,
    ) -> StoreResult<(Vec<DatasetItem>, u64)>;
    /// Ends the item's current version and deletes its run items; whether it existed.
    async fn delete_dataset_item(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    /// `(dataset id, item id)` of the current ACTIVE items of the datasets, newest first.
    async fn active_dataset_item_ids(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Creates the run unless its dataset has one of that name (then the first one's id,
    /// description and metadata stay); returns the stored run.
    async fn create_or_get_dataset_run(&self, run: &DatasetRun) -> StoreResult<DatasetRun>;
    async fn dataset_run(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        name: &str,
    ) -> StoreResult<Option<DatasetRun>>;
    /// A page of a dataset's runs, newest first, and the number of all.
    async fn list_dataset_runs(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRun>, u64)>;
    /// `(dataset id, run name)` of the datasets' runs, newest first.
    async fn dataset_run_names(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Deletes the run and its run items; whether it existed.
    async fn delete_dataset_run(&self, project: &ProjectId, run_id: &str) -> StoreResult<bool>;
    /// Stores a run item unless its run already links the same dataset item and trace (or the
    /// id exists); returns the stored run item.
    async fn insert_dataset_run_item(&self, item: &DatasetRunItem) -> StoreResult<DatasetRunItem>;
    /// The run's items, newest first (a page, or all without `limit`), and the number of all.
    async fn list_dataset_run_items(
        &self,
        project: &ProjectId,
        run_id: &str,
        limit: Option<u64>,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRunItem>, u64)>;
}
