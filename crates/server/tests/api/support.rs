//! `TestApp`: the real router over a throwaway database, with fixture builders for tenants.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::Value;
use sightline_server::AppState;
use sightline_server::services::identity;
use sightline_server::services::llm_connections::LlmSettings;
use sightline_store::testing::TestDb;
use tower::ServiceExt;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    _db: TestDb,
}

/// An organization with one project and one key pair.
pub struct Tenant {
    pub org_id: String,
    pub project_id: String,
    pub public_key: String,
    pub secret_key: String,
}

impl Tenant {
    pub fn basic(&self) -> String {
        basic(&self.public_key, &self.secret_key)
    }
}

pub fn basic(public_key: &str, secret_key: &str) -> String {
    basic_raw(&format!("{public_key}:{secret_key}"))
}

/// A Basic header over any text, for malformed credentials.
pub fn basic_raw(raw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent, for what parsing may not keep (the order of object keys).
    pub text: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        TestApp::with_llm(db, LlmSettings::default()).await
    }

    /// An app whose LLM features have these settings (an `ENCRYPTION_KEY`, an allow-list).
    pub async fn with_llm(db: TestDb, llm: LlmSettings) -> TestApp {
        let salt = identity::resolve_salt(&db.store, None).await.unwrap();
        let state = AppState::with_settings(
            db.store.clone(),
            salt,
            sightline_server::Settings {
                llm,
                blobs: sightline_server::services::blobs::Blobs::one(
                    sightline_server::services::blobs::BlobStorage::in_memory(),
                ),
                ..sightline_server::Settings::default()
            },
        );
        TestApp {
            router: sightline_server::router(state.clone()),
            state,
            _db: db,
        }
    }

    pub async fn tenant(&self, org_name: &str, project_name: &str) -> Tenant {
        self.tenant_with_retention(org_name, project_name, None)
            .await
    }

    pub async fn tenant_with_retention(
        &self,
        org_name: &str,
        project_name: &str,
        retention_days: Option<i64>,
    ) -> Tenant {
        let store = self.state.store();
        let org = identity::create_organization(store, None, org_name)
            .await
            .unwrap();
        let project = identity::create_project(store, &org.id, None, project_name, retention_days)
            .await
            .unwrap();
        let key = identity::create_api_key(store, self.state.salt(), &project.id, None)
            .await
            .unwrap();
        Tenant {
            org_id: org.id.to_string(),
            project_id: project.id.to_string(),
            public_key: key.key.public_key,
            secret_key: key.secret_key,
        }
    }

    pub async fn get(&self, path: &str, authorization: Option<&str>) -> TestResponse {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| vec![("authorization", value)])
            .unwrap_or_default();
        self.send(Method::GET, path, &headers).await
    }

    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request(method, path, headers, Vec::new()).await
    }

    /// POSTs `body` as JSON with the tenant's Basic credentials.
    /// `method path` as `tenant`, with `body` as JSON when given.
    pub async fn tenant_request(
        &self,
        tenant: &Tenant,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        let auth = tenant.basic();
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.request(method, path, &headers, bytes).await
    }

    /// Exports `spans` as OTLP/JSON from Python SDK 5.x (scope `langfuse-sdk`) with the tenant's
    /// keys, and checks the 200.
    pub async fn export_spans(&self, tenant: &Tenant, spans: Vec<Value>) {
        let body = serde_json::json!({"resourceSpans": [{"resource": {"attributes": []},
            "scopeSpans": [{"scope": {"name": "langfuse-sdk", "version": "5.0.4"}, "spans": spans}]}]});
        let auth = tenant.basic();
        let headers = [
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        let response = self
            .request(
                Method::POST,
                "/api/public/otel/v1/traces",
                &headers,
                body.to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            response.status,
            axum::http::StatusCode::OK,
            "{}",
            response.body
        );
    }

    pub async fn post_json(&self, path: &str, auth: &str, body: &Value) -> TestResponse {
        let headers = [
            ("authorization", auth),
            ("content-type", "application/json"),
        ];
        self.request(Method::POST, path, &headers, body.to_string().into_bytes())
            .await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for secret in LLM_SECRETS {
            assert!(
                !text.contains(secret),
                "{path} answered with an LLM connection secret"
            );
        }
        TestResponse {
            status,
            headers,
            body,
            text,
        }
    }
}

/// The LLM connection keys and header values the suite sends; no response of any test may hold
/// one (checked in [`TestApp::request`]).
pub const LLM_SECRETS: &[&str] = &[
    "sk-live-abcdefghijklmnop9876",
    "sk-other-1111",
    "sk-ant-22",
    "header-secret-value",
];

/// `method /api/public{path}` with the `authorization` value, and `body` as JSON when given.
pub async fn call(
    app: &TestApp,
    auth: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut headers = vec![("authorization", auth)];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    app.request(method, &format!("/api/public{path}"), &headers, bytes)
        .await
}
