//! Adapters (which wire protocol a connection speaks), the models each offers by default, the
//! parameters a new playground window starts with, and the connection a call is made with.

use serde_json::Value;

use crate::chat::ModelParams;
use crate::error::{ErrorKind, LlmError};

/// Langfuse's `LLMAdapter` values. `google-vertex-ai` and `bedrock` are known names that this
/// build cannot call (their request signing needs the cloud SDKs; see docs/COMPATIBILITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Adapter {
    OpenAi,
    Azure,
    Anthropic,
    GoogleAiStudio,
    GoogleVertexAi,
    Bedrock,
}

impl Adapter {
    pub const ALL: [Adapter; 6] = [
        Adapter::OpenAi,
        Adapter::Anthropic,
        Adapter::Azure,
        Adapter::GoogleAiStudio,
        Adapter::GoogleVertexAi,
        Adapter::Bedrock,
    ];

    pub fn parse(name: &str) -> Option<Adapter> {
        Adapter::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Adapter::OpenAi => "openai",
            Adapter::Azure => "azure",
            Adapter::Anthropic => "anthropic",
            Adapter::GoogleAiStudio => "google-ai-studio",
            Adapter::GoogleVertexAi => "google-vertex-ai",
            Adapter::Bedrock => "bedrock",
        }
    }

    /// Whether this build can call the adapter's provider.
    pub fn is_callable(self) -> bool {
        !matches!(self, Adapter::GoogleVertexAi | Adapter::Bedrock)
    }

    /// The base URL calls go to when a connection names none (`None`: one is required).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Adapter::OpenAi => Some("https://api.openai.com/v1"),
            Adapter::Anthropic => Some("https://api.anthropic.com"),
            Adapter::GoogleAiStudio => Some("https://generativelanguage.googleapis.com"),
            Adapter::Azure | Adapter::GoogleVertexAi | Adapter::Bedrock => None,
        }
    }

    /// The models a connection offers besides its own list (when `withDefaultModels`), first
    /// the one a connection is tested with. Azure and Bedrock have none: their model names are
    /// deployments and must be listed on the connection.
    pub fn default_models(self) -> &'static [&'static str] {
        match self {
            Adapter::OpenAi => OPENAI_MODELS,
            Adapter::Anthropic => ANTHROPIC_MODELS,
            Adapter::GoogleAiStudio => GOOGLE_AI_STUDIO_MODELS,
            Adapter::GoogleVertexAi => VERTEX_MODELS,
            Adapter::Azure | Adapter::Bedrock => &[],
        }
    }

    /// The parameters a playground window starts with for this adapter (Langfuse's UI
    /// defaults: temperature 0, or 1 for Gemini; 4096 output tokens; top p 1).
    pub fn default_params(self) -> ModelParams {
        let temperature = match self {
            Adapter::GoogleAiStudio | Adapter::GoogleVertexAi => 1.0,
            _ => 0.0,
        };
        ModelParams {
            temperature: Some(temperature),
            max_tokens: Some(4096),
            top_p: Some(1.0),
            ..ModelParams::default()
        }
    }

    /// The highest temperature the provider takes.
    pub fn max_temperature(self) -> f64 {
        match self {
            Adapter::Anthropic | Adapter::Bedrock => 1.0,
            _ => 2.0,
        }
    }

    /// Checks an adapter's `config` object as the public API does (`None` and `{}` are no config).
    pub fn check_config(self, config: Option<&Value>) -> Result<(), String> {
        let fields = match config {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) if map.is_empty() && self != Adapter::Bedrock => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => return Err("config must be a JSON object".to_owned()),
        };
        match (self, fields) {
            (Adapter::Bedrock, None) => {
                Err("Config is required for Bedrock adapter. Expected: { region: string }".into())
            }
            (Adapter::Bedrock, Some(map)) => match map.get("region") {
                Some(Value::String(region)) if !region.is_empty() && map.len() == 1 => Ok(()),
                _ => Err("Invalid Bedrock config. Expected: { region: string }".into()),
            },
            (_, None) => Ok(()),
            (Adapter::OpenAi, Some(map)) => match map.get("useResponsesApi") {
                Some(Value::Bool(false)) if map.len() == 1 => Ok(()),
                Some(Value::Bool(true)) if map.len() == 1 => Err(
                    "The OpenAI Responses API is not supported; connections use Chat Completions. Expected: { useResponsesApi: false }".into(),
                ),
                _ => Err("Invalid OpenAI config. Expected: { useResponsesApi: boolean }".into()),
            },
            (Adapter::GoogleVertexAi, Some(map)) => match map.get("location") {
                Some(Value::String(_)) if map.len() == 1 => Ok(()),
                _ => Err("Invalid Vertex AI config. Expected: { location: string }".into()),
            },
            (adapter, Some(_)) => Err(format!(
                "Config is not supported for {} adapter",
                adapter.as_str()
            )),
        }
    }
}

/// What a call needs to reach a provider, secrets in plain text. Built for one call from the
/// stored (encrypted) connection; its `Debug` never prints the key or header values.
#[derive(Clone)]
pub struct Connection {
    pub adapter: Adapter,
    pub secret_key: String,
    pub base_url: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("adapter", &self.adapter)
            .field("base_url", &self.base_url)
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The base URL calls start from, without a trailing slash.
    pub(crate) fn base(&self) -> Result<String, LlmError> {
        let base = match (&self.base_url, self.adapter.default_base_url()) {
            (Some(url), _) if !url.trim().is_empty() => url.trim().to_owned(),
            (_, Some(default)) => default.to_owned(),
            _ => {
                return Err(LlmError::new(
                    ErrorKind::Configuration,
                    format!("the {} adapter needs a base URL", self.adapter.as_str()),
                ));
            }
        };
        Ok(base.trim_end_matches('/').to_owned())
    }
}

