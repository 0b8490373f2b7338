//! The dataset pages: a MEMBER creates a dataset with a schema, adds, edits, archives and
//! restores items (a schema failure is refused in the form, nothing saved); imports CSV and
//! JSON Lines with a column mapping, whole or not at all; compares two runs item by item (their
//! outputs, scores and traces); adds a trace and a generation to a dataset from the trace view;
//! the experiments list; a VIEWER reads but cannot change; another project's dataset is 404.

use axum::http::StatusCode;
use serde_json::json;
use sightline_domain::Role;
use sightline_server::services::datasets::{
    self as service, DatasetInput, ItemInput, RunItemInput,
};
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{DatasetItemQuery, DatasetItemStatus};

use crate::support::{Browser, TestUi, project_url};
use crate::trace_fixtures::{self, HOSTILE, assert_inert};

async fn member(ui: &TestUi, email: &str, role: Role) -> Browser {
    ui.user(email, Some((&ui.default_org, role))).await;
    ui.signed_in(email).await
}

async fn items_of(ui: &TestUi, dataset_id: &str) -> Vec<sightline_store::DatasetItem> {
    ui.store()
        .metadata()
        .list_dataset_items(
            ui.project(),
            &DatasetItemQuery {
                dataset_id: Some(dataset_id.into()),
                limit: 100,
                ..DatasetItemQuery::default()
            },
        )
        .await
        .unwrap()
        .0
}

