//! What the read API asks of scores: the list query of `GET /scores`, `GET /v2/scores` and
//! `GET /v3/scores`, and the trace summary each listed score carries.

use sightline_domain::filter::FilterCondition;
use sightline_domain::time::Millis;

use crate::ScoreRow;
use crate::error::{StoreError, StoreResult};
use crate::scores::stored::ScoreSqlRow;

/// The comparison of the `value` filter (`operator=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ValueOperator {
    Lt,
    Gt,
    Le,
    Ge,
    Ne,
    Eq,
}

impl ValueOperator {
    /// Langfuse's operators: `< > <= >= != =`.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "<" => Self::Lt,
            ">" => Self::Gt,
            "<=" => Self::Le,
            ">=" => Self::Ge,
            "!=" => Self::Ne,
            "=" => Self::Eq,
            _ => return None,
        })
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Ne => "<>",
            Self::Eq => "=",
        }
    }
}

/// A page of scores, newest first, filtered by the named query parameters of `GET /scores`.
/// Empty lists and `None` do not filter.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ScoreQuery {
    /// Only scores of a trace (`GET /scores`, v1).
    pub trace_scores_only: bool,
    /// The trace's user.
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub data_type: Option<String>,
    pub config_id: Option<String>,
    pub queue_id: Option<String>,
    pub source: Option<String>,
    /// Every tag must be on the score's trace.
    pub trace_tags: Vec<String>,
    /// Any of these environments.
    pub environments: Vec<String>,
    /// Inclusive.
    pub from_timestamp: Option<Millis>,
    /// Exclusive.
    pub to_timestamp: Option<Millis>,
    pub value: Option<(ValueOperator, f64)>,
    /// The advanced `filter` conditions; all must hold.
    pub filter: Vec<FilterCondition>,
    pub ids: Vec<String>,
    pub trace_ids: Vec<String>,
    pub session_ids: Vec<String>,
    pub dataset_run_ids: Vec<String>,
    pub observation_ids: Vec<String>,
    /// `GET /v3/scores` filters: any of the names, sources, data types, configs or queues.
    pub names: Vec<String>,
    pub sources: Vec<String>,
    pub data_types: Vec<String>,
    pub config_ids: Vec<String>,
    pub queue_ids: Vec<String>,
    /// Scores written through the API have no author: any value here matches nothing.
    pub author_user_ids: Vec<String>,
    /// Any of these numeric values (NUMERIC, or BOOLEAN as 0/1).
    pub numeric_values: Vec<f64>,
    /// Any of these string values (CATEGORICAL).
    pub string_values: Vec<String>,
    /// Inclusive bounds on the numeric value.
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    /// Only scores after this position in `timestamp DESC, id DESC` order (`GET /v3/scores`).
    pub after: Option<ScoreCursor>,
    pub limit: u64,
    pub offset: u64,
}

/// A position in the `timestamp DESC, id DESC` order of score lists: the last score of a page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScoreCursor {
    pub timestamp: Millis,
    pub id: String,
}

/// What a listed score shows of its trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreTrace {
    pub user_id: Option<String>,
    pub tags: Vec<String>,
    pub environment: String,
    pub session_id: Option<String>,
}

/// A listed score with its trace, when it has one that exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWithTrace {
    pub score: ScoreRow,
    pub trace: Option<ScoreTrace>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScoreListSqlRow {
    #[sqlx(flatten)]
    score: ScoreSqlRow,
    trace_found: Option<String>,
    trace_user_id: Option<String>,
    trace_tags: Option<String>,
    trace_environment: Option<String>,
    trace_session_id: Option<String>,
}

impl TryFrom<ScoreListSqlRow> for ScoreWithTrace {
    type Error = StoreError;

    fn try_from(row: ScoreListSqlRow) -> StoreResult<Self> {
        let trace = match row.trace_found {
            None => None,
            Some(_) => Some(ScoreTrace {
                user_id: row.trace_user_id,
                tags: serde_json::from_str(row.trace_tags.as_deref().unwrap_or("[]"))
                    .map_err(|e| StoreError::Corrupt(format!("stored tags: {e}")))?,
                environment: row.trace_environment.unwrap_or_default(),
                session_id: row.trace_session_id,
            }),
        };
        Ok(ScoreWithTrace {
            score: row.score.try_into()?,
            trace,
        })
    }
}
