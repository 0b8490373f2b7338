//! Sends a workload's requests over concurrent connections, retrying `429`/`503` after
//! `Retry-After`, and records when each was acknowledged and how long it took.

use std::collections::BTreeMap;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::Client;
use crate::workload::{Expect, Workload};

/// Longest pause honoured from `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Pause after a `429`/`503` without `Retry-After`.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

pub struct LoadResult {
    /// When the first request went out.
    pub started: Instant,
    /// When the last acknowledgement arrived.
    pub finished: Instant,
    /// Latency of every acknowledged attempt, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Answers that were not the expected acknowledgement, by status (`429`/`503` were retried).
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that were never acknowledged, and why.
    pub failures: Vec<String>,
    /// Error entries in `207` replies.
    pub event_errors: u64,
    /// The request acknowledged last.
    pub last_acknowledged: Option<usize>,
    /// Per request, whether it was acknowledged.
    pub acknowledged: Vec<bool>,
}

impl LoadResult {
    pub fn wall(&self) -> Duration {
        self.finished.duration_since(self.started)
    }

    pub fn retries(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| matches!(status, 429 | 503))
            .map(|(_, count)| count)
            .sum()
    }
}

#[derive(Default)]
struct WorkerResult {
    latencies_ms: Vec<f64>,
    statuses: BTreeMap<u16, u64>,
    failures: Vec<String>,
    event_errors: u64,
    last: Option<(Instant, usize)>,
    acknowledged: Vec<usize>,
}

pub fn run(workload: &Workload, clients: &[Client]) -> LoadResult {
    let next = AtomicUsize::new(0);
    let barrier = Barrier::new(clients.len() + 1);
    let (started, results) = thread::scope(|scope| {
        let workers: Vec<_> = clients
            .iter()
            .map(|client| {
                let (next, barrier) = (&next, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    worker(workload, client, next)
                })
            })
            .collect();
        let started = Instant::now();
        barrier.wait();
        let results: Vec<WorkerResult> = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        (started, results)
    });
    let mut total = LoadResult {
        started,
        finished: started,
        latencies_ms: Vec::with_capacity(workload.requests.len()),
        statuses: BTreeMap::new(),
        failures: Vec::new(),
        event_errors: 0,
        last_acknowledged: None,
        acknowledged: vec![false; workload.requests.len()],
    };
    let mut last: Option<(Instant, usize)> = None;
    for result in results {
        total.latencies_ms.extend(result.latencies_ms);
        for (status, count) in result.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.failures.extend(result.failures);
        total.event_errors += result.event_errors;
        for index in result.acknowledged {
            total.acknowledged[index] = true;
        }
        if let Some(candidate) = result.last
            && last.is_none_or(|(at, _)| candidate.0 > at)
        {
            last = Some(candidate);
        }
    }
    if let Some((at, index)) = last {
        total.finished = at;
        total.last_acknowledged = Some(index);
    }
    total
}

fn worker(workload: &Workload, client: &Client, next: &AtomicUsize) -> WorkerResult {
    let mut result = WorkerResult::default();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(payload) = workload.requests.get(index) else {
            return result;
        };
        loop {
            let sent = Instant::now();
            let reply = match client.post(workload.path, &workload.headers, &payload.body) {
                Ok(reply) => reply,
                Err(error) => {
                    result.failures.push(format!("request {index}: {error:#}"));
                    break;
                }
            };
            let acknowledged = Instant::now();
            if reply.status == workload.expect.status() {
                result
                    .latencies_ms
                    .push(acknowledged.duration_since(sent).as_secs_f64() * 1000.0);
                if workload.expect == Expect::MultiStatus {
                    check_multi_status(&reply.body, payload.items, index, &mut result);
                }
                result.acknowledged.push(index);
                if result.last.is_none_or(|(at, _)| acknowledged > at) {
                    result.last = Some((acknowledged, index));
                }
                break;
            }
            *result.statuses.entry(reply.status).or_default() += 1;
            if matches!(reply.status, 429 | 503) {
                thread::sleep(
                    reply
                        .retry_after
                        .unwrap_or(DEFAULT_BACKOFF)
                        .min(MAX_BACKOFF),
                );
                continue;
            }
            let body = String::from_utf8_lossy(&reply.body);
            let body: String = body.chars().take(300).collect();
            result
                .failures
                .push(format!("request {index}: status {}: {body}", reply.status));
            break;
        }
    }
}

/// A `207` must list every event of the request as a success and none as an error.
fn check_multi_status(body: &[u8], events: usize, index: usize, result: &mut WorkerResult) {
    let reply: Value = match serde_json::from_slice(body) {
        Ok(reply) => reply,
        Err(error) => {
            result
                .failures
                .push(format!("request {index}: 207 body is not JSON: {error}"));
            return;
        }
    };
    let count = |key: &str| reply[key].as_array().map_or(0, Vec::len);
    let (successes, errors) = (count("successes"), count("errors"));
    result.event_errors += errors as u64;
    if errors > 0 {
        let first = reply["errors"][0].to_string();
        result.failures.push(format!(
            "request {index}: {errors} error entries in the 207 reply, first {first}"
        ));
    } else if successes != events {
        result.failures.push(format!(
            "request {index}: 207 lists {successes} successes for {events} events"
        ));
    }
}

/// The `p`th percentile (0–100) of `sorted`, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
