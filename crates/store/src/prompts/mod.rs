//! Prompts (wire-spec §6), metadata store: versions of named prompts, their labels and tags,
//! the project's protected labels and its prompt change counter. The trait is here, its records
//! in [`model`]; the relational store implements it with reads in `read.rs` and `list.rs` and
//! writes in `write.rs` and `labels.rs`. Usage of versions by linked generations belongs to the
//! event store: [`PromptUsageStore`] in `usage.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::error::StoreResult;
use crate::sql::SqlStore;

mod labels;
mod list;
pub mod model;
mod read;
mod usage;
mod write;

pub use model::{NewPromptVersion, PromptListQuery, PromptSelector, PromptSummary, PromptVersion};
pub use usage::{PromptUsageStore, PromptVersionUsage, ScoreAverage};

/// Prompt versions, their labels and tags, protected labels, and the project's change counter
/// (wire-spec §6). Every write bumps the counter in its own transaction.
#[async_trait]
pub trait PromptStore: Send + Sync {
    /// Creates the next version of `new.name` (1 for a new name) in one transaction: moves
    /// `latest` and the given labels onto it, applies its tags (or the previous version's) to
    /// every version. Fails with [`crate::StoreError::Conflict`] when earlier versions have
    /// another type.
    async fn create_prompt_version(&self, new: &NewPromptVersion) -> StoreResult<PromptVersion>;
    async fn prompt_version(
        &self,
        project: &ProjectId,
        name: &str,
        selector: &PromptSelector,
    ) -> StoreResult<Option<PromptVersion>>;
    /// A page of prompt names (ordered by name) with their matching versions, and the number
    /// of all names that match.
    async fn list_prompts(
        &self,
        project: &ProjectId,
        query: &PromptListQuery,
    ) -> StoreResult<(Vec<PromptSummary>, u64)>;
    /// Adds labels to a version, taking each off the version that held it; `None` when the
    /// version does not exist.
    async fn add_prompt_labels(
        &self,
        project: &ProjectId,
        name: &str,
        version: i64,
        labels: &[String],
    ) -> StoreResult<Option<PromptVersion>>;
    /// Takes labels off a version (`latest` stays); `None` when the version does not exist.
    async fn remove_prompt_labels(
        &self,
        project: &ProjectId,
        name: &str,
        version: i64,
        labels: &[String],
    ) -> StoreResult<Option<PromptVersion>>;
    /// Deletes every version of the name, or the one a selector names; `latest` moves to the
    /// highest remaining version. Returns how many versions were deleted.
    async fn delete_prompts(
        &self,
        project: &ProjectId,
        name: &str,
        selector: Option<&PromptSelector>,
    ) -> StoreResult<u64>;
    /// Every version of the name, oldest first.
    async fn prompt_versions(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>>;
    /// Versions of other names whose content holds a composition tag naming `name` (callers
    /// parse the tags to see which version or label each refers to).
    async fn prompts_referencing(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>>;
    /// The project's protected labels, sorted.
    async fn protected_prompt_labels(&self, project: &ProjectId) -> StoreResult<Vec<String>>;
    /// Replaces the project's protected labels.
    async fn set_protected_prompt_labels(
        &self,
        project: &ProjectId,
        labels: &[String],
    ) -> StoreResult<()>;
    /// How many prompt writes the project has had (0 before the first).
    async fn prompt_change_counter(&self, project: &ProjectId) -> StoreResult<i64>;
    /// `(name, version, id)` of every version of these names.
    async fn prompt_ids(
        &self,
        project: &ProjectId,
        names: &[String],
    ) -> StoreResult<Vec<(String, i64, String)>>;
}

#[async_trait]
impl PromptStore for SqlStore {
    async fn create_prompt_version(&self, new: &NewPromptVersion) -> StoreResult<PromptVersion> {
        let mut tx = self.db.begin().await?;
        let created = write::create(&mut tx, new).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn prompt_version(
        &self,
        project: &ProjectId,
        name: &str,
        selector: &PromptSelector,
    ) -> StoreResult<Option<PromptVersion>> {
        let mut conn = self.db.acquire().await?;
        read::find(&mut conn, project.as_str(), name, selector).await
    }

    async fn list_prompts(
        &self,
        project: &ProjectId,
        query: &PromptListQuery,
    ) -> StoreResult<(Vec<PromptSummary>, u64)> {
        list::list(&self.db, project, query).await
    }

    async fn add_prompt_labels(
        &self,
        project: &ProjectId,
        name: &str,
        version: i64,
        labels: &[String],
    ) -> StoreResult<Option<PromptVersion>> {
        let mut tx = self.db.begin().await?;
        let updated = labels::add_labels(&mut tx, project.as_str(), name, version, labels).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn remove_prompt_labels(
        &self,
        project: &ProjectId,
        name: &str,
        version: i64,
        labels: &[String],
    ) -> StoreResult<Option<PromptVersion>> {
        let mut tx = self.db.begin().await?;
        let updated =
            labels::remove_labels(&mut tx, project.as_str(), name, version, labels).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_prompts(
        &self,
        project: &ProjectId,
        name: &str,
        selector: Option<&PromptSelector>,
    ) -> StoreResult<u64> {
        let mut tx = self.db.begin().await?;
        let deleted = write::delete(&mut tx, project.as_str(), name, selector).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn prompt_versions(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>> {
        let mut conn = self.db.acquire().await?;
        read::versions(&mut conn, project.as_str(), name, false).await
    }

    async fn prompts_referencing(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>> {
        let mut conn = self.db.acquire().await?;
        read::versions(&mut conn, project.as_str(), name, true).await
    }

    async fn protected_prompt_labels(&self, project: &ProjectId) -> StoreResult<Vec<String>> {
        read::protected_labels(&self.db, project).await
    }

    async fn set_protected_prompt_labels(
        &self,
        project: &ProjectId,
        labels: &[String],
    ) -> StoreResult<()> {
        labels::set_protected_labels(&self.db, project, labels).await
    }

    async fn prompt_change_counter(&self, project: &ProjectId) -> StoreResult<i64> {
        read::change_counter(&self.db, project).await
    }

    async fn prompt_ids(
        &self,
        project: &ProjectId,
        names: &[String],
    ) -> StoreResult<Vec<(String, i64, String)>> {
        read::prompt_ids(&self.db, project, names).await
    }
}
