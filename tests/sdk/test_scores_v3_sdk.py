"""`GET /v3/scores` through the official Python SDK 5.x client (`langfuse.api.scores.get_many`):
polymorphic values, field groups, filters and cursor pages."""

import pytest
from langfuse import Langfuse


@pytest.fixture(scope="module")
def langfuse(server):
    project = server.projects[0]
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    # The SDK shares one client per public key: flush, but leave shutting down to the last user.
    client.flush()


def test_get_many_reads_v3_scores(langfuse, server):
    trace = "sdk-v3-trace"
    langfuse.create_score(name="sdk-v3-accuracy", value=0.75, trace_id=trace, score_id="sdk-v3-num", comment="close")
    langfuse.create_score(name="sdk-v3-ok", value=1, trace_id=trace, score_id="sdk-v3-bool", data_type="BOOLEAN")
    langfuse.create_score(name="sdk-v3-tone", value="polite", trace_id=trace, observation_id="sdk-v3-obs", score_id="sdk-v3-cat", data_type="CATEGORICAL")
    langfuse.flush()

    listed = langfuse.api.scores.get_many(trace_id=trace, fields="details,subject,annotation")
    by_id = {score.id: score for score in listed.data}
    assert set(by_id) == {"sdk-v3-num", "sdk-v3-bool", "sdk-v3-cat"}
    assert listed.meta.cursor is None
    numeric = by_id["sdk-v3-num"]
    assert (numeric.data_type, numeric.value, numeric.comment) == ("NUMERIC", 0.75, "close")
    assert numeric.project_id == server.projects[0].id
    assert (numeric.subject.kind, numeric.subject.id) == ("trace", trace)
    assert (by_id["sdk-v3-bool"].data_type, by_id["sdk-v3-bool"].value) == ("BOOLEAN", True)
    categorical = by_id["sdk-v3-cat"]
    assert (categorical.data_type, categorical.value) == ("CATEGORICAL", "polite")
    assert (categorical.subject.kind, categorical.subject.id, categorical.subject.trace_id) == ("observation", "sdk-v3-obs", trace)

    numeric_only = langfuse.api.scores.get_many(trace_id=trace, data_type="numeric", value_min=0.5)
    assert [score.id for score in numeric_only.data] == ["sdk-v3-num"]

    seen = []
    cursor = None
    while True:
        page = langfuse.api.scores.get_many(trace_id=trace, limit=2, cursor=cursor)
        seen += [score.id for score in page.data]
        cursor = page.meta.cursor
        if cursor is None:
            break
    assert sorted(seen) == ["sdk-v3-bool", "sdk-v3-cat", "sdk-v3-num"]
