//! The filter compiler: every column compiles, values stay in order, refusals name the field,
//! and oversized filters are refused before SQLite sees them (or run, where a list is one
//! `IN (…)`).

use sightline_domain::filter::parse_filter;

use super::*;
use crate::sql::Db;

fn compile(columns: &[Column], raw: &str, dialect: Dialect) -> Result<Sql, FilterError> {
    let mut filter = Where::new(dialect);
    apply(
        &mut filter,
        columns,
        &parse_filter(raw).expect("valid filter"),
    )?;
    Ok(filter.to_sql())
}

fn condition(column: &str, body: &str) -> String {
    format!(r#"{{"column":"{column}",{body}}}"#)
}

#[test]
fn every_column_compiles_with_a_condition_of_its_kind() {
    for (columns, label) in [
        (TRACE_COLUMNS, "traces"),
        (OBSERVATION_COLUMNS, "observations"),
        (SCORE_COLUMNS, "scores"),
    ] {
        for column in columns {
            let body = match column.kind {
                Kind::Text => r#""type":"string","operator":"contains","value":"x""#,
                Kind::Time => r#""type":"datetime","operator":">","value":"2024-01-01T00:00:00Z""#,
                Kind::Number => r#""type":"number","operator":">=","value":1"#,
                Kind::Bool => r#""type":"boolean","operator":"=","value":true"#,
                Kind::Tags => r#""type":"arrayOptions","operator":"all of","value":["a"]"#,
                Kind::Object => r#""type":"stringObject","key":"k","operator":"=","value":"v""#,
                Kind::ScoreAverage => r#""type":"numberObject","key":"q","operator":"<","value":1"#,
                Kind::ScoreCategory => {
                    r#""type":"categoryOptions","key":"q","operator":"any of","value":["a"]"#
                }
                Kind::ScoreBoolean => {
                    r#""type":"booleanObject","key":"q","operator":"<>","value":true"#
                }
            };
            let raw = format!("[{}]", condition(column.id, body));
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = compile(columns, &raw, dialect)
                    .unwrap_or_else(|e| panic!("{label}.{}: {e}", column.id))
                    .render(dialect);
                assert!(!sql.contains('{'), "{label}.{}: {sql}", column.id);
            }
        }
    }
}

#[test]
fn placeholders_follow_the_values_in_order() {
    let sql = compile(
        TRACE_COLUMNS,
        r#"[{"type":"string","column":"name","operator":"=","value":"a"},
            {"type":"stringObject","column":"metadata","key":"k","operator":"does not contain",
             "value":"b"},
            {"type":"number","column":"latency","operator":">","value":2}]"#,
        Dialect::Postgres,
    )
    .expect("compiles");
    // name, the metadata key twice (the expression appears twice), the pattern, latency.
    assert_eq!(
        sql.args(),
        &[
            Arg::from("a"),
            Arg::from("k"),
            Arg::from("k"),
            Arg::from("%b%"),
            Arg::from(2.0)
        ]
    );
    assert_eq!(
        sql.render(Dialect::Postgres),
        "traces.name = $1 AND (((traces.metadata)::jsonb ->> $2) IS NULL \
         OR ((traces.metadata)::jsonb ->> $3) NOT ILIKE $4 ESCAPE '\\') \
         AND (SELECT (MAX(COALESCE(o.end_time, o.start_time)) - MIN(o.start_time)) / 1000.0 \
         FROM observations o WHERE o.project_id = traces.project_id \
         AND o.trace_id = traces.id) > $5"
    );
}

