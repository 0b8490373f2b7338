//! The prompt pages: a MEMBER creates a prompt and a second version, compares them, moves
//! `production` (and the API's fetch follows); bad config JSON, a composition reference to a
//! missing prompt and a variable named like a placeholder are refused in the form with nothing
//! saved; protected labels bind a MEMBER but not an ADMIN; folders, search, duplicate, the
//! dependency check on delete, escaping, and another project's prompts (404).

use axum::http::StatusCode;
use serde_json::json;
use sightline_domain::Role;
use sightline_domain::prompt::PromptType;
use sightline_server::services::identity;
use sightline_server::services::prompts::{self as service, CreatePrompt, PromptCache};
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{PromptSelector, Store};

use crate::support::{TestUi, project_url};

async fn create(store: &Store, project: &sightline_domain::ProjectId, name: &str, text: &str) {
    service::create_prompt(
        store,
        &PromptCache::default(),
        project,
        CreatePrompt {
            name: name.into(),
            prompt: json!(text),
            labels: vec!["production".into()],
            created_by: "API".into(),
            ..CreatePrompt::default()
        },
    )
    .await
    .unwrap();
}

async fn label_holder(store: &Store, project: &sightline_domain::ProjectId, name: &str) -> i64 {
    store
        .metadata()
        .prompt_version(project, name, &PromptSelector::Label("production".into()))
        .await
        .unwrap()
        .map_or(0, |version| version.version)
}

