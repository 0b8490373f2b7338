"""Prompt management through the official Python SDK 5.x: `create_prompt`, `get_prompt`,
`update_prompt` and the prompt clients' `compile()`, plus the low-level `langfuse.api.prompts` /
`langfuse.api.prompt_version` clients for listing and for the requests Sightline must refuse
(wire-spec §6, Langfuse's `prompts.v2.servertest.ts`).

Every `get_prompt` passes `cache_ttl_seconds=0` so each call reaches the server (the SDK keeps one
prompt cache per public key for the whole process), and `max_retries=0` so a 404 is not retried.
Prompt names carry a per-run suffix; prompts live in project A, project B checks isolation.
"""

import json
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from langfuse import Langfuse
from langfuse.api import CreateChatPromptRequest, CreateTextPromptRequest, NotFoundError
from langfuse.api.core.api_error import ApiError
from langfuse.model import ChatPromptClient, TextPromptClient

RUN = uuid.uuid4().hex[:8]


def unique(name: str) -> str:
    return f"sdk-{name}-{RUN}"


def encoded(name: str) -> str:
    """Path form of a prompt name for the low-level client (folders travel as `%2F`), exactly
    as `Langfuse.get_prompt` sends it."""
    return urllib.parse.quote(name, safe="")


@pytest.fixture(scope="module")
def project(server):
    return server.projects[0]


@pytest.fixture(scope="module")
def langfuse(server, project):
    client = Langfuse(public_key=project.public_key, secret_key=project.secret_key, host=server.host)
    yield client
    # The SDK shares one client per public key (test_scores_v5 uses this key after us): flush,
    # but leave shutting down to the last user.
    client.flush()


def fetch(langfuse, name, **kwargs):
    """`get_prompt` straight from the server (no SDK cache, no retry)."""
    return langfuse.get_prompt(name, cache_ttl_seconds=0, max_retries=0, **kwargs)


def raw(server, project, name, query=""):
    """The JSON a client receives for GET /api/public/v2/prompts/{name}."""
    status, body = server.get(project, f"/api/public/v2/prompts/{encoded(name)}{query}")
    assert status == 200, (status, body)
    return body


# ---------------------------------------------------------------------------------------------
# Text and chat prompts


def test_text_prompt_create_get_compile(langfuse):
    name = unique("text")
    config = {"model": "gpt-4o", "temperature": 0.2, "stop": ["\n\n"], "nested": {"a": [1, 2, {"b": None}], "ok": True}}
    created = langfuse.create_prompt(
        name=name, prompt="Hello {{name}}, welcome to {{ place }}!", labels=["production"],
        tags=["sdk", f"run-{RUN}"], config=config, commit_message="first version",
    )
    assert isinstance(created, TextPromptClient)
    assert created.name == name
    assert created.version == 1
    assert set(created.labels) == {"production", "latest"}
    assert sorted(created.tags) == sorted(["sdk", f"run-{RUN}"])
    assert created.config == config
    assert created.commit_message == "first version"
    assert created.prompt == "Hello {{name}}, welcome to {{ place }}!"
    assert created.is_fallback is False

    # By default (the production label), by label and by version: the same version 1.
    for fetched in (fetch(langfuse, name), fetch(langfuse, name, label="production"),
                    fetch(langfuse, name, label="latest"), fetch(langfuse, name, version=1)):
        assert isinstance(fetched, TextPromptClient)
        assert fetched.is_fallback is False
        assert (fetched.name, fetched.version) == (name, 1)
        assert fetched.prompt == "Hello {{name}}, welcome to {{ place }}!"
        assert set(fetched.labels) == {"production", "latest"}
        assert fetched.config == config
        assert sorted(fetched.tags) == sorted(["sdk", f"run-{RUN}"])
        assert fetched.commit_message == "first version"

    prompt = fetch(langfuse, name)
    assert prompt.variables == ["name", "place"]
    assert prompt.compile(name="Ada", place="Paris") == "Hello Ada, welcome to Paris!"
    # Unknown variables stay as they are; extra ones are ignored.
    assert prompt.compile(name="Ada", unused=1) == "Hello Ada, welcome to {{ place }}!"


