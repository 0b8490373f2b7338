"""Contract tests for datasets and experiments: real Sightline responses of the dataset,
dataset-item, dataset-run(-item) and experiment routes validated against the response schemas of
Langfuse's OpenAPI document, with the helpers of test_contract.py (which skips this module too
when the document is missing)."""

import urllib.parse
import uuid

import pytest

from test_contract import check, spec  # noqa: F401 - `spec` is a fixture

RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def project(server):
    # Project C is shared with the tracing and contract tests; names carry a run suffix.
    return server.projects[2]


def test_dataset_routes_match_the_document(server, project, spec):
    name = f"contract/ds-{RUN}"
    quoted = urllib.parse.quote(name, safe="")
    check(server, project, spec, "POST", "/v2/datasets",
          body={"name": name, "description": "d", "metadata": {"k": 1}, "inputSchema": {"type": "object"}})
    check(server, project, spec, "GET", "/v2/datasets?limit=5")
    check(server, project, spec, "GET", f"/v2/datasets/{quoted}", schema_path="/v2/datasets/x")
    item_id = f"contract-item-{RUN}"
    check(server, project, spec, "POST", "/dataset-items",
          body={"datasetName": name, "id": item_id, "input": {"q": 1}, "expectedOutput": "a"})
    check(server, project, spec, "GET", f"/dataset-items?datasetName={quoted}")
    check(server, project, spec, "GET", f"/dataset-items/{item_id}", schema_path="/dataset-items/x")
    created = check(server, project, spec, "POST", "/dataset-run-items",
                    body={"runName": "r1", "datasetItemId": item_id, "traceId": f"contract-trace-{RUN}"})
    check(server, project, spec, "GET", f"/datasets/{quoted}/runs", schema_path="/datasets/x/runs")
    check(server, project, spec, "GET", f"/datasets/{quoted}/runs/r1", schema_path="/datasets/x/runs/y")
    dataset = check(server, project, spec, "GET", f"/v2/datasets/{quoted}", schema_path="/v2/datasets/x")
    check(server, project, spec, "GET", f"/dataset-run-items?datasetId={dataset['id']}&runName=r1")
    check(server, project, spec, "GET", "/experiments?fromStartTime=2000-01-01T00:00:00Z&fields=core,metadata")
    check(server, project, spec, "GET",
          f"/experiment-items?fromStartTime=2000-01-01T00:00:00Z&experimentId={created['datasetRunId']}"
          "&fields=core,dataset,io,metadata,itemMetadata,experimentMetadata")
    check(server, project, spec, "DELETE", f"/datasets/{quoted}/runs/r1", schema_path="/datasets/x/runs/y")
    check(server, project, spec, "DELETE", f"/dataset-items/{item_id}", schema_path="/dataset-items/x")
