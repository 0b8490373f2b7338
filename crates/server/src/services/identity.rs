//! Organizations, projects, users, memberships and API keys: creating them, the server salt,
//! headless initialization from `LANGFUSE_INIT_*`, and the default setup of a fresh instance.

use sightline_domain::password::{self, PasswordError};
use sightline_domain::{ApiKeyId, ApiKeyPair, Email, OrgId, ProjectId, Role, SecretHash, UserId};
use sightline_store::{
    ApiKey, InitialSetup, NewApiKey, NewProject, NewUser, Organization, Project, Store, StoreError,
    User,
};

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IdentityError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => IdentityError::NotFound(what),
            StoreError::Conflict(what) => IdentityError::Conflict(what),
            other => IdentityError::Store(other),
        }
    }
}

impl From<PasswordError> for IdentityError {
    fn from(error: PasswordError) -> Self {
        IdentityError::Invalid(error.to_string())
    }
}

impl From<IdentityError> for ApiError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::Invalid(message) => ApiError::InvalidRequest(message),
            IdentityError::NotFound(message) => ApiError::NotFound(message),
            IdentityError::Conflict(message) => ApiError::Conflict(message),
            IdentityError::Store(error) => error.into(),
        }
    }
}

pub type IdentityResult<T> = Result<T, IdentityError>;

const SALT_SETTING: &str = "api_key_salt";

/// The salt API key secrets are hashed with: `configured` (the `SALT` variable) when given,
/// otherwise one generated on first start and kept in the store, shared by every replica.
pub async fn resolve_salt(store: &Store, configured: Option<&str>) -> IdentityResult<String> {
    if let Some(salt) = configured {
        return Ok(salt.to_owned());
    }
    Ok(store
        .metadata()
        .setting_or_insert(SALT_SETTING, &sightline_domain::api_key::generate_salt())
        .await?)
}

fn non_empty_name(name: &str, what: &str) -> IdentityResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(IdentityError::Invalid(format!(
            "{what} name must not be empty"
        )));
    }
    Ok(name.to_owned())
}

pub async fn create_organization(
    store: &Store,
    id: Option<OrgId>,
    name: &str,
) -> IdentityResult<Organization> {
    let name = non_empty_name(name, "organization")?;
    Ok(store
        .metadata()
        .insert_organization(&id.unwrap_or_else(OrgId::generate), &name)
        .await?)
}

pub async fn create_project(
    store: &Store,
    org: &OrgId,
    id: Option<ProjectId>,
    name: &str,
    retention_days: Option<i64>,
) -> IdentityResult<Project> {
    let name = non_empty_name(name, "project")?;
    validate_retention(retention_days)?;
    if store.metadata().organization(org).await?.is_none() {
        return Err(IdentityError::NotFound(format!(
            "organization {org} not found"
        )));
    }
    Ok(store
        .metadata()
        .insert_project(&NewProject {
            id: id.unwrap_or_else(ProjectId::generate),
            org_id: org.clone(),
            name,
            retention_days,
        })
        .await?)
}

/// Sets a project's retention in days (0: none); at least 3 otherwise.
pub async fn set_retention(store: &Store, project: &ProjectId, days: i64) -> IdentityResult<()> {
    validate_retention(Some(days))?;
    let found = store
        .metadata()
        .project(project)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("project {project} not found")))?;
    store
        .metadata()
        .upsert_project(&NewProject {
            id: project.clone(),
            org_id: found.project.org_id.clone(),
            name: found.project.name.clone(),
            retention_days: (days > 0).then_some(days),
        })
        .await?;
    Ok(())
}

fn validate_retention(retention_days: Option<i64>) -> IdentityResult<()> {
    match retention_days {
        Some(days) if days != 0 && days < 3 => Err(IdentityError::Invalid(
            "retention must be 0 (none) or at least 3 days".into(),
        )),
        _ => Ok(()),
    }
}

pub async fn create_user(
    store: &Store,
    email: &Email,
    name: Option<&str>,
    password: Option<&str>,
) -> IdentityResult<User> {
    let password_hash = password.map(password::hash_password).transpose()?;
    Ok(store
        .metadata()
        .insert_user(&NewUser {
            id: UserId::generate(),
            email: email.clone(),
            name: name.map(str::to_owned),
            password_hash,
        })
        .await?)
}

