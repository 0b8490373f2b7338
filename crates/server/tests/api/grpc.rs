//! OTLP over gRPC: a real tonic client exports to `serve_grpc` on a loopback port, on SQLite and
//! PostgreSQL; what it stored is read back from the store, and failures are gRPC statuses.

use std::net::SocketAddr;

use crate::support::{TestApp, basic};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{Level, ObservationType};
use sightline_server::AppState;
use sightline_server::grpc::serve_grpc;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic::{Code, Status};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROOT_ID: &str = "00f067aa0ba902b7";
const CHILD_ID: &str = "b7ad6b7169203331";
const START_NS: u64 = 1_704_067_200_123_456_789; // 2024-01-01T00:00:00.123Z
const BAD_CREDENTIALS: &str =
    "Invalid credentials. Confirm that you've configured the correct host.";

/// `serve_grpc` on a free loopback port, stopped by [`GrpcServer::stop`].
struct GrpcServer {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl GrpcServer {
    async fn start(state: AppState) -> GrpcServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_grpc(listener, state, async {
            let _ = stopped.await;
        }));
        GrpcServer {
            address,
            stop,
            task,
        }
    }

    async fn client(&self) -> TraceServiceClient<Channel> {
        TraceServiceClient::connect(format!("http://{}", self.address))
            .await
            .unwrap()
    }

    /// Requests a graceful shutdown and waits for the server to return.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn export(
    body: ExportTraceServiceRequest,
    authorization: Option<&str>,
) -> tonic::Request<ExportTraceServiceRequest> {
    let mut request = tonic::Request::new(body);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    request
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Any::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Any::IntValue(value)),
        }),
        ..Default::default()
    }
}

fn strings(key: &str, values: &[&str]) -> KeyValue {
    let values = values
        .iter()
        .map(|value| AnyValue {
            value: Some(Any::StringValue((*value).into())),
        })
        .collect();
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Any::ArrayValue(ArrayValue { values })),
        }),
        ..Default::default()
    }
}

fn id_bytes(hex_id: &str) -> Vec<u8> {
    (0..hex_id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex_id[i..i + 2], 16).unwrap())
        .collect()
}

fn span(id: &str, parent: Option<&str>, name: &str, offsets_ms: (u64, u64)) -> Span {
    Span {
        trace_id: id_bytes(TRACE_ID),
        span_id: id_bytes(id),
        parent_span_id: parent.map(id_bytes).unwrap_or_default(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: START_NS + offsets_ms.0 * 1_000_000,
        end_time_unix_nano: START_NS + offsets_ms.1 * 1_000_000,
        ..Default::default()
    }
}

fn one_scope(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "support-bot"),
                    text("telemetry.sdk.language", "python"),
                    text("langfuse.environment", "production"),
                    text("langfuse.release", "v1.2.3"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "langfuse-sdk".into(),
                    version: "5.0.4".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A trace as the Langfuse Python SDK exports it: a root span with trace attributes and a child
/// generation with model, usage, cost and level.
fn python_sdk_export() -> ExportTraceServiceRequest {
    let mut root = span(ROOT_ID, None, "support-chat", (0, 2_000));
    root.attributes = vec![
        text("user.id", "user-42"),
        text("session.id", "session-7"),
        text("langfuse.observation.type", "span"),
        text("langfuse.trace.name", "support-chat"),
        strings("langfuse.trace.tags", &["prod", "chat"]),
        text("langfuse.trace.metadata.team", "\"search\""),
        text(
            "langfuse.observation.input",
            "{\"question\": \"What is OTel?\"}",
        ),
        text(
            "langfuse.observation.output",
            "\"OpenTelemetry is a standard.\"",
        ),
    ];
    let mut child = span(CHILD_ID, Some(ROOT_ID), "llm-call", (100, 1_500));
    child.attributes = vec![
        text("user.id", "user-42"),
        text("langfuse.observation.type", "generation"),
        text("langfuse.observation.model.name", "gpt-4o"),
        text(
            "langfuse.observation.usage_details",
            "{\"input\": 10, \"output\": 5}",
        ),
        text("langfuse.observation.cost_details", "{\"total\": 0.0012}"),
        text(
            "langfuse.observation.model.parameters",
            "{\"temperature\": 0.2}",
        ),
        int("langfuse.observation.prompt.version", 3),
        text("langfuse.observation.level", "warning"),
        text("langfuse.observation.status_message", "slow response"),
    ];
    one_scope(vec![root, child])
}

async fn export_over_grpc_stores_the_trace_and_its_observations(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let server = GrpcServer::start(app.state.clone()).await;
    let mut client = server
        .client()
        .await
        .send_compressed(CompressionEncoding::Gzip);

    let response = client
        .export(export(python_sdk_export(), Some(&tenant.basic())))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.partial_success, None);

    let project = ProjectId::from_trusted(tenant.project_id.clone());
    let store = app.state.store();
    let trace = store
        .events()
        .trace(&project, TRACE_ID)
        .await
        .unwrap()
        .unwrap()
        .row;
    assert_eq!(trace.name.as_deref(), Some("support-chat"));
    assert_eq!(trace.user_id.as_deref(), Some("user-42"));
    assert_eq!(trace.session_id.as_deref(), Some("session-7"));
    assert_eq!(trace.release.as_deref(), Some("v1.2.3"));
    assert_eq!(trace.environment, "production");
    assert_eq!(trace.tags, ["chat", "prod"]);
    assert_eq!(trace.timestamp, 1_704_067_200_123);
    assert_eq!(trace.input, Some(json!({"question": "What is OTel?"})));
    assert_eq!(trace.output, Some(json!("OpenTelemetry is a standard.")));

    let observations = store
        .events()
        .trace_observations(&project, TRACE_ID)
        .await
        .unwrap();
    assert_eq!(observations.len(), 2);
    let root = &observations[0].row;
    assert_eq!(
        (
            root.id.as_str(),
            root.r#type,
            root.parent_observation_id.as_deref()
        ),
        (ROOT_ID, ObservationType::Span, None)
    );
    assert_eq!(
        (root.start_time, root.end_time),
        (1_704_067_200_123, Some(1_704_067_202_123))
    );
    let generation = &observations[1].row;
    assert_eq!(generation.id, CHILD_ID);
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.parent_observation_id.as_deref(), Some(ROOT_ID));
    assert_eq!(generation.name.as_deref(), Some("llm-call"));
    assert_eq!(generation.model.as_deref(), Some("gpt-4o"));
    assert_eq!(
        generation.model_parameters,
        Some(json!({"temperature": 0.2}))
    );
    assert_eq!(generation.level, Level::Warning);
    assert_eq!(generation.status_message.as_deref(), Some("slow response"));
    assert_eq!(generation.environment, "production");
    assert_eq!(
        generation.provided_usage_details,
        [("input".to_owned(), 10.0), ("output".to_owned(), 5.0)]
            .into_iter()
            .collect()
    );
    assert_eq!(generation.total_cost, Some(0.0012));

    server.stop().await;
}

