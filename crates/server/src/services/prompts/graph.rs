//! Composition on top of the store: loading what a prompt's references reach and resolving them
//! with the pure rules of `sightline_domain::prompt`, and the references that block a delete.

use std::collections::HashMap;

use sightline_domain::ProjectId;
use sightline_domain::prompt::{
    self, CompositionError, DependencyRef, MAX_NESTING_DEPTH, PromptNode, Resolved,
};
use sightline_store::{PromptSelector, PromptVersion, Store};

use super::{PromptError, Result};

/// A version with its references resolved (409 when they no longer resolve).
pub async fn resolve_version(
    store: &Store,
    project: &ProjectId,
    version: &PromptVersion,
) -> Result<Resolved> {
    resolve_node(store, project, &node(version.clone()))
        .await?
        .map_err(|e| PromptError::Unresolvable(e.to_string()))
}

fn node(version: PromptVersion) -> PromptNode {
    PromptNode {
        id: version.id,
        name: version.name,
        version: version.version,
        r#type: version.r#type,
        prompt: version.prompt,
    }
}

/// Loads every version the root's references reach (level by level, as deep as resolution
/// may go), then resolves with the pure rules.
pub(super) async fn resolve_node(
    store: &Store,
    project: &ProjectId,
    root: &PromptNode,
) -> Result<std::result::Result<Resolved, CompositionError>> {
    let mut frontier: Vec<DependencyRef> = prompt::dependency_refs(&root.prompt)
        .into_iter()
        .map(|(_, reference)| reference)
        .collect();
    if frontier.is_empty() {
        return Ok(Ok(Resolved {
            prompt: root.prompt.clone(),
            graph: None,
        }));
    }
    let mut known: HashMap<DependencyRef, Option<PromptNode>> = HashMap::new();
    for _ in 0..MAX_NESTING_DEPTH {
        let mut next = Vec::new();
        for reference in frontier {
            if known.contains_key(&reference) {
                continue;
            }
            let selector = match &reference {
                DependencyRef::Version { version, .. } => PromptSelector::Version(*version),
                DependencyRef::Label { label, .. } => PromptSelector::Label(label.clone()),
            };
            let found = store
                .metadata()
                .prompt_version(project, reference.name(), &selector)
                .await?
                .map(node);
            if let Some(found) = &found {
                next.extend(
                    prompt::dependency_refs(&found.prompt)
                        .into_iter()
                        .map(|(_, reference)| reference),
                );
            }
            known.insert(reference, found);
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(prompt::resolve(root, &|reference| {
        known.get(reference).cloned().flatten()
    }))
}

/// Langfuse refuses to delete versions that other prompts reference: by version, or by a label
/// no remaining version would hold (`latest` always remains while any version does). The
/// message lists each broken reference.
pub(super) async fn blocking_dependents(
    store: &Store,
    project: &ProjectId,
    name: &str,
    selector: Option<&PromptSelector>,
) -> Result<Option<String>> {
    let parents = store.metadata().prompts_referencing(project, name).await?;
    if parents.is_empty() {
        return Ok(None);
    }
    let versions = store.metadata().prompt_versions(project, name).await?;
    let deleted = |version: &PromptVersion| match selector {
        None => true,
        Some(PromptSelector::Version(number)) => version.version == *number,
        Some(PromptSelector::Label(label)) => version.labels.iter().any(|held| held == label),
    };
    let remaining: Vec<&PromptVersion> = versions.iter().filter(|v| !deleted(v)).collect();
    let mut broken = Vec::new();
    for parent in &parents {
        for (_, reference) in prompt::dependency_refs(&parent.prompt) {
            let description = match &reference {
                DependencyRef::Version {
                    name: child,
                    version,
                } if child == name => {
                    let gone = versions.iter().any(|v| v.version == *version && deleted(v));
                    gone.then(|| format!("v{version}"))
                }
                DependencyRef::Label { name: child, label } if child == name => {
                    let stays = if label == prompt::LATEST_LABEL {
                        !remaining.is_empty()
                    } else {
                        remaining
                            .iter()
                            .any(|v| v.labels.iter().any(|held| held == label))
                    };
                    (!stays).then(|| label.clone())
                }
                _ => None,
            };
            if let Some(description) = description {
                broken.push(format!(
                    "{} v{} depends on {name} {description}",
                    parent.name, parent.version
                ));
            }
        }
    }
    Ok((!broken.is_empty()).then(|| {
        format!(
            "Other prompts are depending on prompt versions you are trying to delete:\n\n{}\n\nPlease delete the dependent prompts first.",
            broken.join("\n")
        )
    }))
}
