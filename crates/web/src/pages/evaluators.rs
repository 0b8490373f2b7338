//! LLM-as-a-judge evaluators (`features.md` §2.11): the list with each evaluator's status
//! (paused with its reason, and reactivation), the gallery of managed templates, the editor
//! (prompt, output definition, model, default variable mapping; saving under the same name adds
//! a version), and its test panel, which runs the judge once on a chosen trace or observation
//! and shows the filled prompt, the scores and the reasoning without writing anything.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::ProjectScope;
use sightline_domain::eval::{Mapping, OutputDefinition, Source, managed_templates};
use sightline_domain::prompt::extract_variables;
use sightline_server::services::evals::EvalError;
use sightline_server::services::evals::evaluators::{self as service, EvaluatorInput};
use sightline_server::services::evals::execute::{self, JudgeError};
use sightline_store::Evaluator;

use crate::error::{WebError, WebResult};
use crate::pages::traces::trace_url;
use crate::pages::{Fields, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

pub fn evals_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "evals")
}

pub fn evaluator_url(access: &ProjectAccess, id: &str) -> String {
    format!("{}/{}", evals_url(access), urls::segment(id))
}

pub(crate) async fn access(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
    scope: ProjectScope,
) -> WebResult<ProjectAccess> {
    rbac::project_access(state.store(), &signed_in.user, project_id, scope).await
}

/// An evaluation error as the page shows it; store failures are the error page's.
pub(crate) fn message(error: EvalError) -> WebResult<String> {
    match error {
        EvalError::Store(error) => Err(error.into()),
        EvalError::Preflight { message, .. } => Ok(format!(
            "{message} Set the project's default evaluation model in Settings → LLM connections, or choose a connection and model."
        )),
        other => Ok(other.to_string()),
    }
}

pub struct EvaluatorRow {
    pub name: String,
    pub url: String,
    pub version: i64,
    pub data_type: &'static str,
    pub model: String,
    pub rules: u64,
    pub paused: Option<String>,
    pub updated: TimeView,
}

pub struct TemplateCard {
    pub name: String,
    pub category: String,
    pub description: String,
    pub output: &'static str,
    pub variables: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "evaluators.html")]
struct EvaluatorsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<EvaluatorRow>,
    templates: Vec<TemplateCard>,
    new_url: String,
    rules_url: String,
    executions_url: String,
    can_edit: bool,
}

fn model_text(evaluator: &Evaluator) -> String {
    match (&evaluator.latest.provider, &evaluator.latest.model) {
        (Some(provider), Some(model)) => format!("{provider} · {model}"),
        _ => "project default".to_owned(),
    }
}

fn data_type(definition: &Value) -> &'static str {
    OutputDefinition::parse(definition).map_or("?", |o| o.data_type().as_str())
}

/// `GET …/evals`.
pub async fn get_evaluators(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateRead,
    )
    .await?;
    let (evaluators, _) = state
        .store()
        .metadata()
        .list_evaluators(&access.project.id, 500, 0)
        .await?;
    let rows = evaluators
        .iter()
        .map(|e| EvaluatorRow {
            name: e.name.clone(),
            url: evaluator_url(&access, &e.id),
            version: e.latest.version,
            data_type: data_type(&e.latest.output_definition),
            model: model_text(e),
            rules: e.rule_count,
            paused: e.block_message.clone(),
            updated: time(e.updated_at),
        })
        .collect();
    let base = evals_url(&access);
    let templates = managed_templates()
        .iter()
        .map(|t| TemplateCard {
            name: t.name.clone(),
            category: t.category.clone(),
            description: t.description.clone(),
            output: t.output().data_type().as_str(),
            variables: extract_variables(&t.prompt).join(", "),
            url: format!("{base}/new?template={}", urls::segment(&t.key)),
        })
        .collect();
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "evals").await?;
    render(
        StatusCode::OK,
        &EvaluatorsPage {
            layout,
            rows,
            templates,
            new_url: format!("{base}/new"),
            rules_url: format!("{base}/rules"),
            executions_url: format!("{base}/executions"),
            can_edit: access.can(ProjectScope::EvalTemplateCud),
            access,
        },
    )
}

/// One variable's mapping row in the editor.
pub struct MappingRow {
    pub variable: String,
    pub source: String,
    pub json_path: String,
}

/// What the editor holds.
#[derive(Default)]
pub struct EditorForm {
    pub name: String,
    pub prompt: String,
    pub data_type: String,
    pub reasoning: String,
    pub score: String,
    pub min: String,
    pub max: String,
    pub categories: String,
    pub multiple: bool,
    pub provider: String,
    pub model: String,
    pub mapping: Vec<MappingRow>,
}

/// What a test run showed.
pub struct TestResult {
    pub prompt: String,
    pub reasoning: String,
    pub scores: Vec<String>,
    pub error: Option<String>,
    pub trace_url: String,
}

