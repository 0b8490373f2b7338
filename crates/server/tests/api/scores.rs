//! Scores as clients see them: `GET /scores` (v1) and `GET /v2/scores` with their named
//! filters, one score by id, deletion, score configs and scores checked against them.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

async fn seed(app: &TestApp, tenant: &Tenant) {
    let trace = |id: &str, user: &str, tags: Value, env: &str, session: &str| {
        json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
            "body": {"id": id, "timestamp": "2024-01-01T00:00:00Z", "userId": user, "tags": tags,
                "environment": env, "sessionId": session}})
    };
    let batch = json!({"batch": [
        trace("t1", "alice", json!(["a", "b"]), "production", "s1"),
        trace("t2", "bob", json!(["a"]), "staging", "s2"),
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

async fn ids(app: &TestApp, tenant: &Tenant, path: &str) -> Vec<String> {
    let response = app.get(path, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    response.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|score| score["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn score_lists_show_scores_with_their_traces(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let v1 = app.get("/api/public/scores", Some(&tenant.basic())).await;
    assert_eq!(v1.status, StatusCode::OK);
    assert_eq!(
        v1.body["meta"],
        json!({"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1}),
        "v1 lists trace scores only"
    );
    let first = &v1.body["data"][2];
    assert_eq!(first["id"], "sc-1");
    assert_eq!(first["traceId"], "t1");
    assert_eq!(first["name"], "quality");
    assert_eq!(first["value"], 0.9);
    assert_eq!(first["dataType"], "NUMERIC");
    assert_eq!(first["source"], "API");
    assert_eq!(first["comment"], "fine");
    assert_eq!(first["metadata"], json!({"k": "v"}));
    assert_eq!(first["environment"], "production");
    assert_eq!(first["timestamp"], "2024-01-01T00:00:00.000Z");
    assert_eq!(
        first["trace"],
        json!({"userId": "alice", "tags": ["a", "b"], "environment": "production"})
    );

    let v2 = app
        .get("/api/public/v2/scores", Some(&tenant.basic()))
        .await;
    assert_eq!(v2.body["meta"]["totalItems"], 4);
    let session_score = &v2.body["data"][0];
    assert_eq!(session_score["id"], "sc-4");
    assert_eq!(session_score["sessionId"], "s1");
    assert_eq!(session_score["traceId"], Value::Null);
    assert_eq!(session_score["dataType"], "BOOLEAN");
    assert_eq!(session_score["value"], 1.0);
    assert_eq!(session_score["stringValue"], "True");
    assert_eq!(session_score["trace"], Value::Null);
    assert_eq!(
        v2.body["data"][1]["trace"],
        json!({"userId": "alice", "tags": ["a", "b"], "environment": "production", "sessionId": "s1"})
    );
    assert_eq!(v2.body["data"][1]["stringValue"], "good");

    // `fields=score` leaves the trace out; filtering by a trace property then needs it.
    let core = app
        .get("/api/public/scores?fields=score", Some(&tenant.basic()))
        .await;
    assert_eq!(core.body["meta"]["totalItems"], 3);
    assert!(core.body["data"][0].get("trace").is_none(), "{}", core.body);
    assert_eq!(core.body["data"][0]["id"], v1.body["data"][0]["id"]);
    let both = app
        .get(
            "/api/public/scores?fields=score,trace",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(both.body["data"][2]["trace"], first["trace"]);
    let refused = app
        .get(
            "/api/public/scores?fields=score&userId=alice",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"][0]["path"], json!(["fields"]));
}

async fn score_lists_filter_and_page(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let v1 = "/api/public/scores";
    let v2 = "/api/public/v2/scores";
    for (path, expected) in [
        (format!("{v1}?userId=alice"), vec!["sc-3", "sc-1"]),
        (format!("{v1}?name=quality"), vec!["sc-2", "sc-1"]),
        (format!("{v1}?dataType=CATEGORICAL"), vec!["sc-3"]),
        (format!("{v1}?queueId=q1"), vec!["sc-2"]),
        (format!("{v1}?source=ANNOTATION"), vec!["sc-2"]),
        (format!("{v1}?traceTags=b"), vec!["sc-3", "sc-1"]),
        (
            format!("{v1}?traceTags=a&traceTags=b"),
            vec!["sc-3", "sc-1"],
        ),
        (format!("{v1}?traceTags=c"), vec![]),
        (format!("{v1}?environment=staging"), vec!["sc-2"]),
        (
            format!("{v1}?environment=staging&environment=production"),
            vec!["sc-3", "sc-2", "sc-1"],
        ),
        (
            format!("{v1}?fromTimestamp=2024-01-02T00:00:00Z&toTimestamp=2024-01-03T00:00:00Z"),
            vec!["sc-2"],
        ),
        (format!("{v1}?operator=%3E%3D&value=0.5"), vec!["sc-1"]),
        (format!("{v1}?operator=%3C&value=0.5"), vec!["sc-2"]),
        (
            format!("{v1}?scoreIds=sc-1,sc-2,sc-4"),
            vec!["sc-2", "sc-1"],
        ),
        (format!("{v2}?scoreIds=sc-1,sc-4"), vec!["sc-4", "sc-1"]),
        (format!("{v2}?sessionId=s1"), vec!["sc-4"]),
        (format!("{v2}?traceId=t2,t1"), vec!["sc-3", "sc-2", "sc-1"]),
        (format!("{v2}?observationId=span-1"), vec!["sc-3"]),
        (format!("{v2}?datasetRunId=run-1"), vec![]),
        (format!("{v2}?dataType=BOOLEAN"), vec!["sc-4"]),
    ] {
        assert_eq!(ids(&app, &tenant, &path).await, expected, "{path}");
    }

    let page = app
        .get(
            "/api/public/v2/scores?limit=3&page=2",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(
        page.body["meta"],
        json!({"page": 2, "limit": 3, "totalItems": 4, "totalPages": 2})
    );
    assert_eq!(page.body["data"][0]["id"], "sc-1");
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
}

async fn bad_score_list_parameters_are_400s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    for query in [
        "?limit=0",
        "?limit=101",
        "?page=x",
        "?fromTimestamp=yesterday",
        "?dataType=FLOAT",
        "?source=HUMAN",
        "?operator=%3E&value=high",
        "?operator=~&value=1",
        "?value=1",
        "?filter=not-json",
    ] {
        for base in ["/api/public/scores", "/api/public/v2/scores"] {
            let response = app
                .get(&format!("{base}{query}"), Some(&tenant.basic()))
                .await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{base}{query}");
            assert_eq!(response.body["message"], "Invalid request data", "{query}");
            assert!(response.body["error"][0]["path"][0].is_string(), "{query}");
        }
    }
}

async fn one_score_by_id_and_deletion(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "web").await;
    seed(&app, &tenant).await;

    for path in ["/api/public/scores/sc-3", "/api/public/v2/scores/sc-3"] {
        let one = app.get(path, Some(&tenant.basic())).await;
        assert_eq!(one.status, StatusCode::OK, "{path}");
        assert_eq!(one.body["id"], "sc-3");
        assert_eq!(one.body["observationId"], "span-1");
        assert_eq!(one.body["dataType"], "CATEGORICAL");
        assert_eq!(one.body["stringValue"], "good");
        assert_eq!(one.body["createdAt"].as_str().unwrap().len(), 24);

        let hidden = app.get(path, Some(&other.basic())).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(hidden.body["message"], "Score not found");
    }
    let missing = app
        .get("/api/public/v2/scores/nope", Some(&tenant.basic()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Score not found");

    let nothing = app.get("/api/public/v2/scores", Some(&other.basic())).await;
    assert_eq!(nothing.body["data"], json!([]));
    assert_eq!(nothing.body["meta"]["totalItems"], 0);

    // Another project's key deletes nothing.
    let foreign = app
        .send(
            Method::DELETE,
            "/api/public/scores/sc-3",
            &[("authorization", &other.basic())],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::ACCEPTED);
    let still = app
        .get("/api/public/scores/sc-3", Some(&tenant.basic()))
        .await;
    assert_eq!(still.status, StatusCode::OK);

    let deleted = app
        .send(
            Method::DELETE,
            "/api/public/scores/sc-3",
            &[("authorization", &tenant.basic())],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED);
    assert_eq!(
        deleted.body,
        json!({"message": "Score deletion queued successfully"})
    );
    let gone = app
        .get("/api/public/scores/sc-3", Some(&tenant.basic()))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        ids(&app, &tenant, "/api/public/v2/scores").await,
        ["sc-4", "sc-2", "sc-1"]
    );

    let unauthenticated = app.get("/api/public/v2/scores", None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

async fn patch(
    app: &TestApp,
    tenant: &Tenant,
    path: &str,
    body: &Value,
) -> crate::support::TestResponse {
    let auth = tenant.basic();
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    app.request(Method::PATCH, path, &headers, body.to_string().into_bytes())
        .await
}

async fn create_config(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let response = app
        .post_json("/api/public/score-configs", &tenant.basic(), &body)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{body}: {}", response.body);
    response.body
}

async fn score_configs_are_created_listed_and_updated(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "web").await;

    let numeric = create_config(
        &app,
        &tenant,
        json!({"name": "accuracy", "dataType": "NUMERIC", "minValue": 0, "maxValue": 1,
            "description": "how right"}),
    )
    .await;
    let id = numeric["id"].as_str().unwrap().to_owned();
    assert_eq!(numeric["name"], "accuracy");
    assert_eq!(numeric["dataType"], "NUMERIC");
    assert_eq!(numeric["projectId"], tenant.project_id.as_str());
    assert_eq!(numeric["isArchived"], false);
    assert_eq!(numeric["minValue"], 0.0);
    assert_eq!(numeric["maxValue"], 1.0);
    assert_eq!(numeric["categories"], Value::Null);
    assert_eq!(numeric["description"], "how right");
    assert!(numeric["createdAt"].as_str().unwrap().ends_with('Z'));

    let boolean = create_config(
        &app,
        &tenant,
        json!({"name": "helpful", "dataType": "BOOLEAN"}),
    )
    .await;
    assert_eq!(
        boolean["categories"],
        json!([{"label": "True", "value": 1}, {"label": "False", "value": 0}])
    );
    let categorical = create_config(
        &app,
        &tenant,
        json!({"name": "tone (v2)", "dataType": "CATEGORICAL",
            "categories": [{"label": "polite", "value": 1}, {"label": "rude", "value": 0}]}),
    )
    .await;
    assert_eq!(
        categorical["categories"],
        json!([{"label": "polite", "value": 1}, {"label": "rude", "value": 0}])
    );
    assert_eq!(categorical["minValue"], Value::Null);

    let one = app
        .get(
            &format!("/api/public/score-configs/{id}"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, numeric);
    let hidden = app
        .get(
            &format!("/api/public/score-configs/{id}"),
            Some(&other.basic()),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let none = app
        .get("/api/public/score-configs", Some(&other.basic()))
        .await;
    assert_eq!(none.body["data"], json!([]));

    let list = app
        .get("/api/public/score-configs?limit=2", Some(&tenant.basic()))
        .await;
    assert_eq!(
        list.body["meta"],
        json!({"page": 1, "limit": 2, "totalItems": 3, "totalPages": 2})
    );
    let page2 = app
        .get(
            "/api/public/score-configs?limit=2&page=2",
            Some(&tenant.basic()),
        )
        .await;
    let mut names: Vec<Value> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.body["data"].as_array().unwrap())
        .map(|config| config["name"].clone())
        .collect();
    names.sort_by_key(|name| name.to_string());
    assert_eq!(
        names,
        [json!("accuracy"), json!("helpful"), json!("tone (v2)")]
    );

    let path = format!("/api/public/score-configs/{id}");
    let archived = patch(
        &app,
        &tenant,
        &path,
        &json!({"isArchived": true, "description": null, "maxValue": 10}),
    )
    .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert_eq!(archived.body["isArchived"], true);
    assert_eq!(archived.body["description"], Value::Null);
    assert_eq!(archived.body["maxValue"], 10.0);
    assert_eq!(archived.body["minValue"], 0.0);
    let again = app.get(&path, Some(&tenant.basic())).await;
    assert_eq!(again.body, archived.body);

    let bad_patch = patch(&app, &tenant, &path, &json!({"minValue": 20})).await;
    assert_eq!(bad_patch.status, StatusCode::BAD_REQUEST);
    let foreign_patch = patch(&app, &other, &path, &json!({"isArchived": false})).await;
    assert_eq!(foreign_patch.status, StatusCode::NOT_FOUND);
    let boolean_path = format!(
        "/api/public/score-configs/{}",
        boolean["id"].as_str().unwrap()
    );
    let boolean_categories = patch(
        &app,
        &tenant,
        &boolean_path,
        &json!({"categories": [{"label": "yes", "value": 1}]}),
    )
    .await;
    assert_eq!(boolean_categories.status, StatusCode::BAD_REQUEST);
}

async fn bad_score_configs_are_400s(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    for body in [
        json!({"dataType": "NUMERIC"}),
        json!({"name": "x", "dataType": "FLOAT"}),
        json!({"name": "x", "dataType": "CORRECTION"}),
        json!({"name": "", "dataType": "NUMERIC"}),
        json!({"name": "a".repeat(36), "dataType": "NUMERIC"}),
        json!({"name": "semi;colon", "dataType": "NUMERIC"}),
        json!({"name": "x", "dataType": "NUMERIC", "minValue": 2, "maxValue": 1}),
        json!({"name": "x", "dataType": "NUMERIC", "categories": [{"label": "a", "value": 1}]}),
        json!({"name": "x", "dataType": "CATEGORICAL"}),
        json!({"name": "x", "dataType": "CATEGORICAL", "categories": []}),
        json!({"name": "x", "dataType": "CATEGORICAL", "minValue": 0,
            "categories": [{"label": "a", "value": 1}]}),
        json!({"name": "x", "dataType": "CATEGORICAL",
            "categories": [{"label": "a", "value": 1}, {"label": "a", "value": 2}]}),
        json!({"name": "x", "dataType": "BOOLEAN", "categories": [{"label": "a", "value": 1}]}),
        json!({"name": "x", "dataType": "BOOLEAN", "maxValue": 1}),
    ] {
        let response = app
            .post_json("/api/public/score-configs", &tenant.basic(), &body)
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let list = app
        .get("/api/public/score-configs", Some(&tenant.basic()))
        .await;
    assert_eq!(list.body["meta"]["totalItems"], 0);
    let missing = app
        .get("/api/public/score-configs/nope", Some(&tenant.basic()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn scores_are_checked_against_their_config(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "web").await;
    let numeric = create_config(
        &app,
        &tenant,
        json!({"name": "accuracy", "dataType": "NUMERIC", "minValue": 0, "maxValue": 1}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let categorical = create_config(
        &app,
        &tenant,
        json!({"name": "tone", "dataType": "CATEGORICAL",
            "categories": [{"label": "polite", "value": 1}, {"label": "rude", "value": 0}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let boolean = create_config(
        &app,
        &tenant,
        json!({"name": "helpful", "dataType": "BOOLEAN"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = |body: Value| {
        let app = &app;
        let auth = tenant.basic();
        async move { app.post_json("/api/public/scores", &auth, &body).await }
    };

    let ok = post(
        json!({"id": "ok-1", "traceId": "t1", "name": "accuracy", "value": 0.5,
        "configId": numeric}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let tone = post(
        json!({"id": "ok-2", "traceId": "t1", "name": "tone", "value": "rude",
        "configId": categorical}),
    )
    .await;
    assert_eq!(tone.status, StatusCode::OK, "{}", tone.body);
    let stored = app
        .get("/api/public/v2/scores/ok-2", Some(&tenant.basic()))
        .await;
    assert_eq!(stored.body["value"], 0.0, "the category's value is stored");
    assert_eq!(stored.body["stringValue"], "rude");
    assert_eq!(stored.body["configId"], categorical.as_str());
    let helpful = post(
        json!({"id": "ok-3", "traceId": "t1", "name": "helpful", "value": 1,
        "dataType": "BOOLEAN", "configId": boolean}),
    )
    .await;
    assert_eq!(helpful.status, StatusCode::OK, "{}", helpful.body);

    for body in [
        json!({"traceId": "t1", "name": "accuracy", "value": 1.5, "configId": numeric}),
        json!({"traceId": "t1", "name": "other", "value": 0.5, "configId": numeric}),
        json!({"traceId": "t1", "name": "accuracy", "value": "high", "configId": numeric}),
        json!({"traceId": "t1", "name": "tone", "value": "angry", "configId": categorical}),
        json!({"traceId": "t1", "name": "helpful", "value": 1, "configId": boolean}),
    ] {
        let response = post(body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            response.body
        );
    }
    let unknown = post(json!({"traceId": "t1", "name": "accuracy", "value": 0.5,
        "configId": "nope"}))
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.body["message"],
        "The configId you provided does not match a valid config in this project"
    );
    // Another project's config is unknown here.
    let foreign = app
        .post_json(
            "/api/public/scores",
            &other.basic(),
            &json!({"traceId": "t1", "name": "accuracy", "value": 0.5, "configId": numeric}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let archived = patch(
        &app,
        &tenant,
        &format!("/api/public/score-configs/{numeric}"),
        &json!({"isArchived": true}),
    )
    .await;
    assert_eq!(archived.status, StatusCode::OK);
    let on_archived = post(json!({"traceId": "t1", "name": "accuracy", "value": 0.5,
        "configId": numeric}))
    .await;
    assert_eq!(on_archived.status, StatusCode::BAD_REQUEST);

    let many = post(json!([
        {"id": "ok-4", "traceId": "t1", "name": "tone", "value": "polite", "configId": categorical},
        {"id": "bad-1", "traceId": "t1", "name": "tone", "value": "meh", "configId": categorical},
        {"id": "bad-2", "traceId": "t1", "name": "accuracy", "value": 0.5, "configId": numeric},
    ]))
    .await;
    assert_eq!(many.status, StatusCode::MULTI_STATUS, "{}", many.body);
    assert_eq!(many.body["accepted"], 1);
    assert_eq!(many.body["rejected"], 2);
    assert_eq!(
        ids(&app, &tenant, "/api/public/v2/scores?traceId=t1&name=tone").await,
        ["ok-4", "ok-2"]
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "score_lists_show_scores_with_their_traces",
            score_lists_show_scores_with_their_traces,
        ),
        backend_test("score_lists_filter_and_page", score_lists_filter_and_page),
        backend_test(
            "bad_score_list_parameters_are_400s",
            bad_score_list_parameters_are_400s,
        ),
        backend_test("one_score_by_id_and_deletion", one_score_by_id_and_deletion),
        backend_test(
            "score_configs_are_created_listed_and_updated",
            score_configs_are_created_listed_and_updated,
        ),
        backend_test("bad_score_configs_are_400s", bad_score_configs_are_400s),
        backend_test(
            "scores_are_checked_against_their_config",
            scores_are_checked_against_their_config,
        ),
    ]
}
