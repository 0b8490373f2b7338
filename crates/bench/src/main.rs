//! `sightline-bench`: starts a built `sightline` on a fresh database (or one seeded before),
//! sends it ingestion traffic shaped like the Langfuse SDKs' (OTLP exports, batch-API events) and
//! checks that everything acknowledged reads back at once, or times its read API on a seeded data
//! set, or its prompt fetches; reports throughput, latency and memory. `matrix` repeats the
//! ingestion scenarios over connection counts, request sizes and durability settings, each on a
//! fresh server. Exits 1 when a correctness check fails, 2 when the run could not be set up.

mod batch;
mod cli;
mod dashboard;
mod datadir;
mod evals;
mod http;
mod load;
mod matrix;
mod otlp;
mod phases;
mod postgres;
mod probe;
mod proc;
mod prompts;
mod reads;
mod report;
mod seed;
mod server;
mod text;
mod verify;
mod workload;
mod writer;

use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Database, Scenario};
use datadir::DataDir;
use http::Client;
use phases::{Bench, Outcome};
use report::Run;
use server::{Keys, Server, Settings};
use workload::Workload;

/// How long the freshly started server is left alone before its idle memory is read.
const SETTLE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.scenario == Scenario::Matrix {
        return matrix::run(&cli, run);
    }
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
    if cli.data_dir.is_some() && !matches!(cli.scenario, Scenario::Reads | Scenario::Dashboard) {
        bail!("--data-dir is for the reads and dashboard scenarios");
    }
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let keys = Keys {
        public: format!("pk-lf-bench-{:016x}", seed),
        secret: format!("sk-lf-bench-{:016x}", seed.rotate_left(17)),
    };
    let mut data = DataDir::open(
        cli.data_dir.as_deref(),
        cli.database,
        &cli.postgres_url,
        keys,
    )?;
    let workloads = generate(cli, &data.keys.public, seed);
    let result = measure(cli, &server_bin, &mut data, &workloads, seed);
    data.close();
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
    if matches!(
        cli.scenario,
        Scenario::Otlp | Scenario::All | Scenario::Evals
    ) {
        workloads.push(otlp::workload(&otlp::OtlpShape {
            traces: cli.traces(),
            traces_per_request: cli.traces_per_request,
            payload_bytes: cli.payload_bytes,
            gzip: !cli.no_gzip,
            public_key: public_key.to_owned(),
            seed,
        }));
    }
    if matches!(cli.scenario, Scenario::Batch | Scenario::All) {
        workloads.push(batch::workload(&batch::BatchShape {
            events: cli.events(),
            events_per_request: cli.events_per_request,
            payload_bytes: cli.payload_bytes,
            public_key: public_key.to_owned(),
            seed: seed.rotate_left(31),
        }));
    }
    if workloads.is_empty() {
        return workloads;
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
    data: &mut DataDir,
    workloads: &[Workload],
    seed: u64,
) -> Result<Run> {
    let server = Server::start(&Settings {
        bin: server_bin,
        dir: data.path(),
        database_url: data.database_url.clone(),
        sqlite_synchronous: cli.sqlite_synchronous.name(),
        log_level: &writer::log_level(&cli.log_level),
        keys: &data.keys,
        extra_env: if cli.scenario == Scenario::Evals {
            evals::server_env(cli.eval_workers)
        } else {
            Vec::new()
        },
    })?;
    eprintln!("server {} listening on {}", server.pid, server.base);
    let sampler = proc::RssSampler::start(server.pid);
    thread::sleep(SETTLE);
    let idle_rss_kib = proc::status_kib(server.pid, "VmRSS");
    let load_started = Instant::now();
    let clients: Vec<Client> = (0..cli.concurrency)
        .map(|_| Client::new(&server.base, &data.keys.public, &data.keys.secret))
        .collect();
    let bench = Bench {
        cli,
        server: &server,
        sampler: &sampler,
        clients: &clients,
        seed,
    };

    let mut outcome = Outcome::default();
    for (index, workload) in workloads.iter().enumerate() {
        let target = report::target_throughput(workload.name, cli.database == Database::Postgres);
        let scenario = phases::ingest(&bench, workload, seed ^ index as u64, true, target);
        outcome.scenarios.push(scenario);
    }
    match cli.scenario {
        Scenario::Reads => phases::reads(&bench, data, &mut outcome)?,
        Scenario::Prompts => phases::prompts(&bench, &mut outcome)?,
        Scenario::Dashboard => phases::dashboard(&bench, data, &mut outcome)?,
        Scenario::Evals => {
            let with_rule = otlp::workload(&otlp::OtlpShape {
                traces: cli.traces(),
                traces_per_request: cli.traces_per_request,
                payload_bytes: cli.payload_bytes,
                gzip: !cli.no_gzip,
                public_key: data.keys.public.clone(),
                seed: seed.rotate_left(7),
            });
            evals::run(&bench, &with_rule, seed.rotate_left(7), &mut outcome)?
        }
        Scenario::Otlp | Scenario::Batch | Scenario::All | Scenario::Matrix => {}
    }

    let peak_rss_kib = sampler.peak_kib(load_started, Instant::now());
    let vm_hwm_kib = proc::status_kib(server.pid, "VmHWM");
    drop(sampler);
    let database_bytes = match data.pg() {
        Some(pg) => pg
            .size_bytes()
            .inspect_err(|error| eprintln!("sightline-bench: {error:#}"))
            .ok(),
        None => Some(data.size_bytes()),
    };
    let wal_bytes = data.pg().is_none().then(|| data.wal_bytes()).flatten();
    let grpc_off = server.grpc_off;
    let server_log = server.stop();
    if let Some(path) = &cli.server_log {
        std::fs::write(path, &server_log)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let durability = match data.pg() {
        Some(pg) => format!("PostgreSQL synchronous_commit={}", pg.synchronous_commit),
        None => format!("SQLITE_SYNCHRONOUS={}", cli.sqlite_synchronous.name()),
    };
    let reused_seeding = match (&data.seeded, outcome.scenarios.is_empty()) {
        (Some(seeded), true) => Some(seeded.seeding.clone()),
        _ => None,
    };
    Ok(Run {
        scenario: cli.scenario,
        backend: cli.database.name(),
        durability,
        cores: thread::available_parallelism().map_or(1, |n| n.get()),
        server_bin: server_bin.display().to_string(),
        grpc_off,
        idle_rss_kib,
        peak_rss_kib,
        vm_hwm_kib,
        database_bytes,
        wal_bytes,
        server_log,
        scenarios: outcome.scenarios,
        queries: outcome.queries,
        query_phase: outcome.query_phase,
        notes: outcome.notes,
        failures: outcome.failures,
        reused_seeding,
    })
}
