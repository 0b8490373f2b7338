//! SDK experiments: runs and run items from `langfuse.experiment.*` span attributes (Python SDK
//! 5.x, wire-spec §7.4), readable as soon as the OTLP export is acknowledged;
//! `GET /experiments`, `GET /experiment-items`, and the run comparison the UI reads.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_server::services::experiments;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::TestApp;

const TRACE_1: &str = "0af7651916cd43dd8448eb211c80319c";
const TRACE_2: &str = "1af7651916cd43dd8448eb211c80319c";
const LOCAL_TRACE: &str = "2af7651916cd43dd8448eb211c80319c";

fn text(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

/// The root span of one experiment item and its task span, both with the experiment's
/// attributes, as Python SDK 5.x sends them.
fn item_spans(
    trace_id: &str,
    root: &str,
    task: &str,
    experiment: &[Value],
    start_s: u64,
) -> Vec<Value> {
    let mut root_attributes = experiment.to_vec();
    root_attributes.push(text("langfuse.experiment.item.root_observation_id", root));
    root_attributes.push(text("langfuse.observation.output", "\"42\""));
    let mut task_attributes = experiment.to_vec();
    task_attributes.push(text("langfuse.experiment.item.root_observation_id", root));
    let nanos = |s: u64| (s * 1_000_000_000).to_string();
    vec![
        json!({"traceId": trace_id, "spanId": root, "name": "experiment-item-run",
            "startTimeUnixNano": nanos(start_s), "endTimeUnixNano": nanos(start_s + 2),
            "attributes": root_attributes}),
        json!({"traceId": trace_id, "spanId": task, "parentSpanId": root, "name": "experiment-item-task",
            "startTimeUnixNano": nanos(start_s), "endTimeUnixNano": nanos(start_s + 1),
            "attributes": task_attributes}),
    ]
}

async fn experiment_spans_create_runs_and_run_items(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let dataset = app
        .post_json("/api/public/v2/datasets", &auth, &json!({"name": "qa"}))
        .await
        .body;
    let dataset_id = dataset["id"].as_str().unwrap();
    for id in ["item-1", "item-2"] {
        let item = json!({"datasetName": "qa", "id": id, "input": id});
        app.post_json("/api/public/dataset-items", &auth, &item)
            .await;
    }
    let experiment = |item: &str| {
        vec![
            text("langfuse.experiment.id", "exp-0001"),
            text("langfuse.experiment.name", "baseline"),
            text("langfuse.experiment.description", "first try"),
            text("langfuse.experiment.metadata", "{\"model\": \"m\"}"),
            text("langfuse.experiment.dataset.id", dataset_id),
            text("langfuse.experiment.item.id", item),
            text("langfuse.experiment.item.expected_output", "\"expected\""),
            text(
                "langfuse.experiment.item.metadata",
                "{\"difficulty\": \"hard\"}",
            ),
            text("langfuse.environment", "sdk-experiment"),
        ]
    };
    let mut spans = item_spans(
        TRACE_1,
        "00f067aa0ba902b1",
        "00f067aa0ba902c1",
        &experiment("item-1"),
        1_704_067_200,
    );
    spans.extend(item_spans(
        TRACE_2,
        "00f067aa0ba902b2",
        "00f067aa0ba902c2",
        &experiment("item-2"),
        1_704_067_300,
    ));
    app.export_spans(&tenant, spans).await;

    // Readable right after the 200.
    let run = app
        .get("/api/public/datasets/qa/runs/baseline", Some(&auth))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert_eq!(run.body["id"], "exp-0001");
    assert_eq!(run.body["description"], "first try");
    assert_eq!(run.body["metadata"], json!({"model": "m"}));
    let mut items: Vec<(String, String, String)> = run.body["datasetRunItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let field = |name: &str| item[name].as_str().unwrap().to_owned();
            (
                field("datasetItemId"),
                field("traceId"),
                field("observationId"),
            )
        })
        .collect();
    items.sort();
    assert_eq!(
        items,
        vec![
            ("item-1".into(), TRACE_1.into(), "00f067aa0ba902b1".into()),
            ("item-2".into(), TRACE_2.into(), "00f067aa0ba902b2".into()),
        ]
    );

    // The same spans again change nothing.
    let again = item_spans(
        TRACE_1,
        "00f067aa0ba902b1",
        "00f067aa0ba902c1",
        &experiment("item-1"),
        1_704_067_200,
    );
    app.export_spans(&tenant, again).await;
    let run = app
        .get("/api/public/datasets/qa/runs/baseline", Some(&auth))
        .await
        .body;
    assert_eq!(run["datasetRunItems"].as_array().unwrap().len(), 2);

    // A local experiment (no dataset) is an experiment but no dataset's run.
    let local = vec![
        text("langfuse.experiment.id", "local-0001"),
        text("langfuse.experiment.name", "local run"),
        text("langfuse.experiment.item.id", "abcdef0123456789"),
    ];
    app.export_spans(
        &tenant,
        item_spans(
            LOCAL_TRACE,
            "00f067aa0ba902b3",
            "00f067aa0ba902c3",
            &local,
            1_704_067_400,
        ),
    )
    .await;
    let runs = app
        .get("/api/public/datasets/qa/runs", Some(&auth))
        .await
        .body;
    assert_eq!(runs["meta"]["totalItems"], 1);

    let experiments = app
        .get(
            "/api/public/experiments?fromStartTime=2024-01-01T00:00:00Z&fields=core,metadata",
            Some(&auth),
        )
        .await;
    assert_eq!(experiments.status, StatusCode::OK, "{}", experiments.body);
    let data = experiments.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{}", experiments.body);
    assert_eq!(data[0]["id"], "local-0001", "latest activity first");
    assert_eq!(data[0]["datasetId"], Value::Null);
    assert_eq!(data[1]["itemCount"], 2);
    assert_eq!(data[1]["startTime"], "2024-01-01T00:00:00.000Z");
    assert_eq!(data[1]["endTime"], "2024-01-01T00:01:42.000Z");
    assert_eq!(data[1]["metadata"], json!({"model": "m"}));
    let paged = app
        .get(
            "/api/public/experiments?fromStartTime=2024-01-01T00:00:00Z&limit=1",
            Some(&auth),
        )
        .await
        .body;
    let cursor = paged["meta"]["cursor"].as_str().unwrap().to_owned();
    let next = app
        .get(
            &format!(
                "/api/public/experiments?fromStartTime=2024-01-01T00:00:00Z&limit=1&cursor={cursor}"
            ),
            Some(&auth),
        )
        .await
        .body;
    assert_eq!(next["data"][0]["id"], "exp-0001");
    assert_eq!(next["meta"], json!({}));
    let missing_from = app.get("/api/public/experiments", Some(&auth)).await;
    assert_eq!(missing_from.status, StatusCode::BAD_REQUEST);

    let items = app
        .get(
            "/api/public/experiment-items?fromStartTime=2024-01-01T00:00:00Z&experimentId=exp-0001&fields=core,dataset,io,itemMetadata",
            Some(&auth),
        )
        .await;
    assert_eq!(items.status, StatusCode::OK, "{}", items.body);
    let first = &items.body["data"][0];
    assert_eq!(first["id"], "00f067aa0ba902b2", "newest first");
    assert_eq!(first["experimentItemId"], "item-2");
    assert_eq!(first["experimentName"], "baseline");
    assert_eq!(first["experimentDatasetId"], dataset_id);
    assert_eq!(first["environment"], "sdk-experiment");
    assert_eq!(first["output"], "42");
    assert_eq!(first["expectedOutput"], "expected");
    assert_eq!(
        first["experimentItemMetadata"],
        json!({"difficulty": "hard"})
    );
    assert_eq!(items.body["data"].as_array().unwrap().len(), 2);

    // Scores: the run's own (run-level evaluations) and those of each item's trace.
    let scores = json!([
        {"id": "run-score", "datasetRunId": "exp-0001", "name": "avg", "value": 0.5},
        {"id": "item-score", "traceId": TRACE_1, "name": "exact", "value": 1},
    ]);
    let response = app.post_json("/api/public/scores", &auth, &scores).await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.body);
    let with_scores = app
        .get(
            "/api/public/experiments?fromStartTime=2024-01-01T00:00:00Z&fields=scores&name=baseline",
            Some(&auth),
        )
        .await
        .body;
    assert_eq!(
        with_scores["data"].as_array().unwrap().len(),
        1,
        "{with_scores}"
    );
    let run_scores = &with_scores["data"][0]["scores"];
    assert_eq!(run_scores[0]["id"], "run-score", "{run_scores}");
    assert_eq!(
        run_scores[0]["subject"],
        json!({"kind": "experiment", "id": "exp-0001"})
    );
    let filter = urlencoding(
        &json!([{"type": "stringOptions", "column": "experimentItemId",
        "operator": "any of", "value": ["item-1"]}])
        .to_string(),
    );
    let item_scores = app
        .get(
            &format!("/api/public/experiment-items?fromStartTime=2024-01-01T00:00:00Z&fields=core,scores&filter={filter}"),
            Some(&auth),
        )
        .await
        .body;
    let data = item_scores["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{item_scores}");
    assert_eq!(data[0]["scores"][0]["id"], "item-score");
    let unknown_column = urlencoding(
        &json!([{"type": "string", "column": "level",
        "operator": "=", "value": "x"}])
        .to_string(),
    );
    let rejected = app
        .get(
            &format!("/api/public/experiment-items?fromStartTime=2024-01-01T00:00:00Z&filter={unknown_column}"),
            Some(&auth),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn runs_compare_by_item(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let dataset = app
        .post_json("/api/public/v2/datasets", &auth, &json!({"name": "qa"}))
        .await
        .body;
    let dataset_id = dataset["id"].as_str().unwrap();
    for id in ["item-1", "item-2"] {
        let item = json!({"datasetName": "qa", "id": id, "input": id});
        app.post_json("/api/public/dataset-items", &auth, &item)
            .await;
    }
    let experiment = |item: &str| {
        vec![
            text("langfuse.experiment.id", "exp-a"),
            text("langfuse.experiment.name", "a"),
            text("langfuse.experiment.dataset.id", dataset_id),
            text("langfuse.experiment.item.id", item),
        ]
    };
    let mut spans = item_spans(
        TRACE_1,
        "00f067aa0ba902b1",
        "00f067aa0ba902c1",
        &experiment("item-1"),
        1_704_067_200,
    );
    spans.extend(item_spans(
        TRACE_2,
        "00f067aa0ba902b2",
        "00f067aa0ba902c2",
        &experiment("item-2"),
        1_704_067_300,
    ));
    app.export_spans(&tenant, spans).await;
    // Run b ran item-1 only, through the run items API, on a trace of its own.
    let batch = json!({"batch": [{"id": "e1", "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
        "body": {"id": "trace-b", "output": {"answer": 7}}}]});
    app.post_json("/api/public/ingestion", &auth, &batch).await;
    let run_b = app
        .post_json(
            "/api/public/dataset-run-items",
            &auth,
            &json!({"runName": "b", "datasetItemId": "item-1", "traceId": "trace-b"}),
        )
        .await
        .body;
    let run_b = run_b["datasetRunId"].as_str().unwrap().to_owned();
    let scores = json!([
        {"id": "s1", "traceId": TRACE_1, "name": "accuracy", "value": 1.0},
        {"id": "s2", "traceId": TRACE_2, "name": "accuracy", "value": 0.5},
        {"id": "s3", "traceId": "trace-b", "name": "accuracy", "value": 0.0},
        {"id": "s4", "traceId": "trace-b", "name": "verdict", "value": "bad", "dataType": "CATEGORICAL"},
    ]);
    let response = app.post_json("/api/public/scores", &auth, &scores).await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.body);

    let project = ProjectId::from_trusted(tenant.project_id.clone());
    let run_ids = vec!["exp-a".to_owned(), run_b.clone(), "unknown".to_owned()];
    let comparison = experiments::compare_runs(app.state.store(), &project, &run_ids)
        .await
        .unwrap();
    let a = &comparison.runs[0];
    assert_eq!(a.item_count, 2);
    assert_eq!(a.avg_latency_ms, Some(2000.0));
    assert_eq!(a.score_averages, vec![("accuracy".to_owned(), 0.75, 2)]);
    let b = &comparison.runs[1];
    assert_eq!(b.item_count, 1);
    assert_eq!(b.score_averages, vec![("accuracy".to_owned(), 0.0, 1)]);
    assert_eq!(comparison.runs[2].item_count, 0);

    assert_eq!(comparison.items.len(), 2);
    let item_1 = comparison
        .items
        .iter()
        .find(|item| item.dataset_item_id == "item-1")
        .unwrap();
    let in_a = item_1.results[0].as_ref().unwrap();
    assert_eq!(in_a.output, Some(json!("42")));
    assert_eq!(in_a.scores, vec![("accuracy".to_owned(), Some(1.0), None)]);
    let in_b = item_1.results[1].as_ref().unwrap();
    assert_eq!(in_b.output, Some(json!({"answer": 7})));
    assert_eq!(in_b.scores.len(), 2);
    assert!(item_1.results[2].is_none());
    let item_2 = comparison
        .items
        .iter()
        .find(|item| item.dataset_item_id == "item-2")
        .unwrap();
    assert!(item_2.results[1].is_none(), "run b did not run item-2");
}

