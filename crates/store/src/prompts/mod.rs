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

/// Prompt versions, their labels and tags, protected labels, and the project's change counter
/// (wire-spec §6). Every write bumps the counter in its own transaction.
#[async_trait]
pub trait PromptStore: Send + Sync {
    /// Creates the next version of `new.name` (1 for a new name) in one transaction: moves
    /// `latest` and the given labels onto it, applies its tags (or the previous version's) to
    /// every version. Fails with [`StoreError::Conflict`] when earlier versions have another type.
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
    /// Per version of the name, usage by the observations linked to it, by version.
    async fn prompt_usage(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersionUsage>>;
}
