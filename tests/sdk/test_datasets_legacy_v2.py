"""Datasets through the legacy Python SDK 2.x line (`create_dataset`, `create_dataset_item`,
`get_dataset`, `item.link`, `item.observe`, `get_dataset_run(s)`), run in its own virtualenv by
legacy_v2_datasets.py; this module checks what that SDK returned."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

CLIENT = Path(__file__).with_name("legacy_v2_datasets.py")


@pytest.fixture(scope="module")
def seen(server):
    python = os.environ.get("SIGHTLINE_SDK2_PYTHON")
    if not python:
        pytest.fail("SIGHTLINE_SDK2_PYTHON must name a Python with langfuse 2.x (scripts/test sets it)")
    project = server.projects[2]
    suffix = uuid.uuid4().hex[:8]
    result = subprocess.run([python, str(CLIENT), project.public_key, project.secret_key, server.host, suffix],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result printed; stdout={result.stdout!r} stderr={result.stderr[-3000:]}"
    return {"suffix": suffix, **json.loads(lines[-1])}


def ok(seen, key):
    value = seen[key]
    assert not (isinstance(value, dict) and "error" in value), f"{key}: {value.get('error')}\n{value.get('trace')}"
    return value


def test_v2_datasets_items_and_runs(seen):
    suffix = seen["suffix"]
    dataset = ok(seen, "create_dataset")
    assert (dataset["name"], dataset["description"], dataset["metadata"]) == (f"v2-dataset-{suffix}", "v2", {"k": "v"})
    item = ok(seen, "create_item_0")
    assert (item["id"], item["input"], item["expectedOutput"]) == (f"v2-item-0-{suffix}", {"n": 0}, 1)

    run = ok(seen, "run")
    assert run["items"] == sorted([f"v2-item-0-{suffix}", f"v2-item-1-{suffix}"])
    fetched = ok(seen, "get_run")
    assert fetched["name"] == f"v2-run-{suffix}"
    assert fetched["description"] == "from v2"
    assert fetched["metadata"] == {"model": "m"}
    links = {(link["item"], link["trace"], link["observation"]) for link in run["linked"]}
    stored = {(i["datasetItemId"], i["traceId"], i["observationId"]) for i in fetched["datasetRunItems"]}
    assert stored == links
    assert ok(seen, "get_runs") == [f"v2-run-{suffix}"]
    assert "NotFoundError" in seen["missing"]["error"]
