//! Health, projects, authentication, CORS and error shapes.

use crate::support::{TestApp, basic, basic_raw};
use axum::http::{Method, StatusCode};
use serde_json::json;
use sightline_domain::{Email, Role};
use sightline_server::services::identity::{self, IdentityError};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

const BAD_CREDENTIALS: &str =
    "Invalid credentials. Confirm that you've configured the correct host.";

async fn health_and_ready_need_no_auth(db: TestDb) {
    let app = TestApp::new(db).await;
    let health = app.get("/api/public/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "OK");
    assert!(health.body["version"].is_string());

    let checked = app
        .get("/api/public/health?failIfDatabaseUnavailable=true", None)
        .await;
    assert_eq!(checked.status, StatusCode::OK);

    // `failIfNoRecentEvents`: a trace and an observation of the last 3 minutes, in any project
    // (Langfuse's `web/src/pages/api/public/health.ts`).
    let recent = "/api/public/health?failIfNoRecentEvents=true";
    let none = app.get(recent, None).await;
    assert_eq!(none.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(none.body["status"], "No traces within the last 3 minutes");
    let tenant = app.tenant("Acme", "web").await;
    let now = sightline_domain::time::to_iso(sightline_domain::time::now_ms());
    let trace_only = json!({"batch": [{"id": "e1", "type": "trace-create", "timestamp": now,
        "body": {"id": "fresh", "timestamp": now}}]});
    app.post_json("/api/public/ingestion", &tenant.basic(), &trace_only)
        .await;
    let half = app.get(recent, None).await;
    assert_eq!(half.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        half.body["status"],
        "No observations within the last 3 minutes"
    );
    let span = json!({"batch": [{"id": "e2", "type": "span-create", "timestamp": now,
        "body": {"id": "fresh-span", "traceId": "fresh", "startTime": now}}]});
    app.post_json("/api/public/ingestion", &tenant.basic(), &span)
        .await;
    let healthy = app.get(recent, None).await;
    assert_eq!(
        (healthy.status, healthy.body["status"].clone()),
        (StatusCode::OK, json!("OK"))
    );

    let ready = app.get("/api/public/ready", None).await;
    assert_eq!(
        (ready.status, ready.body["status"].clone()),
        (StatusCode::OK, json!("OK"))
    );
    app.state.begin_shutdown();
    let draining = app.get("/api/public/ready", None).await;
    assert_eq!(draining.status, StatusCode::INTERNAL_SERVER_ERROR);
}

async fn projects_returns_the_keys_project_and_organization(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let response = app.get("/api/public/projects", Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.body,
        json!({"data": [{
            "id": tenant.project_id,
            "name": "web",
            "organization": {"id": tenant.org_id, "name": "Acme"},
            "metadata": {},
        }]})
    );
}

async fn retention_days_appear_only_when_set(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant_with_retention("Acme", "kept", Some(30)).await;
    let response = app.get("/api/public/projects", Some(&tenant.basic())).await;
    assert_eq!(response.body["data"][0]["retentionDays"], 30);
}

async fn credentials_failures_use_langfuse_messages(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let cases: Vec<(Option<String>, StatusCode, &str)> = vec![
        (None, StatusCode::UNAUTHORIZED, "No authorization header"),
        (
            Some("Token abc".into()),
            StatusCode::UNAUTHORIZED,
            "Invalid authorization header",
        ),
        (
            Some("Basic !!!not-base64".into()),
            StatusCode::UNAUTHORIZED,
            BAD_CREDENTIALS,
        ),
        (
            Some(basic_raw("no-colon-here")),
            StatusCode::UNAUTHORIZED,
            BAD_CREDENTIALS,
        ),
        (
            Some(basic(&tenant.public_key, "sk-lf-wrong")),
            StatusCode::UNAUTHORIZED,
            BAD_CREDENTIALS,
        ),
        (
            Some(basic("pk-lf-unknown", &tenant.secret_key)),
            StatusCode::UNAUTHORIZED,
            BAD_CREDENTIALS,
        ),
        (
            Some(basic(&tenant.public_key, "")),
            StatusCode::UNAUTHORIZED,
            BAD_CREDENTIALS,
        ),
        (
            Some("Bearer pk-lf-unknown".into()),
            StatusCode::UNAUTHORIZED,
            "Invalid public key. Confirm that you've configured the correct host.",
        ),
        (
            Some(format!("Bearer {}", tenant.public_key)),
            StatusCode::FORBIDDEN,
            "Access denied - insufficient permissions for this endpoint",
        ),
    ];
    for (header, status, message) in cases {
        let response = app.get("/api/public/projects", header.as_deref()).await;
        assert_eq!(response.status, status, "{header:?}");
        assert_eq!(response.body, json!({"message": message}), "{header:?}");
    }
}

async fn a_key_never_sees_another_project(db: TestDb) {
    let app = TestApp::new(db).await;
    let a = app.tenant("Org A", "project-a").await;
    let b = app.tenant("Org B", "project-b").await;
    for (tenant, other) in [(&a, &b), (&b, &a)] {
        let response = app.get("/api/public/projects", Some(&tenant.basic())).await;
        let data = response.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["id"], tenant.project_id);
        assert_ne!(data[0]["id"], other.project_id);
    }
    // A's public key with B's secret is not a valid pair.
    let mixed = app
        .get(
            "/api/public/projects",
            Some(&basic(&a.public_key, &b.secret_key)),
        )
        .await;
    assert_eq!(mixed.status, StatusCode::UNAUTHORIZED);
}

async fn revoked_keys_stop_working(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    assert_eq!(
        app.get("/api/public/projects", Some(&tenant.basic()))
            .await
            .status,
        StatusCode::OK
    );
    assert!(app.state.revoke_api_key(&tenant.public_key).await.unwrap());
    assert!(!app.state.revoke_api_key(&tenant.public_key).await.unwrap());
    let response = app.get("/api/public/projects", Some(&tenant.basic())).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

async fn authentication_records_last_use(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let project = sightline_domain::ProjectId::parse(&tenant.project_id).unwrap();
    let before = app
        .state
        .store()
        .metadata()
        .list_api_keys(&project)
        .await
        .unwrap();
    assert_eq!(before[0].last_used_at, None);
    app.get("/api/public/projects", Some(&tenant.basic())).await;
    // Recorded in the background, so that no request waits for it.
    for _ in 0..200 {
        let after = app
            .state
            .store()
            .metadata()
            .list_api_keys(&project)
            .await
            .unwrap();
        if after[0].last_used_at.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("last use was never recorded");
}

async fn cors_preflight_reflects_the_origin(db: TestDb) {
    let app = TestApp::new(db).await;
    let response = app
        .send(
            Method::OPTIONS,
            "/api/public/projects",
            &[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ],
        )
        .await;
    assert!(response.status.is_success(), "{:?}", response.status);
    assert_eq!(
        response.header("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    let headers = response.header("access-control-allow-headers").unwrap();
    assert!(headers.contains("authorization"), "{headers}");
    assert_eq!(response.header("access-control-allow-credentials"), None);

    let simple = app
        .send(
            Method::GET,
            "/api/public/health",
            &[("origin", "https://x.example")],
        )
        .await;
    assert_eq!(
        simple.header("access-control-allow-origin").as_deref(),
        Some("https://x.example")
    );
}

async fn unknown_routes_and_methods_use_error_shapes(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let wrong_method = app
        .send(
            Method::DELETE,
            "/api/public/projects",
            &[("authorization", &tenant.basic())],
        )
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        wrong_method.body,
        json!({"message": "Method not allowed", "error": "MethodNotAllowedError"})
    );
    let missing = app.get("/api/public/does-not-exist", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"], "LangfuseNotFoundError");
}

async fn responses_carry_a_request_id(db: TestDb) {
    let app = TestApp::new(db).await;
    let generated = app.get("/api/public/health", None).await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    let echoed = app
        .send(
            Method::GET,
            "/api/public/health",
            &[("x-request-id", "trace-me-123")],
        )
        .await;
    assert_eq!(
        echoed.header("x-request-id").as_deref(),
        Some("trace-me-123")
    );
}

fn last_owner(result: Result<(), IdentityError>) -> bool {
    match result {
        Err(IdentityError::Conflict(message)) => message == identity::LAST_OWNER,
        _ => false,
    }
}

/// The service calls that change memberships (the UI's and the CLI's) keep an organization's
/// last owner, with one clear message.
async fn memberships_keep_the_last_owner(db: TestDb) {
    let app = TestApp::new(db).await;
    let store = app.state.store();
    let org = identity::create_organization(store, None, "Acme")
        .await
        .unwrap();
    let olga_email = Email::parse("olga@example.com").unwrap();
    let olga = identity::create_user(store, &olga_email, None, None)
        .await
        .unwrap();
    let adam_email = Email::parse("adam@example.com").unwrap();
    let adam = identity::create_user(store, &adam_email, None, None)
        .await
        .unwrap();
    identity::set_membership(store, &org.id, &olga_email, Role::Owner, None)
        .await
        .unwrap();

    assert!(last_owner(
        identity::change_member_role(store, &org.id, &olga.id, Role::Admin).await
    ));
    assert!(last_owner(
        identity::remove_member(store, &org.id, &olga.id)
            .await
            .map(|_| ())
    ));
    assert!(last_owner(
        identity::set_membership(store, &org.id, &olga_email, Role::Member, None).await
    ));

    identity::change_member_role(store, &org.id, &adam.id, Role::Owner)
        .await
        .unwrap();
    identity::change_member_role(store, &org.id, &olga.id, Role::Admin)
        .await
        .unwrap();
    assert!(
        identity::remove_member(store, &org.id, &olga.id)
            .await
            .unwrap()
    );
    assert!(last_owner(
        identity::remove_member(store, &org.id, &adam.id)
            .await
            .map(|_| ())
    ));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "health_and_ready_need_no_auth",
            health_and_ready_need_no_auth,
        ),
        backend_test(
            "projects_returns_the_keys_project_and_organization",
            projects_returns_the_keys_project_and_organization,
        ),
        backend_test(
            "retention_days_appear_only_when_set",
            retention_days_appear_only_when_set,
        ),
        backend_test(
            "credentials_failures_use_langfuse_messages",
            credentials_failures_use_langfuse_messages,
        ),
        backend_test(
            "a_key_never_sees_another_project",
            a_key_never_sees_another_project,
        ),
        backend_test("revoked_keys_stop_working", revoked_keys_stop_working),
        backend_test(
            "authentication_records_last_use",
            authentication_records_last_use,
        ),
        backend_test(
            "cors_preflight_reflects_the_origin",
            cors_preflight_reflects_the_origin,
        ),
        backend_test(
            "unknown_routes_and_methods_use_error_shapes",
            unknown_routes_and_methods_use_error_shapes,
        ),
        backend_test("responses_carry_a_request_id", responses_carry_a_request_id),
        backend_test(
            "memberships_keep_the_last_owner",
            memberships_keep_the_last_owner,
        ),
    ]
}
