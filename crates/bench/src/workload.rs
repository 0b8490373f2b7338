//! A scenario's pre-generated requests and what the server must answer to each.

use std::thread;

/// What one scenario sends.
pub struct Workload {
    /// `otlp` or `batch`.
    pub name: &'static str,
    /// What `items` counts: `spans` or `events`.
    pub unit: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub expect: Expect,
    pub requests: Vec<Payload>,
    pub gzip: bool,
}

impl Workload {
    pub fn items(&self) -> usize {
        self.requests.iter().map(|r| r.items).sum()
    }

    pub fn traces(&self) -> usize {
        self.requests.iter().map(|r| r.trace_ids.len()).sum()
    }

    /// Bytes before compression.
    pub fn raw_bytes(&self) -> usize {
        self.requests.iter().map(|r| r.raw_bytes).sum()
    }

    /// Bytes on the wire (bodies only).
    pub fn wire_bytes(&self) -> usize {
        self.requests.iter().map(|r| r.body.len()).sum()
    }
}

/// One request body.
pub struct Payload {
    pub body: Vec<u8>,
    /// Size before compression.
    pub raw_bytes: usize,
    /// Spans or events in it.
    pub items: usize,
    /// Traces whose data it carries (a trace may straddle two batch requests).
    pub trace_ids: Vec<String>,
}

/// The acknowledgement a request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// OTLP: `200`.
    Ok,
    /// Batch API: `207` listing every event as a success and none as an error.
    MultiStatus,
}

impl Expect {
    pub fn status(self) -> u16 {
        match self {
            Expect::Ok => 200,
            Expect::MultiStatus => 207,
        }
    }
}

/// Builds `count` payloads with `build(index)` on every core.
pub fn build_parallel(count: usize, build: impl Fn(usize) -> Payload + Sync) -> Vec<Payload> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let build = &build;
    let mut built: Vec<(usize, Payload)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                scope.spawn(move || {
                    (worker..count)
                        .step_by(threads)
                        .map(|index| (index, build(index)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    built.sort_by_key(|(index, _)| *index);
    built.into_iter().map(|(_, payload)| payload).collect()
}
