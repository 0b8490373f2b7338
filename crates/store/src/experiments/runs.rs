//! [`ExperimentRunStore`] on the relational store: the runs and run items an experiment read
//! covers, from the metadata tables only (`dataset_runs`, `dataset_run_items`, `datasets`).

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{ExperimentRunStore, RunItemFilter, RunItemRef};
use crate::datasets::model::{RUN_ITEM_COLUMNS, RunItemSqlRow, RunSqlRow};
use crate::datasets::run_items::RUN_ITEM_FROM;
use crate::datasets::runs;
use crate::datasets::{DatasetRun, DatasetRunItem};
use crate::error::StoreResult;
use crate::sql::{Arg, Sql, SqlStore};

/// Most ids bound in one statement (SQLite allows 32766 values, PostgreSQL 65535).
const MAX_IDS: usize = 8_000 - 1;

#[async_trait]
impl ExperimentRunStore for SqlStore {
    async fn experiment_item_refs(
        &self,
        project: &ProjectId,
        filter: &RunItemFilter,
    ) -> StoreResult<Vec<RunItemRef>> {
        let rows: Vec<(String, String, String, String, Option<String>, i64)> =
            self.db.fetch_all(&item_refs(project, filter)).await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, run_id, dataset_item_id, trace_id, observation_id, created_at)| RunItemRef {
                    id,
                    run_id,
                    dataset_item_id,
                    trace_id,
                    observation_id,
                    created_at,
                },
            )
            .collect())
    }

    async fn experiment_runs(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<DatasetRun>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IDS) {
            let mut filter = Sql::new();
            filter
                .push("r.project_id = {} AND ", [Arg::from(project.as_str())])
                .push_in("r.id", chunk);
            let rows: Vec<RunSqlRow> = self.db.fetch_all(&runs::select(filter, "")).await?;
            found.extend(runs::decode(rows)?);
        }
        Ok(found)
    }

    async fn experiment_run_items(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<DatasetRunItem>> {
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IDS) {
            let mut sql = Sql::new();
            sql.push(
                &format!(
                    "SELECT {RUN_ITEM_COLUMNS} FROM {RUN_ITEM_FROM} WHERE ri.project_id = {{}} AND "
                ),
                [Arg::from(project.as_str())],
            )
            .push_in("ri.id", chunk);
            let rows: Vec<RunItemSqlRow> = self.db.fetch_all(&sql).await?;
            for row in rows {
                items.push(row.try_into()?);
            }
        }
        Ok(items)
    }
}

/// The references of the run items `filter` selects, by dataset item id, then oldest first.
fn item_refs(project: &ProjectId, filter: &RunItemFilter) -> Sql {
    let mut sql = Sql::new();
    sql.push(
        &format!(
            "SELECT ri.id, ri.run_id, ri.dataset_item_id, ri.trace_id, ri.observation_id, \
               ri.created_at FROM {RUN_ITEM_FROM} WHERE ri.project_id = {{}}"
        ),
        [Arg::from(project.as_str())],
    );
    for (column, values) in [
        ("ri.run_id", &filter.run_ids),
        ("r.name", &filter.run_names),
        ("r.dataset_id", &filter.dataset_ids),
        ("ri.dataset_item_id", &filter.dataset_item_ids),
    ] {
        if !values.is_empty() {
            sql.sql(" AND ").push_in(column, values);
        }
    }
    sql.sql(" ORDER BY ri.dataset_item_id, ri.created_at, ri.id");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn item_refs_filter_on_the_lists_given() {
        let project = ProjectId::from_trusted("p".into());
        let filter = RunItemFilter {
            run_names: vec!["a".into(), "b".into()],
            dataset_item_ids: vec!["i".into()],
            ..RunItemFilter::default()
        };
        let text = item_refs(&project, &filter).render(Dialect::Postgres);
        assert!(
            text.ends_with(
                "WHERE ri.project_id = $1 AND r.name IN ($2, $3) AND ri.dataset_item_id IN ($4) \
                 ORDER BY ri.dataset_item_id, ri.created_at, ri.id"
            ),
            "{text}"
        );
    }
}