/// Makes the user with `email` a member of `org` with `org_role`, and optionally sets a
/// per-project role override.
pub async fn set_membership(
    store: &Store,
    org: &OrgId,
    email: &Email,
    org_role: Role,
    project_role: Option<(ProjectId, Role)>,
) -> IdentityResult<()> {
    let user = store
        .metadata()
        .user_by_email(email)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("no user with email {email}")))?;
    change_member_role(store, org, &user.id, org_role).await?;
    if let Some((project, role)) = project_role {
        let belongs = store
            .metadata()
            .project(&project)
            .await?
            .is_some_and(|found| &found.organization.id == org);
        if !belongs {
            return Err(IdentityError::NotFound(format!(
                "project {project} not found in organization {org}"
            )));
        }
        store
            .metadata()
            .set_project_role(&project, &user.id, Some(role))
            .await?;
    }
    Ok(())
}

/// Why a membership change was refused: it would leave the organization without an OWNER.
pub const LAST_OWNER: &str = "An organization needs at least one owner.";

/// The store refuses, inside the write's transaction, a membership change that would leave an
/// organization without an owner; that is the only conflict these writes have.
fn owner_rule(error: StoreError) -> IdentityError {
    match error {
        StoreError::Conflict(_) => IdentityError::Conflict(LAST_OWNER.into()),
        other => other.into(),
    }
}

/// Sets the user's role in the organization (adding them when they are not a member). Fails
/// with [`IdentityError::Conflict`] ([`LAST_OWNER`]) when it would demote the organization's
/// last OWNER. Whether the caller may make this change (role ranks) is the caller's check.
pub async fn change_member_role(
    store: &Store,
    org: &OrgId,
    user: &UserId,
    role: Role,
) -> IdentityResult<()> {
    store
        .metadata()
        .set_org_role(org, user, role)
        .await
        .map_err(owner_rule)
}

/// Removes the user, with their project overrides, from the organization; returns whether they
/// were a member. Fails with [`IdentityError::Conflict`] ([`LAST_OWNER`]) when they are its
/// last OWNER.
pub async fn remove_member(store: &Store, org: &OrgId, user: &UserId) -> IdentityResult<bool> {
    store
        .metadata()
        .remove_org_member(org, user)
        .await
        .map_err(owner_rule)
}

/// Deletes the project with everything it holds: its events first (the event store may be
/// another database), then the project and its metadata. Returns whether it existed.
pub async fn delete_project(store: &Store, project: &ProjectId) -> IdentityResult<bool> {
    store.events().delete_project_events(project).await?;
    Ok(store.metadata().delete_project(project).await?)
}

/// Deletes the organization with its projects (events first, as [`delete_project`]),
/// memberships and invitations. Returns whether it existed.
pub async fn delete_organization(store: &Store, org: &OrgId) -> IdentityResult<bool> {
    for project in store.metadata().list_projects(Some(org)).await? {
        store.events().delete_project_events(&project.id).await?;
    }
    Ok(store.metadata().delete_organization(org).await?)
}

/// A new key and its secret, which is never available again.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret_key: String,
}

fn new_api_key(
    salt: &str,
    project: &ProjectId,
    pair: &ApiKeyPair,
    note: Option<String>,
) -> NewApiKey {
    NewApiKey {
        id: ApiKeyId::generate(),
        project_id: project.clone(),
        public_key: pair.public_key.clone(),
        secret_hash: SecretHash::compute(salt, &pair.secret_key),
        display_secret_key: pair.display_secret(),
        note,
    }
}

pub async fn create_api_key(
    store: &Store,
    salt: &str,
    project: &ProjectId,
    note: Option<String>,
) -> IdentityResult<CreatedApiKey> {
    if store.metadata().project(project).await?.is_none() {
        return Err(IdentityError::NotFound(format!(
            "project {project} not found"
        )));
    }
    let pair = ApiKeyPair::generate();
    let key = store
        .metadata()
        .insert_api_key(&new_api_key(salt, project, &pair, note))
        .await?;
    Ok(CreatedApiKey {
        key,
        secret_key: pair.secret_key,
    })
}

/// Creates a key pair of the organization for the admin API; the secret is returned once.
pub async fn create_org_api_key(
    store: &Store,
    salt: &str,
    org: &OrgId,
    note: Option<String>,
) -> IdentityResult<(sightline_store::OrgApiKey, String)> {
    if store.metadata().organization(org).await?.is_none() {
        return Err(IdentityError::NotFound(format!(
            "organization {org} not found"
        )));
    }
    let pair = ApiKeyPair::generate();
    let key = sightline_store::OrgApiKey {
        id: ApiKeyId::generate().as_str().to_owned(),
        org_id: org.clone(),
        public_key: pair.public_key.clone(),
        secret_hash: SecretHash::compute(salt, &pair.secret_key),
        display_secret_key: pair.display_secret(),
        note,
        created_at: sightline_domain::time::now_ms(),
        last_used_at: None,
    };
    store.metadata().insert_org_api_key(&key).await?;
    Ok((key, pair.secret_key))
}

