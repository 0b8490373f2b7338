//! The `matrix` scenario: `otlp` and `batch` runs at several connection counts and request sizes,
//! on SQLite with `synchronous` FULL and NORMAL (and on PostgreSQL with `--include-postgres`),
//! each on a fresh server; one JSON line per run as it ends, then one table of them all.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use anyhow::Result;

use crate::cli::{Cli, Database, Scenario, Synchronous};
use crate::load::percentile;
use crate::otlp::SPANS_PER_TRACE;
use crate::proc;
use crate::report::Run;

/// OTLP runs: connections and traces per request (5 spans each).
const OTLP: [(usize, usize); 4] = [(4, 20), (16, 20), (64, 20), (4, 100)];
/// Batch runs: connections (`--events-per-request` events per request).
const BATCH: [usize; 2] = [4, 16];

/// One run of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    pub database: Database,
    /// `SQLITE_SYNCHRONOUS` (PostgreSQL runs leave durability to the server's settings).
    pub synchronous: Synchronous,
    /// `Otlp` or `Batch`.
    pub scenario: Scenario,
    pub concurrency: usize,
    /// OTLP: traces per request; batch: `None` (`--events-per-request`).
    pub traces_per_request: Option<usize>,
}

impl Case {
    fn otlp(
        database: Database,
        synchronous: Synchronous,
        (concurrency, traces): (usize, usize),
    ) -> Case {
        Case {
            database,
            synchronous,
            scenario: Scenario::Otlp,
            concurrency,
            traces_per_request: Some(traces),
        }
    }

    fn batch(database: Database, synchronous: Synchronous, concurrency: usize) -> Case {
        Case {
            database,
            synchronous,
            scenario: Scenario::Batch,
            concurrency,
            traces_per_request: None,
        }
    }

    /// The options of this run: `base` with the case's backend, durability, scenario,
    /// connections and request size; `--server-log FILE` becomes `FILE.<run>`.
    fn cli(&self, base: &Cli, run: usize) -> Cli {
        let mut cli = base.clone();
        cli.scenario = self.scenario;
        cli.database = self.database;
        cli.sqlite_synchronous = self.synchronous;
        cli.concurrency = self.concurrency;
        cli.traces = Some(base.traces());
        cli.events = Some(base.events());
        if let Some(traces) = self.traces_per_request {
            cli.traces_per_request = traces;
        }
        cli.server_log = base.server_log.as_deref().map(|path| numbered(path, run));
        cli
    }

    fn describe(&self, base: &Cli) -> String {
        let size = match self.traces_per_request {
            Some(traces) => format!("{} spans", traces * SPANS_PER_TRACE),
            None => format!("{} events", base.events_per_request),
        };
        let durability = match self.database {
            Database::Sqlite => format!(" {}", self.synchronous.name()),
            Database::Postgres => String::new(),
        };
        format!(
            "{}{durability} {} {} × {size}",
            self.database.name(),
            scenario_name(self.scenario),
            self.concurrency
        )
    }
}

/// The runs of the matrix, in the order they run.
pub fn cases(include_postgres: bool) -> Vec<Case> {
    let mut cases = Vec::new();
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        for shape in OTLP {
            cases.push(Case::otlp(Database::Sqlite, synchronous, shape));
        }
        for concurrency in BATCH {
            cases.push(Case::batch(Database::Sqlite, synchronous, concurrency));
        }
    }
    if include_postgres {
        cases.push(Case::otlp(Database::Postgres, Synchronous::Full, OTLP[0]));
        cases.push(Case::batch(Database::Postgres, Synchronous::Full, BATCH[0]));
    }
    cases
}

/// One row of the table: a run's figures, or why it could not run.
struct Row {
    case: Case,
    outcome: Result<Figures, String>,
}

struct Figures {
    durability: String,
    items_per_request: usize,
    throughput: f64,
    p50_ms: f64,
    p95_ms: f64,
    busy_pct: Option<f64>,
    requests_per_group: Option<f64>,
    peak_rss_mb: Option<f64>,
    database_mb: Option<f64>,
    bytes_per_item: Option<f64>,
    passed: bool,
    /// The server's WARN and ERROR lines: how many, and the first.
    warnings: usize,
    first_warning: Option<String>,
}

