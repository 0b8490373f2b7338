//! Accounts and memberships as plain service functions (no HTTP types): sign-up with the
//! first-user rule, sign-in with rate limiting, password changes, invitations and role changes.
//! Handlers in `pages/` call these after `rbac.rs` has checked access.

use std::sync::LazyLock;
use std::time::Duration;

use sightline_domain::password::{self, PasswordError};
use sightline_domain::time::now_ms;
use sightline_domain::{Email, ProjectId, Role, UserId};
use sightline_server::services::identity::{self, DEFAULT_OWNER_EMAIL, IdentityError};
use sightline_store::{Invitation, NewUser, Store, StoreError, User};

use crate::rate_limit::SignInLimiter;
use crate::rbac::OrgAccess;

/// Who may sign up, as the sign-up page and docs state it.
pub const SIGN_UP_RULE: &str = "The first person to sign up on a new instance becomes OWNER of its \
organizations (normally the default one), unless someone has already signed in or a user other \
than the generated default owner exists. After that, sign-up is by invitation: an ADMIN or OWNER \
invites an email address, and the person with that address signs up (or signs in) and joins.";

/// The instance setting claimed by the first sign-up or sign-in (value: the user's id).
const CLAIM_SETTING: &str = "ui_claimed_by";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    #[error(
        "Sign-up is by invitation. Ask an admin of your organization to invite this email address."
    )]
    InvitationRequired,
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("Too many sign-in attempts. Try again in {} minutes.", .0.as_secs().div_ceil(60))]
    RateLimited(Duration),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PasswordError> for AccountError {
    fn from(error: PasswordError) -> Self {
        AccountError::Invalid(error.to_string())
    }
}

pub type AccountResult<T> = Result<T, AccountError>;

/// A hash to verify against when the email is unknown, so both cases take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    password::hash_password("not a password of anyone").expect("hashing a constant works")
});

async fn hash_password(raw: &str) -> AccountResult<String> {
    let raw = raw.to_owned();
    tokio::task::spawn_blocking(move || password::hash_password(&raw))
        .await
        .map_err(|_| AccountError::Invalid("the password could not be hashed".into()))?
        .map_err(Into::into)
}

async fn verify_password(raw: &str, hash: Option<&str>) -> bool {
    let (raw, hash, known) = (raw.to_owned(), hash.map(str::to_owned), hash.is_some());
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        password::verify_password(&raw, &hash) && known
    })
    .await
    .unwrap_or(false)
}

/// Whether a sign-up now would claim the instance: nobody claimed it yet, and no user exists
/// but the generated default owner.
async fn claimable(store: &Store) -> AccountResult<bool> {
    if store.metadata().setting(CLAIM_SETTING).await?.is_some() {
        return Ok(false);
    }
    Ok(store
        .metadata()
        .list_users()
        .await?
        .iter()
        .all(|user| user.email.as_str() == DEFAULT_OWNER_EMAIL))
}

/// Whether the sign-up page is open to anyone (the instance is unclaimed).
pub async fn sign_up_open(store: &Store) -> AccountResult<bool> {
    claimable(store).await
}

/// Creates an account under [`SIGN_UP_RULE`] and returns the user.
pub async fn sign_up(
    store: &Store,
    email: &Email,
    name: Option<&str>,
    raw_password: &str,
) -> AccountResult<User> {
    let password_hash = hash_password(raw_password).await?;
    if store.metadata().user_by_email(email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let invitations = store.metadata().invitations_for_email(email).await?;
    let id = UserId::generate();
    let claimed = claimable(store).await?
        && store
            .metadata()
            .setting_or_insert(CLAIM_SETTING, id.as_str())
            .await?
            == id.as_str();
    if !claimed && invitations.is_empty() {
        return Err(AccountError::InvitationRequired);
    }
    let user = store
        .metadata()
        .insert_user(&NewUser {
            id,
            email: email.clone(),
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            password_hash: Some(password_hash),
        })
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => AccountError::EmailTaken,
            other => other.into(),
        })?;
    if claimed {
        for org in store.metadata().list_organizations().await? {
            store
                .metadata()
                .set_org_role(&org.id, &user.id, Role::Owner)
                .await?;
        }
        tracing::info!(user.id = %user.id, "first sign-up claimed the instance");
    }
    accept_invitations(store, &user).await?;
    Ok(user)
}

