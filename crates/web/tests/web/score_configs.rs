//! Score configs in the project settings: numeric, categorical and boolean configs created by a
//! MEMBER with the API's rules (a bad range is refused in the form, nothing saved), archived and
//! restored; a VIEWER reads them but cannot change them.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};

async fn members_create_and_archive_score_configs(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let page = project_url(&project, "/settings/score-configs");

    let created = ada
        .submit(
            &page,
            &page,
            &[
                ("name", "accuracy"),
                ("data_type", "NUMERIC"),
                ("min_value", "0"),
                ("max_value", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    ada.submit(
        &page,
        &page,
        &[
            ("name", "tone"),
            ("data_type", "CATEGORICAL"),
            ("categories", "friendly\nrude=-1"),
        ],
    )
    .await;
    ada.submit(
        &page,
        &page,
        &[("name", "helpful"), ("data_type", "BOOLEAN")],
    )
    .await;
    let refused = ada
        .submit(
            &page,
            &page,
            &[
                ("name", "broken"),
                ("data_type", "NUMERIC"),
                ("min_value", "5"),
                ("max_value", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("must not be greater than maxValue"),
        "{}",
        refused.body
    );
    let empty = ada
        .submit(
            &page,
            &page,
            &[("name", "empty"), ("data_type", "CATEGORICAL")],
        )
        .await;
    assert!(
        empty.body.contains("at least one category"),
        "{}",
        empty.body
    );

    let (configs, total) = ui
        .store()
        .metadata()
        .list_score_configs(&project, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 3, "nothing of the refused ones was saved");
    let tone = configs.iter().find(|c| c.name == "tone").unwrap();
    let categories: Vec<(String, f64)> = tone
        .categories
        .iter()
        .flatten()
        .map(|c| (c.label.clone(), c.value))
        .collect();
    assert_eq!(
        categories,
        [("friendly".into(), 0.0), ("rude".into(), -1.0)]
    );
    let list = ada.get(&page).await;
    assert!(list.body.contains("0 to 1"));
    assert!(list.body.contains("True (1), False (0)"));

    // Archive and restore.
    let accuracy = configs.iter().find(|c| c.name == "accuracy").unwrap();
    let archive = format!("{page}/{}/archive", accuracy.id);
    assert_eq!(
        ada.submit(&page, &archive, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let archived = ui
        .store()
        .metadata()
        .score_configs_by_id(&project, std::slice::from_ref(&accuracy.id))
        .await
        .unwrap();
    assert!(archived[0].is_archived);
    ada.submit(&page, &archive, &[]).await;
    let restored = ui
        .store()
        .metadata()
        .score_configs_by_id(&project, std::slice::from_ref(&accuracy.id))
        .await
        .unwrap();
    assert!(!restored[0].is_archived);

    // A VIEWER reads, but is refused a change.
    let mut vic = ui.signed_in("vic@example.com").await;
    let read = vic.get(&page).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.body.contains("id=\"new-score-config\""));
    let forbidden = vic
        .submit(
            &page,
            &page,
            &[("name", "sneaky"), ("data_type", "BOOLEAN")],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "members_create_and_archive_score_configs",
        members_create_and_archive_score_configs,
    )]
}
