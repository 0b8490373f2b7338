//! One execution (`features.md` §2.7): the evaluator's latest version, its variables mapped
//! from the target, the judge called with the output definition as structured output, the
//! scores written with ids derived from the execution (a retry writes over them), and the call
//! recorded as a trace in `langfuse-llm-as-a-judge` — scores and trace in one ingestion write.
//! Retryable provider errors leave the execution DELAYED and retry it with backoff within the
//! [`RetryPolicy`]; terminal ones (bad key, no credit, unknown model, missing connection or
//! default model) pause the evaluator until a user reactivates it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sightline_domain::ProjectId;
use sightline_domain::eval::{
    BlockReason, ExecutionStatus, JUDGE_ENVIRONMENT, Mapping, Source, Target, compile_prompt,
    execution_trace_id, score_id, stringify,
};
use sightline_domain::ingest::environment::HIDDEN_BY_DEFAULT;
use sightline_domain::ingest::{
    ObservationRow, ObservationType, ScorePatch, ScoreSource, TracePatch,
};
use sightline_domain::time::{Millis, now_ms};
use sightline_llm::{ChatRequest, ErrorKind, LlmError, Message, OutputSchema, Role};
use sightline_store::{Evaluator, ExecutionUpdate, JobExecution, StoreResult};

use super::EvalError;
use super::evaluators::{self, ResolvedModel, block_reason};
use crate::services::ingest::IngestionWrite;
use crate::services::llm_connections;
use crate::state::AppState;

/// Retries of retryable provider errors (Langfuse's `LANGFUSE_LLM_AS_JUDGE_QUEUE_RETRY_*`):
/// at most `attempts` retries within `max_age_ms` of the execution's creation, spread linearly
/// from min(5 min, max age / attempts) to the max age, with ±20 % jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub max_age_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            max_age_ms: 7_200_000,
        }
    }
}

impl RetryPolicy {
    /// When retry number `retry` (1-based) of an execution created at `created_at` runs, or
    /// `None` when the budget is spent.
    pub fn retry_at(&self, retry: u32, created_at: Millis, now: Millis) -> Option<Millis> {
        let deadline = created_at + self.max_age_ms;
        if retry > self.attempts || now >= deadline {
            return None;
        }
        let attempts = i64::from(self.attempts.max(1));
        let first = (self.max_age_ms / attempts).min(300_000);
        let step = if attempts > 1 {
            (self.max_age_ms - first) / (attempts - 1)
        } else {
            0
        };
        let offset = first + step * i64::from(retry - 1);
        let unit = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
        let jitter = (offset as f64 * (unit * 0.4 - 0.2)) as i64;
        Some((created_at + offset + jitter).clamp(now, deadline))
    }
}

/// How a run of an execution's job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing more to do (completed, failed for good, cancelled or gone).
    Done,
    /// Run again at this time.
    Retry { at: Millis, error: String },
}

/// What the judge saw and said, for the test panel and the execution trace.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub prompt: String,
    pub model: String,
    pub answer: Value,
    pub reasoning: String,
    pub scores: Vec<ScorePatch>,
}

/// A judge call's verdict with the model it ran on and the tokens it used.
pub struct Judged {
    pub verdict: Verdict,
    pub model: ResolvedModel,
    pub usage: Option<sightline_llm::Usage>,
}

/// The data a target offers its variables.
#[derive(Debug, Clone, Default)]
pub struct TargetData {
    pub trace_id: String,
    pub observation_id: Option<String>,
    pub environment: String,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub metadata: Option<Value>,
    pub expected_output: Option<Value>,
    pub item_metadata: Option<Value>,
}

impl TargetData {
    fn column(&self, source: Source) -> Option<Value> {
        match source {
            Source::Input => self.input.clone(),
            Source::Output => self.output.clone(),
            Source::Metadata => self.metadata.clone(),
            Source::ToolCalls => tool_calls(self.output.as_ref()),
            Source::ExpectedOutput => self.expected_output.clone(),
            Source::ExperimentItemMetadata => self.item_metadata.clone(),
        }
    }
}

