//! One behavioural suite for every store backend: each test runs on SQLite and on PostgreSQL.

use sightline_domain::{ApiKeyId, ApiKeyPair, Email, OrgId, ProjectId, Role, SecretHash, UserId};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::{InitialSetup, NewApiKey, NewProject, NewUser, Store, StoreError};

#[path = "conformance/accounts.rs"]
mod accounts;
#[path = "conformance/annotation_queues.rs"]
mod annotation_queues;
#[path = "conformance/datasets.rs"]
mod datasets;
#[path = "conformance/evals.rs"]
mod evals;
#[path = "conformance/event_store.rs"]
mod event_store;
#[path = "conformance/jobs.rs"]
mod jobs;
#[path = "conformance/llm_connections.rs"]
mod llm_connections;
#[path = "conformance/outlines.rs"]
mod outlines;
#[path = "conformance/prompts.rs"]
mod prompts;
#[path = "conformance/retention.rs"]
mod retention;
#[path = "conformance/rollups.rs"]
mod rollups;
#[path = "conformance/users.rs"]
mod users;

fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: Some("Ada".into()),
        password_hash: None,
    }
}

fn new_project(org: &OrgId, name: &str) -> NewProject {
    NewProject {
        id: ProjectId::generate(),
        org_id: org.clone(),
        name: name.into(),
        retention_days: None,
    }
}

fn new_key(project: &ProjectId) -> (ApiKeyPair, NewApiKey) {
    let pair = ApiKeyPair::generate();
    let key = NewApiKey {
        id: ApiKeyId::generate(),
        project_id: project.clone(),
        public_key: pair.public_key.clone(),
        secret_hash: SecretHash::compute("salt", &pair.secret_key),
        display_secret_key: pair.display_secret(),
        note: Some("ci".into()),
    };
    (pair, key)
}

async fn org_and_project(store: &Store) -> (OrgId, ProjectId) {
    let org = OrgId::generate();
    store
        .metadata()
        .insert_organization(&org, "Acme")
        .await
        .unwrap();
    let project = store
        .metadata()
        .insert_project(&new_project(&org, "web"))
        .await
        .unwrap();
    (org, project.id)
}

fn initial_setup(email: &str) -> InitialSetup {
    let org = OrgId::generate();
    let project = new_project(&org, "Default Project");
    let (_, api_key) = new_key(&project.id);
    InitialSetup {
        organization_id: org,
        organization_name: "Default Organization".into(),
        project,
        owner: new_user(email),
        api_key,
    }
}

async fn settings_keep_the_first_value(db: TestDb) {
    let store = &db.store;
    assert_eq!(store.metadata().setting("salt").await.unwrap(), None);
    assert_eq!(
        store
            .metadata()
            .setting_or_insert("salt", "a")
            .await
            .unwrap(),
        "a"
    );
    assert_eq!(
        store
            .metadata()
            .setting_or_insert("salt", "b")
            .await
            .unwrap(),
        "a"
    );
    assert_eq!(
        store.metadata().setting("salt").await.unwrap().as_deref(),
        Some("a")
    );
}

