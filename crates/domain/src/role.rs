//! Roles and the scopes they grant (Langfuse's RBAC, wire-spec §10). Every grant is monotonic in
//! the role's rank, so each scope names the least role that holds it. API keys are not users: they
//! carry full project rights and never pass through this table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A membership role, on an organization or as a per-project override.
/// On a project, `None` means "inherit the organization role"; on an organization it means
/// "no access except through project grants".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
    None,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Member,
        Role::Viewer,
        Role::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Admin => "ADMIN",
            Role::Member => "MEMBER",
            Role::Viewer => "VIEWER",
            Role::None => "NONE",
        }
    }

    /// Position in the order OWNER > ADMIN > MEMBER > VIEWER > NONE (a user may grant only
    /// roles up to their own).
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Member => 2,
            Role::Viewer => 1,
            Role::None => 0,
        }
    }

    /// The role that applies on a project: a project override wins unless it is `None`.
    pub fn effective(org_role: Role, project_override: Option<Role>) -> Role {
        match project_override {
            Some(role) if role != Role::None => role,
            _ => org_role,
        }
    }

    pub fn has_project_scope(self, scope: ProjectScope) -> bool {
        self != Role::None && self.rank() >= scope.least_role().rank()
    }

    pub fn has_org_scope(self, scope: OrgScope) -> bool {
        self != Role::None && self.rank() >= scope.least_role().rank()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a role; expected one of OWNER, ADMIN, MEMBER, VIEWER, NONE")]
pub struct InvalidRole(pub String);

impl FromStr for Role {
    type Err = InvalidRole;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| InvalidRole(raw.to_owned()))
    }
}

macro_rules! scopes {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal => $least:ident,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The scope's name as Langfuse spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The least role that holds this scope.
            pub fn least_role(self) -> Role {
                match self {
                    $($name::$variant => Role::$least,)*
                }
            }
        }
    };
}

scopes!(
    /// What a user may do inside one project.
    ProjectScope {
        ProjectRead = "project:read" => Viewer,
        PromptsRead = "prompts:read" => Viewer,
        DatasetsRead = "datasets:read" => Viewer,
        ScoreConfigsRead = "scoreConfigs:read" => Viewer,
        CommentsRead = "comments:read" => Viewer,
        AnnotationQueuesRead = "annotationQueues:read" => Viewer,
        DashboardsRead = "dashboards:read" => Viewer,
        EvalTemplateRead = "evalTemplate:read" => Viewer,
        EvalJobRead = "evalJob:read" => Viewer,
        EvalJobExecutionRead = "evalJobExecution:read" => Viewer,
        EvalDefaultModelRead = "evalDefaultModel:read" => Viewer,
        LlmApiKeysRead = "llmApiKeys:read" => Viewer,
        LlmSchemasRead = "llmSchemas:read" => Viewer,
        LlmToolsRead = "llmTools:read" => Viewer,
        PromptExperimentsRead = "promptExperiments:read" => Viewer,
        TableViewPresetsRead = "TableViewPresets:read" => Viewer,
        AutomationsRead = "automations:read" => Viewer,
        AlertsRead = "alerts:read" => Viewer,
        ProjectMembersRead = "projectMembers:read" => Member,
        ApiKeysRead = "apiKeys:read" => Member,
        BatchExportsRead = "batchExports:read" => Member,
        BatchExportsCreate = "batchExports:create" => Member,
        AnnotationQueueAssignmentsRead = "annotationQueueAssignments:read" => Member,
        ObjectsPublish = "objects:publish" => Member,
        ObjectsBookmark = "objects:bookmark" => Member,
        ObjectsTag = "objects:tag" => Member,
        ScoresCud = "scores:CUD" => Member,
        ScoreConfigsCud = "scoreConfigs:CUD" => Member,
        DatasetsCud = "datasets:CUD" => Member,
        PromptsCud = "prompts:CUD" => Member,
        CommentsCud = "comments:CUD" => Member,
        AnnotationQueuesCud = "annotationQueues:CUD" => Member,
        DashboardsCud = "dashboards:CUD" => Member,
        EvalTemplateCud = "evalTemplate:CUD" => Member,
        EvalJobCud = "evalJob:CUD" => Member,
        EvalDefaultModelCud = "evalDefaultModel:CUD" => Member,
        LlmSchemasCud = "llmSchemas:CUD" => Member,
        LlmToolsCud = "llmTools:CUD" => Member,
        PlaygroundExecute = "playground:execute" => Member,
        PromptExperimentsCud = "promptExperiments:CUD" => Member,
        TableViewPresetsCud = "TableViewPresets:CUD" => Member,
        AlertsCud = "alerts:CUD" => Member,
        ProjectUpdate = "project:update" => Admin,
        ProjectMembersCud = "projectMembers:CUD" => Admin,
        ApiKeysCud = "apiKeys:CUD" => Admin,
        IntegrationsCrud = "integrations:CRUD" => Admin,
        TracesDelete = "traces:delete" => Admin,
        ModelsCud = "models:CUD" => Admin,
        PromptProtectedLabelsCud = "promptProtectedLabels:CUD" => Admin,
        LlmApiKeysCreate = "llmApiKeys:create" => Admin,
        LlmApiKeysUpdate = "llmApiKeys:update" => Admin,
        LlmApiKeysDelete = "llmApiKeys:delete" => Admin,
        AnnotationQueueAssignmentsCud = "annotationQueueAssignments:CUD" => Admin,
        AutomationsCud = "automations:CUD" => Admin,
        AuditLogsRead = "auditLogs:read" => Admin,
        ProjectDelete = "project:delete" => Owner,
    }
);

