//! What every handler shares: the store, the API key cache and the server's own settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sightline_store::{Store, StoreResult};

use crate::services::blobs::Blobs;
use crate::services::evals::trigger::EvalTriggers;
use crate::services::ingest::ParseTurns;
use crate::services::ingest::rules::Rules;
use crate::services::ingest::writer::IngestWriter;
use crate::services::llm_connections::LlmSettings;
use crate::services::media::UrlSigner;
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
    blobs: Blobs,
    url_signer: UrlSigner,
    public_url: Option<String>,
    shutting_down: AtomicBool,
}

/// The server's settings besides the store and salt.
#[derive(Clone)]
pub struct Settings {
    /// Payload that may wait for the ingestion writer ([`INGEST_QUEUE_BYTES`]).
    pub queue_bytes: usize,
    /// `ENCRYPTION_KEY`'s cipher and the provider client's SSRF allow-list.
    pub llm: LlmSettings,
    /// Where media and exports are kept.
    pub blobs: Blobs,
    /// `NEXTAUTH_URL`: where clients reach this server, for the URLs it hands out; without
    /// it, the request's `Host`.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            queue_bytes: INGEST_QUEUE_BYTES,
            llm: LlmSettings::default(),
            blobs: Blobs::default(),
            public_url: None,
        }
    }
}

/// Payload that may wait for the ingestion writer before requests are turned away (429/503).
pub const INGEST_QUEUE_BYTES: usize = 128 * 1024 * 1024;

impl AppState {
    /// `salt` is the server-wide salt API key secrets are hashed with. Starts the ingestion
    /// writer, so it must be called inside a Tokio runtime.
    pub fn new(store: Store, salt: String) -> Self {
        Self::with_settings(store, salt, Settings::default())
    }

    /// Like [`AppState::new`] with an explicit ingestion queue budget in bytes.
    pub fn with_queue(store: Store, salt: String, queue_bytes: usize) -> Self {
        Self::with_settings(
            store,
            salt,
            Settings {
                queue_bytes,
                ..Settings::default()
            },
        )
    }

    /// Like [`AppState::new`], with the server's [`Settings`].
    pub fn with_settings(store: Store, salt: String, settings: Settings) -> Self {
        let rules = Arc::new(Rules::new());
        let eval_triggers = Arc::new(EvalTriggers::default());
        let writer = IngestWriter::spawn(
            store.clone(),
            rules.clone(),
            eval_triggers.clone(),
            settings.queue_bytes,
        );
        let url_signer = UrlSigner::new(&salt);
        Self {
            inner: Arc::new(Inner {
                store,
                salt,
                keys: KeyCache::default(),
                rules,
                writer,
                parse_turns: ParseTurns::default(),
                prompts: PromptCache::default(),
                llm: settings.llm,
                eval_triggers,
                blobs: settings.blobs,
                url_signer,
                public_url: settings
                    .public_url
                    .map(|url| url.trim_end_matches('/').to_owned()),
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

    /// Where media and exports are kept.
    pub fn blobs(&self) -> &Blobs {
        &self.inner.blobs
    }

    /// Signs URLs of media kept in a local directory.
    pub fn url_signer(&self) -> &UrlSigner {
        &self.inner.url_signer
    }

    /// `NEXTAUTH_URL` without a trailing slash, when set.
    pub fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
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
