//! A trace's page (`/ui/project/{project}/traces/{trace}`): its own input, output, metadata,
//! tags, scores and comments, then the observation tree with a timeline of duration bars, built
//! from payload-free outlines so that a trace of 20,000 observations opens quickly. Opening a
//! node fetches its payload (`…/observations/{id}`) as an htmx fragment; without JavaScript the
//! same URL leads to the page with that node open. The comment and score forms shown to MEMBER
//! and up post to `trace_annotations.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sightline_domain::ingest::ObservationType;
use sightline_domain::{ProjectScope, UserId};
use sightline_store::{
    CommentObjectType, CommentQuery, ObservationOutline, ScoreConfig, ScoreRow, StoredObservation,
    StoredTrace,
};

use crate::error::{WebError, WebResult};
use crate::pages::payload::{self, Payload};
use crate::pages::trace_tree::{TreeNode, tree};
use crate::pages::traces::{
    LinkText, Totals, dollars, seconds, session_link, totals, trace_url, user_link,
};
use crate::pages::{annotation_queues, datasets};
use crate::pages::{page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

pub struct ScoreView {
    pub id: String,
    /// A manual score: the score form's users may delete it.
    pub annotation: bool,
    pub name: String,
    pub value: String,
    pub source: &'static str,
    pub comment: String,
    pub time: TimeView,
}

pub struct CommentView {
    pub content: String,
    pub author: String,
    pub time: TimeView,
}

/// What the comment and score forms need.
pub struct Forms {
    pub csrf: String,
    pub can_comment: bool,
    pub can_score: bool,
    pub comment_url: String,
    pub score_url: String,
    /// `(config id, label)` of the active score configs.
    pub configs: Vec<(String, String)>,
    /// The observation the forms are about (`None`: the trace).
    pub observation_id: Option<String>,
    pub trace_id: String,
    /// `(id, name)` of the annotation queues the trace or observation can be added to (none
    /// without `annotationQueues:CUD`), and where that form posts.
    pub queues: Vec<(String, String)>,
    pub queue_url: String,
    /// `(id, name)` of the datasets it can be added to (none without `datasets:CUD`), and where
    /// that form posts.
    pub datasets: Vec<(String, String)>,
    pub dataset_url: String,
}

/// An opened observation.
pub struct NodeDetail {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub start: TimeView,
    pub end: Option<TimeView>,
    pub latency: String,
    pub model: String,
    pub model_parameters: Payload,
    /// "Open in playground" for a generation, when the viewer may run the playground.
    pub playground_url: Option<String>,
    pub usage: Vec<(String, String)>,
    pub cost: Vec<(String, String)>,
    pub total_cost: String,
    pub level: &'static str,
    pub status_message: String,
    pub input: Payload,
    pub output: Payload,
    pub metadata: Payload,
    pub scores: Vec<ScoreView>,
    pub comments: Vec<CommentView>,
    pub forms: Forms,
}

pub struct TraceHeader {
    pub id: String,
    pub name: String,
    pub time: TimeView,
    pub user: Option<LinkText>,
    pub session: Option<LinkText>,
    pub environment: String,
    pub release: String,
    pub version: String,
    pub tags: Vec<String>,
    pub totals: Totals,
    pub input: Payload,
    pub output: Payload,
    pub metadata: Payload,
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    layout: Layout,
    access: ProjectAccess,
    traces_url: String,
    /// The tree's root node: the trace's own detail.
    summary_url: String,
    trace: TraceHeader,
    nodes: Vec<TreeNode>,
    scores: Vec<ScoreView>,
    comments: Vec<CommentView>,
    forms: Forms,
    selected: Option<NodeDetail>,
}

#[derive(Template)]
#[template(path = "trace_summary_partial.html")]
struct SummaryPartial {
    trace: TraceHeader,
    scores: Vec<ScoreView>,
    comments: Vec<CommentView>,
    forms: Forms,
}

#[derive(Template)]
#[template(path = "trace_observation_partial.html")]
struct ObservationPartial {
    detail: NodeDetail,
}

pub(crate) fn score_views(scores: &[&ScoreRow]) -> Vec<ScoreView> {
    scores
        .iter()
        .map(|row| {
            let score = &row.score;
            ScoreView {
                id: score.id.clone(),
                annotation: score.source == sightline_domain::ingest::ScoreSource::Annotation,
                name: score.name.clone(),
                value: match (&score.string_value, score.value) {
                    (Some(text), _) => text.clone(),
                    (None, Some(value)) => value.to_string(),
                    (None, None) => String::new(),
                },
                source: score.source.as_str(),
                comment: score.comment.clone().unwrap_or_default(),
                time: time(score.timestamp),
            }
        })
        .collect()
}

async fn comment_views(
    state: &WebState,
    access: &ProjectAccess,
    object_type: CommentObjectType,
    object_id: &str,
) -> WebResult<Vec<CommentView>> {
    let query = CommentQuery {
        object_type: Some(object_type),
        object_id: Some(object_id.to_owned()),
        limit: 200,
        ..CommentQuery::default()
    };
    let (mut comments, _) = state
        .store()
        .metadata()
        .list_comments(&access.project.id, &query)
        .await?;
    comments.reverse();
    let mut authors: HashMap<String, String> = HashMap::new();
    let mut views = Vec::with_capacity(comments.len());
    for comment in comments {
        let author = match &comment.author_user_id {
            None => "API".to_owned(),
            Some(id) => match authors.get(id) {
                Some(email) => email.clone(),
                None => {
                    let email = match UserId::parse(id) {
                        Ok(user) => state
                            .store()
                            .metadata()
                            .user(&user)
                            .await?
                            .map(|u| u.email.to_string()),
                        Err(_) => None,
                    }
                    .unwrap_or_else(|| "a former member".into());
                    authors.insert(id.clone(), email.clone());
                    email
                }
            },
        };
        views.push(CommentView {
            content: comment.content,
            author,
            time: time(comment.created_at),
        });
    }
    Ok(views)
}

async fn forms(
    state: &WebState,
    access: &ProjectAccess,
    csrf: &CsrfToken,
    trace_id: &str,
    observation_id: Option<&str>,
) -> WebResult<Forms> {
    let can_score = access.can(ProjectScope::ScoresCud);
    let configs = config_choices(state, access).await?;
    let base = trace_url(access, trace_id);
    Ok(Forms {
        csrf: csrf.0.clone(),
        can_comment: access.can(ProjectScope::CommentsCud),
        can_score,
        comment_url: format!("{base}/comments"),
        score_url: format!("{base}/scores"),
        configs,
        observation_id: observation_id.map(str::to_owned),
        trace_id: trace_id.to_owned(),
        queues: annotation_queues::queue_choices(state, access).await?,
        queue_url: annotation_queues::add_url(access),
        datasets: datasets::dataset_choices(state, access).await?,
        dataset_url: datasets::add_url(access),
    })
}

/// `(id, label)` of the active score configs the manual scoring forms offer (none without
/// `scores:CUD`).
pub(crate) async fn config_choices(
    state: &WebState,
    access: &ProjectAccess,
) -> WebResult<Vec<(String, String)>> {
    if !access.can(ProjectScope::ScoresCud) {
        return Ok(Vec::new());
    }
    let (configs, _) = state
        .store()
        .metadata()
        .list_score_configs(&access.project.id, 200, 0)
        .await?;
    Ok(configs
        .iter()
        .filter(|config| !config.is_archived)
        .map(|config| (config.id.clone(), config_label(config)))
        .collect())
}

/// A config as the score form offers it: name, type and what values it takes.
fn config_label(config: &ScoreConfig) -> String {
    let accepts = match (&config.categories, config.min_value, config.max_value) {
        (Some(categories), _, _) if !categories.is_empty() => categories
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
        (_, None, None) => String::new(),
        (_, min, max) => format!(
            "{} to {}",
            min.map_or("−∞".into(), |v| v.to_string()),
            max.map_or("+∞".into(), |v| v.to_string())
        ),
    };
    if accepts.is_empty() {
        format!("{} ({})", config.name, config.data_type)
    } else {
        format!("{} ({}: {accepts})", config.name, config.data_type)
    }
}

fn usage_rows(map: &std::collections::BTreeMap<String, f64>, money: bool) -> Vec<(String, String)> {
    map.iter()
        .map(|(key, value)| {
            let shown = if money {
                dollars(*value)
            } else {
                format!("{value}")
            };
            (key.clone(), shown)
        })
        .collect()
}

async fn node_detail(
    state: &WebState,
    access: &ProjectAccess,
    csrf: &CsrfToken,
    observation: &StoredObservation,
    scores: &[ScoreRow],
) -> WebResult<NodeDetail> {
    let row = &observation.row;
    let own: Vec<&ScoreRow> = scores
        .iter()
        .filter(|s| s.score.observation_id.as_deref() == Some(row.id.as_str()))
        .collect();
    Ok(NodeDetail {
        id: row.id.clone(),
        name: row.name.clone().unwrap_or_default(),
        kind: row.r#type.as_str(),
        start: time(row.start_time),
        end: row.end_time.map(time),
        latency: row
            .end_time
            .map(|end| seconds(end - row.start_time))
            .unwrap_or_default(),
        model: row.model.clone().unwrap_or_default(),
        model_parameters: payload::payload(row.model_parameters.as_ref()),
        playground_url: (row.r#type == ObservationType::Generation
            && access.can(ProjectScope::PlaygroundExecute))
        .then(|| {
            format!(
                "{}?observation={}",
                urls::project_section(&access.project.id, "playground"),
                urls::segment(&row.id)
            )
        }),
        usage: usage_rows(&row.usage_details, false),
        cost: usage_rows(&row.cost_details, true),
        total_cost: row.total_cost.map(dollars).unwrap_or_default(),
        level: row.level.as_str(),
        status_message: row.status_message.clone().unwrap_or_default(),
        input: payload::io(row.input.as_ref(), &access.project.id),
        output: payload::io(row.output.as_ref(), &access.project.id),
        metadata: payload::metadata_io(&row.metadata, &access.project.id),
        scores: score_views(&own),
        comments: comment_views(state, access, CommentObjectType::Observation, &row.id).await?,
        forms: forms(state, access, csrf, &row.trace_id, Some(&row.id)).await?,
    })
}

/// The trace `trace_id` of the project, or 404.
pub(crate) async fn load_trace(
    state: &WebState,
    access: &ProjectAccess,
    trace_id: &str,
) -> WebResult<StoredTrace> {
    state
        .store()
        .events()
        .trace(&access.project.id, trace_id)
        .await?
        .ok_or(WebError::NotFound)
}

/// The observation `id` of trace `trace_id`, or 404.
pub(crate) async fn load_observation(
    state: &WebState,
    access: &ProjectAccess,
    trace_id: &str,
    id: &str,
) -> WebResult<StoredObservation> {
    state
        .store()
        .events()
        .observation(&access.project.id, id)
        .await?
        .filter(|o| o.row.trace_id == trace_id)
        .ok_or(WebError::NotFound)
}

/// What the detail pane shows for the trace itself (the tree's root): its facts, input,
/// output, metadata, scores, comments and forms.
struct Summary {
    trace: TraceHeader,
    scores: Vec<ScoreView>,
    comments: Vec<CommentView>,
    forms: Forms,
}

async fn summary(
    state: &WebState,
    access: &ProjectAccess,
    csrf: &CsrfToken,
    trace: &StoredTrace,
    outlines: &[ObservationOutline],
    scores: &[ScoreRow],
) -> WebResult<Summary> {
    let trace_scores: Vec<&ScoreRow> = scores
        .iter()
        .filter(|s| s.score.observation_id.is_none())
        .collect();
    let row = &trace.row;
    Ok(Summary {
        trace: TraceHeader {
            id: row.id.clone(),
            name: row.name.clone().unwrap_or_default(),
            time: time(row.timestamp),
            user: row.user_id.as_deref().map(|id| user_link(access, id)),
            session: row.session_id.as_deref().map(|id| session_link(access, id)),
            environment: row.environment.clone(),
            release: row.release.clone().unwrap_or_default(),
            version: row.version.clone().unwrap_or_default(),
            tags: row.tags.clone(),
            totals: totals(outlines.iter()),
            input: payload::io(row.input.as_ref(), &access.project.id),
            output: payload::io(row.output.as_ref(), &access.project.id),
            metadata: payload::metadata_io(&row.metadata, &access.project.id),
        },
        scores: score_views(&trace_scores),
        comments: comment_views(state, access, CommentObjectType::Trace, &row.id).await?,
        forms: forms(state, access, csrf, &row.id, None).await?,
    })
}

async fn trace_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    trace_id: &str,
    selected: Option<&str>,
) -> WebResult<Response> {
    let store = state.store();
    let project = &access.project.id;
    let trace = load_trace(state, &access, trace_id).await?;
    let outlines = store
        .events()
        .trace_observation_outlines(project, std::slice::from_ref(&trace.row.id))
        .await?;
    let scores = store.events().trace_scores(project, &trace.row.id).await?;
    let selected_detail = match selected {
        Some(id) => {
            let observation = load_observation(state, &access, &trace.row.id, id).await?;
            Some(node_detail(state, &access, csrf, &observation, &scores).await?)
        }
        None => None,
    };
    let Summary {
        trace: header,
        scores: trace_scores,
        comments,
        forms,
    } = summary(state, &access, csrf, &trace, &outlines, &scores).await?;
    let layout = Layout::for_project(store, signed_in, csrf, &access.project, "traces").await?;
    page(&TracePage {
        layout,
        traces_url: urls::project_section(project, "traces"),
        summary_url: format!("{}/summary", trace_url(&access, &trace.row.id)),
        nodes: tree(&trace, &outlines, selected),
        scores: trace_scores,
        comments,
        forms,
        trace: header,
        selected: selected_detail,
        access,
    })
}

