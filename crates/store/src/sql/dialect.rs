//! Where SQLite and PostgreSQL differ, stated once. Everything else in the relational stores is
//! the same SQL on both: `ON CONFLICT … DO UPDATE`/`DO NOTHING` upserts, `RETURNING`, times as
//! `BIGINT` milliseconds, ids as text, JSON as text.

use sightline_domain::metrics::Granularity;

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

    /// The number under the bound key of a JSON object held as text, `NULL` when it holds no
    /// number there (a [`super::Sql`] template with two slots, both the key). On SQLite a JSON
    /// boolean reads as the number 0 or 1.
    pub(crate) fn json_number_at_bound_key(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "(CASE WHEN typeof(json_extract({column}, '$.\"' || {{}} || '\"')) \
                 IN ('integer', 'real') THEN json_extract({column}, '$.\"' || {{}} || '\"') END)"
            ),
            Dialect::Postgres => format!(
                "(CASE WHEN jsonb_typeof(({column})::jsonb -> {{}}) = 'number' \
                 THEN (({column})::jsonb ->> {{}})::double precision END)"
            ),
        }
    }

    /// Whether the value under the bound key of a JSON object held as text is the JSON boolean
    /// bound second, as the text `'true'` or `'false'` (a [`super::Sql`] template with two
    /// slots: the key, then the boolean).
    pub(crate) fn json_boolean_at_bound_key_is(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("(json_type({column}, '$.\"' || {{}} || '\"') = {{}})"),
            Dialect::Postgres => format!("((({column})::jsonb -> {{}}) = ({{}})::jsonb)"),
        }
    }

    /// A table of the elements of a JSON array of strings held as text, one per row in a
    /// column `value` (for `FROM`; no rows when the array is `NULL`). Lets a condition test
    /// many values with one `IN (…)` instead of a chain of `OR`s, which SQLite refuses past
    /// an expression depth of 1000.
    pub(crate) fn json_strings(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each({column})"),
            Dialect::Postgres => {
                format!("jsonb_array_elements_text(({column})::jsonb) AS e(value)")
            }
        }
    }

    /// The `LIKE` operator that ignores (ASCII) case: SQLite's `LIKE` already does, PostgreSQL
    /// needs `ILIKE`.
    pub(crate) fn like_ignoring_case(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// The number under `key` (a literal written in the code) of a JSON object held as text,
    /// always as a floating-point number (`NULL` when absent), so that sums of it never
    /// overflow SQLite's integers.
    pub(crate) fn json_double(self, column: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("CAST(json_extract({column}, '$.{key}') AS REAL)"),
            Dialect::Postgres => format!("(({column})::jsonb ->> '{key}')::double precision"),
        }
    }

    /// The text of a stored observation payload (`observations/payload.rs`): on SQLite through
    /// the function every connection registers (`sqlite.rs`), which decompresses; PostgreSQL
    /// stores the text uncompressed.
    pub(crate) fn payload_text(self, stored: &str) -> String {
        match self {
            Dialect::Sqlite => format!("sightline_payload_text({stored})"),
            Dialect::Postgres => format!("convert_from({stored}, 'UTF8')"),
        }
    }

    /// The `p` percentile (0–1) of column `column` over a group, interpolating linearly between
    /// the closest ranks; on SQLite through the aggregate every connection registers
    /// (`sqlite.rs`).
    pub(crate) fn percentile(self, column: &str, p: f64) -> String {
        match self {
            Dialect::Sqlite => format!("sightline_percentile({column}, {p})"),
            Dialect::Postgres => {
                format!("percentile_cont({p}) WITHIN GROUP (ORDER BY {column})")
            }
        }
    }

    /// The latency sketch (`sightline_domain::sketch`) of the one value `value` (NULL for
    /// NULL): a blob on SQLite, a `bigint[]` of (bucket, count) pairs on PostgreSQL (functions
    /// of `sql/sqlite.rs` and migration 0014).
    pub(crate) fn sketch(self, value: &str) -> String {
        format!("sightline_sketch({value})")
    }

    /// The `q` quantile (0–1) of the merged sketches of column `column` over a group. SQLite's
    /// is an aggregate; PostgreSQL's function reads the group's pairs joined as text
    /// (`string_agg` collects them in linear time, where a merging aggregate would copy its
    /// state on every row).
    pub(crate) fn sketch_quantile(self, column: &str, q: f64) -> String {
        match self {
            Dialect::Sqlite => format!("sightline_sketch_quantile({column}, {q})"),
            Dialect::Postgres => format!(
                "sightline_sketch_quantile(\
                 string_agg(NULLIF(array_to_string({column}, ','), ''), ','), {q})"
            ),
        }
    }

    /// The start (milliseconds) of the UTC time bucket of `granularity` that holds the
    /// millisecond time `column`; weeks start on Monday (1970-01-05 was one).
    pub(crate) fn time_bucket(self, column: &str, granularity: Granularity) -> String {
        const WEEK_OFFSET_MS: i64 = 4 * 86_400_000;
        let floor = |unit: i64| format!("(({column}) / {unit}) * {unit}");
        match granularity {
            Granularity::Minute => floor(60_000),
            Granularity::Hour => floor(3_600_000),
            Granularity::Day => floor(86_400_000),
            Granularity::Week => format!(
                "((({column}) - {WEEK_OFFSET_MS}) / 604800000) * 604800000 + {WEEK_OFFSET_MS}"
            ),
            Granularity::Month => match self {
                Dialect::Sqlite => format!(
                    "CAST(strftime('%s', ({column}) / 1000, 'unixepoch', 'start of month') \
                     AS INTEGER) * 1000"
                ),
                Dialect::Postgres => format!(
                    "CAST(EXTRACT(EPOCH FROM date_trunc('month', \
                     to_timestamp(({column}) / 1000.0) AT TIME ZONE 'UTC')) AS BIGINT) * 1000"
                ),
            },
        }
    }

    /// The text of a text column that may hold a stored payload (a trace's input and output):
    /// SQLite's writer stores them like observation payloads; PostgreSQL keeps the text.
    pub(crate) fn stored_text(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("sightline_payload_text({column})"),
            Dialect::Postgres => column.to_owned(),
        }
    }
}
