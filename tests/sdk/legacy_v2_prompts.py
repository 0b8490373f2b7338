"""Run with the legacy SDK 2.x interpreter: `python legacy_v2_prompts.py PK SK HOST SUFFIX`.

Creates text and chat prompts with `create_prompt`, reads them back with `get_prompt` (by default,
label and version), compiles them, moves labels with `update_prompt` and asks for a missing prompt
with a fallback. Prints one JSON object describing what the SDK returned for each step (an
exception becomes `{"error": ...}`), for test_prompts_legacy_v2.py to check."""

import json
import sys
import traceback

from langfuse import Langfuse

public_key, secret_key, host, suffix = sys.argv[1:5]
langfuse = Langfuse(public_key=public_key, secret_key=secret_key, host=host)
results = {}


def describe(prompt):
    return {
        "class": type(prompt).__name__, "name": prompt.name, "version": prompt.version,
        "prompt": prompt.prompt, "labels": list(prompt.labels), "tags": list(prompt.tags),
        "config": prompt.config, "commit_message": prompt.commit_message, "is_fallback": prompt.is_fallback,
    }


def step(key, action):
    try:
        results[key] = action()
    except Exception as error:  # noqa: BLE001 - every failure is reported to the test
        results[key] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc(limit=3)}


# Only one attempt per fetch (SDK 2.x: max_tries = max_retries), no prompt cache.
def get(name, *args, **kwargs):
    return langfuse.get_prompt(name, *args, cache_ttl_seconds=0, max_retries=1, **kwargs)


text_name = f"v2-text-{suffix}"
chat_name = f"v2-chat-{suffix}"
missing_name = f"v2-missing-{suffix}"
legacy_name = f"v2-is-active-{suffix}"

step("create_text", lambda: describe(langfuse.create_prompt(
    name=text_name, prompt="Hi {{name}}, you are {{ age }}.", labels=["production"],
    tags=["v2"], config={"temperature": 0.5, "model": "gpt-4o"}, commit_message="v2 first")))
step("create_text_v2", lambda: describe(langfuse.create_prompt(name=text_name, prompt="Second {{name}}", labels=["staging"])))
step("get_text_default", lambda: describe(get(text_name)))
step("get_text_label", lambda: describe(get(text_name, label="staging")))
step("get_text_latest", lambda: describe(get(text_name, label="latest")))
step("get_text_version", lambda: describe(get(text_name, 1)))
step("get_text_version_kw", lambda: describe(get(text_name, version=2)))
step("compile_text", lambda: get(text_name).compile(name="Ada", age=36))
step("variables_text", lambda: get(text_name).variables)

step("create_chat", lambda: describe(langfuse.create_prompt(
    name=chat_name, type="chat", labels=["production"], config={"max_tokens": 10},
    prompt=[{"role": "system", "content": "You are {{persona}}."}, {"role": "user", "content": "{{question}}"}])))
step("get_chat_default", lambda: describe(get(chat_name, type="chat")))
step("get_chat_version", lambda: describe(get(chat_name, version=1, type="chat")))
step("compile_chat", lambda: get(chat_name, type="chat").compile(persona="a poet", question="Why?"))

step("update_labels", lambda: langfuse.update_prompt(name=text_name, version=2, new_labels=["production"]).labels)
step("get_text_after_update", lambda: describe(get(text_name)))
step("get_text_v1_after_update", lambda: describe(get(text_name, version=1)))

# The deprecated is_active flag of 2.x puts the production label on the new version.
step("create_is_active", lambda: describe(langfuse.create_prompt(name=legacy_name, prompt="active", is_active=True)))
step("get_is_active", lambda: describe(get(legacy_name)))


def missing_without_fallback():
    try:
        get(missing_name)
    except Exception as error:  # noqa: BLE001
        return {"raised": type(error).__name__, "status_code": getattr(error, "status_code", None)}
    return {"raised": None}


step("missing_raises", missing_without_fallback)


def linked_generation():
    # A generation that names the prompt (ingestion: promptName + promptVersion).
    trace = langfuse.trace(id=f"v2-prompt-trace-{suffix}", name="v2-prompt-trace")
    trace.generation(id=f"v2-prompt-gen-{suffix}", name="v2-linked", model="gpt-4o",
                     prompt=get(text_name, version=1), input="Hi Ada").end(output="ok")
    langfuse.flush()
    return f"v2-prompt-gen-{suffix}"


step("linked_generation", linked_generation)
step("missing_text_fallback", lambda: describe(get(missing_name, fallback="Fallback {{name}}")))
step("missing_text_fallback_compiled", lambda: get(missing_name, fallback="Fallback {{name}}").compile(name="Bo"))
step("missing_chat_fallback", lambda: describe(get(missing_name, type="chat", fallback=[{"role": "system", "content": "Be {{tone}}"}])))
step("missing_version_fallback", lambda: describe(get(text_name, version=99, fallback="fb")))

langfuse.shutdown()
print(json.dumps(results))
