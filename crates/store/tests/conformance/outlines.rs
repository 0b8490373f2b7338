//! The payload-free observation outlines of the UI's trace tree and traces table, on both
//! backends.

use sightline_domain::ingest::{Level, ObservationRow, ObservationType};
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::testing::{TestDb, observation_row, put_rows};
use sightline_store::{EventRows, Store};

use super::org_and_project;

fn observation(trace: &str, id: &str, parent: Option<&str>, start: i64) -> ObservationRow {
    let mut row = observation_row(trace, id, start);
    row.parent_observation_id = parent.map(str::to_owned);
    row
}

async fn outlines_hold_the_tree_without_payloads(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let mut generation = observation("t1", "gen", Some("root"), 2_000);
    generation.r#type = ObservationType::Generation;
    generation.level = Level::Error;
    generation.model = Some("gpt-4o".into());
    generation.usage_details = [("input".to_owned(), 10.0), ("total".to_owned(), 15.0)].into();
    generation.total_cost = Some(0.25);
    let rows = EventRows {
        observations: vec![
            generation,
            observation("t1", "root", None, 1_000),
            observation("t2", "other-trace", None, 500),
            observation("t3", "not-asked", None, 0),
        ],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;
    let elsewhere = EventRows {
        observations: vec![observation("t1", "foreign", None, 0)],
        ..EventRows::default()
    };
    put_rows(store, &other, elsewhere).await;

    let outlines = store
        .events()
        .trace_observation_outlines(&project, &["t1".into(), "t2".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = outlines.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["other-trace", "root", "gen"]);
    let generation = &outlines[2];
    assert_eq!(generation.trace_id, "t1");
    assert_eq!(generation.parent_observation_id.as_deref(), Some("root"));
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.level, Level::Error);
    assert_eq!(generation.name.as_deref(), Some("gen-name"));
    assert_eq!(generation.model.as_deref(), Some("gpt-4o"));
    assert_eq!(generation.start_time, 2_000);
    assert_eq!(generation.end_time, Some(2_100));
    assert_eq!(generation.usage_details.get("total"), Some(&15.0));
    assert_eq!(generation.total_cost, Some(0.25));
    assert!(
        store
            .events()
            .trace_observation_outlines(&project, &[])
            .await
            .unwrap()
            .is_empty()
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "outlines_hold_the_tree_without_payloads",
        outlines_hold_the_tree_without_payloads,
    )]
}
