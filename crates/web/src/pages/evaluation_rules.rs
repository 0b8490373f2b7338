//! Evaluation rules and the execution log (`features.md` §2.11): the rules table (status,
//! target, evaluators, filter, sampling, delay, counts, cost over seven days, the last five
//! runs), the rule form (target, evaluator and its variable mapping, filter in the standard
//! filter shape, sampling, delay, new and/or existing data), switching a rule on and off,
//! running it over existing data, and the log of executions with links to the evaluated trace
//! and to the judge call's trace; jobs that failed for good are listed with their error.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use sightline_domain::ProjectScope;
use sightline_domain::eval::{ExecutionStatus, Mapping, Source, Target};
use sightline_domain::time::now_ms;
use sightline_server::services::evals::rules::{
    self as service, AssignmentInput, DEFAULT_DELAY_MS, EXISTING, NEW, RuleInput,
};
use sightline_server::services::evals::{EvalError, evaluators};
use sightline_server::services::worker::JOB_KINDS;
use sightline_store::{EvaluationRule, Evaluator, ExecutionQuery, JobStatus};

use crate::error::{WebError, WebResult};
use crate::pages::evaluators::{
    MappingRow, access, evals_url, evaluator_url, mapping_of, message, rows_for, submitted_rows,
};
use crate::pages::traces::trace_url;
use crate::pages::{Fields, render, see_other};
use crate::rbac::ProjectAccess;
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
const PAGE: u64 = 50;

fn rules_url(access: &ProjectAccess) -> String {
    format!("{}/rules", evals_url(access))
}

fn rule_url(access: &ProjectAccess, id: &str) -> String {
    format!("{}/{}", rules_url(access), urls::segment(id))
}

fn executions_url(access: &ProjectAccess) -> String {
    format!("{}/executions", evals_url(access))
}

pub struct RuleRow {
    pub name: String,
    pub edit_url: String,
    pub log_url: String,
    pub toggle_url: String,
    pub backfill_url: String,
    pub delete_url: String,
    pub enabled: bool,
    pub status: &'static str,
    pub paused: Option<String>,
    pub target: String,
    pub evaluators: Vec<(String, String)>,
    pub filter: String,
    pub sampling: String,
    pub delay: String,
    pub scope: String,
    pub pending: u64,
    pub completed: u64,
    pub errors: u64,
    pub cost: String,
    pub last: Vec<&'static str>,
    pub can_backfill: bool,
}

#[derive(Template)]
#[template(path = "evaluation_rules.html")]
struct RulesPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<RuleRow>,
    new_url: String,
    evals_url: String,
    executions_url: String,
    can_edit: bool,
}

