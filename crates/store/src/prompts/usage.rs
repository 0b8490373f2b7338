//! Usage of prompt versions by the generations linked to them (event store): per
//! `prompt_version` that observations name under a prompt name, their count, median latency,
//! tokens, cost and score averages. Reads only `observations` and `scores`; the server pairs
//! the result with the stored versions of the name (metadata store).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::Value;
use sightline_domain::ProjectId;

use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore};

/// Usage of one prompt version by the observations linked to it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptVersionUsage {
    pub version: i64,
    pub generations: u64,
    /// Median of `end - start` over observations that ended.
    pub median_latency_ms: Option<f64>,
    /// Sums of usage keys starting with `input` / `output`.
    pub input_tokens: f64,
    pub output_tokens: f64,
    pub total_cost: f64,
    /// Average value of each numeric score name on those observations, by name.
    pub scores: Vec<ScoreAverage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreAverage {
    pub name: String,
    pub average: f64,
    pub count: u64,
}

/// Usage of prompt versions by linked generations (event store).
#[async_trait]
pub trait PromptUsageStore: Send + Sync {
    /// Per version that the project's observations link to under the prompt name `name`
    /// (ascending; versions without linked observations are absent, whether or not they are
    /// stored), the usage by those observations. Observations only name the version: callers
    /// that want the stored versions read them from the metadata store.
    async fn prompt_version_usage(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersionUsage>>;
}

/// One observation linked to a version of the prompt.
#[derive(sqlx::FromRow)]
struct LinkedRow {
    prompt_version: i64,
    start_time: i64,
    end_time: Option<i64>,
    usage_details: String,
    total_cost: Option<f64>,
}

/// The average of one score name over the observations linked to one version.
#[derive(sqlx::FromRow)]
struct ScoreAverageRow {
    prompt_version: i64,
    name: String,
    average: f64,
    count: i64,
}

#[async_trait]
impl PromptUsageStore for SqlStore {
    async fn prompt_version_usage(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Vec<PromptVersionUsage>> {
        let linked = Sql::text(
            "SELECT prompt_version, start_time, end_time, usage_details, total_cost \
             FROM observations WHERE project_id = $1 AND prompt_name = $2 \
             AND prompt_version IS NOT NULL",
        )
        .bind(project.as_str())
        .bind(name);
        let observations: Vec<LinkedRow> = self.db.fetch_all(&linked).await?;
        let averages = Sql::text(
            "SELECT o.prompt_version, s.name, AVG(s.value) AS average, COUNT(*) AS count \
             FROM scores s JOIN observations o \
               ON o.project_id = s.project_id AND o.id = s.observation_id \
             WHERE s.project_id = $1 AND o.prompt_name = $2 \
               AND o.prompt_version IS NOT NULL AND s.value IS NOT NULL \
             GROUP BY o.prompt_version, s.name ORDER BY o.prompt_version, s.name",
        )
        .bind(project.as_str())
        .bind(name);
        let scores: Vec<ScoreAverageRow> = self.db.fetch_all(&averages).await?;
        Ok(aggregate(&observations, &scores))
    }
}

/// The usage of each version that `observations` link to, ascending.
fn aggregate(observations: &[LinkedRow], scores: &[ScoreAverageRow]) -> Vec<PromptVersionUsage> {
    let versions: BTreeSet<i64> = observations.iter().map(|row| row.prompt_version).collect();
    versions
        .into_iter()
        .map(|version| {
            let rows: Vec<&LinkedRow> = observations
                .iter()
                .filter(|row| row.prompt_version == version)
                .collect();
            let mut latencies: Vec<f64> = rows
                .iter()
                .filter_map(|row| row.end_time.map(|end| (end - row.start_time) as f64))
                .collect();
            let (input_tokens, output_tokens) = rows
                .iter()
                .map(|row| usage_sums(&row.usage_details))
                .fold((0.0, 0.0), |(i, o), (di, dout)| (i + di, o + dout));
            PromptVersionUsage {
                version,
                generations: u64::try_from(rows.len()).unwrap_or(u64::MAX),
                median_latency_ms: median(&mut latencies),
                input_tokens,
                output_tokens,
                total_cost: rows.iter().filter_map(|row| row.total_cost).sum(),
                scores: scores
                    .iter()
                    .filter(|score| score.prompt_version == version)
                    .map(|score| ScoreAverage {
                        name: score.name.clone(),
                        average: score.average,
                        count: u64::try_from(score.count).unwrap_or(0),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Langfuse's `reduceUsageOrCostDetails` for input and output: sums of the keys with that prefix.
fn usage_sums(text: &str) -> (f64, f64) {
    let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    let sum = |prefix: &str| {
        map.iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .filter_map(|(_, value)| value.as_f64())
            .sum::<f64>()
    };
    (sum("input"), sum("output"))
}

/// The median of `values` (sorted here); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_sums_add_the_keys_of_each_prefix() {
        let text = r#"{"input": 3, "input_cached": 2, "output": 4, "total": 9, "x": "y"}"#;
        assert_eq!(usage_sums(text), (5.0, 4.0));
        assert_eq!(usage_sums("not json"), (0.0, 0.0));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn aggregate_groups_by_version_ascending() {
        let linked = |version, start, end, cost| LinkedRow {
            prompt_version: version,
            start_time: start,
            end_time: end,
            usage_details: r#"{"input": 1, "output": 2}"#.into(),
            total_cost: cost,
        };
        let observations = [
            linked(2, 0, Some(50), Some(1.0)),
            linked(1, 0, Some(100), None),
            linked(1, 10, None, Some(0.5)),
        ];
        let scores = [ScoreAverageRow {
            prompt_version: 2,
            name: "quality".into(),
            average: 0.5,
            count: 2,
        }];
        let usage = aggregate(&observations, &scores);
        assert_eq!(usage.len(), 2);
        assert_eq!((usage[0].version, usage[0].generations), (1, 2));
        assert_eq!(usage[0].median_latency_ms, Some(100.0));
        assert_eq!((usage[0].input_tokens, usage[0].output_tokens), (2.0, 4.0));
        assert_eq!(usage[0].total_cost, 0.5);
        assert!(usage[0].scores.is_empty());
        assert_eq!(usage[1].scores[0].count, 2);
    }
}