/// `GET /ui/project/{project}/traces/{trace}/summary`: the trace's own detail (the tree's root)
/// as a fragment for htmx, else a redirect to the trace page.
pub async fn get_trace_summary(
    State(state): State<WebState>,
    Path((project_id, trace_id)): Path<(String, String)>,
    headers: HeaderMap,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let trace = load_trace(&state, &access, &trace_id).await?;
    if !is_htmx(&headers) {
        return Ok(see_other(&trace_url(&access, &trace.row.id)));
    }
    let events = state.store().events();
    let outlines = events
        .trace_observation_outlines(&access.project.id, std::slice::from_ref(&trace.row.id))
        .await?;
    let scores = events
        .trace_scores(&access.project.id, &trace.row.id)
        .await?;
    let Summary {
        trace,
        scores,
        comments,
        forms,
    } = summary(&state, &access, &csrf, &trace, &outlines, &scores).await?;
    page(&SummaryPartial {
        trace,
        scores,
        comments,
        forms,
    })
}

/// `GET /ui/project/{project}/traces/{trace}` (`?observation=` opens a node).
pub async fn get_trace(
    State(state): State<WebState>,
    Path((project_id, trace_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let selected = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "observation")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty());
    trace_page(
        &state,
        &signed_in,
        &csrf,
        access,
        &trace_id,
        selected.as_deref(),
    )
    .await
}

