//! Several `sightline serve` processes on one PostgreSQL database.

use sightline_store::testing::empty_postgres;

use crate::harness::{Server, WorkDir};

#[test]
fn two_replicas_on_one_postgres_database_serve_the_same_data() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(database) = runtime.block_on(empty_postgres()) else {
        return;
    };
    let dir = WorkDir::new();
    let env = [("DATABASE_URL", database.url.as_str())];
    // Start both at once against the empty database: migrations and the default setup race.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| Server::start(dir.path(), &env));
        let b = scope.spawn(|| Server::start(dir.path(), &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    let printed: Vec<_> = [&a, &b].iter().filter_map(|s| s.printed_keys()).collect();
    assert_eq!(
        printed.len(),
        1,
        "exactly one replica creates and prints the default setup"
    );
    let (pk, sk) = &printed[0];
    let (status_a, body_a) = a.get("/api/public/projects", Some((pk, sk)));
    let (status_b, body_b) = b.get("/api/public/projects", Some((pk, sk)));
    assert_eq!((status_a, status_b), (200, 200));
    assert_eq!(body_a, body_b);
    drop((a, b));
    drop(database);
}
