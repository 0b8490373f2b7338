//! Read-your-writes: right after the last acknowledgement, every sampled trace must read back
//! whole through `GET /api/public/traces/{id}`.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::Client;
use crate::text::Rng;

/// How long a trace that is not readable at once is polled for before it counts as lost.
const DEADLINE: Duration = Duration::from_secs(10);
const OBSERVATIONS_PER_TRACE: usize = 5;

pub struct ReadCheck {
    pub sampled: usize,
    /// Traces whole on the first read (the contract: all of them).
    pub complete_on_first_read: usize,
    /// From the last acknowledgement until the last sampled trace read back whole; `None` when
    /// some never did.
    pub readable_after: Option<Duration>,
    /// What was wrong, per trace, on the first read and at the deadline.
    pub problems: Vec<String>,
}

impl ReadCheck {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Up to `count` distinct ids of `all`, chosen at random, with `last` always among them.
pub fn sample(all: &[&str], last: Option<&str>, count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut pool: Vec<&str> = all.iter().copied().filter(|id| Some(*id) != last).collect();
    let mut chosen: Vec<String> = last.map(str::to_owned).into_iter().collect();
    while chosen.len() < count && !pool.is_empty() {
        let index = rng.below(pool.len() as u64) as usize;
        chosen.push(pool.swap_remove(index).to_owned());
    }
    chosen
}

/// Reads `ids` back with `clients` in parallel, from `since` (the last acknowledgement).
pub fn check(clients: &[Client], ids: Vec<String>, since: Instant) -> ReadCheck {
    let mut report = ReadCheck {
        sampled: ids.len(),
        complete_on_first_read: 0,
        readable_after: Some(Duration::ZERO),
        problems: Vec::new(),
    };
    let mut pending = ids;
    let mut first_round = true;
    loop {
        let outcomes = read_all(clients, &pending);
        let mut still = Vec::new();
        for (id, outcome, at) in outcomes {
            match outcome {
                Ok(()) => {
                    let after = at.duration_since(since);
                    report.readable_after = report.readable_after.map(|d| d.max(after));
                    if first_round {
                        report.complete_on_first_read += 1;
                    }
                }
                Err(problem) => {
                    if first_round {
                        report
                            .problems
                            .push(format!("trace {id} on the first read: {problem}"));
                    }
                    still.push((id, problem));
                }
            }
        }
        first_round = false;
        if still.is_empty() {
            return report;
        }
        if since.elapsed() > DEADLINE {
            report.readable_after = None;
            report
                .problems
                .extend(still.into_iter().map(|(id, problem)| {
                    format!("trace {id} after {}s: {problem}", DEADLINE.as_secs())
                }));
            return report;
        }
        pending = still.into_iter().map(|(id, _)| id).collect();
        thread::sleep(Duration::from_millis(100));
    }
}

type Outcome = (String, Result<(), String>, Instant);

fn read_all(clients: &[Client], ids: &[String]) -> Vec<Outcome> {
    let chunk = ids.len().div_ceil(clients.len().max(1)).max(1);
    thread::scope(|scope| {
        let readers: Vec<_> = ids
            .chunks(chunk)
            .zip(clients)
            .map(|(ids, client)| {
                scope.spawn(move || {
                    ids.iter()
                        .map(|id| {
                            let outcome = read_trace(client, id);
                            (id.clone(), outcome, Instant::now())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        readers
            .into_iter()
            .flat_map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// `Ok` when the trace reads back with its five observations, every one ended and with output,
/// and the generation priced by model and usage.
fn read_trace(client: &Client, id: &str) -> Result<(), String> {
    let reply = client
        .get(&format!("/api/public/traces/{id}"))
        .map_err(|e| format!("{e:#}"))?;
    if reply.status != 200 {
        return Err(format!("status {}", reply.status));
    }
    let trace: Value =
        serde_json::from_slice(&reply.body).map_err(|e| format!("body is not JSON: {e}"))?;
    let observations = trace["observations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if observations.len() != OBSERVATIONS_PER_TRACE {
        return Err(format!(
            "{} observations, expected {OBSERVATIONS_PER_TRACE}",
            observations.len()
        ));
    }
    if let Some(open) = observations
        .iter()
        .find(|o| o["endTime"].is_null() || o["output"].is_null())
    {
        return Err(format!(
            "observation {} lacks its end time or output",
            open["id"]
        ));
    }
    let generation = observations
        .iter()
        .find(|o| {
            o["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("generation"))
        })
        .ok_or("no generation")?;
    if generation["model"] != "gpt-4o" {
        return Err(format!("generation model {}", generation["model"]));
    }
    if !generation["usageDetails"]["input"]
        .as_f64()
        .is_some_and(|n| n > 0.0)
    {
        return Err(format!("generation usage {}", generation["usageDetails"]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn the_sample_is_distinct_and_holds_the_last_trace() {
        let all: Vec<String> = (0..50).map(|n| n.to_string()).collect();
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let chosen = sample(&all, Some("49"), 20, 1);
        assert_eq!(chosen.len(), 20);
        assert_eq!(chosen[0], "49");
        let mut distinct = chosen.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 20);
        assert_eq!(sample(&all, None, 80, 1).len(), 50);
    }
}