def test_chat_prompt_with_variables_and_placeholders(langfuse):
    name = unique("chat")
    messages = [
        {"role": "system", "content": "You are {{persona}}."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"},
    ]
    created = langfuse.create_prompt(name=name, type="chat", prompt=messages, labels=["production"], config={"temperature": 0})
    assert isinstance(created, ChatPromptClient)
    assert created.version == 1
    assert set(created.labels) == {"production", "latest"}

    expected_template = [
        {"type": "message", "role": "system", "content": "You are {{persona}}."},
        {"type": "placeholder", "name": "history"},
        {"type": "message", "role": "user", "content": "{{question}}"},
    ]
    for fetched in (fetch(langfuse, name, type="chat"), fetch(langfuse, name, type="chat", version=1),
                    fetch(langfuse, name, type="chat", label="latest")):
        assert isinstance(fetched, ChatPromptClient)
        assert fetched.is_fallback is False
        assert fetched.version == 1
        assert fetched.prompt == expected_template
        assert fetched.config == {"temperature": 0}

    prompt = fetch(langfuse, name, type="chat")
    assert prompt.variables == ["persona", "question"]
    compiled = prompt.compile(
        persona="a pirate", question="Where is the treasure?",
        history=[{"role": "user", "content": "Hi {{persona}}"}, {"role": "assistant", "content": "Arr"}],
    )
    assert compiled == [
        {"role": "system", "content": "You are a pirate."},
        {"role": "user", "content": "Hi a pirate"},
        {"role": "assistant", "content": "Arr"},
        {"role": "user", "content": "Where is the treasure?"},
    ]
    # Without a value the placeholder stays in the compiled list.
    assert prompt.compile(persona="x", question="y")[1] == {"type": "placeholder", "name": "history"}

    # The low-level client sees the stored messages: two chat messages around a placeholder.
    stored = langfuse.api.prompts.get(encoded(name))
    assert stored.type == "chat"
    assert [(getattr(m, "role", None), getattr(m, "content", None)) for m in (stored.prompt[0], stored.prompt[2])] == [
        ("system", "You are {{persona}}."), ("user", "{{question}}"),
    ]
    assert stored.prompt[1].name == "history"
    assert stored.prompt[1].type == "placeholder"


# ---------------------------------------------------------------------------------------------
# Versions and labels


def test_new_versions_move_latest_and_production(langfuse):
    name = unique("versions")
    langfuse.create_prompt(name=name, prompt="v1", labels=["production"])
    second = langfuse.create_prompt(name=name, prompt="v2")
    assert second.version == 2
    assert second.labels == ["latest"]

    # `latest` moved to version 2; production stays on version 1.
    assert fetch(langfuse, name).version == 1
    assert fetch(langfuse, name).prompt == "v1"
    assert fetch(langfuse, name).labels == ["production"]
    latest = fetch(langfuse, name, label="latest")
    assert (latest.version, latest.prompt) == (2, "v2")

    # A version created with labels=["production"] takes production (and latest) over.
    third = langfuse.create_prompt(name=name, prompt="v3", labels=["production"])
    assert third.version == 3
    assert set(third.labels) == {"production", "latest"}
    default = fetch(langfuse, name)
    assert (default.version, default.prompt) == (3, "v3")
    assert fetch(langfuse, name, label="latest").version == 3
    assert fetch(langfuse, name, version=1).labels == []
    assert fetch(langfuse, name, version=2).labels == []
    assert fetch(langfuse, name, version=2).prompt == "v2"


def test_create_with_several_labels_takes_each_from_older_versions(langfuse):
    # Langfuse's "should correctly handle overwriting labels".
    name = unique("overwrite")
    langfuse.create_prompt(name=name, prompt="p1", labels=["production", "staging", "development"])
    langfuse.create_prompt(name=name, prompt="p2", labels=["production", "production", "staging"])
    langfuse.create_prompt(name=name, prompt="p3", labels=["staging"])
    assert fetch(langfuse, name).version == 2
    assert fetch(langfuse, name).labels == ["production"]
    assert fetch(langfuse, name, version=1).labels == ["development"]
    assert set(fetch(langfuse, name, version=3).labels) == {"staging", "latest"}
    assert fetch(langfuse, name, label="development").version == 1


def test_update_prompt_moves_labels(langfuse):
    name = unique("update")
    langfuse.create_prompt(name=name, prompt="one", labels=["production"])
    langfuse.create_prompt(name=name, prompt="two", labels=["staging"])

    updated = langfuse.update_prompt(name=name, version=2, new_labels=["production"])
    # The response is the updated version; labels are added to the ones it had.
    assert updated.version == 2
    assert set(updated.labels) == {"production", "staging", "latest"}
    default = fetch(langfuse, name)
    assert (default.version, default.prompt) == (2, "two")
    assert fetch(langfuse, name, version=1).labels == []

    moved_back = langfuse.update_prompt(name=name, version=1, new_labels=["production", "canary"])
    assert set(moved_back.labels) == {"production", "canary"}
    assert fetch(langfuse, name).version == 1
    assert fetch(langfuse, name, label="canary").version == 1
    assert set(fetch(langfuse, name, version=2).labels) == {"staging", "latest"}

    # A version that does not exist: 404.
    with pytest.raises(NotFoundError):
        langfuse.update_prompt(name=name, version=99, new_labels=["production"])


def test_config_round_trips(langfuse):
    name = unique("config")
    config = {
        "model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 256, "top_p": 1,
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}],
        "json_schema": {"required": ["answer"]}, "flag": False, "nothing": None, "unicode": "héllo ✓",
    }
    langfuse.create_prompt(name=name, prompt="x", config=config, labels=["production"])
    assert fetch(langfuse, name).config == config
    # Without a config the server stores {}.
    langfuse.create_prompt(name=name, prompt="y")
    assert fetch(langfuse, name, version=2).config == {}
    assert fetch(langfuse, name, version=1).config == config
    listed = langfuse.api.prompts.list(name=name)
    assert [p.name for p in listed.data] == [name]
    assert listed.data[0].last_config == {}


