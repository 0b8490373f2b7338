//! Ingestion's vocabulary: what one event or one span says about a trace, an observation or a
//! score (`*Patch`), the rules that fold those patches into stored rows (`merge`), and the
//! normalisations every path applies (`environment`).

pub mod batch;
pub mod environment;
pub mod merge;
pub mod record;
pub mod row;
pub mod score;
pub mod serde_util;
pub mod span_log;

pub use record::{
    Field, Level, ObservationPatch, ObservationType, ScoreDataType, ScorePatch, ScoreSource,
    TracePatch, UsageMap,
};
pub use row::{ObservationRow, TraceRow};
