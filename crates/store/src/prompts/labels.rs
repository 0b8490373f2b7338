//! Prompt labels: moving labels between the versions of a name (a label lives on one version
//! per name), adding labels to a version, and the project's protected labels.

use sightline_domain::ProjectId;
use sightline_domain::prompt::LATEST_LABEL;
use sightline_domain::time::now_ms;

use super::model::{PromptSelector, PromptVersion};
use super::read::find;
use super::write::{bump, lock};
use crate::error::{StoreResult, constraint};
use crate::sql::{Db, Sql, Tx};

/// `items` without repeats, in their first order.
pub(super) fn dedupe(items: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(item) {
            unique.push(item.clone());
        }
    }
    unique
}

/// Takes `label` off whichever other version of the name holds it (touching that version's
/// `updated_at`).
pub(super) async fn take_label(
    tx: &mut Tx,
    project: &str,
    name: &str,
    label: &str,
    keep_version: i64,
    now: i64,
) -> StoreResult<()> {
    let touch = Sql::text(
        "UPDATE prompts SET updated_at = $4 WHERE project_id = $1 AND name = $2 \
         AND version <> $5 AND version IN (SELECT version FROM prompt_labels \
           WHERE project_id = $1 AND name = $2 AND label = $3)",
    )
    .bind(project)
    .bind(name)
    .bind(label)
    .bind(now)
    .bind(keep_version);
    tx.execute(&touch).await?;
    let delete =
        Sql::text("DELETE FROM prompt_labels WHERE project_id = $1 AND name = $2 AND label = $3")
            .bind(project)
            .bind(name)
            .bind(label);
    tx.execute(&delete).await?;
    Ok(())
}

/// Replaces the labels of one version (which must not be held elsewhere).
pub(super) async fn set_labels(
    tx: &mut Tx,
    project: &str,
    name: &str,
    version: i64,
    labels: &[String],
) -> StoreResult<()> {
    let delete =
        Sql::text("DELETE FROM prompt_labels WHERE project_id = $1 AND name = $2 AND version = $3")
            .bind(project)
            .bind(name)
            .bind(version);
    tx.execute(&delete).await?;
    for (position, label) in labels.iter().enumerate() {
        let insert = Sql::text(
            "INSERT INTO prompt_labels (project_id, name, label, version, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project)
        .bind(name)
        .bind(label.as_str())
        .bind(version)
        .bind(i64::try_from(position).unwrap_or(i64::MAX));
        tx.execute(&insert).await?;
    }
    Ok(())
}

/// Adds labels to a version in the write transaction `tx`, taking each off the version that
/// held it; `None` when the version does not exist.
pub(super) async fn add_labels(
    tx: &mut Tx,
    project: &str,
    name: &str,
    version: i64,
    new_labels: &[String],
) -> StoreResult<Option<PromptVersion>> {
    lock(tx, project, name).await?;
    let Some(current) = find(tx, project, name, &PromptSelector::Version(version)).await? else {
        return Ok(None);
    };
    let now = now_ms();
    let added = dedupe(new_labels);
    let mut labels = added.clone();
    for old in current.labels {
        if !labels.contains(&old) {
            labels.push(old);
        }
    }
    for label in &added {
        take_label(tx, project, name, label, version, now).await?;
    }
    set_labels(tx, project, name, version, &labels).await?;
    let touch = Sql::text(
        "UPDATE prompts SET updated_at = $4 \
         WHERE project_id = $1 AND name = $2 AND version = $3",
    )
    .bind(project)
    .bind(name)
    .bind(version)
    .bind(now);
    tx.execute(&touch).await?;
    bump(tx, project).await?;
    find(tx, project, name, &PromptSelector::Version(version)).await
}

/// Takes labels off a version in the write transaction `tx` (`latest` stays where it is);
/// `None` when the version does not exist.
pub(super) async fn remove_labels(
    tx: &mut Tx,
    project: &str,
    name: &str,
    version: i64,
    removed: &[String],
) -> StoreResult<Option<PromptVersion>> {
    lock(tx, project, name).await?;
    let Some(current) = find(tx, project, name, &PromptSelector::Version(version)).await? else {
        return Ok(None);
    };
    let kept: Vec<String> = current
        .labels
        .iter()
        .filter(|label| *label == LATEST_LABEL || !removed.contains(label))
        .cloned()
        .collect();
    if kept.len() == current.labels.len() {
        return Ok(Some(current));
    }
    set_labels(tx, project, name, version, &kept).await?;
    let touch = Sql::text(
        "UPDATE prompts SET updated_at = $4 \
         WHERE project_id = $1 AND name = $2 AND version = $3",
    )
    .bind(project)
    .bind(name)
    .bind(version)
    .bind(now_ms());
    tx.execute(&touch).await?;
    bump(tx, project).await?;
    find(tx, project, name, &PromptSelector::Version(version)).await
}

/// Replaces the project's protected labels in one transaction.
pub(super) async fn set_protected_labels(
    db: &Db,
    project: &ProjectId,
    labels: &[String],
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let delete = Sql::text("DELETE FROM prompt_protected_labels WHERE project_id = $1")
        .bind(project.as_str());
    tx.execute(&delete).await?;
    let now = now_ms();
    for label in labels {
        let insert = Sql::text(
            "INSERT INTO prompt_protected_labels (project_id, label, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT (project_id, label) DO NOTHING",
        )
        .bind(project.as_str())
        .bind(label.as_str())
        .bind(now);
        tx.execute(&insert)
            .await
            .map_err(|e| constraint(e, "the protected label's project"))?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_keeps_the_first_of_each_in_order() {
        let items: Vec<String> = ["b", "a", "b", "c", "a"].map(String::from).to_vec();
        assert_eq!(dedupe(&items), ["b", "a", "c"]);
    }
}
