"""The official Python SDK 5.x traces generations, then reads their counts, tokens and cost back
through the metrics APIs: v2 with the SDK's own client (`langfuse.api.metrics.metrics`, which
calls `GET /api/public/v2/metrics`), v1 over HTTP (SDK 5.x has no v1 client)."""

import json
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
from langfuse import Langfuse, propagate_attributes
from langfuse.api import Error as ApiBadRequest


@pytest.fixture(scope="module")
def project(server):
    return server.projects[3]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    client.flush()


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture(scope="module")
def window(langfuse):
    """Two traces of the SDK, each with one generation and one span; the range around them."""
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    for name, user in (("metrics-chat", "ann"), ("metrics-search", "ben")):
        with propagate_attributes(trace_name=name, user_id=user):
            with langfuse.start_as_current_observation(name="root", as_type="span", input={"q": name}):
                with langfuse.start_as_current_observation(
                    name="answer", as_type="generation", model="gpt-4o",
                    usage_details={"input": 100, "output": 50},
                    cost_details={"input": 0.25, "output": 0.5},
                ) as generation:
                    generation.update(output="ok")
    langfuse.flush()
    return iso(start), iso(datetime.now(timezone.utc) + timedelta(minutes=5))


def test_v2_counts_tokens_and_cost_through_the_sdk(langfuse, window):
    start, end = window
    response = langfuse.api.metrics.metrics(query=json.dumps({
        "view": "observations",
        "dimensions": [{"field": "providedModelName"}],
        "metrics": [
            {"measure": "count", "aggregation": "count"},
            {"measure": "totalTokens", "aggregation": "sum"},
            {"measure": "inputTokens", "aggregation": "sum"},
            {"measure": "totalCost", "aggregation": "sum"},
        ],
        "filters": [{"column": "type", "type": "string", "operator": "=", "value": "GENERATION"}],
        "fromTimestamp": start,
        "toTimestamp": end,
    }))
    assert response.data == [{
        "providedModelName": "gpt-4o",
        "count_count": 2,
        "sum_totalTokens": 300,
        "sum_inputTokens": 200,
        "sum_totalCost": 1.5,
    }]

    by_trace = langfuse.api.metrics.metrics(query=json.dumps({
        "view": "observations",
        "dimensions": [{"field": "traceName"}],
        "metrics": [{"measure": "count", "aggregation": "count"}],
        "orderBy": [{"field": "traceName", "direction": "asc"}],
        "fromTimestamp": start,
        "toTimestamp": end,
    }))
    assert by_trace.data == [
        {"traceName": "metrics-chat", "count_count": 2},
        {"traceName": "metrics-search", "count_count": 2},
    ]


def test_v1_counts_traces_and_their_cost(server, project, window):
    start, end = window
    query = json.dumps({
        "view": "traces",
        "dimensions": [{"field": "name"}],
        "metrics": [
            {"measure": "count", "aggregation": "count"},
            {"measure": "totalCost", "aggregation": "sum"},
            {"measure": "totalTokens", "aggregation": "sum"},
        ],
        "orderBy": [{"field": "name", "direction": "asc"}],
        "fromTimestamp": start,
        "toTimestamp": end,
    })
    status, body = server.get(project, "/api/public/metrics?query=" + urllib.parse.quote(query))
    assert status == 200, body
    assert body["data"] == [
        {"name": "metrics-chat", "count_count": 1, "sum_totalCost": 0.75, "sum_totalTokens": 150},
        {"name": "metrics-search", "count_count": 1, "sum_totalCost": 0.75, "sum_totalTokens": 150},
    ]


def test_a_bad_query_is_a_400_the_sdk_raises(langfuse, window):
    start, end = window
    with pytest.raises(ApiBadRequest) as raised:
        langfuse.api.metrics.metrics(query=json.dumps({
            "view": "observations",
            "metrics": [{"measure": "tokens", "aggregation": "sum"}],
            "fromTimestamp": start,
            "toTimestamp": end,
        }))
    assert raised.value.status_code == 400
    assert raised.value.body["message"].startswith("Invalid metric tokens.")
    with pytest.raises(ApiBadRequest) as raised:
        langfuse.api.metrics.metrics(query=json.dumps({
            "view": "observations",
            "metrics": [{"measure": "count", "aggregation": "count"}],
        }))
    assert raised.value.status_code == 400
    assert raised.value.body["message"] == "Invalid request data"
