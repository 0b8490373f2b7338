//! The annotation queue API as clients see it: queues naming the project's score configs,
//! items with their status and completion time, assignments of project members, pagination,
//! another project's key (404) and bad input (400). Reference: Langfuse's
//! `web/src/features/annotation-queues/server/publicAnnotationQueueService.ts` and
//! `web/src/features/public-api/types/annotation-queues.ts`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::{Email, OrgId, Role, UserId};
use sightline_store::NewUser;
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp, TestResponse};

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

async fn ok(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let response = call(app, tenant, method.clone(), path, body).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{method} {path}: {}",
        response.body
    );
    response.body
}

/// A refused request's message, after checking its status and Langfuse's error shape: a 404
/// is `LangfuseNotFoundError`; a 400 is `InvalidRequestError`, or for a body that does not
/// parse, "Invalid request data" with zod-style issues (their text is appended).
async fn refused(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: StatusCode,
) -> String {
    let response = call(app, tenant, method.clone(), path, body).await;
    assert_eq!(
        response.status, status,
        "{method} {path}: {}",
        response.body
    );
    let message = response.body["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    match &response.body["error"] {
        Value::String(error) if status == StatusCode::NOT_FOUND => {
            assert_eq!(error, "LangfuseNotFoundError")
        }
        Value::String(error) => assert_eq!(error, "InvalidRequestError"),
        Value::Array(issues) if status == StatusCode::BAD_REQUEST => {
            assert_eq!(message, "Invalid request data");
            return format!("{message}: {}", Value::Array(issues.clone()));
        }
        other => panic!("{method} {path}: error {other}"),
    }
    message
}

async fn score_config(app: &TestApp, tenant: &Tenant, name: &str) -> String {
    let config = ok(
        app,
        tenant,
        Method::POST,
        "/score-configs",
        Some(json!({"name": name, "dataType": "NUMERIC", "minValue": 0, "maxValue": 1})),
    )
    .await;
    config["id"].as_str().unwrap().to_owned()
}

async fn queues_items_and_assignments(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let accuracy = score_config(&app, &tenant, "accuracy").await;

    let queue = ok(
        &app,
        &tenant,
        Method::POST,
        "/annotation-queues",
        Some(json!({"name": "Review", "description": "weekly", "scoreConfigIds": [accuracy]})),
    )
    .await;
    let queue_id = queue["id"].as_str().unwrap().to_owned();
    assert_eq!(queue["name"], "Review");
    assert_eq!(queue["description"], "weekly");
    assert_eq!(queue["scoreConfigIds"], json!([accuracy]));
    assert!(queue["createdAt"].as_str().unwrap().ends_with('Z'));
    // Lists are newest first (createdAt, then id): distinct creation times make the order sure.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = ok(
        &app,
        &tenant,
        Method::POST,
        "/annotation-queues",
        Some(json!({"name": "Second", "scoreConfigIds": [accuracy]})),
    )
    .await;
    assert_eq!(second["description"], Value::Null);

    // Newest first, paged.
    let page = ok(
        &app,
        &tenant,
        Method::GET,
        "/annotation-queues?limit=1",
        None,
    )
    .await;
    assert_eq!(page["data"][0]["name"], "Second");
    assert_eq!(page["meta"]["totalItems"], 2);
    assert_eq!(page["meta"]["totalPages"], 2);
    let one = ok(
        &app,
        &tenant,
        Method::GET,
        &format!("/annotation-queues/{queue_id}"),
        None,
    )
    .await;
    assert_eq!(one, queue);

    // Items: PENDING by default; COMPLETED gets its completion time.
    let items = format!("/annotation-queues/{queue_id}/items");
    let pending = ok(
        &app,
        &tenant,
        Method::POST,
        &items,
        Some(json!({"objectId": "trace-1", "objectType": "TRACE"})),
    )
    .await;
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["completedAt"], Value::Null);
    assert_eq!(pending["queueId"], queue_id.as_str());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let done = ok(
        &app,
        &tenant,
        Method::POST,
        &items,
        Some(json!({"objectId": "obs-1", "objectType": "OBSERVATION", "status": "COMPLETED"})),
    )
    .await;
    assert!(done["completedAt"].is_string());
    let listed = ok(
        &app,
        &tenant,
        Method::GET,
        &format!("{items}?status=PENDING"),
        None,
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["objectId"], "trace-1");
    let all = ok(&app, &tenant, Method::GET, &items, None).await;
    assert_eq!(all["meta"]["totalItems"], 2);
    assert_eq!(all["data"][0]["objectId"], "obs-1", "newest first");

    let item = format!("{items}/{}", pending["id"].as_str().unwrap());
    assert_eq!(ok(&app, &tenant, Method::GET, &item, None).await, pending);
    let completed = ok(
        &app,
        &tenant,
        Method::PATCH,
        &item,
        Some(json!({"status": "COMPLETED"})),
    )
    .await;
    assert_eq!(completed["status"], "COMPLETED");
    assert!(completed["completedAt"].is_string());
    let reopened = ok(
        &app,
        &tenant,
        Method::PATCH,
        &item,
        Some(json!({"status": "PENDING"})),
    )
    .await;
    assert_eq!(reopened["status"], "PENDING");
    assert_eq!(reopened["completedAt"], completed["completedAt"]);
    let deleted = ok(&app, &tenant, Method::DELETE, &item, None).await;
    assert_eq!(
        deleted,
        json!({"success": true, "message": "Annotation queue item deleted successfully"})
    );
    let gone = refused(
        &app,
        &tenant,
        Method::GET,
        &item,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(gone, "Annotation queue item not found");

    // Assignments: members of the project only; both calls are idempotent.
    let store = app.state.store();
    let member = store
        .metadata()
        .insert_user(&NewUser {
            id: UserId::generate(),
            email: Email::parse("reviewer@example.com").unwrap(),
            name: Some("Rev".into()),
            password_hash: None,
        })
        .await
        .unwrap();
    let org = OrgId::parse(&tenant.org_id).unwrap();
    store
        .metadata()
        .set_org_role(&org, &member.id, Role::Member)
        .await
        .unwrap();
    let assignments = format!("/annotation-queues/{queue_id}/assignments");
    let body = json!({"userId": member.id.as_str()});
    for _ in 0..2 {
        let assigned = ok(
            &app,
            &tenant,
            Method::POST,
            &assignments,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            assigned,
            json!({"userId": member.id.as_str(), "projectId": tenant.project_id, "queueId": queue_id})
        );
    }
    assert_eq!(
        store
            .metadata()
            .queue_assignees(
                &sightline_domain::ProjectId::parse(&tenant.project_id).unwrap(),
                &queue_id
            )
            .await
            .unwrap(),
        vec![member.id.as_str().to_owned()]
    );
    for _ in 0..2 {
        let removed = ok(
            &app,
            &tenant,
            Method::DELETE,
            &assignments,
            Some(body.clone()),
        )
        .await;
        assert_eq!(removed, json!({"success": true}));
    }
    let stranger = refused(
        &app,
        &tenant,
        Method::POST,
        &assignments,
        Some(json!({"userId": UserId::generate().as_str()})),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        stranger,
        "User not found or not authorized for this project"
    );
}