/// Tool calls in an output: OpenAI's `tool_calls` of the message (or of a list's messages).
fn tool_calls(output: Option<&Value>) -> Option<Value> {
    let output = output?;
    let mut calls = Vec::new();
    let mut visit = |message: &Value| {
        if let Some(Value::Array(items)) = message.get("tool_calls") {
            calls.extend(items.iter().cloned());
        }
    };
    match output {
        Value::Array(items) => items.iter().for_each(&mut visit),
        other => visit(other),
    }
    Some(Value::Array(calls))
}

/// Reads what an execution (or a test run) evaluates: the observation when it names one,
/// else the trace; the dataset item for experiments.
pub async fn load_target(
    state: &AppState,
    project: &ProjectId,
    trace_id: &str,
    observation_id: Option<&str>,
    dataset_item_id: Option<&str>,
) -> Result<Option<TargetData>, EvalError> {
    let events = state.store().events();
    let mut data = match observation_id {
        Some(id) => {
            let Some(observation) = events.observation(project, id).await? else {
                return Ok(None);
            };
            let row = observation.row;
            TargetData {
                trace_id: row.trace_id.clone(),
                observation_id: Some(row.id.clone()),
                environment: row.environment.clone(),
                input: row.input,
                output: row.output,
                metadata: Some(Value::Object(row.metadata)),
                ..TargetData::default()
            }
        }
        None => {
            let Some(trace) = events.trace(project, trace_id).await? else {
                return Ok(None);
            };
            let row = trace.row;
            TargetData {
                trace_id: row.id.clone(),
                observation_id: None,
                environment: row.environment.clone(),
                input: row.input,
                output: row.output,
                metadata: Some(Value::Object(row.metadata)),
                ..TargetData::default()
            }
        }
    };
    if let Some(item_id) = dataset_item_id
        && let Some(item) = state
            .store()
            .metadata()
            .dataset_item(project, item_id)
            .await?
    {
        data.expected_output = item.expected_output;
        data.item_metadata = item.metadata;
    }
    Ok(Some(data))
}

/// The mapping a rule's assignment uses: its own, else the evaluator's default.
pub fn effective_mapping(evaluator: &Evaluator, own: Option<&Value>) -> Vec<Mapping> {
    own.or(evaluator.latest.mapping.as_ref())
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default()
}

/// The prompt with every variable filled from the target.
pub fn fill_prompt(
    evaluator: &Evaluator,
    mapping: &[Mapping],
    target: &TargetData,
) -> Result<String, String> {
    let mut values = BTreeMap::new();
    for variable in &evaluator.latest.variables {
        let Some(entry) = mapping.iter().find(|m| &m.variable == variable) else {
            return Err(format!("variable '{variable}' has no mapping"));
        };
        let value = entry.pick(target.column(entry.source).as_ref());
        values.insert(variable.clone(), stringify(value.as_ref()));
    }
    Ok(compile_prompt(&evaluator.latest.prompt, &values))
}

/// A provider error that pauses the evaluator, with its reason.
fn pausing(error: &LlmError) -> Option<BlockReason> {
    match error.kind {
        ErrorKind::Auth => Some(BlockReason::AuthInvalid),
        ErrorKind::Quota => Some(BlockReason::BillingExhausted),
        ErrorKind::UnknownModel => Some(BlockReason::ModelUnavailable),
        ErrorKind::Blocked => Some(BlockReason::EndpointUnreachable),
        ErrorKind::Configuration => Some(BlockReason::ModelConfigInvalid),
        _ => None,
    }
}

/// Why a judge call failed.
pub enum JudgeError {
    /// The model cannot run: pause the evaluator.
    Pause(BlockReason, String),
    /// Try again later.
    Retryable(String),
    /// Failed for good.
    Failed(String),
    Store(EvalError),
}

impl From<EvalError> for JudgeError {
    fn from(error: EvalError) -> Self {
        match block_reason(&error) {
            Some(reason) => JudgeError::Pause(reason, reason.message().to_owned()),
            None => JudgeError::Store(error),
        }
    }
}

