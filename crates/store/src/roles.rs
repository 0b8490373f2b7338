//! The two store roles and the [`Store`] that composes them.
//!
//! - The **metadata store** ([`MetadataStore`]) holds what people configure: identity, the web
//!   UI's accounts, prompts, datasets and their runs, score configs, comments, project models,
//!   dashboards, annotation queues.
//!   It is transactional and small.
//! - The **event store** ([`EventStore`]) holds what applications send: traces, observations
//!   and scores, and what derives from them (sessions, tag index, counters, outlines, usage
//!   lists, daily metrics, user stats, prompt usage, experiment results). It is large and
//!   append-heavy, and its writes are the final rows of the ingestion fold.
//!
//! No statement joins the two: where an answer needs both, the service layer asks each and
//! joins in memory. So a deployment can pair the relational metadata store with another event
//! store ([`Store::new`]); today one [`SqlStore`] plays both roles ([`Store::relational`]).

use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    AccountStore, AnnotationQueueStore, AuditStore, Backend, BatchActionStore,
    BlobIntegrationStore, CommentStore, CommentTargetStore, DashboardStore, DatasetStore,
    EvalStore, EventWriteStore, ExperimentEventStore, ExperimentRunStore, ExportStore,
    IdentityStore, JobStore, LlmConnectionStore, LlmDefinitionStore, MediaStore, MetricsStore,
    ModelStore, ObservationReadStore, OrgKeyStore, PromptStore, PromptUsageStore, ScoreConfigStore,
    ScoreReadStore, SessionStore, SqlStore, StoreResult, TraceReadStore, TracingStore,
    UserStatsStore,
};

/// What every store role does besides holding data.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    fn backend(&self) -> Backend;

    /// Applies pending migrations. Safe to call from several processes at once.
    async fn migrate(&self) -> StoreResult<()>;

    /// A round trip to the database.
    async fn ping(&self) -> StoreResult<()>;

    /// Closes the pool, waiting for checked-out connections to come back.
    async fn close(&self);
}

/// The metadata store role: every trait it implements.
pub trait MetadataStore:
    Lifecycle
    + IdentityStore
    + AccountStore
    + PromptStore
    + DatasetStore
    + ExperimentRunStore
    + ScoreConfigStore
    + CommentStore
    + ModelStore
    + DashboardStore
    + AnnotationQueueStore
    + LlmConnectionStore
    + JobStore
    + LlmDefinitionStore
    + EvalStore
    + OrgKeyStore
    + MediaStore
    + ExportStore
    + AuditStore
    + BlobIntegrationStore
    + BatchActionStore
    + 'static
{
}

impl<T> MetadataStore for T where
    T: Lifecycle
        + IdentityStore
        + AccountStore
        + PromptStore
        + DatasetStore
        + ExperimentRunStore
        + ScoreConfigStore
        + CommentStore
        + ModelStore
        + DashboardStore
        + AnnotationQueueStore
        + LlmConnectionStore
        + JobStore
        + LlmDefinitionStore
        + EvalStore
        + OrgKeyStore
        + MediaStore
        + ExportStore
        + AuditStore
        + BlobIntegrationStore
        + BatchActionStore
        + 'static
{
}

/// The event store role: every trait it implements. `tests/conformance/event_store.rs` is its
/// contract.
pub trait EventStore:
    Lifecycle
    + EventWriteStore
    + TracingStore
    + TraceReadStore
    + SessionStore
    + ObservationReadStore
    + ScoreReadStore
    + MetricsStore
    + UserStatsStore
    + PromptUsageStore
    + CommentTargetStore
    + ExperimentEventStore
    + 'static
{
}

impl<T> EventStore for T where
    T: Lifecycle
        + EventWriteStore
        + TracingStore
        + TraceReadStore
        + SessionStore
        + ObservationReadStore
        + ScoreReadStore
        + MetricsStore
        + UserStatsStore
        + PromptUsageStore
        + CommentTargetStore
        + ExperimentEventStore
        + 'static
{
}

/// Everything Sightline persists: a metadata store and an event store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    metadata: Arc<dyn MetadataStore>,
    events: Arc<dyn EventStore>,
    /// Both roles are the same database (migrated, pinged and closed once).
    one_database: bool,
}

impl Store {
    /// Pairs a metadata store with an event store of another kind.
    pub fn new(metadata: Arc<dyn MetadataStore>, events: Arc<dyn EventStore>) -> Store {
        Store {
            metadata,
            events,
            one_database: false,
        }
    }

    /// One relational database in both roles.
    pub fn relational(store: SqlStore) -> Store {
        let store = Arc::new(store);
        Store {
            metadata: store.clone(),
            events: store,
            one_database: true,
        }
    }

    pub fn metadata(&self) -> &dyn MetadataStore {
        self.metadata.as_ref()
    }

    pub fn events(&self) -> &dyn EventStore {
        self.events.as_ref()
    }

    /// The metadata store's backend (what `/api/public/health` and the logs name).
    pub fn backend(&self) -> Backend {
        self.metadata.backend()
    }

    /// Applies pending migrations of both roles. Safe to call from several processes at once.
    pub async fn migrate(&self) -> StoreResult<()> {
        self.metadata.migrate().await?;
        if !self.one_database {
            self.events.migrate().await?;
        }
        Ok(())
    }

    /// A round trip to each database.
    pub async fn ping(&self) -> StoreResult<()> {
        self.metadata.ping().await?;
        if !self.one_database {
            self.events.ping().await?;
        }
        Ok(())
    }

    /// Closes the pools, waiting for checked-out connections to come back.
    pub async fn close(&self) {
        self.metadata.close().await;
        if !self.one_database {
            self.events.close().await;
        }
    }
}
