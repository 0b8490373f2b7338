//! The advanced `filter` of the read API compiled onto the shared [`Where`] builder. Each list
//! has one table of the columns it can be filtered on ([`TRACE_COLUMNS`], [`OBSERVATION_COLUMNS`],
//! [`SCORE_COLUMNS`]): the column's id as Langfuse names it, its kind (which decides the condition
//! types it accepts) and its SQL expression, written here and never taken from input. Values and
//! keys only ever reach SQL as bound parameters.

use sightline_domain::filter::{FilterCondition, FilterError, OptionsOperator, Test, TextOperator};

use crate::sql_where::{Param, Where, like_literal};

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

/// A column's SQL: the same in both dialects, or one per dialect (JSON access differs).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expr {
    Both(&'static str),
    Dialect {
        sqlite: &'static str,
        postgres: &'static str,
    },
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
            Expr::Both(sql) => sql.starts_with("t."),
            Expr::Dialect { sqlite, .. } => sqlite.starts_with("t."),
        }
    }
}

const fn column(id: &'static str, kind: Kind, expr: &'static str) -> Column {
    Column {
        id,
        kind,
        expr: Expr::Both(expr),
    }
}

const fn dialect(
    id: &'static str,
    kind: Kind,
    sqlite: &'static str,
    postgres: &'static str,
) -> Column {
    Column {
        id,
        kind,
        expr: Expr::Dialect { sqlite, postgres },
    }
}

/// A number out of a JSON object column of the observations aliased `o`.
macro_rules! observation_json_sum {
    ($column:literal, $key:literal, $owner:literal) => {
        dialect(
            $owner,
            Kind::Number,
            concat!(
                "(SELECT SUM(json_extract(o.", $column, ", '$.", $key, "')) FROM observations o \
                 WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)"
            ),
            concat!(
                "(SELECT SUM((o.", $column, "::jsonb ->> '", $key, "')::double precision) \
                 FROM observations o WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)"
            ),
        )
    };
}

/// A number out of a JSON object column of the listed observation.
macro_rules! observation_json_number {
    ($column:literal, $key:literal, $owner:literal) => {
        dialect(
            $owner,
            Kind::Number,
            concat!("json_extract(observations.", $column, ", '$.", $key, "')"),
            concat!(
                "(observations.",
                $column,
                "::jsonb ->> '",
                $key,
                "')::double precision"
            ),
        )
    };
}

/// The level of a trace: the most severe of its observations'.
/// A column of the listed observation's trace.
macro_rules! trace_field {
    ($id:literal, $kind:expr, $column:literal) => {
        column(
            $id,
            $kind,
            concat!(
                "(SELECT t.",
                $column,
                " FROM traces t WHERE t.project_id = observations.project_id \
                 AND t.id = observations.trace_id)"
            ),
        )
    };
}

/// The number of the trace's observations at a level.
macro_rules! level_count {
    ($id:literal, $level:literal) => {
        column(
            $id,
            Kind::Number,
            concat!(
                "(SELECT COUNT(*) FROM observations o WHERE o.project_id = traces.project_id \
                 AND o.trace_id = traces.id AND o.level = '",
                $level,
                "')"
            ),
        )
    };
}

