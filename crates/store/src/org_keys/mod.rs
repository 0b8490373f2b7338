//! Organization-level API keys (metadata store, [`OrgKeyStore`]): the key pairs the admin API
//! accepts, stored like project keys (the secret hashed with the instance salt).

use async_trait::async_trait;
use sightline_domain::time::Millis;
use sightline_domain::{OrgId, SecretHash};

use crate::StoreResult;
use crate::sql::{Sql, SqlStore};

#[derive(Debug, Clone, PartialEq)]
pub struct OrgApiKey {
    pub id: String,
    pub org_id: OrgId,
    pub public_key: String,
    pub secret_hash: SecretHash,
    pub display_secret_key: String,
    pub note: Option<String>,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
}

#[async_trait]
pub trait OrgKeyStore: Send + Sync {
    async fn insert_org_api_key(&self, key: &OrgApiKey) -> StoreResult<()>;
    async fn org_api_key(&self, public_key: &str) -> StoreResult<Option<OrgApiKey>>;
    /// An organization's keys, newest first.
    async fn list_org_api_keys(&self, org: &OrgId) -> StoreResult<Vec<OrgApiKey>>;
    async fn delete_org_api_key(&self, org: &OrgId, id: &str) -> StoreResult<bool>;
}

const COLUMNS: &str =
    "id, org_id, public_key, secret_hash, display_secret_key, note, created_at, last_used_at";

#[derive(sqlx::FromRow)]
struct OrgKeySqlRow {
    id: String,
    org_id: String,
    public_key: String,
    secret_hash: String,
    display_secret_key: String,
    note: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<OrgKeySqlRow> for OrgApiKey {
    fn from(row: OrgKeySqlRow) -> Self {
        OrgApiKey {
            id: row.id,
            org_id: OrgId::from_trusted(row.org_id),
            public_key: row.public_key,
            secret_hash: SecretHash::from_trusted(row.secret_hash),
            display_secret_key: row.display_secret_key,
            note: row.note,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

#[async_trait]
impl OrgKeyStore for SqlStore {
    async fn insert_org_api_key(&self, key: &OrgApiKey) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO organization_api_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&key.id)
        .bind(key.org_id.as_str())
        .bind(&key.public_key)
        .bind(key.secret_hash.as_str())
        .bind(&key.display_secret_key)
        .bind(&key.note)
        .bind(key.created_at)
        .bind(key.last_used_at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| crate::error::constraint(e, "an organization key"))?;
        Ok(())
    }

    async fn org_api_key(&self, public_key: &str) -> StoreResult<Option<OrgApiKey>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM organization_api_keys WHERE public_key = $1"
        ))
        .bind(public_key);
        let row: Option<OrgKeySqlRow> = self.db.fetch_optional(&sql).await?;
        Ok(row.map(Into::into))
    }

    async fn list_org_api_keys(&self, org: &OrgId) -> StoreResult<Vec<OrgApiKey>> {
        let sql = Sql::text(format!(
            "SELECT {COLUMNS} FROM organization_api_keys WHERE org_id = $1 \
             ORDER BY created_at DESC, id"
        ))
        .bind(org.as_str());
        let rows: Vec<OrgKeySqlRow> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_org_api_key(&self, org: &OrgId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM organization_api_keys WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }
}
