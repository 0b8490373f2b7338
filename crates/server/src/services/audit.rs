//! The audit log (`features.md` §6.5): every change made with an API key on the public API, or
//! by a user in the UI (`sightline_web::audit`), is recorded after it succeeded — who (the
//! user, or the API key's id), the organization and project, the resource type and id taken
//! from the route, the action (create, update, delete, or the route's own verb), and what was
//! answered (API) or submitted (UI) with every secret redacted. Ingestion routes (batch, OTLP,
//! legacy events, score and media uploads, experiment run items) are traffic, not changes,
//! and are not recorded. Writing an entry never fails the request; a failure is logged.
//!
//! What is not recorded: the state before an update or delete (`before` stays empty), and
//! changes made from the command line (`sightline admin`).

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Extensions, Method};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use sightline_domain::time::now_ms;
use sightline_domain::{OrgId, ProjectId};
use sightline_store::{AuditEntry, Store};

use crate::state::AppState;

/// The longest answer or form kept as an entry's `after`, in bytes.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024;

const REDACTED: &str = "[REDACTED]";

/// Whether a field name holds a secret (compared without case, `_` or `-`).
fn is_secret(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    [
        "secret",
        "password",
        "token",
        "apikey",
        "authorization",
        "credential",
        "privatekey",
        "extraheaders",
    ]
    .iter()
    .any(|word| folded.contains(word))
}

/// Replaces the values of secret fields, at any depth, with `[REDACTED]`.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_secret(key) && !inner.is_null() {
                    *inner = Value::from(REDACTED);
                } else {
                    redact(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Form fields as a JSON object, secrets redacted and the CSRF token left out.
pub fn form_fields(body: &[u8]) -> Value {
    let mut map = Map::new();
    for (key, value) in form_urlencoded::parse(body) {
        if key == "csrf_token" {
            continue;
        }
        let value = if is_secret(&key) {
            REDACTED.to_owned()
        } else {
            value.into_owned()
        };
        match map.get_mut(key.as_ref()) {
            Some(Value::Array(values)) => values.push(Value::from(value)),
            Some(single) => *single = Value::Array(vec![single.take(), Value::from(value)]),
            None => {
                map.insert(key.into_owned(), Value::from(value));
            }
        }
    }
    Value::Object(map)
}

/// Who made a change.
#[derive(Debug, Clone)]
pub enum Actor {
    User(String),
    ApiKey(String),
}

/// What a change was, as recorded.
#[derive(Debug, Clone)]
pub struct Change {
    pub actor: Actor,
    pub org_id: OrgId,
    pub project_id: Option<ProjectId>,
    pub resource_type: String,
    pub resource_id: String,
    pub action: String,
    pub after: Option<Value>,
}

/// Records a change; a failure is logged, never returned.
pub async fn record(store: &Store, change: Change) {
    let (actor_type, user_id, api_key_id) = match change.actor {
        Actor::User(id) => ("USER", Some(id), None),
        Actor::ApiKey(id) => ("API_KEY", None, Some(id)),
    };
    let after = change.after.map(|mut value| {
        redact(&mut value);
        value.to_string()
    });
    let entry = AuditEntry {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: now_ms(),
        actor_type: actor_type.to_owned(),
        user_id,
        api_key_id,
        org_id: change.org_id,
        project_id: change.project_id,
        resource_type: change.resource_type,
        resource_id: change.resource_id,
        action: change.action,
        before: None,
        after,
    };
    if let Err(error) = store.metadata().insert_audit_entry(&entry).await {
        tracing::warn!(%error, resource = %entry.resource_type, "cannot write an audit entry");
    }
}

/// `dataset-items` → `datasetItem`, `prompts` → `prompt`, `llm-connections` → `llmConnection`.
pub fn resource_name(segment: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in segment.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if let Some(stem) = out.strip_suffix("ies") {
        format!("{stem}y")
    } else if out.ends_with("ss") {
        out
    } else {
        out.strip_suffix('s').map(str::to_owned).unwrap_or(out)
    }
}

/// A path parameter's value as the route's handler reads it (percent-decoded).
pub fn path_value(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// The action of a method: `create`, `update` or `delete`.
pub fn action_of(method: &Method) -> &'static str {
    match *method {
        Method::POST => "create",
        Method::DELETE => "delete",
        _ => "update",
    }
}

/// Public API routes that carry traffic rather than changes.
const NOT_AUDITED: &[&str] = &[
    "/ingestion",
    "/otel/v1/traces",
    "/otel/v1/metrics",
    "/events",
    "/traces",
    "/spans",
    "/spans/{id}",
    "/generations",
    "/generations/{id}",
    "/scores",
    "/media",
    "/media/{media_id}",
    "/media/{media_id}/upload",
    "/dataset-run-items",
];

/// Who a route's auth extractor verified, handed back to the audit middleware: the
/// middleware puts an empty slot into the request's extensions, the extractor fills it
/// ([`note_caller`]), so the entry names the caller without authenticating it again.
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<Mutex<Option<Caller>>>);

/// A verified API caller: its key, organization and (for project keys) project.
#[derive(Debug, Clone)]
pub struct Caller {
    pub api_key_id: String,
    pub org_id: OrgId,
    pub project_id: Option<ProjectId>,
}

/// Fills the request's caller slot, when the audit middleware put one there.
pub fn note_caller(extensions: &Extensions, caller: Caller) {
    if let Some(slot) = extensions.get::<CallerSlot>() {
        *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(caller);
    }
}

/// The public API's audit middleware: records successful changes made with a key.
pub async fn api_audit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().trim_start_matches("/api/public").to_owned());
    let Some(route) = route.filter(|route| {
        !NOT_AUDITED.contains(&route.as_str()) || (route == "/traces" && method == Method::DELETE)
    }) else {
        return next.run(request).await;
    };
    let slot = CallerSlot::default();
    request.extensions_mut().insert(slot.clone());
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let caller = slot.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(caller) = caller.filter(|_| response.status().is_success()) else {
        return response;
    };
    // The answer is kept as `after` when it is small; a larger one passes through untouched.
    let small = axum::body::HttpBody::size_hint(response.body())
        .upper()
        .is_some_and(|size| size <= MAX_RECORDED_BYTES as u64);
    let (response, after) = if small {
        let (parts, body) = response.into_parts();
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                tracing::warn!(%error, "cannot read an audited response");
                Bytes::new()
            }
        };
        let after = serde_json::from_slice(&bytes).ok();
        (Response::from_parts(parts, Body::from(bytes)), after)
    } else {
        (response, None)
    };
    record(
        state.store(),
        api_change(caller, &method, &route, &path, after),
    )
    .await;
    response
}

