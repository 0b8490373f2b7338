//! Langfuse's merge rules (wire-spec §2.4). An entity's state is a fold of all its patches in
//! [`EventOrder`]: envelope timestamp, creates before updates, then event id (so that the result
//! never depends on arrival order).
//!
//! - an absent field does not overwrite; an explicit null does (where a field may be null);
//! - immutable fields (trace `timestamp`, `environment`; observation `trace_id`, `start_time`,
//!   `environment`) keep the first value;
//! - metadata is deep-merged; tags are unioned and sorted;
//! - input and output are taken from the latest patch whose value is truthy;
//! - an observation's end time never precedes its start time.
//!
//! Spans from OpenTelemetry are complete observations and are not folded; the trace-level data
//! they carry is applied to the stored trace in arrival order with [`TraceMerge::Span`].

use serde_json::{Map, Value};

use crate::ingest::environment::DEFAULT_ENVIRONMENT;
use crate::ingest::{Field, Level, ObservationPatch, ObservationRow, TracePatch, TraceRow};
use crate::time::Millis;

/// Where a patch sits in the fold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventOrder {
    pub timestamp: Millis,
    /// Creates sort before updates with the same timestamp.
    pub is_update: bool,
    pub event_id: String,
}

/// How a trace patch is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMerge {
    /// A `trace-create` event: `public` is part of every record (absent means false).
    Event,
    /// Trace-level data of an OTel span: the earliest timestamp wins and `public` only turns on.
    Span,
}

/// Folds a trace's patches; `None` when there are none.
pub fn fold_trace(mut patches: Vec<(EventOrder, TracePatch)>) -> Option<TraceRow> {
    patches.sort_by(|a, b| a.0.cmp(&b.0));
    patches.into_iter().fold(None, |row, (order, patch)| {
        Some(apply_trace_patch(
            row,
            &patch,
            order.timestamp,
            TraceMerge::Event,
        ))
    })
}

/// Applies one patch to a trace (or creates it). `envelope_timestamp` stands in for a missing
/// `timestamp`.
pub fn apply_trace_patch(
    row: Option<TraceRow>,
    patch: &TracePatch,
    envelope_timestamp: Millis,
    mode: TraceMerge,
) -> TraceRow {
    let timestamp = patch.timestamp.unwrap_or(envelope_timestamp);
    let mut row = row.unwrap_or_else(|| {
        TraceRow::shallow(
            &patch.id,
            timestamp,
            patch.environment.as_deref().unwrap_or(DEFAULT_ENVIRONMENT),
        )
    });
    if mode == TraceMerge::Span {
        row.timestamp = row.timestamp.min(timestamp);
    }
    overwrite(&mut row.name, &patch.name);
    overwrite(&mut row.user_id, &patch.user_id);
    overwrite(&mut row.session_id, &patch.session_id);
    overwrite(&mut row.release, &patch.release);
    overwrite(&mut row.version, &patch.version);
    row.public = match mode {
        TraceMerge::Event => patch.public.unwrap_or(false),
        TraceMerge::Span => row.public || patch.public.unwrap_or(false),
    };
    if let Some(tags) = &patch.tags {
        row.tags.extend(tags.iter().cloned());
        row.tags.sort();
        row.tags.dedup();
    }
    merge_metadata(&mut row.metadata, patch.metadata.as_ref());
    take_truthy(&mut row.input, patch.input.as_ref());
    take_truthy(&mut row.output, patch.output.as_ref());
    row
}

/// Folds an observation's patches; `None` when there are none. Usage and cost are the reported
/// ones; the caller computes the rest (`crate::cost`).
pub fn fold_observation(
    mut patches: Vec<(EventOrder, ObservationPatch)>,
) -> Option<ObservationRow> {
    patches.sort_by(|a, b| a.0.cmp(&b.0));
    let mut row: Option<ObservationRow> = None;
    for (order, patch) in &patches {
        row = Some(apply_observation_patch(row, patch, order.timestamp));
    }
    row
}

/// Applies one patch to an observation (or creates it).
pub fn apply_observation_patch(
    row: Option<ObservationRow>,
    patch: &ObservationPatch,
    envelope_timestamp: Millis,
) -> ObservationRow {
    let mut row = row.unwrap_or_else(|| {
        ObservationRow::shallow(
            &patch.id,
            // Legacy ingestion: an observation without a trace gets a trace of its own id.
            patch.trace_id.as_deref().unwrap_or(&patch.id),
            patch.r#type,
            patch.start_time.unwrap_or(envelope_timestamp),
            patch.environment.as_deref().unwrap_or(DEFAULT_ENVIRONMENT),
        )
    });
    row.r#type = patch.r#type;
    overwrite(&mut row.name, &patch.name);
    overwrite(&mut row.end_time, &patch.end_time);
    overwrite(&mut row.completion_start_time, &patch.completion_start_time);
    overwrite(&mut row.parent_observation_id, &patch.parent_observation_id);
    if let Some(level) = &patch.level {
        row.level = level.unwrap_or(Level::Default);
    }
    overwrite(&mut row.status_message, &patch.status_message);
    overwrite(&mut row.version, &patch.version);
    overwrite(&mut row.model, &patch.model);
    overwrite(&mut row.model_parameters, &patch.model_parameters);
    merge_metadata(&mut row.metadata, patch.metadata.as_ref());
    take_truthy(&mut row.input, patch.input.as_ref());
    take_truthy(&mut row.output, patch.output.as_ref());
    if let Some(usage) = patch.usage_details.as_ref().filter(|u| !u.is_empty()) {
        row.provided_usage_details = usage.clone();
    }
    if let Some(cost) = patch.cost_details.as_ref().filter(|c| !c.is_empty()) {
        row.provided_cost_details = cost.clone();
    }
    row.usage_details = row.provided_usage_details.clone();
    row.cost_details = row.provided_cost_details.clone();
    if let Some((name, version)) = &patch.prompt {
        row.prompt_name = Some(name.clone());
        row.prompt_version = Some(*version);
    }
    if let Some(end) = row.end_time {
        row.end_time = Some(end.max(row.start_time));
    }
    row
}

