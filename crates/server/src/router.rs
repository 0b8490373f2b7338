//! The one route table. Every public API path is here; handlers live in `handlers/`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, Method, Request, Response};
use axum::routing::{delete, get, patch, post, put};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::handlers::{
    annotation_queues, blob_integrations, comments, dashboards, dataset_items, dataset_runs,
    datasets, evaluations, experiments, fallback, health, ingestion, legacy_ingestion,
    llm_connections, media, metrics, models, observations, organizations, otel, projects, prompts,
    score_configs, scores, scores_v3, sessions, traces,
};
use crate::state::AppState;

/// Langfuse's default JSON body limit.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let public_api = Router::new()
        .route("/health", get(health::get_health))
        .route("/ready", get(health::get_ready))
        .route(
            "/projects",
            get(projects::get_projects).post(organizations::post_project),
        )
        .route(
            "/projects/{project_id}",
            axum::routing::put(organizations::put_project).delete(organizations::delete_project),
        )
        .route(
            "/projects/{project_id}/apiKeys",
            get(organizations::get_project_keys).post(organizations::post_project_key),
        )
        .route(
            "/projects/{project_id}/apiKeys/{api_key_id}",
            axum::routing::delete(organizations::delete_project_key),
        )
        .route(
            "/projects/{project_id}/memberships",
            get(organizations::get_project_memberships)
                .put(organizations::put_project_membership)
                .delete(organizations::delete_project_membership),
        )
        .route(
            "/organizations/projects",
            get(organizations::get_org_projects),
        )
        .route(
            "/organizations/memberships",
            get(organizations::get_org_memberships)
                .put(organizations::put_org_membership)
                .delete(organizations::delete_org_membership),
        )
        .route(
            "/organizations/apiKeys",
            get(organizations::get_org_api_keys),
        )
        .route(
            "/ingestion",
            post(ingestion::post_ingestion)
                .layer(DefaultBodyLimit::max(ingestion::INGESTION_BODY_LIMIT)),
        )
        .route(
            "/otel/v1/traces",
            post(otel::post_otel_traces).layer(DefaultBodyLimit::max(otel::OTLP_BODY_LIMIT)),
        )
        .route("/otel/v1/metrics", post(otel::post_otel_metrics))
        .route("/scores", post(scores::post_scores).get(scores::get_scores))
        .route(
            "/scores/{score_id}",
            get(scores::get_score).delete(scores::delete_score),
        )
        .route("/v2/scores", get(scores::get_scores_v2))
        .route("/v3/scores", get(scores_v3::get_scores_v3))
        .route(
            "/score-configs",
            get(score_configs::get_score_configs).post(score_configs::post_score_config),
        )
        .route(
            "/score-configs/{config_id}",
            get(score_configs::get_score_config).patch(score_configs::patch_score_config),
        )
        .route("/v2/scores/{score_id}", get(scores::get_score))
        .route(
            "/llm-connections",
            get(llm_connections::get_connections).put(llm_connections::put_connection),
        )
        .route(
            "/llm-connections/{id}",
            delete(llm_connections::delete_connection),
        )
        .route(
            "/annotation-queues",
            get(annotation_queues::get_queues).post(annotation_queues::post_queue),
        )
        .route(
            "/annotation-queues/{queue_id}",
            get(annotation_queues::get_queue),
        )
        .route(
            "/annotation-queues/{queue_id}/items",
            get(annotation_queues::get_items).post(annotation_queues::post_item),
        )
        .route(
            "/annotation-queues/{queue_id}/items/{item_id}",
            get(annotation_queues::get_item)
                .patch(annotation_queues::patch_item)
                .delete(annotation_queues::delete_item),
        )
        .route(
            "/annotation-queues/{queue_id}/assignments",
            post(annotation_queues::post_assignment).delete(annotation_queues::delete_assignment),
        )
        .route(
            "/traces",
            get(traces::get_traces)
                .post(legacy_ingestion::post_trace)
                .delete(traces::delete_traces),
        )
        .route(
            "/traces/{trace_id}",
            get(traces::get_trace).delete(traces::delete_trace),
        )
        .route(
            "/comments",
            get(comments::get_comments).post(comments::post_comment),
        )
        .route("/comments/{comment_id}", get(comments::get_comment))
        .route("/metrics", get(metrics::get_metrics))
        .route("/v2/metrics", get(metrics::get_metrics_v2))
        .route("/metrics/daily", get(metrics::get_daily_metrics))
        .route(
            "/unstable/dashboards",
            get(dashboards::list_dashboards).post(dashboards::post_dashboard),
        )
        .route(
            "/unstable/dashboards/{dashboard_id}",
            get(dashboards::get_dashboard)
                .patch(dashboards::patch_dashboard)
                .delete(dashboards::delete_dashboard),
        )
        .route(
            "/unstable/dashboards/{dashboard_id}/placements",
            post(dashboards::post_placement),
        )
        .route(
            "/unstable/dashboards/{dashboard_id}/placements/{placement_id}",
            patch(dashboards::patch_placement).delete(dashboards::delete_placement),
        )
        .route(
            "/unstable/dashboard-widgets",
            get(dashboards::list_widgets).post(dashboards::post_widget),
        )
        .route(
            "/unstable/dashboard-widgets/{widget_id}",
            get(dashboards::get_widget)
                .patch(dashboards::patch_widget)
                .delete(dashboards::delete_widget),
        )
        .route(
            "/unstable/evaluators",
            get(evaluations::list_evaluators).post(evaluations::post_evaluator),
        )
        .route(
            "/unstable/evaluators/{evaluator_id}",
            get(evaluations::get_evaluator).delete(evaluations::delete_evaluator),
        )
        .route(
            "/unstable/evaluation-rules",
            get(evaluations::list_rules).post(evaluations::post_rule),
        )
        .route(
            "/unstable/evaluation-rules/{rule_id}",
            get(evaluations::get_rule)
                .patch(evaluations::patch_rule)
                .delete(evaluations::delete_rule),
        )
        .route("/sessions", get(sessions::get_sessions))
        .route("/sessions/{session_id}", get(sessions::get_session))
        .route("/observations", get(observations::get_observations))
        .route(
            "/observations/{observation_id}",
            get(observations::get_observation),
        )
        .route("/v2/observations", get(observations::get_observations_v2))
        .route("/models", get(models::get_models).post(models::post_model))
        .route(
            "/models/{id}",
            get(models::get_model).delete(models::delete_model),
        )
        .route(
            "/spans",
            post(legacy_ingestion::post_span).patch(legacy_ingestion::patch_span),
        )
        .route(
            "/generations",
            post(legacy_ingestion::post_generation).patch(legacy_ingestion::patch_generation),
        )
        .route("/events", post(legacy_ingestion::post_event))
        .route(
            "/v2/prompts",
            get(prompts::get_prompts).post(prompts::post_prompt),
        )
        .route(
            "/v2/prompts/{prompt_name}",
            get(prompts::get_prompt).delete(prompts::delete_prompt),
        )
        .route(
            "/v2/prompts/{prompt_name}/versions/{version}",
            patch(prompts::patch_prompt_version),
        )
        .route(
            "/prompts",
            get(prompts::get_legacy_prompt).post(prompts::post_legacy_prompt),
        )
        .route(
            "/v2/datasets",
            get(datasets::get_datasets).post(datasets::post_dataset),
        )
        .route("/v2/datasets/{dataset_name}", get(datasets::get_dataset))
        .route(
            "/datasets",
            get(datasets::get_legacy_datasets).post(datasets::post_legacy_dataset),
        )
        .route(
            "/datasets/{dataset_name}",
            get(datasets::get_legacy_dataset),
        )
        .route(
            "/datasets/{dataset_name}/runs",
            get(dataset_runs::get_dataset_runs),
        )
        .route(
            "/datasets/{dataset_name}/runs/{run_name}",
            get(dataset_runs::get_dataset_run).delete(dataset_runs::delete_dataset_run),
        )
        .route(
            "/dataset-items",
            get(dataset_items::get_dataset_items)
                .post(dataset_items::post_dataset_item)
                .layer(DefaultBodyLimit::max(
                    dataset_items::DATASET_ITEMS_BODY_LIMIT,
                )),
        )
        .route(
            "/dataset-items/{id}",
            get(dataset_items::get_dataset_item).delete(dataset_items::delete_dataset_item),
        )
        .route(
            "/dataset-run-items",
            get(dataset_runs::get_dataset_run_items).post(dataset_runs::post_dataset_run_item),
        )
        .route(
            "/integrations/blob-storage",
            get(blob_integrations::get_integrations).put(blob_integrations::put_integration),
        )
        .route(
            "/integrations/blob-storage/{id}",
            get(blob_integrations::get_integration_status)
                .delete(blob_integrations::delete_integration),
        )
        .route("/media", post(media::post_media))
        .route(
            "/media/{media_id}",
            get(media::get_media).patch(media::patch_media),
        )
        // Signed URLs of media in a local directory; the upload streams past the JSON limit
        // (its length is checked against the declared one).
        .route(
            "/media/{media_id}/upload",
            put(media::put_upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/media/{media_id}/download", get(media::get_download))
        .route("/experiments", get(experiments::get_experiments))
        .route("/experiment-items", get(experiments::get_experiment_items))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::services::audit::api_audit,
        ))
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .fallback(fallback::not_found)
        .layer(cors());

    Router::new()
        .nest("/api/public", public_api)
        .fallback(fallback::not_found)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_request(())
                        .on_response(log_response)
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        .with_state(state)
}

/// Langfuse reflects any origin, without credentials, on every public route.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(86_400))
}

fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
        project.id = tracing::field::Empty,
    )
}

fn log_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        duration_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}
