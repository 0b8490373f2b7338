//! OpenTelemetry ingestion (wire-spec §3): OTLP trace export decoding and the span → observation
//! and trace patch mapping.
//!
//! [`decode_protobuf`] and [`decode_json`] turn a request body into an
//! [`ExportTraceServiceRequest`], rejecting the whole export the way Langfuse does when a span
//! lacks its ids. [`map_export`] turns every span into one [`ObservationPatch`] (a complete
//! observation: every field is set, to a value or to null) and one [`TracePatch`] carrying only
//! the trace-level fields that span mentions, so the caller's merge keeps earlier values.
//!
//! Value conventions: input and output attributes holding JSON text (what the Langfuse SDKs send)
//! become JSON values; plain strings stay strings. Metadata values are kept as sent, since
//! Langfuse (and Sightline's read path) parse metadata strings holding JSON on read (§3.8).
//!
//! Nothing here does I/O.

mod attributes;
mod decode;
mod experiment;
mod generation;
mod io;
mod json;
mod kind;
mod metadata;
mod span;
mod usage;

#[cfg(test)]
mod tests;

pub use decode::{decode_json, decode_protobuf};
pub use experiment::ExperimentAttributes;
pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
pub use usage::{normalize_cost_details, normalize_usage_details};

use std::collections::HashMap;

use crate::ingest::{ObservationPatch, TracePatch};
use crate::time::Millis;

/// Why an OTLP export was rejected. The messages are Langfuse's, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtelError {
    #[error("Failed to parse OTel Protobuf Trace")]
    Protobuf,
    #[error("Failed to parse OTel JSON Trace")]
    Json,
    /// Spans without ids, or OTLP lists that are not lists: the whole export is rejected.
    #[error("{0}")]
    InvalidExport(String),
}

/// What one export says: one observation and one trace patch per span, in span order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OtelBatch {
    pub observations: Vec<ObservationPatch>,
    pub traces: Vec<TracePatch>,
    /// The experiment attributes (§7.4) of the spans that carry any.
    pub experiments: Vec<SpanExperiment>,
}

/// The experiment attributes one span carries.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanExperiment {
    pub observation_id: String,
    pub trace_id: String,
    pub attributes: ExperimentAttributes,
}

/// Maps every span of an export. `now` stands in for spans that carry no timestamp at all.
pub fn map_export(
    request: &ExportTraceServiceRequest,
    now: Millis,
) -> Result<OtelBatch, OtelError> {
    decode::validate_ids(request)?;
    let mut batch = OtelBatch::default();
    let mut roots = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = attributes::flatten(
            resource_spans
                .resource
                .as_ref()
                .map(|resource| resource.attributes.as_slice())
                .unwrap_or_default(),
        );
        for scope_spans in &resource_spans.scope_spans {
            let scope = span::Scope::new(scope_spans.scope.as_ref());
            for otel_span in &scope_spans.spans {
                let mapped = span::map_span(otel_span, &resource, &scope, now);
                if let Some(attributes) = mapped.experiment {
                    batch.experiments.push(SpanExperiment {
                        observation_id: mapped.observation.id.clone(),
                        trace_id: mapped.trace.id.clone(),
                        attributes,
                    });
                }
                batch.observations.push(mapped.observation);
                batch.traces.push(mapped.trace);
                roots.push(mapped.is_root);
            }
        }
    }
    share_trace_environments(&mut batch.traces, &roots);
    Ok(batch)
}

/// Gives every trace patch of a trace the environment its spans in this export name: a root
/// span's first, else the first span's (in span order) that names one. `roots[i]` says whether
/// `traces[i]` comes from a root span. Patches of a trace no span names one for stay without.
///
/// A trace's environment is immutable: its first patch fixes it, and a patch without one fixes
/// `default`. Spans arrive children first (they end first), and often only the root or only the
/// spans an SDK creates carry `langfuse.environment`; without this the trace would keep
/// whatever its first child said, `default` if nothing. Langfuse likewise drops a span's bare
/// trace event when the batch holds a full one for that trace. Observations keep their own
/// span's environment.
fn share_trace_environments(traces: &mut [TracePatch], roots: &[bool]) {
    let mut chosen: HashMap<String, (bool, String)> = HashMap::new();
    for (trace, &is_root) in traces.iter().zip(roots) {
        let Some(environment) = &trace.environment else {
            continue;
        };
        match chosen.get_mut(&trace.id) {
            None => {
                chosen.insert(trace.id.clone(), (is_root, environment.clone()));
            }
            Some(current) if is_root && !current.0 => *current = (true, environment.clone()),
            Some(_) => {}
        }
    }
    for trace in traces.iter_mut() {
        if let Some((_, environment)) = chosen.get(&trace.id) {
            trace.environment = Some(environment.clone());
        }
    }
}
