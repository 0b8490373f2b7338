//! Users and per-user or per-session usage totals (`UserStatsStore`).

use std::collections::BTreeMap;

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{ObservationRow, ObservationType, TraceRow};
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::testing::{TestDb, observation_row, put_rows, trace_row};
use sightline_store::{EventRows, Store, TotalsQuery, TraceGroup, UserQuery};

use super::org_and_project;

fn trace(id: &str, timestamp: i64, user: Option<&str>, session: Option<&str>) -> TraceRow {
    let mut row = trace_row(id, timestamp);
    row.user_id = user.map(Into::into);
    row.session_id = session.map(Into::into);
    row.input = Some(json!("hi"));
    row
}

fn generation(
    id: &str,
    trace_id: &str,
    usage: &[(&str, f64)],
    cost: Option<f64>,
) -> ObservationRow {
    let usage: BTreeMap<String, f64> = usage.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    let mut row = observation_row(trace_id, id, 1_000);
    row.r#type = ObservationType::Generation;
    row.end_time = Some(2_000);
    row.name = Some("llm".into());
    row.model = Some("gpt-4o".into());
    row.input = None;
    row.output = None;
    row.provided_usage_details = usage.clone();
    row.usage_details = usage;
    row.total_cost = cost;
    row
}

async fn users_are_paged_by_last_seen_with_totals(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let rows = EventRows {
        traces: vec![
            trace("t1", 1_000, Some("alice"), Some("s1")),
            trace("t2", 5_000, Some("alice"), Some("s1")),
            trace("t3", 3_000, Some("Bob"), Some("s2")),
            trace("t4", 2_000, Some("carol_%"), None),
            trace("t5", 4_000, None, Some("s2")),
        ],
        observations: vec![
            generation(
                "o1",
                "t1",
                &[("input", 10.0), ("output", 5.0), ("total", 15.0)],
                Some(0.5),
            ),
            generation("o2", "t2", &[("input", 1.0), ("output", 2.0)], Some(0.25)),
            generation("o3", "t3", &[("input", 7.0)], None),
            generation("o4", "t5", &[("total", 100.0)], Some(1.0)),
        ],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;

    let page = |search: Option<&str>, limit, offset| UserQuery {
        search: search.map(Into::into),
        limit,
        offset,
        ..UserQuery::default()
    };
    let (users, total) = store
        .events()
        .list_trace_users(&project, &page(None, 10, 0))
        .await
        .unwrap();
    assert_eq!(total, 3);
    let listed: Vec<(&str, u64, i64, i64)> = users
        .iter()
        .map(|u| (u.user_id.as_str(), u.traces, u.first_seen, u.last_seen))
        .collect();
    assert_eq!(
        listed,
        [
            ("alice", 2, 1_000, 5_000),
            ("Bob", 1, 3_000, 3_000),
            ("carol_%", 1, 2_000, 2_000)
        ]
    );
    let (users, total) = store
        .events()
        .list_trace_users(&project, &page(None, 10, 5))
        .await
        .unwrap();
    assert!(users.is_empty());
    assert_eq!(total, 3, "past the last page");
    let (users, total) = store
        .events()
        .list_trace_users(&project, &page(None, 1, 1))
        .await
        .unwrap();
    assert_eq!((users[0].user_id.as_str(), total), ("Bob", 3));
    // Search is case-insensitive and takes `%` and `_` literally.
    let (users, total) = store
        .events()
        .list_trace_users(&project, &page(Some("bo"), 10, 0))
        .await
        .unwrap();
    assert_eq!(
        (users.len(), total, users[0].user_id.as_str()),
        (1, 1, "Bob")
    );
    let (users, _) = store
        .events()
        .list_trace_users(&project, &page(Some("_%"), 10, 0))
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    let (users, _) = store
        .events()
        .list_trace_users(&project, &page(Some("a_"), 10, 0))
        .await
        .unwrap();
    assert!(users.is_empty());
    // A time range counts only the traces in it.
    let ranged = UserQuery {
        from_timestamp: Some(2_000),
        to_timestamp: Some(5_000),
        ..page(None, 10, 0)
    };
    let (users, total) = store
        .events()
        .list_trace_users(&project, &ranged)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(users[0].user_id, "Bob");

    let keys = vec![
        "alice".to_owned(),
        "Bob".to_owned(),
        "nobody".to_owned(),
        "carol_%".to_owned(),
    ];
    let totals = store
        .events()
        .usage_totals(
            &project,
            TraceGroup::User,
            &TotalsQuery {
                keys,
                ..TotalsQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(totals.len(), 3);
    let alice = &totals[1];
    assert_eq!(alice.key, "alice");
    assert_eq!((alice.traces, alice.observations), (2, 2));
    assert_eq!((alice.first_seen, alice.last_seen), (1_000, 5_000));
    assert_eq!(
        (alice.input_tokens, alice.output_tokens, alice.total_tokens),
        (11.0, 7.0, 18.0)
    );
    assert!((alice.total_cost - 0.75).abs() < 1e-9);
    let bob = &totals[0];
    assert_eq!(
        (bob.key.as_str(), bob.total_tokens, bob.total_cost),
        ("Bob", 7.0, 0.0)
    );
    let carol = &totals[2];
    assert_eq!(
        (carol.traces, carol.observations, carol.total_cost),
        (1, 0, 0.0)
    );

    let sessions = store
        .events()
        .usage_totals(
            &project,
            TraceGroup::Session,
            &TotalsQuery {
                keys: vec!["s1".into(), "s2".into()],
                from_timestamp: Some(2_000),
                to_timestamp: None,
            },
        )
        .await
        .unwrap();
    let figures: Vec<(&str, u64, f64)> = sessions
        .iter()
        .map(|s| (s.key.as_str(), s.traces, s.total_tokens))
        .collect();
    assert_eq!(figures, [("s1", 1, 3.0), ("s2", 2, 107.0)]);
    assert_eq!(sessions[0].user_ids, ["alice"]);
    assert_eq!(sessions[1].user_ids, ["Bob"]);
    assert!(totals[1].user_ids.is_empty());
    let other = ProjectId::parse("no-such-project").unwrap();
    let (users, total) = store
        .events()
        .list_trace_users(&other, &page(None, 10, 0))
        .await
        .unwrap();
    assert!(users.is_empty() && total == 0);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "users_are_paged_by_last_seen_with_totals",
        users_are_paged_by_last_seen_with_totals,
    )]
}
