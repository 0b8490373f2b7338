//! "Delete all matching" on the traces table: a batch action deletes every trace the table's
//! filters match, as a job with progress shown in Settings → Batch actions; bad filters are a
//! 400 that queues nothing; a viewer is refused.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_server::services::batch_actions;
use sightline_store::ExportStatus;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_fixtures::seed;

async fn traces_matching_a_filter_are_deleted_as_a_job(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("ada@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let traces = project_url(&project, "/traces");
    let delete_all = project_url(&project, "/traces/delete-all");
    let mut ada = ui.signed_in("ada@example.com").await;
    let page = ada.get(&traces).await;
    assert!(
        page.body.contains("delete-all-form"),
        "the form is on the table"
    );

    for bad in ["from=yesterday", "level=LOUD"] {
        let refused = ada.submit(&traces, &delete_all, &[("query", bad)]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let mut vic = ui.signed_in("vic@example.com").await;
    let viewer = vic
        .submit(&traces, &delete_all, &[("query", "range=7d")])
        .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    let metadata = ui.store().metadata();
    assert!(
        metadata
            .list_batch_actions(&project, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let queued = ada
        .submit(&traces, &delete_all, &[("query", "range=7d&user_id=alice")])
        .await;
    assert_eq!(queued.status, StatusCode::SEE_OTHER);
    let actions = metadata.list_batch_actions(&project, 10).await.unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!((actions[0].total, actions[0].processed), (1, 0));
    let listing = project_url(&project, "/settings/batch-actions");
    let page = ada.get(&listing).await;
    assert!(page.body.contains("QUEUED") && page.body.contains("0 / 1"));

    batch_actions::run(ui.app(), &project, &actions[0].id)
        .await
        .unwrap();
    let done = metadata
        .batch_action(&project, &actions[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, ExportStatus::Completed);
    assert_eq!(done.processed, 1);
    let page = ada.get(&listing).await;
    assert!(page.body.contains("COMPLETED") && page.body.contains("1 / 1"));
    let events = ui.store().events();
    assert!(
        events.trace(&project, "t-chat").await.unwrap().is_none(),
        "alice's trace went"
    );
    for kept in ["t-old", "t-hostile"] {
        assert!(
            events.trace(&project, kept).await.unwrap().is_some(),
            "{kept} stays"
        );
    }
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "traces_matching_a_filter_are_deleted_as_a_job",
        traces_matching_a_filter_are_deleted_as_a_job,
    )]
}
