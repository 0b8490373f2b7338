//! What a run does while the server is up, per scenario: send an ingestion workload and read it
//! back; seed a data set and time read queries; create prompts and time their fetches.

use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::json;

use crate::cli::Cli;
use crate::dashboard;
use crate::datadir::{DataDir, Seeded};
use crate::http::Client;
use crate::load::percentile;
use crate::probe::{self, Query, QueryResult};
use crate::proc::{self, RssSampler};
use crate::prompts;
use crate::reads::{self, Counts};
use crate::report::{QueryPhase, ScenarioResult};
use crate::server::Server;
use crate::verify;
use crate::workload::Workload;
use crate::writer::{self, Group, WriterStats};

/// Longest wait for the writer's last log lines after a scenario (servers that do not log them
/// cost this much per scenario).
const LOG_WAIT: Duration = Duration::from_secs(1);

/// The running server and the connections to it.
pub struct Bench<'a> {
    pub cli: &'a Cli,
    pub server: &'a Server,
    pub sampler: &'a RssSampler,
    pub clients: &'a [Client],
    pub seed: u64,
}

/// What the phases found, for the report.
#[derive(Default)]
pub struct Outcome {
    pub scenarios: Vec<ScenarioResult>,
    pub queries: Vec<QueryResult>,
    pub query_phase: Option<QueryPhase>,
    /// Facts the report states as they are (data set reused, how latency was measured, …).
    pub notes: Vec<String>,
    /// Setup steps that went wrong (seeding, creating prompts).
    pub failures: Vec<String>,
}

/// Sends `workload` over every connection; with `verify`, reads back a sample of its traces.
pub fn ingest(
    bench: &Bench,
    workload: &Workload,
    seed: u64,
    verify: bool,
    target_throughput: Option<f64>,
) -> ScenarioResult {
    eprintln!("running {} …", workload.name);
    let pid = bench.server.pid.to_string();
    let log_from = bench.server.stderr_len();
    let (server_cpu, client_cpu) = (proc::cpu_seconds(&pid), proc::cpu_seconds("self"));
    let load = crate::load::run(workload, bench.clients);
    let server_cpu = proc::cpu_seconds(&pid)
        .zip(server_cpu)
        .map(|(after, before)| after - before);
    let client_cpu = proc::cpu_seconds("self")
        .zip(client_cpu)
        .map(|(after, before)| after - before);
    let read = verify.then(|| {
        // The last trace of the request acknowledged last is always read back.
        let last = load
            .last_acknowledged
            .and_then(|index| workload.requests[index].trace_ids.last())
            .map(String::as_str);
        // Only what was acknowledged must read back.
        let all: Vec<&str> = workload
            .requests
            .iter()
            .zip(&load.acknowledged)
            .filter(|(_, acknowledged)| **acknowledged)
            .flat_map(|(request, _)| request.trace_ids.iter().map(String::as_str))
            .collect();
        let sample = verify::sample(&all, last, bench.cli.sample, seed);
        verify::check(bench.clients, sample, load.finished)
    });
    let peak_rss_kib = bench.sampler.peak_kib(load.started, Instant::now());
    let acknowledged = load.acknowledged.iter().filter(|a| **a).count() as u64;
    let groups = logged_groups(bench.server, log_from, acknowledged);
    let writer = WriterStats::of(&groups, workload.unit, load.wall());
    let scenario = ScenarioResult {
        name: workload.name,
        unit: workload.unit,
        items: workload.items(),
        traces: workload.traces(),
        requests: workload.requests.len(),
        raw_bytes: workload.raw_bytes(),
        wire_bytes: workload.wire_bytes(),
        gzip: workload.gzip,
        concurrency: bench.clients.len(),
        load,
        read,
        target_throughput,
        peak_rss_kib,
        server_cpu_s: server_cpu,
        client_cpu_s: client_cpu,
        writer,
    };
    eprintln!(
        "{}: {:.0} {}/s",
        workload.name,
        scenario.throughput(),
        workload.unit
    );
    scenario
}

