//! The provider layer against the local fake provider: each adapter's wire format, streamed and
//! whole, tools, structured output, usage, errors, and the SSRF guard.

use std::net::{IpAddr, Ipv4Addr};

use futures_util::StreamExt;
use serde_json::json;
use sightline_llm::fake::{FakeProvider, Reply};
use sightline_llm::{
    Adapter, ChatRequest, Client, Connection, ErrorKind, HostPolicy, Message, OutputSchema, Role,
    StreamEvent, Tool, Usage,
};

const KEY: &str = "sk-test-key-1234";
const CALLABLE: [Adapter; 4] = [
    Adapter::OpenAi,
    Adapter::Azure,
    Adapter::Anthropic,
    Adapter::GoogleAiStudio,
];

fn loopback_client() -> Client {
    Client::new(HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)]))
}

fn connection(fake: &FakeProvider, adapter: Adapter, key: &str) -> Connection {
    Connection {
        adapter,
        secret_key: key.to_owned(),
        base_url: Some(fake.base_url(adapter)),
        extra_headers: vec![("x-team".to_owned(), "evals".to_owned())],
    }
}

fn chat() -> ChatRequest {
    let mut request = ChatRequest::new(
        "test-model",
        vec![
            Message::new(Role::System, "You are terse."),
            Message::new(Role::User, "hello there world"),
        ],
    );
    request.params.temperature = Some(0.0);
    request.params.max_tokens = Some(100);
    request
}

#[tokio::test]
async fn every_adapter_answers_whole_with_usage_through_its_own_wire_format() {
    let fake = FakeProvider::start(KEY).await;
    let client = loopback_client();
    for adapter in CALLABLE {
        let completion = client
            .complete(&connection(&fake, adapter, KEY), &chat())
            .await
            .unwrap_or_else(|e| panic!("{adapter:?}: {e}"));
        assert_eq!(completion.text, "Echo: hello there world", "{adapter:?}");
        assert_eq!(completion.usage, Some(Usage::new(11, 4)), "{adapter:?}");
    }
    let requests = fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1/chat/completions",
            "/openai/deployments/test-model/chat/completions?api-version=2025-02-01-preview",
            "/v1/messages",
            "/v1beta/models/test-model:generateContent",
        ]
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk-test-key-1234")
    );
    assert_eq!(requests[1].header("api-key"), Some(KEY));
    assert_eq!(requests[2].header("x-api-key"), Some(KEY));
    assert_eq!(requests[3].header("x-goog-api-key"), Some(KEY));
    // Extra headers go to every provider but Google, as in Langfuse.
    assert_eq!(requests[0].header("x-team"), Some("evals"));
    assert_eq!(requests[2].header("x-team"), Some("evals"));
    assert_eq!(requests[3].header("x-team"), None);
    // The system prompt: a message for OpenAI, a top-level field for Anthropic and Gemini.
    assert_eq!(requests[0].body["messages"][0]["role"], "system");
    assert_eq!(
        requests[0].body["max_tokens"], 100,
        "a compatible server gets max_tokens"
    );
    assert_eq!(requests[2].body["system"], "You are terse.");
    assert_eq!(requests[2].body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        requests[3].body["systemInstruction"]["parts"][0]["text"],
        "You are terse."
    );
    assert_eq!(requests[3].body["generationConfig"]["maxOutputTokens"], 100);
}

#[tokio::test]
async fn every_adapter_streams_text_piece_by_piece_then_usage() {
    let fake = FakeProvider::start(KEY).await;
    let client = loopback_client();
    for adapter in CALLABLE {
        let mut stream = client
            .stream(&connection(&fake, adapter, KEY), &chat())
            .await
            .unwrap_or_else(|e| panic!("{adapter:?}: {e}"));
        let mut pieces = Vec::new();
        let mut usage = None;
        while let Some(event) = stream.next().await {
            match event.unwrap() {
                StreamEvent::Text(t) => pieces.push(t),
                StreamEvent::Usage(u) => usage = Some(u),
            }
        }
        assert_eq!(pieces.concat(), "Echo: hello there world", "{adapter:?}");
        assert!(pieces.len() >= 4, "{adapter:?} streamed {pieces:?}");
        assert_eq!(usage, Some(Usage::new(11, 4)), "{adapter:?}");
    }
    let last = fake.requests().pop().unwrap();
    assert_eq!(
        last.path,
        "/v1beta/models/test-model:streamGenerateContent?alt=sse"
    );
}

