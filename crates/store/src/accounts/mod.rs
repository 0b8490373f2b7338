//! TODO(storage v2): module doc.

use async_trait::async_trait;
#[allow(unused_imports)]
use sightline_domain::cost::ModelDefinition;
#[allow(unused_imports)]
use sightline_domain::time::Millis;
#[allow(unused_imports)]
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

#[allow(unused_imports)]
use crate::*;

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
    /// Removes the user's membership and their project overrides in the organization.
    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> StoreResult<bool>;
    /// Sets name and retention; returns whether the project exists.
    async fn update_project(
        &self,
        project: &ProjectId,
        name: &str,
        retention_days: Option<i64>,
    ) -> StoreResult<bool>;
    /// Deletes the project with everything it holds; returns whether it existed.
    async fn delete_project(&self, project: &ProjectId) -> StoreResult<bool>;
    /// Deletes the organization with its projects (and everything they hold), memberships and
    /// invitations; returns whether it existed.
    async fn delete_organization(&self, org: &OrgId) -> StoreResult<bool>;
    /// Returns whether the organization exists.
    async fn rename_organization(&self, org: &OrgId, name: &str) -> StoreResult<bool>;
}