#[test]
fn metadata_numbers_and_booleans_bind_the_key_in_each_dialect() {
    let raw = r#"[{"type":"numberObject","column":"metadata","key":"n","operator":">","value":1},
                  {"type":"booleanObject","column":"metadata","key":"f","operator":"=",
                   "value":true}]"#;
    let sqlite = compile(TRACE_COLUMNS, raw, Dialect::Sqlite).expect("compiles");
    assert_eq!(
        sqlite.render(Dialect::Sqlite),
        "(CASE WHEN typeof(json_extract(traces.metadata, '$.\"' || ? || '\"')) \
         IN ('integer', 'real') THEN json_extract(traces.metadata, '$.\"' || ? || '\"') END) > ? \
         AND (json_type(traces.metadata, '$.\"' || ? || '\"') = ?)"
    );
    let postgres = compile(TRACE_COLUMNS, raw, Dialect::Postgres).expect("compiles");
    assert_eq!(
        postgres.render(Dialect::Postgres),
        "(CASE WHEN jsonb_typeof((traces.metadata)::jsonb -> $1) = 'number' \
         THEN ((traces.metadata)::jsonb ->> $2)::double precision END) > $3 \
         AND (((traces.metadata)::jsonb -> $4) = ($5)::jsonb)"
    );
    for sql in [sqlite, postgres] {
        assert_eq!(
            sql.args(),
            &[
                Arg::from("n"),
                Arg::from("n"),
                Arg::from(1.0),
                Arg::from("f"),
                Arg::from("true")
            ]
        );
    }
}

#[test]
fn tags_are_one_in_list_over_the_arrays_elements() {
    let raw =
        r#"[{"type":"arrayOptions","column":"tags","operator":"all of","value":["a","b","a"]}]"#;
    let sql = compile(TRACE_COLUMNS, raw, Dialect::Sqlite).expect("compiles");
    assert_eq!(
        sql.render(Dialect::Sqlite),
        "((SELECT COUNT(DISTINCT value) FROM json_each(traces.tags) WHERE value IN (?, ?)) = ?)"
    );
    assert_eq!(
        sql.args(),
        &[Arg::from("a"), Arg::from("b"), Arg::from(2_i64)]
    );
    let raw = r#"[{"type":"arrayOptions","column":"tags","operator":"none of","value":["a"]}]"#;
    let sql = compile(TRACE_COLUMNS, raw, Dialect::Postgres).expect("compiles");
    assert_eq!(
        sql.render(Dialect::Postgres),
        "(traces.tags IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \
         jsonb_array_elements_text((traces.tags)::jsonb) AS e(value) WHERE value IN ($1)))"
    );
}

#[test]
fn wrong_columns_and_kinds_are_refused_with_the_field() {
    let unknown = compile(
        TRACE_COLUMNS,
        r#"[{"type":"string","column":"nope","operator":"=","value":"a"}]"#,
        Dialect::Sqlite,
    )
    .expect_err("unknown column");
    assert_eq!(unknown.path[2], "column");
    let mismatch = compile(
        TRACE_COLUMNS,
        r#"[{"type":"number","column":"name","operator":">","value":1}]"#,
        Dialect::Sqlite,
    )
    .expect_err("number on text");
    assert_eq!(mismatch.path[2], "type");
    let keyless = compile(
        TRACE_COLUMNS,
        r#"[{"type":"number","column":"scores_avg","operator":">","value":1}]"#,
        Dialect::Sqlite,
    )
    .expect_err("score without a name");
    assert_eq!(keyless.path[2], "key");
}

/// `n` distinct values as a JSON array.
fn values(n: usize) -> String {
    let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    serde_json::to_string(&values).expect("json")
}

