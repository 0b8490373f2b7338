//! The advanced `filter` parameter of `GET /traces`, `GET /observations`, `GET /v2/observations`
//! and `GET /scores`: every condition type against the columns clients filter on, and refusals
//! in zod's shape.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

/// Three traces: `t1` (alice, tags a+b, metadata env=prod and n=5, a 2 s span and a gpt-4o
/// generation with an ERROR level, score quality 0.9, category good, correct true), `t2` (bob,
/// tag a, metadata env=dev, a 1 s span, score quality 0.2, category bad, correct false), `t3` (no
/// user, tag c, no observations).
async fn seed(app: &TestApp, tenant: &Tenant) {
    let event = |id: &str, kind: &str, body: Value| json!({"id": id, "type": kind, "timestamp": "2024-01-05T00:00:00Z", "body": body});
    let batch = json!({"batch": [
        event("e1", "trace-create", json!({"id": "t1", "timestamp": "2024-01-01T00:00:00Z",
            "name": "chat", "userId": "alice", "tags": ["a", "b"], "sessionId": "s1",
            "metadata": {"env": "prod", "n": 5, "flag": true}})),
        event("e2", "trace-create", json!({"id": "t2", "timestamp": "2024-01-02T00:00:00Z",
            "name": "chat-v2", "userId": "bob", "tags": ["a"], "metadata": {"env": "dev"}})),
        event("e3", "trace-create", json!({"id": "t3", "timestamp": "2024-01-03T00:00:00Z",
            "name": "Search", "tags": ["c"]})),
        event("e4", "span-create", json!({"id": "o1", "traceId": "t1", "name": "root",
            "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T00:00:02Z"})),
        event("e5", "generation-create", json!({"id": "o2", "traceId": "t1", "name": "llm",
            "parentObservationId": "o1", "model": "gpt-4o", "level": "ERROR",
            "startTime": "2024-01-01T00:00:00.500Z", "endTime": "2024-01-01T00:00:01Z",
            "usageDetails": {"input": 1000, "output": 500}, "metadata": {"step": "answer"}})),
        event("e6", "span-create", json!({"id": "o3", "traceId": "t2", "name": "root",
            "startTime": "2024-01-02T00:00:00Z", "endTime": "2024-01-02T00:00:01Z"})),
        event("e7", "score-create", json!({"id": "s1", "traceId": "t1", "name": "quality", "value": 0.9})),
        event("e8", "score-create", json!({"id": "s2", "traceId": "t2", "name": "quality", "value": 0.2})),
        event("e9", "score-create", json!({"id": "s3", "traceId": "t1", "name": "verdict",
            "value": "good", "dataType": "CATEGORICAL"})),
        event("e10", "score-create", json!({"id": "s4", "traceId": "t2", "name": "verdict",
            "value": "bad", "dataType": "CATEGORICAL"})),
        event("e11", "score-create", json!({"id": "s5", "traceId": "t1", "observationId": "o2",
            "name": "quality", "value": 0.5})),
        event("e12", "score-create", json!({"id": "s6", "traceId": "t1", "name": "correct",
            "value": 1, "dataType": "BOOLEAN"})),
        event("e13", "score-create", json!({"id": "s7", "traceId": "t2", "name": "correct",
            "value": 0, "dataType": "BOOLEAN"})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
}

fn encoded(filter: &Value) -> String {
    form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect()
}

/// The ids a list answers for `filter` (sorted), after checking `totalItems` agrees.
async fn ids(app: &TestApp, tenant: &Tenant, path: &str, filter: Value) -> Vec<String> {
    let url = format!("{path}?filter={}", encoded(&filter));
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{filter}: {}",
        response.body
    );
    let mut ids: Vec<String> = response.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    if let Some(total) = response.body["meta"]["totalItems"].as_u64() {
        assert_eq!(total as usize, ids.len(), "{filter}: totalItems");
    }
    ids
}

fn one(kind: &str, column: &str, operator: &str, value: Value) -> Value {
    json!([{"type": kind, "column": column, "operator": operator, "value": value}])
}

fn keyed(kind: &str, column: &str, key: &str, operator: &str, value: Value) -> Value {
    json!([{"type": kind, "column": column, "key": key, "operator": operator, "value": value}])
}

async fn trace_filters_cover_every_condition_type(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let traces = "/api/public/traces";
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([]), vec!["t1", "t2", "t3"]),
        (one("string", "name", "=", json!("chat")), vec!["t1"]),
        (
            one("string", "name", "contains", json!("CHAT")),
            vec!["t1", "t2"],
        ),
        (
            one("string", "name", "does not contain", json!("v2")),
            vec!["t1", "t3"],
        ),
        (
            one("string", "name", "starts with", json!("sea")),
            vec!["t3"],
        ),
        (one("string", "name", "ends with", json!("-v2")), vec!["t2"]),
        (
            one("stringOptions", "userId", "any of", json!(["alice", "bob"])),
            vec!["t1", "t2"],
        ),
        (
            one("stringOptions", "userId", "none of", json!(["alice"])),
            vec!["t2", "t3"],
        ),
        (one("null", "userId", "is null", json!("")), vec!["t3"]),
        (
            one("null", "sessionId", "is not null", json!("")),
            vec!["t1"],
        ),
        (
            one(
                "datetime",
                "timestamp",
                ">=",
                json!("2024-01-02T00:00:00.000Z"),
            ),
            vec!["t2", "t3"],
        ),
        (
            one(
                "datetime",
                "timestamp",
                "<",
                json!("2024-01-02T00:00:00+00:00"),
            ),
            vec!["t1"],
        ),
        (
            one("arrayOptions", "tags", "any of", json!(["b", "c"])),
            vec!["t1", "t3"],
        ),
        (
            one("arrayOptions", "tags", "all of", json!(["a", "b"])),
            vec!["t1"],
        ),
        (
            one("arrayOptions", "tags", "none of", json!(["a"])),
            vec!["t3"],
        ),
        (one("number", "latency", ">", json!(1.5)), vec!["t1"]),
        (one("number", "latency", "<=", json!("1")), vec!["t2"]),
        (one("number", "totalCost", ">", json!(0)), vec!["t1"]),
        (one("number", "inputTokens", "=", json!(1000)), vec!["t1"]),
        (one("number", "totalTokens", ">=", json!(1500)), vec!["t1"]),
        (
            one("stringOptions", "level", "any of", json!(["ERROR"])),
            vec!["t1"],
        ),
        (one("number", "errorCount", "=", json!(0)), vec!["t2", "t3"]),
        (
            one("boolean", "bookmarked", "=", json!(false)),
            vec!["t1", "t2", "t3"],
        ),
        (one("boolean", "public", "=", json!(true)), vec![]),
        (
            keyed("stringObject", "metadata", "env", "=", json!("prod")),
            vec!["t1"],
        ),
        (
            keyed("stringObject", "metadata", "env", "contains", json!("DE")),
            vec!["t2"],
        ),
        (
            keyed("numberObject", "metadata", "n", ">", json!(4)),
            vec!["t1"],
        ),
        (
            keyed("booleanObject", "metadata", "flag", "=", json!(true)),
            vec!["t1"],
        ),
        (
            keyed("numberObject", "scores_avg", "quality", ">=", json!(0.5)),
            vec!["t1"],
        ),
        (
            keyed(
                "categoryOptions",
                "score_categories",
                "verdict",
                "any of",
                json!(["bad"]),
            ),
            vec!["t2"],
        ),
        (
            keyed(
                "categoryOptions",
                "score_categories",
                "verdict",
                "none of",
                json!(["bad"]),
            ),
            vec!["t1", "t3"],
        ),
        (
            keyed(
                "booleanObject",
                "score_booleans",
                "correct",
                "=",
                json!(true),
            ),
            vec!["t1"],
        ),
        (
            keyed(
                "booleanObject",
                "score_booleans",
                "correct",
                "<>",
                json!(true),
            ),
            vec!["t2", "t3"],
        ),
        (
            keyed(
                "categoryOptions",
                "metadata",
                "env",
                "any of",
                json!(["dev", "qa"]),
            ),
            vec!["t2"],
        ),
        (
            keyed(
                "categoryOptions",
                "metadata",
                "env",
                "none of",
                json!(["dev"]),
            ),
            vec!["t1", "t3"],
        ),
        (
            json!([
                {"type": "stringOptions", "column": "userId", "operator": "any of", "value": ["alice", "bob"]},
                {"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["b"]},
            ]),
            vec!["t1"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&app, &tenant, traces, filter.clone()).await,
            expected,
            "{filter}"
        );
    }

    // A filter condition on a column replaces that column's named parameter.
    let url = format!(
        "{traces}?userId=bob&filter={}",
        encoded(&one("string", "userId", "=", json!("alice")))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(response.body["data"][0]["id"], "t1", "{}", response.body);
    // Named parameters of other columns still apply.
    let url = format!(
        "{traces}?name=chat-v2&filter={}",
        encoded(&one("arrayOptions", "tags", "any of", json!(["a"])))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(response.body["meta"]["totalItems"], 1, "{}", response.body);

    // Another project sees none of it, whatever the filter.
    let other = app.tenant("Other", "web").await;
    assert!(ids(&app, &other, traces, json!([])).await.is_empty());
}

async fn observation_and_score_filters(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    for path in ["/api/public/observations", "/api/public/v2/observations"] {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                one("stringOptions", "type", "any of", json!(["GENERATION"])),
                vec!["o2"],
            ),
            (one("string", "model", "=", json!("gpt-4o")), vec!["o2"]),
            (one("number", "inputTokens", ">", json!(10)), vec!["o2"]),
            (one("number", "latency", ">=", json!(1)), vec!["o1", "o3"]),
            (
                one("string", "traceName", "=", json!("chat-v2")),
                vec!["o3"],
            ),
            (
                one("string", "userId", "=", json!("alice")),
                vec!["o1", "o2"],
            ),
            (
                one("arrayOptions", "traceTags", "all of", json!(["a", "b"])),
                vec!["o1", "o2"],
            ),
            (
                keyed("stringObject", "metadata", "step", "=", json!("answer")),
                vec!["o2"],
            ),
            (
                one("null", "parentObservationId", "is null", json!("")),
                vec!["o1", "o3"],
            ),
            (
                one("datetime", "startTime", ">", json!("2024-01-01T00:00:00Z")),
                vec!["o2", "o3"],
            ),
            (
                keyed("numberObject", "scores_avg", "quality", "=", json!(0.5)),
                vec!["o2"],
            ),
            (
                one("boolean", "isRootObservation", "=", json!(false)),
                vec!["o2"],
            ),
            (
                one("string", "traceEnvironment", "=", json!("default")),
                vec!["o1", "o2", "o3"],
            ),
            (one("number", "tokens", "=", json!(1500)), vec!["o2"]),
            (
                one("number", "tokensPerSecond", ">", json!(999)),
                vec!["o2"],
            ),
            (
                one("arrayOptions", "tags", "none of", json!(["b"])),
                vec!["o3"],
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                ids(&app, &tenant, path, filter.clone()).await,
                expected,
                "{path} {filter}"
            );
        }
    }
    // A filter condition replaces the named parameter of its column, here too.
    let url = format!(
        "/api/public/observations?type=SPAN&filter={}",
        encoded(&one(
            "stringOptions",
            "type",
            "any of",
            json!(["GENERATION"])
        ))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(response.body["meta"]["totalItems"], 1, "{}", response.body);
    assert_eq!(response.body["data"][0]["id"], "o2");

    for path in ["/api/public/scores", "/api/public/v2/scores"] {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                one("number", "value", ">", json!(0.4)),
                vec!["s1", "s5", "s6"],
            ),
            (
                one(
                    "stringOptions",
                    "dataType",
                    "any of",
                    json!(["CATEGORICAL"]),
                ),
                vec!["s3", "s4"],
            ),
            (one("string", "stringValue", "=", json!("good")), vec!["s3"]),
            (
                one("string", "userId", "=", json!("bob")),
                vec!["s2", "s4", "s7"],
            ),
            (
                one("arrayOptions", "tags", "any of", json!(["b"])),
                vec!["s1", "s3", "s5", "s6"],
            ),
            (
                one("null", "observationId", "is not null", json!("")),
                vec!["s5"],
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                ids(&app, &tenant, path, filter.clone()).await,
                expected,
                "{path} {filter}"
            );
        }
    }
}

async fn bad_filters_are_400s_naming_the_condition(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let cases = [
        (json!({"type": "string"}), json!(["filter"])),
        (
            one("string", "nope", "=", json!("x")),
            json!(["filter", 0, "column"]),
        ),
        (
            one("number", "name", ">", json!(1)),
            json!(["filter", 0, "type"]),
        ),
        (
            one("string", "name", "like", json!("x")),
            json!(["filter", 0, "operator"]),
        ),
        (
            one("number", "latency", ">", json!("slow")),
            json!(["filter", 0, "value"]),
        ),
        (
            one("datetime", "timestamp", ">", json!("2024-01-01")),
            json!(["filter", 0, "value"]),
        ),
        (
            one("numberObject", "scores_avg", ">", json!(1)),
            json!(["filter", 0, "key"]),
        ),
    ];
    for path in [
        "/api/public/traces",
        "/api/public/observations",
        "/api/public/v2/observations",
        "/api/public/scores",
    ] {
        for (filter, issue_path) in &cases {
            let url = format!("{path}?filter={}", encoded(filter));
            let response = app.get(&url, Some(&tenant.basic())).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path} {filter}");
            assert_eq!(response.body["message"], "Invalid request data");
            let issue = &response.body["error"][0];
            assert_eq!(
                &issue["path"], issue_path,
                "{path} {filter}: {}",
                response.body
            );
            assert!(!issue["message"].as_str().unwrap_or_default().is_empty());
        }
    }
    let raw = app
        .get(
            "/api/public/traces?filter=%5Bnot-json",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST);
    assert_eq!(raw.body["error"][0]["path"], json!(["filter"]));
}