def test_tags_apply_to_all_versions(langfuse):
    # Langfuse's "should update tags across versions".
    name = unique("tags")
    langfuse.create_prompt(name=name, prompt="a", tags=["tag"])
    assert fetch(langfuse, name, version=1).tags == ["tag"]
    # No tags given: the version takes the previous ones.
    langfuse.create_prompt(name=name, prompt="b")
    assert fetch(langfuse, name, version=2).tags == ["tag"]
    # New tags apply to every version of the name.
    langfuse.create_prompt(name=name, prompt="c", tags=["tag1", "tag2", "tag3"])
    for version in (1, 2, 3):
        assert sorted(fetch(langfuse, name, version=version).tags) == ["tag1", "tag2", "tag3"]
    # An empty list clears them everywhere.
    langfuse.create_prompt(name=name, prompt="d", tags=[])
    for version in (1, 2, 3, 4):
        assert fetch(langfuse, name, version=version).tags == []


# ---------------------------------------------------------------------------------------------
# Missing prompts and the SDK's fallback


def test_missing_prompt_is_404_and_get_prompt_uses_the_fallback(langfuse):
    missing = unique("missing")
    with pytest.raises(NotFoundError) as caught:
        langfuse.api.prompts.get(encoded(missing))
    assert caught.value.status_code == 404
    assert isinstance(caught.value.body, dict) and caught.value.body.get("message"), caught.value.body

    # get_prompt without a fallback raises the 404.
    with pytest.raises(NotFoundError):
        fetch(langfuse, missing)

    text = fetch(langfuse, missing, fallback="Fallback for {{user}}")
    assert isinstance(text, TextPromptClient)
    assert text.is_fallback is True
    assert text.version == 0
    assert text.compile(user="Bo") == "Fallback for Bo"

    chat = fetch(langfuse, missing, type="chat", fallback=[{"role": "system", "content": "Be {{tone}}"}])
    assert isinstance(chat, ChatPromptClient)
    assert chat.is_fallback is True
    assert chat.compile(tone="brief") == [{"role": "system", "content": "Be brief"}]


def test_missing_label_or_version_of_an_existing_prompt_is_404(langfuse):
    name = unique("no-production")
    langfuse.create_prompt(name=name, prompt="only staging", labels=["staging"])
    # No version carries production: the default fetch is a 404 and the fallback is used.
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name))
    assert fetch(langfuse, name, fallback="fb").is_fallback is True
    assert fetch(langfuse, name, label="nope", fallback="fb").is_fallback is True
    assert fetch(langfuse, name, version=2, fallback="fb").is_fallback is True
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=2)
    # The existing label and version are served.
    assert fetch(langfuse, name, label="staging", fallback="fb").is_fallback is False
    assert fetch(langfuse, name, version=1).prompt == "only staging"


# ---------------------------------------------------------------------------------------------
# Folders and composition


def test_folder_names_with_slashes(langfuse, server, project):
    name = f"sdk-folder-{RUN}/sub folder/my-prompt"
    created = langfuse.create_prompt(name=name, prompt="In a folder {{x}}", labels=["production"], commit_message="folder")
    assert created.name == name
    langfuse.create_prompt(name=name, prompt="In a folder, v2")

    prompt = fetch(langfuse, name)
    assert (prompt.name, prompt.version) == (name, 1)
    assert prompt.compile(x="!") == "In a folder !"
    assert fetch(langfuse, name, version=2).prompt == "In a folder, v2"
    assert fetch(langfuse, name, label="latest").version == 2

    # update_prompt sends the name URL-encoded in the path as well.
    updated = langfuse.update_prompt(name=name, version=2, new_labels=["production"])
    assert updated.name == name
    assert fetch(langfuse, name).version == 2

    listed = langfuse.api.prompts.list(name=name)
    assert [(p.name, p.versions) for p in listed.data] == [(name, [1, 2])]

    # The folder itself is not a prompt.
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(f"sdk-folder-{RUN}"))