#[tokio::test]
async fn tools_come_back_as_calls_and_structured_output_as_json() {
    let fake = FakeProvider::start(KEY).await;
    let client = loopback_client();
    fake.reply_with(Reply {
        tool_args: Some(json!({"city": "Paris"})),
        json: Some(json!({"reasoning": "fits", "score": 0.75})),
        ..Reply::default()
    });
    for adapter in CALLABLE {
        let conn = connection(&fake, adapter, KEY);
        let mut with_tool = chat();
        with_tool.tools = vec![Tool {
            name: "get_weather".into(),
            description: "Weather of a city".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        }];
        let completion = client.complete(&conn, &with_tool).await.unwrap();
        assert_eq!(completion.tool_calls.len(), 1, "{adapter:?}");
        assert_eq!(completion.tool_calls[0].name, "get_weather");
        assert_eq!(completion.tool_calls[0].args, json!({"city": "Paris"}));

        let mut structured = chat();
        structured.output_schema = Some(OutputSchema {
            name: "judgement".into(),
            description: String::new(),
            schema: json!({"type": "object", "properties": {"reasoning": {"type": "string"}, "score": {"type": "number"}}}),
        });
        let completion = client.complete(&conn, &structured).await.unwrap();
        assert_eq!(
            completion.structured,
            Some(json!({"reasoning": "fits", "score": 0.75})),
            "{adapter:?}"
        );

        let mut both = with_tool.clone();
        both.output_schema = structured.output_schema.clone();
        let error = client.complete(&conn, &both).await.unwrap_err();
        assert_eq!(
            error.message,
            "Cannot use both tools and structured output at the same time"
        );
    }
    let anthropic = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/messages" && r.body.get("tool_choice").is_some())
        .unwrap();
    assert_eq!(anthropic.body["tool_choice"]["name"], "judgement");
}

#[tokio::test]
async fn provider_errors_say_whether_a_retry_can_help() {
    let fake = FakeProvider::start(KEY).await;
    let client = loopback_client();
    for adapter in CALLABLE {
        let error = client
            .complete(&connection(&fake, adapter, "sk-wrong"), &chat())
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Auth, "{adapter:?}");
        assert_eq!(error.status, Some(401));
        assert!(!error.is_retryable());
        assert!(
            error.message.contains("invalid api key"),
            "{}",
            error.message
        );
    }
    for (status, kind, retryable) in [
        (429, ErrorKind::RateLimited, true),
        (503, ErrorKind::Unavailable, true),
        (402, ErrorKind::Quota, false),
        (404, ErrorKind::UnknownModel, false),
    ] {
        fake.reply_with(Reply {
            error: Some((status, "scripted".into())),
            ..Reply::default()
        });
        let error = client
            .complete(&connection(&fake, Adapter::OpenAi, KEY), &chat())
            .await
            .unwrap_err();
        assert_eq!(
            (error.kind, error.is_retryable()),
            (kind, retryable),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_base_url_on_loopback_is_refused_without_the_allow_list_and_nothing_is_sent() {
    let fake = FakeProvider::start(KEY).await;
    let client = Client::new(HostPolicy::default());
    for adapter in CALLABLE {
        let error = client
            .complete(&connection(&fake, adapter, KEY), &chat())
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Blocked, "{adapter:?}: {error}");
    }
    let mut by_name = connection(&fake, Adapter::OpenAi, KEY);
    by_name.base_url = Some(format!("http://localhost:{}/v1", fake.addr.port()));
    let error = client.complete(&by_name, &chat()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Blocked);
    // A name allowed by the host list, resolved to loopback at call time, goes through.
    let allowing = Client::new(HostPolicy::from_lists("localhost", "", "").unwrap());
    allowing.complete(&by_name, &chat()).await.unwrap();
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_lone_system_message_goes_to_anthropic_as_the_user_turn() {
    let fake = FakeProvider::start(KEY).await;
    let request = ChatRequest::new("m", vec![Message::new(Role::System, "Rate this.")]);
    loopback_client()
        .complete(&connection(&fake, Adapter::Anthropic, KEY), &request)
        .await
        .unwrap();
    let sent = &fake.requests()[0].body;
    assert_eq!(sent.get("system"), None);
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "Rate this."}])
    );
}