async fn initial_setup_happens_once(db: TestDb) {
    let store = &db.store;
    let first = initial_setup("owner@example.com");
    assert!(store.metadata().create_initial_setup(&first).await.unwrap());
    assert!(
        !store
            .metadata()
            .create_initial_setup(&initial_setup("other@example.com"))
            .await
            .unwrap()
    );

    let orgs = store.metadata().list_organizations().await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].name, "Default Organization");
    let project = store
        .metadata()
        .project(&first.project.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project.organization.id, first.organization_id);
    let owner = store
        .metadata()
        .user_by_email(&first.owner.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .org_role(&first.organization_id, &owner.id)
            .await
            .unwrap(),
        Some(Role::Owner)
    );
    let credentials = store
        .metadata()
        .api_key_credentials(&first.api_key.public_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.project_id, first.project.id);
    assert!(
        store
            .metadata()
            .user_by_email(&Email::parse("other@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn initial_setup_races_create_one_organization(db: TestDb) {
    let store = db.store.clone();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .metadata()
                    .create_initial_setup(&initial_setup(&format!("owner{i}@example.com")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap());
    }
    assert_eq!(created, 1);
    assert_eq!(
        store.metadata().list_organizations().await.unwrap().len(),
        1
    );
}

async fn initial_setup_skips_when_marked_or_populated(db: TestDb) {
    let store = &db.store;
    store.metadata().mark_initialized().await.unwrap();
    assert!(
        !store
            .metadata()
            .create_initial_setup(&initial_setup("a@example.com"))
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .list_organizations()
            .await
            .unwrap()
            .is_empty()
    );
}

async fn users_have_unique_emails(db: TestDb) {
    let store = &db.store;
    let user = store
        .metadata()
        .insert_user(&new_user("Ada@Example.com"))
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "ada@example.com");
    let again = store
        .metadata()
        .insert_user(&new_user("ada@example.com"))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let found = store
        .metadata()
        .user_by_email(&Email::parse("ADA@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&user));
    assert_eq!(
        store.metadata().user(&user.id).await.unwrap(),
        Some(user.clone())
    );

    store
        .metadata()
        .set_user_password(&user.id, "$argon2id$stub")
        .await
        .unwrap();
    let updated = store.metadata().user(&user.id).await.unwrap().unwrap();
    assert_eq!(updated.password_hash.as_deref(), Some("$argon2id$stub"));
    let missing = store
        .metadata()
        .set_user_password(&UserId::generate(), "x")
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    assert_eq!(store.metadata().list_users().await.unwrap().len(), 1);
}

async fn organizations_insert_and_upsert(db: TestDb) {
    let store = &db.store;
    let id = OrgId::parse("org-1").unwrap();
    store
        .metadata()
        .insert_organization(&id, "One")
        .await
        .unwrap();
    assert!(matches!(
        store.metadata().insert_organization(&id, "Again").await,
        Err(StoreError::Conflict(_))
    ));
    let renamed = store
        .metadata()
        .upsert_organization(&id, "Renamed")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Renamed");
    let created = store
        .metadata()
        .upsert_organization(&OrgId::parse("org-2").unwrap(), "Two")
        .await
        .unwrap();
    assert_eq!(created.name, "Two");
    assert_eq!(
        store.metadata().list_organizations().await.unwrap().len(),
        2
    );
    assert_eq!(
        store
            .metadata()
            .organization(&id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Renamed"
    );
    assert!(
        store
            .metadata()
            .organization(&OrgId::parse("nope").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn projects_belong_to_one_organization(db: TestDb) {
    let store = &db.store;
    let missing_org = store
        .metadata()
        .insert_project(&new_project(&OrgId::generate(), "x"))
        .await;
    assert!(
        matches!(missing_org, Err(StoreError::NotFound(_))),
        "{missing_org:?}"
    );

    let (org, project_id) = org_and_project(store).await;
    let found = store
        .metadata()
        .project(&project_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.project.name, "web");
    assert_eq!(found.project.metadata, "{}");
    assert_eq!(found.organization.name, "Acme");

    let mut update = NewProject {
        id: project_id.clone(),
        org_id: org.clone(),
        name: "web-renamed".into(),
        retention_days: Some(30),
    };
    let updated = store.metadata().upsert_project(&update).await.unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.retention_days),
        ("web-renamed", Some(30))
    );

    let other = OrgId::generate();
    store
        .metadata()
        .insert_organization(&other, "Other")
        .await
        .unwrap();
    update.org_id = other.clone();
    assert!(matches!(
        store.metadata().upsert_project(&update).await,
        Err(StoreError::Conflict(_))
    ));

    store
        .metadata()
        .insert_project(&new_project(&other, "api"))
        .await
        .unwrap();
    assert_eq!(store.metadata().list_projects(None).await.unwrap().len(), 2);
    let in_org = store.metadata().list_projects(Some(&org)).await.unwrap();
    assert_eq!(in_org.len(), 1);
    assert_eq!(in_org[0].id, project_id);
}

async fn memberships_and_project_overrides(db: TestDb) {
    let store = &db.store;
    let (org, project) = org_and_project(store).await;
    let user = store
        .metadata()
        .insert_user(&new_user("m@example.com"))
        .await
        .unwrap();

    assert_eq!(
        store
            .metadata()
            .effective_project_role(&project, &user.id)
            .await
            .unwrap(),
        None
    );
    let not_member = store
        .metadata()
        .set_project_role(&project, &user.id, Some(Role::Admin))
        .await;
    assert!(matches!(not_member, Err(StoreError::NotFound(_))));

    store
        .metadata()
        .set_org_role(&org, &user.id, Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        store.metadata().org_role(&org, &user.id).await.unwrap(),
        Some(Role::Viewer)
    );
    assert_eq!(
        store
            .metadata()
            .effective_project_role(&project, &user.id)
            .await
            .unwrap(),
        Some(Role::Viewer)
    );

    store
        .metadata()
        .set_project_role(&project, &user.id, Some(Role::Admin))
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .effective_project_role(&project, &user.id)
            .await
            .unwrap(),
        Some(Role::Admin)
    );
    store
        .metadata()
        .set_project_role(&project, &user.id, Some(Role::None))
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .effective_project_role(&project, &user.id)
            .await
            .unwrap(),
        Some(Role::Viewer)
    );
    store
        .metadata()
        .set_project_role(&project, &user.id, None)
        .await
        .unwrap();
    store
        .metadata()
        .set_org_role(&org, &user.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .effective_project_role(&project, &user.id)
            .await
            .unwrap(),
        Some(Role::Member)
    );

    let members = store.metadata().list_org_members(&org).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user.id.clone(), members[0].role),
        (user.id, Role::Member)
    );
}

async fn api_keys_lifecycle(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (pair, key) = new_key(&project);
    let stored = store.metadata().insert_api_key(&key).await.unwrap();
    assert_eq!(stored.public_key, pair.public_key);
    assert_eq!(stored.display_secret_key, pair.display_secret());
    assert_eq!(stored.last_used_at, None);
    assert!(matches!(
        store.metadata().insert_api_key(&key).await,
        Err(StoreError::Conflict(_))
    ));

    let credentials = store
        .metadata()
        .api_key_credentials(&pair.public_key)
        .await
        .unwrap()
        .unwrap();
    assert!(
        credentials
            .secret_hash
            .matches(&SecretHash::compute("salt", &pair.secret_key))
    );
    assert_eq!(credentials.project_id, project);
    assert!(
        store
            .metadata()
            .api_key_credentials("pk-lf-unknown")
            .await
            .unwrap()
            .is_none()
    );

    store
        .metadata()
        .touch_api_key(&stored.id, 1_700_000_000_000)
        .await
        .unwrap();
    let listed = store.metadata().list_api_keys(&project).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(1_700_000_000_000));

    let (second_pair, second) = new_key(&project);
    store.metadata().insert_api_key(&second).await.unwrap();
    assert!(
        store
            .metadata()
            .delete_api_key(&pair.public_key)
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .delete_api_key(second.id.as_str())
            .await
            .unwrap()
    );
    assert!(
        !store
            .metadata()
            .delete_api_key(&second_pair.public_key)
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .list_api_keys(&project)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn migrations_are_idempotent(db: TestDb) {
    db.store.migrate().await.unwrap();
    db.store.ping().await.unwrap();
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "settings_keep_the_first_value",
            settings_keep_the_first_value,
        ),
        backend_test("initial_setup_happens_once", initial_setup_happens_once),
        backend_test(
            "initial_setup_races_create_one_organization",
            initial_setup_races_create_one_organization,
        ),
        backend_test(
            "initial_setup_skips_when_marked_or_populated",
            initial_setup_skips_when_marked_or_populated,
        ),
        backend_test("users_have_unique_emails", users_have_unique_emails),
        backend_test(
            "organizations_insert_and_upsert",
            organizations_insert_and_upsert,
        ),
        backend_test(
            "projects_belong_to_one_organization",
            projects_belong_to_one_organization,
        ),
        backend_test(
            "memberships_and_project_overrides",
            memberships_and_project_overrides,
        ),
        backend_test("api_keys_lifecycle", api_keys_lifecycle),
        backend_test("migrations_are_idempotent", migrations_are_idempotent),
    ]
}

fn main() {
    sightline_store::testing::run_backend_tests(vec![
        ("", tests()),
        ("accounts", accounts::tests()),
        ("annotation_queues", annotation_queues::tests()),
        ("datasets", datasets::tests()),
        ("evals", evals::tests()),
        ("jobs", jobs::tests()),
        ("llm_connections", llm_connections::tests()),
        ("event_store", event_store::tests()),
        ("outlines", outlines::tests()),
        ("prompts", prompts::tests()),
        ("retention", retention::tests()),
        ("rollups", rollups::tests()),
        ("users", users::tests()),
    ]);
}
