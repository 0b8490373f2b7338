//! Instance settings and the one-time setup of a fresh instance (first organization, project,
//! owner and key pair), for [`super::IdentityStore`] on the relational store.

use sightline_domain::time::now_ms;

use super::InitialSetup;
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Db, Sql};

/// The setting whose presence means the instance was initialized (its value: when).
const INITIALIZED: &str = "initialized";

fn insert_setting_if_absent(key: &str, value: &str) -> Sql {
    Sql::text(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
}

pub(super) async fn setting(db: &Db, key: &str) -> StoreResult<Option<String>> {
    let sql = Sql::text("SELECT value FROM instance_settings WHERE key = $1").bind(key);
    let value: Option<(String,)> = db.fetch_optional(&sql).await?;
    Ok(value.map(|(value,)| value))
}

pub(super) async fn setting_or_insert(db: &Db, key: &str, value: &str) -> StoreResult<String> {
    db.execute(&insert_setting_if_absent(key, value)).await?;
    setting(db, key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("setting '{key}' vanished after insert")))
}

pub(super) async fn mark_initialized(db: &Db) -> StoreResult<()> {
    db.execute(&insert_setting_if_absent(
        INITIALIZED,
        &now_ms().to_string(),
    ))
    .await?;
    Ok(())
}

/// Claims the `initialized` setting first, in the same transaction as the inserts, so that of
/// several replicas starting at once exactly one creates the setup.
pub(super) async fn create_initial_setup(db: &Db, setup: &InitialSetup) -> StoreResult<bool> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let claimed = tx
        .execute(&insert_setting_if_absent(INITIALIZED, &now.to_string()))
        .await?
        == 1;
    if !claimed {
        return Ok(false);
    }
    let (organizations,): (i64,) = tx
        .fetch_one(&Sql::text("SELECT COUNT(*) FROM organizations"))
        .await?;
    if organizations > 0 {
        tx.commit().await?;
        return Ok(false);
    }
    let org = Sql::text(
        "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(setup.organization_id.as_str())
    .bind(&setup.organization_name)
    .bind(now);
    tx.execute(&org).await?;

    let project = &setup.project;
    let project = Sql::text(
        "INSERT INTO projects (id, org_id, name, retention_days, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(project.id.as_str())
    .bind(setup.organization_id.as_str())
    .bind(&project.name)
    .bind(project.retention_days)
    .bind(now);
    tx.execute(&project).await?;

    // The owner may exist already (a user kept from before); then that user becomes owner.
    let owner = &setup.owner;
    let user = Sql::text(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(owner.id.as_str())
    .bind(owner.email.as_str())
    .bind(&owner.name)
    .bind(&owner.password_hash)
    .bind(now);
    tx.execute(&user).await?;
    let membership = Sql::text(
        "INSERT INTO organization_memberships (org_id, user_id, role, created_at, updated_at) \
         SELECT $1, id, 'OWNER', $3, $3 FROM users WHERE email = $2",
    )
    .bind(setup.organization_id.as_str())
    .bind(owner.email.as_str())
    .bind(now);
    tx.execute(&membership).await?;

    let key = &setup.api_key;
    let key = Sql::text(
        "INSERT INTO api_keys \
           (id, project_id, public_key, secret_hash, display_secret_key, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key.id.as_str())
    .bind(key.project_id.as_str())
    .bind(&key.public_key)
    .bind(key.secret_hash.as_str())
    .bind(&key.display_secret_key)
    .bind(&key.note)
    .bind(now);
    tx.execute(&key)
        .await
        .map_err(|e| constraint(e, "API key"))?;
    tx.commit().await?;
    Ok(true)
}
