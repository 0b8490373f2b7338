//! Annotation queues, their items and assignments (`/api/public/annotation-queues*` and the
//! UI's review flow; the types are the domain's `annotation.rs`): metadata store
//! ([`AnnotationQueueStore`]). The SQL is in `store.rs`.

use std::collections::HashMap;

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::annotation::{AnnotationQueue, QueueItem, QueueItemStatus, QueueProgress};
use sightline_domain::time::Millis;

use crate::StoreResult;

mod store;

/// Queues (newest first), items (newest first in lists, oldest first when handed out) and
/// assignments, project-scoped.
#[async_trait]
pub trait AnnotationQueueStore: Send + Sync {
    /// A queue whose name the project already has is `Conflict`.
    async fn insert_queue(&self, queue: &AnnotationQueue) -> StoreResult<()>;
    /// Replaces name, description and configs; whether it existed. A taken name is `Conflict`.
    async fn update_queue(&self, queue: &AnnotationQueue) -> StoreResult<bool>;
    async fn queue(&self, project: &ProjectId, id: &str) -> StoreResult<Option<AnnotationQueue>>;
    /// A page of queues and the number of all.
    async fn list_queues(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<AnnotationQueue>, u64)>;
    /// Deletes the queue with its items and assignments; whether it existed.
    async fn delete_queue(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    /// Each queue's items by status.
    async fn queue_progress(
        &self,
        project: &ProjectId,
    ) -> StoreResult<HashMap<String, QueueProgress>>;

    /// Inserts items; with `skip_queued`, an object the queue already holds is left out.
    /// Returns how many were inserted.
    async fn insert_queue_items(&self, items: &[QueueItem], skip_queued: bool) -> StoreResult<u64>;
    async fn queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        id: &str,
    ) -> StoreResult<Option<QueueItem>>;
    /// A page of a queue's items (of one status, if given) and the number of all such.
    async fn list_queue_items(
        &self,
        project: &ProjectId,
        queue: &str,
        status: Option<QueueItemStatus>,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<QueueItem>, u64)>;
    /// Writes the item's status, lock, annotator and times; whether it existed.
    async fn update_queue_item(&self, item: &QueueItem) -> StoreResult<bool>;
    /// Whether it existed.
    async fn delete_queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        id: &str,
    ) -> StoreResult<bool>;
    /// Hands `user` the oldest pending item available to them
    /// ([`QueueItem::available_to`](sightline_domain::annotation::QueueItem::available_to))
    /// that is not in `skip`, locked to them from `now`: two reviewers never get the same item
    /// while its lock holds.
    async fn lock_next_queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
        now: Millis,
        skip: &[String],
    ) -> StoreResult<Option<QueueItem>>;

    /// Assigns the user to the queue (again is a no-op).
    async fn assign_queue(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
        now: Millis,
    ) -> StoreResult<()>;
    /// Whether the assignment existed.
    async fn unassign_queue(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
    ) -> StoreResult<bool>;
    /// The users assigned to the queue.
    async fn queue_assignees(&self, project: &ProjectId, queue: &str) -> StoreResult<Vec<String>>;
}
