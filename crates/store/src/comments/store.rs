//! [`CommentStore`] on the relational store: comments, and the existence of the prompt
//! versions they may name.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::model::{COMMENT_COLUMNS, CommentSqlRow};
use super::{Comment, CommentQuery, CommentStore};
use crate::error::StoreResult;
use crate::sql::{Sql, SqlStore, Where};

#[async_trait]
impl CommentStore for SqlStore {
    async fn insert_comment(&self, comment: &Comment) -> StoreResult<()> {
        let sql = Sql::text(format!(
            "INSERT INTO comments ({COMMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&comment.id)
        .bind(comment.project_id.as_str())
        .bind(comment.object_type.as_str())
        .bind(&comment.object_id)
        .bind(&comment.content)
        .bind(&comment.author_user_id)
        .bind(comment.created_at)
        .bind(comment.updated_at);
        self.db.execute(&sql).await?;
        Ok(())
    }

    async fn comment(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Comment>> {
        let sql = Sql::text(format!(
            "SELECT {COMMENT_COLUMNS} FROM comments WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.as_str())
        .bind(id);
        let row: Option<CommentSqlRow> = self.db.fetch_optional(&sql).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_comments(
        &self,
        project: &ProjectId,
        query: &CommentQuery,
    ) -> StoreResult<(Vec<Comment>, u64)> {
        let filter = comment_filter(self.db.dialect(), project, query).to_sql();
        let mut page = Sql::new();
        page.sql(&format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE "))
            .append(filter.clone())
            .sql(&format!(
                " ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
                query.limit, query.offset
            ));
        let rows: Vec<CommentSqlRow> = self.db.fetch_all(&page).await?;
        let comments = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut count = Sql::new();
        count
            .sql("SELECT COUNT(*) FROM comments WHERE ")
            .append(filter);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((comments, u64::try_from(total).unwrap_or(0)))
    }

    async fn comment_prompt_exists(
        &self,
        project: &ProjectId,
        prompt_id: &str,
    ) -> StoreResult<bool> {
        // A prompt comment names one prompt version by its id.
        let sql = Sql::text("SELECT COUNT(*) FROM prompts WHERE project_id = $1 AND id = $2")
            .bind(project.as_str())
            .bind(prompt_id);
        let (count,): (i64,) = self.db.fetch_one(&sql).await?;
        Ok(count > 0)
    }
}

/// The conditions of `GET /comments`.
fn comment_filter(
    dialect: crate::sql::Dialect,
    project: &ProjectId,
    query: &CommentQuery,
) -> Where {
    let mut filter = Where::new(dialect);
    filter.eq("project_id", project.as_str());
    if let Some(object_type) = query.object_type {
        filter.eq("object_type", object_type.as_str());
    }
    if let Some(object_id) = &query.object_id {
        filter.eq("object_id", object_id);
    }
    if let Some(author) = &query.author_user_id {
        filter.eq("author_user_id", author);
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CommentObjectType;
    use crate::sql::Dialect;

    #[test]
    fn the_comment_filter_binds_only_the_given_fields() {
        let query = CommentQuery {
            object_type: Some(CommentObjectType::Trace),
            author_user_id: Some("u".into()),
            ..CommentQuery::default()
        };
        let project = ProjectId::from_trusted("p".to_owned());
        let sql = comment_filter(Dialect::Postgres, &project, &query).to_sql();
        assert_eq!(
            sql.render(Dialect::Postgres),
            "project_id = $1 AND object_type = $2 AND author_user_id = $3"
        );
        assert_eq!(
            sql.render(Dialect::Sqlite),
            "project_id = ? AND object_type = ? AND author_user_id = ?"
        );
    }
}
