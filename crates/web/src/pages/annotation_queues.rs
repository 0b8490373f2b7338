//! Annotation queues in the UI (`../shared/langfuse/features.md` §4.3): the project's queues
//! with their progress and a create form; a queue's items; adding traces, observations and
//! sessions one at a time from their pages or in bulk from the tables' row selection; and the
//! review: each reviewer is handed the oldest pending item nobody else holds (locked to them for
//! five minutes), sees it, scores it with the queue's score configs, comments, and completes or
//! skips it. Reading needs `annotationQueues:read` (VIEWER); changing queues and items
//! `annotationQueues:CUD` and scoring `scores:CUD` (MEMBER).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sightline_domain::annotation::{AnnotationQueue, QueueItem, QueueItemStatus, QueueObjectType};
use sightline_domain::{ProjectScope, UserId};
use sightline_server::services::annotation_queues::{self as service, QueueError, QueueFields};
use sightline_store::{CommentObjectType, ScoreConfig, ScoreRow, TraceOrderColumn, TraceQuery};

use crate::error::{WebError, WebResult};
use crate::pages::payload::{self, Payload};
use crate::pages::trace_annotations::{
    ScoreTarget, add_comment, annotation_score, existing_annotation, submit_scores,
};
use crate::pages::trace_detail::{back_to, load_trace};
use crate::pages::{Fields, page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, TimeView, time};

impl From<QueueError> for WebError {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Invalid(message) => WebError::BadRequest(message),
            QueueError::NotFound(_) => WebError::NotFound,
            QueueError::Store(error) => error.into(),
        }
    }
}

fn queues_url(access: &ProjectAccess) -> String {
    urls::project_section(&access.project.id, "annotation-queues")
}

fn queue_url(access: &ProjectAccess, queue: &str) -> String {
    format!("{}/{}", queues_url(access), urls::segment(queue))
}

fn item_url(access: &ProjectAccess, queue: &str, item: &str) -> String {
    format!("{}/items/{}", queue_url(access, queue), urls::segment(item))
}

/// The page of what an item points at.
fn object_url(
    access: &ProjectAccess,
    kind: QueueObjectType,
    id: &str,
    trace: Option<&str>,
) -> String {
    match (kind, trace) {
        (QueueObjectType::Trace, _) => back_to(access, id, None),
        (QueueObjectType::Observation, Some(trace)) => back_to(access, trace, Some(id)),
        (QueueObjectType::Observation, None) => back_to(access, id, None),
        (QueueObjectType::Session, _) => urls::project_section(
            &access.project.id,
            &format!("sessions/{}", urls::segment(id)),
        ),
    }
}

/// A queue as the list shows it.
pub struct QueueRow {
    pub name: String,
    pub href: String,
    pub description: String,
    pub pending: u64,
    pub completed: u64,
    pub configs: String,
}

#[derive(Template)]
#[template(path = "annotation_queues.html")]
struct QueuesPage {
    layout: Layout,
    access: ProjectAccess,
    rows: Vec<QueueRow>,
    can_edit: bool,
    create_url: String,
    configs_url: String,
    /// `(id, label)` of the active score configs.
    configs: Vec<(String, String)>,
    error: String,
}

async fn active_configs(state: &WebState, access: &ProjectAccess) -> WebResult<Vec<ScoreConfig>> {
    let (configs, _) = state
        .store()
        .metadata()
        .list_score_configs(&access.project.id, 500, 0)
        .await?;
    Ok(configs.into_iter().filter(|c| !c.is_archived).collect())
}