def test_composition_is_resolved(langfuse, server, project):
    child = unique("child")
    folder_child = f"sdk-compose-{RUN}/shared/signature"
    parent = unique("parent")
    langfuse.create_prompt(name=child, prompt="I am the child for {{user}}", labels=["production"])
    langfuse.create_prompt(name=folder_child, prompt="-- signed", labels=["production"])
    template = (f"Start. @@@langfusePrompt:name={child}|label=production@@@ "
                f"@@@langfusePrompt:name={folder_child}|version=1@@@")
    created = langfuse.create_prompt(name=parent, prompt=template, labels=["production"])
    assert created.version == 1

    prompt = fetch(langfuse, parent)
    assert prompt.prompt == "Start. I am the child for {{user}} -- signed"
    assert prompt.compile(user="Ann") == "Start. I am the child for Ann -- signed"

    # The resolution graph names the root and its dependencies.
    body = raw(server, project, parent)
    graph = body["resolutionGraph"]
    assert graph["root"] == {"id": body["id"], "name": parent, "version": 1}
    dependencies = {(d["name"], d["version"]) for deps in graph["dependencies"].values() for d in deps}
    assert dependencies == {(child, 1), (folder_child, 1)}

    # resolve=false: the stored text with its dependency tags and no graph.
    unresolved = langfuse.api.prompts.get(encoded(parent), resolve=False)
    assert unresolved.prompt == template
    assert unresolved.resolution_graph is None

    # A new production version of the child is picked up by the label reference.
    langfuse.create_prompt(name=child, prompt="I am the new child", labels=["production"])
    assert fetch(langfuse, parent).prompt == "Start. I am the new child -- signed"

    # Nested (parent -> middle -> child) and inside chat messages.
    middle = unique("middle")
    langfuse.create_prompt(name=middle, prompt=f"Middle[@@@langfusePrompt:name={child}|version=1@@@]", labels=["production"])
    chat = unique("chat-parent")
    langfuse.create_prompt(name=chat, type="chat", labels=["production"], prompt=[
        {"role": "system", "content": "Context: @@@langfusePrompt:name=" + middle + "|label=production@@@"},
        {"role": "user", "content": "{{q}}"},
    ])
    compiled = fetch(langfuse, chat, type="chat").compile(user="Zed", q="Why?")
    assert compiled == [
        {"role": "system", "content": "Context: Middle[I am the child for Zed]"},
        {"role": "user", "content": "Why?"},
    ]
    # A prompt without dependencies has no graph.
    assert raw(server, project, child).get("resolutionGraph") is None


# ---------------------------------------------------------------------------------------------
# Listing (low-level client)


def test_list_prompts_with_filters(langfuse, server, project):
    tag = f"list-{RUN}"
    first, second = unique("list-a"), unique("list-b")
    langfuse.create_prompt(name=first, prompt="a1", labels=["production"], tags=[tag], config={"v": 1})
    langfuse.create_prompt(name=first, prompt="a2", labels=["staging"], config={"v": 2})
    langfuse.create_prompt(name=second, type="chat", prompt=[{"role": "user", "content": "b"}], labels=["production"], tags=[tag])

    listed = langfuse.api.prompts.list(tag=tag)
    assert [p.name for p in listed.data] == [first, second]
    a, b = listed.data
    assert (a.type, a.versions, set(a.labels), a.tags, a.last_config) == ("text", [1, 2], {"production", "staging", "latest"}, [tag], {"v": 2})
    assert (b.type, b.versions, set(b.labels), b.tags) == ("chat", [1], {"production", "latest"}, [tag])
    assert listed.meta.total_items == 2
    assert (listed.meta.page, listed.meta.total_pages) == (1, 1)

    # By name (exact), by label (only the versions carrying it), by tag and label together.
    by_name = langfuse.api.prompts.list(name=first)
    assert [(p.name, p.versions) for p in by_name.data] == [(first, [1, 2])]
    assert langfuse.api.prompts.list(name=f"{first}-nope").data == []
    by_label = langfuse.api.prompts.list(tag=tag, label="staging")
    assert [(p.name, p.versions, set(p.labels), p.last_config) for p in by_label.data] == [(first, [2], {"staging", "latest"}, {"v": 2})]
    production = langfuse.api.prompts.list(tag=tag, label="production")
    assert [(p.name, p.versions, p.last_config) for p in production.data] == [(first, [1], {"v": 1}), (second, [1], {})]
    assert langfuse.api.prompts.list(tag=f"{tag}-nope").data == []

    # Pages.
    page_one = langfuse.api.prompts.list(tag=tag, limit=1, page=1)
    page_two = langfuse.api.prompts.list(tag=tag, limit=1, page=2)
    assert [p.name for p in page_one.data] == [first]
    assert [p.name for p in page_two.data] == [second]
    assert (page_one.meta.limit, page_one.meta.total_items, page_one.meta.total_pages) == (1, 2, 2)

    # Updated-at bounds.
    now = datetime.now(timezone.utc)
    assert langfuse.api.prompts.list(tag=tag, from_updated_at=now + timedelta(days=1)).data == []
    assert langfuse.api.prompts.list(tag=tag, to_updated_at=now - timedelta(days=1)).data == []
    recent = langfuse.api.prompts.list(tag=tag, from_updated_at=now - timedelta(hours=1), to_updated_at=now + timedelta(hours=1))
    assert [p.name for p in recent.data] == [first, second]

    # The version filter (not in the SDK's list signature): only that version of each name.
    status, body = server.get(project, f"/api/public/v2/prompts?tag={tag}&version=2")
    assert status == 200, body
    assert [(p["name"], p["versions"], p["lastConfig"]) for p in body["data"]] == [(first, [2], {"v": 2})]


