//! Datasets, items, runs and run items as clients see them (wire-spec §7): upserts, item
//! versions, schemas, run items creating runs, bad input, and isolation between projects.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp, TestResponse};

async fn post(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> TestResponse {
    app.post_json(path, &tenant.basic(), &body).await
}

async fn ok(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let response = post(app, tenant, path, body).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    response.body
}

async fn get(app: &TestApp, tenant: &Tenant, path: &str) -> TestResponse {
    app.get(path, Some(&tenant.basic())).await
}

async fn delete(app: &TestApp, tenant: &Tenant, path: &str) -> TestResponse {
    let auth = tenant.basic();
    app.send(Method::DELETE, path, &[("authorization", auth.as_str())])
        .await
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {body}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn datasets_are_upserted_by_name_and_listed(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let created = ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "evals/qa", "description": "first", "metadata": {"team": "a"}}),
    )
    .await;
    assert_eq!(created["name"], "evals/qa");
    assert_eq!(created["projectId"], tenant.project_id.as_str());
    assert_eq!(created["inputSchema"], Value::Null);
    let updated = ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "evals/qa", "metadata": {"team": "b"}}),
    )
    .await;
    assert_eq!(updated["id"], created["id"], "upsert keeps the id");
    assert_eq!(updated["description"], "first", "absent fields are kept");
    assert_eq!(updated["metadata"], json!({"team": "b"}));

    let by_name = get(&app, &tenant, "/api/public/v2/datasets/evals%2Fqa").await;
    assert_eq!(by_name.status, StatusCode::OK, "{}", by_name.body);
    assert_eq!(by_name.body["id"], created["id"]);
    let missing = get(&app, &tenant, "/api/public/v2/datasets/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.body,
        json!({"message": "Dataset not found", "error": "LangfuseNotFoundError"})
    );

    ok(
        &app,
        &tenant,
        "/api/public/datasets",
        json!({"name": "legacy"}),
    )
    .await;
    let list = get(&app, &tenant, "/api/public/v2/datasets?limit=1")
        .await
        .body;
    assert_eq!(
        list["meta"],
        json!({"page": 1, "limit": 1, "totalItems": 2, "totalPages": 2})
    );
    assert_eq!(list["data"][0]["name"], "legacy", "newest first");

    ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "evals/qa", "id": "i1", "input": "q"}),
    )
    .await;
    let legacy = get(&app, &tenant, "/api/public/datasets").await.body;
    let qa = legacy["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|dataset| dataset["name"] == "evals/qa")
        .unwrap();
    assert_eq!(qa["items"], json!(["i1"]));
    assert_eq!(qa["runs"], json!([]));
    let one = get(&app, &tenant, "/api/public/datasets/evals%2Fqa")
        .await
        .body;
    assert_eq!(one["items"][0]["input"], "q");
    assert_eq!(one["items"][0]["mediaReferences"], json!([]));

    let bad = post(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"description": "x"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["message"], "Invalid request data");
}

