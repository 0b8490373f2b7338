//! RBAC through the UI: what VIEWER, MEMBER and ADMIN may see and do with API keys, and that
//! a user of one organization reaches nothing of another by URL (404, like a missing page).

use axum::http::{Method, StatusCode};
use sightline_domain::Role;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, org_url, project_url};

async fn only_admins_create_and_revoke_keys(db: TestDb) {
    let ui = TestUi::new(db).await;
    let org = ui.default_org.clone();
    ui.user("viewer@example.com", Some((&org, Role::Viewer)))
        .await;
    ui.user("member@example.com", Some((&org, Role::Member)))
        .await;
    ui.user("admin@example.com", Some((&org, Role::Admin)))
        .await;
    let keys = project_url(ui.project(), "/settings/api-keys");
    let settings = project_url(ui.project(), "/settings");

    // VIEWER: sees the project, not the keys; no button; the POST is refused.
    let mut viewer = ui.signed_in("viewer@example.com").await;
    let page = viewer.get(&settings).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("API keys</a>"));
    assert!(!page.body.contains("create-key-button"));
    assert!(!page.body.contains("project-settings-form"));
    assert_eq!(viewer.get(&keys).await.status, StatusCode::FORBIDDEN);
    let page = viewer.submit(&settings, &keys, &[("note", "x")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // MEMBER: sees the list, no create button; the POST is refused.
    let mut member = ui.signed_in("member@example.com").await;
    let page = member.get(&keys).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Default key"));
    assert!(!page.body.contains("create-key-button"));
    assert!(!page.body.contains("Revoke"));
    let page = member.submit(&keys, &keys, &[("note", "x")]).await;
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

    // ADMIN: creates a key (the secret shown once, with SDK variables) and revokes it.
    let mut admin = ui.signed_in("admin@example.com").await;
    let page = admin.get(&keys).await;
    assert!(page.body.contains("create-key-button"));
    let page = admin.submit(&keys, &keys, &[("note", "ci pipeline")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.headers.get("cache-control").unwrap().to_str().unwrap(),
        "no-store"
    );
    let stored = ui
        .store()
        .metadata()
        .list_api_keys(ui.project())
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let created = stored
        .iter()
        .find(|k| k.note.as_deref() == Some("ci pipeline"))
        .unwrap();
    assert!(
        page.body
            .contains(&format!("LANGFUSE_PUBLIC_KEY=\"{}\"", created.public_key))
    );
    assert!(page.body.contains("LANGFUSE_SECRET_KEY=\"sk-lf-"));
    assert!(page.body.contains("LANGFUSE_HOST="));
    assert!(page.body.contains("LANGFUSE_BASE_URL="));
    // The secret is shown this once: the list shows only its redacted form.
    let secret_start = page.body.find("LANGFUSE_SECRET_KEY=\"").unwrap() + 21;
    let secret = &page.body[secret_start..secret_start + 20];
    let list = admin.get(&keys).await;
    assert!(!list.body.contains(secret));
    assert!(list.body.contains(&created.display_secret_key));
    assert!(list.body.contains("ci pipeline"));

    // htmx: the create answers a fragment, not a page.
    let token = list.csrf().unwrap();
    let fragment = admin
        .request(
            Method::POST,
            &keys,
            &[("hx-request", "true"), ("x-csrf-token", &token)],
            Some("note=from+htmx".into()),
        )
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains("api-key-created"));
    assert!(fragment.body.contains("hx-swap-oob"));
    assert!(!fragment.body.contains("<html"));

    let revoke = format!("{keys}/{}/revoke", created.id.as_str());
    assert_eq!(
        member.submit(&keys, &revoke, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let page = admin.submit(&keys, &revoke, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        ui.store()
            .metadata()
            .api_key_credentials(&created.public_key)
            .await
            .unwrap()
            .is_none()
    );
}

async fn other_organizations_are_invisible(db: TestDb) {
    let ui = TestUi::new(db).await;
    // Alice owns the default organization; Bob owns another one with a project.
    ui.user("alice@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let other = identity::create_organization(ui.store(), None, "Other Org")
        .await
        .unwrap();
    let project = identity::create_project(ui.store(), &other.id, None, "Secret Project", None)
        .await
        .unwrap();
    let bob = ui
        .user("bob@example.com", Some((&other.id, Role::Owner)))
        .await;
    ui.store()
        .metadata()
        .set_project_role(&project.id, &bob.id, Some(Role::Owner))
        .await
        .unwrap();

    let mut alice = ui.signed_in("alice@example.com").await;
    let home = project_url(ui.project(), "");
    let pages = [
        org_url(&other.id, ""),
        org_url(&other.id, "/members"),
        project_url(&project.id, ""),
        project_url(&project.id, "/traces"),
        project_url(&project.id, "/settings"),
        project_url(&project.id, "/settings/api-keys"),
        "/ui/org/no-such-org".to_owned(),
        "/ui/project/no-such-project".to_owned(),
    ];
    for path in &pages {
        let page = alice.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!page.body.contains("Secret Project"));
        assert!(!page.body.contains("Other Org"));
    }
    let actions = [
        project_url(&project.id, "/settings/api-keys"),
        project_url(&project.id, "/settings"),
        project_url(&project.id, "/settings/delete"),
        org_url(&other.id, "/projects"),
        org_url(&other.id, "/name"),
        org_url(&other.id, "/members"),
        org_url(&other.id, &format!("/members/{}/role", bob.id.as_str())),
        org_url(&other.id, &format!("/members/{}/remove", bob.id.as_str())),
    ];
    for path in &actions {
        let page = alice
            .submit(
                &home,
                path,
                &[
                    ("name", "pwned"),
                    ("note", "x"),
                    ("confirm_name", "Secret Project"),
                    ("email", "alice@example.com"),
                    ("role", "OWNER"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    assert!(
        ui.store()
            .metadata()
            .project(&project.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        ui.store()
            .metadata()
            .list_api_keys(&project.id)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        ui.store()
            .metadata()
            .organization(&other.id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Other Org"
    );

    // Her switcher lists only her organization and projects.
    let page = alice.get(&home).await;
    assert!(page.body.contains("Default Organization"));
    assert!(!page.body.contains("Other Org"));
}

async fn project_overrides_grant_and_limit_access(db: TestDb) {
    let ui = TestUi::new(db).await;
    let org = ui.default_org.clone();
    ui.user("owner@example.com", Some((&org, Role::Owner)))
        .await;
    let guest = ui.user("guest@example.com", Some((&org, Role::None))).await;
    let mut guest_browser = ui.signed_in("guest@example.com").await;
    let home = project_url(ui.project(), "");
    assert_eq!(guest_browser.get(&home).await.status, StatusCode::NOT_FOUND);

    let mut owner = ui.signed_in("owner@example.com").await;
    let members = org_url(&org, "/members");
    let action = org_url(
        &org,
        &format!("/members/{}/project-role", guest.id.as_str()),
    );
    let page = owner
        .submit(
            &members,
            &action,
            &[("project_id", ui.project().as_str()), ("role", "VIEWER")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = guest_browser.get(&home).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">VIEWER<"));
    // NONE in the organization: the members list is not theirs to read.
    assert_eq!(
        guest_browser.get(&members).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_last_owner_stays_and_roles_are_capped(db: TestDb) {
    let ui = TestUi::new(db).await;
    let org = ui.default_org.clone();
    let olga = ui.user("olga@example.com", Some((&org, Role::Owner))).await;
    // The generated default owner is an owner too; remove it so Olga is the only one (not
    // before she is an owner: the store keeps every organization's last owner).
    let default_owner = ui
        .store()
        .metadata()
        .user_by_email(&ui.default.email)
        .await
        .unwrap()
        .unwrap();
    ui.store()
        .metadata()
        .remove_org_member(&org, &default_owner.id)
        .await
        .unwrap();
    let adam = ui.user("adam@example.com", Some((&org, Role::Admin))).await;
    let members = org_url(&org, "/members");

    let mut olga_browser = ui.signed_in("olga@example.com").await;
    let page = olga_browser
        .submit(
            &members,
            &org_url(&org, &format!("/members/{}/role", olga.id.as_str())),
            &[("role", "MEMBER")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("at least one owner"));
    let page = olga_browser
        .submit(
            &members,
            &org_url(&org, &format!("/members/{}/remove", olga.id.as_str())),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("at least one owner"));

    // An admin cannot make anyone owner, nor touch the owner.
    let mut adam_browser = ui.signed_in("adam@example.com").await;
    let page = adam_browser
        .submit(
            &members,
            &org_url(&org, &format!("/members/{}/role", adam.id.as_str())),
            &[("role", "OWNER")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = adam_browser
        .submit(
            &members,
            &org_url(&org, &format!("/members/{}/remove", olga.id.as_str())),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ui.store()
            .metadata()
            .org_role(&org, &olga.id)
            .await
            .unwrap(),
        Some(Role::Owner)
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "only_admins_create_and_revoke_keys",
            only_admins_create_and_revoke_keys,
        ),
        backend_test(
            "other_organizations_are_invisible",
            other_organizations_are_invisible,
        ),
        backend_test(
            "project_overrides_grant_and_limit_access",
            project_overrides_grant_and_limit_access,
        ),
        backend_test(
            "the_last_owner_stays_and_roles_are_capped",
            the_last_owner_stays_and_roles_are_capped,
        ),
    ]
}