/// Calls the judge for `target` and reads its verdict into scores (not written).
pub async fn judge(
    state: &AppState,
    project: &ProjectId,
    evaluator: &Evaluator,
    mapping: &[Mapping],
    target: &TargetData,
    execution: &str,
) -> Result<Judged, JudgeError> {
    let prompt = fill_prompt(evaluator, mapping, target).map_err(JudgeError::Failed)?;
    let output = evaluators::output_of(&evaluator.latest).map_err(JudgeError::Store)?;
    let model = evaluators::resolve_model(state, project, &evaluator.latest).await?;
    let connection = llm_connections::call_connection(state, &model.connection)
        .map_err(|e| JudgeError::Pause(BlockReason::ModelConfigInvalid, e.to_string()))?;
    let mut request = ChatRequest::new(&model.model, vec![Message::new(Role::User, &prompt)]);
    request.params = model.params.clone();
    request.output_schema = Some(OutputSchema {
        name: "evaluation".to_owned(),
        description: "The evaluation's reasoning and score".to_owned(),
        schema: output.json_schema(),
    });
    let completion = match state.llm().client.complete(&connection, &request).await {
        Ok(completion) => completion,
        Err(error) => {
            return Err(match pausing(&error) {
                Some(reason) => JudgeError::Pause(reason, error.message),
                None if error.is_retryable() => JudgeError::Retryable(error.message),
                None => JudgeError::Failed(error.message),
            });
        }
    };
    let answer = completion
        .structured
        .clone()
        .or_else(|| serde_json::from_str(completion.text.trim()).ok())
        .unwrap_or(Value::Null);
    let judgement = output.judge(&answer).map_err(|e| {
        JudgeError::Failed(format!(
            "Invalid LLM response format from model {}: {e}",
            model.model
        ))
    })?;
    let verdict = Verdict {
        scores: scores(evaluator, &judgement, target, execution),
        reasoning: judgement.reasoning,
        prompt,
        model: model.model.clone(),
        answer,
    };
    Ok(Judged {
        verdict,
        model,
        usage: completion.usage,
    })
}

fn scores(
    evaluator: &Evaluator,
    judgement: &sightline_domain::eval::Judgement,
    target: &TargetData,
    execution: &str,
) -> Vec<ScorePatch> {
    let now = now_ms();
    judgement
        .scores
        .iter()
        .enumerate()
        .map(|(index, (data_type, value, string_value))| ScorePatch {
            id: score_id(execution, &evaluator.name, index),
            name: evaluator.name.clone(),
            timestamp: now,
            environment: target.environment.clone(),
            data_type: *data_type,
            value: *value,
            string_value: string_value.clone(),
            source: ScoreSource::Eval,
            trace_id: Some(target.trace_id.clone()),
            observation_id: target.observation_id.clone(),
            session_id: None,
            dataset_run_id: None,
            comment: Some(judgement.reasoning.clone()),
            metadata: None,
            config_id: None,
            queue_id: None,
            execution_trace_id: None,
        })
        .collect()
}

/// The execution's metadata keys (`evalExecutionMetadata.ts`), nulls left out.
fn execution_metadata(execution: &JobExecution, evaluator: &Evaluator) -> Map<String, Value> {
    let mut metadata = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            metadata.insert(key.to_owned(), json!(value));
        }
    };
    put("job_execution_id", Some(&execution.id));
    put("job_configuration_id", Some(&execution.rule_id));
    put("evaluation_rule_id", Some(&execution.rule_id));
    put("evaluator_id", Some(&evaluator.id));
    put("target_trace_id", Some(&execution.trace_id));
    put("target_observation_id", execution.observation_id.as_deref());
    put(
        "target_dataset_item_id",
        execution.dataset_item_id.as_deref(),
    );
    metadata.insert(
        "evaluator_version".to_owned(),
        json!(evaluator.latest.version),
    );
    metadata
}

