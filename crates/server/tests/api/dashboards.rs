//! The unstable dashboard API as clients see it: widgets (saved metrics queries checked against
//! their view), dashboards, placements on the 12-column grid, the 409 for a widget still
//! placed, pagination, tenant isolation and the unstable error shape `{message, code,
//! details?}`. Reference: Langfuse's `web/src/pages/api/public/unstable/` and the OpenAPI
//! document's `unstableDashboard*` schemas.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_store::testing::TestDb;
use sightline_store::testing::{BackendTest, backend_test};

use crate::support::{Tenant, TestApp, TestResponse};

async fn call(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    app.tenant_request(tenant, method, &format!("/api/public/unstable{path}"), body)
        .await
}

async fn ok(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let response = call(app, tenant, method.clone(), path, body).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{method} {path}: {}",
        response.body
    );
    response.body
}

/// A refused request: its status and the error's `code`; returns the message.
async fn refused(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: StatusCode,
    code: &str,
) -> String {
    let response = call(app, tenant, method.clone(), path, body).await;
    assert_eq!(
        response.status, status,
        "{method} {path}: {}",
        response.body
    );
    assert_eq!(
        response.body["code"], code,
        "{method} {path}: {}",
        response.body
    );
    response.body["message"]
        .as_str()
        .expect("message")
        .to_owned()
}

fn cost_widget() -> Value {
    json!({"name": "Cost by model", "view": "observations",
        "dimensions": [{"field": "providedModelName"}],
        "metrics": [{"measure": "totalCost", "agg": "sum"}],
        "filters": [{"column": "type", "type": "string", "operator": "=", "value": "GENERATION"}],
        "chartType": "VERTICAL_BAR"})
}

async fn widgets_are_saved_metrics_queries(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "widgets").await;

    let created = ok(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(cost_widget()),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["name"], "Cost by model");
    assert_eq!(created["description"], "");
    assert_eq!(
        created["metrics"],
        json!([{"measure": "totalCost", "agg": "sum"}])
    );
    assert_eq!(created["chartConfig"], json!({"type": "VERTICAL_BAR"}));
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        ok(
            &app,
            &tenant,
            Method::GET,
            &format!("/dashboard-widgets/{id}"),
            None
        )
        .await,
        created
    );

    let changed = ok(
        &app,
        &tenant,
        Method::PATCH,
        &format!("/dashboard-widgets/{id}"),
        Some(json!({"name": "Cost share", "chartType": "PIE"})),
    )
    .await;
    assert_eq!(changed["name"], "Cost share");
    assert_eq!(changed["chartConfig"], json!({"type": "PIE"}));
    assert_eq!(changed["view"], "observations");

    // Lists are most recently updated first: a later millisecond for the next one.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    ok(&app, &tenant, Method::POST, "/dashboard-widgets", Some(json!({"name": "Scores",
        "view": "scores-numeric", "dimensions": [], "metrics": [{"measure": "value", "agg": "avg"}],
        "filters": [], "chartType": "LINE_TIME_SERIES", "chartConfig": {"type": "LINE_TIME_SERIES"}}))).await;
    let page = ok(
        &app,
        &tenant,
        Method::GET,
        "/dashboard-widgets?limit=1",
        None,
    )
    .await;
    assert_eq!(
        page["meta"],
        json!({"page": 1, "limit": 1, "totalItems": 2, "totalPages": 2})
    );
    assert_eq!(
        page["data"][0]["name"], "Scores",
        "most recently updated first"
    );

    // What a widget's view cannot answer, and malformed bodies.
    let mut unknown = cost_widget();
    unknown["metrics"] = json!([{"measure": "tokens", "agg": "sum"}]);
    let message = refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(unknown),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(message.starts_with("Invalid metric tokens."), "{message}");
    let mut traces = cost_widget();
    traces["view"] = json!("traces");
    refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(traces),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    let mut mismatched = cost_widget();
    mismatched["chartConfig"] = json!({"type": "PIE"});
    let message = refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(mismatched),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(
        message.contains("chartConfig.type must match chartType"),
        "{message}"
    );
    let mut bad_filter = cost_widget();
    bad_filter["filters"] =
        json!([{"column": "nope", "type": "string", "operator": "=", "value": "x"}]);
    refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(bad_filter),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    let mut missing = cost_widget();
    missing.as_object_mut().unwrap().remove("chartType");
    refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(missing),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::PATCH,
        &format!("/dashboard-widgets/{id}"),
        Some(json!({})),
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(json!([1])),
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::GET,
        "/dashboard-widgets/missing",
        None,
        StatusCode::NOT_FOUND,
        "resource_not_found",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::GET,
        "/dashboard-widgets?limit=500",
        None,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;

    // Another project sees none of it.
    let other = app.tenant("Other", "elsewhere").await;
    refused(
        &app,
        &other,
        Method::GET,
        &format!("/dashboard-widgets/{id}"),
        None,
        StatusCode::NOT_FOUND,
        "resource_not_found",
    )
    .await;
    let theirs = ok(&app, &other, Method::GET, "/dashboard-widgets", None).await;
    assert_eq!(theirs["meta"]["totalItems"], 0);
}

