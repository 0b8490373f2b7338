//! Datasets, item versions, runs, run items and the experiment links ingestion writes, on both
//! backends.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_store::testing::TestDb;
use sightline_store::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem,
    ExperimentLink, IngestionRules, IngestionWrite, LoggedEvent, Store, StoreError, backend_tests,
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
    let store = db.store.as_ref();
    let (_, project) = org_and_project(store).await;
    let first = store
        .upsert_dataset(&dataset(&project, "d1", "qa", 1_000))
        .await
        .unwrap();
    assert_eq!(first.input_schema, Some(json!({"type": "string"})));
    let mut update = dataset(&project, "ignored", "qa", 2_000);
    update.description = None;
    let second = store.upsert_dataset(&update).await.unwrap();
    assert_eq!((second.id.as_str(), second.created_at), ("d1", 1_000));
    assert_eq!((second.description, second.updated_at), (None, 2_000));
    store
        .upsert_dataset(&dataset(&project, "d2", "other", 3_000))
        .await
        .unwrap();
    let (page, total) = store.list_datasets(&project, 1, 0).await.unwrap();
    assert_eq!((page[0].id.as_str(), total), ("d2", 2));
    assert!(
        store
            .dataset_by_name(&project, "nope")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
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
    store: &dyn Store,
    project: &ProjectId,
    at: Option<i64>,
) -> (Option<serde_json::Value>, u64) {
    let (items, total) = store
        .list_dataset_items(project, &items_of("d1", at))
        .await
        .unwrap();
    (items.first().and_then(|item| item.input.clone()), total)
}

async fn items_keep_their_versions(db: TestDb) {
    let store = db.store.as_ref();
    let (_, project) = org_and_project(store).await;
    store
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    store
        .upsert_dataset(&dataset(&project, "d2", "other", 0))
        .await
        .unwrap();

    let v1 = store
        .put_dataset_item(&item(&project, "i1", "d1", "one", 1_000))
        .await
        .unwrap();
    assert_eq!((v1.dataset_name.as_str(), v1.updated_at), ("qa", 1_000));
    let v2 = store
        .put_dataset_item(&item(&project, "i1", "d1", "two", 2_000))
        .await
        .unwrap();
    assert_eq!((v2.created_at, v2.updated_at), (1_000, 2_000));
    // A write in the same millisecond still makes a later version.
    let v3 = store
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
        .put_dataset_item(&item(&project, "i1", "d2", "x", 3_000))
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::Conflict(_))),
        "{elsewhere:?}"
    );

    let mut archived = item(&project, "i2", "d1", "a", 3_000);
    archived.status = DatasetItemStatus::Archived;
    store.put_dataset_item(&archived).await.unwrap();
    let active = DatasetItemQuery {
        active_only: true,
        ..items_of("d1", None)
    };
    assert_eq!(
        store.list_dataset_items(&project, &active).await.unwrap().1,
        1
    );
    assert_eq!(
        store
            .list_dataset_items(&project, &items_of("d1", None))
            .await
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        store
            .active_dataset_item_ids(&project, &["d1".into()])
            .await
            .unwrap(),
        vec![("d1".to_owned(), "i1".to_owned())]
    );

    assert!(store.delete_dataset_item(&project, "i1").await.unwrap());
    assert!(!store.delete_dataset_item(&project, "i1").await.unwrap());
    assert!(store.dataset_item(&project, "i1").await.unwrap().is_none());
    assert_eq!(
        input_at(store, &project, Some(2_500)).await.0,
        Some(json!("three")),
        "history stays"
    );
    // Deleted ids may be used again, in any dataset.
    store
        .put_dataset_item(&item(&project, "i1", "d2", "new", 9_000))
        .await
        .unwrap();
    let (_, other_project) = org_and_project(store).await;
    assert!(
        store
            .dataset_item(&other_project, "i2")
            .await
            .unwrap()
            .is_none()
    );
}

