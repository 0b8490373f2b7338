//! Starting and stopping the real binary, and talking to it over HTTP.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_sightline");

/// Variables a developer's shell may carry that would change what a test starts.
const CLEARED: &[&str] = &[
    "SIGHTLINE_CONFIG",
    "DATABASE_URL",
    "PORT",
    "OTLP_GRPC_PORT",
    "HOSTNAME",
    "SALT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "LANGFUSE_INIT_ORG_ID",
    "LANGFUSE_INIT_ORG_NAME",
    "LANGFUSE_INIT_PROJECT_ID",
    "LANGFUSE_INIT_PROJECT_NAME",
    "LANGFUSE_INIT_PROJECT_RETENTION",
    "LANGFUSE_INIT_PROJECT_PUBLIC_KEY",
    "LANGFUSE_INIT_PROJECT_SECRET_KEY",
    "LANGFUSE_INIT_USER_EMAIL",
    "LANGFUSE_INIT_USER_NAME",
    "LANGFUSE_INIT_USER_PASSWORD",
];

/// A temporary working directory, removed on drop.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn new() -> WorkDir {
        let path = std::env::temp_dir().join(format!("sightline-e2e-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        WorkDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command of the binary in `dir` with a clean Sightline environment plus `env`.
pub fn command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir);
    for name in CLEARED {
        command.env_remove(name);
    }
    command.env("LOG_LEVEL", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `sightline ARGS` to completion; returns (status, stdout, stderr).
pub fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (ExitStatus, String, String) {
    let output = command(dir, env).args(args).output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    child: Child,
    pub base: String,
    /// Port of OTLP over gRPC.
    pub grpc_port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `sightline serve` in `dir` and waits until it answers `/api/public/health`.
    ///
    /// A port found free can be taken by another process before the server binds it (tests run
    /// in parallel, and every client connection takes an ephemeral port), so a start that fails
    /// with "Address already in use" is tried again on other ports.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut server = Server::spawn(dir, env);
            match server.wait_until_healthy() {
                Ok(()) => return server,
                Err(message) if attempts < 5 && message.contains("Address already in use") => {}
                Err(message) => panic!("{message}"),
            }
        }
    }

    fn spawn(dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let grpc_port = loop {
            let candidate = free_port();
            if candidate != port {
                break candidate;
            }
        };
        let mut child = command(dir, env)
            .env("PORT", port.to_string())
            .env("OTLP_GRPC_PORT", grpc_port.to_string())
            .env("HOSTNAME", "127.0.0.1")
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            grpc_port,
            stdout,
            stderr,
        }
    }

    fn wait_until_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The stderr reader may still be copying the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err(format!(
                    "server exited with {status} before it was healthy:\n{}",
                    self.stderr()
                ));
            }
            if let Ok((200, _)) = self.try_get("/api/public/health", None) {
                // Both listeners are bound before either serves.
                std::net::TcpStream::connect(("127.0.0.1", self.grpc_port))
                    .expect("the OTLP/gRPC port accepts connections");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("server did not become healthy:\n{}", self.stderr()))
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The `LANGFUSE_PUBLIC_KEY` / `LANGFUSE_SECRET_KEY` printed on a first start, if any.
    pub fn printed_keys(&self) -> Option<(String, String)> {
        let stdout = self.stdout();
        let find = |name: &str| {
            stdout
                .lines()
                .find_map(|line| line.trim().strip_prefix(name).map(str::to_owned))
        };
        Some((find("LANGFUSE_PUBLIC_KEY=")?, find("LANGFUSE_SECRET_KEY=")?))
    }

    fn try_get(&self, path: &str, auth: Option<(&str, &str)>) -> Result<(u16, Value), ureq::Error> {
        get(&format!("{}{path}", self.base), auth)
    }

    /// GET `path`, with Basic credentials when given; returns status and JSON body.
    pub fn get(&self, path: &str, auth: Option<(&str, &str)>) -> (u16, Value) {
        self.try_get(path, auth).unwrap()
    }

    /// POST a JSON body with Basic credentials; returns status and JSON body.
    pub fn post_json(&self, path: &str, auth: (&str, &str), body: &Value) -> (u16, Value) {
        self.send_json("POST", path, auth, body)
    }

    /// `method` with a JSON body and Basic credentials; returns status and JSON body.
    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        auth: (&str, &str),
        body: &Value,
    ) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let request = match method {
            "PUT" => agent.put(&url),
            "PATCH" => agent.patch(&url),
            _ => agent.post(&url),
        };
        let mut response = request
            .header("authorization", basic(auth.0, auth.1))
            .send_json(body)
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(mut self) -> ExitStatus {
        signal(&self.child, "TERM");
        self.wait()
    }

    /// Sends SIGKILL and waits: nothing gets a chance to flush.
    pub fn kill9(mut self) {
        signal(&self.child, "KILL");
        self.wait();
    }

    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
    buffer
}

pub fn get(url: &str, auth: Option<(&str, &str)>) -> Result<(u16, Value), ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some((public_key, secret_key)) = auth {
        request = request.header("authorization", basic(public_key, secret_key));
    }
    let mut response = request.call()?;
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
    Ok((status, body))
}

fn basic(public_key: &str, secret_key: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{public_key}:{secret_key}"));
    format!("Basic {encoded}")
}
