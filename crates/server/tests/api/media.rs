//! Media as the SDKs use it (wire-spec §9): an upload URL for content found in a trace, the
//! upload itself to our signed URL, the SDK's report, and the download; refusals of bad input
//! that keep nothing; media going with the last trace that referenced it.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp, TestResponse};

fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

fn upload_body(bytes: &[u8], content_type: &str, trace: &str) -> Value {
    json!({
        "traceId": trace,
        "observationId": null,
        "contentType": content_type,
        "contentLength": bytes.len(),
        "sha256Hash": sha256_base64(bytes),
        "field": "input",
    })
}

async fn post_media(app: &TestApp, tenant: &Tenant, body: Value) -> TestResponse {
    app.post_json("/api/public/media", &tenant.basic(), &body)
        .await
}

/// The path and query of a URL this server handed out (its host is the request's).
fn local_path(url: &str) -> &str {
    url.strip_prefix("http://localhost")
        .unwrap_or_else(|| panic!("not one of our URLs: {url}"))
}

async fn put(app: &TestApp, url: &str, content_type: &str, bytes: &[u8]) -> TestResponse {
    app.request(
        Method::PUT,
        local_path(url),
        &[("content-type", content_type)],
        bytes.to_vec(),
    )
    .await
}

async fn report(app: &TestApp, tenant: &Tenant, media_id: &str, status: u16) -> TestResponse {
    app.tenant_request(
        tenant,
        Method::PATCH,
        &format!("/api/public/media/{media_id}"),
        Some(
            json!({"uploadedAt": "2026-12-07T10:00:00.000Z", "uploadHttpStatus": status,
            "uploadHttpError": null, "uploadTimeMs": 12.5}),
        ),
    )
    .await
}

async fn get_media(app: &TestApp, tenant: &Tenant, media_id: &str) -> TestResponse {
    app.tenant_request(
        tenant,
        Method::GET,
        &format!("/api/public/media/{media_id}"),
        None,
    )
    .await
}

/// Downloads raw bytes (the download is not JSON).
async fn download(app: &TestApp, url: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = axum::http::Request::get(local_path(url))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n fake image bytes for the media test";

async fn media_round_trip_through_signed_urls(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "media").await;

    let response = post_media(&app, &tenant, upload_body(PNG, "image/png", "t1")).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let media_id = response.body["mediaId"].as_str().unwrap().to_owned();
    let expected_id: String = sha256_base64(PNG)
        .replace('+', "-")
        .replace('/', "_")
        .chars()
        .take(22)
        .collect();
    assert_eq!(media_id, expected_id, "the id the SDKs derive");
    let upload_url = response.body["uploadUrl"].as_str().unwrap().to_owned();
    assert!(
        upload_url.contains(&format!("/api/public/media/{media_id}/upload?")),
        "{upload_url}"
    );

    let before = get_media(&app, &tenant, &media_id).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    assert_eq!(before.body["message"], "Media not yet uploaded");

    let uploaded = put(&app, &upload_url, "image/png", PNG).await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.body);
    let reported = report(&app, &tenant, &media_id, 200).await;
    assert_eq!(reported.status, StatusCode::OK, "{}", reported.body);

    let media = get_media(&app, &tenant, &media_id).await;
    assert_eq!(media.status, StatusCode::OK, "{}", media.body);
    assert_eq!(media.body["mediaId"], media_id.as_str());
    assert_eq!(media.body["contentType"], "image/png");
    assert_eq!(media.body["contentLength"], PNG.len());
    assert_eq!(media.body["uploadedAt"], "2026-12-07T10:00:00.000Z");
    assert!(media.body["urlExpiry"].as_str().unwrap().ends_with('Z'));
    let url = media.body["url"].as_str().unwrap();
    let (status, headers, bytes) = download(&app, url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG, "the same bytes come back");
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );

    // A tampered or foreign download URL gives nothing.
    let tampered = url.replace("signature=", "signature=0");
    assert_eq!(download(&app, &tampered).await.0, StatusCode::FORBIDDEN);
    let other = app.tenant("Other", "media").await;
    assert_eq!(
        get_media(&app, &other, &media_id).await.status,
        StatusCode::NOT_FOUND,
        "another project's media is unknown"
    );

    // The same content again: no upload, only the link.
    let again = post_media(&app, &tenant, upload_body(PNG, "image/png", "t2")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["mediaId"], media_id.as_str());
    assert_eq!(again.body["uploadUrl"], Value::Null);
}

