//! `GET /v3/scores` as clients see it: polymorphic values, field groups, cursor pages and the
//! comma-list filters.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

async fn seed(app: &TestApp, tenant: &Tenant) {
    let trace = |id: &str, env: &str, session: &str| {
        json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
            "body": {"id": id, "timestamp": "2024-01-01T00:00:00Z", "environment": env,
                "sessionId": session}})
    };
    let batch = json!({"batch": [
        trace("t1", "production", "s1"),
        trace("t2", "staging", "s2"),
        {"id": "o1", "type": "span-create", "timestamp": "2024-01-01T00:00:00Z", "body": {
            "id": "span-1", "traceId": "t1", "startTime": "2024-01-01T00:00:00Z"}},
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]));
    let scores = json!([
        {"id": "sc-1", "traceId": "t1", "name": "quality", "value": 0.9, "environment": "production",
            "timestamp": "2024-01-01T00:00:00Z", "comment": "fine", "metadata": {"k": "v"}},
        {"id": "sc-2", "traceId": "t2", "name": "quality", "value": 0.2, "environment": "staging",
            "timestamp": "2024-01-02T00:00:00Z", "source": "ANNOTATION", "queueId": "q1"},
        {"id": "sc-3", "traceId": "t1", "observationId": "span-1", "name": "verdict", "value": "good",
            "environment": "production", "timestamp": "2024-01-03T00:00:00Z"},
        {"id": "sc-4", "sessionId": "s1", "name": "resolved", "value": 1, "dataType": "BOOLEAN",
            "environment": "production", "timestamp": "2024-01-04T00:00:00Z"},
    ]);
    let response = app
        .post_json("/api/public/scores", &tenant.basic(), &scores)
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.body);
}

async fn v3(app: &TestApp, tenant: &Tenant, query: &str) -> Value {
    let response = app
        .get(
            &format!("/api/public/v3/scores{query}"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {}",
        response.body
    );
    response.body
}

fn ids(body: &Value) -> Vec<&str> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|score| score["id"].as_str().unwrap())
        .collect()
}

async fn v3_scores_have_polymorphic_values_and_field_groups(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let core = v3(&app, &tenant, "").await;
    assert_eq!(ids(&core), ["sc-4", "sc-3", "sc-2", "sc-1"]);
    assert_eq!(
        core["meta"],
        json!({"limit": 50}),
        "no cursor on the last page"
    );
    let boolean = &core["data"][0];
    assert_eq!(boolean["value"], true);
    assert_eq!(boolean["dataType"], "BOOLEAN");
    assert_eq!(boolean["projectId"], tenant.project_id.as_str());
    assert_eq!(boolean["timestamp"], "2024-01-04T00:00:00.000Z");
    assert_eq!(boolean["environment"], "production");
    assert_eq!(boolean["source"], "API");
    for absent in [
        "subject",
        "comment",
        "metadata",
        "queueId",
        "stringValue",
        "traceId",
    ] {
        assert!(
            boolean.get(absent).is_none(),
            "{absent} is not a core field"
        );
    }
    assert_eq!(core["data"][1]["value"], "good");
    assert_eq!(core["data"][1]["dataType"], "CATEGORICAL");
    assert_eq!(core["data"][3]["value"], 0.9);

    let full = v3(&app, &tenant, "?fields=details,subject,annotation").await;
    let [sc4, sc3, sc2, sc1] = [0, 1, 2, 3].map(|i| &full["data"][i]);
    assert_eq!(sc1["comment"], "fine");
    assert_eq!(sc1["metadata"], json!({"k": "v"}));
    assert_eq!(sc1["configId"], Value::Null);
    assert_eq!(sc1["subject"], json!({"kind": "trace", "id": "t1"}));
    assert_eq!(
        sc3["subject"],
        json!({"kind": "observation", "id": "span-1", "traceId": "t1"})
    );
    assert_eq!(sc4["subject"], json!({"kind": "session", "id": "s1"}));
    assert_eq!(sc2["queueId"], "q1");
    assert_eq!(sc2["authorUserId"], Value::Null);
    assert_eq!(sc2["source"], "ANNOTATION");
}

async fn v3_scores_page_by_cursor(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let first = v3(&app, &tenant, "?limit=3").await;
    assert_eq!(ids(&first), ["sc-4", "sc-3", "sc-2"]);
    assert_eq!(first["meta"]["limit"], 3);
    let cursor = first["meta"]["cursor"].as_str().unwrap();
    assert!(
        cursor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "base64url: {cursor}"
    );
    let second = v3(&app, &tenant, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(ids(&second), ["sc-1"]);
    assert!(second["meta"].get("cursor").is_none());
}

async fn v3_scores_filter_by_comma_lists(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    for (query, expected) in [
        ("?name=quality", vec!["sc-2", "sc-1"]),
        ("?name=verdict,resolved", vec!["sc-4", "sc-3"]),
        ("?source=annotation", vec!["sc-2"]),
        ("?dataType=numeric,boolean", vec!["sc-4", "sc-2", "sc-1"]),
        ("?dataType=NUMERIC&valueMin=0.5", vec!["sc-1"]),
        ("?dataType=NUMERIC&valueMax=0.5", vec!["sc-2"]),
        ("?dataType=NUMERIC&value=0.2,0.3", vec!["sc-2"]),
        ("?dataType=BOOLEAN&value=true", vec!["sc-4"]),
        ("?dataType=BOOLEAN&value=false", vec![]),
        ("?dataType=CATEGORICAL&value=good,bad", vec!["sc-3"]),
        ("?environment=staging", vec!["sc-2"]),
        ("?id=sc-1,sc-3", vec!["sc-3", "sc-1"]),
        ("?queueId=q1", vec!["sc-2"]),
        ("?traceId=t1", vec!["sc-3", "sc-1"]),
        ("?traceId=t1&observationId=span-1", vec!["sc-3"]),
        ("?sessionId=s1", vec!["sc-4"]),
        ("?authorUserId=someone", vec![]),
        (
            "?fromTimestamp=2024-01-02T00:00:00Z&toTimestamp=2024-01-04T00:00:00Z",
            vec!["sc-3", "sc-2"],
        ),
    ] {
        assert_eq!(ids(&v3(&app, &tenant, query).await), expected, "{query}");
    }

    for query in [
        "?limit=101",
        "?limit=0",
        "?fields=details,everything",
        "?value=1",
        "?dataType=NUMERIC,BOOLEAN&value=1",
        "?dataType=TEXT&value=x",
        "?dataType=BOOLEAN&value=maybe",
        "?dataType=BOOLEAN&valueMin=0",
        "?observationId=span-1",
        "?traceId=t1&sessionId=s1",
        "?dataType=nope",
        "?cursor=%21%21%21",
    ] {
        let response = app
            .get(
                &format!("/api/public/v3/scores{query}"),
                Some(&tenant.basic()),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
    }
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "v3_scores_have_polymorphic_values_and_field_groups",
            v3_scores_have_polymorphic_values_and_field_groups,
        ),
        backend_test("v3_scores_page_by_cursor", v3_scores_page_by_cursor),
        backend_test(
            "v3_scores_filter_by_comma_lists",
            v3_scores_filter_by_comma_lists,
        ),
    ]
}
