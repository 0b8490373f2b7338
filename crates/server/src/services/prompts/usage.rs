//! Usage of a prompt's versions by the generations linked to them: the stored versions of the
//! name (metadata store) paired with the per-version usage of the observations that name them
//! (event store). The two may live in different databases, so they meet here, not in SQL.

use std::collections::HashMap;

use sightline_domain::ProjectId;
use sightline_store::{PromptVersionUsage, Store};

use super::Result;

/// Per stored version of the prompt `name` (oldest first), the usage by the observations linked
/// to it; a version no generation links to has zero usage. Usage of versions that are no longer
/// stored (deleted ones) is left out, as their generations link to no prompt
/// ([`super::prompt_ids_of`]).
pub async fn prompt_usage(
    store: &Store,
    project: &ProjectId,
    name: &str,
) -> Result<Vec<PromptVersionUsage>> {
    let versions: Vec<i64> = store
        .metadata()
        .prompt_versions(project, name)
        .await?
        .into_iter()
        .map(|version| version.version)
        .collect();
    if versions.is_empty() {
        return Ok(Vec::new());
    }
    let usage = store.events().prompt_version_usage(project, name).await?;
    Ok(per_version(&versions, usage))
}

/// One usage per version of `versions`, in their order: the one `usage` has for it, else none.
fn per_version(versions: &[i64], usage: Vec<PromptVersionUsage>) -> Vec<PromptVersionUsage> {
    let mut by_version: HashMap<i64, PromptVersionUsage> = usage
        .into_iter()
        .map(|usage| (usage.version, usage))
        .collect();
    versions
        .iter()
        .map(|&version| {
            by_version
                .remove(&version)
                .unwrap_or_else(|| unused(version))
        })
        .collect()
}

/// The usage of a version that no generation links to.
fn unused(version: i64) -> PromptVersionUsage {
    PromptVersionUsage {
        version,
        generations: 0,
        median_latency_ms: None,
        input_tokens: 0.0,
        output_tokens: 0.0,
        total_cost: 0.0,
        scores: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(version: i64, generations: u64) -> PromptVersionUsage {
        PromptVersionUsage {
            generations,
            median_latency_ms: Some(10.0),
            ..unused(version)
        }
    }

    #[test]
    fn every_stored_version_gets_its_usage_or_none() {
        // Version 1 is unused, version 4 was deleted but still has generations.
        let usage = per_version(&[1, 2, 3], vec![used(2, 5), used(3, 1), used(4, 7)]);
        let rows: Vec<(i64, u64)> = usage.iter().map(|u| (u.version, u.generations)).collect();
        assert_eq!(rows, [(1, 0), (2, 5), (3, 1)]);
        assert_eq!(usage[0], unused(1));
        assert_eq!(usage[1].median_latency_ms, Some(10.0));
    }
}
