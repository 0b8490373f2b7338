//! Comments as clients see them: `POST /comments` on existing objects, the filtered list and
//! one comment by id.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sightline_domain::{Email, OrgId, Role};
use sightline_server::services::identity;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp};

async fn seed(app: &TestApp, tenant: &Tenant) {
    let batch = json!({"batch": [
        {"id": "e1", "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
            "body": {"id": "t1", "timestamp": "2024-01-01T00:00:00Z", "sessionId": "s1"}},
        {"id": "e2", "type": "span-create", "timestamp": "2024-01-01T00:00:00Z",
            "body": {"id": "o1", "traceId": "t1", "startTime": "2024-01-01T00:00:00Z"}},
    ]});
    let response = app
        .post_json("/api/public/ingestion", &tenant.basic(), &batch)
        .await;
    assert_eq!(response.body["errors"], json!([]));
}

async fn post(app: &TestApp, tenant: &Tenant, body: Value) -> (StatusCode, Value) {
    let response = app
        .post_json("/api/public/comments", &tenant.basic(), &body)
        .await;
    (response.status, response.body)
}

fn comment(object_type: &str, object_id: &str, content: &str) -> Value {
    json!({"projectId": "any", "objectType": object_type, "objectId": object_id, "content": content})
}

async fn comments_are_created_listed_and_read(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    let (status, body) = post(&app, &tenant, comment("TRACE", "t1", "  looks good  ")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let trace_comment = body["id"].as_str().unwrap().to_owned();
    let prompt = app
        .post_json(
            "/api/public/v2/prompts",
            &tenant.basic(),
            &json!({"name": "greeting", "prompt": "Hi {{name}}", "type": "text"}),
        )
        .await;
    assert_eq!(prompt.status, StatusCode::CREATED, "{}", prompt.body);
    let prompt_id = prompt.body["id"].as_str().unwrap().to_owned();
    let (status, _) = post(&app, &tenant, comment("PROMPT", "no-such-prompt", "note")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a comment on a missing prompt"
    );
    for (object_type, object_id) in [
        ("OBSERVATION", "o1"),
        ("SESSION", "s1"),
        ("PROMPT", prompt_id.as_str()),
    ] {
        let (status, body) = post(&app, &tenant, comment(object_type, object_id, "note")).await;
        assert_eq!(status, StatusCode::OK, "{object_type}: {body}");
    }

    let one = app
        .get(
            &format!("/api/public/comments/{trace_comment}"),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["projectId"], tenant.project_id.as_str());
    assert_eq!(one.body["objectType"], "TRACE");
    assert_eq!(one.body["objectId"], "t1");
    assert_eq!(one.body["content"], "looks good", "content is trimmed");
    assert_eq!(one.body["authorUserId"], Value::Null);
    assert!(one.body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(one.body["createdAt"], one.body["updatedAt"]);

    let all = app
        .get("/api/public/comments?limit=2", Some(&tenant.basic()))
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(
        all.body["meta"],
        json!({"page": 1, "limit": 2, "totalItems": 4, "totalPages": 2})
    );
    let traces = app
        .get(
            "/api/public/comments?objectType=TRACE&objectId=t1",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(traces.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(traces.body["data"][0]["id"], trace_comment.as_str());
    let sessions = app
        .get(
            "/api/public/comments?objectType=SESSION",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(sessions.body["data"][0]["objectId"], "s1");
    let none = app
        .get(
            "/api/public/comments?objectType=TRACE&objectId=other",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(none.body["data"], json!([]));

    let other = app.tenant("Other", "web").await;
    let hidden = app
        .get(
            &format!("/api/public/comments/{trace_comment}"),
            Some(&other.basic()),
        )
        .await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "other projects' comments are hidden"
    );
}

async fn comment_authors_must_be_organization_members(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;
    let store = app.state.store();
    let email = Email::parse("ann@example.com").unwrap();
    let user = identity::create_user(store, &email, Some("Ann"), None)
        .await
        .unwrap();
    let org = OrgId::parse(&tenant.org_id).unwrap();
    identity::set_membership(store, &org, &email, Role::Member, None)
        .await
        .unwrap();

    let mut body = comment("TRACE", "t1", "mine");
    body["authorUserId"] = json!(user.id.as_str());
    let (status, created) = post(&app, &tenant, body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let by_author = app
        .get(
            &format!("/api/public/comments?authorUserId={}", user.id.as_str()),
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(by_author.body["data"][0]["authorUserId"], user.id.as_str());

    let mut body = comment("TRACE", "t1", "not mine");
    body["authorUserId"] = json!("stranger");
    let (status, _) = post(&app, &tenant, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn bad_comments_are_rejected(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    seed(&app, &tenant).await;

    for (object_type, object_id) in [
        ("TRACE", "nope"),
        ("OBSERVATION", "nope"),
        ("SESSION", "nope"),
    ] {
        let (status, body) = post(&app, &tenant, comment(object_type, object_id, "x")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{object_type}: {body}");
    }
    let too_long = "x".repeat(5001);
    for body in [
        comment("TRACE", "t1", "   "),
        comment("TRACE", "t1", &too_long),
        comment("DATASET", "t1", "x"),
        json!({"objectType": "TRACE", "objectId": "t1", "content": "no project"}),
        json!({"projectId": "p", "objectType": "TRACE", "objectId": "t1", "content": "x", "extra": 1}),
    ] {
        let (status, response) = post(&app, &tenant, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {response}");
    }
    let (status, _) = post(&app, &tenant, comment("TRACE", "t1", &"x".repeat(5000))).await;
    assert_eq!(status, StatusCode::OK, "5000 characters are allowed");

    let missing = app
        .get("/api/public/comments/missing", Some(&tenant.basic()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let orphan_id = app
        .get("/api/public/comments?objectId=t1", Some(&tenant.basic()))
        .await;
    assert_eq!(
        orphan_id.status,
        StatusCode::BAD_REQUEST,
        "objectId needs objectType"
    );
    let bad_type = app
        .get(
            "/api/public/comments?objectType=NOPE",
            Some(&tenant.basic()),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    let anonymous = app.get("/api/public/comments", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "comments_are_created_listed_and_read",
            comments_are_created_listed_and_read,
        ),
        backend_test(
            "comment_authors_must_be_organization_members",
            comment_authors_must_be_organization_members,
        ),
        backend_test("bad_comments_are_rejected", bad_comments_are_rejected),
    ]
}
