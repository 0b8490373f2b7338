//! The columns each list can be filtered on with the advanced `filter`: one table per list
//! ([`TRACE_COLUMNS`], [`OBSERVATION_COLUMNS`], [`SCORE_COLUMNS`]), each column with its id as
//! Langfuse names it, its kind (which decides the condition types it accepts) and its SQL
//! expression, written here and never taken from input.

use crate::sql::Dialect;

/// What a column holds, which decides the conditions it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `string`, `stringOptions`, `null`.
    Text,
    /// Milliseconds: `datetime`, `null`.
    Time,
    /// `number`, `null`.
    Number,
    /// `boolean`.
    Bool,
    /// A JSON array of strings stored as text: `arrayOptions`.
    Tags,
    /// A JSON object stored as text, by `key`: `stringObject`, `numberObject`, `booleanObject`.
    Object,
    /// The average of the numeric and boolean scores named `key`: `numberObject`. The expression
    /// is the `FROM … WHERE …` of the scores that belong to the row.
    ScoreAverage,
    /// The categorical scores named `key`: `categoryOptions`. Expression as for `ScoreAverage`.
    ScoreCategory,
    /// The boolean scores named `key`: `booleanObject` (`<>` also matches rows without such a
    /// score). Expression as for `ScoreAverage`.
    ScoreBoolean,
}