# ---------------------------------------------------------------------------------------------
# Bad input -> 400 with a message


def expect_400(call, *keywords):
    """Runs `call`, which must fail with HTTP 400 and a JSON body holding a non-empty `message`;
    the body must mention one of `keywords` (case-insensitive), as Langfuse's messages do."""
    try:
        result = call()
    except ApiError as error:
        assert error.status_code == 400, f"expected 400, got {error.status_code}: {error.body}"
        body = error.body
    else:
        pytest.fail(f"expected 400, the request was accepted: {result!r}")
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"], body
    assert any(k.lower() in json.dumps(body).lower() for k in keywords), f"none of {keywords!r} in {body}"
    return body


def post_raw(server, project, body):
    status, payload = server.post(project, "/api/public/v2/prompts", json.dumps(body).encode(), "application/json")
    return status, json.loads(payload or b"null")


def test_bad_names_are_400(langfuse):
    create = langfuse.api.prompts.create
    expect_400(lambda: create(request=CreateTextPromptRequest(name="", prompt="x")), "name", "empty")
    expect_400(lambda: create(request=CreateTextPromptRequest(name="new", prompt="x")), "new")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=f"bad|{RUN}", prompt="x")), "|")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=f"/lead-{RUN}", prompt="x")), "slash")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=f"trail-{RUN}/", prompt="x")), "slash")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=f"a//b-{RUN}", prompt="x")), "slash")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=f"html <div>-{RUN}", prompt="x")), "html")


def test_bad_labels_are_400(langfuse):
    create = langfuse.api.prompts.create
    name = unique("bad-labels")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=name, prompt="x", labels=["Not Valid!"])), "label")
    expect_400(lambda: create(request=CreateTextPromptRequest(name=name, prompt="x", labels=["x" * 37])), "label")
    # Nothing was created by the refused requests.
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=1)

    langfuse.create_prompt(name=name, prompt="x")
    # `latest` cannot be set by hand.
    expect_400(lambda: langfuse.api.prompt_version.update(encoded(name), 1, new_labels=["latest"]), "latest")
    expect_400(lambda: langfuse.update_prompt(name=name, version=1, new_labels=["production", "latest"]), "latest")
    assert fetch(langfuse, name, version=1).labels == ["latest"]


def test_chat_prompt_whose_messages_are_not_a_list_is_400(server, project, langfuse):
    # The SDK's types refuse this before sending, so the request goes out as a plain HTTP call.
    name = unique("chat-not-list")
    status, body = post_raw(server, project, {"name": name, "type": "chat", "prompt": "hello"})
    assert status == 400, body
    assert isinstance(body.get("message"), str) and body["message"], body
    status, body = post_raw(server, project, {"name": name, "type": "chat", "prompt": {"role": "user", "content": "hi"}})
    assert status == 400, body
    assert isinstance(body.get("message"), str) and body["message"], body
    # A text prompt whose prompt is a list of messages.
    status, body = post_raw(server, project, {"name": name, "type": "text", "prompt": [{"role": "user", "content": "hi"}]})
    assert status == 400, body
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=1)


def test_type_change_across_versions_is_400(langfuse):
    name = unique("type-change")
    langfuse.create_prompt(name=name, prompt="text first", labels=["production"])
    expect_400(lambda: langfuse.api.prompts.create(request=CreateChatPromptRequest(
        name=name, type="chat", prompt=[{"role": "user", "content": "chat now"}])), "type")
    # Version 1 is untouched and there is no version 2.
    assert fetch(langfuse, name).prompt == "text first"
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=2)


def test_composition_cycles_and_missing_references_are_400(langfuse):
    a, b = unique("cycle-a"), unique("cycle-b")
    langfuse.create_prompt(name=a, prompt="A without dependency", labels=["production"])
    langfuse.create_prompt(name=b, prompt=f"B -> @@@langfusePrompt:name={a}|label=production@@@", labels=["production"])
    create = langfuse.api.prompts.create
    # A new version of A that references B closes the cycle A -> B -> A.
    expect_400(lambda: create(request=CreateTextPromptRequest(
        name=a, prompt=f"A -> @@@langfusePrompt:name={b}|label=production@@@", labels=["production"])), "circular")
    # A prompt that references itself.
    expect_400(lambda: create(request=CreateTextPromptRequest(
        name=a, prompt=f"me -> @@@langfusePrompt:name={a}|version=1@@@")), "circular")
    assert fetch(langfuse, a).prompt == "A without dependency"
    assert fetch(langfuse, a, label="latest").version == 1
    # A reference to a prompt that does not exist.
    expect_400(lambda: create(request=CreateTextPromptRequest(
        name=unique("dangling"), prompt=f"@@@langfusePrompt:name={unique('nowhere')}|version=1@@@")), "not found")


