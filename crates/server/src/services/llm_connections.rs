//! LLM connections: checking and saving a project's model-provider keys (encrypted under
//! `ENCRYPTION_KEY`), the models a connection offers, and the decrypted connection a call is
//! made with. The public API, the settings page and the playground all come through here.

use std::collections::BTreeMap;

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::secret::{Cipher, masked};
use sightline_domain::time::now_ms;
use sightline_llm::{Adapter, Client, Connection, ErrorKind, HostPolicy, LlmError};
use sightline_store::{LlmConnection, StoreError};

use crate::state::AppState;

/// What the LLM features need from the server's configuration.
#[derive(Clone)]
pub struct LlmSettings {
    /// `None` when `ENCRYPTION_KEY` is not set: connections cannot be saved or used.
    pub cipher: Option<Cipher>,
    pub client: Client,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            cipher: None,
            client: Client::new(HostPolicy::default()),
        }
    }
}

/// Langfuse's sentinels for cloud default credentials (accepted only for their adapters).
const BEDROCK_DEFAULT_CREDENTIALS: &str = "__BEDROCK_DEFAULT_CREDENTIALS__";
const VERTEX_DEFAULT_CREDENTIALS: &str = "__VERTEXAI_DEFAULT_CREDENTIALS__";

pub const MISSING_ENCRYPTION_KEY: &str = "Missing environment variable: `ENCRYPTION_KEY`. Generate one with `openssl rand -hex 32` and set it to save LLM connections.";

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0}")]
    Invalid(String),
    #[error("{}", MISSING_ENCRYPTION_KEY)]
    MissingEncryptionKey,
    #[error("LLM connection not found")]
    NotFound,
    /// The connection test on save failed.
    #[error("{0}")]
    Provider(LlmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A connection as the API and the settings form send it.
#[derive(Debug, Clone, Default)]
pub struct ConnectionInput {
    pub provider: String,
    pub adapter: String,
    pub secret_key: String,
    pub base_url: Option<String>,
    pub custom_models: Vec<String>,
    pub with_default_models: bool,
    /// Header name → value; `None` stores no headers.
    pub extra_headers: Option<BTreeMap<String, String>>,
    pub config: Option<Value>,
}

/// How a save treats what is already stored under the provider name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// The public API's upsert: the body replaces the stored connection.
    Replace,
    /// The settings form: an empty secret keeps the stored one (unless the base URL changes),
    /// and an empty header value keeps that header's stored value. The connection is tested
    /// before it is saved.
    Edit,
}

fn invalid(message: impl Into<String>) -> ConnectionError {
    ConnectionError::Invalid(message.into())
}

fn cipher(state: &AppState) -> Result<&Cipher, ConnectionError> {
    state
        .llm()
        .cipher
        .as_ref()
        .ok_or(ConnectionError::MissingEncryptionKey)
}

