//! Statements built at run time for the dataset and experiment SQL: text with `{}` slots whose
//! values (nullable text or integers) are only ever bound as parameters, numbered in order (`$n`
//! on PostgreSQL, anonymous `?` on SQLite — see `tracing_sql.rs` for why). Unlike `sql_where.rs`,
//! which builds `AND`ed conditions, this appends any SQL (inserts, updates, subqueries).

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

/// A non-null text value.
pub(crate) fn text(value: impl Into<String>) -> Arg {
    Arg::Text(Some(value.into()))
}

/// SQL with its slots replaced by placeholders, and their values in order.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    anonymous: bool,
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    /// `anonymous`: SQLite's `?` placeholders instead of PostgreSQL's `$n`.
    pub(crate) fn new(anonymous: bool) -> Self {
        Sql {
            anonymous,
            sql: String::new(),
            args: Vec::new(),
        }
    }

    /// Appends `template`, each `{}` taking the next of `args`.
    pub(crate) fn push(&mut self, template: &str, args: Vec<Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for (i, part) in template.split("{}").enumerate() {
            if i > 0 {
                let arg = args.next().expect("one argument per slot");
                self.args.push(arg);
                if self.anonymous {
                    self.sql.push('?');
                } else {
                    self.sql.push_str(&format!("${}", self.args.len()));
                }
            }
            self.sql.push_str(part);
        }
        self
    }

    /// `column IN (…)`; `FALSE` for no values.
    pub(crate) fn push_in(&mut self, column: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self.push("FALSE", vec![]);
        }
        let template = format!("{column} IN ({})", vec!["{}"; values.len()].join(", "));
        self.push(&template, values.iter().cloned().map(text).collect())
    }

    /// `before` + this SQL + `after`, with the same values (the SQL must come first in order:
    /// `before` holds no slots).
    pub(crate) fn wrap(&self, before: &str, after: &str) -> Sql {
        Sql {
            anonymous: self.anonymous,
            sql: format!("{before}{}{after}", self.sql),
            args: self.args.clone(),
        }
    }
}

/// Binds every value of a [`Sql`] to a `sqlx` query (of any backend) in order.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::sql_build::Arg::Text(value) => query.bind(value.clone()),
                $crate::sql_build::Arg::Int(value) => query.bind(*value),
            };
        }
        query
    }};
}

pub(crate) use bind_args;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_numbered_in_order() {
        let mut pg = Sql::new(false);
        pg.push("a = {} AND ", vec![text("x")])
            .push_in("b", &["1".into(), "2".into()]);
        assert_eq!(pg.sql, "a = $1 AND b IN ($2, $3)");
        let wrapped = pg.wrap("SELECT * FROM t WHERE ", " LIMIT 5");
        assert_eq!(
            wrapped.sql,
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT 5"
        );
        assert_eq!(wrapped.args.len(), 3);
        let mut sqlite = Sql::new(true);
        sqlite.push("a = {}, b = {}", vec![text("x"), Arg::Int(None)]);
        sqlite.push_in("c", &[]);
        assert_eq!(sqlite.sql, "a = ?, b = ?FALSE");
    }
}
