//! Identity records (users, organizations, projects, memberships, API keys) and the stored rows
//! they are decoded from, with the column lists the statements select.

use sightline_domain::time::Millis;
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, SecretHash, UserId};

use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    /// argon2id PHC string; `None` for users who cannot sign in with a password.
    pub password_hash: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub org_id: OrgId,
    pub name: String,
    /// Days after which the project's data is deleted; `None` keeps it forever.
    pub retention_days: Option<i64>,
    /// Free-form JSON object, as text.
    pub metadata: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: ProjectId,
    pub org_id: OrgId,
    pub name: String,
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectWithOrg {
    pub project: Project,
    pub organization: Organization,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMember {
    pub user: User,
    pub role: Role,
}

/// An API key as lists show it: never the secret, only its redacted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub project_id: ProjectId,
    pub public_key: String,
    pub display_secret_key: String,
    pub note: Option<String>,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub project_id: ProjectId,
    pub public_key: String,
    pub secret_hash: SecretHash,
    pub display_secret_key: String,
    pub note: Option<String>,
}

/// What authentication needs to know about a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyCredentials {
    pub id: ApiKeyId,
    pub project_id: ProjectId,
    pub org_id: OrgId,
    pub secret_hash: SecretHash,
}

/// The first organization, project, owner and key pair of a fresh instance.
#[derive(Debug, Clone)]
pub struct InitialSetup {
    pub organization_id: OrgId,
    pub organization_name: String,
    pub project: NewProject,
    pub owner: NewUser,
    pub api_key: NewApiKey,
}

// Stored rows. Shared by both backends: the derive is generic over the row type.

pub(crate) const USER_COLUMNS: &str = "id, email, name, password_hash, created_at";
pub(crate) const ORG_COLUMNS: &str = "id, name, created_at";
pub(crate) const PROJECT_COLUMNS: &str = "id, org_id, name, retention_days, metadata, created_at";
pub(crate) const API_KEY_COLUMNS: &str =
    "id, project_id, public_key, display_secret_key, note, created_at, last_used_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserSqlRow {
    id: String,
    email: String,
    name: Option<String>,
    password_hash: Option<String>,
    created_at: i64,
}

impl From<UserSqlRow> for User {
    fn from(row: UserSqlRow) -> Self {
        User {
            id: UserId::from_trusted(row.id),
            email: Email::from_trusted(row.email),
            name: row.name,
            password_hash: row.password_hash,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationSqlRow {
    id: String,
    name: String,
    created_at: i64,
}

impl From<OrganizationSqlRow> for Organization {
    fn from(row: OrganizationSqlRow) -> Self {
        Organization {
            id: OrgId::from_trusted(row.id),
            name: row.name,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProjectSqlRow {
    id: String,
    org_id: String,
    name: String,
    retention_days: Option<i64>,
    metadata: String,
    created_at: i64,
}

impl From<ProjectSqlRow> for Project {
    fn from(row: ProjectSqlRow) -> Self {
        Project {
            id: ProjectId::from_trusted(row.id),
            org_id: OrgId::from_trusted(row.org_id),
            name: row.name,
            retention_days: row.retention_days,
            metadata: row.metadata,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProjectWithOrgSqlRow {
    #[sqlx(flatten)]
    project: ProjectSqlRow,
    org_name: String,
    org_created_at: i64,
}

impl From<ProjectWithOrgSqlRow> for ProjectWithOrg {
    fn from(row: ProjectWithOrgSqlRow) -> Self {
        let project = Project::from(row.project);
        ProjectWithOrg {
            organization: Organization {
                id: project.org_id.clone(),
                name: row.org_name,
                created_at: row.org_created_at,
            },
            project,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrgMemberSqlRow {
    #[sqlx(flatten)]
    user: UserSqlRow,
    role: String,
}

impl TryFrom<OrgMemberSqlRow> for OrgMember {
    type Error = StoreError;

    fn try_from(row: OrgMemberSqlRow) -> StoreResult<Self> {
        Ok(OrgMember {
            role: parse_role(&row.role)?,
            user: row.user.into(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeySqlRow {
    id: String,
    project_id: String,
    public_key: String,
    display_secret_key: String,
    note: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<ApiKeySqlRow> for ApiKey {
    fn from(row: ApiKeySqlRow) -> Self {
        ApiKey {
            id: ApiKeyId::from_trusted(row.id),
            project_id: ProjectId::from_trusted(row.project_id),
            public_key: row.public_key,
            display_secret_key: row.display_secret_key,
            note: row.note,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyCredentialsSqlRow {
    id: String,
    project_id: String,
    org_id: String,
    secret_hash: String,
}

impl From<ApiKeyCredentialsSqlRow> for ApiKeyCredentials {
    fn from(row: ApiKeyCredentialsSqlRow) -> Self {
        ApiKeyCredentials {
            id: ApiKeyId::from_trusted(row.id),
            project_id: ProjectId::from_trusted(row.project_id),
            org_id: OrgId::from_trusted(row.org_id),
            secret_hash: SecretHash::from_trusted(row.secret_hash),
        }
    }
}

pub(crate) fn parse_role(raw: &str) -> StoreResult<Role> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role '{raw}'")))
}
