//! Datasets, versioned dataset items, dataset runs (experiments) and their run items (wire-spec
//! §7), project-scoped: the metadata store's [`DatasetStore`]. Runs and run items come from the
//! public API and from the experiment links of SDK spans
//! ([`DatasetStore::write_experiment_links`]). Experiment reads that also need traces,
//! observations or scores are in `crate::experiments`.
//!
//! Item versions: a write closes the current row (`valid_to`) and inserts the next one; a delete
//! only closes it (`0008_datasets.sql`).

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::error::StoreResult;

mod dataset;
mod items;
mod links;
pub(crate) mod model;
pub(crate) mod run_items;
pub(crate) mod runs;
mod store;

pub use model::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem,
    ExperimentLink,
};

/// Datasets, versioned dataset items, dataset runs (experiments) and run items (wire-spec §7),
/// project-scoped. SDK experiment spans add runs and run items through
/// [`DatasetStore::write_experiment_links`].
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
    /// Gives the dataset a new name (items, runs and links keep it by id); whether it exists.
    /// A name another dataset of the project holds is [`crate::StoreError::Conflict`].
    async fn rename_dataset(
        &self,
        project: &ProjectId,
        id: &str,
        name: &str,
        updated_at: sightline_domain::time::Millis,
    ) -> StoreResult<bool>;
    /// A page of datasets, newest first, and the number of all.
    async fn list_datasets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dataset>, u64)>;
    /// Writes the next version of the item (`updated_at` is its start; the first version's
    /// `created_at` is kept) in one transaction; fails with [`crate::StoreError::Conflict`]
    /// when the id's current version is in another dataset. Returns the stored version.
    async fn put_dataset_item(&self, item: &DatasetItem) -> StoreResult<DatasetItem>;
    /// Writes the items as [`DatasetStore::put_dataset_item`] does, all in one transaction:
    /// all are stored or none. Returns how many.
    async fn put_dataset_items(&self, items: &[DatasetItem]) -> StoreResult<u64>;
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
    /// Sets the run's description and metadata where given (`None` keeps what is stored);
    /// returns whether the run exists.
    async fn update_dataset_run(
        &self,
        project: &ProjectId,
        run_id: &str,
        description: Option<&str>,
        metadata: Option<&serde_json::Value>,
        updated_at: sightline_domain::time::Millis,
    ) -> StoreResult<bool>;
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
    /// Writes the runs and run items that SDK experiment spans name, in one transaction of its
    /// own (the ingestion writer calls it after the events are committed). A run is created on
    /// first sight: with its dataset when the project has it, else as a local experiment; a
    /// dataset's existing run of the same name is reused, and a link whose run id another
    /// dataset's run holds is dropped. Run items already stored are left as they are, so
    /// writing the same links again stores nothing new.
    async fn write_experiment_links(
        &self,
        project: &ProjectId,
        links: &[ExperimentLink],
    ) -> StoreResult<()>;
}
