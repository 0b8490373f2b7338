//! `sightline admin`: users, organizations, memberships, projects and keys from the shell, and
//! the keys it makes working against a running server.

use crate::harness::{Server, WorkDir, run};

fn admin(dir: &WorkDir, args: &[&str]) -> String {
    let mut full = vec!["admin"];
    full.extend_from_slice(args);
    let (status, stdout, stderr) = run(dir.path(), &[], &full);
    assert!(status.success(), "admin {args:?} failed: {stderr}");
    stdout
}

fn printed(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .unwrap_or_else(|| panic!("{name} not in {stdout}"))
        .to_owned()
}

#[test]
fn admin_creates_tenants_and_keys_that_the_server_accepts() {
    let dir = WorkDir::new();
    admin(
        &dir,
        &["org", "create", "--id", "org-1", "--name", "Org One"],
    );
    admin(
        &dir,
        &[
            "project",
            "create",
            "--org",
            "org-1",
            "--id",
            "p-1",
            "--name",
            "Project One",
        ],
    );
    let created = admin(&dir, &["key", "create", "--project", "p-1", "--note", "ci"]);
    let (pk, sk) = (
        printed(&created, "LANGFUSE_PUBLIC_KEY="),
        printed(&created, "LANGFUSE_SECRET_KEY="),
    );
    let spare = admin(&dir, &["key", "create", "--project", "p-1"]);
    let (spare_pk, spare_sk) = (
        printed(&spare, "LANGFUSE_PUBLIC_KEY="),
        printed(&spare, "LANGFUSE_SECRET_KEY="),
    );

    // Retention: below the minimum is refused; a valid one is reported by the API.
    let (status, _, stderr) = run(
        dir.path(),
        &[],
        &[
            "admin",
            "project",
            "retention",
            "--project",
            "p-1",
            "--days",
            "2",
        ],
    );
    assert!(!status.success());
    assert!(stderr.contains("at least 3 days"), "{stderr}");
    let set = admin(
        &dir,
        &["project", "retention", "--project", "p-1", "--days", "7"],
    );
    assert!(
        set.contains("older than 7 days are deleted once a day"),
        "{set}"
    );
    let applied = admin(&dir, &["project", "apply-retention", "--project", "p-1"]);
    assert!(applied.contains("retention job enqueued"), "{applied}");

    let org_key = admin(&dir, &["org", "create-key", "--org", "org-1"]);
    let (org_pk, org_sk) = (
        printed(&org_key, "LANGFUSE_PUBLIC_KEY="),
        printed(&org_key, "LANGFUSE_SECRET_KEY="),
    );

    let server = Server::start(dir.path(), &[]);
    assert_eq!(
        server.printed_keys(),
        None,
        "an instance with an organization gets no default"
    );
    let (status, body) = server.get("/api/public/projects", Some((&pk, &sk)));
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["retentionDays"], 7, "{body}");
    assert_eq!(body["data"][0]["id"], "p-1");
    assert_eq!(body["data"][0]["organization"]["name"], "Org One");
    let (status, body) = server.get(
        "/api/public/organizations/projects",
        Some((&org_pk, &org_sk)),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["projects"][0]["id"], "p-1", "{body}");

    // Last use is recorded in the background; give it a moment.
    let mut listed = admin(&dir, &["key", "list", "--project", "p-1"]);
    for _ in 0..50 {
        if !listed
            .lines()
            .any(|line| line.contains(&pk) && line.contains("last used never"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        listed = admin(&dir, &["key", "list", "--project", "p-1"]);
    }
    assert_eq!(listed.lines().count(), 2);
    let first = listed.lines().find(|line| line.contains(&pk)).unwrap();
    assert!(first.contains("\tci\t"), "{first}");
    assert!(
        !first.contains("last used never"),
        "use is recorded: {first}"
    );
    assert!(
        !listed.contains(&sk) && !listed.contains(&spare_sk),
        "secrets are never listed"
    );

    admin(&dir, &["key", "revoke", &spare_pk]);
    let (status, _) = server.get("/api/public/projects", Some((&spare_pk, &spare_sk)));
    assert_eq!(status, 401, "a revoked key is refused");
    let (status, stdout, _) = run(dir.path(), &[], &["admin", "key", "revoke", &spare_pk]);
    assert!(!status.success(), "revoking twice fails: {stdout}");
}

#[test]
fn admin_manages_users_and_roles() {
    let dir = WorkDir::new();
    admin(&dir, &["org", "create", "--id", "org-1", "--name", "Org"]);
    admin(
        &dir,
        &[
            "project", "create", "--org", "org-1", "--id", "p-1", "--name", "P",
        ],
    );
    let created = admin(
        &dir,
        &[
            "user",
            "create",
            "--email",
            "Dev@Example.com",
            "--name",
            "Dev",
        ],
    );
    assert!(
        created.contains("created user dev@example.com"),
        "{created}"
    );
    assert!(printed(&created, "password: ").len() >= 8);
    admin(
        &dir,
        &[
            "member",
            "set",
            "--org",
            "org-1",
            "--email",
            "dev@example.com",
            "--role",
            "viewer",
            "--project",
            "p-1",
            "--project-role",
            "ADMIN",
        ],
    );
    let members = admin(&dir, &["member", "list", "--org", "org-1"]);
    assert!(members.contains("dev@example.com\tVIEWER"), "{members}");

    for bad in [
        vec![
            "member",
            "set",
            "--org",
            "org-1",
            "--email",
            "dev@example.com",
            "--role",
            "GOD",
        ],
        vec![
            "member",
            "set",
            "--org",
            "org-1",
            "--email",
            "nobody@example.com",
            "--role",
            "ADMIN",
        ],
        vec![
            "user",
            "create",
            "--email",
            "dev@example.com",
            "--password",
            "long enough",
        ],
        vec![
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
        vec!["project", "create", "--org", "missing", "--name", "P"],
        vec!["org", "create", "--id", "org-1", "--name", "Again"],
    ] {
        let mut args = vec!["admin"];
        args.extend_from_slice(&bad);
        let (status, _, stderr) = run(dir.path(), &[], &args);
        assert!(!status.success(), "{bad:?} should fail");
        assert!(!stderr.is_empty(), "{bad:?} says why");
    }
}

/// `admin` commands at the default log level (`info`) on `env`'s database: each prints its
/// result, and only that, on stdout; sqlx's notices stay quiet unless asked for, and then go to
/// stderr.
fn admin_output_is_only_the_result(env: &[(&str, &str)]) {
    let dir = WorkDir::new();
    let at_info: Vec<(&str, &str)> = [("LOG_LEVEL", "info")]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    let admin = |args: &[&str]| {
        let mut full = vec!["admin"];
        full.extend_from_slice(args);
        let (status, stdout, stderr) = run(dir.path(), &at_info, &full);
        assert!(status.success(), "admin {args:?} failed: {stderr}");
        assert!(
            !stderr.contains("sqlx"),
            "admin {args:?} logged sqlx notices: {stderr}"
        );
        stdout
    };
    assert_eq!(
        admin(&["org", "create", "--id", "org-1", "--name", "Org"]),
        "created organization Org (org-1)\n"
    );
    // From the second command on the database is migrated: PostgreSQL answers the migrations
    // table's `CREATE TABLE IF NOT EXISTS` with a notice.
    assert_eq!(
        admin(&[
            "project", "create", "--org", "org-1", "--id", "p-1", "--name", "P"
        ]),
        "created project P (p-1)\n"
    );
    let created = admin(&["key", "create", "--project", "p-1"]);
    let lines: Vec<&str> = created.lines().collect();
    assert_eq!(lines.len(), 3, "{created}");
    assert!(
        lines[0].starts_with("LANGFUSE_PUBLIC_KEY=pk-lf-"),
        "{created}"
    );
    assert!(
        lines[1].starts_with("LANGFUSE_SECRET_KEY=sk-lf-"),
        "{created}"
    );
    assert_eq!(lines[2], "(the secret key is shown only now)");

    // Asked for, sqlx's logs go to stderr; stdout still holds only the result.
    let mut verbose: Vec<(&str, &str)> = env.to_vec();
    verbose.push(("LOG_LEVEL", "info,sqlx=info"));
    let (status, stdout, stderr) = run(dir.path(), &verbose, &["admin", "org", "list"]);
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("org-1\tOrg\t"), "{stdout}");
    assert!(!stdout.contains("INFO"), "{stdout}");
    if env.iter().any(|(name, _)| *name == "DATABASE_URL") {
        assert!(
            stderr.contains("sqlx::postgres::notice"),
            "sqlx's notices show when asked for: {stderr}"
        );
    }
}

#[test]
fn admin_prints_only_its_result_on_stdout() {
    admin_output_is_only_the_result(&[]);
}

#[test]
fn admin_prints_only_its_result_on_stdout_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(database) = runtime.block_on(sightline_store::testing::empty_postgres()) else {
        return;
    };
    admin_output_is_only_the_result(&[("DATABASE_URL", database.url.as_str())]);
    drop(database);
}
