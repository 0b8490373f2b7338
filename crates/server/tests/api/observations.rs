//! `GET /observations` (page list) and `GET /v2/observations` (cursor list with field groups),
//! as clients see them.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

fn event(id: &str, kind: &str, ts: &str, body: Value) -> Value {
    json!({"id": id, "type": kind, "timestamp": ts, "body": body})
}

/// Two traces with four observations; in `start_time DESC` order: span-2, event-1, gen-1, span-1.
async fn seed(app: &TestApp, tenant: &Tenant) {
    let long = "a".repeat(300);
    let batch = json!({"batch": [
        event("e1", "trace-create", "2024-01-01T00:00:00Z", json!({
            "id": "t1", "name": "trace-one", "userId": "alice", "sessionId": "s1",
            "tags": ["x"], "release": "r1"})),
        event("e2", "trace-create", "2024-01-02T00:00:00Z", json!({
            "id": "t2", "name": "trace-two", "userId": "bob", "environment": "staging"})),
        event("e3", "span-create", "2024-01-01T00:00:00Z", json!({
            "id": "span-1", "traceId": "t1", "name": "root", "version": "v1",
            "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T00:00:02Z",
            "metadata": {"long": long, "short": "b"}})),
        event("e4", "generation-create", "2024-01-01T00:00:01Z", json!({
            "id": "gen-1", "traceId": "t1", "parentObservationId": "span-1", "name": "llm",
            "startTime": "2024-01-01T00:00:01Z", "completionStartTime": "2024-01-01T00:00:01.500Z",
            "endTime": "2024-01-01T00:00:03Z", "model": "gpt-4o", "level": "WARNING",
            "usageDetails": {"input": 10, "output": 20}, "input": {"q": 1}, "output": "answer"})),
        event("e5", "event-create", "2024-01-02T00:00:00Z", json!({
            "id": "event-1", "traceId": "t2", "name": "ping", "level": "ERROR",
            "environment": "staging", "startTime": "2024-01-02T00:00:00Z"})),
        event("e6", "span-create", "2024-01-03T00:00:00Z", json!({
            "id": "span-2", "traceId": "t2", "name": "root",
            "startTime": "2024-01-03T00:00:00Z"})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

async fn get_ok(app: &TestApp, tenant: &Tenant, path: &str) -> Value {
    let response = app.get(path, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    response.body
}

fn data_ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn v1_ids(app: &TestApp, tenant: &Tenant, query: &str) -> Vec<String> {
    data_ids(&get_ok(app, tenant, &format!("/api/public/observations{query}")).await)
}

async fn v2_ids(app: &TestApp, tenant: &Tenant, query: &str) -> Vec<String> {
    data_ids(&get_ok(app, tenant, &format!("/api/public/v2/observations{query}")).await)
}

async fn v1_lists_filter_and_page(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let all = get_ok(&app, &tenant, "/api/public/observations").await;
    assert_eq!(
        all["meta"],
        json!({"page": 1, "limit": 50, "totalItems": 4, "totalPages": 1})
    );
    assert_eq!(data_ids(&all), ["span-2", "event-1", "gen-1", "span-1"]);
    let generation = &all["data"][2];
    assert_eq!(generation["type"], "GENERATION");
    assert_eq!(generation["traceId"], "t1");
    assert_eq!(generation["parentObservationId"], "span-1");
    assert_eq!(generation["projectId"], tenant.project_id.as_str());
    assert_eq!(generation["input"], json!({"q": 1}));
    assert_eq!(generation["promptTokens"], 10);
    assert_eq!(generation["latency"], 2.0);
    assert_eq!(generation["timeToFirstToken"], 0.5);
    let detail = get_ok(&app, &tenant, "/api/public/observations/gen-1").await;
    assert_eq!(*generation, detail, "the list shows the detail shape");

    let no_ids: Vec<String> = Vec::new();
    assert_eq!(v1_ids(&app, &tenant, "?type=GENERATION").await, ["gen-1"]);
    assert_eq!(
        v1_ids(&app, &tenant, "?name=root").await,
        ["span-2", "span-1"]
    );
    assert_eq!(
        v1_ids(&app, &tenant, "?userId=alice").await,
        ["gen-1", "span-1"]
    );
    assert_eq!(v1_ids(&app, &tenant, "?userId=nobody").await, no_ids);
    assert_eq!(v1_ids(&app, &tenant, "?level=ERROR").await, ["event-1"]);
    assert_eq!(
        v1_ids(&app, &tenant, "?traceId=t2").await,
        ["span-2", "event-1"]
    );
    assert_eq!(v1_ids(&app, &tenant, "?version=v1").await, ["span-1"]);
    assert_eq!(
        v1_ids(&app, &tenant, "?parentObservationId=span-1").await,
        ["gen-1"]
    );
    assert_eq!(
        v1_ids(&app, &tenant, "?environment=staging").await,
        ["event-1"]
    );
    assert_eq!(
        v1_ids(&app, &tenant, "?environment=staging&environment=default").await,
        ["span-2", "event-1", "gen-1", "span-1"]
    );
    assert_eq!(
        v1_ids(
            &app,
            &tenant,
            "?fromStartTime=2024-01-01T00:00:01Z&toStartTime=2024-01-03T00:00:00Z"
        )
        .await,
        ["event-1", "gen-1"],
        "from is inclusive, to exclusive"
    );
    assert_eq!(
        v1_ids(&app, &tenant, "?filter=%5B%5D&type=SPAN").await,
        ["span-2", "span-1"]
    );

    let page = get_ok(&app, &tenant, "/api/public/observations?limit=3&page=2").await;
    assert_eq!(
        page["meta"],
        json!({"page": 2, "limit": 3, "totalItems": 4, "totalPages": 2})
    );
    assert_eq!(data_ids(&page), ["span-1"]);
}

async fn v2_walks_the_cursor_and_filters(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let all = get_ok(&app, &tenant, "/api/public/v2/observations").await;
    assert_eq!(data_ids(&all), ["span-2", "event-1", "gen-1", "span-1"]);
    assert_eq!(all["meta"], json!({}), "no cursor without more rows");

    for limit in 1..=4 {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/public/v2/observations?limit={limit}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={}", urlencode(cursor)));
            }
            let page = get_ok(&app, &tenant, &path).await;
            let ids = data_ids(&page);
            assert!(ids.len() <= limit);
            seen.extend(ids);
            match page["meta"]["cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(
            seen,
            ["span-2", "event-1", "gen-1", "span-1"],
            "limit {limit}"
        );
    }

    assert_eq!(
        v2_ids(&app, &tenant, "?sessionId=s1").await,
        ["gen-1", "span-1"]
    );
    assert_eq!(
        v2_ids(&app, &tenant, "?isRootObservation=true").await,
        ["span-2", "event-1", "span-1"]
    );
    assert_eq!(
        v2_ids(&app, &tenant, "?isRootObservation=false").await,
        ["gen-1"]
    );
    assert_eq!(
        v2_ids(&app, &tenant, "?userId=bob&type=EVENT").await,
        ["event-1"]
    );
    assert_eq!(
        v2_ids(&app, &tenant, "?traceId=t1&level=WARNING&name=llm").await,
        ["gen-1"]
    );
    assert_eq!(
        v2_ids(
            &app,
            &tenant,
            "?environment=staging&fromStartTime=2024-01-01T00:00:00Z&toStartTime=2024-01-05T00:00:00Z"
        )
        .await,
        ["event-1"]
    );
    assert_eq!(
        v2_ids(&app, &tenant, "?version=v1&parentObservationId=").await,
        ["span-1"]
    );
}

/// Observations that share a start time are ordered by trace then id, and the cursor walks
/// through them without skipping or repeating any.
async fn v2_cursor_breaks_start_time_ties(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let ts = "2024-01-01T00:00:00Z";
    let batch: Vec<Value> = [
        ("ta", "o1"),
        ("ta", "o2"),
        ("tb", "o1x"),
        ("tb", "o3"),
        ("ta", "o4"),
    ]
    .iter()
    .enumerate()
    .map(|(n, (trace, id))| {
        event(
            &format!("e{n}"),
            "event-create",
            ts,
            json!({
                "id": id, "traceId": trace, "startTime": ts}),
        )
    })
    .collect();
    let response = app
        .post_json(
            "/api/public/ingestion",
            &tenant.basic(),
            &json!({"batch": batch}),
        )
        .await;
    assert_eq!(response.body["errors"], json!([]));
    let expected = ["o3", "o1x", "o4", "o2", "o1"];
    assert_eq!(v2_ids(&app, &tenant, "").await, expected);
    let mut seen = Vec::new();
    let mut path = "/api/public/v2/observations?limit=2".to_owned();
    loop {
        let page = get_ok(&app, &tenant, &path).await;
        seen.extend(data_ids(&page));
        let Some(next) = page["meta"]["cursor"].as_str() else {
            break;
        };
        path = format!(
            "/api/public/v2/observations?limit=2&cursor={}",
            urlencode(next)
        );
    }
    assert_eq!(seen, expected);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

async fn v2_field_groups(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let default = get_ok(&app, &tenant, "/api/public/v2/observations?traceId=t1").await;
    let generation = &default["data"][0];
    assert_eq!(
        *generation,
        json!({
            "id": "gen-1", "traceId": "t1", "projectId": tenant.project_id,
            "startTime": "2024-01-01T00:00:01.000Z", "endTime": "2024-01-01T00:00:03.000Z",
            "parentObservationId": "span-1", "type": "GENERATION",
            "modelId": null, "inputPrice": null, "outputPrice": null, "totalPrice": null,
            "name": "llm", "level": "WARNING", "statusMessage": null, "version": null,
            "environment": "default", "bookmarked": false, "public": false,
            "userId": "alice", "sessionId": "s1", "isRootObservation": false,
        })
    );

    let core = get_ok(
        &app,
        &tenant,
        "/api/public/v2/observations?fields=core&traceId=t1",
    )
    .await;
    let keys: Vec<&str> = core["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 11, "{keys:?}");
    assert!(!keys.contains(&"name"));

    let full = get_ok(
        &app,
        &tenant,
        "/api/public/v2/observations?traceId=t1&expandMetadata=short\
         &fields=core,time,io,metadata,model,usage,prompt,metrics,trace_context",
    )
    .await;
    let generation = &full["data"][0];
    assert!(generation.get("name").is_none(), "basic was not asked for");
    assert_eq!(
        generation["completionStartTime"],
        "2024-01-01T00:00:01.500Z"
    );
    assert!(generation["createdAt"].is_string());
    assert_eq!(generation["input"], r#"{"q":1}"#);
    assert_eq!(generation["output"], "answer");
    assert_eq!(generation["providedModelName"], "gpt-4o");
    assert!(generation["modelId"].is_string(), "{generation}");
    assert!(generation["inputPrice"].is_string(), "{generation}");
    assert_eq!(generation["internalModelId"], generation["modelId"]);
    assert_eq!(generation["usageDetails"]["input"], 10);
    assert!(generation["totalCost"].as_f64().unwrap() > 0.0);
    assert_eq!(generation["promptName"], Value::Null);
    assert_eq!(generation["latency"], 2.0);
    assert_eq!(generation["timeToFirstToken"], 0.5);
    assert_eq!(generation["traceName"], "trace-one");
    assert_eq!(generation["tags"], json!(["x"]));
    assert_eq!(generation["release"], "r1");
    let span = &full["data"][1];
    assert_eq!(span["metadata"]["long"].as_str().unwrap().len(), 200);
    assert_eq!(span["metadata"]["short"], "b");
    let expanded = get_ok(
        &app,
        &tenant,
        "/api/public/v2/observations?traceId=t1&fields=metadata&expandMetadata=long",
    )
    .await;
    assert_eq!(
        expanded["data"][1]["metadata"]["long"]
            .as_str()
            .unwrap()
            .len(),
        300
    );
}

async fn observations_are_isolated_by_project(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let other = app.tenant("Other", "web").await;
    let no_ids: Vec<String> = Vec::new();
    assert_eq!(v1_ids(&app, &other, "").await, no_ids);
    assert_eq!(v1_ids(&app, &other, "?traceId=t1").await, no_ids);
    assert_eq!(v2_ids(&app, &other, "").await, no_ids);
    assert_eq!(v2_ids(&app, &other, "?userId=alice").await, no_ids);
    let meta = get_ok(&app, &other, "/api/public/observations").await["meta"].clone();
    assert_eq!(meta["totalItems"], 0);
}

async fn bad_observation_parameters_are_400s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let cursor = |body: &str| urlencode(&base64::engine::general_purpose::STANDARD.encode(body));
    let bad_v1 = [
        "?type=BOGUS",
        "?level=LOUD",
        "?limit=0",
        "?limit=101",
        "?page=x",
        "?fromStartTime=yesterday",
        "?toStartTime=2024-01-01T00:00:00",
        "?filter=nope",
        "?filter=%5B%7B%22type%22%3A%22string%22%7D%5D",
    ];
    for query in bad_v1 {
        let response = app
            .get(
                &format!("/api/public/observations{query}"),
                Some(&tenant.basic()),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.body["message"], "Invalid request data", "{query}");
        assert!(response.body["error"][0]["path"][0].is_string(), "{query}");
    }
    let bad_v2 = vec![
        "?limit=0".to_owned(),
        "?limit=1001".to_owned(),
        "?type=BOGUS".to_owned(),
        "?level=LOUD".to_owned(),
        "?isRootObservation=maybe".to_owned(),
        "?parseIoAsJson=true".to_owned(),
        "?fields=core,bogus".to_owned(),
        "?cursor=%%%".to_owned(),
        format!("?cursor={}", cursor("not json")),
        format!(
            "?cursor={}",
            cursor(r#"{"lastStartTimeTo":"2024-01-01T00:00:00Z"}"#)
        ),
        format!(
            "?cursor={}",
            cursor(r#"{"lastStartTimeTo":"soon","lastTraceId":"t","lastId":"o"}"#)
        ),
        format!(
            "?cursor={}",
            cursor(
                r#"{"lastStartTimeTo":"2024-01-01T00:00:00Z","lastTraceId":"t","lastId":"o","x":1}"#
            )
        ),
    ];
    for query in bad_v2 {
        let response = app
            .get(
                &format!("/api/public/v2/observations{query}"),
                Some(&tenant.basic()),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.body["message"], "Invalid request data", "{query}");
        assert!(response.body["error"][0]["path"][0].is_string(), "{query}");
    }
    let good_cursor =
        cursor(r#"{"lastStartTimeTo":"2024-01-01T00:00:00Z","lastTraceId":"t","lastId":"o"}"#);
    let ok = app
        .get(
            &format!("/api/public/v2/observations?cursor={good_cursor}&parseIoAsJson=false"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let unauthenticated = app.get("/api/public/v2/observations", None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test("v1_lists_filter_and_page", v1_lists_filter_and_page),
        backend_test(
            "v2_walks_the_cursor_and_filters",
            v2_walks_the_cursor_and_filters,
        ),
        backend_test(
            "v2_cursor_breaks_start_time_ties",
            v2_cursor_breaks_start_time_ties,
        ),
        backend_test("v2_field_groups", v2_field_groups),
        backend_test(
            "observations_are_isolated_by_project",
            observations_are_isolated_by_project,
        ),
        backend_test(
            "bad_observation_parameters_are_400s",
            bad_observation_parameters_are_400s,
        ),
    ]
}
