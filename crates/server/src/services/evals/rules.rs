//! Evaluation rules: what to evaluate (traces, observations or experiment items, narrowed by a
//! filter in the standard filter shape and sampled deterministically), after which delay, with
//! which evaluators and variable mappings; on new data, on existing data (a backfill job
//! enqueued in the rule's own transaction), or both. Nothing is saved half-configured: every
//! evaluator must exist and every variable be mapped before the rule is written.

use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::eval::{Mapping, Target, check_mappings};
use sightline_domain::filter::{FilterCondition, OptionsOperator, Test, parse_filter};
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{EvaluationRule, Evaluator, FilterList, NewJob, RuleEvaluator, check_filter};

use super::{BACKFILL_JOB, EvalError, evaluators, invalid, invalid_field};
use crate::state::AppState;

/// Langfuse's `DEFAULT_TRACE_JOB_DELAY`.
pub const DEFAULT_DELAY_MS: i64 = 10_000;
/// The longest delay a rule may have.
pub const MAX_DELAY_MS: i64 = 24 * 3600 * 1000;
/// Langfuse's `LANGFUSE_MAX_HISTORIC_EVAL_CREATION_LIMIT` default.
pub const MAX_BACKFILL: u64 = 50_000;
pub const NEW: &str = "NEW";
pub const EXISTING: &str = "EXISTING";

/// One evaluator of a rule as sent: its name and the rule's own mapping (`None`: the
/// evaluator's default).
#[derive(Debug, Clone)]
pub struct AssignmentInput {
    pub name: String,
    pub mapping: Option<Vec<Mapping>>,
}

#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub target: Target,
    pub enabled: bool,
    pub sampling: f64,
    /// The filter conditions as JSON (the standard filter shape).
    pub filter: Value,
    pub delay_ms: i64,
    pub time_scope: Vec<String>,
    pub evaluators: Vec<AssignmentInput>,
}

/// The filter conditions of a stored rule.
pub fn conditions(filter: &Value) -> Result<Vec<FilterCondition>, EvalError> {
    if filter.is_null() {
        return Ok(Vec::new());
    }
    parse_filter(&filter.to_string()).map_err(|e| EvalError::Invalid {
        code: "invalid_filter_value",
        message: e.message.clone(),
        details: json!({"field": "filter", "issues": [{"code": "custom", "message": e.message, "path": e.path}]}),
    })
}

/// Dataset ids an experiment rule's `datasetId` condition allows (`None`: any).
pub fn dataset_allowed(conditions: &[FilterCondition], dataset_id: Option<&str>) -> bool {
    conditions.iter().all(|condition| match &condition.test {
        Test::Options(OptionsOperator::AnyOf, values) => {
            dataset_id.is_some_and(|id| values.iter().any(|v| v == id))
        }
        Test::Options(OptionsOperator::NoneOf, values) => {
            dataset_id.is_none_or(|id| !values.iter().any(|v| v == id))
        }
        _ => true,
    })
}

