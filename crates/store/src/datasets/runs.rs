//! The statements of dataset runs: created once per dataset and name, read with their
//! dataset's name, listed, and deleted with their run items.

use sightline_domain::ProjectId;

use super::model::{DatasetRun, RUN_COLUMNS, RunSqlRow, json_text};
use crate::error::{StoreError, StoreResult};
use crate::sql::{Arg, Db, Sql, Tx};

/// Runs with their dataset's name (none for local experiments).
const RUN_FROM: &str =
    "dataset_runs r LEFT JOIN datasets d ON d.project_id = r.project_id AND d.id = r.dataset_id";

/// The runs that match `filter` (conditions on `r`), then `tail` (order, page).
pub(crate) fn select(filter: Sql, tail: &str) -> Sql {
    let mut sql = Sql::new();
    sql.sql(&format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE "))
        .append(filter);
    if !tail.is_empty() {
        sql.sql(" ").sql(tail);
    }
    sql
}

pub(crate) fn decode(rows: Vec<RunSqlRow>) -> StoreResult<Vec<DatasetRun>> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Inserts the run unless its id or its dataset and name are taken, then reads back the run
/// of its dataset and name (of its id when it has no dataset); [`StoreError::Conflict`] when
/// another run holds the id.
pub(super) async fn create_or_get(tx: &mut Tx, run: &DatasetRun) -> StoreResult<DatasetRun> {
    let project = run.project_id.as_str();
    let insert = Sql::text(
        "INSERT INTO dataset_runs (project_id, id, dataset_id, name, description, metadata, \
           created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT DO NOTHING",
    )
    .bind(project)
    .bind(&run.id)
    .bind(&run.dataset_id)
    .bind(&run.name)
    .bind(&run.description)
    .bind(json_text(&run.metadata))
    .bind(run.created_at)
    .bind(run.updated_at);
    tx.execute(&insert).await?;
    let mut filter = Sql::new();
    filter.push("r.project_id = {} AND ", [Arg::from(project)]);
    match &run.dataset_id {
        Some(dataset) => filter.push(
            "r.dataset_id = {} AND r.name = {}",
            [Arg::from(dataset), Arg::from(&run.name)],
        ),
        None => filter.push("r.id = {}", [Arg::from(&run.id)]),
    };
    let rows: Vec<RunSqlRow> = tx.fetch_all(&select(filter, "")).await?;
    decode(rows)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Conflict(format!("Dataset run id {} is already in use", run.id)))
}

/// Sets description and metadata where given; whether the run exists.
pub(super) async fn update(
    db: &Db,
    project: &ProjectId,
    run_id: &str,
    description: Option<&str>,
    metadata: Option<&serde_json::Value>,
    updated_at: sightline_domain::time::Millis,
) -> StoreResult<bool> {
    let sql = Sql::text(
        "UPDATE dataset_runs SET description = COALESCE($1, description), \
           metadata = COALESCE($2, metadata), updated_at = $3 \
         WHERE project_id = $4 AND id = $5",
    )
    .bind(description)
    .bind(metadata.map(|value| value.to_string()))
    .bind(updated_at)
    .bind(project.as_str())
    .bind(run_id);
    Ok(db.execute(&sql).await? > 0)
}

/// The dataset's run of that name.
pub(super) async fn by_name(
    db: &Db,
    project: &ProjectId,
    dataset_id: &str,
    name: &str,
) -> StoreResult<Option<DatasetRun>> {
    let mut filter = Sql::new();
    filter.push(
        "r.project_id = {} AND r.dataset_id = {} AND r.name = {}",
        [
            Arg::from(project.as_str()),
            Arg::from(dataset_id),
            Arg::from(name),
        ],
    );
    let rows: Vec<RunSqlRow> = db.fetch_all(&select(filter, "")).await?;
    Ok(decode(rows)?.into_iter().next())
}

/// A page of the dataset's runs, newest first, and the number of all.
pub(super) async fn page(
    db: &Db,
    project: &ProjectId,
    dataset_id: &str,
    limit: u64,
    offset: u64,
) -> StoreResult<(Vec<DatasetRun>, u64)> {
    let mut filter = Sql::new();
    filter.push(
        "r.project_id = {} AND r.dataset_id = {}",
        [Arg::from(project.as_str()), Arg::from(dataset_id)],
    );
    let mut count = Sql::new();
    count
        .sql("SELECT COUNT(*) FROM dataset_runs r WHERE ")
        .append(filter.clone());
    let tail = format!("ORDER BY r.created_at DESC, r.id ASC LIMIT {limit} OFFSET {offset}");
    let rows: Vec<RunSqlRow> = db.fetch_all(&select(filter, &tail)).await?;
    let runs = decode(rows)?;
    let (total,): (i64,) = db.fetch_one(&count).await?;
    Ok((runs, u64::try_from(total).unwrap_or(0)))
}

/// `(dataset id, run name)` of the datasets' runs, newest first.
pub(super) async fn names(
    db: &Db,
    project: &ProjectId,
    dataset_ids: &[String],
) -> StoreResult<Vec<(String, String)>> {
    let mut sql = Sql::new();
    sql.push(
        "SELECT dataset_id, name FROM dataset_runs WHERE project_id = {} AND ",
        [Arg::from(project.as_str())],
    )
    .push_in("dataset_id", dataset_ids)
    .sql(" ORDER BY created_at DESC, id ASC");
    db.fetch_all(&sql).await
}

/// Deletes the run and its run items in `tx`; whether the run existed.
pub(super) async fn delete(tx: &mut Tx, project: &ProjectId, run_id: &str) -> StoreResult<bool> {
    let items = Sql::text("DELETE FROM dataset_run_items WHERE project_id = $1 AND run_id = $2")
        .bind(project.as_str())
        .bind(run_id);
    tx.execute(&items).await?;
    let run = Sql::text("DELETE FROM dataset_runs WHERE project_id = $1 AND id = $2")
        .bind(project.as_str())
        .bind(run_id);
    Ok(tx.execute(&run).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn runs_are_read_with_their_dataset_name() {
        let mut filter = Sql::new();
        filter.push("r.id = {}", [Arg::from("r1")]);
        let sql = select(filter, "ORDER BY r.id");
        assert_eq!(
            sql.render(Dialect::Sqlite),
            format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.id = ? ORDER BY r.id")
        );
    }
}
