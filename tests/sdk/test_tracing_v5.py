"""The official Python SDK 5.x traces into Sightline (OTLP protobuf + gzip, ingestion version 4);
what was stored is read back through the public API. (SDK 5.x's own client reads traces through
`/v2/observations` and `/v3/scores`, which the read-API work covers.)"""

import pytest
from langfuse import Langfuse, observe, propagate_attributes

from prices import expected_cost


@pytest.fixture(scope="module")
def project(server):
    return server.projects[2]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    client.shutdown()


def read_trace(server, project, trace_id):
    status, trace = server.get(project, f"/api/public/traces/{trace_id}")
    assert status == 200, trace
    return trace


def test_nested_spans_and_a_priced_generation(langfuse, server, project):
    usage = {"input": 1000, "output": 500}
    with propagate_attributes(user_id="user-7", session_id="session-7", tags=["sdk", "v5"], trace_name="sdk-trace", metadata={"team": "search"}):
        with langfuse.start_as_current_observation(name="root", as_type="span", input={"question": "hi"}) as root:
            trace_id = langfuse.get_current_trace_id()
            root_id = langfuse.get_current_observation_id()
            with langfuse.start_as_current_observation(name="retrieve", as_type="span") as child:
                child_id = langfuse.get_current_observation_id()
                with langfuse.start_as_current_observation(
                    name="answer", as_type="generation", model="gpt-4o",
                    model_parameters={"temperature": 0.1}, usage_details=usage,
                ) as generation:
                    generation_id = langfuse.get_current_observation_id()
                    generation.update(output="hello there")
            root.update(output={"answer": "hello there"})
    langfuse.flush()

    trace = read_trace(server, project, trace_id)
    assert trace["name"] == "sdk-trace"
    assert trace["userId"] == "user-7"
    assert trace["sessionId"] == "session-7"
    assert sorted(trace["tags"]) == ["sdk", "v5"]
    assert trace["metadata"]["team"] == "search"
    assert trace["input"] == {"question": "hi"}
    assert trace["output"] == {"answer": "hello there"}
    by_id = {o["id"]: o for o in trace["observations"]}
    assert set(by_id) == {root_id, child_id, generation_id}
    assert by_id[root_id]["parentObservationId"] is None
    assert by_id[child_id]["parentObservationId"] == root_id
    generation = by_id[generation_id]
    assert generation["parentObservationId"] == child_id
    assert generation["type"] == "GENERATION"
    assert generation["model"] == "gpt-4o"
    assert generation["modelParameters"]["temperature"] == 0.1
    assert generation["output"] == "hello there"
    assert generation["usageDetails"] == {"input": 1000, "output": 500, "total": 1500}
    cost = expected_cost("gpt-4o", usage)
    assert generation["calculatedTotalCost"] == pytest.approx(cost, abs=1e-12)
    assert trace["totalCost"] == pytest.approx(cost, abs=1e-12)

    status, observation = server.get(project, f"/api/public/observations/{generation_id}")
    assert status == 200
    assert observation["costDetails"]["total"] == pytest.approx(cost, abs=1e-12)


def test_observe_decorator_builds_a_trace(langfuse, server, project):
    seen = {}

    @observe(name="inner-step")
    def inner(value):
        return value * 2

    @observe(name="outer-step")
    def outer():
        seen["trace_id"] = langfuse.get_current_trace_id()
        return inner(21)

    assert outer(langfuse_public_key=project.public_key) == 42
    langfuse.flush()
    trace = read_trace(server, project, seen["trace_id"])
    names = {o["name"]: o for o in trace["observations"]}
    assert set(names) == {"outer-step", "inner-step"}
    assert names["inner-step"]["parentObservationId"] == names["outer-step"]["id"]
    assert names["inner-step"]["input"]["args"] == [21]
    assert names["inner-step"]["output"] == 42
    assert names["outer-step"]["output"] == 42
    assert trace["name"] == "outer-step"


def test_scores_of_every_kind(langfuse, server, project):
    with langfuse.start_as_current_observation(name="scored", as_type="span") as span:
        trace_id = langfuse.get_current_trace_id()
        span_id = langfuse.get_current_observation_id()
    langfuse.create_score(name="accuracy", value=0.75, trace_id=trace_id, comment="close")
    langfuse.create_score(name="correct", value=1, data_type="BOOLEAN", trace_id=trace_id)
    langfuse.create_score(name="tone", value="friendly", data_type="CATEGORICAL", trace_id=trace_id, observation_id=span_id)
    langfuse.flush()

    trace = read_trace(server, project, trace_id)
    scores = {s["name"]: s for s in trace["scores"]}
    assert set(scores) == {"accuracy", "correct", "tone"}
    assert scores["accuracy"]["value"] == 0.75
    assert scores["accuracy"]["comment"] == "close"
    assert scores["accuracy"]["dataType"] == "NUMERIC"
    assert scores["correct"]["dataType"] == "BOOLEAN"
    assert scores["correct"]["stringValue"] == "True"
    assert scores["tone"]["dataType"] == "CATEGORICAL"
    assert scores["tone"]["stringValue"] == "friendly"
    assert scores["tone"]["observationId"] == span_id
