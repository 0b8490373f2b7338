//! The unstable evaluation APIs (`features.md` §2.12; the OpenAPI document's
//! `/api/public/unstable/evaluators*` and `/api/public/unstable/evaluation-rules*`) over
//! `services/evals`. Errors take the unstable envelope with Langfuse's codes
//! (`invalid_body`, `missing_variable_mapping`, `invalid_json_path`, `invalid_filter_value`,
//! `evaluator_preflight_failed`, …). Trace rules (Langfuse's legacy target) are read in the
//! legacy shape with `delay` and `timeScope`; unlike Langfuse, they may also be created here
//! (docs/COMPATIBILITY.md).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use sightline_domain::eval::{Mapping, OutputDefinition, Target};
use sightline_domain::time::to_iso;
use sightline_store::{EvaluationRule, Evaluator};

use super::unstable::{UnstableError, UnstableResult, field, list_json, object, paging};
use crate::auth::ProjectAuth;
use crate::extract::QueryPairs;
use crate::services::evals::EvalError;
use crate::services::evals::evaluators::{self, EvaluatorInput};
use crate::services::evals::rules::{self, AssignmentInput, DEFAULT_DELAY_MS, NEW, RuleInput};
use crate::state::AppState;

impl From<EvalError> for UnstableError {
    fn from(error: EvalError) -> Self {
        let details = |details: Value| (!details.is_null()).then_some(details);
        match error {
            EvalError::Invalid {
                code,
                message,
                details: extra,
            } => UnstableError::new(StatusCode::BAD_REQUEST, code, message, details(extra)),
            EvalError::NotFound(message) => {
                UnstableError::new(StatusCode::NOT_FOUND, "resource_not_found", message, None)
            }
            EvalError::Conflict(message) => {
                UnstableError::new(StatusCode::CONFLICT, "name_conflict", message, None)
            }
            EvalError::Preflight {
                message,
                details: extra,
            } => UnstableError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "evaluator_preflight_failed",
                message,
                details(extra),
            ),
            EvalError::Store(error) => error.into(),
        }
    }
}

fn mapping_json(mapping: &Option<Value>) -> Value {
    mapping.clone().unwrap_or(Value::Null)
}

pub fn evaluator_json(evaluator: &Evaluator) -> Value {
    let version = &evaluator.latest;
    let output = OutputDefinition::parse(&version.output_definition)
        .map(|o| o.to_public())
        .unwrap_or(Value::Null);
    let model = match (&version.provider, &version.model) {
        (Some(provider), Some(model)) => json!({"provider": provider, "model": model}),
        _ => Value::Null,
    };
    json!({
        "id": evaluator.id,
        "name": evaluator.name,
        "type": "llm_as_judge",
        "version": version.version,
        "variables": version.variables,
        "mapping": mapping_json(&version.mapping),
        "evaluationRuleCount": evaluator.rule_count,
        "createdAt": to_iso(evaluator.created_at),
        "updatedAt": to_iso(evaluator.updated_at),
        "prompt": version.prompt,
        "outputDefinition": output,
        "modelConfig": model,
    })
}

/// A rule in the API's shape; `evaluators` are the project's (for pauses and default mappings).
fn rule_json(rule: &EvaluationRule, evaluators: &[Evaluator]) -> Value {
    let paused = rules::paused_by(rule, evaluators);
    let status = match (rule.enabled, paused) {
        (false, _) => "inactive",
        (true, Some(_)) => "paused",
        (true, None) => "active",
    };
    let (reason, message) = match paused.filter(|_| rule.enabled) {
        Some(evaluator) => (
            evaluator.block_reason.clone(),
            evaluator.block_message.clone(),
        ),
        None => (None, None),
    };
    let legacy = rule.target == Target::Trace.as_str();
    let mut assignments = Vec::new();
    let mut first_mapping = Value::Array(Vec::new());
    for (index, assignment) in rule.evaluators.iter().enumerate() {
        let evaluator = evaluators.iter().find(|e| e.id == assignment.evaluator_id);
        let effective = assignment
            .mapping
            .clone()
            .or_else(|| evaluator.and_then(|e| e.latest.mapping.clone()));
        let mapping = if legacy {
            effective.as_ref().map(legacy_mapping)
        } else {
            assignment.mapping.clone()
        };
        if index == 0 {
            first_mapping = if legacy {
                mapping.clone().unwrap_or(json!([]))
            } else {
                effective.unwrap_or(json!([]))
            };
        }
        assignments.push(json!({
            "evaluator": {
                "id": assignment.evaluator_id,
                "name": assignment.evaluator_name,
                "type": "llm_as_judge",
            },
            "mapping": mapping,
        }));
    }
    let mut body = json!({
        "id": rule.id,
        "name": rule.name,
        "evaluator": assignments.first().map(|a| a["evaluator"].clone()),
        "evaluators": assignments,
        "enabled": rule.enabled,
        "status": status,
        "pausedReason": reason,
        "pausedMessage": message,
        "sampling": rule.sampling,
        "createdAt": to_iso(rule.created_at),
        "updatedAt": to_iso(rule.updated_at),
        "target": rule.target,
        "filter": rule.filter,
        "mapping": first_mapping,
    });
    if legacy || rule.delay_ms != 0 || rule.time_scope != [NEW] {
        body["delay"] = json!(rule.delay_ms);
        body["timeScope"] = json!(rule.time_scope);
    }
    body
}

