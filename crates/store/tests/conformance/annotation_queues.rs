//! Annotation queues (`AnnotationQueueStore`): handing items out one reviewer at a time.

use std::collections::HashSet;

use sightline_domain::ProjectId;
use sightline_domain::annotation::{
    AnnotationQueue, LOCK_MS, QueueItem, QueueItemStatus, QueueObjectType,
};
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{Store, StoreError};

use super::org_and_project;

async fn queue_with_items(store: &Store, project: &ProjectId, items: usize) -> String {
    let queue = AnnotationQueue {
        id: "q1".into(),
        project_id: project.clone(),
        name: "Review".into(),
        description: None,
        score_config_ids: vec!["c1".into()],
        created_at: 1,
        updated_at: 1,
    };
    store.metadata().insert_queue(&queue).await.unwrap();
    let items: Vec<QueueItem> = (0..items)
        .map(|i| {
            QueueItem::pending(
                project,
                "q1",
                &format!("trace-{i}"),
                QueueObjectType::Trace,
                100 + i as i64,
            )
        })
        .collect();
    store
        .metadata()
        .insert_queue_items(&items, true)
        .await
        .unwrap();
    queue.id
}

async fn items_go_to_one_reviewer_at_a_time(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let queue = queue_with_items(store, &project, 3).await;
    let meta = store.metadata();
    let now = 10_000;

    // Oldest first; each reviewer keeps their own item until its lock expires.
    let a = meta
        .lock_next_queue_item(&project, &queue, "ada", now, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.object_id, "trace-0");
    assert_eq!(a.locked_by_user_id.as_deref(), Some("ada"));
    let b = meta
        .lock_next_queue_item(&project, &queue, "bob", now, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.object_id, "trace-1");
    let again = meta
        .lock_next_queue_item(&project, &queue, "ada", now + 1, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, a.id, "a reviewer gets their own locked item back");
    let skipped = meta
        .lock_next_queue_item(
            &project,
            &queue,
            "ada",
            now + 1,
            std::slice::from_ref(&a.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(skipped.object_id, "trace-2");
    assert_eq!(
        meta.lock_next_queue_item(&project, &queue, "cy", now + 2, &[])
            .await
            .unwrap(),
        None,
        "everything is locked by someone else"
    );
    let later = meta
        .lock_next_queue_item(&project, &queue, "cy", now + LOCK_MS + 1, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(later.object_id, "trace-0", "an expired lock passes on");

    // Completed items are never handed out; adding an object again is skipped.
    let mut done = later.clone();
    done.set_status(QueueItemStatus::Completed, now + LOCK_MS + 2);
    assert!(meta.update_queue_item(&done).await.unwrap());
    let progress = meta.queue_progress(&project).await.unwrap();
    assert_eq!(progress[&queue].completed, 1);
    assert_eq!(progress[&queue].pending, 2);
    let dup = QueueItem::pending(&project, &queue, "trace-0", QueueObjectType::Trace, 5);
    assert_eq!(meta.insert_queue_items(&[dup], true).await.unwrap(), 0);
}

async fn concurrent_reviewers_never_share_an_item(db: TestDb) {
    let store = db.store.clone();
    let (_, project) = org_and_project(&store).await;
    let queue = queue_with_items(&store, &project, 12).await;
    let mut handles = Vec::new();
    for reviewer in 0..12 {
        let store = store.clone();
        let project = project.clone();
        let queue = queue.clone();
        handles.push(tokio::spawn(async move {
            store
                .metadata()
                .lock_next_queue_item(&project, &queue, &format!("user-{reviewer}"), 50_000, &[])
                .await
        }));
    }
    let mut taken = HashSet::new();
    for handle in handles {
        match handle.await.unwrap() {
            Ok(Some(item)) => assert!(taken.insert(item.id), "an item went to two reviewers"),
            Ok(None) => panic!("twelve items for twelve reviewers"),
            Err(StoreError::Unavailable(_)) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert!(taken.len() >= 10, "{}", taken.len());
}

async fn queue_names_are_unique_per_project(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    queue_with_items(store, &project, 0).await;
    let twin = AnnotationQueue {
        id: "q2".into(),
        project_id: project.clone(),
        name: "Review".into(),
        description: None,
        score_config_ids: vec![],
        created_at: 2,
        updated_at: 2,
    };
    assert!(matches!(
        store.metadata().insert_queue(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    // Deleting the queue takes its items with it.
    assert!(store.metadata().delete_queue(&project, "q1").await.unwrap());
    assert_eq!(
        store
            .metadata()
            .list_queue_items(&project, "q1", None, 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "items_go_to_one_reviewer_at_a_time",
            items_go_to_one_reviewer_at_a_time,
        ),
        backend_test(
            "concurrent_reviewers_never_share_an_item",
            concurrent_reviewers_never_share_an_item,
        ),
        backend_test(
            "queue_names_are_unique_per_project",
            queue_names_are_unique_per_project,
        ),
    ]
}
