//! The playground against a local fake provider: a MEMBER's window streamed (NDJSON text lines,
//! then usage and latency), whole with structured output or tools, variables and placeholders
//! compiled before sending, Langfuse's refusals (no connection, unfilled variables, tools with
//! structured output), provider errors with their status, windows opened from a prompt version
//! and from a generation, saving a window as a chat prompt, and a VIEWER refused.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sightline_domain::Role;
use sightline_domain::secret::Cipher;
use sightline_llm::fake::{FakeProvider, Reply};
use sightline_llm::{Adapter, Client, HostPolicy};
use sightline_server::services::llm_connections::{self, ConnectionInput, LlmSettings, SaveMode};
use sightline_server::services::prompts::{self, CreatePrompt};
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{PromptSelector, TraceQuery};

use crate::support::{Browser, Page, TestUi, project_url};
use crate::trace_fixtures;

const KEY: &str = "sk-playground-key";

fn settings() -> LlmSettings {
    LlmSettings {
        cipher: Some(Cipher::new(&[5; 32])),
        client: Client::new(HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)])),
    }
}

/// A connection named `provider` to the fake, saved as the API saves it (no test call).
async fn connect(ui: &TestUi, fake: &FakeProvider, provider: &str, adapter: Adapter, key: &str) {
    let input = ConnectionInput {
        provider: provider.into(),
        adapter: adapter.as_str().into(),
        secret_key: key.into(),
        base_url: Some(fake.base_url(adapter)),
        custom_models: vec!["fake-model".into()],
        with_default_models: true,
        extra_headers: None,
        config: None,
    };
    llm_connections::save(ui.app(), ui.project(), input, SaveMode::Replace)
        .await
        .unwrap();
}

async fn run(browser: &mut Browser, ui: &TestUi, body: Value) -> Page {
    let page_url = project_url(ui.project(), "/playground");
    let token = browser.get(&page_url).await.csrf().unwrap();
    browser
        .request(
            Method::POST,
            &format!("{page_url}/run"),
            &[("x-csrf-token", &token)],
            Some(body.to_string()),
        )
        .await
}

fn json_of(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("not JSON: {}", page.body))
}

async fn member(ui: &TestUi, email: &str, role: Role) -> Browser {
    ui.user(email, Some((&ui.default_org, role))).await;
    ui.signed_in(email).await
}

