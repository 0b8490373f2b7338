//! Where SQLite and PostgreSQL differ, stated once. Everything else in the relational stores is
//! the same SQL on both: `ON CONFLICT … DO UPDATE`/`DO NOTHING` upserts, `RETURNING`, times as
//! `BIGINT` milliseconds, ids as text, JSON as text.

/// The SQL dialect of a relational store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Writes the placeholder of bound value `n` (1-based).
    pub(crate) fn placeholder(self, n: usize, out: &mut String) {
        match self {
            Dialect::Sqlite => out.push('?'),
            Dialect::Postgres => {
                out.push('$');
                out.push_str(&n.to_string());
            }
        }
    }

    /// How a write transaction begins. SQLite takes the write lock at once (`IMMEDIATE`), so
    /// that a transaction that reads before it writes never fails to upgrade its lock; that also
    /// makes every write transaction the only one, so nothing needs locking inside it.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// A statement that locks the text key `$1` until the transaction ends, for writes that
    /// read before they write (prompt versions, dataset items, entity folds); `None` where
    /// [`Dialect::begin_write`] already serialises writers.
    pub(crate) fn key_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"),
        }
    }

    /// The number under `key` (a literal written in the code) of a JSON object held as text.
    pub(crate) fn json_number(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Dialect::Postgres => format!("(({column})::jsonb ->> '{key}')::double precision"),
        }
    }

    /// The text under the bound key `{}` of a JSON object held as text (a [`super::Sql`]
    /// template with one slot).
    pub(crate) fn json_text_at_bound_key(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({column}, '$.\"' || {{}} || '\"')"),
            Dialect::Postgres => format!("(({column})::jsonb ->> {{}})"),
        }
    }

    /// The sum of the numbers of a JSON object held as text whose keys match the `LIKE`
    /// pattern `pattern` (a literal written in the code), case-insensitively.
    pub(crate) fn json_sum_matching(self, column: &str, pattern: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "(SELECT SUM(value) FROM json_each({column}) \
                 WHERE type IN ('integer', 'real') AND key LIKE '{pattern}')"
            ),
            Dialect::Postgres => format!(
                "(SELECT SUM((value::text)::double precision) FROM jsonb_each(({column})::jsonb) \
                 WHERE jsonb_typeof(value) = 'number' AND key ILIKE '{pattern}')"
            ),
        }
    }
}
