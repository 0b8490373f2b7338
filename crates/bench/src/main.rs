//! `sightline-bench`: starts a built `sightline` on a fresh database, sends it ingestion traffic
//! shaped like the Langfuse SDKs' (OTLP exports, batch-API events), checks that everything
//! acknowledged reads back at once, and reports throughput, latency and memory. Exits 1 when a
//! correctness check fails, 2 when the run could not be set up.

mod batch;
mod cli;
mod http;
mod load;
mod otlp;
mod postgres;
mod proc;
mod report;
mod server;
mod text;
mod verify;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Database, Scenario};
use http::Client;
use postgres::PgDatabase;
use report::{Run, ScenarioResult};
use server::{Keys, Server, Settings, TempDir};
use workload::Workload;

/// How long the freshly started server is left alone before its idle memory is read.
const SETTLE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(run) => {
            run.print();
            if run.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("sightline-bench: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<Run> {
    let server_bin = server_bin(cli)?;
    if cli.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let keys = Keys {
        public: format!("pk-lf-bench-{:016x}", seed),
        secret: format!("sk-lf-bench-{:016x}", seed.rotate_left(17)),
    };
    let workloads = generate(cli, &keys.public, seed);

    let dir = TempDir::new()?;
    let pg = match cli.database {
        Database::Postgres => Some(PgDatabase::create(&cli.postgres_url)?),
        Database::Sqlite => None,
    };
    let result = measure(cli, &server_bin, &dir, pg.as_ref(), &keys, &workloads, seed);
    if let Some(pg) = &pg
        && let Err(error) = pg.drop_database()
    {
        eprintln!("sightline-bench: {error:#}");
    }
    result
}

/// The server binary: `--server-bin`, else `sightline` next to this executable.
fn server_bin(cli: &Cli) -> Result<PathBuf> {
    let bin = match &cli.server_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()
            .context("cannot locate this executable")?
            .with_file_name("sightline"),
    };
    if !bin.is_file() {
        bail!(
            "no server binary at {} (build it with `cargo build --release -p sightline`, or pass --server-bin)",
            bin.display()
        );
    }
    Ok(bin)
}

fn generate(cli: &Cli, public_key: &str, seed: u64) -> Vec<Workload> {
    let mut workloads = Vec::new();
    let started = Instant::now();
    if matches!(cli.scenario, Scenario::Otlp | Scenario::All) {
        workloads.push(otlp::workload(&otlp::OtlpShape {
            traces: cli.traces,
            traces_per_request: cli.traces_per_request,
            payload_bytes: cli.payload_bytes,
            gzip: !cli.no_gzip,
            public_key: public_key.to_owned(),
            seed,
        }));
    }
    if matches!(cli.scenario, Scenario::Batch | Scenario::All) {
        workloads.push(batch::workload(&batch::BatchShape {
            events: cli.events,
            events_per_request: cli.events_per_request,
            payload_bytes: cli.payload_bytes,
            public_key: public_key.to_owned(),
            seed: seed.rotate_left(31),
        }));
    }
    for workload in &workloads {
        eprintln!(
            "generated {}: {} {} in {} requests",
            workload.name,
            workload.items(),
            workload.unit,
            workload.requests.len()
        );
    }
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    workloads
}

fn measure(
    cli: &Cli,
    server_bin: &std::path::Path,
    dir: &TempDir,
    pg: Option<&PgDatabase>,
    keys: &Keys,
    workloads: &[Workload],
    seed: u64,
) -> Result<Run> {
    let database_url = pg.map_or_else(|| "sqlite://sightline.db".to_owned(), |pg| pg.url.clone());
    let server = Server::start(&Settings {
        bin: server_bin,
        dir: dir.path(),
        database_url,
        sqlite_synchronous: cli.sqlite_synchronous.name(),
        log_level: &cli.log_level,
        keys,
    })?;
    eprintln!("server {} listening on {}", server.pid, server.base);
    let sampler = proc::RssSampler::start(server.pid);
    thread::sleep(SETTLE);
    let idle_rss_kib = proc::status_kib(server.pid, "VmRSS");
    let load_started = Instant::now();
    let clients: Vec<Client> = (0..cli.concurrency)
        .map(|_| Client::new(&server.base, &keys.public, &keys.secret))
        .collect();

    let mut scenarios = Vec::new();
    for (index, workload) in workloads.iter().enumerate() {
        eprintln!("running {} …", workload.name);
        let scenario = run_scenario(
            cli,
            &server,
            &sampler,
            &clients,
            workload,
            seed ^ index as u64,
        );
        eprintln!(
            "{}: {:.0} {}/s",
            workload.name,
            scenario.throughput(),
            workload.unit
        );
        scenarios.push(scenario);
    }

    let peak_rss_kib = sampler.peak_kib(load_started, Instant::now());
    let vm_hwm_kib = proc::status_kib(server.pid, "VmHWM");
    drop(sampler);
    let database_bytes = pg.is_none().then(|| dir.size_bytes());
    let grpc_off = server.grpc_off;
    let server_log = server.stop();
    if let Some(path) = &cli.server_log {
        std::fs::write(path, &server_log)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let durability = match pg {
        Some(pg) => format!("PostgreSQL synchronous_commit={}", pg.synchronous_commit),
        None => format!("SQLITE_SYNCHRONOUS={}", cli.sqlite_synchronous.name()),
    };
    Ok(Run {
        backend: cli.database.name(),
        durability,
        cores: thread::available_parallelism().map_or(1, |n| n.get()),
        server_bin: server_bin.display().to_string(),
        grpc_off,
        idle_rss_kib,
        peak_rss_kib,
        vm_hwm_kib,
        database_bytes,
        server_log,
        scenarios,
    })
}

fn run_scenario(
    cli: &Cli,
    server: &Server,
    sampler: &proc::RssSampler,
    clients: &[Client],
    workload: &Workload,
    seed: u64,
) -> ScenarioResult {
    let pid = server.pid.to_string();
    let (server_cpu, client_cpu) = (proc::cpu_seconds(&pid), proc::cpu_seconds("self"));
    let load = load::run(workload, clients);
    let server_cpu = proc::cpu_seconds(&pid)
        .zip(server_cpu)
        .map(|(after, before)| after - before);
    let client_cpu = proc::cpu_seconds("self")
        .zip(client_cpu)
        .map(|(after, before)| after - before);

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
    let sample = verify::sample(&all, last, cli.sample, seed);
    let read = verify::check(clients, sample, load.finished);
    let peak_rss_kib = sampler.peak_kib(load.started, Instant::now());
    ScenarioResult {
        name: workload.name,
        unit: workload.unit,
        items: workload.items(),
        traces: workload.traces(),
        requests: workload.requests.len(),
        raw_bytes: workload.raw_bytes(),
        wire_bytes: workload.wire_bytes(),
        gzip: workload.gzip,
        concurrency: clients.len(),
        load,
        read,
        peak_rss_kib,
        server_cpu_s: server_cpu,
        client_cpu_s: client_cpu,
    }
}
