//! Prompt lists, prompt ids by name and per-version usage of linked generations, shared by both
//! backends; stamped by `impl_prompt_reads!` next to `impl_prompt_store!`, whose `PromptStore`
//! implementation calls them. User input only ever reaches a query as a bound parameter.

/// Defines `prompt_reads_impl` for a pool of `$db`; `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_prompt_reads {
    (db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod prompt_reads_impl {
            use std::collections::BTreeSet;

            use $crate::prompts_model::*;
            use $crate::sql_where::{Param, Where, bind_all, like_literal};
            use $crate::{StoreError, StoreResult};

            fn prefixed(alias: &str) -> String {
                PROMPT_COLUMNS
                    .split(',')
                    .map(|column| format!("{alias}.{}", column.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            fn list_filter(project: &str, query: &PromptListQuery) -> Where {
                let mut filter = Where::new($anonymous);
                filter.eq("p.project_id", project);
                if let Some(name) = &query.name {
                    filter.eq("p.name", name);
                }
                if let Some(version) = query.version {
                    filter.push("p.version = {}", Param::Int(version));
                }
                if let Some(label) = &query.label {
                    filter.push(
                        "EXISTS (SELECT 1 FROM prompt_labels l WHERE l.project_id = p.project_id \
                         AND l.name = p.name AND l.version = p.version AND l.label = {})",
                        Param::Text(label.clone()),
                    );
                }
                if let Some(tag) = &query.tag {
                    // Tags are a JSON array of strings: match the quoted tag.
                    let quoted = serde_json::Value::String(tag.clone()).to_string();
                    filter.push(
                        "p.tags LIKE {} ESCAPE '\\'",
                        Param::Text(format!("%{}%", like_literal(&quoted))),
                    );
                }
                if let Some(from) = query.from_updated_at {
                    filter.push("p.updated_at >= {}", Param::Int(from));
                }
                if let Some(to) = query.to_updated_at {
                    filter.push("p.updated_at < {}", Param::Int(to));
                }
                filter
            }

            pub(super) async fn list(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &PromptListQuery,
            ) -> StoreResult<(Vec<PromptSummary>, u64)> {
                let filter = list_filter(project, query);
                let count_sql = format!(
                    "SELECT COUNT(DISTINCT p.name) FROM prompts p WHERE {}",
                    filter.sql()
                );
                let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &filter.params)
                    .fetch_one(pool)
                    .await?;
                let names_sql = format!(
                    "SELECT p.name FROM prompts p WHERE {} GROUP BY p.name ORDER BY p.name \
                     LIMIT {} OFFSET {}",
                    filter.sql(),
                    query.limit,
                    query.offset
                );
                let names: Vec<(String,)> = bind_all!(sqlx::query_as(&names_sql), &filter.params)
                    .fetch_all(pool)
                    .await?;
                let names: Vec<String> = names.into_iter().map(|(name,)| name).collect();
                let total = u64::try_from(total).unwrap_or(0);
                if names.is_empty() {
                    return Ok((Vec::new(), total));
                }
                let mut rows_filter = list_filter(project, query);
                rows_filter.push_in("p.name", &names);
                let rows_sql = format!(
                    "SELECT {} FROM prompts p WHERE {} ORDER BY p.name, p.version",
                    prefixed("p"),
                    rows_filter.sql()
                );
                let rows: Vec<PromptSqlRow> =
                    bind_all!(sqlx::query_as(&rows_sql), &rows_filter.params)
                        .fetch_all(pool)
                        .await?;
                let mut labels_filter = Where::new($anonymous);
                labels_filter.eq("project_id", project);
                labels_filter.push_in("name", &names);
                let labels_sql = format!(
                    "SELECT name, version, label FROM prompt_labels WHERE {}",
                    labels_filter.sql()
                );
                let labels: Vec<(String, i64, String)> =
                    bind_all!(sqlx::query_as(&labels_sql), &labels_filter.params)
                        .fetch_all(pool)
                        .await?;
                let mut summaries = Vec::with_capacity(names.len());
                for name in names {
                    let versions: Vec<&PromptSqlRow> =
                        rows.iter().filter(|row| row.name == name).collect();
                    let Some(newest) = versions.last() else {
                        continue;
                    };
                    let numbers: Vec<i64> = versions.iter().map(|row| row.version).collect();
                    let version_labels: BTreeSet<String> = labels
                        .iter()
                        .filter(|(label_name, version, _)| {
                            *label_name == name && numbers.contains(version)
                        })
                        .map(|(_, _, label)| label.clone())
                        .collect();
                    summaries.push(PromptSummary {
                        r#type: newest
                            .r#type
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("stored prompt type: {e}")))?,
                        versions: numbers,
                        labels: version_labels.into_iter().collect(),
                        tags: parse_tags(&newest.tags)?,
                        last_updated_at: versions
                            .iter()
                            .map(|row| row.updated_at)
                            .max()
                            .unwrap_or(0),
                        last_config: serde_json::from_str(&newest.config).map_err(|e| {
                            StoreError::Corrupt(format!("stored prompt config: {e}"))
                        })?,
                        name,
                    });
                }
                Ok((summaries, total))
            }

            pub(super) async fn prompt_ids(
                pool: &sqlx::Pool<$db>,
                project: &str,
                names: &[String],
            ) -> StoreResult<Vec<(String, i64, String)>> {
                if names.is_empty() {
                    return Ok(Vec::new());
                }
                let mut filter = Where::new($anonymous);
                filter.eq("project_id", project);
                filter.push_in("name", names);
                let sql = format!(
                    "SELECT name, version, id FROM prompts WHERE {}",
                    filter.sql()
                );
                Ok(bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_all(pool)
                    .await?)
            }

            pub(super) async fn usage(
                pool: &sqlx::Pool<$db>,
                project: &str,
                name: &str,
            ) -> StoreResult<Vec<PromptVersionUsage>> {
                let observations: Vec<(i64, i64, Option<i64>, String, Option<f64>)> =
                    sqlx::query_as(
                        "SELECT prompt_version, start_time, end_time, usage_details, total_cost \
                         FROM observations WHERE project_id = $1 AND prompt_name = $2 \
                         AND prompt_version IS NOT NULL",
                    )
                    .bind(project)
                    .bind(name)
                    .fetch_all(pool)
                    .await?;
                let scores: Vec<(i64, String, f64, i64)> = sqlx::query_as(
                    "SELECT o.prompt_version, s.name, AVG(s.value), COUNT(*) \
                     FROM scores s JOIN observations o \
                       ON o.project_id = s.project_id AND o.id = s.observation_id \
                     WHERE s.project_id = $1 AND o.prompt_name = $2 \
                       AND o.prompt_version IS NOT NULL AND s.value IS NOT NULL \
                     GROUP BY o.prompt_version, s.name ORDER BY o.prompt_version, s.name",
                )
                .bind(project)
                .bind(name)
                .fetch_all(pool)
                .await?;
                let versions: BTreeSet<i64> = observations.iter().map(|row| row.0).collect();
                Ok(versions
                    .into_iter()
                    .map(|version| {
                        let rows: Vec<_> =
                            observations.iter().filter(|row| row.0 == version).collect();
                        let mut latencies: Vec<f64> = rows
                            .iter()
                            .filter_map(|row| row.2.map(|end| (end - row.1) as f64))
                            .collect();
                        let (input_tokens, output_tokens) = rows
                            .iter()
                            .map(|row| usage_sums(&row.3))
                            .fold((0.0, 0.0), |(i, o), (di, dout)| (i + di, o + dout));
                        PromptVersionUsage {
                            version,
                            generations: u64::try_from(rows.len()).unwrap_or(u64::MAX),
                            median_latency_ms: median(&mut latencies),
                            input_tokens,
                            output_tokens,
                            total_cost: rows.iter().filter_map(|row| row.4).sum(),
                            scores: scores
                                .iter()
                                .filter(|score| score.0 == version)
                                .map(|score| ScoreAverage {
                                    name: score.1.clone(),
                                    average: score.2,
                                    count: u64::try_from(score.3).unwrap_or(0),
                                })
                                .collect(),
                        }
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_prompt_reads;
