//! The one SQL builder of the relational stores. A [`Sql`] is statement text plus the values bound
//! to it, in order. Values never reach the text: each one leaves a slot that becomes a placeholder
//! only when the statement runs ([`Sql::render`]), so fragments can be built apart (a filter, a
//! page clause) and joined in any order, and the dialect is chosen once, at the end.
//!
//! Statements written out in full may use `$1`, `$2`, … instead of slots (both SQLite and
//! PostgreSQL read them) and bind their values with [`Sql::bind`]; a statement uses one form or
//! the other, never both.

use super::dialect::Dialect;

/// Stands for one bound value in the text until it is rendered. Never part of real SQL.
const SLOT: char = '\u{1}';

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
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
    fn an_empty_in_list_matches_nothing() {
        let mut sql = Sql::new();
        sql.push_in("c", Vec::<String>::new());
        assert_eq!(sql.render(Dialect::Sqlite), "FALSE");
    }
}
