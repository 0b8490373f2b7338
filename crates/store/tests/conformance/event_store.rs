//! The event store's contract (`EventWriteStore`, `EventWrite`, the reads by id and the lists),
//! on both backends. A new event store (ClickHouse) must pass it too: it states what the
//! ingestion fold relies on — logged events come back with the first body of each event id,
//! reads inside a write see its earlier puts, a later version replaces a row, a placeholder
//! trace never replaces a real one, nothing is visible before the commit — and what the read API
//! relies on: every filter kind, deletes, sessions.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::filter::parse_filter;
use sightline_domain::ingest::{Level, ObservationType};
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::testing::{TestDb, observation_row, put_rows, score_row, trace_row};
use sightline_store::{
    Entity, EntityKey, EventRows, LoggedEvent, ObservationQuery, ScoreQuery, SessionQuery, Store,
    TraceQuery,
};

use super::org_and_project;

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test("rows_read_back_as_written", rows_read_back_as_written),
        backend_test(
            "a_later_version_replaces_a_row",
            a_later_version_replaces_a_row,
        ),
        backend_test(
            "placeholder_traces_never_replace_real_ones",
            placeholder_traces_never_replace_real_ones,
        ),
        backend_test(
            "logged_events_keep_the_first_body_of_an_event_id",
            logged_events_keep_the_first_body_of_an_event_id,
        ),
        backend_test(
            "reads_inside_a_write_see_its_earlier_puts",
            reads_inside_a_write_see_its_earlier_puts,
        ),
        backend_test(
            "nothing_is_visible_before_the_commit",
            nothing_is_visible_before_the_commit,
        ),
        backend_test(
            "trace_lists_answer_every_filter_kind",
            trace_lists_answer_every_filter_kind,
        ),
        backend_test(
            "observation_and_score_lists_filter_by_trace_and_value",
            observation_and_score_lists_filter_by_trace_and_value,
        ),
        backend_test(
            "deleted_traces_take_their_observations_scores_and_events",
            deleted_traces_take_their_observations_scores_and_events,
        ),
        backend_test(
            "an_observations_payload_follows_its_row",
            an_observations_payload_follows_its_row,
        ),
        backend_test("sessions_derive_from_traces", sessions_derive_from_traces),
        backend_test(
            "a_project_delete_empties_its_events_only",
            a_project_delete_empties_its_events_only,
        ),
        backend_test(
            "a_large_write_with_null_only_columns_reads_back",
            a_large_write_with_null_only_columns_reads_back,
        ),
    ]
}

fn event(entity: Entity, id: &str, event_id: &str, timestamp: i64, name: &str) -> LoggedEvent {
    LoggedEvent {
        entity,
        entity_id: id.into(),
        event_id: event_id.into(),
        event_type: "trace-create".into(),
        timestamp,
        body: json!({"id": id, "name": name}),
    }
}

