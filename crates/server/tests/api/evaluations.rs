//! LLM-as-a-judge evaluations end to end, with the workers running and a local fake provider:
//! evaluators and rules over the unstable API, EVAL scores through the public scores API,
//! deterministic sampling, retries of rate limits, pauses on bad keys, backfills, experiment
//! rules, and bad input refused with the unstable API's codes. Reference: `features.md` §2 and
//! Langfuse's `worker/src/features/evaluation/evalService.ts`.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::eval::{execution_trace_id, is_sampled};
use sightline_domain::secret::Cipher;
use sightline_domain::time::now_ms;
use sightline_llm::fake::{FakeProvider, Reply};
use sightline_llm::{Adapter, Client, HostPolicy};
use sightline_server::services::evals::execute::RetryPolicy;
use sightline_server::services::evals::{evaluators, rules};
use sightline_server::services::llm_connections::LlmSettings;
use sightline_server::services::worker::{self, WorkerConfig};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::{DefaultLlmModel, ExecutionQuery};

use crate::support::{LLM_SECRETS, Tenant, TestApp, TestResponse};

const KEY: &str = LLM_SECRETS[0];
const PROMPT: &str = "Is the answer {{output}} right for the question {{input}}?";

struct Judge {
    app: TestApp,
    tenant: Tenant,
    project: ProjectId,
    fake: FakeProvider,
}

async fn judge(db: TestDb) -> Judge {
    let fake = FakeProvider::start(KEY).await;
    let settings = LlmSettings {
        cipher: Some(Cipher::new(&[9; 32])),
        client: Client::new(HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)])),
    };
    let app = TestApp::with_llm(db, settings).await;
    let tenant = app.tenant("Acme", "evals").await;
    let project = ProjectId::parse(&tenant.project_id).unwrap();
    let connection = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(
            json!({"provider": "judge", "adapter": "openai", "secretKey": KEY,
            "baseURL": fake.base_url(Adapter::OpenAi)}),
        ),
    )
    .await;
    assert_eq!(
        connection.status,
        StatusCode::CREATED,
        "{}",
        connection.body
    );
    let default = DefaultLlmModel {
        connection_id: connection.body["id"].as_str().unwrap().to_owned(),
        model: "gpt-judge".into(),
        model_params: json!({}),
        updated_at: now_ms(),
    };
    app.state
        .store()
        .metadata()
        .set_default_llm_model(&project, Some(&default))
        .await
        .unwrap();
    worker::spawn(
        app.state.clone(),
        WorkerConfig {
            concurrency: 4,
            poll: Duration::from_millis(50),
            lease: Duration::from_secs(30),
            retry: RetryPolicy {
                attempts: 3,
                max_age_ms: 2_000,
            },
        },
    );
    Judge {
        app,
        tenant,
        project,
        fake,
    }
}

async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    app.tenant_request(tenant, method, &format!("/api/public{path}"), body)
        .await
}

