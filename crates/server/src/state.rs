//! What every handler shares: the store, the API key cache and the server's own settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sightline_store::{Store, StoreResult};

use crate::services::evals::trigger::EvalTriggers;
use crate::services::ingest::ParseTurns;
use crate::services::ingest::rules::Rules;
use crate::services::ingest::writer::IngestWriter;
use crate::services::llm_connections::LlmSettings;
use crate::services::prompts::PromptCache;

use crate::auth::KeyCache;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    salt: String,
    keys: KeyCache,
    rules: Arc<Rules>,
    writer: IngestWriter,
    parse_turns: ParseTurns,
    prompts: PromptCache,
    llm: LlmSettings,
    eval_triggers: Arc<EvalTriggers>,
    shutting_down: AtomicBool,
}

/// Payload that may wait for the ingestion writer before requests are turned away (429/503).
pub const INGEST_QUEUE_BYTES: usize = 128 * 1024 * 1024;

impl AppState {
    /// `salt` is the server-wide salt API key secrets are hashed with. Starts the ingestion
    /// writer, so it must be called inside a Tokio runtime.
    pub fn new(store: Store, salt: String) -> Self {
        Self::with_queue(store, salt, INGEST_QUEUE_BYTES)
    }

    /// Like [`AppState::new`] with an explicit ingestion queue budget in bytes.
    pub fn with_queue(store: Store, salt: String, queue_bytes: usize) -> Self {
        Self::with_settings(store, salt, queue_bytes, LlmSettings::default())
    }

    /// Like [`AppState::with_queue`], with the LLM features' settings (`ENCRYPTION_KEY`'s
    /// cipher and the provider client's SSRF allow-list).
    pub fn with_settings(store: Store, salt: String, queue_bytes: usize, llm: LlmSettings) -> Self {
        let rules = Arc::new(Rules::new());
        let eval_triggers = Arc::new(EvalTriggers::default());
        let writer = IngestWriter::spawn(
            store.clone(),
            rules.clone(),
            eval_triggers.clone(),
            queue_bytes,
        );
        Self {
            inner: Arc::new(Inner {
                store,
                salt,
                keys: KeyCache::default(),
                rules,
                writer,
                parse_turns: ParseTurns::default(),
                prompts: PromptCache::default(),
                llm,
                eval_triggers,
                shutting_down: AtomicBool::new(false),
            }),
        }
    }

    pub fn writer(&self) -> &IngestWriter {
        &self.inner.writer
    }

    /// Turns to parse ingestion requests ([`crate::services::ingest::PARSE_CONCURRENCY`]).
    pub fn parse_turns(&self) -> &ParseTurns {
        &self.inner.parse_turns
    }

    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    /// Resolved prompts of this process (`services/prompts.rs`).
    pub fn prompts(&self) -> &PromptCache {
        &self.inner.prompts
    }

    /// The LLM connections' cipher and provider client.
    pub fn llm(&self) -> &LlmSettings {
        &self.inner.llm
    }

    /// The evaluation rules' triggers and the workers' wake-up (`services/evals/trigger.rs`).
    pub fn eval_triggers(&self) -> &EvalTriggers {
        &self.inner.eval_triggers
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A shared handle to the store, for work that outlives the request.
    pub fn store_handle(&self) -> Store {
        self.inner.store.clone()
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
        let by_public_key = self
            .store()
            .metadata()
            .api_key_credentials(id_or_public_key)
            .await?;
        let deleted = self
            .store()
            .metadata()
            .delete_api_key(id_or_public_key)
            .await?;
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
