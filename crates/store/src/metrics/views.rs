//! The views of the metrics APIs on the relational event store: for each view its table, time
//! column, dimensions and measures, each with its SQL. Names, types and the high-cardinality
//! flags follow Langfuse's `packages/shared/src/features/query/dataModel.ts` (v1 views and
//! the v2 `events` views, whose dimensions are a superset here: both versions accept them).
//!
//! Dimensions are filter columns too ([`Column`]), so a query's `filters` compile through the
//! advanced filter like the lists'. SQL is written here and never taken from input.

use crate::filter::{Column, Kind, column};
use crate::sql::Dialect;

/// One view.
pub(crate) struct View {
    pub name: &'static str,
    /// The table (read without an alias).
    pub table: &'static str,
    /// The time column: the range and the time buckets apply to it.
    pub time: &'static str,
    /// Its id as a filter column (`timestamp`, `startTime`).
    pub time_filter: &'static str,
    /// A condition every row of the view meets (the scores views' data types).
    pub segment: Option<&'static str>,
    pub metadata: &'static str,
    /// Its dimensions, in groups (the scores views share most of theirs).
    pub dimensions: &'static [&'static [Dimension]],
    pub measures: &'static [Measure],
}

impl View {
    /// Every dimension of the view.
    pub(crate) fn all_dimensions(&self) -> impl Iterator<Item = &'static Dimension> + '_ {
        self.dimensions.iter().flat_map(|group| group.iter())
    }

    pub(crate) fn dimension(&self, name: &str) -> Option<&'static Dimension> {
        self.all_dimensions().find(|d| d.column.id == name)
    }

    pub(crate) fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }

    /// The columns the query's `filters` may name: the dimensions, the time column and
    /// `metadata`.
    pub(crate) fn filter_columns(&self) -> Vec<Column> {
        let mut columns: Vec<Column> = self.all_dimensions().map(|d| d.column).collect();
        columns.push(column(self.time_filter, Kind::Time, self.time));
        columns.push(column("metadata", Kind::Object, self.metadata));
        columns
    }
}

/// A dimension: a column to group by (and filter on).
#[derive(Clone, Copy)]
pub(crate) struct Dimension {
    pub column: Column,
    /// v2 refuses it beside a time dimension, and without a row limit and a descending order
    /// on a measure.
    pub high_cardinality: bool,
}

/// A measure: a value per row of the view that metrics aggregate.
pub(crate) struct Measure {
    pub name: &'static str,
    /// Numbers allow every aggregation; strings only `count` and `uniq`.
    pub numeric: bool,
    pub sql: fn(Dialect) -> String,
}

const fn dim(id: &'static str, kind: Kind, expr: &'static str) -> Dimension {
    Dimension {
        column: column(id, kind, expr),
        high_cardinality: false,
    }
}

const fn high(id: &'static str, kind: Kind, expr: &'static str) -> Dimension {
    Dimension {
        column: column(id, kind, expr),
        high_cardinality: true,
    }
}

const fn number(name: &'static str, sql: fn(Dialect) -> String) -> Measure {
    Measure {
        name,
        numeric: true,
        sql,
    }
}

const fn text(name: &'static str, sql: fn(Dialect) -> String) -> Measure {
    Measure {
        name,
        numeric: false,
        sql,
    }
}

pub(crate) const VIEWS: &[View] = &[
    TRACES,
    OBSERVATIONS,
    SCORES_NUMERIC,
    SCORES_CATEGORICAL,
    SCORES_BOOLEAN,
];

/// The view named `name`.
pub(crate) fn view(name: &str) -> Option<&'static View> {
    VIEWS.iter().find(|view| view.name == name)
}

