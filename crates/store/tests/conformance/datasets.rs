//! Datasets, item versions, runs, run items and the experiment links of SDK spans, on both
//! backends.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::testing::{TestDb, observation_row, put_rows, score_row, trace_row};
use sightline_store::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem,
    EventRows, ExperimentLink, RunItemFilter, SpanPayload, Store, StoreError,
};

use super::org_and_project;

fn dataset(project: &ProjectId, id: &str, name: &str, at: i64) -> Dataset {
    Dataset {
        project_id: project.clone(),
        id: id.into(),
        name: name.into(),
        description: Some(format!("{name} description")),
        metadata: Some(json!({"k": name})),
        input_schema: Some(json!({"type": "string"})),
        expected_output_schema: None,
        created_at: at,
        updated_at: at,
    }
}

fn item(project: &ProjectId, id: &str, dataset_id: &str, input: &str, at: i64) -> DatasetItem {
    DatasetItem {
        project_id: project.clone(),
        id: id.into(),
        dataset_id: dataset_id.into(),
        dataset_name: String::new(),
        status: DatasetItemStatus::Active,
        input: Some(json!(input)),
        expected_output: None,
        metadata: None,
        source_trace_id: Some("t-1".into()),
        source_observation_id: None,
        created_at: at,
        updated_at: at,
    }
}

fn run(project: &ProjectId, id: &str, dataset_id: Option<&str>, name: &str) -> DatasetRun {
    DatasetRun {
        project_id: project.clone(),
        id: id.into(),
        dataset_id: dataset_id.map(Into::into),
        dataset_name: None,
        name: name.into(),
        description: Some(format!("{id} description")),
        metadata: None,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

fn items_of(dataset_id: &str, as_of: Option<i64>) -> DatasetItemQuery {
    DatasetItemQuery {
        dataset_id: Some(dataset_id.into()),
        as_of,
        limit: 50,
        ..DatasetItemQuery::default()
    }
}

async fn datasets_upsert_by_name(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let first = store
        .metadata()
        .upsert_dataset(&dataset(&project, "d1", "qa", 1_000))
        .await
        .unwrap();
    assert_eq!(first.input_schema, Some(json!({"type": "string"})));
    let mut update = dataset(&project, "ignored", "qa", 2_000);
    update.description = None;
    let second = store.metadata().upsert_dataset(&update).await.unwrap();
    assert_eq!((second.id.as_str(), second.created_at), ("d1", 1_000));
    assert_eq!((second.description, second.updated_at), (None, 2_000));
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d2", "other", 3_000))
        .await
        .unwrap();
    let (page, total) = store
        .metadata()
        .list_datasets(&project, 1, 0)
        .await
        .unwrap();
    assert_eq!((page[0].id.as_str(), total), ("d2", 2));
    assert!(
        store
            .metadata()
            .dataset_by_name(&project, "nope")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .metadata()
            .dataset_by_id(&project, "d1")
            .await
            .unwrap()
            .unwrap()
            .name,
        "qa"
    );
}

/// The input of the (only) item of `d1` at a time, and how many items there were then.
async fn input_at(
    store: &Store,
    project: &ProjectId,
    at: Option<i64>,
) -> (Option<serde_json::Value>, u64) {
    let (items, total) = store
        .metadata()
        .list_dataset_items(project, &items_of("d1", at))
        .await
        .unwrap();
    (items.first().and_then(|item| item.input.clone()), total)
}

async fn items_keep_their_versions(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d2", "other", 0))
        .await
        .unwrap();

    let v1 = store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d1", "one", 1_000))
        .await
        .unwrap();
    assert_eq!((v1.dataset_name.as_str(), v1.updated_at), ("qa", 1_000));
    let v2 = store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d1", "two", 2_000))
        .await
        .unwrap();
    assert_eq!((v2.created_at, v2.updated_at), (1_000, 2_000));
    // A write in the same millisecond still makes a later version.
    let v3 = store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d1", "three", 2_000))
        .await
        .unwrap();
    assert_eq!(v3.updated_at, 2_001);

    assert_eq!(
        input_at(store, &project, None).await,
        (Some(json!("three")), 1)
    );
    assert_eq!(
        input_at(store, &project, Some(1_500)).await,
        (Some(json!("one")), 1)
    );
    assert_eq!(
        input_at(store, &project, Some(2_000)).await,
        (Some(json!("two")), 1)
    );
    assert_eq!(input_at(store, &project, Some(999)).await, (None, 0));

    let elsewhere = store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d2", "x", 3_000))
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::Conflict(_))),
        "{elsewhere:?}"
    );

    let mut archived = item(&project, "i2", "d1", "a", 3_000);
    archived.status = DatasetItemStatus::Archived;
    store.metadata().put_dataset_item(&archived).await.unwrap();
    let active = DatasetItemQuery {
        active_only: true,
        ..items_of("d1", None)
    };
    assert_eq!(
        store
            .metadata()
            .list_dataset_items(&project, &active)
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        store
            .metadata()
            .list_dataset_items(&project, &items_of("d1", None))
            .await
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        store
            .metadata()
            .active_dataset_item_ids(&project, &["d1".into()])
            .await
            .unwrap(),
        vec![("d1".to_owned(), "i1".to_owned())]
    );

    assert!(
        store
            .metadata()
            .delete_dataset_item(&project, "i1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .metadata()
            .delete_dataset_item(&project, "i1")
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .dataset_item(&project, "i1")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        input_at(store, &project, Some(2_500)).await.0,
        Some(json!("three")),
        "history stays"
    );
    // Deleted ids may be used again, in any dataset.
    store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d2", "new", 9_000))
        .await
        .unwrap();
    let (_, other_project) = org_and_project(store).await;
    assert!(
        store
            .metadata()
            .dataset_item(&other_project, "i2")
            .await
            .unwrap()
            .is_none()
    );
}

