//! Blob storage integrations through the admin API (`/api/public/integrations/blob-storage*`):
//! upserted by project with an organization key, listed without their secret, their sync
//! status read, deleted; bad input is a 400 that names the problem and writes nothing;
//! project keys get Langfuse's 403; another organization's projects and ids are 404. The
//! exports themselves are tested against a local S3 server in
//! `tests/sdk/test_blob_storage_integration.py`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::OrgId;
use sightline_domain::secret::Cipher;
use sightline_server::auth::ORG_KEY_REQUIRED;
use sightline_server::services::identity;
use sightline_server::services::llm_connections::LlmSettings;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestApp, basic, call};

fn request(project: &str) -> Value {
    json!({
        "projectId": project,
        "type": "S3_COMPATIBLE",
        "bucketName": "exports",
        "endpoint": "http://127.0.0.1:9",
        "region": "us-east-1",
        "accessKeyId": "AKIA-TEST",
        "secretAccessKey": "s3-secret-value-123",
        "prefix": "langfuse/",
        "exportFrequency": "hourly",
        "enabled": true,
        "forcePathStyle": true,
        "fileType": "JSONL",
        "exportMode": "FULL_HISTORY",
    })
}

async fn integrations_are_configured_with_an_organization_key(db: TestDb) {
    let settings = LlmSettings {
        cipher: Some(Cipher::new(&[5; 32])),
        ..LlmSettings::default()
    };
    let app = TestApp::with_llm(db, settings).await;
    let acme = app.tenant("Acme", "web").await;
    let other = app.tenant("Other", "theirs").await;
    let org = OrgId::parse(&acme.org_id).unwrap();
    let (key, secret) =
        identity::create_org_api_key(app.state.store(), app.state.salt(), &org, None)
            .await
            .unwrap();
    let admin = basic(&key.public_key, &secret);
    let path = "/integrations/blob-storage";

    let created = call(
        &app,
        &admin,
        Method::PUT,
        path,
        Some(request(&acme.project_id)),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(!created.text.contains("s3-secret-value-123"));
    assert_eq!(created.body["projectId"], acme.project_id.as_str());
    assert_eq!(created.body["compressed"], true, "compressed by default");
    assert_eq!(created.body["exportSource"], "LEGACY_TRACES_OBSERVATIONS");
    assert_eq!(created.body["lastSyncAt"], Value::Null);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let stored = app
        .state
        .store()
        .metadata()
        .blob_integration_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        stored.secret_access_key.as_deref(),
        Some("s3-secret-value-123"),
        "stored encrypted"
    );

    // An update keeps the id and the secret when none is sent.
    let mut update = request(&acme.project_id);
    update["exportFrequency"] = json!("daily");
    update.as_object_mut().unwrap().remove("secretAccessKey");
    let updated = call(&app, &admin, Method::PUT, path, Some(update)).await;
    assert_eq!(updated.body["id"], id.as_str());
    assert_eq!(updated.body["exportFrequency"], "daily");
    let kept = app
        .state
        .store()
        .metadata()
        .blob_integration_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.secret_access_key, stored.secret_access_key);

    let listed = call(&app, &admin, Method::GET, path, None).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let status = call(&app, &admin, Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.body["syncStatus"], "idle");
    assert_eq!(status.body["enabled"], true);

    // Bad input names the problem and writes nothing.
    let bad = [
        (
            "prefix",
            json!("no-slash"),
            "prefix must end with a forward slash",
        ),
        ("type", json!("AZURE_BLOB_STORAGE"), "not supported"),
        ("fileType", json!("PARQUET"), "not supported"),
        ("exportFrequency", json!("monthly"), "exportFrequency"),
        (
            "exportMode",
            json!("FROM_CUSTOM_DATE"),
            "exportStartDate is required",
        ),
        ("exportSource", json!("OBSERVATIONS_V2"), "cannot be served"),
    ];
    for (field, value, message) in bad {
        let mut body = request(&acme.project_id);
        body[field] = value;
        let refused = call(&app, &admin, Method::PUT, path, Some(body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{field}");
        assert!(
            refused.body["message"].as_str().unwrap().contains(message),
            "{field}: {}",
            refused.body
        );
    }
    let after = call(&app, &admin, Method::GET, path, None).await;
    assert_eq!(after.body["data"][0]["exportFrequency"], "daily");

    // Other organizations and project keys.
    let theirs = call(
        &app,
        &admin,
        Method::PUT,
        path,
        Some(request(&other.project_id)),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let project_key = call(&app, &acme.basic(), Method::GET, path, None).await;
    assert_eq!(project_key.status, StatusCode::FORBIDDEN);
    assert_eq!(project_key.body["message"], ORG_KEY_REQUIRED);
    let other_org = OrgId::parse(&other.org_id).unwrap();
    let (their_key, their_secret) =
        identity::create_org_api_key(app.state.store(), app.state.salt(), &other_org, None)
            .await
            .unwrap();
    let stranger = basic(&their_key.public_key, &their_secret);
    let hidden = call(&app, &stranger, Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let none = call(&app, &stranger, Method::GET, path, None).await;
    assert_eq!(none.body["data"], json!([]));

    let deleted = call(&app, &admin, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let gone = call(&app, &admin, Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "integrations_are_configured_with_an_organization_key",
        integrations_are_configured_with_an_organization_key,
    )]
}
