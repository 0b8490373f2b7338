//! Page handlers, one file per resource, named `<verb>_<resource>`. Each extracts, checks
//! access through `rbac.rs`, calls a service function, and renders a template (or a `_partial`
//! fragment for htmx requests) with the helpers below.

pub mod account;
pub mod annotation_queues;
pub mod api_keys;
pub mod audit_logs;
pub mod auth;
pub mod batch_actions;
pub mod dashboard;
pub mod dashboards;
pub mod datasets;
pub mod evaluation_rules;
pub mod evaluators;
pub mod exports;
pub mod home;
pub mod listing;
pub mod llm_connections;
pub mod members;
pub mod models;
pub mod observations;
pub mod orgs;
pub mod payload;
pub mod playground;
pub mod projects;
pub mod prompt_diff;
pub mod prompt_editor;
pub mod prompts;
pub mod protected_labels;
pub mod score_analytics;
pub mod score_configs;
pub mod scores;
pub mod sessions;
pub mod trace_annotations;
pub mod trace_detail;
pub mod trace_filters;
pub mod trace_tree;
pub mod traces;
pub mod users;

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use crate::accounts::AccountError;
use crate::error::{WebError, WebResult};

/// Renders a template as an HTML response with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> WebResult<Response> {
    let body = template.render()?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
}

pub fn page(template: &impl Template) -> WebResult<Response> {
    render(StatusCode::OK, template)
}

/// Post/redirect/get: a 303 to `to`.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A form body (`application/x-www-form-urlencoded`) whose rejection is our 400 page.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(value)| Form(value))
            .map_err(|rejection| WebError::BadRequest(rejection.body_text()))
    }
}

/// The client's address, when the server was started with connection info.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip().to_string()),
        ))
    }
}

impl From<AccountError> for WebError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Forbidden(why) => WebError::Forbidden(why),
            AccountError::NotFound => WebError::NotFound,
            AccountError::Store(error) => error.into(),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

/// An optional text field: trimmed, `None` when empty.
pub fn non_empty(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|value| !value.is_empty())
}

/// The form fields of a POST body in their order, repeated names kept (`config_id`,
/// `object_id`, the chat editor's `role` and `content` pairs).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &str) -> Fields {
        Fields(
            form_urlencoded::parse(body.as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_owned())
            .collect()
    }
}

impl Fields {
    /// Every field in the order the form sent them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }
}
