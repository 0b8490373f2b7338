//! The web UI's account storage (`AccountStore`): sessions (lookup by hash, expiry, extension,
//! deletes), invitations, membership views, and project and organization edits, on both backends.

use sightline_domain::{Email, Role, UserId};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::{Invitation, NewUser, Store, StoreError, StoreResult, User, WebSession};

use super::org_and_project;

async fn user(store: &Store, email: &str) -> User {
    store
        .metadata()
        .insert_user(&NewUser {
            id: UserId::generate(),
            email: Email::parse(email).unwrap(),
            name: None,
            password_hash: None,
        })
        .await
        .unwrap()
}

fn session(user: &User, hash: &str, expires_at: i64) -> WebSession {
    WebSession {
        token_hash: hash.into(),
        user_id: user.id.clone(),
        csrf_token: format!("csrf-{hash}"),
        created_at: 1_000,
        expires_at,
    }
}

async fn sessions_are_found_by_hash_until_they_expire(db: TestDb) {
    let store = &db.store;
    let ada = user(store, "ada@example.com").await;
    store
        .metadata()
        .insert_web_session(&session(&ada, "h1", 5_000))
        .await
        .unwrap();
    store
        .metadata()
        .insert_web_session(&session(&ada, "h2", 5_000))
        .await
        .unwrap();

    let (found, found_user) = store
        .metadata()
        .web_session("h1", 4_999)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.csrf_token, "csrf-h1");
    assert_eq!(found_user.email.as_str(), "ada@example.com");
    assert!(
        store
            .metadata()
            .web_session("h1", 5_000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .metadata()
            .web_session("nope", 0)
            .await
            .unwrap()
            .is_none()
    );

    store
        .metadata()
        .extend_web_session("h1", 9_000)
        .await
        .unwrap();
    assert!(
        store
            .metadata()
            .web_session("h1", 8_000)
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(
        store
            .metadata()
            .delete_user_web_sessions(&ada.id, Some("h1"))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .metadata()
            .web_session("h2", 0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .metadata()
            .web_session("h1", 0)
            .await
            .unwrap()
            .is_some()
    );
    store
        .metadata()
        .insert_web_session(&session(&ada, "h3", 2_000))
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .delete_expired_web_sessions(3_000)
            .await
            .unwrap(),
        1
    );
    store.metadata().delete_web_session("h1").await.unwrap();
    assert!(
        store
            .metadata()
            .web_session("h1", 0)
            .await
            .unwrap()
            .is_none()
    );
}

async fn invitations_are_upserted_per_organization_and_email(db: TestDb) {
    let store = &db.store;
    let (org, project) = org_and_project(store).await;
    let email = Email::parse("new@example.com").unwrap();
    let invitation = Invitation {
        id: "inv-1".into(),
        org_id: org.clone(),
        email: email.clone(),
        org_role: Role::Viewer,
        project: Some((project.clone(), Role::Admin)),
        invited_by: None,
        created_at: 10,
    };
    store
        .metadata()
        .upsert_invitation(&invitation)
        .await
        .unwrap();
    let again = store
        .metadata()
        .upsert_invitation(&Invitation {
            id: "inv-2".into(),
            org_role: Role::Member,
            project: None,
            ..invitation.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        again.id, "inv-1",
        "one invitation per organization and email"
    );
    assert_eq!(again.org_role, Role::Member);
    assert_eq!(again.project, None);
    assert_eq!(
        store.metadata().list_invitations(&org).await.unwrap(),
        vec![again.clone()]
    );
    assert_eq!(
        store
            .metadata()
            .invitations_for_email(&email)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        !store
            .metadata()
            .delete_invitation(&org, "inv-2")
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .delete_invitation(&org, "inv-1")
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .list_invitations(&org)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn memberships_projects_and_organizations_are_edited(db: TestDb) {
    let store = &db.store;
    let (org, project) = org_and_project(store).await;
    let ada = user(store, "ada@example.com").await;
    store
        .metadata()
        .set_org_role(&org, &ada.id, Role::Member)
        .await
        .unwrap();
    store
        .metadata()
        .set_project_role(&project, &ada.id, Some(Role::Admin))
        .await
        .unwrap();
    let orgs = store
        .metadata()
        .organizations_of_user(&ada.id)
        .await
        .unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].1, Role::Member);
    let overrides = store.metadata().project_role_overrides(&org).await.unwrap();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].role, Role::Admin);

    assert!(
        store
            .metadata()
            .remove_org_member(&org, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .project_role_overrides(&org)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .metadata()
            .organizations_of_user(&ada.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .metadata()
            .remove_org_member(&org, &ada.id)
            .await
            .unwrap()
    );

    assert!(
        store
            .metadata()
            .update_project(&project, "renamed", Some(30))
            .await
            .unwrap()
    );
    let stored = store
        .metadata()
        .project(&project)
        .await
        .unwrap()
        .unwrap()
        .project;
    assert_eq!(
        (stored.name.as_str(), stored.retention_days),
        ("renamed", Some(30))
    );
    assert!(
        store
            .metadata()
            .rename_organization(&org, "Acme 2")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .metadata()
            .organization(&org)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Acme 2"
    );

    assert!(store.metadata().delete_project(&project).await.unwrap());
    assert!(store.metadata().project(&project).await.unwrap().is_none());
    assert!(!store.metadata().delete_project(&project).await.unwrap());
}

fn is_conflict<T: std::fmt::Debug>(result: &StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

async fn an_organization_keeps_at_least_one_owner(db: TestDb) {
    let store = &db.store;
    let (org, project) = org_and_project(store).await;
    let olga = user(store, "olga@example.com").await;
    let adam = user(store, "adam@example.com").await;
    store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Owner)
        .await
        .unwrap();
    store
        .metadata()
        .set_org_role(&org, &adam.id, Role::Admin)
        .await
        .unwrap();
    store
        .metadata()
        .set_project_role(&project, &olga.id, Some(Role::Viewer))
        .await
        .unwrap();

    // The sole owner can be neither demoted nor removed, and stays as they were.
    let demoted = store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Admin)
        .await;
    assert!(is_conflict(&demoted), "{demoted:?}");
    let removed = store.metadata().remove_org_member(&org, &olga.id).await;
    assert!(is_conflict(&removed), "{removed:?}");
    assert_eq!(
        store.metadata().org_role(&org, &olga.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(
        store
            .metadata()
            .project_role_overrides(&org)
            .await
            .unwrap()
            .len(),
        1,
        "a refused removal keeps the project overrides"
    );
    // Owner again is no demotion, and the other members change freely.
    store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Owner)
        .await
        .unwrap();
    store
        .metadata()
        .set_org_role(&org, &adam.id, Role::Member)
        .await
        .unwrap();

    // With two owners, one can be demoted; then the other is the last.
    store
        .metadata()
        .set_org_role(&org, &adam.id, Role::Owner)
        .await
        .unwrap();
    store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Admin)
        .await
        .unwrap();
    let demoted = store
        .metadata()
        .set_org_role(&org, &adam.id, Role::Viewer)
        .await;
    assert!(is_conflict(&demoted), "{demoted:?}");

    // With two owners, one can be removed; then the other is the last.
    store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Owner)
        .await
        .unwrap();
    assert!(
        store
            .metadata()
            .remove_org_member(&org, &adam.id)
            .await
            .unwrap()
    );
    let removed = store.metadata().remove_org_member(&org, &olga.id).await;
    assert!(is_conflict(&removed), "{removed:?}");

    // Another organization's owners do not count.
    let other = sightline_domain::OrgId::generate();
    store
        .metadata()
        .insert_organization(&other, "Other")
        .await
        .unwrap();
    store
        .metadata()
        .set_org_role(&other, &adam.id, Role::Owner)
        .await
        .unwrap();
    let demoted = store
        .metadata()
        .set_org_role(&org, &olga.id, Role::Member)
        .await;
    assert!(is_conflict(&demoted), "{demoted:?}");
    // Removing someone who is not a member is no conflict.
    assert!(
        !store
            .metadata()
            .remove_org_member(&org, &adam.id)
            .await
            .unwrap()
    );
}