/// A column's SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expr {
    /// The same in both dialects.
    Sql(&'static str),
    /// `template` with its `{json}` replaced by the number under `key` of the JSON object
    /// `column` ([`Dialect::json_number`]), the one part of these expressions that differs.
    JsonNumber {
        template: &'static str,
        column: &'static str,
        key: &'static str,
    },
    /// The text of an observation's stored payload `column` (`input` or `output`), which
    /// lives in `observation_payloads` and may be compressed ([`Dialect::payload_text`]).
    PayloadText { column: &'static str },
    /// The text of a trace's `input` or `output` column, which may hold a compressed payload
    /// ([`Dialect::stored_text`]).
    StoredText(&'static str),
}

impl Expr {
    /// The expression in `dialect`.
    pub(crate) fn sql(&self, dialect: Dialect) -> String {
        match *self {
            Expr::Sql(sql) => sql.to_owned(),
            Expr::JsonNumber {
                template,
                column,
                key,
            } => template.replace("{json}", &dialect.json_number(column, key)),
            Expr::PayloadText { column } => {
                dialect.payload_text(&crate::observations::payload::column_sql(column))
            }
            Expr::StoredText(column) => dialect.stored_text(column),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub id: &'static str,
    pub kind: Kind,
    pub expr: Expr,
}

impl Column {
    /// Whether the expression reads the score's trace (`t.` in the score list's join).
    pub(crate) fn reads_trace(&self) -> bool {
        match self.expr {
            Expr::Sql(sql) => sql.starts_with("t."),
            Expr::JsonNumber { column, .. } => column.starts_with("t."),
            Expr::PayloadText { .. } | Expr::StoredText(_) => false,
        }
    }
}

pub(crate) const fn column(id: &'static str, kind: Kind, expr: &'static str) -> Column {
    Column {
        id,
        kind,
        expr: Expr::Sql(expr),
    }
}

/// A trace's input or output text.
const fn stored_text(id: &'static str, column: &'static str) -> Column {
    Column {
        id,
        kind: Kind::Text,
        expr: Expr::StoredText(column),
    }
}

/// An observation's input or output text.
const fn payload_text(column: &'static str) -> Column {
    Column {
        id: column,
        kind: Kind::Text,
        expr: Expr::PayloadText { column },
    }
}

/// A number out of a JSON object column, placed into `template` at `{json}`.
const fn json_number(
    id: &'static str,
    template: &'static str,
    column: &'static str,
    key: &'static str,
) -> Column {
    Column {
        id,
        kind: Kind::Number,
        expr: Expr::JsonNumber {
            template,
            column,
            key,
        },
    }
}

/// The sum of a number over the observations of the listed trace.
const OBSERVATION_SUM: &str = "(SELECT SUM({json}) FROM observations o \
     WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)";

/// A number of the listed observation itself.
const OWN: &str = "{json}";

/// The level of a trace: the most severe of its observations'.
const TRACE_LEVEL: &str = "(SELECT CASE MAX(CASE o.level WHEN 'ERROR' THEN 3 \
     WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END) WHEN 3 THEN 'ERROR' \
     WHEN 2 THEN 'WARNING' WHEN 1 THEN 'DEFAULT' WHEN 0 THEN 'DEBUG' END FROM observations o \
     WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)";

/// The scores of the listed trace (`FROM … WHERE …`).
const TRACE_SCORES: &str =
    "FROM scores sc WHERE sc.project_id = traces.project_id AND sc.trace_id = traces.id";

/// The scores of the listed observation (`FROM … WHERE …`).
const OBSERVATION_SCORES: &str = "FROM scores sc WHERE sc.project_id = observations.project_id \
     AND sc.observation_id = observations.id";

/// `GET /traces` (the query reads `FROM traces` without an alias).
pub(crate) const TRACE_COLUMNS: &[Column] = &[
    column("id", Kind::Text, "traces.id"),
    column("name", Kind::Text, "traces.name"),
    column("timestamp", Kind::Time, "traces.timestamp"),
    column("userId", Kind::Text, "traces.user_id"),
    column("sessionId", Kind::Text, "traces.session_id"),
    column("environment", Kind::Text, "traces.environment"),
    column("version", Kind::Text, "traces.version"),
    column("release", Kind::Text, "traces.release"),
    column("tags", Kind::Tags, "traces.tags"),
    column("bookmarked", Kind::Bool, "traces.bookmarked"),
    column("public", Kind::Bool, "traces.public"),
    column("metadata", Kind::Object, "traces.metadata"),
    stored_text("input", "traces.input"),
    stored_text("output", "traces.output"),
    column(
        "latency",
        Kind::Number,
        "(SELECT (MAX(COALESCE(o.end_time, o.start_time)) - MIN(o.start_time)) / 1000.0 \
         FROM observations o WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)",
    ),
    column(
        "totalCost",
        Kind::Number,
        "(SELECT SUM(o.total_cost) FROM observations o \
         WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)",
    ),
    json_number("inputCost", OBSERVATION_SUM, "o.cost_details", "input"),
    json_number("outputCost", OBSERVATION_SUM, "o.cost_details", "output"),
    json_number("inputTokens", OBSERVATION_SUM, "o.usage_details", "input"),
    json_number("outputTokens", OBSERVATION_SUM, "o.usage_details", "output"),
    json_number("totalTokens", OBSERVATION_SUM, "o.usage_details", "total"),
    json_number("tokens", OBSERVATION_SUM, "o.usage_details", "total"),
    column("level", Kind::Text, TRACE_LEVEL),
    column(
        "errorCount",
        Kind::Number,
        "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
         AND o.trace_id = traces.id AND o.level = 'ERROR')",
    ),
    column(
        "warningCount",
        Kind::Number,
        "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
         AND o.trace_id = traces.id AND o.level = 'WARNING')",
    ),
    column(
        "defaultCount",
        Kind::Number,
        "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
         AND o.trace_id = traces.id AND o.level = 'DEFAULT')",
    ),
    column(
        "debugCount",
        Kind::Number,
        "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
         AND o.trace_id = traces.id AND o.level = 'DEBUG')",
    ),
    column("scores_avg", Kind::ScoreAverage, TRACE_SCORES),
    column("scores", Kind::ScoreAverage, TRACE_SCORES),
    column("score_categories", Kind::ScoreCategory, TRACE_SCORES),
    column("score_booleans", Kind::ScoreBoolean, TRACE_SCORES),
];