async fn items_are_versioned_upserts(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "qa"}),
    )
    .await;
    ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "other"}),
    )
    .await;
    let first = ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa", "id": "item-1", "input": {"q": 1}, "expectedOutput": "a1",
            "metadata": {"k": "v"}, "sourceTraceId": "t-1"}),
    )
    .await;
    assert_eq!(first["status"], "ACTIVE");
    assert_eq!(first["datasetName"], "qa");
    assert_eq!(first["mediaReferences"], json!([]));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = sightline_domain::time::to_iso(sightline_domain::time::now_ms());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa", "id": "item-1", "input": {"q": 2}}),
    )
    .await;
    assert_eq!(second["input"], json!({"q": 2}));
    assert_eq!(second["expectedOutput"], "a1", "omitted fields are kept");
    assert_eq!(second["sourceTraceId"], "t-1");
    assert_eq!(second["createdAt"], first["createdAt"]);

    let current = get(&app, &tenant, "/api/public/dataset-items/item-1").await;
    assert_eq!(current.body["input"], json!({"q": 2}));
    let then = get(
        &app,
        &tenant,
        &format!("/api/public/dataset-items?datasetName=qa&version={between}"),
    )
    .await
    .body;
    assert_eq!(then["data"][0]["input"], json!({"q": 1}), "{then}");
    let before = get(
        &app,
        &tenant,
        "/api/public/dataset-items?datasetName=qa&version=2000-01-01T00:00:00Z",
    )
    .await
    .body;
    assert_eq!(before["data"], json!([]));
    let no_name = get(
        &app,
        &tenant,
        "/api/public/dataset-items?version=2000-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(no_name.status, StatusCode::BAD_REQUEST);

    ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa", "id": "item-2", "input": "x", "sourceObservationId": "o-9"}),
    )
    .await;
    let by_source = get(&app, &tenant, "/api/public/dataset-items?sourceTraceId=t-1")
        .await
        .body;
    assert_eq!(ids(&by_source), vec!["item-1"]);
    let by_observation = get(
        &app,
        &tenant,
        "/api/public/dataset-items?sourceObservationId=o-9",
    )
    .await
    .body;
    assert_eq!(ids(&by_observation), vec!["item-2"]);

    let archived = ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa", "id": "item-2", "status": "ARCHIVED"}),
    )
    .await;
    assert_eq!(archived["status"], "ARCHIVED");
    assert_eq!(archived["input"], "x");
    let listed = get(&app, &tenant, "/api/public/dataset-items?datasetName=qa")
        .await
        .body;
    assert_eq!(
        ids(&listed),
        vec!["item-1"],
        "archived items are not listed"
    );

    let elsewhere = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "other", "id": "item-1", "input": 1}),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::CONFLICT, "{}", elsewhere.body);
    assert!(
        elsewhere.body["message"]
            .as_str()
            .unwrap()
            .contains("already exists in a dataset other than other")
    );
    let unknown = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "nope", "input": 1}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["message"], "Dataset not found");
    let bad_status = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa", "status": "GONE"}),
    )
    .await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);

    let generated = ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "other", "input": "generated"}),
    )
    .await;
    assert_eq!(generated["id"].as_str().unwrap().len(), 36);
    // Items may be larger than the 1 MB of other JSON routes (Langfuse allows 4.5 MB).
    let large = "x".repeat(2 * 1024 * 1024);
    let big = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "other", "input": large}),
    )
    .await;
    assert_eq!(big.status, StatusCode::OK);

    let deleted = delete(&app, &tenant, "/api/public/dataset-items/item-1").await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body,
        json!({"message": "Dataset item successfully deleted"})
    );
    let gone = get(&app, &tenant, "/api/public/dataset-items/item-1").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let again = delete(&app, &tenant, "/api/public/dataset-items/item-1").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let still_then = get(
        &app,
        &tenant,
        &format!("/api/public/dataset-items?datasetName=qa&version={between}"),
    )
    .await
    .body;
    assert_eq!(
        ids(&still_then),
        vec!["item-1"],
        "history survives a delete"
    );
}

async fn items_are_checked_against_the_dataset_schemas(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let schema =
        json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
    ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "typed", "inputSchema": schema, "expectedOutputSchema": {"type": "string"}}),
    )
    .await;
    ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "typed", "id": "good", "input": {"q": "hi"}, "expectedOutput": "yo"}),
    )
    .await;
    let bad = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "typed", "input": {"q": 1}, "expectedOutput": "yo"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(bad.body["error"], "InvalidRequestError");
    let message = bad.body["message"].as_str().unwrap();
    assert!(message.contains("input at /q"), "{message}");
    let missing = post(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "typed", "input": {"q": "x"}}),
    )
    .await;
    assert_eq!(
        missing.status,
        StatusCode::BAD_REQUEST,
        "absent expected output is null"
    );
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("expectedOutput")
    );

    let stricter = post(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "typed", "inputSchema": {"type": "string"}}),
    )
    .await;
    assert_eq!(
        stricter.status,
        StatusCode::BAD_REQUEST,
        "the stored item fails it"
    );
    let not_a_schema = post(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "broken", "inputSchema": {"type": 12}}),
    )
    .await;
    assert_eq!(not_a_schema.status, StatusCode::BAD_REQUEST);
    let cleared = ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "typed", "inputSchema": null, "expectedOutputSchema": null}),
    )
    .await;
    assert_eq!(cleared["inputSchema"], Value::Null);
    ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "typed", "input": 5}),
    )
    .await;
}

