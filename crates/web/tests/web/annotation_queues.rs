//! Annotation queues in the UI: a queue created with its score configs, traces added in bulk
//! from the traces table, two reviewers working it who never get the same item, a value outside
//! the config's range refused with nothing saved, the scores (ANNOTATION, with the queue's id)
//! and completion recorded, and a VIEWER who may look but not review.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_domain::ingest::ScoreSource;
use sightline_store::ScoreQuery;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Browser, TestUi, project_url};
use crate::trace_fixtures::{assert_inert, config, seed};

/// Follows a review redirect: the item page it leads to, and the item's id.
async fn next_item(browser: &mut Browser, review: &str) -> Option<(String, String)> {
    let page = browser.get(review).await;
    if page.status == StatusCode::OK {
        assert!(
            page.body.contains("All queue items processed"),
            "{}",
            page.body
        );
        return None;
    }
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().unwrap().to_owned();
    let id = location
        .split("/items/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    Some((location, id))
}

async fn reviewers_work_a_queue_to_completion(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    let store = ui.store();
    seed(store, &project).await;
    store
        .metadata()
        .insert_score_config(&config(&project))
        .await
        .unwrap();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("bob@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let mut bob = ui.signed_in("bob@example.com").await;
    let queues = project_url(&project, "/annotation-queues");

    // A queue needs a score config.
    let refused = ada
        .submit(&queues, &queues, &[("name", "Weekly review")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.body.contains("at least 1"), "{}", refused.body);
    let created = ada
        .submit(
            &queues,
            &queues,
            &[("name", "Weekly review"), ("config_id", "cfg-helpful")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let queue_url = created.location().unwrap().to_owned();
    let queue_id = queue_url.rsplit('/').next().unwrap().to_owned();

    // Three traces from the table's row selection, one of them twice: added once.
    let traces = project_url(&project, "/traces");
    let table = ada.get(&traces).await;
    assert!(
        table.body.contains("id=\"bulk-queue\""),
        "row selection is offered"
    );
    let add = project_url(&project, "/annotation-queues/items");
    let added = ada
        .submit(
            &traces,
            &add,
            &[
                ("queue_id", &queue_id),
                ("object_type", "TRACE"),
                ("object_id", "t-chat"),
                ("object_id", "t-old"),
                ("object_id", "t-hostile"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    ada.submit(
        &traces,
        &add,
        &[
            ("queue_id", &queue_id),
            ("object_type", "TRACE"),
            ("object_id", "t-chat"),
        ],
    )
    .await;
    let page = ada.get(&queue_url).await;
    assert!(
        page.body
            .contains("<strong class=\"pending-count\">3</strong>"),
        "{}",
        page.body
    );
    assert_inert(&page.body);
    // The sessions and observations tables offer the same row selection.
    for (section, kind) in [
        ("/sessions", "SESSION"),
        ("/observations?type=ALL", "OBSERVATION"),
    ] {
        let table = ada.get(&project_url(&project, section)).await;
        assert!(table.body.contains("id=\"bulk-queue\""), "{section}");
        assert!(
            table
                .body
                .contains(&format!("name=\"object_type\" value=\"{kind}\"")),
            "{section}"
        );
        assert!(
            table.body.contains("class=\"select-row\""),
            "{section} has rows to select"
        );
    }

    // Two reviewers never get the same item.
    let review = format!("{queue_url}/review");
    let (ada_item, ada_id) = next_item(&mut ada, &review).await.unwrap();
    let (bob_item, bob_id) = next_item(&mut bob, &review).await.unwrap();
    assert_ne!(ada_id, bob_id);
    let (again, _) = next_item(&mut ada, &review).await.unwrap();
    assert_eq!(again, ada_item, "a reviewer gets their own item back");
    let view = ada.get(&ada_item).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.body.contains("helpfulness"));
    assert_inert(&view.body);

    // A value outside the config's range: refused, nothing saved, the item still pending.
    let field = "score_cfg-helpful";
    let bad = ada
        .submit(
            &ada_item,
            &ada_item,
            &[(field, "7"), ("action", "complete")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("outside the config"), "{}", bad.body);
    let scores = |store: &sightline_store::Store| {
        let project = project.clone();
        let store = store.clone();
        async move {
            store
                .events()
                .list_scores(
                    &project,
                    &ScoreQuery {
                        limit: 100,
                        ..ScoreQuery::default()
                    },
                )
                .await
                .unwrap()
                .0
                .into_iter()
                .filter(|s| s.score.score.source == ScoreSource::Annotation)
                .collect::<Vec<_>>()
        }
    };
    assert!(scores(store).await.is_empty());

    // Ada completes hers and is handed the third item; Bob completes his.
    let done = ada
        .submit(
            &ada_item,
            &ada_item,
            &[
                (field, "0.8"),
                ("comment", "clear answer"),
                ("action", "complete"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (third, third_id) = next_item(&mut ada, &review).await.unwrap();
    assert!(third_id != ada_id && third_id != bob_id);
    bob.submit(
        &bob_item,
        &bob_item,
        &[(field, "0.3"), ("action", "complete")],
    )
    .await;
    // Skipping leaves the item pending; then it is completed.
    let skipped = ada.submit(&third, &third, &[("action", "skip")]).await;
    assert_eq!(skipped.status, StatusCode::SEE_OTHER);
    let finished = ada.get(skipped.location().unwrap()).await;
    assert!(
        finished.body.contains("You skipped 1 item"),
        "{}",
        finished.body
    );
    ada.submit(&third, &third, &[(field, "1"), ("action", "complete")])
        .await;
    assert!(next_item(&mut ada, &review).await.is_none());
    assert!(next_item(&mut bob, &review).await.is_none());
    let page = ada.get(&queue_url).await;
    assert!(
        page.body
            .contains("<strong class=\"completed-count\">3</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("ada@example.com") && page.body.contains("bob@example.com"));

    // The scores: ANNOTATION, with the queue's id and the config.
    let given = scores(store).await;
    assert_eq!(given.len(), 3, "{given:?}");
    for score in &given {
        assert_eq!(
            score.score.score.queue_id.as_deref(),
            Some(queue_id.as_str())
        );
        assert_eq!(score.score.score.config_id.as_deref(), Some("cfg-helpful"));
    }

    // A VIEWER sees the queue but cannot review or add.
    let mut vic = ui.signed_in("vic@example.com").await;
    assert_eq!(vic.get(&queue_url).await.status, StatusCode::OK);
    assert_eq!(vic.get(&review).await.status, StatusCode::FORBIDDEN);
    let forbidden = vic
        .submit(
            &queue_url,
            &add,
            &[
                ("queue_id", &queue_id),
                ("object_type", "TRACE"),
                ("object_id", "t-old"),
            ],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "reviewers_work_a_queue_to_completion",
        reviewers_work_a_queue_to_completion,
    )]
}