/// A trace rule's mapping in the legacy read shape.
fn legacy_mapping(mapping: &Value) -> Value {
    let entries = mapping.as_array().cloned().unwrap_or_default();
    Value::Array(
        entries
            .into_iter()
            .map(|entry| {
                json!({
                    "variable": entry.get("variable"),
                    "langfuseObject": "trace",
                    "objectName": null,
                    "source": entry.get("source"),
                    "jsonPath": entry.get("jsonPath"),
                })
            })
            .collect(),
    )
}

fn mappings(object: &Map<String, Value>, name: &str) -> UnstableResult<Option<Vec<Mapping>>> {
    let Some(raw) = object.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Value::Array(items) = raw else {
        return Err(UnstableError::body(name, "Expected a list of mappings"));
    };
    let mut parsed = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let mapping: Mapping = serde_json::from_value(item.clone()).map_err(|e| {
            UnstableError::body(
                &format!("{name}[{index}]"),
                format!("Expected {{variable, source, jsonPath?}} with a known source: {e}"),
            )
        })?;
        parsed.push(mapping);
    }
    Ok(Some(parsed))
}

fn evaluator_input(object: &Map<String, Value>) -> UnstableResult<EvaluatorInput> {
    match object.get("type").and_then(Value::as_str) {
        None | Some("llm_as_judge") => {}
        Some("code") => {
            return Err(UnstableError::body(
                "type",
                "code evaluators are not supported by this server; use llm_as_judge",
            ));
        }
        Some(other) => {
            return Err(UnstableError::body(
                "type",
                format!("Expected llm_as_judge or code, got '{other}'"),
            ));
        }
    }
    let name: String = field(object, "name", "a string")?
        .ok_or_else(|| UnstableError::body("name", "Required"))?;
    let prompt: String = field(object, "prompt", "a string")?
        .ok_or_else(|| UnstableError::body("prompt", "Required"))?;
    let output_definition = object
        .get("outputDefinition")
        .cloned()
        .filter(|v| !v.is_null())
        .ok_or_else(|| UnstableError::body("outputDefinition", "Required"))?;
    if output_definition.get("version").is_some() {
        return Err(UnstableError::body(
            "outputDefinition.version",
            "Do not send version; it is not part of the public request shape",
        ));
    }
    let model = match object.get("modelConfig") {
        None | Some(Value::Null) => None,
        Some(Value::Object(config)) => {
            let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_owned);
            match (text("provider"), text("model")) {
                (Some(provider), Some(model)) => Some((provider, model)),
                _ => {
                    return Err(UnstableError::body(
                        "modelConfig",
                        "Expected {provider, model}",
                    ));
                }
            }
        }
        Some(_) => return Err(UnstableError::body("modelConfig", "Expected an object")),
    };
    Ok(EvaluatorInput {
        name,
        prompt,
        output_definition,
        model,
        model_params: None,
        mapping: mappings(object, "mapping")?,
    })
}

