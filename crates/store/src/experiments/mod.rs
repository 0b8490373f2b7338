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

/// Experiment reads (wire-spec §7.3) over dataset runs and run items, with their traces,
/// observations and scores.
#[async_trait]
pub trait ExperimentStore: Send + Sync {
    /// Per run (in the order given): item count, average latency, total cost and the average
    /// of each score of the items' traces.
    async fn run_summaries(
        &self,
        project: &ProjectId,
        run_ids: &[String],
    ) -> StoreResult<Vec<RunSummary>>;
    /// Every run item of the runs with its output (the linked observation's, else the trace's),
    /// its trace's latency and cost, and the trace's scores.
    async fn run_item_results(
        &self,
        project: &ProjectId,
        run_ids: &[String],
    ) -> StoreResult<Vec<RunItemResult>>;
    /// A page of experiments (runs with items), latest activity first.
    async fn list_experiments(
        &self,
        project: &ProjectId,
        query: &ExperimentQuery,
    ) -> StoreResult<Vec<Experiment>>;
    /// A page of experiment items (run items with their observation), newest first.
    async fn list_experiment_items(
        &self,
        project: &ProjectId,
        query: &ExperimentItemQuery,
    ) -> StoreResult<Vec<ExperimentItem>>;
}