async fn rows_read_back_as_written(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let mut trace = trace_row("t1", 1_000);
    trace.name = Some("chat".into());
    trace.user_id = Some("alice".into());
    trace.tags = vec!["a".into(), "b".into()];
    trace.metadata = json!({"z": 1, "a": {"nested": true}})
        .as_object()
        .unwrap()
        .clone();
    trace.input = Some(json!({"question": "why?"}));
    let mut generation = observation_row("t1", "o2", 1_500);
    generation.r#type = ObservationType::Generation;
    generation.parent_observation_id = Some("o1".into());
    generation.level = Level::Warning;
    generation.model = Some("gpt-4o".into());
    generation.usage_details = [("input".to_owned(), 3.0)].into();
    generation.total_cost = Some(0.5);
    let rows = EventRows {
        traces: vec![trace.clone()],
        observations: vec![generation.clone(), observation_row("t1", "o1", 1_000)],
        scores: vec![score_row("s1", "t1", "quality", 0.9, 2_000)],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;

    let stored = store.events().trace(&project, "t1").await.unwrap().unwrap();
    assert_eq!(stored.row, trace);
    assert_eq!(stored.project_id, project);
    let observations = store
        .events()
        .trace_observations(&project, "t1")
        .await
        .unwrap();
    let ids: Vec<&str> = observations.iter().map(|o| o.row.id.as_str()).collect();
    assert_eq!(ids, ["o1", "o2"], "by start time");
    assert_eq!(observations[1].row, generation);
    assert_eq!(
        store
            .events()
            .observation(&project, "o2")
            .await
            .unwrap()
            .unwrap()
            .row,
        generation
    );
    let scores = store.events().trace_scores(&project, "t1").await.unwrap();
    assert_eq!(scores.len(), 1);
    assert_eq!(scores[0].score.value, Some(0.9));
    assert!(
        store
            .events()
            .score(&project, "s1")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store.events().trace(&other, "t1").await.unwrap().is_none(),
        "project-scoped"
    );
    assert!(
        store
            .events()
            .observation(&other, "o1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.events().score(&other, "s1").await.unwrap().is_none());
}

async fn a_later_version_replaces_a_row(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let mut first = trace_row("t", 1_000);
    first.name = Some("first".into());
    first.tags = vec!["x".into()];
    put_rows(
        store,
        &project,
        EventRows {
            traces: vec![first],
            ..EventRows::default()
        },
    )
    .await;
    let mut second = trace_row("t", 1_000);
    second.name = Some("second".into());
    put_rows(
        store,
        &project,
        EventRows {
            traces: vec![second.clone()],
            ..EventRows::default()
        },
    )
    .await;
    let stored = store.events().trace(&project, "t").await.unwrap().unwrap();
    assert_eq!(stored.row, second, "the whole row is replaced, not merged");
    assert!(stored.updated_at >= stored.created_at);
}

async fn placeholder_traces_never_replace_real_ones(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let mut real = trace_row("real", 1_000);
    real.name = Some("kept".into());
    put_rows(
        store,
        &project,
        EventRows {
            traces: vec![real.clone()],
            ..EventRows::default()
        },
    )
    .await;
    put_rows(
        store,
        &project,
        EventRows {
            placeholder_traces: vec![trace_row("real", 5), trace_row("new", 7)],
            ..EventRows::default()
        },
    )
    .await;
    assert_eq!(
        store
            .events()
            .trace(&project, "real")
            .await
            .unwrap()
            .unwrap()
            .row,
        real
    );
    let placeholder = store
        .events()
        .trace(&project, "new")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(placeholder.row, trace_row("new", 7));
    let mut named = trace_row("new", 7);
    named.name = Some("named later".into());
    put_rows(
        store,
        &project,
        EventRows {
            traces: vec![named.clone()],
            ..EventRows::default()
        },
    )
    .await;
    assert_eq!(
        store
            .events()
            .trace(&project, "new")
            .await
            .unwrap()
            .unwrap()
            .row,
        named
    );
}

async fn logged_events_keep_the_first_body_of_an_event_id(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let mut write = store.events().begin_event_write(1).await.unwrap();
    write
        .lock(&[EntityKey {
            project: project.clone(),
            entity: Entity::Trace,
            id: "t".into(),
        }])
        .await
        .unwrap();
    write
        .append_events(
            &project,
            &[
                event(Entity::Trace, "t", "e1", 1_000, "first"),
                event(Entity::Trace, "t", "e2", 2_000, "second"),
                event(Entity::Observation, "t", "e3", 1_000, "an observation"),
            ],
        )
        .await
        .unwrap();
    write
        .append_events(&other, &[event(Entity::Trace, "t", "e9", 1, "elsewhere")])
        .await
        .unwrap();
    write.commit().await.unwrap();

    let mut again = store.events().begin_event_write(2).await.unwrap();
    again
        .append_events(
            &project,
            &[event(Entity::Trace, "t", "e1", 9_000, "delivered twice")],
        )
        .await
        .unwrap();
    let logged = again
        .logged_events(&project, Entity::Trace, &["t", "missing"])
        .await
        .unwrap();
    again.commit().await.unwrap();
    assert_eq!(logged.len(), 1, "only entities with events: {logged:?}");
    let mut events = logged["t"].clone();
    events.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], event(Entity::Trace, "t", "e1", 1_000, "first"));
    assert_eq!(events[1].body["name"], "second");
}

async fn reads_inside_a_write_see_its_earlier_puts(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let mut write = store.events().begin_event_write(1).await.unwrap();
    assert!(write.traces(&project, &["t"]).await.unwrap().is_empty());
    let rows = EventRows {
        traces: vec![trace_row("t", 1_000)],
        ..EventRows::default()
    };
    write.put(&project, &rows).await.unwrap();
    write
        .append_events(&project, &[event(Entity::Trace, "t", "e", 1, "n")])
        .await
        .unwrap();
    let traces = write.traces(&project, &["t", "u"]).await.unwrap();
    assert_eq!(traces, vec![trace_row("t", 1_000)]);
    let logged = write
        .logged_events(&project, Entity::Trace, &["t"])
        .await
        .unwrap();
    assert_eq!(logged["t"].len(), 1);
    write.commit().await.unwrap();
}

async fn nothing_is_visible_before_the_commit(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    {
        let mut write = store.events().begin_event_write(1).await.unwrap();
        let rows = EventRows {
            traces: vec![trace_row("dropped", 1_000)],
            ..EventRows::default()
        };
        write.put(&project, &rows).await.unwrap();
        // Dropped without a commit.
    }
    assert!(
        store
            .events()
            .trace(&project, "dropped")
            .await
            .unwrap()
            .is_none()
    );
    let (page, total) = store
        .events()
        .list_traces(&project, &TraceQuery::default())
        .await
        .unwrap();
    assert!(page.is_empty());
    assert_eq!(total, 0);
}

/// Three traces that every filter kind tells apart.
async fn seed_filterable(store: &Store, project: &ProjectId) {
    let mut a = trace_row("a", 1_000);
    a.name = Some("alpha".into());
    a.user_id = Some("alice".into());
    a.tags = vec!["prod".into(), "v1".into()];
    a.metadata = json!({"team": "search", "weight": 3, "beta": true})
        .as_object()
        .unwrap()
        .clone();
    a.public = true;
    let mut b = trace_row("b", 2_000);
    b.name = Some("beta".into());
    b.user_id = Some("bob".into());
    b.tags = vec!["dev".into()];
    b.metadata = json!({"team": "ads", "weight": 7, "beta": false})
        .as_object()
        .unwrap()
        .clone();
    b.environment = "staging".into();
    let c = trace_row("c", 3_000);
    let mut failing = observation_row("b", "ob", 2_000);
    failing.level = Level::Error;
    failing.total_cost = Some(2.0);
    let mut cheap = observation_row("a", "oa", 1_000);
    cheap.total_cost = Some(0.5);
    let mut quality = score_row("sa", "a", "quality", 0.9, 1_000);
    quality.environment = "default".into();
    let mut category = score_row("sb", "b", "verdict", 0.0, 2_000);
    category.data_type = sightline_domain::ingest::ScoreDataType::Categorical;
    category.value = None;
    category.string_value = Some("bad".into());
    let rows = EventRows {
        traces: vec![a, b, c],
        observations: vec![cheap, failing],
        scores: vec![quality, category],
        ..EventRows::default()
    };
    put_rows(store, project, rows).await;
}

async fn trace_ids(store: &Store, project: &ProjectId, filter: &str) -> Vec<String> {
    let query = TraceQuery {
        filter: parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e:?}")),
        ..TraceQuery::default()
    };
    let (traces, total) = store
        .events()
        .list_traces(project, &query)
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(total as usize, traces.len(), "{filter}");
    let mut ids: Vec<String> = traces.into_iter().map(|t| t.row.id).collect();
    ids.sort();
    ids
}

