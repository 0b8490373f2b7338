//! An acknowledged event survives `kill -9` of the server, with every durability setting we ship.

use serde_json::json;

use crate::harness::{Server, WorkDir};

const KEYS: (&str, &str) = ("pk-lf-durable", "sk-lf-durable");

fn env(db: &str, synchronous: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.to_owned()),
        ("SQLITE_SYNCHRONOUS", synchronous.to_owned()),
        ("LANGFUSE_INIT_ORG_ID", "org".into()),
        ("LANGFUSE_INIT_PROJECT_ID", "project".into()),
        ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", KEYS.0.into()),
        ("LANGFUSE_INIT_PROJECT_SECRET_KEY", KEYS.1.into()),
    ]
}

fn check(db_url: &str, synchronous: &'static str) {
    let dir = WorkDir::new();
    let owned = env(db_url, synchronous);
    let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(dir.path(), &env);
    let batch: Vec<_> = (0..50)
        .flat_map(|i| {
            [
                json!({"id": format!("t{i}"), "type": "trace-create", "timestamp": "2024-01-01T00:00:00Z",
                       "body": {"id": format!("trace-{i}"), "name": "durable"}}),
                json!({"id": format!("g{i}"), "type": "generation-create", "timestamp": "2024-01-01T00:00:00Z",
                       "body": {"id": format!("gen-{i}"), "traceId": format!("trace-{i}"), "model": "gpt-4o",
                                "usage": {"input": 10, "output": 5}}}),
            ]
        })
        .collect();
    let (status, body) = server.post_json("/api/public/ingestion", KEYS, &json!({"batch": batch}));
    assert_eq!(status, 207);
    assert_eq!(body["successes"].as_array().unwrap().len(), 100, "{body}");
    // Killed right after the acknowledgement: nothing gets a chance to flush.
    server.kill9();

    let server = Server::start(dir.path(), &env);
    for i in 0..50 {
        let (status, trace) = server.get(&format!("/api/public/traces/trace-{i}"), Some(KEYS));
        assert_eq!(status, 200, "trace-{i} lost after kill -9 ({synchronous})");
        assert_eq!(trace["observations"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn acknowledged_events_survive_kill_9_with_synchronous_full() {
    let dir = WorkDir::new();
    check(
        &format!("sqlite://{}/full.db", dir.path().display()),
        "FULL",
    );
}

#[test]
fn acknowledged_events_survive_kill_9_with_synchronous_normal() {
    let dir = WorkDir::new();
    check(
        &format!("sqlite://{}/normal.db", dir.path().display()),
        "NORMAL",
    );
}

#[test]
fn acknowledged_events_survive_kill_9_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(database) = runtime.block_on(sightline_store::testing::empty_postgres()) else {
        return;
    };
    check(&database.url, "FULL");
}
