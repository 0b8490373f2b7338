//! The runs and run items that SDK experiment spans name (wire-spec §7.4), written in one
//! transaction after the ingestion writer has committed the spans themselves.

use std::collections::HashMap;

use sightline_domain::ProjectId;

use super::model::{DatasetRun, DatasetRunItem, ExperimentLink};
use super::{run_items, runs};
use crate::error::{StoreError, StoreResult};
use crate::sql::{Sql, Tx};

/// Writes the links' runs and run items in `tx`. A run is created on first sight: with the
/// dataset when the project has it, else as a local experiment; a dataset's existing run of
/// the same name is reused. Run items already stored are left as they are.
pub(super) async fn write(
    tx: &mut Tx,
    project: &ProjectId,
    links: &[ExperimentLink],
) -> StoreResult<()> {
    // The stored run of each experiment id; `None` when the id is taken by another run.
    let mut run_ids: HashMap<&str, Option<String>> = HashMap::new();
    let mut items: Vec<DatasetRunItem> = Vec::with_capacity(links.len());
    for link in links {
        if !run_ids.contains_key(link.run_id.as_str()) {
            let run = run_of(tx, project, link).await?;
            let stored = match runs::create_or_get(tx, &run).await {
                Ok(run) => Some(run.id),
                Err(StoreError::Conflict(_)) => None,
                Err(error) => return Err(error),
            };
            run_ids.insert(link.run_id.as_str(), stored);
        }
        let Some(run_id) = run_ids[link.run_id.as_str()].clone() else {
            continue;
        };
        items.push(DatasetRunItem {
            project_id: project.clone(),
            id: link.run_item_id.clone(),
            run_id,
            run_name: link.run_name.clone(),
            dataset_item_id: link.dataset_item_id.clone(),
            trace_id: link.trace_id.clone(),
            observation_id: link.observation_id.clone(),
            dataset_item_version: link.dataset_item_version,
            expected_output: link.expected_output.clone(),
            item_metadata: link.item_metadata.clone(),
            created_at: link.created_at,
            updated_at: link.created_at,
        });
    }
    let refs: Vec<&DatasetRunItem> = items.iter().collect();
    run_items::insert(tx, &refs).await
}

/// The run a link names: in its dataset when the project has that dataset, else local.
async fn run_of(
    tx: &mut Tx,
    project: &ProjectId,
    link: &ExperimentLink,
) -> StoreResult<DatasetRun> {
    let mut dataset_id = None;
    if let Some(id) = &link.dataset_id {
        let exists = Sql::text("SELECT id FROM datasets WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        let found: Option<(String,)> = tx.fetch_optional(&exists).await?;
        dataset_id = found.map(|(id,)| id);
    }
    Ok(DatasetRun {
        project_id: project.clone(),
        id: link.run_id.clone(),
        dataset_id,
        dataset_name: None,
        name: link.run_name.clone(),
        description: link.description.clone(),
        metadata: link.metadata.clone(),
        created_at: link.created_at,
        updated_at: link.created_at,
    })
}
