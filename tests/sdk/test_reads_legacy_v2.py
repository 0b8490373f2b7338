"""The public read API through the legacy Python SDK 2.x (`langfuse.client.*` — the Fern client
whose pydantic models parse every response — and the `fetch_*` helpers): traces listed with each
filter, a trace with its observations, scores, latency and cost, sessions, scores of every data
type on traces and observations, score configs, observations, and a second project's keys seeing
none of it. legacy_v2_reads.py writes the data and performs the reads in the 2.x virtualenv; this
module checks what the SDK returned. The advanced `filter` parameter, which the SDK does not send,
is checked with raw HTTP on the same data."""

import json
import os
import subprocess
import urllib.parse
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from prices import expected_cost

CLIENT = Path(__file__).with_name("legacy_v2_reads.py")


@pytest.fixture(scope="module")
def legacy_python():
    python = os.environ.get("SIGHTLINE_SDK2_PYTHON")
    if not python:
        pytest.fail("SIGHTLINE_SDK2_PYTHON must name a Python with langfuse 2.x (scripts/test sets it)")
    return python


@pytest.fixture(scope="module")
def project(server):
    return server.projects[2]


@pytest.fixture(scope="module")
def run(server, legacy_python, project):
    """What the 2.x SDK wrote (`ids`) and returned for each read (`steps`) in legacy_v2_reads.py,
    with project C's keys, and project B's for the isolation reads."""
    other = server.projects[1]
    suffix = uuid.uuid4().hex[:8]
    result = subprocess.run([legacy_python, str(CLIENT), project.public_key, project.secret_key, server.host, suffix,
                             other.public_key, other.secret_key], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-5000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result printed; stdout={result.stdout[-2000:]!r} stderr={result.stderr[-3000:]}"
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def ids(run):
    return run["ids"]


def ok(run, key):
    value = run["steps"][key]
    assert not (isinstance(value, dict) and ("error" in value or "raised" in value)), f"{key}: {value}"
    return value


def not_found(run, key):
    value = run["steps"][key]
    assert isinstance(value, dict) and value.get("raised") == "NotFoundError", f"{key}: expected NotFoundError, got {value}"
    assert value["status_code"] == 404, value


def listed(run, key):
    """The ids of a list response, in order."""
    return [item["id"] for item in ok(run, key)["data"]]


def meta(run, key):
    return {k: v for k, v in ok(run, key)["meta"].items() if k != "_class"}


def when(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def base(ids) -> datetime:
    return datetime.fromisoformat(ids["base"])


def traces(ids, *keys):
    return [ids["traces"][k] for k in keys]


# --- GET /traces: each filter --------------------------------------------------------------------

def test_list_traces_by_user_id(run, ids):
    assert set(listed(run, "traces_user")) == set(traces(ids, "t1", "t3"))
    assert meta(run, "traces_user") == {"page": 1, "limit": 100, "totalItems": 2, "totalPages": 1}
    assert {t["_class"] for t in ok(run, "traces_user")["data"]} == {"TraceWithDetails"}
    assert {t["userId"] for t in ok(run, "traces_user")["data"]} == {ids["users"]["u1"]}


def test_list_traces_by_name(run, ids):
    assert set(listed(run, "traces_name")) == set(traces(ids, "t1", "t2"))
    assert meta(run, "traces_name")["totalItems"] == 2


def test_list_traces_by_session_id(run, ids):
    assert set(listed(run, "traces_session")) == set(traces(ids, "t1", "t2"))
    assert {t["sessionId"] for t in ok(run, "traces_session")["data"]} == {ids["sessions"]["a"]}


def test_list_traces_by_time_from_inclusive_to_exclusive(run, ids):
    # T1 at +0 min, T2 +10, T3 +20, T4 +30; fromTimestamp=+10 (≥), toTimestamp=+30 (<).
    assert set(listed(run, "traces_time")) == set(traces(ids, "t2", "t3"))
    assert meta(run, "traces_time")["totalItems"] == 2


def test_list_traces_order_by(run, ids):
    # Default: timestamp descending.
    assert listed(run, "traces_window_default_order") == traces(ids, "t4", "t3", "t2", "t1")
    assert listed(run, "traces_order_timestamp_asc") == traces(ids, "t1", "t2", "t3", "t4")
    assert listed(run, "traces_order_id_asc") == sorted(traces(ids, "t1", "t2", "t3", "t4"))
    users = [t["userId"] for t in ok(run, "traces_order_user_desc")["data"]]
    assert users == sorted(users, reverse=True)
    assert users[0] == ids["users"]["u3"] and users[-1] == ids["users"]["u1"]
    for key, field, reverse in (("traces_order_name_asc", "name", False), ("traces_order_release_desc", "release", True),
                                ("traces_order_version_asc", "version", False)):
        values = [t[field] for t in ok(run, key)["data"]]
        assert len(values) == 4 and values == sorted(values, reverse=reverse), (key, values)
    for key, reverse in (("traces_order_sessionId_asc", False), ("traces_order_sessionId_desc", True)):
        sessions = [t["sessionId"] for t in ok(run, key)["data"]]
        assert len(sessions) == 4, sessions
        present = [s for s in sessions if s is not None]
        assert present == sorted(present, reverse=reverse), (key, sessions)


def test_list_traces_by_tags_one_and_all_of(run, ids):
    assert set(listed(run, "traces_tag_one")) == set(traces(ids, "t1", "t3"))
    # Several tags: traces carrying all of them.
    assert listed(run, "traces_tags_all_of") == traces(ids, "t3")
    assert set(listed(run, "traces_tag_common")) == set(traces(ids, "t1", "t2", "t3"))


def test_list_traces_by_version_and_release(run, ids):
    assert set(listed(run, "traces_version")) == set(traces(ids, "t1", "t3"))
    assert {t["version"] for t in ok(run, "traces_version")["data"]} == {ids["versions"]["v1"]}
    assert set(listed(run, "traces_release")) == set(traces(ids, "t2", "t4"))
    assert {t["release"] for t in ok(run, "traces_release")["data"]} == {ids["releases"]["b"]}


def test_list_traces_by_environment_any_of(run, ids):
    assert set(listed(run, "traces_environment_one")) == set(traces(ids, "t3", "t4"))
    assert {t["environment"] for t in ok(run, "traces_environment_one")["data"]} == {ids["environments"]["stg"]}
    assert set(listed(run, "traces_environment_many")) == set(traces(ids, "t1", "t2", "t3", "t4"))


def test_list_traces_filters_combine(run, ids):
    assert listed(run, "traces_combined") == traces(ids, "t3")


def test_list_traces_pages(run, ids):
    # Tag `common`: T1, T2, T3, newest first.
    assert listed(run, "traces_page_1") == traces(ids, "t3", "t2")
    assert meta(run, "traces_page_1") == {"page": 1, "limit": 2, "totalItems": 3, "totalPages": 2}
    assert listed(run, "traces_page_2") == traces(ids, "t1")
    assert meta(run, "traces_page_2") == {"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2}
    assert listed(run, "traces_page_3") == []
    assert meta(run, "traces_page_3") == {"page": 3, "limit": 2, "totalItems": 3, "totalPages": 2}
    assert listed(run, "traces_no_match") == []
    assert meta(run, "traces_no_match") == {"page": 1, "limit": 50, "totalItems": 0, "totalPages": 0}


@pytest.mark.parametrize("key", ["traces_bad_order_by", "traces_bad_order_direction", "traces_bad_limit",
                                 "traces_bad_page", "observations_bad_limit"])
def test_bad_list_parameters_raise_the_sdk_400_error(run, key):
    value = run["steps"][key]
    assert isinstance(value, dict) and value.get("raised") == "Error", f"{key}: expected the SDK's 400 Error, got {value}"
    assert value["status_code"] == 400, value


def test_list_trace_item_details(run, ids, project):
    items = {t["id"]: t for t in ok(run, "traces_window_default_order")["data"]}
    t1 = items[ids["traces"]["t1"]]
    assert t1["name"] == ids["names"]["alpha"]
    assert t1["userId"] == ids["users"]["u1"]
    assert t1["sessionId"] == ids["sessions"]["a"]
    assert sorted(t1["tags"]) == sorted([ids["tags"]["common"], ids["tags"]["x"]])
    assert (t1["version"], t1["release"], t1["environment"]) == (ids["versions"]["v1"], ids["releases"]["a"], ids["environments"]["prod"])
    assert when(t1["timestamp"]) == base(ids)
    assert t1["metadata"] == {"kind": ids["metadata"]["k1"]}
    assert (t1["input"], t1["output"]) == ({"q": "one"}, "first")
    assert t1["htmlPath"] == f"/project/{project.id}/traces/{t1['id']}"
    assert set(t1["observations"]) == {ids["observations"]["t1_span"], ids["observations"]["t1_gen"]}
    assert set(t1["scores"]) == {ids["scores"][k] for k in ("t1_num", "t1_cat", "t1_bool", "g1_num", "g1_cat", "g1_bool")}
    # Latency: first observation start (+0 s) to last end (+3 s); cost: the generation's.
    assert t1["latency"] == pytest.approx(3.0)
    assert t1["totalCost"] == pytest.approx(expected_cost("gpt-4o", {"input": 100, "output": 50}), rel=1e-9)
    t4 = items[ids["traces"]["t4"]]
    assert (t4["observations"], t4["scores"], t4["latency"], t4["totalCost"]) == ([], [], 0, 0)
    assert t4["sessionId"] is None and t4["tags"] == []


# --- GET /traces/{id} ----------------------------------------------------------------------------

def test_get_trace_with_observations_scores_latency_and_cost(run, ids, project):
    trace = ok(run, "trace_get_t1")
    assert trace["_class"] == "TraceWithFullDetails"
    assert trace["id"] == ids["traces"]["t1"]
    assert trace["name"] == ids["names"]["alpha"] and trace["userId"] == ids["users"]["u1"]
    assert trace["htmlPath"] == f"/project/{project.id}/traces/{trace['id']}"
    assert trace["latency"] == pytest.approx(3.0)
    assert trace["totalCost"] == pytest.approx(expected_cost("gpt-4o", {"input": 100, "output": 50}), rel=1e-9)
    observations = {o["id"]: o for o in trace["observations"]}
    assert set(observations) == {ids["observations"]["t1_span"], ids["observations"]["t1_gen"]}
    assert {o["_class"] for o in observations.values()} == {"ObservationsView"}
    span, generation = observations[ids["observations"]["t1_span"]], observations[ids["observations"]["t1_gen"]]
    assert (span["type"], span["name"], span["input"]) == ("SPAN", ids["observation_names"]["span"], "retrieve")
    assert (generation["type"], generation["model"], generation["parentObservationId"]) == ("GENERATION", "gpt-4o", span["id"])
    assert generation["usageDetails"] == {"input": 100, "output": 50, "total": 150}
    assert generation["latency"] == pytest.approx(2.0)
    assert generation["timeToFirstToken"] == pytest.approx(0.5)
    scores = {sc["id"]: sc for sc in trace["scores"]}
    S = ids["scores"]
    assert set(scores) == {S[k] for k in ("t1_num", "t1_cat", "t1_bool", "g1_num", "g1_cat", "g1_bool")}
    assert (scores[S["t1_num"]]["_class"], scores[S["t1_num"]]["value"]) == ("Score_Numeric", 0.9)
    assert (scores[S["t1_cat"]]["_class"], scores[S["t1_cat"]]["stringValue"]) == ("Score_Categorical", "good")
    assert (scores[S["t1_bool"]]["_class"], scores[S["t1_bool"]]["value"], scores[S["t1_bool"]]["stringValue"]) == ("Score_Boolean", 1, "True")
    for key in ("g1_num", "g1_cat", "g1_bool"):
        assert scores[S[key]]["observationId"] == ids["observations"]["t1_gen"], scores[S[key]]
    for key in ("t1_num", "t1_cat", "t1_bool"):
        assert scores[S[key]].get("observationId") is None, scores[S[key]]


def test_get_trace_with_configured_scores_and_without_observations(run, ids):
    t3 = ok(run, "trace_get_t3")
    assert t3["environment"] == ids["environments"]["stg"]
    assert {o["type"] for o in t3["observations"]} == {"GENERATION", "EVENT"}
    assert t3["totalCost"] == pytest.approx(expected_cost("gpt-4o", {"input": 10, "output": 5}), rel=1e-9)
    scores = {sc["id"]: sc for sc in t3["scores"]}
    S, C = ids["scores"], ids["configs"]
    assert set(scores) == {S["t3_cfg_num"], S["t3_cfg_cat"], S["t3_cfg_bool"]}
    assert (scores[S["t3_cfg_num"]]["_class"], scores[S["t3_cfg_num"]]["value"], scores[S["t3_cfg_num"]]["configId"]) == ("Score_Numeric", 0.7, C["num"])
    # A categorical score bound to a config reads back with the category's value.
    cat = scores[S["t3_cfg_cat"]]
    assert (cat["_class"], cat["stringValue"], cat["value"], cat["configId"]) == ("Score_Categorical", "good", 1, C["cat"])
    boolean = scores[S["t3_cfg_bool"]]
    assert (boolean["_class"], boolean["stringValue"], boolean["value"], boolean["configId"]) == ("Score_Boolean", "True", 1, C["bool"])

    t4 = ok(run, "trace_get_t4")
    assert (t4["observations"], t4["scores"], t4["latency"], t4["totalCost"]) == ([], [], 0, 0)
    not_found(run, "trace_get_missing")


# --- sessions ------------------------------------------------------------------------------------

def test_list_sessions(run, ids, project):
    mine = {ids["sessions"]["a"], ids["sessions"]["b"]}
    for key in ("sessions_list", "sessions_window"):
        found = {s["id"]: s for s in ok(run, key)["data"] if s["id"] in mine}
        assert set(found) == mine, key
        assert {s["_class"] for s in found.values()} == {"Session"}
        assert {s["projectId"] for s in found.values()} == {project.id}
        assert found[ids["sessions"]["a"]]["environment"] == ids["environments"]["prod"]
        assert found[ids["sessions"]["b"]]["environment"] == ids["environments"]["stg"]
    # Sessions created while the script ran: createdAt within the window asked for.
    window = ids["sessions_window"]
    for item in ok(run, "sessions_window")["data"]:
        assert when(window["from_timestamp"]) <= when(item["createdAt"]) < when(window["to_timestamp"]), item
    by_environment = [s["id"] for s in ok(run, "sessions_environment")["data"]]
    assert ids["sessions"]["b"] in by_environment and ids["sessions"]["a"] not in by_environment
    assert {s["environment"] for s in ok(run, "sessions_environment")["data"]} == {ids["environments"]["stg"]}
    helper = ok(run, "sessions_fetch_helper")
    assert len(helper["data"]) == 1 and meta(run, "sessions_fetch_helper")["limit"] == 1
    assert meta(run, "sessions_fetch_helper")["totalItems"] >= 2


def test_get_session_with_its_traces(run, ids, project):
    a = ok(run, "session_get_a")
    assert a["_class"] == "SessionWithTraces"
    assert (a["id"], a["projectId"], a["environment"]) == (ids["sessions"]["a"], project.id, ids["environments"]["prod"])
    assert {t["id"] for t in a["traces"]} == set(traces(ids, "t1", "t2"))
    assert {t["_class"] for t in a["traces"]} == {"Trace"}
    assert {t["sessionId"] for t in a["traces"]} == {ids["sessions"]["a"]}
    b = ok(run, "session_get_b")
    assert [t["id"] for t in b["traces"]] == traces(ids, "t3")
    assert b["environment"] == ids["environments"]["stg"]
    not_found(run, "session_get_missing")


# --- scores --------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, data_type, value, string_value, observation", [
    ("t1_num", "NUMERIC", 0.9, None, False),
    ("t1_cat", "CATEGORICAL", 0, "good", False),
    ("t1_bool", "BOOLEAN", 1, "True", False),
    ("g1_num", "NUMERIC", 0.25, None, True),
    ("g1_cat", "CATEGORICAL", 0, "bad", True),
    ("g1_bool", "BOOLEAN", 0, "False", True),
])
def test_get_score_by_id_of_every_data_type(run, ids, key, data_type, value, string_value, observation):
    score = ok(run, f"score_get_{key}")
    classes = {"NUMERIC": "Score_Numeric", "CATEGORICAL": "Score_Categorical", "BOOLEAN": "Score_Boolean"}
    assert (score["_class"], score["dataType"]) == (classes[data_type], data_type)
    assert score["id"] == ids["scores"][key]
    assert score["traceId"] == ids["traces"]["t1"]
    assert score.get("observationId") == (ids["observations"]["t1_gen"] if observation else None)
    assert score["value"] == value  # categorical without a config: 0 (wire-spec §5.6)
    assert score.get("stringValue") == string_value
    assert score["source"] == "API"
    assert score["environment"] == ids["environments"]["prod"]
    assert score["name"] == ids["score_names"][{"NUMERIC": "acc", "CATEGORICAL": "cat", "BOOLEAN": "bool"}[data_type]]
    if key == "t1_num":
        assert score["comment"] == "trace numeric"
    for field in ("timestamp", "createdAt", "updatedAt"):
        when(score[field])


def test_get_configured_scores_by_id(run, ids):
    C = ids["configs"]
    num, cat, boolean = (ok(run, f"score_get_t3_cfg_{k}") for k in ("num", "cat", "bool"))
    assert (num["dataType"], num["value"], num["configId"], num["name"]) == ("NUMERIC", 0.7, C["num"], ids["config_names"]["num"])
    assert (cat["dataType"], cat["value"], cat["stringValue"], cat["configId"]) == ("CATEGORICAL", 1, "good", C["cat"])
    assert (boolean["dataType"], boolean["value"], boolean["stringValue"], boolean["configId"]) == ("BOOLEAN", 1, "True", C["bool"])
    not_found(run, "score_get_missing")


def test_list_scores_with_filters(run, ids):
    S = ids["scores"]
    by_name = ok(run, "scores_name")["data"]
    assert {s["id"] for s in by_name} == {S["t1_num"], S["g1_num"], S["t2_num"]}
    assert {s["_class"] for s in by_name} == {"GetScoresResponseData_Numeric"}
    assert meta(run, "scores_name") == {"page": 1, "limit": 100, "totalItems": 3, "totalPages": 1}
    t2_score = next(s for s in by_name if s["id"] == S["t2_num"])
    assert t2_score["trace"]["userId"] == ids["users"]["u2"]
    assert sorted(t2_score["trace"]["tags"]) == sorted([ids["tags"]["common"], ids["tags"]["y"]])
    assert t2_score["trace"]["environment"] == ids["environments"]["prod"]

    categorical = ok(run, "scores_user_categorical")["data"]
    assert {s["id"] for s in categorical} == {S["t1_cat"], S["g1_cat"], S["t3_cfg_cat"]}
    assert {s["_class"] for s in categorical} == {"GetScoresResponseData_Categorical"}
    boolean = ok(run, "scores_user_boolean")["data"]
    assert {s["id"] for s in boolean} == {S["t1_bool"], S["g1_bool"], S["t3_cfg_bool"]}
    assert {s["_class"] for s in boolean} == {"GetScoresResponseData_Boolean"}
    assert {s["stringValue"] for s in boolean} == {"True", "False"}
    numeric = ok(run, "scores_user_numeric")["data"]
    assert {s["id"] for s in numeric} == {S["t1_num"], S["g1_num"], S["t3_cfg_num"]}
    assert {s["trace"]["userId"] for s in numeric} == {ids["users"]["u1"]}

    assert listed(run, "scores_user_2") == [S["t2_num"]]
    assert set(listed(run, "scores_value_operator")) == {S["t1_num"], S["t2_num"]}
    assert listed(run, "scores_value_operator_lt") == [S["g1_num"]]
    assert set(listed(run, "scores_ids")) == {S["t1_cat"], S["g1_bool"], S["t3_cfg_num"]}
    # Scores of traces carrying the tag: T1's (trace and observation level), not T2's.
    assert set(listed(run, "scores_trace_tags")) == {S["t1_num"], S["g1_num"]}
    assert set(listed(run, "scores_environment")) == {S["t3_cfg_num"], S["t3_cfg_cat"], S["t3_cfg_bool"]}
    assert listed(run, "scores_source") == [S["t2_num"]]
    assert listed(run, "scores_source_annotation") == []
    assert listed(run, "scores_config") == [S["t3_cfg_cat"]]
    assert len(listed(run, "scores_name_page")) == 1
    assert meta(run, "scores_name_page") == {"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2}


# --- score configs -------------------------------------------------------------------------------

def test_score_configs_create_get_list(run, ids, project):
    C, names = ids["configs"], ids["config_names"]
    num, cat, boolean = (ok(run, f"config_create_{k}") for k in ("num", "cat", "bool"))
    assert {c["_class"] for c in (num, cat, boolean)} == {"ScoreConfig"}
    assert (num["name"], num["dataType"], num["minValue"], num["maxValue"], num["description"]) == (names["num"], "NUMERIC", 0, 1, "numeric 0..1")
    assert (cat["name"], cat["dataType"]) == (names["cat"], "CATEGORICAL")
    assert sorted((c["label"], c["value"]) for c in cat["categories"]) == [("bad", 0), ("good", 1)]
    assert (boolean["name"], boolean["dataType"]) == (names["bool"], "BOOLEAN")
    assert sorted((c["label"], c["value"]) for c in boolean["categories"]) == [("False", 0), ("True", 1)]
    for created in (num, cat, boolean):
        assert created["projectId"] == project.id and created["isArchived"] is False

    for kind, created in (("num", num), ("cat", cat), ("bool", boolean)):
        fetched = ok(run, f"config_get_{kind}")
        assert fetched == created, kind
    not_found(run, "config_get_missing")

    listed_configs = {c["id"]: c for c in ok(run, "configs_list")["data"]}
    assert {C["num"], C["cat"], C["bool"]} <= set(listed_configs)
    assert listed_configs[C["cat"]] == cat
    assert len(listed(run, "configs_list_page")) == 1
    assert meta(run, "configs_list_page")["limit"] == 1 and meta(run, "configs_list_page")["totalItems"] >= 3


# --- observations --------------------------------------------------------------------------------

def test_list_observations_with_filters(run, ids):
    O = ids["observations"]
    assert set(listed(run, "observations_trace")) == {O["t1_span"], O["t1_gen"]}
    assert {o["_class"] for o in ok(run, "observations_trace")["data"]} == {"ObservationsView"}
    assert listed(run, "observations_trace_type") == [O["t1_gen"]]
    assert set(listed(run, "observations_name")) == {O["t1_gen"], O["t3_gen"]}
    assert set(listed(run, "observations_user")) == {O["t1_span"], O["t1_gen"], O["t3_gen"], O["t3_event"]}
    assert listed(run, "observations_parent") == [O["t1_gen"]]
    assert set(listed(run, "observations_environment")) == {O["t3_gen"], O["t3_event"]}
    # fromStartTime=+10 min (≥) .. toStartTime=+20 min 2 s (<): T2's span and T3's generation.
    assert set(listed(run, "observations_time")) == {O["t2_span"], O["t3_gen"]}
    assert listed(run, "observations_version") == [O["t1_gen"]]
    assert len(listed(run, "observations_page")) == 1
    assert meta(run, "observations_page") == {"page": 2, "limit": 1, "totalItems": 2, "totalPages": 2}
    generation = next(o for o in ok(run, "observations_trace")["data"] if o["id"] == O["t1_gen"])
    assert generation["calculatedTotalCost"] == pytest.approx(expected_cost("gpt-4o", {"input": 100, "output": 50}), rel=1e-9)


def test_get_observation(run, ids):
    O = ids["observations"]
    generation = ok(run, "observation_get_gen")
    assert generation["_class"] == "ObservationsView"
    assert (generation["id"], generation["traceId"], generation["parentObservationId"]) == (O["t1_gen"], ids["traces"]["t1"], O["t1_span"])
    assert (generation["type"], generation["name"], generation["model"]) == ("GENERATION", ids["observation_names"]["gen"], "gpt-4o")
    assert (generation["version"], generation["environment"], generation["level"]) == (ids["versions"]["obs"], ids["environments"]["prod"], "DEFAULT")
    assert when(generation["startTime"]) == base(ids) + timedelta(seconds=1)
    assert when(generation["endTime"]) == base(ids) + timedelta(seconds=3)
    assert when(generation["completionStartTime"]) == base(ids) + timedelta(seconds=1.5)
    assert generation["usage"]["input"] == 100 and generation["usage"]["output"] == 50 and generation["usage"]["total"] == 150
    assert generation["usageDetails"] == {"input": 100, "output": 50, "total": 150}
    assert generation["input"] == [{"role": "user", "content": "hi"}] and generation["output"] == "hello"
    assert (generation["latency"], generation["timeToFirstToken"]) == (pytest.approx(2.0), pytest.approx(0.5))
    assert generation["calculatedTotalCost"] == pytest.approx(expected_cost("gpt-4o", {"input": 100, "output": 50}), rel=1e-9)
    event = ok(run, "observation_get_event")
    assert (event["type"], event["traceId"], event["environment"]) == ("EVENT", ids["traces"]["t3"], ids["environments"]["stg"])
    not_found(run, "observation_get_missing")


# --- isolation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["other_traces_user", "other_traces_window", "other_traces_tags", "other_sessions",
                                 "other_scores_name", "other_scores_user", "other_observations_trace",
                                 "other_observations_name"])
