//! `GET /traces` (list with its named filters), trace deletion and sessions, as clients see them.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

async fn seed(app: &TestApp, tenant: &Tenant) {
    let trace = |id: &str, ts: &str, user: &str, tags: Value, env: &str, session: Option<&str>| {
        json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": ts, "body": {
            "id": id, "timestamp": ts, "name": format!("name-{user}"), "userId": user, "tags": tags,
            "environment": env, "sessionId": session, "input": {"q": id}, "release": "r1",
        }})
    };
    let batch = json!({"batch": [
        trace("t1", "2024-01-01T00:00:00Z", "alice", json!(["a", "b"]), "production", Some("s1")),
        trace("t2", "2024-01-02T00:00:00Z", "bob", json!(["a"]), "staging", Some("s1")),
        trace("t3", "2024-01-03T00:00:00Z", "alice", json!(["c", "100%_x"]), "production", None),
        {"id": "o1", "type": "span-create", "timestamp": "2024-01-01T00:00:00Z", "body": {
            "id": "span-1", "traceId": "t1", "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T00:00:02Z"}},
        {"id": "sc1", "type": "score-create", "timestamp": "2024-01-01T00:00:00Z", "body": {
            "id": "score-1", "traceId": "t1", "name": "q", "value": 1}},
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]));
}

async fn ids(app: &TestApp, tenant: &Tenant, query: &str) -> Vec<String> {
    let response = app
        .get(&format!("/api/public/traces{query}"), Some(&tenant.basic()))
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {}",
        response.body
    );
    response.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn trace_lists_filter_order_and_page(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let all = app.get("/api/public/traces", Some(&tenant.basic())).await;
    assert_eq!(
        all.body["meta"],
        json!({"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1})
    );
    let first = &all.body["data"][2];
    assert_eq!(first["id"], "t1");
    assert_eq!(first["observations"], json!(["span-1"]));
    assert_eq!(first["scores"], json!(["score-1"]));
    assert_eq!(first["latency"], 2.0);
    assert_eq!(first["input"], json!({"q": "t1"}));
    assert_eq!(
        first["htmlPath"],
        format!("/project/{}/traces/t1", tenant.project_id)
    );

    assert_eq!(ids(&app, &tenant, "").await, ["t3", "t2", "t1"]);
    assert_eq!(
        ids(&app, &tenant, "?orderBy=timestamp.asc").await,
        ["t1", "t2", "t3"]
    );
    assert_eq!(ids(&app, &tenant, "?userId=alice").await, ["t3", "t1"]);
    assert_eq!(ids(&app, &tenant, "?name=name-bob").await, ["t2"]);
    assert_eq!(ids(&app, &tenant, "?sessionId=s1").await, ["t2", "t1"]);
    assert_eq!(ids(&app, &tenant, "?tags=a").await, ["t2", "t1"]);
    // Tag-only lists walk the tag index: order and pages as any list.
    assert_eq!(
        ids(&app, &tenant, "?tags=a&orderBy=timestamp.asc").await,
        ["t1", "t2"]
    );
    assert_eq!(ids(&app, &tenant, "?tags=a&limit=1&page=2").await, ["t1"]);
    assert_eq!(
        ids(&app, &tenant, "?tags=a&toTimestamp=2024-01-02T00:00:00Z").await,
        ["t1"]
    );
    assert_eq!(
        ids(&app, &tenant, "?tags=a&tags=b&tags=c").await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app, &tenant, "?tags=a&tags=b").await,
        ["t1"],
        "tags are all-of"
    );
    assert_eq!(
        ids(&app, &tenant, "?tags=100%25_x").await,
        ["t3"],
        "LIKE wildcards are literal"
    );
    assert_eq!(
        ids(&app, &tenant, "?tags=100%25").await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app, &tenant, "?environment=staging&environment=production").await,
        ["t3", "t2", "t1"]
    );
    assert_eq!(ids(&app, &tenant, "?environment=staging").await, ["t2"]);
    assert_eq!(
        ids(
            &app,
            &tenant,
            "?fromTimestamp=2024-01-02T00:00:00Z&toTimestamp=2024-01-03T00:00:00Z"
        )
        .await,
        ["t2"],
        "from is inclusive, to exclusive"
    );
    assert_eq!(
        ids(&app, &tenant, "?release=r1&version=").await,
        ["t3", "t2", "t1"]
    );

    let page = app
        .get("/api/public/traces?limit=2&page=2", Some(&tenant.basic()))
        .await;
    assert_eq!(
        page.body["meta"],
        json!({"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2})
    );
    assert_eq!(page.body["data"][0]["id"], "t1");

    let core = app
        .get(
            "/api/public/traces?fields=core&orderBy=timestamp.asc",
            Some(&tenant.basic()),
        )
        .await;
    let trace = &core.body["data"][0];
    assert_eq!(
        (trace["latency"].clone(), trace["totalCost"].clone()),
        (json!(-1), json!(-1))
    );
    assert_eq!(trace["observations"], json!([]));
    assert!(trace.get("input").is_none());

    let other = app.tenant("Other", "web").await;
    assert_eq!(ids(&app, &other, "").await, Vec::<String>::new());
}

async fn bad_list_parameters_are_400s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?page=x", "page"),
        ("?fromTimestamp=yesterday", "fromTimestamp"),
        ("?toTimestamp=2024-01-01T00:00:00", "toTimestamp"),
        ("?orderBy=bogus.desc", "orderBy"),
        ("?orderBy=timestamp.sideways", "orderBy"),
        ("?filter=not-json", "filter"),
        ("?filter=%5B%7B%22type%22%3A%22string%22%7D%5D", "filter"),
    ] {
        let response = app
            .get(&format!("/api/public/traces{query}"), Some(&tenant.basic()))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        // zod's shape: a generic message and the issues, each naming its field.
        assert_eq!(response.body["message"], "Invalid request data", "{query}");
        let issue = &response.body["error"][0];
        assert_eq!(issue["path"][0], field, "{query}: {}", response.body);
        assert!(!issue["message"].as_str().unwrap_or_default().is_empty());
    }
    let sessions = app
        .get("/api/public/sessions?limit=1000", Some(&tenant.basic()))
        .await;
    assert_eq!(sessions.status, StatusCode::BAD_REQUEST);
}

