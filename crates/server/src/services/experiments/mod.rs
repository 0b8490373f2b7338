//! Experiments (wire-spec §7.3–7.4) as plain functions: the runs and run items that SDK
//! experiment spans name (`links.rs`), runs compared side by side for the UI (`compare.rs`), and
//! the experiment and experiment-item lists of the public API (`lists.rs`).
//!
//! Runs and run items are metadata; the traces, observations and scores they ran are events, in
//! a store that may live in another database. So every read here takes the run items from the
//! metadata store ([`sightline_store::ExperimentRunStore`]), passes their trace and observation
//! ids to the event store ([`sightline_store::ExperimentEventStore`]), and joins, aggregates,
//! orders and pages the two in memory.

mod compare;
mod links;
mod lists;

pub use compare::{ItemComparison, RunComparison, compare_runs};
pub use links::experiment_links;
pub use lists::{list_experiment_items, list_experiments};
