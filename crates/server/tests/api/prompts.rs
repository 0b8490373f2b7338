//! Prompt management as clients see it (wire-spec §6): create, fetch by label, version and
//! default, lists, label moves, deletes, composition, every refused input, tenant isolation,
//! freshness across two servers on one database, and generations linked to prompt versions.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sightline_server::AppState;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};
use tower::ServiceExt;

use crate::support::{Tenant, TestApp, TestResponse};

const PROMPTS: &str = "/api/public/v2/prompts";

async fn create(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let response = app.post_json(PROMPTS, &tenant.basic(), &body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    response.body
}

async fn get_ok(app: &TestApp, tenant: &Tenant, path: &str) -> Value {
    let response = app.get(path, Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    response.body
}

async fn send_json(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: &Value,
) -> TestResponse {
    let auth = tenant.basic();
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    app.request(method, path, &headers, body.to_string().into_bytes())
        .await
}

async fn delete(app: &TestApp, tenant: &Tenant, path: &str) -> TestResponse {
    app.send(Method::DELETE, path, &[("authorization", &tenant.basic())])
        .await
}

async fn prompts_are_created_fetched_relabelled_and_deleted(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;

    let v1 = create(
        &app,
        &tenant,
        json!({"name": "greet", "prompt": "Hi {{name}}", "labels": ["production"], "tags": ["t1"],
            "config": {"model": "gpt-4o", "temperature": 0.5}, "commitMessage": "first"}),
    )
    .await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["type"], "text");
    assert_eq!(v1["labels"], json!(["production", "latest"]));
    assert_eq!(v1["tags"], json!(["t1"]));
    assert_eq!(v1["createdBy"], "API");
    assert_eq!(v1["projectId"], tenant.project_id.as_str());
    assert_eq!(v1["commitMessage"], "first");
    assert_eq!(v1["config"], json!({"model": "gpt-4o", "temperature": 0.5}));

    let fetched = get_ok(&app, &tenant, &format!("{PROMPTS}/greet")).await;
    assert_eq!(fetched["id"], v1["id"]);
    assert_eq!(fetched["prompt"], "Hi {{name}}");
    assert_eq!(fetched["isActive"], true);
    assert_eq!(fetched["resolutionGraph"], Value::Null);

    // A new version takes `latest` but not `production`.
    let v2 = create(
        &app,
        &tenant,
        json!({"name": "greet", "prompt": "Hello {{name}}"}),
    )
    .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["labels"], json!(["latest"]));
    assert_eq!(v2["tags"], json!(["t1"]), "tags carry over");
    assert_eq!(v2["config"], json!({}));
    assert_eq!(v2["commitMessage"], Value::Null);
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet")).await["version"],
        1
    );
    let latest = get_ok(&app, &tenant, &format!("{PROMPTS}/greet?label=latest")).await;
    assert_eq!(
        (latest["version"].clone(), latest["isActive"].clone()),
        (json!(2), json!(false))
    );
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet?version=1")).await["labels"],
        json!(["production"])
    );

    // PATCH adds labels and moves them from other versions.
    let patched = send_json(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{PROMPTS}/greet/versions/2"),
        &json!({"newLabels": ["production", "staging"]}),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(
        patched.body["labels"],
        json!(["production", "staging", "latest"])
    );
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet")).await["version"],
        2
    );
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet?version=1")).await["labels"],
        json!([])
    );

    // Creating with `production` moves it; new tags apply to every version.
    let v3 = create(
        &app,
        &tenant,
        json!({"name": "greet", "type": "text", "prompt": "Yo",
        "labels": ["production"], "tags": ["t2", "t3"]}),
    )
    .await;
    assert_eq!(v3["labels"], json!(["production", "latest"]));
    // Naming `latest` on create is harmless (Langfuse dedupes and adds it anyway).
    let named_latest = create(
        &app,
        &tenant,
        json!({"name": "named-latest", "prompt": "x", "labels": ["latest", "production", "production"]}),
    )
    .await;
    assert_eq!(named_latest["labels"], json!(["production", "latest"]));
    let removed = delete(&app, &tenant, &format!("{PROMPTS}/named-latest")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    for version in 1..=3 {
        let body = get_ok(&app, &tenant, &format!("{PROMPTS}/greet?version={version}")).await;
        assert_eq!(body["tags"], json!(["t2", "t3"]), "v{version}");
    }
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet?version=2")).await["labels"],
        json!(["staging"])
    );

    // Chat prompts with placeholders, in a folder.
    let chat = create(
        &app,
        &tenant,
        json!({"name": "team/support/answer", "type": "chat",
        "prompt": [
            {"role": "system", "content": "You help with {{product}}"},
            {"type": "placeholder", "name": "history"},
            {"type": "chatmessage", "role": "user", "content": "{{question}}"},
        ]}),
    )
    .await;
    assert_eq!(chat["type"], "chat");
    let fetched = get_ok(
        &app,
        &tenant,
        &format!("{PROMPTS}/team%2Fsupport%2Fanswer?label=latest"),
    )
    .await;
    assert_eq!(fetched["name"], "team/support/answer");
    assert_eq!(
        fetched["prompt"],
        json!([
            {"role": "system", "content": "You help with {{product}}"},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}}"},
        ])
    );
    let patched = send_json(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{PROMPTS}/team%2Fsupport%2Fanswer/versions/1"),
        &json!({"newLabels": ["production"]}),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);

    // The list groups versions by name, ordered by name.
    let list = get_ok(&app, &tenant, PROMPTS).await;
    assert_eq!(
        list["meta"],
        json!({"page": 1, "limit": 10, "totalItems": 2, "totalPages": 1})
    );
    assert_eq!(list["pagination"], list["meta"]);
    let greet = &list["data"][0];
    assert_eq!(greet["name"], "greet");
    assert_eq!(greet["type"], "text");
    assert_eq!(greet["versions"], json!([1, 2, 3]));
    assert_eq!(greet["labels"], json!(["latest", "production", "staging"]));
    assert_eq!(greet["tags"], json!(["t2", "t3"]));
    assert_eq!(greet["lastConfig"], json!({}));
    assert!(greet["lastUpdatedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list["data"][1]["name"], "team/support/answer");
    let names = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&get_ok(&app, &tenant, &format!("{PROMPTS}?label=staging")).await),
        ["greet"]
    );
    assert_eq!(
        names(&get_ok(&app, &tenant, &format!("{PROMPTS}?tag=t3")).await),
        ["greet"]
    );
    assert_eq!(
        names(
            &get_ok(
                &app,
                &tenant,
                &format!("{PROMPTS}?name=team%2Fsupport%2Fanswer")
            )
            .await
        ),
        ["team/support/answer"]
    );
    let v2_only = get_ok(&app, &tenant, &format!("{PROMPTS}?version=2")).await;
    assert_eq!(v2_only["data"][0]["versions"], json!([2]));
    let page = get_ok(&app, &tenant, &format!("{PROMPTS}?limit=1&page=2")).await;
    assert_eq!(
        (names(&page), page["meta"]["totalPages"].clone()),
        (vec!["team/support/answer".to_owned()], json!(2))
    );
    let future = get_ok(
        &app,
        &tenant,
        &format!("{PROMPTS}?fromUpdatedAt=2999-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(future["data"], json!([]));

    // Deletes: a version (latest moves back), a label, then everything.
    assert_eq!(
        delete(&app, &tenant, &format!("{PROMPTS}/greet?version=3"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet?label=latest")).await["version"],
        2
    );
    assert_eq!(
        delete(&app, &tenant, &format!("{PROMPTS}/greet?label=staging"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/greet?label=latest")).await["version"],
        1
    );
    let both = delete(
        &app,
        &tenant,
        &format!("{PROMPTS}/greet?label=latest&version=1"),
    )
    .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    let gone = delete(&app, &tenant, &format!("{PROMPTS}/greet")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(gone.body, Value::Null);
    assert_eq!(
        app.get(
            &format!("{PROMPTS}/greet?label=latest"),
            Some(&tenant.basic())
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &tenant, &format!("{PROMPTS}/greet"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn missing_prompts_are_404s_in_langfuse_shape(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let by_label = app
        .get(&format!("{PROMPTS}/nope"), Some(&tenant.basic()))
        .await;
    assert_eq!(by_label.status, StatusCode::NOT_FOUND);
    assert_eq!(
        by_label.body,
        json!({"message": "Prompt not found: 'nope' with label 'production'",
        "error": "LangfuseNotFoundError"})
    );
    create(&app, &tenant, json!({"name": "only-latest", "prompt": "x"})).await;
    let no_production = app
        .get(&format!("{PROMPTS}/only-latest"), Some(&tenant.basic()))
        .await;
    assert_eq!(
        no_production.status,
        StatusCode::NOT_FOUND,
        "no production label yet"
    );
    let by_version = app
        .get(
            &format!("{PROMPTS}/only-latest?version=3"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(
        by_version.body["message"],
        "Prompt not found: 'only-latest' with version 3"
    );
    let patch = send_json(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{PROMPTS}/only-latest/versions/7"),
        &json!({"newLabels": ["production"]}),
    )
    .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    let unauthenticated = app.get(&format!("{PROMPTS}/only-latest"), None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

async fn bad_prompt_input_is_a_400_with_a_message(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    create(&app, &tenant, json!({"name": "text-one", "prompt": "x"})).await;
    let cases = [
        (json!({"name": "", "prompt": "x"}), "empty"),
        (json!({"name": "new", "prompt": "x"}), "cannot be 'new'"),
        (json!({"name": "a|b", "prompt": "x"}), "'|'"),
        (json!({"name": "/lead", "prompt": "x"}), "slash"),
        (json!({"name": "a//b", "prompt": "x"}), "consecutive"),
        (
            json!({"name": "ok", "prompt": "x", "labels": ["Prod"]}),
            "lowercase",
        ),
        (
            json!({"name": "ok", "type": "chat", "prompt": "not a list"}),
            "list of messages",
        ),
        (
            json!({"name": "ok", "type": "chat", "prompt": [{"role": "user"}]}),
            "role, content",
        ),
        (
            json!({"name": "ok", "type": "chat", "prompt": [{"type": "placeholder", "name": "9x"}]}),
            "Placeholder name",
        ),
        (
            json!({"name": "ok", "type": "chat", "prompt": [{"role": "user", "content": "{{h}}"}, {"type": "placeholder", "name": "h"}]}),
            "unique",
        ),
        (json!({"name": "ok", "prompt": ["x"]}), "must be a string"),
        (
            json!({"name": "ok", "type": "image", "prompt": "x"}),
            "text' or 'chat",
        ),
        (
            json!({"name": "ok", "prompt": "x", "commitMessage": "m".repeat(501)}),
            "500",
        ),
        (
            json!({"name": "text-one", "type": "chat", "prompt": [{"role": "user", "content": "x"}]}),
            "different prompt type",
        ),
        (
            json!({"name": "ok", "prompt": "@@@langfusePrompt:name=ghost|version=1@@@"}),
            "Prompt dependency not found",
        ),
        (json!({"prompt": "x"}), "name"),
    ];
    for (body, expected) in cases {
        let response = app.post_json(PROMPTS, &tenant.basic(), &body).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            response.body
        );
        let text = response.body.to_string();
        assert!(
            text.contains(expected),
            "{body}: expected '{expected}' in {text}"
        );
    }
    let patch = |labels: Value| {
        let app = &app;
        let tenant = &tenant;
        async move {
            send_json(
                app,
                tenant,
                Method::PATCH,
                &format!("{PROMPTS}/text-one/versions/1"),
                &json!({"newLabels": labels}),
            )
            .await
        }
    };
    let latest = patch(json!(["latest"])).await;
    assert_eq!(latest.status, StatusCode::BAD_REQUEST);
    assert!(
        latest
            .body
            .to_string()
            .contains("Label 'latest' is always assigned to the latest prompt version"),
        "{}",
        latest.body
    );
    assert_eq!(
        patch(json!(["Bad Label"])).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(json!("production")).await.status,
        StatusCode::BAD_REQUEST
    );
    let both = app
        .get(
            &format!("{PROMPTS}/text-one?version=1&label=latest"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        both.body["message"],
        "Cannot specify both version and label"
    );
    for query in ["version=abc", "resolve=maybe"] {
        let response = app
            .get(
                &format!("{PROMPTS}/text-one?{query}"),
                Some(&tenant.basic()),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let bad_version = send_json(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{PROMPTS}/text-one/versions/x"),
        &json!({"newLabels": []}),
    )
    .await;
    assert_eq!(bad_version.status, StatusCode::BAD_REQUEST);
    // Nothing refused was stored.
    let list = get_ok(&app, &tenant, PROMPTS).await;
    assert_eq!(list["meta"]["totalItems"], 1);
    assert_eq!(list["data"][0]["versions"], json!([1]));
}

async fn composed_prompts_resolve_with_a_graph(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let base = create(
        &app,
        &tenant,
        json!({"name": "base", "prompt": "Be \"kind\".", "labels": ["production"]}),
    )
    .await;
    let inner = create(
        &app,
        &tenant,
        json!({"name": "inner",
        "prompt": "[@@@langfusePrompt:name=base|label=production@@@]"}),
    )
    .await;
    let outer = create(&app, &tenant, json!({"name": "outer", "type": "chat", "labels": ["production"],
        "prompt": [{"role": "system", "content": "@@@langfusePrompt:name=inner|version=1@@@ {{x}}"}]})).await;

    let fetched = get_ok(&app, &tenant, &format!("{PROMPTS}/outer")).await;
    assert_eq!(
        fetched["prompt"],
        json!([{"role": "system", "content": "[Be \"kind\".] {{x}}"}])
    );
    assert_eq!(
        fetched["resolutionGraph"],
        json!({
            "root": {"id": outer["id"], "name": "outer", "version": 1},
            "dependencies": {
                outer["id"].as_str().unwrap(): [{"id": inner["id"], "name": "inner", "version": 1}],
                inner["id"].as_str().unwrap(): [{"id": base["id"], "name": "base", "version": 1}],
            },
        })
    );
    let raw = get_ok(&app, &tenant, &format!("{PROMPTS}/outer?resolve=false")).await;
    assert_eq!(
        raw["prompt"][0]["content"],
        "@@@langfusePrompt:name=inner|version=1@@@ {{x}}"
    );
    assert_eq!(raw["resolutionGraph"], Value::Null);

    // A new production `base` shows through at once.
    create(
        &app,
        &tenant,
        json!({"name": "base", "prompt": "Be brief.", "labels": ["production"]}),
    )
    .await;
    let fetched = get_ok(&app, &tenant, &format!("{PROMPTS}/outer")).await;
    assert_eq!(fetched["prompt"][0]["content"], "[Be brief.] {{x}}");

    // base → inner would close a cycle (inner → base).
    let cycle = app
        .post_json(
            PROMPTS,
            &tenant.basic(),
            &json!({"name": "base",
        "prompt": "@@@langfusePrompt:name=inner|version=1@@@"}),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::BAD_REQUEST, "{}", cycle.body);
    assert!(
        cycle.body["message"]
            .as_str()
            .unwrap()
            .contains("Circular dependency"),
        "{}",
        cycle.body
    );
    let chat_dependency = app
        .post_json(
            PROMPTS,
            &tenant.basic(),
            &json!({"name": "other",
        "prompt": "@@@langfusePrompt:name=outer|label=production@@@"}),
        )
        .await;
    assert_eq!(chat_dependency.status, StatusCode::BAD_REQUEST);
    assert!(
        chat_dependency.body["message"]
            .as_str()
            .unwrap()
            .contains("not a text prompt")
    );

    // Versions other prompts reference cannot be deleted; the rest can.
    let blocked = delete(&app, &tenant, &format!("{PROMPTS}/inner")).await;
    assert_eq!(blocked.status, StatusCode::BAD_REQUEST, "{}", blocked.body);
    assert!(
        blocked.body["message"]
            .as_str()
            .unwrap()
            .contains("outer v1 depends on inner v1"),
        "{}",
        blocked.body
    );
    let label_blocked = delete(&app, &tenant, &format!("{PROMPTS}/base?label=production")).await;
    assert_eq!(label_blocked.status, StatusCode::BAD_REQUEST);
    assert!(
        label_blocked.body["message"]
            .as_str()
            .unwrap()
            .contains("inner v1 depends on base production")
    );
    let unreferenced = delete(&app, &tenant, &format!("{PROMPTS}/base?version=1")).await;
    assert_eq!(
        unreferenced.status,
        StatusCode::NO_CONTENT,
        "{}",
        unreferenced.body
    );
    for name in ["outer", "inner", "base"] {
        let response = delete(&app, &tenant, &format!("{PROMPTS}/{name}")).await;
        assert_eq!(
            response.status,
            StatusCode::NO_CONTENT,
            "{name}: {}",
            response.body
        );
    }
}

async fn prompts_are_isolated_per_project(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "api").await;
    create(
        &app,
        &tenant,
        json!({"name": "secret", "prompt": "x", "labels": ["production"]}),
    )
    .await;
    assert_eq!(
        app.get(&format!("{PROMPTS}/secret"), Some(&other.basic()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get_ok(&app, &other, PROMPTS).await["data"], json!([]));
    let patch = send_json(
        &app,
        &other,
        Method::PATCH,
        &format!("{PROMPTS}/secret/versions/1"),
        &json!({"newLabels": ["staging"]}),
    )
    .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(&app, &other, &format!("{PROMPTS}/secret"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The other project may use the same name independently.
    let own = create(
        &app,
        &other,
        json!({"name": "secret", "type": "chat", "prompt": []}),
    )
    .await;
    assert_eq!(own["version"], 1);
    assert_eq!(
        get_ok(&app, &tenant, &format!("{PROMPTS}/secret")).await["prompt"],
        "x"
    );
}

async fn legacy_prompt_routes(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let created = app
        .post_json(
            "/api/public/prompts",
            &tenant.basic(),
            &json!({"name": "old", "prompt": "Hi {{a}}", "isActive": true, "config": null}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["isActive"], true);
    assert_eq!(created.body["labels"], json!(["production", "latest"]));
    let inactive = app
        .post_json(
            "/api/public/prompts",
            &tenant.basic(),
            &json!({"name": "old", "prompt": "v2", "isActive": false}),
        )
        .await;
    assert_eq!(inactive.body["isActive"], false);
    let active = get_ok(&app, &tenant, "/api/public/prompts?name=old").await;
    assert_eq!(
        (active["version"].clone(), active["isActive"].clone()),
        (json!(1), json!(true))
    );
    assert_eq!(
        get_ok(&app, &tenant, "/api/public/prompts?name=old&version=2").await["isActive"],
        false
    );
    let missing = app
        .get("/api/public/prompts?name=none", Some(&tenant.basic()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "Prompt not found");
    let no_flag = app
        .post_json(
            "/api/public/prompts",
            &tenant.basic(),
            &json!({"name": "old", "prompt": "x"}),
        )
        .await;
    assert_eq!(no_flag.status, StatusCode::BAD_REQUEST);
}

async fn get_via(router: &Router, path: &str, auth: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .uri(path)
        .header("authorization", auth)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn a_second_server_sees_writes_within_a_second(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    // Another replica: its own state and prompt cache over the same database.
    let replica = sightline_server::router(AppState::new(
        app.state.store_handle(),
        app.state.salt().to_owned(),
    ));
    let path = format!("{PROMPTS}/live");
    create(
        &app,
        &tenant,
        json!({"name": "live", "prompt": "one", "labels": ["production"]}),
    )
    .await;
    let (status, body) = get_via(&replica, &path, &tenant.basic()).await;
    assert_eq!(
        (status, body["version"].clone()),
        (StatusCode::OK, json!(1))
    );
    // Cached on the replica now; write through the first server.
    create(
        &app,
        &tenant,
        json!({"name": "live", "prompt": "two", "labels": ["production"]}),
    )
    .await;
    let written = Instant::now();
    loop {
        let (_, body) = get_via(&replica, &path, &tenant.basic()).await;
        if body["version"] == 2 {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "replica still serves {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Deletes and label moves reach it the same way.
    let moved = send_json(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{PROMPTS}/live/versions/1"),
        &json!({"newLabels": ["production"]}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK);
    tokio::time::sleep(
        sightline_server::services::prompts::COUNTER_TTL + Duration::from_millis(50),
    )
    .await;
    assert_eq!(
        get_via(&replica, &path, &tenant.basic()).await.1["version"],
        1
    );
    assert_eq!(
        delete(&app, &tenant, &path).await.status,
        StatusCode::NO_CONTENT
    );
    tokio::time::sleep(
        sightline_server::services::prompts::COUNTER_TTL + Duration::from_millis(50),
    )
    .await;
    assert_eq!(
        get_via(&replica, &path, &tenant.basic()).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn generations_link_to_their_prompt_version(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    create(&app, &tenant, json!({"name": "qa", "prompt": "v1"})).await;
    let v2 = create(&app, &tenant, json!({"name": "qa", "prompt": "v2"})).await;
    let event = |id: &str, kind: &str, body: Value| json!({"id": id, "type": kind, "timestamp": "2024-01-01T00:00:00Z", "body": body});
    let batch = json!({"batch": [
        event("e1", "trace-create", json!({"id": "t1"})),
        event("e2", "generation-create", json!({"id": "g1", "traceId": "t1", "startTime": "2024-01-01T00:00:00Z",
            "promptName": "qa", "promptVersion": 2})),
        event("e3", "generation-create", json!({"id": "g2", "traceId": "t1", "startTime": "2024-01-01T00:00:01Z",
            "promptName": "qa", "promptVersion": 9})),
        event("e4", "generation-create", json!({"id": "g3", "traceId": "t1", "startTime": "2024-01-01T00:00:02Z"})),
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]), "{}", response.body);

    let one = get_ok(&app, &tenant, "/api/public/observations/g1").await;
    assert_eq!(one["promptId"], v2["id"]);
    assert_eq!(
        (one["promptName"].clone(), one["promptVersion"].clone()),
        (json!("qa"), json!(2))
    );
    let list = get_ok(&app, &tenant, "/api/public/observations").await;
    let ids: Vec<(Value, Value)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].clone(), o["promptId"].clone()))
        .collect();
    assert!(ids.contains(&(json!("g1"), v2["id"].clone())));
    assert!(
        ids.contains(&(json!("g2"), Value::Null)),
        "no such version: no id"
    );
    assert!(ids.contains(&(json!("g3"), Value::Null)));
    let v2_list = get_ok(
        &app,
        &tenant,
        "/api/public/v2/observations?fields=core,prompt",
    )
    .await;
    let g1 = v2_list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "g1")
        .unwrap();
    assert_eq!(g1["promptId"], v2["id"]);
    let trace = get_ok(&app, &tenant, "/api/public/traces/t1").await;
    let g1 = trace["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "g1")
        .unwrap();
    assert_eq!(g1["promptId"], v2["id"]);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "prompts_are_created_fetched_relabelled_and_deleted",
            prompts_are_created_fetched_relabelled_and_deleted,
        ),
        backend_test(
            "missing_prompts_are_404s_in_langfuse_shape",
            missing_prompts_are_404s_in_langfuse_shape,
        ),
        backend_test(
            "bad_prompt_input_is_a_400_with_a_message",
            bad_prompt_input_is_a_400_with_a_message,
        ),
        backend_test(
            "composed_prompts_resolve_with_a_graph",
            composed_prompts_resolve_with_a_graph,
        ),
        backend_test(
            "prompts_are_isolated_per_project",
            prompts_are_isolated_per_project,
        ),
        backend_test("legacy_prompt_routes", legacy_prompt_routes),
        backend_test(
            "a_second_server_sees_writes_within_a_second",
            a_second_server_sees_writes_within_a_second,
        ),
        backend_test(
            "generations_link_to_their_prompt_version",
            generations_link_to_their_prompt_version,
        ),
    ]
}