async fn traces_can_be_deleted(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let auth = tenant.basic();
    let one = app
        .request(
            Method::DELETE,
            "/api/public/traces/t1",
            &[("authorization", &auth)],
            vec![],
        )
        .await;
    assert_eq!(one.body, json!({"message": "Trace deleted successfully"}));
    assert_eq!(
        app.get("/api/public/traces/t1", Some(&auth)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/public/observations/span-1", Some(&auth))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let many = app
        .request(
            Method::DELETE,
            "/api/public/traces",
            &headers,
            json!({"traceIds": ["t2", "t3"]}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(many.body, json!({"message": "Traces deleted successfully"}));
    assert_eq!(ids(&app, &tenant, "").await, Vec::<String>::new());
    let empty = app
        .request(
            Method::DELETE,
            "/api/public/traces",
            &headers,
            json!({"traceIds": []}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    // A deleted trace does not come back from the event log when an event timestamped after
    // the delete arrives (one from before it is dropped: tests/api/deletion.rs).
    let after_delete = sightline_domain::time::to_iso(sightline_domain::time::now_ms() + 1000);
    let later = json!({"batch": [{"id": "late", "type": "trace-create", "timestamp": after_delete,
                                  "body": {"id": "t1", "userId": "carol"}}]});
    app.post_json("/api/public/ingestion", &auth, &later).await;
    let trace = app.get("/api/public/traces/t1", Some(&auth)).await.body;
    assert_eq!(trace["userId"], "carol");
    assert_eq!(trace["name"], Value::Null, "the old events are gone");
}

async fn sessions_list_and_detail(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let auth = tenant.basic();
    let list = app.get("/api/public/sessions", Some(&auth)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["meta"]["totalItems"], 1);
    assert_eq!(list.body["data"][0]["id"], "s1");
    assert_eq!(
        list.body["data"][0]["projectId"],
        tenant.project_id.as_str()
    );
    let detail = app.get("/api/public/sessions/s1", Some(&auth)).await;
    assert_eq!(detail.status, StatusCode::OK);
    let traces: Vec<&str> = detail.body["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(traces, ["t1", "t2"]);
    let missing = app.get("/api/public/sessions/nope", Some(&auth)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let other = app.tenant("Other", "web").await;
    assert_eq!(
        app.get("/api/public/sessions/s1", Some(&other.basic()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// `totalItems` and the ids of a trace list.
async fn counted(app: &TestApp, tenant: &Tenant, query: &str) -> (u64, Vec<String>) {
    let response = app
        .get(&format!("/api/public/traces{query}"), Some(&tenant.basic()))
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {}",
        response.body
    );
    let mut ids: Vec<String> = response.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    (response.body["meta"]["totalItems"].as_u64().unwrap(), ids)
}

/// The counts of unfiltered and tag-filtered lists come from tables kept by triggers: they must
/// follow new traces, changed tags and timestamps, and deletions.
async fn trace_counts_follow_writes_and_deletes(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let expect = |ids: &[&str]| {
        (
            ids.len() as u64,
            ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        counted(&app, &tenant, "").await,
        expect(&["t1", "t2", "t3"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=a").await,
        expect(&["t1", "t2"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=a&tags=b").await,
        expect(&["t1"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=100%25_x").await,
        expect(&["t3"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=a&fromTimestamp=2024-01-02T00:00:00Z").await,
        expect(&["t2"])
    );

    // t3 gains tag a; t2 moves earlier (its timestamp is immutable: the event first in envelope
    // order sets it).
    let batch = json!({"batch": [
        {"id": "u1", "type": "trace-create", "timestamp": "2024-02-01T00:00:00Z",
         "body": {"id": "t3", "tags": ["a"]}},
        {"id": "u2", "type": "trace-create", "timestamp": "2023-12-30T00:00:00Z",
         "body": {"id": "t2", "timestamp": "2023-12-31T00:00:00Z"}},
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]));
    assert_eq!(
        counted(&app, &tenant, "").await,
        expect(&["t1", "t2", "t3"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=a").await,
        expect(&["t1", "t2", "t3"])
    );
    assert_eq!(
        counted(&app, &tenant, "?tags=a&fromTimestamp=2024-01-01T00:00:00Z").await,
        expect(&["t1", "t3"])
    );

    let deleted = app
        .request(
            Method::DELETE,
            "/api/public/traces/t1",
            &[("authorization", &tenant.basic())],
            vec![],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(counted(&app, &tenant, "").await, expect(&["t2", "t3"]));
    assert_eq!(
        counted(&app, &tenant, "?tags=a").await,
        expect(&["t2", "t3"])
    );
    assert_eq!(counted(&app, &tenant, "?tags=b").await, expect(&[]));

    let other = app.tenant("Other", "web").await;
    assert_eq!(counted(&app, &other, "").await, expect(&[]));
    assert_eq!(counted(&app, &other, "?tags=a").await, expect(&[]));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "trace_counts_follow_writes_and_deletes",
            trace_counts_follow_writes_and_deletes,
        ),
        backend_test(
            "trace_lists_filter_order_and_page",
            trace_lists_filter_order_and_page,
        ),
        backend_test("bad_list_parameters_are_400s", bad_list_parameters_are_400s),
        backend_test("traces_can_be_deleted", traces_can_be_deleted),
        backend_test("sessions_list_and_detail", sessions_list_and_detail),
    ]
}
