//! The advanced `filter` of the read API compiled onto the shared [`Where`] builder, and the
//! size limits of every list's filters. Each list has a table of the columns it can be filtered
//! on ([`columns`]); values and keys only ever reach SQL as bound values.
//!
//! For the list modules:
//! - `filter::apply(&mut conditions, filter::TRACE_COLUMNS, &query.filter)?` adds the advanced
//!   filter's conditions (also `OBSERVATION_COLUMNS`, `SCORE_COLUMNS`). Its `FilterError`
//!   becomes `StoreError::InvalidFilter`, which the server answers with a 400.
//! - `filter::check_list("tags", query.tags.len())?` for every named list parameter (tags,
//!   environments, ids, …): more than [`MAX_LIST_VALUES`] is refused the same way.
//! - Never compile a list as one `AND`/`OR` term per value: SQLite refuses expressions deeper
//!   than 1000 ("Expression tree is too large"). Use one `IN (…)` (`Where::push_in`), or
//!   [`tags_condition`] for a JSON array of tags.

mod columns;

use serde_json::Value;
use sightline_domain::filter::{FilterCondition, FilterError, OptionsOperator, Test, TextOperator};

pub(crate) use columns::{Column, Kind, OBSERVATION_COLUMNS, SCORE_COLUMNS, TRACE_COLUMNS, column};

use crate::sql::{Arg, Dialect, Sql, Where, like_literal};

/// The most conditions one `filter` may hold.
pub(crate) const MAX_CONDITIONS: usize = 100;
/// The most values of one list: an options condition of the `filter`, or a named list
/// parameter (the server checks the `tags` of `GET /traces` against it too).
pub const MAX_LIST_VALUES: usize = 1_000;
/// The most values of all the options conditions of one `filter` together, which keeps a
/// statement far from SQLite's limit of 32766 bound values.
pub(crate) const MAX_FILTER_VALUES: usize = 5_000;

/// The lists a stored filter (an evaluation rule's) is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterList {
    Traces,
    Observations,
}

/// Checks that `conditions` can be applied to `list`, as the list query would apply them.
pub fn check_filter(list: FilterList, conditions: &[FilterCondition]) -> Result<(), FilterError> {
    let columns = match list {
        FilterList::Traces => TRACE_COLUMNS,
        FilterList::Observations => OBSERVATION_COLUMNS,
    };
    apply(&mut Where::new(Dialect::Sqlite), columns, conditions)
}

/// Refuses a named list parameter of more than [`MAX_LIST_VALUES`] values, naming the parameter.
pub(crate) fn check_list(parameter: &str, len: usize) -> Result<(), FilterError> {
    if len > MAX_LIST_VALUES {
        return Err(FilterError {
            path: vec![Value::from(parameter)],
            message: format!("{parameter}: at most {MAX_LIST_VALUES} values, got {len}"),
        });
    }
    Ok(())
}

/// Refuses a filter of too many conditions or values.
fn check_size(conditions: &[FilterCondition]) -> Result<(), FilterError> {
    let whole = |message: String| FilterError {
        path: vec![Value::from("filter")],
        message,
    };
    if conditions.len() > MAX_CONDITIONS {
        return Err(whole(format!(
            "Invalid filter: at most {MAX_CONDITIONS} conditions, got {}",
            conditions.len()
        )));
    }
    let mut total = 0;
    for (index, condition) in conditions.iter().enumerate() {
        if let Test::Options(_, values) = &condition.test {
            if values.len() > MAX_LIST_VALUES {
                return Err(FilterError {
                    path: vec!["filter".into(), index.into(), "value".into()],
                    message: format!(
                        "At most {MAX_LIST_VALUES} values in one condition, got {}",
                        values.len()
                    ),
                });
            }
            total += values.len();
        }
    }
    if total > MAX_FILTER_VALUES {
        return Err(whole(format!(
            "Invalid filter: at most {MAX_FILTER_VALUES} values in all conditions, got {total}"
        )));
    }
    Ok(())
}