def test_other_project_lists_are_empty(run, key):
    assert listed(run, key) == []
    assert meta(run, key)["totalItems"] == 0


@pytest.mark.parametrize("key", ["other_trace_get", "other_session_get", "other_score_get", "other_score_get_obs",
                                 "other_config_get", "other_observation_get"])
def test_other_project_gets_are_not_found(run, key):
    not_found(run, key)


def test_other_project_does_not_list_the_configs(run, ids):
    assert not set(ok(run, "other_configs_list")) & set(ids["configs"].values())


# --- bad query parameters (raw HTTP: the SDK only sends well-formed timestamps) ----------------------

@pytest.mark.parametrize("path", [
    "/api/public/traces?fromTimestamp=2021-01-01T00:00:00",  # no offset
    "/api/public/traces?toTimestamp=yesterday",
    "/api/public/traces?limit=101",
    "/api/public/traces?limit=abc",
    "/api/public/traces?page=-1",
    "/api/public/sessions?fromTimestamp=not-a-date",
    "/api/public/observations?fromStartTime=2021-01-01",  # a date without a time
    "/api/public/scores?toTimestamp=nope",
])
def test_bad_query_parameter_is_a_400_in_zod_shape(server, project, path):
    status, body = server.get(project, path)
    assert status == 400, body
    assert body["message"] == "Invalid request data", body
    name = path.split("?")[1].split("=")[0]
    assert [issue["path"] for issue in body["error"]] == [[name]], body


