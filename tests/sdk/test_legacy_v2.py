"""The legacy Python SDK 2.x line (everything through `POST /api/public/ingestion`): batch
events, and later updates in separate batches merging into the stored entities."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from prices import expected_cost

CLIENT = Path(__file__).with_name("legacy_v2_client.py")


@pytest.fixture(scope="module")
def legacy_python():
    python = os.environ.get("SIGHTLINE_SDK2_PYTHON")
    if not python:
        pytest.fail("SIGHTLINE_SDK2_PYTHON must name a Python with langfuse 2.x (scripts/test sets it)")
    return python


def test_v2_batches_and_later_updates_merge(server, legacy_python):
    project = server.projects[2]
    trace_id = f"v2-{uuid.uuid4().hex}"
    result = subprocess.run([legacy_python, str(CLIENT), project.public_key, project.secret_key, server.host, trace_id],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr

    status, trace = server.get(project, f"/api/public/traces/{trace_id}")
    assert status == 200, trace
    assert trace["name"] == "v2-trace"
    assert trace["userId"] == "v2-user"
    assert trace["sessionId"] == "v2-session"
    assert trace["tags"] == ["one", "two"]
    assert trace["metadata"] == {"a": {"x": 1, "y": 2}}
    assert trace["input"] == {"q": "hi"}
    assert trace["output"] == "done"
    observations = {o["id"]: o for o in trace["observations"]}
    span = observations[f"{trace_id}-span"]
    assert span["type"] == "SPAN"
    assert span["input"] == "query"
    assert span["output"] == {"docs": 2}
    assert span["endTime"] is not None
    generation = observations[f"{trace_id}-gen"]
    assert generation["type"] == "GENERATION"
    assert generation["output"] == "hello"
    assert generation["level"] == "WARNING"
    assert generation["statusMessage"] == "slow"
    assert generation["usageDetails"] == {"input": 100, "output": 50, "total": 150}
    assert abs(generation["calculatedTotalCost"] - expected_cost("gpt-4o", {"input": 100, "output": 50})) < 1e-12
    assert [s["name"] for s in trace["scores"]] == ["quality"]
    assert trace["scores"][0]["value"] == 0.5