impl Judge {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        call(&self.app, &self.tenant, method, path, body).await
    }

    /// Creates an evaluator through the API; returns it.
    async fn create_evaluator(&self, body: Value) -> Value {
        let created = self
            .call(Method::POST, "/unstable/evaluators", Some(body))
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        created.body
    }

    async fn evaluator(&self, name: &str) -> Value {
        self.create_evaluator(json!({
                    "name": name,
                    "type": "llm_as_judge",
                    "prompt": PROMPT,
                    "outputDefinition": {
                        "dataType": "NUMERIC",
                        "reasoning": {"description": "One sentence"},
                        "score": {"description": "0 to 1", "minValue": 0, "maxValue": 1}
                    },
                    "mapping": [
                        {"variable": "input", "source": "input"},
                        {"variable": "output", "source": "output"}
                    ]
        }))
        .await
    }

    async fn rule(&self, body: Value) -> Value {
        let created = self
            .call(Method::POST, "/unstable/evaluation-rules", Some(body))
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        created.body
    }

    async fn trace_rule(&self, evaluator: &str, sampling: f64, scope: &[&str]) -> Value {
        self.rule(json!({
            "name": format!("{evaluator} on traces"),
            "target": "trace",
            "evaluator": {"name": evaluator},
            "enabled": true,
            "sampling": sampling,
            "delay": 0,
            "timeScope": scope,
        }))
        .await
    }

    async fn ingest_traces(&self, ids: &[String]) {
        let batch: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": "2026-12-07T10:00:00Z",
                    "body": {"id": id, "name": "qa", "input": format!("question {id}"), "output": "forty-two"}})
            })
            .collect();
        let response = self
            .app
            .post_json(
                "/api/public/ingestion",
                &self.tenant.basic(),
                &json!({ "batch": batch }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::MULTI_STATUS,
            "{}",
            response.body
        );
    }

    async fn eval_scores(&self) -> Vec<Value> {
        let response = self
            .call(Method::GET, "/v2/scores?source=EVAL&limit=100", None)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.body["data"].as_array().unwrap().clone()
    }

    /// Waits until `count` EVAL scores exist (and a moment more, to see any extra one).
    async fn wait_for_scores(&self, count: usize) -> Vec<Value> {
        for _ in 0..200 {
            if self.eval_scores().await.len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.eval_scores().await
    }

    async fn executions(&self) -> Vec<sightline_store::JobExecution> {
        self.app
            .state
            .store()
            .metadata()
            .list_executions(&self.project, &ExecutionQuery::default(), 1000, 0)
            .await
            .unwrap()
            .0
    }

    /// Waits until no execution is pending or delayed.
    async fn settle(&self) -> Vec<sightline_store::JobExecution> {
        for _ in 0..200 {
            let executions = self.executions().await;
            if !executions.is_empty() && executions.iter().all(|e| e.status.is_final()) {
                return executions;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.executions().await
    }
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

async fn a_trace_rule_scores_each_new_trace_once(db: TestDb) {
    let judge = judge(db).await;
    judge.evaluator("correctness").await;
    let rule = judge.trace_rule("correctness", 1.0, &["NEW"]).await;
    assert_eq!(rule["status"], "active");
    assert_eq!(rule["target"], "trace");
    let traces = ids("live", 3);
    judge.ingest_traces(&traces).await;
    let scores = judge.wait_for_scores(3).await;
    assert_eq!(scores.len(), 3, "{scores:?}");
    let scored: BTreeSet<&str> = scores
        .iter()
        .map(|s| s["traceId"].as_str().unwrap())
        .collect();
    assert_eq!(scored, traces.iter().map(String::as_str).collect());
    for score in &scores {
        assert_eq!(score["name"], "correctness");
        assert_eq!(score["source"], "EVAL");
        assert_eq!(score["value"], 1.0);
        assert_eq!(score["comment"], "The fake judge always agrees.");
        assert_eq!(score["environment"], "default");
    }
    // The judge saw the filled prompt, as one user message, with a structured output schema.
    let requests = judge.fake.requests();
    let prompts: Vec<String> = requests
        .iter()
        .map(|r| {
            r.body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        prompts.contains(
            &"Is the answer forty-two right for the question question live-0?".to_owned()
        ),
        "{prompts:?}"
    );
    assert!(requests[0].body.get("response_format").is_some());
    assert_eq!(requests[0].body["model"], "gpt-judge");

    // The judge call is a trace of its own, in the internal environment, never evaluated.
    // Scores carry the execution in their metadata (Langfuse's `evalExecutionMetadata.ts` keys).
    let execution = scores[0]["metadata"]["job_execution_id"].as_str().unwrap();
    assert_eq!(
        scores[0]["metadata"]["target_trace_id"],
        scores[0]["traceId"]
    );
    let execution_trace = execution_trace_id(execution);
    let trace = judge
        .call(Method::GET, &format!("/traces/{execution_trace}"), None)
        .await;
    assert_eq!(trace.status, StatusCode::OK, "{}", trace.body);
    assert_eq!(trace.body["environment"], "langfuse-llm-as-a-judge");
    assert_eq!(trace.body["name"], "Execute evaluator: correctness");

    // Sending a trace again (an update) evaluates nothing twice.
    judge.ingest_traces(&traces[..1]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(judge.eval_scores().await.len(), 3);
    let executions = judge.settle().await;
    assert_eq!(executions.len(), 3);
    assert!(executions.iter().all(|e| e.status.as_str() == "COMPLETED"));
    assert_eq!(judge.fake.requests().len(), 3);
}

async fn sampling_selects_the_same_traces_and_backfills_add_nothing_twice(db: TestDb) {
    let judge = judge(db).await;
    judge.evaluator("helpfulness").await;
    let traces = ids("old", 24);
    judge.ingest_traces(&traces).await;
    // Existing traces only: a backfill at creation.
    let rule = judge.trace_rule("helpfulness", 0.5, &["EXISTING"]).await;
    let expected: BTreeSet<String> = traces
        .iter()
        .filter(|id| is_sampled(id, 0.5))
        .cloned()
        .collect();
    assert!(!expected.is_empty() && expected.len() < traces.len());
    let scores = judge.wait_for_scores(expected.len()).await;
    let scored: BTreeSet<String> = scores
        .iter()
        .map(|s| s["traceId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(scored, expected);

    // Running the backfill again adds nothing.
    rules::run_backfill(
        &judge.app.state,
        &judge.project,
        rule["id"].as_str().unwrap(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(judge.eval_scores().await.len(), expected.len());
    assert_eq!(judge.executions().await.len(), expected.len());
    // New traces are not evaluated by an EXISTING-only rule.
    judge.ingest_traces(&ids("new", 2)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(judge.executions().await.len(), expected.len());
}

async fn a_rate_limit_then_success_writes_one_score(db: TestDb) {
    let judge = judge(db).await;
    judge.evaluator("relevance").await;
    judge.trace_rule("relevance", 1.0, &["NEW"]).await;
    judge.fake.reply_next(vec![Reply {
        error: Some((429, "slow down".into())),
        ..Reply::default()
    }]);
    judge.ingest_traces(&ids("limited", 1)).await;
    let scores = judge.wait_for_scores(1).await;
    assert_eq!(scores.len(), 1, "{scores:?}");
    let executions = judge.settle().await;
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0].status.as_str(), "COMPLETED");
    assert_eq!(executions[0].error, None);
    assert_eq!(
        judge.fake.requests().len(),
        2,
        "one refused call, one answered"
    );
}

async fn an_auth_error_pauses_the_evaluator_until_reactivated(db: TestDb) {
    let judge = judge(db).await;
    let evaluator = judge.evaluator("toxicity").await;
    let rule = judge.trace_rule("toxicity", 1.0, &["NEW"]).await;
    judge.fake.reply_with(Reply {
        error: Some((401, "Incorrect API key provided".into())),
        ..Reply::default()
    });
    judge.ingest_traces(&ids("refused", 1)).await;
    let executions = judge.settle().await;
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0].status.as_str(), "ERROR");
    assert!(
        executions[0]
            .error
            .as_deref()
            .unwrap()
            .contains("Incorrect API key"),
        "{:?}",
        executions[0].error
    );
    let id = rule["id"].as_str().unwrap();
    let paused = judge
        .call(
            Method::GET,
            &format!("/unstable/evaluation-rules/{id}"),
            None,
        )
        .await;
    assert_eq!(paused.body["status"], "paused", "{}", paused.body);
    assert_eq!(paused.body["pausedReason"], "LLM_CONNECTION_AUTH_INVALID");
    assert!(
        paused.body["pausedMessage"]
            .as_str()
            .unwrap()
            .contains("reactivate")
    );
    // While paused, new traces are not evaluated.
    judge.ingest_traces(&ids("while-paused", 1)).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(judge.executions().await.len(), 1);
    assert_eq!(judge.fake.requests().len(), 1);

    // Fixed and reactivated: new traces are scored again.
    judge.fake.reply_with(Reply::default());
    evaluators::reactivate(
        &judge.app.state,
        &judge.project,
        evaluator["id"].as_str().unwrap(),
    )
    .await
    .unwrap();
    let active = judge
        .call(
            Method::GET,
            &format!("/unstable/evaluation-rules/{id}"),
            None,
        )
        .await;
    assert_eq!(active.body["status"], "active");
    judge.ingest_traces(&ids("after", 1)).await;
    let scores = judge.wait_for_scores(1).await;
    assert_eq!(scores.len(), 1);
    assert_eq!(scores[0]["traceId"], "after-0");
}

async fn an_experiment_rule_scores_run_items_with_expected_output(db: TestDb) {
    let judge = judge(db).await;
    let created = judge
        .create_evaluator(json!({
            "name": "matches-expected",
            "prompt": "Does {{output}} match {{expected}}?",
            "outputDefinition": {"dataType": "BOOLEAN", "reasoning": {"description": "why"},
                "score": {"description": "true when it matches"}},
        }))
        .await;
    assert_eq!(created["variables"], json!(["output", "expected"]));
    let dataset = judge
        .call(
            Method::POST,
            "/v2/datasets",
            Some(json!({"name": "golden"})),
        )
        .await;
    assert_eq!(dataset.status, StatusCode::OK, "{}", dataset.body);
    let dataset_id = dataset.body["id"].as_str().unwrap().to_owned();
    judge.fake.reply_with(Reply {
        json: Some(json!({"reasoning": "It matches.", "score": true})),
        ..Reply::default()
    });
    judge
        .rule(json!({
            "name": "experiment check",
            "target": "experiment",
            "evaluators": [{"evaluator": {"name": "matches-expected", "type": "llm_as_judge"},
                "mapping": [{"variable": "output", "source": "output"},
                    {"variable": "expected", "source": "expected_output", "jsonPath": "$.answer"}]}],
            "enabled": true,
            "filter": [{"type": "stringOptions", "column": "datasetId", "operator": "any of", "value": [dataset_id]}],
        }))
        .await;
    let item = judge
        .call(
            Method::POST,
            "/dataset-items",
            Some(
                json!({"datasetName": "golden", "id": "item-1", "input": "q",
                "expectedOutput": {"answer": "forty-two"}}),
            ),
        )
        .await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.body);
    judge.ingest_traces(&["run-trace".to_owned()]).await;
    // Nothing is evaluated for a plain trace: the rule targets experiments.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(judge.executions().await.is_empty());
    let run_item = judge
        .call(
            Method::POST,
            "/dataset-run-items",
            Some(json!({"runName": "run-1", "datasetItemId": "item-1", "traceId": "run-trace"})),
        )
        .await;
    assert_eq!(run_item.status, StatusCode::OK, "{}", run_item.body);
    let scores = judge.wait_for_scores(1).await;
    assert_eq!(scores.len(), 1, "{scores:?}");
    assert_eq!(scores[0]["traceId"], "run-trace");
    assert_eq!(scores[0]["dataType"], "BOOLEAN");
    assert_eq!(scores[0]["value"], 1.0);
    assert_eq!(scores[0]["comment"], "It matches.");
    let prompt = judge.fake.requests()[0].body["messages"][0]["content"].clone();
    assert_eq!(prompt, "Does forty-two match forty-two?");
}

/// Python SDK 5.x experiment spans (OTLP): the item's root span creates the run item, which the
/// experiment rule evaluates on the root observation with the dataset item's expected output.
async fn an_experiment_rule_scores_sdk_experiment_items(db: TestDb) {
    let judge = judge(db).await;
    judge
        .create_evaluator(json!({
            "name": "sdk-check",
            "prompt": "Is {{output}} what {{expected}} asks for?",
            "outputDefinition": {"dataType": "NUMERIC", "reasoning": {"description": "why"},
                "score": {"description": "0..1"}},
        }))
        .await;
    let dataset = judge
        .call(
            Method::POST,
            "/v2/datasets",
            Some(json!({"name": "sdk-golden"})),
        )
        .await;
    let dataset_id = dataset.body["id"].as_str().unwrap().to_owned();
    let item = judge
        .call(
            Method::POST,
            "/dataset-items",
            Some(
                json!({"datasetName": "sdk-golden", "id": "sdk-item", "input": "q",
                "expectedOutput": "the answer"}),
            ),
        )
        .await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.body);
    judge
        .rule(json!({
            "name": "sdk experiments",
            "target": "experiment",
            "evaluators": [{"evaluator": {"name": "sdk-check"},
                "mapping": [{"variable": "output", "source": "output"},
                    {"variable": "expected", "source": "expected_output"}]}],
            "enabled": true,
        }))
        .await;
    let text = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
    let attributes = vec![
        text("langfuse.experiment.id", "sdk-exp-0001"),
        text("langfuse.experiment.name", "sdk run"),
        text("langfuse.experiment.dataset.id", &dataset_id),
        text("langfuse.experiment.item.id", "sdk-item"),
        text(
            "langfuse.experiment.item.root_observation_id",
            "00f067aa0ba902b7",
        ),
        text("langfuse.environment", "sdk-experiment"),
        text("langfuse.observation.output", "\"forty-two\""),
    ];
    judge
        .app
        .export_spans(
            &judge.tenant,
            vec![
                json!({"traceId": "4bf92f3577b34da6a3ce929d0e0e4737", "spanId": "00f067aa0ba902b7",
                "name": "experiment-item-run", "startTimeUnixNano": "1704067200000000000",
                "endTimeUnixNano": "1704067201000000000", "attributes": attributes}),
            ],
        )
        .await;
    let scores = judge.wait_for_scores(1).await;
    assert_eq!(scores.len(), 1, "{scores:?}");
    assert_eq!(scores[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4737");
    assert_eq!(scores[0]["observationId"], "00f067aa0ba902b7");
    assert_eq!(scores[0]["environment"], "sdk-experiment");
    let prompt = judge.fake.requests()[0].body["messages"][0]["content"].clone();
    assert_eq!(prompt, "Is forty-two what the answer asks for?");
}

async fn bad_definitions_are_refused_and_nothing_runs_half_configured(db: TestDb) {
    let judge = judge(db).await;
    let refused = |response: &TestResponse, status: StatusCode, code: &str| {
        assert_eq!(response.status, status, "{}", response.body);
        assert_eq!(response.body["code"], code, "{}", response.body);
        assert!(
            response.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    };
    let no_score = judge
        .call(
            Method::POST,
            "/unstable/evaluators",
            Some(json!({"name": "x", "prompt": "{{input}}",
                "outputDefinition": {"dataType": "NUMERIC", "reasoning": {"description": "why"}}})),
        )
        .await;
    refused(&no_score, StatusCode::BAD_REQUEST, "invalid_body");
    assert_eq!(
        no_score.body["details"]["issues"][0]["path"],
        json!(["outputDefinition", "score"])
    );
    let bad_default = judge
        .call(
            Method::POST,
            "/unstable/evaluators",
            Some(json!({"name": "x", "prompt": "{{input}} {{output}}",
                "outputDefinition": {"dataType": "BOOLEAN", "reasoning": {"description": "why"}, "score": {"description": "ok"}},
                "mapping": [{"variable": "input", "source": "input"}]})),
        )
        .await;
    refused(
        &bad_default,
        StatusCode::BAD_REQUEST,
        "missing_variable_mapping",
    );
    assert_eq!(bad_default.body["details"]["variables"], json!(["output"]));

    // An evaluator without a default mapping: every rule must map its variables.
    judge.create_evaluator(json!({"name": "plain", "prompt": "{{input}} {{output}}",
                "outputDefinition": {"dataType": "NUMERIC", "reasoning": {"description": "why"}, "score": {"description": "0..1"}}})).await;
    let rule = |mapping: Value, sampling: f64| {
        json!({"name": "r", "target": "observation", "enabled": true, "sampling": sampling,
            "evaluator": {"name": "plain"}, "mapping": mapping})
    };
    let good = json!([{"variable": "input", "source": "input"}, {"variable": "output", "source": "output"}]);
    let cases = [
        (
            rule(json!([{"variable": "input", "source": "input"}]), 1.0),
            "missing_variable_mapping",
        ),
        (
            rule(
                json!([{"variable": "input", "source": "input", "jsonPath": "$..[["},
                    {"variable": "output", "source": "output"}]),
                1.0,
            ),
            "invalid_json_path",
        ),
        (
            rule(
                json!([{"variable": "input", "source": "expected_output"},
                    {"variable": "output", "source": "output"}]),
                1.0,
            ),
            "invalid_variable_mapping",
        ),
        (rule(good.clone(), 1.5), "invalid_body"),
        (rule(good.clone(), 0.0), "invalid_body"),
    ];
    for (body, code) in cases {
        let response = judge
            .call(Method::POST, "/unstable/evaluation-rules", Some(body))
            .await;
        refused(&response, StatusCode::BAD_REQUEST, code);
    }
    let mut bad_filter = rule(good.clone(), 1.0);
    bad_filter["filter"] =
        json!([{"type": "string", "column": "nope", "operator": "=", "value": "x"}]);
    let response = judge
        .call(Method::POST, "/unstable/evaluation-rules", Some(bad_filter))
        .await;
    refused(&response, StatusCode::BAD_REQUEST, "invalid_filter_value");
    let unknown = judge
        .call(
            Method::POST,
            "/unstable/evaluation-rules",
            Some(
                json!({"name": "r", "target": "observation", "enabled": true,
                "evaluator": {"name": "missing"}, "mapping": good}),
            ),
        )
        .await;
    refused(&unknown, StatusCode::NOT_FOUND, "resource_not_found");
    let listed = judge
        .call(Method::GET, "/unstable/evaluation-rules", None)
        .await;
    assert_eq!(listed.body["meta"]["totalItems"], 0, "nothing was saved");

    // A model that cannot run: no connection of that name.
    let preflight = judge
        .call(
            Method::POST,
            "/unstable/evaluators",
            Some(json!({"name": "y", "prompt": "{{input}}", "modelConfig": {"provider": "nobody", "model": "m"},
                "outputDefinition": {"dataType": "BOOLEAN", "reasoning": {"description": "why"}, "score": {"description": "ok"}}})),
        )
        .await;
    refused(
        &preflight,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evaluator_preflight_failed",
    );
}

async fn evaluators_keep_versions_and_rules_update_and_delete(db: TestDb) {
    let judge = judge(db).await;
    let first = judge.evaluator("conciseness").await;
    let second = judge.evaluator("conciseness").await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["version"], 1);
    assert_eq!(second["version"], 2);
    assert_eq!(second["variables"], json!(["output", "input"]));
    assert_eq!(second["modelConfig"], Value::Null);
    assert_eq!(second["outputDefinition"]["dataType"], "NUMERIC");
    assert!(second["outputDefinition"].get("version").is_none());
    let rule = judge
        .rule(json!({"name": "obs", "target": "observation", "enabled": true,
            "evaluators": [{"evaluator": {"name": "conciseness"}}],
            "filter": [{"type": "stringOptions", "column": "type", "operator": "any of", "value": ["GENERATION"]}]}))
        .await;
    assert_eq!(rule["evaluator"]["name"], "conciseness");
    assert_eq!(rule["sampling"], 1.0);
    assert_eq!(rule["mapping"][0]["variable"], "input");
    let id = rule["id"].as_str().unwrap();
    let listed = judge.call(Method::GET, "/unstable/evaluators", None).await;
    assert_eq!(listed.body["data"][0]["evaluationRuleCount"], 1);
    let duplicate = judge
        .call(
            Method::POST,
            "/unstable/evaluation-rules",
            Some(
                json!({"name": "obs", "target": "observation", "enabled": false,
                "evaluators": [{"evaluator": {"name": "conciseness"}}]}),
            ),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{}", duplicate.body);
    let patched = judge
        .call(
            Method::PATCH,
            &format!("/unstable/evaluation-rules/{id}"),
            Some(json!({"enabled": false, "sampling": 0.25})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["status"], "inactive");
    assert_eq!(patched.body["sampling"], 0.25);
    assert_eq!(patched.body["filter"][0]["column"], "type");
    let deleted = judge
        .call(
            Method::DELETE,
            &format!("/unstable/evaluation-rules/{id}"),
            None,
        )
        .await;
    assert_eq!(
        deleted.body["message"],
        "Evaluation rule successfully deleted"
    );
    let gone = judge
        .call(
            Method::GET,
            &format!("/unstable/evaluation-rules/{id}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let evaluator = first["id"].as_str().unwrap();
    let deleted = judge
        .call(
            Method::DELETE,
            &format!("/unstable/evaluators/{evaluator}"),
            None,
        )
        .await;
    assert_eq!(deleted.body["message"], "Evaluator successfully deleted");
    // Another project sees none of it.
    let other = judge.app.tenant("Other", "p").await;
    let theirs = call(
        &judge.app,
        &other,
        Method::GET,
        "/unstable/evaluators",
        None,
    )
    .await;
    assert_eq!(theirs.body["meta"]["totalItems"], 0);
}

async fn an_observation_rule_scores_matching_observations(db: TestDb) {
    let judge = judge(db).await;
    judge.evaluator("gen-quality").await;
    judge
        .rule(json!({"name": "generations", "target": "observation", "enabled": true,
            "evaluators": [{"evaluator": {"name": "gen-quality"}}],
            "filter": [{"type": "stringOptions", "column": "type", "operator": "any of", "value": ["GENERATION"]}]}))
        .await;
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2026-12-07T10:00:00Z", "body": {"id": "t-obs"}},
        {"id": "e2", "type": "generation-create", "timestamp": "2026-12-07T10:00:00Z",
            "body": {"id": "g-1", "traceId": "t-obs", "input": "hi", "output": "hello"}},
        {"id": "e3", "type": "span-create", "timestamp": "2026-12-07T10:00:00Z",
            "body": {"id": "s-1", "traceId": "t-obs", "input": "a", "output": "b"}},
    ]});
    let response = judge
        .app
        .post_json("/api/public/ingestion", &judge.tenant.basic(), &batch)
        .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    let scores = judge.wait_for_scores(1).await;
    assert_eq!(scores.len(), 1, "{scores:?}");
    assert_eq!(scores[0]["observationId"], "g-1");
    assert_eq!(scores[0]["traceId"], "t-obs");
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "a_trace_rule_scores_each_new_trace_once",
            a_trace_rule_scores_each_new_trace_once,
        ),
        backend_test(
            "sampling_selects_the_same_traces_and_backfills_add_nothing_twice",
            sampling_selects_the_same_traces_and_backfills_add_nothing_twice,
        ),
        backend_test(
            "a_rate_limit_then_success_writes_one_score",
            a_rate_limit_then_success_writes_one_score,
        ),
        backend_test(
            "an_auth_error_pauses_the_evaluator_until_reactivated",
            an_auth_error_pauses_the_evaluator_until_reactivated,
        ),
        backend_test(
            "an_experiment_rule_scores_run_items_with_expected_output",
            an_experiment_rule_scores_run_items_with_expected_output,
        ),
        backend_test(
            "an_experiment_rule_scores_sdk_experiment_items",
            an_experiment_rule_scores_sdk_experiment_items,
        ),
        backend_test(
            "bad_definitions_are_refused_and_nothing_runs_half_configured",
            bad_definitions_are_refused_and_nothing_runs_half_configured,
        ),
        backend_test(
            "evaluators_keep_versions_and_rules_update_and_delete",
            evaluators_keep_versions_and_rules_update_and_delete,
        ),
        backend_test(
            "an_observation_rule_scores_matching_observations",
            an_observation_rule_scores_matching_observations,
        ),
    ]
}
