//! Throwaway databases for tests: a SQLite file in the temp directory, or a fresh PostgreSQL
//! database on the server named by `SIGHTLINE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Both are removed when the [`TestDb`] is dropped.
//!
//! PostgreSQL tests never skip silently: set `SIGHTLINE_TEST_POSTGRES=off` to leave them out,
//! and they say so on stderr.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Connection;

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::ingest::{
    ObservationRow, ObservationType, ScoreDataType, ScorePatch, ScoreSource, TraceRow,
};
use sightline_domain::time::now_ms;

use crate::{Backend, EventRows, Store, StoreOptions};

/// Stores final rows in one event-store write, as the ingestion fold hands them over.
pub async fn put_rows(store: &Store, project: &ProjectId, rows: EventRows) {
    let mut write = store
        .events()
        .begin_event_write(now_ms())
        .await
        .expect("begin");
    write.put(project, &rows).await.expect("put rows");
    write.commit().await.expect("commit");
}

/// A trace with only its id and time, in the default environment; set more fields on it.
pub fn trace_row(id: &str, timestamp: i64) -> TraceRow {
    TraceRow::shallow(id, timestamp, "default")
}

/// A span of `trace` that starts at `start` and lasts 100 ms, with a small input and output;
/// set more fields on it.
pub fn observation_row(trace: &str, id: &str, start: i64) -> ObservationRow {
    let mut row = ObservationRow::shallow(id, trace, ObservationType::Span, start, "default");
    row.end_time = Some(start + 100);
    row.name = Some(format!("{id}-name"));
    row.input = Some(json!("a large input"));
    row.output = Some(json!({"answer": 42}));
    row
}

/// A numeric API score of `trace`; set more fields on it.
pub fn score_row(id: &str, trace: &str, name: &str, value: f64, timestamp: i64) -> ScorePatch {
    ScorePatch {
        id: id.into(),
        name: name.into(),
        timestamp,
        environment: "default".into(),
        data_type: ScoreDataType::Numeric,
        value: Some(value),
        string_value: None,
        source: ScoreSource::Api,
        trace_id: Some(trace.into()),
        observation_id: None,
        session_id: None,
        dataset_run_id: None,
        comment: None,
        metadata: None,
        config_id: None,
        queue_id: None,
        execution_trace_id: None,
    }
}

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const DB_PREFIX: &str = "sightline_test_";
/// Databases of runs that died before cleaning up are dropped once they are this old.
const STALE_AFTER_SECS: u64 = 3 * 3600;

pub struct TestDb {
    pub store: Store,
    /// The URL a server process would be given to use the same database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("{DB_PREFIX}{}.db", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", path.display());
        let store = crate::open(&StoreOptions::new(&url))
            .await
            .expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb {
            store,
            url,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// A fresh, migrated PostgreSQL database, or `None` when `SIGHTLINE_TEST_POSTGRES=off`.
    pub async fn postgres() -> Option<TestDb> {
        let url = fresh_postgres_database().await?;
        let store = crate::open(&StoreOptions::new(&url.url))
            .await
            .expect("open postgres");
        store.migrate().await.expect("migrate postgres");
        Some(TestDb {
            store,
            url: url.url,
            cleanup: url.cleanup,
        })
    }

    pub async fn for_backend(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite().await),
            Backend::Postgres => TestDb::postgres().await,
        }
    }
}

/// An empty PostgreSQL database (not migrated) that is dropped with the returned guard.
pub struct EmptyPostgres {
    pub url: String,
    cleanup: Cleanup,
}

impl Drop for EmptyPostgres {
    fn drop(&mut self) {
        self.cleanup.run();
    }
}

pub async fn empty_postgres() -> Option<EmptyPostgres> {
    let db = fresh_postgres_database().await?;
    Some(EmptyPostgres {
        url: db.url,
        cleanup: db.cleanup,
    })
}

struct FreshDatabase {
    url: String,
    cleanup: Cleanup,
}

async fn fresh_postgres_database() -> Option<FreshDatabase> {
    if std::env::var("SIGHTLINE_TEST_POSTGRES").as_deref() == Ok("off") {
        eprintln!("PostgreSQL test left out: SIGHTLINE_TEST_POSTGRES=off");
        return None;
    }
    let admin_url =
        std::env::var("SIGHTLINE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {admin_url} ({e}); \
             set SIGHTLINE_TEST_POSTGRES_URL, or SIGHTLINE_TEST_POSTGRES=off to leave them out"
            )
        });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    drop_stale_databases(&mut admin, now).await;
    let name = format!("{DB_PREFIX}{now}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("postgres URL has a database part");
    Some(FreshDatabase {
        url: format!("{base}/{name}"),
        cleanup: Cleanup::PostgresDatabase { admin_url, name },
    })
}

async fn drop_stale_databases(admin: &mut sqlx::PgConnection, now: u64) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'sightline_test_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let created = name
            .trim_start_matches(DB_PREFIX)
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER_SECS) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

impl Cleanup {
    fn run(&self) {
        match self {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside any async context we may block, so use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("cleanup runtime");
                    runtime.block_on(async {
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&mut admin)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.cleanup.run();
    }
}

/// The future of one backend test.
type TestFuture = Pin<Box<dyn Future<Output = ()>>>;

/// An `async fn(TestDb)` that runs once per backend: as `sqlite::<name>` and `postgres::<name>`
/// (the PostgreSQL run passes without running when no server is reachable, see
/// [`TestDb::postgres`]). Test files list theirs in a plain function ([`backend_test`]), and a
/// test binary runs them with [`run_backend_tests`].
pub struct BackendTest {
    name: &'static str,
    run: Arc<dyn Fn(TestDb) -> TestFuture + Send + Sync>,
}

/// The test `name`, run by calling `run`.
pub fn backend_test<F, Fut>(name: &'static str, run: F) -> BackendTest
where
    F: Fn(TestDb) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + 'static,
{
    BackendTest {
        name,
        run: Arc::new(move |db| Box::pin(run(db))),
    }
}

/// The `main` of a test binary built with `harness = false`: runs every listed test on each
/// backend, named `<module>::<backend>::<test>` (`<backend>::<test>` for an empty module), each
/// on a Tokio runtime of its own with two workers, with libtest's command line and output (what
/// `cargo test` and `cargo nextest` drive).
pub fn run_backend_tests(modules: Vec<(&'static str, Vec<BackendTest>)>) -> ! {
    let arguments = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    for (module, tests) in modules {
        for test in tests {
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let backend_name = match backend {
                    Backend::Sqlite => "sqlite",
                    Backend::Postgres => "postgres",
                };
                let name = if module.is_empty() {
                    format!("{backend_name}::{}", test.name)
                } else {
                    format!("{module}::{backend_name}::{}", test.name)
                };
                let run = test.run.clone();
                trials.push(libtest_mimic::Trial::test(name, move || {
                    run_on(backend, run.as_ref())
                }));
            }
        }
    }
    libtest_mimic::run(&arguments, trials).exit()
}

fn run_on(
    backend: Backend,
    run: &(dyn Fn(TestDb) -> TestFuture + Send + Sync),
) -> Result<(), libtest_mimic::Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| libtest_mimic::Failed::from(format!("no Tokio runtime: {e}")))?;
    runtime.block_on(async {
        let db = match backend {
            Backend::Sqlite => Some(TestDb::sqlite().await),
            Backend::Postgres => TestDb::postgres().await,
        };
        if let Some(db) = db {
            run(db).await;
        }
    });
    Ok(())
}
