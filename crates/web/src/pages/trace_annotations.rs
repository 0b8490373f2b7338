//! Annotating a trace from its page: a comment (`POST …/traces/{trace}/comments`) and a manual
//! score against a score config (`POST …/traces/{trace}/scores`), on the trace or one of its
//! observations. MEMBER and up (`comments:CUD`, `scores:CUD`); VIEWER is refused with 403 (and
//! is shown neither form). Both answer with a redirect back to the trace and the node.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::ProjectScope;
use sightline_domain::ingest::ScorePatch;
use sightline_domain::ingest::score::{ScoreBody, validate_score};
use sightline_domain::ingest::{ScoreDataType, ScoreSource};
use sightline_domain::time::now_ms;
use sightline_server::services::ingest::IngestionWrite;
use sightline_server::services::score_configs::apply_configs;
use sightline_store::{Comment, CommentObjectType, ScoreConfig, ScoreRow};

use crate::error::{WebError, WebResult};
use crate::pages::trace_detail::{back_to, load_observation, load_trace};
use crate::pages::{Form, non_empty, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::SignedIn;
use crate::state::WebState;

/// Langfuse's limit on a comment's length, in characters after trimming (as the API's).
const MAX_COMMENT_CHARS: usize = 5000;

#[derive(Deserialize)]
pub struct CommentForm {
    content: String,
    #[serde(default)]
    observation_id: Option<String>,
}

/// `POST …/traces/{trace}/comments`: a comment on the trace or one of its observations.
pub async fn post_trace_comment(
    State(state): State<WebState>,
    Path((project_id, trace_id)): Path<(String, String)>,
    signed_in: SignedIn,
    Form(form): Form<CommentForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::CommentsCud,
    )
    .await?;
    let trace = load_trace(&state, &access, &trace_id).await?;
    let observation_id = non_empty(form.observation_id.as_deref());
    let (object_type, object_id) = match observation_id {
        Some(id) => {
            load_observation(&state, &access, &trace.row.id, id).await?;
            (CommentObjectType::Observation, id.to_owned())
        }
        None => (CommentObjectType::Trace, trace.row.id.clone()),
    };
    add_comment(
        &state,
        &access.project.id,
        object_type,
        &object_id,
        &form.content,
        &signed_in,
    )
    .await?;
    tracing::info!(project.id = %access.project.id, trace.id = %trace.row.id, "comment added");
    Ok(see_other(&back_to(&access, &trace.row.id, observation_id)))
}

/// Stores a comment by the signed-in user on an object; its text (trimmed) must be 1 to
/// [`MAX_COMMENT_CHARS`] characters, as the API's.
pub(crate) async fn add_comment(
    state: &WebState,
    project: &ProjectId,
    object_type: CommentObjectType,
    object_id: &str,
    content: &str,
    signed_in: &SignedIn,
) -> WebResult<()> {
    let content = content.trim();
    let length = content.chars().count();
    if !(1..=MAX_COMMENT_CHARS).contains(&length) {
        return Err(WebError::BadRequest(format!(
            "A comment must be 1 to {MAX_COMMENT_CHARS} characters."
        )));
    }
    let now = now_ms();
    let comment = Comment {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.clone(),
        object_type,
        object_id: object_id.to_owned(),
        content: content.to_owned(),
        author_user_id: Some(signed_in.user.id.as_str().to_owned()),
        created_at: now,
        updated_at: now,
    };
    state.store().metadata().insert_comment(&comment).await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct ScoreForm {
    config_id: String,
    value: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    observation_id: Option<String>,
}

/// `POST …/traces/{trace}/scores`: a manual (ANNOTATION) score against a score config, checked
/// by the API's score rules and the config, written through the ingestion writer.
pub async fn post_trace_score(
    State(state): State<WebState>,
    Path((project_id, trace_id)): Path<(String, String)>,
    signed_in: SignedIn,
    Form(form): Form<ScoreForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoresCud,
    )
    .await?;
    let store = state.store();
    let project = &access.project.id;
    let trace = load_trace(&state, &access, &trace_id).await?;
    let observation_id = non_empty(form.observation_id.as_deref());
    if let Some(id) = observation_id {
        load_observation(&state, &access, &trace.row.id, id).await?;
    }
    let config = project_config(&state, project, &form.config_id).await?;
    let target = ScoreTarget {
        trace_id: Some(trace.row.id.clone()),
        observation_id: observation_id.map(str::to_owned),
        session_id: None,
        environment: trace.row.environment.clone(),
    };
    let scores = store.events().trace_scores(project, &trace.row.id).await?;
    let score = annotation_score(
        &target,
        &config,
        &form.value,
        non_empty(form.comment.as_deref()),
        None,
        existing_annotation(&scores, &config, observation_id),
    )?;
    submit_scores(&state, project, vec![score]).await?;
    tracing::info!(project.id = %access.project.id, trace.id = %trace.row.id, "manual score added");
    Ok(see_other(&back_to(&access, &trace.row.id, observation_id)))
}

