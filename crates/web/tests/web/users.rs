//! Users: the list with trace counts, tokens, cost and first/last seen, search and time range,
//! a user's page with their traces, hostile user ids inert.

use axum::http::StatusCode;
use serde_json::json;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_data::{HOSTILE, Trace, ago, assert_inert, generation, seed};

async fn users_list_their_usage_and_traces(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("viewer@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let project = ui.project().clone();
    seed(
        ui.store(),
        &project,
        &[
            Trace {
                user: Some("alice"),
                session: Some("s-a"),
                name: Some("alice first"),
                input: Some(json!("first question")),
                ..Trace::new("ta1", ago(30))
            },
            Trace {
                user: Some("alice"),
                name: Some("alice second"),
                ..Trace::new("ta2", ago(20))
            },
            Trace {
                user: Some("bob"),
                ..Trace::new("tb1", ago(60 * 24 * 10))
            },
            Trace {
                user: Some(HOSTILE[1]),
                input: Some(json!(HOSTILE[0])),
                ..Trace::new("th1", ago(1))
            },
            Trace::new("anonymous", ago(2)),
        ],
        vec![
            generation("g1", "ta1", ago(30), "gpt-4o", (100.0, 50.0), 1.5, 100),
            generation("g2", "ta2", ago(20), "gpt-4o", (10.0, 5.0), 0.25, 100),
            generation(
                "g3",
                "tb1",
                ago(60 * 24 * 10),
                "gpt-4o",
                (1.0, 1.0),
                0.001,
                100,
            ),
        ],
    )
    .await;
    let mut viewer = ui.signed_in("viewer@example.com").await;

    let list = viewer.get(&project_url(&project, "/users")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let alice_href = format!("href=\"{}\"", project_url(&project, "/users/alice"));
    assert!(list.body.contains(&alice_href));
    assert!(list.body.contains(">165<"), "alice's tokens");
    assert!(list.body.contains("$1.75"), "alice's cost");
    assert!(list.body.contains(&project_url(&project, "/users/bob")));
    assert!(
        list.body.contains("3 in all"),
        "users with traces, not anonymous ones"
    );
    assert!(
        list.body
            .contains("/users/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E")
    );
    assert_inert(&list.body);

    let search = viewer.get(&project_url(&project, "/users?q=ALI")).await;
    assert!(search.body.contains(&alice_href));
    assert!(!search.body.contains("/users/bob"));
    assert!(search.body.contains("1 in all"));

    let recent = viewer.get(&project_url(&project, "/users?range=24h")).await;
    assert!(recent.body.contains(&alice_href));
    assert!(!recent.body.contains("/users/bob"));

    let alice = viewer.get(&project_url(&project, "/users/alice")).await;
    assert_eq!(alice.status, StatusCode::OK, "{}", alice.body);
    assert!(alice.body.contains("<dd>2</dd>"), "trace count");
    assert!(alice.body.contains("<dd>165</dd>"));
    assert!(alice.body.contains("<dd>$1.75</dd>"));
    assert!(alice.body.contains(&project_url(&project, "/traces/ta1")));
    assert!(alice.body.contains(&project_url(&project, "/traces/ta2")));
    assert!(alice.body.contains(&project_url(&project, "/sessions/s-a")));
    assert!(alice.body.contains("first question"));
    assert!(alice.body.contains(">$1.50<") && alice.body.contains(">$0.250000<"));
    let newer = alice.body.find("alice second").unwrap();
    let older = alice.body.find("alice first").unwrap();
    assert!(newer < older, "recent traces first");

    let hostile = viewer
        .get(&project_url(
            &project,
            "/users/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E",
        ))
        .await;
    assert_eq!(hostile.status, StatusCode::OK, "{}", hostile.body);
    assert!(
        hostile
            .body
            .contains("&#60;img src=x onerror=alert(1)&#62;")
    );
    assert_inert(&hostile.body);

    let missing = viewer.get(&project_url(&project, "/users/nobody")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "users_list_their_usage_and_traces",
        users_list_their_usage_and_traces,
    )]
}
