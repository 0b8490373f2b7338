//! The report: a human-readable summary with the targets beside the figures, then one JSON line
//! with every figure.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cli::Scenario;
use crate::load::{LoadResult, percentile};
use crate::probe::QueryResult;
use crate::verify::ReadCheck;
use crate::writer::WriterStats;

/// Sustained OTLP ingestion on SQLite, spans/s.
pub const TARGET_THROUGHPUT: f64 = 30_000.0;
/// Sustained batch-API ingestion on SQLite, events/s.
pub const TARGET_BATCH_THROUGHPUT: f64 = 25_000.0;
/// Sustained OTLP ingestion on PostgreSQL, spans/s.
pub const TARGET_POSTGRES_THROUGHPUT: f64 = 15_000.0;

/// The throughput target of a workload (`otlp` or `batch`) on a backend, if it has one.
pub fn target_throughput(workload: &str, postgres: bool) -> Option<f64> {
    match (workload, postgres) {
        ("otlp", false) => Some(TARGET_THROUGHPUT),
        ("batch", false) => Some(TARGET_BATCH_THROUGHPUT),
        ("otlp", true) => Some(TARGET_POSTGRES_THROUGHPUT),
        _ => None,
    }
}
pub const TARGET_IDLE_RSS_MB: f64 = 60.0;
pub const TARGET_PEAK_RSS_MB: f64 = 400.0;

/// The run as a whole.
pub struct Run {
    pub scenario: Scenario,
    pub backend: &'static str,
    /// `SQLITE_SYNCHRONOUS=FULL`, or PostgreSQL's `synchronous_commit`.
    pub durability: String,
    pub cores: usize,
    pub server_bin: String,
    pub grpc_off: bool,
    pub idle_rss_kib: Option<u64>,
    pub peak_rss_kib: Option<u64>,
    pub vm_hwm_kib: Option<u64>,
    /// At the end, before the server stops: on SQLite the files of the data directory (the
    /// database with its WAL), on PostgreSQL `pg_database_size` of the run's database.
    pub database_bytes: Option<u64>,
    /// SQLite's WAL, part of `database_bytes`.
    pub wal_bytes: Option<u64>,
    pub server_log: String,
    pub scenarios: Vec<ScenarioResult>,
    /// Read or prompt queries, timed one request at a time.
    pub queries: Vec<QueryResult>,
    pub query_phase: Option<QueryPhase>,
    pub notes: Vec<String>,
    /// Setup steps that went wrong.
    pub failures: Vec<String>,
    /// The figures of an earlier run's seeding, when its data set was reused.
    pub reused_seeding: Option<Value>,
}

/// The server while the queries were timed.
pub struct QueryPhase {
    pub wall_s: f64,
    /// Unmeasured requests sent first per query.
    pub warmup: usize,
    pub peak_rss_kib: Option<u64>,
    pub end_rss_kib: Option<u64>,
    pub server_cpu_s: Option<f64>,
    /// The machine's one-minute load average before and after.
    pub load_average: (Option<f64>, Option<f64>),
}

/// One scenario's figures.
pub struct ScenarioResult {
    pub name: &'static str,
    pub unit: &'static str,
    pub items: usize,
    pub traces: usize,
    pub requests: usize,
    pub raw_bytes: usize,
    pub wire_bytes: usize,
    pub gzip: bool,
    pub concurrency: usize,
    pub load: LoadResult,
    /// The read-back check; `None` when the traces were not read back (seeding).
    pub read: Option<ReadCheck>,
    /// Items per second the throughput is held to, if any.
    pub target_throughput: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    pub server_cpu_s: Option<f64>,
    pub client_cpu_s: Option<f64>,
    /// The writer's group commits, from its log lines; `None` when the server logged none.
    pub writer: Option<WriterStats>,
}

impl ScenarioResult {
    pub fn throughput(&self) -> f64 {
        self.items as f64 / self.load.wall().as_secs_f64().max(1e-9)
    }

