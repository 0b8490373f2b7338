//! `POST /api/public/otel/v1/traces` (and the gRPC `TraceService/Export`): decode an OTLP export,
//! map its spans to observations and trace data (wire-spec §3), commit them.

use std::io::Read;

use super::{IngestError, IngestionWrite, ParseTurn};
use crate::auth::ApiCaller;
use crate::state::AppState;
use sightline_domain::ingest::merge::apply_observation_patch;
use sightline_domain::otel::{decode_json, decode_protobuf, map_export};
use sightline_domain::time::now_ms;
use sightline_store::EncodedObservation;

/// Largest OTLP body after decompression.
pub const MAX_DECOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// Langfuse accepts a content type that contains either name, case-insensitively.
    pub fn from_content_type(content_type: Option<&str>) -> Option<Encoding> {
        let content_type = content_type?.to_ascii_lowercase();
        if content_type.contains("application/x-protobuf") {
            Some(Encoding::Protobuf)
        } else if content_type.contains("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }
}

/// Gunzips `body` when `content_encoding` says gzip.
pub fn decompress(content_encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, IngestError> {
    let gzip = content_encoding.is_some_and(|value| value.to_ascii_lowercase().contains("gzip"));
    if !gzip {
        return Ok(body.to_vec());
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_DECOMPRESSED_BYTES + 1)
        .read_to_end(&mut decoded)
        .map_err(|_| IngestError::Invalid("Failed to decompress request body".into()))?;
    if decoded.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(IngestError::Invalid(
            "Decompressed request body is too large".into(),
        ));
    }
    Ok(decoded)
}

/// Decodes, maps and commits one export. `body` is already decompressed.
pub async fn ingest_export(
    state: &AppState,
    caller: &ApiCaller,
    encoding: Encoding,
    body: &[u8],
    turn: ParseTurn,
) -> Result<usize, IngestError> {
    let request = match encoding {
        Encoding::Protobuf => decode_protobuf(body),
        Encoding::Json => decode_json(body),
    }
    .map_err(|e| IngestError::Invalid(e.to_string()))?;
    ingest_request(state, caller, &request, body.len(), turn).await
}

/// Maps and commits a decoded export; returns the number of spans. `turn` is given back once
/// the spans are mapped and priced, before the wait for the commit.
pub async fn ingest_request(
    state: &AppState,
    caller: &ApiCaller,
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
    size_bytes: usize,
    turn: ParseTurn,
) -> Result<usize, IngestError> {
    let now = now_ms();
    let batch = map_export(request, now).map_err(|e| IngestError::Invalid(e.to_string()))?;
    let spans = batch.observations.len();
    let mut write = IngestionWrite::new(caller.project_id.clone());
    // Priced here, in the request's task, so that the single writer only writes.
    let rules = state.rules();
    rules
        .prepare(state.store().metadata(), [&caller.project_id])
        .await
        .map_err(|e| IngestError::Failed(super::writer::SubmitError::Failed(e)))?;
    // Encoded here too (payloads compressed), so that the single writer only binds.
    let codec = state.store().events().payload_codec();
    write.encoded_observations = batch
        .observations
        .iter()
        .map(|patch| {
            let mut row = apply_observation_patch(None, patch, patch.start_time.unwrap_or(now));
            rules.enrich(&caller.project_id, &mut row);
            EncodedObservation::new(&caller.project_id, &row, codec)
        })
        .collect();
    write.trace_patches = batch.traces;
    if !batch.experiments.is_empty() {
        write.experiments = crate::services::experiments::experiment_links(&batch.experiments, now);
    }
    drop(turn);
    state
        .writer()
        .submit(write, size_bytes)
        .await
        .map_err(IngestError::from)?;
    Ok(spans)
}
