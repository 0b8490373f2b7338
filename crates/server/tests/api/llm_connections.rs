//! The LLM connections API as clients see it: upsert by provider name (201, then 200 with the
//! same id), secrets encrypted in Langfuse's `iv:ct:tag` format and never returned, the SSRF
//! guard on base URLs, the per-adapter rules, pagination, delete, and other projects.
//! Reference: Langfuse's `web/src/pages/api/public/llm-connections/index.ts` and
//! `web/src/features/public-api/types/llm-connections.ts`.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::secret::Cipher;
use sightline_llm::{Client, HostPolicy};
use sightline_server::services::llm_connections::LlmSettings;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{LLM_SECRETS, Tenant, TestApp, TestResponse};

const KEY: [u8; 32] = [7; 32];
/// The suite checks every response for these (`support::LLM_SECRETS`).
const SECRET: &str = LLM_SECRETS[0];

fn settings(policy: HostPolicy) -> LlmSettings {
    LlmSettings {
        cipher: Some(Cipher::new(&KEY)),
        client: Client::new(policy),
    }
}

async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    app.tenant_request(tenant, method, &format!("/api/public{path}"), body)
        .await
}

/// The message of a 400, after checking Langfuse's error shape.
async fn bad_request(app: &TestApp, tenant: &Tenant, body: Value) -> String {
    let response = call(app, tenant, Method::PUT, "/llm-connections", Some(body)).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    response.body["message"].as_str().unwrap().to_owned()
}

