//! Evaluation jobs of the built binary against a local fake provider: `kill -9` with jobs in
//! flight loses none and duplicates none after a restart (SQLite and PostgreSQL), and two
//! replicas on one PostgreSQL database run each job once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sightline_llm::Adapter;
use sightline_llm::fake::FakeProvider;

use crate::harness::{Server, WorkDir};

const KEYS: (&str, &str) = ("pk-lf-evals", "sk-lf-evals");
const PROVIDER_KEY: &str = "sk-judge-e2e";

fn env(db: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.to_owned()),
        ("ENCRYPTION_KEY", "ab".repeat(32)),
        (
            "LANGFUSE_LLM_CONNECTION_WHITELISTED_IPS",
            "127.0.0.1".into(),
        ),
        ("SIGHTLINE_WORKERS", "4".into()),
        ("SIGHTLINE_JOB_LEASE_SECONDS", "3".into()),
        ("LANGFUSE_INIT_ORG_ID", "org".into()),
        ("LANGFUSE_INIT_PROJECT_ID", "project".into()),
        ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", KEYS.0.into()),
        ("LANGFUSE_INIT_PROJECT_SECRET_KEY", KEYS.1.into()),
    ]
}

/// A fake provider on its own runtime, answering after `latency`.
fn fake(latency: Duration) -> (tokio::runtime::Runtime, FakeProvider) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeProvider::start(PROVIDER_KEY));
    fake.set_latency(latency);
    (runtime, fake)
}

/// A connection to the fake, an evaluator on it, and a rule on every new trace.
fn configure(server: &Server, fake: &FakeProvider) {
    let (status, body) = server.send_json(
        "PUT",
        "/api/public/llm-connections",
        KEYS,
        &json!({"provider": "judge", "adapter": "openai", "secretKey": PROVIDER_KEY,
            "baseURL": fake.base_url(Adapter::OpenAi)}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post_json(
        "/api/public/unstable/evaluators",
        KEYS,
        &json!({"name": "judge", "prompt": "Rate {{output}}",
            "modelConfig": {"provider": "judge", "model": "fake-model"},
            "mapping": [{"variable": "output", "source": "output"}],
            "outputDefinition": {"dataType": "NUMERIC", "reasoning": {"description": "why"},
                "score": {"description": "0..1"}}}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.post_json(
        "/api/public/unstable/evaluation-rules",
        KEYS,
        &json!({"name": "all traces", "target": "trace", "enabled": true, "delay": 0,
            "evaluator": {"name": "judge"}}),
    );
    assert_eq!(status, 200, "{body}");
}

fn ingest(server: &Server, prefix: &str, n: usize) -> BTreeSet<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
    let batch: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": format!("e-{id}"), "type": "trace-create", "timestamp": "2026-12-07T10:00:00Z",
            "body": {"id": id, "output": format!("answer {id}")}}))
        .collect();
    let (status, body) = server.post_json("/api/public/ingestion", KEYS, &json!({"batch": batch}));
    assert_eq!(status, 207, "{body}");
    ids.into_iter().collect()
}

/// The traces with EVAL scores and the number of scores, once `expected` are scored (or time
/// runs out), after a moment more to catch late duplicates.
fn scored(server: &Server, expected: usize) -> (BTreeSet<String>, usize) {
    let read = || {
        let (status, body) = server.get("/api/public/v2/scores?source=EVAL&limit=100", Some(KEYS));
        assert_eq!(status, 200, "{body}");
        let data = body["data"].as_array().unwrap().clone();
        let traces = data
            .iter()
            .map(|s| s["traceId"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>();
        (traces, data.len())
    };
    let started = Instant::now();
    while read().1 < expected && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    read()
}

fn survives_kill_9(db_url: &str) {
    let (_runtime, fake) = fake(Duration::from_millis(400));
    let dir = WorkDir::new();
    let owned = env(db_url);
    let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(dir.path(), &env);
    configure(&server, &fake);
    let traces = ingest(&server, "killed", 20);
    let started = Instant::now();
    while fake.requests().is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!fake.requests().is_empty(), "jobs were running");
    server.kill9();

    let server = Server::start(dir.path(), &env);
    let (scored_traces, scores) = scored(&server, traces.len());
    assert_eq!(
        scored_traces, traces,
        "every trace scored after the restart"
    );
    assert_eq!(scores, traces.len(), "no trace scored twice");
}

#[test]
fn evaluation_jobs_survive_kill_9_on_sqlite() {
    let dir = WorkDir::new();
    survives_kill_9(&format!("sqlite://{}/evals.db", dir.path().display()));
}

#[test]
fn evaluation_jobs_survive_kill_9_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(database) = runtime.block_on(sightline_store::testing::empty_postgres()) else {
        return;
    };
    survives_kill_9(&database.url);
}

#[test]
fn two_replicas_run_each_evaluation_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(database) = runtime.block_on(sightline_store::testing::empty_postgres()) else {
        return;
    };
    let (_fake_runtime, fake) = fake(Duration::from_millis(50));
    let dir = WorkDir::new();
    let owned = env(&database.url);
    let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Server::start(dir.path(), &env);
    let b = Server::start(dir.path(), &env);
    configure(&a, &fake);
    let mut traces = ingest(&a, "a", 20);
    traces.extend(ingest(&b, "b", 20));
    let (scored_traces, scores) = scored(&b, traces.len());
    assert_eq!(scored_traces, traces);
    assert_eq!(scores, traces.len());
    assert_eq!(
        fake.requests().len(),
        traces.len(),
        "each evaluation called the judge once"
    );
    drop((a, b));
    drop(database);
}