# --- the advanced `filter` parameter (raw HTTP; the 2.x SDK does not send it) ---------------------

def filtered(server, project, conditions, extra=""):
    query = urllib.parse.urlencode({"filter": json.dumps(conditions)})
    return server.get(project, f"/api/public/traces?{query}&limit=100{extra}")


def test_filter_string_options_and_metadata(server, project, ids, run):
    U, t = ids["users"], ids["traces"]
    status, body = filtered(server, project, [{"type": "stringOptions", "column": "userId", "operator": "any of", "value": [U["u1"], U["u2"]]}])
    assert status == 200, body
    assert {x["id"] for x in body["data"]} == {t["t1"], t["t2"], t["t3"]}
    assert body["meta"]["totalItems"] == 3

    status, body = filtered(server, project, [{"type": "stringObject", "column": "metadata", "key": "kind", "operator": "=", "value": ids["metadata"]["k1"]}])
    assert status == 200, body
    assert {x["id"] for x in body["data"]} == {t["t1"], t["t3"]}

    status, body = filtered(server, project, [{"type": "arrayOptions", "column": "tags", "operator": "all of", "value": [ids["tags"]["x"], ids["tags"]["y"]]}])
    assert status == 200, body
    assert [x["id"] for x in body["data"]] == [t["t3"]]