fn filter_text(filter: &Value) -> String {
    filter
        .as_array()
        .map(|conditions| {
            conditions
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {}",
                        c["column"].as_str().unwrap_or("?"),
                        c["operator"].as_str().unwrap_or("?"),
                        c["value"]
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// `GET …/evals/rules`.
pub async fn get_rules(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::EvalJobRead).await?;
    let metadata = state.store().metadata();
    let rules = metadata.rules(&access.project.id).await?;
    let evaluators = evaluators::all(state.store(), &access.project.id).await?;
    let stats = metadata
        .rule_stats(&access.project.id, now_ms() - WEEK_MS)
        .await?;
    let rows = rules
        .iter()
        .map(|rule| {
            let stat = stats
                .iter()
                .find(|s| s.rule_id == rule.id)
                .cloned()
                .unwrap_or_default();
            let paused =
                service::paused_by(rule, &evaluators).and_then(|e| e.block_message.clone());
            let status = match (rule.enabled, &paused) {
                (false, _) => "inactive",
                (true, Some(_)) => "paused",
                (true, None)
                    if rule.time_scope == [EXISTING]
                        && stat.pending == 0
                        && stat.completed + stat.errors > 0 =>
                {
                    "finished"
                }
                (true, None) => "active",
            };
            let url = rule_url(&access, &rule.id);
            RuleRow {
                name: rule.name.clone(),
                edit_url: url.clone(),
                log_url: format!(
                    "{}?rule={}",
                    executions_url(&access),
                    urls::segment(&rule.id)
                ),
                toggle_url: format!("{url}/toggle"),
                backfill_url: format!("{url}/backfill"),
                delete_url: format!("{url}/delete"),
                enabled: rule.enabled,
                status,
                paused,
                target: rule.target.clone(),
                evaluators: rule
                    .evaluators
                    .iter()
                    .map(|a| {
                        (
                            a.evaluator_name.clone(),
                            evaluator_url(&access, &a.evaluator_id),
                        )
                    })
                    .collect(),
                filter: filter_text(&rule.filter),
                sampling: format!("{}%", (rule.sampling * 100.0 * 100.0).round() / 100.0),
                delay: format!("{} s", rule.delay_ms as f64 / 1000.0),
                scope: rule.time_scope.join(" + "),
                pending: stat.pending,
                completed: stat.completed,
                errors: stat.errors,
                cost: format!("${:.4}", stat.cost),
                last: stat.last.iter().map(|s| s.as_str()).collect(),
                can_backfill: rule.target != Target::Experiment.as_str(),
            }
        })
        .collect();
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "evals").await?;
    render(
        StatusCode::OK,
        &RulesPage {
            layout,
            rows,
            new_url: format!("{}/new", rules_url(&access)),
            evals_url: evals_url(&access),
            executions_url: executions_url(&access),
            can_edit: access.can(ProjectScope::EvalJobCud),
            access,
        },
    )
}

#[derive(Default)]
pub struct RuleForm {
    pub name: String,
    pub target: String,
    pub evaluator: String,
    pub mapping: Vec<MappingRow>,
    pub filter: String,
    pub sampling: String,
    pub delay: String,
    pub new: bool,
    pub existing: bool,
    pub enabled: bool,
}

#[derive(Template)]
#[template(path = "evaluation_rule.html")]
struct RulePage {
    layout: Layout,
    access: ProjectAccess,
    form: RuleForm,
    evaluators: Vec<String>,
    targets: Vec<&'static str>,
    sources: Vec<&'static str>,
    form_url: String,
    save_url: String,
    rules_url: String,
    editing: bool,
    error: Option<String>,
}

fn mapping_rows(evaluator: Option<&Evaluator>, own: Option<&Value>) -> Vec<MappingRow> {
    let Some(evaluator) = evaluator else {
        return Vec::new();
    };
    let mapping: Vec<Mapping> = own
        .or(evaluator.latest.mapping.as_ref())
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    rows_for(&evaluator.latest.variables, &mapping)
}

async fn rule_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: RuleForm,
    editing: Option<&str>,
    error: Option<String>,
) -> WebResult<Response> {
    let evaluators = evaluators::all(state.store(), &access.project.id).await?;
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "evals").await?;
    let (form_url, save_url) = match editing {
        Some(id) => (rule_url(&access, id), rule_url(&access, id)),
        None => (format!("{}/new", rules_url(&access)), rules_url(&access)),
    };
    render(
        if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        &RulePage {
            layout,
            form,
            evaluators: evaluators.into_iter().map(|e| e.name).collect(),
            targets: vec![
                Target::Trace.as_str(),
                Target::Observation.as_str(),
                Target::Experiment.as_str(),
            ],
            sources: Source::ALL.iter().map(|s| s.as_str()).collect(),
            form_url,
            save_url,
            rules_url: rules_url(&access),
            editing: editing.is_some(),
            error,
            access,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct RuleFormQuery {
    #[serde(default)]
    evaluator: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// `GET …/evals/rules/new[?evaluator=NAME&target=T]`: the form; choosing an evaluator (a GET
/// of this page) shows its variables to map.
pub async fn get_new_rule(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<RuleFormQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::EvalJobCud).await?;
    let evaluator = match query.evaluator.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => {
            state
                .store()
                .metadata()
                .evaluator_by_name(&access.project.id, name)
                .await?
        }
        None => None,
    };
    let target = query.target.unwrap_or_else(|| "trace".into());
    let form = RuleForm {
        name: query
            .name
            .or_else(|| {
                evaluator
                    .as_ref()
                    .map(|e| format!("{} on {target}s", e.name))
            })
            .unwrap_or_default(),
        delay: if target == "trace" {
            (DEFAULT_DELAY_MS / 1000).to_string()
        } else {
            "0".into()
        },
        target,
        evaluator: evaluator
            .as_ref()
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        mapping: mapping_rows(evaluator.as_ref(), None),
        filter: "[]".into(),
        sampling: "1".into(),
        new: true,
        existing: false,
        enabled: true,
    };
    rule_page(&state, &signed_in, &csrf, access, form, None, None).await
}

/// `GET …/evals/rules/{id}`: the form of a stored rule.
pub async fn get_rule(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(&state, &signed_in, &project_id, ProjectScope::EvalJobRead).await?;
    let metadata = state.store().metadata();
    let rule = metadata
        .rule(&access.project.id, &id)
        .await?
        .ok_or(WebError::NotFound)?;
    let assignment = rule.evaluators.first();
    let evaluator = match assignment {
        Some(a) => {
            metadata
                .evaluator(&access.project.id, &a.evaluator_id)
                .await?
        }
        None => None,
    };
    let form = form_of(&rule, evaluator.as_ref());
    rule_page(&state, &signed_in, &csrf, access, form, Some(&id), None).await
}

fn form_of(rule: &EvaluationRule, evaluator: Option<&Evaluator>) -> RuleForm {
    RuleForm {
        name: rule.name.clone(),
        target: rule.target.clone(),
        evaluator: evaluator.map(|e| e.name.clone()).unwrap_or_default(),
        mapping: mapping_rows(
            evaluator,
            rule.evaluators.first().and_then(|a| a.mapping.as_ref()),
        ),
        filter: serde_json::to_string_pretty(&rule.filter).unwrap_or_else(|_| "[]".into()),
        sampling: rule.sampling.to_string(),
        delay: (rule.delay_ms as f64 / 1000.0).to_string(),
        new: rule.time_scope.iter().any(|s| s == NEW),
        existing: rule.time_scope.iter().any(|s| s == EXISTING),
        enabled: rule.enabled,
    }
}

fn submitted(fields: &Fields, evaluator: Option<&Evaluator>) -> RuleForm {
    let text = |name: &str| fields.one(name).unwrap_or_default().trim().to_owned();
    let mapping = evaluator
        .map(|e| submitted_rows(fields, &e.latest.variables))
        .unwrap_or_default();
    RuleForm {
        name: text("name"),
        target: text("target"),
        evaluator: text("evaluator"),
        mapping,
        filter: text("filter"),
        sampling: text("sampling"),
        delay: text("delay"),
        new: fields.one("run_new").is_some(),
        existing: fields.one("run_existing").is_some(),
        enabled: fields.one("enabled").is_some(),
    }
}

fn input_of(form: &RuleForm) -> Result<RuleInput, String> {
    let target = Target::parse(&form.target).ok_or("Choose what to evaluate.")?;
    if form.evaluator.is_empty() {
        return Err("Choose an evaluator.".into());
    }
    let sampling: f64 = form
        .sampling
        .parse()
        .map_err(|_| "Sampling must be a number between 0 and 1.")?;
    let delay: f64 = if form.delay.is_empty() {
        0.0
    } else {
        form.delay
            .parse()
            .map_err(|_| "The delay must be a number of seconds.")?
    };
    let filter: Value = if form.filter.is_empty() {
        Value::Array(Vec::new())
    } else {
        serde_json::from_str(&form.filter).map_err(|e| format!("The filter is not JSON: {e}"))?
    };
    let mapping = mapping_of(&form.mapping)?;
    let mut time_scope = Vec::new();
    if form.new {
        time_scope.push(NEW.to_owned());
    }
    if form.existing {
        time_scope.push(EXISTING.to_owned());
    }
    Ok(RuleInput {
        name: form.name.clone(),
        target,
        enabled: form.enabled,
        sampling,
        filter,
        delay_ms: (delay * 1000.0).round() as i64,
        time_scope,
        evaluators: vec![AssignmentInput {
            name: form.evaluator.clone(),
            mapping: Some(mapping),
        }],
    })
}

async fn save(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    project_id: &str,
    editing: Option<&str>,
    body: &str,
) -> WebResult<Response> {
    let access = access(state, signed_in, project_id, ProjectScope::EvalJobCud).await?;
    let fields = Fields::parse(body);
    let evaluator = match fields.one("evaluator") {
        Some(name) => {
            state
                .store()
                .metadata()
                .evaluator_by_name(&access.project.id, name)
                .await?
        }
        None => None,
    };
    let form = submitted(&fields, evaluator.as_ref());
    let result = match input_of(&form) {
        Ok(input) => {
            let app = state.app();
            let saved = match editing {
                Some(id) => service::update_rule(app, &access.project.id, id, input).await,
                None => service::create_rule(app, &access.project.id, input).await,
            };
            saved.map_err(message)
        }
        Err(problem) => Err(Ok(problem)),
    };
    match result {
        Ok(_) => Ok(see_other(&rules_url(&access))),
        Err(problem) => {
            let problem = problem?;
            rule_page(state, signed_in, csrf, access, form, editing, Some(problem)).await
        }
    }
}

/// `POST …/evals/rules`: creates a rule.
pub async fn post_rule(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    save(&state, &signed_in, &csrf, &project_id, None, &body).await
}

/// `POST …/evals/rules/{id}`: replaces a rule's settings.
pub async fn post_rule_update(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    save(&state, &signed_in, &csrf, &project_id, Some(&id), &body).await
}

/// What the rules table's buttons do to a rule.
enum Action {
    Toggle,
    Backfill,
    Delete,
}

async fn act(
    state: &WebState,
    signed_in: &SignedIn,
    project_id: &str,
    id: &str,
    action: Action,
) -> WebResult<Response> {
    let access = access(state, signed_in, project_id, ProjectScope::EvalJobCud).await?;
    let app = state.app();
    let project = &access.project.id;
    let result = match action {
        Action::Toggle => match service::fetch(app, project, id).await {
            Ok(rule) => {
                let mut input = service::input_of(&rule);
                input.enabled = !rule.enabled;
                service::update_rule(app, project, id, input)
                    .await
                    .map(|_| ())
            }
            Err(error) => Err(error),
        },
        Action::Backfill => service::run_backfill(app, project, id).await,
        Action::Delete => service::delete_rule(app, project, id).await,
    };
    match result {
        Ok(()) => Ok(see_other(&rules_url(&access))),
        Err(EvalError::NotFound(_)) => Err(WebError::NotFound),
        Err(error) => Err(WebError::BadRequest(message(error)?)),
    }
}

/// `POST …/evals/rules/{id}/toggle`: switches a rule on or off (switching on checks that its
/// evaluators can run).
pub async fn post_toggle(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    act(&state, &signed_in, &project_id, &id, Action::Toggle).await
}

/// `POST …/evals/rules/{id}/backfill`: evaluates existing data now; targets already evaluated
/// are not evaluated again.
pub async fn post_backfill(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    act(&state, &signed_in, &project_id, &id, Action::Backfill).await
}

/// `POST …/evals/rules/{id}/delete`.
pub async fn post_delete(
    State(state): State<WebState>,
    Path((project_id, id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    act(&state, &signed_in, &project_id, &id, Action::Delete).await
}

pub struct ExecutionRow {
    pub status: &'static str,
    pub created: TimeView,
    pub ended: Option<TimeView>,
    pub evaluator: String,
    pub evaluator_url: String,
    pub rule: String,
    pub score: String,
    pub comment: String,
    pub error: String,
    pub target_url: String,
    pub target: String,
    pub execution_url: Option<String>,
}

pub struct DeadJob {
    pub kind: String,
    pub error: String,
    pub attempts: i64,
    pub updated: TimeView,
}

#[derive(Template)]
#[template(path = "evaluation_executions.html")]
struct ExecutionsPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<ExecutionRow>,
    dead: Vec<DeadJob>,
    statuses: Vec<&'static str>,
    status: String,
    rule: String,
    rules: Vec<(String, String)>,
    page_url: String,
    previous: Option<String>,
    next: Option<String>,
    total: u64,
    evals_url: String,
    rules_url: String,
}

#[derive(Debug, Deserialize)]
pub struct ExecutionsQuery {
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

/// `GET …/evals/executions[?rule=&status=&page=]`.
pub async fn get_executions(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    Query(query): Query<ExecutionsQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = access(
        &state,
        &signed_in,
        &project_id,
        ProjectScope::EvalJobExecutionRead,
    )
    .await?;
    let metadata = state.store().metadata();
    let rule = query.rule.filter(|r| !r.is_empty());
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(ExecutionStatus::parse);
    let page = query.page.unwrap_or(1).max(1);
    let execution_query = ExecutionQuery {
        rule_id: rule.clone(),
        status,
        ..ExecutionQuery::default()
    };
    let (executions, total) = metadata
        .list_executions(
            &access.project.id,
            &execution_query,
            PAGE,
            (page - 1) * PAGE,
        )
        .await?;
    let rules = metadata.rules(&access.project.id).await?;
    let evaluators = evaluators::all(state.store(), &access.project.id).await?;
    let rows = executions
        .iter()
        .map(|e| {
            let evaluator = evaluators.iter().find(|v| v.id == e.evaluator_id);
            let score = match (&e.score_string, e.score_value) {
                (Some(label), _) => label.clone(),
                (None, Some(value)) => value.to_string(),
                _ => String::new(),
            };
            let target = match &e.observation_id {
                Some(observation) => format!("{} › {observation}", e.trace_id),
                None => e.trace_id.clone(),
            };
            ExecutionRow {
                status: e.status.as_str(),
                created: time(e.created_at),
                ended: e.end_time.map(time),
                evaluator: evaluator
                    .map(|v| v.name.clone())
                    .unwrap_or_else(|| "(deleted)".into()),
                evaluator_url: evaluator_url(&access, &e.evaluator_id),
                rule: rules
                    .iter()
                    .find(|r| r.id == e.rule_id)
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| "(deleted)".into()),
                score,
                comment: e.score_comment.clone().unwrap_or_default(),
                error: e.error.clone().unwrap_or_default(),
                target_url: trace_url(&access, &e.trace_id),
                target,
                execution_url: e
                    .execution_trace_id
                    .as_deref()
                    .map(|t| trace_url(&access, t)),
            }
        })
        .collect();
    let (dead_jobs, _) = metadata
        .list_jobs(&access.project.id, None, Some(JobStatus::Dead), 20, 0)
        .await?;
    let dead = dead_jobs
        .into_iter()
        .filter(|j| JOB_KINDS.contains(&j.kind.as_str()))
        .map(|j| DeadJob {
            kind: j.kind,
            error: j.last_error.unwrap_or_default(),
            attempts: j.attempts,
            updated: time(j.updated_at),
        })
        .collect();
    let base = executions_url(&access);
    let link = |page: u64| {
        let mut url = format!("{base}?page={page}");
        if let Some(rule) = &rule {
            url.push_str(&format!("&rule={}", urls::segment(rule)));
        }
        if let Some(status) = status {
            url.push_str(&format!("&status={}", status.as_str()));
        }
        url
    };
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "evals").await?;
    render(
        StatusCode::OK,
        &ExecutionsPage {
            layout,
            rows,
            dead,
            statuses: vec!["PENDING", "DELAYED", "COMPLETED", "ERROR", "CANCELLED"],
            status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            rule: rule.clone().unwrap_or_default(),
            rules: rules
                .iter()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect(),
            page_url: base.clone(),
            previous: (page > 1).then(|| link(page - 1)),
            next: (page * PAGE < total).then(|| link(page + 1)),
            total,
            evals_url: evals_url(&access),
            rules_url: rules_url(&access),
            access,
        },
    )
}
