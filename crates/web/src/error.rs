//! The UI's one error policy. Handlers return [`WebError`]; its `IntoResponse` renders a small
//! HTML page (or, for htmx requests, the same body as a fragment):
//!
//! - a page or fragment the user may not see at all (another organization's, or a missing one)
//!   is 404, so ids of other tenants cannot be probed;
//! - a visible page whose action the role does not allow is 403, as is a failed CSRF check;
//! - no session: a redirect to the sign-in page (`HX-Redirect` for htmx);
//! - internal failures: a generic 500; the cause is logged here, once, and never sent.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sightline_server::services::identity::IdentityError;
use sightline_store::StoreError;

#[derive(Debug)]
pub enum WebError {
    NotFound,
    Forbidden(&'static str),
    /// The session is missing or expired; holds the page to return to after signing in.
    SignInRequired(Option<String>),
    BadRequest(String),
    PayloadTooLarge,
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        WebError::Internal(Box::new(error))
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(_) => WebError::NotFound,
            StoreError::Conflict(what) => WebError::BadRequest(what),
            other => WebError::internal(other),
        }
    }
}

impl From<IdentityError> for WebError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::Invalid(message) | IdentityError::Conflict(message) => {
                WebError::BadRequest(message)
            }
            IdentityError::NotFound(_) => WebError::NotFound,
            IdentityError::Store(error) => error.into(),
        }
    }
}

impl From<sightline_server::services::media::MediaError> for WebError {
    fn from(error: sightline_server::services::media::MediaError) -> Self {
        use sightline_server::services::blobs::BlobError;
        use sightline_server::services::media::MediaError;
        match error {
            MediaError::NotFound(_) | MediaError::Blob(BlobError::NotFound { .. }) => {
                WebError::NotFound
            }
            MediaError::InvalidRequest(message) => WebError::BadRequest(message),
            MediaError::Forbidden(_) => WebError::Forbidden("This media is not yours to see."),
            MediaError::Store(error) => error.into(),
            MediaError::Blob(error) => WebError::internal(error),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::internal(error)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message): (StatusCode, &str, String) = match &self {
            WebError::SignInRequired(next) => {
                let to = crate::urls::sign_in(next.as_deref());
                let mut response = Redirect::to(&to).into_response();
                if let Ok(value) = HeaderValue::from_str(&to) {
                    response.headers_mut().insert("hx-redirect", value);
                }
                return response;
            }
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "This page does not exist, or you have no access to it.".into(),
            ),
            WebError::Forbidden(why) => (StatusCode::FORBIDDEN, "Forbidden", (*why).into()),
            WebError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "Cannot do that", message.clone())
            }
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "The form is too large.".into(),
            ),
            WebError::Internal(error) => {
                tracing::error!(error = %error, "web request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not answer this request. It has been logged.".into(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
        };
        match page.render() {
            Ok(body) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response(),
            Err(_) => status.into_response(),
        }
    }
}