/// Checks email and password, under the rate limit; `ip` is the client's address when known.
pub async fn sign_in(
    store: &Store,
    limiter: &SignInLimiter,
    raw_email: &str,
    raw_password: &str,
    ip: Option<&str>,
) -> AccountResult<User> {
    let email_key = raw_email.trim().to_lowercase();
    limiter
        .check(Some(&email_key), ip)
        .map_err(AccountError::RateLimited)?;
    let user = match Email::parse(raw_email) {
        Ok(email) => store.metadata().user_by_email(&email).await?,
        Err(_) => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
    if !verify_password(raw_password, hash).await {
        limiter.record_failure(Some(&email_key), ip);
        return Err(AccountError::WrongCredentials);
    }
    let user = user.expect("a verified password belongs to a user");
    limiter.record_success(&email_key);
    store
        .metadata()
        .setting_or_insert(CLAIM_SETTING, user.id.as_str())
        .await?;
    accept_invitations(store, &user).await?;
    store
        .metadata()
        .delete_expired_web_sessions(now_ms())
        .await?;
    Ok(user)
}

/// Changes the password after checking the current one, and ends the user's other sessions.
pub async fn change_password(
    store: &Store,
    user: &User,
    current: &str,
    new: &str,
    keep_session: &str,
) -> AccountResult<()> {
    if !verify_password(current, user.password_hash.as_deref()).await {
        return Err(AccountError::Invalid(
            "The current password is wrong.".into(),
        ));
    }
    let hash = hash_password(new).await?;
    store.metadata().set_user_password(&user.id, &hash).await?;
    store
        .metadata()
        .delete_user_web_sessions(&user.id, Some(keep_session))
        .await?;
    Ok(())
}

/// Turns the user's pending invitations into memberships (an existing membership keeps its
/// role) and deletes them.
pub async fn accept_invitations(store: &Store, user: &User) -> AccountResult<()> {
    for invitation in store.metadata().invitations_for_email(&user.email).await? {
        if store
            .metadata()
            .org_role(&invitation.org_id, &user.id)
            .await?
            .is_none()
        {
            store
                .metadata()
                .set_org_role(&invitation.org_id, &user.id, invitation.org_role)
                .await?;
            if let Some((project, role)) = &invitation.project {
                store
                    .metadata()
                    .set_project_role(project, &user.id, Some(*role))
                    .await?;
            }
        }
        store
            .metadata()
            .delete_invitation(&invitation.org_id, &invitation.id)
            .await?;
    }
    Ok(())
}

/// What inviting an address did.
#[derive(Debug, PartialEq, Eq)]
pub enum Invited {
    /// The address has an account; it is a member now.
    Added,
    /// An invitation waits for the address to sign up or sign in.
    Pending,
}

fn check_grant(actor: &OrgAccess, role: Role) -> AccountResult<()> {
    if role.rank() > actor.role.rank() {
        return Err(AccountError::Forbidden(
            "You can only grant roles up to your own.",
        ));
    }
    Ok(())
}

/// Invites `email` into the organization with `role`, and optionally a project override.
pub async fn invite(
    store: &Store,
    actor: &OrgAccess,
    inviter: &User,
    email: &Email,
    role: Role,
    project: Option<(ProjectId, Role)>,
) -> AccountResult<Invited> {
    check_grant(actor, role)?;
    if let Some((project_id, project_role)) = &project {
        check_grant(actor, *project_role)?;
        let belongs = store
            .metadata()
            .project(project_id)
            .await?
            .is_some_and(|found| found.organization.id == actor.org.id);
        if !belongs {
            return Err(AccountError::NotFound);
        }
    }
    if let Some(user) = store.metadata().user_by_email(email).await? {
        if store
            .metadata()
            .org_role(&actor.org.id, &user.id)
            .await?
            .is_some()
        {
            return Err(AccountError::Invalid(format!(
                "{email} is already a member; change their role in the list."
            )));
        }
        store
            .metadata()
            .set_org_role(&actor.org.id, &user.id, role)
            .await?;
        if let Some((project_id, project_role)) = &project {
            store
                .metadata()
                .set_project_role(project_id, &user.id, Some(*project_role))
                .await?;
        }
        return Ok(Invited::Added);
    }
    store
        .metadata()
        .upsert_invitation(&Invitation {
            id: uuid::Uuid::new_v4().to_string(),
            org_id: actor.org.id.clone(),
            email: email.clone(),
            org_role: role,
            project,
            invited_by: Some(inviter.id.clone()),
            created_at: now_ms(),
        })
        .await?;
    Ok(Invited::Pending)
}

/// The identity service's refusals as the members page shows them: a conflict (the last-owner
/// rule) or an invalid request is a message on the page.
fn from_identity(error: IdentityError) -> AccountError {
    match error {
        IdentityError::Invalid(message) | IdentityError::Conflict(message) => {
            AccountError::Invalid(message)
        }
        IdentityError::NotFound(_) => AccountError::NotFound,
        IdentityError::Store(error) => AccountError::Store(error),
    }
}

/// The target's current role, checked to be one the actor may change.
async fn changeable_role(store: &Store, actor: &OrgAccess, target: &UserId) -> AccountResult<Role> {
    let current = store
        .metadata()
        .org_role(&actor.org.id, target)
        .await?
        .ok_or(AccountError::NotFound)?;
    if current.rank() > actor.role.rank() {
        return Err(AccountError::Forbidden(
            "You cannot change a member whose role is above yours.",
        ));
    }
    Ok(current)
}

/// Changes a member's organization role. The identity service (the store, in the write's
/// transaction) refuses to demote the last OWNER.
pub async fn set_member_role(
    store: &Store,
    actor: &OrgAccess,
    target: &UserId,
    role: Role,
) -> AccountResult<()> {
    check_grant(actor, role)?;
    changeable_role(store, actor, target).await?;
    identity::change_member_role(store, &actor.org.id, target, role)
        .await
        .map_err(from_identity)
}

/// Sets (`Some`) or removes (`None`) a member's override on one of the organization's projects.
pub async fn set_project_role(
    store: &Store,
    actor: &OrgAccess,
    project: &ProjectId,
    target: &UserId,
    role: Option<Role>,
) -> AccountResult<()> {
    if let Some(role) = role {
        check_grant(actor, role)?;
    }
    changeable_role(store, actor, target).await?;
    let belongs = store
        .metadata()
        .project(project)
        .await?
        .is_some_and(|found| found.organization.id == actor.org.id);
    if !belongs {
        return Err(AccountError::NotFound);
    }
    store
        .metadata()
        .set_project_role(project, target, role)
        .await?;
    Ok(())
}

/// Removes a member (and their project overrides) from the organization. The identity service
/// (the store, in the write's transaction) refuses to remove the last OWNER.
pub async fn remove_member(store: &Store, actor: &OrgAccess, target: &UserId) -> AccountResult<()> {
    changeable_role(store, actor, target).await?;
    identity::remove_member(store, &actor.org.id, target)
        .await
        .map_err(from_identity)?;
    Ok(())
}
