//! Batch exports from the tables: the Export form takes the table's filters, the job writes
//! CSV, JSON or JSONL with the API's row shapes, the settings page shows progress and the
//! download; bad requests are refused and write nothing; viewers and other organizations are
//! kept out.

use axum::http::StatusCode;
use serde_json::Value;
use sightline_domain::Role;
use sightline_server::services::exports;
use sightline_server::services::identity;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{BatchExport, ExportStatus};

use crate::support::{Browser, TestUi, project_url};
use crate::trace_fixtures::seed;

/// Posts the Export form of `table` with `query` and `format`; returns the status.
async fn export(
    browser: &mut Browser,
    project: &sightline_domain::ProjectId,
    table: &str,
    query: &str,
    format: &str,
) -> StatusCode {
    let page = browser
        .submit(
            &project_url(project, "/traces"),
            &project_url(project, "/exports"),
            &[("table", table), ("query", query), ("format", format)],
        )
        .await;
    page.status
}

/// Runs the queued export jobs as a worker would, and returns the project's exports.
async fn run_all(ui: &TestUi) -> Vec<BatchExport> {
    let project = ui.project().clone();
    let listed = ui
        .store()
        .metadata()
        .list_exports(&project, 100)
        .await
        .unwrap();
    for export in &listed {
        exports::run(ui.app(), &project, &export.id).await.unwrap();
    }
    ui.store()
        .metadata()
        .list_exports(&project, 100)
        .await
        .unwrap()
}

