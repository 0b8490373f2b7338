//! Prompt management rules (wire-spec §6): prompt names with folders, labels, text and chat
//! content with variables and placeholders, and composition of prompts by reference
//! (`@@@langfusePrompt:name=…|version=…@@@`). Pure functions; the store and the server use them.

mod compose;
mod content;
mod name;

pub use compose::{
    CompositionError, DependencyRef, MAX_NESTING_DEPTH, PromptNode, Resolved, dependency_refs,
    resolve,
};
pub use content::{PromptContent, PromptType, extract_variables, is_variable_name};
pub use name::{LATEST_LABEL, Label, PRODUCTION_LABEL, PromptName};

use crate::role::{ProjectScope, Role};

/// Whether a user with `role` may set or remove `label` on a prompt version: a protected label
/// needs `promptProtectedLabels:CUD` (OWNER and ADMIN), any other label `prompts:CUD`. API keys
/// are not users and keep full project rights (as in Langfuse), so they never ask.
pub fn can_change_label(role: Role, label: &str, protected: &[String]) -> bool {
    if protected.iter().any(|known| known == label) {
        role.has_project_scope(ProjectScope::PromptProtectedLabelsCud)
    } else {
        role.has_project_scope(ProjectScope::PromptsCud)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_labels_need_admin_or_owner() {
        let protected = vec!["production".to_owned()];
        for role in [Role::Owner, Role::Admin] {
            assert!(can_change_label(role, "production", &protected));
            assert!(can_change_label(role, "staging", &protected));
        }
        assert!(!can_change_label(Role::Member, "production", &protected));
        assert!(can_change_label(Role::Member, "staging", &protected));
        assert!(can_change_label(Role::Member, "production", &[]));
        for role in [Role::Viewer, Role::None] {
            assert!(!can_change_label(role, "staging", &protected));
            assert!(!can_change_label(role, "production", &protected));
        }
    }
}