async fn export_over_grpc_without_valid_credentials_is_refused(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let server = GrpcServer::start(app.state.clone()).await;
    let mut client = server.client().await;

    let cases: [(Option<String>, Code, &str); 5] = [
        (None, Code::Unauthenticated, "No authorization header"),
        (
            Some(basic(&tenant.public_key, "sk-lf-wrong")),
            Code::Unauthenticated,
            BAD_CREDENTIALS,
        ),
        (
            Some(basic("pk-lf-unknown", &tenant.secret_key)),
            Code::Unauthenticated,
            BAD_CREDENTIALS,
        ),
        (
            Some("Token abc".into()),
            Code::Unauthenticated,
            "Invalid authorization header",
        ),
        (
            Some(format!("Bearer {}", tenant.public_key)),
            Code::PermissionDenied,
            "Access denied - insufficient permissions for this endpoint",
        ),
    ];
    for (authorization, code, message) in cases {
        let status: Status = client
            .export(export(python_sdk_export(), authorization.as_deref()))
            .await
            .unwrap_err();
        assert_eq!((status.code(), status.message()), (code, message));
    }
    let project = ProjectId::from_trusted(tenant.project_id.clone());
    assert!(
        app.state
            .store()
            .events()
            .trace(&project, TRACE_ID)
            .await
            .unwrap()
            .is_none()
    );

    server.stop().await;
}

async fn export_over_grpc_of_spans_without_ids_is_an_invalid_argument(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let server = GrpcServer::start(app.state.clone()).await;
    let mut client = server.client().await;

    let nameless = Span {
        name: "no ids".into(),
        ..Default::default()
    };
    let status = client
        .export(export(one_scope(vec![nameless]), Some(&tenant.basic())))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("Invalid OTLP trace export"),
        "{}",
        status.message()
    );

    server.stop().await;
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "export_over_grpc_stores_the_trace_and_its_observations",
            export_over_grpc_stores_the_trace_and_its_observations,
        ),
        backend_test(
            "export_over_grpc_without_valid_credentials_is_refused",
            export_over_grpc_without_valid_credentials_is_refused,
        ),
        backend_test(
            "export_over_grpc_of_spans_without_ids_is_an_invalid_argument",
            export_over_grpc_of_spans_without_ids_is_an_invalid_argument,
        ),
    ]
}
