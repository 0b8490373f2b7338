//! [`MetricsStore::score_pairs`] on the relational store: the scores of one name that two
//! sources gave the same trace (and observation, or session), for their agreement.

use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use super::ScorePair;
use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore};

/// Pairs at most this many scores (the newest).
const MAX_PAIRS: u64 = 10_000;

type PairRow = (Option<f64>, Option<String>, Option<f64>, Option<String>);

impl SqlStore {
    pub(super) async fn score_pairs_in_range(
        &self,
        project: &ProjectId,
        name: &str,
        sources: (&str, &str),
        range: (Millis, Millis),
    ) -> StoreResult<Vec<ScorePair>> {
        let mut sql = Sql::new();
        sql.push(
            "SELECT a.value, a.string_value, b.value, b.string_value FROM scores a \
             JOIN scores b ON b.project_id = a.project_id AND b.name = a.name \
             AND COALESCE(b.trace_id, '') = COALESCE(a.trace_id, '') \
             AND COALESCE(b.observation_id, '') = COALESCE(a.observation_id, '') \
             AND COALESCE(b.session_id, '') = COALESCE(a.session_id, '') \
             AND b.source = {} AND b.id <> a.id \
             WHERE a.project_id = {} AND a.name = {} AND a.source = {} \
             AND a.timestamp >= {} AND a.timestamp <= {}",
            [
                sources.1.into(),
                project.as_str().into(),
                name.into(),
                sources.0.into(),
                range.0.into(),
                range.1.into(),
            ],
        );
        sql.sql(&format!(" ORDER BY a.timestamp DESC LIMIT {MAX_PAIRS}"));
        let rows: Vec<PairRow> = self.db.fetch_all(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|(a_value, a_text, b_value, b_text)| ScorePair {
                a: (a_value, a_text),
                b: (b_value, b_text),
            })
            .collect())
    }
}