/// The change a successful API request made: its caller, and the resource named by its route.
fn api_change(
    caller: Caller,
    method: &Method,
    route: &str,
    path: &str,
    after: Option<Value>,
) -> Change {
    let segments: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let values: Vec<&str> = path
        .trim_start_matches("/api/public")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    // The resource is the last collection the route names (`/projects/{id}/apiKeys`: an API
    // key); its id the parameter after it, else the answer's id, else the parameter before.
    let position = segments
        .iter()
        .rposition(|s| !s.starts_with('{') && !matches!(*s, "v2" | "v3" | "unstable"));
    let resource = position.map_or("api", |at| segments[at]);
    let param = |at: usize| {
        segments[at]
            .starts_with('{')
            .then(|| values.get(at).map(|value| path_value(value)))
            .flatten()
    };
    let after_resource = position.and_then(|at| (at + 1..segments.len()).find_map(param));
    let before_resource = position.and_then(|at| (0..at).rev().find_map(param));
    let id_from_body = after.as_ref().and_then(|body| {
        ["id", "name", "mediaId"]
            .iter()
            .find_map(|key| body.get(*key).and_then(Value::as_str).map(str::to_owned))
    });
    Change {
        actor: Actor::ApiKey(caller.api_key_id),
        org_id: caller.org_id,
        project_id: caller.project_id,
        resource_type: resource_name(resource),
        resource_id: after_resource
            .or(id_from_body)
            .or(before_resource)
            .unwrap_or_default(),
        action: action_of(method).to_owned(),
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut value = json!({
            "publicKey": "pk-lf-1",
            "secretKey": "sk-lf-2",
            "config": {"apiKey": "sk-3", "extraHeaders": {"x": "y"}, "model": "gpt-4o"},
            "items": [{"password": "hunter2"}],
            "note": null,
        });
        redact(&mut value);
        let text = value.to_string();
        for secret in ["sk-lf-2", "sk-3", "hunter2", "\"y\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(value["publicKey"], "pk-lf-1");
        assert_eq!(value["config"]["model"], "gpt-4o");
    }

    #[test]
    fn forms_drop_the_csrf_token_and_redact_secrets() {
        let fields = form_fields(b"csrf_token=abc&name=x&secret_key=s&tag=a&tag=b");
        assert_eq!(
            fields,
            json!({"name": "x", "secret_key": REDACTED, "tag": ["a", "b"]})
        );
    }

    #[test]
    fn resource_names_are_singular_camel_case() {
        assert_eq!(resource_name("dataset-items"), "datasetItem");
        assert_eq!(resource_name("prompts"), "prompt");
        assert_eq!(resource_name("annotation-queues"), "annotationQueue");
        assert_eq!(resource_name("llm-connections"), "llmConnection");
        assert_eq!(resource_name("api-keys"), "apiKey");
        assert_eq!(resource_name("access"), "access");
    }
}
