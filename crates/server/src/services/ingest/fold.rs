//! The ingestion fold: turns the writes of a group of requests into final rows and hands them to
//! the event store in one write (wire-spec §2.4 merge rules, applied here and not in the store).
//!
//! Per project of a group:
//! - batch events are logged; every trace and observation they touch is refolded from all of its
//!   logged events, in Langfuse's order (envelope timestamp, creates before updates, event id),
//!   so the result never depends on arrival order or on duplicate deliveries;
//! - OTel spans are complete observations and are stored as they are (priced by the request);
//!   their trace data merges onto the stored trace in arrival order ([`TraceMerge::Span`]);
//! - a trace that has batch events AND span data is folded from both: span data is logged as
//!   [`SPAN_TRACE_EVENT`] events, and the first batch event that meets a trace built from spans
//!   logs the stored trace as one (`span_log`), so a `trace-create` merges with what spans set;
//! - an observation that names no trace gets a placeholder trace of its own id;
//! - scores are stored as they are.
//!
//! What the fold reads (prior rows, logged events) comes through [`EventWrite`], inside the
//! same write, after the entities are locked.

use std::collections::{BTreeSet, HashMap};

use sightline_domain::ProjectId;
use sightline_domain::ingest::batch::{EventKind, parse_body};
use sightline_domain::ingest::merge::{TraceMerge, apply_trace_patch, fold_observation};
use sightline_domain::ingest::span_log::{
    SPAN_TRACE_EVENT, fold_trace_sources, order_at, parse_span_trace_body, span_trace_body,
    trace_row_patch,
};
use sightline_domain::ingest::{ObservationRow, TraceRow};
use sightline_domain::time::Millis;
use sightline_store::{
    Entity, EntityKey, EventRows, EventWrite, EventWriteStore, LoggedEvent, StoreResult,
};

use super::IngestionWrite;
use super::rules::Rules;

/// Folds and stores the writes of a group in one event-store write, as version `version`.
pub async fn commit(
    store: &dyn EventWriteStore,
    rules: &Rules,
    writes: &mut [IngestionWrite],
    version: Millis,
) -> StoreResult<()> {
    let mut write = store.begin_event_write(version).await?;
    write.lock(&entity_keys(writes)).await?;
    for request in writes.iter_mut() {
        let dropped = super::tombstones::drop_deleted(write.as_mut(), request).await?;
        if dropped > 0 {
            tracing::debug!(project = %request.project_id, dropped, "late events of deleted traces dropped");
        }
        let mut rows = fold(write.as_mut(), rules, request, version).await?;
        // The request's spans and scores are stored as they are: moved into the rows for the
        // put and back afterwards (the writer retries a failed group one request at a time),
        // so that no payload is copied.
        let folded = rows.observations.len();
        rows.observations.append(&mut request.observations);
        std::mem::swap(
            &mut rows.encoded_observations,
            &mut request.encoded_observations,
        );
        std::mem::swap(&mut rows.scores, &mut request.scores);
        let stored = if rows.is_empty() {
            Ok(())
        } else {
            write.put(&request.project_id, &rows).await
        };
        request.observations = rows.observations.split_off(folded);
        std::mem::swap(
            &mut rows.encoded_observations,
            &mut request.encoded_observations,
        );
        std::mem::swap(&mut rows.scores, &mut request.scores);
        stored?;
    }
    write.commit().await
}

/// Every entity the writes refold or merge onto, so that no other process folds it meanwhile.
fn entity_keys(writes: &[IngestionWrite]) -> Vec<EntityKey> {
    let mut keys = BTreeSet::new();
    for write in writes {
        let key = |entity, id: &str| EntityKey {
            project: write.project_id.clone(),
            entity,
            id: id.to_owned(),
        };
        for event in &write.events {
            keys.insert(key(event.entity, &event.entity_id));
            if event.entity == Entity::Observation {
                // Its placeholder trace, should it name none.
                keys.insert(key(Entity::Trace, &event.entity_id));
            }
        }
        for patch in &write.trace_patches {
            keys.insert(key(Entity::Trace, &patch.id));
        }
    }
    keys.into_iter().collect()
}

