//! Sightline's provider layer: the playground and the evaluators call model providers only
//! through [`Client`]. One request shape ([`ChatRequest`]) goes out as OpenAI Chat Completions
//! (OpenAI, OpenAI-compatible servers, Azure deployments), Anthropic Messages or Gemini
//! `generateContent`; answers come back whole ([`Completion`]) or streamed ([`StreamEvent`]);
//! failures are one [`LlmError`] that says whether a retry can help. Base URLs pass the SSRF
//! guard ([`HostPolicy`]) when saved and at every call.
//!
//! `reqwest` carries the calls and `eventsource-stream` reads the streams; the three wire formats
//! are written here (`openai.rs`, `anthropic.rs`, `google.rs`) because they are small and
//! this layer must control where every request goes.

mod adapter;
mod anthropic;
mod chat;
mod client;
mod error;
mod google;
mod guard;
mod openai;
mod wire;

#[cfg(feature = "testing")]
pub mod fake;

pub use adapter::{Adapter, Connection};
pub use chat::{
    ChatRequest, Completion, Message, ModelParams, OutputSchema, Role, StreamEvent, Tool, ToolCall,
    Usage,
};
pub use client::{Client, DEFAULT_TIMEOUT, EventStream};
pub use error::{ErrorKind, LlmError, LlmResult};
pub use guard::HostPolicy;
