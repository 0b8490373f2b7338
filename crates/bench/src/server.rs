//! The server under test: a built `sightline serve` started as a child process in a fresh
//! temporary directory, on a free port, provisioned headlessly with a known key pair.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::http::Client;

const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Most stderr kept for the report.
const STDERR_LIMIT: usize = 16 << 20;

/// The project key pair the server is provisioned with.
pub struct Keys {
    pub public: String,
    pub secret: String,
}

pub struct Settings<'a> {
    pub bin: &'a Path,
    pub dir: &'a Path,
    pub database_url: String,
    pub sqlite_synchronous: &'static str,
    pub log_level: &'a str,
    pub keys: &'a Keys,
    /// More variables for the server (a scenario's own settings).
    pub extra_env: Vec<(&'static str, String)>,
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
    stderr: Arc<Mutex<String>>,
    /// Whether the server took `OTLP_GRPC_PORT=off`.
    pub grpc_off: bool,
}

enum Start {
    Healthy(Server),
    Exited(ExitStatus, String),
}

impl Server {
    /// Starts the server and waits until `/api/public/health` answers 200.
    pub fn start(settings: &Settings) -> Result<Server> {
        match spawn(settings, true)? {
            Start::Healthy(server) => Ok(server),
            // A build that does not know the variable rejects it; start without.
            Start::Exited(_, stderr) if stderr.contains("OTLP_GRPC_PORT") => {
                match spawn(settings, false)? {
                    Start::Healthy(server) => Ok(server),
                    Start::Exited(status, stderr) => exited(status, &stderr),
                }
            }
            Start::Exited(status, stderr) => exited(status, &stderr),
        }
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Bytes of stderr read so far: where the lines written from now on will start.
    pub fn stderr_len(&self) -> usize {
        self.stderr.lock().map_or(0, |s| s.len())
    }

    /// What the server wrote to stderr after the first `from` bytes.
    pub fn stderr_since(&self, from: usize) -> String {
        self.stderr
            .lock()
            .map(|s| s.get(from..).unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// Stops the server with SIGTERM (SIGKILL after 10 s); returns its stderr.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.stderr();
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr()
    }
}

impl Drop for Server {
    /// Never leaves the server running, even when the benchmark fails half-way.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn exited<T>(status: ExitStatus, stderr: &str) -> Result<T> {
    bail!("the server exited with {status} before it was healthy:\n{stderr}")
}

fn spawn(settings: &Settings, grpc_off: bool) -> Result<Start> {
    let port = free_port()?;
    let mut command = Command::new(settings.bin);
    // Nothing from this shell's environment may change what is measured.
    command.env_clear();
    for name in ["PATH", "HOME", "TMPDIR"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
        .current_dir(settings.dir)
        .arg("serve")
        .env("DATABASE_URL", &settings.database_url)
        .env("SQLITE_SYNCHRONOUS", settings.sqlite_synchronous)
        .env("PORT", port.to_string())
        .env("HOSTNAME", "127.0.0.1")
        .env("LOG_LEVEL", settings.log_level)
        .env("LANGFUSE_INIT_ORG_ID", "bench-org")
        .env("LANGFUSE_INIT_PROJECT_ID", "bench-project")
        .env("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", &settings.keys.public)
        .env("LANGFUSE_INIT_PROJECT_SECRET_KEY", &settings.keys.secret)
        .envs(settings.extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if grpc_off {
        command.env("OTLP_GRPC_PORT", "off");
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", settings.bin.display()))?;
    let stderr = collect(child.stderr.take());
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new(&base, &settings.keys.public, &settings.keys.secret);
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            // Let the reader thread take the last lines.
            thread::sleep(Duration::from_millis(100));
            let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            return Ok(Start::Exited(status, text));
        }
        if client
            .get("/api/public/health")
            .is_ok_and(|reply| reply.status == 200)
        {
            return Ok(Start::Healthy(Server {
                pid: child.id(),
                child,
                base,
                stderr,
                grpc_off,
            }));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            bail!("the server did not become healthy within 60 s:\n{text}");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn collect(stream: Option<impl Read + Send + 'static>) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    if let Some(stream) = stream {
        let sink = text.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut sink) = sink.lock()
                    && sink.len() < STDERR_LIMIT
                {
                    sink.push_str(&line);
                    sink.push('\n');
                }
            }
        });
    }
    text
}

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!("sightline-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
