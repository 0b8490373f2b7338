"""Contract tests: real Sightline responses validated against the response schemas of Langfuse's
OpenAPI document (`../shared/langfuse/langfuse-openapi.yml` next to the repository, or
`$SIGHTLINE_LANGFUSE_OPENAPI`).

The document is OpenAPI 3.0; its schemas are converted to JSON Schema (draft 2020-12) before
validation: `nullable: true` becomes a `null` alternative, `#/components/schemas/...` references
resolve against the converted components, and `allOf`/`oneOf` keep their JSON Schema meaning (the
document has no `discriminator`; its unions discriminate through `dataType`/`type` enums).
Data are seeded through the public API only (batch ingestion, POST /scores, /score-configs,
/models, /comments), with ids unique to the run.
"""

import base64
import json
import os
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = Path(os.environ.get("SIGHTLINE_LANGFUSE_OPENAPI", ROOT.parent / "shared" / "langfuse" / "langfuse-openapi.yml"))

if not SPEC_PATH.is_file():
    reason = f"Langfuse's OpenAPI document is missing at {SPEC_PATH}; contract tests skipped"
    print(reason)
    pytest.skip(reason, allow_module_level=True)

import jsonschema  # noqa: E402
import yaml  # noqa: E402

PREFIX = "/api/public"


# ---------------------------------------------------------------------------------------------
# OpenAPI 3.0 -> JSON Schema