/// The final rows of one request but its spans and scores, which are stored as they are.
async fn fold(
    write: &mut dyn EventWrite,
    rules: &Rules,
    request: &IngestionWrite,
    now: Millis,
) -> StoreResult<EventRows> {
    let project = &request.project_id;
    let mut rows = EventRows::default();

    // Observations of batch events, refolded from all of their events and priced.
    let observation_events: Vec<&LoggedEvent> = request
        .events
        .iter()
        .filter(|event| event.entity == Entity::Observation)
        .collect();
    if !observation_events.is_empty() {
        let ids = distinct_ids(&observation_events);
        let logged = write
            .logged_events(project, Entity::Observation, &ids)
            .await?;
        let all = with_new_events(logged, &observation_events);
        for id in &ids {
            let events = all.get(*id).map(Vec::as_slice).unwrap_or_default();
            if let Some(mut row) = fold_observation_events(events) {
                rules.enrich(project, &mut row);
                rows.observations.push(row);
            }
        }
    }

    // Traces: refolded where they have batch events, merged with span data otherwise.
    let trace_events: Vec<&LoggedEvent> = request
        .events
        .iter()
        .filter(|event| event.entity == Entity::Trace)
        .collect();
    let batch_ids: BTreeSet<&str> = distinct_ids(&trace_events).into_iter().collect();
    let span_ids: BTreeSet<&str> = request
        .trace_patches
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    let orphan_ids: BTreeSet<&str> = rows
        .observations
        .iter()
        .filter(|row| row.trace_id == row.id)
        .map(|row| row.id.as_str())
        .collect();
    let ids: Vec<&str> = batch_ids
        .iter()
        .chain(&span_ids)
        .chain(&orphan_ids)
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        if !request.events.is_empty() {
            write.append_events(project, &request.events).await?;
        }
        return Ok(rows);
    }
    let mut prior: HashMap<String, TraceRow> = write
        .traces(project, &ids)
        .await?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let folded_ids: Vec<&str> = batch_ids.iter().chain(&span_ids).copied().collect();
    let logged = if folded_ids.is_empty() {
        HashMap::new()
    } else {
        write
            .logged_events(project, Entity::Trace, &folded_ids)
            .await?
    };

    // Events to log beyond the request's own: span data of traces that are folded from events,
    // and the stored trace of one built from spans that meets its first batch event.
    let mut extra: Vec<LoggedEvent> = Vec::new();
    for id in &batch_ids {
        if !logged.contains_key(*id)
            && let Some(stored) = prior.get(*id)
        {
            extra.push(span_event(
                &trace_row_patch(stored),
                stored.timestamp,
                unique_event_id("snapshot"),
            ));
        }
    }
    for patch in &request.trace_patches {
        if batch_ids.contains(patch.id.as_str()) || logged.contains_key(&patch.id) {
            extra.push(span_event(
                patch,
                patch.timestamp.unwrap_or(now),
                unique_event_id("span"),
            ));
        }
    }
    for events in [&request.events, &extra] {
        if !events.is_empty() {
            write.append_events(project, events).await?;
        }
    }

    let mut new_trace_events: Vec<&LoggedEvent> = trace_events;
    new_trace_events.extend(extra.iter());
    let all = with_new_events(logged, &new_trace_events);
    let mut merged: Vec<TraceRow> = Vec::new();
    for (id, events) in &all {
        if let Some(row) = fold_trace_events(events) {
            prior.remove(id);
            merged.push(row);
        }
    }
    // Span data of traces without logged events, onto the stored trace in arrival order.
    let mut spans_only: HashMap<&str, TraceRow> = HashMap::new();
    for patch in &request.trace_patches {
        if all.contains_key(&patch.id) {
            continue;
        }
        let current = spans_only
            .remove(patch.id.as_str())
            .or_else(|| prior.remove(&patch.id));
        let timestamp = patch.timestamp.unwrap_or(now);
        let row = apply_trace_patch(current, patch, timestamp, TraceMerge::Span);
        spans_only.insert(patch.id.as_str(), row);
    }
    merged.extend(spans_only.into_values());
    let merged_ids: BTreeSet<String> = merged.iter().map(|row| row.id.clone()).collect();
    for row in &rows.observations {
        if row.trace_id == row.id && !merged_ids.contains(&row.id) && !prior.contains_key(&row.id) {
            rows.placeholder_traces.push(TraceRow::shallow(
                &row.id,
                row.start_time,
                &row.environment,
            ));
        }
    }
    rows.traces = merged;
    Ok(rows)
}

