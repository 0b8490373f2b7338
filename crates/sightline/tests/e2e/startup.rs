//! First start, restarts, headless initialization, configuration errors, shutdown.

use crate::harness::{Server, WorkDir, run};

#[test]
fn first_start_prints_keys_once_and_a_restart_keeps_everything() {
    let dir = WorkDir::new();
    // No DATABASE_URL: the default SQLite file under ./data is created.
    let server = Server::start(dir.path(), &[]);
    let (public_key, secret_key) = server
        .printed_keys()
        .expect("first start prints a key pair");
    assert!(public_key.starts_with("pk-lf-") && secret_key.starts_with("sk-lf-"));
    assert!(server.stdout().contains("admin@sightline.local"));
    let (status, body) = server.get("/api/public/projects", Some((&public_key, &secret_key)));
    assert_eq!(status, 200);
    let project = body["data"][0].clone();
    assert_eq!(project["name"], "Default Project");
    assert_eq!(project["organization"]["name"], "Default Organization");
    assert!(
        server.terminate().success(),
        "SIGTERM ends the server cleanly"
    );
    assert!(dir.path().join("data/sightline.db").exists());

    let restarted = Server::start(dir.path(), &[]);
    assert_eq!(restarted.printed_keys(), None, "keys are printed only once");
    let (status, body) = restarted.get("/api/public/projects", Some((&public_key, &secret_key)));
    assert_eq!(status, 200);
    assert_eq!(body["data"][0], project);
}

#[test]
fn wrong_credentials_get_langfuse_401s_from_the_binary() {
    let dir = WorkDir::new();
    let server = Server::start(dir.path(), &[]);
    let (public_key, _) = server.printed_keys().unwrap();
    let (status, body) = server.get("/api/public/projects", None);
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("No authorization header"))
    );
    let (status, body) = server.get("/api/public/projects", Some((&public_key, "sk-lf-wrong")));
    assert_eq!(status, 401);
    assert_eq!(
        body["message"],
        "Invalid credentials. Confirm that you've configured the correct host."
    );
}

const INIT: &[(&str, &str)] = &[
    ("LANGFUSE_INIT_ORG_ID", "acme"),
    ("LANGFUSE_INIT_ORG_NAME", "Acme Inc"),
    ("LANGFUSE_INIT_PROJECT_ID", "acme-web"),
    ("LANGFUSE_INIT_PROJECT_NAME", "Web"),
    ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-acme"),
    ("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-acme-secret"),
    ("LANGFUSE_INIT_USER_EMAIL", "ops@acme.test"),
    ("LANGFUSE_INIT_USER_NAME", "Ops"),
    ("LANGFUSE_INIT_USER_PASSWORD", "correct horse battery"),
];

#[test]
fn headless_init_is_idempotent_and_survives_kill_9() {
    let dir = WorkDir::new();
    let db = format!("sqlite://{}/state.db", dir.path().display());
    let env: Vec<(&str, &str)> = INIT
        .iter()
        .copied()
        .chain([
            ("DATABASE_URL", db.as_str()),
            ("SQLITE_SYNCHRONOUS", "NORMAL"),
        ])
        .collect();
    let server = Server::start(dir.path(), &env);
    assert_eq!(
        server.printed_keys(),
        None,
        "no default setup next to headless init"
    );
    let (status, body) = server.get(
        "/api/public/projects",
        Some(("pk-lf-acme", "sk-lf-acme-secret")),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["id"], "acme-web");
    assert_eq!(body["data"][0]["organization"]["id"], "acme");
    assert_eq!(body["data"][0]["organization"]["name"], "Acme Inc");
    server.kill9();

    let mut renamed = env.clone();
    renamed.push(("LANGFUSE_INIT_PROJECT_NAME", "Web Shop"));
    let server = Server::start(dir.path(), &renamed);
    let (status, body) = server.get(
        "/api/public/projects",
        Some(("pk-lf-acme", "sk-lf-acme-secret")),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["name"], "Web Shop");
    drop(server);

    let (status, stdout, _) = run(
        dir.path(),
        &env,
        &["admin", "member", "list", "--org", "acme"],
    );
    assert!(status.success());
    assert_eq!(
        stdout.lines().count(),
        1,
        "the init user is added once: {stdout}"
    );
    assert!(stdout.contains("ops@acme.test\tOWNER"), "{stdout}");
    let (_, stdout, _) = run(dir.path(), &env, &["admin", "org", "list"]);
    assert_eq!(
        stdout.lines().count(),
        1,
        "no default organization: {stdout}"
    );
}

#[test]
fn unparseable_configuration_stops_the_start() {
    let dir = WorkDir::new();
    for (name, value) in [
        ("PORT", "not-a-port"),
        ("ENCRYPTION_KEY", "too-short"),
        ("SQLITE_SYNCHRONOUS", "sometimes"),
        ("LANGFUSE_INIT_PROJECT_ID", "orphan"),
    ] {
        let (status, _, stderr) = run(dir.path(), &[(name, value)], &["serve"]);
        assert_eq!(status.code(), Some(2), "{name}={value}");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[test]
fn a_configuration_file_is_read_and_the_environment_wins() {
    let dir = WorkDir::new();
    let file = dir.path().join("sightline.env");
    std::fs::write(
        &file,
        "# test configuration\nDATABASE_URL=sqlite://from-file.db\nLANGFUSE_INIT_ORG_ID=file-org\n\
         LANGFUSE_INIT_ORG_NAME=\"From File\"\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let (status, stdout, stderr) = run(
        dir.path(),
        &[("LANGFUSE_INIT_ORG_NAME", "From Env")],
        &["--config", &path, "admin", "org", "list"],
    );
    assert!(status.success(), "{stderr}");
    assert!(dir.path().join("from-file.db").exists());
    // `admin` does not apply headless init; `serve` does.
    assert_eq!(stdout, "");
    let server = Server::start(
        dir.path(),
        &[
            ("SIGHTLINE_CONFIG", path.as_str()),
            ("LANGFUSE_INIT_ORG_NAME", "From Env"),
        ],
    );
    drop(server);
    let (_, stdout, _) = run(
        dir.path(),
        &[("SIGHTLINE_CONFIG", path.as_str())],
        &["admin", "org", "list"],
    );
    assert!(stdout.contains("file-org\tFrom Env"), "{stdout}");
}

#[test]
fn help_explains_each_command() {
    let dir = WorkDir::new();
    let (status, stdout, _) = run(dir.path(), &[], &["--help"]);
    assert!(status.success());
    for word in ["serve", "migrate", "admin", "--config"] {
        assert!(stdout.contains(word), "--help lacks {word}: {stdout}");
    }
    let (_, stdout, _) = run(dir.path(), &[], &["admin", "--help"]);
    for word in ["user", "org", "member", "project", "key"] {
        assert!(stdout.contains(word), "admin --help lacks {word}: {stdout}");
    }
    let (status, stdout, _) = run(dir.path(), &[], &["migrate"]);
    assert!(status.success());
    assert!(stdout.contains("migrations applied"));
}
