//! Prompt versions, labels, tags, deletes, protected labels, the change counter and usage of
//! linked generations, on both backends.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sightline_domain::ProjectId;
use sightline_domain::ingest::{
    Level, ObservationRow, ObservationType, ScoreDataType, ScorePatch, ScoreSource,
};
use sightline_domain::prompt::PromptType;
use sightline_store::testing::{BackendTest, backend_test};
use sightline_store::testing::{TestDb, put_rows};
use sightline_store::{
    EventRows, NewPromptVersion, PromptListQuery, PromptSelector, PromptVersion, Store, StoreError,
};

use super::org_and_project;

fn text(
    project: &ProjectId,
    name: &str,
    labels: &[&str],
    tags: Option<&[&str]>,
) -> NewPromptVersion {
    NewPromptVersion {
        id: uuid_like(),
        project_id: project.clone(),
        name: name.into(),
        r#type: PromptType::Text,
        prompt: json!(format!("Hello {{{{name}}}} from {name}")),
        config: json!({"temperature": 0.2}),
        labels: labels.iter().map(|label| label.to_string()).collect(),
        tags: tags.map(|tags| tags.iter().map(|tag| tag.to_string()).collect()),
        commit_message: Some("first".into()),
        created_by: "API".into(),
        created_at: sightline_domain::time::now_ms(),
    }
}

fn uuid_like() -> String {
    sightline_domain::ProjectId::generate().to_string()
}

async fn version(store: &Store, project: &ProjectId, name: &str, v: i64) -> PromptVersion {
    store
        .metadata()
        .prompt_version(project, name, &PromptSelector::Version(v))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} v{v} exists"))
}