/// Python SDK 4.x posts a run item for each item and also sends the experiment spans, with the
/// returned run id as experiment id: one run item results.
async fn sdk4_run_items_and_spans_make_one_run_item(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let auth = tenant.basic();
    let dataset = app
        .post_json("/api/public/v2/datasets", &auth, &json!({"name": "qa"}))
        .await
        .body;
    let item = json!({"datasetName": "qa", "id": "item-1", "input": 1});
    app.post_json("/api/public/dataset-items", &auth, &item)
        .await;
    let body = json!({"runName": "v4 run", "datasetItemId": "item-1", "traceId": TRACE_1,
        "observationId": "00f067aa0ba902c1"});
    let posted = app
        .post_json("/api/public/dataset-run-items", &auth, &body)
        .await
        .body;
    let again = app
        .post_json("/api/public/dataset-run-items", &auth, &body)
        .await
        .body;
    assert_eq!(again["id"], posted["id"], "the same link is one run item");
    let run_id = posted["datasetRunId"].as_str().unwrap();
    let attributes = vec![
        text("langfuse.experiment.id", run_id),
        text("langfuse.experiment.name", "v4 run"),
        text(
            "langfuse.experiment.dataset.id",
            dataset["id"].as_str().unwrap(),
        ),
        text("langfuse.experiment.item.id", "item-1"),
    ];
    let spans = item_spans(
        TRACE_1,
        "00f067aa0ba902b1",
        "00f067aa0ba902c1",
        &attributes,
        1_704_067_200,
    );
    app.export_spans(&tenant, spans).await;
    let run = app
        .get("/api/public/datasets/qa/runs/v4%20run", Some(&auth))
        .await
        .body;
    let items = run["datasetRunItems"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{run}");
    assert_eq!(items[0]["id"], posted["id"]);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "sdk4_run_items_and_spans_make_one_run_item",
            sdk4_run_items_and_spans_make_one_run_item,
        ),
        backend_test(
            "experiment_spans_create_runs_and_run_items",
            experiment_spans_create_runs_and_run_items,
        ),
        backend_test("runs_compare_by_item", runs_compare_by_item),
    ]
}