    pub fn passed(&self) -> bool {
        self.load.failures.is_empty()
            && self.load.event_errors == 0
            && self.read.as_ref().is_none_or(ReadCheck::passed)
    }

    pub fn sorted_latencies(&self) -> Vec<f64> {
        let mut sorted = self.load.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }
}

impl Run {
    pub fn passed(&self) -> bool {
        self.scenarios.iter().all(ScenarioResult::passed)
            && self.queries.iter().all(|q| q.failures.is_empty())
            && self.failures.is_empty()
    }

    fn title(&self) -> &'static str {
        match self.scenario {
            Scenario::Reads => "read",
            Scenario::Prompts => "prompt",
            Scenario::Dashboard => "dashboard",
            Scenario::Evals => "evaluation",
            Scenario::Otlp | Scenario::Batch | Scenario::All | Scenario::Matrix => "ingestion",
        }
    }

    /// The server's WARN and ERROR log lines.
    pub fn warnings(&self) -> Vec<&str> {
        self.server_log.lines().filter(|l| is_warning(l)).collect()
    }

    /// `database_bytes` per span or event, when every scenario counts the same unit.
    pub fn bytes_per_item(&self) -> Option<(f64, &'static str)> {
        let bytes = self.database_bytes?;
        let unit = self.scenarios.first()?.unit;
        if self.scenarios.iter().any(|s| s.unit != unit) {
            return None;
        }
        let items: usize = self.scenarios.iter().map(|s| s.items).sum();
        (items > 0).then(|| (bytes as f64 / items as f64, unit))
    }

    pub fn print(&self) {
        println!();
        println!(
            "Sightline {} benchmark: backend {}, {}, {} cores",
            self.title(),
            self.backend,
            self.durability,
            self.cores
        );
        println!("  server       {}", self.server_bin);
        for scenario in &self.scenarios {
            self.print_scenario(scenario);
        }
        self.print_queries();
        println!();
        println!("memory (server, whole run)");
        println!(
            "  idle RSS     {:>9}   target <= {TARGET_IDLE_RSS_MB:.0} MB {}",
            mb_text(self.idle_rss_kib),
            verdict(self.idle_rss_kib.map(mb), |v| v <= TARGET_IDLE_RSS_MB)
        );
        println!(
            "  peak RSS     {:>9}   target <= {TARGET_PEAK_RSS_MB:.0} MB {} (VmHWM at the end {})",
            mb_text(self.peak_rss_kib),
            verdict(self.peak_rss_kib.map(mb), |v| v <= TARGET_PEAK_RSS_MB),
            mb_text(self.vm_hwm_kib)
        );
        if let Some(phase) = &self.query_phase {
            println!(
                "  queries      peak RSS {}, RSS at the end {}",
                mb_text(phase.peak_rss_kib),
                mb_text(phase.end_rss_kib)
            );
        }
        if let Some(bytes) = self.database_bytes {
            let per_item = self
                .bytes_per_item()
                .map_or_else(String::new, |(per, unit)| {
                    format!(", {per:.0} bytes per {}", unit.trim_end_matches('s'))
                });
            let what = match self.wal_bytes {
                _ if self.backend == "postgres" => "(pg_database_size)".to_owned(),
                Some(wal) => format!(
                    "on disk (data directory, of which WAL {:.1} MB)",
                    wal as f64 / 1_048_576.0
                ),
                None => "on disk (data directory)".to_owned(),
            };
            println!(
                "  database     {:.1} MB {what}{per_item}",
                bytes as f64 / 1_048_576.0
            );
        }
        for note in &self.notes {
            println!("note: {note}");
        }
        for failure in &self.failures {
            println!("FAILED {failure}");
        }
        let warnings = self.warnings();
        if !warnings.is_empty() {
            println!(
                "server warnings and errors ({}), first lines:",
                warnings.len()
            );
            for line in warnings.iter().take(10) {
                println!("  {}", line.chars().take(300).collect::<String>());
            }
        }
        println!();
        println!(
            "result: {}",
            if !self.passed() {
                "FAIL (see the problems above)"
            } else if self.queries.is_empty() {
                "PASS (every request acknowledged, every sampled trace read back whole)"
            } else {
                "PASS (every request acknowledged, every query answered as expected)"
            }
        );
        println!("{}", self.json());
    }

    fn print_scenario(&self, s: &ScenarioResult) {
        let sorted = s.sorted_latencies();
        let per_request = s.items / s.requests.max(1);
        println!();
        println!("scenario {}", s.name);
        println!(
            "  load         {} traces, {} {} in {} requests of ~{per_request} {}, {} connections",
            s.traces, s.items, s.unit, s.requests, s.unit, s.concurrency
        );
        println!(
            "  bodies       {:.1} MB{}",
            s.raw_bytes as f64 / 1_048_576.0,
            if s.gzip {
                format!(
                    ", gzip to {:.1} MB on the wire",
                    s.wire_bytes as f64 / 1_048_576.0
                )
            } else {
                String::new()
            }
        );
        println!("  wall time    {:.2} s", s.load.wall().as_secs_f64());
        let target = match s.target_throughput {
            Some(target) => format!(
                "target >= {target:.0} {}",
                verdict(Some(s.throughput()), |v| v >= target)
            ),
            None if s.read.is_none() => format!(
                "({:.0} traces/s; no target)",
                s.traces as f64 / s.load.wall().as_secs_f64().max(1e-9)
            ),
            None => "(no target on this backend)".to_owned(),
        };
        println!(
            "  throughput   {:.0} {}/s   {target}",
            s.throughput(),
            s.unit
        );
        println!(
            "  latency      p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            percentile(&sorted, 50.0),
            percentile(&sorted, 95.0),
            percentile(&sorted, 99.0),
            sorted.last().copied().unwrap_or(0.0)
        );
        println!(
            "  not acked    {} answers ({}); {} retried after Retry-After; {} requests failed; {} error entries in 207 replies",
            s.load.statuses.values().sum::<u64>(),
            statuses_text(&s.load.statuses),
            s.load.retries(),
            s.load.failures.len(),
            s.load.event_errors
        );
        for failure in s.load.failures.iter().take(10) {
            println!("    FAILED {failure}");
        }
        if let Some(read) = &s.read {
            let readable = read.readable_after.map_or_else(
                || "NEVER (within 10 s)".to_owned(),
                |d| format!("{:.0} ms", d.as_secs_f64() * 1000.0),
            );
            println!(
                "  read back    {}/{} sampled traces whole on the first read; all whole {readable} after the last ack {}",
                read.complete_on_first_read,
                read.sampled,
                if read.passed() { "ok" } else { "FAILED" }
            );
            for problem in read.problems.iter().take(10) {
                println!("    MISSING {problem}");
            }
        }
        if let (Some(cpu), wall) = (s.server_cpu_s, s.load.wall().as_secs_f64()) {
            println!(
                "  cpu          server {cpu:.1} s ({:.2} cores), bench client {:.1} s",
                cpu / wall.max(1e-9),
                s.client_cpu_s.unwrap_or(0.0)
            );
        }
        match &s.writer {
            Some(writer) => {
                for (index, line) in writer.text().iter().enumerate() {
                    let label = if index == 0 { "writer" } else { "" };
                    println!("  {label:<12} {line}");
                }
            }
            None => println!("  writer       not reported by this server"),
        }
        println!("  peak RSS     {}", mb_text(s.peak_rss_kib));
    }

    pub fn json(&self) -> String {
        let scenarios: Vec<Value> = self
            .scenarios
            .iter()
            .map(|s| self.scenario_json(s))
            .collect();
        json!({
            "bench": format!("sightline-{}", self.title()),
            "backend": self.backend,
            "durability": self.durability,
            "cores": self.cores,
            "server_bin": self.server_bin,
            "otlp_grpc_port_off": self.grpc_off,
            "idle_rss_mb": self.idle_rss_kib.map(mb),
            "peak_rss_mb": self.peak_rss_kib.map(mb),
            "vm_hwm_mb": self.vm_hwm_kib.map(mb),
            "database_bytes": self.database_bytes,
            "database_bytes_per_item": self.bytes_per_item().map(|(per, _)| per),
            "database_wal_bytes": self.wal_bytes,
            "server_warnings": self.warnings().len(),
            "targets": {
                "throughput_per_s_sqlite": TARGET_THROUGHPUT,
                "batch_throughput_per_s_sqlite": TARGET_BATCH_THROUGHPUT,
                "throughput_per_s_postgres": TARGET_POSTGRES_THROUGHPUT,
                "idle_rss_mb": TARGET_IDLE_RSS_MB,
                "peak_rss_mb": TARGET_PEAK_RSS_MB,
            },
            "scenarios": scenarios,
            "queries": self.queries.iter().map(query_json).collect::<Vec<_>>(),
            "query_phase": self.query_phase.as_ref().map(|phase| json!({
                "wall_s": phase.wall_s,
                "warmup_requests_per_query": phase.warmup,
                "peak_rss_mb": phase.peak_rss_kib.map(mb),
                "end_rss_mb": phase.end_rss_kib.map(mb),
                "server_cpu_s": phase.server_cpu_s,
                "load_average_before": phase.load_average.0,
                "load_average_after": phase.load_average.1,
            })),
            "reused_seeding": self.reused_seeding,
            "notes": self.notes,
            "failures": self.failures,
            "passed": self.passed(),
        })
        .to_string()
    }

    fn scenario_json(&self, s: &ScenarioResult) -> Value {
        let sorted = s.sorted_latencies();
        let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
        let statuses: BTreeMap<String, u64> = s
            .load
            .statuses
            .iter()
            .map(|(status, count)| (status.to_string(), *count))
            .collect();
        json!({
            "name": s.name,
            "unit": s.unit,
            "items": s.items,
            "traces": s.traces,
            "requests": s.requests,
            "items_per_request": s.items / s.requests.max(1),
            "gzip": s.gzip,
            "raw_bytes": s.raw_bytes,
            "wire_bytes": s.wire_bytes,
            "concurrency": s.concurrency,
            "wall_s": s.load.wall().as_secs_f64(),
            "throughput_per_s": s.throughput(),
            "latency_ms": {
                "p50": percentile(&sorted, 50.0),
                "p95": percentile(&sorted, 95.0),
                "p99": percentile(&sorted, 99.0),
                "max": sorted.last().copied().unwrap_or(0.0),
                "mean": mean,
            },
            "not_acknowledged": statuses,
            "retried": s.load.retries(),
            "failed_requests": s.load.failures.len(),
            "event_errors": s.load.event_errors,
            "read_check": s.read.as_ref().map(|read| json!({
                "sampled": read.sampled,
                "complete_on_first_read": read.complete_on_first_read,
                "readable_after_ms": read.readable_after.map(|d| d.as_secs_f64() * 1000.0),
                "problems": read.problems.len(),
            })),
            "target_throughput_per_s": s.target_throughput,
            "peak_rss_mb": s.peak_rss_kib.map(mb),
            "server_cpu_s": s.server_cpu_s,
            "client_cpu_s": s.client_cpu_s,
            "writer": s.writer.as_ref().map(WriterStats::json),
            "passed": s.passed(),
        })
    }
}

