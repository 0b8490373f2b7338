//! The statements of versioned dataset items: a write closes the current version (`valid_to`)
//! and inserts the next one, a delete only closes it; reads take the current versions or those
//! valid at a time.

use sightline_domain::ProjectId;
use sightline_domain::time::now_ms;

use super::model::{DatasetItem, DatasetItemQuery, DatasetItemSqlRow, ITEM_COLUMNS, json_text};
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Arg, Db, Dialect, Sql, Tx, Where};

/// Items with their dataset's name.
const ITEM_FROM: &str =
    "dataset_items i JOIN datasets d ON d.project_id = i.project_id AND d.id = i.dataset_id";

/// The conditions of a [`DatasetItemQuery`].
fn item_filter(dialect: Dialect, project: &ProjectId, query: &DatasetItemQuery) -> Sql {
    let mut filter = Where::new(dialect);
    filter.eq("i.project_id", project.as_str());
    match query.as_of {
        Some(at) => filter.push_all(
            "i.valid_from <= {} AND (i.valid_to IS NULL OR i.valid_to > {})",
            vec![Arg::from(at), Arg::from(at)],
        ),
        None => filter.push_const("i.valid_to IS NULL"),
    }
    for (column, value) in [
        ("i.dataset_id", &query.dataset_id),
        ("i.id", &query.item_id),
        ("i.source_trace_id", &query.source_trace_id),
        ("i.source_observation_id", &query.source_observation_id),
    ] {
        if let Some(value) = value {
            filter.eq(column, value);
        }
    }
    if query.active_only {
        filter.push_const("i.status = 'ACTIVE'");
    }
    filter.to_sql()
}

/// A page of the items the query selects, and how many it selects.
pub(super) async fn page(
    db: &Db,
    project: &ProjectId,
    query: &DatasetItemQuery,
) -> StoreResult<(Vec<DatasetItem>, u64)> {
    let filter = item_filter(db.dialect(), project, query);
    let mut select = Sql::new();
    select
        .sql(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE "))
        .append(filter.clone())
        .sql(&format!(
            " ORDER BY i.created_at DESC, i.id ASC LIMIT {} OFFSET {}",
            query.limit, query.offset
        ));
    let rows: Vec<DatasetItemSqlRow> = db.fetch_all(&select).await?;
    let items = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut count = Sql::new();
    count
        .sql(&format!("SELECT COUNT(*) FROM {ITEM_FROM} WHERE "))
        .append(filter);
    let (total,): (i64,) = db.fetch_one(&count).await?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

/// The item's current version.
fn current(project: &ProjectId, id: &str) -> Sql {
    Sql::text(format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} \
         WHERE i.project_id = $1 AND i.id = $2 AND i.valid_to IS NULL"
    ))
    .bind(project.as_str())
    .bind(id)
}

pub(super) async fn current_item(
    db: &Db,
    project: &ProjectId,
    id: &str,
) -> StoreResult<Option<DatasetItem>> {
    let row: Option<DatasetItemSqlRow> = db.fetch_optional(&current(project, id)).await?;
    row.map(TryInto::try_into).transpose()
}

