//! Records of the web UI's accounts: sign-in sessions, invitations, and the membership views the
//! UI lists ([`crate::AccountStore`]).

use sightline_domain::time::Millis;
use sightline_domain::{Email, OrgId, ProjectId, Role, UserId};

use crate::error::StoreResult;
use crate::identity::model::{OrganizationRow, parse_role};
use crate::{Organization, User};

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
pub(crate) struct WebSessionRow {
    token_hash: String,
    user_id: String,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl From<WebSessionRow> for WebSession {
    fn from(row: WebSessionRow) -> Self {
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
pub(crate) struct SessionUserRow {
    #[sqlx(flatten)]
    session: WebSessionRow,
    email: String,
    name: Option<String>,
    password_hash: Option<String>,
    user_created_at: i64,
}

impl From<SessionUserRow> for (WebSession, User) {
    fn from(row: SessionUserRow) -> Self {
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
pub(crate) struct InvitationRow {
    id: String,
    org_id: String,
    email: String,
    org_role: String,
    project_id: Option<String>,
    project_role: Option<String>,
    invited_by: Option<String>,
    created_at: i64,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = crate::StoreError;

    fn try_from(row: InvitationRow) -> StoreResult<Self> {
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
pub(crate) struct UserOrgRow {
    #[sqlx(flatten)]
    org: OrganizationRow,
    role: String,
}

impl TryFrom<UserOrgRow> for (Organization, Role) {
    type Error = crate::StoreError;

    fn try_from(row: UserOrgRow) -> StoreResult<Self> {
        Ok((row.org.into(), parse_role(&row.role)?))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OverrideRow {
    project_id: String,
    user_id: String,
    role: String,
}

impl TryFrom<OverrideRow> for ProjectRoleOverride {
    type Error = crate::StoreError;

    fn try_from(row: OverrideRow) -> StoreResult<Self> {
        Ok(ProjectRoleOverride {
            project_id: ProjectId::from_trusted(row.project_id),
            user_id: UserId::from_trusted(row.user_id),
            role: parse_role(&row.role)?,
        })
    }
}