def test_nesting_deeper_than_five_is_400(langfuse):
    # Langfuse: MAX_PROMPT_NESTING_DEPTH = 5; depth-5 .. depth-1 are fine, depth-0 is refused.
    names = {i: unique(f"depth-{i}") for i in range(6)}
    for i in range(5, 0, -1):
        content = "deepest" if i == 5 else f"L{i} @@@langfusePrompt:name={names[i + 1]}|label=production@@@"
        langfuse.create_prompt(name=names[i], prompt=content, labels=["production"])
    assert fetch(langfuse, names[1]).prompt == "L1 L2 L3 L4 deepest"
    expect_400(lambda: langfuse.api.prompts.create(request=CreateTextPromptRequest(
        name=names[0], prompt=f"L0 @@@langfusePrompt:name={names[1]}|label=production@@@")), "depth")


def test_get_with_both_version_and_label_is_400(server, project, langfuse):
    name = unique("both")
    langfuse.create_prompt(name=name, prompt="x", labels=["production"])
    status, body = server.get(project, f"/api/public/v2/prompts/{encoded(name)}?version=1&label=production")
    assert status == 400, body
    assert isinstance(body.get("message"), str) and "both" in body["message"].lower(), body


# ---------------------------------------------------------------------------------------------
# Isolation


def test_other_projects_do_not_see_the_prompt(server, langfuse):
    name = unique("isolated")
    langfuse.create_prompt(name=name, prompt="project A only", labels=["production"], tags=[f"iso-{RUN}"])
    other = server.projects[1]
    client_b = Langfuse(public_key=other.public_key, secret_key=other.secret_key, host=server.host)
    try:
        with pytest.raises(NotFoundError):
            client_b.api.prompts.get(encoded(name))
        with pytest.raises(NotFoundError):
            client_b.api.prompts.get(encoded(name), version=1)
        assert client_b.get_prompt(name, cache_ttl_seconds=0, max_retries=0, fallback="fb").is_fallback is True
        assert client_b.api.prompts.list(name=name).data == []
        assert client_b.api.prompts.list(tag=f"iso-{RUN}").data == []
        with pytest.raises(NotFoundError):
            client_b.update_prompt(name=name, version=1, new_labels=["staging"])

        # B may create its own prompt of the same name: its own version 1, A's is unchanged.
        mine = client_b.create_prompt(name=name, prompt="project B's", labels=["production"])
        assert mine.version == 1
        assert client_b.get_prompt(name, cache_ttl_seconds=0, max_retries=0).prompt == "project B's"
        assert fetch(langfuse, name).prompt == "project A only"
        assert fetch(langfuse, name, label="latest").version == 1
    finally:
        client_b.flush()


# ---------------------------------------------------------------------------------------------
# Generations linked to prompts (OTel: langfuse.observation.prompt.name / .version)


def test_generations_link_to_the_prompt_version(langfuse, server, project):
    name = unique("linked")
    langfuse.create_prompt(name=name, prompt="v1 {{x}}", labels=["production"])
    langfuse.create_prompt(name=name, prompt="v2 {{x}}")
    first, second = fetch(langfuse, name), fetch(langfuse, name, label="latest")
    assert (first.version, second.version) == (1, 2)
    fallback = fetch(langfuse, unique("linked-missing"), fallback="fb {{x}}")
    assert fallback.is_fallback is True

    ids = {}
    with langfuse.start_as_current_observation(name="linked-root", as_type="span"):
        trace_id = langfuse.get_current_trace_id()
        for key, prompt in (("v1", first), ("v2", second), ("fallback", fallback)):
            with langfuse.start_as_current_observation(name=f"gen-{key}", as_type="generation", model="gpt-4o",
                                                       input=prompt.compile(x=key), prompt=prompt):
                ids[key] = langfuse.get_current_observation_id()
    langfuse.flush()

    prompt_ids = {1: raw(server, project, name, "?version=1")["id"], 2: raw(server, project, name, "?version=2")["id"]}
    page = langfuse.api.observations.get_many(trace_id=trace_id, type="GENERATION", fields="core,basic,prompt")
    by_id = {o.id: o for o in page.data}
    assert set(by_id) == set(ids.values())
    assert (by_id[ids["v1"]].prompt_id, by_id[ids["v1"]].prompt_name, by_id[ids["v1"]].prompt_version) == (prompt_ids[1], name, 1)
    assert (by_id[ids["v2"]].prompt_id, by_id[ids["v2"]].prompt_name, by_id[ids["v2"]].prompt_version) == (prompt_ids[2], name, 2)
    # A fallback prompt is never linked (the SDK sends no prompt attributes for it).
    assert by_id[ids["fallback"]].prompt_id is None
    assert by_id[ids["fallback"]].prompt_name is None

    status, one = server.get(project, f"/api/public/observations/{ids['v2']}")
    assert status == 200, one
    assert (one["promptId"], one["promptName"], one["promptVersion"]) == (prompt_ids[2], name, 2)


