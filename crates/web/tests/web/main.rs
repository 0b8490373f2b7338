//! The web UI through its real router, on SQLite and PostgreSQL: accounts and sessions, CSRF,
//! RBAC and tenant isolation, settings, escaping of hostile names. One test binary.

mod access;
mod accounts;
mod annotation_queues;
mod audit_logs;
mod batch_actions;
mod dashboard;
mod datasets;
mod evaluators;
mod exports;
mod llm_connections;
mod models;
mod observations;
mod playground;
mod prompts;
mod score_analytics;
mod score_configs;
mod scores;
mod security;
mod sessions;
mod settings;
mod support;
mod trace_data;
mod trace_detail;
mod trace_fixtures;
mod traces;
mod users;

fn main() {
    sightline_store::testing::run_backend_tests(vec![
        ("access", access::tests()),
        ("annotation_queues", annotation_queues::tests()),
        ("audit_logs", audit_logs::tests()),
        ("batch_actions", batch_actions::tests()),
        ("accounts", accounts::tests()),
        ("dashboard", dashboard::tests()),
        ("datasets", datasets::tests()),
        ("evaluators", evaluators::tests()),
        ("exports", exports::tests()),
        ("models", models::tests()),
        ("observations", observations::tests()),
        ("llm_connections", llm_connections::tests()),
        ("playground", playground::tests()),
        ("prompts", prompts::tests()),
        ("score_analytics", score_analytics::tests()),
        ("score_configs", score_configs::tests()),
        ("scores", scores::tests()),
        ("security", security::tests()),
        ("sessions", sessions::tests()),
        ("settings", settings::tests()),
        ("trace_detail", trace_detail::tests()),
        ("traces", traces::tests()),
        ("users", users::tests()),
    ]);
}