/// An id for an event the fold logs itself: never one a client sends (those are free text, but
/// this prefix plus a random UUID does not collide in practice), unique across replicas.
fn unique_event_id(kind: &str) -> String {
    format!("sightline-{kind}-{}", uuid::Uuid::new_v4())
}

fn distinct_ids<'a>(events: &[&'a LoggedEvent]) -> Vec<&'a str> {
    let ids: BTreeSet<&str> = events.iter().map(|e| e.entity_id.as_str()).collect();
    ids.into_iter().collect()
}

/// The logged events of each entity plus the new ones not logged before (an event id already
/// logged keeps its first body, as the store's log does).
fn with_new_events(
    mut logged: HashMap<String, Vec<LoggedEvent>>,
    new: &[&LoggedEvent],
) -> HashMap<String, Vec<LoggedEvent>> {
    for event in new {
        let events = logged.entry(event.entity_id.clone()).or_default();
        if !events.iter().any(|e| e.event_id == event.event_id) {
            events.push((*event).clone());
        }
    }
    logged
}

fn span_event(
    patch: &sightline_domain::ingest::TracePatch,
    timestamp: Millis,
    event_id: String,
) -> LoggedEvent {
    LoggedEvent {
        entity: Entity::Trace,
        entity_id: patch.id.clone(),
        event_id,
        event_type: SPAN_TRACE_EVENT.to_owned(),
        timestamp,
        body: span_trace_body(patch),
    }
}

/// Folds a trace's logged events: batch `trace-create`s and logged span data.
fn fold_trace_events(events: &[LoggedEvent]) -> Option<TraceRow> {
    let patches = events
        .iter()
        .filter_map(|event| {
            let order = order_at(event.timestamp, false, &event.event_id);
            if event.event_type == SPAN_TRACE_EVENT {
                let patch = parse_span_trace_body(&event.body).ok().flatten()?;
                return Some((order, patch, TraceMerge::Span));
            }
            match parse_body(&event.event_type, &event.body, event.timestamp) {
                Ok(EventKind::Trace(patch)) => Some((order, patch, TraceMerge::Event)),
                _ => None,
            }
        })
        .collect();
    fold_trace_sources(patches)
}

/// Folds an observation's logged events.
fn fold_observation_events(events: &[LoggedEvent]) -> Option<ObservationRow> {
    let patches = events
        .iter()
        .filter_map(
            |event| match parse_body(&event.event_type, &event.body, event.timestamp) {
                Ok(EventKind::Observation { patch, is_update }) => {
                    Some((order_at(event.timestamp, is_update, &event.event_id), patch))
                }
                _ => None,
            },
        )
        .collect();
    fold_observation(patches)
}

/// The projects of a group, for loading their models before the fold prices observations.
pub fn projects(writes: &[IngestionWrite]) -> Vec<&ProjectId> {
    let set: BTreeSet<&ProjectId> = writes.iter().map(|w| &w.project_id).collect();
    set.into_iter().collect()
}
