//! The payload-free observation outlines of the UI's trace tree and traces table, on both
//! backends.

use serde_json::{Map, json};
use sightline_domain::ProjectId;
use sightline_domain::ingest::{Level, ObservationRow, ObservationType};
use sightline_store::testing::TestDb;
use sightline_store::{IngestionRules, IngestionWrite, LoggedEvent, Store, backend_tests};

use super::org_and_project;

struct NoRules;

impl IngestionRules for NoRules {
    fn fold_trace(&self, _: &[LoggedEvent]) -> Option<sightline_domain::ingest::TraceRow> {
        None
    }
    fn fold_observation(&self, _: &[LoggedEvent]) -> Option<ObservationRow> {
        None
    }
    fn enrich(&self, _: &ProjectId, _: &mut ObservationRow) {}
}

fn observation(trace: &str, id: &str, parent: Option<&str>, start: i64) -> ObservationRow {
    ObservationRow {
        id: id.into(),
        trace_id: trace.into(),
        r#type: ObservationType::Span,
        start_time: start,
        end_time: Some(start + 100),
        completion_start_time: None,
        environment: "default".into(),
        name: Some(format!("{id}-name")),
        parent_observation_id: parent.map(str::to_owned),
        level: Level::Default,
        status_message: None,
        version: None,
        model: None,
        model_parameters: None,
        metadata: Map::new(),
        input: Some(json!("a large input")),
        output: Some(json!({"answer": 42})),
        provided_usage_details: Default::default(),
        provided_cost_details: Default::default(),
        usage_details: Default::default(),
        cost_details: Default::default(),
        total_cost: None,
        internal_model_id: None,
        usage_pricing_tier_id: None,
        usage_pricing_tier_name: None,
        prompt_name: None,
        prompt_version: None,
    }
}

async fn outlines_hold_the_tree_without_payloads(db: TestDb) {
    let store: &dyn Store = db.store.as_ref();
    let (_, project) = org_and_project(store).await;
    let (_, other) = org_and_project(store).await;
    let mut generation = observation("t1", "gen", Some("root"), 2_000);
    generation.r#type = ObservationType::Generation;
    generation.level = Level::Error;
    generation.model = Some("gpt-4o".into());
    generation.usage_details = [("input".to_owned(), 10.0), ("total".to_owned(), 15.0)].into();
    generation.total_cost = Some(0.25);
    let mut write = IngestionWrite::new(project.clone());
    write.observations = vec![
        generation,
        observation("t1", "root", None, 1_000),
        observation("t2", "other-trace", None, 500),
        observation("t3", "not-asked", None, 0),
    ];
    let mut elsewhere = IngestionWrite::new(other.clone());
    elsewhere.observations = vec![observation("t1", "foreign", None, 0)];
    store
        .write_ingestion(&[write, elsewhere], &NoRules)
        .await
        .unwrap();

    let outlines = store
        .trace_observation_outlines(&project, &["t1".into(), "t2".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = outlines.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["other-trace", "root", "gen"]);
    let generation = &outlines[2];
    assert_eq!(generation.trace_id, "t1");
    assert_eq!(generation.parent_observation_id.as_deref(), Some("root"));
    assert_eq!(generation.r#type, ObservationType::Generation);
    assert_eq!(generation.level, Level::Error);
    assert_eq!(generation.name.as_deref(), Some("gen-name"));
    assert_eq!(generation.model.as_deref(), Some("gpt-4o"));
    assert_eq!(generation.start_time, 2_000);
    assert_eq!(generation.end_time, Some(2_100));
    assert_eq!(generation.usage_details.get("total"), Some(&15.0));
    assert_eq!(generation.total_cost, Some(0.25));
    assert!(
        store
            .trace_observation_outlines(&project, &[])
            .await
            .unwrap()
            .is_empty()
    );
}

backend_tests!(outlines_hold_the_tree_without_payloads);
