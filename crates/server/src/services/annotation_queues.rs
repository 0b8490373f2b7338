//! Annotation queues with Langfuse's rules
//! (`web/src/features/annotation-queues/server/publicAnnotationQueueService.ts` and the
//! `annotationQueues` tRPC router): a queue's name is unique in its project and it names at
//! least one of the project's score configs; items are handed to one reviewer at a time, locked
//! for five minutes; completing an item records who did. Shared by the public API and the web
//! UI.

use sightline_domain::annotation::{AnnotationQueue, QueueItem, QueueItemStatus, QueueObjectType};
use sightline_domain::time::now_ms;
use sightline_domain::{ProjectId, UserId};
use sightline_store::{Store, StoreError};

/// Why a queue change was refused.
#[derive(Debug)]
pub enum QueueError {
    /// A rule was broken; the message says which.
    Invalid(String),
    NotFound(String),
    Store(StoreError),
}

impl From<StoreError> for QueueError {
    fn from(error: StoreError) -> Self {
        QueueError::Store(error)
    }
}

pub type QueueResult<T> = Result<T, QueueError>;

pub const QUEUE_NOT_FOUND: &str = "Annotation queue not found";
pub const ITEM_NOT_FOUND: &str = "Annotation queue item not found";

/// What a create or an update of a queue sets.
#[derive(Debug, Clone)]
pub struct QueueFields {
    pub name: String,
    pub description: Option<String>,
    pub score_config_ids: Vec<String>,
}

/// The queue, or `NotFound`.
pub async fn queue(store: &Store, project: &ProjectId, id: &str) -> QueueResult<AnnotationQueue> {
    store
        .metadata()
        .queue(project, id)
        .await?
        .ok_or_else(|| QueueError::NotFound(QUEUE_NOT_FOUND.into()))
}

/// The item of the queue, or `NotFound`.
pub async fn item(
    store: &Store,
    project: &ProjectId,
    queue: &str,
    id: &str,
) -> QueueResult<QueueItem> {
    store
        .metadata()
        .queue_item(project, queue, id)
        .await?
        .ok_or_else(|| QueueError::NotFound(ITEM_NOT_FOUND.into()))
}

async fn check_fields(
    store: &Store,
    project: &ProjectId,
    fields: &mut QueueFields,
) -> QueueResult<()> {
    fields.name = fields.name.trim().to_owned();
    if fields.name.is_empty() {
        return Err(QueueError::Invalid("name: a queue needs a name".into()));
    }
    if fields.score_config_ids.is_empty() {
        return Err(QueueError::Invalid(
            "scoreConfigIds: Array must contain at least 1 element(s)".into(),
        ));
    }
    fields.score_config_ids.dedup();
    let found = store
        .metadata()
        .score_configs_by_id(project, &fields.score_config_ids)
        .await?;
    if found.len() != fields.score_config_ids.len() {
        return Err(QueueError::Invalid(
            "At least one of the score config IDs cannot be found for the given project.".into(),
        ));
    }
    Ok(())
}

fn name_taken(error: StoreError) -> QueueError {
    match error {
        StoreError::Conflict(_) => {
            QueueError::Invalid("A queue with this name already exists.".into())
        }
        other => QueueError::Store(other),
    }
}

pub async fn create_queue(
    store: &Store,
    project: &ProjectId,
    mut fields: QueueFields,
) -> QueueResult<AnnotationQueue> {
    check_fields(store, project, &mut fields).await?;
    let now = now_ms();
    let queue = AnnotationQueue {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project.clone(),
        name: fields.name,
        description: fields.description.filter(|d| !d.trim().is_empty()),
        score_config_ids: fields.score_config_ids,
        created_at: now,
        updated_at: now,
    };
    store
        .metadata()
        .insert_queue(&queue)
        .await
        .map_err(name_taken)?;
    Ok(queue)
}

