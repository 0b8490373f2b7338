//! Upgrades of a SQLite file written by an earlier version: migration 0012 moved observation
//! input and output out of the observation row (`observation_payloads`), and what was stored
//! before reads back whole afterwards, by trace, by id and in lists; migration 0014 rolls up
//! what was stored before; and the tags that migration 0007 kept by trace are found by tag after
//! migration 0027, and follow deletes.

use std::borrow::Cow;
use std::str::FromStr;

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::metrics::{Aggregation, Metric, MetricsQuery, MetricsVersion};
use sightline_store::{ObservationQuery, StoreOptions, TraceQuery};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// The last migration before the payloads moved.
const BEFORE_PAYLOADS: i64 = 11;

/// Writes, on a file migrated up to [`BEFORE_PAYLOADS`], a trace with an observation that has
/// input and output and one that has neither, as that version stored them (text in the row).
async fn write_before_the_upgrade(url: &str) {
    let options = SqliteConnectOptions::from_str(url)
        .expect("url")
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .expect("open");
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|migration| migration.version <= BEFORE_PAYLOADS)
            .cloned()
            .collect(),
    );
    migrator.run(&pool).await.expect("migrate to 0011");
    for statement in [
        "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('o', 'o', 0, 0)",
        "INSERT INTO projects (id, org_id, name, created_at, updated_at) \
         VALUES ('p', 'o', 'p', 0, 0)",
        "INSERT INTO traces (project_id, id, timestamp, environment, created_at, updated_at) \
         VALUES ('p', 't', 0, 'default', 0, 0)",
        "INSERT INTO traces (project_id, id, timestamp, environment, tags, created_at, \
         updated_at) VALUES ('p', 'tagged', 5, 'default', '[\"x\",\"y\"]', 0, 0)",
        "INSERT INTO observations (project_id, id, trace_id, type, start_time, environment, \
         level, input, output, created_at, updated_at) \
         VALUES ('p', 'o1', 't', 'SPAN', 0, 'default', 'DEFAULT', '{\"q\":\"old text\"}', \
         '\"an answer\"', 0, 0)",
        "INSERT INTO observations (project_id, id, trace_id, type, start_time, environment, \
         level, created_at, updated_at) \
         VALUES ('p', 'o2', 't', 'EVENT', 1, 'default', 'DEFAULT', 0, 0)",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect(statement);
    }
    pool.close().await;
}

#[tokio::test]
async fn observations_stored_in_the_row_read_back_after_payloads_moved_out() {
    let path = std::env::temp_dir().join(format!(
        "sightline-upgrade-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let url = format!("sqlite://{}", path.display());
    write_before_the_upgrade(&url).await;

    let store = sightline_store::open(&StoreOptions::new(&url))
        .await
        .expect("open");
    store.migrate().await.expect("upgrade");
    let project = ProjectId::from_trusted("p".into());
    let observations = store
        .events()
        .trace_observations(&project, "t")
        .await
        .expect("read");
    let ids: Vec<&str> = observations.iter().map(|o| o.row.id.as_str()).collect();
    assert_eq!(ids, ["o1", "o2"]);
    assert_eq!(observations[0].row.input, Some(json!({"q": "old text"})));
    assert_eq!(observations[0].row.output, Some(json!("an answer")));
    assert_eq!(observations[1].row.input, None);
    assert_eq!(observations[1].row.output, None);
    let one = store
        .events()
        .observation(&project, "o1")
        .await
        .expect("read")
        .expect("o1");
    assert_eq!(one.row.input, Some(json!({"q": "old text"})));
    // Lists read through the pooled (sqlx) connections.
    let (listed, total) = store
        .events()
        .list_observations(&project, &ObservationQuery::default(), 10, 0)
        .await
        .expect("list");
    assert_eq!(total, 2);
    let listed = listed.iter().find(|o| o.row.id == "o1").expect("o1 listed");
    assert_eq!(listed.row.output, Some(json!("an answer")));
    // Migration 0014 rolled up what was there: the rollups answer as the raw rows do.
    for (view, count) in [("observations", 2.0), ("traces", 2.0)] {
        let query = MetricsQuery {
            version: MetricsVersion::V1,
            view: view.into(),
            dimensions: vec![],
            metrics: vec![Metric {
                measure: "count".into(),
                aggregation: Aggregation::Count,
            }],
            filters: vec![],
            granularity: None,
            from: 0,
            to: 2 * 3_600_000,
            order_by: vec![],
            bins: 10,
            row_limit: None,
        };
        assert!(store.events().metrics_source(&query).is_some());
        let rows = store
            .events()
            .query_metrics(&project, &query)
            .await
            .expect("metrics");
        assert_eq!(rows[0].metrics, vec![Some(count)], "{view}");
    }
    // Migration 0027 moved the tags into one table keyed by tag: lists by one tag and by both
    // still find the trace, counted, and a delete takes its tags with it.
    let tagged = |tags: &[&str]| TraceQuery {
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        limit: 10,
        ..TraceQuery::default()
    };
    for tags in [&["x"][..], &["x", "y"], &["y"]] {
        let (traces, total) = store
            .events()
            .list_traces(&project, &tagged(tags))
            .await
            .expect("list by tags");
        let ids: Vec<&str> = traces.iter().map(|t| t.row.id.as_str()).collect();
        assert_eq!((ids, total), (vec!["tagged"], 1), "{tags:?}");
    }
    let deleted = store
        .events()
        .delete_traces(&project, &["tagged".to_owned()])
        .await
        .expect("delete");
    assert_eq!(deleted, 1);
    let (traces, total) = store
        .events()
        .list_traces(&project, &tagged(&["x"]))
        .await
        .expect("list by tag");
    assert!(traces.is_empty());
    assert_eq!(total, 0);
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