const TRACES: View = View {
    name: "traces",
    table: "traces",
    time: "traces.timestamp",
    time_filter: "timestamp",
    segment: None,
    metadata: "traces.metadata",
    dimensions: &[&[
        high("id", Kind::Text, "traces.id"),
        dim("name", Kind::Text, "traces.name"),
        dim("tags", Kind::Tags, "traces.tags"),
        high("userId", Kind::Text, "traces.user_id"),
        high("sessionId", Kind::Text, "traces.session_id"),
        dim("release", Kind::Text, "traces.release"),
        dim("version", Kind::Text, "traces.version"),
        dim("environment", Kind::Text, "traces.environment"),
    ]],
    measures: &[
        number("count", |_| "1".into()),
        number("observationsCount", |_| {
            "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
             AND o.trace_id = traces.id)"
                .into()
        }),
        number("scoresCount", |_| {
            "(SELECT COUNT(*) FROM scores sc WHERE sc.project_id = traces.project_id \
             AND sc.trace_id = traces.id)"
                .into()
        }),
        // Per trace, as Langfuse computes it: 1 when the trace has one, so `sum` counts traces
        // with a user (session).
        number("uniqueUserIds", |_| {
            "(CASE WHEN traces.user_id IS NULL THEN 0 ELSE 1 END)".into()
        }),
        number("uniqueSessionIds", |_| {
            "(CASE WHEN traces.session_id IS NULL THEN 0 ELSE 1 END)".into()
        }),
        number("latency", |_| {
            "(SELECT MAX(COALESCE(o.end_time, o.start_time)) - MIN(o.start_time) \
             FROM observations o WHERE o.project_id = traces.project_id \
             AND o.trace_id = traces.id)"
                .into()
        }),
        number("totalTokens", |dialect| {
            format!(
                "(SELECT SUM({}) FROM observations o WHERE o.project_id = traces.project_id \
                 AND o.trace_id = traces.id)",
                dialect.json_double("o.usage_details", "total")
            )
        }),
        number("totalCost", |_| {
            "(SELECT SUM(o.total_cost) FROM observations o \
             WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)"
                .into()
        }),
    ],
};

fn usage(dialect: Dialect, pattern: &str) -> String {
    dialect.json_sum_matching("observations.usage_details", pattern)
}

fn cost(dialect: Dialect, pattern: &str) -> String {
    dialect.json_sum_matching("observations.cost_details", pattern)
}

