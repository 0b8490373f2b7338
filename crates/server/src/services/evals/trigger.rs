//! From committed data to executions. Ingestion, once a group of writes is committed and
//! before the requests are acknowledged, hands the traces, observations and experiment items
//! it touched to [`EvalTriggers::after_commit`]: for each live rule of the project (cached for
//! [`RULES_TTL`], forgotten at once on this replica when rules change) it enqueues one trigger
//! job naming those targets, due after the rule's delay. An acknowledged event therefore has
//! its trigger job stored; one that is not acknowledged is sent again by its client.
//!
//! A trigger job ([`run_trigger`]) reads the targets as they are by then, keeps those the
//! rule's filter matches (through the list queries' filter compiler, internal environments
//! left out) and its deterministic sample selects, and creates one execution per evaluator
//! with its job, in one transaction; an execution's id comes from its rule, evaluator and
//! target, so a target seen again is not evaluated again. A backfill job ([`run_backfill`])
//! does the same over existing data, newest first, up to [`super::rules::MAX_BACKFILL`].

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::eval::{Target, execution_id, is_sampled};
use sightline_domain::filter::FilterCondition;
use sightline_domain::ingest::environment::{HIDDEN_BY_DEFAULT, hide_internal};
use sightline_domain::time::{Millis, now_ms};
use sightline_store::{
    Entity, EvaluationRule, ExperimentLink, NewExecution, NewJob, ObservationQuery, Store,
    StoreResult, TraceQuery,
};
use tokio::sync::Notify;

use super::rules::{self, NEW};
use super::{EXECUTE_JOB, EvalError, TRIGGER_JOB};
use crate::services::ingest::IngestionWrite;
use crate::state::AppState;

/// How long a replica trusts its copy of a project's live rules.
pub const RULES_TTL: Duration = Duration::from_secs(2);
/// The most targets one trigger job names.
const TARGETS_PER_JOB: usize = 500;

/// What a trigger names: a trace, an observation of it, or an experiment item run on it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
}

impl TargetRef {
    /// The id sampling looks at: the observation's, else the trace's.
    fn sample_id(&self) -> &str {
        self.observation_id.as_deref().unwrap_or(&self.trace_id)
    }
}

#[derive(Debug, Clone)]
struct LiveRule {
    id: String,
    target: Target,
    delay_ms: i64,
}

/// Per project: when its live rules were read, and they.
type RuleCache = HashMap<ProjectId, (Instant, Arc<Vec<LiveRule>>)>;

#[derive(Default)]
pub struct EvalTriggers {
    cache: Mutex<RuleCache>,
    wake: Notify,
}

impl EvalTriggers {
    /// Drops this replica's copy of the project's rules (they changed).
    pub fn forget(&self, project: &ProjectId) {
        self.cache.lock().expect("cache lock").remove(project);
    }

    /// Tells this replica's workers that jobs were enqueued.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    async fn live_rules(
        &self,
        store: &Store,
        project: &ProjectId,
    ) -> StoreResult<Arc<Vec<LiveRule>>> {
        if let Some((at, rules)) = self.cache.lock().expect("cache lock").get(project)
            && at.elapsed() < RULES_TTL
        {
            return Ok(rules.clone());
        }
        let metadata = store.metadata();
        let rules = metadata.rules(project).await?;
        let mut live = Vec::new();
        if rules.iter().any(|r| r.enabled) {
            let evaluators = super::evaluators::all(store, project).await?;
            for rule in rules {
                let runnable = rule.evaluators.iter().any(|a| {
                    evaluators
                        .iter()
                        .any(|e| e.id == a.evaluator_id && e.blocked_at.is_none())
                });
                if rule.enabled
                    && runnable
                    && rule.time_scope.iter().any(|s| s == NEW)
                    && let Some(target) = Target::parse(&rule.target)
                {
                    live.push(LiveRule {
                        id: rule.id,
                        target,
                        delay_ms: rule.delay_ms,
                    });
                }
            }
        }
        let live = Arc::new(live);
        self.cache
            .lock()
            .expect("cache lock")
            .insert(project.clone(), (Instant::now(), live.clone()));
        Ok(live)
    }

    /// Enqueues the trigger jobs of committed writes (see the module documentation).
    pub async fn after_commit(&self, store: &Store, writes: &[IngestionWrite]) -> StoreResult<()> {
        let mut jobs = Vec::new();
        for write in writes {
            let rules = self.live_rules(store, &write.project_id).await?;
            if rules.is_empty() {
                continue;
            }
            let touched = Touched::of(write);
            for rule in rules.iter() {
                let targets = match rule.target {
                    Target::Trace => touched.traces(),
                    Target::Observation => touched.observations.clone(),
                    Target::Experiment => experiment_targets(&write.experiments),
                };
                jobs.extend(trigger_jobs(&write.project_id, rule, targets));
            }
        }
        self.enqueue(store, jobs).await
    }

    /// Enqueues the trigger jobs of experiment run items created through the API.
    pub async fn after_run_items(
        &self,
        store: &Store,
        project: &ProjectId,
        items: Vec<TargetRef>,
    ) -> StoreResult<()> {
        let rules = self.live_rules(store, project).await?;
        let jobs = rules
            .iter()
            .filter(|rule| rule.target == Target::Experiment)
            .flat_map(|rule| trigger_jobs(project, rule, items.clone()))
            .collect();
        self.enqueue(store, jobs).await
    }

    async fn enqueue(&self, store: &Store, jobs: Vec<NewJob>) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        store.metadata().enqueue_jobs(&jobs).await?;
        self.wake();
        Ok(())
    }
}