impl Figures {
    fn of(run: &Run) -> Option<Figures> {
        let scenario = run.scenarios.first()?;
        let sorted = scenario.sorted_latencies();
        let durability = run
            .durability
            .strip_prefix("SQLITE_SYNCHRONOUS=")
            .or_else(|| run.durability.strip_prefix("PostgreSQL "))
            .unwrap_or(&run.durability)
            .to_owned();
        Some(Figures {
            durability,
            items_per_request: scenario.items / scenario.requests.max(1),
            throughput: scenario.throughput(),
            p50_ms: percentile(&sorted, 50.0),
            p95_ms: percentile(&sorted, 95.0),
            busy_pct: scenario.writer.as_ref().map(|w| w.busy_pct),
            requests_per_group: scenario.writer.as_ref().map(|w| w.requests_per_group.mean),
            peak_rss_mb: scenario.peak_rss_kib.map(|kib| kib as f64 / 1024.0),
            database_mb: run.database_bytes.map(|b| b as f64 / 1_048_576.0),
            bytes_per_item: run.bytes_per_item().map(|(per, _)| per),
            passed: run.passed(),
            warnings: run.warnings().len(),
            first_warning: run
                .warnings()
                .first()
                .map(|line| line.chars().take(300).collect()),
        })
    }
}

/// Runs every case with `run_one`, printing each run's JSON line as it ends and the table at
/// the end. Exits 1 when a run failed a correctness check, else 2 when a run could not be set
/// up, else 0.
pub fn run(base: &Cli, run_one: impl Fn(&Cli) -> Result<Run>) -> ExitCode {
    if base.data_dir.is_some() {
        eprintln!("sightline-bench: --data-dir is for the reads scenario");
        return ExitCode::from(2);
    }
    let cases = cases(base.include_postgres);
    let load_before = proc::load_average();
    let started = Instant::now();
    let mut rows = Vec::with_capacity(cases.len());
    for (index, case) in cases.iter().enumerate() {
        eprintln!(
            "matrix run {}/{}: {}",
            index + 1,
            cases.len(),
            case.describe(base)
        );
        let outcome = match run_one(&case.cli(base, index + 1)) {
            Ok(run) => {
                println!("{}", run.json());
                Figures::of(&run).ok_or_else(|| "no scenario ran".to_owned())
            }
            Err(error) => {
                eprintln!("sightline-bench: {error:#}");
                Err(format!("{error:#}"))
            }
        };
        rows.push(Row {
            case: *case,
            outcome,
        });
    }
    print_table(base, &rows, started, load_before);
    let failed = rows
        .iter()
        .any(|row| row.outcome.as_ref().is_ok_and(|f| !f.passed));
    if failed {
        ExitCode::from(1)
    } else if rows.iter().any(|row| row.outcome.is_err()) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_table(base: &Cli, rows: &[Row], started: Instant, load_before: Option<f64>) {
    let load =
        |value: Option<f64>| value.map_or_else(|| "unknown".to_owned(), |v| format!("{v:.2}"));
    println!();
    println!(
        "Sightline ingestion matrix: {} runs, each on a fresh server, {} cores, {:.0} s in all; \
         {} traces ({} spans) per otlp run, {} events per batch run, {} bytes of text per span or \
         event; 1-minute load average {} before, {} after",
        rows.len(),
        thread::available_parallelism().map_or(1, |n| n.get()),
        started.elapsed().as_secs_f64(),
        base.traces(),
        base.traces() * SPANS_PER_TRACE,
        base.events(),
        base.payload_bytes,
        load(load_before),
        load(proc::load_average()),
    );
    println!();
    println!(
        "{:<8} {:<21} {:<8} {:>5} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>8} {:>8} {:>10}  check",
        "backend",
        "durability",
        "scenario",
        "conns",
        "items/req",
        "items/s",
        "p50 ms",
        "p95 ms",
        "busy %",
        "req/group",
        "peak MB",
        "data MB",
        "bytes/item"
    );
    for row in rows {
        print_row(row);
    }
    println!();
    println!(
        "busy %: the writer's summed group-commit time over the wall time; req/group: mean \
         requests per group commit; peak MB: server RSS during the load; data MB: the SQLite data \
         directory with its WAL (PostgreSQL: pg_database_size), right after the run"
    );
    for (index, row) in rows.iter().enumerate() {
        match &row.outcome {
            Err(error) => println!("run {}: could not run: {error}", index + 1),
            Ok(figures) => {
                if !figures.passed {
                    println!(
                        "run {}: FAILED a correctness check (see its JSON line)",
                        index + 1
                    );
                }
                if let Some(first) = &figures.first_warning {
                    println!(
                        "run {}: {} server warnings and errors, first: {first}",
                        index + 1,
                        figures.warnings
                    );
                }
            }
        }
    }
}

fn print_row(row: &Row) {
    let case = &row.case;
    let scenario = scenario_name(case.scenario);
    let figures = match &row.outcome {
        Ok(figures) => figures,
        Err(_) => {
            let durability = match case.database {
                Database::Sqlite => case.synchronous.name(),
                Database::Postgres => "",
            };
            println!(
                "{:<8} {durability:<21} {scenario:<8} {:>5} {:>9}  error",
                case.database.name(),
                case.concurrency,
                "",
            );
            return;
        }
    };
    let optional = |value: Option<f64>, decimals: usize| {
        value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
    };
    println!(
        "{:<8} {:<21} {scenario:<8} {:>5} {:>9} {:>9.0} {:>8.1} {:>8.1} {:>7} {:>9} {:>8} {:>8} {:>10}  {}",
        case.database.name(),
        figures.durability,
        case.concurrency,
        figures.items_per_request,
        figures.throughput,
        figures.p50_ms,
        figures.p95_ms,
        optional(figures.busy_pct, 1),
        optional(figures.requests_per_group, 2),
        optional(figures.peak_rss_mb, 0),
        optional(figures.database_mb, 1),
        optional(figures.bytes_per_item, 0),
        if figures.passed { "ok" } else { "FAILED" }
    );
}

fn scenario_name(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Otlp => "otlp",
        Scenario::Batch => "batch",
        Scenario::All => "all",
        Scenario::Reads => "reads",
        Scenario::Prompts => "prompts",
        Scenario::Matrix => "matrix",
        Scenario::Dashboard => "dashboard",
        Scenario::Evals => "evals",
    }
}

