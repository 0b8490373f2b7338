//! Sessions: the list with trace counts and cost, a session's conversation in time order with
//! links to its traces, hostile ids and payloads inert, other organizations' sessions 404.

use axum::http::StatusCode;
use serde_json::json;
use sightline_domain::Role;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_data::{HOSTILE, Trace, ago, assert_inert, generation, seed};

async fn sessions_list_and_show_their_conversation(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let project = ui.project().clone();
    let hostile_session = HOSTILE[0];
    seed(
        ui.store(),
        &project,
        &[
            Trace {
                session: Some("chat-42"),
                name: Some("turn one"),
                user: Some("alice"),
                input: Some(json!([
                    {"role": "system", "content": "Be kind."},
                    {"role": "user", "content": "Hello there"}
                ])),
                output: Some(json!({"role": "assistant", "content": "Hi! How can I help?"})),
                ..Trace::new("t-first", ago(10))
            },
            Trace {
                session: Some("chat-42"),
                name: Some("turn two"),
                input: Some(json!("What is the answer?")),
                output: Some(json!({"answer": 42})),
                ..Trace::new("t-second", ago(5))
            },
            Trace {
                session: Some(hostile_session),
                user: Some(HOSTILE[2]),
                name: Some(HOSTILE[1]),
                input: Some(json!([{"role": "user", "content": HOSTILE[1]}])),
                output: Some(json!({"html": HOSTILE[0], "link": HOSTILE[2]})),
                ..Trace::new(HOSTILE[1], ago(3))
            },
        ],
        vec![
            generation("g1", "t-first", ago(10), "gpt-4o", (10.0, 5.0), 0.5, 800),
            generation("g2", "t-second", ago(5), "gpt-4o", (20.0, 10.0), 0.25, 400),
        ],
    )
    .await;

    let mut owner = ui.signed_in("owner@example.com").await;
    let list = owner.get(&project_url(&project, "/sessions")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let chat_link = project_url(&project, "/sessions/chat-42");
    assert!(list.body.contains(&format!("href=\"{chat_link}\"")));
    assert!(list.body.contains("$0.750000"), "{}", list.body);
    assert!(list.body.contains(">45<"), "total tokens");
    assert!(list.body.contains(&format!(
        "<a href=\"{}\">alice</a>",
        project_url(&project, "/users/alice")
    )));
    assert!(
        list.body
            .contains("/sessions/%3Cscript%3Ealert%281%29%3C%2Fscript%3E")
    );
    assert_inert(&list.body);

    // Search by id narrows the list; htmx gets the table alone.
    let found = owner
        .request(
            axum::http::Method::GET,
            &project_url(&project, "/sessions?id=chat-42"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("chat-42"));
    assert!(!found.body.contains("%3Cscript"));
    assert!(!found.body.contains("<html"));

    let session = owner.get(&chat_link).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    let body = &session.body;
    for text in [
        "Be kind.",
        "Hello there",
        "Hi! How can I help?",
        "What is the answer?",
    ] {
        assert!(body.contains(text), "{text} missing");
    }
    assert!(body.contains("answer") && body.contains(": 42"));
    let first = body.find("Hello there").unwrap();
    let second = body.find("What is the answer?").unwrap();
    assert!(first < second, "traces in time order");
    assert!(body.contains(&format!(
        "href=\"{}\"",
        project_url(&project, "/traces/t-first")
    )));
    assert!(body.contains(&format!(
        "href=\"{}\"",
        project_url(&project, "/traces/t-second")
    )));
    assert!(body.contains(&format!(
        "href=\"{}\"",
        project_url(&project, "/users/alice")
    )));
    assert!(body.contains("2 traces"));

    let hostile = owner
        .get(&project_url(
            &project,
            "/sessions/%3Cscript%3Ealert%281%29%3C%2Fscript%3E",
        ))
        .await;
    assert_eq!(hostile.status, StatusCode::OK, "{}", hostile.body);
    assert!(
        hostile
            .body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(
        hostile
            .body
            .contains("/traces/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E")
    );
    assert!(hostile.body.contains("/users/javascript%3Aalert%281%29"));
    assert_inert(&hostile.body);

    let missing = owner
        .get(&project_url(&project, "/sessions/no-such-session"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Every page of these views, and every model action, is 404 to another organization's user.
async fn other_organizations_cannot_open_these_views(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(
        ui.store(),
        &project,
        &[Trace {
            session: Some("secret-session"),
            user: Some("secret-user"),
            ..Trace::new("secret-trace", ago(1))
        }],
        vec![generation(
            "g1",
            "secret-trace",
            ago(1),
            "gpt-4o",
            (1.0, 1.0),
            0.1,
            10,
        )],
    )
    .await;
    let other = identity::create_organization(ui.store(), None, "Other Org")
        .await
        .unwrap();
    identity::create_project(ui.store(), &other.id, None, "Bob's project", None)
        .await
        .unwrap();
    ui.user("bob@example.com", Some((&other.id, Role::Owner)))
        .await;
    let mut bob = ui.signed_in("bob@example.com").await;
    for path in [
        "/sessions",
        "/sessions/secret-session",
        "/users",
        "/users/secret-user",
        "/observations",
        "/observations?type=ALL",
        "/settings/models",
    ] {
        let page = bob.get(&project_url(&project, path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!page.body.contains("secret"), "GET {path}");
    }
    let home = "/ui/organizations";
    for path in [
        "/settings/models",
        "/settings/models/some-model",
        "/settings/models/some-model/delete",
    ] {
        let page = bob
            .submit(
                home,
                &project_url(&project, path),
                &[("model_name", "pwned"), ("input_price", "1")],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    assert!(
        ui.store()
            .metadata()
            .project_models(&project)
            .await
            .unwrap()
            .is_empty()
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
async fn members_score_sessions_edit_and_delete_annotations(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(
        ui.store(),
        &project,
        &[Trace {
            session: Some("chat-7"),
            ..Trace::new("t-one", ago(5))
        }],
        Vec::new(),
    )
    .await;
    ui.store()
        .metadata()
        .insert_score_config(&crate::trace_fixtures::config(&project))
        .await
        .unwrap();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let url = project_url(&project, "/sessions/chat-7");
    let page = ada.get(&url).await;
    assert!(page.body.contains("id=\"session-scores\"") && page.body.contains("score-form"));
    let scores = format!("{url}/scores");
    let config_id = crate::trace_fixtures::config(&project).id;
    for value in ["0.3", "0.8"] {
        let done = ada
            .submit(
                &url,
                &scores,
                &[("config_id", &config_id), ("value", value)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }
    let out_of_range = ada
        .submit(&url, &scores, &[("config_id", &config_id), ("value", "7")])
        .await;
    assert_eq!(out_of_range.status, StatusCode::BAD_REQUEST);
    let (stored, _) = ui
        .store()
        .events()
        .list_scores(
            &project,
            &sightline_store::ScoreQuery {
                session_ids: vec!["chat-7".into()],
                limit: 10,
                ..sightline_store::ScoreQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        stored.len(),
        1,
        "a second score of the config edits the first"
    );
    assert_eq!(stored[0].score.score.value, Some(0.8));
    assert!(ada.get(&url).await.body.contains(": 0.8"));
    let delete = format!("{scores}/{}/delete", stored[0].score.score.id);
    let mut vic = ui.signed_in("vic@example.com").await;
    assert!(!vic.get(&url).await.body.contains("score-form"));
    assert_eq!(
        vic.submit(&url, &delete, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ada.submit(&url, &delete, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(ada.get(&url).await.body.contains("No scores."));
    let unknown = ada
        .submit(
            &url,
            &project_url(&project, "/sessions/nope/scores"),
            &[("config_id", &config_id), ("value", "1")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "members_score_sessions_edit_and_delete_annotations",
            members_score_sessions_edit_and_delete_annotations,
        ),
        backend_test(
            "sessions_list_and_show_their_conversation",
            sessions_list_and_show_their_conversation,
        ),
        backend_test(
            "other_organizations_cannot_open_these_views",
            other_organizations_cannot_open_these_views,
        ),
    ]
}