# ---------------------------------------------------------------------------------------------
# More of Langfuse's rules


@pytest.mark.parametrize("name", [
    f"sdk-special-{RUN}?!+ =@#;&",
    f"sdk-percent-{RUN}-100%25-done",
    f"sdk-unicode-{RUN}/ünïcødé/日本語 プロンプト",
], ids=["special", "percent", "unicode-folder"])
def test_names_with_special_characters(langfuse, name):
    # The SDK percent-encodes the whole name in the path (`quote(name, safe="")`); the server must
    # decode it exactly once.
    langfuse.create_prompt(name=name, prompt="special {{x}}", labels=["production"])
    langfuse.create_prompt(name=name, prompt="special v2")
    prompt = fetch(langfuse, name)
    assert (prompt.name, prompt.version, prompt.compile(x="ok")) == (name, 1, "special ok")
    assert fetch(langfuse, name, version=2).prompt == "special v2"
    assert langfuse.update_prompt(name=name, version=2, new_labels=["production"]).version == 2
    assert fetch(langfuse, name).version == 2
    assert [(p.name, p.versions) for p in langfuse.api.prompts.list(name=name).data] == [(name, [1, 2])]


def test_composition_keeps_the_child_text_exactly(langfuse):
    # Langfuse substitutes the child's text verbatim: quotes, backslashes, newlines, `$` sequences
    # and {{variables}} are not interpreted.
    child = unique("verbatim-child")
    text = 'He said "hi"\nC:\\temp\\new $1 $& $$ ${x} {{var}} @@@ |'
    langfuse.create_prompt(name=child, prompt=text, labels=["production"])
    parent = unique("verbatim-parent")
    langfuse.create_prompt(name=parent, prompt=f"<@@@langfusePrompt:name={child}|label=production@@@>", labels=["production"])
    assert fetch(langfuse, parent).prompt == f"<{text}>"
    chat = unique("verbatim-chat")
    langfuse.create_prompt(name=chat, type="chat", labels=["production"], prompt=[
        {"role": "system", "content": f"[@@@langfusePrompt:name={child}|version=1@@@]"},
    ])
    assert fetch(langfuse, chat, type="chat").prompt == [{"type": "message", "role": "system", "content": f"[{text}]"}]
    # The same reference twice is replaced twice.
    twice = unique("verbatim-twice")
    tag = f"@@@langfusePrompt:name={child}|version=1@@@"
    langfuse.create_prompt(name=twice, prompt=f"{tag}+{tag}", labels=["production"])
    assert fetch(langfuse, twice).prompt == f"{text}+{text}"


def test_a_dependency_must_be_a_text_prompt(langfuse):
    chat_child = unique("chat-child")
    langfuse.create_prompt(name=chat_child, type="chat", prompt=[{"role": "user", "content": "hi"}], labels=["production"])
    expect_400(lambda: langfuse.api.prompts.create(request=CreateTextPromptRequest(
        name=unique("needs-text"), prompt=f"@@@langfusePrompt:name={chat_child}|label=production@@@")), "text")


def test_labels_on_create_may_name_latest(langfuse):
    # Langfuse dedupes the labels of a new version and always adds `latest`: naming it is harmless.
    name = unique("latest-on-create")
    created = langfuse.create_prompt(name=name, prompt="x", labels=["latest", "production", "production"])
    assert sorted(created.labels) == ["latest", "production"]
    assert sorted(fetch(langfuse, name).labels) == ["latest", "production"]


def test_update_prompt_with_no_labels_changes_nothing(langfuse):
    name = unique("no-new-labels")
    langfuse.create_prompt(name=name, prompt="x", labels=["production"])
    updated = langfuse.update_prompt(name=name, version=1, new_labels=[])
    assert sorted(updated.labels) == ["latest", "production"]
    assert sorted(fetch(langfuse, name).labels) == ["latest", "production"]


def test_chat_placeholders_are_validated(langfuse):
    create = langfuse.api.prompts.create
    # Placeholder names: ^[a-zA-Z][a-zA-Z0-9_]*$.
    expect_400(lambda: create(request=CreateChatPromptRequest(name=unique("bad-placeholder"), type="chat", prompt=[
        {"role": "system", "content": "x"}, {"type": "placeholder", "name": "1history"}])), "placeholder")
    # A variable and a placeholder may not share a name.
    expect_400(lambda: create(request=CreateChatPromptRequest(name=unique("collision"), type="chat", prompt=[
        {"role": "system", "content": "About {{history}}"}, {"type": "placeholder", "name": "history"}])), "history")


