//! The event side of experiment reads: [`ExperimentEventStore`] reads the traces, observations
//! and scores of given ids from the event tables only (`traces`, `observations`, `scores`); the
//! metadata store says which ids an experiment covers. Id lists are bound in chunks of at most
//! [`MAX_IDS`] values.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::model::lenient_json;
use super::{ExperimentObservation, ExperimentTrace, SpanPayload, TraceScore, TraceTotals};
use crate::error::StoreResult;
use crate::observations::payload::{self, StoredPayload};
use crate::sql::{Arg, Sql, SqlStore};

/// Most ids bound in one statement (SQLite allows 32766 values, PostgreSQL 65535).
const MAX_IDS: usize = 8_000 - 1;

/// What experiment reads need of traces, observations and scores, by id.
#[async_trait]
pub trait ExperimentEventStore: Send + Sync {
    /// Per trace that has observations: the first start, the last end (or start, for those
    /// without one) and the total cost of its observations.
    async fn experiment_trace_totals(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<TraceTotals>>;
    /// The observations with these ids (unknown ids are left out), with what `payload` asks.
    async fn experiment_observations(
        &self,
        project: &ProjectId,
        ids: &[String],
        payload: SpanPayload,
    ) -> StoreResult<Vec<ExperimentObservation>>;
    /// The traces with these ids (unknown ids are left out), with what `payload` asks.
    async fn experiment_traces(
        &self,
        project: &ProjectId,
        ids: &[String],
        payload: SpanPayload,
    ) -> StoreResult<Vec<ExperimentTrace>>;
    /// Every score of the traces, by name, then oldest first (within each chunk of traces).
    async fn experiment_trace_scores(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<TraceScore>>;
}

#[derive(sqlx::FromRow)]
struct ObservationPartRow {
    id: String,
    start_time: i64,
    end_time: Option<i64>,
    level: String,
    environment: String,
    /// Stored payloads (`observations/payload.rs`).
    input: Option<Vec<u8>>,
    output: Option<Vec<u8>>,
    metadata: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TracePartRow {
    id: String,
    timestamp: i64,
    environment: String,
    /// Stored like observation payloads on SQLite (`observations/payload.rs`).
    input: Option<StoredPayload>,
    output: Option<StoredPayload>,
    metadata: Option<String>,
}

#[async_trait]
impl ExperimentEventStore for SqlStore {
    async fn experiment_trace_totals(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<TraceTotals>> {
        let mut totals = Vec::new();
        for chunk in distinct(trace_ids).chunks(MAX_IDS) {
            let mut sql = Sql::new();
            sql.push(
                "SELECT trace_id, MIN(start_time), MAX(COALESCE(end_time, start_time)), \
                   SUM(total_cost) FROM observations WHERE project_id = {} AND ",
                [Arg::from(project.as_str())],
            )
            .push_in("trace_id", chunk.iter().copied())
            .sql(" GROUP BY trace_id");
            let rows: Vec<(String, i64, i64, Option<f64>)> = self.db.fetch_all(&sql).await?;
            totals.extend(
                rows.into_iter()
                    .map(|(trace_id, start_time, end_time, total_cost)| TraceTotals {
                        trace_id,
                        start_time,
                        end_time,
                        total_cost,
                    }),
            );
        }
        Ok(totals)
    }

    async fn experiment_observations(
        &self,
        project: &ProjectId,
        ids: &[String],
        payload: SpanPayload,
    ) -> StoreResult<Vec<ExperimentObservation>> {
        let mut observations = Vec::new();
        for chunk in distinct(ids).chunks(MAX_IDS) {
            let sql = by_ids(
                &format!(
                    "SELECT id, start_time, end_time, level, environment, {} FROM observations",
                    observation_payload_columns(payload)
                ),
                project,
                chunk,
            );
            let rows: Vec<ObservationPartRow> = self.db.fetch_all(&sql).await?;
            for row in rows {
                observations.push(ExperimentObservation {
                    id: row.id,
                    start_time: row.start_time,
                    end_time: row.end_time,
                    level: row.level,
                    environment: row.environment,
                    input: payload::decode(row.input)?,
                    output: payload::decode(row.output)?,
                    metadata: lenient_json(row.metadata),
                });
            }
        }
        Ok(observations)
    }

    async fn experiment_traces(
        &self,
        project: &ProjectId,
        ids: &[String],
        payload: SpanPayload,
    ) -> StoreResult<Vec<ExperimentTrace>> {
        let mut traces = Vec::new();
        for chunk in distinct(ids).chunks(MAX_IDS) {
            let sql = by_ids(
                &format!(
                    "SELECT id, timestamp, environment, {} FROM traces",
                    payload_columns(payload)
                ),
                project,
                chunk,
            );
            let rows: Vec<TracePartRow> = self.db.fetch_all(&sql).await?;
            for row in rows {
                let text = |stored: Option<StoredPayload>| {
                    stored
                        .map(|stored| payload::decode_text(&stored.0))
                        .transpose()
                };
                traces.push(ExperimentTrace {
                    id: row.id,
                    timestamp: row.timestamp,
                    environment: row.environment,
                    input: lenient_json(text(row.input)?),
                    output: lenient_json(text(row.output)?),
                    metadata: lenient_json(row.metadata),
                });
            }
        }
        Ok(traces)
    }

    async fn experiment_trace_scores(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<TraceScore>> {
        let mut scores = Vec::new();
        for chunk in distinct(trace_ids).chunks(MAX_IDS) {
            let mut sql = Sql::new();
            sql.push(
                "SELECT trace_id, name, value, string_value FROM scores \
                 WHERE project_id = {} AND ",
                [Arg::from(project.as_str())],
            )
            .push_in("trace_id", chunk.iter().copied())
            .sql(" ORDER BY name, timestamp");
            let rows: Vec<(String, String, Option<f64>, Option<String>)> =
                self.db.fetch_all(&sql).await?;
            scores.extend(
                rows.into_iter()
                    .map(|(trace_id, name, value, string_value)| TraceScore {
                        trace_id,
                        name,
                        value,
                        string_value,
                    }),
            );
        }
        Ok(scores)
    }
}

/// The ids once each (lists of run items repeat traces).
fn distinct(ids: &[String]) -> Vec<&str> {
    let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `select` (a `SELECT … FROM table`) of the project's rows whose id is one of `ids`.
fn by_ids(select: &str, project: &ProjectId, ids: &[&str]) -> Sql {
    let mut sql = Sql::new();
    sql.sql(select)
        .push(" WHERE project_id = {} AND ", [Arg::from(project.as_str())])
        .push_in("id", ids.iter().copied());
    sql
}

/// The `input, output, metadata` columns, as NULL where `payload` does not ask for them.
fn payload_columns(payload: SpanPayload) -> &'static str {
    match payload {
        SpanPayload::Nothing => {
            "CAST(NULL AS TEXT) AS input, CAST(NULL AS TEXT) AS output, \
             CAST(NULL AS TEXT) AS metadata"
        }
        SpanPayload::Output => {
            "CAST(NULL AS TEXT) AS input, output, CAST(NULL AS TEXT) AS metadata"
        }
        SpanPayload::All => "input, output, metadata",
    }
}

/// The `input, output, metadata` columns of observations (payloads from
/// `observation_payloads`), as NULL where `payload` does not ask for them.
fn observation_payload_columns(payload: SpanPayload) -> String {
    let (input, output) = (payload::column_sql("input"), payload::column_sql("output"));
    match payload {
        SpanPayload::Nothing => {
            "NULL AS input, NULL AS output, CAST(NULL AS TEXT) AS metadata".to_owned()
        }
        SpanPayload::Output => {
            format!("NULL AS input, {output} AS output, CAST(NULL AS TEXT) AS metadata")
        }
        SpanPayload::All => format!("{input} AS input, {output} AS output, metadata"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn spans_are_read_by_id_with_the_payload_asked_for() {
        let project = ProjectId::from_trusted("p".into());
        let select = format!(
            "SELECT id, timestamp, environment, {} FROM traces",
            payload_columns(SpanPayload::Output)
        );
        let given: Vec<String> = vec!["b".into(), "a".into(), "b".into()];
        let ids = distinct(&given);
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(
            by_ids(&select, &project, &ids).render(Dialect::Sqlite),
            "SELECT id, timestamp, environment, CAST(NULL AS TEXT) AS input, output, \
             CAST(NULL AS TEXT) AS metadata FROM traces WHERE project_id = ? AND id IN (?, ?)"
        );
    }
}
