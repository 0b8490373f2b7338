//! Request bodies to [`ExportTraceServiceRequest`] (wire-spec §3.1), and the whole-batch
//! rejection Langfuse applies when a span cannot be processed.

use prost::Message;

use super::{ExportTraceServiceRequest, OtelError, json};

/// Decodes an `application/x-protobuf` body.
pub fn decode_protobuf(body: &[u8]) -> Result<ExportTraceServiceRequest, OtelError> {
    let request = ExportTraceServiceRequest::decode(body).map_err(|_| OtelError::Protobuf)?;
    validate_ids(&request)?;
    Ok(request)
}

/// Decodes an `application/json` body (OTLP/JSON as the JavaScript exporter writes it: hex ids,
/// 64-bit integers as strings or numbers, `{"stringValue": …}` attribute values).
pub fn decode_json(body: &[u8]) -> Result<ExportTraceServiceRequest, OtelError> {
    let root: serde_json::Value = serde_json::from_slice(body).map_err(|_| OtelError::Json)?;
    json::request_from_value(&root)
}

/// Rejects the export when any span lacks its trace or span id.
pub(super) fn validate_ids(request: &ExportTraceServiceRequest) -> Result<(), OtelError> {
    let mut rejection = Rejection::default();
    for resource_spans in &request.resource_spans {
        for scope_spans in &resource_spans.scope_spans {
            let scope_name = scope_spans
                .scope
                .as_ref()
                .map(|scope| scope.name.as_str())
                .unwrap_or_default();
            for span in &scope_spans.spans {
                let mut reasons = Vec::new();
                if span.trace_id.is_empty() {
                    reasons.push("traceId:absent");
                }
                if span.span_id.is_empty() {
                    reasons.push("spanId:absent");
                }
                rejection.span(&reasons, scope_name);
            }
        }
    }
    rejection.into_result()
}

const MAX_SCOPE_SAMPLES: usize = 5;

/// What makes an export unprocessable, counted the way Langfuse reports it.
#[derive(Debug, Default)]
pub(super) struct Rejection {
    total_spans: usize,
    invalid_spans: usize,
    malformed_collections: usize,
    /// `<field>:<reason>` in first-seen order.
    reasons: Vec<&'static str>,
    scope_names: Vec<String>,
}

impl Rejection {
    /// Counts one span; it is invalid when `reasons` is not empty.
    pub(super) fn span(&mut self, reasons: &[&'static str], scope_name: &str) {
        self.total_spans += 1;
        if reasons.is_empty() {
            return;
        }
        self.invalid_spans += 1;
        for reason in reasons {
            self.reason(reason);
        }
        self.sample_scope(scope_name);
    }

    /// A resource- or scope-level list that is present but not a list.
    pub(super) fn malformed_collection(&mut self, reason: &'static str, scope_name: &str) {
        self.malformed_collections += 1;
        self.reason(reason);
        self.sample_scope(scope_name);
    }

    fn reason(&mut self, reason: &'static str) {
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }

    fn sample_scope(&mut self, scope_name: &str) {
        let known = self.scope_names.iter().any(|name| name == scope_name);
        if !scope_name.is_empty() && !known && self.scope_names.len() < MAX_SCOPE_SAMPLES {
            self.scope_names.push(scope_name.to_owned());
        }
    }

    pub(super) fn into_result(self) -> Result<(), OtelError> {
        if self.invalid_spans == 0 && self.malformed_collections == 0 {
            return Ok(());
        }
        let mut problems = Vec::new();
        if self.invalid_spans > 0 {
            problems.push(format!(
                "{} of {} span(s) cannot be processed",
                self.invalid_spans, self.total_spans
            ));
        }
        if self.malformed_collections > 0 {
            problems.push(format!(
                "{} resource- or scope-level field(s) are present but not arrays",
                self.malformed_collections
            ));
        }
        let mut hints = Vec::new();
        let has_reason = |suffix: &str| self.reasons.iter().any(|r| r.ends_with(suffix));
        if has_reason(":absent") || has_reason(":not_an_id") {
            hints.push(
                "traceId and spanId are required on every span, and each must be a string or a \
                 byte array.",
            );
        }
        if has_reason(":not_an_array") {
            hints.push(
                "scopeSpans, spans, attributes and events must all be arrays — OTLP attributes \
                 are a list of {key, value} entries, not a JSON object.",
            );
        }
        let scopes = if self.scope_names.is_empty() {
            "unknown".to_owned()
        } else {
            self.scope_names.join(", ")
        };
        Err(OtelError::InvalidExport(format!(
            "Invalid OTLP trace export: {} ({}). {} The entire export was rejected and no spans \
             were ingested. Instrumentation scopes: {scopes}. This endpoint accepts \
             OpenTelemetry traces only — if you are exporting OpenTelemetry logs, point your log \
             exporter elsewhere.",
            problems.join("; "),
            self.reasons.join(", "),
            hints.join(" "),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rejection_message_names_counts_reasons_and_scopes() {
        let mut rejection = Rejection::default();
        rejection.span(&[], "langfuse-sdk");
        rejection.span(&["traceId:absent", "spanId:absent"], "my-logger");
        let Err(OtelError::InvalidExport(message)) = rejection.into_result() else {
            panic!("expected a rejection");
        };
        assert_eq!(
            message,
            "Invalid OTLP trace export: 1 of 2 span(s) cannot be processed (traceId:absent, \
             spanId:absent). traceId and spanId are required on every span, and each must be a \
             string or a byte array. The entire export was rejected and no spans were ingested. \
             Instrumentation scopes: my-logger. This endpoint accepts OpenTelemetry traces only — \
             if you are exporting OpenTelemetry logs, point your log exporter elsewhere."
        );
    }

    #[test]
    fn malformed_lists_are_reported_separately() {
        let mut rejection = Rejection::default();
        rejection.malformed_collection("spans:not_an_array", "");
        let Err(OtelError::InvalidExport(message)) = rejection.into_result() else {
            panic!("expected a rejection");
        };
        assert!(message.starts_with(
            "Invalid OTLP trace export: 1 resource- or scope-level field(s) are present but not \
             arrays (spans:not_an_array). scopeSpans, spans, attributes and events must all be \
             arrays"
        ));
        assert!(message.contains("Instrumentation scopes: unknown."));
    }

    #[test]
    fn nothing_wrong_is_accepted() {
        let mut rejection = Rejection::default();
        rejection.span(&[], "x");
        assert_eq!(rejection.into_result(), Ok(()));
    }
}