const TRACE_LEVEL: &str = "(SELECT CASE MAX(CASE o.level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 \
     WHEN 'DEFAULT' THEN 1 ELSE 0 END) WHEN 3 THEN 'ERROR' WHEN 2 THEN 'WARNING' WHEN 1 THEN 'DEFAULT' \
     WHEN 0 THEN 'DEBUG' END FROM observations o \
     WHERE o.project_id = traces.project_id AND o.trace_id = traces.id)";

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
    column("input", Kind::Text, "traces.input"),
    column("output", Kind::Text, "traces.output"),
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
    observation_json_sum!("cost_details", "input", "inputCost"),
    observation_json_sum!("cost_details", "output", "outputCost"),
    observation_json_sum!("usage_details", "input", "inputTokens"),
    observation_json_sum!("usage_details", "output", "outputTokens"),
    observation_json_sum!("usage_details", "total", "totalTokens"),
    observation_json_sum!("usage_details", "total", "tokens"),
    column("level", Kind::Text, TRACE_LEVEL),
    level_count!("errorCount", "ERROR"),
    level_count!("warningCount", "WARNING"),
    level_count!("defaultCount", "DEFAULT"),
    level_count!("debugCount", "DEBUG"),
    column(
        "scores_avg",
        Kind::ScoreAverage,
        "FROM scores sc WHERE sc.project_id = traces.project_id AND sc.trace_id = traces.id",
    ),
    column(
        "scores",
        Kind::ScoreAverage,
        "FROM scores sc WHERE sc.project_id = traces.project_id AND sc.trace_id = traces.id",
    ),
    column(
        "score_categories",
        Kind::ScoreCategory,
        "FROM scores sc WHERE sc.project_id = traces.project_id AND sc.trace_id = traces.id",
    ),
    column(
        "score_booleans",
        Kind::ScoreBoolean,
        "FROM scores sc WHERE sc.project_id = traces.project_id AND sc.trace_id = traces.id",
    ),
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
    column("input", Kind::Text, "observations.input"),
    column("output", Kind::Text, "observations.output"),
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
    observation_json_number!("cost_details", "input", "inputCost"),
    observation_json_number!("cost_details", "output", "outputCost"),
    observation_json_number!("usage_details", "input", "inputTokens"),
    observation_json_number!("usage_details", "output", "outputTokens"),
    observation_json_number!("usage_details", "total", "totalTokens"),
    observation_json_number!("usage_details", "total", "tokens"),
    trace_field!("traceName", Kind::Text, "name"),
    trace_field!("userId", Kind::Text, "user_id"),
    trace_field!("sessionId", Kind::Text, "session_id"),
    trace_field!("traceTags", Kind::Tags, "tags"),
    trace_field!("tags", Kind::Tags, "tags"),
    trace_field!("traceEnvironment", Kind::Text, "environment"),
    column(
        "isRootObservation",
        Kind::Bool,
        "(observations.parent_observation_id IS NULL)",
    ),
    dialect(
        "tokensPerSecond",
        Kind::Number,
        "json_extract(observations.usage_details, '$.output') \
         / NULLIF((observations.end_time - observations.start_time) / 1000.0, 0)",
        "(observations.usage_details::jsonb ->> 'output')::double precision \
         / NULLIF((observations.end_time - observations.start_time) / 1000.0, 0)",
    ),
    column(
        "scores_avg",
        Kind::ScoreAverage,
        "FROM scores sc WHERE sc.project_id = observations.project_id \
         AND sc.observation_id = observations.id",
    ),
    column(
        "score_categories",
        Kind::ScoreCategory,
        "FROM scores sc WHERE sc.project_id = observations.project_id \
         AND sc.observation_id = observations.id",
    ),
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