async fn run_items_create_runs_by_name(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let dataset = ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "qa/v1"}),
    )
    .await;
    for id in ["a", "b", "archived"] {
        ok(
            &app,
            &tenant,
            "/api/public/dataset-items",
            json!({"datasetName": "qa/v1", "id": id, "input": id}),
        )
        .await;
    }
    ok(
        &app,
        &tenant,
        "/api/public/dataset-items",
        json!({"datasetName": "qa/v1", "id": "archived", "status": "ARCHIVED"}),
    )
    .await;
    let batch = json!({"batch": [{"id": "e1", "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
        "body": {"id": "trace-a", "output": "answer a"}},
        {"id": "e2", "type": "span-create", "timestamp": "2024-01-01T00:00:00Z",
        "body": {"id": "span-b", "traceId": "trace-b", "startTime": "2024-01-01T00:00:00Z"}}]});
    let ingested = post(&app, &tenant, "/api/public/ingestion", batch).await;
    assert_eq!(ingested.body["errors"], json!([]));

    let version = sightline_domain::time::to_iso(sightline_domain::time::now_ms() + 1);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let too_early = post(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "run 1", "datasetItemId": "a", "traceId": "trace-a",
            "datasetVersion": "2024-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        too_early.status,
        StatusCode::NOT_FOUND,
        "no item at that version"
    );
    let first = ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "run 1", "runDescription": "first", "metadata": {"model": "m"},
            "datasetItemId": "a", "traceId": "trace-a", "datasetVersion": version}),
    )
    .await;
    assert_eq!(first["datasetRunName"], "run 1");
    assert_eq!(first["datasetItemId"], "a");
    assert_eq!(first["observationId"], Value::Null);
    let run_id = first["datasetRunId"].as_str().unwrap().to_owned();
    assert_eq!(run_id.len(), 16, "the stable experiment id");
    let by_observation = ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "run 1", "runDescription": "second", "datasetItemId": "b",
            "observationId": "span-b"}),
    )
    .await;
    assert_eq!(by_observation["datasetRunId"], run_id.as_str());
    assert_eq!(
        by_observation["traceId"], "trace-b",
        "the observation's trace"
    );
    let unknown_trace = ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "run 2", "datasetItemId": "a", "traceId": "not-yet-ingested"}),
    )
    .await;
    assert_eq!(
        unknown_trace["traceId"], "not-yet-ingested",
        "traces may arrive later"
    );

    for (body, status, message) in [
        (
            json!({"runName": "r", "datasetItemId": "archived", "traceId": "t"}),
            StatusCode::NOT_FOUND,
            "Dataset item not found",
        ),
        (
            json!({"runName": "r", "datasetItemId": "nope", "traceId": "t"}),
            StatusCode::NOT_FOUND,
            "Dataset item not found",
        ),
        (
            json!({"runName": "r", "datasetItemId": "a", "observationId": "nope"}),
            StatusCode::NOT_FOUND,
            "Observation not found",
        ),
    ] {
        let response = post(&app, &tenant, "/api/public/dataset-run-items", body).await;
        assert_eq!(
            (response.status, response.body["message"].as_str()),
            (status, Some(message))
        );
    }
    let neither = post(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "r", "datasetItemId": "a"}),
    )
    .await;
    assert_eq!(neither.status, StatusCode::BAD_REQUEST);
    let unknown_field = post(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "r", "datasetItemId": "a", "traceId": "t", "extra": 1}),
    )
    .await;
    assert_eq!(
        unknown_field.status,
        StatusCode::BAD_REQUEST,
        "the body is strict"
    );

    let runs = get(&app, &tenant, "/api/public/datasets/qa%2Fv1/runs")
        .await
        .body;
    assert_eq!(runs["meta"]["totalItems"], 2);
    let run = get(&app, &tenant, "/api/public/datasets/qa%2Fv1/runs/run%201").await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["id"], run_id.as_str());
    assert_eq!(
        run.body["description"], "second",
        "a later runDescription updates the run, as Langfuse's API definition says"
    );
    assert_eq!(
        run.body["metadata"],
        json!({"model": "m", "dataset_version": version})
    );
    assert_eq!(run.body["datasetId"], dataset["id"]);
    assert_eq!(run.body["datasetName"], "qa/v1");
    assert_eq!(run.body["datasetRunItems"].as_array().unwrap().len(), 2);

    let items = get(
        &app,
        &tenant,
        &format!(
            "/api/public/dataset-run-items?datasetId={}&runName=run%201&limit=1",
            dataset["id"].as_str().unwrap()
        ),
    )
    .await
    .body;
    assert_eq!(items["meta"]["totalItems"], 2);
    assert_eq!(items["data"].as_array().unwrap().len(), 1);
    let legacy = get(&app, &tenant, "/api/public/datasets/qa%2Fv1")
        .await
        .body;
    let mut names: Vec<&str> = legacy["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec!["run 1", "run 2"]);

    let deleted = delete(&app, &tenant, "/api/public/datasets/qa%2Fv1/runs/run%201").await;
    assert_eq!(
        deleted.body,
        json!({"message": "Dataset run successfully deleted"})
    );
    let gone = get(&app, &tenant, "/api/public/datasets/qa%2Fv1/runs/run%201").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["message"], "Dataset run not found");
}

