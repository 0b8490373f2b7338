//! Evaluator, rule and execution records as stored: JSON as text.

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::eval::ExecutionStatus;
use sightline_domain::time::Millis;

use crate::error::{StoreError, StoreResult};

/// One version of an evaluator's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatorVersion {
    pub version: i64,
    pub prompt: String,
    /// The connection (provider name) and model; `None` uses the project's default model.
    pub provider: Option<String>,
    pub model: Option<String>,
    pub model_params: Option<Value>,
    pub variables: Vec<String>,
    /// The default mapping (a JSON list of `{variable, source, jsonPath}`).
    pub mapping: Option<Value>,
    /// The stored output definition (`sightline_domain::eval::OutputDefinition::to_stored`).
    pub output_definition: Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluator {
    pub project_id: ProjectId,
    pub id: String,
    pub name: String,
    /// `llm_as_judge`.
    pub kind: String,
    pub description: Option<String>,
    pub blocked_at: Option<Millis>,
    pub block_reason: Option<String>,
    pub block_message: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub latest: EvaluatorVersion,
    /// Rules that use it.
    pub rule_count: u64,
}

/// An evaluator assigned to a rule, with the rule's own mapping (`None`: the evaluator's).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvaluator {
    pub evaluator_id: String,
    /// Read back; ignored on writes.
    pub evaluator_name: String,
    pub mapping: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRule {
    pub project_id: ProjectId,
    pub id: String,
    pub name: String,
    /// `trace`, `observation` or `experiment` (`sightline_domain::eval::Target`).
    pub target: String,
    pub enabled: bool,
    /// A JSON list of filter conditions.
    pub filter: Value,
    pub sampling: f64,
    pub delay_ms: i64,
    /// `NEW` and/or `EXISTING`.
    pub time_scope: Vec<String>,
    pub evaluators: Vec<RuleEvaluator>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An execution to create: the job's target.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub id: String,
    pub rule_id: String,
    pub evaluator_id: String,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub dataset_item_id: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobExecution {
    pub project_id: ProjectId,
    pub id: String,
    pub rule_id: String,
    pub evaluator_id: String,
    pub evaluator_version: Option<i64>,
    pub status: ExecutionStatus,
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub dataset_item_id: Option<String>,
    pub error: Option<String>,
    /// The first score written.
    pub score_id: Option<String>,
    pub score_value: Option<f64>,
    pub score_string: Option<String>,
    pub score_comment: Option<String>,
    pub execution_trace_id: Option<String>,
    pub cost: Option<f64>,
    pub start_time: Option<Millis>,
    pub end_time: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What an execution's run changes; `None` fields are kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionUpdate {
    pub status: Option<ExecutionStatus>,
    pub evaluator_version: Option<i64>,
    pub error: Option<String>,
    pub score_id: Option<String>,
    pub score_value: Option<f64>,
    pub score_string: Option<String>,
    pub score_comment: Option<String>,
    pub execution_trace_id: Option<String>,
    pub cost: Option<f64>,
    pub start_time: Option<Millis>,
    pub end_time: Option<Millis>,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionQuery {
    pub rule_id: Option<String>,
    pub evaluator_id: Option<String>,
    pub status: Option<ExecutionStatus>,
    pub trace_id: Option<String>,
}

/// A rule's executions in numbers, for the rules table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStats {
    pub rule_id: String,
    pub pending: u64,
    pub completed: u64,
    pub errors: u64,
    pub cancelled: u64,
    pub cost: f64,
    /// The statuses of the last five executions, newest first.
    pub last: Vec<ExecutionStatus>,
}

pub(super) fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("stored evaluation {what}: {error}"))
}

