//! `POST /api/public/ingestion`, the legacy single-entity routes, `POST /scores` and the Models
//! API: what is stored is read back through `GET /traces/{id}` and `/observations/{id}`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{TestApp, TestResponse};

fn event(id: &str, kind: &str, timestamp: &str, body: Value) -> Value {
    json!({"id": id, "type": kind, "timestamp": timestamp, "body": body})
}

async fn ingest(app: &TestApp, auth: &str, events: Vec<Value>) -> TestResponse {
    app.post_json("/api/public/ingestion", auth, &json!({"batch": events}))
        .await
}

/// The trace as a client reads it, without the bookkeeping times that differ between runs.
async fn read_trace(app: &TestApp, auth: &str, id: &str) -> Value {
    let response = app
        .get(&format!("/api/public/traces/{id}"), Some(auth))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let mut body = response.body;
    strip_times(&mut body);
    body
}

fn strip_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("createdAt");
            map.remove("updatedAt");
            map.values_mut().for_each(strip_times);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

async fn a_mixed_batch_stores_the_valid_events_and_lists_the_invalid(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let response = ingest(&app, &auth, vec![
        event("e1", "trace-create", "2024-01-01T00:00:00.000Z", json!({
            "id": "t1", "name": "chat", "userId": "u1", "sessionId": "s1",
            "tags": ["b", "a"], "metadata": {"k": "v"}, "input": {"q": "hi"}, "release": "r1",
        })),
        event("e2", "generation-create", "2024-01-01T00:00:00.100Z", json!({
            "id": "g1", "traceId": "t1", "name": "llm", "model": "gpt-4o",
            "startTime": "2024-01-01T00:00:00.100Z", "usage": {"input": 1000, "output": 500},
        })),
        event("e3", "generation-update", "2024-01-01T00:00:01.000Z", json!({
            "id": "g1", "endTime": "2024-01-01T00:00:01.100Z", "output": "hello",
        })),
        event("e4", "score-create", "2024-01-01T00:00:01.000Z", json!({"id": "sc1", "name": "quality", "value": 0.9, "traceId": "t1"})),
        event("e5", "no-such-type", "2024-01-01T00:00:01.000Z", json!({})),
        event("e6", "span-create", "not a time", json!({"id": "s1"})),
        json!({"type": "trace-create"}),
        event("e8", "sdk-log", "2024-01-01T00:00:01.000Z", json!({"log": "hello"})),
    ])
    .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    let successes: Vec<&str> = response.body["successes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["status"], 201);
            s["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        successes,
        vec!["e1", "e2", "e3", "e4"],
        "sdk-log is reported nowhere"
    );
    let errors = response.body["errors"].as_array().unwrap();
    let ids: Vec<&str> = errors.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["e5", "e6", "unknown"]);
    for error in errors {
        assert_eq!(error["status"], 400);
        assert_eq!(error["message"], "Invalid request data");
        assert!(error["error"].is_string());
    }

    let trace = read_trace(&app, &auth, "t1").await;
    assert_eq!(trace["name"], "chat");
    assert_eq!(trace["userId"], "u1");
    assert_eq!(trace["sessionId"], "s1");
    assert_eq!(trace["tags"], json!(["a", "b"]));
    assert_eq!(trace["metadata"], json!({"k": "v"}));
    assert_eq!(trace["input"], json!({"q": "hi"}));
    assert_eq!(trace["release"], "r1");
    assert_eq!(trace["timestamp"], "2024-01-01T00:00:00.000Z");
    assert_eq!(trace["environment"], "default");
    assert_eq!(trace["latency"], 1.0);
    assert_eq!(trace["totalCost"], 0.0075);
    let generation = &trace["observations"][0];
    assert_eq!(generation["type"], "GENERATION");
    assert_eq!(generation["output"], "hello");
    assert_eq!(
        generation["usageDetails"],
        json!({"input": 1000, "output": 500, "total": 1500})
    );
    assert_eq!(
        generation["costDetails"],
        json!({"input": 0.0025, "output": 0.005, "total": 0.0075})
    );
    assert_eq!(generation["calculatedTotalCost"], 0.0075);
    assert_eq!(generation["modelId"], "builtin:gpt-4o");
    assert_eq!(generation["inputPrice"], 0.0000025);
    assert_eq!(generation["promptTokens"], 1000);
    assert_eq!(generation["latency"], 1.0);
    let score = &trace["scores"][0];
    assert_eq!(
        (score["id"].as_str(), score["value"].as_f64()),
        (Some("sc1"), Some(0.9))
    );
    assert_eq!(score["dataType"], "NUMERIC");
    assert_eq!(score["source"], "API");

    let observation = app.get("/api/public/observations/g1", Some(&auth)).await;
    assert_eq!(observation.status, StatusCode::OK);
    assert_eq!(observation.body["traceId"], "t1");
}

