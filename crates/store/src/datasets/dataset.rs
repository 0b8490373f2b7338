//! The statements of datasets: upsert by name, one by name or id, and pages of them.

use sightline_domain::ProjectId;

use super::model::{DATASET_COLUMNS, Dataset, DatasetSqlRow, json_text};
use crate::error::{StoreError, StoreResult};
use crate::sql::{Db, Sql};

/// Creates the dataset or updates the one with its name, and reads back what is stored.
pub(super) async fn upsert(db: &Db, dataset: &Dataset) -> StoreResult<Dataset> {
    let sql = Sql::text(
        "INSERT INTO datasets (project_id, id, name, description, metadata, input_schema, \
           expected_output_schema, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (project_id, name) DO UPDATE SET description = excluded.description, \
           metadata = excluded.metadata, input_schema = excluded.input_schema, \
           expected_output_schema = excluded.expected_output_schema, \
           updated_at = excluded.updated_at",
    )
    .bind(dataset.project_id.as_str())
    .bind(&dataset.id)
    .bind(&dataset.name)
    .bind(&dataset.description)
    .bind(json_text(&dataset.metadata))
    .bind(json_text(&dataset.input_schema))
    .bind(json_text(&dataset.expected_output_schema))
    .bind(dataset.created_at)
    .bind(dataset.updated_at);
    db.execute(&sql).await?;
    let row: Option<DatasetSqlRow> = db
        .fetch_optional(&by(&dataset.project_id, Key::Name, &dataset.name))
        .await?;
    row.map(TryInto::try_into)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound("Dataset not found".into()))
}

/// Gives the dataset a new name; whether it exists. A name another dataset of the project has
/// is a conflict.
pub(super) async fn rename(
    db: &Db,
    project: &ProjectId,
    id: &str,
    name: &str,
    updated_at: i64,
) -> StoreResult<bool> {
    let sql = Sql::text(
        "UPDATE datasets SET name = $1, updated_at = $2 WHERE project_id = $3 AND id = $4",
    )
    .bind(name)
    .bind(updated_at)
    .bind(project.as_str())
    .bind(id);
    let changed = db
        .execute(&sql)
        .await
        .map_err(|e| crate::error::constraint(e, &format!("A dataset named '{name}'")))?;
    Ok(changed > 0)
}

/// Which column finds one dataset.
#[derive(Debug, Clone, Copy)]
pub(super) enum Key {
    Name,
    Id,
}

/// The project's dataset whose name or id is `value`.
pub(super) fn by(project: &ProjectId, key: Key, value: &str) -> Sql {
    let column = match key {
        Key::Name => "d.name",
        Key::Id => "d.id",
    };
    Sql::text(format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = $1 AND {column} = $2"
    ))
    .bind(project.as_str())
    .bind(value)
}

pub(super) async fn one(
    db: &Db,
    project: &ProjectId,
    key: Key,
    value: &str,
) -> StoreResult<Option<Dataset>> {
    let row: Option<DatasetSqlRow> = db.fetch_optional(&by(project, key, value)).await?;
    row.map(TryInto::try_into).transpose()
}

/// A page of the project's datasets, newest first, and the number of all.
pub(super) async fn page(
    db: &Db,
    project: &ProjectId,
    limit: u64,
    offset: u64,
) -> StoreResult<(Vec<Dataset>, u64)> {
    let sql = Sql::text(format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.project_id = $1 \
         ORDER BY d.created_at DESC, d.id ASC LIMIT {limit} OFFSET {offset}"
    ))
    .bind(project.as_str());
    let rows: Vec<DatasetSqlRow> = db.fetch_all(&sql).await?;
    let datasets = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<_>>>()?;
    let count =
        Sql::text("SELECT COUNT(*) FROM datasets WHERE project_id = $1").bind(project.as_str());
    let (total,): (i64,) = db.fetch_one(&count).await?;
    Ok((datasets, u64::try_from(total).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn one_dataset_is_found_by_name_or_id() {
        let project = ProjectId::from_trusted("p".into());
        let sql = by(&project, Key::Id, "d1");
        assert!(
            sql.render(Dialect::Postgres)
                .ends_with("FROM datasets d WHERE d.project_id = $1 AND d.id = $2")
        );
        assert_eq!(sql.args().len(), 2);
    }
}
