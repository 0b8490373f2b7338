//! CSRF refusals, escaping of hostile names, security headers and embedded assets.

use axum::http::{Method, StatusCode};
use sightline_domain::Role;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, org_url, project_url};

async fn state_changes_without_a_valid_csrf_token_are_refused(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;

    // Before sign-in: the sign-in form itself needs the token of its page.
    let mut visitor = ui.browser();
    visitor.get("/ui/sign-in").await;
    let page = visitor
        .post(
            "/ui/sign-in",
            &[
                ("email", "owner@example.com"),
                ("password", crate::support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(visitor.cookie("sightline_session").is_none());

    let mut owner = ui.signed_in("owner@example.com").await;
    let keys = project_url(ui.project(), "/settings/api-keys");
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (keys.clone(), vec![("note", "csrf")]),
        ("/ui/organizations".into(), vec![("name", "csrf org")]),
        (
            org_url(&ui.default_org, "/projects"),
            vec![("name", "csrf project")],
        ),
        (
            project_url(ui.project(), "/settings/delete"),
            vec![("confirm_name", "Default Project")],
        ),
        ("/ui/sign-out".into(), vec![]),
    ];
    for (path, fields) in &attempts {
        // No token at all.
        assert_eq!(
            owner.post(path, fields).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        // A token that is not this session's.
        let mut forged = fields.clone();
        forged.push((
            "csrf_token",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(
            owner.post(path, &forged).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // The anonymous double-submit token is not a session's token.
    let anonymous_token = visitor.cookie("sightline_csrf").unwrap().to_owned();
    let page = owner
        .post(&keys, &[("note", "x"), ("csrf_token", &anonymous_token)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A wrong header token, as htmx would send it.
    let page = owner
        .request(
            Method::POST,
            &keys,
            &[("hx-request", "true"), ("x-csrf-token", "nope")],
            Some("note=x".into()),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    assert_eq!(
        ui.store()
            .metadata()
            .list_api_keys(ui.project())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        ui.store()
            .metadata()
            .list_organizations()
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        ui.store()
            .metadata()
            .project(ui.project())
            .await
            .unwrap()
            .is_some()
    );
    // Still signed in: the sign-out without a token did nothing.
    assert_eq!(owner.get("/ui/account").await.status, StatusCode::OK);
}

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
];

fn assert_inert(body: &str) {
    assert!(!body.contains("<script>alert"), "raw script tag in page");
    assert!(!body.contains("<img src=x"), "raw img tag in page");
    assert!(!body.contains("\"><img"), "attribute break-out in page");
    assert!(
        !body.contains("href=\"javascript:"),
        "javascript: link in page"
    );
}

async fn hostile_names_render_as_inert_text(db: TestDb) {
    let ui = TestUi::new(db).await;
    let owner = ui
        .user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut browser = ui.signed_in("owner@example.com").await;
    for (n, hostile) in HOSTILE.iter().enumerate() {
        let org = identity::create_organization(ui.store(), None, hostile)
            .await
            .unwrap();
        ui.store()
            .metadata()
            .set_org_role(&org.id, &owner.id, Role::Owner)
            .await
            .unwrap();
        let project = identity::create_project(ui.store(), &org.id, None, hostile, None)
            .await
            .unwrap();
        let keys = project_url(&project.id, "/settings/api-keys");
        let page = browser.submit(&keys, &keys, &[("note", hostile)]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_inert(&page.body);
        let invited = format!("x{n}@example.com");
        let members = org_url(&org.id, "/members");
        let page = browser
            .submit(
                &members,
                &members,
                &[("email", &invited), ("role", "VIEWER")],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        for path in [
            org_url(&org.id, ""),
            members.clone(),
            project_url(&project.id, ""),
            project_url(&project.id, "/traces"),
            project_url(&project.id, "/settings"),
            keys.clone(),
            "/ui/organizations".to_owned(),
        ] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert_inert(&page.body);
        }
    }
    let page = browser.get("/ui/organizations").await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        page.body
    );

    // Echoed form input is escaped too.
    let mut visitor = ui.browser();
    let page = visitor
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", HOSTILE[1]), ("password", "whatever")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_inert(&page.body);
}

async fn pages_carry_security_headers_and_assets_are_cached(db: TestDb) {
    let ui = TestUi::new(db).await;
    let mut browser = ui.browser();
    let page = browser.get("/ui/sign-in").await;
    let header = |name: &str| {
        page.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert!(
        header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let start = page.body.find("/ui/assets/htmx.min.js?v=").unwrap();
    let end = page.body[start..].find('"').unwrap() + start;
    let url = page.body[start..end].to_owned();
    let asset = browser.get(&url).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(asset.body.contains("htmx"));
    assert_eq!(
        asset.headers.get("cache-control").unwrap(),
        "public, max-age=31536000, immutable"
    );
    let etag = asset
        .headers
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let again = browser
        .request(Method::GET, &url, &[("if-none-match", &etag)], None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let stale = browser.get("/ui/assets/style.css?v=old").await;
    assert_eq!(stale.headers.get("cache-control").unwrap(), "no-cache");
    assert_eq!(
        browser.get("/ui/assets/htmx.LICENSE").await.status,
        StatusCode::OK
    );
    assert_eq!(
        browser.get("/ui/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser.get("/ui/assets/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "state_changes_without_a_valid_csrf_token_are_refused",
            state_changes_without_a_valid_csrf_token_are_refused,
        ),
        backend_test(
            "hostile_names_render_as_inert_text",
            hostile_names_render_as_inert_text,
        ),
        backend_test(
            "pages_carry_security_headers_and_assets_are_cached",
            pages_carry_security_headers_and_assets_are_cached,
        ),
    ]
}