async fn datasets_items_and_runs(db: TestDb) {
    let ui = TestUi::new(db).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let list = project_url(ui.project(), "/datasets");
    let page = ada.get(&list).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No datasets yet."));

    let bad = ada
        .submit(&list, &list, &[("name", "qa"), ("metadata", "{not json")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Metadata is not JSON"), "{}", bad.body);
    let created = ada
        .submit(
            &list,
            &list,
            &[
                ("name", "qa/regression"),
                ("description", "Questions we must answer"),
                ("metadata", r#"{"owner": "ada"}"#),
                (
                    "input_schema",
                    r#"{"type": "object", "required": ["question"]}"#,
                ),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let dataset_page = created.location().unwrap().to_owned();
    let dataset = ui
        .store()
        .metadata()
        .dataset_by_name(ui.project(), "qa/regression")
        .await
        .unwrap()
        .unwrap();
    assert!(dataset_page.ends_with(&dataset.id));
    let again = ada.submit(&list, &list, &[("name", "qa/regression")]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("exists already"));

    // Items: one that fits the schema, one that does not (refused, nothing saved).
    let items_url = format!("{dataset_page}/items");
    let added = ada
        .submit(
            &dataset_page,
            &items_url,
            &[
                ("input", r#"{"question": "What is 2+2?"}"#),
                ("expected_output", "4"),
                ("metadata", r#"{"topic": "math"}"#),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let refused = ada
        .submit(&dataset_page, &items_url, &[("input", "just text")])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("does not match the dataset"),
        "{}",
        refused.body
    );
    let items = items_of(&ui, &dataset.id).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.expected_output, Some(json!(4)));

    // Edit (a new version), archive, restore.
    let edit = ada.get(&format!("{dataset_page}?item={}", item.id)).await;
    assert!(edit.body.contains("Edit item"));
    assert!(edit.body.contains("What is 2+2?"));
    let edited = ada
        .submit(
            &dataset_page,
            &items_url,
            &[
                ("id", &item.id),
                ("input", r#"{"question": "What is 3+3?"}"#),
                ("expected_output", "6"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let status_url = format!("{dataset_page}/items/{}/status", item.id);
    ada.submit(&dataset_page, &status_url, &[]).await;
    assert_eq!(
        items_of(&ui, &dataset.id).await[0].status,
        DatasetItemStatus::Archived
    );
    ada.submit(&dataset_page, &status_url, &[]).await;
    let current = items_of(&ui, &dataset.id).await;
    assert_eq!(current[0].status, DatasetItemStatus::Active);
    assert_eq!(current[0].input, Some(json!({"question": "What is 3+3?"})));

    // Two runs over the item, with traces and scores, compared.
    trace_fixtures::seed(ui.store(), ui.project()).await;
    for (run, trace) in [("baseline", "t-chat"), ("candidate", "t-old")] {
        service::create_run_item(
            ui.store(),
            ui.project(),
            RunItemInput {
                run_name: run.into(),
                dataset_item_id: item.id.clone(),
                trace_id: Some(trace.into()),
                ..RunItemInput::default()
            },
        )
        .await
        .unwrap();
    }
    let page = ada.get(&dataset_page).await;
    assert!(page.body.contains("id=\"dataset-runs\""));
    assert!(
        page.body.contains("quality: 0.900"),
        "the baseline's average score"
    );
    assert!(page.body.contains("quality: 0.200"));
    let runs = ui
        .store()
        .metadata()
        .list_dataset_runs(ui.project(), &dataset.id, 10, 0)
        .await
        .unwrap()
        .0;
    let compare = ada
        .get(&format!(
            "{dataset_page}/compare?run={}&run={}",
            runs[1].id, runs[0].id
        ))
        .await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    assert!(compare.body.contains("id=\"run-comparison\""));
    assert!(
        compare.body.contains("Trace answer"),
        "the baseline's output"
    );
    assert!(compare.body.contains("/traces/t-chat"));
    assert!(compare.body.contains("/traces/t-old"));
    assert!(compare.body.contains("What is 3+3?"));
    let none = ada.get(&format!("{dataset_page}/compare")).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);

    // The experiments list names both runs with their dataset.
    let list_page = ada.get(&list).await;
    assert!(list_page.body.contains("id=\"experiments\""));
    assert!(list_page.body.contains("baseline") && list_page.body.contains("candidate"));

    // Renamed from its page; a name another dataset has is refused.
    let other = ada.submit(&list, &list, &[("name", "taken")]).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    let taken = ada
        .submit(&dataset_page, &dataset_page, &[("name", "taken")])
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("already exists"), "{}", taken.body);
    let renamed = ada
        .submit(
            &dataset_page,
            &dataset_page,
            &[("name", "qa/renamed"), ("description", "Renamed")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let stored = ui
        .store()
        .metadata()
        .dataset_by_id(ui.project(), &dataset.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "qa/renamed");
    assert_eq!(stored.description.as_deref(), Some("Renamed"));
    assert_eq!(
        stored.input_schema, None,
        "the edit form sent no schema, which clears it"
    );

    // Hostile names and values are inert.
    let hostile = ada
        .submit(
            &dataset_page,
            &items_url,
            &[
                ("input", &json!({"question": HOSTILE[0]}).to_string()),
                ("metadata", &json!({"x": HOSTILE[1]}).to_string()),
            ],
        )
        .await;
    assert_eq!(hostile.status, StatusCode::SEE_OTHER);
    assert_inert(&ada.get(&dataset_page).await.body);
}

async fn imports_are_whole_or_nothing(db: TestDb) {
    let ui = TestUi::new(db).await;
    let dataset = service::upsert_dataset(
        ui.store(),
        ui.project(),
        DatasetInput {
            name: "imports".into(),
            input_schema: Some(Some(json!({"type": "string", "minLength": 3}))),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let page = project_url(ui.project(), &format!("/datasets/{}", dataset.id));
    let import_url = format!("{page}/import");
    assert_eq!(ada.get(&import_url).await.status, StatusCode::OK);

    let csv =
        "question,answer,topic\nWhat is 2+2?,4,math\nCapital of France?,Paris,geo\nab,x,bad\n";
    let preview = ada
        .submit(
            &import_url,
            &import_url,
            &[("content", csv), ("format", "auto")],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Columns (3 rows)"));
    assert!(
        preview.body.contains("Row 3:"),
        "the short input is reported"
    );
    assert!(!preview.body.contains("id=\"confirm-import\""));
    // Forcing it anyway imports nothing.
    let forced = ada
        .submit(
            &import_url,
            &import_url,
            &[
                ("content", csv),
                ("map_0", "input"),
                ("map_1", "expected_output"),
                ("map_2", "metadata"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(forced.status, StatusCode::BAD_REQUEST);
    assert!(forced.body.contains("Nothing was imported: 1 of 3 rows"));
    assert!(items_of(&ui, &dataset.id).await.is_empty());

    let good = "question,answer,topic\nWhat is 2+2?,4,math\nCapital of France?,Paris,geo\n";
    let done = ada
        .submit(
            &import_url,
            &import_url,
            &[
                ("content", good),
                ("map_0", "input"),
                ("map_1", "expected_output"),
                ("map_2", "metadata"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let items = items_of(&ui, &dataset.id).await;
    assert_eq!(items.len(), 2);
    let paris = items
        .iter()
        .find(|i| i.expected_output == Some(json!("Paris")))
        .unwrap();
    assert_eq!(paris.input, Some(json!("Capital of France?")));
    assert_eq!(paris.metadata, Some(json!("geo")));

    // JSON Lines, two columns on the input make an object (which this schema refuses).
    let jsonl = "{\"q\": \"Why is the sky blue?\", \"lang\": \"en\"}\n{\"q\": \"Pourquoi?\", \"lang\": \"fr\"}\n";
    let mapped = ada
        .submit(
            &import_url,
            &import_url,
            &[
                ("content", jsonl),
                ("map_0", "input"),
                ("map_1", "metadata"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(mapped.status, StatusCode::SEE_OTHER, "{}", mapped.body);
    assert_eq!(items_of(&ui, &dataset.id).await.len(), 4);
    let objects = ada
        .submit(
            &import_url,
            &import_url,
            &[("content", jsonl), ("map_0", "input"), ("map_1", "input")],
        )
        .await;
    assert!(objects.body.contains("Row 1:") && objects.body.contains("Row 2:"));

    let unreadable = ada
        .submit(
            &import_url,
            &import_url,
            &[("content", "{\"a\": 1}\nnot json")],
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::BAD_REQUEST);
    assert!(unreadable.body.contains("Line 2 is not JSON"));
}

async fn traces_and_generations_are_added_from_the_trace_view(db: TestDb) {
    let ui = TestUi::new(db).await;
    trace_fixtures::seed(ui.store(), ui.project()).await;
    let dataset = service::upsert_dataset(
        ui.store(),
        ui.project(),
        DatasetInput {
            name: "from-traces".into(),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let trace_page = project_url(ui.project(), "/traces/t-chat");
    let page = ada.get(&trace_page).await;
    assert!(page.body.contains("Add to dataset"));
    let add = project_url(ui.project(), "/dataset-items/add");
    let added = ada
        .submit(
            &trace_page,
            &add,
            &[("dataset_id", &dataset.id), ("trace_id", "t-chat")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(added.location().unwrap().contains("?item="));
    let from_generation = ada
        .submit(
            &trace_page,
            &add,
            &[
                ("dataset_id", &dataset.id),
                ("trace_id", "t-chat"),
                ("observation_id", "gen-1"),
            ],
        )
        .await;
    assert_eq!(from_generation.status, StatusCode::SEE_OTHER);
    let items = items_of(&ui, &dataset.id).await;
    assert_eq!(items.len(), 2);
    let generation = items
        .iter()
        .find(|i| i.source_observation_id.as_deref() == Some("gen-1"))
        .unwrap();
    assert_eq!(
        generation.input,
        Some(json!([{"role": "user", "content": "What is 2+2?"}]))
    );
    assert_eq!(
        generation.expected_output,
        Some(json!({"role": "assistant", "content": "It is 4."}))
    );
    assert_eq!(generation.source_trace_id.as_deref(), Some("t-chat"));
    let trace_item = items
        .iter()
        .find(|i| i.source_observation_id.is_none())
        .unwrap();
    assert_eq!(trace_item.expected_output, Some(json!("Trace answer")));
    // The dataset page links each item to its source.
    let dataset_page = ada
        .get(&project_url(
            ui.project(),
            &format!("/datasets/{}", dataset.id),
        ))
        .await;
    assert!(
        dataset_page
            .body
            .contains("/traces/t-chat?observation=gen-1")
    );
    let missing = ada
        .submit(
            &trace_page,
            &add,
            &[("dataset_id", &dataset.id), ("trace_id", "nope")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn viewers_read_and_other_projects_see_nothing(db: TestDb) {
    let ui = TestUi::new(db).await;
    let dataset = service::upsert_dataset(
        ui.store(),
        ui.project(),
        DatasetInput {
            name: "shared".into(),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    service::upsert_item(
        ui.store(),
        ui.project(),
        ItemInput {
            dataset_name: "shared".into(),
            input: Some(json!("hello")),
            ..ItemInput::default()
        },
    )
    .await
    .unwrap();
    let mut vic = member(&ui, "vic@example.com", Role::Viewer).await;
    let list = project_url(ui.project(), "/datasets");
    let page_url = project_url(ui.project(), &format!("/datasets/{}", dataset.id));
    let page = vic.get(&page_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("hello"));
    assert!(!page.body.contains("id=\"dataset-item-form\""));
    assert!(!vic.get(&list).await.body.contains("id=\"new-dataset\""));
    let refused = vic.submit(&list, &list, &[("name", "mine")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        vic.get(&format!("{page_url}/import")).await.status,
        StatusCode::FORBIDDEN
    );

    // Another project's member gets 404 for this dataset under their own project.
    let org = sightline_server::services::identity::create_organization(ui.store(), None, "Other")
        .await
        .unwrap();
    let other =
        sightline_server::services::identity::create_project(ui.store(), &org.id, None, "p", None)
            .await
            .unwrap();
    let outsider = ui
        .user("out@example.com", Some((&org.id, Role::Owner)))
        .await;
    let _ = outsider;
    let mut out = ui.signed_in("out@example.com").await;
    let theirs = project_url(&other.id, &format!("/datasets/{}", dataset.id));
    assert_eq!(out.get(&theirs).await.status, StatusCode::NOT_FOUND);
}

async fn table_rows_are_added_to_datasets_and_deleted_in_bulk(db: TestDb) {
    let ui = TestUi::new(db).await;
    trace_fixtures::seed(ui.store(), ui.project()).await;
    let strict = service::upsert_dataset(
        ui.store(),
        ui.project(),
        DatasetInput {
            name: "strings-only".into(),
            input_schema: Some(Some(json!({"type": "string"}))),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    let open = service::upsert_dataset(
        ui.store(),
        ui.project(),
        DatasetInput {
            name: "anything".into(),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let traces = project_url(ui.project(), "/traces");
    let page = ada.get(&traces).await;
    assert!(page.body.contains("id=\"bulk-add-to-dataset\""));
    assert!(
        !page.body.contains("id=\"bulk-delete\""),
        "a MEMBER cannot delete traces"
    );
    let bulk = project_url(ui.project(), "/dataset-items/bulk");
    // t-chat's input is a list: the whole selection is refused by the string schema.
    let refused = ada
        .submit(
            &traces,
            &bulk,
            &[
                ("object_type", "TRACE"),
                ("dataset_id", &strict.id),
                ("object_id", "t-chat"),
                ("object_id", "t-hostile"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(items_of(&ui, &strict.id).await.is_empty());
    let added = ada
        .submit(
            &traces,
            &bulk,
            &[
                ("object_type", "TRACE"),
                ("dataset_id", &open.id),
                ("object_id", "t-chat"),
                ("object_id", "t-hostile"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let observations = ada
        .submit(
            &project_url(ui.project(), "/observations"),
            &bulk,
            &[
                ("object_type", "OBSERVATION"),
                ("dataset_id", &open.id),
                ("object_id", "gen-1"),
            ],
        )
        .await;
    assert_eq!(observations.status, StatusCode::SEE_OTHER);
    let items = items_of(&ui, &open.id).await;
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .any(|i| i.source_observation_id.as_deref() == Some("gen-1"))
    );

    // Deleting: ADMIN only.
    let delete = project_url(ui.project(), "/traces/delete");
    let forbidden = ada
        .submit(&traces, &delete, &[("object_id", "t-old")])
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let mut root = member(&ui, "root@example.com", Role::Admin).await;
    assert!(root.get(&traces).await.body.contains("id=\"bulk-delete\""));
    let deleted = root
        .submit(
            &traces,
            &delete,
            &[("object_id", "t-old"), ("object_id", "t-hostile")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let events = ui.store().events();
    assert!(events.trace(ui.project(), "t-old").await.unwrap().is_none());
    assert!(
        events
            .trace(ui.project(), "t-hostile")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        events
            .trace(ui.project(), "t-chat")
            .await
            .unwrap()
            .is_some()
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "table_rows_are_added_to_datasets_and_deleted_in_bulk",
            table_rows_are_added_to_datasets_and_deleted_in_bulk,
        ),
        backend_test("datasets_items_and_runs", datasets_items_and_runs),
        backend_test("imports_are_whole_or_nothing", imports_are_whole_or_nothing),
        backend_test(
            "traces_and_generations_are_added_from_the_trace_view",
            traces_and_generations_are_added_from_the_trace_view,
        ),
        backend_test(
            "viewers_read_and_other_projects_see_nothing",
            viewers_read_and_other_projects_see_nothing,
        ),
    ]
}