fn overwrite<T: Clone>(slot: &mut Option<T>, field: &Field<T>) {
    if let Some(value) = field {
        *slot = value.clone();
    }
}

/// JavaScript truthiness: null, false, 0 and "" are falsy.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Number(number) => number.as_f64() != Some(0.0),
        _ => true,
    }
}

fn take_truthy(slot: &mut Option<Value>, value: Option<&Value>) {
    if let Some(value) = value.filter(|value| is_truthy(value)) {
        *slot = Some(value.clone());
    }
}

/// Metadata as an object: objects stay, anything else is wrapped as `{"metadata": "<json>"}`.
pub fn metadata_object(value: &Value) -> Option<Map<String, Value>> {
    match value {
        Value::Null => None,
        Value::Object(map) => Some(map.clone()),
        Value::String(text) => Some(Map::from_iter([(
            "metadata".to_owned(),
            Value::String(text.clone()),
        )])),
        other => Some(Map::from_iter([(
            "metadata".to_owned(),
            Value::String(other.to_string()),
        )])),
    }
}

fn merge_metadata(target: &mut Map<String, Value>, patch: Option<&Value>) {
    let Some(patch) = patch.and_then(metadata_object) else {
        return;
    };
    for (key, value) in patch {
        match target.get_mut(&key) {
            Some(existing) => deep_merge(existing, &value),
            None => {
                target.insert(key, value);
            }
        }
    }
}