/// What the legacy Python SDK's `item.observe(run_name=…, run_description=…, run_metadata=…)`
/// and `item.link(…)` post: the run's description and metadata with each run item (`null` when
/// not given). The run they create keeps both, and reads return them.
async fn run_items_store_the_run_description_and_metadata(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    ok(
        &app,
        &tenant,
        "/api/public/v2/datasets",
        json!({"name": "legacy"}),
    )
    .await;
    for id in ["item-1", "item-2"] {
        ok(
            &app,
            &tenant,
            "/api/public/dataset-items",
            json!({"datasetName": "legacy", "id": id, "input": id}),
        )
        .await;
    }
    // The run is created without metadata (an earlier link, or SDK experiment spans); a later
    // run item that names them sets them, and one that names none keeps them.
    let metadata = json!({"model": "m", "temperature": 0.5});
    let first = ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "observed run", "datasetItemId": "item-1", "traceId": "trace-1"}),
    )
    .await;
    ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "observed run", "datasetItemId": "item-2", "traceId": "trace-2",
            "observationId": null, "metadata": metadata, "runDescription": "from v2"}),
    )
    .await;
    ok(
        &app,
        &tenant,
        "/api/public/dataset-run-items",
        json!({"runName": "observed run", "datasetItemId": "item-2", "traceId": "trace-3",
            "observationId": null, "metadata": null, "runDescription": null}),
    )
    .await;

    let run = get(
        &app,
        &tenant,
        "/api/public/datasets/legacy/runs/observed%20run",
    )
    .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["id"], first["datasetRunId"]);
    assert_eq!(run.body["description"], "from v2");
    assert_eq!(run.body["metadata"], metadata);
    assert_eq!(run.body["datasetRunItems"].as_array().unwrap().len(), 3);
    let runs = get(&app, &tenant, "/api/public/datasets/legacy/runs")
        .await
        .body;
    assert_eq!(runs["data"][0]["description"], "from v2");
    assert_eq!(runs["data"][0]["metadata"], metadata);
}

async fn another_project_sees_none_of_it(db: TestDb) {
    let app = TestApp::new(db).await;
    let owner = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "web").await;
    ok(
        &app,
        &owner,
        "/api/public/v2/datasets",
        json!({"name": "secret"}),
    )
    .await;
    ok(
        &app,
        &owner,
        "/api/public/dataset-items",
        json!({"datasetName": "secret", "id": "s1", "input": "x"}),
    )
    .await;
    ok(
        &app,
        &owner,
        "/api/public/dataset-run-items",
        json!({"runName": "r", "datasetItemId": "s1", "traceId": "t"}),
    )
    .await;

    let list = get(&app, &other, "/api/public/v2/datasets").await.body;
    assert_eq!(list["data"], json!([]));
    for path in [
        "/api/public/v2/datasets/secret",
        "/api/public/datasets/secret",
        "/api/public/dataset-items/s1",
        "/api/public/datasets/secret/runs",
        "/api/public/datasets/secret/runs/r",
    ] {
        assert_eq!(
            get(&app, &other, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let items = get(&app, &other, "/api/public/dataset-items").await.body;
    assert_eq!(items["data"], json!([]));
    let run_item = post(
        &app,
        &other,
        "/api/public/dataset-run-items",
        json!({"runName": "r", "datasetItemId": "s1", "traceId": "t"}),
    )
    .await;
    assert_eq!(run_item.status, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(&app, &other, "/api/public/dataset-items/s1")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let experiments = get(
        &app,
        &other,
        "/api/public/experiments?fromStartTime=2000-01-01T00:00:00Z",
    )
    .await
    .body;
    assert_eq!(experiments["data"], json!([]));
    // The same id and name are free in the other project.
    ok(
        &app,
        &other,
        "/api/public/v2/datasets",
        json!({"name": "secret"}),
    )
    .await;
    ok(
        &app,
        &other,
        "/api/public/dataset-items",
        json!({"datasetName": "secret", "id": "s1", "input": "mine"}),
    )
    .await;
    let mine = get(&app, &owner, "/api/public/dataset-items/s1").await.body;
    assert_eq!(mine["input"], "x");
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "datasets_are_upserted_by_name_and_listed",
            datasets_are_upserted_by_name_and_listed,
        ),
        backend_test("items_are_versioned_upserts", items_are_versioned_upserts),
        backend_test(
            "items_are_checked_against_the_dataset_schemas",
            items_are_checked_against_the_dataset_schemas,
        ),
        backend_test(
            "run_items_create_runs_by_name",
            run_items_create_runs_by_name,
        ),
        backend_test(
            "run_items_store_the_run_description_and_metadata",
            run_items_store_the_run_description_and_metadata,
        ),
        backend_test(
            "another_project_sees_none_of_it",
            another_project_sees_none_of_it,
        ),
    ]
}
