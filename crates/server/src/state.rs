//! What every handler shares: the store, the API key cache and the server's own settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sightline_store::{Store, StoreResult};

use crate::auth::KeyCache;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    salt: String,
    keys: KeyCache,
    shutting_down: AtomicBool,
}

impl AppState {
    /// `salt` is the server-wide salt API key secrets are hashed with.
    pub fn new(store: Arc<dyn Store>, salt: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                salt,
                keys: KeyCache::default(),
                shutting_down: AtomicBool::new(false),
            }),
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    pub fn salt(&self) -> &str {
        &self.inner.salt
    }

    pub fn keys(&self) -> &KeyCache {
        &self.inner.keys
    }

    /// Deletes the key with this row id or public key and stops honouring it in this process at
    /// once (other processes within the key cache's TTL). Returns whether a key was deleted.
    pub async fn revoke_api_key(&self, id_or_public_key: &str) -> StoreResult<bool> {
        let by_public_key = self.store().api_key_credentials(id_or_public_key).await?;
        let deleted = self.store().delete_api_key(id_or_public_key).await?;
        match by_public_key {
            Some(credentials) => self.keys().forget(&credentials.id),
            None => self
                .keys()
                .forget(&sightline_domain::ApiKeyId::from_trusted(
                    id_or_public_key.to_owned(),
                )),
        }
        Ok(deleted)
    }

    pub fn begin_shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::Relaxed);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::Relaxed)
    }
}
