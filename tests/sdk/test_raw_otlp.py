"""A plain OpenTelemetry SDK with the standard OTLP/HTTP exporter (protobuf, gzip) and a
hand-written OTLP/JSON export, as non-Langfuse instrumentation sends them."""

import base64
import json

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from prices import expected_cost


def test_otel_sdk_exporter_with_gzip(server):
    project = server.projects[2]
    token = base64.b64encode(f"{project.public_key}:{project.secret_key}".encode()).decode()
    exporter = OTLPSpanExporter(
        endpoint=f"{server.host}/api/public/otel/v1/traces",
        headers={"Authorization": f"Basic {token}"},
        compression=Compression.Gzip,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "plain-otel-app", "deployment.environment.name": "Production"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("my-instrumentation", "1.2.3")

    with tracer.start_as_current_span("pipeline") as root:
        root.set_attribute("langfuse.trace.name", "plain-otel")
        root.set_attribute("user.id", "otel-user")
        trace_id = format(root.get_span_context().trace_id, "032x")
        with tracer.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.request.model", "gpt-4o")
            llm.set_attribute("gen_ai.usage.input_tokens", 200)
            llm.set_attribute("gen_ai.usage.output_tokens", 100)
            llm.set_attribute("gen_ai.input.messages", json.dumps([{"role": "user", "content": "hello"}]))
            llm_id = format(llm.get_span_context().span_id, "016x")
        with tracer.start_as_current_span("lookup") as failing:
            failing.set_status(Status(StatusCode.ERROR, "not found"))
    assert provider.force_flush()
    provider.shutdown()

    status, trace = server.get(project, f"/api/public/traces/{trace_id}")
    assert status == 200, trace
    assert trace["name"] == "plain-otel"
    assert trace["userId"] == "otel-user"
    assert trace["environment"] == "production"
    observations = {o["name"]: o for o in trace["observations"]}
    assert set(observations) == {"pipeline", "chat gpt-4o", "lookup"}
    generation = observations["chat gpt-4o"]
    assert generation["id"] == llm_id
    assert generation["type"] == "GENERATION"
    assert generation["usageDetails"] == {"input": 200, "output": 100, "total": 300}
    assert abs(generation["calculatedTotalCost"] - expected_cost("gpt-4o", {"input": 200, "output": 100})) < 1e-12
    assert generation["input"] == [{"role": "user", "content": "hello"}]
    assert observations["lookup"]["level"] == "ERROR"
    assert observations["lookup"]["statusMessage"] == "not found"


def test_otlp_json_export(server):
    project = server.projects[2]
    trace_id = "5b8efff798038103d269b633813fc60c"
    body = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "js"}}]},
        "scopeSpans": [{"scope": {"name": "manual"}, "spans": [{
            "traceId": trace_id, "spanId": "eee19b7ec3c1b174", "name": "json-span", "kind": 1,
            "startTimeUnixNano": "1704067200000000000", "endTimeUnixNano": "1704067200250000000",
            "attributes": [{"key": "input.value", "value": {"stringValue": "{\"q\": 1}"}},
                           {"key": "output.value", "value": {"stringValue": "plain text"}}],
        }]}],
    }]}
    status, reply = server.post(project, "/api/public/otel/v1/traces", json.dumps(body).encode(), "application/json")
    assert status == 200
    assert json.loads(reply) == {}
    status, trace = server.get(project, f"/api/public/traces/{trace_id}")
    assert status == 200
    span = trace["observations"][0]
    assert span["input"] == {"q": 1}
    assert span["output"] == "plain text"
    assert span["startTime"] == "2024-01-01T00:00:00.000Z"
    assert span["endTime"] == "2024-01-01T00:00:00.250Z"

    status, reply = server.post(project, "/api/public/otel/v1/traces", b"{nope", "application/json")
    assert status == 400
    assert json.loads(reply) == {"error": "Failed to parse OTel JSON Trace"}