async fn runs_are_created_once_per_name(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    let first = store
        .metadata()
        .create_or_get_dataset_run(&run(&project, "r1", Some("d1"), "base"))
        .await
        .unwrap();
    assert_eq!(first.dataset_name.as_deref(), Some("qa"));
    let again = store
        .metadata()
        .create_or_get_dataset_run(&run(&project, "r2", Some("d1"), "base"))
        .await
        .unwrap();
    assert_eq!(
        (again.id.as_str(), again.description.as_deref()),
        ("r1", Some("r1 description"))
    );
    let taken = store
        .metadata()
        .create_or_get_dataset_run(&run(&project, "r1", Some("d1"), "other"))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    let run_item = |id: &str, trace: &str, at: i64| DatasetRunItem {
        project_id: project.clone(),
        id: id.into(),
        run_id: "r1".into(),
        run_name: String::new(),
        dataset_item_id: "i1".into(),
        trace_id: trace.into(),
        observation_id: None,
        dataset_item_version: Some(at),
        expected_output: None,
        item_metadata: None,
        created_at: at,
        updated_at: at,
    };
    let first = store
        .metadata()
        .insert_dataset_run_item(&run_item("ri-1", "t-1", 1))
        .await
        .unwrap();
    assert_eq!(
        (first.id.as_str(), first.run_name.as_str()),
        ("ri-1", "base")
    );
    store
        .metadata()
        .insert_dataset_run_item(&run_item("ri-2", "t-2", 2))
        .await
        .unwrap();
    // The same item and trace again: the stored run item.
    let again = store
        .metadata()
        .insert_dataset_run_item(&run_item("ri-3", "t-1", 3))
        .await
        .unwrap();
    assert_eq!((again.id.as_str(), again.created_at), ("ri-1", 1));
    let reused_id = store
        .metadata()
        .insert_dataset_run_item(&run_item("ri-1", "t-4", 4))
        .await;
    assert!(
        matches!(reused_id, Err(StoreError::Conflict(_))),
        "{reused_id:?}"
    );
    let (items, total) = store
        .metadata()
        .list_dataset_run_items(&project, "r1", None, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        (items[0].id.as_str(), items[0].run_name.as_str()),
        ("ri-2", "base")
    );
    let (runs, count) = store
        .metadata()
        .list_dataset_runs(&project, "d1", 10, 0)
        .await
        .unwrap();
    assert_eq!((runs.len(), count), (1, 1));
    assert_eq!(
        store
            .metadata()
            .dataset_run_names(&project, &["d1".into()])
            .await
            .unwrap(),
        vec![("d1".to_owned(), "base".to_owned())]
    );
    assert!(
        store
            .metadata()
            .delete_dataset_run(&project, "r1")
            .await
            .unwrap()
    );
    assert!(
        store
            .metadata()
            .dataset_run(&project, "d1", "base")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .metadata()
            .list_dataset_run_items(&project, "r1", None, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

fn link(
    run_id: &str,
    name: &str,
    dataset_id: Option<&str>,
    item: &str,
    trace: &str,
) -> ExperimentLink {
    ExperimentLink {
        run_id: run_id.into(),
        run_name: name.into(),
        description: Some("from spans".into()),
        metadata: Some(json!({"model": "m"})),
        dataset_id: dataset_id.map(Into::into),
        run_item_id: format!("{run_id}-{trace}"),
        dataset_item_id: item.into(),
        trace_id: trace.into(),
        observation_id: Some(format!("{trace}-root")),
        dataset_item_version: None,
        expected_output: Some(json!("expected")),
        item_metadata: None,
        created_at: 5_000,
    }
}

async fn experiment_links_write_runs_and_run_items_once(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    store
        .metadata()
        .create_or_get_dataset_run(&run(&project, "api-run", Some("d1"), "existing"))
        .await
        .unwrap();
    let links = vec![
        link("exp-1", "baseline", Some("d1"), "i1", "t1"),
        link("exp-1", "baseline", Some("d1"), "i2", "t2"),
        link("exp-2", "existing", Some("d1"), "i1", "t3"),
        link("exp-3", "local", Some("not-a-dataset"), "hash", "t4"),
    ];
    // Delivered twice: the second write stores nothing new.
    for _ in 0..2 {
        store
            .metadata()
            .write_experiment_links(&project, &links)
            .await
            .unwrap();
    }

    let baseline = store
        .metadata()
        .dataset_run(&project, "d1", "baseline")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (baseline.id.as_str(), baseline.metadata.clone()),
        ("exp-1", Some(json!({"model": "m"})))
    );
    let (items, total) = store
        .metadata()
        .list_dataset_run_items(&project, "exp-1", None, 0)
        .await
        .unwrap();
    assert_eq!(total, 2, "written once");
    assert_eq!(items[0].expected_output, Some(json!("expected")));
    let (existing, _) = store
        .metadata()
        .list_dataset_run_items(&project, "api-run", None, 0)
        .await
        .unwrap();
    assert_eq!(
        existing.len(),
        1,
        "a dataset's run of the same name is reused"
    );
    let (local, _) = store
        .metadata()
        .list_dataset_run_items(&project, "exp-3", None, 0)
        .await
        .unwrap();
    assert_eq!(local.len(), 1, "unknown datasets make local experiments");
    assert_eq!(
        store
            .metadata()
            .list_dataset_runs(&project, "d1", 10, 0)
            .await
            .unwrap()
            .1,
        2
    );
}

/// The two halves of experiment reads: the metadata store picks run items, the event store reads
/// their traces, observations and scores by id.
async fn experiment_reads_pass_ids_between_the_stores(db: TestDb) {
    let store: &Store = &db.store;
    let (_, project) = org_and_project(store).await;
    store
        .metadata()
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    let links = vec![
        link("exp-1", "baseline", Some("d1"), "i2", "t2"),
        link("exp-1", "baseline", Some("d1"), "i1", "t1"),
        link("exp-2", "local", None, "i1", "t3"),
    ];
    store
        .metadata()
        .write_experiment_links(&project, &links)
        .await
        .unwrap();

    let refs = store
        .metadata()
        .experiment_item_refs(&project, &RunItemFilter::runs(&["exp-1".into()]))
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = refs
        .iter()
        .map(|r| (r.dataset_item_id.as_str(), r.trace_id.as_str()))
        .collect();
    assert_eq!(pairs, vec![("i1", "t1"), ("i2", "t2")], "by dataset item");
    assert_eq!(refs[0].observation_id.as_deref(), Some("t1-root"));
    let by_name = RunItemFilter {
        run_names: vec!["local".into()],
        ..RunItemFilter::default()
    };
    let local = store
        .metadata()
        .experiment_item_refs(&project, &by_name)
        .await
        .unwrap();
    assert_eq!((local.len(), local[0].run_id.as_str()), (1, "exp-2"));
    let by_dataset = RunItemFilter {
        dataset_ids: vec!["d1".into()],
        dataset_item_ids: vec!["i1".into()],
        ..RunItemFilter::default()
    };
    let in_dataset = store
        .metadata()
        .experiment_item_refs(&project, &by_dataset)
        .await
        .unwrap();
    assert_eq!(in_dataset.len(), 1);
    assert_eq!(in_dataset[0].trace_id, "t1");
    let all = store
        .metadata()
        .experiment_item_refs(&project, &RunItemFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "an empty filter selects every run item");
    let runs = store
        .metadata()
        .experiment_runs(&project, &["exp-1".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].dataset_name.as_deref(), Some("qa"));
    let items = store
        .metadata()
        .experiment_run_items(&project, &[refs[0].id.clone()])
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].run_name, "baseline");
    assert_eq!(items[0].expected_output, Some(json!("expected")));

    let mut trace = trace_row("t1", 1_000);
    trace.output = Some(json!("trace output"));
    let mut child = observation_row("t1", "t1-child", 1_050);
    child.end_time = Some(1_300);
    child.total_cost = Some(0.5);
    let rows = EventRows {
        traces: vec![trace],
        observations: vec![observation_row("t1", "t1-root", 1_000), child],
        scores: vec![
            score_row("s1", "t1", "accuracy", 1.0, 10),
            score_row("s0", "t1", "accuracy", 0.0, 5),
            score_row("s2", "t2", "accuracy", 0.5, 7),
        ],
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;

    let trace_ids = vec!["t1".to_owned(), "t1".to_owned(), "t2".to_owned()];
    let totals = store
        .events()
        .experiment_trace_totals(&project, &trace_ids)
        .await
        .unwrap();
    assert_eq!(totals.len(), 1, "t2 has no observations");
    assert_eq!(
        (
            totals[0].start_time,
            totals[0].end_time,
            totals[0].total_cost
        ),
        (1_000, 1_300, Some(0.5))
    );
    let ids = vec!["t1-root".to_owned(), "missing".to_owned()];
    let bare = store
        .events()
        .experiment_observations(&project, &ids, SpanPayload::Nothing)
        .await
        .unwrap();
    assert_eq!(bare.len(), 1);
    assert_eq!(
        (bare[0].end_time, bare[0].level.as_str(), &bare[0].output),
        (Some(1_100), "DEFAULT", &None)
    );
    let outputs = store
        .events()
        .experiment_observations(&project, &ids, SpanPayload::Output)
        .await
        .unwrap();
    assert_eq!(
        (&outputs[0].input, &outputs[0].output),
        (&None, &Some(json!({"answer": 42})))
    );
    let traces = store
        .events()
        .experiment_traces(&project, &trace_ids, SpanPayload::All)
        .await
        .unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(
        (traces[0].timestamp, &traces[0].output),
        (1_000, &Some(json!("trace output")))
    );
    let scores = store
        .events()
        .experiment_trace_scores(&project, &trace_ids)
        .await
        .unwrap();
    let seen: Vec<(&str, Option<f64>)> = scores
        .iter()
        .map(|s| (s.trace_id.as_str(), s.value))
        .collect();
    assert_eq!(
        seen,
        vec![("t1", Some(0.0)), ("t2", Some(0.5)), ("t1", Some(1.0))],
        "by name, then oldest first"
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
async fn datasets_are_renamed_by_id(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    for (id, name) in [("d1", "qa"), ("d2", "other")] {
        store
            .metadata()
            .upsert_dataset(&dataset(&project, id, name, 0))
            .await
            .unwrap();
    }
    store
        .metadata()
        .put_dataset_item(&item(&project, "i1", "d1", "one", 1_000))
        .await
        .unwrap();
    assert!(
        store
            .metadata()
            .rename_dataset(&project, "d1", "qa/v2", 5)
            .await
            .unwrap()
    );
    let renamed = store
        .metadata()
        .dataset_by_id(&project, "d1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.updated_at), ("qa/v2", 5));
    assert!(
        store
            .metadata()
            .dataset_by_name(&project, "qa")
            .await
            .unwrap()
            .is_none()
    );
    let item = store
        .metadata()
        .dataset_item(&project, "i1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.dataset_name, "qa/v2", "items follow by id");
    let taken = store
        .metadata()
        .rename_dataset(&project, "d1", "other", 6)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(
        !store
            .metadata()
            .rename_dataset(&project, "nope", "x", 6)
            .await
            .unwrap()
    );
}

async fn item_batches_are_stored_whole_or_not_at_all(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    for (id, name) in [("d1", "qa"), ("d2", "other")] {
        store
            .metadata()
            .upsert_dataset(&dataset(&project, id, name, 0))
            .await
            .unwrap();
    }
    store
        .metadata()
        .put_dataset_item(&item(&project, "taken", "d2", "x", 1_000))
        .await
        .unwrap();
    // The last item's id is another dataset's: the whole batch is refused.
    let batch = [
        item(&project, "b1", "d1", "one", 2_000),
        item(&project, "b2", "d1", "two", 2_000),
        item(&project, "taken", "d1", "three", 2_000),
    ];
    let refused = store.metadata().put_dataset_items(&batch).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let (_, count) = store
        .metadata()
        .list_dataset_items(&project, &items_of("d1", None))
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing of a refused batch is stored");
    let stored = store
        .metadata()
        .put_dataset_items(&batch[..2])
        .await
        .unwrap();
    assert_eq!(stored, 2);
    let (_, count) = store
        .metadata()
        .list_dataset_items(&project, &items_of("d1", None))
        .await
        .unwrap();
    assert_eq!(count, 2);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test("datasets_are_renamed_by_id", datasets_are_renamed_by_id),
        backend_test(
            "item_batches_are_stored_whole_or_not_at_all",
            item_batches_are_stored_whole_or_not_at_all,
        ),
        backend_test("datasets_upsert_by_name", datasets_upsert_by_name),
        backend_test("items_keep_their_versions", items_keep_their_versions),
        backend_test(
            "runs_are_created_once_per_name",
            runs_are_created_once_per_name,
        ),
        backend_test(
            "experiment_links_write_runs_and_run_items_once",
            experiment_links_write_runs_and_run_items_once,
        ),
        backend_test(
            "experiment_reads_pass_ids_between_the_stores",
            experiment_reads_pass_ids_between_the_stores,
        ),
    ]
}