async fn bad_bodies_get_400s_in_langfuse_shapes(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let malformed = app
        .request(
            Method::POST,
            "/api/public/ingestion",
            &headers,
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["message"], "Invalid request data");
    assert!(malformed.body["errors"][0].is_string());
    for body in [json!({}), json!({"batch": {}}), json!([])] {
        let response = app.post_json("/api/public/ingestion", &auth, &body).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.body["message"], "Invalid request data");
    }
    let empty = ingest(&app, &auth, vec![]).await;
    assert_eq!(empty.status, StatusCode::MULTI_STATUS);
    assert_eq!(empty.body, json!({"successes": [], "errors": []}));

    let huge = vec![b' '; 5 * 1024 * 1024];
    let too_large = app
        .request(Method::POST, "/api/public/ingestion", &headers, huge)
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["error"], "PayloadTooLargeError");
}

async fn a_public_key_may_only_write_scores(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let bearer = format!("Bearer {}", tenant.public_key);
    let response = ingest(
        &app,
        &bearer,
        vec![
            event(
                "s",
                "score-create",
                "2024-01-01T00:00:00Z",
                json!({"id": "sc", "name": "thumbs", "value": 1, "traceId": "t"}),
            ),
            event(
                "t",
                "trace-create",
                "2024-01-01T00:00:00Z",
                json!({"id": "t"}),
            ),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    assert_eq!(
        response.body["successes"],
        json!([{"id": "s", "status": 201}])
    );
    assert_eq!(
        response.body["errors"],
        json!([{"id": "t", "status": 401, "message": "Authentication error", "error": "Access Scope Denied"}])
    );
    let missing = app.get("/api/public/traces/t", Some(&tenant.basic())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn updates_that_arrive_first_end_in_the_same_state(db: TestDb) {
    let app = TestApp::new(db).await;
    let create = |trace: &str| {
        vec![
            event(
                &format!("{trace}-c"),
                "trace-create",
                "2024-01-01T00:00:00Z",
                json!({"id": trace, "name": "first", "tags": ["x"], "metadata": {"a": {"b": 1}}, "input": "question"}),
            ),
            event(
                &format!("{trace}-s"),
                "span-create",
                "2024-01-01T00:00:00.500Z",
                json!({"id": format!("{trace}-span"), "traceId": trace, "name": "step", "startTime": "2024-01-01T00:00:00.500Z", "metadata": {"m": 1}}),
            ),
        ]
    };
    let update = |trace: &str| {
        vec![
            event(
                &format!("{trace}-u"),
                "trace-create",
                "2024-01-01T00:00:05Z",
                json!({"id": trace, "name": "second", "tags": ["y"], "metadata": {"a": {"c": 2}}, "input": "", "output": "answer"}),
            ),
            event(
                &format!("{trace}-e"),
                "span-update",
                "2024-01-01T00:00:06Z",
                json!({"id": format!("{trace}-span"), "endTime": "2024-01-01T00:00:00Z", "level": "ERROR", "statusMessage": "boom", "metadata": {"n": 2}}),
            ),
        ]
    };
    // Each project sees the same events in another order across two requests.
    let in_order = app.tenant("Acme", "in-order").await;
    ingest(&app, &in_order.basic(), create("t")).await;
    ingest(&app, &in_order.basic(), update("t")).await;
    let reversed = app.tenant("Acme", "reversed").await;
    ingest(&app, &reversed.basic(), update("t")).await;
    ingest(&app, &reversed.basic(), create("t")).await;

    let mut expected = read_trace(&app, &in_order.basic(), "t").await;
    let mut actual = read_trace(&app, &reversed.basic(), "t").await;
    for body in [&mut expected, &mut actual] {
        body.as_object_mut().unwrap().remove("projectId");
        body.as_object_mut().unwrap().remove("htmlPath");
        for observation in body["observations"].as_array_mut().unwrap() {
            observation.as_object_mut().unwrap().remove("projectId");
        }
    }
    assert_eq!(actual, expected);
    assert_eq!(expected["name"], "second");
    assert_eq!(expected["tags"], json!(["x", "y"]));
    assert_eq!(expected["metadata"], json!({"a": {"b": 1, "c": 2}}));
    assert_eq!(
        expected["input"], "question",
        "an empty input does not overwrite"
    );
    assert_eq!(expected["output"], "answer");
    let span = &expected["observations"][0];
    assert_eq!(
        span["endTime"], "2024-01-01T00:00:00.500Z",
        "end time is clamped to start"
    );
    assert_eq!(span["level"], "ERROR");
    assert_eq!(span["metadata"], json!({"m": 1, "n": 2}));
}

async fn every_order_of_separately_sent_events_folds_alike(db: TestDb) {
    let app = TestApp::new(db).await;
    let events = [
        event(
            "a",
            "trace-create",
            "2024-01-01T00:00:01Z",
            json!({"id": "t", "name": "one", "userId": "u1", "tags": ["a"]}),
        ),
        event(
            "b",
            "trace-create",
            "2024-01-01T00:00:02Z",
            json!({"id": "t", "name": "two", "metadata": {"k": 1}, "public": true}),
        ),
        event(
            "c",
            "trace-create",
            "2024-01-01T00:00:03Z",
            json!({"id": "t", "userId": null, "tags": ["c"], "output": {"o": 1}}),
        ),
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut states = Vec::new();
    for (index, order) in orders.iter().enumerate() {
        let tenant = app.tenant("Acme", &format!("order-{index}")).await;
        for &i in order {
            ingest(&app, &tenant.basic(), vec![events[i].clone()]).await;
        }
        let mut trace = read_trace(&app, &tenant.basic(), "t").await;
        trace.as_object_mut().unwrap().remove("projectId");
        trace.as_object_mut().unwrap().remove("htmlPath");
        states.push(trace);
    }
    for state in &states[1..] {
        assert_eq!(state, &states[0]);
    }
    let state = &states[0];
    assert_eq!(
        (state["name"].as_str(), state["userId"].as_str()),
        (Some("two"), None)
    );
    assert_eq!(
        state["public"], false,
        "the latest trace-create without public sets it false"
    );
    assert_eq!(state["tags"], json!(["a", "c"]));
    assert_eq!(state["timestamp"], "2024-01-01T00:00:01.000Z");
}

async fn legacy_routes_wrap_one_event(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let trace = app
        .post_json(
            "/api/public/traces",
            &auth,
            &json!({"id": "lt", "name": "legacy"}),
        )
        .await;
    assert_eq!(
        (trace.status, trace.body.clone()),
        (StatusCode::OK, json!({"id": "lt"}))
    );
    let span = app
        .post_json(
            "/api/public/spans",
            &auth,
            &json!({"id": "ls", "traceId": "lt", "name": "span"}),
        )
        .await;
    assert_eq!(span.body, json!({"id": "ls"}));
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let patched = app
        .request(
            Method::PATCH,
            "/api/public/spans",
            &headers,
            json!({"spanId": "ls", "endTime": "2030-01-01T00:00:00Z"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(patched.body, json!({"id": "ls"}));
    let generation = app
        .post_json("/api/public/generations", &auth, &json!({"id": "lg", "traceId": "lt", "prompt": [{"role": "user", "content": "hi"}], "model": "gpt-4o"}))
        .await;
    assert_eq!(generation.body, json!({"id": "lg"}));
    let updated = app
        .request(
            Method::PATCH,
            "/api/public/generations",
            &headers,
            json!({"generationId": "lg", "completion": "hello"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(updated.body, json!({"id": "lg"}));
    let created_event = app
        .post_json(
            "/api/public/events",
            &auth,
            &json!({"traceId": "lt", "name": "click"}),
        )
        .await;
    assert_eq!(created_event.status, StatusCode::OK);
    let invalid = app
        .post_json(
            "/api/public/spans",
            &auth,
            &json!({"id": "x", "startTime": "yesterday"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);

    let stored = read_trace(&app, &auth, "lt").await;
    assert_eq!(stored["name"], "legacy");
    let observations = stored["observations"].as_array().unwrap();
    assert_eq!(observations.len(), 3);
    let generation = observations.iter().find(|o| o["id"] == "lg").unwrap();
    assert_eq!(
        generation["input"],
        json!([{"role": "user", "content": "hi"}])
    );
    assert_eq!(generation["output"], "hello");
    assert!(
        generation["usageDetails"]["input"].as_u64().unwrap() > 0,
        "usage is tokenized for gpt-4o"
    );
    assert!(generation["calculatedTotalCost"].as_f64().unwrap() > 0.0);
    let span = observations.iter().find(|o| o["id"] == "ls").unwrap();
    assert_eq!(span["endTime"], "2030-01-01T00:00:00.000Z");
}

async fn scores_route_takes_one_or_many(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let one = app
        .post_json(
            "/api/public/scores",
            &auth,
            &json!({"id": "s1", "name": "q", "value": 1, "traceId": "t"}),
        )
        .await;
    assert_eq!(
        (one.status, one.body.clone()),
        (StatusCode::OK, json!({"id": "s1"}))
    );
    let all = app
        .post_json(
            "/api/public/scores",
            &auth,
            &json!([
                {"name": "q", "value": "good", "traceId": "t"},
                {"name": "b", "value": 1, "dataType": "BOOLEAN", "sessionId": "s"},
            ]),
        )
        .await;
    assert_eq!(
        (all.status, all.body.clone()),
        (StatusCode::ACCEPTED, json!({"message": "Accepted"}))
    );
    let some = app
        .post_json(
            "/api/public/scores",
            &auth,
            &json!([
                {"name": "q", "value": 0.5, "traceId": "t"},
                {"name": "q", "value": 2, "dataType": "BOOLEAN", "traceId": "t"},
            ]),
        )
        .await;
    assert_eq!(some.status, StatusCode::MULTI_STATUS);
    assert_eq!(
        (
            some.body["accepted"].as_u64(),
            some.body["rejected"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(some.body["errors"][0]["message"].is_string());
    let invalid = app
        .post_json(
            "/api/public/scores",
            &auth,
            &json!({"name": "q", "value": 1}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);

    ingest(
        &app,
        &auth,
        vec![event(
            "e",
            "trace-create",
            "2024-01-01T00:00:00Z",
            json!({"id": "t"}),
        )],
    )
    .await;
    let trace = read_trace(&app, &auth, "t").await;
    let scores = trace["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 3, "trace scores: {scores:?}");
    let categorical = scores.iter().find(|s| s["stringValue"] == "good").unwrap();
    assert_eq!(categorical["dataType"], "CATEGORICAL");
}

async fn project_models_price_before_built_in_ones(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let created = app
        .post_json(
            "/api/public/models",
            &auth,
            &json!({
                "modelName": "house-gpt", "matchPattern": "(?i)^(house-gpt|gpt-4o)$",
                "inputPrice": 0.001, "outputPrice": 0.002, "unit": "TOKENS",
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["isLangfuseManaged"], false);
    assert_eq!(created.body["prices"]["input"]["price"], 0.001);
    assert_eq!(created.body["pricingTiers"][0]["name"], "Standard");
    let id = created.body["id"].as_str().unwrap().to_owned();

    ingest(&app, &auth, vec![
        event("e1", "trace-create", "2024-01-01T00:00:00Z", json!({"id": "t"})),
        event("e2", "generation-create", "2024-01-01T00:00:00Z", json!({"id": "g", "traceId": "t", "model": "gpt-4o", "usageDetails": {"input": 10, "output": 5}})),
    ])
    .await;
    let generation = app
        .get("/api/public/observations/g", Some(&auth))
        .await
        .body;
    assert_eq!(generation["modelId"], id.as_str());
    assert_eq!(
        generation["costDetails"],
        json!({"input": 0.01, "output": 0.01, "total": 0.02})
    );

    let listed = app
        .get("/api/public/models?limit=100", Some(&auth))
        .await
        .body;
    assert_eq!(
        listed["data"][0]["id"],
        id.as_str(),
        "project models come first"
    );
    assert!(
        listed["meta"]["totalItems"].as_u64().unwrap() > 100,
        "built-in models are listed"
    );
    let builtin = app
        .get("/api/public/models/builtin:gpt-4o", Some(&auth))
        .await;
    assert_eq!(
        (builtin.status, builtin.body["isLangfuseManaged"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(builtin.body["inputPrice"], 0.0000025);

    let other = app.tenant("Other", "web").await;
    let hidden = app
        .get(&format!("/api/public/models/{id}"), Some(&other.basic()))
        .await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "another project's model is invisible"
    );

    let refused = app
        .request(
            Method::DELETE,
            "/api/public/models/builtin:gpt-4o",
            &[("authorization", &auth)],
            vec![],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let deleted = app
        .request(
            Method::DELETE,
            &format!("/api/public/models/{id}"),
            &[("authorization", &auth)],
            vec![],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let gone = app
        .get(&format!("/api/public/models/{id}"), Some(&auth))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    for bad in [
        json!({"modelName": "x", "matchPattern": "(unclosed"}),
        json!({"modelName": "x", "matchPattern": "x", "inputPrice": 1, "pricingTiers": []}),
        json!({"matchPattern": "x"}),
    ] {
        let response = app.post_json("/api/public/models", &auth, &bad).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn model_prices_that_do_not_combine_are_refused(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let model = |prices: Value| {
        let mut body = json!({"modelName": "house-gpt", "matchPattern": "(?i)^house-gpt$"});
        body.as_object_mut()
            .unwrap()
            .extend(prices.as_object().unwrap().clone());
        body
    };
    let tier = json!({"name": "Standard", "isDefault": true, "priority": 0, "conditions": [], "prices": {"input": 1}});
    let total_with_input_or_output =
        "If input and/or output price is set, total price must be null";
    let cases = [
        (
            json!({"inputPrice": 0.001, "totalPrice": 0.002}),
            total_with_input_or_output,
        ),
        (
            json!({"outputPrice": 0.001, "totalPrice": 0.002}),
            total_with_input_or_output,
        ),
        (
            json!({"inputPrice": 0.001, "outputPrice": 0.002, "totalPrice": 0.003}),
            total_with_input_or_output,
        ),
        (
            json!({"inputPrice": 0.001, "pricingTiers": [tier.clone()]}),
            "provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers, not both",
        ),
        (
            json!({"totalPrice": 0.001, "pricingTiers": [tier.clone()]}),
            "provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers, not both",
        ),
        (
            json!({}),
            "Must provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers",
        ),
        (
            json!({"inputPrice": null, "outputPrice": null, "totalPrice": null, "pricingTiers": null}),
            "Must provide either flat prices (inputPrice/outputPrice/totalPrice) or pricingTiers",
        ),
    ];
    for (prices, message) in cases {
        let response = app
            .post_json("/api/public/models", &auth, &model(prices.clone()))
            .await;
        assert_eq!(
            (response.status, response.body),
            (
                StatusCode::BAD_REQUEST,
                json!({
                    "message": "Invalid request data",
                    "error": [{"code": "custom", "message": message, "path": []}],
                })
            ),
            "{prices}"
        );
    }
    let listed = app
        .get("/api/public/models?limit=1", Some(&auth))
        .await
        .body;
    assert_eq!(
        listed["data"][0]["isLangfuseManaged"], true,
        "no refused model was stored"
    );

    // What does combine is accepted: input and output, total alone, tiers alone.
    for prices in [
        json!({"inputPrice": 0.001, "outputPrice": 0.002, "totalPrice": null}),
        json!({"totalPrice": 0.003}),
        json!({"pricingTiers": [tier]}),
    ] {
        let response = app
            .post_json("/api/public/models", &auth, &model(prices.clone()))
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{prices}: {}",
            response.body
        );
    }
}

/// Input, output and metadata objects read back with their keys in the order they were sent
/// (as Langfuse returns them), in the trace and in its observations, through merges too.
async fn json_objects_keep_their_key_order(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    // Written out by hand: a `json!` object would be sent with sorted keys.
    let input =
        r#"{"kind":"report","version":2,"sections":[{"title":"b","body":"x","anchor":"a"}]}"#;
    let output = r#"{"zeta":1,"alpha":{"yes":true,"no":false},"mid":null}"#;
    let metadata =
        r#"{"team":"search","attempt":3,"config":{"top_k":5,"model":"gpt-4o","beta":true}}"#;
    let later_metadata = r#"{"config":{"temperature":0.2,"alpha":1},"added":"last"}"#;
    let batch = format!(
        r#"{{"batch":[
        {{"id":"e1","type":"trace-create","timestamp":"2024-01-01T00:00:00.000Z",
          "body":{{"id":"ordered","input":{input},"output":{output},"metadata":{metadata}}}}},
        {{"id":"e2","type":"generation-create","timestamp":"2024-01-01T00:00:01.000Z",
          "body":{{"id":"gen","traceId":"ordered","input":{input},"output":{output},"metadata":{metadata}}}}},
        {{"id":"e3","type":"generation-update","timestamp":"2024-01-01T00:00:02.000Z",
          "body":{{"id":"gen","traceId":"ordered","metadata":{later_metadata}}}}}
        ]}}"#
    );
    let response = app
        .request(
            Method::POST,
            "/api/public/ingestion",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            batch.into_bytes(),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::MULTI_STATUS,
        "{}",
        response.body
    );
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);

    let trace = app.get("/api/public/traces/ordered", Some(&auth)).await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    let merged_metadata = r#"{"team":"search","attempt":3,"config":{"top_k":5,"model":"gpt-4o","beta":true,"temperature":0.2,"alpha":1},"added":"last"}"#;
    for (what, sent) in [
        ("trace input", format!(r#""input":{input}"#)),
        ("trace output", format!(r#""output":{output}"#)),
        ("trace metadata", format!(r#""metadata":{metadata}"#)),
        (
            "merged observation metadata",
            format!(r#""metadata":{merged_metadata}"#),
        ),
    ] {
        assert!(
            trace.text.contains(&sent),
            "{what}: {sent} is not in {}",
            trace.text
        );
    }
    assert_eq!(
        trace.text.matches(&format!(r#""input":{input}"#)).count(),
        2,
        "the trace's input and the generation's: {}",
        trace.text
    );
    let observation = app.get("/api/public/observations/gen", Some(&auth)).await;
    assert!(
        observation.text.contains(&format!(r#""output":{output}"#)),
        "{}",
        observation.text
    );
}

async fn another_projects_traces_are_invisible(db: TestDb) {
    let app = TestApp::new(db).await;
    let a = app.tenant("A", "a").await;
    let b = app.tenant("B", "b").await;
    ingest(
        &app,
        &a.basic(),
        vec![
            event(
                "e1",
                "trace-create",
                "2024-01-01T00:00:00Z",
                json!({"id": "shared-id", "name": "a's"}),
            ),
            event(
                "e2",
                "span-create",
                "2024-01-01T00:00:00Z",
                json!({"id": "a-span", "traceId": "shared-id"}),
            ),
        ],
    )
    .await;
    assert_eq!(
        app.get("/api/public/traces/shared-id", Some(&b.basic()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/public/observations/a-span", Some(&b.basic()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // B writing the same id makes B's own trace, leaving A's alone.
    ingest(
        &app,
        &b.basic(),
        vec![event(
            "e1",
            "trace-create",
            "2024-01-01T00:00:00Z",
            json!({"id": "shared-id", "name": "b's"}),
        )],
    )
    .await;
    assert_eq!(
        read_trace(&app, &a.basic(), "shared-id").await["name"],
        "a's"
    );
    assert_eq!(
        read_trace(&app, &b.basic(), "shared-id").await["name"],
        "b's"
    );
}

async fn score_events_are_checked_against_their_config(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let config = app
        .post_json(
            "/api/public/score-configs",
            &auth,
            &json!({"name": "accuracy", "dataType": "NUMERIC", "minValue": 0, "maxValue": 1}),
        )
        .await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.body);
    let config_id = config.body["id"].as_str().unwrap().to_owned();
    let score = |id: &str, name: &str, value: f64, config: &str| {
        event(
            id,
            "score-create",
            "2024-01-01T00:00:00Z",
            json!({"id": id, "name": name, "value": value, "traceId": "t", "configId": config}),
        )
    };
    let response = ingest(
        &app,
        &auth,
        vec![
            score("ok", "accuracy", 0.5, &config_id),
            score("too-high", "accuracy", 2.0, &config_id),
            score("wrong-name", "other", 0.5, &config_id),
            score("no-config", "accuracy", 0.5, "missing-config"),
        ],
    )
    .await;
    assert_eq!(
        response.body["successes"],
        json!([{"id": "ok", "status": 201}])
    );
    let errors: Vec<(String, u64)> = response.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            ("too-high".into(), 400),
            ("wrong-name".into(), 400),
            ("no-config".into(), 404)
        ]
    );
    assert_eq!(
        app.get("/api/public/scores/ok", Some(&auth)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/public/scores/too-high", Some(&auth))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "score_events_are_checked_against_their_config",
            score_events_are_checked_against_their_config,
        ),
        backend_test(
            "a_mixed_batch_stores_the_valid_events_and_lists_the_invalid",
            a_mixed_batch_stores_the_valid_events_and_lists_the_invalid,
        ),
        backend_test(
            "bad_bodies_get_400s_in_langfuse_shapes",
            bad_bodies_get_400s_in_langfuse_shapes,
        ),
        backend_test(
            "a_public_key_may_only_write_scores",
            a_public_key_may_only_write_scores,
        ),
        backend_test(
            "updates_that_arrive_first_end_in_the_same_state",
            updates_that_arrive_first_end_in_the_same_state,
        ),
        backend_test(
            "every_order_of_separately_sent_events_folds_alike",
            every_order_of_separately_sent_events_folds_alike,
        ),
        backend_test("legacy_routes_wrap_one_event", legacy_routes_wrap_one_event),
        backend_test(
            "scores_route_takes_one_or_many",
            scores_route_takes_one_or_many,
        ),
        backend_test(
            "project_models_price_before_built_in_ones",
            project_models_price_before_built_in_ones,
        ),
        backend_test(
            "model_prices_that_do_not_combine_are_refused",
            model_prices_that_do_not_combine_are_refused,
        ),
        backend_test(
            "json_objects_keep_their_key_order",
            json_objects_keep_their_key_order,
        ),
        backend_test(
            "another_projects_traces_are_invisible",
            another_projects_traces_are_invisible,
        ),
    ]
}