async fn bad_media_input_is_refused_and_keeps_nothing(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "media").await;

    let refused = [
        (
            upload_body(PNG, "image/x-bogus", "t1"),
            "Invalid content type",
        ),
        (
            json!({"traceId": "t1", "contentType": "image/png", "contentLength": 2_000_000_000u64,
                "sha256Hash": sha256_base64(PNG), "field": "input"}),
            "File size must be less than 1000000000 bytes",
        ),
        (
            json!({"traceId": "t1", "contentType": "image/png", "contentLength": 3,
                "sha256Hash": "not-a-hash", "field": "input"}),
            "44 character",
        ),
        (
            json!({"contentType": "image/png", "contentLength": 3,
                "sha256Hash": sha256_base64(PNG), "field": "input"}),
            "Provide either traceId",
        ),
        (
            json!({"traceId": "t1", "contentType": "image/png", "contentLength": 3,
                "sha256Hash": sha256_base64(PNG), "field": "expectedOutput"}),
            "Provide either traceId",
        ),
    ];
    for (body, message) in refused {
        let response = post_media(&app, &tenant, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            response.body["message"].as_str().unwrap().contains(message),
            "{}",
            response.body
        );
    }

    let response = post_media(&app, &tenant, upload_body(PNG, "image/png", "t1")).await;
    let media_id = response.body["mediaId"].as_str().unwrap().to_owned();
    let url = response.body["uploadUrl"].as_str().unwrap().to_owned();
    let mut longer = PNG.to_vec();
    longer.push(b'!');
    let mut changed = PNG.to_vec();
    changed[20] ^= 1;
    for (content_type, bytes, message) in [
        ("image/jpeg", PNG, "Content-Type must be image/png"),
        ("image/png", &PNG[..10], "not the declared"),
        ("image/png", &longer[..], "longer than the declared"),
        ("image/png", &changed[..], "SHA-256 does not match"),
    ] {
        let response = put(&app, &url, content_type, bytes).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(
            response.body["message"].as_str().unwrap().contains(message),
            "{}",
            response.body
        );
    }
    let forged = url.replace("expires=", "expires=9");
    assert_eq!(
        put(&app, &forged, "image/png", PNG).await.status,
        StatusCode::FORBIDDEN
    );
    // Nothing was kept: a report of success still finds no object behind the media.
    assert_eq!(
        report(&app, &tenant, &media_id, 200).await.status,
        StatusCode::OK
    );
    let media = get_media(&app, &tenant, &media_id).await;
    let (status, _, _) = download(&app, media.body["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no object was written");

    let unknown = get_media(&app, &tenant, "no-such-media").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["message"], "Media asset not found");
    assert_eq!(
        report(&app, &tenant, "no-such-media", 200).await.status,
        StatusCode::NOT_FOUND
    );

    // A failed upload report is what GET says.
    let other = b"other bytes";
    let response = post_media(&app, &tenant, upload_body(other, "text/plain", "t1")).await;
    let other_id = response.body["mediaId"].as_str().unwrap().to_owned();
    report(&app, &tenant, &other_id, 403).await;
    let failed = get_media(&app, &tenant, &other_id).await;
    assert_eq!(failed.status, StatusCode::NOT_FOUND);
    assert!(
        failed.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Media upload failed with status 403"),
        "{}",
        failed.body
    );
}

