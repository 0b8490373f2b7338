//! Experiment reads (wire-spec §7.3): dataset runs and run items seen as experiments, with the
//! traces, observations and scores they ran. The two store roles each give their half, passing
//! ids across: [`ExperimentRunStore`] (metadata store, `runs.rs`) picks runs and run items;
//! [`ExperimentEventStore`] (event store, `events.rs`) reads the traces, observations and
//! scores of given ids. The server's experiment service composes them into [`RunSummary`],
//! [`RunItemResult`], [`Experiment`] and [`ExperimentItem`].

use async_trait::async_trait;
use sightline_domain::ProjectId;

use crate::datasets::{DatasetRun, DatasetRunItem};
use crate::error::StoreResult;

mod events;
mod model;
mod runs;

pub use events::ExperimentEventStore;
pub use model::{
    Experiment, ExperimentItem, ExperimentItemQuery, ExperimentObservation, ExperimentQuery,
    ExperimentTrace, RunItemFilter, RunItemRef, RunItemResult, RunSummary, SpanPayload, TraceScore,
    TraceTotals,
};

/// The metadata side of experiment reads: which runs and run items an experiment read covers.
#[async_trait]
pub trait ExperimentRunStore: Send + Sync {
    /// References to the run items the filter selects, by dataset item id, then oldest first.
    async fn experiment_item_refs(
        &self,
        project: &ProjectId,
        filter: &RunItemFilter,
    ) -> StoreResult<Vec<RunItemRef>>;
    /// The runs with these ids (unknown ids are left out), with their dataset's name.
    async fn experiment_runs(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<DatasetRun>>;
    /// The run items with these ids (unknown ids are left out), with their run's name.
    async fn experiment_run_items(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<DatasetRunItem>>;
}
