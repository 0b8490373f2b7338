//! Conditions built at run time for the read queries: a conjunction of [`Sql`] fragments whose
//! values are only ever bound. The advanced `filter` parameter compiles onto it
//! (`crate::filter`), and so do the named query parameters of each list.

use super::dialect::Dialect;
use super::query::{Arg, Sql};

/// A conjunction of conditions with their bound values.
#[derive(Debug, Clone)]
pub(crate) struct Where {
    dialect: Dialect,
    conditions: Vec<Sql>,
}

impl Where {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Where {
            dialect,
            conditions: Vec::new(),
        }
    }

    /// The dialect the conditions are written for, for the few expressions that differ.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Adds `template` with its `{}` bound to `arg`.
    pub(crate) fn push(&mut self, template: &str, arg: impl Into<Arg>) {
        self.push_all(template, vec![arg.into()]);
    }

    /// Adds `template` with each `{}` bound to the next of `args`.
    pub(crate) fn push_all(&mut self, template: &str, args: Vec<Arg>) {
        let mut sql = Sql::new();
        sql.push(template, args);
        self.conditions.push(sql);
    }

    /// Adds a condition built elsewhere.
    pub(crate) fn push_sql(&mut self, condition: Sql) {
        self.conditions.push(condition);
    }

    /// A condition without values (written in the code, never from input).
    pub(crate) fn push_const(&mut self, condition: &str) {
        self.conditions.push(Sql::text(condition));
    }

    /// `column = value`.
    pub(crate) fn eq(&mut self, column: &str, value: impl Into<Arg>) {
        self.push(&format!("{column} = {{}}"), value);
    }

    /// `column IN (…)` with one bound value per item; nothing when there are none.
    pub(crate) fn push_in<A: Into<Arg>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = A>,
    ) {
        let mut values = values.into_iter().peekable();
        if values.peek().is_some() {
            let mut sql = Sql::new();
            sql.push_in(column, values);
            self.conditions.push(sql);
        }
    }

    /// The conditions joined with `AND`; `TRUE` when there are none.
    pub(crate) fn to_sql(&self) -> Sql {
        let mut sql = Sql::new();
        if self.conditions.is_empty() {
            sql.sql("TRUE");
        }
        for (i, condition) in self.conditions.iter().enumerate() {
            if i > 0 {
                sql.sql(" AND ");
            }
            sql.append(condition.clone());
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_join_with_and_and_keep_their_values_in_order() {
        let mut filter = Where::new(Dialect::Postgres);
        assert_eq!(filter.to_sql().render(Dialect::Postgres), "TRUE");
        filter.eq("a", "x");
        filter.push_in("b", [1_i64, 2]);
        filter.push_in("c", Vec::<String>::new());
        filter.push_const("d IS NULL");
        let sql = filter.to_sql();
        assert_eq!(
            sql.render(Dialect::Postgres),
            "a = $1 AND b IN ($2, $3) AND d IS NULL"
        );
        assert_eq!(sql.args().len(), 3);
    }
}
