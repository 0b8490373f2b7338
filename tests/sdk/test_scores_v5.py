"""Score configs through the official Python SDK 5.x client (`langfuse.api.score_configs`), and
scores that name them read back through the public API. (`api.scores.get_many` reads
`/v3/scores`, which Sightline does not serve yet.)"""

import pytest
from langfuse import Langfuse
from langfuse.api import ConfigCategory


@pytest.fixture(scope="module")
def project(server):
    return server.projects[0]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    client.shutdown()


def test_score_configs_round_trip(langfuse, server, project):
    numeric = langfuse.api.score_configs.create(name="sdk-accuracy", data_type="NUMERIC", min_value=0, max_value=1, description="how right")
    assert numeric.name == "sdk-accuracy"
    assert numeric.data_type == "NUMERIC"
    assert numeric.project_id == project.id
    assert numeric.is_archived is False
    assert (numeric.min_value, numeric.max_value) == (0, 1)
    assert numeric.description == "how right"

    categorical = langfuse.api.score_configs.create(
        name="sdk-tone", data_type="CATEGORICAL",
        categories=[ConfigCategory(label="polite", value=1), ConfigCategory(label="rude", value=0)],
    )
    assert [(c.label, c.value) for c in categorical.categories] == [("polite", 1), ("rude", 0)]
    boolean = langfuse.api.score_configs.create(name="sdk-helpful", data_type="BOOLEAN")
    assert [(c.label, c.value) for c in boolean.categories] == [("True", 1), ("False", 0)]

    fetched = langfuse.api.score_configs.get_by_id(numeric.id)
    assert fetched == numeric
    listed = langfuse.api.score_configs.get(page=1, limit=50)
    assert {numeric.id, categorical.id, boolean.id} <= {config.id for config in listed.data}
    assert listed.meta.total_items >= 3

    updated = langfuse.api.score_configs.update(numeric.id, is_archived=True, max_value=10)
    assert updated.is_archived is True
    assert updated.max_value == 10
    assert langfuse.api.score_configs.get_by_id(numeric.id).is_archived is True

    # Another project does not see the config.
    other = server.projects[1]
    status, _ = server.get(other, f"/api/public/score-configs/{numeric.id}")
    assert status == 404


def test_scores_naming_a_config_are_checked(langfuse, server, project):
    config = langfuse.api.score_configs.create(
        name="sdk-verdict", data_type="CATEGORICAL",
        categories=[ConfigCategory(label="good", value=2), ConfigCategory(label="bad", value=0)],
    )
    langfuse.create_score(name="sdk-verdict", value="good", trace_id="sdk-score-trace", score_id="sdk-score-ok", data_type="CATEGORICAL", config_id=config.id)
    langfuse.create_score(name="sdk-verdict", value="meh", trace_id="sdk-score-trace", score_id="sdk-score-bad", data_type="CATEGORICAL", config_id=config.id)
    langfuse.flush()

    status, body = server.get(project, "/api/public/v2/scores?traceId=sdk-score-trace")
    assert status == 200, body
    assert [score["id"] for score in body["data"]] == ["sdk-score-ok"]
    score = body["data"][0]
    assert score["value"] == 2
    assert score["stringValue"] == "good"
    assert score["configId"] == config.id
    status, one = server.get(project, "/api/public/scores/sdk-score-ok")
    assert status == 200
    assert one["name"] == "sdk-verdict"
