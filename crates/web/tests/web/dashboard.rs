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
    charts_after(
        page,
        "<script type=\"application/json\" id=\"dashboard-data\">",
    )
}

/// The charts of the JSON element that `marker` opens.
fn charts_after(page: &Page, marker: &str) -> Vec<Value> {
    let start = page.body.find(marker).expect("chart data") + marker.len();
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
    // Percentiles come from the rollups' latency sketch: within its 2% of the exact 1000 ms.
    let p95 = latency["series"][1]["data"][0].as_f64().unwrap();
    assert!((p95 - 1000.0).abs() <= 20.0, "{p95}");
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

/// The charts of the widget editor's preview, from its `data-charts-json` attribute.
fn preview_charts(page: &Page) -> Vec<Value> {
    let marker = "data-charts-json=\"";
    let start = page.body.find(marker).expect("preview data") + marker.len();
    let end = start + page.body[start..].find('"').expect("end of the attribute");
    let text = page.body[start..end]
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str::<Value>(&text)
        .expect("JSON")
        .as_array()
        .expect("charts")
        .clone()
}

const CHARTS: &str = "<script type=\"application/json\" data-charts>";

/// Custom dashboards: a template cloned, a widget made in the editor (its preview first) and
/// placed, edited so its chart changes, a tile moved and removed, the dashboard duplicated and
/// deleted; a viewer reads but cannot change them.
async fn custom_dashboards_hold_widgets_and_presets(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    ui.user("viewer@example.com", Some((&ui.default_org, Role::Viewer)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let list = project_url(&project, "/dashboards");

    let page = owner.get(&list).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No dashboards yet."));
    let cloned = owner
        .submit(
            &list,
            &project_url(&project, "/dashboards/templates/cost"),
            &[],
        )
        .await;
    assert_eq!(cloned.status, StatusCode::SEE_OTHER, "{}", cloned.body);
    let dashboard = cloned.location().expect("location").to_owned();
    let page = owner.get(&dashboard).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_inert(&page.body);
    let tiles = charts_after(&page, CHARTS);
    assert_eq!(tiles.len(), 3);
    assert_eq!(tiles[0]["title"], "Cost by model");
    assert_eq!(total(&tiles[2]), 15.0, "tokens");

    // The editor previews the widget before it is saved.
    let editor = owner
        .get(&format!(
            "{}?dashboard={}",
            project_url(&project, "/widgets/new"),
            dashboard.rsplit('/').next().unwrap()
        ))
        .await;
    assert_eq!(editor.status, StatusCode::OK);
    let preview = preview_charts(&editor);
    assert_eq!(preview[0]["kind"], "bar");
    assert!(
        preview[0]["x"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "gpt-4o")
    );
    let fragment = owner
        .request(
            axum::http::Method::GET,
            &format!("{}?view=observations&dimension=&measure=tokens&aggregation=sum&chart_type=NUMBER&name=x", project_url(&project, "/widgets/preview")),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(
        fragment.body.contains("Invalid metric tokens."),
        "{}",
        fragment.body
    );

    let dashboard_id = dashboard.rsplit('/').next().unwrap().to_owned();
    let fields = |aggregation: &'static str| {
        vec![
            ("name", "Tokens by model"),
            ("view", "observations"),
            ("dimension", "providedModelName"),
            ("measure", "totalTokens"),
            ("aggregation", aggregation),
            ("chart_type", "PIE"),
            ("filters", ""),
        ]
    };
    let mut create = fields("sum");
    create.push(("dashboard", &dashboard_id));
    let saved = owner
        .submit(
            &project_url(&project, "/widgets/new"),
            &project_url(&project, "/widgets"),
            &create,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some(dashboard.as_str()));
    let page = owner.get(&dashboard).await;
    let tiles = charts_after(&page, CHARTS);
    assert_eq!(tiles.len(), 4);
    let widget = &tiles[3];
    assert_eq!(widget["kind"], "pie");
    assert_eq!(widget["series"][0]["name"], "sum totalTokens");
    assert_eq!(total(widget), 15.0);
    let edit = page
        .body
        .split("href=\"")
        .find(|part| part.contains("/edit?dashboard="))
        .and_then(|part| part.split('"').next())
        .expect("edit link")
        .replace("&amp;", "&");
    let widget_url = edit.split("/edit").next().unwrap().to_owned();

    // Edited: counted instead of summed, the chart follows.
    let mut update = fields("count");
    update.push(("dashboard", &dashboard_id));
    let saved = owner.submit(&edit, &widget_url, &update).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let tiles = charts_after(&owner.get(&dashboard).await, CHARTS);
    assert_eq!(tiles[3]["series"][0]["name"], "count totalTokens");
    assert_eq!(total(&tiles[3]), 1.0);
    // A bad filter is refused in the editor, which keeps what was typed.
    let mut bad = fields("sum");
    bad[6] = ("filters", "[{\"column\": \"nope\"}]");
    let refused = owner.submit(&edit, &widget_url, &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Tokens by model"));

    // Tiles move and go; the dashboard is duplicated and deleted.
    let tile_id = "cost-by-model-0";
    let moved = owner
        .submit(
            &dashboard,
            &format!("{dashboard}/tiles/{tile_id}/frame"),
            &[("x", "6"), ("y", "12"), ("width", "6"), ("height", "4")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert!(
        owner
            .get(&dashboard)
            .await
            .body
            .contains("data-x=\"6\" data-y=\"12\" data-w=\"6\" data-h=\"4\"")
    );
    let removed = owner
        .submit(
            &dashboard,
            &format!("{dashboard}/tiles/{tile_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(charts_after(&owner.get(&dashboard).await, CHARTS).len(), 3);
    let copy = owner
        .submit(&dashboard, &format!("{dashboard}/duplicate"), &[])
        .await;
    let copy = copy.location().expect("copy").to_owned();
    assert_ne!(copy, dashboard);
    assert!(owner.get(&copy).await.body.contains("Cost (copy)"));

    let mut viewer = ui.signed_in("viewer@example.com").await;
    assert_eq!(viewer.get(&dashboard).await.status, StatusCode::OK);
    assert!(
        !viewer
            .get(&dashboard)
            .await
            .body
            .contains("Delete dashboard")
    );
    let token = viewer.get(&dashboard).await.csrf().expect("token");
    let denied = viewer
        .post(&format!("{dashboard}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let deleted = owner
        .submit(&dashboard, &format!("{dashboard}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get(&dashboard).await.status, StatusCode::NOT_FOUND);
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
        backend_test(
            "custom_dashboards_hold_widgets_and_presets",
            custom_dashboards_hold_widgets_and_presets,
        ),
    ]
}
