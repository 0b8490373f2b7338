//! [`EvalStore`] on the relational store.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::eval::ExecutionStatus;
use sightline_domain::time::Millis;

use super::model::{
    AssignmentSqlRow, EVALUATOR_COLUMNS, EXECUTION_COLUMNS, EvaluatorSqlRow, ExecutionSqlRow,
    RULE_COLUMNS, RuleSqlRow, json, status,
};
use super::{
    EvalStore, EvaluationRule, Evaluator, EvaluatorVersion, ExecutionQuery, ExecutionUpdate,
    JobExecution, NewExecution, RuleEvaluator, RuleStats,
};
use crate::error::{StoreResult, constraint};
use crate::jobs::{NewJob, enqueue};
use crate::sql::{Sql, SqlStore, Tx};

/// Evaluators joined with their latest version, with `condition` on `e`.
fn select_evaluators(condition: &str, tail: &str) -> String {
    format!(
        "SELECT {EVALUATOR_COLUMNS} FROM evaluators e JOIN evaluator_versions v \
         ON v.project_id = e.project_id AND v.evaluator_id = e.id AND v.version = \
         (SELECT MAX(x.version) FROM evaluator_versions x WHERE x.project_id = e.project_id \
          AND x.evaluator_id = e.id) \
         WHERE e.project_id = $1 AND {condition} {tail}"
    )
}

