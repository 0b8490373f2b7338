//! The signed-in user's account: their details and a password change.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::accounts::{self, AccountError};
use crate::error::WebResult;
use crate::pages::{Form, render};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::views::Layout;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    error: Option<String>,
    changed: bool,
}

async fn account_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    status: StatusCode,
    error: Option<String>,
    changed: bool,
) -> WebResult<Response> {
    render(
        status,
        &AccountPage {
            layout: Layout::signed_in(state.store(), signed_in, csrf, None, None).await?,
            name: signed_in.user.name.clone().unwrap_or_default(),
            email: signed_in.user.email.to_string(),
            error,
            changed,
        },
    )
}

pub async fn get_account(
    State(state): State<WebState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    account_page(&state, &signed_in, &csrf, StatusCode::OK, None, false).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn post_password(
    State(state): State<WebState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<PasswordForm>,
) -> WebResult<Response> {
    let result = accounts::change_password(
        state.store(),
        &signed_in.user,
        &form.current_password,
        &form.new_password,
        &signed_in.session.token_hash,
    )
    .await;
    match result {
        Ok(()) => account_page(&state, &signed_in, &csrf, StatusCode::OK, None, true).await,
        Err(AccountError::Store(error)) => Err(error.into()),
        Err(error) => {
            account_page(
                &state,
                &signed_in,
                &csrf,
                StatusCode::BAD_REQUEST,
                Some(error.to_string()),
                false,
            )
            .await
        }
    }
}