async fn media_goes_with_the_last_trace_that_references_it(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "media").await;
    let mut ids = Vec::new();
    for (bytes, traces) in [
        (&b"only in t1"[..], &["t1"][..]),
        (&b"in t1 and t2"[..], &["t1", "t2"][..]),
    ] {
        let mut media_id = String::new();
        for trace in traces {
            let response = post_media(&app, &tenant, upload_body(bytes, "text/plain", trace)).await;
            media_id = response.body["mediaId"].as_str().unwrap().to_owned();
            if let Some(url) = response.body["uploadUrl"].as_str() {
                assert_eq!(
                    put(&app, url, "text/plain", bytes).await.status,
                    StatusCode::OK
                );
                report(&app, &tenant, &media_id, 200).await;
            }
        }
        ids.push(media_id);
    }
    let deleted = app
        .tenant_request(&tenant, Method::DELETE, "/api/public/traces/t1", None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let gone = get_media(&app, &tenant, &ids[0]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["message"], "Media asset not found");
    let kept = get_media(&app, &tenant, &ids[1]).await;
    assert_eq!(kept.status, StatusCode::OK, "t2 still references it");
    let (status, _, bytes) = download(&app, kept.body["url"].as_str().unwrap()).await;
    assert_eq!((status, &bytes[..]), (StatusCode::OK, &b"in t1 and t2"[..]));
}

/// A dataset item's `mediaReferences`: every whole-string reference of its input, expected
/// output and metadata whose media was uploaded, with a download URL that gives the bytes.
async fn dataset_items_resolve_their_media_references(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "media").await;
    let response = post_media(&app, &tenant, upload_body(PNG, "image/png", "t1")).await;
    let media_id = response.body["mediaId"].as_str().unwrap().to_owned();
    let upload_url = response.body["uploadUrl"].as_str().unwrap().to_owned();
    assert_eq!(
        put(&app, &upload_url, "image/png", PNG).await.status,
        StatusCode::OK
    );
    assert_eq!(
        report(&app, &tenant, &media_id, 200).await.status,
        StatusCode::OK
    );
    let reference = format!("@@@langfuseMedia:type=image/png|id={media_id}|source=bytes@@@");
    let unknown = "@@@langfuseMedia:type=image/png|id=AAAAAAAAAAAAAAAAAAAAAA|source=bytes@@@";

    let created = app
        .post_json(
            "/api/public/v2/datasets",
            &tenant.basic(),
            &json!({"name": "pictures"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let item = app
        .post_json(
            "/api/public/dataset-items",
            &tenant.basic(),
            &json!({
                "datasetName": "pictures",
                "id": "pic-1",
                "input": {"image": reference, "caption": format!("see {reference}")},
                "expectedOutput": unknown,
                "metadata": {"files": [reference]},
            }),
        )
        .await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.body);
    assert_eq!(item.body["mediaReferences"].as_array().unwrap().len(), 2);

    let read = app
        .tenant_request(
            &tenant,
            Method::GET,
            "/api/public/dataset-items/pic-1",
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let references = read.body["mediaReferences"].as_array().unwrap();
    let placed: Vec<(&str, &str)> = references
        .iter()
        .map(|r| {
            (
                r["field"].as_str().unwrap(),
                r["jsonPath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        [("input", "$['image']"), ("metadata", "$['files'][0]")],
        "whole strings only; media never uploaded is left out"
    );
    let first = &references[0];
    assert_eq!(first["referenceString"], reference.as_str());
    assert_eq!(first["media"]["mediaId"], media_id.as_str());
    assert_eq!(first["media"]["contentType"], "image/png");
    assert_eq!(first["media"]["contentLength"], PNG.len());
    assert!(first["media"]["urlExpiry"].as_str().unwrap().ends_with('Z'));
    let (status, _, bytes) = download(&app, first["media"]["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);

    let listed = app
        .tenant_request(
            &tenant,
            Method::GET,
            "/api/public/dataset-items?datasetName=pictures",
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(
        listed.body["data"][0]["mediaReferences"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let legacy = app
        .tenant_request(&tenant, Method::GET, "/api/public/datasets/pictures", None)
        .await;
    assert_eq!(legacy.status, StatusCode::OK);
    assert_eq!(
        legacy.body["items"][0]["mediaReferences"][1]["jsonPath"],
        "$['files'][0]"
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "dataset_items_resolve_their_media_references",
            dataset_items_resolve_their_media_references,
        ),
        backend_test(
            "media_round_trip_through_signed_urls",
            media_round_trip_through_signed_urls,
        ),
        backend_test(
            "bad_media_input_is_refused_and_keeps_nothing",
            bad_media_input_is_refused_and_keeps_nothing,
        ),
        backend_test(
            "media_goes_with_the_last_trace_that_references_it",
            media_goes_with_the_last_trace_that_references_it,
        ),
    ]
}
