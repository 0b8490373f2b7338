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
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
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
