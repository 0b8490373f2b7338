"""Fixtures for the SDK suite: the real `sightline` binary on a free port with a throwaway data
directory, provisioned through Langfuse's headless-initialization variables.

The binary is `$SIGHTLINE_BIN`, or `target/debug/sightline` under `$CARGO_TARGET_DIR`.
"""

import base64
import json
import os
import urllib.error
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def binary() -> str:
    if os.environ.get("SIGHTLINE_BIN"):
        return os.environ["SIGHTLINE_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "sightline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Project:
    id: str
    public_key: str
    secret_key: str


@dataclass
class Server:
    host: str
    projects: list
    # "public:secret" of an organization key of sdk-org (the admin API).
    org_key: str = ""

    def get(self, project: "Project", path: str):
        """GET a public API path with the project's keys; returns (status, parsed JSON)."""
        token = base64.b64encode(f"{project.public_key}:{project.secret_key}".encode()).decode()
        request = urllib.request.Request(f"{self.host}{path}", headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def post(self, project: "Project", path: str, body: bytes, content_type: str, headers=None):
        token = base64.b64encode(f"{project.public_key}:{project.secret_key}".encode()).decode()
        all_headers = {"Authorization": f"Basic {token}", "Content-Type": content_type, **(headers or {})}
        request = urllib.request.Request(f"{self.host}{path}", data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def start(env_extra: dict, data_dir: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGFUSE_") and k not in ("DATABASE_URL", "SALT", "SIGHTLINE_CONFIG")}
    env.update(env_extra)
    env.setdefault("LOG_LEVEL", "warn")
    return subprocess.Popen([binary(), "serve"], cwd=data_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_healthy(process: subprocess.Popen, host: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"{host}/api/public/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not become healthy")


@pytest.fixture(scope="session")
def server():
    data_dir = tempfile.mkdtemp(prefix="sightline-sdk-")
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    first = Project("sdk-project-a", "pk-lf-sdk-a", "sk-lf-sdk-a-secret")
    env = {
        "PORT": str(port),
        "OTLP_GRPC_PORT": str(free_port()),
        "HOSTNAME": "127.0.0.1",
        "DATABASE_URL": f"sqlite://{data_dir}/sightline.db",
        "LANGFUSE_INIT_ORG_ID": "sdk-org",
        "LANGFUSE_INIT_ORG_NAME": "SDK Org",
        "LANGFUSE_INIT_PROJECT_ID": first.id,
        "LANGFUSE_INIT_PROJECT_NAME": "SDK Project A",
        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY": first.public_key,
        "LANGFUSE_INIT_PROJECT_SECRET_KEY": first.secret_key,
    }
    admin_env = {**os.environ, "DATABASE_URL": env["DATABASE_URL"], "LOG_LEVEL": "warn"}

    def admin(*args: str) -> str:
        return subprocess.run([binary(), "admin", *args], cwd=data_dir, env=admin_env, check=True, capture_output=True, text=True).stdout

    process = start(env, data_dir)
    try:
        wait_healthy(process, host)
        # A second project of the same organization with its own keys, for isolation checks.
        projects = [first]
        # More projects of the same organization with their own keys: B for isolation checks,
        # C for tracing (the SDK keeps one client per public key per process), D for metrics
        # (which count everything in a project).
        for project_id in ("sdk-project-b", "sdk-project-c", "sdk-project-d"):
            admin("project", "create", "--org", "sdk-org", "--id", project_id, "--name", project_id)
            created = admin("key", "create", "--project", project_id)
            keys = dict(line.split("=", 1) for line in created.splitlines() if line.startswith("LANGFUSE_"))
            projects.append(Project(project_id, keys["LANGFUSE_PUBLIC_KEY"], keys["LANGFUSE_SECRET_KEY"]))
        created = admin("org", "create-key", "--org", "sdk-org")
        keys = dict(line.split("=", 1) for line in created.splitlines() if line.startswith("LANGFUSE_"))
        yield Server(host, projects, f"{keys['LANGFUSE_PUBLIC_KEY']}:{keys['LANGFUSE_SECRET_KEY']}")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