def to_json_schema(node):
    """Converts an OpenAPI 3.0 schema object (recursively) into JSON Schema 2020-12."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in ("nullable", "discriminator", "example", "examples", "xml", "externalDocs", "deprecated"):
            continue
        if key in ("properties", "patternProperties", "$defs"):
            converted[key] = {name: to_json_schema(schema) for name, schema in value.items()}
        else:
            converted[key] = to_json_schema(value)
    if node.get("nullable") is True:
        if isinstance(converted.get("type"), str) and "$ref" not in converted and not any(k in converted for k in ("allOf", "oneOf", "anyOf")):
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def spec():
    with open(SPEC_PATH) as handle:
        document = yaml.safe_load(handle)
    components = {name: to_json_schema(schema) for name, schema in document["components"]["schemas"].items()}
    return {"paths": document["paths"], "components": {"schemas": components}}


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value) -> bool:
    # RFC 3339 with a time zone, as Langfuse writes them (`2024-01-01T00:00:00.000Z`).
    if not isinstance(value, str):
        return True
    if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value)
    return True


def template_of(spec, method: str, path: str) -> str:
    """The documented path template (`/traces/{traceId}`) that a concrete path matches; literal
    segments win over parameters (`/v2/scores` over `/scores/{scoreId}`-like templates)."""
    segments = path.split("?")[0].split("/")
    candidates = []
    for template, operations in spec["paths"].items():
        if method.lower() not in operations or not template.startswith(PREFIX):
            continue
        parts = template[len(PREFIX):].split("/")
        if len(parts) == len(segments) and all(p == s or (p.startswith("{") and p.endswith("}")) for p, s in zip(parts, segments)):
            candidates.append((sum(p == s for p, s in zip(parts, segments)), template[len(PREFIX):]))
    assert candidates, f"{method} {path} is not in Langfuse's OpenAPI document"
    return max(candidates)[1]


def response_schema(spec, method: str, path: str, status: int):
    operation = spec["paths"][PREFIX + template_of(spec, method, path)][method.lower()]
    response = operation["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    return to_json_schema(schema)


def validate(spec, method: str, path: str, status: int, body, schema_path: str = None):
    """Validates `body` against the documented response of `method schema_path` (default `path`)."""
    schema = response_schema(spec, method, schema_path or path, status)
    root = {**schema, "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(root, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for error in errors[:10]:
            where = "/".join(str(p) for p in error.absolute_path) or "<root>"
            lines.append(f"  at {where}: {error.message[:300]}")
            for sub in sorted(error.context or [], key=lambda e: len(list(e.absolute_path)))[:6]:
                sub_where = "/".join(str(p) for p in sub.absolute_path) or "<root>"
                lines.append(f"      - {sub_where}: {sub.message[:200]}")
        pytest.fail(f"{method} {path} ({status}) does not match Langfuse's schema:\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------------
# HTTP


def call(server, project, method: str, path: str, body=None, auth=None):
    """One request to the public API; returns (status, parsed JSON body or None)."""
    if auth is None:
        auth = f"{project.public_key}:{project.secret_key}"
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(f"{server.host}{PREFIX}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def check(server, project, spec, method, path, status=200, body=None, schema_path=None):
    code, payload = call(server, project, method, path, body)
    assert code == status, f"{method} {path}: {code} {payload}"
    validate(spec, method, path if schema_path is None else schema_path, status, payload)
    return payload


# ---------------------------------------------------------------------------------------------
# Seed data

RUN = uuid.uuid4().hex[:8]
TRACE_ID = f"contract-trace-{RUN}"
SPAN_ID = f"contract-span-{RUN}"
GENERATION_ID = f"contract-gen-{RUN}"
EVENT_ID = f"contract-event-{RUN}"
SESSION_ID = f"contract-session-{RUN}"
SCORE_IDS = {kind: f"contract-score-{kind.lower()}-{RUN}" for kind in ("NUMERIC", "CATEGORICAL", "BOOLEAN")}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def project(server):
    # Project C is shared with the tracing tests; the ids carry a run suffix.
    return server.projects[2]


@pytest.fixture(scope="module")
def seeded(server, project):
    now = datetime.now(timezone.utc) - timedelta(minutes=1)

    def event(kind, body, offset=0):
        return {"id": str(uuid.uuid4()), "type": kind, "timestamp": iso(now + timedelta(milliseconds=offset)), "body": body}

    batch = [
        event("trace-create", {
            "id": TRACE_ID, "name": "contract-trace", "timestamp": iso(now), "userId": "contract-user",
            "sessionId": SESSION_ID, "input": {"question": "hi"}, "output": "hello", "metadata": {"k": "v"},
            "tags": ["contract"], "release": "r1", "version": "v1", "public": False,
        }),
        event("span-create", {
            "id": SPAN_ID, "traceId": TRACE_ID, "name": "contract-span", "startTime": iso(now),
            "endTime": iso(now + timedelta(seconds=2)), "input": {"a": 1}, "output": {"b": 2}, "level": "DEFAULT",
        }, 1),
        event("generation-create", {
            "id": GENERATION_ID, "traceId": TRACE_ID, "parentObservationId": SPAN_ID, "name": "contract-gen",
            "startTime": iso(now), "completionStartTime": iso(now + timedelta(milliseconds=300)),
            "endTime": iso(now + timedelta(seconds=1)), "model": "gpt-4o",
            "modelParameters": {"temperature": 0.2, "maxTokens": 100},
            "input": [{"role": "user", "content": "hi"}], "output": {"role": "assistant", "content": "hello"},
            "usage": {"input": 10, "output": 20, "total": 30, "unit": "TOKENS"},
        }, 2),
        event("event-create", {
            "id": EVENT_ID, "traceId": TRACE_ID, "parentObservationId": SPAN_ID, "name": "contract-event",
            "startTime": iso(now + timedelta(milliseconds=500)), "input": "ping",
        }, 3),
        event("score-create", {"id": SCORE_IDS["NUMERIC"], "traceId": TRACE_ID, "name": "contract-accuracy", "value": 0.9, "dataType": "NUMERIC", "comment": "good"}, 4),
        event("score-create", {"id": SCORE_IDS["CATEGORICAL"], "traceId": TRACE_ID, "observationId": GENERATION_ID, "name": "contract-tone", "value": "polite", "dataType": "CATEGORICAL"}, 5),
        event("score-create", {"id": SCORE_IDS["BOOLEAN"], "sessionId": SESSION_ID, "name": "contract-helpful", "value": 1, "dataType": "BOOLEAN"}, 6),
    ]
    status, body = call(server, project, "POST", "/ingestion", {"batch": batch})
    assert status == 207, body
    assert body["errors"] == [], body
    return {"ingestion": body}


# ---------------------------------------------------------------------------------------------
# Tests


def test_health(server, project, spec):
    check(server, project, spec, "GET", "/health")


def test_projects(server, project, spec):
    check(server, project, spec, "GET", "/projects")


def test_admin_api_with_an_organization_key(server, project, spec):
    """The admin API's answers (organization key) match Langfuse's schemas; a project key is
    refused with 403."""
    org = server.org_key

    def admin(method, path, status=200, body=None, schema_path=None):
        code, payload = call(server, project, method, path, body, auth=org)
        assert code == status, f"{method} {path}: {code} {payload}"
        validate(spec, method, schema_path or path, status, payload)
        return payload

    admin("GET", "/organizations/projects")
    admin("GET", "/organizations/memberships")
    admin("GET", "/organizations/apiKeys")
    made = admin("POST", "/projects", body={"name": f"contract-admin-{RUN}", "retention": 0})
    pid = made["id"]
    admin("PUT", f"/projects/{pid}", body={"name": f"contract-renamed-{RUN}", "retention": 7},
          schema_path="/projects/{projectId}")
    key = admin("POST", f"/projects/{pid}/apiKeys", body={"note": "contract"},
                schema_path="/projects/{projectId}/apiKeys")
    admin("GET", f"/projects/{pid}/apiKeys", schema_path="/projects/{projectId}/apiKeys")
    admin("GET", f"/projects/{pid}/memberships", schema_path="/projects/{projectId}/memberships")
    admin("DELETE", f"/projects/{pid}/apiKeys/{key['id']}",
          schema_path="/projects/{projectId}/apiKeys/{apiKeyId}")
    admin("DELETE", f"/projects/{pid}", status=202, schema_path="/projects/{projectId}")
    code, body = call(server, project, "POST", "/projects", {"name": "refused", "retention": 0})
    assert code == 403 and "Organization-scoped API key required" in body["message"], body


def test_media(server, project, spec):
    """An upload URL, the upload to it, the SDK's report and the media's download answer match
    Langfuse's schemas."""
    import hashlib

    content = f"contract media {RUN}".encode()
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    code, made = call(server, project, "POST", "/media", {
        "traceId": f"contract-media-{RUN}", "contentType": "text/plain",
        "contentLength": len(content), "sha256Hash": digest, "field": "input"})
    # Langfuse answers 201 (web/src/pages/api/public/media/index.ts); the document says 200.
    assert code == 201, made
    validate(spec, "POST", "/media", 200, made)
    upload = urllib.request.Request(made["uploadUrl"], data=content, method="PUT",
                                    headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(upload, timeout=10) as response:
        assert response.status == 200
    code, _ = call(server, project, "PATCH", f"/media/{made['mediaId']}", {
        "uploadedAt": datetime.now(timezone.utc).isoformat(), "uploadHttpStatus": 200})
    assert code == 200
    media = check(server, project, spec, "GET", f"/media/{made['mediaId']}", schema_path="/media/{mediaId}")
    with urllib.request.urlopen(media["url"], timeout=10) as response:
        assert response.read() == content


def test_blob_storage_integrations(server, project, spec):
    """The integration API's answers (organization key) match Langfuse's schemas."""
    org = server.org_key

    def admin(method, path, body=None, schema_path=None):
        code, payload = call(server, project, method, path, body, auth=org)
        assert code == 200, f"{method} {path}: {code} {payload}"
        validate(spec, method, schema_path or path, 200, payload)
        return payload

    made = admin("PUT", "/integrations/blob-storage", {
        "projectId": project.id, "type": "S3", "bucketName": f"contract-{RUN}", "region": "eu-west-1",
        "exportFrequency": "daily", "enabled": False, "forcePathStyle": False, "fileType": "CSV",
        "exportMode": "FROM_TODAY"})
    admin("GET", "/integrations/blob-storage")
    status = admin("GET", f"/integrations/blob-storage/{made['id']}",
                   schema_path="/integrations/blob-storage/{id}")
    assert status["syncStatus"] == "disabled", status
    admin("DELETE", f"/integrations/blob-storage/{made['id']}", schema_path="/integrations/blob-storage/{id}")


def test_ingestion_207(server, project, spec, seeded):
    validate(spec, "POST", "/ingestion", 207, seeded["ingestion"])
    # An event with an invalid body is reported in `errors` of the same 207 shape.
    status, body = call(server, project, "POST", "/ingestion", {"batch": [
        {"id": str(uuid.uuid4()), "type": "score-create", "timestamp": iso(datetime.now(timezone.utc)), "body": {"name": "x"}},
    ]})
    assert status == 207, body
    assert body["errors"], body
    validate(spec, "POST", "/ingestion", 207, body)


def test_traces(server, project, spec, seeded):
    listed = check(server, project, spec, "GET", "/traces?limit=50")
    assert TRACE_ID in {t["id"] for t in listed["data"]}
    check(server, project, spec, "GET", "/traces?limit=5&page=1&userId=contract-user&fields=core,io,scores,observations,metrics")
    check(server, project, spec, "GET", "/traces?limit=5&fields=core")
    one = check(server, project, spec, "GET", f"/traces/{TRACE_ID}")
    assert {o["id"] for o in one["observations"]} >= {SPAN_ID, GENERATION_ID, EVENT_ID}


def test_observations(server, project, spec, seeded):
    listed = check(server, project, spec, "GET", f"/observations?traceId={TRACE_ID}")
    assert {o["id"] for o in listed["data"]} >= {SPAN_ID, GENERATION_ID, EVENT_ID}
    for observation_id in (SPAN_ID, GENERATION_ID, EVENT_ID):
        check(server, project, spec, "GET", f"/observations/{observation_id}")
    v2 = check(server, project, spec, "GET", f"/v2/observations?traceId={TRACE_ID}")
    assert v2["data"]
    check(server, project, spec, "GET", f"/v2/observations?traceId={TRACE_ID}&fields=core,basic,time,io,metadata,model,usage,prompt,metrics")


def test_sessions(server, project, spec, seeded):
    listed = check(server, project, spec, "GET", "/sessions?limit=50")
    assert SESSION_ID in {s["id"] for s in listed["data"]}
    one = check(server, project, spec, "GET", f"/sessions/{SESSION_ID}")
    assert [t["id"] for t in one["traces"]] == [TRACE_ID]


def test_scores(server, project, spec, seeded):
    listed = check(server, project, spec, "GET", f"/v2/scores?traceId={TRACE_ID}", schema_path="/v2/scores")
    session_scores = check(server, project, spec, "GET", f"/v2/scores?sessionId={SESSION_ID}", schema_path="/v2/scores")
    assert {s["id"] for s in listed["data"] + session_scores["data"]} >= set(SCORE_IDS.values())
    for score_id in SCORE_IDS.values():
        check(server, project, spec, "GET", f"/v2/scores/{score_id}")
        # The legacy v1 reads (not in the document) return the same shapes as v2.
        check(server, project, spec, "GET", f"/scores/{score_id}", schema_path="/v2/scores/{scoreId}")
    check(server, project, spec, "GET", f"/scores?traceId={TRACE_ID}", schema_path="/v2/scores")


def test_post_scores(server, project, spec, seeded):
    created = check(server, project, spec, "POST", "/scores", body={"traceId": TRACE_ID, "name": "contract-posted", "value": 0.5})
    assert created["id"]
    created = check(server, project, spec, "POST", "/scores", body={"traceId": TRACE_ID, "name": "contract-posted-cat", "value": "yes", "dataType": "CATEGORICAL"})
    assert created["id"]
    created = check(server, project, spec, "POST", "/scores", body={"sessionId": SESSION_ID, "name": "contract-posted-bool", "value": 0, "dataType": "BOOLEAN"})
    check(server, project, spec, "GET", f"/v2/scores/{created['id']}")


def test_score_configs(server, project, spec):
    numeric = check(server, project, spec, "POST", "/score-configs", body={"name": f"contract-num-{RUN}", "dataType": "NUMERIC", "minValue": 0, "maxValue": 1, "description": "d"})
    check(server, project, spec, "POST", "/score-configs", body={
        "name": f"contract-cat-{RUN}", "dataType": "CATEGORICAL",
        "categories": [{"label": "good", "value": 1}, {"label": "bad", "value": 0}],
    })
    check(server, project, spec, "POST", "/score-configs", body={"name": f"contract-bool-{RUN}", "dataType": "BOOLEAN"})
    check(server, project, spec, "GET", "/score-configs?page=1&limit=50", schema_path="/score-configs")
    check(server, project, spec, "GET", f"/score-configs/{numeric['id']}", schema_path="/score-configs/{configId}")
    check(server, project, spec, "PATCH", f"/score-configs/{numeric['id']}", body={"isArchived": True, "maxValue": 10}, schema_path="/score-configs/{configId}")


def test_models(server, project, spec):
    created = check(server, project, spec, "POST", "/models", body={
        "modelName": f"contract-model-{RUN}", "matchPattern": f"(?i)^contract-model-{RUN}$", "unit": "TOKENS",
        "inputPrice": 0.000001, "outputPrice": 0.000002, "tokenizerId": "openai", "tokenizerConfig": {"tokensPerMessage": 3},
    })
    listed = check(server, project, spec, "GET", "/models?page=1&limit=100", schema_path="/models")
    assert listed["data"]
    assert created["id"] in {m["id"] for m in listed["data"]} or listed["meta"]["totalPages"] > 1
    check(server, project, spec, "GET", f"/models/{created['id']}", schema_path="/models/{id}")
    # A Langfuse-managed model (no project) has the same shape.
    managed = next(m for m in listed["data"] if m["isLangfuseManaged"])
    check(server, project, spec, "GET", f"/models/{managed['id']}", schema_path="/models/{id}")


def test_comments_if_served(server, project, spec, seeded):
    status, _ = call(server, project, "GET", "/comments")
    if status == 404:
        pytest.skip("/comments is not served")
    created = check(server, project, spec, "POST", "/comments", body={
        "projectId": project.id, "objectType": "TRACE", "objectId": TRACE_ID, "content": "contract comment",
    })
    check(server, project, spec, "GET", f"/comments?objectType=TRACE&objectId={TRACE_ID}", schema_path="/comments")
    check(server, project, spec, "POST", "/comments", body={
        "projectId": project.id, "objectType": "OBSERVATION", "objectId": GENERATION_ID, "content": "on a generation",
    })
    check(server, project, spec, "POST", "/comments", body={
        "projectId": project.id, "objectType": "SESSION", "objectId": SESSION_ID, "content": "on a session",
    })
    listed = check(server, project, spec, "GET", "/comments?page=1&limit=50")
    assert len(listed["data"]) >= 3
    check(server, project, spec, "GET", f"/comments/{created['id']}", schema_path="/comments/{commentId}")


def test_v3_scores_if_served(server, project, spec, seeded):
    status, _ = call(server, project, "GET", "/v3/scores")
    if status == 404:
        pytest.skip("/v3/scores is not served")
    listed = check(server, project, spec, "GET", f"/v3/scores?traceId={TRACE_ID}", schema_path="/v3/scores")
    assert listed["data"], listed
    check(server, project, spec, "GET", f"/v3/scores?traceId={TRACE_ID}&fields=details,subject,annotation", schema_path="/v3/scores")
    check(server, project, spec, "GET", f"/v3/scores?sessionId={SESSION_ID}&fields=details,subject,annotation", schema_path="/v3/scores")
    check(server, project, spec, "GET", "/v3/scores?dataType=CATEGORICAL&limit=2", schema_path="/v3/scores")


# `/metrics/daily` left Langfuse's current OpenAPI document; its shape is wire-spec §5.5 (the
# `DailyMetrics` schema of Langfuse's earlier documents).
DAILY_METRICS = {
    "type": "object",
    "required": ["data", "meta"],
    "properties": {
        "data": {"type": "array", "items": {
            "type": "object",
            "required": ["date", "countTraces", "countObservations", "totalCost", "usage"],
            "properties": {
                "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                "countTraces": {"type": "integer"},
                "countObservations": {"type": "integer"},
                "totalCost": {"type": "number"},
                "usage": {"type": "array", "items": {
                    "type": "object",
                    "required": ["model", "inputUsage", "outputUsage", "totalUsage", "countObservations", "countTraces", "totalCost"],
                    "properties": {
                        "model": {"type": ["string", "null"]},
                        "inputUsage": {"type": "integer"},
                        "outputUsage": {"type": "integer"},
                        "totalUsage": {"type": "integer"},
                        "countObservations": {"type": "integer"},
                        "countTraces": {"type": "integer"},
                        "totalCost": {"type": "number"},
                    },
                }},
            },
        }},
        "meta": {"$ref": "#/components/schemas/utilsMetaResponse"},
    },
}


def test_metrics_daily_if_served(server, project, spec, seeded):
    status, body = call(server, project, "GET", "/metrics/daily")
    if status == 404:
        pytest.skip("/metrics/daily is not served")
    assert status == 200, body
    validator = jsonschema.Draft202012Validator({**DAILY_METRICS, "components": spec["components"]})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors
    assert body["data"], body
    assert any(usage["model"] == "gpt-4o" for day in body["data"] for usage in day["usage"]), body


# Error bodies (wire-spec §0.1)


def test_error_401(server, project):
    status, body = call(server, project, "GET", "/traces", auth="pk-lf-nope:sk-lf-nope")
    assert status == 401
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body


@pytest.mark.parametrize("path", [
    "/traces/{}", "/observations/{}", "/sessions/{}", "/scores/{}", "/v2/scores/{}", "/score-configs/{}", "/models/{}",
])
def test_error_404(server, project, path):
    status, body = call(server, project, "GET", path.format(f"missing-{RUN}"))
    assert status == 404, body
    assert isinstance(body.get("message"), str), body
    assert body.get("error") == "LangfuseNotFoundError", body


def test_error_401_without_credentials(server):
    request = urllib.request.Request(f"{server.host}{PREFIX}/traces")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401
    body = json.loads(caught.value.read())
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body


def test_error_400_query(server, project):
    # A query parameter that fails validation is zod's shape in Langfuse and here:
    # `{"message": "Invalid request data", "error": [issues]}`, each issue naming its field.
    status, body = call(server, project, "GET", "/traces?limit=notanumber")
    assert status == 400
    assert body["message"] == "Invalid request data", body
    assert isinstance(body.get("error"), list) and body["error"], body
    assert body["error"][0]["path"] == ["limit"], body
    assert isinstance(body["error"][0]["message"], str), body


def test_error_400_body(server, project):
    status, body = call(server, project, "POST", "/scores", {"name": 5})
    assert status == 400
    assert isinstance(body.get("message"), str), body
    assert body.get("error") == "InvalidRequestError" or isinstance(body.get("error"), list), body


def test_error_400_ingestion(server, project):
    status, body = call(server, project, "POST", "/ingestion", {"notABatch": []})
    assert status == 400
    assert body.get("message") == "Invalid request data", body
    assert isinstance(body.get("errors"), list) and all(isinstance(e, str) for e in body["errors"]), body