async fn tables_export_with_their_filters(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("mia@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut mia = ui.signed_in("mia@example.com").await;

    let table = mia.get(&project_url(&project, "/observations")).await;
    assert!(
        table.body.contains("class=\"inline export-form\""),
        "the Export form is on the table"
    );
    assert_eq!(
        export(
            &mut mia,
            &project,
            "observations",
            "type=ALL&range=7d",
            "CSV"
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        export(
            &mut mia,
            &project,
            "traces",
            "user_id=alice&range=7d",
            "JSON"
        )
        .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        export(&mut mia, &project, "scores", "range=30d", "JSONL").await,
        StatusCode::SEE_OTHER
    );
    let queued = mia.get(&project_url(&project, "/settings/exports")).await;
    assert!(
        queued.body.contains("QUEUED") && queued.body.contains("http-equiv=\"refresh\""),
        "queued exports show and the page reloads"
    );

    let finished = run_all(&ui).await;
    assert_eq!(finished.len(), 3);
    assert!(
        finished.iter().all(|e| e.status == ExportStatus::Completed),
        "{finished:?}"
    );
    let page = mia.get(&project_url(&project, "/settings/exports")).await;
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    let by_table = |name: &str| finished.iter().find(|e| e.table_name == name).unwrap();

    // Observations as CSV: the API's columns, every observation of the last 7 days.
    let observations = by_table("observations");
    assert_eq!(observations.rows_written, 4);
    let download = project_url(&project, &format!("/exports/{}/download", observations.id));
    assert!(page.body.contains(&download), "a download link per file");
    let file = mia.get(&download).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let mut reader = csv::Reader::from_reader(file.body.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for column in ["id", "traceId", "type", "name", "input", "output", "model"] {
        assert!(
            headers.iter().any(|h| h == column),
            "{column} in {headers:?}"
        );
    }
    let id_column = headers.iter().position(|h| h == "id").unwrap();
    let mut ids: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[id_column].to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["bad-1", "evt-1", "gen-1", "root"]);

    // Traces as JSON, filtered to alice's.
    let traces = mia
        .get(&project_url(
            &project,
            &format!("/exports/{}/download", by_table("traces").id),
        ))
        .await;
    let traces: Value = serde_json::from_str(&traces.body).unwrap();
    let traces = traces.as_array().unwrap();
    assert_eq!(traces.len(), 1, "only alice's trace");
    assert_eq!(traces[0]["id"], "t-chat");
    assert_eq!(traces[0]["userId"], "alice");

    // Scores as JSON Lines.
    let scores = mia
        .get(&project_url(
            &project,
            &format!("/exports/{}/download", by_table("scores").id),
        ))
        .await;
    let mut names: Vec<String> = scores
        .body
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["\"s1\"", "\"s2\""]);
}

async fn bad_exports_are_refused_and_write_nothing(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("mia@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut mia = ui.signed_in("mia@example.com").await;
    for (table, query, format) in [
        ("traces", "from=yesterday", "CSV"),
        ("traces", "level=LOUD", "CSV"),
        ("datasets", "", "CSV"),
        ("traces", "", "XLSX"),
    ] {
        assert_eq!(
            export(&mut mia, &project, table, query, format).await,
            StatusCode::BAD_REQUEST,
            "{table} {query} {format}"
        );
    }
    let mut vic = ui.signed_in("vic@example.com").await;
    assert_eq!(
        export(&mut vic, &project, "traces", "", "CSV").await,
        StatusCode::FORBIDDEN,
        "a viewer cannot export"
    );
    assert!(
        ui.store()
            .metadata()
            .list_exports(&project, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing was queued"
    );

    // A finished export is not another organization's to download.
    assert_eq!(
        export(&mut mia, &project, "traces", "", "CSV").await,
        StatusCode::SEE_OTHER
    );
    let finished = run_all(&ui).await;
    let download = project_url(&project, &format!("/exports/{}/download", finished[0].id));
    let other = identity::create_organization(ui.store(), None, "Other")
        .await
        .unwrap();
    ui.user("stranger@example.com", Some((&other.id, Role::Owner)))
        .await;
    let mut stranger = ui.signed_in("stranger@example.com").await;
    assert_eq!(stranger.get(&download).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        mia.get(&project_url(&project, "/exports/no-such-export/download"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Expired files are deleted by the daily prune; their links go.
    let later = sightline_domain::time::now_ms() + exports::KEEP_MS + 1;
    assert_eq!(exports::delete_expired(ui.app(), later).await.unwrap(), 1);
    let page = mia.get(&project_url(&project, "/settings/exports")).await;
    assert!(!page.body.contains(&download));
}

async fn dataset_items_export_from_the_dataset_page(db: TestDb) {
    use serde_json::json;
    use sightline_server::services::datasets::{self, DatasetInput, ItemInput};
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    let dataset = datasets::upsert_dataset(
        ui.store(),
        &project,
        DatasetInput {
            name: "qa".into(),
            ..DatasetInput::default()
        },
    )
    .await
    .unwrap();
    for (id, question, answer) in [("q-1", "2+2?", "4"), ("q-2", "Capital, France?", "Paris")] {
        datasets::upsert_item(
            ui.store(),
            &project,
            ItemInput {
                dataset_name: "qa".into(),
                id: Some(id.into()),
                input: Some(json!({ "question": question })),
                expected_output: Some(json!(answer)),
                metadata: Some(json!({ "topic": "quiz" })),
                ..ItemInput::default()
            },
        )
        .await
        .unwrap();
    }
    ui.user("mia@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut mia = ui.signed_in("mia@example.com").await;
    let page_url = project_url(&project, &format!("/datasets/{}", dataset.id));
    let page = mia.get(&page_url).await;
    assert!(
        page.body.contains("name=\"table\" value=\"dataset_items\"")
            && page
                .body
                .contains(&format!("value=\"datasetId={}\"", dataset.id)),
        "the dataset's items have an Export form"
    );
    let good = format!("datasetId={}", dataset.id);
    for (query, status) in [
        ("", StatusCode::BAD_REQUEST),
        ("datasetId=no-such-dataset", StatusCode::BAD_REQUEST),
        (good.as_str(), StatusCode::SEE_OTHER),
    ] {
        let fields = [
            ("table", "dataset_items"),
            ("query", query),
            ("format", "CSV"),
        ];
        let answer = mia
            .submit(&page_url, &project_url(&project, "/exports"), &fields)
            .await;
        assert_eq!(answer.status, status, "{query:?}");
    }

    let finished = run_all(&ui).await;
    assert_eq!(finished.len(), 1, "only the good request was queued");
    assert_eq!(finished[0].table_name, "dataset_items");
    assert_eq!(finished[0].status, ExportStatus::Completed);
    assert_eq!(finished[0].rows_written, 2);
    let file = mia
        .get(&project_url(
            &project,
            &format!("/exports/{}/download", finished[0].id),
        ))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(file.body.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[column("id")].to_owned(),
                r[column("input")].to_owned(),
                r[column("datasetName")].to_owned(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("q-1".into(), r#"{"question":"2+2?"}"#.into(), "qa".into()),
            (
                "q-2".into(),
                r#"{"question":"Capital, France?"}"#.into(),
                "qa".into()
            ),
        ]
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "dataset_items_export_from_the_dataset_page",
            dataset_items_export_from_the_dataset_page,
        ),
        backend_test(
            "tables_export_with_their_filters",
            tables_export_with_their_filters,
        ),
        backend_test(
            "bad_exports_are_refused_and_write_nothing",
            bad_exports_are_refused_and_write_nothing,
        ),
    ]
}