const OBSERVATIONS: View = View {
    name: "observations",
    table: "observations",
    time: "observations.start_time",
    time_filter: "startTime",
    segment: None,
    metadata: "observations.metadata",
    dimensions: &[&[
        high("id", Kind::Text, "observations.id"),
        high("traceId", Kind::Text, "observations.trace_id"),
        dim(
            "traceName",
            Kind::Text,
            "(SELECT t.name FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        dim("environment", Kind::Text, "observations.environment"),
        high(
            "parentObservationId",
            Kind::Text,
            "observations.parent_observation_id",
        ),
        dim(
            "isRootObservation",
            Kind::Bool,
            "(observations.parent_observation_id IS NULL)",
        ),
        dim("type", Kind::Text, "observations.type"),
        dim("name", Kind::Text, "observations.name"),
        dim("level", Kind::Text, "observations.level"),
        dim("version", Kind::Text, "observations.version"),
        dim("providedModelName", Kind::Text, "observations.model"),
        dim("promptName", Kind::Text, "observations.prompt_name"),
        dim("promptVersion", Kind::Number, "observations.prompt_version"),
        dim(
            "tags",
            Kind::Tags,
            "(SELECT t.tags FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        high(
            "userId",
            Kind::Text,
            "(SELECT t.user_id FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        high(
            "sessionId",
            Kind::Text,
            "(SELECT t.session_id FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        dim(
            "release",
            Kind::Text,
            "(SELECT t.release FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        dim(
            "traceRelease",
            Kind::Text,
            "(SELECT t.release FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
        dim(
            "traceVersion",
            Kind::Text,
            "(SELECT t.version FROM traces t \
             WHERE t.project_id = observations.project_id AND t.id = observations.trace_id)",
        ),
    ]],
    measures: &[
        number("count", |_| "1".into()),
        number("latency", |_| {
            "(observations.end_time - observations.start_time)".into()
        }),
        number("streamingLatency", |_| {
            "(observations.end_time - observations.completion_start_time)".into()
        }),
        number("inputTokens", |dialect| usage(dialect, "%input%")),
        number("outputTokens", |dialect| usage(dialect, "%output%")),
        number("totalTokens", |dialect| {
            dialect.json_double("observations.usage_details", "total")
        }),
        number("outputTokensPerSecond", |dialect| {
            format!(
                "({} / NULLIF((observations.end_time - observations.completion_start_time) \
                 / 1000.0, 0))",
                usage(dialect, "%output%")
            )
        }),
        number("tokensPerSecond", |dialect| {
            format!(
                "({} / NULLIF((observations.end_time - observations.start_time) / 1000.0, 0))",
                dialect.json_double("observations.usage_details", "total")
            )
        }),
        number("inputCost", |dialect| cost(dialect, "%input%")),
        number("outputCost", |dialect| cost(dialect, "%output%")),
        number("totalCost", |_| "observations.total_cost".into()),
        number("timeToFirstToken", |_| {
            "(observations.completion_start_time - observations.start_time)".into()
        }),
        number("countScores", |_| {
            "(SELECT COUNT(*) FROM scores sc WHERE sc.project_id = observations.project_id \
             AND sc.observation_id = observations.id)"
                .into()
        }),
        text("traceId", |_| "observations.trace_id".into()),
        text("uniqueUserIds", |_| {
            "(SELECT t.user_id FROM traces t WHERE t.project_id = observations.project_id \
             AND t.id = observations.trace_id)"
                .into()
        }),
        text("uniqueSessionIds", |_| {
            "(SELECT t.session_id FROM traces t WHERE t.project_id = observations.project_id \
             AND t.id = observations.trace_id)"
                .into()
        }),
    ],
};

/// The dimensions every scores view has: the score's own, its trace's and its observation's.
const SCORE_DIMENSIONS: &[Dimension] = &[
    high("id", Kind::Text, "scores.id"),
    dim("environment", Kind::Text, "scores.environment"),
    dim("name", Kind::Text, "scores.name"),
    dim("source", Kind::Text, "scores.source"),
    dim("dataType", Kind::Text, "scores.data_type"),
    high("traceId", Kind::Text, "scores.trace_id"),
    dim("configId", Kind::Text, "scores.config_id"),
    high("observationId", Kind::Text, "scores.observation_id"),
    high("sessionId", Kind::Text, "scores.session_id"),
    high("datasetRunId", Kind::Text, "scores.dataset_run_id"),
    dim(
        "traceName",
        Kind::Text,
        "(SELECT t.name FROM traces t \
         WHERE t.project_id = scores.project_id AND t.id = scores.trace_id)",
    ),
    high(
        "userId",
        Kind::Text,
        "(SELECT t.user_id FROM traces t \
         WHERE t.project_id = scores.project_id AND t.id = scores.trace_id)",
    ),
    dim(
        "tags",
        Kind::Tags,
        "(SELECT t.tags FROM traces t \
         WHERE t.project_id = scores.project_id AND t.id = scores.trace_id)",
    ),
    dim(
        "traceRelease",
        Kind::Text,
        "(SELECT t.release FROM traces t \
         WHERE t.project_id = scores.project_id AND t.id = scores.trace_id)",
    ),
    dim(
        "traceVersion",
        Kind::Text,
        "(SELECT t.version FROM traces t \
         WHERE t.project_id = scores.project_id AND t.id = scores.trace_id)",
    ),
    dim(
        "observationName",
        Kind::Text,
        "(SELECT o.name FROM observations o \
         WHERE o.project_id = scores.project_id AND o.id = scores.observation_id)",
    ),
    dim(
        "observationModelName",
        Kind::Text,
        "(SELECT o.model FROM observations o \
         WHERE o.project_id = scores.project_id AND o.id = scores.observation_id)",
    ),
    dim(
        "observationPromptName",
        Kind::Text,
        "(SELECT o.prompt_name FROM observations o \
         WHERE o.project_id = scores.project_id AND o.id = scores.observation_id)",
    ),
    dim(
        "observationPromptVersion",
        Kind::Number,
        "(SELECT o.prompt_version FROM observations o \
         WHERE o.project_id = scores.project_id AND o.id = scores.observation_id)",
    ),
];

const SCORES_NUMERIC: View = View {
    name: "scores-numeric",
    table: "scores",
    time: "scores.timestamp",
    time_filter: "timestamp",
    segment: Some("scores.data_type IN ('NUMERIC', 'BOOLEAN')"),
    metadata: "scores.metadata",
    dimensions: &[
        SCORE_DIMENSIONS,
        &[dim("value", Kind::Number, "scores.value")],
    ],
    measures: SCORE_VALUE_MEASURES,
};

const SCORES_CATEGORICAL: View = View {
    name: "scores-categorical",
    table: "scores",
    time: "scores.timestamp",
    time_filter: "timestamp",
    segment: Some("scores.data_type = 'CATEGORICAL'"),
    metadata: "scores.metadata",
    dimensions: &[
        SCORE_DIMENSIONS,
        &[dim("stringValue", Kind::Text, "scores.string_value")],
    ],
    measures: &[number("count", |_| "1".into())],
};

const SCORES_BOOLEAN: View = View {
    name: "scores-boolean",
    table: "scores",
    time: "scores.timestamp",
    time_filter: "timestamp",
    segment: Some("scores.data_type = 'BOOLEAN'"),
    metadata: "scores.metadata",
    dimensions: &[
        SCORE_DIMENSIONS,
        &[dim("booleanValue", Kind::Bool, "(scores.value = 1)")],
    ],
    measures: SCORE_VALUE_MEASURES,
};

/// `count`, and the score's `value` (a boolean's is 0 or 1, so its `avg` is the true rate).
const SCORE_VALUE_MEASURES: &[Measure] = &[
    number("count", |_| "1".into()),
    number("value", |_| "scores.value".into()),
];