async fn runs_are_created_once_per_name(db: TestDb) {
    let store = db.store.as_ref();
    let (_, project) = org_and_project(store).await;
    store
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    let first = store
        .create_or_get_dataset_run(&run(&project, "r1", Some("d1"), "base"))
        .await
        .unwrap();
    assert_eq!(first.dataset_name.as_deref(), Some("qa"));
    let again = store
        .create_or_get_dataset_run(&run(&project, "r2", Some("d1"), "base"))
        .await
        .unwrap();
    assert_eq!(
        (again.id.as_str(), again.description.as_deref()),
        ("r1", Some("r1 description"))
    );
    let taken = store
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
        .insert_dataset_run_item(&run_item("ri-1", "t-1", 1))
        .await
        .unwrap();
    assert_eq!(
        (first.id.as_str(), first.run_name.as_str()),
        ("ri-1", "base")
    );
    store
        .insert_dataset_run_item(&run_item("ri-2", "t-2", 2))
        .await
        .unwrap();
    // The same item and trace again: the stored run item.
    let again = store
        .insert_dataset_run_item(&run_item("ri-3", "t-1", 3))
        .await
        .unwrap();
    assert_eq!((again.id.as_str(), again.created_at), ("ri-1", 1));
    let reused_id = store
        .insert_dataset_run_item(&run_item("ri-1", "t-4", 4))
        .await;
    assert!(
        matches!(reused_id, Err(StoreError::Conflict(_))),
        "{reused_id:?}"
    );
    let (items, total) = store
        .list_dataset_run_items(&project, "r1", None, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        (items[0].id.as_str(), items[0].run_name.as_str()),
        ("ri-2", "base")
    );
    let (runs, count) = store
        .list_dataset_runs(&project, "d1", 10, 0)
        .await
        .unwrap();
    assert_eq!((runs.len(), count), (1, 1));
    assert_eq!(
        store
            .dataset_run_names(&project, &["d1".into()])
            .await
            .unwrap(),
        vec![("d1".to_owned(), "base".to_owned())]
    );
    assert!(store.delete_dataset_run(&project, "r1").await.unwrap());
    assert!(
        store
            .dataset_run(&project, "d1", "base")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .list_dataset_run_items(&project, "r1", None, 0)
            .await
            .unwrap()
            .1,
        0
    );
}

struct NoRules;

impl IngestionRules for NoRules {
    fn fold_trace(&self, _: &[LoggedEvent]) -> Option<sightline_domain::ingest::TraceRow> {
        None
    }
    fn fold_observation(
        &self,
        _: &[LoggedEvent],
    ) -> Option<sightline_domain::ingest::ObservationRow> {
        None
    }
    fn enrich(&self, _: &ProjectId, _: &mut sightline_domain::ingest::ObservationRow) {}
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

async fn ingestion_writes_experiment_runs(db: TestDb) {
    let store: &dyn Store = db.store.as_ref();
    let (_, project) = org_and_project(store).await;
    store
        .upsert_dataset(&dataset(&project, "d1", "qa", 0))
        .await
        .unwrap();
    store
        .create_or_get_dataset_run(&run(&project, "api-run", Some("d1"), "existing"))
        .await
        .unwrap();
    let mut write = IngestionWrite::new(project.clone());
    write.experiments = vec![
        link("exp-1", "baseline", Some("d1"), "i1", "t1"),
        link("exp-1", "baseline", Some("d1"), "i2", "t2"),
        link("exp-2", "existing", Some("d1"), "i1", "t3"),
        link("exp-3", "local", Some("not-a-dataset"), "hash", "t4"),
    ];
    store
        .write_ingestion(&[write.clone()], &NoRules)
        .await
        .unwrap();
    store.write_ingestion(&[write], &NoRules).await.unwrap();

    let baseline = store
        .dataset_run(&project, "d1", "baseline")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (baseline.id.as_str(), baseline.metadata.clone()),
        ("exp-1", Some(json!({"model": "m"})))
    );
    let (items, total) = store
        .list_dataset_run_items(&project, "exp-1", None, 0)
        .await
        .unwrap();
    assert_eq!(total, 2, "written once");
    assert_eq!(items[0].expected_output, Some(json!("expected")));
    let (existing, _) = store
        .list_dataset_run_items(&project, "api-run", None, 0)
        .await
        .unwrap();
    assert_eq!(
        existing.len(),
        1,
        "a dataset's run of the same name is reused"
    );
    let (local, _) = store
        .list_dataset_run_items(&project, "exp-3", None, 0)
        .await
        .unwrap();
    assert_eq!(local.len(), 1, "unknown datasets make local experiments");
    assert_eq!(
        store
            .list_dataset_runs(&project, "d1", 10, 0)
            .await
            .unwrap()
            .1,
        2
    );
}

backend_tests!(
    datasets_upsert_by_name,
    items_keep_their_versions,
    runs_are_created_once_per_name,
    ingestion_writes_experiment_runs,
);