/// lodash `merge`: objects merge key by key, arrays index by index, anything else replaces.
pub fn deep_merge(target: &mut Value, source: &Value) {
    match (target, source) {
        (Value::Object(target), Value::Object(source)) => {
            for (key, value) in source {
                match target.get_mut(key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(target), Value::Array(source)) => {
            for (index, value) in source.iter().enumerate() {
                match target.get_mut(index) {
                    Some(existing) => deep_merge(existing, value),
                    None => target.push(value.clone()),
                }
            }
        }
        (target, source) => *target = source.clone(),
    }
}

/// Langfuse stores every top-level metadata value as a string and parses each on read; the
/// effect a client sees is that string values holding JSON come back parsed (wire-spec §3.8).
pub fn metadata_for_read(metadata: &Map<String, Value>) -> Map<String, Value> {
    metadata
        .iter()
        .map(|(key, value)| {
            let parsed = match value {
                Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
                other => other.clone(),
            };
            (key.clone(), parsed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ObservationType;
    use serde_json::json;

    fn order(timestamp: Millis, is_update: bool, id: &str) -> EventOrder {
        EventOrder {
            timestamp,
            is_update,
            event_id: id.to_owned(),
        }
    }

    fn trace(id: &str) -> TracePatch {
        TracePatch {
            id: id.into(),
            ..TracePatch::default()
        }
    }

    #[test]
    fn later_events_overwrite_and_absent_fields_do_not() {
        let create = TracePatch {
            name: Some(Some("first".into())),
            user_id: Some(Some("u1".into())),
            timestamp: Some(100),
            environment: Some("prod".into()),
            ..trace("t")
        };
        let update = TracePatch {
            name: Some(Some("second".into())),
            timestamp: Some(50),
            environment: Some("dev".into()),
            session_id: Some(None),
            ..trace("t")
        };
        let row = fold_trace(vec![
            (order(20, false, "b"), update),
            (order(10, false, "a"), create),
        ])
        .unwrap();
        assert_eq!(row.name.as_deref(), Some("second"));
        assert_eq!(row.user_id.as_deref(), Some("u1"));
        assert_eq!(row.timestamp, 100, "timestamp is immutable");
        assert_eq!(row.environment, "prod", "environment is immutable");
        assert_eq!(row.session_id, None);
    }

    #[test]
    fn tags_union_metadata_deep_merges_io_needs_truthy() {
        let a = TracePatch {
            tags: Some(vec!["b".into(), "a".into()]),
            metadata: Some(json!({"k": {"x": 1, "arr": [1, 2]}, "keep": true})),
            input: Some(json!({"q": 1})),
            output: Some(json!("answer")),
            ..trace("t")
        };
        let b = TracePatch {
            tags: Some(vec!["c".into(), "a".into()]),
            metadata: Some(json!({"k": {"y": 2, "arr": [9]}})),
            input: Some(json!("")),
            output: Some(Value::Null),
            ..trace("t")
        };
        let row = fold_trace(vec![(order(1, false, "a"), a), (order(2, true, "b"), b)]).unwrap();
        assert_eq!(row.tags, vec!["a", "b", "c"]);
        assert_eq!(
            Value::Object(row.metadata),
            json!({"k": {"x": 1, "y": 2, "arr": [9, 2]}, "keep": true})
        );
        assert_eq!(row.input, Some(json!({"q": 1})));
        assert_eq!(row.output, Some(json!("answer")));
    }

    #[test]
    fn non_object_metadata_is_wrapped() {
        let row = fold_trace(vec![(
            order(1, false, "a"),
            TracePatch {
                metadata: Some(json!([1, 2])),
                ..trace("t")
            },
        )])
        .unwrap();
        assert_eq!(Value::Object(row.metadata), json!({"metadata": "[1,2]"}));
    }

    #[test]
    fn creates_sort_before_updates_at_the_same_timestamp() {
        let create = TracePatch {
            name: Some(Some("create".into())),
            ..trace("t")
        };
        let update = TracePatch {
            name: Some(Some("update".into())),
            ..trace("t")
        };
        let row = fold_trace(vec![
            (order(5, true, "a"), update),
            (order(5, false, "z"), create),
        ])
        .unwrap();
        assert_eq!(row.name.as_deref(), Some("update"));
    }

    #[test]
    fn observation_end_time_is_clamped_and_trace_defaults_to_own_id() {
        let mut create = ObservationPatch::new("o", ObservationType::Span);
        create.start_time = Some(1_000);
        let mut update = ObservationPatch::new("o", ObservationType::Span);
        update.end_time = Some(Some(500));
        update.level = Some(Some(Level::Error));
        let row = fold_observation(vec![
            (order(2, true, "u"), update),
            (order(1, false, "c"), create),
        ])
        .unwrap();
        assert_eq!(row.trace_id, "o");
        assert_eq!(row.end_time, Some(1_000));
        assert_eq!(row.level, Level::Error);
    }

    #[test]
    fn span_merge_keeps_earliest_timestamp_and_public_only_turns_on() {
        let first = TracePatch {
            timestamp: Some(200),
            public: Some(true),
            ..trace("t")
        };
        let second = TracePatch {
            timestamp: Some(100),
            name: Some(Some("n".into())),
            ..trace("t")
        };
        let row = apply_trace_patch(None, &first, 0, TraceMerge::Span);
        let row = apply_trace_patch(Some(row), &second, 0, TraceMerge::Span);
        assert_eq!(
            (row.timestamp, row.public, row.name.as_deref()),
            (100, true, Some("n"))
        );
    }

    #[test]
    fn metadata_strings_holding_json_are_parsed_for_read() {
        let stored = json!({"a": "\"abc\"", "b": "123", "c": "plain", "d": {"x": 1}});
        let read = metadata_for_read(stored.as_object().unwrap());
        assert_eq!(
            Value::Object(read),
            json!({"a": "abc", "b": 123, "c": "plain", "d": {"x": 1}})
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn patch_strategy() -> impl Strategy<Value = (EventOrder, TracePatch)> {
            (
                0i64..5,
                any::<bool>(),
                proptest::option::of(proptest::option::of("[ab]")),
                proptest::option::of(proptest::collection::vec("[xyz]", 0..3)),
                proptest::option::of(prop_oneof![
                    Just(json!({"k": 1})),
                    Just(json!({"k": {"n": 2}})),
                    Just(json!("s"))
                ]),
                proptest::option::of(prop_oneof![
                    Just(json!("")),
                    Just(json!("in")),
                    Just(json!({"q": 1}))
                ]),
                proptest::option::of(any::<bool>()),
            )
                .prop_map(
                    |(timestamp, is_update, name, tags, metadata, input, public)| {
                        (
                            EventOrder {
                                timestamp,
                                is_update,
                                event_id: String::new(),
                            },
                            TracePatch {
                                id: "t".into(),
                                timestamp: Some(timestamp * 10),
                                name,
                                tags,
                                metadata,
                                input,
                                public,
                                ..TracePatch::default()
                            },
                        )
                    },
                )
        }

        proptest! {
            #[test]
            fn any_arrival_order_folds_to_the_same_trace(
                patches in proptest::collection::vec(patch_strategy(), 1..8),
                seed in any::<u64>(),
            ) {
                let patches: Vec<_> = patches
                    .into_iter()
                    .enumerate()
                    .map(|(i, (mut order, patch))| { order.event_id = format!("e{i}"); (order, patch) })
                    .collect();
                let mut shuffled = patches.clone();
                // A deterministic shuffle driven by the seed.
                let mut state = seed;
                for i in (1..shuffled.len()).rev() {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    shuffled.swap(i, (state >> 33) as usize % (i + 1));
                }
                prop_assert_eq!(fold_trace(patches), fold_trace(shuffled));
            }
        }
    }
}
