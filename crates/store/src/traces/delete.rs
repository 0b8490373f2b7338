//! Deleting traces on the relational store ([`super::TraceReadStore::delete_traces`]): the
//! traces with their observations, scores and logged events, in one transaction. Only event
//! tables are touched; the trace tags and the project's trace counter follow by trigger
//! (migration 0007), and so do the observations' payloads (migration 0028).

use sightline_domain::ProjectId;

use crate::error::StoreResult;
use crate::sql::{Arg, Db, Sql};

/// Most ids in one statement (SQLite allows 32766 bound values).
const MAX_IDS: usize = 8_000;

/// `DELETE FROM <table> WHERE project_id = … AND <column> IN (…)`.
fn delete_in(table: &str, column: &str, project: &ProjectId, ids: &[String]) -> Sql {
    let mut sql = Sql::new();
    sql.sql(&format!("DELETE FROM {table} WHERE "))
        .push("project_id = {} AND ", [Arg::from(project.as_str())])
        .push_in(column, ids);
    sql
}

/// Deletes the traces and what belongs to them; returns how many traces existed.
pub(super) async fn delete_traces(
    db: &Db,
    project: &ProjectId,
    ids: &[String],
) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    // The logged events of the traces and of their observations go too, so that a later event
    // cannot fold a deleted trace or observation back from the log.
    let mut observations = Sql::new();
    observations
        .push(
            "SELECT id FROM observations WHERE project_id = {} AND ",
            [Arg::from(project.as_str())],
        )
        .push_in("trace_id", ids.iter().map(String::as_str));
    let observation_ids: Vec<(String,)> = tx.fetch_all(&observations).await?;
    let observation_ids: Vec<String> = observation_ids.into_iter().map(|(id,)| id).collect();
    let mut logged: Vec<String> = ids.to_vec();
    logged.extend(observation_ids);
    for chunk in logged.chunks(MAX_IDS) {
        tx.execute(&delete_in("ingestion_events", "entity_id", project, chunk))
            .await?;
    }
    let mut deleted = 0;
    for (table, column) in [
        ("scores", "trace_id"),
        ("observations", "trace_id"),
        ("traces", "id"),
    ] {
        let done = tx.execute(&delete_in(table, column, project, ids)).await?;
        if table == "traces" {
            deleted = done;
        }
    }
    // Tombstones: late events of these traces (timestamped up to now) are not folded again.
    let now = sightline_domain::time::now_ms();
    for id in ids {
        let tombstone = Sql::text(
            "INSERT INTO trace_tombstones (project_id, trace_id, deleted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, trace_id) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(project.as_str())
        .bind(id.as_str())
        .bind(now);
        tx.execute(&tombstone).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Deletes one batch of what data retention removes: up to `limit` traces with a timestamp
/// before `cutoff`, up to `limit` observations that started before it (with their payloads)
/// and up to `limit` scores timestamped before it, with the logged events of the traces and
/// observations, in one short transaction. Returns how many rows went; 0 when nothing older is
/// left. The rollups and trace counters follow by trigger, as for any delete.
pub(super) async fn delete_older_than(
    db: &Db,
    project: &ProjectId,
    cutoff: i64,
    limit: u64,
) -> StoreResult<u64> {
    let mut tx = db.begin().await?;
    let mut deleted = 0;
    let oldest = |table: &str, column: &str| {
        Sql::text(format!(
            "SELECT id FROM {table} WHERE project_id = $1 AND {column} < $2 LIMIT {limit}"
        ))
        .bind(project.as_str())
        .bind(cutoff)
    };
    let ids = |rows: Vec<(String,)>| rows.into_iter().map(|(id,)| id).collect::<Vec<_>>();
    let traces = ids(tx.fetch_all(&oldest("traces", "timestamp")).await?);
    let observations = ids(tx.fetch_all(&oldest("observations", "start_time")).await?);
    let scores = ids(tx.fetch_all(&oldest("scores", "timestamp")).await?);
    for chunk in observations.chunks(MAX_IDS) {
        tx.execute(&delete_in("ingestion_events", "entity_id", project, chunk))
            .await?;
        deleted += tx
            .execute(&delete_in("observations", "id", project, chunk))
            .await?;
    }
    for chunk in traces.chunks(MAX_IDS) {
        tx.execute(&delete_in("ingestion_events", "entity_id", project, chunk))
            .await?;
        deleted += tx
            .execute(&delete_in("traces", "id", project, chunk))
            .await?;
    }
    for chunk in scores.chunks(MAX_IDS) {
        deleted += tx
            .execute(&delete_in("scores", "id", project, chunk))
            .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// The event tables of a project, in an order that leaves no row referring to a deleted one.
/// Deleting `traces` also empties `trace_tags` and moves `trace_counts` (migration 0007
/// triggers), and the rows' triggers take them out of the rollups (migration 0014); deleting
/// `observations` takes their payloads (migration 0028). The counter and the emptied rollup rows
/// go last.
const PROJECT_EVENT_TABLES: &[&str] = &[
    "scores",
    "observations",
    "traces",
    "sessions",
    "ingestion_events",
    "trace_tombstones",
    "trace_tags",
    "trace_counts",
    "observation_rollups",
    "trace_rollups",
    "trace_user_rollups",
    "trace_user_daily_rollups",
    "score_rollups",
];

/// Deletes everything the project holds in the event tables, in one transaction.
pub(super) async fn delete_project_events(db: &Db, project: &ProjectId) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for table in PROJECT_EVENT_TABLES {
        let sql =
            Sql::text(format!("DELETE FROM {table} WHERE project_id = $1")).bind(project.as_str());
        tx.execute(&sql).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn deletes_are_scoped_to_the_project() {
        let project = ProjectId::from_trusted("p".to_owned());
        let sql = delete_in("scores", "trace_id", &project, &["a".into(), "b".into()]);
        assert_eq!(
            sql.render(Dialect::Sqlite),
            "DELETE FROM scores WHERE project_id = ? AND trace_id IN (?, ?)"
        );
        assert_eq!(
            sql.render(Dialect::Postgres),
            "DELETE FROM scores WHERE project_id = $1 AND trace_id IN ($2, $3)"
        );
    }
}
