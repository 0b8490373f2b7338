"""Contract tests for prompt management: real Sightline responses of the /v2/prompts routes
validated against the response schemas of Langfuse's OpenAPI document (`Prompt`,
`PromptMetaListResponse`), with the helpers of test_contract.py (which skips this module too when
the document is missing). Status codes follow Langfuse's server, which the document does not
spell: POST answers 201 (the document lists its body under 200) and DELETE 204 with no body.
"""

import json
import urllib.error
import urllib.parse
import uuid

import pytest

from test_contract import PREFIX, call, spec, validate  # noqa: F401 - `spec` is a fixture

RUN = uuid.uuid4().hex[:8]
BASE = "/v2/prompts"


def path_of(name: str) -> str:
    return f"{BASE}/{urllib.parse.quote(name, safe='')}"


@pytest.fixture(scope="module")
def project(server):
    # Project C is shared with the tracing and contract tests; names carry a run suffix.
    return server.projects[2]


def create(server, project, spec, body):
    status, payload = call(server, project, "POST", BASE, body)
    assert status == 201, f"POST {BASE}: {status} {payload}"
    validate(spec, "POST", BASE, 200, payload)
    return payload


def get(server, project, spec, path, schema_path=None):
    status, payload = call(server, project, "GET", path)
    assert status == 200, f"GET {path}: {status} {payload}"
    validate(spec, "GET", path, 200, payload, schema_path=schema_path)
    return payload


def assert_prompt_fields(prompt, read=False):
    """Fields of wire-spec §6.1 beyond the document's required ones (Langfuse always sends them;
    `resolutionGraph` and `isActive` only on GET by name)."""
    for key in ("id", "projectId", "createdAt", "updatedAt", "createdBy", "commitMessage", *(("resolutionGraph", "isActive") if read else ())):
        assert key in prompt, f"{key} missing in {prompt}"
    assert prompt["createdBy"] == "API"


def test_create_and_get_text_prompt(server, project, spec):
    name = f"contract-text-{RUN}"
    created = create(server, project, spec, {
        "name": name, "type": "text", "prompt": "Hello {{name}}", "labels": ["production"],
        "tags": ["contract"], "config": {"temperature": 0.1}, "commitMessage": "c1",
    })
    assert_prompt_fields(created)
    assert (created["name"], created["version"], created["type"]) == (name, 1, "text")
    assert created["projectId"] == project.id

    fetched = get(server, project, spec, path_of(name), schema_path=f"{BASE}/x")
    assert fetched["id"] == created["id"]
    assert fetched["isActive"] is True
    assert_prompt_fields(fetched, read=True)
    get(server, project, spec, path_of(name) + "?version=1", schema_path=f"{BASE}/x")
    get(server, project, spec, path_of(name) + "?label=latest", schema_path=f"{BASE}/x")
    get(server, project, spec, path_of(name) + "?resolve=false", schema_path=f"{BASE}/x")
    # A type-less body is a text prompt.
    untyped = create(server, project, spec, {"name": name, "prompt": "v2 {{name}}"})
    assert (untyped["type"], untyped["version"], untyped["config"]) == ("text", 2, {})
    assert untyped["tags"] == ["contract"]


def test_create_and_get_chat_prompt(server, project, spec):
    name = f"contract-chat-{RUN}"
    messages = [
        {"role": "system", "content": "You are {{persona}}"},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"},
    ]
    created = create(server, project, spec, {"name": name, "type": "chat", "prompt": messages, "labels": ["production"]})
    assert created["type"] == "chat"
    # Stored and returned as posted.
    assert created["prompt"] == messages
    fetched = get(server, project, spec, path_of(name), schema_path=f"{BASE}/x")
    assert fetched["prompt"] == messages


def test_folder_prompt(server, project, spec):
    name = f"contract-folder-{RUN}/a b/c"
    create(server, project, spec, {"name": name, "prompt": "in a folder", "labels": ["production"]})
    fetched = get(server, project, spec, path_of(name), schema_path=f"{BASE}/x")
    assert fetched["name"] == name