/// `GET /observations` and `GET /v2/observations` (the queries read `FROM observations`).
pub(crate) const OBSERVATION_COLUMNS: &[Column] = &[
    column("id", Kind::Text, "observations.id"),
    column("type", Kind::Text, "observations.type"),
    column("name", Kind::Text, "observations.name"),
    column("traceId", Kind::Text, "observations.trace_id"),
    column(
        "parentObservationId",
        Kind::Text,
        "observations.parent_observation_id",
    ),
    column("startTime", Kind::Time, "observations.start_time"),
    column("endTime", Kind::Time, "observations.end_time"),
    column(
        "completionStartTime",
        Kind::Time,
        "observations.completion_start_time",
    ),
    column("level", Kind::Text, "observations.level"),
    column("statusMessage", Kind::Text, "observations.status_message"),
    column("version", Kind::Text, "observations.version"),
    column("environment", Kind::Text, "observations.environment"),
    column("model", Kind::Text, "observations.model"),
    column("providedModelName", Kind::Text, "observations.model"),
    column("modelId", Kind::Text, "observations.internal_model_id"),
    column("promptName", Kind::Text, "observations.prompt_name"),
    column("promptVersion", Kind::Number, "observations.prompt_version"),
    column("metadata", Kind::Object, "observations.metadata"),
    payload_text("input"),
    payload_text("output"),
    column(
        "latency",
        Kind::Number,
        "(observations.end_time - observations.start_time) / 1000.0",
    ),
    column(
        "timeToFirstToken",
        Kind::Number,
        "(observations.completion_start_time - observations.start_time) / 1000.0",
    ),
    column("totalCost", Kind::Number, "observations.total_cost"),
    json_number("inputCost", OWN, "observations.cost_details", "input"),
    json_number("outputCost", OWN, "observations.cost_details", "output"),
    json_number("inputTokens", OWN, "observations.usage_details", "input"),
    json_number("outputTokens", OWN, "observations.usage_details", "output"),
    json_number("totalTokens", OWN, "observations.usage_details", "total"),
    json_number("tokens", OWN, "observations.usage_details", "total"),
    column(
        "traceName",
        Kind::Text,
        "(SELECT t.name FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "userId",
        Kind::Text,
        "(SELECT t.user_id FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "sessionId",
        Kind::Text,
        "(SELECT t.session_id FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "traceTags",
        Kind::Tags,
        "(SELECT t.tags FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "tags",
        Kind::Tags,
        "(SELECT t.tags FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "traceEnvironment",
        Kind::Text,
        "(SELECT t.environment FROM traces t WHERE t.project_id = observations.project_id \
         AND t.id = observations.trace_id)",
    ),
    column(
        "isRootObservation",
        Kind::Bool,
        "(observations.parent_observation_id IS NULL)",
    ),
    json_number(
        "tokensPerSecond",
        "{json} / NULLIF((observations.end_time - observations.start_time) / 1000.0, 0)",
        "observations.usage_details",
        "output",
    ),
    column("scores_avg", Kind::ScoreAverage, OBSERVATION_SCORES),
    column("score_categories", Kind::ScoreCategory, OBSERVATION_SCORES),
];

/// `GET /scores` and `GET /v2/scores` (the queries read `scores s LEFT JOIN traces t`).
pub(crate) const SCORE_COLUMNS: &[Column] = &[
    column("id", Kind::Text, "s.id"),
    column("name", Kind::Text, "s.name"),
    column("timestamp", Kind::Time, "s.timestamp"),
    column("environment", Kind::Text, "s.environment"),
    column("dataType", Kind::Text, "s.data_type"),
    column("source", Kind::Text, "s.source"),
    column("value", Kind::Number, "s.value"),
    column("stringValue", Kind::Text, "s.string_value"),
    column("comment", Kind::Text, "s.comment"),
    column("traceId", Kind::Text, "s.trace_id"),
    column("observationId", Kind::Text, "s.observation_id"),
    column("sessionId", Kind::Text, "s.session_id"),
    column("datasetRunId", Kind::Text, "s.dataset_run_id"),
    column("configId", Kind::Text, "s.config_id"),
    column("queueId", Kind::Text, "s.queue_id"),
    column("metadata", Kind::Object, "s.metadata"),
    column("userId", Kind::Text, "t.user_id"),
    column("traceName", Kind::Text, "t.name"),
    column("tags", Kind::Tags, "t.tags"),
    column("traceTags", Kind::Tags, "t.tags"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_take_the_dialects_expression() {
        let tokens = TRACE_COLUMNS
            .iter()
            .find(|column| column.id == "inputTokens")
            .expect("inputTokens");
        assert_eq!(
            tokens.expr.sql(Dialect::Sqlite),
            "(SELECT SUM(json_extract(o.usage_details, '$.input')) FROM observations o \
             WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)"
        );
        assert_eq!(
            tokens.expr.sql(Dialect::Postgres),
            "(SELECT SUM(((o.usage_details)::jsonb ->> 'input')::double precision) \
             FROM observations o WHERE o.project_id = traces.project_id \
             AND o.trace_id = traces.id)"
        );
    }

    #[test]
    fn only_trace_columns_of_the_score_list_read_the_trace() {
        let reading: Vec<&str> = SCORE_COLUMNS
            .iter()
            .filter(|column| column.reads_trace())
            .map(|column| column.id)
            .collect();
        assert_eq!(reading, ["userId", "traceName", "tags", "traceTags"]);
    }
}