/// Headless initialization, from Langfuse's `LANGFUSE_INIT_*` variables. Validated when the
/// configuration is loaded, applied idempotently on every start.
#[derive(Debug, Clone, Default)]
pub struct HeadlessInit {
    pub org: Option<(OrgId, String)>,
    pub project: Option<InitProject>,
    pub user: Option<InitUser>,
}

#[derive(Debug, Clone)]
pub struct InitProject {
    pub id: ProjectId,
    pub name: String,
    pub retention_days: Option<i64>,
    pub keys: Option<ApiKeyPair>,
}

#[derive(Clone)]
pub struct InitUser {
    pub email: Email,
    pub name: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for InitUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl HeadlessInit {
    pub fn is_empty(&self) -> bool {
        self.org.is_none()
    }
}

/// Applies headless initialization: organization and project are created or renamed, the key
/// pair is added unless its public key exists, the user is created unless their email exists
/// (an existing user's password is left alone) and made an owner of the organization.
pub async fn apply_headless_init(
    store: &Store,
    salt: &str,
    init: &HeadlessInit,
) -> IdentityResult<()> {
    let Some((org_id, org_name)) = &init.org else {
        return Ok(());
    };
    store.metadata().mark_initialized().await?;
    store
        .metadata()
        .upsert_organization(org_id, org_name)
        .await?;
    if let Some(project) = &init.project {
        validate_retention(project.retention_days)?;
        store
            .metadata()
            .upsert_project(&NewProject {
                id: project.id.clone(),
                org_id: org_id.clone(),
                name: project.name.clone(),
                retention_days: project.retention_days,
            })
            .await?;
        if let Some(pair) = &project.keys {
            match store
                .metadata()
                .api_key_credentials(&pair.public_key)
                .await?
            {
                None => {
                    let note = Some("Provisioned by LANGFUSE_INIT_PROJECT_PUBLIC_KEY".into());
                    store
                        .metadata()
                        .insert_api_key(&new_api_key(salt, &project.id, pair, note))
                        .await?;
                }
                Some(existing) if existing.project_id != project.id => {
                    return Err(IdentityError::Conflict(format!(
                        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY belongs to another project ({})",
                        existing.project_id
                    )));
                }
                Some(existing) => {
                    if !existing
                        .secret_hash
                        .matches(&SecretHash::compute(salt, &pair.secret_key))
                    {
                        tracing::warn!(
                            "LANGFUSE_INIT_PROJECT_PUBLIC_KEY exists with another secret key; \
                             the stored key is kept"
                        );
                    }
                }
            }
        }
    }
    if let Some(user) = &init.user {
        let existing = store.metadata().user_by_email(&user.email).await?;
        let user_id = match existing {
            Some(found) => found.id,
            None => {
                create_user(
                    store,
                    &user.email,
                    user.name.as_deref(),
                    Some(&user.password),
                )
                .await?
                .id
            }
        };
        store
            .metadata()
            .set_org_role(org_id, &user_id, Role::Owner)
            .await?;
    }
    Ok(())
}

/// What a fresh instance's operator needs once: sign-in details and the first key pair.
#[derive(Debug)]
pub struct DefaultSetup {
    pub organization: String,
    pub project_id: ProjectId,
    pub project: String,
    pub email: Email,
    pub password: String,
    pub keys: ApiKeyPair,
}

pub const DEFAULT_OWNER_EMAIL: &str = "admin@sightline.local";

/// On the first start of an instance without headless initialization, creates a default
/// organization, project, owner and key pair, and returns their credentials. Returns `None`
/// when the instance was initialized before (by any replica) or already has an organization.
pub async fn create_default_setup(
    store: &Store,
    salt: &str,
) -> IdentityResult<Option<DefaultSetup>> {
    let org_id = OrgId::generate();
    let project_id = ProjectId::generate();
    let email = Email::parse(DEFAULT_OWNER_EMAIL).expect("default email is valid");
    let password = password::generate_password();
    let keys = ApiKeyPair::generate();
    let setup = DefaultSetup {
        organization: "Default Organization".into(),
        project_id: project_id.clone(),
        project: "Default Project".into(),
        email: email.clone(),
        password,
        keys,
    };
    let created = store
        .metadata()
        .create_initial_setup(&InitialSetup {
            organization_id: org_id.clone(),
            organization_name: setup.organization.clone(),
            project: NewProject {
                id: project_id.clone(),
                org_id,
                name: setup.project.clone(),
                retention_days: None,
            },
            owner: NewUser {
                id: UserId::generate(),
                email,
                name: Some("Admin".into()),
                password_hash: Some(password::hash_password(&setup.password)?),
            },
            api_key: new_api_key(salt, &project_id, &setup.keys, Some("Default key".into())),
        })
        .await?;
    Ok(created.then_some(setup))
}