def test_composed_prompt_has_a_resolution_graph(server, project, spec):
    child, parent = f"contract-child-{RUN}", f"contract-parent-{RUN}"
    create(server, project, spec, {"name": child, "prompt": "child", "labels": ["production"]})
    created = create(server, project, spec, {"name": parent, "prompt": f"p @@@langfusePrompt:name={child}|label=production@@@", "labels": ["production"]})
    resolved = get(server, project, spec, path_of(parent), schema_path=f"{BASE}/x")
    assert resolved["prompt"] == "p child"
    graph = resolved["resolutionGraph"]
    assert graph["root"] == {"id": created["id"], "name": parent, "version": 1}
    assert [(d["name"], d["version"]) for d in graph["dependencies"][created["id"]]] == [(child, 1)]
    raw = get(server, project, spec, path_of(parent) + "?resolve=false", schema_path=f"{BASE}/x")
    assert raw["prompt"] == f"p @@@langfusePrompt:name={child}|label=production@@@"
    assert raw["resolutionGraph"] is None


def test_patch_labels(server, project, spec):
    name = f"contract-patch-{RUN}"
    create(server, project, spec, {"name": name, "prompt": "one", "labels": ["production"]})
    create(server, project, spec, {"name": name, "prompt": "two"})
    path = f"{path_of(name)}/versions/2"
    status, payload = call(server, project, "PATCH", path, {"newLabels": ["production", "staging"]})
    assert status == 200, payload
    validate(spec, "PATCH", path, 200, payload, schema_path=f"{BASE}/x/versions/2")
    assert payload["version"] == 2
    assert set(payload["labels"]) == {"production", "staging", "latest"}
    status, payload = call(server, project, "PATCH", f"{path_of(name)}/versions/7", {"newLabels": ["staging"]})
    assert status == 404, payload
    assert isinstance(payload.get("message"), str), payload


