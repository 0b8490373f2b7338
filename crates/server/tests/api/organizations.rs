//! The admin API with an organization key (Langfuse's `/api/public/organizations/*` and
//! `/api/public/projects*`, as the OpenAPI document defines them): projects created, renamed,
//! given a retention and deleted; their keys made, listed and revoked; memberships set; the
//! organization's keys listed. Project keys are refused with Langfuse's 403 message, another
//! organization's ids are 404, bad input is a 400 and writes nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::{Email, OrgId};
use sightline_server::auth::ORG_KEY_REQUIRED;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestApp, basic, call};

async fn an_organization_key_manages_projects_keys_and_members(db: TestDb) {
    let app = TestApp::new(db).await;
    let acme = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "theirs").await;
    let org = OrgId::parse(&acme.org_id).unwrap();
    let (key, secret) =
        identity::create_org_api_key(app.state.store(), app.state.salt(), &org, Some("ci".into()))
            .await
            .unwrap();
    let admin = basic(&key.public_key, &secret);

    let listed = call(&app, &admin, Method::GET, "/organizations/projects", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["projects"][0]["id"], acme.project_id.as_str());

    // Bad input writes nothing.
    let short = call(
        &app,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"name": "x", "retention": 2})),
    )
    .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "{}", short.body);
    let created = call(
        &app,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"name": "made", "retention": 7})),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["organization"]["id"], acme.org_id.as_str());
    assert_eq!(created.body["retentionDays"], 7);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let listed = call(&app, &admin, Method::GET, "/organizations/projects", None).await;
    assert_eq!(
        listed.body["projects"].as_array().unwrap().len(),
        2,
        "{}",
        listed.body
    );

    // A key for the new project works with the public API.
    let made = call(
        &app,
        &admin,
        Method::POST,
        &format!("/projects/{id}/apiKeys"),
        Some(json!({"note": "ci"})),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let project_auth = basic(
        made.body["publicKey"].as_str().unwrap(),
        made.body["secretKey"].as_str().unwrap(),
    );
    let mine = call(&app, &project_auth, Method::GET, "/projects", None).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["data"][0]["id"], id.as_str());
    let keys = call(
        &app,
        &admin,
        Method::GET,
        &format!("/projects/{id}/apiKeys"),
        None,
    )
    .await;
    let listed_keys = keys.body["apiKeys"].as_array().unwrap();
    assert_eq!(listed_keys.len(), 1);
    assert!(listed_keys[0].get("secretKey").is_none());
    assert!(!keys.text.contains(made.body["secretKey"].as_str().unwrap()));

    let renamed = call(
        &app,
        &admin,
        Method::PUT,
        &format!("/projects/{id}"),
        Some(json!({"name": "renamed", "retention": 0})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "renamed");
    assert!(renamed.body.get("retentionDays").is_none());

    // Members.
    let user = identity::create_user(
        app.state.store(),
        &Email::parse("ada@example.com").unwrap(),
        Some("Ada"),
        None,
    )
    .await
    .unwrap();
    let set = call(
        &app,
        &admin,
        Method::PUT,
        "/organizations/memberships",
        Some(json!({"userId": user.id.as_str(), "role": "MEMBER"})),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["role"], "MEMBER");
    let members = call(
        &app,
        &admin,
        Method::GET,
        "/organizations/memberships",
        None,
    )
    .await;
    assert!(
        members.body["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "ada@example.com" && m["role"] == "MEMBER"),
        "{}",
        members.body
    );
    // A project role of its own, listed on the project and removed again.
    let project_role = call(
        &app,
        &admin,
        Method::PUT,
        &format!("/projects/{id}/memberships"),
        Some(json!({"userId": user.id.as_str(), "role": "VIEWER"})),
    )
    .await;
    assert_eq!(project_role.status, StatusCode::OK, "{}", project_role.body);
    let on_project = call(
        &app,
        &admin,
        Method::GET,
        &format!("/projects/{id}/memberships"),
        None,
    )
    .await;
    let ada = |body: &Value| {
        body["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "ada@example.com")
            .map(|m| m["role"].clone())
    };
    assert_eq!(ada(&on_project.body), Some(json!("VIEWER")));
    let removed = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/projects/{id}/memberships"),
        Some(json!({"userId": user.id.as_str()})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let on_project = call(
        &app,
        &admin,
        Method::GET,
        &format!("/projects/{id}/memberships"),
        None,
    )
    .await;
    assert_eq!(ada(&on_project.body), Some(json!("MEMBER")));
    let left = call(
        &app,
        &admin,
        Method::DELETE,
        "/organizations/memberships",
        Some(json!({"userId": user.id.as_str()})),
    )
    .await;
    assert_eq!(left.body["userId"], user.id.as_str());
    let members = call(
        &app,
        &admin,
        Method::GET,
        "/organizations/memberships",
        None,
    )
    .await;
    assert!(ada(&members.body).is_none());
    let bad_role = call(
        &app,
        &admin,
        Method::PUT,
        "/organizations/memberships",
        Some(json!({"userId": user.id.as_str(), "role": "KING"})),
    )
    .await;
    assert_eq!(bad_role.status, StatusCode::BAD_REQUEST);

    // A project key is refused with Langfuse's message; a bad key is a 401.
    let refused = call(
        &app,
        &acme.basic(),
        Method::POST,
        "/projects",
        Some(json!({"name": "nope", "retention": 0})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["message"], ORG_KEY_REQUIRED);
    let bad = call(
        &app,
        &basic(&key.public_key, "sk-lf-wrong"),
        Method::GET,
        "/organizations/projects",
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    // Another organization's project and keys are 404.
    let theirs = other.project_id.as_str();
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/projects/{theirs}"),
            Some(json!({"name": "taken"})),
        ),
        (Method::GET, format!("/projects/{theirs}/apiKeys"), None),
        (Method::DELETE, format!("/projects/{theirs}"), None),
    ] {
        let response = call(&app, &admin, method, &path, body).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            response.body
        );
    }
    let still = call(&app, &other.basic(), Method::GET, "/projects", None).await;
    assert_eq!(still.body["data"][0]["name"], "theirs");

    // Revoke the key, then delete the project.
    let key_id = listed_keys[0]["id"].as_str().unwrap();
    let revoked = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/projects/{id}/apiKeys/{key_id}"),
        None,
    )
    .await;
    assert_eq!(revoked.body, json!({"success": true}));
    assert_eq!(
        call(&app, &project_auth, Method::GET, "/projects", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let deleted = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/projects/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    assert_eq!(deleted.body["success"], true);
    let listed = call(&app, &admin, Method::GET, "/organizations/projects", None).await;
    assert_eq!(listed.body["projects"].as_array().unwrap().len(), 1);
    let org_keys = call(&app, &admin, Method::GET, "/organizations/apiKeys", None).await;
    assert_eq!(
        org_keys.body["apiKeys"][0]["publicKey"],
        key.public_key.as_str()
    );
    assert!(!org_keys.text.contains(&secret));
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "an_organization_key_manages_projects_keys_and_members",
        an_organization_key_manages_projects_keys_and_members,
    )]
}