async fn members_create_versions_compare_and_move_labels(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let list = project_url(&project, "/prompts");
    let new = project_url(&project, "/prompts/new");

    let empty = ada.get(&list).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No prompts yet"), "{}", empty.body);

    let created = ada
        .submit(
            &new,
            &list,
            &[
                ("name", "support/greet"),
                ("type", "text"),
                ("text", "Hello {{name}}, how can I help?"),
                ("config", "{\"temperature\": 0.2}"),
                ("label", "production"),
                ("commit_message", "first draft"),
                ("tags", "support, v1"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page_url = project_url(&project, "/prompts/support%2Fgreet");
    assert_eq!(
        created.location(),
        Some(format!("{page_url}?version=1").as_str())
    );

    // A new version starts from the one shown; its name and type are fixed.
    let editor = ada
        .get(&format!("{new}?name=support%2Fgreet&version=1"))
        .await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(editor.body.contains("New version of support/greet"));
    assert!(editor.body.contains("Hello {{name}}, how can I help?"));
    let second = ada
        .submit(
            &new,
            &list,
            &[
                ("existing", "1"),
                ("name", "support/greet"),
                ("type", "text"),
                ("text", "Hi {{name}}!\nHow can I help?"),
                ("config", "{\"temperature\": 0.5}"),
                ("commit_message", "friendlier"),
                ("tags", "support, v1"),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    assert_eq!(label_holder(ui.store(), &project, "support/greet").await, 1);

    let page = ada.get(&page_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("data-version=\"1\""),
        "the page opens the production version"
    );
    assert!(page.body.contains("first draft") && page.body.contains("friendlier"));
    assert!(page.body.contains("ada@example.com"), "the author is shown");
    assert!(
        page.body.contains("<code>{{name}}</code>"),
        "variables are listed"
    );

    let diff = ada.get(&format!("{page_url}/diff?a=1&b=2")).await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(diff.body.contains("diff-changed"), "{}", diff.body);
    assert!(diff.body.contains("Hello {{name}}, how can I help?"));
    assert!(diff.body.contains("Hi {{name}}!"));
    assert!(
        diff.body.contains("&#34;temperature&#34;: 0.5"),
        "the configs are compared"
    );
    assert_eq!(
        ada.get(&format!("{page_url}/diff?a=1&b=9")).await.status,
        StatusCode::BAD_REQUEST
    );

    // Moving production to version 2: the API's fetch (through the shared cache) follows.
    let before = service::fetch_prompt(
        ui.store(),
        ui.prompt_cache(),
        &project,
        "support/greet",
        PromptSelector::Label("production".into()),
        true,
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&before).contains("\"version\":1"));
    let moved = ada
        .submit(
            &page_url,
            &format!("{page_url}/versions/2/labels"),
            &[("label", "production")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(label_holder(ui.store(), &project, "support/greet").await, 2);
    let after = service::fetch_prompt(
        ui.store(),
        ui.prompt_cache(),
        &project,
        "support/greet",
        PromptSelector::Label("production".into()),
        true,
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&after).contains("\"version\":2"));

    // A label is taken off again; `latest` cannot be.
    ada.submit(
        &page_url,
        &format!("{page_url}/versions/1/labels"),
        &[("label", "staging")],
    )
    .await;
    let removed = ada
        .submit(
            &page_url,
            &format!("{page_url}/versions/1/labels/remove"),
            &[("label", "staging")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let v1 = ui
        .store()
        .metadata()
        .prompt_version(&project, "support/greet", &PromptSelector::Version(1))
        .await
        .unwrap()
        .unwrap();
    assert!(v1.labels.is_empty(), "{:?}", v1.labels);
    let latest = ada
        .submit(
            &page_url,
            &format!("{page_url}/versions/2/labels/remove"),
            &[("label", "latest")],
        )
        .await;
    assert_eq!(latest.status, StatusCode::BAD_REQUEST);
    assert!(latest.body.contains("cannot be removed"));

    // A chat prompt with a placeholder.
    let chat = ada
        .submit(
            &new,
            &list,
            &[
                ("name", "assistant"),
                ("type", "chat"),
                ("role", "system"),
                ("content", "You answer as {{persona}}."),
                ("role", "placeholder"),
                ("content", "history"),
                ("role", "user"),
                ("content", ""),
                ("config", ""),
            ],
        )
        .await;
    assert_eq!(chat.status, StatusCode::SEE_OTHER, "{}", chat.body);
    let stored = ui
        .store()
        .metadata()
        .prompt_version(&project, "assistant", &PromptSelector::Version(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.r#type, PromptType::Chat);
    assert_eq!(
        stored.prompt,
        json!([
            {"role": "system", "content": "You answer as {{persona}}."},
            {"type": "placeholder", "name": "history"}
        ]),
        "the empty row is dropped"
    );
    let chat_page = ada.get(&project_url(&project, "/prompts/assistant")).await;
    assert!(chat_page.body.contains("placeholder-slot"));
    assert!(chat_page.body.contains("<code>history</code>"));
}

async fn bad_input_is_refused_and_nothing_saved(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let list = project_url(&project, "/prompts");
    let new = project_url(&project, "/prompts/new");
    create(ui.store(), &project, "base", "You are {{role}}.").await;

    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("name", "p"),
                ("type", "text"),
                ("text", "hi"),
                ("config", "{\"temperature\": "),
            ],
            "Config is not valid JSON",
        ),
        (
            &[
                ("name", "p"),
                ("type", "text"),
                ("text", "hi"),
                ("config", "[1, 2]"),
            ],
            "Config must be a JSON object",
        ),
        (
            &[
                ("name", "p"),
                ("type", "text"),
                (
                    "text",
                    "@@@langfusePrompt:name=missing|label=production@@@ and more",
                ),
            ],
            "missing",
        ),
        (
            &[
                ("name", "p"),
                ("type", "chat"),
                ("role", "user"),
                ("content", "{{history}}"),
                ("role", "placeholder"),
                ("content", "history"),
            ],
            "must be unique",
        ),
    ];
    for (fields, message) in cases {
        let refused = ada.submit(&new, &list, fields).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(refused.body.contains("form-error"), "{}", refused.body);
        assert!(
            refused.body.contains(message),
            "{message}: {}",
            refused.body
        );
        assert!(
            ui.store()
                .metadata()
                .prompt_versions(&project, "p")
                .await
                .unwrap()
                .is_empty(),
            "nothing saved for {message}"
        );
    }

    // The preview resolves a reference that exists and names one that does not.
    let preview_url = project_url(&project, "/prompts/preview");
    let resolved = ada
        .submit(
            &new,
            &preview_url,
            &[
                ("name", "p"),
                ("type", "text"),
                (
                    "text",
                    "@@@langfusePrompt:name=base|label=production@@@ Answer {{question}}.",
                ),
                ("config", "{}"),
            ],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK);
    assert!(
        resolved
            .body
            .contains("You are {{role}}. Answer {{question}}."),
        "{}",
        resolved.body
    );
    assert!(resolved.body.contains("<code>{{role}}</code>"));
    let missing = ada
        .submit(
            &new,
            &preview_url,
            &[
                ("name", "p"),
                ("type", "text"),
                ("text", "@@@langfusePrompt:name=nope|version=3@@@"),
                ("config", "{oops"),
            ],
        )
        .await;
    assert!(missing.body.contains("nope"), "{}", missing.body);
    assert!(missing.body.contains("Config is not valid JSON"));
}

async fn protected_labels_bind_members_not_admins(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    ui.user("adm@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    ui.user("vic@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let mut admin = ui.signed_in("adm@example.com").await;
    let mut vic = ui.signed_in("vic@example.com").await;
    let settings = project_url(&project, "/settings/protected-labels");
    let list = project_url(&project, "/prompts");
    let new = project_url(&project, "/prompts/new");

    assert_eq!(
        ada.submit(&list, &settings, &[("label", "production")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let protected = admin
        .submit(&settings, &settings, &[("label", "production")])
        .await;
    assert_eq!(
        protected.status,
        StatusCode::SEE_OTHER,
        "{}",
        protected.body
    );
    assert!(
        ada.get(&settings)
            .await
            .body
            .contains("data-label=\"production\"")
    );

    let refused = ada
        .submit(
            &new,
            &list,
            &[
                ("name", "greet"),
                ("type", "text"),
                ("text", "hi"),
                ("label", "production"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("protected label production"),
        "{}",
        refused.body
    );
    assert!(
        ui.store()
            .metadata()
            .prompt_versions(&project, "greet")
            .await
            .unwrap()
            .is_empty()
    );
    let created = ada
        .submit(
            &new,
            &list,
            &[("name", "greet"), ("type", "text"), ("text", "hi")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let page_url = project_url(&project, "/prompts/greet");
    let add = format!("{page_url}/versions/1/labels");
    assert_eq!(
        ada.submit(&page_url, &add, &[("label", "production")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(label_holder(ui.store(), &project, "greet").await, 0);
    assert_eq!(
        admin
            .submit(&page_url, &add, &[("label", "production")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(label_holder(ui.store(), &project, "greet").await, 1);
    let page = ada.get(&page_url).await;
    assert!(
        !page.body.contains("Remove label production"),
        "a member gets no remove button on a protected label"
    );
    for (action, fields) in [
        (
            format!("{page_url}/versions/1/labels/remove"),
            vec![("label", "production")],
        ),
        (format!("{page_url}/versions/1/delete"), vec![]),
        (format!("{page_url}/delete"), vec![("confirm", "greet")]),
    ] {
        let refused = ada.submit(&page_url, &action, &fields).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{action}");
        assert!(refused.body.contains("protected"), "{action}");
    }
    assert_eq!(label_holder(ui.store(), &project, "greet").await, 1);

    // A viewer reads but changes nothing.
    assert_eq!(vic.get(&page_url).await.status, StatusCode::OK);
    assert_eq!(vic.get(&new).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        vic.submit(
            &page_url,
            &list,
            &[("name", "x"), ("type", "text"), ("text", "hi")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    let unprotected = admin
        .submit(
            &settings,
            &settings,
            &[("label", "production"), ("remove", "1")],
        )
        .await;
    assert_eq!(unprotected.status, StatusCode::SEE_OTHER);
    assert!(
        ui.store()
            .metadata()
            .protected_prompt_labels(&project)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn folders_search_duplicate_delete_and_isolation(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut ada = ui.signed_in("ada@example.com").await;
    let store = ui.store();
    create(store, &project, "support/faq/en", "FAQ").await;
    create(
        store,
        &project,
        "support/greet",
        "<script>alert(1)</script>",
    )
    .await;
    create(store, &project, "base", "Base").await;
    create(
        store,
        &project,
        "composite",
        "@@@langfusePrompt:name=base|label=production@@@ plus",
    )
    .await;
    let list = project_url(&project, "/prompts");

    let root = ada.get(&list).await;
    assert!(root.body.contains("support/</a>"), "{}", root.body);
    assert!(!root.body.contains(">greet</a>"));
    let folder = ada.get(&format!("{list}?folder=support")).await;
    assert!(folder.body.contains("faq/</a>") && folder.body.contains(">greet</a>"));
    let found = ada.get(&format!("{list}?q=GREET")).await;
    assert!(found.body.contains(">support/greet</a>"));
    assert!(!found.body.contains(">base</a>"));

    let greet = project_url(&project, "/prompts/support%2Fgreet");
    let page = ada.get(&greet).await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(!page.body.contains("<script>alert(1)"));
    let composite = ada.get(&project_url(&project, "/prompts/composite")).await;
    assert!(
        composite.body.contains("Base plus"),
        "the resolved content is shown"
    );

    let copied = ada
        .submit(
            &greet,
            &format!("{greet}/duplicate"),
            &[("new_name", "greet-copy"), ("version", "1")],
        )
        .await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER, "{}", copied.body);
    let copy = store
        .metadata()
        .prompt_version(&project, "greet-copy", &PromptSelector::Version(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.prompt, json!("<script>alert(1)</script>"));
    let taken = ada
        .submit(
            &greet,
            &format!("{greet}/duplicate"),
            &[("new_name", "base")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);

    // The dependency check of the API: base cannot go while composite refers to it.
    let base = project_url(&project, "/prompts/base");
    let blocked = ada
        .submit(&base, &format!("{base}/delete"), &[("confirm", "base")])
        .await;
    assert_eq!(blocked.status, StatusCode::BAD_REQUEST);
    assert!(blocked.body.contains("composite"), "{}", blocked.body);
    let unconfirmed = ada
        .submit(&base, &format!("{base}/delete"), &[("confirm", "bas")])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let composite_url = project_url(&project, "/prompts/composite");
    let gone = ada
        .submit(
            &composite_url,
            &format!("{composite_url}/versions/1/delete"),
            &[],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(gone.location(), Some(list.as_str()));
    let deleted = ada
        .submit(&base, &format!("{base}/delete"), &[("confirm", "base")])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(ada.get(&base).await.status, StatusCode::NOT_FOUND);

    // Another organization's project: its prompts are 404.
    let other = identity::create_organization(store, None, "Other Org")
        .await
        .unwrap();
    let secret = identity::create_project(store, &other.id, None, "Secret", None)
        .await
        .unwrap();
    create(store, &secret.id, "hidden", "secret text").await;
    for path in [
        "/prompts",
        "/prompts/hidden",
        "/prompts/hidden/diff",
        "/prompts/new",
    ] {
        let page = ada.get(&project_url(&secret.id, path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("secret text"));
    }
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "members_create_versions_compare_and_move_labels",
            members_create_versions_compare_and_move_labels,
        ),
        backend_test(
            "bad_input_is_refused_and_nothing_saved",
            bad_input_is_refused_and_nothing_saved,
        ),
        backend_test(
            "protected_labels_bind_members_not_admins",
            protected_labels_bind_members_not_admins,
        ),
        backend_test(
            "folders_search_duplicate_delete_and_isolation",
            folders_search_duplicate_delete_and_isolation,
        ),
    ]
}
