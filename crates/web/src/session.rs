//! Cookie sessions and CSRF protection, applied by one middleware to every UI route.
//!
//! - A session cookie holds 32 random bytes (hex); the store keeps only their SHA-256, so a
//!   leaked database does not yield sessions. Cookies are `HttpOnly`, `SameSite=Lax`, `Path=/`,
//!   `Secure` when the instance is served over https. Sessions last [`SESSION_TTL_MS`] and are
//!   extended when less than half of that is left.
//! - CSRF: every request that is not GET/HEAD/OPTIONS must present a token, in the form field
//!   `csrf_token` or the `X-CSRF-Token` header (htmx sends it from `hx-headers`), equal to the
//!   session's synchronizer token, or, before sign-in, to the random `sightline_csrf` cookie
//!   (double submit). A missing or wrong token is refused with 403 before any handler runs.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use sha2::{Digest, Sha256};
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{User, WebSession};

use crate::error::WebError;
use crate::state::WebState;

pub const SESSION_COOKIE: &str = "sightline_session";
pub const CSRF_COOKIE: &str = "sightline_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_TTL_MS: Millis = 7 * 24 * 3600 * 1000;
/// Largest form body the UI accepts.
pub const FORM_LIMIT: usize = 64 * 1024;

/// The signed-in user of a request, with their session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: WebSession,
}

/// The CSRF token forms of this response must carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn is_token(raw: &str) -> bool {
    raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `Set-Cookie` value; `max_age_secs` 0 deletes the cookie.
pub fn set_cookie(secure: bool, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are hex tokens")
}

/// Creates a session for `user` and returns the `Set-Cookie` header that carries it.
pub async fn start_session(state: &WebState, user: &User) -> Result<HeaderValue, WebError> {
    let token = random_token();
    let now = now_ms();
    state
        .store()
        .metadata()
        .insert_web_session(&WebSession {
            token_hash: hash_token(&token),
            user_id: user.id.clone(),
            csrf_token: random_token(),
            created_at: now,
            expires_at: now + SESSION_TTL_MS,
        })
        .await?;
    Ok(set_cookie(
        state.config().secure_cookies,
        SESSION_COOKIE,
        &token,
        SESSION_TTL_MS / 1000,
    ))
}

/// Ends the request's session; returns the `Set-Cookie` header that clears the cookie.
pub async fn end_session(state: &WebState, session: &WebSession) -> Result<HeaderValue, WebError> {
    state
        .store()
        .metadata()
        .delete_web_session(&session.token_hash)
        .await?;
    Ok(set_cookie(
        state.config().secure_cookies,
        SESSION_COOKIE,
        "",
        0,
    ))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves the session, checks the CSRF token of state-changing requests, and extends
/// sessions that are past half their life.
pub async fn session_layer(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    match resolve(&state, request).await {
        Ok((request, set_cookies)) => {
            let mut response = next.run(request).await;
            for value in set_cookies {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn resolve(
    state: &WebState,
    mut request: Request,
) -> Result<(Request, Vec<HeaderValue>), WebError> {
    let now = now_ms();
    let mut set_cookies = Vec::new();
    let signed_in = match cookie(request.headers(), SESSION_COOKIE).filter(|t| is_token(t)) {
        Some(token) => state
            .store()
            .metadata()
            .web_session(&hash_token(token), now)
            .await?
            .map(|(session, user)| SignedIn { user, session }),
        None => None,
    };
    let expected = match &signed_in {
        Some(signed_in) => signed_in.session.csrf_token.clone(),
        None => match cookie(request.headers(), CSRF_COOKIE).filter(|t| is_token(t)) {
            Some(token) => token.to_owned(),
            None => {
                let token = random_token();
                set_cookies.push(set_cookie(
                    state.config().secure_cookies,
                    CSRF_COOKIE,
                    &token,
                    SESSION_TTL_MS / 1000,
                ));
                token
            }
        },
    };
    if !is_safe(request.method()) {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| WebError::PayloadTooLarge)?;
        let presented = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                form_urlencoded::parse(&bytes)
                    .find(|(key, _)| key == CSRF_FIELD)
                    .map(|(_, value)| value.into_owned())
            });
        if !presented.is_some_and(|token| constant_time_eq(&token, &expected)) {
            tracing::info!("request refused: missing or invalid CSRF token");
            return Err(WebError::Forbidden(
                "The form was missing its security token or it was stale. Reload the page and try again.",
            ));
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    if let Some(signed_in) = &signed_in {
        let session = &signed_in.session;
        if session.expires_at - now < SESSION_TTL_MS / 2 {
            let expires_at = now + SESSION_TTL_MS;
            state
                .store()
                .metadata()
                .extend_web_session(&session.token_hash, expires_at)
                .await?;
            if let Some(token) = cookie(request.headers(), SESSION_COOKIE) {
                set_cookies.push(set_cookie(
                    state.config().secure_cookies,
                    SESSION_COOKIE,
                    token,
                    SESSION_TTL_MS / 1000,
                ));
            }
        }
    }
    request.extensions_mut().insert(CsrfToken(expected));
    if let Some(signed_in) = signed_in {
        request.extensions_mut().insert(signed_in);
    }
    Ok((request, set_cookies))
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<SignedIn>().cloned().ok_or_else(|| {
            let next = parts.uri.path_and_query().map(|pq| pq.as_str().to_owned());
            WebError::SignInRequired(next.filter(|_| parts.method == Method::GET))
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| WebError::internal(std::io::Error::other("session layer not applied")))
    }
}

/// The signed-in user, if any (pages that both visitors and members open).
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(parts.extensions.get::<SignedIn>().cloned()))
    }
}

/// Whether htmx sent the request (it then gets a fragment instead of a full page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::WebConfig;

    #[test]
    fn cookies_are_found_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), Some("3"));
        assert_eq!(cookie(&headers, "d"), None);
    }

    #[test]
    fn cookies_are_secure_only_over_https() {
        let plain = WebConfig::for_public_url(Some("http://localhost:3000".into()));
        let tls = WebConfig::for_public_url(Some("https://example.com/".into()));
        assert!(!plain.secure_cookies);
        assert!(tls.secure_cookies);
        assert_eq!(tls.public_url.as_deref(), Some("https://example.com"));
        let cookie = set_cookie(true, SESSION_COOKIE, "abc", 60);
        assert_eq!(
            cookie.to_str().unwrap(),
            "sightline_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(
            !set_cookie(false, SESSION_COOKIE, "abc", 60)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }

    #[test]
    fn tokens_are_hex_and_hash_differs() {
        let token = random_token();
        assert!(is_token(&token));
        assert_ne!(hash_token(&token), token);
        assert!(constant_time_eq(&token, &token.clone()));
        assert!(!constant_time_eq(&token, &random_token()));
    }
}
