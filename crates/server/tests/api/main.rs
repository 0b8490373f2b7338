//! The public API as a client sees it, driven through the real router on SQLite and PostgreSQL.

mod support;

mod annotation_queues;
mod audit;
mod blob_integrations;
mod comments;
mod dashboards;
mod datasets;
mod deletion;
mod evaluations;
mod experiments;
mod filters;
mod grpc;
mod identity;
mod ingestion;
mod llm_connections;
mod media;
mod metrics;
mod metrics_query;
mod mixed;
mod observations;
mod organizations;
mod otlp;
mod prompts;
mod reads;
mod retention;
mod scores;
mod scores_v3;
mod unavailable;

fn main() {
    sightline_store::testing::run_backend_tests(vec![
        ("annotation_queues", annotation_queues::tests()),
        ("audit", audit::tests()),
        ("blob_integrations", blob_integrations::tests()),
        ("comments", comments::tests()),
        ("dashboards", dashboards::tests()),
        ("datasets", datasets::tests()),
        ("deletion", deletion::tests()),
        ("evaluations", evaluations::tests()),
        ("experiments", experiments::tests()),
        ("filters", filters::tests()),
        ("grpc", grpc::tests()),
        ("identity", identity::tests()),
        ("ingestion", ingestion::tests()),
        ("llm_connections", llm_connections::tests()),
        ("media", media::tests()),
        ("metrics", metrics::tests()),
        ("metrics_query", metrics_query::tests()),
        ("mixed", mixed::tests()),
        ("observations", observations::tests()),
        ("organizations", organizations::tests()),
        ("otlp", otlp::tests()),
        ("prompts", prompts::tests()),
        ("reads", reads::tests()),
        ("retention", retention::tests()),
        ("scores", scores::tests()),
        ("scores_v3", scores_v3::tests()),
        ("unavailable", unavailable::tests()),
    ]);
}
