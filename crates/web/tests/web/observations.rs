//! The observations view: generations by default, and each filter (type, name, model, level,
//! time range, minimum latency and cost) narrowing the table; hostile names inert.

use axum::http::{Method, StatusCode};
use sightline_domain::Role;
use sightline_domain::ingest::{Level, ObservationType};
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_data::{HOSTILE, Trace, ago, assert_inert, generation, seed};

/// The observation names a page lists, in order (cells of the name column).
fn names(body: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<td class=\"obs-name\">") {
        let from = start + "<td class=\"obs-name\">".len();
        let end = rest[from..].find("</td>").unwrap() + from;
        names.push(&rest[from..end]);
        rest = &rest[end..];
    }
    names
}

async fn observations_are_filtered(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("member@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let project = ui.project().clone();
    let mut fast = generation("fast", "t1", ago(5), "gpt-4o", (10.0, 20.0), 0.01, 500);
    fast.name = Some("fast".into());
    let mut slow = generation(
        "slow",
        "t1",
        ago(4),
        "claude-3-opus",
        (300.0, 700.0),
        0.2,
        3_000,
    );
    slow.name = Some("slow".into());
    let mut failed = generation("failed", "t2", ago(3), "gpt-4o", (1.0, 0.0), 0.0, 100);
    failed.name = Some("failed".into());
    failed.level = Level::Error;
    failed.status_message = Some(HOSTILE[1].into());
    let mut old = generation(
        "old",
        "t2",
        ago(60 * 24 * 3),
        "gpt-4o",
        (1.0, 1.0),
        0.5,
        100,
    );
    old.name = Some("old".into());
    let mut span = generation("span", "t1", ago(2), "", (0.0, 0.0), 0.0, 50);
    span.name = Some("span".into());
    span.r#type = ObservationType::Span;
    span.model = None;
    let mut hostile = generation(
        "hostile",
        HOSTILE[0],
        ago(1),
        HOSTILE[2],
        (1.0, 1.0),
        0.0,
        10,
    );
    hostile.name = Some(HOSTILE[1].into());
    seed(
        ui.store(),
        &project,
        &[Trace::new("t1", ago(5)), Trace::new("t2", ago(3))],
        vec![fast, slow, failed, old, span, hostile],
    )
    .await;
    let mut member = ui.signed_in("member@example.com").await;
    let url = |query: &str| project_url(&project, &format!("/observations{query}"));

    let page = member.get(&url("")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        names(&page.body),
        [
            "&#34;&#62;&#60;img src=x onerror=alert(1)&#62;",
            "failed",
            "slow",
            "fast",
            "old"
        ]
    );
    assert!(
        page.body
            .contains(&format!("href=\"{}\"", project_url(&project, "/traces/t1")))
    );
    assert!(page.body.contains("claude-3-opus"));
    assert!(page.body.contains(">700<"), "output tokens");
    assert!(page.body.contains("$0.200000"));
    assert!(page.body.contains("3.00s"));
    assert!(
        page.body
            .contains("/traces/%3Cscript%3Ealert%281%29%3C%2Fscript%3E")
    );
    assert_inert(&page.body);

    for (query, expected) in [
        ("?type=SPAN", vec!["span"]),
        ("?type=ALL&name=span", vec!["span"]),
        ("?model=claude-3-opus", vec!["slow"]),
        ("?level=ERROR", vec!["failed"]),
        ("?min_latency=2", vec!["slow"]),
        ("?min_cost=0.1", vec!["slow", "old"]),
        ("?min_cost=0.1&range=24h", vec!["slow"]),
        ("?range=24h&model=gpt-4o", vec!["failed", "fast"]),
    ] {
        let page = member.get(&url(query)).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(names(&page.body), expected, "{query}");
    }

    // A custom range (UTC bounds) wins over the preset.
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let page = member
        .get(&url(&format!("?range=24h&to={two_days_ago}")))
        .await;
    assert_eq!(names(&page.body), ["old"]);
    assert!(page.body.contains(&format!("value=\"{two_days_ago}\"")));
    let page = member.get(&url(&format!("?from={two_days_ago}"))).await;
    assert_eq!(names(&page.body).len(), 4);

    // htmx: the table alone, with the same filters.
    let fragment = member
        .request(
            Method::GET,
            &url("?model=claude-3-opus"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<html"));
    assert_eq!(names(&fragment.body), ["slow"]);
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "observations_are_filtered",
        observations_are_filtered,
    )]
}
