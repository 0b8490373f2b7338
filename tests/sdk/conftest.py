"""Fixtures for the SDK suite: the real `sightline` binary on a free port with a throwaway data
directory, provisioned through Langfuse's headless-initialization variables.

The binary is `$SIGHTLINE_BIN`, or `target/debug/sightline` under `$CARGO_TARGET_DIR`.
"""

import os
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
        admin("project", "create", "--org", "sdk-org", "--id", "sdk-project-b", "--name", "SDK Project B")
        created = admin("key", "create", "--project", "sdk-project-b")
        keys = dict(line.split("=", 1) for line in created.splitlines() if line.startswith("LANGFUSE_"))
        second = Project("sdk-project-b", keys["LANGFUSE_PUBLIC_KEY"], keys["LANGFUSE_SECRET_KEY"])
        yield Server(host, [first, second])
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
