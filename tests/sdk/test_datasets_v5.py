"""Datasets and experiments through the official Python SDK 5.x: datasets and items created with
the client, `get_dataset`, and `dataset.run_experiment` with a local task and an item-level
evaluator. SDK 5.x posts no run items: the run and its run items come from the experiment span
attributes, and are read back through `GET /datasets/{name}/runs/{run}`, the scores API and
`GET /experiments`."""

import time
import urllib.parse

import pytest
from langfuse import Evaluation, Langfuse


@pytest.fixture(scope="module")
def project(server):
    return server.projects[0]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    # The SDK shares one client per public key (later modules use this key): flush, but leave
    # shutting down to the last user.
    client.flush()


def wait_for(read, timeout=15):
    """Polls `read` until it returns something truthy (spans leave the SDK in the background)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_datasets_and_items_round_trip(langfuse, server, project):
    dataset = langfuse.create_dataset(name="sdk/qa", description="questions", metadata={"team": "a"})
    assert dataset.name == "sdk/qa"
    first = langfuse.create_dataset_item(dataset_name="sdk/qa", id="sdk-item-1", input={"q": "2+2"}, expected_output="4")
    assert first.status == "ACTIVE"
    langfuse.create_dataset_item(dataset_name="sdk/qa", id="sdk-item-2", input={"q": "3+3"}, expected_output="6")
    updated = langfuse.create_dataset_item(dataset_name="sdk/qa", id="sdk-item-1", metadata={"level": "easy"})
    assert updated.input == {"q": "2+2"}, "omitted fields are kept"

    fetched = langfuse.get_dataset("sdk/qa")
    assert fetched.name == "sdk/qa"
    assert sorted(item.id for item in fetched.items) == ["sdk-item-1", "sdk-item-2"]
    assert langfuse.api.dataset_items.get("sdk-item-1").metadata == {"level": "easy"}

    other = server.projects[1]
    status, _ = server.get(other, "/api/public/v2/datasets/" + urllib.parse.quote("sdk/qa", safe=""))
    assert status == 404


def test_run_experiment_creates_a_run_with_items_and_scores(langfuse, server, project):
    langfuse.create_dataset(name="sdk-exp")
    for n in range(3):
        langfuse.create_dataset_item(dataset_name="sdk-exp", id=f"exp-item-{n}", input={"n": n}, expected_output=n * 2)
    dataset = langfuse.get_dataset("sdk-exp")

    def task(*, item, **kwargs):
        return item.input["n"] * 2

    def exact(*, input, output, expected_output, **kwargs):
        return Evaluation(name="exact", value=1.0 if output == expected_output else 0.0)

    result = dataset.run_experiment(name="doubling", run_name="doubling-run", task=task, evaluators=[exact])
    assert len(result.item_results) == 3
    langfuse.flush()

    path = "/api/public/datasets/sdk-exp/runs/doubling-run"

    def run_with_items():
        status, body = server.get(project, path)
        return body if status == 200 and len(body["datasetRunItems"]) == 3 else None

    run = wait_for(run_with_items)
    assert run["id"] == result.experiment_id
    assert run["datasetName"] == "sdk-exp"
    items = run["datasetRunItems"]
    assert sorted(item["datasetItemId"] for item in items) == ["exp-item-0", "exp-item-1", "exp-item-2"]
    trace_ids = {item["traceId"] for item in items}
    assert trace_ids == {item_result.trace_id for item_result in result.item_results}

    def exact_scores():
        status, body = server.get(project, "/api/public/scores?name=exact&limit=100")
        scores = [score for score in body["data"] if score["traceId"] in trace_ids] if status == 200 else []
        return scores if len(scores) == 3 else None

    scores = wait_for(exact_scores)
    assert {score["value"] for score in scores} == {1.0}

    status, experiments = server.get(project, "/api/public/experiments?fromStartTime=2000-01-01T00:00:00Z")
    assert status == 200
    experiment = next(e for e in experiments["data"] if e["id"] == result.experiment_id)
    assert experiment["itemCount"] == 3
    assert experiment["datasetId"] == dataset.id
