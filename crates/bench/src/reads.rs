//! The `reads` scenario: seeds the server through the ingestion API (or reuses a data directory
//! seeded before), then times the read API's list and detail queries one request at a time.

use chrono::Utc;
use serde_json::{Value, json};

use crate::datadir::Seeded;
use crate::probe::{Check, Query, Target, encode};
use crate::seed::{self, SeedShape};
use crate::text::Rng;
use crate::workload::Workload;

pub const SMALL_TRACE_OBSERVATIONS: usize = 100;
pub const LARGE_TRACE_OBSERVATIONS: usize = 20_000;

const TARGET_LIST: Target = Target {
    percentile: 95.0,
    ms: 20.0,
};
const TARGET_FILTERED_LIST: Target = Target {
    percentile: 95.0,
    ms: 50.0,
};
const TARGET_TRACE: Target = Target {
    percentile: 95.0,
    ms: 10.0,
};
const TARGET_LARGE_TRACE: Target = Target {
    percentile: 95.0,
    ms: 500.0,
};

/// What seeding sends: the small traces, then the two large ones.
pub struct SeedPlan {
    pub traces: Workload,
    pub large: Workload,
    pub seeded: Seeded,
}

/// The seeding workloads for `traces` traces, and what the data directory will remember of them.
pub fn seed_plan(
    traces: usize,
    events_per_request: usize,
    public_key: &str,
    seed: u64,
) -> SeedPlan {
    let now = Utc::now();
    let shape = SeedShape {
        traces,
        traces_per_request: events_per_request,
        public_key: public_key.to_owned(),
        seed,
    };
    let traces_workload = seed::traces_workload(&shape, now);
    let (small, mut requests) = seed::large_trace(
        public_key,
        seed ^ 0x5A11,
        now,
        SMALL_TRACE_OBSERVATIONS,
        events_per_request,
    );
    let (large, large_requests) = seed::large_trace(
        public_key,
        seed ^ 0x1A46E,
        now,
        LARGE_TRACE_OBSERVATIONS,
        events_per_request,
    );
    requests.extend(large_requests);
    SeedPlan {
        traces: traces_workload,
        large: seed::ingestion_workload("seed-large", requests),
        seeded: Seeded {
            scenario: "reads".into(),
            traces,
            seed,
            small_trace: small,
            large_trace: large,
            seeded_at: now.to_rfc3339(),
            seeding: json!(null),
        },
    }
}

/// How many measured requests each query gets.
pub struct Counts {
    pub requests: usize,
    pub large_trace_requests: usize,
}

/// The queries timed against a data set seeded as `seeded` says; values vary from request to
/// request, chosen with `seed`.
pub fn queries(seeded: &Seeded, counts: &Counts, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed);
    let n = counts.requests;
    let traces = "/api/public/traces?limit=50";
    // The seeded traces and the two large ones.
    let total_items = seeded.traces as u64 + 2;
    // Filter values are those of random seeded traces, so every one matches some.
    let mut filtered = |name: &str, key: &'static str, pick: &dyn Fn(&Value) -> String| {
        let values: Vec<String> = (0..n)
            .map(|_| {
                let trace = rng.below(seeded.traces.max(1) as u64) as usize;
                pick(&seed::seeded_trace(seeded.seed, seeded.traces, trace))
            })
            .collect();
        Query {
            name: name.to_owned(),
            target: Some(TARGET_FILTERED_LIST),
            paths: values
                .iter()
                .map(|value| format!("{traces}&{key}={}", encode(value)))
                .collect(),
            check: values
                .into_iter()
                .map(|value| Check::ListWhere { key, value })
                .collect(),
        }
    };
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let by_user = filtered("traces by userId", "userId", &|t| text(&t["userId"]));
    let by_tag = filtered("traces by tags", "tags", &|t| text(&t["tags"][0]));
    let by_name = filtered("traces by name", "name", &|t| text(&t["name"]));
    let list = |name: &str, path: &str| Query {
        name: name.to_owned(),
        target: None,
        paths: vec![path.to_owned(); n],
        check: vec![Check::List { total_items: None }],
    };
    let trace = |name: String, id: &str, observations: usize, target: Target, count: usize| Query {
        name,
        target: Some(target),
        paths: vec![format!("/api/public/traces/{}", encode(id)); count],
        check: vec![Check::Trace { observations }],
    };
    vec![
        Query {
            name: "traces, pages 1-5".to_owned(),
            target: Some(TARGET_LIST),
            paths: (0..n)
                .map(|i| format!("{traces}&page={}", i % 5 + 1))
                .collect(),
            check: vec![Check::List {
                total_items: Some(total_items),
            }],
        },
        by_user,
        by_tag,
        by_name,
        trace(
            format!("trace of {SMALL_TRACE_OBSERVATIONS} observations"),
            &seeded.small_trace,
            SMALL_TRACE_OBSERVATIONS,
            TARGET_TRACE,
            n,
        ),
        trace(
            format!("trace of {LARGE_TRACE_OBSERVATIONS} observations"),
            &seeded.large_trace,
            LARGE_TRACE_OBSERVATIONS,
            TARGET_LARGE_TRACE,
            counts.large_trace_requests,
        ),
        list("observations v1", "/api/public/observations?limit=50"),
        list("observations v2", "/api/public/v2/observations?limit=50"),
        list("sessions", "/api/public/sessions?limit=50"),
        list("scores", "/api/public/scores?limit=50"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> Seeded {
        Seeded {
            scenario: "reads".into(),
            traces: 1_000,
            seed: 1,
            small_trace: "small".into(),
            large_trace: "large".into(),
            seeded_at: String::new(),
            seeding: json!(null),
        }
    }

    #[test]
    fn every_query_varies_its_values_and_checks_each_reply() {
        let counts = Counts {
            requests: 200,
            large_trace_requests: 30,
        };
        let queries = queries(&seeded(), &counts, 9);
        assert_eq!(queries.len(), 10);
        let pages: std::collections::BTreeSet<_> = queries[0].paths.iter().collect();
        assert_eq!(pages.len(), 5);
        assert_eq!(
            queries[0].check,
            [Check::List {
                total_items: Some(1_002)
            }]
        );
        for filtered in &queries[1..4] {
            assert_eq!(filtered.paths.len(), 200);
            assert_eq!(filtered.check.len(), 200);
            let distinct: std::collections::BTreeSet<_> = filtered.paths.iter().collect();
            assert!(distinct.len() >= 15, "{}", filtered.name);
        }
        assert!(queries[1].paths[0].contains("&userId=user-"));
        assert_eq!(queries[5].paths.len(), 30);
        assert_eq!(queries[5].paths[0], "/api/public/traces/large");
        assert!(queries[6..].iter().all(|q| q.target.is_none()));
    }

    #[test]
    fn the_seed_plan_sends_every_trace_and_both_large_ones() {
        let plan = seed_plan(1_000, 500, "pk-lf-test", 3);
        assert_eq!(plan.traces.requests.len(), 2);
        // 1,000 trace-create events and 50 scores.
        assert_eq!(plan.traces.items(), 1_050);
        // 101 events in one request, then 20,001 in 41.
        assert_eq!(plan.large.requests.len(), 42);
        assert_eq!(plan.large.items(), 20_102);
        assert_ne!(plan.seeded.small_trace, plan.seeded.large_trace);
    }
}