/// `POST …/traces/{trace}/scores/{score}/delete`: deletes a manual (ANNOTATION) score of the
/// trace or one of its observations; scores from the API, SDKs and evaluators stay.
pub async fn post_delete_score(
    State(state): State<WebState>,
    Path((project_id, trace_id, score_id)): Path<(String, String, String)>,
    signed_in: SignedIn,
    Form(form): Form<DeleteScoreForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoresCud,
    )
    .await?;
    let project = &access.project.id;
    let trace = load_trace(&state, &access, &trace_id).await?;
    delete_annotation(&state, project, &score_id, |score| {
        score.trace_id.as_deref() == Some(trace.row.id.as_str())
    })
    .await?;
    tracing::info!(project.id = %project, trace.id = %trace.row.id, "manual score deleted");
    let observation_id = non_empty(form.observation_id.as_deref());
    Ok(see_other(&back_to(&access, &trace.row.id, observation_id)))
}

#[derive(Deserialize)]
pub struct DeleteScoreForm {
    #[serde(default)]
    observation_id: Option<String>,
}

/// The project's score config with this id (a form's choice).
async fn project_config(state: &WebState, project: &ProjectId, id: &str) -> WebResult<ScoreConfig> {
    state
        .store()
        .metadata()
        .score_configs_by_id(project, &[id.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| WebError::BadRequest("Choose a score config of this project.".into()))
}

/// Deletes a manual (ANNOTATION) score of the object `belongs` accepts; other sources are
/// refused, unknown scores are not found.
async fn delete_annotation(
    state: &WebState,
    project: &ProjectId,
    score_id: &str,
    belongs: impl Fn(&ScorePatch) -> bool,
) -> WebResult<()> {
    let events = state.store().events();
    let score = events
        .score(project, score_id)
        .await?
        .filter(|row| belongs(&row.score))
        .ok_or(WebError::NotFound)?;
    if score.score.source != ScoreSource::Annotation {
        return Err(WebError::BadRequest(
            "Only manual annotations can be deleted here.".into(),
        ));
    }
    events.delete_score(project, score_id).await?;
    Ok(())
}

/// The session's scores, for the annotation a new manual score replaces.
async fn session_scores(
    state: &WebState,
    project: &ProjectId,
    session_id: &str,
) -> WebResult<Vec<ScoreRow>> {
    let (scores, _) = state
        .store()
        .events()
        .list_scores(
            project,
            &sightline_store::ScoreQuery {
                session_ids: vec![session_id.to_owned()],
                limit: 100,
                ..sightline_store::ScoreQuery::default()
            },
        )
        .await?;
    Ok(scores.into_iter().map(|s| s.score).collect())
}

/// `POST …/sessions/{session}/scores`: a manual (ANNOTATION) score of the session against a
/// score config; scoring the same config again edits it.
pub async fn post_session_score(
    State(state): State<WebState>,
    Path((project_id, session_id)): Path<(String, String)>,
    signed_in: SignedIn,
    Form(form): Form<ScoreForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoresCud,
    )
    .await?;
    let project = &access.project.id;
    let (sessions, _) = state
        .store()
        .events()
        .list_sessions(
            project,
            &sightline_store::SessionQuery {
                id: Some(session_id.clone()),
                limit: 1,
                ..sightline_store::SessionQuery::default()
            },
        )
        .await?;
    let session = sessions.into_iter().next().ok_or(WebError::NotFound)?;
    let config = project_config(&state, project, &form.config_id).await?;
    let target = ScoreTarget {
        trace_id: None,
        observation_id: None,
        session_id: Some(session_id.clone()),
        environment: session.environment.clone(),
    };
    let scores = session_scores(&state, project, &session_id).await?;
    let score = annotation_score(
        &target,
        &config,
        &form.value,
        non_empty(form.comment.as_deref()),
        None,
        existing_annotation(&scores, &config, None),
    )?;
    submit_scores(&state, project, vec![score]).await?;
    tracing::info!(project.id = %project, "manual session score added");
    Ok(see_other(&session_url(&access, &session_id)))
}

