//! Sightline's storage: the [`Store`] trait every other crate talks to, with SQLite (embedded,
//! the default) and PostgreSQL (shared by several replicas) implementations. Each backend has its
//! own plain-SQL migrations under `migrations/<backend>/`, applied by [`Store::migrate`].
//!
//! One behavioural suite (`tests/conformance.rs`) runs against both implementations.

mod accounts_model;
mod accounts_sql;
mod comments_model;
mod comments_sql;
mod datasets_model;
mod datasets_sql;
mod error;
mod experiments_model;
mod experiments_sql;
mod filter_sql;
mod metrics_model;
mod metrics_sql;
mod model;
mod observations_model;
mod observations_sql;
mod postgres;
mod prompt_reads_sql;
mod prompts_model;
mod prompts_sql;
mod reads_model;
mod reads_sql;
mod scores_model;
mod scores_sql;
mod shared;
mod sql_build;
mod sql_where;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod tracing_model;
mod tracing_sql;
mod users_model;
mod users_sql;

use std::sync::Arc;

use async_trait::async_trait;
use sightline_domain::cost::ModelDefinition;
use sightline_domain::time::Millis;
use sightline_domain::{ApiKeyId, Email, OrgId, ProjectId, Role, UserId};

pub use accounts_model::{Invitation, ProjectRoleOverride, WebSession};
pub use comments_model::{Comment, CommentObjectType, CommentQuery};
pub use datasets_model::{
    Dataset, DatasetItem, DatasetItemQuery, DatasetItemStatus, DatasetRun, DatasetRunItem,
    ExperimentLink,
};
pub use error::{StoreError, StoreResult};
pub use experiments_model::{
    Experiment, ExperimentItem, ExperimentItemQuery, ExperimentQuery, RunItemResult, RunSummary,
};
pub use metrics_model::{DAY_MS, DailyMetrics, DailyModelUsage, MetricsQuery};
pub use model::{
    ApiKey, ApiKeyCredentials, InitialSetup, NewApiKey, NewProject, NewUser, OrgMember,
    Organization, Project, ProjectWithOrg, User,
};
pub use observations_model::{ObservationCursor, ObservationQuery};
pub use postgres::PgStore;
pub use prompts_model::{
    NewPromptVersion, PromptListQuery, PromptSelector, PromptSummary, PromptVersion,
    PromptVersionUsage, ScoreAverage,
};
pub use reads_model::{
    ObservationOutline, ObservationSummary, SessionQuery, SessionRow, TraceOrderColumn, TraceQuery,
};
pub use scores_model::{
    ConfigCategory, ScoreConfig, ScoreCursor, ScoreQuery, ScoreTrace, ScoreWithTrace, ValueOperator,
};
pub use sqlite::{SqliteStore, Synchronous};
pub use tracing_model::{
    Entity, IngestionRules, IngestionWrite, LoggedEvent, ScoreRow, StoredObservation, StoredTrace,
};
pub use users_model::{TotalsQuery, TraceGroup, UsageTotals, UserQuery, UserRow};

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

/// Opens the store that `options.url` names. Does not migrate; call [`Store::migrate`].
pub async fn open(options: &StoreOptions) -> StoreResult<Arc<dyn Store>> {
    let url = options.url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(options).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(options).await?))
    } else {
        Err(StoreError::InvalidUrl(
            "expected a URL starting with sqlite:, postgres:// or postgresql://".into(),
        ))
    }
}

