"""Run with the legacy SDK 2.x interpreter:
`python legacy_v2_reads.py PK SK HOST SUFFIX OTHER_PK OTHER_SK`.

Writes a small, uniquely named data set through the SDK's own ingestion (four traces with different
users, names, sessions, tags, versions, releases, environments and timestamps; spans, generations
and an event; NUMERIC, CATEGORICAL and BOOLEAN scores on traces and on observations; score
configs and scores bound to them), then reads it back through the SDK's read API — the Fern
client `langfuse.client.*` and the helpers `fetch_traces`, `fetch_trace`, `fetch_observations`,
`fetch_observation`, `fetch_sessions` — whose pydantic models parse every response. Last, the same
reads with a second project's keys. Prints one JSON object (`ids` of what was written, `steps`
with what the SDK returned for each read; an exception becomes `{"error": ...}`, a Fern API error
`{"raised": <class>, "status_code": n}`) for test_reads_legacy_v2.py to check."""

import datetime as dt
import json
import random
import sys
import time
import traceback
import uuid

from langfuse import Langfuse
from langfuse.api.core.api_error import ApiError
from langfuse.api.resources.score_configs.types.create_score_config_request import CreateScoreConfigRequest
from langfuse.api.resources.commons.types.config_category import ConfigCategory

public_key, secret_key, host, suffix, other_public_key, other_secret_key = sys.argv[1:7]
s = suffix
UTC = dt.timezone.utc
started = dt.datetime.now(UTC)

# Our traces live in a random minute of 2021, far from every other test's data ("now"), so that
# time-window reads see only them.
base = dt.datetime(2021, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=random.randrange(0, 500_000))


def at(**delta):
    return base + dt.timedelta(**delta)


def hex_id():
    return uuid.uuid4().hex


ids = {
    "base": base.isoformat(),
    "started": started.isoformat(),
    "traces": {k: hex_id() for k in ("t1", "t2", "t3", "t4")},
    "observations": {k: hex_id()[:16] for k in ("t1_span", "t1_gen", "t2_span", "t3_gen", "t3_event")},
    "scores": {k: hex_id() for k in ("t1_num", "t1_cat", "t1_bool", "g1_num", "g1_cat", "g1_bool", "t2_num",
                                     "t3_cfg_num", "t3_cfg_cat", "t3_cfg_bool")},
    "users": {"u1": f"u1-{s}", "u2": f"u2-{s}", "u3": f"u3-{s}"},
    "names": {"alpha": f"alpha-{s}", "beta": f"beta-{s}"},
    "sessions": {"a": f"sess-a-{s}", "b": f"sess-b-{s}"},
    "tags": {"common": f"common-{s}", "x": f"x-{s}", "y": f"y-{s}"},
    "versions": {"v1": f"v1-{s}", "v2": f"v2-{s}", "v3": f"v3-{s}", "obs": f"ov-{s}"},
    "releases": {"a": f"rel-a-{s}", "b": f"rel-b-{s}"},
    "environments": {"prod": f"prod-{s}", "stg": f"stg-{s}"},
    "metadata": {"k1": f"k1-{s}", "k2": f"k2-{s}"},
    "score_names": {"acc": f"acc-{s}", "cat": f"cat-{s}", "bool": f"bool-{s}"},
    "config_names": {"num": f"cfg-num-{s}", "cat": f"cfg-cat-{s}", "bool": f"cfg-bool-{s}"},
    "observation_names": {"span": f"span-{s}", "gen": f"gen-{s}", "event": f"event-{s}"},
}
T, O, S = ids["traces"], ids["observations"], ids["scores"]
U, N, SE, TG, V, R, E = ids["users"], ids["names"], ids["sessions"], ids["tags"], ids["versions"], ids["releases"], ids["environments"]
SN, CN, ON = ids["score_names"], ids["config_names"], ids["observation_names"]
steps = {}


