//! The one SQL builder of the relational stores. A [`Sql`] is statement text plus the values bound
//! to it, in order. Values never reach the text: each one leaves a slot that becomes a placeholder
//! only when the statement runs ([`Sql::render`]), so fragments can be built apart (a filter, a
//! page clause) and joined in any order, and the dialect is chosen once, at the end.
//!
//! Statements written out in full may use `$1`, `$2`, … instead of slots (both SQLite and
//! PostgreSQL read them) and bind their values with [`Sql::bind`]; a statement uses one form or
//! the other, never both.

use super::dialect::Dialect;
use crate::error::{StoreError, StoreResult};

/// Stands for one bound value in the text until it is rendered. Never part of real SQL.
const SLOT: char = '\u{1}';

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// The values of many rows, bound as one array (PostgreSQL only; see [`Column`]).
    Array(Column),
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
    /// A BLOB (SQLite) or BYTEA (PostgreSQL).
    Bytes(Option<Vec<u8>>),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(Some(value.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(Some(value))
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Arg::Text(Some(value.clone()))
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Arg::Text(value)
    }
}

impl From<&Option<String>> for Arg {
    fn from(value: &Option<String>) -> Self {
        Arg::Text(value.clone())
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Arg::Text(value.map(str::to_owned))
    }
}

impl From<Option<Vec<u8>>> for Arg {
    fn from(value: Option<Vec<u8>>) -> Self {
        Arg::Bytes(value)
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Arg::Int(value)
    }
}

impl From<f64> for Arg {
    fn from(value: f64) -> Self {
        Arg::Float(Some(value))
    }
}

impl From<Option<f64>> for Arg {
    fn from(value: Option<f64>) -> Self {
        Arg::Float(value)
    }
}

impl From<bool> for Arg {
    fn from(value: bool) -> Self {
        Arg::Bool(Some(value))
    }
}

impl From<Option<bool>> for Arg {
    fn from(value: Option<bool>) -> Self {
        Arg::Bool(value)
    }
}

/// The values of one column of many rows, all of one type, bound as one PostgreSQL array
/// parameter: a multi-row statement then binds one parameter per column instead of one per value
/// (see [`columns`] and [`Sql::unnest`]). A value's [`Arg`] variant, not the value, decides the
/// type, so a column of NULLs has one too. Each scalar `Arg` variant has its column, in
/// [`Column::of_type`] and [`Column::push`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    /// An empty column of `arg`'s type, with room for `rows` values; `None` for an array.
    fn of_type(arg: &Arg, rows: usize) -> Option<Column> {
        Some(match arg {
            Arg::Array(_) => return None,
            Arg::Text(_) => Column::Text(Vec::with_capacity(rows)),
            Arg::Int(_) => Column::Int(Vec::with_capacity(rows)),
            Arg::Float(_) => Column::Float(Vec::with_capacity(rows)),
            Arg::Bool(_) => Column::Bool(Vec::with_capacity(rows)),
            Arg::Bytes(_) => Column::Bytes(Vec::with_capacity(rows)),
        })
    }

    /// Appends `arg`; hands it back when it is not of the column's type.
    fn push(&mut self, arg: Arg) -> Result<(), Arg> {
        match (self, arg) {
            (Column::Text(values), Arg::Text(value)) => values.push(value),
            (Column::Int(values), Arg::Int(value)) => values.push(value),
            (Column::Float(values), Arg::Float(value)) => values.push(value),
            (Column::Bool(values), Arg::Bool(value)) => values.push(value),
            (Column::Bytes(values), Arg::Bytes(value)) => values.push(value),
            (_, arg) => return Err(arg),
        }
        Ok(())
    }

    /// The PostgreSQL array type of the column (for a cast in the statement text).
    pub(crate) fn sql_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "bigint[]",
            Column::Float(_) => "double precision[]",
            Column::Bool(_) => "boolean[]",
            Column::Bytes(_) => "bytea[]",
        }
    }
}

/// Transposes rows of values (each in column order, as one row of `VALUES (…)` would bind
/// them) into one [`Column`] per position, typed by the first row. An error when a row has
/// another width, or a value another type, than the first row.
pub(crate) fn columns(rows: impl ExactSizeIterator<Item = Vec<Arg>>) -> StoreResult<Vec<Column>> {
    let count = rows.len();
    let mut columns: Vec<Column> = Vec::new();
    for (n, row) in rows.enumerate() {
        if n == 0 {
            columns = row
                .iter()
                .map(|arg| Column::of_type(arg, count))
                .collect::<Option<_>>()
                .ok_or_else(|| StoreError::Database("an array within an array".into()))?;
        }
        if row.len() != columns.len() {
            return Err(StoreError::Database(format!(
                "row {n} has {} values, the first row {}",
                row.len(),
                columns.len()
            )));
        }
        for (i, (column, arg)) in columns.iter_mut().zip(row).enumerate() {
            column.push(arg).map_err(|_| {
                StoreError::Database(format!(
                    "value {i} of row {n} does not fit a {} column",
                    column.sql_type()
                ))
            })?;
        }
    }
    Ok(columns)
}