pub async fn list_evaluators(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> UnstableResult<axum::Json<Value>> {
    let (page, limit) = paging(&query)?;
    let (evaluators, total) = state
        .store()
        .metadata()
        .list_evaluators(&caller.project_id, limit, (page - 1) * limit)
        .await?;
    let data = evaluators.iter().map(evaluator_json).collect();
    Ok(axum::Json(list_json(data, page, limit, total)))
}

pub async fn post_evaluator(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let input = evaluator_input(&object(&body)?)?;
    let evaluator = evaluators::save_evaluator(&state, &caller.project_id, input).await?;
    Ok(axum::Json(evaluator_json(&evaluator)))
}

pub async fn get_evaluator(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    let evaluator = state
        .store()
        .metadata()
        .evaluator(&caller.project_id, &id)
        .await?
        .ok_or_else(|| EvalError::NotFound("Evaluator not found".into()))?;
    Ok(axum::Json(evaluator_json(&evaluator)))
}

pub async fn delete_evaluator(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    evaluators::delete_evaluator(&state, &caller.project_id, &id).await?;
    Ok(axum::Json(
        json!({"message": "Evaluator successfully deleted"}),
    ))
}

/// The fields of a create or update body laid over `base`.
fn rule_input(object: &Map<String, Value>, mut base: RuleInput) -> UnstableResult<RuleInput> {
    if let Some(name) = field::<String>(object, "name", "a string")? {
        base.name = name;
    }
    if let Some(target) = field::<String>(object, "target", "a string")? {
        base.target = Target::parse(&target).ok_or_else(|| {
            UnstableError::body("target", "Expected observation, experiment or trace")
        })?;
    }
    if let Some(enabled) = field::<bool>(object, "enabled", "a boolean")? {
        base.enabled = enabled;
    }
    if let Some(sampling) = field::<f64>(object, "sampling", "a number")? {
        base.sampling = sampling;
    }
    if let Some(filter) = object.get("filter").filter(|v| !v.is_null()) {
        if !filter.is_array() {
            return Err(UnstableError::body(
                "filter",
                "Expected a list of conditions",
            ));
        }
        base.filter = filter.clone();
    }
    if let Some(delay) = field::<i64>(object, "delay", "an integer (milliseconds)")? {
        base.delay_ms = delay;
    }
    if let Some(scope) = field::<Vec<String>>(object, "timeScope", "a list of NEW, EXISTING")? {
        base.time_scope = scope;
    }
    let single = object.get("evaluator").filter(|v| !v.is_null());
    let many = object.get("evaluators").filter(|v| !v.is_null());
    match (single, many) {
        (Some(_), Some(_)) => {
            return Err(UnstableError::body(
                "evaluators",
                "Send either evaluator (with mapping) or evaluators, not both",
            ));
        }
        (Some(reference), None) => {
            let name = reference
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| UnstableError::body("evaluator.name", "Required"))?;
            base.evaluators = vec![AssignmentInput {
                name: name.to_owned(),
                mapping: mappings(object, "mapping")?,
            }];
        }
        (None, Some(Value::Array(items))) => {
            let mut assignments = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let name = item
                    .pointer("/evaluator/name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        UnstableError::body(
                            &format!("evaluators[{index}].evaluator.name"),
                            "Required",
                        )
                    })?;
                let mapping = match item.as_object() {
                    Some(entry) => mappings(entry, "mapping")?,
                    None => None,
                };
                assignments.push(AssignmentInput {
                    name: name.to_owned(),
                    mapping,
                });
            }
            base.evaluators = assignments;
        }
        (None, Some(_)) => {
            return Err(UnstableError::body("evaluators", "Expected a list"));
        }
        (None, None) => {
            if let Some(mapping) = mappings(object, "mapping")?
                && let Some(first) = base.evaluators.first_mut()
            {
                first.mapping = Some(mapping);
            }
        }
    }
    Ok(base)
}

pub async fn list_rules(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> UnstableResult<axum::Json<Value>> {
    let (page, limit) = paging(&query)?;
    let all = state.store().metadata().rules(&caller.project_id).await?;
    let total = all.len() as u64;
    let evaluators = evaluators::all(state.store(), &caller.project_id).await?;
    let data = all
        .iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|rule| rule_json(rule, &evaluators))
        .collect();
    Ok(axum::Json(list_json(data, page, limit, total)))
}

pub async fn post_rule(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    for required in ["name", "target", "enabled"] {
        if object.get(required).is_none_or(Value::is_null) {
            return Err(UnstableError::body(required, "Required"));
        }
    }
    if object.get("evaluator").is_none() && object.get("evaluators").is_none() {
        return Err(UnstableError::body("evaluators", "Required"));
    }
    let target = object.get("target").and_then(Value::as_str);
    let base = RuleInput {
        name: String::new(),
        target: Target::Observation,
        enabled: false,
        sampling: 1.0,
        filter: json!([]),
        delay_ms: if target == Some("trace") {
            DEFAULT_DELAY_MS
        } else {
            0
        },
        time_scope: vec![NEW.to_owned()],
        evaluators: Vec::new(),
    };
    let input = rule_input(&object, base)?;
    let rule = rules::create_rule(&state, &caller.project_id, input).await?;
    Ok(axum::Json(rule_json(
        &rule,
        &evaluators::all(state.store(), &caller.project_id).await?,
    )))
}

pub async fn get_rule(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    let rule = rules::fetch(&state, &caller.project_id, &id).await?;
    Ok(axum::Json(rule_json(
        &rule,
        &evaluators::all(state.store(), &caller.project_id).await?,
    )))
}

pub async fn patch_rule(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> UnstableResult<axum::Json<Value>> {
    let object = object(&body)?;
    if object.values().all(Value::is_null) {
        return Err(UnstableError::body(
            "body",
            "An empty update changes nothing",
        ));
    }
    let stored = rules::fetch(&state, &caller.project_id, &id).await?;
    let input = rule_input(&object, rules::input_of(&stored))?;
    let rule = rules::update_rule(&state, &caller.project_id, &id, input).await?;
    Ok(axum::Json(rule_json(
        &rule,
        &evaluators::all(state.store(), &caller.project_id).await?,
    )))
}

pub async fn delete_rule(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(id): Path<String>,
) -> UnstableResult<axum::Json<Value>> {
    rules::delete_rule(&state, &caller.project_id, &id).await?;
    Ok(axum::Json(
        json!({"message": "Evaluation rule successfully deleted"}),
    ))
}
