//! The evals scenario: OTLP ingestion with an evaluation rule active on every trace (after the
//! same workload ran without one), and how fast the evaluations then complete against a local
//! fake provider that answers after `--judge-latency-ms`, with `--eval-workers` jobs at once.
//! The traces the rule's deterministic sample selects are known in advance, so the scenario
//! waits for exactly their scores.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sightline_domain::eval::is_sampled;
use sightline_llm::Adapter;
use sightline_llm::fake::FakeProvider;

use crate::phases::{Bench, Outcome, ingest};
use crate::report;
use crate::workload::Workload;

/// The key the fake provider accepts.
const JUDGE_KEY: &str = "sk-bench-judge";
/// Longest wait for the evaluations to finish.
const EVAL_TIMEOUT: Duration = Duration::from_secs(1800);

/// The server settings this scenario needs: a key to encrypt the connection with, the fake's
/// loopback address allowed, and the workers.
pub fn server_env(workers: usize) -> Vec<(&'static str, String)> {
    vec![
        ("ENCRYPTION_KEY", "5".repeat(64)),
        (
            "LANGFUSE_LLM_CONNECTION_WHITELISTED_IPS",
            "127.0.0.1".into(),
        ),
        ("SIGHTLINE_WORKERS", workers.to_string()),
    ]
}

fn ok(reply: crate::http::Reply, what: &str) -> Result<Value> {
    if !(200..300).contains(&reply.status) {
        bail!(
            "{what}: HTTP {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    serde_json::from_slice(&reply.body).with_context(|| format!("{what}: not JSON"))
}

fn post(bench: &Bench, path: &str, body: Value, what: &str) -> Result<Value> {
    let headers = [("content-type", "application/json".to_owned())];
    ok(
        bench.clients[0].post(path, &headers, body.to_string().as_bytes())?,
        what,
    )
}

fn eval_scores(bench: &Bench) -> Result<u64> {
    let body = ok(
        bench.clients[0].get("/api/public/v2/scores?source=EVAL&limit=1")?,
        "count EVAL scores",
    )?;
    Ok(body["meta"]["totalItems"].as_u64().unwrap_or(0))
}

/// Runs `with_rule` (a second OTLP workload) with a rule active, then waits for its
/// evaluations and reports their rate.
pub fn run(bench: &Bench, with_rule: &Workload, seed: u64, out: &mut Outcome) -> Result<()> {
    let cli = bench.cli;
    let runtime = tokio::runtime::Runtime::new().context("a runtime for the fake provider")?;
    let fake = runtime.block_on(FakeProvider::start(JUDGE_KEY));
    fake.set_latency(Duration::from_millis(cli.judge_latency_ms));
    let connection = json!({"provider": "judge", "adapter": "openai", "secretKey": JUDGE_KEY,
        "baseURL": fake.base_url(Adapter::OpenAi)});
    ok(
        bench.clients[0].put_json(
            "/api/public/llm-connections",
            connection.to_string().as_bytes(),
        )?,
        "create the LLM connection",
    )?;
    post(
        bench,
        "/api/public/unstable/evaluators",
        json!({"name": "bench-judge", "prompt": "Is {{output}} a good answer to {{input}}?",
            "modelConfig": {"provider": "judge", "model": "fake-model"},
            "mapping": [{"variable": "input", "source": "input"}, {"variable": "output", "source": "output"}],
            "outputDefinition": {"dataType": "NUMERIC", "reasoning": {"description": "why"},
                "score": {"description": "0..1"}}}),
        "create the evaluator",
    )?;
    post(
        bench,
        "/api/public/unstable/evaluation-rules",
        json!({"name": "every trace", "target": "trace", "enabled": true, "delay": 0,
            "sampling": cli.eval_sampling, "evaluator": {"name": "bench-judge"}}),
        "create the rule",
    )?;
    let expected = with_rule
        .requests
        .iter()
        .flat_map(|r| r.trace_ids.iter())
        .filter(|id| is_sampled(id, cli.eval_sampling))
        .count() as u64;

    let target = report::target_throughput(with_rule.name, false);
    let mut scenario = ingest(bench, with_rule, seed, true, target);
    scenario.name = "otlp with an active rule";
    let ingest_end = Instant::now();
    out.scenarios.push(scenario);

    let mut first: Option<(Instant, u64)> = None;
    let mut done = 0;
    while done < expected && ingest_end.elapsed() < EVAL_TIMEOUT {
        std::thread::sleep(Duration::from_millis(250));
        done = eval_scores(bench)?;
        if first.is_none() && done > 0 {
            first = Some((Instant::now(), done));
        }
    }
    let total = ingest_end.elapsed();
    let calls = fake.requests().len() as u64;
    out.notes.push(format!(
        "evals: {expected} of {} traces sampled at {}; {done} EVAL scores {:.1} s after the ingestion ended; \
         {:.1} evaluations/s overall with {} workers against a judge answering in {} ms \
         (ideal {:.1}/s); {calls} judge calls",
        with_rule.traces(),
        cli.eval_sampling,
        total.as_secs_f64(),
        done as f64 / total.as_secs_f64().max(1e-9),
        cli.eval_workers,
        cli.judge_latency_ms,
        cli.eval_workers as f64 * 1000.0 / cli.judge_latency_ms.max(1) as f64,
    ));
    if let Some((at, count)) = first {
        let steady = at.elapsed().as_secs_f64();
        if done > count && steady > 0.0 {
            out.notes.push(format!(
                "evals: {:.1} evaluations/s from the first score to the last",
                (done - count) as f64 / steady
            ));
        }
    }
    if done != expected {
        out.failures.push(format!(
            "evals: {done} EVAL scores, expected {expected} (one per sampled trace)"
        ));
    }
    if calls != expected {
        out.failures.push(format!(
            "evals: {calls} judge calls for {expected} evaluations"
        ));
    }
    Ok(())
}
