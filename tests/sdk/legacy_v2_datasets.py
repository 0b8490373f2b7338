"""Run with the legacy SDK 2.x interpreter: `python legacy_v2_datasets.py PK SK HOST SUFFIX`.

Creates a dataset and items, reads them back with `get_dataset`, links items to traces with
`item.link` (a trace and an observation) and `item.observe` (the `item.run()` pattern), then reads
the run with `get_dataset_run` / `get_dataset_runs`. Prints one JSON object describing what the
SDK returned for each step (an exception becomes `{"error": ...}`), for
test_datasets_legacy_v2.py to check."""

import json
import sys
import traceback

from langfuse import Langfuse

public_key, secret_key, host, suffix = sys.argv[1:5]
langfuse = Langfuse(public_key=public_key, secret_key=secret_key, host=host)
results = {}


def step(key, action):
    try:
        results[key] = action()
    except Exception as error:  # noqa: BLE001 - every failure is reported to the test
        results[key] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc(limit=3)}


name = f"v2-dataset-{suffix}"
run_name = f"v2-run-{suffix}"

step("create_dataset", lambda: langfuse.create_dataset(name=name, description="v2", metadata={"k": "v"}).dict())
for n in range(2):
    step(f"create_item_{n}", lambda n=n: langfuse.create_dataset_item(
        dataset_name=name, id=f"v2-item-{n}-{suffix}", input={"n": n}, expected_output=n + 1).dict())


def run_items():
    dataset = langfuse.get_dataset(name)
    linked = []
    for item in sorted(dataset.items, key=lambda item: item.id):
        if item.id.startswith("v2-item-0"):
            trace = langfuse.trace(name="v2-dataset-trace", input=item.input)
            generation = trace.generation(name="answer", output=item.expected_output)
            item.link(generation, run_name, run_description="from v2", run_metadata={"model": "m"})
            linked.append({"item": item.id, "trace": trace.id, "observation": generation.id})
        else:
            with item.observe(run_name=run_name) as trace_id:
                langfuse.trace(id=trace_id, name="v2-observed", output="done")
            linked.append({"item": item.id, "trace": trace_id, "observation": None})
    langfuse.flush()
    return {"items": sorted(item.id for item in dataset.items), "linked": linked}


step("run", run_items)
step("get_run", lambda: langfuse.get_dataset_run(name, run_name).dict())
step("get_runs", lambda: [run.name for run in langfuse.get_dataset_runs(name).data])
step("missing", lambda: langfuse.get_dataset(f"missing-{suffix}").dict())

print(json.dumps(results, default=str))
