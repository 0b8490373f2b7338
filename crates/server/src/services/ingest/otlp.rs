//! `POST /api/public/otel/v1/traces` (and the gRPC `TraceService/Export`): decode an OTLP export,
//! map its spans to observations and trace data (wire-spec §3), commit them.

use std::borrow::Cow;
use std::io::Read;

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use sightline_domain::ProjectId;

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

/// Gunzips `body` when `content_encoding` says gzip; borrows it otherwise.
pub fn decompress<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
) -> Result<Cow<'a, [u8]>, IngestError> {
    let gzip = content_encoding.is_some_and(|value| value.to_ascii_lowercase().contains("gzip"));
    if !gzip {
        return Ok(Cow::Borrowed(body));
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
    Ok(Cow::Owned(decoded))
}

/// Decompresses (`content_encoding`), decodes, maps and commits one export.
pub async fn ingest_export(
    state: &AppState,
    caller: &ApiCaller,
    encoding: Encoding,
    content_encoding: Option<String>,
    body: Bytes,
    turn: ParseTurn,
) -> Result<usize, IngestError> {
    prepare_rules(state, caller).await?;
    let (mapping, project) = (state.clone(), caller.project_id.clone());
    let (write, size_bytes) = off_the_runtime(move || {
        let body = decompress(content_encoding.as_deref(), &body)?;
        let request = match encoding {
            Encoding::Protobuf => decode_protobuf(&body),
            Encoding::Json => decode_json(&body),
        }
        .map_err(|e| IngestError::Invalid(e.to_string()))?;
        Ok((build_write(&mapping, &project, &request)?, body.len()))
    })
    .await?;
    commit(state, write, size_bytes, turn).await
}

/// Maps and commits a decoded export (gRPC); returns the number of spans. `turn` is given back
/// once the spans are mapped and priced, before the wait for the commit.
pub async fn ingest_request(
    state: &AppState,
    caller: &ApiCaller,
    request: ExportTraceServiceRequest,
    size_bytes: usize,
    turn: ParseTurn,
) -> Result<usize, IngestError> {
    prepare_rules(state, caller).await?;
    let (mapping, project) = (state.clone(), caller.project_id.clone());
    let write = off_the_runtime(move || build_write(&mapping, &project, &request)).await?;
    commit(state, write, size_bytes, turn).await
}

/// The CPU-bound part of a request (decompressing, decoding, mapping, pricing, encoding) runs
/// on Tokio's blocking threads: a long poll on an async worker would delay every task behind
/// it, the ingestion writer's included, and the writer's latency is the ingestion rate.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IngestError::Internal(format!("the ingestion parser failed: {e}")))?
}

/// Loads the project's models before the spans are priced.
async fn prepare_rules(state: &AppState, caller: &ApiCaller) -> Result<(), IngestError> {
    state
        .rules()
        .prepare(state.store().metadata(), [&caller.project_id])
        .await
        .map_err(|e| IngestError::Failed(super::writer::SubmitError::Failed(e)))
}

/// The write of an export: spans mapped to observations, priced and encoded (payloads
/// compressed) here, so that the single writer only binds.
fn build_write(
    state: &AppState,
    project: &ProjectId,
    request: &ExportTraceServiceRequest,
) -> Result<IngestionWrite, IngestError> {
    let now = now_ms();
    let batch = map_export(request, now).map_err(|e| IngestError::Invalid(e.to_string()))?;
    let mut write = IngestionWrite::new(project.clone());
    let rules = state.rules();
    let codec = state.store().events().payload_codec();
    write.encoded_observations = batch
        .observations
        .iter()
        .map(|patch| {
            let mut row = apply_observation_patch(None, patch, patch.start_time.unwrap_or(now));
            rules.enrich(project, &mut row);
            EncodedObservation::new(project, &row, codec)
        })
        .collect();
    write.trace_patches = batch.traces;
    if !batch.experiments.is_empty() {
        write.experiments = crate::services::experiments::experiment_links(&batch.experiments, now);
    }
    Ok(write)
}

/// Gives the turn back and waits for the commit; returns the number of spans.
async fn commit(
    state: &AppState,
    write: IngestionWrite,
    size_bytes: usize,
    turn: ParseTurn,
) -> Result<usize, IngestError> {
    let spans = write.encoded_observations.len();
    drop(turn);
    state
        .writer()
        .submit(write, size_bytes)
        .await
        .map_err(IngestError::from)?;
    Ok(spans)
}