/// `POST …/sessions/{session}/scores/{score}/delete`: deletes a manual score of the session.
pub async fn post_delete_session_score(
    State(state): State<WebState>,
    Path((project_id, session_id, score_id)): Path<(String, String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoresCud,
    )
    .await?;
    let project = &access.project.id;
    delete_annotation(&state, project, &score_id, |score| {
        score.session_id.as_deref() == Some(session_id.as_str())
    })
    .await?;
    Ok(see_other(&session_url(&access, &session_id)))
}

fn session_url(access: &ProjectAccess, session_id: &str) -> String {
    format!(
        "{}/{}",
        crate::urls::project_section(&access.project.id, "sessions"),
        crate::urls::segment(session_id)
    )
}

/// What a manual score is about: a trace (and one of its observations), or a session.
pub(crate) struct ScoreTarget {
    pub trace_id: Option<String>,
    pub observation_id: Option<String>,
    pub session_id: Option<String>,
    pub environment: String,
}

/// The typed value of `raw` for `config`, or a message for the form.
fn annotation_value(config: &ScoreConfig, raw: &str) -> WebResult<serde_json::Value> {
    let raw = raw.trim();
    Ok(match config.data_type {
        ScoreDataType::Numeric => json!(
            raw.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| WebError::BadRequest(format!(
                    "{}: expected a number",
                    config.name
                )))?
        ),
        ScoreDataType::Boolean => match raw.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => json!(1),
            "0" | "false" | "no" => json!(0),
            _ => {
                return Err(WebError::BadRequest(format!(
                    "{}: expected true or false",
                    config.name
                )));
            }
        },
        _ => json!(raw),
    })
}

/// The id of an annotation of `config` among `scores` (a trace's) on the same observation (or
/// the trace itself): a new one replaces it rather than repeating it, as Langfuse updates it.
pub(crate) fn existing_annotation(
    scores: &[ScoreRow],
    config: &ScoreConfig,
    observation_id: Option<&str>,
) -> Option<String> {
    scores
        .iter()
        .find(|row| {
            row.score.source == ScoreSource::Annotation
                && row.score.config_id.as_deref() == Some(config.id.as_str())
                && row.score.observation_id.as_deref() == observation_id
        })
        .map(|row| row.score.id.clone())
}

/// A manual (ANNOTATION) score of `config` on `target` with the API's score rules checked
/// (`existing` is the id of the annotation it replaces; `queue_id` marks scores given in an
/// annotation queue). The config's own rules are checked when it is submitted.
pub(crate) fn annotation_score(
    target: &ScoreTarget,
    config: &ScoreConfig,
    raw: &str,
    comment: Option<&str>,
    queue_id: Option<&str>,
    existing: Option<String>,
) -> WebResult<ScorePatch> {
    let body = ScoreBody {
        id: existing,
        name: config.name.clone(),
        value: annotation_value(config, raw)?,
        trace_id: target.trace_id.clone(),
        session_id: target.session_id.clone(),
        dataset_run_id: None,
        observation_id: target.observation_id.clone(),
        environment: Some(target.environment.clone()),
        comment: comment.map(str::to_owned),
        metadata: None,
        source: Some(ScoreSource::Annotation),
        execution_trace_id: None,
        queue_id: queue_id.map(str::to_owned),
        data_type: Some(config.data_type),
        config_id: Some(config.id.clone()),
        timestamp: None,
    };
    validate_score(body, now_ms()).map_err(WebError::BadRequest)
}

/// Checks the scores against their configs (all of them before any is written, so a refused
/// one saves nothing) and writes them through the ingestion writer in one write.
pub(crate) async fn submit_scores(
    state: &WebState,
    project: &ProjectId,
    scores: Vec<ScorePatch>,
) -> WebResult<()> {
    if scores.is_empty() {
        return Ok(());
    }
    let mut write = IngestionWrite::new(project.clone());
    for checked in apply_configs(state.store(), project, scores).await? {
        write
            .scores
            .push(checked.map_err(|rejection| WebError::BadRequest(rejection.message))?);
    }
    state
        .app()
        .writer()
        .submit(write, 1024)
        .await
        .map_err(WebError::internal)?;
    Ok(())
}