impl Run {
    fn print_queries(&self) {
        let Some(phase) = &self.query_phase else {
            return;
        };
        println!();
        println!(
            "queries (one connection, one request at a time, {} unmeasured requests each first; \
             client-side latency on loopback)",
            phase.warmup
        );
        for query in &self.queries {
            let sorted = query.sorted();
            let target = query.target.map_or_else(
                || "(no target)".to_owned(),
                |t| {
                    let verdict = match query.met() {
                        Some(true) => "(met)",
                        Some(false) => "(MISSED)",
                        None => "",
                    };
                    format!("target p{:.0} <= {} ms {verdict}", t.percentile, t.ms)
                },
            );
            println!(
                "  {:<36} {:>6}  p50 {:>8.2}  p95 {:>8.2}  p99 {:>8.2}  max {:>8.2} ms  {target}",
                query.name,
                query.latencies_ms.len(),
                percentile(&sorted, 50.0),
                percentile(&sorted, 95.0),
                percentile(&sorted, 99.0),
                sorted.last().copied().unwrap_or(0.0),
            );
            println!(
                "  {:<36} {} (reply {:.1} KB on average)",
                "",
                query.example,
                query.reply_bytes as f64 / 1024.0 / query.latencies_ms.len().max(1) as f64
            );
            for failure in query.failures.iter().take(5) {
                println!(
                    "    FAILED {}",
                    failure.chars().take(300).collect::<String>()
                );
            }
            if query.failures.len() > 5 {
                println!("    … {} failures in all", query.failures.len());
            }
        }
        if let Some(cpu) = phase.server_cpu_s {
            println!(
                "  server cpu   {cpu:.1} s in {:.1} s ({:.2} cores)",
                phase.wall_s,
                cpu / phase.wall_s.max(1e-9)
            );
        }
        let load =
            |value: Option<f64>| value.map_or_else(|| "unknown".to_owned(), |v| format!("{v:.2}"));
        println!(
            "  machine      1-minute load average {} before, {} after (the measurement \
             itself makes about 1; more is other work sharing the cores)",
            load(phase.load_average.0),
            load(phase.load_average.1)
        );
    }
}

