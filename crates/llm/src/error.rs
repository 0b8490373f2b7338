//! One error for every provider: what went wrong, in words a user can act on, and whether
//! trying again later can help.

use serde_json::Value;

pub type LlmResult<T> = Result<T, LlmError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The key was refused (401, 403).
    Auth,
    /// The account has no credit or quota left (402, OpenAI's `insufficient_quota`).
    Quota,
    /// The model or deployment does not exist (404).
    UnknownModel,
    /// The provider refused the request as sent (400, 422).
    InvalidRequest,
    /// Too many requests (429); try again later.
    RateLimited,
    /// The provider failed or is overloaded (5xx, 408, 409, 529).
    Unavailable,
    /// The provider could not be reached, or did not answer in time.
    Network,
    /// The base URL points where this server may not call (SSRF guard), or is malformed.
    Blocked,
    /// The provider answered something this layer cannot read.
    InvalidResponse,
    /// The connection is unusable as configured (unknown adapter, missing base URL).
    Configuration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LlmError {
    pub kind: ErrorKind,
    /// The provider's HTTP status, when it answered.
    pub status: Option<u16>,
    pub message: String,
}

impl LlmError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> LlmError {
        LlmError {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// Whether the same call may succeed later (rate limits, outages, timeouts). Terminal
    /// errors (a bad key, no credit, an unknown model, a refused URL) need a person.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Network
        )
    }

    /// The error of an HTTP answer that was not a success, from its status and body.
    pub(crate) fn from_response(status: u16, body: &str) -> LlmError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let detail = parsed.as_ref().and_then(|v| {
            let error = v.get("error").unwrap_or(v);
            error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.as_str())
                .map(str::to_owned)
        });
        let code = parsed.as_ref().and_then(|v| {
            let error = v.get("error")?;
            error
                .get("code")
                .or_else(|| error.get("type"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let kind = match (status, code.as_deref()) {
            (_, Some("insufficient_quota")) => ErrorKind::Quota,
            (401 | 403, _) => ErrorKind::Auth,
            (402, _) => ErrorKind::Quota,
            (404, _) => ErrorKind::UnknownModel,
            (429, _) => ErrorKind::RateLimited,
            (408 | 409 | 500..=599, _) => ErrorKind::Unavailable,
            _ => ErrorKind::InvalidRequest,
        };
        let mut text: String = detail.unwrap_or_else(|| body.chars().take(300).collect());
        if text.trim().is_empty() {
            text = "no error message".to_owned();
        }
        LlmError {
            kind,
            status: Some(status),
            message: format!("the provider answered {status}: {text}"),
        }
    }

    pub(crate) fn from_transport(error: &reqwest::Error) -> LlmError {
        let what = if error.is_timeout() {
            "the provider did not answer in time"
        } else if error.is_connect() {
            "the provider could not be reached"
        } else {
            "the connection to the provider failed"
        };
        // The error's source chain names the host, never a header or the body.
        let mut cause = String::new();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
        while let Some(inner) = source {
            // The guarded resolver refused the host: the SSRF guard, not the network.
            if let Some(guard) = inner.downcast_ref::<crate::guard::GuardError>()
                && guard.refused
            {
                return LlmError::new(ErrorKind::Blocked, guard.to_string());
            }
            cause = inner.to_string();
            source = inner.source();
        }
        let message = if cause.is_empty() {
            what.to_owned()
        } else {
            format!("{what} ({cause})")
        };
        LlmError::new(ErrorKind::Network, message)
    }

    pub(crate) fn invalid_response(what: impl std::fmt::Display) -> LlmError {
        LlmError::new(
            ErrorKind::InvalidResponse,
            format!("the provider's answer could not be read: {what}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds_and_keep_the_provider_message() {
        let e = LlmError::from_response(401, r#"{"error":{"message":"Incorrect API key"}}"#);
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(!e.is_retryable());
        assert_eq!(
            e.message,
            "the provider answered 401: Incorrect API key".to_owned()
        );
        let quota = LlmError::from_response(
            429,
            r#"{"error":{"message":"You exceeded your quota","code":"insufficient_quota"}}"#,
        );
        assert_eq!(quota.kind, ErrorKind::Quota);
        assert!(!quota.is_retryable());
        let limited = LlmError::from_response(429, r#"{"error":{"message":"slow down"}}"#);
        assert!(limited.is_retryable());
        let overloaded = LlmError::from_response(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(overloaded.kind, ErrorKind::Unavailable);
        assert_eq!(
            LlmError::from_response(404, "not json").message,
            "the provider answered 404: not json"
        );
    }
}