fn text(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

fn list_text(items: &[String]) -> String {
    serde_json::to_string(items).expect("a list of strings serializes")
}

async fn put_assignments(tx: &mut Tx, rule: &EvaluationRule) -> StoreResult<()> {
    let project = rule.project_id.as_str();
    tx.execute(
        &Sql::text("DELETE FROM evaluation_rule_evaluators WHERE project_id = $1 AND rule_id = $2")
            .bind(project)
            .bind(&rule.id),
    )
    .await?;
    for (position, assignment) in rule.evaluators.iter().enumerate() {
        let insert = Sql::text(
            "INSERT INTO evaluation_rule_evaluators \
             (project_id, rule_id, evaluator_id, position, mapping) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project)
        .bind(&rule.id)
        .bind(&assignment.evaluator_id)
        .bind(position as i64)
        .bind(text(&assignment.mapping));
        tx.execute(&insert)
            .await
            .map_err(|e| constraint(e, "an evaluator assignment"))?;
    }
    Ok(())
}

impl SqlStore {
    /// Deletes the row `id` of `table` and, first, the rows of `children` (table, column) that
    /// name it, in one transaction; whether the row existed.
    async fn delete_with(
        &self,
        project: &ProjectId,
        id: &str,
        children: &[(&str, &str)],
        table: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        for (child, column) in children {
            let sql = Sql::text(format!(
                "DELETE FROM {child} WHERE project_id = $1 AND {column} = $2"
            ))
            .bind(project.as_str())
            .bind(id);
            tx.execute(&sql).await?;
        }
        let sql = Sql::text(format!(
            "DELETE FROM {table} WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let deleted = tx.execute(&sql).await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    async fn with_assignments(
        &self,
        project: &ProjectId,
        mut rules: Vec<EvaluationRule>,
    ) -> StoreResult<Vec<EvaluationRule>> {
        if rules.is_empty() {
            return Ok(rules);
        }
        let sql = Sql::text(
            "SELECT a.rule_id, a.evaluator_id, e.name AS evaluator_name, a.mapping \
             FROM evaluation_rule_evaluators a JOIN evaluators e \
             ON e.project_id = a.project_id AND e.id = a.evaluator_id \
             WHERE a.project_id = $1 ORDER BY a.rule_id, a.position",
        )
        .bind(project.as_str());
        let rows: Vec<AssignmentSqlRow> = self.db.fetch_all(&sql).await?;
        for row in rows {
            if let Some(rule) = rules.iter_mut().find(|r| r.id == row.rule_id) {
                rule.evaluators.push(RuleEvaluator {
                    evaluator_id: row.evaluator_id,
                    evaluator_name: row.evaluator_name,
                    mapping: row
                        .mapping
                        .as_deref()
                        .map(|t| json("assignment mapping", t))
                        .transpose()?,
                });
            }
        }
        Ok(rules)
    }
}

#[async_trait]
impl EvalStore for SqlStore {
    async fn add_evaluator_version(
        &self,
        project: &ProjectId,
        id: &str,
        name: &str,
        version: &EvaluatorVersion,
    ) -> StoreResult<Evaluator> {
        let mut tx = self.db.begin().await?;
        tx.lock_key(&format!("evaluator:{}:{name}", project.as_str()))
            .await?;
        let existing: Option<(String,)> = tx
            .fetch_optional(
                &Sql::text("SELECT id FROM evaluators WHERE project_id = $1 AND name = $2")
                    .bind(project.as_str())
                    .bind(name),
            )
            .await?;
        let evaluator_id = match existing {
            Some((id,)) => {
                tx.execute(
                    &Sql::text(
                        "UPDATE evaluators SET updated_at = $3 WHERE project_id = $1 AND id = $2",
                    )
                    .bind(project.as_str())
                    .bind(&id)
                    .bind(version.created_at),
                )
                .await?;
                id
            }
            None => {
                let insert = Sql::text(
                    "INSERT INTO evaluators (project_id, id, name, kind, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'llm_as_judge', $4, $4)",
                )
                .bind(project.as_str())
                .bind(id)
                .bind(name)
                .bind(version.created_at);
                tx.execute(&insert)
                    .await
                    .map_err(|e| constraint(e, "an evaluator with this name"))?;
                id.to_owned()
            }
        };
        let (next,): (i64,) = tx
            .fetch_one(
                &Sql::text(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM evaluator_versions \
                     WHERE project_id = $1 AND evaluator_id = $2",
                )
                .bind(project.as_str())
                .bind(&evaluator_id),
            )
            .await?;
        let insert = Sql::text(
            "INSERT INTO evaluator_versions (project_id, evaluator_id, version, prompt, provider, \
             model, model_params, variables, mapping, output_definition, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(project.as_str())
        .bind(&evaluator_id)
        .bind(next)
        .bind(&version.prompt)
        .bind(&version.provider)
        .bind(&version.model)
        .bind(text(&version.model_params))
        .bind(list_text(&version.variables))
        .bind(text(&version.mapping))
        .bind(version.output_definition.to_string())
        .bind(version.created_at);
        tx.execute(&insert).await?;
        let row: EvaluatorSqlRow = tx
            .fetch_one(
                &Sql::text(select_evaluators("e.id = $2", ""))
                    .bind(project.as_str())
                    .bind(&evaluator_id),
            )
            .await?;
        tx.commit().await?;
        row.try_into()
    }

    async fn list_evaluators(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Evaluator>, u64)> {
        let page = Sql::text(select_evaluators(
            "1 = 1",
            &format!("ORDER BY e.name, e.id LIMIT {limit} OFFSET {offset}"),
        ))
        .bind(project.as_str());
        let rows: Vec<EvaluatorSqlRow> = self.db.fetch_all(&page).await?;
        let (total,): (i64,) = self
            .db
            .fetch_one(
                &Sql::text("SELECT COUNT(*) FROM evaluators WHERE project_id = $1")
                    .bind(project.as_str()),
            )
            .await?;
        let evaluators = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((evaluators, total.max(0) as u64))
    }

    async fn evaluator(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Evaluator>> {
        let sql = Sql::text(select_evaluators("e.id = $2", ""))
            .bind(project.as_str())
            .bind(id);
        let row: Option<EvaluatorSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn evaluator_by_name(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> StoreResult<Option<Evaluator>> {
        let sql = Sql::text(select_evaluators("e.name = $2", ""))
            .bind(project.as_str())
            .bind(name);
        let row: Option<EvaluatorSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_evaluator(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        self.delete_with(
            project,
            id,
            &[
                ("evaluation_rule_evaluators", "evaluator_id"),
                ("evaluator_versions", "evaluator_id"),
            ],
            "evaluators",
        )
        .await
    }

    async fn set_evaluator_block(
        &self,
        project: &ProjectId,
        id: &str,
        block: Option<(&str, &str)>,
        now: Millis,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE evaluators SET blocked_at = $3, block_reason = $4, block_message = $5, \
             updated_at = $6 WHERE project_id = $1 AND id = $2",
        )
        .bind(project.as_str())
        .bind(id)
        .bind(block.map(|_| now))
        .bind(block.map(|(reason, _)| reason))
        .bind(block.map(|(_, message)| message))
        .bind(now);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn insert_rule(&self, rule: &EvaluationRule, jobs: &[NewJob]) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        let insert = Sql::text(format!(
            "INSERT INTO evaluation_rules ({RULE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(rule.project_id.as_str())
        .bind(&rule.id)
        .bind(&rule.name)
        .bind(&rule.target)
        .bind(rule.enabled)
        .bind(rule.filter.to_string())
        .bind(rule.sampling)
        .bind(rule.delay_ms)
        .bind(list_text(&rule.time_scope))
        .bind(rule.created_at)
        .bind(rule.updated_at);
        tx.execute(&insert)
            .await
            .map_err(|e| constraint(e, "an evaluation rule with this name"))?;
        put_assignments(&mut tx, rule).await?;
        enqueue(&mut tx, jobs).await?;
        tx.commit().await
    }

    async fn update_rule(&self, rule: &EvaluationRule, jobs: &[NewJob]) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let update = Sql::text(
            "UPDATE evaluation_rules SET name = $3, target = $4, enabled = $5, filter = $6, \
             sampling = $7, delay_ms = $8, time_scope = $9, updated_at = $10 \
             WHERE project_id = $1 AND id = $2",
        )
        .bind(rule.project_id.as_str())
        .bind(&rule.id)
        .bind(&rule.name)
        .bind(&rule.target)
        .bind(rule.enabled)
        .bind(rule.filter.to_string())
        .bind(rule.sampling)
        .bind(rule.delay_ms)
        .bind(list_text(&rule.time_scope))
        .bind(rule.updated_at);
        let changed = tx
            .execute(&update)
            .await
            .map_err(|e| constraint(e, "an evaluation rule with this name"))?;
        if changed == 0 {
            return Ok(false);
        }
        put_assignments(&mut tx, rule).await?;
        enqueue(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rules(&self, project: &ProjectId) -> StoreResult<Vec<EvaluationRule>> {
        let sql = Sql::text(format!(
            "SELECT {RULE_COLUMNS} FROM evaluation_rules WHERE project_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(project.as_str());
        let rows: Vec<RuleSqlRow> = self.db.fetch_all(&sql).await?;
        let rules = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<Vec<_>>>()?;
        self.with_assignments(project, rules).await
    }

    async fn rule(&self, project: &ProjectId, id: &str) -> StoreResult<Option<EvaluationRule>> {
        let sql = Sql::text(format!(
            "SELECT {RULE_COLUMNS} FROM evaluation_rules WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<RuleSqlRow> = self.db.fetch_optional(&sql).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let rules = self
            .with_assignments(project, vec![row.try_into()?])
            .await?;
        Ok(rules.into_iter().next())
    }

    async fn delete_rule(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        self.delete_with(
            project,
            id,
            &[("evaluation_rule_evaluators", "rule_id")],
            "evaluation_rules",
        )
        .await
    }

    async fn create_executions(
        &self,
        project: &ProjectId,
        executions: &[NewExecution],
        jobs: &[NewJob],
    ) -> StoreResult<u64> {
        if executions.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.begin().await?;
        let mut created = 0;
        for execution in executions {
            let insert = Sql::text(
                "INSERT INTO job_executions (project_id, id, rule_id, evaluator_id, status, \
                 trace_id, observation_id, dataset_item_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING",
            )
            .bind(project.as_str())
            .bind(&execution.id)
            .bind(&execution.rule_id)
            .bind(&execution.evaluator_id)
            .bind(&execution.trace_id)
            .bind(&execution.observation_id)
            .bind(&execution.dataset_item_id)
            .bind(execution.created_at);
            created += tx.execute(&insert).await?;
        }
        enqueue(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn execution(&self, project: &ProjectId, id: &str) -> StoreResult<Option<JobExecution>> {
        let sql = Sql::text(format!(
            "SELECT {EXECUTION_COLUMNS} FROM job_executions WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<ExecutionSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn update_execution(
        &self,
        project: &ProjectId,
        id: &str,
        update: &ExecutionUpdate,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE job_executions SET \
               status = COALESCE($3, status), \
               evaluator_version = COALESCE($4, evaluator_version), \
               error = CASE WHEN $3 = 'COMPLETED' THEN NULL ELSE COALESCE($5, error) END, \
               score_id = COALESCE($6, score_id), \
               score_value = COALESCE($7, score_value), \
               score_string = COALESCE($8, score_string), \
               score_comment = COALESCE($9, score_comment), \
               execution_trace_id = COALESCE($10, execution_trace_id), \
               cost = COALESCE($11, cost), \
               start_time = COALESCE($12, start_time), \
               end_time = COALESCE($13, end_time), \
               updated_at = $14 \
             WHERE project_id = $1 AND id = $2",
        )
        .bind(project.as_str())
        .bind(id)
        .bind(update.status.map(ExecutionStatus::as_str))
        .bind(update.evaluator_version)
        .bind(&update.error)
        .bind(&update.score_id)
        .bind(update.score_value)
        .bind(&update.score_string)
        .bind(&update.score_comment)
        .bind(&update.execution_trace_id)
        .bind(update.cost)
        .bind(update.start_time)
        .bind(update.end_time)
        .bind(update.updated_at);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn delete_execution(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM job_executions WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn list_executions(
        &self,
        project: &ProjectId,
        query: &ExecutionQuery,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<JobExecution>, u64)> {
        let condition = |sql: &mut Sql| {
            sql.sql(" WHERE project_id = ").arg(project.as_str());
            for (column, value) in [
                ("rule_id", &query.rule_id),
                ("evaluator_id", &query.evaluator_id),
                ("trace_id", &query.trace_id),
            ] {
                if let Some(value) = value {
                    sql.sql(&format!(" AND {column} = ")).arg(value.as_str());
                }
            }
            if let Some(status) = query.status {
                sql.sql(" AND status = ").arg(status.as_str());
            }
        };
        let mut select = Sql::new();
        select.sql(&format!("SELECT {EXECUTION_COLUMNS} FROM job_executions"));
        condition(&mut select);
        select.sql(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let mut count = Sql::new();
        count.sql("SELECT COUNT(*) FROM job_executions");
        condition(&mut count);
        let rows: Vec<ExecutionSqlRow> = self.db.fetch_all(&select).await?;
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        let executions = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((executions, total.max(0) as u64))
    }

    async fn rule_stats(&self, project: &ProjectId, since: Millis) -> StoreResult<Vec<RuleStats>> {
        let counts = Sql::text(
            "SELECT rule_id, status, COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN created_at >= $2 THEN cost ELSE 0 END), 0) AS DOUBLE PRECISION) \
             FROM job_executions WHERE project_id = $1 GROUP BY rule_id, status",
        )
        .bind(project.as_str())
        .bind(since);
        let rows: Vec<(String, String, i64, f64)> = self.db.fetch_all(&counts).await?;
        let mut stats: Vec<RuleStats> = Vec::new();
        for (rule_id, raw, count, cost) in rows {
            let index = match stats.iter().position(|s| s.rule_id == rule_id) {
                Some(index) => index,
                None => {
                    stats.push(RuleStats {
                        rule_id: rule_id.clone(),
                        ..RuleStats::default()
                    });
                    stats.len() - 1
                }
            };
            let entry = &mut stats[index];
            let count = count.max(0) as u64;
            match status(&raw)? {
                ExecutionStatus::Pending | ExecutionStatus::Delayed => entry.pending += count,
                ExecutionStatus::Completed => entry.completed += count,
                ExecutionStatus::Error => entry.errors += count,
                ExecutionStatus::Cancelled => entry.cancelled += count,
            }
            entry.cost += cost;
        }
        for entry in &mut stats {
            let last = Sql::text(
                "SELECT status FROM job_executions WHERE project_id = $1 AND rule_id = $2 \
                 ORDER BY created_at DESC, id DESC LIMIT 5",
            )
            .bind(project.as_str())
            .bind(&entry.rule_id);
            let rows: Vec<(String,)> = self.db.fetch_all(&last).await?;
            entry.last = rows
                .iter()
                .map(|(raw,)| status(raw))
                .collect::<StoreResult<_>>()?;
        }
        Ok(stats)
    }
}
