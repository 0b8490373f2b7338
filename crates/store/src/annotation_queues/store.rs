//! [`AnnotationQueueStore`] on the relational store (migration 0015): a queue's score config
//! ids as JSON text; an item's lock as its time and holder.

use std::collections::HashMap;

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::annotation::{
    AnnotationQueue, LOCK_MS, QueueItem, QueueItemStatus, QueueProgress,
};
use sightline_domain::time::Millis;

use super::AnnotationQueueStore;
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Sql, SqlStore};

const QUEUE_COLUMNS: &str =
    "project_id, id, name, description, score_config_ids, created_at, updated_at";
const ITEM_COLUMNS: &str = "project_id, id, queue_id, object_id, object_type, status, \
    locked_at, locked_by_user_id, annotator_user_id, completed_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct QueueRow {
    project_id: String,
    id: String,
    name: String,
    description: Option<String>,
    score_config_ids: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    project_id: String,
    id: String,
    queue_id: String,
    object_id: String,
    object_type: String,
    status: String,
    locked_at: Option<i64>,
    locked_by_user_id: Option<String>,
    annotator_user_id: Option<String>,
    completed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<QueueRow> for AnnotationQueue {
    type Error = StoreError;

    fn try_from(row: QueueRow) -> StoreResult<Self> {
        Ok(AnnotationQueue {
            score_config_ids: serde_json::from_str(&row.score_config_ids)
                .map_err(|e| StoreError::Corrupt(format!("stored score config ids: {e}")))?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            name: row.name,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<ItemRow> for QueueItem {
    type Error = StoreError;

    fn try_from(row: ItemRow) -> StoreResult<Self> {
        Ok(QueueItem {
            object_type: row.object_type.parse().map_err(StoreError::Corrupt)?,
            status: row.status.parse().map_err(StoreError::Corrupt)?,
            id: row.id,
            project_id: ProjectId::from_trusted(row.project_id),
            queue_id: row.queue_id,
            object_id: row.object_id,
            locked_at: row.locked_at,
            locked_by_user_id: row.locked_by_user_id,
            annotator_user_id: row.annotator_user_id,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn config_ids(queue: &AnnotationQueue) -> String {
    serde_json::to_string(&queue.score_config_ids).unwrap_or_else(|_| "[]".into())
}

fn items(rows: Vec<ItemRow>) -> StoreResult<Vec<QueueItem>> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The condition under which `user` may take an item at `now` (`QueueItem::available_to`),
/// with its two bound values.
fn available(sql: &mut Sql, user: &str, now: Millis) {
    sql.push(
        "status = 'PENDING' AND (locked_at IS NULL OR locked_by_user_id IS NULL \
         OR locked_by_user_id = {} OR locked_at <= {})",
        [user.into(), (now - LOCK_MS).into()],
    );
}

/// `WHERE` of a queue's items that `user` may take at `now`, but those in `skip`.
fn candidates(
    sql: &mut Sql,
    project: &ProjectId,
    queue: &str,
    user: &str,
    now: Millis,
    skip: &[String],
) {
    sql.push(
        "project_id = {} AND queue_id = {} AND ",
        [project.as_str().into(), queue.into()],
    );
    available(sql, user, now);
    if !skip.is_empty() {
        sql.sql(" AND NOT ");
        sql.push_in("id", skip.iter().map(String::as_str));
    }
}

#[async_trait]
impl AnnotationQueueStore for SqlStore {
    async fn insert_queue(&self, queue: &AnnotationQueue) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO annotation_queues ({QUEUE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(queue.project_id.as_str())
        .bind(&queue.id)
        .bind(&queue.name)
        .bind(queue.description.clone())
        .bind(config_ids(queue))
        .bind(queue.created_at)
        .bind(queue.updated_at);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "annotation queue"))?;
        Ok(())
    }

    async fn update_queue(&self, queue: &AnnotationQueue) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE annotation_queues SET name = $1, description = $2, score_config_ids = $3, \
             updated_at = $4 WHERE project_id = $5 AND id = $6",
        )
        .bind(&queue.name)
        .bind(queue.description.clone())
        .bind(config_ids(queue))
        .bind(queue.updated_at)
        .bind(queue.project_id.as_str())
        .bind(&queue.id);
        let updated = self
            .db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "annotation queue"))?;
        Ok(updated > 0)
    }

    async fn queue(&self, project: &ProjectId, id: &str) -> StoreResult<Option<AnnotationQueue>> {
        let sql = Sql::text(format!(
            "SELECT {QUEUE_COLUMNS} FROM annotation_queues WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<QueueRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_queues(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<AnnotationQueue>, u64)> {
        let sql = Sql::text(format!(
            "SELECT {QUEUE_COLUMNS} FROM annotation_queues WHERE project_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ))
        .bind(project.as_str());
        let rows: Vec<QueueRow> = self.db.fetch_all(&sql).await?;
        let count = Sql::text("SELECT COUNT(*) FROM annotation_queues WHERE project_id = $1")
            .bind(project.as_str());
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        let queues = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?;
        Ok((queues, u64::try_from(total).unwrap_or(0)))
    }

    async fn delete_queue(&self, project: &ProjectId, id: &str) -> StoreResult<bool> {
        let sql = Sql::text("DELETE FROM annotation_queues WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn queue_progress(
        &self,
        project: &ProjectId,
    ) -> StoreResult<HashMap<String, QueueProgress>> {
        let sql = Sql::text(
            "SELECT queue_id, status, COUNT(*) FROM annotation_queue_items \
             WHERE project_id = $1 GROUP BY queue_id, status",
        )
        .bind(project.as_str());
        let rows: Vec<(String, String, i64)> = self.db.fetch_all(&sql).await?;
        let mut progress: HashMap<String, QueueProgress> = HashMap::new();
        for (queue, status, count) in rows {
            let entry = progress.entry(queue).or_default();
            let count = u64::try_from(count).unwrap_or(0);
            match status.parse() {
                Ok(QueueItemStatus::Completed) => entry.completed += count,
                _ => entry.pending += count,
            }
        }
        Ok(progress)
    }

    async fn insert_queue_items(&self, items: &[QueueItem], skip_queued: bool) -> StoreResult<u64> {
        let mut tx = self.db.begin().await?;
        let mut inserted = 0;
        for item in items {
            let mut sql = Sql::new();
            sql.sql(&format!(
                "INSERT INTO annotation_queue_items ({ITEM_COLUMNS}) SELECT "
            ))
            .push(
                "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
                [
                    item.project_id.as_str().into(),
                    item.id.as_str().into(),
                    item.queue_id.as_str().into(),
                    item.object_id.as_str().into(),
                    item.object_type.as_str().into(),
                    item.status.as_str().into(),
                    item.locked_at.into(),
                    item.locked_by_user_id.clone().into(),
                    item.annotator_user_id.clone().into(),
                    item.completed_at.into(),
                    item.created_at.into(),
                    item.updated_at.into(),
                ],
            );
            if skip_queued {
                sql.push(
                    " WHERE NOT EXISTS (SELECT 1 FROM annotation_queue_items \
                     WHERE project_id = {} AND queue_id = {} AND object_id = {} \
                     AND object_type = {})",
                    [
                        item.project_id.as_str().into(),
                        item.queue_id.as_str().into(),
                        item.object_id.as_str().into(),
                        item.object_type.as_str().into(),
                    ],
                );
            }
            inserted += tx
                .execute(&sql)
                .await
                .map_err(|e| constraint(e, "annotation queue item"))?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        id: &str,
    ) -> StoreResult<Option<QueueItem>> {
        let sql = Sql::text(format!(
            "SELECT {ITEM_COLUMNS} FROM annotation_queue_items \
             WHERE project_id = $1 AND queue_id = $2 AND id = $3"
        ))
        .bind(project.as_str())
        .bind(queue)
        .bind(id);
        let row: Option<ItemRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_queue_items(
        &self,
        project: &ProjectId,
        queue: &str,
        status: Option<QueueItemStatus>,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<QueueItem>, u64)> {
        let condition = |sql: &mut Sql| {
            sql.push(
                "project_id = {} AND queue_id = {}",
                [project.as_str().into(), queue.into()],
            );
            if let Some(status) = status {
                sql.push(" AND status = {}", [status.as_str().into()]);
            }
        };
        let mut select = Sql::new();
        select.sql(&format!(
            "SELECT {ITEM_COLUMNS} FROM annotation_queue_items WHERE "
        ));
        condition(&mut select);
        select.sql(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ));
        let rows: Vec<ItemRow> = self.db.fetch_all(&select).await?;
        let mut count = Sql::new();
        count.sql("SELECT COUNT(*) FROM annotation_queue_items WHERE ");
        condition(&mut count);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((items(rows)?, u64::try_from(total).unwrap_or(0)))
    }

    async fn update_queue_item(&self, item: &QueueItem) -> StoreResult<bool> {
        let sql = Sql::text(
            "UPDATE annotation_queue_items SET status = $1, locked_at = $2, \
             locked_by_user_id = $3, annotator_user_id = $4, completed_at = $5, updated_at = $6 \
             WHERE project_id = $7 AND queue_id = $8 AND id = $9",
        )
        .bind(item.status.as_str())
        .bind(item.locked_at)
        .bind(item.locked_by_user_id.clone())
        .bind(item.annotator_user_id.clone())
        .bind(item.completed_at)
        .bind(item.updated_at)
        .bind(item.project_id.as_str())
        .bind(&item.queue_id)
        .bind(&item.id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn delete_queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "DELETE FROM annotation_queue_items WHERE project_id = $1 AND queue_id = $2 \
             AND id = $3",
        )
        .bind(project.as_str())
        .bind(queue)
        .bind(id);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn lock_next_queue_item(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
        now: Millis,
        skip: &[String],
    ) -> StoreResult<Option<QueueItem>> {
        // The update re-checks availability, so of two reviewers who picked the same item only
        // one locks it; the other picks again.
        for _ in 0..8 {
            let mut sql = Sql::new();
            sql.push(
                "UPDATE annotation_queue_items SET locked_at = {}, locked_by_user_id = {}, \
                 updated_at = {} WHERE project_id = {} AND id = (SELECT id FROM \
                 annotation_queue_items WHERE ",
                [now.into(), user.into(), now.into(), project.as_str().into()],
            );
            candidates(&mut sql, project, queue, user, now, skip);
            sql.sql(" ORDER BY created_at ASC, id ASC LIMIT 1) AND ");
            available(&mut sql, user, now);
            sql.sql(&format!(" RETURNING {ITEM_COLUMNS}"));
            let row: Option<ItemRow> = self.db.fetch_optional(&sql).await?;
            if let Some(row) = row {
                return row.try_into().map(Some);
            }
            let mut left = Sql::new();
            left.sql("SELECT COUNT(*) FROM annotation_queue_items WHERE ");
            candidates(&mut left, project, queue, user, now, skip);
            let (count,): (i64,) = self.db.fetch_one(&left).await?;
            if count == 0 {
                return Ok(None);
            }
        }
        Err(StoreError::Unavailable(
            "annotation queue items are being taken too fast; try again".into(),
        ))
    }

    async fn assign_queue(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
        now: Millis,
    ) -> StoreResult<()> {
        let sql = Sql::text(
            "INSERT INTO annotation_queue_assignments (project_id, queue_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, queue_id, user_id) DO NOTHING",
        )
        .bind(project.as_str())
        .bind(queue)
        .bind(user)
        .bind(now);
        self.db
            .execute(&sql)
            .await
            .map_err(|e| constraint(e, "annotation queue assignment"))?;
        Ok(())
    }

    async fn unassign_queue(
        &self,
        project: &ProjectId,
        queue: &str,
        user: &str,
    ) -> StoreResult<bool> {
        let sql = Sql::text(
            "DELETE FROM annotation_queue_assignments WHERE project_id = $1 AND queue_id = $2 \
             AND user_id = $3",
        )
        .bind(project.as_str())
        .bind(queue)
        .bind(user);
        Ok(self.db.execute(&sql).await? > 0)
    }

    async fn queue_assignees(&self, project: &ProjectId, queue: &str) -> StoreResult<Vec<String>> {
        let sql = Sql::text(
            "SELECT user_id FROM annotation_queue_assignments WHERE project_id = $1 \
             AND queue_id = $2 ORDER BY created_at, user_id",
        )
        .bind(project.as_str())
        .bind(queue);
        let rows: Vec<(String,)> = self.db.fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(user,)| user).collect())
    }
}
