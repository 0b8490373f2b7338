"""The official Python SDK 5.x reads observations back through `GET /api/public/v2/observations`
(`langfuse.api.observations.get_many`) after tracing with the SDK."""

import pytest
from langfuse import Langfuse, propagate_attributes


@pytest.fixture(scope="module")
def project(server):
    return server.projects[2]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    # The SDK keeps one client per public key per process and test_tracing_v5 uses this key
    # after us: flush, but leave shutting down to the last user.
    client.flush()


def test_get_many_reads_a_traced_tree(langfuse):
    with propagate_attributes(user_id="obs-user", session_id="obs-session", trace_name="obs-trace", tags=["obs"]):
        with langfuse.start_as_current_observation(name="root", as_type="span", input={"q": "hi"}):
            trace_id = langfuse.get_current_trace_id()
            root_id = langfuse.get_current_observation_id()
            with langfuse.start_as_current_observation(
                name="answer", as_type="generation", model="gpt-4o", usage_details={"input": 10, "output": 5},
            ) as generation:
                generation_id = langfuse.get_current_observation_id()
                generation.update(output="hello")
    langfuse.flush()

    page = langfuse.api.observations.get_many(trace_id=trace_id)
    by_id = {o.id: o for o in page.data}
    assert set(by_id) == {root_id, generation_id}
    assert page.meta.cursor is None
    root, answer = by_id[root_id], by_id[generation_id]
    assert root.is_root_observation is True
    assert root.parent_observation_id is None
    assert answer.parent_observation_id == root_id
    assert answer.type == "GENERATION"
    assert answer.name == "answer"
    assert answer.user_id == "obs-user"
    assert answer.session_id == "obs-session"
    assert answer.start_time >= root.start_time

    detailed = langfuse.api.observations.get_many(
        trace_id=trace_id, type="GENERATION", fields="core,io,model,usage,trace_context",
    )
    [answer] = detailed.data
    assert answer.id == generation_id
    assert answer.output == "hello"
    assert answer.model == "gpt-4o"
    assert answer.model_id is not None
    assert float(answer.input_price) > 0
    assert answer.usage_details["input"] == 10
    assert answer.total_cost > 0
    assert answer.trace_name == "obs-trace"
    assert answer.tags == ["obs"]

    seen = []
    cursor = None
    while True:
        page = langfuse.api.observations.get_many(trace_id=trace_id, limit=1, cursor=cursor)
        seen.extend(o.id for o in page.data)
        cursor = page.meta.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted([root_id, generation_id])
    assert len(seen) == 2