/// Traces, observations, scores and sessions: what ingestion writes and the API reads.
#[async_trait]
pub trait TracingStore: Send + Sync {
    /// Writes several requests' ingestion in one transaction (group commit): logs batch events
    /// and refolds their entities, upserts OTel observations, merges OTel trace data, upserts
    /// scores. Nothing is visible until all of it is committed.
    async fn write_ingestion(
        &self,
        writes: &[IngestionWrite],
        rules: &dyn IngestionRules,
    ) -> StoreResult<()>;
    async fn trace(&self, project: &ProjectId, id: &str) -> StoreResult<Option<StoredTrace>>;
    /// The trace's observations, by start time.
    async fn trace_observations(
        &self,
        project: &ProjectId,
        trace_id: &str,
    ) -> StoreResult<Vec<StoredObservation>>;
    async fn observation(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> StoreResult<Option<StoredObservation>>;
    async fn trace_scores(&self, project: &ProjectId, trace_id: &str)
    -> StoreResult<Vec<ScoreRow>>;
    async fn score(&self, project: &ProjectId, id: &str) -> StoreResult<Option<ScoreRow>>;

    /// The project's own model definitions (built-in ones are not stored).
    async fn project_models(&self, project: &ProjectId) -> StoreResult<Vec<ModelDefinition>>;
    /// Stores a project model; `definition.project_id` must be set.
    async fn insert_model(&self, definition: &ModelDefinition) -> StoreResult<()>;
    /// Deletes a project model; returns whether it existed.
    async fn delete_model(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}

/// Lists and deletes of traces and sessions for the read API.
#[async_trait]
pub trait TraceReadStore: Send + Sync {
    /// A page of traces and the number of all that match.
    async fn list_traces(
        &self,
        project: &ProjectId,
        query: &TraceQuery,
    ) -> StoreResult<(Vec<StoredTrace>, u64)>;
    /// Id, times and cost of every observation of the given traces.
    async fn observation_summaries(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationSummary>>;
    /// The observations of the given traces without their payloads, by start time (then id):
    /// the trace tree of the UI and the totals of a page of the traces table.
    async fn trace_observation_outlines(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<ObservationOutline>>;
    /// `(trace id, score id)` of every score of the given traces.
    async fn trace_score_ids(
        &self,
        project: &ProjectId,
        trace_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Deletes traces with their observations, scores and logged events; returns how many
    /// traces existed.
    async fn delete_traces(&self, project: &ProjectId, ids: &[String]) -> StoreResult<u64>;
    /// A page of sessions and the number of all that match.
    async fn list_sessions(
        &self,
        project: &ProjectId,
        query: &SessionQuery,
    ) -> StoreResult<(Vec<SessionRow>, u64)>;
}

/// Observation lists for the read API.
#[async_trait]
pub trait ObservationReadStore: Send + Sync {
    /// A page of observations, newest start first, and the number of all that match.
    async fn list_observations(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<StoredObservation>, u64)>;
    /// Up to `limit` observations after the cursor position (from the start without one), in
    /// `start_time DESC, trace_id DESC, id DESC` order.
    async fn observations_after(
        &self,
        project: &ProjectId,
        query: &ObservationQuery,
        after: Option<&ObservationCursor>,
        limit: u64,
    ) -> StoreResult<Vec<StoredObservation>>;
    /// The traces with these ids (those that exist).
    async fn traces_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<StoredTrace>>;
}

/// Lists and deletes of scores for the read API.
#[async_trait]
pub trait ScoreReadStore: Send + Sync {
    /// A page of scores, newest first, with their traces, and the number of all that match.
    async fn list_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<(Vec<ScoreWithTrace>, u64)>;
    /// A page of scores as [`ScoreReadStore::list_scores`] gives, without counting all that
    /// match (cursor lists: `query.after`, `offset` 0).
    async fn select_scores(
        &self,
        project: &ProjectId,
        query: &ScoreQuery,
    ) -> StoreResult<Vec<ScoreWithTrace>>;
    /// Deletes one score; returns whether it existed.
    async fn delete_score(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}

/// Score configs (wire-spec §5.7), project-scoped.
#[async_trait]
pub trait ScoreConfigStore: Send + Sync {
    async fn insert_score_config(&self, config: &ScoreConfig) -> StoreResult<()>;
    /// Stores every field but the id, project, data type and creation time; returns whether the
    /// config exists.
    async fn update_score_config(&self, config: &ScoreConfig) -> StoreResult<bool>;
    /// A page of configs, newest first, and the number of all.
    async fn list_score_configs(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<ScoreConfig>, u64)>;
    /// The configs with these ids (those that exist).
    async fn score_configs_by_id(
        &self,
        project: &ProjectId,
        ids: &[String],
    ) -> StoreResult<Vec<ScoreConfig>>;
}

/// Comments on traces, observations, sessions and prompts (wire-spec §5.8), project-scoped.
#[async_trait]
pub trait CommentStore: Send + Sync {
    async fn insert_comment(&self, comment: &Comment) -> StoreResult<()>;
    async fn comment(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Comment>>;
    /// A page of comments, newest first, and the number of all that match.
    async fn list_comments(
        &self,
        project: &ProjectId,
        query: &CommentQuery,
    ) -> StoreResult<(Vec<Comment>, u64)>;
    /// Whether the object a comment would reference exists (prompts are not checked).
    async fn comment_object_exists(
        &self,
        project: &ProjectId,
        object_type: CommentObjectType,
        object_id: &str,
    ) -> StoreResult<bool>;
}

/// Daily usage and cost metrics (wire-spec §5.5, `GET /metrics/daily`).
#[async_trait]
pub trait MetricsStore: Send + Sync {
    /// A page of days with traces, newest first, and the number of all such days.
    async fn daily_metrics(
        &self,
        project: &ProjectId,
        query: &MetricsQuery,
    ) -> StoreResult<(Vec<DailyMetrics>, u64)>;
}

/// Prompt versions, their labels and tags, protected labels, and the project's change counter
/// (wire-spec §6). Every write bumps the counter in its own transaction.
#[async_trait]
pub trait PromptStore: Send + Sync {
    /// Creates the next version of `new.name` (1 for a new name) in one transaction: moves
    /// `latest` and the given labels onto it, applies its tags (or the previous version's) to
    /// every version. Fails with [`StoreError::Conflict`] when earlier versions have another type.
    async fn create_prompt_version(&self, new: &NewPromptVersion) -> StoreResult<PromptVersion>;
    async fn prompt_version(
        &self,
        project: &ProjectId,
        name: &str,
        selector: &PromptSelector,
    ) -> StoreResult<Option<PromptVersion>>;
    /// A page of prompt names (ordered by name) with their matching versions, and the number
    /// of all names that match.
    async fn list_prompts(
        &self,
        project: &ProjectId,
        query: &PromptListQuery,
    ) -> StoreResult<(Vec<PromptSummary>, u64)>;
    /// Adds labels to a version, taking each off the version that held it; `None` when the
    /// version does not exist.
    async fn add_prompt_labels(
        &self,
        project: &ProjectId,
        name: &str,
        version: i64,
        labels: &[String],
    ) -> StoreResult<Option<PromptVersion>>;
    /// Deletes every version of the name, or the one a selector names; `latest` moves to the
    /// highest remaining version. Returns how many versions were deleted.
    async fn delete_prompts(
        &self,
        project: &ProjectId,
        name: &str,
        selector: Option<&PromptSelector>,
    ) -> StoreResult<u64>;
    /// Every version of the name, oldest first.
    async fn prompt_versions(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>>;
    /// Versions of other names whose content holds a composition tag naming `name` (callers
    /// parse the tags to see which version or label each refers to).
    async fn prompts_referencing(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersion>>;
    /// The project's protected labels, sorted.
    async fn protected_prompt_labels(&self, project: &ProjectId) -> StoreResult<Vec<String>>;
    /// Replaces the project's protected labels.
    async fn set_protected_prompt_labels(
        &self,
        project: &ProjectId,
        labels: &[String],
    ) -> StoreResult<()>;
    /// How many prompt writes the project has had (0 before the first).
    async fn prompt_change_counter(&self, project: &ProjectId) -> StoreResult<i64>;
    /// `(name, version, id)` of every version of these names.
    async fn prompt_ids(
        &self,
        project: &ProjectId,
        names: &[String],
    ) -> StoreResult<Vec<(String, i64, String)>>;
    /// Per version of the name, usage by the observations linked to it, by version.
    async fn prompt_usage(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersionUsage>>;
}

/// Datasets, versioned dataset items, dataset runs (experiments) and run items (wire-spec §7),
/// project-scoped. SDK experiment spans add runs and run items through ingestion
/// ([`IngestionWrite::experiments`]).
#[async_trait]
pub trait DatasetStore: Send + Sync {
    /// Creates the dataset, or updates description, metadata and schemas of the project's
    /// dataset with its name (id and creation time kept); returns what is stored.
    async fn upsert_dataset(&self, dataset: &Dataset) -> StoreResult<Dataset>;
    async fn dataset_by_name(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Option<Dataset>>;
    async fn dataset_by_id(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Dataset>>;
    /// A page of datasets, newest first, and the number of all.
    async fn list_datasets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dataset>, u64)>;
    /// Writes the next version of the item (`updated_at` is its start; the first version's
    /// `created_at` is kept) in one transaction; fails with [`StoreError::Conflict`] when the
    /// id's current version is in another dataset. Returns the stored version.
    async fn put_dataset_item(&self, item: &DatasetItem) -> StoreResult<DatasetItem>;
    /// The item's current version, whatever its status.
    async fn dataset_item(&self, project: &ProjectId, id: &str)
    -> StoreResult<Option<DatasetItem>>;
    /// A page of items (current, or as of a time), newest first, and the number that match.
    async fn list_dataset_items(
        &self,
        project: &ProjectId,
        query: &DatasetItemQuery,
    ) -> StoreResult<(Vec<DatasetItem>, u64)>;
    /// Ends the item's current version and deletes its run items; whether it existed.
    async fn delete_dataset_item(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
    /// `(dataset id, item id)` of the current ACTIVE items of the datasets, newest first.
    async fn active_dataset_item_ids(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Creates the run unless its dataset has one of that name (then the first one's id,
    /// description and metadata stay); returns the stored run.
    async fn create_or_get_dataset_run(&self, run: &DatasetRun) -> StoreResult<DatasetRun>;
    async fn dataset_run(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        name: &str,
    ) -> StoreResult<Option<DatasetRun>>;
    /// A page of a dataset's runs, newest first, and the number of all.
    async fn list_dataset_runs(
        &self,
        project: &ProjectId,
        dataset_id: &str,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRun>, u64)>;
    /// `(dataset id, run name)` of the datasets' runs, newest first.
    async fn dataset_run_names(
        &self,
        project: &ProjectId,
        dataset_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Deletes the run and its run items; whether it existed.
    async fn delete_dataset_run(&self, project: &ProjectId, run_id: &str) -> StoreResult<bool>;
    /// Stores a run item unless its run already links the same dataset item and trace (or the
    /// id exists); returns the stored run item.
    async fn insert_dataset_run_item(&self, item: &DatasetRunItem) -> StoreResult<DatasetRunItem>;
    /// The run's items, newest first (a page, or all without `limit`), and the number of all.
    async fn list_dataset_run_items(
        &self,
        project: &ProjectId,
        run_id: &str,
        limit: Option<u64>,
        offset: u64,
    ) -> StoreResult<(Vec<DatasetRunItem>, u64)>;
}

/// What the web UI adds to identity: sign-in sessions, organization invitations, membership
/// views, and edits of projects and organizations.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_web_session(&self, session: &WebSession) -> StoreResult<()>;
    /// The session with this token hash, with its user, unless it expired by `now`.
    async fn web_session(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> StoreResult<Option<(WebSession, User)>>;
    async fn extend_web_session(&self, token_hash: &str, expires_at: Millis) -> StoreResult<()>;
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Deletes the user's sessions but `keep`; returns how many were deleted.
    async fn delete_user_web_sessions(&self, user: &UserId, keep: Option<&str>)
    -> StoreResult<u64>;
    async fn delete_expired_web_sessions(&self, now: Millis) -> StoreResult<u64>;

    /// Creates the invitation, or replaces the roles of the organization's invitation of the
    /// same email; returns what is stored.
    async fn upsert_invitation(&self, invitation: &Invitation) -> StoreResult<Invitation>;
    /// The organization's pending invitations, by email.
    async fn list_invitations(&self, org: &OrgId) -> StoreResult<Vec<Invitation>>;
    async fn invitations_for_email(&self, email: &Email) -> StoreResult<Vec<Invitation>>;
    async fn delete_invitation(&self, org: &OrgId, id: &str) -> StoreResult<bool>;

    /// The organizations the user is a member of, with their role there, by name.
    async fn organizations_of_user(&self, user: &UserId) -> StoreResult<Vec<(Organization, Role)>>;
    /// Every per-project role override in the organization's projects.
    async fn project_role_overrides(&self, org: &OrgId) -> StoreResult<Vec<ProjectRoleOverride>>;
    /// Removes the user's membership and their project overrides in the organization.
    async fn remove_org_member(&self, org: &OrgId, user: &UserId) -> StoreResult<bool>;
    /// Sets name and retention; returns whether the project exists.
    async fn update_project(
        &self,
        project: &ProjectId,
        name: &str,
        retention_days: Option<i64>,
    ) -> StoreResult<bool>;
    /// Deletes the project with everything it holds; returns whether it existed.
    async fn delete_project(&self, project: &ProjectId) -> StoreResult<bool>;
    /// Deletes the organization with its projects (and everything they hold), memberships and
    /// invitations; returns whether it existed.
    async fn delete_organization(&self, org: &OrgId) -> StoreResult<bool>;
    /// Returns whether the organization exists.
    async fn rename_organization(&self, org: &OrgId, name: &str) -> StoreResult<bool>;
}

/// Experiment reads (wire-spec §7.3) over dataset runs and run items, with their traces,
/// observations and scores.
#[async_trait]
pub trait ExperimentStore: Send + Sync {
    /// Per run (in the order given): item count, average latency, total cost and the average
    /// of each score of the items' traces.
    async fn run_summaries(
        &self,
        project: &ProjectId,
        run_ids: &[String],
    ) -> StoreResult<Vec<RunSummary>>;
    /// Every run item of the runs with its output (the linked observation's, else the trace's),
    /// its trace's latency and cost, and the trace's scores.
    async fn run_item_results(
        &self,
        project: &ProjectId,
        run_ids: &[String],
    ) -> StoreResult<Vec<RunItemResult>>;
    /// A page of experiments (runs with items), latest activity first.
    async fn list_experiments(
        &self,
        project: &ProjectId,
        query: &ExperimentQuery,
    ) -> StoreResult<Vec<Experiment>>;
    /// A page of experiment items (run items with their observation), newest first.
    async fn list_experiment_items(
        &self,
        project: &ProjectId,
        query: &ExperimentItemQuery,
    ) -> StoreResult<Vec<ExperimentItem>>;
}

/// The users that traces name, and usage totals per user or per session (the UI's users and
/// sessions views).
#[async_trait]
pub trait UserStatsStore: Send + Sync {
    /// A page of the user ids traces name, most recently seen first, and the number of all
    /// that match.
    async fn list_trace_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
    ) -> StoreResult<(Vec<UserRow>, u64)>;
    /// The traces and observation usage of each of `query.keys` (user or session ids) that
    /// has traces in the range, by key.
    async fn usage_totals(
        &self,
        project: &ProjectId,
        group: TraceGroup,
        query: &TotalsQuery,
    ) -> StoreResult<Vec<UsageTotals>>;
}

/// Everything Sightline persists. Implementations are cheap to share (`Arc<dyn Store>`).
#[async_trait]
pub trait Store:
    TracingStore
    + TraceReadStore
    + ObservationReadStore
    + ScoreReadStore
    + ScoreConfigStore
    + CommentStore
    + MetricsStore
    + PromptStore
    + DatasetStore
    + ExperimentStore
    + AccountStore
    + UserStatsStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Applies pending migrations. Safe to call from several processes at once.
    async fn migrate(&self) -> StoreResult<()>;

    /// A round trip to the database.
    async fn ping(&self) -> StoreResult<()>;

    /// Closes the pool, waiting for checked-out connections to come back.
    async fn close(&self);

    // Instance settings.

    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;

    /// Stores `value` under `key` unless a value is there already; returns the value that is stored.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    /// Creates the first organization, project, owner and key pair, unless the instance was
    /// initialized before or already has an organization. Atomic across replicas; returns
    /// whether this call created them.
    async fn create_initial_setup(&self, setup: &InitialSetup) -> StoreResult<bool>;

    /// Records that the instance has been initialized (by headless initialization), so that no
    /// default organization is ever created.
    async fn mark_initialized(&self) -> StoreResult<()>;

    // Users.

    /// Fails with [`StoreError::Conflict`] when the email is taken.
    async fn insert_user(&self, user: &NewUser) -> StoreResult<User>;
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_user_password(&self, id: &UserId, password_hash: &str) -> StoreResult<()>;

    // Organizations.

    /// Fails with [`StoreError::Conflict`] when the id is taken.
    async fn insert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization>;
    /// Creates the organization or renames the existing one.
    async fn upsert_organization(&self, id: &OrgId, name: &str) -> StoreResult<Organization>;
    async fn organization(&self, id: &OrgId) -> StoreResult<Option<Organization>>;
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;

    // Projects.

    /// Fails with [`StoreError::Conflict`] when the id is taken, [`StoreError::NotFound`] when
    /// the organization does not exist.
    async fn insert_project(&self, project: &NewProject) -> StoreResult<Project>;
    /// Creates the project or updates name and retention of the existing one; fails with
    /// [`StoreError::Conflict`] when the id belongs to another organization.
    async fn upsert_project(&self, project: &NewProject) -> StoreResult<Project>;
    async fn project(&self, id: &ProjectId) -> StoreResult<Option<ProjectWithOrg>>;
    async fn list_projects(&self, org: Option<&OrgId>) -> StoreResult<Vec<Project>>;

    // Memberships.

    /// Adds the user to the organization with `role`, or changes the role they have there.
    async fn set_org_role(&self, org: &OrgId, user: &UserId, role: Role) -> StoreResult<()>;
    /// Sets a per-project override (`Some`) or removes it (`None`). The user must be an
    /// organization member first ([`StoreError::NotFound`] otherwise).
    async fn set_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: Option<Role>,
    ) -> StoreResult<()>;
    async fn org_role(&self, org: &OrgId, user: &UserId) -> StoreResult<Option<Role>>;
    /// The role the user has on the project: the override if any, else the organization role.
    async fn effective_project_role(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> StoreResult<Option<Role>>;
    async fn list_org_members(&self, org: &OrgId) -> StoreResult<Vec<OrgMember>>;

    // API keys.

    /// Fails with [`StoreError::Conflict`] when the public key or the secret is taken.
    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey>;
    async fn api_key_credentials(&self, public_key: &str)
    -> StoreResult<Option<ApiKeyCredentials>>;
    async fn list_api_keys(&self, project: &ProjectId) -> StoreResult<Vec<ApiKey>>;
    /// Deletes the key with this row id or public key; returns whether one was deleted.
    async fn delete_api_key(&self, id_or_public_key: &str) -> StoreResult<bool>;
    async fn touch_api_key(&self, id: &ApiKeyId, at: Millis) -> StoreResult<()>;
}
