//! Settings → Model prices: built-in models listed read-only; ADMIN adds, edits and deletes
//! project models (patterns validated); VIEWER and MEMBER see them but cannot change them.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_data::{HOSTILE, assert_inert};

async fn admins_manage_project_models(db: TestDb) {
    let ui = TestUi::new(db).await;
    let org = ui.default_org.clone();
    ui.user("admin@example.com", Some((&org, Role::Admin)))
        .await;
    ui.user("viewer@example.com", Some((&org, Role::Viewer)))
        .await;
    ui.user("member@example.com", Some((&org, Role::Member)))
        .await;
    let project = ui.project().clone();
    let models = project_url(&project, "/settings/models");

    let mut admin = ui.signed_in("admin@example.com").await;
    let page = admin.get(&models).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"model-form\""));
    assert!(page.body.contains("builtin-models"));
    assert!(page.body.contains("gpt-4o"), "built-in models listed");
    let settings = admin.get(&project_url(&project, "/settings")).await;
    assert!(settings.body.contains(&format!("href=\"{models}\"")), "tab");

    // Without the page's CSRF token nothing is stored.
    let page = admin
        .post(&models, &[("model_name", "forged"), ("input_price", "1")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // An invalid pattern is refused with the form kept.
    let page = admin
        .submit(
            &models,
            &models,
            &[
                ("model_name", "broken"),
                ("match_pattern", "(unclosed"),
                ("input_price", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("form-error"));
    assert!(page.body.contains("value=\"(unclosed\""));
    assert!(
        ui.store()
            .metadata()
            .project_models(&project)
            .await
            .unwrap()
            .is_empty()
    );

    let page = admin
        .submit(
            &models,
            &models,
            &[
                ("model_name", "my-model"),
                ("input_price", "2.5"),
                ("output_price", "10"),
                ("unit", "TOKENS"),
                ("tokenizer_id", "openai"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = ui
        .store()
        .metadata()
        .project_models(&project)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let model = &stored[0];
    assert_eq!(model.model_name, "my-model");
    assert_eq!(model.match_pattern, "(?i)^(my-model)$");
    assert_eq!(model.tokenizer_id.as_deref(), Some("openai"));
    let prices = &model.tiers[0].prices;
    assert_eq!(prices.get("input"), Some(&2.5e-6));
    assert_eq!(prices.get("output"), Some(&1e-5));
    let page = admin.get(&models).await;
    assert!(page.body.contains(">my-model<"));
    assert!(page.body.contains(">2.5<") && page.body.contains(">10<"));

    // Edit: the form comes prefilled and the save replaces the model.
    let edit = format!("{models}?edit={}", model.id);
    let page = admin.get(&edit).await;
    assert!(page.body.contains("value=\"2.5\""));
    let update = format!("{models}/{}", model.id);
    assert!(page.body.contains(&format!("action=\"{update}\"")));
    let page = admin
        .submit(
            &edit,
            &update,
            &[
                ("model_name", "my-model"),
                ("match_pattern", "(?i)^my-model(-.*)?$"),
                ("input_price", "3"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = ui
        .store()
        .metadata()
        .project_models(&project)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].match_pattern, "(?i)^my-model(-.*)?$");
    assert_eq!(stored[0].tiers[0].prices.get("input"), Some(&3e-6));
    assert_eq!(stored[0].tiers[0].prices.get("output"), None);
    let model_id = stored[0].id.clone();

    // VIEWER and MEMBER see the model, no form, and are refused.
    for email in ["viewer@example.com", "member@example.com"] {
        let mut browser = ui.signed_in(email).await;
        let page = browser.get(&models).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(">my-model<"));
        assert!(!page.body.contains("id=\"model-form\""));
        assert!(!page.body.contains("/delete\""));
        let page = browser
            .submit(
                &models,
                &models,
                &[("model_name", "sneaky"), ("input_price", "1")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{email}");
        let page = browser
            .submit(&models, &format!("{models}/{model_id}/delete"), &[])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{email}");
        let page = browser
            .submit(
                &models,
                &format!("{models}/{model_id}"),
                &[("model_name", "sneaky"), ("input_price", "1")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(
        ui.store()
            .metadata()
            .project_models(&project)
            .await
            .unwrap()
            .len(),
        1
    );

    // Hostile names render inert.
    let page = admin
        .submit(
            &models,
            &models,
            &[("model_name", HOSTILE[1]), ("total_price", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_inert(&admin.get(&models).await.body);

    // Built-in models cannot be deleted; project models can.
    let page = admin
        .submit(&models, &format!("{models}/{model_id}/delete"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let left = ui
        .store()
        .metadata()
        .project_models(&project)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, model_id);
    let page = admin
        .submit(&models, &format!("{models}/no-such-model/delete"), &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "admins_manage_project_models",
        admins_manage_project_models,
    )]
}