/// Statement text with its bound values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// An empty statement, to be built with [`Sql::push`] and friends.
    pub(crate) fn new() -> Sql {
        Sql::default()
    }

    /// A statement written out in full, with `$n` placeholders bound by [`Sql::bind`].
    pub(crate) fn text(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Binds the next `$n` of a statement made with [`Sql::text`].
    pub(crate) fn bind(mut self, arg: impl Into<Arg>) -> Sql {
        self.args.push(arg.into());
        self
    }

    /// Appends `template`, each `{}` taking the next of `args` as a bound value.
    pub(crate) fn push(&mut self, template: &str, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        let mut args = args.into_iter();
        for (i, part) in template.split("{}").enumerate() {
            if i > 0 {
                let arg = args.next().expect("one value per {} slot");
                self.arg(arg);
            }
            self.text.push_str(part);
        }
        debug_assert!(args.next().is_none(), "more values than {{}} slots");
        self
    }

    /// Appends SQL written in the code (never input); `{}` has no meaning here.
    pub(crate) fn sql(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends one bound value.
    pub(crate) fn arg(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.text.push(SLOT);
        self.args.push(arg.into());
        self
    }

    /// Appends `(v, v, …)`: one bound value per item.
    pub(crate) fn tuple(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        self.text.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.arg(arg);
        }
        self.text.push(')');
        self
    }

    /// Appends `column IN (…)` with one bound value per item; `FALSE` when there are none.
    pub(crate) fn push_in<A: Into<Arg>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = A>,
    ) -> &mut Sql {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return self.sql("FALSE");
        }
        self.sql(column).sql(" IN ");
        self.tuple(values.map(Into::into))
    }

    /// Appends `UNNEST($1::text[], $2::bigint[], …)`: a table of one row per value of the
    /// columns, each column bound as one array (PostgreSQL).
    pub(crate) fn unnest(&mut self, columns: Vec<Column>) -> &mut Sql {
        self.text.push_str("UNNEST(");
        for (i, column) in columns.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            let cast = column.sql_type();
            self.arg(Arg::Array(column)).sql("::").sql(cast);
        }
        self.text.push(')');
        self
    }

    /// Appends another statement's text and values.
    pub(crate) fn append(&mut self, other: Sql) -> &mut Sql {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self
    }

    pub(crate) fn args(&self) -> &[Arg] {
        &self.args
    }

    /// The text with each slot replaced by the dialect's placeholder, numbered in order.
    ///
    /// SQLite gets anonymous `?`s: sqlx looks up the name of every numbered parameter, which
    /// SQLite finds by a linear walk, so numbered parameters make a statement with thousands of
    /// them quadratic. PostgreSQL gets `$1, $2, …`.
    pub(crate) fn render(&self, dialect: Dialect) -> String {
        if !self.text.contains(SLOT) {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.text.len() + self.args.len() * 4);
        let mut n = 0;
        for ch in self.text.chars() {
            if ch == SLOT {
                n += 1;
                dialect.placeholder(n, &mut out);
            } else {
                out.push(ch);
            }
        }
        out
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_become_placeholders_in_order_when_rendered() {
        let mut filter = Sql::new();
        filter
            .push("a = {} AND ", [Arg::from("x")])
            .push_in("b", ["1", "2"]);
        let mut statement = Sql::new();
        statement.sql("SELECT * FROM t WHERE ").append(filter);
        statement.push(" LIMIT {}", [Arg::from(5_i64)]);
        assert_eq!(
            statement.render(Dialect::Postgres),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4"
        );
        assert_eq!(
            statement.render(Dialect::Sqlite),
            "SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ?"
        );
        assert_eq!(statement.args().len(), 4);
    }

    #[test]
    fn written_out_statements_keep_their_numbers() {
        let sql = Sql::text("SELECT $1, $2").bind("a").bind(1_i64);
        assert_eq!(sql.render(Dialect::Sqlite), "SELECT $1, $2");
        assert_eq!(sql.args(), &[Arg::from("a"), Arg::from(1_i64)]);
    }

    #[test]
    fn rows_transpose_into_columns_typed_by_their_values() {
        let rows = vec![
            vec![Arg::from("a"), Arg::Int(None), Arg::from(true)],
            vec![Arg::Text(None), Arg::Int(None), Arg::from(false)],
        ];
        let columns = columns(rows.into_iter()).unwrap();
        assert_eq!(
            columns,
            [
                Column::Text(vec![Some("a".into()), None]),
                Column::Int(vec![None, None]),
                Column::Bool(vec![Some(true), Some(false)]),
            ]
        );
        let mut sql = Sql::text("SELECT * FROM ");
        sql.unnest(columns);
        assert_eq!(
            sql.render(Dialect::Postgres),
            "SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::boolean[])"
        );
    }

    #[test]
    fn a_column_of_two_types_is_an_error() {
        let rows = vec![vec![Arg::from(1.5)], vec![Arg::from(1_i64)]];
        assert!(columns(rows.into_iter()).is_err());
        let rows = vec![vec![Arg::from(1.5)], vec![]];
        assert!(columns(rows.into_iter()).is_err());
    }

    #[test]
    fn an_empty_in_list_matches_nothing() {
        let mut sql = Sql::new();
        sql.push_in("c", Vec::<String>::new());
        assert_eq!(sql.render(Dialect::Sqlite), "FALSE");
    }
}
