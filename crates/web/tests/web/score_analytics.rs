//! Score analytics: a score's distribution, trend and the agreement of two sources (numeric:
//! mean absolute difference and correlation; categorical: agreement, Cohen's kappa and the
//! confusion matrix), with hostile score values kept inert.

use axum::http::StatusCode;
use serde_json::Value;
use sightline_domain::Role;
use sightline_domain::ingest::{ScoreDataType, ScorePatch, ScoreSource};
use sightline_domain::time::now_ms;
use sightline_store::testing::{BackendTest, TestDb, backend_test, score_row};

use crate::support::{TestUi, project_url};
use crate::trace_fixtures::{HOSTILE, assert_inert, seed, write};

fn score(id: &str, trace: &str, name: &str, source: ScoreSource, value: f64) -> ScorePatch {
    let mut score = score_row(id, trace, name, value, now_ms() - 60_000);
    score.source = source;
    score
}

fn category(id: &str, trace: &str, source: ScoreSource, value: &str) -> ScorePatch {
    let mut score = score_row(id, trace, "tone", 0.0, now_ms() - 60_000);
    score.source = source;
    score.data_type = ScoreDataType::Categorical;
    score.value = None;
    score.string_value = Some(value.into());
    score
}

fn charts(body: &str) -> Vec<Value> {
    let marker = "<script type=\"application/json\" data-charts>";
    let start = body.find(marker).expect("charts") + marker.len();
    let end = start + body[start..].find("</script>").expect("end");
    serde_json::from_str::<Value>(&body[start..end])
        .expect("JSON")
        .as_array()
        .expect("charts")
        .clone()
}

async fn two_sources_of_a_score_are_compared(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    write(ui.store(), &project, |w| {
        w.scores = vec![
            score("a1", "t-chat", "accuracy", ScoreSource::Annotation, 1.0),
            score("e1", "t-chat", "accuracy", ScoreSource::Eval, 0.5),
            score("a2", "t-old", "accuracy", ScoreSource::Annotation, 0.0),
            score("e2", "t-old", "accuracy", ScoreSource::Eval, 0.0),
            category("ca1", "t-chat", ScoreSource::Annotation, "polite"),
            category("ce1", "t-chat", ScoreSource::Eval, "polite"),
            category("ca2", "t-old", ScoreSource::Annotation, HOSTILE[0]),
            category("ce2", "t-old", ScoreSource::Eval, "polite"),
        ];
    })
    .await;
    ui.user("viewer@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut viewer = ui.signed_in("viewer@example.com").await;

    let page = viewer
        .get(&project_url(
            &project,
            "/scores?name=accuracy&range=7d&a=ANNOTATION&b=EVAL",
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("accuracy is a NUMERIC score."));
    let agreement = page
        .body
        .split("id=\"agreement\"")
        .nth(1)
        .expect("agreement");
    assert!(
        agreement.contains("<th>Pairs</th><td class=\"num\">2</td>"),
        "{agreement}"
    );
    assert!(
        agreement.contains("0.250"),
        "mean absolute difference: {agreement}"
    );
    assert!(agreement.contains("1.000"), "correlation: {agreement}");
    let all = charts(&page.body);
    let distribution: f64 = all[0]["series"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .sum();
    assert_eq!(distribution, 4.0);

    let page = viewer
        .get(&project_url(
            &project,
            "/scores?name=tone&a=ANNOTATION&b=EVAL",
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_inert(&page.body);
    let agreement = page
        .body
        .split("id=\"agreement\"")
        .nth(1)
        .expect("agreement");
    assert!(agreement.contains("50.0%"), "{agreement}");
    assert!(agreement.contains("id=\"confusion\""));
    assert!(
        agreement.contains("<td>polite</td><td>polite</td><td class=\"num\">1</td>"),
        "{agreement}"
    );
    let distribution = &charts(&page.body)[0];
    assert!(
        distribution["x"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == HOSTILE[0])
    );

    // Sources that never scored the same object: said so.
    let page = viewer
        .get(&project_url(&project, "/scores?name=accuracy&a=API&b=EVAL"))
        .await;
    assert!(
        page.body
            .contains("No object has a accuracy score from both API and EVAL")
    );
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "two_sources_of_a_score_are_compared",
        two_sources_of_a_score_are_compared,
    )]
}
