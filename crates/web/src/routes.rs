//! The UI's one route table. Every page is under `/ui` (`/` redirects there); every route passes
//! the session layer (session, CSRF) and gets the security headers below.

use axum::Router;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{any, get, post};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::assets;
use crate::error::WebError;
use crate::pages::{
    account, annotation_queues, api_keys, audit_logs, auth, batch_actions, dashboard, dashboards,
    datasets, evaluation_rules, evaluators, exports, home, llm_connections, members, models,
    observations, orgs, playground, projects, prompt_diff, prompt_editor, prompts,
    protected_labels, score_analytics, score_configs, scores, sessions, trace_annotations,
    trace_detail, traces, users,
};
use crate::session;
use crate::state::WebState;

/// The content security policy of every page: scripts and styles only from this origin (the
/// embedded assets), nothing inline, no framing, forms only to this origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: WebState) -> Router {
    let pages = Router::new()
        .route("/ui", get(home::get_root))
        .route("/ui/", get(home::get_root))
        .route(
            "/ui/sign-in",
            get(auth::get_sign_in).post(auth::post_sign_in),
        )
        .route(
            "/ui/sign-up",
            get(auth::get_sign_up).post(auth::post_sign_up),
        )
        .route("/ui/sign-out", post(auth::post_sign_out))
        .route("/ui/account", get(account::get_account))
        .route("/ui/account/password", post(account::post_password))
        .route(
            "/ui/organizations",
            get(orgs::get_organizations).post(orgs::post_organization),
        )
        .route("/ui/org/{org_id}", get(orgs::get_organization))
        .route("/ui/org/{org_id}/name", post(orgs::post_organization_name))
        .route(
            "/ui/org/{org_id}/delete",
            post(orgs::post_organization_delete),
        )
        .route("/ui/org/{org_id}/projects", post(orgs::post_project))
        .route("/ui/org/{org_id}/api-keys", post(orgs::post_org_api_key))
        .route(
            "/ui/org/{org_id}/api-keys/{key_id}/delete",
            post(orgs::post_org_api_key_delete),
        )
        .route(
            "/ui/org/{org_id}/members",
            get(members::get_members).post(members::post_invitation),
        )
        .route(
            "/ui/org/{org_id}/members/{user_id}/role",
            post(members::post_member_role),
        )
        .route(
            "/ui/org/{org_id}/members/{user_id}/project-role",
            post(members::post_member_project_role),
        )
        .route(
            "/ui/org/{org_id}/members/{user_id}/remove",
            post(members::post_member_remove),
        )
        .route(
            "/ui/org/{org_id}/members/invitations/{invitation_id}/delete",
            post(members::post_invitation_delete),
        )
        .route("/ui/project/{project_id}", get(dashboard::get_dashboard))
        .route(
            "/ui/project/{project_id}/dashboard",
            get(dashboard::get_dashboard),
        )
        .route(
            "/ui/project/{project_id}/scores",
            get(score_analytics::get_score_analytics),
        )
        .route(
            "/ui/project/{project_id}/dashboards",
            get(dashboards::get_dashboards).post(dashboards::post_dashboard),
        )
        .route(
            "/ui/project/{project_id}/dashboards/templates/{template}",
            post(dashboards::post_template),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}",
            get(dashboards::get_dashboard),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}/duplicate",
            post(dashboards::post_duplicate),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}/delete",
            post(dashboards::post_delete),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}/tiles",
            post(dashboards::post_tile),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}/tiles/{tile_id}/frame",
            post(dashboards::post_tile_frame),
        )
        .route(
            "/ui/project/{project_id}/dashboards/{dashboard_id}/tiles/{tile_id}/delete",
            post(dashboards::post_tile_delete),
        )
        .route(
            "/ui/project/{project_id}/widgets",
            post(dashboards::post_widget),
        )
        .route(
            "/ui/project/{project_id}/widgets/new",
            get(dashboards::get_new_widget),
        )
        .route(
            "/ui/project/{project_id}/widgets/preview",
            get(dashboards::get_widget_preview),
        )
        .route(
            "/ui/project/{project_id}/widgets/{widget_id}",
            post(dashboards::post_widget_update),
        )
        .route(
            "/ui/project/{project_id}/widgets/{widget_id}/edit",
            get(dashboards::get_edit_widget),
        )
        .route(
            "/ui/project/{project_id}/prompts",
            get(prompts::get_prompts).post(prompt_editor::post_prompt),
        )
        .route(
            "/ui/project/{project_id}/prompts/new",
            get(prompt_editor::get_new_prompt),
        )
        .route(
            "/ui/project/{project_id}/prompts/preview",
            post(prompt_editor::post_prompt_preview),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}",
            get(prompts::get_prompt),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/diff",
            get(prompt_diff::get_prompt_diff),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/delete",
            post(prompts::post_delete_prompt),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/duplicate",
            post(prompts::post_duplicate_prompt),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/versions/{version}/labels",
            post(prompts::post_add_label),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/versions/{version}/labels/remove",
            post(prompts::post_remove_label),
        )
        .route(
            "/ui/project/{project_id}/prompts/{name}/versions/{version}/delete",
            post(prompts::post_delete_version),
        )
        .route(
            "/ui/project/{project_id}/datasets",
            get(datasets::get_datasets).post(datasets::post_dataset),
        )
        .route(
            "/ui/project/{project_id}/datasets/{dataset_id}",
            get(datasets::get_dataset).post(datasets::post_dataset_edit),
        )
        .route(
            "/ui/project/{project_id}/datasets/{dataset_id}/items",
            post(datasets::post_item),
        )
        .route(
            "/ui/project/{project_id}/datasets/{dataset_id}/items/{item_id}/status",
            post(datasets::post_item_status),
        )
        .route(
            "/ui/project/{project_id}/datasets/{dataset_id}/compare",
            get(datasets::get_compare),
        )
        .route(
            "/ui/project/{project_id}/datasets/{dataset_id}/import",
            get(datasets::get_import).post(datasets::post_import),
        )
        .route(
            "/ui/project/{project_id}/dataset-items/add",
            post(datasets::post_add_item),
        )
        .route(
            "/ui/project/{project_id}/dataset-items/bulk",
            post(datasets::post_bulk_add),
        )
        .route(
            "/ui/project/{project_id}/traces/delete",
            post(traces::post_delete_traces),
        )
        .route(
            "/ui/project/{project_id}/playground",
            get(playground::get_playground),
        )
        .route(
            "/ui/project/{project_id}/playground/run",
            post(playground::post_run),
        )
        .route(
            "/ui/project/{project_id}/playground/save",
            post(playground::post_save),
        )
        .route(
            "/ui/project/{project_id}/playground/definitions",
            post(playground::post_definition),
        )
        .route(
            "/ui/project/{project_id}/evals",
            get(evaluators::get_evaluators).post(evaluators::post_evaluator),
        )
        .route(
            "/ui/project/{project_id}/evals/new",
            get(evaluators::get_new_evaluator),
        )
        .route(
            "/ui/project/{project_id}/evals/rules",
            get(evaluation_rules::get_rules).post(evaluation_rules::post_rule),
        )
        .route(
            "/ui/project/{project_id}/evals/rules/new",
            get(evaluation_rules::get_new_rule),
        )
        .route(
            "/ui/project/{project_id}/evals/rules/{rule_id}",
            get(evaluation_rules::get_rule).post(evaluation_rules::post_rule_update),
        )
        .route(
            "/ui/project/{project_id}/evals/rules/{rule_id}/toggle",
            post(evaluation_rules::post_toggle),
        )
        .route(
            "/ui/project/{project_id}/evals/rules/{rule_id}/backfill",
            post(evaluation_rules::post_backfill),
        )
        .route(
            "/ui/project/{project_id}/evals/rules/{rule_id}/delete",
            post(evaluation_rules::post_delete),
        )
        .route(
            "/ui/project/{project_id}/evals/executions",
            get(evaluation_rules::get_executions),
        )
        .route(
            "/ui/project/{project_id}/evals/{evaluator_id}",
            get(evaluators::get_evaluator),
        )
        .route(
            "/ui/project/{project_id}/evals/{evaluator_id}/test",
            post(evaluators::post_test),
        )
        .route(
            "/ui/project/{project_id}/evals/{evaluator_id}/reactivate",
            post(evaluators::post_reactivate),
        )
        .route(
            "/ui/project/{project_id}/evals/{evaluator_id}/delete",
            post(evaluators::post_delete),
        )
        .route(
            "/ui/project/{project_id}/settings/llm-connections",
            get(llm_connections::get_connections).post(llm_connections::post_connection),
        )
        .route(
            "/ui/project/{project_id}/settings/llm-connections/default-model",
            post(llm_connections::post_default_model),
        )
        .route(
            "/ui/project/{project_id}/settings/llm-connections/{connection_id}/delete",
            post(llm_connections::post_delete),
        )
        .route(
            "/ui/project/{project_id}/settings/protected-labels",
            get(protected_labels::get_protected_labels)
                .post(protected_labels::post_protected_labels),
        )
        .route(
            "/ui/org/{org_id}/audit-logs",
            get(audit_logs::get_audit_logs),
        )
        .route(
            "/ui/project/{project_id}/traces/delete-all",
            post(batch_actions::post_delete_all_traces),
        )
        .route(
            "/ui/project/{project_id}/settings/batch-actions",
            get(batch_actions::get_batch_actions),
        )
        .route(
            "/ui/project/{project_id}/exports",
            post(exports::post_export),
        )
        .route(
            "/ui/project/{project_id}/settings/exports",
            get(exports::get_exports),
        )
        .route(
            "/ui/project/{project_id}/exports/{export_id}/download",
            get(exports::get_export_download),
        )
        .route(
            "/ui/project/{project_id}/media/{media_id}",
            get(trace_detail::get_media),
        )
        .route("/ui/project/{project_id}/traces", get(traces::get_traces))
        .route(
            "/ui/project/{project_id}/traces/{trace_id}",
            get(trace_detail::get_trace),
        )
        .route(
            "/ui/project/{project_id}/traces/{trace_id}/summary",
            get(trace_detail::get_trace_summary),
        )
        .route(
            "/ui/project/{project_id}/traces/{trace_id}/observations/{observation_id}",
            get(trace_detail::get_trace_observation),
        )
        .route(
            "/ui/project/{project_id}/traces/{trace_id}/comments",
            post(trace_annotations::post_trace_comment),
        )
        .route(
            "/ui/project/{project_id}/traces/{trace_id}/scores",
            post(trace_annotations::post_trace_score),
        )
        .route(
            "/ui/project/{project_id}/sessions/{session_id}/scores",
            post(trace_annotations::post_session_score),
        )
        .route(
            "/ui/project/{project_id}/sessions/{session_id}/scores/{score_id}/delete",
            post(trace_annotations::post_delete_session_score),
        )
        .route(
            "/ui/project/{project_id}/traces/{trace_id}/scores/{score_id}/delete",
            post(trace_annotations::post_delete_score),
        )
        .route(
            "/ui/project/{project_id}/settings",
            get(projects::get_project_settings).post(projects::post_project_settings),
        )
        .route(
            "/ui/project/{project_id}/settings/delete",
            post(projects::post_project_delete),
        )
        .route(
            "/ui/project/{project_id}/settings/api-keys",
            get(api_keys::get_api_keys).post(api_keys::post_api_key),
        )
        .route(
            "/ui/project/{project_id}/settings/api-keys/{key_id}/revoke",
            post(api_keys::post_api_key_revoke),
        )
        .route(
            "/ui/project/{project_id}/scores/all",
            get(scores::get_scores),
        )
        .route(
            "/ui/project/{project_id}/settings/score-configs",
            get(score_configs::get_score_configs).post(score_configs::post_score_config),
        )
        .route(
            "/ui/project/{project_id}/settings/score-configs/{config_id}/archive",
            post(score_configs::post_score_config_archive),
        )
        .route(
            "/ui/project/{project_id}/settings/models",
            get(models::get_models).post(models::post_model),
        )
        .route(
            "/ui/project/{project_id}/settings/models/{model_id}",
            post(models::post_model_update),
        )
        .route(
            "/ui/project/{project_id}/settings/models/{model_id}/delete",
            post(models::post_model_delete),
        )
        .route(
            "/ui/project/{project_id}/sessions",
            get(sessions::get_sessions),
        )
        .route(
            "/ui/project/{project_id}/sessions/{session_id}",
            get(sessions::get_session),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues",
            get(annotation_queues::get_queues).post(annotation_queues::post_queue),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues/items",
            post(annotation_queues::post_queue_items),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues/{queue_id}",
            get(annotation_queues::get_queue),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues/{queue_id}/delete",
            post(annotation_queues::post_queue_delete),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues/{queue_id}/review",
            get(annotation_queues::get_review),
        )
        .route(
            "/ui/project/{project_id}/annotation-queues/{queue_id}/items/{item_id}",
            get(annotation_queues::get_item).post(annotation_queues::post_item),
        )
        .route("/ui/project/{project_id}/users", get(users::get_users))
        .route(
            "/ui/project/{project_id}/users/{user_id}",
            get(users::get_user),
        )
        .route(
            "/ui/project/{project_id}/observations",
            get(observations::get_observations),
        )
        .route("/ui/{*rest}", any(|| async { WebError::NotFound }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            audit_logs::web_audit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        .layer(middleware::from_fn(page_headers));

    Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route("/ui/assets/{name}", get(assets::get_asset))
        .merge(pages)
        .layer(middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .with_state(state)
}

/// One span per UI request, named by its route (ids stay out of the route name).
fn request_span<B>(request: &axum::http::Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

fn log_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        duration_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}

/// Headers of every UI response, assets included.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Pages hold user data: browsers and proxies must not keep them.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Cookie, HX-Request"));
    response
}