async fn prompt_versions_move_latest_labels_and_tags(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        0
    );

    let v1 = store
        .metadata()
        .create_prompt_version(&text(&project, "greet", &["production"], Some(&["a"])))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.labels, ["production", "latest"]);
    assert_eq!(v1.tags, ["a"]);
    assert_eq!(v1.config, json!({"temperature": 0.2}));
    assert_eq!(v1.commit_message.as_deref(), Some("first"));

    let v2 = store
        .metadata()
        .create_prompt_version(&text(&project, "greet", &[], None))
        .await
        .unwrap();
    assert_eq!(
        (v2.version, v2.labels.clone(), v2.tags.clone()),
        (2, vec!["latest".to_owned()], vec!["a".to_owned()])
    );
    assert_eq!(
        version(store, &project, "greet", 1).await.labels,
        ["production"]
    );

    let v3 = store
        .metadata()
        .create_prompt_version(&text(
            &project,
            "greet",
            &["production", "staging"],
            Some(&["b", "b"]),
        ))
        .await
        .unwrap();
    assert_eq!(v3.labels, ["production", "staging", "latest"]);
    for v in 1..=3 {
        assert_eq!(
            version(store, &project, "greet", v).await.tags,
            ["b"],
            "tags on v{v}"
        );
    }
    assert!(version(store, &project, "greet", 1).await.labels.is_empty());
    let production = store
        .metadata()
        .prompt_version(
            &project,
            "greet",
            &PromptSelector::Label("production".into()),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(production.version, 3);
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        3
    );

    let mut chat = text(&project, "greet", &[], None);
    chat.r#type = PromptType::Chat;
    chat.prompt = json!([{"role": "user", "content": "hi"}]);
    assert!(matches!(
        store.metadata().create_prompt_version(&chat).await,
        Err(StoreError::Conflict(message)) if message.contains("different prompt type")
    ));
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        3,
        "a refused write counts nothing"
    );

    let moved = store
        .metadata()
        .add_prompt_labels(
            &project,
            "greet",
            1,
            &["staging".into(), "production".into()],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.labels, ["staging", "production"]);
    assert_eq!(
        version(store, &project, "greet", 3).await.labels,
        ["latest"]
    );
    let kept = store
        .metadata()
        .add_prompt_labels(&project, "greet", 1, &["qa".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.labels,
        ["qa", "staging", "production"],
        "labels are added, not replaced"
    );
    assert!(
        store
            .metadata()
            .add_prompt_labels(&project, "greet", 9, &["qa".into()])
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        5
    );

    // Removing takes labels off one version; `latest` is never removed, and a label the
    // version does not hold changes nothing.
    let removed = store
        .metadata()
        .remove_prompt_labels(&project, "greet", 1, &["staging".into(), "nope".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(removed.labels, ["qa", "production"]);
    let latest = store
        .metadata()
        .remove_prompt_labels(&project, "greet", 3, &["latest".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.labels, ["latest"]);
    assert!(
        store
            .metadata()
            .remove_prompt_labels(&project, "greet", 9, &["qa".into()])
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        6,
        "only the removal that changed something counts"
    );
    store
        .metadata()
        .add_prompt_labels(&project, "greet", 1, &["staging".into()])
        .await
        .unwrap();

    // Deleting the version with `latest` puts it on the highest remaining version.
    assert_eq!(
        store
            .metadata()
            .delete_prompts(&project, "greet", Some(&PromptSelector::Version(3)))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        version(store, &project, "greet", 2).await.labels,
        ["latest"]
    );
    assert_eq!(
        store
            .metadata()
            .delete_prompts(
                &project,
                "greet",
                Some(&PromptSelector::Label("production".into()))
            )
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .metadata()
            .prompt_version(&project, "greet", &PromptSelector::Version(1))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .metadata()
            .delete_prompts(
                &project,
                "greet",
                Some(&PromptSelector::Label("nope".into()))
            )
            .await
            .unwrap(),
        0
    );
    let next = store
        .metadata()
        .create_prompt_version(&text(&project, "greet", &[], None))
        .await
        .unwrap();
    assert_eq!(
        next.version, 3,
        "versions continue after the highest remaining one"
    );
    assert_eq!(
        store
            .metadata()
            .delete_prompts(&project, "greet", None)
            .await
            .unwrap(),
        2
    );
    assert!(
        store
            .metadata()
            .prompt_version(&project, "greet", &PromptSelector::Label("latest".into()))
            .await
            .unwrap()
            .is_none()
    );
    let fresh = store
        .metadata()
        .create_prompt_version(&text(&project, "greet", &[], None))
        .await
        .unwrap();
    assert_eq!(fresh.version, 1);
}

async fn prompt_lists_group_versions_by_name(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    store
        .metadata()
        .create_prompt_version(&text(&project, "b/second", &["production"], Some(&["x"])))
        .await
        .unwrap();
    store
        .metadata()
        .create_prompt_version(&text(&project, "b/second", &[], None))
        .await
        .unwrap();
    let mut chat = text(&project, "a-first", &[], Some(&["y"]));
    chat.r#type = PromptType::Chat;
    chat.prompt = json!([{"role": "user", "content": "hi"}]);
    store.metadata().create_prompt_version(&chat).await.unwrap();
    store
        .metadata()
        .create_prompt_version(&text(&other, "c-other", &[], None))
        .await
        .unwrap();

    let query = PromptListQuery {
        limit: 10,
        ..Default::default()
    };
    let (all, total) = store
        .metadata()
        .list_prompts(&project, &query)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["a-first", "b/second"]
    );
    assert_eq!(all[0].r#type, PromptType::Chat);
    assert_eq!(all[1].versions, [1, 2]);
    assert_eq!(all[1].labels, ["latest", "production"]);
    assert_eq!(all[1].tags, ["x"]);
    assert_eq!(all[1].last_config, json!({"temperature": 0.2}));

    let project_ref = &project;
    let filtered = |query: PromptListQuery| async move {
        let (rows, total) = store
            .metadata()
            .list_prompts(project_ref, &PromptListQuery { limit: 10, ..query })
            .await
            .unwrap();
        (
            rows.into_iter()
                .map(|p| (p.name, p.versions))
                .collect::<Vec<_>>(),
            total,
        )
    };
    assert_eq!(
        filtered(PromptListQuery {
            label: Some("production".into()),
            ..Default::default()
        })
        .await,
        (vec![("b/second".to_owned(), vec![1])], 1)
    );
    assert_eq!(
        filtered(PromptListQuery {
            tag: Some("y".into()),
            ..Default::default()
        })
        .await
        .1,
        1
    );
    assert_eq!(
        filtered(PromptListQuery {
            version: Some(2),
            ..Default::default()
        })
        .await,
        (vec![("b/second".to_owned(), vec![2])], 1)
    );
    assert_eq!(
        filtered(PromptListQuery {
            name: Some("a-first".into()),
            ..Default::default()
        })
        .await
        .1,
        1
    );
    assert_eq!(
        filtered(PromptListQuery {
            from_updated_at: Some(i64::MAX),
            ..Default::default()
        })
        .await
        .1,
        0
    );
    let (page, total) = store
        .metadata()
        .list_prompts(
            &project,
            &PromptListQuery {
                limit: 1,
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (page.len(), page[0].name.as_str(), total),
        (1, "b/second", 2)
    );
}

async fn concurrent_creates_get_distinct_versions(db: TestDb) {
    let store = db.store.clone();
    let (_, project) = org_and_project(&store).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let project = project.clone();
            tokio::spawn(async move {
                store
                    .metadata()
                    .create_prompt_version(&text(&project, "race", &["production"], None))
                    .await
                    .unwrap()
                    .version
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.unwrap());
    }
    versions.sort();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    let latest = store
        .metadata()
        .prompt_version(&project, "race", &PromptSelector::Label("latest".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.version, 8);
    assert_eq!(latest.labels, ["production", "latest"]);
    assert_eq!(
        store
            .metadata()
            .prompt_change_counter(&project)
            .await
            .unwrap(),
        8
    );
}

async fn protected_labels_and_prompt_ids(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    assert!(
        store
            .metadata()
            .protected_prompt_labels(&project)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .metadata()
        .set_protected_prompt_labels(&project, &["production".into(), "live".into()])
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .protected_prompt_labels(&project)
            .await
            .unwrap(),
        ["live", "production"]
    );
    store
        .metadata()
        .set_protected_prompt_labels(&project, &["production".into()])
        .await
        .unwrap();
    assert_eq!(
        store
            .metadata()
            .protected_prompt_labels(&project)
            .await
            .unwrap(),
        ["production"]
    );

    let v1 = store
        .metadata()
        .create_prompt_version(&text(&project, "p", &[], None))
        .await
        .unwrap();
    let v2 = store
        .metadata()
        .create_prompt_version(&text(&project, "p", &[], None))
        .await
        .unwrap();
    let mut ids = store
        .metadata()
        .prompt_ids(&project, &["p".into(), "missing".into()])
        .await
        .unwrap();
    ids.sort();
    assert_eq!(
        ids,
        [("p".to_owned(), 1, v1.id), ("p".to_owned(), 2, v2.id)]
    );
    assert!(
        store
            .metadata()
            .prompt_ids(&project, &[])
            .await
            .unwrap()
            .is_empty()
    );

    let all = store
        .metadata()
        .prompt_versions(&project, "p")
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|v| (v.version, v.labels.clone()))
            .collect::<Vec<_>>(),
        [(1, vec![]), (2, vec!["latest".to_owned()])]
    );
    let mut parent = text(&project, "parent", &[], None);
    parent.prompt = json!("x @@@langfusePrompt:name=p|version=1@@@");
    store
        .metadata()
        .create_prompt_version(&parent)
        .await
        .unwrap();
    let mut other = text(&project, "other", &[], None);
    other.prompt = json!("@@@langfusePrompt:name=pp|version=1@@@ 100%_p|");
    store
        .metadata()
        .create_prompt_version(&other)
        .await
        .unwrap();
    let referencing = store
        .metadata()
        .prompts_referencing(&project, "p")
        .await
        .unwrap();
    assert_eq!(
        referencing
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        ["parent"]
    );
    assert!(
        store
            .metadata()
            .prompts_referencing(&project, "parent")
            .await
            .unwrap()
            .is_empty()
    );
}

fn generation(
    id: &str,
    prompt: Option<(&str, i64)>,
    latency_ms: Option<i64>,
    tokens: (f64, f64),
    cost: f64,
) -> ObservationRow {
    let usage: BTreeMap<String, f64> = [
        ("input".to_owned(), tokens.0),
        ("output".to_owned(), tokens.1),
        ("total".to_owned(), tokens.0 + tokens.1),
    ]
    .into();
    ObservationRow {
        id: id.into(),
        trace_id: "t1".into(),
        r#type: ObservationType::Generation,
        start_time: 1_000,
        end_time: latency_ms.map(|ms| 1_000 + ms),
        completion_start_time: None,
        environment: "default".into(),
        name: Some("llm".into()),
        parent_observation_id: None,
        level: Level::Default,
        status_message: None,
        version: None,
        model: Some("gpt-4o".into()),
        model_parameters: None,
        metadata: serde_json::Map::new(),
        input: None,
        output: None,
        provided_usage_details: usage.clone(),
        provided_cost_details: BTreeMap::new(),
        usage_details: usage,
        cost_details: BTreeMap::new(),
        total_cost: Some(cost),
        internal_model_id: None,
        usage_pricing_tier_id: None,
        usage_pricing_tier_name: None,
        prompt_name: prompt.map(|(name, _)| name.to_owned()),
        prompt_version: prompt.map(|(_, version)| version),
    }
}

fn score(id: &str, observation: &str, name: &str, value: f64) -> ScorePatch {
    ScorePatch {
        id: id.into(),
        name: name.into(),
        timestamp: 2_000,
        environment: "default".into(),
        data_type: ScoreDataType::Numeric,
        value: Some(value),
        string_value: None,
        source: ScoreSource::Api,
        trace_id: Some("t1".into()),
        observation_id: Some(observation.into()),
        session_id: None,
        dataset_run_id: None,
        comment: None,
        metadata: Some(Value::Object(serde_json::Map::new())),
        config_id: None,
        queue_id: None,
        execution_trace_id: None,
    }
}

async fn prompt_usage_aggregates_linked_generations(db: TestDb) {
    let store = &db.store;
    let (_, project) = org_and_project(store).await;
    let observations = vec![
        generation("g1", Some(("greet", 1)), Some(100), (10.0, 5.0), 0.5),
        generation("g2", Some(("greet", 1)), Some(300), (20.0, 15.0), 1.5),
        generation("g3", Some(("greet", 1)), None, (1.0, 1.0), 0.0),
        generation("g4", Some(("greet", 2)), Some(50), (3.0, 4.0), 0.25),
        generation("g5", Some(("other", 1)), Some(10), (1.0, 1.0), 9.0),
        generation("g6", None, Some(10), (1.0, 1.0), 9.0),
    ];
    let scores = vec![
        score("s1", "g1", "quality", 1.0),
        score("s2", "g2", "quality", 0.5),
        score("s3", "g2", "helpful", 0.0),
        score("s4", "g5", "quality", 0.0),
    ];
    let rows = EventRows {
        observations,
        scores,
        ..EventRows::default()
    };
    put_rows(store, &project, rows).await;

    let usage = store
        .events()
        .prompt_version_usage(&project, "greet")
        .await
        .unwrap();
    assert_eq!(usage.len(), 2);
    let v1 = &usage[0];
    assert_eq!((v1.version, v1.generations), (1, 3));
    assert_eq!(v1.median_latency_ms, Some(200.0));
    assert_eq!(
        (v1.input_tokens, v1.output_tokens, v1.total_cost),
        (31.0, 21.0, 2.0)
    );
    let scores: Vec<(&str, f64, u64)> = v1
        .scores
        .iter()
        .map(|s| (s.name.as_str(), s.average, s.count))
        .collect();
    assert_eq!(scores, [("helpful", 0.0, 1), ("quality", 0.75, 2)]);
    let v2 = &usage[1];
    assert_eq!(
        (v2.version, v2.generations, v2.median_latency_ms),
        (2, 1, Some(50.0))
    );
    assert!(v2.scores.is_empty());
    assert!(
        store
            .events()
            .prompt_version_usage(&project, "missing")
            .await
            .unwrap()
            .is_empty()
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "prompt_versions_move_latest_labels_and_tags",
            prompt_versions_move_latest_labels_and_tags,
        ),
        backend_test(
            "prompt_lists_group_versions_by_name",
            prompt_lists_group_versions_by_name,
        ),
        backend_test(
            "concurrent_creates_get_distinct_versions",
            concurrent_creates_get_distinct_versions,
        ),
        backend_test(
            "protected_labels_and_prompt_ids",
            protected_labels_and_prompt_ids,
        ),
        backend_test(
            "prompt_usage_aggregates_linked_generations",
            prompt_usage_aggregates_linked_generations,
        ),
    ]
}
