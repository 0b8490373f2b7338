//! The statements of run items: inserted once per run, dataset item and trace (whichever of
//! the API and SDK spans comes first is kept), read with their run's name.

use sightline_domain::ProjectId;

use super::model::{DatasetRunItem, RUN_ITEM_COLUMNS, RunItemSqlRow, json_text};
use crate::error::StoreResult;
use crate::sql::{Arg, Db, Sql, Tx};

/// Run items with their run's name.
pub(crate) const RUN_ITEM_FROM: &str =
    "dataset_run_items ri JOIN dataset_runs r ON r.project_id = ri.project_id AND r.id = ri.run_id";

/// Run items per insert: 11 values each, well under the parameter limits.
const INSERT_CHUNK: usize = 500;

/// Inserts the run items in `tx`, leaving those whose id, or run, dataset item and trace, are
/// stored already.
pub(super) async fn insert(tx: &mut Tx, items: &[&DatasetRunItem]) -> StoreResult<()> {
    for chunk in items.chunks(INSERT_CHUNK) {
        tx.execute(&insert_statement(chunk)).await?;
    }
    Ok(())
}

fn insert_statement(items: &[&DatasetRunItem]) -> Sql {
    let mut sql = Sql::text(
        "INSERT INTO dataset_run_items (project_id, id, run_id, dataset_item_id, trace_id, \
           observation_id, dataset_item_version, expected_output, item_metadata, created_at, \
           updated_at) VALUES ",
    );
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            sql.sql(", ");
        }
        sql.tuple([
            Arg::from(item.project_id.as_str()),
            Arg::from(&item.id),
            Arg::from(&item.run_id),
            Arg::from(&item.dataset_item_id),
            Arg::from(&item.trace_id),
            Arg::from(&item.observation_id),
            Arg::from(item.dataset_item_version),
            Arg::from(json_text(&item.expected_output)),
            Arg::from(json_text(&item.item_metadata)),
            Arg::from(item.created_at),
            Arg::from(item.updated_at),
        ]);
    }
    sql.sql(" ON CONFLICT DO NOTHING");
    sql
}

/// The stored run item linking the same run, dataset item and trace as `item`.
pub(super) async fn stored(
    tx: &mut Tx,
    item: &DatasetRunItem,
) -> StoreResult<Option<DatasetRunItem>> {
    let sql = Sql::text(format!(
        "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} \
         WHERE ri.project_id = $1 AND ri.run_id = $2 AND ri.dataset_item_id = $3 \
           AND ri.trace_id = $4"
    ))
    .bind(item.project_id.as_str())
    .bind(&item.run_id)
    .bind(&item.dataset_item_id)
    .bind(&item.trace_id);
    let row: Option<RunItemSqlRow> = tx.fetch_optional(&sql).await?;
    row.map(TryInto::try_into).transpose()
}

/// The run's items, newest first (a page, or all without `limit`), and the number of all.
pub(super) async fn page(
    db: &Db,
    project: &ProjectId,
    run_id: &str,
    limit: Option<u64>,
    offset: u64,
) -> StoreResult<(Vec<DatasetRunItem>, u64)> {
    let page = match limit {
        Some(limit) => format!(" LIMIT {limit} OFFSET {offset}"),
        None => String::new(),
    };
    let select = Sql::text(format!(
        "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} \
         WHERE ri.project_id = $1 AND ri.run_id = $2 ORDER BY ri.created_at DESC, ri.id ASC{page}"
    ))
    .bind(project.as_str())
    .bind(run_id);
    let rows: Vec<RunItemSqlRow> = db.fetch_all(&select).await?;
    let items = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<_>>>()?;
    let count = Sql::text(
        "SELECT COUNT(*) FROM dataset_run_items ri WHERE ri.project_id = $1 AND ri.run_id = $2",
    )
    .bind(project.as_str())
    .bind(run_id);
    let (total,): (i64,) = db.fetch_one(&count).await?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn run_items_are_inserted_as_one_statement_per_chunk() {
        let item = DatasetRunItem {
            project_id: ProjectId::from_trusted("p".into()),
            id: "ri".into(),
            run_id: "r".into(),
            run_name: String::new(),
            dataset_item_id: "i".into(),
            trace_id: "t".into(),
            observation_id: None,
            dataset_item_version: None,
            expected_output: None,
            item_metadata: None,
            created_at: 1,
            updated_at: 1,
        };
        let sql = insert_statement(&[&item, &item]);
        let text = sql.render(Dialect::Postgres);
        assert!(text.contains("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), ($12, "));
        assert!(text.ends_with("$22) ON CONFLICT DO NOTHING"), "{text}");
        assert_eq!(sql.args().len(), 22);
    }
}
