//! Sign-in, sign-up and sign-out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sightline_domain::Email;

use crate::accounts::{self, AccountError, SIGN_UP_RULE};
use crate::error::WebResult;
use crate::pages::{ClientIp, Form, render, see_other};
use crate::session::{self, CsrfToken, MaybeSignedIn, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::Layout;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    /// The page to return to after signing in (already checked to be local), or empty.
    next: String,
    email: String,
    error: Option<String>,
    sign_up_open: bool,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    layout: Layout,
    email: String,
    name: String,
    error: Option<String>,
    open: bool,
    rule: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `next` when it is a local UI page, else empty.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|next| urls::is_local_page(next))
        .unwrap_or_default()
        .to_owned()
}

pub async fn get_sign_in(
    State(state): State<WebState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
    Query(query): Query<NextQuery>,
    csrf: CsrfToken,
) -> WebResult<Response> {
    if signed_in.is_some() {
        return Ok(see_other(urls::ROOT));
    }
    render(
        StatusCode::OK,
        &SignInPage {
            layout: Layout::anonymous(&csrf),
            next: safe_next(query.next.as_deref()),
            email: String::new(),
            error: None,
            sign_up_open: accounts::sign_up_open(state.store()).await?,
        },
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn post_sign_in(
    State(state): State<WebState>,
    ClientIp(ip): ClientIp,
    csrf: CsrfToken,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let result = accounts::sign_in(
        state.store(),
        state.limiter(),
        &form.email,
        &form.password,
        ip.as_deref(),
    )
    .await;
    let next = safe_next(form.next.as_deref());
    let status = match result {
        Ok(user) => {
            let cookie = session::start_session(&state, &user).await?;
            let mut response = see_other(if next.is_empty() { urls::ROOT } else { &next });
            response.headers_mut().append(header::SET_COOKIE, cookie);
            return Ok(response);
        }
        Err(AccountError::WrongCredentials) => StatusCode::UNAUTHORIZED,
        Err(AccountError::RateLimited(_)) => StatusCode::TOO_MANY_REQUESTS,
        Err(AccountError::Store(error)) => return Err(error.into()),
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let error = result.err().map(|e| e.to_string());
    render(
        status,
        &SignInPage {
            layout: Layout::anonymous(&csrf),
            next,
            email: form.email,
            error,
            sign_up_open: accounts::sign_up_open(state.store()).await?,
        },
    )
}

pub async fn get_sign_up(
    State(state): State<WebState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    if signed_in.is_some() {
        return Ok(see_other(urls::ROOT));
    }
    render(
        StatusCode::OK,
        &SignUpPage {
            layout: Layout::anonymous(&csrf),
            email: String::new(),
            name: String::new(),
            error: None,
            open: accounts::sign_up_open(state.store()).await?,
            rule: SIGN_UP_RULE,
        },
    )
}

#[derive(Deserialize)]
pub struct SignUpForm {
    email: String,
    #[serde(default)]
    name: String,
    password: String,
}

pub async fn post_sign_up(
    State(state): State<WebState>,
    ClientIp(ip): ClientIp,
    csrf: CsrfToken,
    Form(form): Form<SignUpForm>,
) -> WebResult<Response> {
    // Sign-ups hash a password: they count against the address like failed sign-ins.
    let ip_key = ip.as_deref();
    let result = match state.limiter().check(None, ip_key) {
        Err(wait) => Err(AccountError::RateLimited(wait)),
        Ok(()) => match Email::parse(&form.email) {
            Err(error) => Err(AccountError::Invalid(error.to_string())),
            Ok(email) => {
                accounts::sign_up(state.store(), &email, Some(&form.name), &form.password).await
            }
        },
    };
    let status = match result {
        Ok(user) => {
            let cookie = session::start_session(&state, &user).await?;
            let mut response = see_other(urls::ROOT);
            response.headers_mut().append(header::SET_COOKIE, cookie);
            return Ok(response);
        }
        Err(AccountError::Store(error)) => return Err(error.into()),
        Err(AccountError::RateLimited(_)) => StatusCode::TOO_MANY_REQUESTS,
        Err(AccountError::InvitationRequired) => {
            state.limiter().record_failure(None, ip_key);
            StatusCode::FORBIDDEN
        }
        Err(AccountError::EmailTaken) => StatusCode::CONFLICT,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let error = result.err().map(|e| e.to_string());
    render(
        status,
        &SignUpPage {
            layout: Layout::anonymous(&csrf),
            email: form.email,
            name: form.name,
            error,
            open: accounts::sign_up_open(state.store()).await?,
            rule: SIGN_UP_RULE,
        },
    )
}

pub async fn post_sign_out(
    State(state): State<WebState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> WebResult<Response> {
    let mut response = see_other(urls::SIGN_IN);
    if let Some(SignedIn { session, .. }) = signed_in {
        let cookie = session::end_session(&state, &session).await?;
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response.into_response())
}
