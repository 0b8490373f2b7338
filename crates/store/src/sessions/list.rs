//! [`SessionStore`] on the relational store: a page of the `sessions` table and its count.

use async_trait::async_trait;
use sightline_domain::ProjectId;

use super::{SessionQuery, SessionRow, SessionStore};
use crate::error::StoreResult;
use crate::sql::{Dialect, Sql, SqlStore, Where};

/// The conditions of a session list.
fn session_filter(dialect: Dialect, project: &ProjectId, query: &SessionQuery) -> Where {
    let mut filter = Where::new(dialect);
    filter.eq("project_id", project.as_str());
    if let Some(id) = &query.id {
        filter.eq("id", id);
    }
    if let Some(from) = query.from_timestamp {
        filter.push("created_at >= {}", from);
    }
    if let Some(to) = query.to_timestamp {
        filter.push("created_at < {}", to);
    }
    filter.push_in("environment", &query.environments);
    filter
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn list_sessions(
        &self,
        project: &ProjectId,
        query: &SessionQuery,
    ) -> StoreResult<(Vec<SessionRow>, u64)> {
        let filter = session_filter(self.db.dialect(), project, query).to_sql();
        let mut page = Sql::new();
        page.sql("SELECT id, environment, created_at FROM sessions WHERE ")
            .append(filter.clone())
            .sql(&format!(
                " ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
                query.limit, query.offset
            ));
        let rows: Vec<(String, String, i64)> = self.db.fetch_all(&page).await?;
        let mut count = Sql::new();
        count
            .sql("SELECT COUNT(*) FROM sessions WHERE ")
            .append(filter);
        let (total,): (i64,) = self.db.fetch_one(&count).await?;
        Ok((
            rows.into_iter()
                .map(|(id, environment, created_at)| SessionRow {
                    id,
                    environment,
                    created_at,
                })
                .collect(),
            u64::try_from(total).unwrap_or(0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_list_filters_by_creation_time_and_environment() {
        let query = SessionQuery {
            from_timestamp: Some(1),
            to_timestamp: Some(2),
            environments: vec!["a".into(), "b".into()],
            ..SessionQuery::default()
        };
        let project = ProjectId::from_trusted("p".to_owned());
        let sql = session_filter(Dialect::Postgres, &project, &query).to_sql();
        assert_eq!(
            sql.render(Dialect::Postgres),
            "project_id = $1 AND created_at >= $2 AND created_at < $3 AND environment IN ($4, $5)"
        );
    }
}
