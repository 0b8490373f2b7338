//! OTLP over gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, authenticated
//! like the HTTP API (`authorization: Basic base64(pk:sk)` metadata) and committed by the same
//! service function as `POST /api/public/otel/v1/traces`. Plaintext HTTP/2; gzip accepted.

use std::future::Future;
use std::time::Instant;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use tracing::Span;

use crate::auth::{ApiCaller, authenticate_project, record_caller};
use crate::error::ApiError;
use crate::handlers::otel::OTLP_BODY_LIMIT;
use crate::services::ingest::IngestError;
use crate::services::ingest::otlp::ingest_request;
use crate::services::ingest::writer::SubmitError;
use crate::state::AppState;

/// Serves the OTLP trace service on `listener` until `shutdown` resolves, then lets in-flight
/// exports finish.
pub async fn serve_grpc(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let service = TraceServiceServer::new(OtlpTraceService { state })
        .accept_compressed(CompressionEncoding::Gzip)
        // Bounds the message both as sent and after decompression.
        .max_decoding_message_size(OTLP_BODY_LIMIT);
    Server::builder()
        .trace_fn(request_span)
        .serve_with_incoming_shutdown(
            service,
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}

/// The same span as an HTTP request's; the route is the gRPC method's path.
fn request_span(request: &axum::http::Request<()>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = "POST",
        route = request.uri().path(),
        request_id,
        project.id = tracing::field::Empty,
    )
}

struct OtlpTraceService {
    state: AppState,
}

#[tonic::async_trait]
impl TraceService for OtlpTraceService {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let started = Instant::now();
        let result = self.export_request(request).await;
        let code = match &result {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        tracing::info!(
            grpc.code = ?code,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
        result
    }
}

impl OtlpTraceService {
    async fn export_request(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        record_caller(&caller);
        // tonic has decoded the message (bounded by its size limit); the turn bounds the rest.
        let turn = self
            .state
            .parse_turns()
            .take()
            .await
            .map_err(ingest_status)?;
        let request = request.into_inner();
        let size = request.encoded_len();
        let spans = ingest_request(&self.state, &caller, request, size, turn)
            .await
            .map_err(ingest_status)?;
        tracing::debug!(spans, "OTLP export committed");
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }

    async fn authenticate<T>(&self, request: &Request<T>) -> Result<ApiCaller, Status> {
        let header = request
            .metadata()
            .as_ref()
            .get(axum::http::header::AUTHORIZATION);
        authenticate_project(&self.state, header)
            .await
            .map_err(|error| match error {
                ApiError::Unauthorized(message) => Status::unauthenticated(message),
                ApiError::Forbidden(message) => Status::permission_denied(message),
                ApiError::ServiceUnavailable(message) => Status::unavailable(message),
                other => internal(&other),
            })
    }
}

fn ingest_status(error: IngestError) -> Status {
    match error {
        IngestError::Invalid(message) => Status::invalid_argument(message),
        // OTLP exporters retry UNAVAILABLE with backoff.
        IngestError::Busy => Status::unavailable("Ingestion queue is full, retry later"),
        IngestError::Failed(SubmitError::Failed(error)) if error.is_unavailable() => {
            tracing::warn!(%error, "database unavailable");
            Status::unavailable("Database unavailable, retry later")
        }
        IngestError::Failed(error) => internal(&error),
        other @ IngestError::Internal(_) => internal(&other),
    }
}

/// Logs the cause once and answers a generic message, as the HTTP error policy does.
fn internal(cause: &dyn std::error::Error) -> Status {
    tracing::error!(error = %cause, "request failed");
    Status::internal("Internal Server Error")
}