scopes!(
    /// What a user may do on an organization.
    OrgScope {
        ProjectsCreate = "projects:create" => Admin,
        ProjectsTransferOrg = "projects:transfer_org" => Admin,
        ApiKeysCrud = "organization:CRUD_apiKeys" => Owner,
        Update = "organization:update" => Admin,
        Delete = "organization:delete" => Owner,
        MembersCud = "organizationMembers:CUD" => Admin,
        MembersRead = "organizationMembers:read" => Member,
        BillingCrud = "langfuseCloudBilling:CRUD" => Owner,
        AuditLogsRead = "auditLogs:read" => Admin,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively_and_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.as_str().to_lowercase().parse::<Role>().unwrap(), role);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn project_override_wins_unless_none() {
        assert_eq!(
            Role::effective(Role::Viewer, Some(Role::Admin)),
            Role::Admin
        );
        assert_eq!(
            Role::effective(Role::Admin, Some(Role::Viewer)),
            Role::Viewer
        );
        assert_eq!(
            Role::effective(Role::Member, Some(Role::None)),
            Role::Member
        );
        assert_eq!(Role::effective(Role::Member, None), Role::Member);
    }

    #[test]
    fn scope_table_matches_langfuse() {
        use ProjectScope::*;
        assert!(Role::Viewer.has_project_scope(PromptsRead));
        assert!(!Role::Viewer.has_project_scope(ApiKeysRead));
        assert!(Role::Member.has_project_scope(PromptsCud));
        assert!(!Role::Member.has_project_scope(PromptProtectedLabelsCud));
        assert!(Role::Admin.has_project_scope(TracesDelete));
        assert!(!Role::Admin.has_project_scope(ProjectDelete));
        assert!(Role::Owner.has_project_scope(ProjectDelete));
        assert!(!Role::None.has_project_scope(ProjectRead));
        assert!(Role::Member.has_org_scope(OrgScope::MembersRead));
        assert!(!Role::Admin.has_org_scope(OrgScope::Delete));
        assert!(!Role::None.has_org_scope(OrgScope::MembersRead));
    }

    #[test]
    fn scope_names_are_unique() {
        let mut names: Vec<_> = ProjectScope::ALL.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProjectScope::ALL.len());
    }
}