/// `path` with `.<run>` appended to its name.
fn numbered(path: &Path, run: usize) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{run}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_matrix_holds_every_run_once() {
        let sqlite = cases(false);
        assert_eq!(sqlite.len(), 12);
        let with_postgres = cases(true);
        assert_eq!(with_postgres.len(), 14);
        let postgres: Vec<_> = with_postgres
            .iter()
            .filter(|case| case.database == Database::Postgres)
            .collect();
        assert_eq!(postgres[0].concurrency, 4);
        assert_eq!(postgres[0].traces_per_request, Some(20));
        assert_eq!(postgres[1].scenario, Scenario::Batch);
        for synchronous in [Synchronous::Full, Synchronous::Normal] {
            let runs = sqlite.iter().filter(|c| c.synchronous == synchronous);
            assert_eq!(runs.count(), 6);
        }
    }

    #[test]
    fn a_case_sets_its_options_and_keeps_the_sizes() {
        let base = Cli::parse_from([
            "sightline-bench",
            "matrix",
            "--server-log",
            "/tmp/server.log",
        ]);
        let case = Case::otlp(Database::Sqlite, Synchronous::Normal, (64, 20));
        let cli = case.cli(&base, 3);
        assert_eq!(cli.scenario, Scenario::Otlp);
        assert_eq!(cli.sqlite_synchronous, Synchronous::Normal);
        assert_eq!(cli.concurrency, 64);
        assert_eq!(cli.traces_per_request, 20);
        assert_eq!(cli.traces(), 10_000);
        assert_eq!(cli.events(), 50_000);
        assert_eq!(cli.server_log, Some(PathBuf::from("/tmp/server.log.3")));
        let sized = Cli::parse_from(["sightline-bench", "matrix", "--traces", "500"]);
        assert_eq!(case.cli(&sized, 1).traces(), 500);
        assert_eq!(case.describe(&base), "sqlite NORMAL otlp 64 × 100 spans");
    }
}