async fn trace_lists_answer_every_filter_kind(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    seed_filterable(store, &project).await;
    let cases: &[(&str, &[&str])] = &[
        (
            r#"[{"type":"datetime","column":"timestamp","operator":">=","value":"1970-01-01T00:00:02Z"}]"#,
            &["b", "c"],
        ),
        (
            r#"[{"type":"string","column":"name","operator":"starts with","value":"al"}]"#,
            &["a"],
        ),
        (
            r#"[{"type":"number","column":"totalCost","operator":">","value":1}]"#,
            &["b"],
        ),
        (
            r#"[{"type":"stringOptions","column":"userId","operator":"any of","value":["alice","bob"]}]"#,
            &["a", "b"],
        ),
        (
            r#"[{"type":"arrayOptions","column":"tags","operator":"any of","value":["v1","dev"]}]"#,
            &["a", "b"],
        ),
        (
            r#"[{"type":"arrayOptions","column":"tags","operator":"none of","value":["prod"]}]"#,
            &["b", "c"],
        ),
        (
            r#"[{"type":"stringObject","column":"metadata","key":"team","operator":"=","value":"ads"}]"#,
            &["b"],
        ),
        (
            r#"[{"type":"numberObject","column":"metadata","key":"weight","operator":"<","value":5}]"#,
            &["a"],
        ),
        (
            r#"[{"type":"boolean","column":"public","operator":"=","value":true}]"#,
            &["a"],
        ),
        (
            r#"[{"type":"null","column":"userId","operator":"is null","value":""}]"#,
            &["c"],
        ),
        (
            r#"[{"type":"numberObject","column":"scores_avg","key":"quality","operator":">","value":0.5}]"#,
            &["a"],
        ),
        (
            r#"[{"type":"categoryOptions","column":"score_categories","key":"verdict","operator":"any of","value":["bad"]}]"#,
            &["b"],
        ),
        (
            r#"[{"type":"string","column":"level","operator":"=","value":"ERROR"}]"#,
            &["b"],
        ),
        (
            r#"[{"type":"stringOptions","column":"environment","operator":"none of","value":["staging"]}]"#,
            &["a", "c"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            trace_ids(store, &project, filter).await,
            expected.to_vec(),
            "{filter}"
        );
    }
    let named = TraceQuery {
        user_id: Some("bob".into()),
        tags: vec!["dev".into()],
        ..TraceQuery::default()
    };
    let (traces, total) = store.events().list_traces(&project, &named).await.unwrap();
    assert_eq!((traces.len(), total), (1, 1));
    assert_eq!(traces[0].row.id, "b");
}

async fn observation_and_score_lists_filter_by_trace_and_value(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    seed_filterable(store, &project).await;
    let query = ObservationQuery {
        trace_id: Some("b".into()),
        ..ObservationQuery::default()
    };
    let (observations, total) = store
        .events()
        .list_observations(&project, &query, 50, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(observations[0].row.id, "ob");
    let query = ObservationQuery {
        filter: parse_filter(
            r#"[{"type":"string","column":"level","operator":"=","value":"ERROR"}]"#,
        )
        .unwrap(),
        ..ObservationQuery::default()
    };
    let (observations, _) = store
        .events()
        .list_observations(&project, &query, 50, 0)
        .await
        .unwrap();
    let ids: Vec<&str> = observations.iter().map(|o| o.row.id.as_str()).collect();
    assert_eq!(ids, ["ob"]);

    let query = ScoreQuery {
        filter: parse_filter(r#"[{"type":"number","column":"value","operator":">=","value":0.5}]"#)
            .unwrap(),
        limit: 50,
        ..ScoreQuery::default()
    };
    let (scores, total) = store.events().list_scores(&project, &query).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(scores[0].score.score.id, "sa");
}

async fn deleted_traces_take_their_observations_scores_and_events(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    seed_filterable(store, &project).await;
    let mut write = store.events().begin_event_write(1).await.unwrap();
    write
        .append_events(&project, &[event(Entity::Trace, "b", "e", 1, "b")])
        .await
        .unwrap();
    write.commit().await.unwrap();

    let deleted = store
        .events()
        .delete_traces(&project, &["b".into(), "missing".into()])
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert!(store.events().trace(&project, "b").await.unwrap().is_none());
    assert!(
        store
            .events()
            .observation(&project, "ob")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .events()
            .score(&project, "sb")
            .await
            .unwrap()
            .is_none()
    );
    let mut write = store.events().begin_event_write(2).await.unwrap();
    let logged = write
        .logged_events(&project, Entity::Trace, &["b"])
        .await
        .unwrap();
    write.commit().await.unwrap();
    assert!(logged.is_empty(), "a deleted trace's events go too");
    assert!(store.events().trace(&project, "a").await.unwrap().is_some());
    let (_, total) = store
        .events()
        .list_traces(&project, &TraceQuery::default())
        .await
        .unwrap();
    assert_eq!(total, 2);
}

/// Rows of `observation_payloads`, read on a connection of its own.
async fn payload_rows(url: &str) -> i64 {
    use sqlx::Connection;
    let sql = "SELECT COUNT(*) FROM observation_payloads";
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_one(&mut connection)
            .await
            .unwrap()
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .fetch_one(&mut connection)
            .await
            .unwrap()
    }
}

/// An observation's input and output live in a payload row of their own (migration 0028): a
/// later version replaces it, a version without input or output drops it, and a deleted trace
/// takes its observations' payloads with it; no row is left behind.
async fn an_observations_payload_follows_its_row(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let put = |observations| {
        put_rows(
            store,
            &project,
            EventRows {
                traces: vec![trace_row("t", 1_000)],
                observations,
                ..EventRows::default()
            },
        )
    };
    put(vec![
        observation_row("t", "o1", 1),
        observation_row("t", "o2", 2),
    ])
    .await;
    assert_eq!(payload_rows(&db.url).await, 2);

    let mut second = observation_row("t", "o1", 1);
    second.input = Some(json!({"question": "second"}));
    let mut bare = observation_row("t", "o2", 2);
    bare.input = None;
    bare.output = None;
    put(vec![second, bare]).await;
    let project = &project;
    let read = |id: &'static str| async move {
        let stored = store.events().observation(project, id).await.unwrap();
        let row = stored.expect("stored").row;
        (row.input, row.output)
    };
    assert_eq!(
        read("o1").await,
        (
            Some(json!({"question": "second"})),
            Some(json!({"answer": 42}))
        )
    );
    assert_eq!(read("o2").await, (None, None));
    assert_eq!(payload_rows(&db.url).await, 1, "the replaced rows are gone");

    store
        .events()
        .delete_traces(project, &["t".into()])
        .await
        .unwrap();
    assert_eq!(
        payload_rows(&db.url).await,
        0,
        "a deleted trace's payloads go too"
    );
}

async fn sessions_derive_from_traces(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let mut first = trace_row("t1", 1_000);
    first.session_id = Some("s1".into());
    let mut second = trace_row("t2", 2_000);
    second.session_id = Some("s1".into());
    let mut third = trace_row("t3", 3_000);
    third.session_id = Some("s2".into());
    let rows = EventRows {
        traces: vec![first, second, third, trace_row("t4", 4_000)],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;
    let (sessions, total) = store
        .events()
        .list_sessions(
            &project,
            &SessionQuery {
                limit: 50,
                ..SessionQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 2);
    let mut ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["s1", "s2"]);
}

async fn a_project_delete_empties_its_events_only(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    seed_filterable(store, &project).await;
    seed_filterable(store, &other).await;
    store
        .events()
        .delete_project_events(&project)
        .await
        .unwrap();
    let (traces, total) = store
        .events()
        .list_traces(&project, &TraceQuery::default())
        .await
        .unwrap();
    assert!(traces.is_empty());
    assert_eq!(total, 0);
    assert!(
        store
            .events()
            .observation(&project, "oa")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .events()
            .score(&project, "sa")
            .await
            .unwrap()
            .is_none()
    );
    let (_, others) = store
        .events()
        .list_traces(&other, &TraceQuery::default())
        .await
        .unwrap();
    assert_eq!(others, 3, "another project keeps its traces");
}

/// One write of more rows than a statement of 8,000 values holds (1,200 observations of 30
/// columns, 1,500 logged events of 8), whose optional columns are NULL in every row, and with
/// repeated ids, of which the last wins; then a second write that replaces every row.
async fn a_large_write_with_null_only_columns_reads_back(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    for (version, name) in [(1, "first"), (2, "second")] {
        let rows = large_rows(name);
        let events: Vec<LoggedEvent> = (0..1_500)
            .map(|i| event(Entity::Observation, &format!("o{i}"), name, i, name))
            .collect();
        let mut write = store.events().begin_event_write(version).await.unwrap();
        write.append_events(&project, &events).await.unwrap();
        write.put(&project, &rows).await.unwrap();
        write.commit().await.unwrap();

        let trace = store.events().trace(&project, "t599").await.unwrap();
        assert_eq!(trace.unwrap().row, rows.traces[599]);
        let observations = store
            .events()
            .trace_observations(&project, "t0")
            .await
            .unwrap();
        let stored: Vec<_> = observations.into_iter().map(|o| o.row).collect();
        let expected = [&rows.observations[1_200], &rows.observations[600]];
        assert_eq!(stored.iter().collect::<Vec<_>>(), expected, "{name}");
        let scores = store.events().trace_scores(&project, "t7").await.unwrap();
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].score.id, "s7");
        assert_eq!(scores[0].score.name, name);
        assert_eq!(scores[0].score.string_value, None);
    }
    let ids: Vec<String> = (0..1_500).map(|i| format!("o{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut write = store.events().begin_event_write(3).await.unwrap();
    let logged = write
        .logged_events(&project, Entity::Observation, &ids)
        .await
        .unwrap();
    write.commit().await.unwrap();
    assert_eq!(logged.len(), 1_500);
    assert_eq!(logged["o1499"].len(), 2, "one event per write");
    let (_, total) = store
        .events()
        .list_traces(&project, &TraceQuery::default())
        .await
        .unwrap();
    assert_eq!(total, 600);
}

/// 600 traces, 1,200 observations (two per trace; `o0` again at the end, renamed), 600
/// scores, all named after `name` and otherwise as sparse as a row can be.
fn large_rows(name: &str) -> EventRows {
    let traces = (0..600)
        .map(|i| {
            let mut trace = trace_row(&format!("t{i}"), 1_000 + i);
            trace.name = Some(name.into());
            trace
        })
        .collect();
    let mut observations: Vec<_> = (0..1_200)
        .map(|i| {
            let mut observation = observation_row(&format!("t{}", i % 600), &format!("o{i}"), i);
            observation.name = Some(name.into());
            observation
        })
        .collect();
    let mut last = observations[0].clone();
    last.name = Some(format!("{name}, again"));
    observations.push(last);
    let scores = (0..600)
        .map(|i| score_row(&format!("s{i}"), &format!("t{i}"), name, 0.5, 3_000 + i))
        .collect();
    EventRows {
        traces,
        observations,
        scores,
        ..EventRows::default()
    }
}