async fn bad_input_and_other_projects(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "web").await;
    let other = app.tenant("Globex", "api").await;
    let accuracy = score_config(&app, &tenant, "accuracy").await;
    let foreign = score_config(&app, &other, "tone").await;

    let bad = [
        (json!({"name": "Q", "scoreConfigIds": []}), "at least 1"),
        (
            json!({"name": "Q", "scoreConfigIds": [foreign]}),
            "At least one of the score config IDs cannot be found for the given project.",
        ),
        (
            json!({"name": "Q", "scoreConfigIds": [accuracy], "extra": 1}),
            "extra",
        ),
        (json!({"scoreConfigIds": [accuracy]}), "name"),
        (json!({"name": " ", "scoreConfigIds": [accuracy]}), "name"),
    ];
    for (body, says) in bad {
        let message = refused(
            &app,
            &tenant,
            Method::POST,
            "/annotation-queues",
            Some(body.clone()),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(message.contains(says), "{body}: {message}");
    }
    let queue = ok(
        &app,
        &tenant,
        Method::POST,
        "/annotation-queues",
        Some(json!({"name": "Q", "scoreConfigIds": [accuracy]})),
    )
    .await;
    let duplicate = refused(
        &app,
        &tenant,
        Method::POST,
        "/annotation-queues",
        Some(json!({"name": "Q", "scoreConfigIds": [accuracy]})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(duplicate, "A queue with this name already exists.");

    let queue_id = queue["id"].as_str().unwrap();
    let items = format!("/annotation-queues/{queue_id}/items");
    for body in [
        json!({"objectId": "t", "objectType": "trace"}),
        json!({"objectId": "t", "objectType": "TRACE", "status": "DONE"}),
        json!({"objectType": "TRACE"}),
    ] {
        refused(
            &app,
            &tenant,
            Method::POST,
            &items,
            Some(body),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    refused(
        &app,
        &tenant,
        Method::GET,
        &format!("{items}?status=open"),
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let item = ok(
        &app,
        &tenant,
        Method::POST,
        &items,
        Some(json!({"objectId": "t", "objectType": "SESSION"})),
    )
    .await;
    let item_path = format!("{items}/{}", item["id"].as_str().unwrap());
    refused(
        &app,
        &tenant,
        Method::PATCH,
        &item_path,
        Some(json!({"status": "done"})),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Another project's key sees none of it.
    for path in [
        format!("/annotation-queues/{queue_id}"),
        items.clone(),
        item_path.clone(),
    ] {
        let message = refused(
            &app,
            &other,
            Method::GET,
            &path,
            None,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert!(message.starts_with("Annotation queue"), "{message}");
    }
    refused(
        &app,
        &other,
        Method::POST,
        &items,
        Some(json!({"objectId": "t", "objectType": "TRACE"})),
        StatusCode::NOT_FOUND,
    )
    .await;
    refused(
        &app,
        &other,
        Method::DELETE,
        &item_path,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = ok(&app, &other, Method::GET, "/annotation-queues", None).await;
    assert_eq!(theirs["data"], json!([]));
    // No credentials: 401.
    let anonymous = app.get("/api/public/annotation-queues", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test("queues_items_and_assignments", queues_items_and_assignments),
        backend_test("bad_input_and_other_projects", bad_input_and_other_projects),
    ]
}
