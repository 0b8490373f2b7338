"""Prompt management through the legacy Python SDK 2.x line (`create_prompt`, `get_prompt`,
`update_prompt`, `compile()` and the fallback), run in its own virtualenv by
legacy_v2_prompts.py; this module checks what that SDK returned."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

CLIENT = Path(__file__).with_name("legacy_v2_prompts.py")


@pytest.fixture(scope="module")
def legacy_python():
    python = os.environ.get("SIGHTLINE_SDK2_PYTHON")
    if not python:
        pytest.fail("SIGHTLINE_SDK2_PYTHON must name a Python with langfuse 2.x (scripts/test sets it)")
    return python


@pytest.fixture(scope="module")
def seen(server, legacy_python):
    """What the 2.x SDK returned for each step of legacy_v2_prompts.py (project C)."""
    project = server.projects[2]
    suffix = uuid.uuid4().hex[:8]
    result = subprocess.run([legacy_python, str(CLIENT), project.public_key, project.secret_key, server.host, suffix],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result printed; stdout={result.stdout!r} stderr={result.stderr[-3000:]}"
    return {"suffix": suffix, **json.loads(lines[-1])}


def ok(seen, key):
    value = seen[key]
    assert not (isinstance(value, dict) and "error" in value), f"{key}: {value.get('error')}\n{value.get('trace')}"
    return value


def test_v2_create_and_get_text_prompt(seen):
    name = f"v2-text-{seen['suffix']}"
    created = ok(seen, "create_text")
    assert created["class"] == "TextPromptClient"
    assert (created["name"], created["version"]) == (name, 1)
    assert created["prompt"] == "Hi {{name}}, you are {{ age }}."
    assert set(created["labels"]) == {"production", "latest"}
    assert created["tags"] == ["v2"]
    assert created["config"] == {"temperature": 0.5, "model": "gpt-4o"}
    assert created["commit_message"] == "v2 first"
    second = ok(seen, "create_text_v2")
    assert second["version"] == 2
    assert set(second["labels"]) == {"staging", "latest"}
    assert second["tags"] == ["v2"]

    default = ok(seen, "get_text_default")
    assert (default["version"], default["prompt"], default["is_fallback"]) == (1, "Hi {{name}}, you are {{ age }}.", False)
    assert default["labels"] == ["production"]
    assert default["config"] == {"temperature": 0.5, "model": "gpt-4o"}
    assert ok(seen, "get_text_label")["version"] == 2
    assert ok(seen, "get_text_latest")["version"] == 2
    assert ok(seen, "get_text_version")["version"] == 1
    assert ok(seen, "get_text_version_kw")["prompt"] == "Second {{name}}"
    assert ok(seen, "compile_text") == "Hi Ada, you are 36."
    assert ok(seen, "variables_text") == ["name", "age"]


def test_v2_create_and_get_chat_prompt(seen):
    created = ok(seen, "create_chat")
    assert created["class"] == "ChatPromptClient"
    assert created["version"] == 1
    assert created["config"] == {"max_tokens": 10}
    expected = [{"role": "system", "content": "You are {{persona}}."}, {"role": "user", "content": "{{question}}"}]
    assert created["prompt"] == expected
    for key in ("get_chat_default", "get_chat_version"):
        fetched = ok(seen, key)
        assert (fetched["class"], fetched["version"], fetched["prompt"], fetched["is_fallback"]) == ("ChatPromptClient", 1, expected, False)
    assert ok(seen, "compile_chat") == [{"role": "system", "content": "You are a poet."}, {"role": "user", "content": "Why?"}]


def test_v2_update_prompt_moves_production(seen):
    assert set(ok(seen, "update_labels")) == {"production", "staging", "latest"}
    after = ok(seen, "get_text_after_update")
    assert (after["version"], after["prompt"]) == (2, "Second {{name}}")
    assert ok(seen, "get_text_v1_after_update")["labels"] == []


def test_v2_is_active_sets_production(seen):
    created = ok(seen, "create_is_active")
    assert set(created["labels"]) == {"production", "latest"}
    assert ok(seen, "get_is_active")["prompt"] == "active"


def test_v2_missing_prompt_uses_fallback(seen):
    raised = ok(seen, "missing_raises")
    assert raised["raised"] == "NotFoundError", raised
    assert raised["status_code"] == 404, raised
    text = ok(seen, "missing_text_fallback")
    assert (text["class"], text["is_fallback"], text["version"], text["prompt"]) == ("TextPromptClient", True, 0, "Fallback {{name}}")
    assert ok(seen, "missing_text_fallback_compiled") == "Fallback Bo"
    chat = ok(seen, "missing_chat_fallback")
    assert (chat["class"], chat["is_fallback"]) == ("ChatPromptClient", True)
    assert chat["prompt"] == [{"role": "system", "content": "Be {{tone}}"}]
    version = ok(seen, "missing_version_fallback")
    assert (version["is_fallback"], version["version"]) == (True, 99)


def test_v2_generation_links_to_the_prompt(seen, server):
    project = server.projects[2]
    generation_id = ok(seen, "linked_generation")
    name = f"v2-text-{seen['suffix']}"
    status, prompt = server.get(project, f"/api/public/v2/prompts/{name}?version=1")
    assert status == 200, prompt
    status, observation = server.get(project, f"/api/public/observations/{generation_id}")
    assert status == 200, observation
    assert (observation["promptId"], observation["promptName"], observation["promptVersion"]) == (prompt["id"], name, 1)
