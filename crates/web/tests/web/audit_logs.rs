//! The audit log of UI changes: each change a user makes through a form is recorded with the
//! user, resource and action; the organization's audit log page lists and filters the entries
//! for ADMIN and OWNER only, and shows no secret.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_store::AuditQuery;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, org_url, project_url};

async fn ui_changes_are_audited_and_listed_for_admins(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    let owner_user = ui
        .user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    ui.user("mia@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;

    let keys_page = project_url(&project, "/settings/api-keys");
    let made = owner
        .submit(&keys_page, &keys_page, &[("note", "ci key")])
        .await;
    assert!(made.status.is_success(), "{}", made.body);
    let secret = made
        .body
        .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"' || c == '=')
        .find(|word| word.starts_with("sk-lf-"))
        .expect("the new secret is shown once")
        .to_owned();
    let labels = project_url(&project, "/settings/protected-labels");
    let protected = owner
        .submit(&labels, &labels, &[("label", "production")])
        .await;
    assert_eq!(protected.status, StatusCode::SEE_OTHER);
    // A refused change is not recorded.
    let refused = owner.submit(&labels, &labels, &[("label", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let (entries, total) = ui
        .store()
        .metadata()
        .list_audit_entries(
            &ui.default_org,
            &AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 2, "{entries:#?}");
    let key = entries
        .iter()
        .find(|e| e.resource_type == "apiKey")
        .unwrap();
    assert_eq!(key.action, "create");
    assert_eq!(key.actor_type, "USER");
    assert_eq!(key.user_id.as_deref(), Some(owner_user.id.as_str()));
    assert_eq!(key.project_id.as_ref(), Some(&project));
    assert!(key.after.as_deref().unwrap().contains("ci key"));
    let label = entries
        .iter()
        .find(|e| e.resource_type == "protectedLabel")
        .unwrap();
    assert!(label.after.as_deref().unwrap().contains("production"));
    for entry in &entries {
        let text = format!("{entry:?}");
        assert!(
            !text.contains(&secret) && !text.contains("csrf_token"),
            "{text}"
        );
    }

    let log = org_url(&ui.default_org, "/audit-logs");
    let page = owner.get(&log).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"audit-log\""));
    assert!(page.body.contains("owner@example.com"));
    assert!(page.body.contains(">apiKey<") && page.body.contains(">protectedLabel<"));
    assert!(!page.body.contains(&secret));
    let filtered = owner.get(&format!("{log}?resource_type=apiKey")).await;
    assert!(filtered.body.contains(">apiKey<") && !filtered.body.contains(">protectedLabel<"));
    let organization = owner.get(&org_url(&ui.default_org, "")).await;
    assert!(
        organization.body.contains("Audit log"),
        "the owner sees the link"
    );

    let mut mia = ui.signed_in("mia@example.com").await;
    assert_eq!(mia.get(&log).await.status, StatusCode::FORBIDDEN);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "ui_changes_are_audited_and_listed_for_admins",
        ui_changes_are_audited_and_listed_for_admins,
    )]
}
