//! The managed evaluator templates that ship with Sightline (`templates.json`; the gallery of
//! `features.md` §2.4 with our own prompt texts). Picking one copies it into a project.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

use super::{Mapping, OutputDefinition};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedTemplate {
    pub key: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub prompt: String,
    pub output_definition: Value,
    pub mapping: Vec<Mapping>,
}

impl ManagedTemplate {
    pub fn output(&self) -> OutputDefinition {
        OutputDefinition::parse(&self.output_definition).expect("templates are checked by a test")
    }
}

static TEMPLATES: LazyLock<Vec<ManagedTemplate>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("templates.json")).expect("templates.json is valid")
});

/// Every managed template, in gallery order.
pub fn managed_templates() -> &'static [ManagedTemplate] {
    &TEMPLATES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::check_mappings;
    use crate::prompt::extract_variables;

    #[test]
    fn every_template_is_usable() {
        assert!(managed_templates().len() >= 8);
        for template in managed_templates() {
            template.output();
            let variables = extract_variables(&template.prompt);
            check_mappings(&variables, &template.mapping, |_| true)
                .unwrap_or_else(|e| panic!("{}: {e}", template.key));
        }
    }
}