/// The scores and the judge call's trace, in one write; returns the call's cost.
async fn record(
    state: &AppState,
    project: &ProjectId,
    execution: &JobExecution,
    evaluator: &Evaluator,
    judged: &mut Judged,
    started_at: Millis,
) -> Result<Option<f64>, EvalError> {
    let (verdict, model, usage) = (&mut judged.verdict, &judged.model, judged.usage);
    let trace_id = execution_trace_id(&execution.id);
    let metadata = execution_metadata(execution, evaluator);
    let input = json!([{"role": "user", "content": verdict.prompt}]);
    let trace = TracePatch {
        id: trace_id.clone(),
        timestamp: Some(started_at),
        environment: Some(JUDGE_ENVIRONMENT.to_owned()),
        name: Some(Some(format!("Execute evaluator: {}", evaluator.name))),
        input: Some(input.clone()),
        output: Some(verdict.answer.clone()),
        metadata: Some(Value::Object(metadata.clone())),
        ..TracePatch::default()
    };
    let mut row = ObservationRow::shallow(
        &format!("{trace_id}-judge"),
        &trace_id,
        ObservationType::Generation,
        started_at,
        JUDGE_ENVIRONMENT,
    );
    row.name = Some(format!("Execute evaluator: {}", evaluator.name));
    row.end_time = Some(now_ms());
    row.model = Some(model.model.clone());
    row.model_parameters = serde_json::to_value(&model.params).ok();
    row.input = Some(input);
    row.output = Some(verdict.answer.clone());
    row.metadata = metadata.clone();
    if let Some(usage) = usage {
        row.provided_usage_details = [
            ("input".to_owned(), usage.input as f64),
            ("output".to_owned(), usage.output as f64),
            ("total".to_owned(), usage.total as f64),
        ]
        .into();
    }
    state.rules().enrich(project, &mut row);
    let cost = row.total_cost;
    for score in &mut verdict.scores {
        score.execution_trace_id = Some(trace_id.clone());
        score.metadata = Some(Value::Object(metadata.clone()));
    }
    let mut write = IngestionWrite::new(project.clone());
    write.trace_patches.push(trace);
    write.observations.push(row);
    write.scores = verdict.scores.clone();
    let size = verdict.prompt.len() * 2 + 4096;
    state
        .writer()
        .submit(write, size)
        .await
        .map_err(|e| EvalError::Store(sightline_store::StoreError::Unavailable(e.to_string())))?;
    Ok(cost)
}

fn finished(status: ExecutionStatus, error: Option<String>) -> ExecutionUpdate {
    let now = now_ms();
    ExecutionUpdate {
        status: Some(status),
        error,
        end_time: Some(now),
        updated_at: now,
        ..ExecutionUpdate::default()
    }
}

async fn finish(
    state: &AppState,
    project: &ProjectId,
    id: &str,
    status: ExecutionStatus,
    error: Option<String>,
) -> StoreResult<Outcome> {
    write(state, project, id, finished(status, error)).await
}

/// Writes the execution's outcome; its job is done.
async fn write(
    state: &AppState,
    project: &ProjectId,
    id: &str,
    update: ExecutionUpdate,
) -> StoreResult<Outcome> {
    state
        .store()
        .metadata()
        .update_execution(project, id, &update)
        .await?;
    Ok(Outcome::Done)
}