/// `n` tags: `extra` and then `n - 1` that no trace has (short: a URI stays under 64 KiB).
fn many_tags(extra: &str, n: usize) -> Vec<String> {
    std::iter::once(extra.to_owned())
        .chain((1..n).map(|i| format!("n{i}")))
        .collect()
}

/// `name=v1&name=v2&…`.
fn repeated(name: &str, values: &[String]) -> String {
    values
        .iter()
        .map(|value| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Lists with thousands of values in one list, or too many conditions, answer 400 naming the
/// parameter; at the limit they run and answer correctly. Never a 500 (SQLite used to refuse
/// a chain of one condition per tag: "Expression tree is too large").
async fn oversized_filters_are_400s_never_500s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let limit = sightline_store::MAX_LIST_VALUES;
    let refused = |response: &crate::support::TestResponse, path: Value, what: &str| {
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            response.body
        );
        assert_eq!(response.body["error"][0]["path"], path, "{what}");
    };

    // The named `tags` of `GET /traces`.
    let url = format!(
        "/api/public/traces?{}",
        repeated("tags", &many_tags("a", 3_000))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    refused(&response, json!(["tags"]), "3000 tags");
    let url = format!(
        "/api/public/traces?{}",
        repeated("tags", &many_tags("a", limit))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.body["data"], json!([]));
    assert_eq!(response.body["meta"]["totalItems"], 0);

    // The named `traceTags` of `GET /scores`.
    let url = format!(
        "/api/public/scores?{}",
        repeated("traceTags", &many_tags("b", 3_000))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    refused(&response, json!(["traceTags"]), "3000 traceTags");
    let url = format!(
        "/api/public/scores?{}",
        repeated("traceTags", &many_tags("b", limit))
    );
    let response = app.get(&url, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.body["meta"]["totalItems"], 0);

    // The advanced filter of traces, observations and scores: one condition of 3000 values.
    for (path, column, expected) in [
        ("/api/public/traces", "tags", vec!["t1", "t2"]),
        (
            "/api/public/observations",
            "traceTags",
            vec!["o1", "o2", "o3"],
        ),
        (
            "/api/public/v2/observations",
            "traceTags",
            vec!["o1", "o2", "o3"],
        ),
        (
            "/api/public/scores",
            "tags",
            vec!["s1", "s2", "s3", "s4", "s5", "s6", "s7"],
        ),
    ] {
        let filter = one(
            "arrayOptions",
            column,
            "any of",
            json!(many_tags("a", 3_000)),
        );
        let url = format!("{path}?filter={}", encoded(&filter));
        let response = app.get(&url, Some(&tenant.basic())).await;
        refused(&response, json!(["filter", 0, "value"]), path);
        let filter = one(
            "arrayOptions",
            column,
            "any of",
            json!(many_tags("a", limit)),
        );
        assert_eq!(ids(&app, &tenant, path, filter).await, expected, "{path}");
    }

    // Too many conditions.
    let condition = json!({"type": "string", "column": "name", "operator": "=", "value": "x"});
    let crowded = Value::Array(vec![condition; 101]);
    for path in ["/api/public/traces", "/api/public/scores"] {
        let url = format!("{path}?filter={}", encoded(&crowded));
        let response = app.get(&url, Some(&tenant.basic())).await;
        refused(&response, json!(["filter"]), path);
    }
}

/// Input and output live apart from the observation row, zstd-compressed on SQLite
/// (`observation_payloads`): filters on them still read the text, and lists and trace details
/// return it whole.
async fn observation_input_and_output_filters_read_stored_payloads(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "payloads").await;
    let long = "the quick brown fox jumps over the lazy dog ".repeat(40);
    let event = |id: &str, body: Value| json!({"id": id, "type": "span-create", "timestamp": "2024-01-05T00:00:00Z", "body": body});
    let trace = json!({"id": "e0", "type": "trace-create", "timestamp": "2024-01-05T00:00:00Z",
        "body": {"id": "t1", "timestamp": "2024-01-01T00:00:00Z"}});
    let batch = json!({"batch": [
        trace,
        event("e1", json!({"id": "long", "traceId": "t1", "input": {"q": format!("{long} needle")},
            "output": long, "startTime": "2024-01-01T00:00:00Z"})),
        event("e2", json!({"id": "short", "traceId": "t1", "input": "a needle", "output": "hay",
            "startTime": "2024-01-01T00:00:01Z"})),
        event("e3", json!({"id": "none", "traceId": "t1", "startTime": "2024-01-01T00:00:02Z"})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
    for path in ["/api/public/observations", "/api/public/v2/observations"] {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                one("string", "input", "contains", json!("needle")),
                vec!["long", "short"],
            ),
            (
                one("string", "output", "contains", json!("lazy dog")),
                vec!["long"],
            ),
            (
                one("string", "output", "=", json!("\"hay\"")),
                vec!["short"],
            ),
            (one("null", "input", "is null", json!("")), vec!["none"]),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                ids(&app, &tenant, path, filter.clone()).await,
                expected,
                "{path} {filter}"
            );
        }
    }
    let trace = app
        .get("/api/public/traces/t1", Some(&tenant.basic()))
        .await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    let observations = trace.body["observations"].as_array().expect("observations");
    let stored = observations
        .iter()
        .find(|o| o["id"] == "long")
        .expect("long");
    assert_eq!(stored["input"], json!({"q": format!("{long} needle")}));
    assert_eq!(stored["output"], json!(long));
    let none = observations
        .iter()
        .find(|o| o["id"] == "none")
        .expect("none");
    assert_eq!(none["input"], Value::Null);
}

/// A trace's input and output stay in its row, zstd-compressed on SQLite: the trace filters
/// read the text, and the list and the detail return the JSON whole.
async fn trace_input_and_output_filters_read_stored_payloads(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "trace-payloads").await;
    let long = "the quick brown fox jumps over the lazy dog ".repeat(40);
    let trace = |id: &str, body: Value| json!({"id": id, "type": "trace-create", "timestamp": "2024-01-05T00:00:00Z", "body": body});
    let batch = json!({"batch": [
        trace("e1", json!({"id": "long", "timestamp": "2024-01-01T00:00:00Z",
            "input": {"q": format!("{long} needle")}, "output": long})),
        trace("e2", json!({"id": "short", "timestamp": "2024-01-01T00:00:01Z",
            "input": "a needle", "output": "hay"})),
        trace("e3", json!({"id": "none", "timestamp": "2024-01-01T00:00:02Z"})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            one("string", "input", "contains", json!("needle")),
            vec!["long", "short"],
        ),
        (
            one("string", "output", "contains", json!("lazy dog")),
            vec!["long"],
        ),
        (
            one("string", "output", "=", json!("\"hay\"")),
            vec!["short"],
        ),
        (one("null", "input", "is null", json!("")), vec!["none"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            ids(&app, &tenant, "/api/public/traces", filter.clone()).await,
            expected,
            "{filter}"
        );
    }
    let detail = app
        .get("/api/public/traces/long", Some(&tenant.basic()))
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert_eq!(detail.body["input"], json!({"q": format!("{long} needle")}));
    assert_eq!(detail.body["output"], json!(long));
    let list = app
        .get("/api/public/traces?limit=10", Some(&tenant.basic()))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let listed = list.body["data"].as_array().expect("data");
    let long_row = listed.iter().find(|t| t["id"] == "long").expect("long");
    assert_eq!(long_row["output"], json!(long));
    let none_row = listed.iter().find(|t| t["id"] == "none").expect("none");
    assert_eq!(none_row["input"], Value::Null);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "trace_filters_cover_every_condition_type",
            trace_filters_cover_every_condition_type,
        ),
        backend_test(
            "observation_and_score_filters",
            observation_and_score_filters,
        ),
        backend_test(
            "observation_input_and_output_filters_read_stored_payloads",
            observation_input_and_output_filters_read_stored_payloads,
        ),
        backend_test(
            "trace_input_and_output_filters_read_stored_payloads",
            trace_input_and_output_filters_read_stored_payloads,
        ),
        backend_test(
            "bad_filters_are_400s_naming_the_condition",
            bad_filters_are_400s_naming_the_condition,
        ),
        backend_test(
            "oversized_filters_are_400s_never_500s",
            oversized_filters_are_400s_never_500s,
        ),
    ]
}
