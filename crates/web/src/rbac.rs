//! The one access check of the UI. Every handler that touches an organization or a project goes
//! through [`project_access`] or [`org_access`], which read the user's role from the store and
//! decide with the domain's scope table (`sightline_domain::role`) in [`decide`]:
//!
//! - no role at all (another tenant's object, or a missing one): 404, indistinguishable;
//! - a role that cannot even read: 404 as well;
//! - a role that reads but lacks the scope the action needs: 403.

use sightline_domain::{OrgId, OrgScope, ProjectId, ProjectScope, Role};
use sightline_store::{Organization, Project, Store, User};

use crate::error::{WebError, WebResult};

/// A project the user may open, with the role they have on it.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: Project,
    pub org: Organization,
    pub role: Role,
}

impl ProjectAccess {
    pub fn can(&self, scope: ProjectScope) -> bool {
        self.role.has_project_scope(scope)
    }
}

/// An organization the user belongs to, with their role there.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org: Organization,
    pub role: Role,
}

impl OrgAccess {
    pub fn can(&self, scope: OrgScope) -> bool {
        self.role.has_org_scope(scope)
    }
}

/// What an action needs.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    Project(ProjectScope),
    Org(OrgScope),
    /// Membership of the organization, whatever the role (its overview lists only the
    /// projects the role or an override lets the user read).
    OrgMembership,
}

/// The policy: `role` is the user's role on the target (`None`: not a member).
pub fn decide(role: Option<Role>, need: Need) -> WebResult<Role> {
    let Some(role) = role else {
        return Err(WebError::NotFound);
    };
    let allowed = match need {
        Need::Project(scope) => {
            if !role.has_project_scope(ProjectScope::ProjectRead) {
                return Err(WebError::NotFound);
            }
            role.has_project_scope(scope)
        }
        Need::Org(scope) => role.has_org_scope(scope),
        Need::OrgMembership => true,
    };
    if allowed {
        Ok(role)
    } else {
        Err(WebError::Forbidden(
            "Your role in this project or organization does not allow this.",
        ))
    }
}

/// The project `raw_id` names, if `user` may do what `scope` needs there.
pub async fn project_access(
    store: &Store,
    user: &User,
    raw_id: &str,
    scope: ProjectScope,
) -> WebResult<ProjectAccess> {
    let id = ProjectId::parse(raw_id).map_err(|_| WebError::NotFound)?;
    let role = store
        .metadata()
        .effective_project_role(&id, &user.id)
        .await?;
    let role = decide(role, Need::Project(scope))?;
    let found = store
        .metadata()
        .project(&id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(ProjectAccess {
        project: found.project,
        org: found.organization,
        role,
    })
}

/// The organization `raw_id` names, if `user` may do what `need` needs there.
pub async fn org_access(
    store: &Store,
    user: &User,
    raw_id: &str,
    need: Need,
) -> WebResult<OrgAccess> {
    let id = OrgId::parse(raw_id).map_err(|_| WebError::NotFound)?;
    let role = store.metadata().org_role(&id, &user.id).await?;
    let role = decide(role, need)?;
    let org = store
        .metadata()
        .organization(&id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(OrgAccess { org, role })
}

/// The projects of `org` the user may read, with their effective role.
pub async fn readable_projects(
    store: &Store,
    user: &User,
    org: &OrgId,
) -> WebResult<Vec<(Project, Role)>> {
    let org_role = store
        .metadata()
        .org_role(org, &user.id)
        .await?
        .unwrap_or(Role::None);
    let overrides = store.metadata().project_role_overrides(org).await?;
    let projects = store.metadata().list_projects(Some(org)).await?;
    Ok(projects
        .into_iter()
        .filter_map(|project| {
            let grant = overrides
                .iter()
                .find(|o| o.project_id == project.id && o.user_id == user.id)
                .map(|o| o.role);
            let role = Role::effective(org_role, grant);
            role.has_project_scope(ProjectScope::ProjectRead)
                .then_some((project, role))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_get_404_and_weak_roles_403() {
        let keys = Need::Project(ProjectScope::ApiKeysCud);
        assert!(matches!(decide(None, keys), Err(WebError::NotFound)));
        assert!(matches!(
            decide(Some(Role::None), keys),
            Err(WebError::NotFound)
        ));
        assert!(matches!(
            decide(Some(Role::Viewer), keys),
            Err(WebError::Forbidden(_))
        ));
        assert!(matches!(
            decide(Some(Role::Member), keys),
            Err(WebError::Forbidden(_))
        ));
        assert_eq!(decide(Some(Role::Admin), keys).unwrap(), Role::Admin);
        assert_eq!(
            decide(Some(Role::None), Need::OrgMembership).unwrap(),
            Role::None
        );
    }
}
