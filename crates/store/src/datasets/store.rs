//! [`DatasetStore`] on the relational store: each method runs the statements of `datasets.rs`,
//! `items.rs`, `runs.rs`, `run_items.rs` or `links.rs`, in a transaction where it writes more
//! than one statement or reads back what it wrote.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::dataset::{self, Key};
use super::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetRun, DatasetRunItem, DatasetStore,
    ExperimentLink, items, links, run_items, runs,
};
use crate::error::{StoreError, StoreResult};
use crate::sql::SqlStore;

#[async_trait]
impl DatasetStore for SqlStore {
    async fn upsert_dataset(&self, dataset: &Dataset) -> StoreResult<Dataset> {
        dataset::upsert(&self.db, dataset).await
    }

    async fn dataset_by_name(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Option<Dataset>> {
        dataset::one(&self.db, project, Key::Name, name).await
    }

    async fn dataset_by_id(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Dataset>> {
        dataset::one(&self.db, project, Key::Id, id).await
    }

    async fn list_datasets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dataset>, u64)> {
        dataset::page(&self.db, project, limit, offset).await
    }

    async fn rename_dataset(
        &self,
        project: &ProjectId,
        id: &str,
        name: &str,
        updated_at: sightline_domain::time::Millis,
    ) -> StoreResult<bool> {
        dataset::rename(&self.db, project, id, name, updated_at).await
    }

    async fn put_dataset_item(&self, item: &DatasetItem) -> StoreResult<DatasetItem> {
        let mut tx = self.db.begin().await?;
        let stored = items::put(&mut tx, item).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn put_dataset_items(&self, items: &[DatasetItem]) -> StoreResult<u64> {
        let mut tx = self.db.begin().await?;
        for item in items {
            items::put(&mut tx, item).await?;
        }
        tx.commit().await?;
        Ok(items.len() as u64)
    }

    async fn dataset_item(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<DatasetItem>> {
        items::current_item(&self.db, project, id).await
    }

    async fn list_dataset_items(
        &self,
        project: &ProjectId,
        query: &DatasetItemQuery,
    ) -> StoreResult<(Vec<DatasetItem>, u64)> {
        items::page(&self.db, project, query).await
    }

    async fn delete_dataset_item(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let existed = items::delete(&mut tx, project, id).await?;
        tx.commit().await?;
        Ok(existed)
    }

    async fn active_dataset_item_ids(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        items::active_ids(&self.db, project, dataset_ids).await
    }

    async fn create_or_get_dataset_run(&self, run: &DatasetRun) -> StoreResult<DatasetRun> {
        let mut tx = self.db.begin().await?;
        let stored = runs::create_or_get(&mut tx, run).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn update_dataset_run(
        &self,
        project: &ProjectId,
        run_id: &str,
        description: Option<&str>,
        metadata: Option<&serde_json::Value>,
        updated_at: sightline_domain::time::Millis,
    ) -> StoreResult<bool> {
        runs::update(&self.db, project, run_id, description, metadata, updated_at).await
    }

    async fn dataset_run(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        name: &str,
    ) -> StoreResult<Option<DatasetRun>> {
        runs::by_name(&self.db, project, dataset_id, name).await
    }

    async fn list_dataset_runs(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRun>, u64)> {
        runs::page(&self.db, project, dataset_id, limit, offset).await
    }

    async fn dataset_run_names(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        runs::names(&self.db, project, dataset_ids).await
    }

    async fn delete_dataset_run(&self, project: &ProjectId, run_id: &str) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let existed = runs::delete(&mut tx, project, run_id).await?;
        tx.commit().await?;
        Ok(existed)
    }

    async fn insert_dataset_run_item(&self, item: &DatasetRunItem) -> StoreResult<DatasetRunItem> {
        let mut tx = self.db.begin().await?;
        run_items::insert(&mut tx, &[item]).await?;
        let stored = run_items::stored(&mut tx, item).await?.ok_or_else(|| {
            StoreError::Conflict(format!("Dataset run item id {} is already in use", item.id))
        })?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_dataset_run_items(
        &self,
        project: &ProjectId,
        run_id: &str,
        limit: Option<u64>,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRunItem>, u64)> {
        run_items::page(&self.db, project, run_id, limit, offset).await
    }

    async fn write_experiment_links(
        &self,
        project: &ProjectId,
        links: &[ExperimentLink],
    ) -> StoreResult<()> {
        if links.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        links::write(&mut tx, project, links).await?;
        tx.commit().await
    }
}
