//! Records of the web UI's accounts: sign-in sessions, invitations, and the membership views the
//! UI lists ([`super::AccountStore`]), with the stored rows they are decoded from.

use sightline_domain::time::Millis;
use sightline_domain::{Email, OrgId, ProjectId, Role, UserId};

use crate::error::{StoreError, StoreResult};
use crate::identity::model::{OrganizationSqlRow, parse_role};
use crate::identity::{Organization, User};

pub(crate) const SESSION_COLUMNS: &str = "token_hash, user_id, csrf_token, created_at, expires_at";
pub(crate) const INVITATION_COLUMNS: &str =
    "id, org_id, email, org_role, project_id, project_role, invited_by, created_at";

/// A sign-in session. The cookie holds a random token; only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub token_hash: String,
    pub user_id: UserId,
    /// The synchronizer token every state-changing request of this session must present.
    pub csrf_token: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// An invitation of an email address to an organization, accepted when the address signs up or
/// signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub org_id: OrgId,
    pub email: Email,
    pub org_role: Role,
    /// An optional per-project override granted with the membership.
    pub project: Option<(ProjectId, Role)>,
    pub invited_by: Option<UserId>,
    pub created_at: Millis,
}

/// A user's per-project role override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRoleOverride {
    pub project_id: ProjectId,
    pub user_id: UserId,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebSessionSqlRow {
    token_hash: String,
    user_id: String,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl From<WebSessionSqlRow> for WebSession {
    fn from(row: WebSessionSqlRow) -> Self {
        WebSession {
            token_hash: row.token_hash,
            user_id: UserId::from_trusted(row.user_id),
            csrf_token: row.csrf_token,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionUserSqlRow {
    #[sqlx(flatten)]
    session: WebSessionSqlRow,
    email: String,
    name: Option<String>,
    password_hash: Option<String>,
    user_created_at: i64,
}

impl From<SessionUserSqlRow> for (WebSession, User) {
    fn from(row: SessionUserSqlRow) -> Self {
        let session = WebSession::from(row.session);
        let user = User {
            id: session.user_id.clone(),
            email: Email::from_trusted(row.email),
            name: row.name,
            password_hash: row.password_hash,
            created_at: row.user_created_at,
        };
        (session, user)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InvitationSqlRow {
    id: String,
    org_id: String,
    email: String,
    org_role: String,
    project_id: Option<String>,
    project_role: Option<String>,
    invited_by: Option<String>,
    created_at: i64,
}

impl TryFrom<InvitationSqlRow> for Invitation {
    type Error = StoreError;

    fn try_from(row: InvitationSqlRow) -> StoreResult<Self> {
        let project = match (row.project_id, row.project_role) {
            (Some(id), Some(role)) => Some((ProjectId::from_trusted(id), parse_role(&role)?)),
            _ => None,
        };
        Ok(Invitation {
            id: row.id,
            org_id: OrgId::from_trusted(row.org_id),
            email: Email::from_trusted(row.email),
            org_role: parse_role(&row.org_role)?,
            project,
            invited_by: row.invited_by.map(UserId::from_trusted),
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserOrgSqlRow {
    #[sqlx(flatten)]
    org: OrganizationSqlRow,
    role: String,
}

impl TryFrom<UserOrgSqlRow> for (Organization, Role) {
    type Error = StoreError;

    fn try_from(row: UserOrgSqlRow) -> StoreResult<Self> {
        Ok((row.org.into(), parse_role(&row.role)?))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OverrideSqlRow {
    project_id: String,
    user_id: String,
    role: String,
}

impl TryFrom<OverrideSqlRow> for ProjectRoleOverride {
    type Error = StoreError;

    fn try_from(row: OverrideSqlRow) -> StoreResult<Self> {
        Ok(ProjectRoleOverride {
            project_id: ProjectId::from_trusted(row.project_id),
            user_id: UserId::from_trusted(row.user_id),
            role: parse_role(&row.role)?,
        })
    }
}