/// Adds every condition to `filter`, or says which one cannot be applied to `columns`.
pub(crate) fn apply(
    filter: &mut Where,
    columns: &[Column],
    conditions: &[FilterCondition],
) -> Result<(), FilterError> {
    check_size(conditions)?;
    let dialect = filter.dialect();
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
        let expr = column.expr.sql(dialect);
        let key = condition.key.as_deref().filter(|key| !key.is_empty());
        let compiled = match (column.kind, &condition.test, key) {
            (Kind::Text, Test::Text(operator, value), _) => {
                filter.push_sql(text_condition(dialect, &Sql::text(&expr), *operator, value));
                true
            }
            (Kind::Text, Test::Options(operator, values), _)
                if *operator != OptionsOperator::AllOf =>
            {
                options_condition(filter, &expr, *operator, values);
                true
            }
            (Kind::Time, Test::Datetime(comparison, millis), _) => {
                filter.push(&format!("{expr} {} {{}}", comparison.sql()), *millis);
                true
            }
            (Kind::Number, Test::Number(comparison, number), _) => {
                filter.push(&format!("{expr} {} {{}}", comparison.sql()), *number);
                true
            }
            (Kind::Text | Kind::Time | Kind::Number, Test::Null(is_null), _) => {
                let test = if *is_null { "IS NULL" } else { "IS NOT NULL" };
                filter.push_const(&format!("{expr} {test}"));
                true
            }
            (Kind::Bool, Test::Boolean { equal, value }, _) => {
                filter.push(&format!("{expr} = {{}}"), *value == *equal);
                true
            }
            (Kind::Tags, Test::Options(operator, values), _) => {
                tags_condition(filter, &expr, *operator, values);
                true
            }
            (Kind::Object, test, Some(key)) => {
                if key.contains('"') {
                    return Err(refuse(
                        "key",
                        "A metadata key with a double quote cannot be filtered on".into(),
                    ));
                }
                object_condition(filter, &expr, key, test)
            }
            (Kind::ScoreAverage, Test::Number(comparison, number), Some(name)) => {
                filter.push_all(
                    &format!(
                        "(SELECT AVG(sc.value) {expr} AND sc.name = {{}} \
                         AND sc.data_type IN ('NUMERIC', 'BOOLEAN')) {} {{}}",
                        comparison.sql()
                    ),
                    vec![Arg::from(name), Arg::from(*number)],
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
                let mut sql = Sql::new();
                sql.push(
                    &format!(
                        "{negate}EXISTS (SELECT 1 {expr} AND sc.name = {{}} \
                         AND sc.data_type = 'CATEGORICAL' AND "
                    ),
                    [Arg::from(name)],
                );
                sql.push_in("sc.string_value", values).sql(")");
                filter.push_sql(sql);
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
                    vec![Arg::from(name), Arg::from(if *value { 1.0 } else { 0.0 })],
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

/// A text test of `expr` (which may carry bound values of its own, repeated wherever it
/// appears).
fn text_condition(dialect: Dialect, expr: &Sql, operator: TextOperator, value: &str) -> Sql {
    let literal = like_literal(value);
    // LIKE ignores ASCII case on SQLite; ILIKE makes PostgreSQL agree.
    let like = dialect.like_ignoring_case();
    let mut sql = Sql::new();
    let like_pattern = |sql: &mut Sql, pattern: String| {
        sql.append(expr.clone())
            .push(&format!(" {like} {{}} ESCAPE '\\'"), [Arg::from(pattern)]);
    };
    match operator {
        TextOperator::Equal => {
            sql.append(expr.clone()).push(" = {}", [Arg::from(value)]);
        }
        TextOperator::Contains => like_pattern(&mut sql, format!("%{literal}%")),
        TextOperator::DoesNotContain => {
            sql.sql("(").append(expr.clone()).sql(" IS NULL OR ");
            sql.append(expr.clone()).push(
                &format!(" NOT {like} {{}} ESCAPE '\\')"),
                [Arg::from(format!("%{literal}%"))],
            );
        }
        TextOperator::StartsWith => like_pattern(&mut sql, format!("{literal}%")),
        TextOperator::EndsWith => like_pattern(&mut sql, format!("%{literal}")),
    }
    sql
}

/// `(v, v, …)`, or `(NULL)` (which nothing is `IN`) when there are no values.
fn value_list(sql: &mut Sql, values: impl IntoIterator<Item = String>) {
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        sql.sql("(NULL)");
    } else {
        sql.tuple(values.map(Arg::from));
    }
}

fn options_condition(filter: &mut Where, expr: &str, operator: OptionsOperator, values: &[String]) {
    match (operator, values.is_empty()) {
        (OptionsOperator::NoneOf, true) => {}
        (_, true) => filter.push_const("FALSE"),
        (OptionsOperator::NoneOf, false) => {
            let mut sql = Sql::new();
            sql.sql(&format!("({expr} IS NULL OR {expr} NOT IN "));
            value_list(&mut sql, values.iter().cloned());
            sql.sql(")");
            filter.push_sql(sql);
        }
        (_, false) => {
            let mut sql = Sql::new();
            sql.push_in(expr, values);
            filter.push_sql(sql);
        }
    }
}

/// A condition on `expr`, a JSON array of tags stored as text (`NULL` when there is none):
/// it holds any, all or none of `values` (exactly, case included). One `IN (…)` over the
/// array's elements whatever the number of values, so that SQLite's expression depth limit
/// is never reached. A `NULL` array matches no operator, as it never did.
pub(crate) fn tags_condition(
    filter: &mut Where,
    expr: &str,
    operator: OptionsOperator,
    values: &[String],
) {
    if values.is_empty() {
        if operator == OptionsOperator::AnyOf {
            filter.push_const("FALSE");
        }
        return;
    }
    let mut distinct: Vec<&String> = values.iter().collect();
    distinct.sort();
    distinct.dedup();
    let elements = filter.dialect().json_strings(expr);
    let mut sql = Sql::new();
    match operator {
        OptionsOperator::AnyOf => sql.sql(&format!("EXISTS (SELECT 1 FROM {elements} WHERE ")),
        OptionsOperator::NoneOf => sql.sql(&format!(
            "{expr} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {elements} WHERE "
        )),
        OptionsOperator::AllOf => sql.sql(&format!(
            "(SELECT COUNT(DISTINCT value) FROM {elements} WHERE "
        )),
    };
    sql.push_in("value", distinct.iter().map(|tag| Arg::from(*tag)));
    sql.sql(")");
    if operator == OptionsOperator::AllOf {
        let count = i64::try_from(distinct.len()).unwrap_or(i64::MAX);
        sql.push(" = {}", [Arg::from(count)]);
    }
    let mut condition = Sql::new();
    condition.sql("(").append(sql).sql(")");
    filter.push_sql(condition);
}

/// A condition on the value under `key` of a JSON object column. Langfuse keeps metadata values
/// as strings that may hold JSON (wire-spec §3.8), so `=` matches a value stored either way.
fn object_condition(filter: &mut Where, expr: &str, key: &str, test: &Test) -> bool {
    let dialect = filter.dialect();
    let mut text = Sql::new();
    text.push(&dialect.json_text_at_bound_key(expr), [Arg::from(key)]);
    match test {
        Test::Text(TextOperator::Equal, value) => {
            let quoted = Value::String(value.clone()).to_string();
            let mut sql = Sql::new();
            sql.sql("(")
                .append(text.clone())
                .push(" = {} OR ", [Arg::from(value)]);
            sql.append(text).push(" = {})", [Arg::from(quoted)]);
            filter.push_sql(sql);
        }
        Test::Text(operator, value) => {
            filter.push_sql(text_condition(dialect, &text, *operator, value));
        }
        Test::Number(comparison, number) => {
            filter.push_all(
                &format!(
                    "{} {} {{}}",
                    dialect.json_number_at_bound_key(expr),
                    comparison.sql()
                ),
                vec![Arg::from(key), Arg::from(key), Arg::from(*number)],
            );
        }
        Test::Boolean { equal, value } => {
            let wanted = if *value == *equal { "true" } else { "false" };
            filter.push_all(
                &dialect.json_boolean_at_bound_key_is(expr),
                vec![Arg::from(key), Arg::from(wanted)],
            );
        }
        Test::Options(operator, values) if *operator != OptionsOperator::AllOf => {
            // Each option as stored plainly or JSON-encoded (as for `=`).
            let values = values.iter().cloned().chain(
                values
                    .iter()
                    .map(|value| Value::String(value.clone()).to_string()),
            );
            let mut sql = Sql::new();
            if *operator == OptionsOperator::AnyOf {
                sql.append(text).sql(" IN ");
                value_list(&mut sql, values);
            } else {
                sql.sql("(").append(text.clone()).sql(" IS NULL OR ");
                sql.append(text).sql(" NOT IN ");
                value_list(&mut sql, values);
                sql.sql(")");
            }
            filter.push_sql(sql);
        }
        Test::Datetime(..) | Test::Options(..) | Test::Null(_) => return false,
    }
    true
}

#[cfg(test)]
mod tests;