async fn dashboards_place_widgets_on_the_grid(db: TestDb) {
    let app = TestApp::new(db).await;
    let tenant = app.tenant("Acme", "dashboards").await;
    let widget = ok(
        &app,
        &tenant,
        Method::POST,
        "/dashboard-widgets",
        Some(cost_widget()),
    )
    .await;
    let widget_id = widget["id"].as_str().unwrap().to_owned();

    let dashboard = ok(
        &app,
        &tenant,
        Method::POST,
        "/dashboards",
        Some(json!({"name": "Costs"})),
    )
    .await;
    let id = dashboard["id"].as_str().unwrap().to_owned();
    assert_eq!(dashboard["definition"], json!({"widgets": []}));
    assert_eq!(dashboard["filters"], json!([]));
    assert_eq!(dashboard["description"], "");

    let placements = format!("/dashboards/{id}/placements");
    let first = ok(
        &app,
        &tenant,
        Method::POST,
        &placements,
        Some(json!({"type": "widget", "widgetId": widget_id})),
    )
    .await;
    assert_eq!(first["type"], "widget");
    assert_eq!(
        (
            first["x"].clone(),
            first["y"].clone(),
            first["width"].clone(),
            first["height"].clone()
        ),
        (json!(0), json!(0), json!(6), json!(6))
    );
    let second = ok(&app, &tenant, Method::POST, &placements,
        Some(json!({"type": "preset", "presetId": "traces", "id": "p-traces", "width": 12, "height": 4}))).await;
    assert_eq!(second["id"], "p-traces");
    assert_eq!(second["y"], 6, "below every tile");
    refused(
        &app,
        &tenant,
        Method::POST,
        &placements,
        Some(json!({"type": "preset", "presetId": "traces", "id": "p-traces"})),
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::POST,
        &placements,
        Some(json!({"type": "preset", "presetId": "no-such-chart"})),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::POST,
        &placements,
        Some(json!({"type": "widget", "widgetId": "no-such-widget"})),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::POST,
        &placements,
        Some(json!({"type": "widget", "widgetId": widget_id, "x": 12})),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;

    let first_id = first["id"].as_str().unwrap();
    let moved = ok(
        &app,
        &tenant,
        Method::PATCH,
        &format!("{placements}/{first_id}"),
        Some(json!({"x": 6, "height": 3})),
    )
    .await;
    assert_eq!(
        (
            moved["x"].clone(),
            moved["y"].clone(),
            moved["height"].clone()
        ),
        (json!(6), json!(0), json!(3))
    );
    let stored = ok(
        &app,
        &tenant,
        Method::GET,
        &format!("/dashboards/{id}"),
        None,
    )
    .await;
    assert_eq!(stored["definition"]["widgets"].as_array().unwrap().len(), 2);
    assert_eq!(stored["definition"]["widgets"][0], moved);

    // A widget on a dashboard cannot be deleted until its tile is removed.
    let message = refused(
        &app,
        &tenant,
        Method::DELETE,
        &format!("/dashboard-widgets/{widget_id}"),
        None,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(message.contains("Costs"), "{message}");
    ok(
        &app,
        &tenant,
        Method::DELETE,
        &format!("{placements}/{first_id}"),
        None,
    )
    .await;
    refused(
        &app,
        &tenant,
        Method::DELETE,
        &format!("{placements}/{first_id}"),
        None,
        StatusCode::NOT_FOUND,
        "resource_not_found",
    )
    .await;
    assert_eq!(
        ok(
            &app,
            &tenant,
            Method::DELETE,
            &format!("/dashboard-widgets/{widget_id}"),
            None
        )
        .await,
        json!({"message": "Dashboard widget successfully deleted"})
    );

    // The whole definition and the filters in one update.
    let updated = ok(&app, &tenant, Method::PATCH, &format!("/dashboards/{id}"), Some(json!({
        "description": "Spend",
        "filters": [{"column": "environment", "type": "string", "operator": "=", "value": "production"}],
        "definition": {"widgets": [{"type": "preset", "id": "a", "presetId": "tokens", "x": 0, "y": 0, "width": 12, "height": 5}]},
    }))).await;
    assert_eq!(updated["name"], "Costs");
    assert_eq!(updated["description"], "Spend");
    assert_eq!(updated["definition"]["widgets"][0]["presetId"], "tokens");
    assert_eq!(updated["filters"][0]["value"], "production");
    refused(&app, &tenant, Method::PATCH, &format!("/dashboards/{id}"), Some(json!({"definition": {"widgets": [
        {"type": "preset", "id": "a", "presetId": "tokens", "x": 0, "y": 0, "width": 6, "height": 5},
        {"type": "preset", "id": "a", "presetId": "traces", "x": 6, "y": 0, "width": 6, "height": 5}]}})),
        StatusCode::BAD_REQUEST, "invalid_request").await;
    refused(&app, &tenant, Method::PATCH, &format!("/dashboards/{id}"),
        Some(json!({"filters": [{"column": "name", "type": "string", "operator": "~", "value": "x"}]})),
        StatusCode::BAD_REQUEST, "invalid_request").await;
    refused(
        &app,
        &tenant,
        Method::PATCH,
        &format!("/dashboards/{id}"),
        Some(json!({"name": " "})),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    ok(
        &app,
        &tenant,
        Method::POST,
        "/dashboards",
        Some(json!({"name": "Second"})),
    )
    .await;
    let page = ok(
        &app,
        &tenant,
        Method::GET,
        "/dashboards?limit=1&page=2",
        None,
    )
    .await;
    assert_eq!(
        page["meta"],
        json!({"page": 2, "limit": 1, "totalItems": 2, "totalPages": 2})
    );
    assert_eq!(page["data"][0]["name"], "Costs");

    let other = app.tenant("Other", "elsewhere").await;
    refused(
        &app,
        &other,
        Method::GET,
        &format!("/dashboards/{id}"),
        None,
        StatusCode::NOT_FOUND,
        "resource_not_found",
    )
    .await;
    assert_eq!(
        ok(
            &app,
            &tenant,
            Method::DELETE,
            &format!("/dashboards/{id}"),
            None
        )
        .await,
        json!({"message": "Dashboard successfully deleted"})
    );
    refused(
        &app,
        &tenant,
        Method::GET,
        &format!("/dashboards/{id}"),
        None,
        StatusCode::NOT_FOUND,
        "resource_not_found",
    )
    .await;
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "widgets_are_saved_metrics_queries",
            widgets_are_saved_metrics_queries,
        ),
        backend_test(
            "dashboards_place_widgets_on_the_grid",
            dashboards_place_widgets_on_the_grid,
        ),
    ]
}