async fn windows_run_streamed_and_whole(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let fake = FakeProvider::start(KEY).await;
    connect(&ui, &fake, "gateway", Adapter::OpenAi, KEY).await;
    connect(&ui, &fake, "claude", Adapter::Anthropic, KEY).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;

    let page = ada.get(&project_url(ui.project(), "/playground")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"playground\""));
    let providers: Vec<Value> = page_data(&page)["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["provider"].clone())
        .collect();
    assert_eq!(
        providers,
        [json!("claude"), json!("gateway")],
        "newest first"
    );
    assert!(!page.body.contains(KEY));
    assert!(page.body.contains("/ui/assets/playground.js?v="));

    // Streamed: text lines as the provider writes, then usage and latency.
    for provider in ["gateway", "claude"] {
        let streamed = run(
            &mut ada,
            &ui,
            json!({
                "provider": provider,
                "model": "fake-model",
                "messages": [
                    {"role": "system", "content": "Greet {{ name }}."},
                    {"type": "placeholder", "name": "history"},
                    {"role": "user", "content": "hello {{name}}"},
                ],
                "variables": {"name": "Ada"},
                "placeholders": {"history": [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "noted"}]},
                "params": {"temperature": 0.5, "max_tokens": 50},
                "stream": true,
            }),
        )
        .await;
        assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.body);
        assert_eq!(
            streamed.headers["content-type"],
            "application/x-ndjson; charset=utf-8"
        );
        let lines: Vec<Value> = streamed
            .body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let text: String = lines
            .iter()
            .filter(|l| l["type"] == "text")
            .map(|l| l["text"].as_str().unwrap())
            .collect();
        assert_eq!(text, "Echo: hello Ada", "{provider}");
        assert!(lines.iter().filter(|l| l["type"] == "text").count() >= 3);
        let done = lines.last().unwrap();
        assert_eq!(done["type"], "done");
        assert_eq!(
            done["usage"],
            json!({"input": 11, "output": 3, "total": 14})
        );
        assert!(done["latencyMs"].is_u64());
    }
    // What the provider got: placeholders expanded, variables substituted, parameters sent.
    let openai = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/chat/completions")
        .unwrap();
    assert_eq!(
        openai.body["messages"],
        json!([
            {"role": "system", "content": "Greet Ada."},
            {"role": "user", "content": "earlier"},
            {"role": "assistant", "content": "noted"},
            {"role": "user", "content": "hello Ada"},
        ])
    );
    assert_eq!(openai.body["temperature"], 0.5);
    assert_eq!(openai.body["max_tokens"], 50);

    // Each run is recorded as a trace in `langfuse-playground`, with its usage, hidden from the
    // tables until a filter names the environment.
    let recorded = playground_traces(&ui, 2).await;
    let trace_id = recorded[0].row.id.clone();
    let generations = ui
        .store()
        .events()
        .trace_observations(ui.project(), &trace_id)
        .await
        .unwrap();
    assert_eq!(generations.len(), 1);
    let generation = &generations[0].row;
    assert_eq!(generation.model.as_deref(), Some("fake-model"));
    assert_eq!(generation.environment, "langfuse-playground");
    assert_eq!(generation.usage_details.get("input"), Some(&11.0));
    assert_eq!(generation.usage_details.get("output"), Some(&3.0));
    assert_eq!(generation.output, Some(json!("Echo: hello Ada")));
    let traces = project_url(ui.project(), "/traces");
    assert!(!ada.get(&traces).await.body.contains(&trace_id));
    let shown = ada
        .get(&format!("{traces}?environment=langfuse-playground"))
        .await;
    assert!(shown.body.contains(&trace_id));

    // Structured output and tools come back whole, even when streaming was asked for.
    fake.reply_with(Reply {
        json: Some(json!({"score": 0.5})),
        tool_args: Some(json!({"city": "Oslo"})),
        ..Reply::default()
    });
    let structured = run(
        &mut ada,
        &ui,
        json!({
            "provider": "gateway", "model": "fake-model",
            "messages": [{"role": "user", "content": "rate"}],
            "structuredOutput": {"name": "rating", "schema": {"type": "object", "properties": {"score": {"type": "number"}}}},
        }),
    )
    .await;
    assert_eq!(structured.status, StatusCode::OK, "{}", structured.body);
    let structured = json_of(&structured);
    assert_eq!(structured["structured"], json!({"score": 0.5}));
    assert_eq!(structured["usage"]["input"], 11);
    let tools = json_of(
        &run(
            &mut ada,
            &ui,
            json!({
                "provider": "claude", "model": "fake-model",
                "messages": [{"role": "user", "content": "weather?"}],
                "tools": [{"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}],
            }),
        )
        .await,
    );
    assert_eq!(tools["toolCalls"][0]["name"], "get_weather");
    assert_eq!(tools["toolCalls"][0]["args"], json!({"city": "Oslo"}));

    // Refusals, in words.
    for (body, message) in [
        (
            json!({"provider": "nope", "model": "m", "messages": [{"role": "user", "content": "x"}]}),
            "No nope API key found in project. Please add one in the project settings.",
        ),
        (
            json!({"provider": "gateway", "model": "m", "messages": [{"role": "user", "content": "{{missing}}"}]}),
            "Error replacing variables. Please check your inputs.",
        ),
        (
            json!({"provider": "gateway", "model": "m", "messages": [{"role": "user", "content": "x"}],
                   "tools": [{"name": "t", "parameters": {"type": "object"}}],
                   "structuredOutput": {"name": "s", "schema": {"type": "object"}}}),
            "Cannot use both tools and structured output at the same time",
        ),
        (json!({"provider": "gateway"}), "Invalid run: missing field"),
        (
            json!({"provider": "gateway", "model": "m", "messages": [{"role": "user", "content": "x"}], "params": {"temperature": "hot"}}),
            "Invalid run: invalid type: string \"hot\", expected f64",
        ),
        (
            json!({"provider": "gateway", "model": "m", "messages": [{"role": "user", "content": "x"}],
                   "tools": [{"name": "bad name", "parameters": {"type": "object"}}]}),
            "Tool name 'bad name' may hold only letters",
        ),
        (
            json!({"provider": "gateway", "model": "m", "messages": [{"role": "user", "content": "x"}],
                   "tools": [{"name": "t", "parameters": "not a schema"}]}),
            "The parameters of tool 't' must be a JSON Schema object",
        ),
    ] {
        let refused = run(&mut ada, &ui, body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        let text = json_of(&refused)["message"].as_str().unwrap().to_owned();
        assert!(text.starts_with(message), "{text}");
    }

    // A provider's error keeps its status.
    connect(&ui, &fake, "broken", Adapter::GoogleAiStudio, "sk-wrong").await;
    let failed = run(
        &mut ada,
        &ui,
        json!({"provider": "broken", "model": "fake-model", "messages": [{"role": "user", "content": "x"}], "stream": false}),
    )
    .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    assert!(
        json_of(&failed)["message"]
            .as_str()
            .unwrap()
            .contains("invalid api key")
    );
}

async fn windows_open_from_prompts_and_generations_and_save_as_prompts(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let fake = FakeProvider::start(KEY).await;
    connect(&ui, &fake, "gateway", Adapter::OpenAi, KEY).await;
    trace_fixtures::seed(ui.store(), ui.project()).await;
    prompts::create_prompt(
        ui.store(),
        ui.prompt_cache(),
        ui.project(),
        CreatePrompt {
            name: "support/answer".into(),
            r#type: Some("chat".into()),
            prompt: json!([
                {"role": "system", "content": "You help with {{product}}."},
                {"type": "placeholder", "name": "history"},
            ]),
            config: Some(json!({"model": "gpt-4o-mini", "temperature": 0.3})),
            created_by: "API".into(),
            ..CreatePrompt::default()
        },
    )
    .await
    .unwrap();
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let base = project_url(ui.project(), "/playground");

    // The prompt page and a generation in the trace view link here.
    let prompt_page = ada
        .get(&project_url(ui.project(), "/prompts/support%2Fanswer"))
        .await;
    assert!(prompt_page.body.contains("id=\"open-in-playground\""));
    let link = prompt_page
        .body
        .split("playground?prompt=")
        .nth(1)
        .unwrap_or_default();
    assert!(
        link.starts_with("support%2Fanswer&#38;version=1"),
        "{}",
        &link[..link.len().min(60)]
    );
    let generation = ada
        .get(&project_url(
            ui.project(),
            "/traces/t-chat?observation=gen-1",
        ))
        .await;
    assert!(
        generation.body.contains("/playground?observation=gen-1"),
        "{}",
        generation.status
    );
    let from_prompt = ada
        .get(&format!("{base}?prompt=support%2Fanswer&version=1"))
        .await;
    assert_eq!(from_prompt.status, StatusCode::OK);
    let init = page_data(&from_prompt);
    let window = &init["window"];
    assert_eq!(window["source"], "Prompt support/answer v1");
    assert_eq!(
        window["provider"], "gateway",
        "the connection offering gpt-4o-mini"
    );
    assert_eq!(window["model"], "gpt-4o-mini");
    assert_eq!(window["params"], json!({"temperature": 0.3}));
    assert_eq!(
        window["messages"][1],
        json!({"type": "placeholder", "name": "history"})
    );
    assert_eq!(init["chatPrompts"], json!(["support/answer"]));

    let from_generation = ada.get(&format!("{base}?observation=gen-1")).await;
    let window = &page_data(&from_generation)["window"];
    assert_eq!(window["model"], "gpt-4o");
    assert_eq!(window["params"], json!({"temperature": 0.2}));
    assert_eq!(
        window["messages"],
        json!([{"role": "user", "content": "What is 2+2?"}])
    );
    assert_eq!(
        ada.get(&format!("{base}?observation=missing")).await.status,
        StatusCode::NOT_FOUND
    );

    // Save a window as a new version of the chat prompt.
    let token = from_prompt.csrf().unwrap();
    let saved = ada
        .request(
            Method::POST,
            &format!("{base}/save"),
            &[("x-csrf-token", &token)],
            Some(
                json!({
                    "name": "support/answer",
                    "messages": [{"role": "system", "content": "Be brief about {{product}}."}, {"type": "placeholder", "name": "history"}],
                    "config": {"model": "fake-model", "provider": "gateway", "temperature": 0.1},
                    "commitMessage": "from the playground",
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let saved = json_of(&saved);
    assert_eq!(saved["version"], 2);
    assert!(
        saved["url"]
            .as_str()
            .unwrap()
            .contains("/prompts/support%2Fanswer")
    );
    let version = ui
        .store()
        .metadata()
        .prompt_version(ui.project(), "support/answer", &PromptSelector::Version(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        version.commit_message.as_deref(),
        Some("from the playground")
    );
    assert_eq!(version.config["temperature"], 0.1);
    assert_eq!(
        version.prompt[1],
        json!({"type": "placeholder", "name": "history"})
    );
}

/// The traces that record playground runs, once there are `count` (streamed runs are recorded
/// when their stream ends, just after the answer).
async fn playground_traces(ui: &TestUi, count: usize) -> Vec<sightline_store::StoredTrace> {
    let query = TraceQuery {
        environments: vec!["langfuse-playground".into()],
        limit: 50,
        ..TraceQuery::default()
    };
    for _ in 0..100 {
        let (traces, _) = ui
            .store()
            .events()
            .list_traces(ui.project(), &query)
            .await
            .unwrap();
        if traces.len() >= count {
            return traces;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("fewer than {count} playground traces");
}

/// The page's data attribute, parsed (askama escaped it as an attribute value).
fn page_data(page: &Page) -> Value {
    let marker = "data-init=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap() + start;
    let raw = page.body[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{e}: {raw}"))
}

async fn viewers_cannot_run_and_an_empty_project_says_what_to_do(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let page = ada.get(&project_url(ui.project(), "/playground")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Please configure a model in Project Settings first")
    );
    let mut viewer = member(&ui, "vic@example.com", Role::Viewer).await;
    let page_url = project_url(ui.project(), "/playground");
    assert_eq!(viewer.get(&page_url).await.status, StatusCode::FORBIDDEN);
    let token = viewer
        .get(&project_url(ui.project(), "/traces"))
        .await
        .csrf()
        .unwrap();
    let refused = viewer
        .request(
            Method::POST,
            &format!("{page_url}/run"),
            &[("x-csrf-token", &token)],
            Some("{}".into()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn tools_and_schemas_are_saved_for_the_project(db: TestDb) {
    let ui = TestUi::with_llm(db, settings()).await;
    let fake = FakeProvider::start(KEY).await;
    connect(&ui, &fake, "gateway", Adapter::OpenAi, KEY).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let page_url = project_url(ui.project(), "/playground");
    let url = format!("{page_url}/definitions");
    let token = ada.get(&page_url).await.csrf().unwrap();
    let post = async |browser: &mut Browser, body: Value| {
        browser
            .request(
                Method::POST,
                &url,
                &[("x-csrf-token", &token)],
                Some(body.to_string()),
            )
            .await
    };
    let saved = post(
        &mut ada,
        json!({"kind": "tool", "name": "get_weather", "description": "Weather", "schema": {"type": "object"}}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(json_of(&saved)["data"][0]["name"], "get_weather");
    let schema = post(
        &mut ada,
        json!({"kind": "schema", "name": "rating", "schema": {"type": "object", "properties": {"score": {"type": "number"}}}}),
    )
    .await;
    assert_eq!(
        json_of(&schema)["data"][0]["schema"]["properties"]["score"]["type"],
        "number"
    );
    for (body, message) in [
        (
            json!({"kind": "tool", "name": "bad name", "schema": {}}),
            "Name:",
        ),
        (
            json!({"kind": "tool", "name": "t", "schema": "x"}),
            "The schema must be a JSON Schema object",
        ),
        (
            json!({"kind": "prompt", "name": "t", "schema": {}}),
            "kind: expected",
        ),
    ] {
        let refused = post(&mut ada, body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            json_of(&refused)["message"]
                .as_str()
                .unwrap()
                .starts_with(message)
        );
    }
    let init = page_data(&ada.get(&page_url).await);
    assert_eq!(init["savedTools"][0]["name"], "get_weather");
    assert_eq!(init["savedSchemas"][0]["name"], "rating");
    let deleted = post(
        &mut ada,
        json!({"kind": "tool", "name": "get_weather", "delete": true}),
    )
    .await;
    assert_eq!(json_of(&deleted)["data"], json!([]));
    let mut vic = member(&ui, "vic@example.com", Role::Viewer).await;
    let vic_token = vic
        .get(&project_url(ui.project(), "/traces"))
        .await
        .csrf()
        .unwrap();
    let refused = vic
        .request(
            Method::POST,
            &url,
            &[("x-csrf-token", &vic_token)],
            Some(json!({"kind": "tool", "name": "x", "schema": {}}).to_string()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "tools_and_schemas_are_saved_for_the_project",
            tools_and_schemas_are_saved_for_the_project,
        ),
        backend_test(
            "windows_run_streamed_and_whole",
            windows_run_streamed_and_whole,
        ),
        backend_test(
            "windows_open_from_prompts_and_generations_and_save_as_prompts",
            windows_open_from_prompts_and_generations_and_save_as_prompts,
        ),
        backend_test(
            "viewers_cannot_run_and_an_empty_project_says_what_to_do",
            viewers_cannot_run_and_an_empty_project_says_what_to_do,
        ),
    ]
}