/// Adds every condition to `filter`, or says which one cannot be applied to `columns`.
pub(crate) fn apply(
    filter: &mut Where,
    columns: &[Column],
    conditions: &[FilterCondition],
) -> Result<(), FilterError> {
    for (index, condition) in conditions.iter().enumerate() {
        let refuse = |field: &str, message: String| FilterError {
            path: vec!["filter".into(), index.into(), field.into()],
            message,
        };
        let column = columns
            .iter()
            .find(|column| column.id == condition.column)
            .ok_or_else(|| {
                let known: Vec<&str> = columns.iter().map(|column| column.id).collect();
                refuse(
                    "column",
                    format!(
                        "Unknown filter column '{}'; expected one of: {}",
                        condition.column,
                        known.join(", ")
                    ),
                )
            })?;
        let expr = match column.expr {
            Expr::Both(sql) => sql,
            Expr::Dialect { sqlite, postgres } => {
                if filter.is_sqlite() {
                    sqlite
                } else {
                    postgres
                }
            }
        };
        let key = condition.key.as_deref().filter(|key| !key.is_empty());
        let compiled = match (column.kind, &condition.test, key) {
            (Kind::Text, Test::Text(operator, value), _) => {
                text_condition(filter, expr, &[], *operator, value);
                true
            }
            (Kind::Text, Test::Options(operator, values), _)
                if *operator != OptionsOperator::AllOf =>
            {
                options_condition(filter, expr, *operator, values);
                true
            }
            (Kind::Time, Test::Datetime(comparison, millis), _) => {
                filter.push(
                    &format!("{expr} {} {{}}", comparison.sql()),
                    Param::Int(*millis),
                );
                true
            }
            (Kind::Number, Test::Number(comparison, number), _) => {
                filter.push(
                    &format!("{expr} {} {{}}", comparison.sql()),
                    Param::Float(*number),
                );
                true
            }
            (Kind::Text | Kind::Time | Kind::Number, Test::Null(is_null), _) => {
                let test = if *is_null { "IS NULL" } else { "IS NOT NULL" };
                filter.push_all(&format!("{expr} {test}"), Vec::new());
                true
            }
            (Kind::Bool, Test::Boolean { equal, value }, _) => {
                filter.push(&format!("{expr} = {{}}"), Param::Bool(*value == *equal));
                true
            }
            (Kind::Tags, Test::Options(operator, values), _) => {
                tags_condition(filter, expr, *operator, values);
                true
            }
            (Kind::Object, test, Some(key)) => {
                if key.contains('"') {
                    return Err(refuse(
                        "key",
                        "A metadata key with a double quote cannot be filtered on".into(),
                    ));
                }
                object_condition(filter, expr, key, test)
            }
            (Kind::ScoreAverage, Test::Number(comparison, number), Some(name)) => {
                filter.push_all(
                    &format!(
                        "(SELECT AVG(sc.value) {expr} AND sc.name = {{}} \
                         AND sc.data_type IN ('NUMERIC', 'BOOLEAN')) {} {{}}",
                        comparison.sql()
                    ),
                    vec![Param::Text(name.to_owned()), Param::Float(*number)],
                );
                true
            }
            (Kind::ScoreCategory, Test::Options(operator, values), Some(name))
                if *operator != OptionsOperator::AllOf =>
            {
                let negate = if *operator == OptionsOperator::NoneOf {
                    "NOT "
                } else {
                    ""
                };
                let mut params = vec![Param::Text(name.to_owned())];
                params.extend(values.iter().cloned().map(Param::Text));
                let list = if values.is_empty() {
                    "NULL".to_owned()
                } else {
                    vec!["{}"; values.len()].join(", ")
                };
                filter.push_all(
                    &format!(
                        "{negate}EXISTS (SELECT 1 {expr} AND sc.name = {{}} \
                         AND sc.data_type = 'CATEGORICAL' AND sc.string_value IN ({list}))"
                    ),
                    params,
                );
                true
            }
            (Kind::ScoreBoolean, Test::Boolean { equal, value }, Some(name)) => {
                // `=` true: some boolean score of that name is true; `<>` true: none is.
                let negate = if *equal { "" } else { "NOT " };
                filter.push_all(
                    &format!(
                        "{negate}EXISTS (SELECT 1 {expr} AND sc.name = {{}} \
                         AND sc.data_type = 'BOOLEAN' AND sc.value = {{}})"
                    ),
                    vec![
                        Param::Text(name.to_owned()),
                        Param::Float(if *value { 1.0 } else { 0.0 }),
                    ],
                );
                true
            }
            (
                Kind::Object | Kind::ScoreAverage | Kind::ScoreCategory | Kind::ScoreBoolean,
                _,
                None,
            ) => {
                return Err(refuse(
                    "key",
                    format!("Column '{}' needs a `key`", column.id),
                ));
            }
            _ => false,
        };
        if !compiled {
            return Err(refuse(
                "type",
                format!(
                    "Column '{}' cannot be filtered with this condition type and operator ({})",
                    column.id,
                    accepted(column.kind)
                ),
            ));
        }
    }
    Ok(())
}

/// The condition types a kind of column accepts, for error messages.
fn accepted(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "accepts string, stringOptions (any of, none of) and null",
        Kind::Time => "accepts datetime and null",
        Kind::Number => "accepts number and null",
        Kind::Bool => "accepts boolean",
        Kind::Tags => "accepts arrayOptions",
        Kind::Object => {
            "accepts stringObject, numberObject, booleanObject and categoryOptions with a key"
        }
        Kind::ScoreAverage => "accepts numberObject with the score name as key",
        Kind::ScoreCategory => {
            "accepts categoryOptions (any of, none of) with the score name as key"
        }
        Kind::ScoreBoolean => "accepts booleanObject with the score name as key",
    }
}

/// A text test of `expr`, whose own `{}` slots (if any) take `expr_params` wherever it appears.
fn text_condition(
    filter: &mut Where,
    expr: &str,
    expr_params: &[Param],
    operator: TextOperator,
    value: &str,
) {
    let literal = like_literal(value);
    // LIKE ignores ASCII case on SQLite; ILIKE makes PostgreSQL agree.
    let like = if filter.is_sqlite() { "LIKE" } else { "ILIKE" };
    let (template, occurrences, param) = match operator {
        TextOperator::Equal => (format!("{expr} = {{}}"), 1, value.to_owned()),
        TextOperator::Contains => (
            format!("{expr} {like} {{}} ESCAPE '\\'"),
            1,
            format!("%{literal}%"),
        ),
        TextOperator::DoesNotContain => (
            format!("({expr} IS NULL OR {expr} NOT {like} {{}} ESCAPE '\\')"),
            2,
            format!("%{literal}%"),
        ),
        TextOperator::StartsWith => (
            format!("{expr} {like} {{}} ESCAPE '\\'"),
            1,
            format!("{literal}%"),
        ),
        TextOperator::EndsWith => (
            format!("{expr} {like} {{}} ESCAPE '\\'"),
            1,
            format!("%{literal}"),
        ),
    };
    let mut params = Vec::new();
    for _ in 0..occurrences {
        params.extend(expr_params.iter().cloned());
    }
    params.push(Param::Text(param));
    filter.push_all(&template, params);
}