/// `GET /ui/project/{project}/traces/{trace}/observations/{id}`: the node's payload as a
/// fragment for htmx, else a redirect to the trace page with the node open.
pub async fn get_trace_observation(
    State(state): State<WebState>,
    Path((project_id, trace_id, observation_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let observation = load_observation(&state, &access, &trace_id, &observation_id).await?;
    if !is_htmx(&headers) {
        return Ok(see_other(&back_to(
            &access,
            &trace_id,
            Some(&observation_id),
        )));
    }
    let scores = state
        .store()
        .events()
        .trace_scores(&access.project.id, &trace_id)
        .await?;
    let detail = node_detail(&state, &access, &csrf, &observation, &scores).await?;
    page(&ObservationPartial { detail })
}

/// Where a form returns to: the trace, with the observation open when it was about one.
pub(crate) fn back_to(
    access: &ProjectAccess,
    trace_id: &str,
    observation_id: Option<&str>,
) -> String {
    let url = trace_url(access, trace_id);
    match observation_id {
        Some(id) => format!("{url}?observation={}", urls::segment(id)),
        None => url,
    }
}

/// `GET /ui/project/{project}/media/{media}`: the bytes of a media the project's traces
/// reference, for the detail views (read from blob storage whatever it is, with the API's
/// sandboxing headers).
pub async fn get_media(
    State(state): State<WebState>,
    Path((project_id, media_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let app = state.app();
    let media =
        sightline_server::services::media::uploaded(app, &access.project.id, &media_id).await?;
    let body = sightline_server::services::media::open(app, &media).await?;
    Ok(sightline_server::handlers::media::media_response(
        &media.content_type,
        media.content_length,
        body,
    ))
}
