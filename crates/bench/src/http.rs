//! A small blocking HTTP/1.1 client: one keep-alive connection per [`Client`], Basic auth, no
//! TLS, no proxy, every status returned as a value.

use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;

/// Longest wait for each phase of a request.
const TIMEOUT: Duration = Duration::from_secs(300);

/// A reply, read to the end.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: String,
}

impl Client {
    pub fn new(base: &str, public_key: &str, secret_key: &str) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            // Per phase, never global or per call: with either, ureq resolves the host on a new
            // thread for every request, which put millisecond outliers into sub-millisecond
            // latencies. The host is an IP address, so resolving cannot hang.
            .timeout_connect(Some(TIMEOUT))
            .timeout_send_request(Some(TIMEOUT))
            .timeout_send_body(Some(TIMEOUT))
            .timeout_recv_response(Some(TIMEOUT))
            .timeout_recv_body(Some(TIMEOUT))
            .build();
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{public_key}:{secret_key}"));
        Client {
            agent: ureq::Agent::new_with_config(config),
            base: base.trim_end_matches('/').to_owned(),
            authorization: format!("Basic {credentials}"),
        }
    }

    pub fn get(&self, path: &str) -> Result<Reply> {
        let response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("authorization", &self.authorization)
            .call()
            .with_context(|| format!("GET {path}"))?;
        read(response).with_context(|| format!("GET {path}"))
    }

    pub fn post(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> Result<Reply> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", &self.authorization);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send(body).with_context(|| format!("POST {path}"))?;
        read(response).with_context(|| format!("POST {path}"))
    }

    /// PUT a JSON body.
    pub fn put_json(&self, path: &str, body: &[u8]) -> Result<Reply> {
        let response = self
            .agent
            .put(format!("{}{path}", self.base))
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .send(body)
            .with_context(|| format!("PUT {path}"))?;
        read(response).with_context(|| format!("PUT {path}"))
    }
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Reply> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map(Duration::from_secs_f64);
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()?;
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}
