//! Trace-level data of OTel spans as logged events. A trace that has batch events is a fold of
//! its logged events (wire-spec §2.4); when OTel spans also describe it, their trace data must
//! take part in that fold, or a later `trace-create` would overwrite it. So the ingestion fold
//! logs such span data as events of type [`SPAN_TRACE_EVENT`] (folded with
//! [`TraceMerge::Span`]), and, the first time a batch event meets a trace that spans built, logs
//! the stored trace itself as one such event.

use serde_json::{Map, Value};

use crate::ingest::batch::TraceBody;
use crate::ingest::merge::{EventOrder, TraceMerge, apply_trace_patch};
use crate::ingest::{Field, TracePatch, TraceRow};
use crate::time::{Millis, to_iso};

/// The event type of logged span trace data. Never sent by clients: batch parsing rejects it.
pub const SPAN_TRACE_EVENT: &str = "sightline-span-trace";

/// A span's trace patch as the body of a [`SPAN_TRACE_EVENT`] (a `trace-create` body).
pub fn span_trace_body(patch: &TracePatch) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), Value::String(patch.id.clone()));
    if let Some(timestamp) = patch.timestamp {
        body.insert("timestamp".into(), Value::String(to_iso(timestamp)));
    }
    if let Some(environment) = &patch.environment {
        body.insert("environment".into(), Value::String(environment.clone()));
    }
    for (key, field) in [
        ("name", &patch.name),
        ("userId", &patch.user_id),
        ("sessionId", &patch.session_id),
        ("release", &patch.release),
        ("version", &patch.version),
    ] {
        insert_field(&mut body, key, field);
    }
    if let Some(public) = patch.public {
        body.insert("public".into(), Value::Bool(public));
    }
    if let Some(tags) = &patch.tags {
        body.insert(
            "tags".into(),
            tags.iter().cloned().map(Value::String).collect(),
        );
    }
    for (key, value) in [
        ("metadata", &patch.metadata),
        ("input", &patch.input),
        ("output", &patch.output),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), value.clone());
        }
    }
    Value::Object(body)
}

fn insert_field(body: &mut Map<String, Value>, key: &str, field: &Field<String>) {
    match field {
        None => {}
        Some(None) => {
            body.insert(key.into(), Value::Null);
        }
        Some(Some(value)) => {
            body.insert(key.into(), Value::String(value.clone()));
        }
    }
}

/// A stored trace as a span patch that rebuilds it: logged before a trace built from spans
/// meets its first batch event.
pub fn trace_row_patch(row: &TraceRow) -> TracePatch {
    let set = |value: &Option<String>| value.clone().map(Some);
    TracePatch {
        id: row.id.clone(),
        timestamp: Some(row.timestamp),
        environment: Some(row.environment.clone()),
        name: set(&row.name),
        user_id: set(&row.user_id),
        session_id: set(&row.session_id),
        release: set(&row.release),
        version: set(&row.version),
        public: Some(row.public),
        tags: Some(row.tags.clone()),
        metadata: Some(Value::Object(row.metadata.clone())),
        input: row.input.clone(),
        output: row.output.clone(),
    }
}

/// Reads back a [`SPAN_TRACE_EVENT`] body.
pub fn parse_span_trace_body(body: &Value) -> Result<Option<TracePatch>, String> {
    let parsed: TraceBody = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    parsed.into_patch()
}

/// Folds a trace's patches, each applied the way its source asks (batch events with
/// [`TraceMerge::Event`], span data with [`TraceMerge::Span`]); `None` when there are none.
pub fn fold_trace_sources(
    mut patches: Vec<(EventOrder, TracePatch, TraceMerge)>,
) -> Option<TraceRow> {
    patches.sort_by(|a, b| a.0.cmp(&b.0));
    patches.into_iter().fold(None, |row, (order, patch, mode)| {
        Some(apply_trace_patch(row, &patch, order.timestamp, mode))
    })
}

/// The order of a logged event in the fold.
pub fn order_at(timestamp: Millis, is_update: bool, event_id: &str) -> EventOrder {
    EventOrder {
        timestamp,
        is_update,
        event_id: event_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ingest::merge::fold_trace;

    fn span_patch() -> TracePatch {
        TracePatch {
            id: "t".into(),
            timestamp: Some(1_000),
            environment: Some("production".into()),
            name: Some(Some("from-span".into())),
            user_id: Some(Some("u".into())),
            session_id: Some(None),
            public: Some(true),
            tags: Some(vec!["span".into()]),
            metadata: Some(json!({"a": 1})),
            input: Some(json!({"q": 1})),
            ..TracePatch::default()
        }
    }

    #[test]
    fn a_span_patch_survives_its_body() {
        let patch = span_patch();
        let back = parse_span_trace_body(&span_trace_body(&patch))
            .unwrap()
            .unwrap();
        assert_eq!(back, patch);
    }

    #[test]
    fn a_stored_trace_rebuilds_itself() {
        let row = fold_trace(vec![(order_at(1_000, false, "e"), span_patch())]).unwrap();
        let rebuilt = fold_trace_sources(vec![(
            order_at(row.timestamp, false, "snapshot"),
            trace_row_patch(&row),
            TraceMerge::Span,
        )])
        .unwrap();
        assert_eq!(rebuilt, row);
    }

    #[test]
    fn a_later_trace_create_keeps_the_fields_it_does_not_set() {
        let create = TracePatch {
            id: "t".into(),
            name: Some(Some("from-batch".into())),
            tags: Some(vec!["batch".into()]),
            ..TracePatch::default()
        };
        let row = fold_trace_sources(vec![
            (order_at(2_000, false, "b"), create, TraceMerge::Event),
            (order_at(1_000, false, "s"), span_patch(), TraceMerge::Span),
        ])
        .unwrap();
        assert_eq!(row.name.as_deref(), Some("from-batch"));
        assert_eq!(row.user_id.as_deref(), Some("u"));
        assert_eq!(row.input, Some(json!({"q": 1})));
        assert_eq!(row.tags, vec!["batch".to_owned(), "span".to_owned()]);
        assert_eq!(row.timestamp, 1_000);
        assert_eq!(row.environment, "production");
    }
}
