//! LLM connections in the project settings: an ADMIN saves a connection only after a test call
//! to the (fake) provider succeeds; keys and header values never appear in a page; an empty key
//! on edit keeps the stored one; private base URLs are refused; the default evaluation model;
//! delete; and a MEMBER cannot open the page.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_domain::secret::Cipher;
use sightline_llm::fake::FakeProvider;
use sightline_llm::{Adapter, Client, HostPolicy};
use sightline_server::services::llm_connections::LlmSettings;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};

const KEY: &str = "sk-fake-secret-key-5678";

fn settings() -> LlmSettings {
    LlmSettings {
        cipher: Some(Cipher::new(&[3; 32])),
        client: Client::new(HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)])),
    }
}

async fn admins_save_tested_connections_without_ever_seeing_keys(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let fake = FakeProvider::start(KEY).await;
    let project = ui.project().clone();
    ui.user("root@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    let mut admin = ui.signed_in("root@example.com").await;
    let page_url = project_url(&project, "/settings/llm-connections");
    let page = admin.get(&page_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No LLM connections yet."));
    let base_url = fake.base_url(Adapter::OpenAi);

    // A wrong key fails the test call: nothing is saved, the form keeps what was typed.
    let failed = admin
        .submit(
            &page_url,
            &page_url,
            &[
                ("adapter", "openai"),
                ("provider", "gateway"),
                ("secret_key", "sk-wrong"),
                ("base_url", &base_url),
                ("custom_models", "fake-model"),
                ("headers", "x-team: header-secret-value"),
            ],
        )
        .await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    assert!(
        failed
            .body
            .contains("The connection test failed: the provider answered 401"),
        "{}",
        failed.body
    );
    assert!(!failed.body.contains("sk-wrong"), "the key is not echoed");
    assert!(failed.body.contains("No LLM connections yet."));

    let saved = admin
        .submit(
            &page_url,
            &page_url,
            &[
                ("adapter", "openai"),
                ("provider", "gateway"),
                ("secret_key", KEY),
                ("base_url", &base_url),
                ("custom_models", "fake-model"),
                ("headers", "x-team: header-secret-value"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(
        saved
            .body
            .contains("Connection &#39;gateway&#39; tested and created."),
        "{}",
        saved.body
    );
    // The test call: one user message to the first offered model, with the key and headers.
    let test_call = fake.requests().pop().unwrap();
    assert_eq!(test_call.body["model"], "fake-model");
    assert_eq!(test_call.body["messages"][0]["content"], "How are you?");
    assert_eq!(
        test_call.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(test_call.header("x-team"), Some("header-secret-value"));
    for page in [&saved.body, &admin.get(&page_url).await.body] {
        assert!(!page.contains(KEY) && !page.contains("header-secret-value"));
        assert!(page.contains("...5678"), "the masked key is shown");
        assert!(page.contains("x-team"), "header names are shown");
    }

    // Edit: an empty key and an empty header value keep the stored ones.
    let connection = ui
        .store()
        .metadata()
        .llm_connection_by_provider(&project, "gateway")
        .await
        .unwrap()
        .unwrap();
    let edit_url = format!("{page_url}?edit={}", connection.id);
    let edit = admin.get(&edit_url).await;
    assert!(edit.body.contains("Edit 'gateway'"));
    assert!(!edit.body.contains(KEY));
    let edited = admin
        .submit(
            &edit_url,
            &page_url,
            &[
                ("editing", "1"),
                ("adapter", "openai"),
                ("provider", "gateway"),
                ("secret_key", ""),
                ("base_url", &base_url),
                ("custom_models", "fake-model\nfake-model-2"),
                ("headers", "x-team: "),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert!(edited.body.contains("tested and updated"));
    let call = fake.requests().pop().unwrap();
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(call.header("x-team"), Some("header-secret-value"));
    let stored = ui
        .store()
        .metadata()
        .llm_connection(&project, &connection.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.custom_models, ["fake-model", "fake-model-2"]);
    assert_eq!(stored.created_at, connection.created_at);

    // The default evaluation model must be one the connection offers.
    let default_url = format!("{page_url}/default-model");
    let refused = admin
        .submit(
            &page_url,
            &default_url,
            &[("provider", "gateway"), ("model", "gpt-4o")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("is not offered by"));
    let set = admin
        .submit(
            &page_url,
            &default_url,
            &[("provider", "gateway"), ("model", "fake-model-2")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let default = ui
        .store()
        .metadata()
        .default_llm_model(&project)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(default.model, "fake-model-2");
    assert_eq!(default.connection_id, connection.id);

    // A private base URL is refused although the key would work.
    let blocked = admin
        .submit(
            &page_url,
            &page_url,
            &[
                ("adapter", "openai"),
                ("provider", "metadata"),
                ("secret_key", KEY),
                ("base_url", "http://169.254.169.254/v1"),
                ("custom_models", "m"),
            ],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::BAD_REQUEST);
    assert!(blocked.body.contains("Invalid baseURL"), "{}", blocked.body);

    // Delete: the connection and the default model that used it are gone.
    let deleted = admin
        .submit(
            &page_url,
            &format!("{page_url}/{}/delete", connection.id),
            &[],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get(&page_url)
            .await
            .body
            .contains("No LLM connections yet.")
    );
    assert!(
        ui.store()
            .metadata()
            .default_llm_model(&project)
            .await
            .unwrap()
            .is_none()
    );
}

async fn members_cannot_manage_connections(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let project = ui.project().clone();
    ui.user("ada@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut member = ui.signed_in("ada@example.com").await;
    let page_url = project_url(&project, "/settings/llm-connections");
    assert_eq!(member.get(&page_url).await.status, StatusCode::FORBIDDEN);
}

async fn without_an_encryption_key_the_page_says_so(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("root@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    let mut admin = ui.signed_in("root@example.com").await;
    let page_url = project_url(&project, "/settings/llm-connections");
    let page = admin.get(&page_url).await;
    assert!(page.body.contains("id=\"no-encryption-key\""));
    let refused = admin
        .submit(
            &page_url,
            &page_url,
            &[
                ("adapter", "openai"),
                ("provider", "p"),
                ("secret_key", "k"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("Missing environment variable: `ENCRYPTION_KEY`")
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "admins_save_tested_connections_without_ever_seeing_keys",
            admins_save_tested_connections_without_ever_seeing_keys,
        ),
        backend_test(
            "members_cannot_manage_connections",
            members_cannot_manage_connections,
        ),
        backend_test(
            "without_an_encryption_key_the_page_says_so",
            without_an_encryption_key_the_page_says_so,
        ),
    ]
}