#[test]
fn oversized_filters_are_refused_with_the_field() {
    let tags = |n: usize| {
        format!(
            "[{}]",
            condition(
                "tags",
                &format!(
                    r#""type":"arrayOptions","operator":"any of","value":{}"#,
                    values(n)
                )
            )
        )
    };
    compile(TRACE_COLUMNS, &tags(MAX_LIST_VALUES), Dialect::Sqlite).expect("at the limit");
    let long = compile(TRACE_COLUMNS, &tags(MAX_LIST_VALUES + 1), Dialect::Sqlite)
        .expect_err("one value too many");
    assert_eq!(long.path, [Value::from("filter"), 0.into(), "value".into()]);

    let name = condition("name", r#""type":"string","operator":"=","value":"a""#);
    let many = |n: usize| format!("[{}]", vec![name.as_str(); n].join(","));
    compile(TRACE_COLUMNS, &many(MAX_CONDITIONS), Dialect::Sqlite).expect("at the limit");
    let crowded = compile(TRACE_COLUMNS, &many(MAX_CONDITIONS + 1), Dialect::Sqlite)
        .expect_err("one condition too many");
    assert_eq!(crowded.path, [Value::from("filter")]);

    let users = condition(
        "userId",
        &format!(
            r#""type":"stringOptions","operator":"any of","value":{}"#,
            values(MAX_LIST_VALUES)
        ),
    );
    let lists = [users.as_str(); MAX_FILTER_VALUES / MAX_LIST_VALUES + 1].join(",");
    let heavy = compile(TRACE_COLUMNS, &format!("[{lists}]"), Dialect::Sqlite)
        .expect_err("too many values in all");
    assert_eq!(heavy.path, [Value::from("filter")]);

    check_list("tags", MAX_LIST_VALUES).expect("at the limit");
    let named = check_list("tags", MAX_LIST_VALUES + 1).expect_err("one too many");
    assert_eq!(named.path, [Value::from("tags")]);
}

/// The largest filters the limits let through run on SQLite, whose expression depth limit
/// (1000) a chain of one `OR` per value used to exceed.
#[tokio::test]
async fn the_largest_allowed_filters_run_on_sqlite() {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    let db = Db::Sqlite(pool);
    db.execute(&Sql::text(
        "CREATE TABLE traces (id TEXT, project_id TEXT, user_id TEXT, tags TEXT)",
    ))
    .await
    .expect("table");
    db.execute(&Sql::text(
        "INSERT INTO traces VALUES ('t1', 'p', 'v1', '[\"v1\", \"v2\"]'), \
         ('t2', 'p', NULL, '[\"x\"]')",
    ))
    .await
    .expect("rows");
    let all: Vec<String> = (0..MAX_LIST_VALUES).map(|i| format!("v{i}")).collect();
    // None of the users: neither t1's (v1) nor t2's (none).
    let users: Vec<String> = (0..MAX_LIST_VALUES).map(|i| format!("u{i}")).collect();
    let users = serde_json::to_string(&users).expect("json");
    let cases = [
        ("any of", all.clone(), vec!["t1"]),
        ("none of", all.clone(), vec!["t2"]),
        ("all of", all, vec![]),
        ("all of", vec!["v2".to_owned(), "v1".to_owned()], vec!["t1"]),
    ];
    for (operator, tags, expected) in cases {
        let tags_condition = condition(
            "tags",
            &format!(
                r#""type":"arrayOptions","operator":"{operator}","value":{}"#,
                serde_json::to_string(&tags).expect("json")
            ),
        );
        let no_user = condition(
            "userId",
            &format!(r#""type":"stringOptions","operator":"none of","value":{users}"#),
        );
        let id_prefix = condition(
            "id",
            r#""type":"string","operator":"starts with","value":"t""#,
        );
        let mut conditions = vec![tags_condition, no_user];
        conditions.extend(std::iter::repeat_n(id_prefix, MAX_CONDITIONS - 2));
        let raw = format!("[{}]", conditions.join(","));
        let mut filter = Where::new(Dialect::Sqlite);
        filter.eq("traces.project_id", "p");
        apply(
            &mut filter,
            TRACE_COLUMNS,
            &parse_filter(&raw).expect("valid"),
        )
        .expect("within the limits");
        let mut sql = Sql::new();
        sql.sql("SELECT traces.id FROM traces WHERE ")
            .append(filter.to_sql())
            .sql(" ORDER BY traces.id");
        let ids: Vec<(String,)> = db.fetch_all(&sql).await.expect(operator);
        let ids: Vec<&str> = ids.iter().map(|(id,)| id.as_str()).collect();
        assert_eq!(ids, expected, "{operator}");
    }
}