/// Checks and saves a connection; returns it and whether it was created.
pub async fn save(
    state: &AppState,
    project: &ProjectId,
    mut input: ConnectionInput,
    mode: SaveMode,
) -> Result<(LlmConnection, bool), ConnectionError> {
    let cipher = cipher(state)?.clone();
    let provider = input.provider.trim().to_owned();
    if provider.is_empty() {
        return Err(invalid("provider: the connection needs a name"));
    }
    if provider.contains(':') {
        return Err(invalid("provider: the name cannot contain ':'"));
    }
    let adapter = Adapter::parse(&input.adapter).ok_or_else(|| {
        invalid(format!(
            "adapter: expected one of {}, got '{}'",
            Adapter::ALL.map(Adapter::as_str).join(", "),
            input.adapter
        ))
    })?;
    adapter
        .check_config(input.config.as_ref())
        .map_err(ConnectionError::Invalid)?;
    let config = input
        .config
        .take()
        .filter(|c| !c.is_null() && c.as_object().is_none_or(|m| !m.is_empty()));
    input.base_url = input
        .base_url
        .take()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty());
    if let Some(model) = input.custom_models.iter().find(|m| m.trim().is_empty()) {
        return Err(invalid(format!(
            "customModels: model names cannot be empty ('{model}')"
        )));
    }
    let custom_models: Vec<String> = input
        .custom_models
        .iter()
        .map(|m| m.trim().to_owned())
        .collect();
    if matches!(adapter, Adapter::Azure | Adapter::Bedrock) && custom_models.is_empty() {
        return Err(invalid(format!(
            "customModels: the {} adapter needs at least one model (its deployment names)",
            adapter.as_str()
        )));
    }
    if !input.with_default_models && custom_models.is_empty() && mode == SaveMode::Edit {
        return Err(invalid(
            "customModels: without the default models, add at least one model",
        ));
    }
    if adapter == Adapter::Azure && input.base_url.is_none() {
        return Err(invalid(
            "baseURL: the azure adapter needs the deployment's base URL",
        ));
    }
    if let Some(headers) = &input.extra_headers {
        for name in headers.keys() {
            if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(invalid(format!(
                    "extraHeaders: '{name}' is not a header name"
                )));
            }
        }
    }

    let existing = state
        .store()
        .metadata()
        .llm_connection_by_provider(project, &provider)
        .await?;
    let base_url_changed = existing.as_ref().map(|e| &e.base_url) != Some(&input.base_url);
    // A host that does not resolve here yet is saved: every call resolves it again through
    // the guard.
    if let Some(url) = &input.base_url
        && base_url_changed
        && let Err(e) = state.llm().client.policy().check_resolved(url).await
        && e.kind != ErrorKind::Network
    {
        return Err(invalid(format!("Invalid baseURL: {}", e.message)));
    }

    let keep_secret = mode == SaveMode::Edit && input.secret_key.trim().is_empty();
    let secret = match (&existing, keep_secret) {
        (Some(stored), true) if !base_url_changed => cipher
            .decrypt(&stored.secret_key)
            .map_err(|_| invalid("secretKey: the stored key does not decrypt with this ENCRYPTION_KEY; enter it again"))?,
        (Some(_), true) => {
            return Err(invalid("secretKey: enter the key again when changing the base URL"));
        }
        (None, true) => return Err(invalid("secretKey: the connection needs a key")),
        (_, false) => input.secret_key.trim().to_owned(),
    };
    if secret.is_empty() {
        return Err(invalid("secretKey: the connection needs a key"));
    }
    check_secret(adapter, &secret)?;

    let mut headers = input.extra_headers.clone().unwrap_or_default();
    if mode == SaveMode::Edit && !base_url_changed {
        // An empty value keeps the stored value of that header.
        let stored = existing
            .as_ref()
            .map(|e| stored_headers(&cipher, e))
            .transpose()?
            .unwrap_or_default();
        for (name, value) in headers.iter_mut() {
            if value.is_empty()
                && let Some(old) = stored.iter().find(|(k, _)| k == name)
            {
                value.clone_from(&old.1);
            }
        }
    }
    headers.retain(|_, v| !v.is_empty() || mode == SaveMode::Replace);

    let now = now_ms();
    let connection = LlmConnection {
        id: existing
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        project_id: project.clone(),
        provider,
        adapter: adapter.as_str().to_owned(),
        secret_key: cipher.encrypt(&secret),
        display_secret_key: display_secret(&secret),
        base_url: input.base_url.clone(),
        custom_models,
        with_default_models: input.with_default_models,
        extra_headers: (input.extra_headers.is_some() || !headers.is_empty())
            .then(|| cipher.encrypt(&serde_json::to_string(&headers).expect("a map of strings"))),
        extra_header_keys: headers.keys().cloned().collect(),
        config,
        created_at: existing.as_ref().map(|e| e.created_at).unwrap_or(now),
        updated_at: now,
    };

    if mode == SaveMode::Edit
        && adapter.is_callable()
        && let Some(model) = offered_models(&connection).first()
    {
        let call = call_connection_with(&cipher, &connection)?;
        state
            .llm()
            .client
            .test(&call, model)
            .await
            .map_err(ConnectionError::Provider)?;
    }
    let saved = state
        .store()
        .metadata()
        .upsert_llm_connection(&connection)
        .await?;
    tracing::info!(
        project = %project,
        provider = %saved.0.provider,
        adapter = %saved.0.adapter,
        created = saved.1,
        "LLM connection saved"
    );
    Ok(saved)
}