async fn upsert_encrypts_and_never_returns_secrets(db: TestDb) {
    let app = TestApp::with_llm(db, settings(HostPolicy::default())).await;
    let tenant = app.tenant("Acme", "web").await;
    let body = json!({
        "provider": "openai",
        "adapter": "openai",
        "secretKey": SECRET,
        "baseURL": "https://api.openai.com/v1",
        "customModels": ["my-finetune"],
        "extraHeaders": {"x-org": "header-secret-value"},
    });
    let created = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(body.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let view = created.body.clone();
    let keys: Vec<&str> = view
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "provider",
            "adapter",
            "displaySecretKey",
            "baseURL",
            "customModels",
            "withDefaultModels",
            "extraHeaderKeys",
            "config",
            "createdAt",
            "updatedAt"
        ]
    );
    assert_eq!(view["provider"], "openai");
    assert_eq!(view["displaySecretKey"], "...9876");
    assert_eq!(view["customModels"], json!(["my-finetune"]));
    assert_eq!(view["withDefaultModels"], true);
    assert_eq!(view["extraHeaderKeys"], json!(["x-org"]));
    assert_eq!(view["config"], Value::Null);
    assert!(!created.text.contains(SECRET) && !created.text.contains("header-secret-value"));

    // Stored as AES-256-GCM `hex(iv):hex(ct):hex(tag)`, readable only with the same key.
    let project = ProjectId::parse(&tenant.project_id).unwrap();
    let stored = app
        .state
        .store()
        .metadata()
        .llm_connection_by_provider(&project, "openai")
        .await
        .unwrap()
        .unwrap();
    let parts: Vec<&str> = stored.secret_key.split(':').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].len(), 24, "a 12-byte IV");
    assert_eq!(parts[2].len(), 32, "a 16-byte tag");
    assert!(!stored.secret_key.contains(SECRET));
    assert_eq!(
        Cipher::new(&KEY).decrypt(&stored.secret_key).unwrap(),
        SECRET
    );
    assert!(Cipher::new(&[8; 32]).decrypt(&stored.secret_key).is_err());
    let headers = Cipher::new(&KEY)
        .decrypt(stored.extra_headers.as_deref().unwrap())
        .unwrap();
    assert_eq!(headers, r#"{"x-org":"header-secret-value"}"#);

    // The same provider name updates: 200, the same id and creation time.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(json!({"provider": "openai", "adapter": "openai", "secretKey": "sk-other-1111", "withDefaultModels": false, "customModels": ["a"]})),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["id"], view["id"]);
    assert_eq!(updated.body["createdAt"], view["createdAt"]);
    assert_ne!(updated.body["updatedAt"], view["updatedAt"]);
    assert_eq!(updated.body["displaySecretKey"], "...1111");
    assert_eq!(updated.body["baseURL"], Value::Null);
    assert_eq!(updated.body["extraHeaderKeys"], json!([]));
    assert_eq!(updated.body["withDefaultModels"], false);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let anthropic = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(json!({"provider": "claude", "adapter": "anthropic", "secretKey": "sk-ant-22"})),
    )
    .await;
    assert_eq!(anthropic.status, StatusCode::CREATED);
    // Newest first, paged.
    let list = call(&app, &tenant, Method::GET, "/llm-connections?limit=1", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"][0]["provider"], "claude");
    assert_eq!(
        list.body["meta"],
        json!({"page": 1, "limit": 1, "totalItems": 2, "totalPages": 2})
    );
    let all = call(&app, &tenant, Method::GET, "/llm-connections", None).await;
    assert!(!all.text.contains("sk-other-1111") && !all.text.contains("sk-ant-22"));
    assert!(
        !all.text.contains(&stored.secret_key[..20]),
        "no ciphertext either"
    );

    // Another project sees none of it and cannot delete it.
    let other = app.tenant("Other", "web").await;
    let theirs = call(&app, &other, Method::GET, "/llm-connections", None).await;
    assert_eq!(theirs.body["data"], json!([]));
    let id = view["id"].as_str().unwrap();
    let path = format!("/llm-connections/{id}");
    let response = call(&app, &other, Method::DELETE, &path, None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.body["message"], "LLM connection not found");

    let deleted = call(&app, &tenant, Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body,
        json!({"message": "LLM connection successfully deleted"})
    );
    let again = call(&app, &tenant, Method::DELETE, &path, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let anonymous = app.get("/api/public/llm-connections", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn bad_bodies_and_private_base_urls_are_400(db: TestDb) {
    let app = TestApp::with_llm(db, settings(HostPolicy::default())).await;
    let tenant = app.tenant("Acme", "web").await;
    let base = json!({"provider": "p", "adapter": "openai", "secretKey": "sk-1"});
    let with = |patch: Value| {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for url in [
        "http://127.0.0.1:11434/v1",
        "http://169.254.169.254/latest",
        "http://localhost:8000/v1",
        "http://[::1]/v1",
        "http://10.0.0.5/v1",
        "file:///etc/passwd",
        "not a url",
    ] {
        let message = bad_request(&app, &tenant, with(json!({"baseURL": url}))).await;
        assert!(message.starts_with("Invalid baseURL: "), "{url}: {message}");
    }
    let message = bad_request(&app, &tenant, with(json!({"provider": "a:b"}))).await;
    assert_eq!(message, "provider: the name cannot contain ':'");
    let message = bad_request(&app, &tenant, with(json!({"adapter": "gemini"}))).await;
    assert!(
        message.starts_with("adapter: expected one of openai"),
        "{message}"
    );
    let message = bad_request(
        &app,
        &tenant,
        with(json!({"adapter": "anthropic", "config": {"region": "x"}})),
    )
    .await;
    assert_eq!(message, "Config is not supported for anthropic adapter");
    let message = bad_request(
        &app,
        &tenant,
        with(json!({"adapter": "bedrock", "customModels": ["m"]})),
    )
    .await;
    assert_eq!(
        message,
        "Config is required for Bedrock adapter. Expected: { region: string }"
    );
    let message = bad_request(
        &app,
        &tenant,
        with(json!({"adapter": "azure", "customModels": ["gpt4-deployment"]})),
    )
    .await;
    assert!(message.starts_with("baseURL:"), "{message}");
    // An empty key fails like zod's `min(1)`: "Invalid request data" with the field's path.
    let response = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(with(json!({"secretKey": ""}))),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.body["message"], "Invalid request data");
    assert_eq!(response.body["error"][0]["path"], json!(["secretKey"]));
    let response = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(json!({"provider": "p", "adapter": "openai"})),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let message = bad_request(
        &app,
        &tenant,
        with(json!({"extraHeaders": {"bad header": "v"}})),
    )
    .await;
    assert_eq!(message, "extraHeaders: 'bad header' is not a header name");
    // Nothing was saved by any of them.
    let list = call(&app, &tenant, Method::GET, "/llm-connections", None).await;
    assert_eq!(list.body["meta"]["totalItems"], 0);
}

async fn allow_listed_private_base_urls_are_accepted(db: TestDb) {
    let policy = HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    let app = TestApp::with_llm(db, settings(policy)).await;
    let tenant = app.tenant("Acme", "web").await;
    let response = call(
        &app,
        &tenant,
        Method::PUT,
        "/llm-connections",
        Some(json!({"provider": "ollama", "adapter": "openai", "secretKey": "none", "baseURL": "http://127.0.0.1:11434/v1"})),
    )
    .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    assert_eq!(response.body["baseURL"], "http://127.0.0.1:11434/v1");
    // Still refused: addresses the list does not name.
    let message = bad_request(
        &app,
        &tenant,
        json!({"provider": "meta", "adapter": "openai", "secretKey": "x", "baseURL": "http://169.254.169.254/"}),
    )
    .await;
    assert!(message.starts_with("Invalid baseURL"), "{message}");
}

async fn saving_without_an_encryption_key_is_a_400(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let message = bad_request(
        &app,
        &tenant,
        json!({"provider": "openai", "adapter": "openai", "secretKey": "sk-1"}),
    )
    .await;
    assert!(
        message.starts_with("Missing environment variable: `ENCRYPTION_KEY`"),
        "{message}"
    );
    let list = call(&app, &tenant, Method::GET, "/llm-connections", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"], json!([]));
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "upsert_encrypts_and_never_returns_secrets",
            upsert_encrypts_and_never_returns_secrets,
        ),
        backend_test(
            "bad_bodies_and_private_base_urls_are_400",
            bad_bodies_and_private_base_urls_are_400,
        ),
        backend_test(
            "allow_listed_private_base_urls_are_accepted",
            allow_listed_private_base_urls_are_accepted,
        ),
        backend_test(
            "saving_without_an_encryption_key_is_a_400",
            saving_without_an_encryption_key_is_a_400,
        ),
    ]
}
