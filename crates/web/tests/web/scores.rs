//! The scores table: the project's scores with their values and what they score, filtered by
//! value and source, readable by a VIEWER, hostile text inert.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_fixtures::{assert_inert, seed};

async fn the_scores_table_filters_and_links(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut vic = ui.signed_in("vic@example.com").await;
    let table = project_url(&project, "/scores/all");

    let all = vic.get(&table).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("2 scores"), "{}", all.body);
    assert!(all.body.contains(">0.9<") && all.body.contains(">0.2<"));
    assert!(all.body.contains(&project_url(&project, "/traces/t-chat")));
    assert_inert(&all.body);

    let high = vic.get(&format!("{table}?op=%3E&value=0.5")).await;
    assert!(
        high.body.contains("1 score<") || high.body.contains("1 score\n"),
        "{}",
        high.body
    );
    assert!(high.body.contains(">0.9<") && !high.body.contains(">0.2<"));
    let annotations = vic.get(&format!("{table}?source=ANNOTATION")).await;
    assert!(annotations.body.contains("No scores match."));
    // The analytics page links here.
    let analytics = vic.get(&project_url(&project, "/scores")).await;
    assert!(analytics.body.contains("id=\"all-scores\""));
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "the_scores_table_filters_and_links",
        the_scores_table_filters_and_links,
    )]
}
