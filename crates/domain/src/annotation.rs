//! Annotation queues: named lists of traces, observations and sessions that people review and
//! score with the queue's score configs, one item at a time
//! (`../shared/langfuse/features.md` §4).

use std::fmt;
use std::str::FromStr;

use crate::ProjectId;
use crate::time::Millis;

/// How long a handed-out item stays locked to its reviewer (Langfuse's `fetchAndLockNext`:
/// 5 minutes).
pub const LOCK_MS: Millis = 5 * 60_000;

/// What an item points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueObjectType {
    Trace,
    Observation,
    Session,
}

/// Where an item is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueItemStatus {
    Pending,
    Completed,
}

impl QueueObjectType {
    pub const ALL: [QueueObjectType; 3] = [
        QueueObjectType::Trace,
        QueueObjectType::Observation,
        QueueObjectType::Session,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueObjectType::Trace => "TRACE",
            QueueObjectType::Observation => "OBSERVATION",
            QueueObjectType::Session => "SESSION",
        }
    }
}

impl QueueItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueItemStatus::Pending => "PENDING",
            QueueItemStatus::Completed => "COMPLETED",
        }
    }
}

impl FromStr for QueueObjectType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        QueueObjectType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!("Invalid enum value. Expected 'TRACE' | 'OBSERVATION' | 'SESSION', received '{text}'")
            })
    }
}

impl FromStr for QueueItemStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "PENDING" => Ok(QueueItemStatus::Pending),
            "COMPLETED" => Ok(QueueItemStatus::Completed),
            _ => Err(format!(
                "Invalid enum value. Expected 'PENDING' | 'COMPLETED', received '{text}'"
            )),
        }
    }
}

impl fmt::Display for QueueObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for QueueItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A queue: its name is unique in the project.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationQueue {
    pub id: String,
    pub project_id: ProjectId,
    pub name: String,
    pub description: Option<String>,
    /// The score configs its reviewers score with (at least one).
    pub score_config_ids: Vec<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One thing to review in a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub id: String,
    pub project_id: ProjectId,
    pub queue_id: String,
    pub object_id: String,
    pub object_type: QueueObjectType,
    pub status: QueueItemStatus,
    /// When it was last handed out, and to whom.
    pub locked_at: Option<Millis>,
    pub locked_by_user_id: Option<String>,
    /// Who completed it.
    pub annotator_user_id: Option<String>,
    pub completed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl QueueItem {
    /// A pending item for `object`.
    pub fn pending(
        project: &ProjectId,
        queue_id: &str,
        object_id: &str,
        object_type: QueueObjectType,
        now: Millis,
    ) -> QueueItem {
        QueueItem {
            id: uuid::Uuid::new_v4().to_string(),
            project_id: project.clone(),
            queue_id: queue_id.to_owned(),
            object_id: object_id.to_owned(),
            object_type,
            status: QueueItemStatus::Pending,
            locked_at: None,
            locked_by_user_id: None,
            annotator_user_id: None,
            completed_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Sets the status as Langfuse's API does: completing stamps `completed_at` (again, if it
    /// was complete); going back to pending keeps the stamp.
    pub fn set_status(&mut self, status: QueueItemStatus, now: Millis) {
        self.status = status;
        if status == QueueItemStatus::Completed {
            self.completed_at = Some(now);
        }
        self.updated_at = now;
    }

    /// Whether `user` may be handed this item at `now`: it is pending and unlocked, its lock
    /// has expired, or the lock is the user's own.
    pub fn available_to(&self, user: &str, now: Millis) -> bool {
        self.status == QueueItemStatus::Pending
            && match (self.locked_at, self.locked_by_user_id.as_deref()) {
                (Some(at), Some(by)) => by == user || at <= now - LOCK_MS,
                _ => true,
            }
    }
}

/// A queue's items by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueProgress {
    pub pending: u64,
    pub completed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print() {
        for kind in QueueObjectType::ALL {
            assert_eq!(kind.as_str().parse::<QueueObjectType>(), Ok(kind));
        }
        assert!("trace".parse::<QueueObjectType>().is_err());
        assert_eq!(
            "COMPLETED".parse::<QueueItemStatus>(),
            Ok(QueueItemStatus::Completed)
        );
    }

    #[test]
    fn locks_expire_after_five_minutes() {
        let project = ProjectId::from_trusted("p".into());
        let mut item = QueueItem::pending(&project, "q", "t1", QueueObjectType::Trace, 0);
        assert!(item.available_to("ada", 0));
        item.locked_at = Some(1_000);
        item.locked_by_user_id = Some("ada".into());
        assert!(item.available_to("ada", 2_000));
        assert!(!item.available_to("bob", 2_000));
        assert!(item.available_to("bob", 1_000 + LOCK_MS));
        item.set_status(QueueItemStatus::Completed, 5_000);
        assert_eq!(item.completed_at, Some(5_000));
        assert!(!item.available_to("ada", 5_000));
        item.set_status(QueueItemStatus::Pending, 6_000);
        assert_eq!(item.completed_at, Some(5_000));
    }
}