pub(super) fn json(what: &str, text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

pub(super) fn status(raw: &str) -> StoreResult<ExecutionStatus> {
    ExecutionStatus::parse(raw).ok_or_else(|| corrupt("status", raw))
}

pub(super) const EVALUATOR_COLUMNS: &str = "e.project_id, e.id, e.name, e.kind, e.description, \
    e.blocked_at, e.block_reason, e.block_message, e.created_at, e.updated_at, v.version, \
    v.prompt, v.provider, v.model, v.model_params, v.variables, v.mapping, \
    v.output_definition, v.created_at AS version_created_at, \
    (SELECT COUNT(*) FROM evaluation_rule_evaluators a WHERE a.project_id = e.project_id \
     AND a.evaluator_id = e.id) AS rule_count";

#[derive(sqlx::FromRow)]
pub(super) struct EvaluatorSqlRow {
    project_id: String,
    id: String,
    name: String,
    kind: String,
    description: Option<String>,
    blocked_at: Option<i64>,
    block_reason: Option<String>,
    block_message: Option<String>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    prompt: String,
    provider: Option<String>,
    model: Option<String>,
    model_params: Option<String>,
    variables: String,
    mapping: Option<String>,
    output_definition: String,
    version_created_at: i64,
    rule_count: i64,
}

impl TryFrom<EvaluatorSqlRow> for Evaluator {
    type Error = StoreError;

    fn try_from(row: EvaluatorSqlRow) -> StoreResult<Self> {
        let variables: Vec<String> =
            serde_json::from_str(&row.variables).map_err(|e| corrupt("variables", e))?;
        Ok(Evaluator {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            name: row.name,
            kind: row.kind,
            description: row.description,
            blocked_at: row.blocked_at,
            block_reason: row.block_reason,
            block_message: row.block_message,
            created_at: row.created_at,
            updated_at: row.updated_at,
            latest: EvaluatorVersion {
                version: row.version,
                prompt: row.prompt,
                provider: row.provider,
                model: row.model,
                model_params: row
                    .model_params
                    .as_deref()
                    .map(|t| json("model parameters", t))
                    .transpose()?,
                variables,
                mapping: row
                    .mapping
                    .as_deref()
                    .map(|t| json("mapping", t))
                    .transpose()?,
                output_definition: json("output definition", &row.output_definition)?,
                created_at: row.version_created_at,
            },
            rule_count: row.rule_count.max(0) as u64,
        })
    }
}

pub(super) const RULE_COLUMNS: &str = "project_id, id, name, target, enabled, filter, sampling, \
    delay_ms, time_scope, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct RuleSqlRow {
    project_id: String,
    id: String,
    name: String,
    target: String,
    enabled: bool,
    filter: String,
    sampling: f64,
    delay_ms: i64,
    time_scope: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<RuleSqlRow> for EvaluationRule {
    type Error = StoreError;

    fn try_from(row: RuleSqlRow) -> StoreResult<Self> {
        Ok(EvaluationRule {
            project_id: ProjectId::from_trusted(row.project_id),
            id: row.id,
            name: row.name,
            target: row.target,
            enabled: row.enabled,
            filter: json("filter", &row.filter)?,
            sampling: row.sampling,
            delay_ms: row.delay_ms,
            time_scope: serde_json::from_str(&row.time_scope)
                .map_err(|e| corrupt("time scope", e))?,
            evaluators: Vec::new(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AssignmentSqlRow {
    pub(super) rule_id: String,
    pub(super) evaluator_id: String,
    pub(super) evaluator_name: String,
    pub(super) mapping: Option<String>,
}

pub(super) const EXECUTION_COLUMNS: &str = "project_id, id, rule_id, evaluator_id, \
    evaluator_version, status, trace_id, observation_id, dataset_item_id, error, score_id, \
    score_value, score_string, score_comment, execution_trace_id, cost, start_time, end_time, \
    created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct ExecutionSqlRow {
    project_id: String,
    id: String,
    rule_id: String,
    evaluator_id: String,
    evaluator_version: Option<i64>,
    status: String,
    trace_id: String,
    observation_id: Option<String>,
    dataset_item_id: Option<String>,
    error: Option<String>,
    score_id: Option<String>,
    score_value: Option<f64>,
    score_string: Option<String>,
    score_comment: Option<String>,
    execution_trace_id: Option<String>,
    cost: Option<f64>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ExecutionSqlRow> for JobExecution {
    type Error = StoreError;

    fn try_from(row: ExecutionSqlRow) -> StoreResult<Self> {
        Ok(JobExecution {
            project_id: ProjectId::from_trusted(row.project_id),
            status: status(&row.status)?,
            id: row.id,
            rule_id: row.rule_id,
            evaluator_id: row.evaluator_id,
            evaluator_version: row.evaluator_version,
            trace_id: row.trace_id,
            observation_id: row.observation_id,
            dataset_item_id: row.dataset_item_id,
            error: row.error,
            score_id: row.score_id,
            score_value: row.score_value,
            score_string: row.score_string,
            score_comment: row.score_comment,
            execution_trace_id: row.execution_trace_id,
            cost: row.cost,
            start_time: row.start_time,
            end_time: row.end_time,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