const OPENAI_MODELS: &[&str] = &[
    "gpt-4.1",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano",
    "gpt-4.1-nano-2025-04-14",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-5.5",
    "gpt-5.5-2026-04-23",
    "gpt-5.5-pro",
    "gpt-5.5-pro-2026-04-23",
    "gpt-5.4",
    "gpt-5.4-2026-03-05",
    "gpt-5.4-pro",
    "gpt-5.4-pro-2026-03-05",
    "gpt-5.4-mini",
    "gpt-5.4-mini-2026-03-17",
    "gpt-5.4-nano",
    "gpt-5.4-nano-2026-03-17",
    "gpt-5.3-codex",
    "gpt-5.2-2025-12-11",
    "gpt-5.1",
    "gpt-5.1-2025-11-13",
    "gpt-5",
    "gpt-5-2025-08-07",
    "gpt-5-mini",
    "gpt-5-mini-2025-08-07",
    "gpt-5-nano",
    "gpt-5-nano-2025-08-07",
    "o3",
    "o3-2025-04-16",
    "o4-mini",
    "o4-mini-2025-04-16",
    "gpt-4o",
    "gpt-4o-2024-08-06",
    "gpt-4o-2024-05-13",
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "o3-mini",
    "o3-mini-2025-01-31",
    "o1-preview",
    "o1-preview-2024-09-12",
    "o1-mini",
    "o1-mini-2024-09-12",
    "gpt-4.5-preview",
    "gpt-4.5-preview-2025-02-27",
    "gpt-4-turbo-preview",
    "gpt-4-1106-preview",
    "gpt-4-0613",
    "gpt-4-0125-preview",
    "gpt-4",
    "gpt-3.5-turbo-16k-0613",
    "gpt-3.5-turbo-16k",
    "gpt-3.5-turbo-1106",
    "gpt-3.5-turbo-0613",
    "gpt-3.5-turbo-0301",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo",
];

const ANTHROPIC_MODELS: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-5",
    "claude-fable-5",
    "claude-mythos-5",
    "claude-opus-5",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-20250514",
    "claude-opus-4-1-20250805",
    "claude-opus-4-20250514",
    "claude-3-7-sonnet-20250219",
    "claude-3-5-sonnet-20241022",
    "claude-3-5-sonnet-20240620",
    "claude-3-opus-20240229",
    "claude-3-sonnet-20240229",
    "claude-3-5-haiku-20241022",
    "claude-3-haiku-20240307",
    "claude-2.1",
    "claude-2.0",
    "claude-instant-1.2",
];

const GOOGLE_AI_STUDIO_MODELS: &[&str] = &[
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3.7-flash",
    "gemini-3.6-flash",
    "gemini-3.5-flash",
    "gemini-3.5-flash-lite",
    "gemini-3.1-pro-preview",
    "gemini-3.1-flash-lite",
    "gemini-3.1-flash-lite-preview",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-2.5-flash-lite",
    "gemini-2.5-flash-lite-preview-09-2025",
    "gemini-2.0-flash",
    "gemini-2.0-flash-thinking-exp-01-21",
    "gemini-1.5-pro",
    "gemini-1.5-flash",
    "gemini-1.5-flash-8b",
];

const VERTEX_MODELS: &[&str] = &[
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3.7-flash",
    "gemini-3.6-flash",
    "gemini-3.5-flash",
    "gemini-3.5-flash-lite",
    "gemini-3.1-pro-preview",
    "gemini-3.1-flash-lite",
    "gemini-3.1-flash-lite-preview",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-2.5-flash-preview-09-2025",
    "gemini-2.5-flash-lite",
    "gemini-2.5-flash-lite-preview-09-2025",
    "gemini-live-2.5-flash-native-audio",
    "gemini-2.0-flash",
    "gemini-2.0-pro-exp-02-05",
    "gemini-2.0-flash-001",
    "gemini-2.0-flash-exp",
    "gemini-1.5-pro",
    "gemini-1.5-flash",
    "gemini-1.0-pro",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_rules_follow_the_public_api() {
        assert!(Adapter::OpenAi.check_config(None).is_ok());
        assert!(Adapter::OpenAi.check_config(Some(&json!({}))).is_ok());
        assert!(
            Adapter::OpenAi
                .check_config(Some(&json!({"useResponsesApi": false})))
                .is_ok()
        );
        assert!(
            Adapter::OpenAi
                .check_config(Some(&json!({"useResponsesApi": true})))
                .unwrap_err()
                .contains("Responses API")
        );
        assert_eq!(
            Adapter::Anthropic
                .check_config(Some(&json!({"region": "x"})))
                .unwrap_err(),
            "Config is not supported for anthropic adapter"
        );
        assert!(Adapter::Bedrock.check_config(None).is_err());
        assert!(
            Adapter::Bedrock
                .check_config(Some(&json!({"region": "eu-west-1"})))
                .is_ok()
        );
        assert_eq!(
            Adapter::parse("google-ai-studio"),
            Some(Adapter::GoogleAiStudio)
        );
        assert_eq!(Adapter::parse("gemini"), None);
        assert_eq!(Adapter::OpenAi.default_models()[0], "gpt-4.1");
        assert!(Adapter::Azure.default_models().is_empty());
    }
}
