//! Fixtures of the trace view tests: traces, observations and scores written through the store
//! as ingestion writes them, a seeded project, hostile strings and the check that they are inert.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{
    Level, ObservationRow, ObservationType, ScoreDataType, ScorePatch, TracePatch,
};
use sightline_domain::time::now_ms;
use sightline_server::services::ingest::IngestionWrite;
use sightline_server::services::ingest::fold;
use sightline_server::services::ingest::rules::Rules;
use sightline_store::{ScoreConfig, Store};

pub const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
];

pub fn assert_inert(body: &str) {
    assert!(!body.contains("<script>alert"), "raw script tag in page");
    assert!(!body.contains("<img src=x"), "raw img tag in page");
    assert!(!body.contains("\"><img"), "attribute break-out in page");
    assert!(!body.contains("href=\"javascript:"), "javascript: link");
    assert!(!body.contains("src=\"javascript:"), "javascript: source");
}

pub fn trace(id: &str, name: &str, at: i64) -> TracePatch {
    TracePatch {
        id: id.into(),
        timestamp: Some(at),
        environment: Some("default".into()),
        name: Some(Some(name.into())),
        ..TracePatch::default()
    }
}

pub fn observation(
    trace: &str,
    id: &str,
    parent: Option<&str>,
    kind: ObservationType,
    start: i64,
) -> ObservationRow {
    let mut row = ObservationRow::shallow(id, trace, kind, start, "default");
    row.end_time = Some(start + 1_000);
    row.name = Some(format!("{id}-step"));
    row.parent_observation_id = parent.map(str::to_owned);
    row
}

pub fn score(id: &str, trace: &str, name: &str, value: f64) -> ScorePatch {
    sightline_store::testing::score_row(id, trace, name, value, now_ms())
}

pub async fn write(store: &Store, project: &ProjectId, fill: impl FnOnce(&mut IngestionWrite)) {
    let mut write = IngestionWrite::new(project.clone());
    fill(&mut write);
    fold::commit(store.events(), &Rules::new(), &mut [write], now_ms())
        .await
        .unwrap();
}

/// `t-chat` (alice, session s-1, tags prod and v2, production, a span with a generation and
/// an erroring event, score quality 0.9), `t-old` (bob, three days old, batch, quality 0.2)
/// and `t-hostile` (hostile strings everywhere).
pub async fn seed(store: &Store, project: &ProjectId) {
    let now = now_ms();
    let at = now - 600_000;
    write(store, project, |w| {
        let mut chat = trace("t-chat", "chat-completion", at);
        chat.user_id = Some(Some("alice".into()));
        chat.session_id = Some(Some("s-1".into()));
        chat.tags = Some(vec!["prod".into(), "v2".into()]);
        chat.environment = Some("production".into());
        chat.input = Some(json!([{"role": "user", "content": "Trace question"}]));
        chat.output = Some(json!("Trace answer"));
        chat.metadata = Some(json!({"team": "search"}));
        let mut old = trace("t-old", "batch-job", now - 3 * 86_400_000);
        old.user_id = Some(Some("bob".into()));
        old.tags = Some(vec!["batch".into()]);
        let mut hostile = trace("t-hostile", HOSTILE[0], at - 1_000);
        hostile.user_id = Some(Some(HOSTILE[1].into()));
        hostile.session_id = Some(Some(HOSTILE[2].into()));
        hostile.tags = Some(HOSTILE.iter().map(|s| (*s).to_owned()).collect());
        hostile.input = Some(json!(HOSTILE[1]));
        hostile.output = Some(json!([{"role": HOSTILE[0], "content": HOSTILE[2]}]));
        hostile.metadata = Some(json!({"link": HOSTILE[2], HOSTILE[0]: HOSTILE[1]}));
        w.trace_patches = vec![chat, old, hostile];

        let root = observation("t-chat", "root", None, ObservationType::Span, at);
        let mut generation = observation(
            "t-chat",
            "gen-1",
            Some("root"),
            ObservationType::Generation,
            at + 100,
        );
        generation.model = Some("gpt-4o".into());
        generation.model_parameters = Some(json!({"temperature": 0.2}));
        generation.input = Some(json!([{"role": "user", "content": "What is 2+2?"}]));
        generation.output = Some(json!({"role": "assistant", "content": "It is 4."}));
        generation.usage_details = [
            ("input".to_owned(), 10.0),
            ("output".to_owned(), 5.0),
            ("total".to_owned(), 15.0),
        ]
        .into();
        generation.cost_details = [("total".to_owned(), 0.00123)].into();
        generation.total_cost = Some(0.00123);
        let mut event = observation(
            "t-chat",
            "evt-1",
            Some("gen-1"),
            ObservationType::Event,
            at + 500,
        );
        event.level = Level::Error;
        event.status_message = Some("boom".into());
        event.end_time = None;
        let mut bad = observation(
            "t-hostile",
            "bad-1",
            None,
            ObservationType::Span,
            at - 1_000,
        );
        bad.name = Some(HOSTILE[1].into());
        bad.input = Some(json!({"html": HOSTILE[0], "link": HOSTILE[2]}));
        bad.output = Some(json!(HOSTILE[1]));
        bad.status_message = Some(HOSTILE[0].into());
        bad.model = Some(HOSTILE[1].into());
        bad.metadata = json!({"x": HOSTILE[2]}).as_object().unwrap().clone();
        w.observations = vec![root, generation, event, bad];
        w.scores = vec![
            score("s1", "t-chat", "quality", 0.9),
            score("s2", "t-old", "quality", 0.2),
        ];
    })
    .await;
}

pub fn config(project: &ProjectId) -> ScoreConfig {
    ScoreConfig {
        id: "cfg-helpful".into(),
        project_id: project.clone(),
        name: "helpfulness".into(),
        data_type: ScoreDataType::Numeric,
        is_archived: false,
        min_value: Some(0.0),
        max_value: Some(1.0),
        categories: None,
        description: None,
        created_at: 0,
        updated_at: 0,
    }
}
