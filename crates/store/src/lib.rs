//! Sightline's storage: the [`Store`] every other crate talks to, which composes a metadata
//! store and an event store (`roles.rs`), and [`SqlStore`], the relational implementation of
//! both roles on SQLite (embedded, the default) or PostgreSQL (shared by several replicas). Each
//! backend has its own plain-SQL migrations under `migrations/<backend>/`, applied by
//! [`Store::migrate`]. Code is one folder per entity; `sql/` holds the statement builder and
//! the dialect differences.
//!
//! One behavioural suite (`tests/conformance.rs`) runs against both backends; its
//! `event_store.rs` is the contract of the event store.

pub mod accounts;
pub mod annotation_queues;
pub mod audit;
pub mod batch_actions;
pub mod blob_integrations;
pub mod comments;
pub mod dashboards;
pub mod datasets;
mod error;
pub mod evals;
pub mod experiments;
pub mod exports;
mod filter;
pub mod identity;
pub mod jobs;
pub mod llm_connections;
pub mod llm_definitions;
pub mod media;
pub mod metrics;
pub mod models;
pub mod observations;
pub mod org_keys;
pub mod prompts;
mod roles;
pub mod score_configs;
pub mod scores;
pub mod sessions;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
pub mod traces;
pub mod users;

pub use accounts::{Invitation, ProjectRoleOverride, WebSession};
pub use audit::{AuditEntry, AuditQuery, AuditStore};
pub use batch_actions::{BatchAction, BatchActionStore};
pub use blob_integrations::{BlobIntegration, BlobIntegrationStore};
pub use comments::{Comment, CommentObjectType, CommentQuery, CommentTarget};
pub use datasets::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem,
    ExperimentLink,
};
pub use error::{StoreError, StoreResult};
pub use evals::{
    EvalStore, EvaluationRule, Evaluator, EvaluatorVersion, ExecutionQuery, ExecutionUpdate,
    JobExecution, NewExecution, RuleEvaluator, RuleStats,
};
pub use experiments::{
    Experiment, ExperimentItem, ExperimentItemQuery, ExperimentObservation, ExperimentQuery,
    ExperimentTrace, RunItemFilter, RunItemRef, RunItemResult, RunSummary, SpanPayload, TraceScore,
    TraceTotals,
};
pub use exports::{BatchExport, ExportStatus, ExportStore};
pub use filter::{FilterList, MAX_LIST_VALUES, check_filter};
pub use identity::{
    ApiKey, ApiKeyCredentials, IdentityStore, InitialSetup, NewApiKey, NewProject, NewUser,
    OrgMember, Organization, Project, ProjectWithOrg, User,
};
pub use jobs::{Job, JobStatus, JobStore, NewJob};
pub use llm_connections::{DefaultLlmModel, LlmConnection, LlmConnectionStore};
pub use llm_definitions::{DefinitionKind, LlmDefinition, LlmDefinitionStore};
pub use media::{Media, MediaStore, MediaTarget, UploadReport};
pub use metrics::{DAY_MS, DailyMetrics, DailyModelUsage, MetricsQuery};
pub use observations::StoredObservation;
pub use observations::payload::PayloadCodec;
pub use observations::{ObservationCursor, ObservationQuery};
pub use org_keys::{OrgApiKey, OrgKeyStore};
pub use prompts::{
    NewPromptVersion, PromptListQuery, PromptSelector, PromptSummary, PromptVersion,
    PromptVersionUsage, ScoreAverage,
};
pub use roles::{EventStore, Lifecycle, MetadataStore, Store};
pub use score_configs::{ConfigCategory, ScoreConfig};
pub use scores::ScoreRow;
pub use scores::{ScoreCursor, ScoreQuery, ScoreTrace, ScoreWithTrace, ValueOperator};
pub use sessions::{SessionQuery, SessionRow, SessionStore};
pub use sql::SqlStore;
pub use sql::sqlite::Synchronous;
pub use traces::{EncodedObservation, StoredTrace};
pub use traces::{ObservationOutline, ObservationSummary, TraceOrderColumn, TraceQuery};
pub use users::{TotalsQuery, TraceGroup, UsageTotals, UserQuery, UserRow};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
    pub url: String,
    /// Upper bound on pooled connections.
    pub max_connections: u32,
    /// SQLite only: how hard a commit waits for the disk.
    pub sqlite_synchronous: Synchronous,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            sqlite_synchronous: Synchronous::Full,
        }
    }
}

/// Opens the store that `options.url` names, in both roles. Does not migrate; call
/// [`Store::migrate`].
pub async fn open(options: &StoreOptions) -> StoreResult<Store> {
    Ok(Store::relational(SqlStore::open(options).await?))
}

pub use accounts::AccountStore;
pub use annotation_queues::AnnotationQueueStore;
pub use comments::{CommentStore, CommentTargetStore};
pub use dashboards::DashboardStore;
pub use datasets::DatasetStore;
pub use experiments::{ExperimentEventStore, ExperimentRunStore};
pub use metrics::{MetricsRow, MetricsStore, ScorePair, fills_gaps};
pub use models::ModelStore;
pub use observations::ObservationReadStore;
pub use prompts::{PromptStore, PromptUsageStore};
pub use score_configs::ScoreConfigStore;
pub use scores::ScoreReadStore;
pub use traces::{
    Entity, EntityKey, EventRows, EventWrite, EventWriteStore, LoggedEvent, TraceReadStore,
    TracingStore,
};
pub use users::UserStatsStore;