/// Runs the execution `id` (its job's `attempt`-th claim).
pub async fn run(
    state: &AppState,
    project: &ProjectId,
    id: &str,
    attempt: i64,
    policy: &RetryPolicy,
) -> Result<Outcome, EvalError> {
    let metadata = state.store().metadata();
    let Some(execution) = metadata.execution(project, id).await? else {
        return Ok(Outcome::Done);
    };
    if execution.status.is_final() {
        return Ok(Outcome::Done);
    }
    let rule = metadata.rule(project, &execution.rule_id).await?;
    let evaluator = metadata.evaluator(project, &execution.evaluator_id).await?;
    let (Some(rule), Some(evaluator)) = (rule, evaluator) else {
        return Ok(finish(state, project, id, ExecutionStatus::Cancelled, None).await?);
    };
    let assignment = rule
        .evaluators
        .iter()
        .find(|a| a.evaluator_id == evaluator.id);
    let Some(assignment) = assignment.filter(|_| rule.enabled && evaluator.blocked_at.is_none())
    else {
        return Ok(finish(state, project, id, ExecutionStatus::Cancelled, None).await?);
    };
    let started_at = now_ms();
    let dataset_item = (Target::parse(&rule.target) == Some(Target::Experiment))
        .then_some(execution.dataset_item_id.as_deref())
        .flatten();
    let Some(target) = load_target(
        state,
        project,
        &execution.trace_id,
        execution.observation_id.as_deref(),
        dataset_item,
    )
    .await?
    else {
        let what = if execution.observation_id.is_some() {
            "Observation"
        } else {
            "Trace"
        };
        let message = format!(
            "{what} not found. Please ensure the mapped data exists and consider extending the job delay."
        );
        return Ok(finish(state, project, id, ExecutionStatus::Error, Some(message)).await?);
    };
    if HIDDEN_BY_DEFAULT.contains(&target.environment.as_str())
        && target.environment != "sdk-experiment"
    {
        return Ok(finish(state, project, id, ExecutionStatus::Cancelled, None).await?);
    }
    // The start time and version are written with the outcome: one write per execution.
    let started = |mut update: ExecutionUpdate| {
        update.start_time = Some(started_at);
        update.evaluator_version = Some(evaluator.latest.version);
        update
    };
    let mapping = effective_mapping(&evaluator, assignment.mapping.as_ref());
    match judge(state, project, &evaluator, &mapping, &target, id).await {
        Ok(mut judged) => {
            let cost = record(
                state,
                project,
                &execution,
                &evaluator,
                &mut judged,
                started_at,
            )
            .await?;
            let verdict = &judged.verdict;
            let first = verdict.scores.first();
            let now = now_ms();
            let update = ExecutionUpdate {
                status: Some(ExecutionStatus::Completed),
                score_id: first.map(|s| s.id.clone()),
                score_value: first.and_then(|s| s.value),
                score_string: first.and_then(|s| s.string_value.clone()),
                score_comment: Some(verdict.reasoning.clone()),
                execution_trace_id: Some(execution_trace_id(id)),
                cost,
                end_time: Some(now),
                updated_at: now,
                ..ExecutionUpdate::default()
            };
            metadata
                .update_execution(project, id, &started(update))
                .await?;
            Ok(Outcome::Done)
        }
        Err(JudgeError::Pause(reason, message)) => {
            metadata
                .set_evaluator_block(
                    project,
                    &evaluator.id,
                    Some((reason.as_str(), reason.message())),
                    now_ms(),
                )
                .await?;
            state.eval_triggers().forget(project);
            tracing::warn!(project = %project, evaluator = %evaluator.id, reason = reason.as_str(), "evaluator paused");
            Ok(write(
                state,
                project,
                id,
                started(finished(ExecutionStatus::Error, Some(message))),
            )
            .await?)
        }
        Err(JudgeError::Retryable(message)) => {
            let retry = u32::try_from(attempt).unwrap_or(u32::MAX);
            match policy.retry_at(retry, execution.created_at, now_ms()) {
                Some(at) => {
                    metadata
                        .update_execution(
                            project,
                            id,
                            &ExecutionUpdate {
                                status: Some(ExecutionStatus::Delayed),
                                error: Some(message.clone()),
                                updated_at: now_ms(),
                                ..ExecutionUpdate::default()
                            },
                        )
                        .await?;
                    Ok(Outcome::Retry { at, error: message })
                }
                None => Ok(write(
                    state,
                    project,
                    id,
                    started(finished(ExecutionStatus::Error, Some(message))),
                )
                .await?),
            }
        }
        Err(JudgeError::Failed(message)) => Ok(write(
            state,
            project,
            id,
            started(finished(ExecutionStatus::Error, Some(message))),
        )
        .await?),
        Err(JudgeError::Store(error)) => Err(error),
    }
}
