//! Late events of deleted traces (`features.md` §6.4). Deleting a trace leaves a tombstone with
//! the time of the delete. What a write brings for a tombstoned trace is dropped when it is
//! timestamped at or before that time — an SDK's retry or a late export of what was deleted —
//! so a delete is not undone by the traffic that was in flight. Anything timestamped after the
//! delete creates the trace again, on purpose, with the rest of the write's data for it (the
//! trace-level data of spans, which carries no time of its own, follows). Timestamps are the
//! events' own: a batch event's `timestamp`, an observation's start, a score's timestamp.

use std::collections::{BTreeSet, HashMap, HashSet};

use sightline_domain::time::Millis;
use sightline_store::{Entity, EventWrite, LoggedEvent, StoreResult};

use super::IngestionWrite;

/// The trace a logged event belongs to: its own id, or an observation's `traceId` (else the
/// observation's placeholder trace, named by its id).
fn event_trace(event: &LoggedEvent) -> &str {
    match event.entity {
        Entity::Trace => &event.entity_id,
        _ => event
            .body
            .get("traceId")
            .and_then(|value| value.as_str())
            .unwrap_or(&event.entity_id),
    }
}

/// Drops what the request brings for deleted traces from before their deletion; returns how
/// many items went.
pub(super) async fn drop_deleted(
    write: &mut dyn EventWrite,
    request: &mut IngestionWrite,
) -> StoreResult<usize> {
    let mut traces: BTreeSet<&str> = BTreeSet::new();
    traces.extend(request.events.iter().map(event_trace));
    traces.extend(request.observations.iter().map(|o| o.trace_id.as_str()));
    traces.extend(request.encoded_observations.iter().map(|o| o.trace_id()));
    traces.extend(request.trace_patches.iter().map(|p| p.id.as_str()));
    traces.extend(request.scores.iter().filter_map(|s| s.trace_id.as_deref()));
    if traces.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = traces.into_iter().collect();
    let deleted = write.tombstones(&request.project_id, &ids).await?;
    if deleted.is_empty() {
        return Ok(0);
    }
    let later = |trace: &str, at: Millis| deleted.get(trace).is_some_and(|d| at > *d);
    // Traces this request brings back on purpose: something of it is newer than the delete.
    let mut revived: HashSet<String> = HashSet::new();
    let timed = request
        .events
        .iter()
        .map(|e| (event_trace(e), e.timestamp))
        .chain(
            request
                .observations
                .iter()
                .map(|o| (o.trace_id.as_str(), o.start_time)),
        )
        .chain(
            request
                .encoded_observations
                .iter()
                .map(|o| (o.trace_id(), o.start_time())),
        )
        .chain(
            request
                .trace_patches
                .iter()
                .filter_map(|p| p.timestamp.map(|at| (p.id.as_str(), at))),
        )
        .chain(
            request
                .scores
                .iter()
                .filter_map(|s| s.trace_id.as_deref().map(|t| (t, s.timestamp))),
        );
    for (trace, at) in timed {
        if later(trace, at) {
            revived.insert(trace.to_owned());
        }
    }
    let keep = |deleted: &HashMap<String, Millis>, trace: &str, at: Option<Millis>| match (
        deleted.get(trace),
        at,
    ) {
        (None, _) => true,
        (Some(d), Some(at)) => at > *d,
        (Some(_), None) => revived.contains(trace),
    };
    let before = count(request);
    request
        .events
        .retain(|e| keep(&deleted, event_trace(e), Some(e.timestamp)));
    request
        .observations
        .retain(|o| keep(&deleted, &o.trace_id, Some(o.start_time)));
    request
        .encoded_observations
        .retain(|o| keep(&deleted, o.trace_id(), Some(o.start_time())));
    request
        .trace_patches
        .retain(|p| keep(&deleted, &p.id, p.timestamp));
    request.scores.retain(|s| match &s.trace_id {
        Some(trace) => keep(&deleted, trace, Some(s.timestamp)),
        None => true,
    });
    Ok(before - count(request))
}

fn count(request: &IngestionWrite) -> usize {
    request.events.len()
        + request.observations.len()
        + request.encoded_observations.len()
        + request.trace_patches.len()
        + request.scores.len()
}