/// Two owners demote each other at the same time: the check and the write are one transaction
/// (with the organization locked on PostgreSQL), so exactly one of them succeeds.
async fn concurrent_demotions_keep_one_owner(db: TestDb) {
    let (org, _) = org_and_project(&db.store).await;
    for round in 0..5 {
        let a = user(&db.store, &format!("a{round}@example.com")).await;
        let b = user(&db.store, &format!("b{round}@example.com")).await;
        for owner in [&a, &b] {
            db.store
                .metadata()
                .set_org_role(&org, &owner.id, Role::Owner)
                .await
                .unwrap();
        }
        // The previous round's survivor steps down, so that a and b are the only owners.
        for member in db.store.metadata().list_org_members(&org).await.unwrap() {
            if member.role == Role::Owner && member.user.id != a.id && member.user.id != b.id {
                db.store
                    .metadata()
                    .set_org_role(&org, &member.user.id, Role::Member)
                    .await
                    .unwrap();
            }
        }
        let demote = |target: UserId| {
            let (store, org, round) = (db.store.clone(), org.clone(), round);
            tokio::spawn(async move {
                if round % 2 == 0 {
                    store
                        .metadata()
                        .set_org_role(&org, &target, Role::Admin)
                        .await
                } else {
                    store
                        .metadata()
                        .remove_org_member(&org, &target)
                        .await
                        .map(|_| ())
                }
            })
        };
        let (first, second) = (demote(a.id.clone()), demote(b.id.clone()));
        let results = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(
            results.iter().filter(|result| result.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        assert!(
            results.iter().any(is_conflict),
            "round {round}: {results:?}"
        );
        let owners = db
            .store
            .metadata()
            .list_org_members(&org)
            .await
            .unwrap()
            .into_iter()
            .filter(|member| member.role == Role::Owner)
            .count();
        assert_eq!(owners, 1, "round {round}");
    }
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "sessions_are_found_by_hash_until_they_expire",
            sessions_are_found_by_hash_until_they_expire,
        ),
        backend_test(
            "invitations_are_upserted_per_organization_and_email",
            invitations_are_upserted_per_organization_and_email,
        ),
        backend_test(
            "memberships_projects_and_organizations_are_edited",
            memberships_projects_and_organizations_are_edited,
        ),
        backend_test(
            "an_organization_keeps_at_least_one_owner",
            an_organization_keeps_at_least_one_owner,
        ),
        backend_test(
            "concurrent_demotions_keep_one_owner",
            concurrent_demotions_keep_one_owner,
        ),
    ]
}