fn query_json(query: &QueryResult) -> Value {
    let sorted = query.sorted();
    json!({
        "name": query.name,
        "example": query.example,
        "count": query.latencies_ms.len(),
        "latency_ms": {
            "p50": percentile(&sorted, 50.0),
            "p95": percentile(&sorted, 95.0),
            "p99": percentile(&sorted, 99.0),
            "max": sorted.last().copied().unwrap_or(0.0),
            "mean": sorted.iter().sum::<f64>() / sorted.len().max(1) as f64,
        },
        "target": query.target.map(|t| json!({"percentile": t.percentile, "ms": t.ms})),
        "met": query.met(),
        "reply_bytes_mean": query.reply_bytes as f64 / query.latencies_ms.len().max(1) as f64,
        "failures": query.failures.len(),
    })
}

/// Whether a server log line is at level WARN or ERROR. In tracing's text format the level is the
/// word after the timestamp; only the first two words are looked at, so the writer's DEBUG lines
/// (or any message mentioning either word) do not count.
fn is_warning(line: &str) -> bool {
    line.split_whitespace()
        .take(2)
        .any(|word| word == "WARN" || word == "ERROR")
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn mb_text(kib: Option<u64>) -> String {
    kib.map_or_else(|| "unknown".to_owned(), |kib| format!("{:.1} MB", mb(kib)))
}

fn verdict(value: Option<f64>, meets: impl Fn(f64) -> bool) -> &'static str {
    match value {
        Some(value) if meets(value) => "(met)",
        Some(_) => "(MISSED)",
        None => "",
    }
}

fn statuses_text(statuses: &BTreeMap<u16, u64>) -> String {
    if statuses.is_empty() {
        return "none".to_owned();
    }
    statuses
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::is_warning;

    #[test]
    fn only_warn_and_error_lines_are_warnings() {
        assert!(is_warning(
            "2026-12-06T23:01:02.123456Z  WARN sightline_server: group commit failed"
        ));
        assert!(is_warning("2026-12-06T23:01:02.123456Z ERROR sightline: x"));
        assert!(!is_warning(
            "2026-12-06T23:01:02.123456Z DEBUG sightline_server::services::ingest::writer: \
             ingestion group committed requests=3 spans=300 events=0 duration_ms=23.02"
        ));
        assert!(!is_warning(
            "2026-12-06T23:01:02.123456Z  INFO sightline: a WARN in a message"
        ));
    }
}
