//! Organizations and projects through the UI: create, rename, retention, delete with the typed
//! name.

use axum::http::StatusCode;
use sightline_domain::{ProjectId, Role};
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, org_url, project_url};

async fn organizations_and_projects_are_created_renamed_and_deleted(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    ui.user("member@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;

    // A new organization, owned by its creator.
    let page = owner
        .submit(
            "/ui/organizations",
            "/ui/organizations",
            &[("name", "Research")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let org_path = page.location().unwrap().to_owned();
    let page = owner.get(&org_path).await;
    assert!(page.body.contains("Research"));
    assert!(page.body.contains(">OWNER<"));
    let page = owner
        .submit("/ui/organizations", "/ui/organizations", &[("name", "  ")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // A project in it; it appears in the project switcher.
    let page = owner
        .submit(
            &org_path,
            &format!("{org_path}/projects"),
            &[("name", "Chatbot")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let project_path = page.location().unwrap().to_owned();
    let project = ProjectId::parse(project_path.rsplit('/').next().unwrap()).unwrap();
    let page = owner.get(&project_path).await;
    assert!(page.body.contains("Chatbot"));
    for section in [
        "Traces", "Sessions", "Users", "Prompts", "Datasets", "Settings",
    ] {
        assert!(page.body.contains(&format!(">{section}</a>")), "{section}");
    }

    // Rename and retention.
    let settings = project_url(&project, "/settings");
    let page = owner
        .submit(
            &settings,
            &settings,
            &[("name", "Support bot"), ("retention_days", "2")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("at least 3 days"));
    let page = owner
        .submit(
            &settings,
            &settings,
            &[("name", "Support bot"), ("retention_days", "30")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let stored = ui
        .store()
        .metadata()
        .project(&project)
        .await
        .unwrap()
        .unwrap()
        .project;
    assert_eq!(stored.name, "Support bot");
    assert_eq!(stored.retention_days, Some(30));

    // Delete only with the exact name typed.
    let delete = project_url(&project, "/settings/delete");
    let page = owner
        .submit(&settings, &delete, &[("confirm_name", "Chatbot")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        ui.store()
            .metadata()
            .project(&project)
            .await
            .unwrap()
            .is_some()
    );
    let page = owner
        .submit(&settings, &delete, &[("confirm_name", "Support bot")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some(org_path.as_str()));
    assert!(
        ui.store()
            .metadata()
            .project(&project)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(owner.get(&project_path).await.status, StatusCode::NOT_FOUND);

    // A MEMBER of the default organization can neither change nor delete its project, nor
    // create projects there.
    let mut member = ui.signed_in("member@example.com").await;
    let settings = project_url(ui.project(), "/settings");
    let page = member.get(&settings).await;
    assert!(!page.body.contains("delete-project"));
    assert_eq!(
        member
            .submit(&settings, &settings, &[("name", "mine")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .submit(
                &settings,
                &project_url(ui.project(), "/settings/delete"),
                &[("confirm_name", "Default Project")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let org = org_url(&ui.default_org, "");
    assert!(!member.get(&org).await.body.contains("new-project"));
    assert_eq!(
        member
            .submit(
                &org,
                &org_url(&ui.default_org, "/projects"),
                &[("name", "x")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Nor delete the organization: no form, and the server refuses.
    assert!(!member.get(&org).await.body.contains("delete-organization"));
    assert_eq!(
        member
            .submit(
                &org,
                &org_url(&ui.default_org, "/delete"),
                &[("confirm_name", "Default Organization")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The owner deletes the organization made above, only with its exact name; its projects go
    // with it.
    let page = owner
        .submit(
            &org_path,
            &format!("{org_path}/projects"),
            &[("name", "Doomed")],
        )
        .await;
    let doomed_path = page.location().unwrap().to_owned();
    let doomed = ProjectId::parse(doomed_path.rsplit('/').next().unwrap()).unwrap();
    let page = owner.get(&org_path).await;
    assert!(page.body.contains("delete-organization"));
    let delete = format!("{org_path}/delete");
    let page = owner
        .submit(&org_path, &delete, &[("confirm_name", "research")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        ui.store()
            .metadata()
            .project(&doomed)
            .await
            .unwrap()
            .is_some()
    );
    let page = owner
        .submit(&org_path, &delete, &[("confirm_name", "Research")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/ui/organizations"));
    assert!(
        ui.store()
            .metadata()
            .project(&doomed)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(owner.get(&org_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(owner.get(&doomed_path).await.status, StatusCode::NOT_FOUND);
}

/// The settings page says what a retention does and when, to those who change it and to those
/// who only see it.
async fn retention_says_what_is_deleted_and_when(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    ui.user("member@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let settings = project_url(ui.project(), "/settings");
    let mut owner = ui.signed_in("owner@example.com").await;
    let page = owner
        .submit(
            &settings,
            &settings,
            &[("name", "Default Project"), ("retention_days", "30")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let mut member = ui.signed_in("member@example.com").await;
    for (who, page) in [
        ("owner", owner.get(&settings).await),
        ("member", member.get(&settings).await),
    ] {
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert!(
            page.body.contains("Once a day (UTC)")
                && page
                    .body
                    .contains("traces, observations and scores older than the retention")
                && page
                    .body
                    .contains("Without a retention (empty or 0), nothing is deleted"),
            "{who}: {}",
            page.body
        );
        for promise in ["not enforced", "keeps data forever"] {
            assert!(!page.body.contains(promise), "{who}: {promise}");
        }
    }
    assert!(member.get(&settings).await.body.contains("30 days"));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
/// Organization API keys (the admin API's): an OWNER makes one and sees its secret once, lists
/// and deletes it; an ADMIN sees no such section and is refused.
async fn organization_keys_are_made_once_and_deleted_by_owners(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    ui.user("admin@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    let page = org_url(&ui.default_org, "");
    let mut owner = ui.signed_in("owner@example.com").await;
    let made = owner
        .submit(
            &page,
            &org_url(&ui.default_org, "/api-keys"),
            &[("note", "terraform")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("id=\"org-key-created\""));
    let secret = made
        .body
        .lines()
        .find_map(|line| line.trim().strip_prefix("LANGFUSE_SECRET_KEY="))
        .unwrap()
        .to_owned();
    let again = owner.get(&page).await;
    assert!(again.body.contains("terraform") && again.body.contains("id=\"org-keys\""));
    assert!(!again.body.contains(&secret), "the secret is shown once");
    let keys = ui
        .store()
        .metadata()
        .list_org_api_keys(&ui.default_org)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);

    let mut admin = ui.signed_in("admin@example.com").await;
    let seen = admin.get(&page).await;
    assert!(!seen.body.contains("Organization API keys"));
    let refused = admin
        .submit(
            &page,
            &org_url(&ui.default_org, "/api-keys"),
            &[("note", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let delete = org_url(&ui.default_org, &format!("/api-keys/{}/delete", keys[0].id));
    let deleted = owner.submit(&page, &delete, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        ui.store()
            .metadata()
            .list_org_api_keys(&ui.default_org)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "organization_keys_are_made_once_and_deleted_by_owners",
            organization_keys_are_made_once_and_deleted_by_owners,
        ),
        backend_test(
            "organizations_and_projects_are_created_renamed_and_deleted",
            organizations_and_projects_are_created_renamed_and_deleted,
        ),
        backend_test(
            "retention_says_what_is_deleted_and_when",
            retention_says_what_is_deleted_and_when,
        ),
    ]
}
