//! The audit log of API changes: each kind of change made with a project or organization key
//! is recorded with its actor, resource and action; ingestion is not; no entry holds a secret.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sightline_domain::OrgId;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{AuditEntry, AuditQuery};

use crate::support::{TestApp, basic};

async fn entries(app: &TestApp, org: &OrgId) -> Vec<AuditEntry> {
    let query = AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    };
    app.state
        .store()
        .metadata()
        .list_audit_entries(org, &query)
        .await
        .unwrap()
        .0
}

async fn api_changes_are_audited_without_secrets(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let org = OrgId::parse(&tenant.org_id).unwrap();

    // Ingestion is traffic, not a change.
    let batch = json!({"batch": [{"id": "e1", "type": "trace-create",
        "timestamp": "2026-01-01T00:00:00Z", "body": {"id": "t1", "name": "chat"}}]});
    let ingested = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(ingested.status, StatusCode::MULTI_STATUS);
    assert!(
        entries(&app, &org).await.is_empty(),
        "ingestion is not audited"
    );

    let changes = [
        (
            Method::POST,
            "/api/public/v2/prompts",
            Some(json!({"name": "greeting", "prompt": "Hi {{name}}", "type": "text"})),
        ),
        (
            Method::POST,
            "/api/public/v2/datasets",
            Some(json!({"name": "golden"})),
        ),
        (
            Method::POST,
            "/api/public/score-configs",
            Some(json!({"name": "quality", "dataType": "NUMERIC"})),
        ),
        (Method::DELETE, "/api/public/traces/t1", None),
    ];
    for (method, path, body) in changes {
        let response = app.tenant_request(&tenant, method, path, body).await;
        assert!(response.status.is_success(), "{path}: {}", response.body);
    }
    // A refused change is not recorded.
    let refused = app
        .tenant_request(
            &tenant,
            Method::POST,
            "/api/public/v2/datasets",
            Some(json!({"nameless": true})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    // The admin API answers with a new key's secret; the entry keeps it redacted.
    let (key, secret) =
        identity::create_org_api_key(app.state.store(), app.state.salt(), &org, None)
            .await
            .unwrap();
    let admin = basic(&key.public_key, &secret);
    let path = format!("/api/public/projects/{}/apiKeys", tenant.project_id);
    let created = app.post_json(&path, &admin, &json!({"note": "ci"})).await;
    assert!(created.status.is_success(), "{}", created.body);
    let new_secret = created.body["secretKey"].as_str().unwrap().to_owned();

    let logged = entries(&app, &org).await;
    let find = |resource: &str, action: &str| {
        logged
            .iter()
            .find(|e| e.resource_type == resource && e.action == action)
            .unwrap_or_else(|| panic!("no {action} of {resource} in {logged:#?}"))
    };
    // A created resource is named by the id the answer gave it.
    let prompt = find("prompt", "create");
    assert!(!prompt.resource_id.is_empty());
    assert_eq!(prompt.actor_type, "API_KEY");
    assert_eq!(
        prompt.project_id.as_ref().map(|p| p.as_str()),
        Some(tenant.project_id.as_str())
    );
    assert!(prompt.api_key_id.is_some() && prompt.user_id.is_none());
    assert!(prompt.after.as_deref().unwrap().contains("Hi {{name}}"));
    let dataset = find("dataset", "create");
    assert!(dataset.after.as_deref().unwrap().contains("golden"));
    find("scoreConfig", "create");
    assert_eq!(find("trace", "delete").resource_id, "t1");
    let key_entry = find("apiKey", "create");
    assert_eq!(key_entry.api_key_id.as_deref(), Some(key.id.as_str()));
    assert_eq!(logged.len(), 5, "one entry per change: {logged:#?}");
    for entry in &logged {
        let text = format!("{entry:?}");
        for secret in [&new_secret, &secret, &tenant.secret_key] {
            assert!(!text.contains(secret.as_str()), "a secret in {text}");
        }
    }
    assert!(key_entry.after.as_deref().unwrap().contains("[REDACTED]"));
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "api_changes_are_audited_without_secrets",
        api_changes_are_audited_without_secrets,
    )]
}
