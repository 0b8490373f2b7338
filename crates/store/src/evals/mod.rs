//! LLM-as-a-judge evaluators, evaluation rules and job executions: metadata store
//! ([`EvalStore`]). Evaluators keep every version (rules run the latest); a rule's evaluator
//! assignments are replaced whole; executions are keyed by a deterministic id
//! (`sightline_domain::eval::execution_id`) and created with their jobs in one transaction, so
//! an execution and its job exist together or not at all, and never twice. The records are in
//! `model.rs`, the SQL in `store.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::StoreResult;
use crate::jobs::NewJob;

mod model;
mod store;

pub use model::{
    EvaluationRule, Evaluator, EvaluatorVersion, ExecutionQuery, ExecutionUpdate, JobExecution,
    NewExecution, RuleEvaluator, RuleStats,
};

#[async_trait]
pub trait EvalStore: Send + Sync {
    /// Adds a version to the evaluator named `name`, creating the evaluator (with `id`) when
    /// the project has none of that name. Returns the evaluator with its new latest version.
    async fn add_evaluator_version(
        &self,
        project: &ProjectId,
        id: &str,
        name: &str,
        version: &EvaluatorVersion,
    ) -> StoreResult<Evaluator>;
    /// A page of evaluators by name, and the number of all.
    async fn list_evaluators(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Evaluator>, u64)>;
    async fn evaluator(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Evaluator>>;
    async fn evaluator_by_name(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Option<Evaluator>>;
    /// Deletes the evaluator, its versions and its rule assignments; whether it existed.
    async fn delete_evaluator(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    /// Pauses the evaluator with a reason and message, or clears the pause with `None`.
    async fn set_evaluator_block(
        &self,
        project: &ProjectId,
        id: &str,
        block: Option<(&str, &str)>,
        now: Millis,
    ) -> StoreResult<bool>;

    /// Creates a rule (its name unique in the project) and enqueues `jobs` in the same
    /// transaction (a backfill).
    async fn insert_rule(&self, rule: &EvaluationRule, jobs: &[NewJob]) -> StoreResult<()>;
    /// Replaces a rule's settings and assignments, enqueuing `jobs` in the same transaction.
    async fn update_rule(&self, rule: &EvaluationRule, jobs: &[NewJob]) -> StoreResult<bool>;
    /// A project's rules by creation, with their assignments.
    async fn rules(&self, project: &ProjectId) -> StoreResult<Vec<EvaluationRule>>;
    async fn rule(&self, project: &ProjectId, id: &str) -> StoreResult<Option<EvaluationRule>>;
    async fn delete_rule(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;

    /// Creates the executions that do not exist yet and enqueues their jobs, in one
    /// transaction; returns how many executions were new.
    async fn create_executions(
        &self,
        project: &ProjectId,
        executions: &[NewExecution],
        jobs: &[NewJob],
    ) -> StoreResult<u64>;
    async fn execution(&self, project: &ProjectId, id: &str) -> StoreResult<Option<JobExecution>>;
    async fn update_execution(
        &self,
        project: &ProjectId,
        id: &str,
        update: &ExecutionUpdate,
    ) -> StoreResult<bool>;
    async fn delete_execution(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    /// A page of executions, newest first, and the number of all that match.
    async fn list_executions(
        &self,
        project: &ProjectId,
        query: &ExecutionQuery,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<JobExecution>, u64)>;
    /// Per rule: executions by status, the cost of those since `since`, and the last five.
    async fn rule_stats(&self, project: &ProjectId, since: Millis) -> StoreResult<Vec<RuleStats>>;
}