/// The traces and observations one write touched.
#[derive(Default)]
struct Touched {
    observations: Vec<TargetRef>,
    traces: BTreeSet<String>,
}

impl Touched {
    fn of(write: &IngestionWrite) -> Touched {
        let mut touched = Touched::default();
        let mut observation = |id: &str, trace: &str| {
            touched.observations.push(TargetRef {
                trace_id: trace.to_owned(),
                observation_id: Some(id.to_owned()),
                dataset_item_id: None,
                dataset_id: None,
            });
        };
        let mut traces = BTreeSet::new();
        for event in &write.events {
            match event.entity {
                Entity::Trace => {
                    traces.insert(event.entity_id.clone());
                }
                Entity::Observation => {
                    let trace = event
                        .body
                        .get("traceId")
                        .and_then(|v| v.as_str())
                        .unwrap_or(&event.entity_id);
                    traces.insert(trace.to_owned());
                    observation(&event.entity_id, trace);
                }
            }
        }
        // Internal environments (judge calls, playground runs) are never evaluated.
        let internal = |environment: &str| HIDDEN_BY_DEFAULT.contains(&environment);
        for row in write
            .observations
            .iter()
            .filter(|row| !internal(&row.environment))
        {
            traces.insert(row.trace_id.clone());
            observation(&row.id, &row.trace_id);
        }
        for encoded in &write.encoded_observations {
            traces.insert(encoded.trace_id().to_owned());
            observation(encoded.id(), encoded.trace_id());
        }
        for patch in write
            .trace_patches
            .iter()
            .filter(|patch| !patch.environment.as_deref().is_some_and(internal))
        {
            traces.insert(patch.id.clone());
        }
        touched.observations.sort();
        touched.observations.dedup();
        touched.traces = traces;
        touched
    }

    fn traces(&self) -> Vec<TargetRef> {
        self.traces
            .iter()
            .map(|id| TargetRef {
                trace_id: id.clone(),
                observation_id: None,
                dataset_item_id: None,
                dataset_id: None,
            })
            .collect()
    }
}

fn experiment_targets(links: &[ExperimentLink]) -> Vec<TargetRef> {
    links
        .iter()
        .map(|link| TargetRef {
            trace_id: link.trace_id.clone(),
            observation_id: link.observation_id.clone(),
            dataset_item_id: Some(link.dataset_item_id.clone()),
            dataset_id: link.dataset_id.clone(),
        })
        .collect()
}