def test_filter_datetime_and_combined_conditions(server, project, ids, run):
    t, start = ids["traces"], base(ids)
    iso = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
    status, body = filtered(server, project, [
        {"type": "datetime", "column": "timestamp", "operator": ">=", "value": iso(start + timedelta(minutes=10))},
        {"type": "datetime", "column": "timestamp", "operator": "<", "value": iso(start + timedelta(minutes=30))},
    ])
    assert status == 200, body
    assert {x["id"] for x in body["data"]} == {t["t2"], t["t3"]}

    # A condition on a column replaces the named parameter of that column (userId=u3 is ignored);
    # other named parameters still apply.
    status, body = filtered(server, project,
                            [{"type": "stringOptions", "column": "userId", "operator": "any of", "value": [ids["users"]["u1"]]}],
                            extra=f"&userId={ids['users']['u3']}&name={ids['names']['beta']}")
    assert status == 200, body
    assert [x["id"] for x in body["data"]] == [t["t3"]]


@pytest.mark.parametrize("raw", [
    "not json",
    json.dumps({"type": "string", "column": "userId", "operator": "=", "value": "x"}),
    json.dumps([{"type": "string", "column": "userId", "operator": "bogus", "value": "x"}]),
    json.dumps([{"type": "stringOptions", "column": "userId", "operator": "any of", "value": "not-a-list"}]),
])
def test_malformed_filter_is_a_400_in_zod_shape(server, project, raw):
    status, body = server.get(project, f"/api/public/traces?filter={urllib.parse.quote(raw)}")
    assert status == 400, body
    assert body["message"] == "Invalid request data", body
    assert isinstance(body["error"], list) and body["error"], body
    for issue in body["error"]:
        assert issue["path"][0] == "filter", issue
        assert isinstance(issue["message"], str) and issue["message"], issue