pub async fn update_queue(
    store: &Store,
    project: &ProjectId,
    id: &str,
    mut fields: QueueFields,
) -> QueueResult<AnnotationQueue> {
    let mut queue = queue(store, project, id).await?;
    check_fields(store, project, &mut fields).await?;
    queue.name = fields.name;
    queue.description = fields.description.filter(|d| !d.trim().is_empty());
    queue.score_config_ids = fields.score_config_ids;
    queue.updated_at = now_ms();
    if !store
        .metadata()
        .update_queue(&queue)
        .await
        .map_err(name_taken)?
    {
        return Err(QueueError::NotFound(QUEUE_NOT_FOUND.into()));
    }
    Ok(queue)
}

/// One item as the API creates it: the object is not checked (as Langfuse does not).
pub async fn create_item(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    object_id: &str,
    object_type: QueueObjectType,
    status: QueueItemStatus,
) -> QueueResult<QueueItem> {
    queue(store, project, queue_id).await?;
    let now = now_ms();
    let mut item = QueueItem::pending(project, queue_id, object_id, object_type, now);
    if status == QueueItemStatus::Completed {
        item.set_status(status, now);
    }
    store
        .metadata()
        .insert_queue_items(std::slice::from_ref(&item), false)
        .await?;
    Ok(item)
}

/// Adds objects the queue does not hold yet (the UI's single and bulk adds); returns how many
/// were added.
pub async fn add_objects(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    objects: &[(String, QueueObjectType)],
) -> QueueResult<u64> {
    queue(store, project, queue_id).await?;
    let now = now_ms();
    let items: Vec<QueueItem> = objects
        .iter()
        .enumerate()
        .map(|(index, (id, kind))| {
            // Distinct creation times keep the order they were added in.
            QueueItem::pending(project, queue_id, id, *kind, now + index as i64)
        })
        .collect();
    Ok(store.metadata().insert_queue_items(&items, true).await?)
}

/// Sets an item's status (`PATCH …/items/{itemId}`).
pub async fn set_item_status(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    item_id: &str,
    status: Option<QueueItemStatus>,
) -> QueueResult<QueueItem> {
    let mut item = item(store, project, queue_id, item_id).await?;
    if let Some(status) = status {
        item.set_status(status, now_ms());
        store.metadata().update_queue_item(&item).await?;
    }
    Ok(item)
}

/// The reviewer's next item: the oldest pending one nobody else holds, locked to them.
pub async fn next_item(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    user: &UserId,
    skip: &[String],
) -> QueueResult<Option<QueueItem>> {
    queue(store, project, queue_id).await?;
    Ok(store
        .metadata()
        .lock_next_queue_item(project, queue_id, user.as_str(), now_ms(), skip)
        .await?)
}

/// Marks the item done by `user` and releases its lock.
pub async fn complete_item(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    item_id: &str,
    user: &UserId,
) -> QueueResult<QueueItem> {
    let mut item = item(store, project, queue_id, item_id).await?;
    item.set_status(QueueItemStatus::Completed, now_ms());
    item.annotator_user_id = Some(user.as_str().to_owned());
    item.locked_at = None;
    item.locked_by_user_id = None;
    store.metadata().update_queue_item(&item).await?;
    Ok(item)
}

/// Assigns a member of the project to the queue; someone who is not is `NotFound`.
pub async fn assign(
    store: &Store,
    project: &ProjectId,
    queue_id: &str,
    user: &str,
) -> QueueResult<()> {
    queue(store, project, queue_id).await?;
    let member = match UserId::parse(user) {
        Ok(id) => store
            .metadata()
            .effective_project_role(project, &id)
            .await?
            .is_some(),
        Err(_) => false,
    };
    if !member {
        return Err(QueueError::NotFound(
            "User not found or not authorized for this project".into(),
        ));
    }
    store
        .metadata()
        .assign_queue(project, queue_id, user, now_ms())
        .await?;
    Ok(())
}