fn trigger_jobs(project: &ProjectId, rule: &LiveRule, targets: Vec<TargetRef>) -> Vec<NewJob> {
    let now = now_ms();
    targets
        .chunks(TARGETS_PER_JOB)
        .map(|chunk| NewJob {
            id: uuid::Uuid::new_v4().to_string(),
            project_id: Some(project.clone()),
            kind: TRIGGER_JOB.to_owned(),
            payload: json!({"ruleId": rule.id, "targets": chunk}),
            dedupe_key: None,
            max_attempts: 10,
            run_after: now + rule.delay_ms,
            created_at: now,
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerPayload {
    pub rule_id: String,
    pub targets: Vec<TargetRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackfillPayload {
    pub rule_id: String,
    pub to: Millis,
}

/// The rule's filter, with internal environments left out.
fn filter_of(rule: &EvaluationRule) -> Result<Vec<FilterCondition>, EvalError> {
    let mut filter = rules::conditions(&rule.filter)?;
    filter.push(hide_internal());
    Ok(filter)
}

/// Keeps the targets the rule's filter matches and its sample selects.
async fn select(
    state: &AppState,
    rule: &EvaluationRule,
    target: Target,
    targets: Vec<TargetRef>,
) -> Result<Vec<TargetRef>, EvalError> {
    let sampled: Vec<TargetRef> = targets
        .into_iter()
        .filter(|t| is_sampled(t.sample_id(), rule.sampling))
        .collect();
    if sampled.is_empty() {
        return Ok(sampled);
    }
    let events = state.store().events();
    let project = &rule.project_id;
    Ok(match target {
        Target::Trace => {
            let query = TraceQuery {
                ids: sampled.iter().map(|t| t.trace_id.clone()).collect(),
                filter: filter_of(rule)?,
                limit: sampled.len() as u64,
                ..TraceQuery::default()
            };
            let (found, _) = events.list_traces(project, &query).await?;
            sampled
                .into_iter()
                .filter(|t| found.iter().any(|f| f.row.id == t.trace_id))
                .collect()
        }
        Target::Observation => {
            let query = ObservationQuery {
                ids: sampled
                    .iter()
                    .filter_map(|t| t.observation_id.clone())
                    .collect(),
                filter: filter_of(rule)?,
                ..ObservationQuery::default()
            };
            let (found, _) = events
                .list_observations(project, &query, sampled.len() as u64, 0)
                .await?;
            sampled
                .into_iter()
                .filter(|t| {
                    found
                        .iter()
                        .any(|f| Some(&f.row.id) == t.observation_id.as_ref())
                })
                .collect()
        }
        Target::Experiment => {
            let conditions = rules::conditions(&rule.filter)?;
            sampled
                .into_iter()
                .filter(|t| rules::dataset_allowed(&conditions, t.dataset_id.as_deref()))
                .collect()
        }
    })
}

/// Creates the executions of `targets` for each of the rule's evaluators, with their jobs.
async fn create(
    state: &AppState,
    rule: &EvaluationRule,
    targets: &[TargetRef],
) -> Result<u64, EvalError> {
    let now = now_ms();
    let mut executions = Vec::new();
    let mut jobs = Vec::new();
    for target in targets {
        for assignment in &rule.evaluators {
            let id = execution_id(
                &rule.id,
                &assignment.evaluator_id,
                &target.trace_id,
                target.observation_id.as_deref(),
                target.dataset_item_id.as_deref(),
            );
            jobs.push(NewJob {
                id: id.clone(),
                project_id: Some(rule.project_id.clone()),
                kind: EXECUTE_JOB.to_owned(),
                payload: json!({"executionId": id}),
                dedupe_key: Some(format!("evaluation:{id}")),
                max_attempts: 20,
                run_after: now,
                created_at: now,
            });
            executions.push(NewExecution {
                id,
                rule_id: rule.id.clone(),
                evaluator_id: assignment.evaluator_id.clone(),
                trace_id: target.trace_id.clone(),
                observation_id: target.observation_id.clone(),
                dataset_item_id: target.dataset_item_id.clone(),
                created_at: now,
            });
        }
    }
    let created = state
        .store()
        .metadata()
        .create_executions(&rule.project_id, &executions, &jobs)
        .await?;
    if created > 0 {
        state.eval_triggers().wake();
    }
    Ok(created)
}

/// The rule when it still runs on new data, else `None`.
async fn runnable_rule(
    state: &AppState,
    project: &ProjectId,
    id: &str,
) -> Result<Option<(EvaluationRule, Target)>, EvalError> {
    let Some(rule) = state.store().metadata().rule(project, id).await? else {
        return Ok(None);
    };
    let target = Target::parse(&rule.target);
    Ok(target.filter(|_| rule.enabled).map(|t| (rule, t)))
}

pub(crate) async fn run_trigger(
    state: &AppState,
    project: &ProjectId,
    payload: TriggerPayload,
) -> Result<u64, EvalError> {
    let Some((rule, target)) = runnable_rule(state, project, &payload.rule_id).await? else {
        return Ok(0);
    };
    let selected = select(state, &rule, target, payload.targets).await?;
    create(state, &rule, &selected).await
}

pub(crate) async fn run_backfill(
    state: &AppState,
    project: &ProjectId,
    payload: BackfillPayload,
) -> Result<u64, EvalError> {
    let Some((rule, target)) = runnable_rule(state, project, &payload.rule_id).await? else {
        return Ok(0);
    };
    let events = state.store().events();
    let page = TARGETS_PER_JOB as u64;
    let mut created = 0;
    let mut offset = 0;
    while offset < rules::MAX_BACKFILL {
        let targets: Vec<TargetRef> = match target {
            Target::Trace => {
                let query = TraceQuery {
                    filter: filter_of(&rule)?,
                    to_timestamp: Some(payload.to),
                    limit: page,
                    offset,
                    ..TraceQuery::default()
                };
                let (found, _) = events.list_traces(project, &query).await?;
                found
                    .into_iter()
                    .map(|t| TargetRef {
                        trace_id: t.row.id,
                        observation_id: None,
                        dataset_item_id: None,
                        dataset_id: None,
                    })
                    .collect()
            }
            Target::Observation => {
                let query = ObservationQuery {
                    filter: filter_of(&rule)?,
                    to_start_time: Some(payload.to),
                    ..ObservationQuery::default()
                };
                let (found, _) = events
                    .list_observations(project, &query, page, offset)
                    .await?;
                found
                    .into_iter()
                    .map(|o| TargetRef {
                        trace_id: o.row.trace_id,
                        observation_id: Some(o.row.id),
                        dataset_item_id: None,
                        dataset_id: None,
                    })
                    .collect()
            }
            Target::Experiment => Vec::new(),
        };
        let fetched = targets.len() as u64;
        let sampled: Vec<TargetRef> = targets
            .into_iter()
            .filter(|t| is_sampled(t.sample_id(), rule.sampling))
            .collect();
        created += create(state, &rule, &sampled).await?;
        if fetched < page {
            break;
        }
        offset += page;
    }
    Ok(created)
}
