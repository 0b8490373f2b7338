//! Accounts: what the web UI adds to identity (sign-in sessions, organization invitations,
//! membership views, edits and deletes of projects and organizations), in the metadata store.
//! The trait is here, its records in [`model`]; the relational store implements it in
//! `store.rs`.

use async_trait::async_trait;
use sightline_domain::time::Millis;
use sightline_domain::{Email, OrgId, ProjectId, Role, UserId};

use crate::StoreResult;
use crate::identity::{Organization, User};

pub mod model;
mod store;

pub use model::{Invitation, ProjectRoleOverride, WebSession};

/// What the web UI adds to identity: sign-in sessions, organization invitations, membership
/// views, and edits of projects and organizations.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_web_session(&self, session: &WebSession) -> StoreResult<()>;
    /// The session with this token hash, with its user, unless it expired by `now`.
    async fn web_session(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<(WebSession, User)>>;
    async fn extend_web_session(&self, token_hash: &str, expires_at: Millis) -> StoreResult<()>;
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Deletes the user's sessions but `keep`; returns how many were deleted.
    async fn delete_user_web_sessions(&self, user: &UserId, keep: Option<&str>)
    -> StoreResult<u64>;
    async fn delete_expired_web_sessions(&self, now: Millis) -> StoreResult<u64>;

    /// Creates the invitation, or replaces the roles of the organization's invitation of the
    /// same email; returns what is stored.
    async fn upsert_invitation(&self, invitation: &Invitation) -> StoreResult<Invitation>;
    /// The organization's pending invitations, by email.
    async fn list_invitations(&self, org: &OrgId) -> StoreResult<Vec<Invitation>>;
    async fn invitations_for_email(&self, email: &Email) -> StoreResult<Vec<Invitation>>;
    async fn delete_invitation(&self, org: &OrgId, id: &str) -> StoreResult<bool>;

    /// The organizations the user is a member of, with their role there, by name.
    async fn organizations_of_user(&self, user: &UserId) -> StoreResult<Vec<(Organization, Role)>>;
    /// Every per-project role override in the organization's projects.
    async fn project_role_overrides(&self, org: &OrgId) -> StoreResult<Vec<ProjectRoleOverride>>;
    /// Removes the user's membership and their project overrides in the organization; returns
    /// whether they were a member. An organization keeps at least one OWNER: removing its last
    /// OWNER fails with [`StoreError::Conflict`] (checked in the write's transaction, like
    /// [`crate::IdentityStore::set_org_role`]).
    ///
    /// [`StoreError::Conflict`]: crate::StoreError::Conflict
    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> StoreResult<bool>;
    /// Sets name and retention; returns whether the project exists.
    async fn update_project(
        &self,
        project: &ProjectId,
        name: &str,
        retention_days: Option<i64>,
    ) -> StoreResult<bool>;
    /// Deletes the project with its metadata (keys, memberships, prompts, datasets, score
    /// configs, comments, models, …); returns whether it existed.
    ///
    /// The project's events (traces, observations, scores, sessions and what derives from them)
    /// live in the event store, which may be another database: the caller must delete them
    /// through the event store FIRST. Inside one database the foreign keys may still cascade
    /// to the event tables, but nothing may rely on that.
    async fn delete_project(&self, project: &ProjectId) -> StoreResult<bool>;
    /// Deletes the organization with its projects (and their metadata, as
    /// [`AccountStore::delete_project`]), memberships and invitations; returns whether it
    /// existed.
    ///
    /// As for [`AccountStore::delete_project`], the caller must first delete the events of each
    /// of the organization's projects through the event store.
    async fn delete_organization(&self, org: &OrgId) -> StoreResult<bool>;
    /// Returns whether the organization exists.
    async fn rename_organization(&self, org: &OrgId, name: &str) -> StoreResult<bool>;
}
