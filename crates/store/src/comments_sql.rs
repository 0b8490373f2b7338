//! Comments, shared by both backends and stamped onto each store by `impl_comment_store!`. User
//! input only ever reaches a query as a bound parameter.

/// Implements [`crate::CommentStore`] for `$store` (a struct with a `pool` of `$db`);
/// `anonymous_params` as in `impl_tracing_store!`.
macro_rules! impl_comment_store {
    ($store:ty, db: $db:ty, anonymous_params: $anonymous:expr) => {
        mod comments_impl {
            use $crate::StoreResult;
            use $crate::comments_model::*;
            use $crate::sql_where::{Where, bind_all};

            fn placeholders(count: usize) -> String {
                (1..=count)
                    .map(|n| {
                        if $anonymous {
                            "?".to_owned()
                        } else {
                            format!("${n}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            pub(super) async fn insert_comment(
                pool: &sqlx::Pool<$db>,
                comment: &Comment,
            ) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO comments ({COMMENT_COLUMNS}) VALUES ({})",
                    placeholders(8)
                );
                sqlx::query(&sql)
                    .bind(&comment.id)
                    .bind(comment.project_id.as_str())
                    .bind(comment.object_type.as_str())
                    .bind(&comment.object_id)
                    .bind(&comment.content)
                    .bind(&comment.author_user_id)
                    .bind(comment.created_at)
                    .bind(comment.updated_at)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub(super) async fn comment(
                pool: &sqlx::Pool<$db>,
                project: &str,
                id: &str,
            ) -> StoreResult<Option<Comment>> {
                let mut filter = Where::new($anonymous);
                filter.eq("project_id", project);
                filter.eq("id", id);
                let sql = format!(
                    "SELECT {COMMENT_COLUMNS} FROM comments WHERE {}",
                    filter.sql()
                );
                let row: Option<CommentSqlRow> = bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_optional(pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            pub(super) async fn list_comments(
                pool: &sqlx::Pool<$db>,
                project: &str,
                query: &CommentQuery,
            ) -> StoreResult<(Vec<Comment>, u64)> {
                let mut filter = Where::new($anonymous);
                filter.eq("project_id", project);
                if let Some(object_type) = query.object_type {
                    filter.eq("object_type", object_type.as_str());
                }
                if let Some(object_id) = &query.object_id {
                    filter.eq("object_id", object_id);
                }
                if let Some(author) = &query.author_user_id {
                    filter.eq("author_user_id", author);
                }
                let sql = format!(
                    "SELECT {COMMENT_COLUMNS} FROM comments WHERE {} \
                     ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
                    filter.sql(),
                    query.limit,
                    query.offset,
                );
                let rows: Vec<CommentSqlRow> = bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_all(pool)
                    .await?;
                let comments = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<StoreResult<Vec<_>>>()?;
                let count_sql = format!("SELECT COUNT(*) FROM comments WHERE {}", filter.sql());
                let (total,): (i64,) = bind_all!(sqlx::query_as(&count_sql), &filter.params)
                    .fetch_one(pool)
                    .await?;
                Ok((comments, u64::try_from(total).unwrap_or(0)))
            }

            pub(super) async fn comment_object_exists(
                pool: &sqlx::Pool<$db>,
                project: &str,
                object_type: CommentObjectType,
                object_id: &str,
            ) -> StoreResult<bool> {
                let mut filter = Where::new($anonymous);
                filter.eq("project_id", project);
                filter.eq("id", object_id);
                let table = match object_type {
                    CommentObjectType::Trace => "traces",
                    CommentObjectType::Observation => "observations",
                    CommentObjectType::Session => "sessions",
                    // A prompt comment names one prompt version by its id.
                    CommentObjectType::Prompt => "prompts",
                };
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE {}", filter.sql());
                let (count,): (i64,) = bind_all!(sqlx::query_as(&sql), &filter.params)
                    .fetch_one(pool)
                    .await?;
                Ok(count > 0)
            }
        }

        #[async_trait::async_trait]
        impl $crate::CommentStore for $store {
            async fn insert_comment(&self, comment: &$crate::Comment) -> $crate::StoreResult<()> {
                comments_impl::insert_comment(&self.pool, comment).await
            }

            async fn comment(
                &self,
                project: &sightline_domain::ProjectId,
                id: &str,
            ) -> $crate::StoreResult<Option<$crate::Comment>> {
                comments_impl::comment(&self.pool, project.as_str(), id).await
            }

            async fn list_comments(
                &self,
                project: &sightline_domain::ProjectId,
                query: &$crate::CommentQuery,
            ) -> $crate::StoreResult<(Vec<$crate::Comment>, u64)> {
                comments_impl::list_comments(&self.pool, project.as_str(), query).await
            }

            async fn comment_object_exists(
                &self,
                project: &sightline_domain::ProjectId,
                object_type: $crate::CommentObjectType,
                object_id: &str,
            ) -> $crate::StoreResult<bool> {
                comments_impl::comment_object_exists(
                    &self.pool,
                    project.as_str(),
                    object_type,
                    object_id,
                )
                .await
            }
        }
    };
}

pub(crate) use impl_comment_store;
