//! What every page shows around its content: the signed-in user, the organization and project
//! switchers, the project's navigation, asset links and the CSRF token for forms and htmx.

use sightline_domain::time::{Millis, to_iso};
use sightline_domain::{OrgId, ProjectId};
use sightline_store::{Project, Store};

use crate::assets;
use crate::error::WebResult;
use crate::rbac;
use crate::session::{CsrfToken, SignedIn};
use crate::urls;

/// A link in a menu or navigation; `current` marks the page the user is on.
#[derive(Debug, Clone)]
pub struct Link {
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// The sections of a project, in navigation order: (path segment, label).
pub const PROJECT_SECTIONS: &[(&str, &str)] = &[
    ("dashboard", "Dashboard"),
    ("dashboards", "Dashboards"),
    ("traces", "Traces"),
    ("observations", "Observations"),
    ("sessions", "Sessions"),
    ("users", "Users"),
    ("scores", "Scores"),
    ("annotation-queues", "Annotation queues"),
    ("prompts", "Prompts"),
    ("playground", "Playground"),
    ("evals", "Evaluators"),
    ("datasets", "Datasets"),
    ("settings", "Settings"),
];

#[derive(Debug, Clone)]
pub struct Layout {
    pub csrf: String,
    pub style_url: String,
    pub htmx_url: String,
    pub app_url: String,
    /// The signed-in user's email; `None` on the sign-in and sign-up pages.
    pub user_email: Option<String>,
    pub orgs: Vec<Link>,
    pub org: Option<Link>,
    pub projects: Vec<Link>,
    pub project: Option<Link>,
    /// The current project's sections.
    pub sections: Vec<Link>,
}

impl Layout {
    pub fn anonymous(csrf: &CsrfToken) -> Layout {
        Layout {
            csrf: csrf.0.clone(),
            style_url: assets::url("style.css"),
            htmx_url: assets::url("htmx.min.js"),
            app_url: assets::url("app.js"),
            user_email: None,
            orgs: Vec::new(),
            org: None,
            projects: Vec::new(),
            project: None,
            sections: Vec::new(),
        }
    }

    /// The layout of a signed-in page, inside `org` (and `project`, on `section`) when given.
    /// Only organizations the user belongs to and projects they may read are listed.
    /// The layout of a page in a project's `section` (its navigation entry marked current).
    pub async fn for_project(
        store: &Store,
        signed_in: &SignedIn,
        csrf: &CsrfToken,
        project: &Project,
        section: &str,
    ) -> WebResult<Layout> {
        Layout::signed_in(store, signed_in, csrf, None, Some((project, section))).await
    }

    pub async fn signed_in(
        store: &Store,
        signed_in: &SignedIn,
        csrf: &CsrfToken,
        org: Option<&OrgId>,
        project: Option<(&Project, &str)>,
    ) -> WebResult<Layout> {
        let mut layout = Layout::anonymous(csrf);
        layout.user_email = Some(signed_in.user.email.to_string());
        let org = org.or(project.map(|(p, _)| &p.org_id));
        for (found, _) in store
            .metadata()
            .organizations_of_user(&signed_in.user.id)
            .await?
        {
            let link = Link {
                current: Some(&found.id) == org,
                href: urls::organization(&found.id),
                name: found.name,
            };
            if link.current {
                layout.org = Some(link.clone());
            }
            layout.orgs.push(link);
        }
        if let Some(org) = org {
            for (found, _) in rbac::readable_projects(store, &signed_in.user, org).await? {
                let link = Link {
                    current: project.is_some_and(|(p, _)| p.id == found.id),
                    href: urls::project(&found.id),
                    name: found.name,
                };
                if link.current {
                    layout.project = Some(link.clone());
                }
                layout.projects.push(link);
            }
        }
        if let Some((project, section)) = project {
            layout.sections = project_sections(&project.id, section);
        }
        Ok(layout)
    }
}

impl Layout {
    /// The organization's navigation (its pages outside any project); `current` is `projects`,
    /// `members` or `audit-logs`; the members and audit log links show only when the role may
    /// read them.
    pub fn with_org_sections(
        mut self,
        org: &OrgId,
        current: &str,
        members: bool,
        audit: bool,
    ) -> Layout {
        self.sections = vec![Link {
            name: "Projects".into(),
            href: urls::organization(org),
            current: current == "projects",
        }];
        if members {
            self.sections.push(Link {
                name: "Members".into(),
                href: urls::org_members(org),
                current: current == "members",
            });
        }
        if audit {
            self.sections.push(Link {
                name: "Audit log".into(),
                href: format!("{}/audit-logs", urls::organization(org)),
                current: current == "audit-logs",
            });
        }
        self
    }
}

/// The project settings' tabs (`_settings_tabs.html`): where they lead, and whether the API
/// keys tab shows.
#[derive(Debug, Clone)]
pub struct SettingsTabs {
    pub settings_url: String,
    pub keys_url: String,
    pub can_read_keys: bool,
}

impl SettingsTabs {
    pub fn of(access: &crate::rbac::ProjectAccess) -> SettingsTabs {
        SettingsTabs {
            settings_url: urls::project_section(&access.project.id, "settings"),
            keys_url: urls::project_section(&access.project.id, "settings/api-keys"),
            can_read_keys: access.can(sightline_domain::ProjectScope::ApiKeysRead),
        }
    }
}

pub fn project_sections(project: &ProjectId, current: &str) -> Vec<Link> {
    PROJECT_SECTIONS
        .iter()
        .map(|(segment, label)| Link {
            name: (*label).to_owned(),
            href: urls::project_section(project, segment),
            current: *segment == current,
        })
        .collect()
}

/// A time as the UI shows it: ISO 8601 in `datetime` (the script shows local time) and UTC text.
#[derive(Debug, Clone)]
pub struct TimeView {
    pub iso: String,
    pub text: String,
}

pub fn time(ms: Millis) -> TimeView {
    let iso = to_iso(ms);
    let text = format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "));
    TimeView { iso, text }
}