fn options_condition(filter: &mut Where, expr: &str, operator: OptionsOperator, values: &[String]) {
    match (operator, values.is_empty()) {
        (OptionsOperator::NoneOf, true) => {}
        (_, true) => filter.push_all("FALSE", Vec::new()),
        (OptionsOperator::NoneOf, false) => {
            let list = vec!["{}"; values.len()].join(", ");
            filter.push_all(
                &format!("({expr} IS NULL OR {expr} NOT IN ({list}))"),
                values.iter().cloned().map(Param::Text).collect(),
            );
        }
        (_, false) => {
            let list = vec!["{}"; values.len()].join(", ");
            filter.push_all(
                &format!("{expr} IN ({list})"),
                values.iter().cloned().map(Param::Text).collect(),
            );
        }
    }
}

/// Tags are a JSON array of strings stored as text: a tag is present when its quoted form is.
fn tags_condition(filter: &mut Where, expr: &str, operator: OptionsOperator, values: &[String]) {
    if values.is_empty() {
        if operator == OptionsOperator::AnyOf {
            filter.push_all("FALSE", Vec::new());
        }
        return;
    }
    let params: Vec<Param> = values
        .iter()
        .map(|tag| {
            let quoted = serde_json::Value::String(tag.clone()).to_string();
            Param::Text(format!("%{}%", like_literal(&quoted)))
        })
        .collect();
    let each = format!("{expr} LIKE {{}} ESCAPE '\\'");
    let joined = |joiner: &str| vec![each.as_str(); values.len()].join(joiner);
    let template = match operator {
        OptionsOperator::AllOf => format!("({})", joined(" AND ")),
        OptionsOperator::AnyOf => format!("({})", joined(" OR ")),
        OptionsOperator::NoneOf => format!("NOT ({})", joined(" OR ")),
    };
    filter.push_all(&template, params);
}