/// The writer's group-commit lines logged since `from`, once they hold `requests` requests or
/// after [`LOG_WAIT`]: the server logs a group before it answers its requests, but its stderr
/// reaches the bench through a pipe and a reader thread.
fn logged_groups(server: &Server, from: usize, requests: u64) -> Vec<Group> {
    let deadline = Instant::now() + LOG_WAIT;
    loop {
        let groups = writer::groups(&server.stderr_since(from));
        let logged: u64 = groups.iter().map(|g| g.requests).sum();
        if logged >= requests || Instant::now() >= deadline {
            return groups;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Seeds the data set unless `data` holds one, then times the read queries.
pub fn reads(bench: &Bench, data: &mut DataDir, out: &mut Outcome) -> Result<()> {
    let Some(seeded) = seeded(bench, data, out, "reads", |cli, public_key, seed| {
        let plan = reads::seed_plan(cli.traces(), cli.events_per_request, public_key, seed);
        (vec![plan.traces, plan.large], plan.seeded)
    })?
    else {
        return Ok(());
    };
    let counts = Counts {
        requests: bench.cli.requests,
        large_trace_requests: bench.cli.large_trace_requests,
    };
    let queries = reads::queries(&seeded, &counts, bench.seed);
    measure(bench, &queries, out);
    Ok(())
}

/// Seeds the dashboard's data set unless `data` holds one, then times the dashboard's queries.
pub fn dashboard(bench: &Bench, data: &mut DataDir, out: &mut Outcome) -> Result<()> {
    let Some(seeded) = seeded(bench, data, out, "dashboard", |cli, public_key, seed| {
        let now = chrono::Utc::now();
        // Traces to a request: the same number of events as `--events-per-request` batches.
        let per_request = (cli.events_per_request / 6).max(1);
        let workload = dashboard::seed_workload(cli.traces(), per_request, public_key, seed, now);
        let seeded = Seeded {
            scenario: "dashboard".into(),
            traces: cli.traces(),
            seed,
            small_trace: String::new(),
            large_trace: String::new(),
            seeded_at: now.to_rfc3339(),
            seeding: json!(null),
        };
        (vec![workload], seeded)
    })?
    else {
        return Ok(());
    };
    let seeded_at = chrono::DateTime::parse_from_rfc3339(&seeded.seeded_at)
        .map_err(|e| anyhow::anyhow!("seeded_at {}: {e}", seeded.seeded_at))?
        .with_timezone(&chrono::Utc);
    out.notes.push(format!(
        "{} traces of {} observations over the {} days before {}; the dashboard's range is the \
         last {} of them",
        seeded.traces,
        dashboard::OBSERVATIONS_PER_TRACE,
        dashboard::DAYS,
        seeded.seeded_at,
        dashboard::RANGE_DAYS
    ));
    let queries = dashboard::queries(seeded_at, bench.cli.requests);
    measure(bench, &queries, out);
    Ok(())
}

/// The data set of `scenario` in `data`, seeded first with `plan`'s workloads unless an
/// earlier run seeded it; `None` when seeding failed.
fn seeded(
    bench: &Bench,
    data: &mut DataDir,
    out: &mut Outcome,
    scenario: &str,
    plan: impl FnOnce(&Cli, &str, u64) -> (Vec<Workload>, Seeded),
) -> Result<Option<Seeded>> {
    if let Some(seeded) = data.seeded.clone() {
        if seeded.scenario != scenario {
            bail!(
                "{} holds the {} scenario's data set, not the {scenario} one's",
                data.path().display(),
                seeded.scenario
            );
        }
        out.notes.push(format!(
            "not seeded: reused {} ({} traces seeded at {}; that seeding's figures are under \
             \"reused_seeding\" in the JSON line)",
            data.path().display(),
            seeded.traces,
            seeded.seeded_at
        ));
        return Ok(Some(seeded));
    }
    let cli = bench.cli;
    let generated = Instant::now();
    let (workloads, mut seeded) = plan(cli, &data.keys.public, bench.seed);
    eprintln!(
        "generated the seed: {} events in {} requests, {:.0} MB, in {:.1} s",
        workloads.iter().map(Workload::items).sum::<usize>(),
        workloads.iter().map(|w| w.requests.len()).sum::<usize>(),
        workloads.iter().map(Workload::raw_bytes).sum::<usize>() as f64 / 1_048_576.0,
        generated.elapsed().as_secs_f64()
    );
    let mut results: Vec<ScenarioResult> = workloads
        .iter()
        .map(|workload| ingest(bench, workload, bench.seed, false, None))
        .collect();
    results[0].traces = cli.traces();
    let passed = results.iter().all(ScenarioResult::passed);
    let first = &results[0];
    let mut seeding = json!({
        "traces": first.traces,
        "events": first.items,
        "wall_s": first.load.wall().as_secs_f64(),
        "traces_per_s": first.traces as f64 / first.load.wall().as_secs_f64().max(1e-9),
        "events_per_s": first.throughput(),
    });
    if let Some(large) = results.get(1) {
        seeding["large_traces_events"] = json!(large.items);
        seeding["large_traces_wall_s"] = json!(large.load.wall().as_secs_f64());
    }
    seeded.seeding = seeding;
    out.scenarios.extend(results);
    if !passed {
        out.failures
            .push("seeding failed, so no query was measured".to_owned());
        return Ok(None);
    }
    data.remember(seeded.clone())?;
    if data.kept() {
        out.notes.push(format!(
            "seeded into {}; pass the same --data-dir to measure again without seeding",
            data.path().display()
        ));
    }
    Ok(Some(seeded))
}

/// Creates the prompts, then times fetching them by label.
pub fn prompts(bench: &Bench, out: &mut Outcome) -> Result<()> {
    let run = format!("{:08x}", bench.seed as u32);
    let specs = prompts::specs(&run, prompts::PROMPTS);
    let client = &bench.clients[0];
    let headers = [("content-type", "application/json".to_owned())];
    let started = Instant::now();
    let mut posted = 0;
    for spec in &specs {
        for (index, body) in spec.versions.iter().enumerate() {
            let reply = client.post(
                "/api/public/v2/prompts",
                &headers,
                &serde_json::to_vec(body)?,
            )?;
            let text: String = String::from_utf8_lossy(&reply.body)
                .chars()
                .take(300)
                .collect();
            match reply.status {
                200 | 201 => {
                    let prompt: serde_json::Value =
                        serde_json::from_slice(&reply.body).unwrap_or_default();
                    if prompt["version"] != index + 1 {
                        out.failures.push(format!(
                            "POST prompt {} answered version {}, expected {}",
                            spec.name,
                            prompt["version"],
                            index + 1
                        ));
                    }
                }
                404 | 405 if posted == 0 => bail!(
                    "POST /api/public/v2/prompts answered {}: this server has no prompt \
                     endpoints yet ({text})",
                    reply.status
                ),
                status => out.failures.push(format!(
                    "POST prompt {} version {}: status {status}: {text}",
                    spec.name,
                    index + 1
                )),
            }
            posted += 1;
        }
    }
    out.notes.push(format!(
        "created {} prompts ({posted} versions; text and chat; labels production and staging) \
         in {:.2} s",
        specs.len(),
        started.elapsed().as_secs_f64()
    ));
    out.notes.push(
        "prompt latency is measured by the client on loopback, from sending the request to the \
         last byte of the reply: an upper bound of the server's own time"
            .to_owned(),
    );
    if !out.failures.is_empty() {
        out.failures
            .push("creating prompts failed, so no fetch was measured".to_owned());
        return Ok(());
    }
    let query = prompts::query(&specs, bench.cli.prompt_requests, bench.seed);
    measure(bench, &[query], out);
    Ok(())
}

/// Times `queries` one after the other on the first connection.
fn measure(bench: &Bench, queries: &[Query], out: &mut Outcome) {
    let pid = bench.server.pid.to_string();
    let cpu_before = proc::cpu_seconds(&pid);
    let load_before = proc::load_average();
    let started = Instant::now();
    for query in queries {
        eprintln!("measuring {} …", query.name);
        let result = probe::measure(&bench.clients[0], query, bench.cli.warmup);
        let sorted = result.sorted();
        eprintln!(
            "{}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} failed",
            result.name,
            percentile(&sorted, 50.0),
            percentile(&sorted, 95.0),
            percentile(&sorted, 99.0),
            result.failures.len()
        );
        out.queries.push(result);
    }
    out.query_phase = Some(QueryPhase {
        wall_s: started.elapsed().as_secs_f64(),
        warmup: bench.cli.warmup,
        peak_rss_kib: bench.sampler.peak_kib(started, Instant::now()),
        end_rss_kib: proc::status_kib(bench.server.pid, "VmRSS"),
        server_cpu_s: proc::cpu_seconds(&pid)
            .zip(cpu_before)
            .map(|(after, before)| after - before),
        load_average: (load_before, proc::load_average()),
    });
}
