//! LLM-as-a-judge evaluators (`../shared/langfuse/features.md` §2): output definitions and the
//! scores an answer becomes, variable mapping with JSONPath selectors, prompt compilation,
//! deterministic sampling, the deterministic ids of executions, scores and execution traces,
//! the reasons an evaluator is paused, and the managed templates that ship.

mod block;
mod ids;
mod mapping;
mod output;
mod sampling;
mod templates;

pub use block::BlockReason;
pub use ids::{execution_id, execution_trace_id, score_id};
pub use mapping::{
    JsonPath, Mapping, MappingError, Source, check_mappings, compile_prompt, stringify,
};
pub use output::{Judgement, OutputDefinition, OutputError};
pub use sampling::is_sampled;
pub use templates::{ManagedTemplate, managed_templates};

/// The environment of the traces that record judge calls; never evaluated again.
pub const JUDGE_ENVIRONMENT: &str = "langfuse-llm-as-a-judge";

/// What a rule evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Whole traces (Langfuse's legacy `trace` rules).
    Trace,
    /// Single observations (Langfuse's `event` target, `observation` in the API).
    Observation,
    /// Experiment run items: the item's trace or observation, with the dataset item.
    Experiment,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Trace => "trace",
            Target::Observation => "observation",
            Target::Experiment => "experiment",
        }
    }

    pub fn parse(raw: &str) -> Option<Target> {
        [Target::Trace, Target::Observation, Target::Experiment]
            .into_iter()
            .find(|t| t.as_str() == raw)
    }

    /// The sources a variable of a rule on this target may be mapped from.
    pub fn allows(self, source: Source) -> bool {
        match source {
            Source::Input | Source::Output | Source::Metadata => true,
            Source::ToolCalls => self != Target::Trace,
            Source::ExpectedOutput | Source::ExperimentItemMetadata => self == Target::Experiment,
        }
    }
}

/// Status of one job execution (Langfuse's `JobExecutionStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Pending,
    Delayed,
    Completed,
    Error,
    Cancelled,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Pending => "PENDING",
            ExecutionStatus::Delayed => "DELAYED",
            ExecutionStatus::Completed => "COMPLETED",
            ExecutionStatus::Error => "ERROR",
            ExecutionStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(raw: &str) -> Option<ExecutionStatus> {
        [
            ExecutionStatus::Pending,
            ExecutionStatus::Delayed,
            ExecutionStatus::Completed,
            ExecutionStatus::Error,
            ExecutionStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// Whether the execution will not run again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Completed | ExecutionStatus::Error | ExecutionStatus::Cancelled
        )
    }
}