async fn queues_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    error: String,
) -> WebResult<Response> {
    let store = state.store();
    let project = &access.project.id;
    let (queues, _) = store.metadata().list_queues(project, 500, 0).await?;
    let progress = store.metadata().queue_progress(project).await?;
    let configs = active_configs(state, &access).await?;
    let names: HashMap<&str, &str> = configs
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let rows = queues
        .iter()
        .map(|queue| {
            let counts = progress.get(&queue.id).copied().unwrap_or_default();
            QueueRow {
                name: queue.name.clone(),
                href: queue_url(&access, &queue.id),
                description: queue.description.clone().unwrap_or_default(),
                pending: counts.pending,
                completed: counts.completed,
                configs: queue
                    .score_config_ids
                    .iter()
                    .map(|id| names.get(id.as_str()).copied().unwrap_or("(archived)"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let layout =
        Layout::for_project(store, signed_in, csrf, &access.project, "annotation-queues").await?;
    page(&QueuesPage {
        layout,
        rows,
        can_edit: access.can(ProjectScope::AnnotationQueuesCud),
        create_url: queues_url(&access),
        configs_url: urls::project_section(&access.project.id, "settings/score-configs"),
        configs: configs
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        error,
        access,
    })
}

/// `GET …/annotation-queues`.
pub async fn get_queues(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::AnnotationQueuesRead,
    )
    .await?;
    queues_page(&state, &signed_in, &csrf, access, String::new()).await
}

/// `POST …/annotation-queues`: a new queue (name, description, one or more `config_id`); a
/// refused one shows the list again with the reason.
pub async fn post_queue(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::AnnotationQueuesCud,
    )
    .await?;
    let fields = Fields::parse(&body);
    let queue = QueueFields {
        name: fields.one("name").unwrap_or_default().to_owned(),
        description: fields.one("description").map(str::to_owned),
        score_config_ids: fields.all("config_id"),
    };
    match service::create_queue(state.store(), &access.project.id, queue).await {
        Ok(queue) => {
            tracing::info!(project.id = %access.project.id, queue.id = %queue.id, "annotation queue created");
            Ok(see_other(&queue_url(&access, &queue.id)))
        }
        Err(QueueError::Invalid(message)) => {
            queues_page(&state, &signed_in, &csrf, access, message).await
        }
        Err(other) => Err(other.into()),
    }
}

/// An item as the queue's table shows it.
pub struct ItemRow {
    pub object_id: String,
    pub object_href: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub created: TimeView,
    pub completed: Option<TimeView>,
    pub annotator: String,
    pub review_href: String,
}

#[derive(Template)]
#[template(path = "annotation_queue.html")]
struct QueuePage {
    layout: Layout,
    access: ProjectAccess,
    queue: AnnotationQueue,
    queues_url: String,
    review_url: String,
    delete_url: String,
    pending: u64,
    completed: u64,
    rows: Vec<ItemRow>,
    can_edit: bool,
    can_review: bool,
}

/// `GET …/annotation-queues/{queue}`: progress and the items, newest first.
pub async fn get_queue(
    State(state): State<WebState>,
    Path((project_id, queue_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::AnnotationQueuesRead,
    )
    .await?;
    let store = state.store();
    let project = &access.project.id;
    let queue = service::queue(store, project, &queue_id).await?;
    let (items, _) = store
        .metadata()
        .list_queue_items(project, &queue.id, None, 500, 0)
        .await?;
    let counts = store
        .metadata()
        .queue_progress(project)
        .await?
        .remove(&queue.id)
        .unwrap_or_default();
    // The annotators' emails: only theirs are read.
    let mut users: HashMap<String, String> = HashMap::new();
    for id in items
        .iter()
        .filter_map(|item| item.annotator_user_id.as_deref())
    {
        if users.contains_key(id) {
            continue;
        }
        let email = match UserId::parse(id) {
            Ok(user) => store
                .metadata()
                .user(&user)
                .await?
                .map(|u| u.email.as_str().to_owned()),
            Err(_) => None,
        };
        users.insert(id.to_owned(), email.unwrap_or_else(|| id.to_owned()));
    }
    let rows = items
        .iter()
        .map(|item| ItemRow {
            object_id: item.object_id.clone(),
            object_href: object_url(&access, item.object_type, &item.object_id, None),
            kind: item.object_type.as_str(),
            status: item.status.as_str(),
            created: time(item.created_at),
            completed: item.completed_at.map(time),
            annotator: item
                .annotator_user_id
                .as_ref()
                .map(|id| users.get(id).cloned().unwrap_or_else(|| id.clone()))
                .unwrap_or_default(),
            review_href: item_url(&access, &queue.id, &item.id),
        })
        .collect();
    let layout = Layout::for_project(
        store,
        &signed_in,
        &csrf,
        &access.project,
        "annotation-queues",
    )
    .await?;
    page(&QueuePage {
        layout,
        queues_url: queues_url(&access),
        review_url: format!("{}/review", queue_url(&access, &queue.id)),
        delete_url: format!("{}/delete", queue_url(&access, &queue.id)),
        pending: counts.pending,
        completed: counts.completed,
        rows,
        can_edit: access.can(ProjectScope::AnnotationQueuesCud),
        can_review: access.can(ProjectScope::ScoresCud),
        queue,
        access,
    })
}

/// `POST …/annotation-queues/{queue}/delete`: the queue, its items and assignments.
pub async fn post_queue_delete(
    State(state): State<WebState>,
    Path((project_id, queue_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::AnnotationQueuesCud,
    )
    .await?;
    if !state
        .store()
        .metadata()
        .delete_queue(&access.project.id, &queue_id)
        .await?
    {
        return Err(WebError::NotFound);
    }
    tracing::info!(project.id = %access.project.id, queue.id = %queue_id, "annotation queue deleted");
    Ok(see_other(&queues_url(&access)))
}

/// `POST …/annotation-queues/items`: adds `object_id`s (one from a trace, observation or session
/// page, many from a table's selection) of `object_type` to `queue_id`; objects the queue holds
/// already are skipped. Returns to the queue.
pub async fn post_queue_items(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::AnnotationQueuesCud,
    )
    .await?;
    let fields = Fields::parse(&body);
    let queue_id = fields
        .one("queue_id")
        .ok_or_else(|| WebError::BadRequest("Choose an annotation queue.".into()))?
        .to_owned();
    let kind: QueueObjectType = fields
        .one("object_type")
        .unwrap_or_default()
        .parse()
        .map_err(WebError::BadRequest)?;
    let objects: Vec<(String, QueueObjectType)> = fields
        .all("object_id")
        .into_iter()
        .map(|id| (id, kind))
        .collect();
    if objects.is_empty() {
        return Err(WebError::BadRequest(
            "Select at least one row to add to the queue.".into(),
        ));
    }
    let added =
        service::add_objects(state.store(), &access.project.id, &queue_id, &objects).await?;
    tracing::info!(project.id = %access.project.id, queue.id = %queue_id, added, "added to annotation queue");
    Ok(see_other(&queue_url(&access, &queue_id)))
}

/// The item ids a reviewer skipped in this round (`?skip=a,b`).
fn skipped(raw: Option<String>) -> Vec<String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "skip")
        .flat_map(|(_, value)| {
            value
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn with_skip(url: &str, skip: &[String]) -> String {
    if skip.is_empty() {
        url.to_owned()
    } else {
        let joined = skip.join(",");
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("skip", &joined)
            .finish();
        format!("{url}?{query}")
    }
}

#[derive(Template)]
#[template(path = "annotation_done.html")]
struct DonePage {
    layout: Layout,
    access: ProjectAccess,
    queue: AnnotationQueue,
    queue_url: String,
    review_url: String,
    skipped: usize,
}

/// `GET …/annotation-queues/{queue}/review`: locks the reviewer's next item and opens it, or
/// says the queue is done.
pub async fn get_review(
    State(state): State<WebState>,
    Path((project_id, queue_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ScoresCud,
    )
    .await?;
    let skip = skipped(raw);
    let store = state.store();
    let next = service::next_item(
        store,
        &access.project.id,
        &queue_id,
        &signed_in.user.id,
        &skip,
    )
    .await?;
    match next {
        Some(item) => Ok(see_other(&with_skip(
            &item_url(&access, &queue_id, &item.id),
            &skip,
        ))),
        None => {
            let queue = service::queue(store, &access.project.id, &queue_id).await?;
            let layout = Layout::for_project(
                store,
                &signed_in,
                &csrf,
                &access.project,
                "annotation-queues",
            )
            .await?;
            page(&DonePage {
                layout,
                queue_url: queue_url(&access, &queue.id),
                review_url: format!("{}/review", queue_url(&access, &queue.id)),
                skipped: skip.len(),
                queue,
                access,
            })
        }
    }
}

/// One field of the annotation form: a score config and the value already given, if any.
pub struct ScoreField {
    pub config_id: String,
    pub name: String,
    pub kind: &'static str,
    /// A number's range as placeholder text.
    pub hint: String,
    pub min: String,
    pub max: String,
    /// Categories (label) to choose from; booleans get True and False.
    pub options: Vec<String>,
    pub current: String,
}

/// What an item shows on the left: the trace, the observation, or the session's traces.
pub struct ObjectView {
    pub title: String,
    pub href: String,
    pub subtitle: String,
    pub input: Payload,
    pub output: Payload,
    pub metadata: Payload,
    /// A session's traces: (name, link, time, input preview, output preview).
    pub traces: Vec<(String, String, TimeView, String, String)>,
}

#[derive(Template)]
#[template(path = "annotation_item.html")]
struct ItemPage {
    layout: Layout,
    access: ProjectAccess,
    queue: AnnotationQueue,
    queue_url: String,
    item: QueueItem,
    object: ObjectView,
    fields: Vec<ScoreField>,
    submit_url: String,
    locked_by_other: bool,
    pending: u64,
    completed: u64,
}

fn field(config: &ScoreConfig, current: Option<&ScoreRow>) -> ScoreField {
    let kind = config.data_type.as_str();
    let options = match config.data_type {
        sightline_domain::ingest::ScoreDataType::Boolean => vec!["True".into(), "False".into()],
        _ => config
            .categories
            .iter()
            .flatten()
            .map(|c| c.label.clone())
            .collect(),
    };
    let current = current
        .map(|row| match (&row.score.string_value, row.score.value) {
            (Some(text), _) if !options.is_empty() => text.clone(),
            (_, Some(value)) => value.to_string(),
            (Some(text), None) => text.clone(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    let bound = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    ScoreField {
        config_id: config.id.clone(),
        name: config.name.clone(),
        kind,
        hint: match (config.min_value, config.max_value) {
            (Some(min), Some(max)) => format!("{min} to {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => "a number".into(),
        },
        min: bound(config.min_value),
        max: bound(config.max_value),
        options,
        current,
    }
}

/// The object an item points at, its scores, and the target its scores are written to.
async fn object(
    state: &WebState,
    access: &ProjectAccess,
    item: &QueueItem,
) -> WebResult<(ObjectView, Vec<ScoreRow>, ScoreTarget)> {
    let store = state.store();
    let project = &access.project.id;
    match item.object_type {
        QueueObjectType::Trace => {
            let trace = load_trace(state, access, &item.object_id).await?;
            let scores = store.events().trace_scores(project, &trace.row.id).await?;
            let own = scores
                .into_iter()
                .filter(|s| s.score.observation_id.is_none())
                .collect();
            let row = &trace.row;
            Ok((
                ObjectView {
                    title: row.name.clone().unwrap_or_else(|| row.id.clone()),
                    href: back_to(access, &row.id, None),
                    subtitle: format!("Trace {} · {}", row.id, time(row.timestamp).text),
                    input: payload::payload(row.input.as_ref()),
                    output: payload::payload(row.output.as_ref()),
                    metadata: payload::metadata(&row.metadata),
                    traces: Vec::new(),
                },
                own,
                ScoreTarget {
                    trace_id: Some(row.id.clone()),
                    observation_id: None,
                    session_id: None,
                    environment: row.environment.clone(),
                },
            ))
        }
        QueueObjectType::Observation => {
            let observation = store
                .events()
                .observation(project, &item.object_id)
                .await?
                .ok_or(WebError::NotFound)?;
            let row = &observation.row;
            let scores = store.events().trace_scores(project, &row.trace_id).await?;
            let own = scores
                .into_iter()
                .filter(|s| s.score.observation_id.as_deref() == Some(row.id.as_str()))
                .collect();
            Ok((
                ObjectView {
                    title: row.name.clone().unwrap_or_else(|| row.id.clone()),
                    href: back_to(access, &row.trace_id, Some(&row.id)),
                    subtitle: format!(
                        "{} {} of trace {} · {}",
                        row.r#type.as_str(),
                        row.id,
                        row.trace_id,
                        time(row.start_time).text
                    ),
                    input: payload::payload(row.input.as_ref()),
                    output: payload::payload(row.output.as_ref()),
                    metadata: payload::metadata(&row.metadata),
                    traces: Vec::new(),
                },
                own,
                ScoreTarget {
                    trace_id: Some(row.trace_id.clone()),
                    observation_id: Some(row.id.clone()),
                    session_id: None,
                    environment: row.environment.clone(),
                },
            ))
        }
        QueueObjectType::Session => {
            let (traces, _) = store
                .events()
                .list_traces(
                    project,
                    &TraceQuery {
                        session_id: Some(item.object_id.clone()),
                        order_by: TraceOrderColumn::Timestamp,
                        descending: false,
                        limit: 100,
                        ..TraceQuery::default()
                    },
                )
                .await?;
            let environment = traces
                .first()
                .map(|t| t.row.environment.clone())
                .unwrap_or_else(|| "default".into());
            Ok((
                ObjectView {
                    title: format!("Session {}", item.object_id),
                    href: object_url(access, QueueObjectType::Session, &item.object_id, None),
                    subtitle: format!("{} traces", traces.len()),
                    input: Payload::default(),
                    output: Payload::default(),
                    metadata: Payload::default(),
                    traces: traces
                        .iter()
                        .map(|t| {
                            (
                                t.row.name.clone().unwrap_or_else(|| t.row.id.clone()),
                                back_to(access, &t.row.id, None),
                                time(t.row.timestamp),
                                payload::preview(t.row.input.as_ref()),
                                payload::preview(t.row.output.as_ref()),
                            )
                        })
                        .collect(),
                },
                Vec::new(),
                ScoreTarget {
                    trace_id: None,
                    observation_id: None,
                    session_id: Some(item.object_id.clone()),
                    environment,
                },
            ))
        }
    }
}

async fn queue_configs(
    state: &WebState,
    access: &ProjectAccess,
    queue: &AnnotationQueue,
) -> WebResult<Vec<ScoreConfig>> {
    let configs = state
        .store()
        .metadata()
        .score_configs_by_id(&access.project.id, &queue.score_config_ids)
        .await?;
    // In the queue's order.
    Ok(queue
        .score_config_ids
        .iter()
        .filter_map(|id| configs.iter().find(|c| &c.id == id).cloned())
        .collect())
}

/// An item under review: the caller's access, the queue, the item, what it points at (with its
/// scores and the target of new ones) and the queue's score configs.
struct Review {
    access: ProjectAccess,
    queue: AnnotationQueue,
    item: QueueItem,
    object: (ObjectView, Vec<ScoreRow>, ScoreTarget),
    configs: Vec<ScoreConfig>,
}

impl Review {
    async fn load(
        state: &WebState,
        signed_in: &SignedIn,
        (project_id, queue_id, item_id): (&str, &str, &str),
        scope: ProjectScope,
    ) -> WebResult<Review> {
        let access =
            rbac::project_access(state.store(), &signed_in.user, project_id, scope).await?;
        let store = state.store();
        let queue = service::queue(store, &access.project.id, queue_id).await?;
        let item = service::item(store, &access.project.id, queue_id, item_id).await?;
        let object = object(state, &access, &item).await?;
        let configs = queue_configs(state, &access, &queue).await?;
        Ok(Review {
            access,
            queue,
            item,
            object,
            configs,
        })
    }
}

/// `GET …/annotation-queues/{queue}/items/{item}`: the processing view.
pub async fn get_item(
    State(state): State<WebState>,
    Path((project_id, queue_id, item_id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let Review {
        access,
        queue,
        item,
        object: (object, scores, _),
        configs,
    } = Review::load(
        &state,
        &signed_in,
        (&project_id, &queue_id, &item_id),
        ProjectScope::AnnotationQueuesRead,
    )
    .await?;
    let store = state.store();
    let project = &access.project.id;
    let fields = configs
        .iter()
        .map(|config| {
            let current = scores
                .iter()
                .find(|s| s.score.config_id.as_deref() == Some(config.id.as_str()));
            field(config, current)
        })
        .collect();
    let counts = store
        .metadata()
        .queue_progress(project)
        .await?
        .remove(&queue.id)
        .unwrap_or_default();
    let locked_by_other = item.status == QueueItemStatus::Pending
        && !item.available_to(signed_in.user.id.as_str(), sightline_domain::time::now_ms());
    let layout = Layout::for_project(
        store,
        &signed_in,
        &csrf,
        &access.project,
        "annotation-queues",
    )
    .await?;
    page(&ItemPage {
        layout,
        queue_url: queue_url(&access, &queue.id),
        submit_url: with_skip(&item_url(&access, &queue.id, &item.id), &skipped(raw)),
        object,
        fields,
        locked_by_other,
        pending: counts.pending,
        completed: counts.completed,
        queue,
        item,
        access,
    })
}

/// `POST …/annotation-queues/{queue}/items/{item}`: the annotation form. Each filled
/// `score_<config>` is written as an ANNOTATION score with the queue's id (replacing this
/// reviewer's earlier one), `comment` as a comment on the object; then `action` `complete`
/// marks the item done and `skip` passes it over; both go on to the next item.
pub async fn post_item(
    State(state): State<WebState>,
    Path((project_id, queue_id, item_id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    signed_in: SignedIn,
    body: String,
) -> WebResult<Response> {
    let Review {
        access,
        queue,
        item,
        object: (_, given, target),
        configs,
    } = Review::load(
        &state,
        &signed_in,
        (&project_id, &queue_id, &item_id),
        ProjectScope::ScoresCud,
    )
    .await?;
    let store = state.store();
    let project = &access.project.id;
    let fields = Fields::parse(&body);
    // Every score is built and checked before any is written, so a bad one saves nothing.
    let mut scores = Vec::new();
    for config in &configs {
        if let Some(raw) = fields.one(&format!("score_{}", config.id)) {
            let existing = existing_annotation(&given, config, target.observation_id.as_deref());
            scores.push(annotation_score(
                &target,
                config,
                raw,
                None,
                Some(&queue.id),
                existing,
            )?);
        }
    }
    submit_scores(&state, project, scores).await?;
    if let Some(text) = fields.one("comment") {
        let object_type = match item.object_type {
            QueueObjectType::Trace => CommentObjectType::Trace,
            QueueObjectType::Observation => CommentObjectType::Observation,
            QueueObjectType::Session => CommentObjectType::Session,
        };
        add_comment(
            &state,
            project,
            object_type,
            &item.object_id,
            text,
            &signed_in,
        )
        .await?;
    }
    let mut skip = skipped(raw);
    match fields.one("action") {
        Some("skip") => skip.push(item.id.clone()),
        _ => {
            service::complete_item(store, project, &queue.id, &item.id, &signed_in.user.id).await?;
            tracing::info!(project.id = %project, queue.id = %queue.id, item.id = %item.id, "annotation queue item completed");
        }
    }
    Ok(see_other(&with_skip(
        &format!("{}/review", queue_url(&access, &queue.id)),
        &skip,
    )))
}

/// The "Add to queue" form of a trace, observation or session page: the queues to choose from
/// (none when the user may not add).
pub(crate) async fn queue_choices(
    state: &WebState,
    access: &ProjectAccess,
) -> WebResult<Vec<(String, String)>> {
    if !access.can(ProjectScope::AnnotationQueuesCud) {
        return Ok(Vec::new());
    }
    let (queues, _) = state
        .store()
        .metadata()
        .list_queues(&access.project.id, 200, 0)
        .await?;
    Ok(queues.into_iter().map(|q| (q.id, q.name)).collect())
}

/// A table's row selection and its bulk actions (`_bulk_queue.html`): add to an annotation
/// queue, add to a dataset (traces and observations), delete (traces, for ADMIN and OWNER). No
/// selection when the user may do none of them.
pub struct Selection {
    pub queues: Vec<(String, String)>,
    pub url: String,
    pub csrf: String,
    pub object_type: &'static str,
    /// What the rows are, for the form's label.
    pub noun: &'static str,
    pub datasets: Vec<(String, String)>,
    pub dataset_url: String,
    pub delete_url: Option<String>,
}

impl Selection {
    pub(crate) async fn of(
        state: &WebState,
        access: &ProjectAccess,
        csrf: &CsrfToken,
        object_type: QueueObjectType,
    ) -> WebResult<Selection> {
        let datasets = match object_type {
            QueueObjectType::Session => Vec::new(),
            _ => crate::pages::datasets::dataset_choices(state, access).await?,
        };
        Ok(Selection {
            queues: queue_choices(state, access).await?,
            url: add_url(access),
            csrf: csrf.0.clone(),
            object_type: object_type.as_str(),
            noun: match object_type {
                QueueObjectType::Trace => "traces",
                QueueObjectType::Observation => "observations",
                QueueObjectType::Session => "sessions",
            },
            datasets,
            dataset_url: crate::pages::datasets::bulk_add_url(access),
            delete_url: (object_type == QueueObjectType::Trace
                && access.can(ProjectScope::TracesDelete))
            .then(|| urls::project_section(&access.project.id, "traces/delete")),
        })
    }

    /// Whether the rows can be selected: some bulk action is open to the user.
    pub fn any(&self) -> bool {
        !self.queues.is_empty() || !self.datasets.is_empty() || self.delete_url.is_some()
    }
}

/// Where the "Add to queue" forms post.
pub(crate) fn add_url(access: &ProjectAccess) -> String {
    format!("{}/items", queues_url(access))
}
