//! Identity: instance settings, users, organizations, projects, memberships and API keys
//! (metadata store). The trait is here, its records in [`model`]; the relational store
//! implements it in `store.rs`, `settings.rs` and `memberships.rs`.

use async_trait::async_trait;
use sightline_domain::time::Millis;
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

use crate::StoreResult;

mod memberships;
pub mod model;
mod settings;
mod store;

pub(crate) use memberships::{ensure_owner_remains, lock_owners};

pub use model::{
    ApiKey, ApiKeyCredentials, InitialSetup, NewApiKey, NewProject, NewUser, OrgMember,
    Organization, Project, ProjectWithOrg, User,
};

/// Instance settings, users, organizations, projects, memberships and API keys.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    // Instance settings.

    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;

    /// Stores `value` under `key` unless a value is there already; returns the value that is
    /// stored.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    /// Creates the first organization, project, owner and key pair, unless the instance was
    /// initialized before or already has an organization. Atomic across replicas; returns
    /// whether this call created them.
    async fn create_initial_setup(&self, setup: &InitialSetup) -> StoreResult<bool>;

    /// Records that the instance has been initialized (by headless initialization), so that no
    /// default organization is ever created.
    async fn mark_initialized(&self) -> StoreResult<()>;

    // Users.

    /// Fails with [`StoreError::Conflict`] when the email is taken.
    async fn insert_user(&self, user: &NewUser) -> StoreResult<User>;
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_user_password(&self, id: &UserId, password_hash: &str) -> StoreResult<()>;

    // Organizations.

    /// Fails with [`StoreError::Conflict`] when the id is taken.
    async fn insert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization>;
    /// Creates the organization or renames the existing one.
    async fn upsert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization>;
    async fn organization(&self, id: &OrgId) -> StoreResult<Option<Organization>>;
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;

    // Projects.

    /// Fails with [`StoreError::Conflict`] when the id is taken, [`StoreError::NotFound`] when
    /// the organization does not exist.
    async fn insert_project(&self, project: &NewProject) -> StoreResult<Project>;
    /// Creates the project or updates name and retention of the existing one; fails with
    /// [`StoreError::Conflict`] when the id belongs to another organization.
    async fn upsert_project(&self, project: &NewProject) -> StoreResult<Project>;
    async fn project(&self, id: &ProjectId) -> StoreResult<Option<ProjectWithOrg>>;
    async fn list_projects(&self, org: Option<&OrgId>) -> StoreResult<Vec<Project>>;

    // Memberships.

    /// Adds the user to the organization with `role`, or changes the role they have there.
    /// An organization keeps at least one OWNER: demoting its last OWNER fails with
    /// [`StoreError::Conflict`] (checked in the write's transaction, so two concurrent
    /// demotions of the last two owners cannot both pass).
    ///
    /// [`StoreError::Conflict`]: crate::StoreError::Conflict
    async fn set_org_role(&self, org: &OrgId, user: &UserId, role: Role) -> StoreResult<()>;
    /// Sets a per-project override (`Some`) or removes it (`None`). The user must be an
    /// organization member first ([`StoreError::NotFound`] otherwise).
    async fn set_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: Option<Role>,
    ) -> StoreResult<()>;
    async fn org_role(&self, org: &OrgId, user: &UserId) -> StoreResult<Option<Role>>;
    /// The role the user has on the project: the override if any, else the organization role.
    async fn effective_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> StoreResult<Option<Role>>;
    async fn list_org_members(&self, org: &OrgId) -> StoreResult<Vec<OrgMember>>;

    // API keys.

    /// Fails with [`StoreError::Conflict`] when the public key or the secret is taken.
    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey>;
    async fn api_key_credentials(&self, public_key: &str)
    -> StoreResult<Option<ApiKeyCredentials>>;
    async fn list_api_keys(&self, project: &ProjectId) -> StoreResult<Vec<ApiKey>>;
    /// Deletes the key with this row id or public key; returns whether one was deleted.
    async fn delete_api_key(&self, id_or_public_key: &str) -> StoreResult<bool>;
    async fn touch_api_key(&self, id: &ApiKeyId, at: Millis) -> StoreResult<()>;
}