#[derive(Template)]
#[template(path = "evaluator.html")]
struct EditorPage {
    layout: Layout,
    access: ProjectAccess,
    form: EditorForm,
    /// The stored evaluator, when editing one.
    existing: Option<ExistingView>,
    sources: Vec<&'static str>,
    providers: Vec<String>,
    save_url: String,
    list_url: String,
    test: Option<TestResult>,
    test_trace: String,
    test_observation: String,
    notice: Option<String>,
    error: Option<String>,
    can_edit: bool,
}

pub struct ExistingView {
    pub id: String,
    pub version: i64,
    pub paused: Option<String>,
    pub reason: String,
    pub test_url: String,
    pub reactivate_url: String,
    pub delete_url: String,
    pub new_rule_url: String,
}

/// One row per variable, from the mapping where it names the variable (else from `input`).
pub(crate) fn rows_for(variables: &[String], mapping: &[Mapping]) -> Vec<MappingRow> {
    variables
        .iter()
        .map(|variable| {
            let known = mapping.iter().find(|m| &m.variable == variable);
            MappingRow {
                variable: variable.clone(),
                source: known.map_or("input", |m| m.source.as_str()).to_owned(),
                json_path: known.and_then(|m| m.json_path.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn form_of(name: &str, prompt: &str, output: &Value, mapping: &[Mapping]) -> EditorForm {
    let mut form = EditorForm {
        name: name.to_owned(),
        prompt: prompt.to_owned(),
        data_type: "NUMERIC".into(),
        mapping: rows_for(&extract_variables(prompt), mapping),
        ..EditorForm::default()
    };
    if let Ok(definition) = OutputDefinition::parse(output) {
        let public = definition.to_public();
        let text = |pointer: &str| {
            public
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let number = |pointer: &str| {
            public
                .pointer(pointer)
                .and_then(Value::as_f64)
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        form.data_type = definition.data_type().as_str().to_owned();
        form.reasoning = text("/reasoning/description");
        form.score = text("/score/description");
        form.min = number("/score/minValue");
        form.max = number("/score/maxValue");
        if let OutputDefinition::Categorical {
            categories,
            multiple,
            ..
        } = &definition
        {
            form.categories = categories.join("\n");
            form.multiple = *multiple;
        }
    }
    form
}

fn stored_mapping(evaluator: &Evaluator) -> Vec<Mapping> {
    evaluator
        .latest
        .mapping
        .as_ref()
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default()
}

/// The editor of a stored evaluator's latest version.
fn stored_editor(access: &ProjectAccess, evaluator: &Evaluator) -> EditorState {
    let mut form = form_of(
        &evaluator.name,
        &evaluator.latest.prompt,
        &evaluator.latest.output_definition,
        &stored_mapping(evaluator),
    );
    form.provider = evaluator.latest.provider.clone().unwrap_or_default();
    form.model = evaluator.latest.model.clone().unwrap_or_default();
    EditorState::of(form, Some(existing_view(access, evaluator)))
}

fn existing_view(access: &ProjectAccess, evaluator: &Evaluator) -> ExistingView {
    let url = evaluator_url(access, &evaluator.id);
    ExistingView {
        id: evaluator.id.clone(),
        version: evaluator.latest.version,
        paused: evaluator.block_message.clone(),
        reason: evaluator.block_reason.clone().unwrap_or_default(),
        test_url: format!("{url}/test"),
        reactivate_url: format!("{url}/reactivate"),
        delete_url: format!("{url}/delete"),
        new_rule_url: format!(
            "{}/rules/new?evaluator={}",
            evals_url(access),
            urls::segment(&evaluator.name)
        ),
    }
}

struct EditorState {
    form: EditorForm,
    existing: Option<ExistingView>,
    test: Option<TestResult>,
    test_trace: String,
    test_observation: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn editor_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    editor: EditorState,
) -> WebResult<Response> {
    let (connections, _) = state
        .store()
        .metadata()
        .list_llm_connections(&access.project.id, 100, 0)
        .await?;
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "evals").await?;
    let status = if editor.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &EditorPage {
            layout,
            form: editor.form,
            existing: editor.existing,
            sources: Source::ALL.iter().map(|s| s.as_str()).collect(),
            providers: connections.into_iter().map(|c| c.provider).collect(),
            save_url: evals_url(&access),
            list_url: evals_url(&access),
            test: editor.test,
            test_trace: editor.test_trace,
            test_observation: editor.test_observation,
            notice: editor.notice,
            error: editor.error,
            can_edit: access.can(ProjectScope::EvalTemplateCud),
            access,
        },
    )
}

impl EditorState {
    fn of(form: EditorForm, existing: Option<ExistingView>) -> EditorState {
        EditorState {
            form,
            existing,
            test: None,
            test_trace: String::new(),
            test_observation: String::new(),
            notice: None,
            error: None,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    template: Option<String>,
}

/// `GET …/evals/new[?template=KEY]`: the editor, blank or filled from a managed template.
pub async fn get_new_evaluator(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<NewQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateCud,
    )
    .await?;
    let template = query
        .template
        .as_deref()
        .and_then(|key| managed_templates().iter().find(|t| t.key == key));
    let form = match template {
        Some(t) => form_of(&t.name, &t.prompt, &t.output_definition, &t.mapping),
        None => EditorForm {
            data_type: "NUMERIC".into(),
            reasoning: "One sentence reasoning for the score".into(),
            score: "Score between 0 and 1. Score 0 if false or negative and 1 if true or positive"
                .into(),
            min: "0".into(),
            max: "1".into(),
            ..EditorForm::default()
        },
    };
    editor_page(
        &state,
        &signed_in,
        &csrf,
        access,
        EditorState::of(form, None),
    )
    .await
}

async fn stored(state: &WebState, access: &ProjectAccess, id: &str) -> WebResult<Evaluator> {
    state
        .store()
        .metadata()
        .evaluator(&access.project.id, id)
        .await?
        .ok_or(WebError::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET …/evals/{id}`: the editor of a stored evaluator with its test panel.
pub async fn get_evaluator(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    Query(query): Query<SavedQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateRead,
    )
    .await?;
    let evaluator = stored(&state, &access, &id).await?;
    let mut editor = stored_editor(&access, &evaluator);
    if query.saved.is_some() {
        editor.notice = Some(format!("Saved version {}.", evaluator.latest.version));
    }
    editor_page(&state, &signed_in, &csrf, access, editor).await
}

/// The mapping rows of a submitted form (`map_<variable>` and `path_<variable>` fields).
pub(crate) fn submitted_rows(fields: &Fields, variables: &[String]) -> Vec<MappingRow> {
    variables
        .iter()
        .map(|variable| MappingRow {
            source: fields
                .one(&format!("map_{variable}"))
                .unwrap_or_default()
                .to_owned(),
            json_path: fields
                .one(&format!("path_{variable}"))
                .unwrap_or_default()
                .trim()
                .to_owned(),
            variable: variable.clone(),
        })
        .collect()
}

/// The mapping of submitted rows, or which variable still needs a source.
pub(crate) fn mapping_of(rows: &[MappingRow]) -> Result<Vec<Mapping>, String> {
    rows.iter()
        .map(|row| {
            let source = Source::parse(&row.source).ok_or_else(|| {
                format!(
                    "Choose where {{{{{}}}}} comes from, then save again.",
                    row.variable
                )
            })?;
            Ok(Mapping {
                variable: row.variable.clone(),
                source,
                json_path: (!row.json_path.is_empty()).then(|| row.json_path.clone()),
            })
        })
        .collect()
}

/// The editor's fields as submitted.
fn submitted(fields: &Fields) -> EditorForm {
    let text = |name: &str| fields.one(name).unwrap_or_default().trim().to_owned();
    let prompt = fields.one("prompt").unwrap_or_default().to_owned();
    let mapping = submitted_rows(fields, &extract_variables(&prompt));
    EditorForm {
        name: text("name"),
        prompt,
        data_type: text("data_type"),
        reasoning: text("reasoning"),
        score: text("score"),
        min: text("min"),
        max: text("max"),
        categories: fields.one("categories").unwrap_or_default().to_owned(),
        multiple: fields.one("multiple").is_some(),
        provider: text("provider"),
        model: text("model"),
        mapping,
    }
}

/// The evaluator input of a submitted form, or what to fix.
fn input_of(form: &EditorForm) -> Result<EvaluatorInput, String> {
    let number = |raw: &str, what: &str| -> Result<Value, String> {
        if raw.is_empty() {
            return Ok(Value::Null);
        }
        raw.parse::<f64>()
            .map(|n| json!(n))
            .map_err(|_| format!("{what} must be a number"))
    };
    let categories: Vec<String> = form
        .categories
        .split(['\n', ','])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let output_definition = json!({
        "dataType": form.data_type,
        "reasoning": {"description": form.reasoning},
        "score": {
            "description": form.score,
            "minValue": number(&form.min, "The minimum")?,
            "maxValue": number(&form.max, "The maximum")?,
            "categories": categories,
            "shouldAllowMultipleMatches": form.multiple,
        },
    });
    let mapping = mapping_of(&form.mapping)?;
    let model = (!form.provider.is_empty()).then(|| (form.provider.clone(), form.model.clone()));
    if model.is_some() && form.model.is_empty() {
        return Err("Name the model of the chosen connection.".into());
    }
    Ok(EvaluatorInput {
        name: form.name.clone(),
        prompt: form.prompt.clone(),
        output_definition,
        model,
        model_params: None,
        mapping: Some(mapping),
    })
}

/// `POST …/evals`: creates an evaluator, or a new version of the one with this name.
pub async fn post_evaluator(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateCud,
    )
    .await?;
    let fields = Fields::parse(&body);
    let form = submitted(&fields);
    let existing = match fields.one("evaluator_id") {
        Some(id) => Some(existing_view(&access, &stored(&state, &access, id).await?)),
        None => None,
    };
    let outcome = match input_of(&form) {
        Ok(input) => service::save_evaluator(state.app(), &access.project.id, input)
            .await
            .map_err(message),
        Err(problem) => Err(Ok(problem)),
    };
    match outcome {
        Ok(evaluator) => Ok(see_other(&format!(
            "{}?saved=1",
            evaluator_url(&access, &evaluator.id)
        ))),
        Err(problem) => {
            let mut editor = EditorState::of(form, existing);
            editor.error = Some(problem?);
            editor_page(&state, &signed_in, &csrf, access, editor).await
        }
    }
}

/// `POST …/evals/{id}/test`: runs the judge once on a trace (or one of its observations) and
/// shows the verdict; nothing is written.
pub async fn post_test(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateCud,
    )
    .await?;
    let evaluator = stored(&state, &access, &id).await?;
    let fields = Fields::parse(&body);
    let trace_id = fields.one("trace_id").unwrap_or_default().trim().to_owned();
    let observation_id = fields
        .one("observation_id")
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let mut editor = stored_editor(&access, &evaluator);
    editor.test_trace = trace_id.clone();
    editor.test_observation = observation_id.clone().unwrap_or_default();
    let app = state.app();
    let target = match execute::load_target(
        app,
        &access.project.id,
        &trace_id,
        observation_id.as_deref(),
        None,
    )
    .await
    {
        Ok(target) => target,
        Err(error) => {
            editor.error = Some(message(error)?);
            return editor_page(&state, &signed_in, &csrf, access, editor).await;
        }
    };
    let Some(target) = target.filter(|_| !trace_id.is_empty()) else {
        editor.error = Some("No trace or observation with that id in this project.".into());
        return editor_page(&state, &signed_in, &csrf, access, editor).await;
    };
    let mapping = stored_mapping(&evaluator);
    let test_id = format!("test-{}", uuid::Uuid::new_v4());
    let result = match execute::judge(
        app,
        &access.project.id,
        &evaluator,
        &mapping,
        &target,
        &test_id,
    )
    .await
    {
        Ok(judged) => TestResult {
            prompt: judged.verdict.prompt,
            reasoning: judged.verdict.reasoning,
            scores: judged
                .verdict
                .scores
                .iter()
                .map(|s| match (&s.string_value, s.value) {
                    (Some(label), _) => format!("{}: {label}", s.name),
                    (None, Some(value)) => format!("{}: {value}", s.name),
                    (None, None) => s.name.clone(),
                })
                .collect(),
            error: None,
            trace_url: trace_url(&access, &target.trace_id),
        },
        Err(error) => {
            let text = match error {
                JudgeError::Pause(_, message)
                | JudgeError::Retryable(message)
                | JudgeError::Failed(message) => message,
                JudgeError::Store(error) => message(error)?,
            };
            TestResult {
                prompt: execute::fill_prompt(&evaluator, &mapping, &target).unwrap_or_default(),
                reasoning: String::new(),
                scores: Vec::new(),
                error: Some(text),
                trace_url: trace_url(&access, &target.trace_id),
            }
        }
    };
    editor.test = Some(result);
    editor_page(&state, &signed_in, &csrf, access, editor).await
}

/// `POST …/evals/{id}/reactivate`: clears a pause once the model can run.
pub async fn post_reactivate(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateCud,
    )
    .await?;
    match service::reactivate(state.app(), &access.project.id, &id).await {
        Ok(_) => Ok(see_other(&evaluator_url(&access, &id))),
        Err(EvalError::NotFound(_)) => Err(WebError::NotFound),
        Err(error) => {
            let evaluator = stored(&state, &access, &id).await?;
            let mut editor = stored_editor(&access, &evaluator);
            editor.error = Some(message(error)?);
            editor_page(&state, &signed_in, &csrf, access, editor).await
        }
    }
}

/// `POST …/evals/{id}/delete`: the evaluator, its versions and its rule assignments.
pub async fn post_delete(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalTemplateCud,
    )
    .await?;
    match service::delete_evaluator(state.app(), &access.project.id, &id).await {
        Ok(()) | Err(EvalError::NotFound(_)) => Ok(see_other(&evals_url(&access))),
        Err(error) => Err(WebError::BadRequest(message(error)?)),
    }
}