/// Writes the next version of the item in `tx` and returns it.
pub(super) async fn put(tx: &mut Tx, item: &DatasetItem) -> StoreResult<DatasetItem> {
    let project = &item.project_id;
    let mut created_at = item.created_at;
    let mut valid_from = item.updated_at;
    // The current version's dataset, start and creation time.
    let current_version = Sql::text(
        "SELECT dataset_id, valid_from, created_at FROM dataset_items \
         WHERE project_id = $1 AND id = $2 AND valid_to IS NULL",
    )
    .bind(project.as_str())
    .bind(&item.id);
    let found: Option<(String, i64, i64)> = tx.fetch_optional(&current_version).await?;
    if let Some((dataset_id, current_from, current_created)) = found {
        if dataset_id != item.dataset_id {
            return Err(StoreError::Conflict(format!(
                "The dataset item with id {} already exists in another dataset",
                item.id
            )));
        }
        created_at = current_created;
        // Versions are keyed by their start: keep them strictly increasing.
        valid_from = valid_from.max(current_from + 1);
        let close = Sql::text(
            "UPDATE dataset_items SET valid_to = $1 \
             WHERE project_id = $2 AND id = $3 AND valid_from = $4 AND valid_to IS NULL",
        )
        .bind(valid_from)
        .bind(project.as_str())
        .bind(&item.id)
        .bind(current_from);
        if tx.execute(&close).await? != 1 {
            return Err(StoreError::Conflict(format!(
                "Dataset item {} was modified concurrently. Please retry the request.",
                item.id
            )));
        }
    }
    let insert = Sql::text(
        "INSERT INTO dataset_items (project_id, id, valid_from, valid_to, dataset_id, status, \
           input, expected_output, metadata, source_trace_id, source_observation_id, \
           created_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(project.as_str())
    .bind(&item.id)
    .bind(valid_from)
    .bind(&item.dataset_id)
    .bind(item.status.as_str())
    .bind(json_text(&item.input))
    .bind(json_text(&item.expected_output))
    .bind(json_text(&item.metadata))
    .bind(&item.source_trace_id)
    .bind(&item.source_observation_id)
    .bind(created_at);
    tx.execute(&insert)
        .await
        .map_err(|e| constraint(e, "Dataset item"))?;
    let row: Option<DatasetItemSqlRow> = tx.fetch_optional(&current(project, &item.id)).await?;
    row.map(TryInto::try_into)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound("Dataset not found".into()))
}

/// Ends the item's current version and deletes its run items in `tx`; whether it existed.
pub(super) async fn delete(tx: &mut Tx, project: &ProjectId, id: &str) -> StoreResult<bool> {
    let close = Sql::text(
        "UPDATE dataset_items SET valid_to = $1 \
         WHERE project_id = $2 AND id = $3 AND valid_to IS NULL",
    )
    .bind(now_ms())
    .bind(project.as_str())
    .bind(id);
    if tx.execute(&close).await? == 0 {
        return Ok(false);
    }
    let runs =
        Sql::text("DELETE FROM dataset_run_items WHERE project_id = $1 AND dataset_item_id = $2")
            .bind(project.as_str())
            .bind(id);
    tx.execute(&runs).await?;
    Ok(true)
}

/// `(dataset id, item id)` of every current ACTIVE item of the datasets, newest first.
pub(super) async fn active_ids(
    db: &Db,
    project: &ProjectId,
    dataset_ids: &[String],
) -> StoreResult<Vec<(String, String)>> {
    let mut sql = Sql::new();
    sql.push(
        "SELECT dataset_id, id FROM dataset_items WHERE project_id = {} AND ",
        [Arg::from(project.as_str())],
    )
    .push_in("dataset_id", dataset_ids)
    .sql(" AND valid_to IS NULL AND status = 'ACTIVE' ORDER BY created_at DESC, id ASC");
    db.fetch_all(&sql).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_queries_select_current_or_past_versions() {
        let project = ProjectId::from_trusted("p".into());
        let current = DatasetItemQuery {
            dataset_id: Some("d".into()),
            active_only: true,
            ..DatasetItemQuery::default()
        };
        assert_eq!(
            item_filter(Dialect::Postgres, &project, &current).render(Dialect::Postgres),
            "i.project_id = $1 AND i.valid_to IS NULL AND i.dataset_id = $2 \
             AND i.status = 'ACTIVE'"
        );
        let past = DatasetItemQuery {
            as_of: Some(5),
            ..DatasetItemQuery::default()
        };
        assert_eq!(
            item_filter(Dialect::Sqlite, &project, &past).render(Dialect::Sqlite),
            "i.project_id = ? AND i.valid_from <= ? AND (i.valid_to IS NULL OR i.valid_to > ?)"
        );
    }
}
