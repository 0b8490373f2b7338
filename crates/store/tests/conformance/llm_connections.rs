//! LLM connections (`LlmConnectionStore`): the upsert on the provider name, the list, delete
//! (taking the default model with it), and tenancy.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{DefaultLlmModel, DefinitionKind, LlmConnection, LlmDefinition};

use super::org_and_project;

fn connection(project: &ProjectId, id: &str, provider: &str, at: i64) -> LlmConnection {
    LlmConnection {
        id: id.into(),
        project_id: project.clone(),
        provider: provider.into(),
        adapter: "openai".into(),
        secret_key: "iv:ct:tag".into(),
        display_secret_key: "...1234".into(),
        base_url: None,
        custom_models: vec!["my-model".into()],
        with_default_models: true,
        extra_headers: None,
        extra_header_keys: Vec::new(),
        config: None,
        created_at: at,
        updated_at: at,
    }
}

async fn connections_upsert_on_provider_and_delete(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let meta = store.metadata();

    let (created, is_new) = meta
        .upsert_llm_connection(&connection(&project, "c1", "openai", 10))
        .await
        .unwrap();
    assert!(is_new);
    assert_eq!(created.custom_models, ["my-model"]);
    let mut update = connection(&project, "c-ignored", "openai", 20);
    update.adapter = "azure".into();
    update.base_url = Some("https://x.openai.azure.com/openai".into());
    update.extra_headers = Some("a:b:c".into());
    update.extra_header_keys = vec!["X-Team".into()];
    update.config = Some(json!({"k": 1}));
    let (updated, is_new) = meta.upsert_llm_connection(&update).await.unwrap();
    assert!(!is_new);
    assert_eq!(updated.id, "c1", "the provider's connection keeps its id");
    assert_eq!(updated.created_at, 10);
    assert_eq!(updated.updated_at, 20);
    assert_eq!(updated.adapter, "azure");
    assert_eq!(updated.extra_header_keys, ["X-Team"]);
    assert_eq!(updated.config, Some(json!({"k": 1})));
    meta.upsert_llm_connection(&connection(&project, "c2", "anthropic", 30))
        .await
        .unwrap();
    meta.upsert_llm_connection(&connection(&other, "c3", "openai", 40))
        .await
        .unwrap();

    let (page, total) = meta.list_llm_connections(&project, 10, 0).await.unwrap();
    assert_eq!(total, 2);
    let ids: Vec<&str> = page.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c2", "c1"], "newest first");
    let (page, _) = meta.list_llm_connections(&project, 1, 1).await.unwrap();
    assert_eq!(page[0].id, "c1");
    assert!(meta.llm_connection(&other, "c1").await.unwrap().is_none());
    assert_eq!(
        meta.llm_connection_by_provider(&project, "anthropic")
            .await
            .unwrap()
            .unwrap()
            .id,
        "c2"
    );

    let default = DefaultLlmModel {
        connection_id: "c1".into(),
        model: "gpt-4.1".into(),
        model_params: json!({"temperature": 0}),
        updated_at: 50,
    };
    meta.set_default_llm_model(&project, Some(&default))
        .await
        .unwrap();
    assert_eq!(
        meta.default_llm_model(&project).await.unwrap(),
        Some(default)
    );
    assert!(
        meta.set_default_llm_model(
            &project,
            Some(&DefaultLlmModel {
                connection_id: "c3".into(),
                model: "x".into(),
                model_params: json!({}),
                updated_at: 1,
            })
        )
        .await
        .is_err(),
        "another project's connection cannot be the default"
    );
    assert!(meta.delete_llm_connection(&project, "c1").await.unwrap());
    assert!(!meta.delete_llm_connection(&project, "c1").await.unwrap());
    assert!(
        meta.default_llm_model(&project).await.unwrap().is_none(),
        "the default goes with its connection"
    );
    assert!(meta.llm_connection(&other, "c3").await.unwrap().is_some());
}

/// This file's tests, each run on SQLite and on PostgreSQL.
fn definition(project: &ProjectId, id: &str, name: &str, at: i64) -> LlmDefinition {
    LlmDefinition {
        project_id: project.clone(),
        id: id.into(),
        name: name.into(),
        description: format!("{name} at {at}"),
        schema: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        created_at: at,
        updated_at: at,
    }
}

async fn tools_and_schemas_are_saved_by_name(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let defs = store.metadata();
    defs.upsert_llm_definition(
        DefinitionKind::Tool,
        &definition(&project, "t1", "weather", 1),
    )
    .await
    .unwrap();
    defs.upsert_llm_definition(
        DefinitionKind::Tool,
        &definition(&project, "t2", "calendar", 2),
    )
    .await
    .unwrap();
    let again = defs
        .upsert_llm_definition(
            DefinitionKind::Tool,
            &definition(&project, "t9", "weather", 5),
        )
        .await
        .unwrap();
    assert_eq!(
        (again.id.as_str(), again.created_at, again.updated_at),
        ("t1", 1, 5)
    );
    assert_eq!(again.description, "weather at 5");
    defs.upsert_llm_definition(
        DefinitionKind::Schema,
        &definition(&project, "s1", "weather", 3),
    )
    .await
    .unwrap();
    let tools = defs
        .list_llm_definitions(&project, DefinitionKind::Tool)
        .await
        .unwrap();
    assert_eq!(
        tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["calendar", "weather"]
    );
    assert_eq!(tools[1].schema["properties"]["city"]["type"], "string");
    assert_eq!(
        defs.list_llm_definitions(&project, DefinitionKind::Schema)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        defs.list_llm_definitions(&other, DefinitionKind::Tool)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !defs
            .delete_llm_definition(&other, DefinitionKind::Tool, "weather")
            .await
            .unwrap()
    );
    assert!(
        defs.delete_llm_definition(&project, DefinitionKind::Tool, "weather")
            .await
            .unwrap()
    );
    assert_eq!(
        defs.list_llm_definitions(&project, DefinitionKind::Tool)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        defs.list_llm_definitions(&project, DefinitionKind::Schema)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "tools_and_schemas_are_saved_by_name",
            tools_and_schemas_are_saved_by_name,
        ),
        backend_test(
            "connections_upsert_on_provider_and_delete",
            connections_upsert_on_provider_and_delete,
        ),
    ]
}
