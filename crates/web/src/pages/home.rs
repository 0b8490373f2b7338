//! The entry point: `/ui` goes to the user's first project. A project's home is its traces
//! table (`traces.rs`).

use axum::extract::State;
use axum::response::Response;

use crate::error::WebResult;
use crate::pages::see_other;
use crate::rbac;
use crate::session::MaybeSignedIn;
use crate::state::WebState;
use crate::urls;

/// `/` and `/ui`: the first project the user may read, else the organizations page; visitors go
/// to sign in.
pub async fn get_root(
    State(state): State<WebState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> WebResult<Response> {
    let Some(signed_in) = signed_in else {
        return Ok(see_other(urls::SIGN_IN));
    };
    let store = state.store();
    for (org, _) in store
        .metadata()
        .organizations_of_user(&signed_in.user.id)
        .await?
    {
        let projects = rbac::readable_projects(store, &signed_in.user, &org.id).await?;
        if let Some((project, _)) = projects.first() {
            return Ok(see_other(&urls::project(&project.id)));
        }
    }
    Ok(see_other(urls::ORGANIZATIONS))
}
