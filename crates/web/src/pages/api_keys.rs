//! A project's API keys: the list (MEMBER and up) with the redacted secret, note, creation and
//! last use; creating a key (ADMIN and up), whose secret is shown once with ready-to-copy SDK
//! environment variables; revoking a key (ADMIN and up). Create and revoke answer htmx with
//! fragments and plain form posts with the full page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sightline_domain::ProjectScope;
use sightline_server::services::identity;
use sightline_store::ApiKey;

use crate::error::{WebError, WebResult};
use crate::pages::{Form, non_empty, page, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn, is_htmx};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs, TimeView, time};

/// A key as the list shows it.
pub struct KeyRow {
    pub public_key: String,
    pub display_secret_key: String,
    pub note: String,
    pub created: TimeView,
    pub last_used: Option<TimeView>,
    pub revoke_url: String,
}

/// A key just created: its secret, shown this once.
pub struct CreatedKey {
    pub public_key: String,
    pub secret_key: String,
    pub host: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    layout: Layout,
    access: ProjectAccess,
    tabs: SettingsTabs,
    can_manage: bool,
    keys: Vec<KeyRow>,
    created: Option<CreatedKey>,
    oob: bool,
}

#[derive(Template)]
#[template(path = "api_key_created_partial.html")]
struct CreatedPartial {
    created: Option<CreatedKey>,
    keys: Vec<KeyRow>,
    can_manage: bool,
    csrf: String,
    oob: bool,
}

fn key_rows(access: &ProjectAccess, keys: Vec<ApiKey>) -> Vec<KeyRow> {
    keys.into_iter()
        .map(|key| KeyRow {
            revoke_url: format!(
                "{}/{}/revoke",
                urls::project_section(&access.project.id, "settings/api-keys"),
                urls::segment(key.id.as_str())
            ),
            public_key: key.public_key,
            display_secret_key: key.display_secret_key,
            note: key.note.unwrap_or_default(),
            created: time(key.created_at),
            last_used: key.last_used_at.map(time),
        })
        .collect()
}

/// The base URL SDKs should send to: the configured public URL, else the request's host.
fn host(state: &WebState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config().public_url {
        return url.clone();
    }
    let scheme = if state.config().secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost:3000");
    format!("{scheme}://{host}")
}

async fn keys_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    created: Option<CreatedKey>,
) -> WebResult<Response> {
    let keys = key_rows(
        &access,
        state
            .store()
            .metadata()
            .list_api_keys(&access.project.id)
            .await?,
    );
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    page(&ApiKeysPage {
        layout,
        tabs: SettingsTabs::of(&access),
        can_manage: access.can(ProjectScope::ApiKeysCud),
        access,
        keys,
        created,
        oob: false,
    })
}

pub async fn get_api_keys(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ApiKeysRead,
    )
    .await?;
    keys_page(&state, &signed_in, &csrf, access, None).await
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    note: Option<String>,
}

pub async fn post_api_key(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<NewKeyForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ApiKeysCud,
    )
    .await?;
    let note = non_empty(form.note.as_deref()).map(str::to_owned);
    let created_key =
        identity::create_api_key(state.store(), state.app().salt(), &access.project.id, note)
            .await?;
    tracing::info!(project.id = %access.project.id, api_key.id = %created_key.key.id, "API key created");
    let created = CreatedKey {
        public_key: created_key.key.public_key.clone(),
        secret_key: created_key.secret_key,
        host: host(&state, &headers),
    };
    if is_htmx(&headers) {
        let keys = key_rows(
            &access,
            state
                .store()
                .metadata()
                .list_api_keys(&access.project.id)
                .await?,
        );
        return page(&CreatedPartial {
            created: Some(created),
            keys,
            can_manage: true,
            csrf: csrf.0,
            oob: true,
        });
    }
    let mut response = keys_page(&state, &signed_in, &csrf, access, Some(created)).await?;
    // The page holds a secret: never cache it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
    Ok(response)
}

pub async fn post_api_key_revoke(
    State(state): State<WebState>,
    Path((project_id, key_id)): Path<(String, String)>,
    headers: HeaderMap,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ApiKeysCud,
    )
    .await?;
    let keys = state
        .store()
        .metadata()
        .list_api_keys(&access.project.id)
        .await?;
    let key = keys
        .iter()
        .find(|key| key.id.as_str() == key_id)
        .ok_or(WebError::NotFound)?;
    state
        .app()
        .revoke_api_key(key.id.as_str())
        .await
        .map_err(WebError::from)?;
    tracing::info!(project.id = %access.project.id, api_key.id = %key.id, "API key revoked");
    if is_htmx(&headers) {
        // The row is swapped out for nothing.
        return Ok(().into_response());
    }
    Ok(see_other(&urls::project_section(
        &access.project.id,
        "settings/api-keys",
    )))
}