def test_delete_through_the_low_level_client(langfuse, server):
    name = unique("delete")
    for text, labels in (("one", ["production"]), ("two", ["staging"]), ("three", [])):
        langfuse.create_prompt(name=name, prompt=text, labels=labels)
    assert langfuse.api.prompts.delete(encoded(name), version=3) is None
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=3)
    assert langfuse.api.prompts.delete(encoded(name), label="staging") is None
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=2)
    assert fetch(langfuse, name).prompt == "one"
    assert [(p.name, p.versions) for p in langfuse.api.prompts.list(name=name).data] == [(name, [1])]
    # Another project cannot delete it.
    other = server.projects[1]
    client_b = Langfuse(public_key=other.public_key, secret_key=other.secret_key, host=server.host)
    try:
        with pytest.raises(NotFoundError):
            client_b.api.prompts.delete(encoded(name))
    finally:
        client_b.flush()
    assert fetch(langfuse, name).version == 1

    assert langfuse.api.prompts.delete(encoded(name)) is None
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(name), version=1)
    assert langfuse.api.prompts.list(name=name).data == []
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.delete(encoded(name))
    # The name is free again: a new prompt starts at version 1.
    assert langfuse.create_prompt(name=name, prompt="again").version == 1


def test_a_prompt_others_depend_on_cannot_be_deleted(langfuse):
    child, parent = unique("needed-child"), unique("needing-parent")
    langfuse.create_prompt(name=child, prompt="needed", labels=["production"])
    langfuse.create_prompt(name=parent, prompt=f"@@@langfusePrompt:name={child}|label=production@@@", labels=["production"])
    expect_400(lambda: langfuse.api.prompts.delete(encoded(child)), "depend")
    assert fetch(langfuse, parent).prompt == "needed"
    # Once the parent is gone the child can go.
    langfuse.api.prompts.delete(encoded(parent))
    langfuse.api.prompts.delete(encoded(child))
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded(child), version=1)


def test_concurrent_creates_get_distinct_versions(langfuse):
    # Several clients creating versions of one name at once: each success has its own version,
    # versions have no holes, and `latest` ends on the highest one. (Langfuse may refuse a racing
    # create with a 4xx; it never hands out a version twice.)
    import concurrent.futures

    name = unique("concurrent")

    def create(i):
        try:
            return langfuse.api.prompts.create(request=CreateTextPromptRequest(name=name, prompt=f"p{i}")).version
        except ApiError as error:
            assert 400 <= error.status_code < 500, (error.status_code, error.body)
            return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        versions = [v for v in pool.map(create, range(16)) if v is not None]
    assert versions, "every concurrent create was refused"
    assert len(set(versions)) == len(versions), sorted(versions)
    listed = langfuse.api.prompts.list(name=name).data
    assert [p.versions for p in listed] == [list(range(1, len(versions) + 1))]
    assert sorted(versions) == list(range(1, len(versions) + 1))
    latest = fetch(langfuse, name, label="latest")
    assert latest.version == len(versions)
    for version in range(1, len(versions)):
        assert "latest" not in fetch(langfuse, name, version=version).labels


def test_config_may_be_any_json_value(langfuse):
    # Langfuse stores `config` as any JSON value; SDK clients read it back unchanged.
    name = unique("config-any")
    langfuse.create_prompt(name=name, prompt="x", config=["a", 1, {"b": None}], labels=["production"])
    assert fetch(langfuse, name).config == ["a", 1, {"b": None}]
    langfuse.create_prompt(name=name, prompt="y", config="just a string")
    assert fetch(langfuse, name, version=2).config == "just a string"


def test_label_boundaries(langfuse):
    # 1..36 characters of [a-z0-9_.-].
    name = unique("label-bounds")
    longest = "a" * 36
    created = langfuse.create_prompt(name=name, prompt="x", labels=[longest, "prod-v1.0_beta", "0"])
    assert set(created.labels) == {longest, "prod-v1.0_beta", "0", "latest"}
    for label in (longest, "prod-v1.0_beta", "0"):
        assert fetch(langfuse, name, label=label).version == 1
    create = langfuse.api.prompts.create
    for bad in ("", "UPPER", "with space", "ümlaut", "a/b", "a" * 37):
        expect_400(lambda: create(request=CreateTextPromptRequest(name=name, prompt="x", labels=[bad])), "label")
    assert [p.versions for p in langfuse.api.prompts.list(name=name).data] == [[1]]


def test_names_are_trimmed(langfuse):
    # Langfuse's PromptNameSchema trims the name; a blank one is refused.
    name = unique("trimmed")
    created = langfuse.create_prompt(name=f"  {name}  ", prompt="x", labels=["production"])
    assert created.name == name
    assert fetch(langfuse, name).version == 1
    expect_400(lambda: langfuse.api.prompts.create(request=CreateTextPromptRequest(name="   ", prompt="x")), "name", "empty")