/// The key shapes Langfuse's API accepts per adapter (cloud credentials as JSON or a sentinel).
fn check_secret(adapter: Adapter, secret: &str) -> Result<(), ConnectionError> {
    match adapter {
        Adapter::Bedrock if secret == BEDROCK_DEFAULT_CREDENTIALS => Ok(()),
        Adapter::Bedrock => {
            let parsed: Option<serde_json::Map<String, Value>> = serde_json::from_str(secret).ok();
            let fine = parsed.is_some_and(|m| {
                let has = |k: &str| m.get(k).is_some_and(Value::is_string);
                (m.len() == 2 && has("accessKeyId") && has("secretAccessKey"))
                    || (m.len() == 1 && has("apiKey"))
            });
            if fine {
                Ok(())
            } else {
                Err(invalid(
                    "Invalid Bedrock credentials. Expected a JSON object with either {accessKeyId, secretAccessKey} or {apiKey}.",
                ))
            }
        }
        Adapter::GoogleVertexAi if secret == VERTEX_DEFAULT_CREDENTIALS => Ok(()),
        Adapter::GoogleVertexAi => {
            let parsed: Option<Value> = serde_json::from_str(secret).ok();
            if parsed.is_some_and(|v| v["type"] == "service_account") {
                Ok(())
            } else {
                Err(invalid(
                    "Invalid Vertex AI credentials. Expected a GCP service account JSON key.",
                ))
            }
        }
        _ if secret == BEDROCK_DEFAULT_CREDENTIALS || secret == VERTEX_DEFAULT_CREDENTIALS => {
            Err(invalid(
                "Default cloud credentials are only allowed for the bedrock and google-vertex-ai adapters.",
            ))
        }
        _ => Ok(()),
    }
}

/// Langfuse's `displaySecretKey`.
fn display_secret(secret: &str) -> String {
    match secret {
        BEDROCK_DEFAULT_CREDENTIALS => "Default AWS credentials".to_owned(),
        VERTEX_DEFAULT_CREDENTIALS => "Default GCP credentials (ADC)".to_owned(),
        _ => masked(secret),
    }
}

fn stored_headers(
    cipher: &Cipher,
    connection: &LlmConnection,
) -> Result<Vec<(String, String)>, ConnectionError> {
    let Some(sealed) = &connection.extra_headers else {
        return Ok(Vec::new());
    };
    let plain = cipher
        .decrypt(sealed)
        .map_err(|_| invalid("the stored extra headers do not decrypt with this ENCRYPTION_KEY"))?;
    let map: BTreeMap<String, String> = serde_json::from_str(&plain)
        .map_err(|_| invalid("the stored extra headers are not a JSON object of strings"))?;
    Ok(map.into_iter().collect())
}

fn call_connection_with(
    cipher: &Cipher,
    connection: &LlmConnection,
) -> Result<Connection, ConnectionError> {
    let adapter = Adapter::parse(&connection.adapter)
        .ok_or_else(|| invalid(format!("unknown adapter '{}'", connection.adapter)))?;
    let secret_key = cipher.decrypt(&connection.secret_key).map_err(|_| {
        ConnectionError::Provider(LlmError::new(
            ErrorKind::Configuration,
            format!(
                "the key of connection '{}' does not decrypt with this ENCRYPTION_KEY",
                connection.provider
            ),
        ))
    })?;
    Ok(Connection {
        adapter,
        secret_key,
        base_url: connection.base_url.clone(),
        extra_headers: stored_headers(cipher, connection)?,
    })
}

/// The decrypted connection a call is made with.
pub fn call_connection(
    state: &AppState,
    connection: &LlmConnection,
) -> Result<Connection, ConnectionError> {
    call_connection_with(cipher(state)?, connection)
}

/// The models a connection offers: its own, then its adapter's defaults when it keeps them.
pub fn offered_models(connection: &LlmConnection) -> Vec<String> {
    let mut models = connection.custom_models.clone();
    let defaults = Adapter::parse(&connection.adapter)
        .filter(|_| connection.with_default_models)
        .map(Adapter::default_models)
        .unwrap_or_default();
    for model in defaults {
        if !models.iter().any(|m| m == model) {
            models.push((*model).to_owned());
        }
    }
    models
}

/// Deletes a connection (its default-model row goes with it).
pub async fn delete(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<(), ConnectionError> {
    if state
        .store()
        .metadata()
        .delete_llm_connection(project, id)
        .await?
    {
        tracing::info!(project = %project, connection = id, "LLM connection deleted");
        Ok(())
    } else {
        Err(ConnectionError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_secrets_follow_langfuse() {
        assert_eq!(display_secret("sk-abcdef123456"), "...3456");
        assert_eq!(
            display_secret(BEDROCK_DEFAULT_CREDENTIALS),
            "Default AWS credentials"
        );
        assert_eq!(
            display_secret(r#"{"accessKeyId":"AK","secretAccessKey":"wxyz"}"#),
            "...wxyz"
        );
    }

    #[test]
    fn cloud_secrets_are_checked_per_adapter() {
        assert!(check_secret(Adapter::Bedrock, r#"{"apiKey":"k"}"#).is_ok());
        assert!(check_secret(Adapter::Bedrock, "plain").is_err());
        assert!(check_secret(Adapter::OpenAi, BEDROCK_DEFAULT_CREDENTIALS).is_err());
        assert!(check_secret(Adapter::OpenAi, "sk-1").is_ok());
    }
}