fn check_conditions(target: Target, filter: &[FilterCondition]) -> Result<(), EvalError> {
    let refuse = |column: &str, message: String| EvalError::Invalid {
        code: "invalid_filter_value",
        message,
        details: json!({"field": "filter", "column": column}),
    };
    match target {
        Target::Trace | Target::Observation => {
            let list = if target == Target::Trace {
                FilterList::Traces
            } else {
                FilterList::Observations
            };
            check_filter(list, filter).map_err(|e| {
                let column = e
                    .path
                    .get(1)
                    .and_then(|i| i.as_u64())
                    .and_then(|i| filter.get(i as usize).map(|c| c.column.clone()));
                refuse(column.as_deref().unwrap_or(""), e.message)
            })
        }
        Target::Experiment => {
            for condition in filter {
                let options = matches!(condition.test, Test::Options(_, _));
                if condition.column != "datasetId" || !options {
                    return Err(refuse(
                        &condition.column,
                        format!(
                            "column '{}' cannot filter experiment rules: use datasetId with 'any of' or 'none of'",
                            condition.column
                        ),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Checks the input and resolves its evaluators into assignments.
async fn checked(
    state: &AppState,
    project: &ProjectId,
    input: &RuleInput,
) -> Result<Vec<RuleEvaluator>, EvalError> {
    if input.name.trim().is_empty() || input.name.len() > 255 {
        return Err(invalid_field(
            vec![json!("name")],
            "name must be 1 to 255 characters",
        ));
    }
    if !(input.sampling > 0.0 && input.sampling <= 1.0) {
        return Err(invalid_field(
            vec![json!("sampling")],
            format!(
                "sampling must be greater than 0 and at most 1, got {}",
                input.sampling
            ),
        ));
    }
    if !(0..=MAX_DELAY_MS).contains(&input.delay_ms) {
        return Err(invalid_field(
            vec![json!("delay")],
            "delay must be between 0 and 24 hours",
        ));
    }
    if input.time_scope.is_empty() || input.time_scope.iter().any(|s| s != NEW && s != EXISTING) {
        return Err(invalid_field(
            vec![json!("timeScope")],
            "timeScope must name NEW, EXISTING or both",
        ));
    }
    check_conditions(input.target, &conditions(&input.filter)?)?;
    if input.evaluators.is_empty() {
        return Err(invalid_field(
            vec![json!("evaluators")],
            "a rule needs at least one evaluator",
        ));
    }
    let mut assignments: Vec<RuleEvaluator> = Vec::new();
    for (index, assignment) in input.evaluators.iter().enumerate() {
        let evaluator = state
            .store()
            .metadata()
            .evaluator_by_name(project, &assignment.name)
            .await?
            .ok_or_else(|| {
                EvalError::NotFound(format!("Evaluator '{}' not found", assignment.name))
            })?;
        if assignments.iter().any(|a| a.evaluator_id == evaluator.id) {
            return Err(invalid_field(
                vec![json!("evaluators"), json!(index)],
                format!("evaluator '{}' is assigned twice", evaluator.name),
            ));
        }
        let effective: Vec<Mapping> = match &assignment.mapping {
            Some(mapping) => mapping.clone(),
            None => evaluator
                .latest
                .mapping
                .as_ref()
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .unwrap_or_default(),
        };
        check_mappings(&evaluator.latest.variables, &effective, |source| {
            input.target.allows(source)
        })
        .map_err(|e| EvalError::Invalid {
            code: e.code,
            message: format!("evaluator '{}': {}", evaluator.name, e.message),
            details: json!({"variables": e.variables, "field": format!("evaluators[{index}].mapping")}),
        })?;
        if input.enabled {
            evaluators::resolve_model(state, project, &evaluator.latest).await?;
        }
        assignments.push(RuleEvaluator {
            evaluator_id: evaluator.id.clone(),
            evaluator_name: evaluator.name.clone(),
            mapping: assignment
                .mapping
                .as_ref()
                .map(|m| serde_json::to_value(m).expect("mappings serialize")),
        });
    }
    Ok(assignments)
}

/// The first of the rule's evaluators that is paused, if any: the rule is paused then.
pub fn paused_by<'a>(rule: &EvaluationRule, evaluators: &'a [Evaluator]) -> Option<&'a Evaluator> {
    rule.evaluators.iter().find_map(|assignment| {
        evaluators
            .iter()
            .find(|e| e.id == assignment.evaluator_id && e.blocked_at.is_some())
    })
}

/// A backfill of the rule over existing data up to `to`.
pub fn backfill_job(project: &ProjectId, rule_id: &str, to: Millis) -> NewJob {
    NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: Some(project.clone()),
        kind: BACKFILL_JOB.to_owned(),
        payload: json!({"ruleId": rule_id, "to": to}),
        dedupe_key: None,
        max_attempts: 10,
        run_after: now_ms(),
        created_at: now_ms(),
    }
}

/// The settings of a checked input as a rule (its project, id and creation time left blank).
fn settled(input: &RuleInput, evaluators: Vec<RuleEvaluator>, now: Millis) -> EvaluationRule {
    EvaluationRule {
        project_id: ProjectId::from_trusted(String::new()),
        id: String::new(),
        name: input.name.trim().to_owned(),
        target: input.target.as_str().to_owned(),
        enabled: input.enabled,
        filter: if input.filter.is_null() {
            json!([])
        } else {
            input.filter.clone()
        },
        sampling: input.sampling,
        delay_ms: input.delay_ms,
        time_scope: input.time_scope.clone(),
        evaluators,
        created_at: now,
        updated_at: now,
    }
}

pub async fn create_rule(
    state: &AppState,
    project: &ProjectId,
    input: RuleInput,
) -> Result<EvaluationRule, EvalError> {
    let evaluators = checked(state, project, &input).await?;
    let now = now_ms();
    let rule = EvaluationRule {
        project_id: project.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        ..settled(&input, evaluators, now)
    };
    let jobs = if rule.enabled && rule.time_scope.iter().any(|s| s == EXISTING) {
        vec![backfill_job(project, &rule.id, now)]
    } else {
        Vec::new()
    };
    state.store().metadata().insert_rule(&rule, &jobs).await?;
    state.eval_triggers().forget(project);
    state.eval_triggers().wake();
    fetch(state, project, &rule.id).await
}

pub async fn fetch(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<EvaluationRule, EvalError> {
    state
        .store()
        .metadata()
        .rule(project, id)
        .await?
        .ok_or_else(|| EvalError::NotFound("Evaluation rule not found".to_owned()))
}

/// Replaces a rule's settings. Turning on `EXISTING` (or enabling a rule that has it) runs a
/// backfill; executions already made are not made again.
pub async fn update_rule(
    state: &AppState,
    project: &ProjectId,
    id: &str,
    input: RuleInput,
) -> Result<EvaluationRule, EvalError> {
    let before = fetch(state, project, id).await?;
    let evaluators = checked(state, project, &input).await?;
    let now = now_ms();
    let had_backfill = before.enabled && before.time_scope.iter().any(|s| s == EXISTING);
    let rule = EvaluationRule {
        project_id: before.project_id.clone(),
        id: before.id.clone(),
        created_at: before.created_at,
        ..settled(&input, evaluators, now)
    };
    let wants_backfill = rule.enabled && rule.time_scope.iter().any(|s| s == EXISTING);
    let jobs = if wants_backfill && !had_backfill {
        vec![backfill_job(project, &rule.id, now)]
    } else {
        Vec::new()
    };
    if !state.store().metadata().update_rule(&rule, &jobs).await? {
        return Err(EvalError::NotFound("Evaluation rule not found".to_owned()));
    }
    state.eval_triggers().forget(project);
    state.eval_triggers().wake();
    fetch(state, project, id).await
}

/// Runs the rule over existing data now (again): only targets without an execution get one.
pub async fn run_backfill(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<(), EvalError> {
    let rule = fetch(state, project, id).await?;
    if Target::parse(&rule.target) == Some(Target::Experiment) {
        return Err(invalid(
            "invalid_request",
            "experiment rules evaluate run items as they are created; they have no backfill",
        ));
    }
    state
        .store()
        .metadata()
        .enqueue_jobs(&[backfill_job(project, id, now_ms())])
        .await?;
    state.eval_triggers().wake();
    Ok(())
}

pub async fn delete_rule(state: &AppState, project: &ProjectId, id: &str) -> Result<(), EvalError> {
    if !state.store().metadata().delete_rule(project, id).await? {
        return Err(EvalError::NotFound("Evaluation rule not found".to_owned()));
    }
    state.eval_triggers().forget(project);
    Ok(())
}

/// The input that reproduces a stored rule (for partial updates).
pub fn input_of(rule: &EvaluationRule) -> RuleInput {
    RuleInput {
        name: rule.name.clone(),
        target: Target::parse(&rule.target).unwrap_or(Target::Trace),
        enabled: rule.enabled,
        sampling: rule.sampling,
        filter: rule.filter.clone(),
        delay_ms: rule.delay_ms,
        time_scope: rule.time_scope.clone(),
        evaluators: rule
            .evaluators
            .iter()
            .map(|a| AssignmentInput {
                name: a.evaluator_name.clone(),
                mapping: a
                    .mapping
                    .as_ref()
                    .and_then(|m| serde_json::from_value(m.clone()).ok()),
            })
            .collect(),
    }
}
