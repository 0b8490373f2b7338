//! Evaluators: a prompt with `{{variables}}`, an output definition, an optional model (the
//! project's default evaluation model otherwise) and a default variable mapping. Saving under
//! an existing name adds a version; rules always run the latest.

use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::eval::{BlockReason, Mapping, OutputDefinition, check_mappings};
use sightline_domain::prompt::extract_variables;
use sightline_domain::time::now_ms;
use sightline_llm::ModelParams;
use sightline_store::{Evaluator, EvaluatorVersion, LlmConnection};

use super::{EvalError, invalid, invalid_field};
use crate::state::AppState;

/// An evaluator as the API and the editor send it.
#[derive(Debug, Clone, Default)]
pub struct EvaluatorInput {
    pub name: String,
    pub prompt: String,
    pub output_definition: Value,
    /// Connection (provider name) and model; `None` uses the project's default model.
    pub model: Option<(String, String)>,
    pub model_params: Option<Value>,
    pub mapping: Option<Vec<Mapping>>,
}

/// Most evaluators one project is expected to hold; listings that need them all read this many.
const MAX_EVALUATORS: u64 = 10_000;

/// Every evaluator of the project (for pauses, names and default mappings of its rules).
pub async fn all(
    store: &sightline_store::Store,
    project: &ProjectId,
) -> sightline_store::StoreResult<Vec<Evaluator>> {
    let (evaluators, _) = store
        .metadata()
        .list_evaluators(project, MAX_EVALUATORS, 0)
        .await?;
    Ok(evaluators)
}

/// The model an evaluator runs with.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    pub connection: LlmConnection,
    pub model: String,
    pub params: ModelParams,
}

/// The evaluator's model, or why it cannot run (the reason that pauses it).
pub async fn resolve_model(
    state: &AppState,
    project: &ProjectId,
    version: &EvaluatorVersion,
) -> Result<ResolvedModel, EvalError> {
    let metadata = state.store().metadata();
    let params = |raw: &Option<Value>| -> ModelParams {
        raw.as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    };
    let pause = |reason: BlockReason| EvalError::Preflight {
        message: reason.message().to_owned(),
        details: json!({"reason": reason.as_str()}),
    };
    if let (Some(provider), Some(model)) = (&version.provider, &version.model) {
        let connection = metadata
            .llm_connection_by_provider(project, provider)
            .await?
            .ok_or_else(|| pause(BlockReason::ConnectionMissing))?;
        return Ok(ResolvedModel {
            connection,
            model: model.clone(),
            params: params(&version.model_params),
        });
    }
    let default = metadata
        .default_llm_model(project)
        .await?
        .ok_or_else(|| pause(BlockReason::DefaultModelMissing))?;
    let connection = metadata
        .llm_connection(project, &default.connection_id)
        .await?
        .ok_or_else(|| pause(BlockReason::ConnectionMissing))?;
    Ok(ResolvedModel {
        connection,
        model: default.model,
        params: params(&Some(default.model_params)),
    })
}

/// Which reason a preflight failure carries, when it is one.
pub fn block_reason(error: &EvalError) -> Option<BlockReason> {
    match error {
        EvalError::Preflight { details, .. } => details
            .get("reason")
            .and_then(Value::as_str)
            .and_then(BlockReason::parse),
        _ => None,
    }
}

/// Checks and saves an evaluator version; the model must resolve (a connection for an
/// explicit provider, or the project's default model).
pub async fn save_evaluator(
    state: &AppState,
    project: &ProjectId,
    input: EvaluatorInput,
) -> Result<Evaluator, EvalError> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 255 {
        return Err(invalid_field(
            vec![json!("name")],
            "name must be 1 to 255 characters",
        ));
    }
    if input.prompt.trim().is_empty() {
        return Err(invalid_field(vec![json!("prompt")], "prompt is required"));
    }
    let variables = extract_variables(&input.prompt);
    let output = OutputDefinition::parse(&input.output_definition).map_err(|e| {
        let mut path = vec![json!("outputDefinition")];
        path.extend(e.path.iter().map(|p| json!(p)));
        invalid_field(path, format!("outputDefinition: {}", e.message))
    })?;
    if let Some(mapping) = &input.mapping {
        check_mappings(&variables, mapping, |_| true).map_err(|e| EvalError::Invalid {
            code: e.code,
            message: e.message,
            details: json!({"variables": e.variables}),
        })?;
    }
    if let Some((provider, model)) = &input.model
        && (provider.trim().is_empty() || model.trim().is_empty())
    {
        return Err(invalid_field(
            vec![json!("modelConfig")],
            "modelConfig needs a provider and a model",
        ));
    }
    let version = EvaluatorVersion {
        version: 0,
        prompt: input.prompt.clone(),
        provider: input.model.as_ref().map(|(p, _)| p.clone()),
        model: input.model.as_ref().map(|(_, m)| m.clone()),
        model_params: input.model_params.clone(),
        variables,
        mapping: input
            .mapping
            .as_ref()
            .map(|m| serde_json::to_value(m).expect("mappings serialize")),
        output_definition: output.to_stored(),
        created_at: now_ms(),
    };
    if let Err(error) = resolve_model(state, project, &version).await {
        return Err(match error {
            EvalError::Preflight { message, .. } => EvalError::Preflight {
                message: format!("Evaluator '{name}' cannot run: {message}"),
                details: json!({
                    "evaluatorName": name,
                    "provider": version.provider,
                    "model": version.model,
                }),
            },
            other => other,
        });
    }
    let id = uuid::Uuid::new_v4().to_string();
    let saved = state
        .store()
        .metadata()
        .add_evaluator_version(project, &id, name, &version)
        .await?;
    state.eval_triggers().forget(project);
    Ok(saved)
}

/// Clears an evaluator's pause once its model can run again.
pub async fn reactivate(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<Evaluator, EvalError> {
    let metadata = state.store().metadata();
    let evaluator = metadata
        .evaluator(project, id)
        .await?
        .ok_or_else(|| EvalError::NotFound("Evaluator not found".to_owned()))?;
    resolve_model(state, project, &evaluator.latest).await?;
    metadata
        .set_evaluator_block(project, id, None, now_ms())
        .await?;
    state.eval_triggers().forget(project);
    metadata
        .evaluator(project, id)
        .await?
        .ok_or_else(|| EvalError::NotFound("Evaluator not found".to_owned()))
}

pub async fn delete_evaluator(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<(), EvalError> {
    if !state
        .store()
        .metadata()
        .delete_evaluator(project, id)
        .await?
    {
        return Err(EvalError::NotFound("Evaluator not found".to_owned()));
    }
    state.eval_triggers().forget(project);
    Ok(())
}

/// The output definition of a stored version.
pub fn output_of(version: &EvaluatorVersion) -> Result<OutputDefinition, EvalError> {
    OutputDefinition::parse(&version.output_definition)
        .map_err(|e| invalid("invalid_body", format!("stored output definition: {e}")))
}