def dump(value):
    """A Fern model (or list of them) as JSON with the API's field names, plus the parsed class."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    if hasattr(value, "json"):
        out = json.loads(value.json())
        out["_class"] = type(value).__name__
        for key, field in value.__fields__.items():
            nested = getattr(value, key)
            if isinstance(nested, list) and nested and hasattr(nested[0], "json"):
                out[field.alias] = dump(nested)
            elif hasattr(nested, "json") and field.alias in out:
                out[field.alias] = dump(nested)
        return out
    return value


def step(key, action):
    try:
        steps[key] = action()
    except ApiError as error:
        steps[key] = {"raised": type(error).__name__, "status_code": error.status_code, "body": repr(error.body)[:500]}
    except Exception as error:  # noqa: BLE001 - every failure is reported to the test
        steps[key] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc(limit=4)}


def page(response):
    return {"data": dump(list(response.data)), "meta": dump(response.meta)}


prod = Langfuse(public_key=public_key, secret_key=secret_key, host=host, environment=E["prod"], flush_interval=0.2)
stg = Langfuse(public_key=public_key, secret_key=secret_key, host=host, environment=E["stg"], flush_interval=0.2)
api = prod.client  # the Fern client

# --- score configs first: scores below refer to them -------------------------------------------
configs = {}
step("config_create_num", lambda: dump(api.score_configs.create(request=CreateScoreConfigRequest(
    name=CN["num"], data_type="NUMERIC", min_value=0, max_value=1, description="numeric 0..1"))))
step("config_create_cat", lambda: dump(api.score_configs.create(request=CreateScoreConfigRequest(
    name=CN["cat"], data_type="CATEGORICAL",
    categories=[ConfigCategory(value=1, label="good"), ConfigCategory(value=0, label="bad")]))))
step("config_create_bool", lambda: dump(api.score_configs.create(request=CreateScoreConfigRequest(
    name=CN["bool"], data_type="BOOLEAN", description="yes or no"))))
for kind in ("num", "cat", "bool"):
    created = steps[f"config_create_{kind}"]
    configs[kind] = created.get("id") if isinstance(created, dict) else None
ids["configs"] = configs

# --- traces ------------------------------------------------------------------------------------
t1 = prod.trace(id=T["t1"], name=N["alpha"], user_id=U["u1"], session_id=SE["a"], tags=[TG["common"], TG["x"]],
                version=V["v1"], release=R["a"], timestamp=at(), metadata={"kind": ids["metadata"]["k1"]},
                input={"q": "one"}, output="first")
span = t1.span(id=O["t1_span"], name=ON["span"], start_time=at(), end_time=at(seconds=2), input="retrieve")
span.generation(id=O["t1_gen"], name=ON["gen"], model="gpt-4o", version=V["obs"], start_time=at(seconds=1),
                completion_start_time=at(seconds=1.5), end_time=at(seconds=3),
                input=[{"role": "user", "content": "hi"}], output="hello", usage={"input": 100, "output": 50})

t2 = prod.trace(id=T["t2"], name=N["alpha"], user_id=U["u2"], session_id=SE["a"], tags=[TG["common"], TG["y"]],
                version=V["v2"], release=R["b"], timestamp=at(minutes=10), metadata={"kind": ids["metadata"]["k2"]})
t2.span(id=O["t2_span"], name=ON["span"], start_time=at(minutes=10), end_time=at(minutes=10, milliseconds=500))

t3 = stg.trace(id=T["t3"], name=N["beta"], user_id=U["u1"], session_id=SE["b"], tags=[TG["common"], TG["x"], TG["y"]],
               version=V["v1"], release=R["a"], timestamp=at(minutes=20), metadata={"kind": ids["metadata"]["k1"]})
t3.generation(id=O["t3_gen"], name=ON["gen"], model="gpt-4o", start_time=at(minutes=20),
              end_time=at(minutes=20, seconds=1), usage={"input": 10, "output": 5})
t3.event(id=O["t3_event"], name=ON["event"], start_time=at(minutes=20, seconds=2))

stg.trace(id=T["t4"], name=N["beta"], user_id=U["u3"], version=V["v3"], release=R["b"], timestamp=at(minutes=30))

# --- scores: every data type on a trace and on an observation ----------------------------------
prod.score(id=S["t1_num"], trace_id=T["t1"], name=SN["acc"], value=0.9, comment="trace numeric")
prod.score(id=S["t1_cat"], trace_id=T["t1"], name=SN["cat"], value="good", data_type="CATEGORICAL")
prod.score(id=S["t1_bool"], trace_id=T["t1"], name=SN["bool"], value=1, data_type="BOOLEAN")
prod.score(id=S["g1_num"], trace_id=T["t1"], observation_id=O["t1_gen"], name=SN["acc"], value=0.25, data_type="NUMERIC")
prod.score(id=S["g1_cat"], trace_id=T["t1"], observation_id=O["t1_gen"], name=SN["cat"], value="bad")
prod.score(id=S["g1_bool"], trace_id=T["t1"], observation_id=O["t1_gen"], name=SN["bool"], value=0, data_type="BOOLEAN")
prod.score(id=S["t2_num"], trace_id=T["t2"], name=SN["acc"], value=0.5)
# Bound to the configs: the data type comes from the config, categorical values map to numbers.
stg.score(id=S["t3_cfg_num"], trace_id=T["t3"], name=CN["num"], value=0.7, config_id=configs["num"])
stg.score(id=S["t3_cfg_cat"], trace_id=T["t3"], name=CN["cat"], value="good", config_id=configs["cat"], data_type="CATEGORICAL")
stg.score(id=S["t3_cfg_bool"], trace_id=T["t3"], name=CN["bool"], value=1, config_id=configs["bool"], data_type="BOOLEAN")

prod.flush()
stg.flush()

# Ingestion is asynchronous: wait until everything is readable.
deadline = time.time() + 20
while time.time() < deadline:
    try:
        full1 = api.trace.get(T["t1"])
        full3 = api.trace.get(T["t3"])
        api.trace.get(T["t4"])
        if len(full1.observations) == 2 and len(full1.scores) == 6 and len(full3.observations) == 2 and len(full3.scores) == 3:
            break
    except Exception:  # noqa: BLE001 - not there yet
        pass
    time.sleep(0.2)

window = {"from_timestamp": at(minutes=-1), "to_timestamp": at(hours=1)}

# --- GET /traces through fetch_traces and the Fern client, one filter at a time ----------------
step("traces_user", lambda: page(prod.fetch_traces(user_id=U["u1"], limit=100)))
step("traces_name", lambda: page(prod.fetch_traces(name=N["alpha"], limit=100)))
step("traces_session", lambda: page(prod.fetch_traces(session_id=SE["a"], limit=100)))
# fromTimestamp is inclusive (T2 at +10 min is in), toTimestamp exclusive (T4 at +30 min is out).
step("traces_time", lambda: page(prod.fetch_traces(from_timestamp=at(minutes=10), to_timestamp=at(minutes=30), limit=100)))
step("traces_window_default_order", lambda: page(prod.fetch_traces(**window, limit=100)))
step("traces_order_timestamp_asc", lambda: page(prod.fetch_traces(**window, order_by="timestamp.asc", limit=100)))
step("traces_order_id_asc", lambda: page(prod.fetch_traces(**window, order_by="id.asc", limit=100)))
step("traces_order_user_desc", lambda: page(api.trace.list(**window, order_by="userId.desc", limit=100)))
for field, direction in (("name", "asc"), ("release", "desc"), ("version", "asc"), ("sessionId", "asc"), ("sessionId", "desc")):
    step(f"traces_order_{field}_{direction}",
         lambda field=field, direction=direction: page(api.trace.list(**window, order_by=f"{field}.{direction}", limit=100)))
step("traces_tag_one", lambda: page(prod.fetch_traces(tags=TG["x"], limit=100)))
step("traces_tags_all_of", lambda: page(prod.fetch_traces(tags=[TG["x"], TG["y"]], limit=100)))
step("traces_tag_common", lambda: page(prod.fetch_traces(tags=[TG["common"]], limit=100)))
step("traces_version", lambda: page(api.trace.list(version=V["v1"], limit=100)))
step("traces_release", lambda: page(api.trace.list(release=R["b"], limit=100)))
step("traces_environment_one", lambda: page(prod.fetch_traces(environment=E["stg"], limit=100)))
step("traces_environment_many", lambda: page(api.trace.list(environment=[E["prod"], E["stg"]], limit=100)))
step("traces_combined", lambda: page(api.trace.list(user_id=U["u1"], environment=E["stg"], tags=TG["x"], limit=100)))
step("traces_page_1", lambda: page(prod.fetch_traces(tags=TG["common"], limit=2, page=1)))
step("traces_page_2", lambda: page(prod.fetch_traces(tags=TG["common"], limit=2, page=2)))
step("traces_page_3", lambda: page(prod.fetch_traces(tags=TG["common"], limit=2, page=3)))
step("traces_no_match", lambda: page(prod.fetch_traces(user_id=f"nobody-{s}")))
# Bad input: the Fern client raises `Error` for a 400.
step("traces_bad_order_by", lambda: page(prod.fetch_traces(order_by="bogus.asc")))
step("traces_bad_order_direction", lambda: page(prod.fetch_traces(order_by="timestamp.up")))
step("traces_bad_limit", lambda: page(prod.fetch_traces(limit=0)))
step("traces_bad_page", lambda: page(api.trace.list(page=0)))
step("observations_bad_limit", lambda: page(prod.fetch_observations(limit=101)))

# --- GET /traces/{id} --------------------------------------------------------------------------
step("trace_get_t1", lambda: dump(prod.fetch_trace(T["t1"]).data))
step("trace_get_t3", lambda: dump(api.trace.get(T["t3"])))
step("trace_get_t4", lambda: dump(api.trace.get(T["t4"])))
step("trace_get_missing", lambda: dump(api.trace.get(hex_id())))

# --- sessions ----------------------------------------------------------------------------------
finished_writing = dt.datetime.now(UTC)


def all_sessions(**kwargs):
    """Every session of the list (paged at 100), and the meta of the first page."""
    found, first_meta, number = [], None, 1
    while True:
        response = api.sessions.list(page=number, limit=100, **kwargs)
        first_meta = first_meta or dump(response.meta)
        found.extend(dump(list(response.data)))
        if number >= response.meta.total_pages or not response.data:
            return {"data": found, "meta": first_meta}
        number += 1


around_now = {"from_timestamp": started - dt.timedelta(minutes=1), "to_timestamp": finished_writing + dt.timedelta(minutes=1)}
ids["sessions_window"] = {k: v.isoformat() for k, v in around_now.items()}
step("sessions_list", lambda: all_sessions())
step("sessions_window", lambda: all_sessions(**around_now))
step("sessions_environment", lambda: all_sessions(environment=E["stg"]))
step("sessions_fetch_helper", lambda: page(prod.fetch_sessions(limit=1, page=1)))
step("session_get_a", lambda: dump(api.sessions.get(SE["a"])))
step("session_get_b", lambda: dump(api.sessions.get(SE["b"])))
step("session_get_missing", lambda: dump(api.sessions.get(f"no-session-{s}")))

# --- scores ------------------------------------------------------------------------------------
for key, score_id in S.items():
    step(f"score_get_{key}", lambda score_id=score_id: dump(api.score.get_by_id(score_id)))
step("score_get_missing", lambda: dump(api.score.get_by_id(hex_id())))
step("scores_name", lambda: page(api.score.get(name=SN["acc"], limit=100)))
step("scores_user_categorical", lambda: page(api.score.get(user_id=U["u1"], data_type="CATEGORICAL", limit=100)))
step("scores_user_boolean", lambda: page(api.score.get(user_id=U["u1"], data_type="BOOLEAN", limit=100)))
step("scores_user_numeric", lambda: page(api.score.get(user_id=U["u1"], data_type="NUMERIC", limit=100)))
step("scores_user_2", lambda: page(api.score.get(user_id=U["u2"], limit=100)))
step("scores_config", lambda: page(api.score.get(config_id=configs["cat"], limit=100)))
step("scores_value_operator", lambda: page(api.score.get(name=SN["acc"], operator=">=", value=0.5, limit=100)))
step("scores_value_operator_lt", lambda: page(api.score.get(name=SN["acc"], operator="<", value=0.5, limit=100)))
step("scores_ids", lambda: page(api.score.get(score_ids=f"{S['t1_cat']},{S['g1_bool']},{S['t3_cfg_num']}", limit=100)))
step("scores_trace_tags", lambda: page(api.score.get(name=SN["acc"], trace_tags=[TG["x"]], limit=100)))
step("scores_environment", lambda: page(api.score.get(user_id=U["u1"], environment=E["stg"], limit=100)))
step("scores_source", lambda: page(api.score.get(user_id=U["u2"], source="API", limit=100)))
step("scores_source_annotation", lambda: page(api.score.get(user_id=U["u1"], source="ANNOTATION", limit=100)))
step("scores_name_page", lambda: page(api.score.get(name=SN["acc"], limit=2, page=2)))

# --- score configs -----------------------------------------------------------------------------
for kind in ("num", "cat", "bool"):
    step(f"config_get_{kind}", lambda kind=kind: dump(api.score_configs.get_by_id(configs[kind])))
step("config_get_missing", lambda: dump(api.score_configs.get_by_id(hex_id())))


def all_configs():
    found, number = [], 1
    while True:
        response = api.score_configs.get(page=number, limit=100)
        found.extend(dump(list(response.data)))
        if number >= response.meta.total_pages or not response.data:
            return {"data": found, "meta": dump(response.meta)}
        number += 1


step("configs_list", all_configs)
step("configs_list_page", lambda: page(api.score_configs.get(page=1, limit=1)))

# --- observations ------------------------------------------------------------------------------
step("observations_trace", lambda: page(prod.fetch_observations(trace_id=T["t1"], limit=100)))
step("observations_trace_type", lambda: page(prod.fetch_observations(trace_id=T["t1"], type="GENERATION")))
step("observations_name", lambda: page(prod.fetch_observations(name=ON["gen"], limit=100)))
step("observations_user", lambda: page(prod.fetch_observations(user_id=U["u1"], limit=100)))
step("observations_parent", lambda: page(prod.fetch_observations(parent_observation_id=O["t1_span"])))
step("observations_environment", lambda: page(prod.fetch_observations(environment=E["stg"], limit=100)))
step("observations_time", lambda: page(prod.fetch_observations(from_start_time=at(minutes=10), to_start_time=at(minutes=20, seconds=2), limit=100)))
step("observations_version", lambda: page(api.observations.get_many(version=V["obs"], limit=100)))
step("observations_page", lambda: page(api.observations.get_many(name=ON["gen"], limit=1, page=2)))
step("observation_get_gen", lambda: dump(prod.fetch_observation(O["t1_gen"]).data))
step("observation_get_event", lambda: dump(api.observations.get(O["t3_event"])))
step("observation_get_missing", lambda: dump(api.observations.get(hex_id()[:16])))

# --- isolation: another project's keys see none of it ------------------------------------------
other = Langfuse(public_key=other_public_key, secret_key=other_secret_key, host=host)
oapi = other.client
step("other_traces_user", lambda: page(other.fetch_traces(user_id=U["u1"])))
step("other_traces_window", lambda: page(other.fetch_traces(**window)))
step("other_traces_tags", lambda: page(oapi.trace.list(tags=TG["common"], environment=[E["prod"], E["stg"]])))
step("other_trace_get", lambda: dump(other.fetch_trace(T["t1"]).data))
step("other_sessions", lambda: page(oapi.sessions.list(environment=[E["prod"], E["stg"]])))
step("other_session_get", lambda: dump(oapi.sessions.get(SE["a"])))
step("other_scores_name", lambda: page(oapi.score.get(name=SN["acc"])))
step("other_scores_user", lambda: page(oapi.score.get(user_id=U["u1"])))
step("other_score_get", lambda: dump(oapi.score.get_by_id(S["t1_num"])))
step("other_score_get_obs", lambda: dump(oapi.score.get_by_id(S["g1_cat"])))
step("other_config_get", lambda: dump(oapi.score_configs.get_by_id(configs["cat"])))
step("other_configs_list", lambda: [c["id"] for c in page(oapi.score_configs.get(limit=100))["data"]])
step("other_observations_trace", lambda: page(other.fetch_observations(trace_id=T["t1"])))
step("other_observations_name", lambda: page(oapi.observations.get_many(name=ON["gen"])))
step("other_observation_get", lambda: dump(oapi.observations.get(O["t1_gen"])))

prod.shutdown()
stg.shutdown()
other.shutdown()
print(json.dumps({"ids": ids, "steps": steps}, default=str))