/// A condition on the value under `key` of a JSON object column. Langfuse keeps metadata values
/// as strings that may hold JSON (wire-spec §3.8), so `=` matches a value stored either way.
fn object_condition(filter: &mut Where, expr: &str, key: &str, test: &Test) -> bool {
    let sqlite = filter.is_sqlite();
    let path = || {
        if sqlite {
            Param::Text(format!("$.\"{key}\""))
        } else {
            Param::Text(key.to_owned())
        }
    };
    let text = if sqlite {
        format!("({expr} ->> {{}})")
    } else {
        format!("({expr}::jsonb ->> {{}})")
    };
    match test {
        Test::Text(TextOperator::Equal, value) => {
            let quoted = serde_json::Value::String(value.clone()).to_string();
            filter.push_all(
                &format!("({text} = {{}} OR {text} = {{}})"),
                vec![
                    path(),
                    Param::Text(value.clone()),
                    path(),
                    Param::Text(quoted),
                ],
            );
        }
        Test::Text(operator, value) => {
            text_condition(filter, &text, &[path()], *operator, value);
        }
        Test::Number(comparison, number) => {
            let template = if sqlite {
                format!(
                    "(CASE WHEN typeof({expr} ->> {{}}) IN ('integer', 'real') \
                     THEN {expr} ->> {{}} END) {} {{}}",
                    comparison.sql()
                )
            } else {
                format!(
                    "(CASE WHEN jsonb_typeof({expr}::jsonb -> {{}}) = 'number' \
                     THEN ({expr}::jsonb ->> {{}})::double precision END) {} {{}}",
                    comparison.sql()
                )
            };
            filter.push_all(&template, vec![path(), path(), Param::Float(*number)]);
        }
        Test::Boolean { equal, value } => {
            let wanted = if *value == *equal { "true" } else { "false" };
            let template = if sqlite {
                format!("json_type({expr}, {{}}) = {{}}")
            } else {
                format!(
                    "(jsonb_typeof({expr}::jsonb -> {{}}) = 'boolean' \
                     AND ({expr}::jsonb ->> {{}}) = {{}})"
                )
            };
            let mut params = vec![path()];
            if !sqlite {
                params.push(path());
            }
            params.push(Param::Text(wanted.to_owned()));
            filter.push_all(&template, params);
        }
        Test::Options(operator, values) if *operator != OptionsOperator::AllOf => {
            // Each option as stored plainly or JSON-encoded (as for `=`).
            let values: Vec<String> = values
                .iter()
                .cloned()
                .chain(
                    values
                        .iter()
                        .map(|value| serde_json::Value::String(value.clone()).to_string()),
                )
                .collect();
            let list = if values.is_empty() {
                "NULL".to_owned()
            } else {
                vec!["{}"; values.len()].join(", ")
            };
            let (template, mut params) = if *operator == OptionsOperator::AnyOf {
                (format!("{text} IN ({list})"), vec![path()])
            } else {
                (
                    format!("({text} IS NULL OR {text} NOT IN ({list}))"),
                    vec![path(), path()],
                )
            };
            params.extend(values.iter().cloned().map(Param::Text));
            filter.push_all(&template, params);
        }
        Test::Datetime(..) | Test::Options(..) | Test::Null(_) => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_domain::filter::parse_filter;

    fn compile(columns: &[Column], raw: &str, sqlite: bool) -> Result<String, FilterError> {
        let mut filter = Where::new(sqlite);
        apply(
            &mut filter,
            columns,
            &parse_filter(raw).expect("valid filter"),
        )?;
        Ok(filter.sql())
    }

    #[test]
    fn every_column_compiles_with_a_condition_of_its_kind() {
        for (columns, label) in [
            (TRACE_COLUMNS, "traces"),
            (OBSERVATION_COLUMNS, "observations"),
            (SCORE_COLUMNS, "scores"),
        ] {
            for column in columns {
                let condition = match column.kind {
                    Kind::Text => r#""type":"string","operator":"contains","value":"x""#,
                    Kind::Time => {
                        r#""type":"datetime","operator":">","value":"2024-01-01T00:00:00Z""#
                    }
                    Kind::Number => r#""type":"number","operator":">=","value":1"#,
                    Kind::Bool => r#""type":"boolean","operator":"=","value":true"#,
                    Kind::Tags => r#""type":"arrayOptions","operator":"all of","value":["a"]"#,
                    Kind::Object => r#""type":"stringObject","key":"k","operator":"=","value":"v""#,
                    Kind::ScoreAverage => {
                        r#""type":"numberObject","key":"q","operator":"<","value":1"#
                    }
                    Kind::ScoreCategory => {
                        r#""type":"categoryOptions","key":"q","operator":"any of","value":["a"]"#
                    }
                    Kind::ScoreBoolean => {
                        r#""type":"booleanObject","key":"q","operator":"<>","value":true"#
                    }
                };
                let raw = format!(r#"[{{"column":"{}",{condition}}}]"#, column.id);
                for sqlite in [true, false] {
                    let sql = compile(columns, &raw, sqlite)
                        .unwrap_or_else(|e| panic!("{label}.{}: {e}", column.id));
                    assert!(!sql.contains("{}"), "{label}.{}: {sql}", column.id);
                }
            }
        }
    }

    #[test]
    fn placeholders_follow_the_parameters_in_order() {
        let sql = compile(
            TRACE_COLUMNS,
            r#"[{"type":"string","column":"name","operator":"=","value":"a"},
                {"type":"stringObject","column":"metadata","key":"k","operator":"does not contain","value":"b"},
                {"type":"number","column":"latency","operator":">","value":2}]"#,
            false,
        )
        .expect("compiles");
        // name, the metadata path twice (the expression appears twice), the pattern, latency.
        for n in 1..=5 {
            assert!(sql.contains(&format!("${n}")), "{sql}");
        }
        assert!(!sql.contains("$6"), "{sql}");
    }

    #[test]
    fn wrong_columns_and_kinds_are_refused_with_the_field() {
        let unknown = compile(
            TRACE_COLUMNS,
            r#"[{"type":"string","column":"nope","operator":"=","value":"a"}]"#,
            true,
        )
        .expect_err("unknown column");
        assert_eq!(unknown.path[2], "column");
        let mismatch = compile(
            TRACE_COLUMNS,
            r#"[{"type":"number","column":"name","operator":">","value":1}]"#,
            true,
        )
        .expect_err("number on text");
        assert_eq!(mismatch.path[2], "type");
        let keyless = compile(
            TRACE_COLUMNS,
            r#"[{"type":"number","column":"scores_avg","operator":">","value":1}]"#,
            true,
        )
        .expect_err("score without a name");
        assert_eq!(keyless.path[2], "key");
    }
}
