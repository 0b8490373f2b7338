//! The older single-entity write routes (`POST /traces`, `POST`/`PATCH /spans`,
//! `POST`/`PATCH /generations`, `POST /events`). Each wraps its body in one ingestion event and
//! goes through the batch path; the reply is `{"id": <entity id>}` or the event's error.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};
use sightline_domain::time::{now_ms, to_iso};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json as JsonBody;
use crate::handlers::ingestion::batch_error;
use crate::services::ingest::batch::ingest_batch;
use crate::state::AppState;

/// Which legacy route: the event type it becomes and how its body differs from the event body.
#[derive(Clone, Copy)]
struct Route {
    event_type: &'static str,
    /// The body's name for the entity id on update routes (`spanId`, `generationId`).
    id_field: Option<&'static str>,
    /// Generations name input and output `prompt` and `completion`.
    prompt_completion: bool,
}

async fn ingest_one(
    state: &AppState,
    caller: &crate::auth::ApiCaller,
    route: Route,
    body: Value,
) -> ApiResult<Json<Value>> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::InvalidRequest("Expected an object body".into()));
    };
    if let Some(field) = route.id_field {
        let id = body
            .shift_remove(field)
            .ok_or_else(|| ApiError::InvalidRequest(format!("{field}: Required")))?;
        body.insert("id".into(), id);
    }
    if route.prompt_completion {
        rename(&mut body, "prompt", "input");
        rename(&mut body, "completion", "output");
    }
    let id = match body.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ if route.id_field.is_none() => {
            let id = new_id();
            body.insert("id".into(), Value::String(id.clone()));
            id
        }
        _ => return Err(ApiError::InvalidRequest("id: Expected string".into())),
    };
    let envelope = json!({"batch": [{
        "id": new_id(),
        "type": route.event_type,
        "timestamp": to_iso(now_ms()),
        "body": Value::Object(body),
    }]});
    let size = envelope.to_string().len();
    let turn = state
        .parse_turns()
        .take()
        .await
        .map_err(|e| batch_error(e, axum::http::StatusCode::TOO_MANY_REQUESTS))?;
    let outcome = ingest_batch(state, caller, &envelope, size, turn)
        .await
        .map_err(|e| batch_error(e, axum::http::StatusCode::TOO_MANY_REQUESTS))?;
    if let Some(error) = outcome.errors.into_iter().next() {
        return Err(ApiError::InvalidRequest(error.error));
    }
    Ok(Json(json!({ "id": id })))
}

fn rename(body: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = body.shift_remove(from) {
        body.entry(to).or_insert(value);
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

macro_rules! legacy_route {
    ($name:ident, $event_type:literal, $id_field:expr, $prompt_completion:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            ProjectAuth(caller): ProjectAuth,
            JsonBody(body): JsonBody<Value>,
        ) -> ApiResult<Json<Value>> {
            let route = Route {
                event_type: $event_type,
                id_field: $id_field,
                prompt_completion: $prompt_completion,
            };
            ingest_one(&state, &caller, route, body).await
        }
    };
}

legacy_route!(post_trace, "trace-create", None, false);
legacy_route!(post_span, "span-create", None, false);
legacy_route!(patch_span, "span-update", Some("spanId"), false);
legacy_route!(post_generation, "generation-create", None, true);
legacy_route!(
    patch_generation,
    "generation-update",
    Some("generationId"),
    true
);
legacy_route!(post_event, "event-create", None, false);
