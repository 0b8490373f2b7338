//! Writing prompt versions: creating the next version of a name and deleting versions.
//! Every write runs in one transaction that first serialises writers of the same prompt name
//! ([`lock`]) and ends by bumping the project's `prompt_changes` counter ([`bump`]), so that
//! replicas can tell that their cached prompts are stale.

use std::collections::BTreeSet;

use sightline_domain::prompt::LATEST_LABEL;

use super::labels::{dedupe, set_labels, take_label};
use super::model::{
    NewPromptVersion, PROMPT_COLUMNS, PromptSelector, PromptVersion, parse_tags, tags_text,
};
use super::read::find;
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Sql, Tx};

const TYPE_CHANGE: &str = "Previous versions have different prompt type. \
    Create a new prompt with a different name.";
const CONCURRENT: &str = "A prompt version was created concurrently. Please retry.";
/// Where `latest` goes when it is put back on a version: after its other labels.
const LATEST_POSITION: i64 = 1_000;

/// Serialises the writers of one prompt name until the transaction ends (PostgreSQL: an
/// advisory transaction lock; SQLite: `BEGIN IMMEDIATE` already does).
pub(super) async fn lock(tx: &mut Tx, project: &str, name: &str) -> StoreResult<()> {
    tx.lock_key(&format!("prompt/{project}/{name}")).await
}

/// Counts one more prompt write of the project.
pub(super) async fn bump(tx: &mut Tx, project: &str) -> StoreResult<()> {
    let sql = Sql::text(
        "INSERT INTO prompt_changes (project_id, counter) VALUES ($1, 1) \
         ON CONFLICT (project_id) DO UPDATE SET counter = prompt_changes.counter + 1",
    )
    .bind(project);
    tx.execute(&sql).await?;
    Ok(())
}

/// Creates the next version of `new.name` in the write transaction `tx`: moves `latest` and
/// the given labels onto it and applies its tags (or the previous version's) to every version.
pub(super) async fn create(tx: &mut Tx, new: &NewPromptVersion) -> StoreResult<PromptVersion> {
    let project = new.project_id.as_str();
    let name = new.name.as_str();
    lock(tx, project, name).await?;
    let newest = Sql::text(
        "SELECT version, type, tags FROM prompts WHERE project_id = $1 AND name = $2 \
         ORDER BY version DESC LIMIT 1",
    )
    .bind(project)
    .bind(name);
    let latest: Option<(i64, String, String)> = tx.fetch_optional(&newest).await?;
    if let Some((_, kind, _)) = &latest
        && kind != new.r#type.as_str()
    {
        return Err(StoreError::Conflict(TYPE_CHANGE.into()));
    }
    let version = latest.as_ref().map_or(1, |(version, _, _)| version + 1);
    let previous_tags = match &latest {
        Some((_, _, tags)) => parse_tags(tags)?,
        None => Vec::new(),
    };
    let tags = dedupe(new.tags.as_deref().unwrap_or(&previous_tags));
    let insert = Sql::text(format!(
        "INSERT INTO prompts ({PROMPT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    ))
    .bind(project)
    .bind(new.id.as_str())
    .bind(name)
    .bind(version)
    .bind(new.r#type.as_str())
    .bind(new.prompt.to_string())
    .bind(new.config.to_string())
    .bind(tags_text(&tags))
    .bind(&new.commit_message)
    .bind(new.created_by.as_str())
    .bind(new.created_at);
    tx.execute(&insert)
        .await
        .map_err(|error| match constraint(error, "prompt version") {
            StoreError::Conflict(_) => StoreError::Conflict(CONCURRENT.into()),
            other => other,
        })?;
    let mut labels = dedupe(&new.labels);
    labels.retain(|label| label != LATEST_LABEL);
    labels.push(LATEST_LABEL.to_owned());
    for label in &labels {
        take_label(tx, project, name, label, version, new.created_at).await?;
    }
    set_labels(tx, project, name, version, &labels).await?;
    let changed =
        tags.iter().collect::<BTreeSet<_>>() != previous_tags.iter().collect::<BTreeSet<_>>();
    if latest.is_some() && changed {
        let retag = Sql::text(
            "UPDATE prompts SET tags = $3, updated_at = $4 \
             WHERE project_id = $1 AND name = $2 AND version <> $5",
        )
        .bind(project)
        .bind(name)
        .bind(tags_text(&tags))
        .bind(new.created_at)
        .bind(version);
        tx.execute(&retag).await?;
    }
    bump(tx, project).await?;
    find(tx, project, name, &PromptSelector::Version(version))
        .await?
        .ok_or_else(|| StoreError::Corrupt("created prompt vanished".into()))
}

/// Deletes every version of the name, or the one a selector names, in the write transaction
/// `tx`; `latest` moves to the highest remaining version. Returns how many were deleted.
pub(super) async fn delete(
    tx: &mut Tx,
    project: &str,
    name: &str,
    selector: Option<&PromptSelector>,
) -> StoreResult<u64> {
    lock(tx, project, name).await?;
    let chosen = match selector {
        None => Sql::text("SELECT version FROM prompts WHERE project_id = $1 AND name = $2")
            .bind(project)
            .bind(name),
        Some(PromptSelector::Version(version)) => Sql::text(
            "SELECT version FROM prompts \
             WHERE project_id = $1 AND name = $2 AND version = $3",
        )
        .bind(project)
        .bind(name)
        .bind(*version),
        Some(PromptSelector::Label(label)) => Sql::text(
            "SELECT version FROM prompt_labels \
             WHERE project_id = $1 AND name = $2 AND label = $3",
        )
        .bind(project)
        .bind(name)
        .bind(label.as_str()),
    };
    let versions: Vec<(i64,)> = tx.fetch_all(&chosen).await?;
    if versions.is_empty() {
        return Ok(0);
    }
    for (version,) in &versions {
        for table in ["prompt_labels", "prompts"] {
            let sql = Sql::text(format!(
                "DELETE FROM {table} WHERE project_id = $1 AND name = $2 AND version = $3"
            ))
            .bind(project)
            .bind(name)
            .bind(*version);
            tx.execute(&sql).await?;
        }
    }
    // `latest` goes back to the highest remaining version.
    let holders = Sql::text(
        "SELECT COUNT(*) FROM prompt_labels \
         WHERE project_id = $1 AND name = $2 AND label = $3",
    )
    .bind(project)
    .bind(name)
    .bind(LATEST_LABEL);
    let (holders,): (i64,) = tx.fetch_one(&holders).await?;
    if holders == 0 {
        let highest = Sql::text(
            "SELECT version FROM prompts WHERE project_id = $1 AND name = $2 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(project)
        .bind(name);
        let highest: Option<(i64,)> = tx.fetch_optional(&highest).await?;
        if let Some((version,)) = highest {
            let relabel = Sql::text(
                "INSERT INTO prompt_labels (project_id, name, label, version, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(project)
            .bind(name)
            .bind(LATEST_LABEL)
            .bind(version)
            .bind(LATEST_POSITION);
            tx.execute(&relabel).await?;
        }
    }
    bump(tx, project).await?;
    Ok(u64::try_from(versions.len()).unwrap_or(u64::MAX))
}