def test_list(server, project, spec):
    tag = f"contract-list-{RUN}"
    for suffix in ("a", "b", "c"):
        create(server, project, spec, {"name": f"contract-list-{suffix}-{RUN}", "prompt": suffix, "tags": [tag], "config": {"s": suffix}})
    listed = get(server, project, spec, f"{BASE}?tag={tag}", schema_path=BASE)
    assert [p["name"] for p in listed["data"]] == [f"contract-list-{s}-{RUN}" for s in "abc"]
    assert listed["meta"] == {"page": 1, "limit": 10, "totalItems": 3, "totalPages": 1}
    # Kept by Langfuse for backwards compatibility (langfuse#2068).
    assert listed.get("pagination") == listed["meta"]
    paged = get(server, project, spec, f"{BASE}?tag={tag}&limit=2&page=2", schema_path=BASE)
    assert [p["name"] for p in paged["data"]] == [f"contract-list-c-{RUN}"]
    assert paged["meta"] == {"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2}
    for query in ("", "?limit=100", "?label=production", f"?name=contract-list-a-{RUN}", "?version=1",
                  "?fromUpdatedAt=2020-01-01T00:00:00.000Z&toUpdatedAt=2100-01-01T00:00:00.000Z"):
        get(server, project, spec, f"{BASE}{query}", schema_path=BASE)


def test_delete(server, project, spec):
    name = f"contract-delete-{RUN}"
    create(server, project, spec, {"name": name, "prompt": "one", "labels": ["production"]})
    create(server, project, spec, {"name": name, "prompt": "two", "labels": ["staging"]})
    create(server, project, spec, {"name": name, "prompt": "three"})

    status, payload = call(server, project, "DELETE", path_of(name) + "?version=3")
    assert (status, payload) == (204, None)
    status, _ = call(server, project, "GET", path_of(name) + "?version=3")
    assert status == 404
    status, payload = call(server, project, "DELETE", path_of(name) + "?label=staging")
    assert (status, payload) == (204, None)
    status, _ = call(server, project, "GET", path_of(name) + "?version=2")
    assert status == 404
    assert get(server, project, spec, path_of(name), schema_path=f"{BASE}/x")["version"] == 1

    status, payload = call(server, project, "DELETE", path_of(name))
    assert (status, payload) == (204, None)
    status, _ = call(server, project, "GET", path_of(name) + "?version=1")
    assert status == 404
    status, body = call(server, project, "GET", f"{BASE}?name={urllib.parse.quote(name)}")
    assert status == 200 and body["data"] == [], body
    # Nothing left to delete.
    status, payload = call(server, project, "DELETE", path_of(name))
    assert status == 404, payload


def test_error_404_messages(server, project):
    name = f"contract-missing-{RUN}"
    status, body = call(server, project, "GET", path_of(name))
    assert status == 404, body
    assert body == {"message": f"Prompt not found: '{name}' with label 'production'", "error": "LangfuseNotFoundError"}
    status, body = call(server, project, "GET", path_of(name) + "?version=3")
    assert status == 404, body
    assert body["message"] == f"Prompt not found: '{name}' with version 3", body
    status, body = call(server, project, "GET", path_of(name) + "?label=dev")
    assert status == 404, body
    assert body["message"] == f"Prompt not found: '{name}' with label 'dev'", body


@pytest.mark.parametrize("body", [
    {"name": "", "prompt": "x"},
    {"name": "new", "prompt": "x"},
    {"name": f"bad|name-{RUN}", "prompt": "x"},
    {"name": f"contract-bad-label-{RUN}", "prompt": "x", "labels": ["UPPER"]},
    {"name": f"contract-chat-string-{RUN}", "type": "chat", "prompt": "not a list"},
    {"name": f"contract-text-list-{RUN}", "type": "text", "prompt": [{"role": "user", "content": "x"}]},
    {"name": f"contract-no-prompt-{RUN}"},
    {"name": f"contract-long-commit-{RUN}", "prompt": "x", "commitMessage": "x" * 501},
], ids=["empty-name", "reserved-name", "pipe-in-name", "bad-label", "chat-string", "text-list", "no-prompt", "long-commit"])
def test_error_400_create(server, project, body):
    status, payload = call(server, project, "POST", BASE, body)
    assert status == 400, payload
    assert isinstance(payload, dict) and isinstance(payload.get("message"), str) and payload["message"], payload
    # A zod failure (`Invalid request data` + issues) or a typed InvalidRequestError (wire-spec §0.1).
    if payload["message"] == "Invalid request data":
        assert isinstance(payload.get("error"), list) and payload["error"], payload
    else:
        assert payload.get("error") == "InvalidRequestError", payload


def test_error_400_get_both_version_and_label(server, project, spec):
    name = f"contract-both-{RUN}"
    create(server, project, spec, {"name": name, "prompt": "x", "labels": ["production"]})
    status, payload = call(server, project, "GET", path_of(name) + "?version=1&label=production")
    assert status == 400, payload
    assert payload.get("message") == "Cannot specify both version and label", payload


def test_legacy_v1_prompts_if_served(server, project, spec):
    # The legacy `/api/public/prompts` (not in the document): GET ?name=&version= and POST with isActive.
    name = f"contract-legacy-{RUN}"
    status, created = call(server, project, "POST", "/prompts", {"name": name, "prompt": "legacy {{x}}", "isActive": True})
    if status in (404, 405):
        pytest.skip(f"/prompts is not served ({status} {created})")
    assert status in (200, 201), created
    validate(spec, "GET", path_of(name), 200, created, schema_path=f"{BASE}/x")
    assert "production" in created["labels"]
    status, fetched = call(server, project, "GET", f"/prompts?name={urllib.parse.quote(name)}")
    assert status == 200, fetched
    validate(spec, "GET", path_of(name), 200, fetched, schema_path=f"{BASE}/x")
    assert fetched["isActive"] is True
    assert fetched["prompt"] == "legacy {{x}}"
    status, fetched = call(server, project, "GET", f"/prompts?name={urllib.parse.quote(name)}&version=1")
    assert status == 200, fetched
    status, body = call(server, project, "GET", f"/prompts?name=contract-legacy-missing-{RUN}")
    assert status == 404, body
    assert body == {"error": "LangfuseNotFoundError", "message": "Prompt not found"}, body


def test_error_403_with_a_public_key_bearer(server, project):
    # Prompt routes need Basic auth with the secret key (wire-spec §1.3). Langfuse's message is
    # "Access denied - need to use basic auth with secret key to GET prompts" in its older route
    # code and "Access denied - insufficient permissions for this endpoint" in the current one.
    import urllib.request
    request = urllib.request.Request(f"{server.host}{PREFIX}{BASE}", headers={"Authorization": f"Bearer {project.public_key}"})
    try:
        urllib.request.urlopen(request, timeout=10)
        pytest.fail("a public-key bearer read the prompts")
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read() or b"null")
    assert status == 403, body
    assert body.get("message", "").startswith("Access denied - "), body
