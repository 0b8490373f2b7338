//! The provider client: one `reqwest` client whose resolver is the SSRF guard, and the calls
//! every adapter goes through (complete, stream, test).

use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::adapter::{Adapter, Connection};
use crate::chat::{ChatRequest, Completion, Message, Role, StreamEvent};
use crate::error::{ErrorKind, LlmError, LlmResult};
use crate::guard::{GuardedResolver, HostPolicy};
use crate::wire::Prepared;
use crate::{anthropic, google, openai};

/// Langfuse's `LANGFUSE_FETCH_LLM_COMPLETION_TIMEOUT_MS` default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A stream of text pieces and usage; ends when the provider ends the answer.
pub type EventStream = BoxStream<'static, LlmResult<StreamEvent>>;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    policy: Arc<HostPolicy>,
}

impl Client {
    pub fn new(policy: HostPolicy) -> Client {
        Client::with_timeout(policy, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(policy: HostPolicy, timeout: Duration) -> Client {
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            // A redirect could lead anywhere (an address literal skips the resolver).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            .build()
            .expect("the TLS backend initializes");
        Client { http, policy }
    }

    pub fn policy(&self) -> &HostPolicy {
        &self.policy
    }

    /// One answer, whole.
    pub async fn complete(
        &self,
        connection: &Connection,
        request: &ChatRequest,
    ) -> LlmResult<Completion> {
        let response = self.send(connection, request, false).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| LlmError::invalid_response(e.without_url()))?;
        let mut completion = match connection.adapter {
            Adapter::Anthropic => anthropic::parse(&body, request)?,
            Adapter::GoogleAiStudio => google::parse(&body)?,
            _ => openai::parse(&body)?,
        };
        if request.output_schema.is_some() && completion.structured.is_none() {
            let parsed = serde_json::from_str(completion.text.trim()).map_err(|e| {
                LlmError::invalid_response(format!("the structured answer is not JSON ({e})"))
            })?;
            completion.structured = Some(parsed);
        }
        Ok(completion)
    }

    /// The answer as it is written: text pieces, then usage. Tools and structured output are
    /// not streamed (as in Langfuse's playground); use [`Client::complete`] for them.
    pub async fn stream(
        &self,
        connection: &Connection,
        request: &ChatRequest,
    ) -> LlmResult<EventStream> {
        if !request.tools.is_empty() || request.output_schema.is_some() {
            return Err(LlmError::new(
                ErrorKind::InvalidRequest,
                "tools and structured output are not streamed",
            ));
        }
        let response = self.send(connection, request, true).await?;
        let adapter = connection.adapter;
        let mut anthropic_state = anthropic::StreamState::default();
        let events = response
            .bytes_stream()
            .eventsource()
            .map(move |item| -> LlmResult<Vec<StreamEvent>> {
                let event = item.map_err(|e| {
                    LlmError::new(
                        ErrorKind::Network,
                        format!("the provider's stream broke off ({e})"),
                    )
                })?;
                match adapter {
                    Adapter::Anthropic => {
                        anthropic::stream_event(&event.data, &mut anthropic_state)
                    }
                    Adapter::GoogleAiStudio => google::stream_event(&event.data),
                    _ => openai::stream_event(&event.data),
                }
            })
            .flat_map(|item| {
                let items: Vec<LlmResult<StreamEvent>> = match item {
                    Ok(events) => events.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                stream::iter(items)
            });
        Ok(events.boxed())
    }

    /// Tests a connection as Langfuse does on save: one user message, "How are you?", to the
    /// given model.
    pub async fn test(&self, connection: &Connection, model: &str) -> LlmResult<()> {
        let mut request = ChatRequest::new(model, vec![Message::new(Role::User, "How are you?")]);
        request.params.max_tokens = Some(16);
        self.complete(connection, &request).await.map(|_| ())
    }

    async fn send(
        &self,
        connection: &Connection,
        request: &ChatRequest,
        stream: bool,
    ) -> LlmResult<reqwest::Response> {
        if !connection.adapter.is_callable() {
            return Err(LlmError::new(
                ErrorKind::Configuration,
                format!(
                    "the {} adapter cannot be called by this server",
                    connection.adapter.as_str()
                ),
            ));
        }
        if !request.tools.is_empty() && request.output_schema.is_some() {
            return Err(LlmError::new(
                ErrorKind::InvalidRequest,
                "Cannot use both tools and structured output at the same time",
            ));
        }
        if request.messages.is_empty() {
            return Err(LlmError::new(
                ErrorKind::InvalidRequest,
                "a request needs at least one message",
            ));
        }
        let prepared = match connection.adapter {
            Adapter::Anthropic => anthropic::prepare(connection, request, stream)?,
            Adapter::GoogleAiStudio => google::prepare(connection, request, stream)?,
            _ => openai::prepare(connection, request, stream)?,
        };
        let Prepared { url, headers, body } = prepared;
        // Address literals and `localhost` are checked here; host names when the client's
        // guarded resolver resolves them at connect time (one lookup per call).
        let url = self.policy.check_url(&url)?;
        let mut header_map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                LlmError::new(
                    ErrorKind::Configuration,
                    format!("'{name}' is not a header name"),
                )
            })?;
            let value = HeaderValue::from_str(&value).map_err(|_| {
                LlmError::new(
                    ErrorKind::Configuration,
                    format!("the value of header '{name}' is not a valid header value"),
                )
            })?;
            header_map.insert(name, value);
        }
        tracing::debug!(adapter = connection.adapter.as_str(), host = url.host_str(), model = %request.model, stream, "provider call");
        let response = self
            .http
            .post(url)
            .headers(header_map)
            .json(&body)
            .send()
            .await
            .map_err(|e| LlmError::from_transport(&e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        Err(LlmError::from_response(status.as_u16(), &text))
    }
}
