//! The home dashboard: the project's first page, its charts' figures (the JSON the page's
//! script draws), the range and filters, the links behind each point, the top users, the empty
//! state, and trace content kept inert inside the page's JSON.

use axum::http::StatusCode;
use serde_json::Value;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Browser, Page, TestUi, project_url};
use crate::trace_fixtures::{HOSTILE, assert_inert, seed};

/// The charts of a dashboard page, from its `#dashboard-data` element.
fn charts(page: &Page) -> Vec<Value> {
    let start = page
        .body
        .find("<script type=\"application/json\" id=\"dashboard-data\">")
        .expect("dashboard data")
        + "<script type=\"application/json\" id=\"dashboard-data\">".len();
    let end = start
        + page.body[start..]
            .find("</script>")
            .expect("end of the data");
    let text = &page.body[start..end];
    assert!(!text.contains('<'), "raw markup in the page's JSON: {text}");
    serde_json::from_str::<Value>(text)
        .expect("JSON")
        .as_array()
        .expect("charts")
        .clone()
}

fn chart<'a>(charts: &'a [Value], id: &str) -> &'a Value {
    charts
        .iter()
        .find(|chart| chart["id"] == id)
        .unwrap_or_else(|| panic!("chart {id}"))
}

/// The sum of every value of every series of a chart.
fn total(chart: &Value) -> f64 {
    chart["series"]
        .as_array()
        .expect("series")
        .iter()
        .flat_map(|series| series["data"].as_array().expect("data").clone())
        .filter_map(|value| value.as_f64())
        .sum()
}

async fn dashboard(
    browser: &mut Browser,
    project: &sightline_domain::ProjectId,
    query: &str,
) -> Page {
    let page = browser
        .get(&project_url(project, &format!("/dashboard{query}")))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
    page
}

async fn dashboard_charts_the_projects_traces(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("viewer@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut viewer = ui.signed_in("viewer@example.com").await;

    // The project's first page is its dashboard; a week by default.
    let home = viewer.get(&project_url(&project, "")).await;
    assert_eq!(home.status, StatusCode::OK);
    let page = dashboard(&mut viewer, &project, "").await;
    assert_eq!(charts(&home).len(), charts(&page).len());
    assert!(!page.body.contains("id=\"get-started\""));
    assert_inert(&page.body);
    let all = charts(&page);
    assert_eq!(total(chart(&all, "traces")), 3.0);
    // root, gen-1 and evt-1 of t-chat, bad-1 of t-hostile.
    assert_eq!(total(chart(&all, "observations")), 4.0);
    let by_model = chart(&all, "cost-by-model");
    let gpt = by_model["x"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == "gpt-4o")
        .expect("gpt-4o");
    let series = &by_model["series"][0];
    assert_eq!(series["data"][gpt].as_f64(), Some(0.00123));
    let link = series["links"][gpt].as_str().unwrap();
    assert!(
        link.starts_with(&project_url(&project, "/observations?")) && link.contains("model=gpt-4o"),
        "{link}"
    );
    // The hostile model name is data, never markup: it reads back whole from the JSON.
    assert!(
        by_model["x"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == HOSTILE[1])
    );
    let errors = chart(&all, "errors");
    assert_eq!(errors["series"][0]["name"], "ERROR");
    assert_eq!(total(errors), 1.0);
    assert!(
        errors["series"][0]["links"][0]
            .as_str()
            .unwrap()
            .contains("level=ERROR")
    );
    assert_eq!(total(chart(&all, "tokens")), 15.0);
    // Both scores were given in the same bucket: one point, their average.
    assert!((total(chart(&all, "scores")) - 0.55).abs() < 1e-9);
    let latency = chart(&all, "latency-by-model");
    assert_eq!(latency["x"], serde_json::json!(["gpt-4o"]));
    assert_eq!(latency["series"][1]["name"], "p95");
    assert_eq!(latency["series"][1]["data"][0].as_f64(), Some(1000.0));
    // Top users, linked to their pages.
    assert!(page.body.contains(&format!(
        "href=\"{}\"",
        project_url(&project, "/users/alice")
    )));

    // Filters narrow every chart.
    let named = charts(&dashboard(&mut viewer, &project, "?name=chat-completion").await);
    assert_eq!(total(chart(&named, "traces")), 1.0);
    assert_eq!(total(chart(&named, "observations")), 3.0);
    let tagged = charts(&dashboard(&mut viewer, &project, "?tag=batch").await);
    assert_eq!(total(chart(&tagged, "traces")), 1.0);
    let recent = charts(&dashboard(&mut viewer, &project, "?range=1h").await);
    assert_eq!(total(chart(&recent, "traces")), 2.0);
    let custom = charts(&dashboard(&mut viewer, &project, "?from=2020-01-01&to=2020-02-01").await);
    assert_eq!(total(chart(&custom, "traces")), 0.0);
}

async fn an_empty_project_says_how_to_start(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let page = dashboard(&mut owner, &project, "").await;
    assert!(page.body.contains("id=\"get-started\""));
    assert_eq!(total(chart(&charts(&page), "traces")), 0.0);
    assert!(page.body.contains("No users in this range."));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "dashboard_charts_the_projects_traces",
            dashboard_charts_the_projects_traces,
        ),
        backend_test(
            "an_empty_project_says_how_to_start",
            an_empty_project_says_how_to_start,
        ),
    ]
}
