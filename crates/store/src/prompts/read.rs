//! Reading prompt versions: one by version or label, every version of a name, the versions
//! that reference a name, version ids by name, the protected labels and the change counter.
//! The statements that the writes also run inside their transaction take a
//! [`Runner`](crate::sql::db::Runner).

use sightline_domain::ProjectId;

use super::model::{PROMPT_COLUMNS, PromptSelector, PromptSqlRow, PromptVersion, prefixed_columns};
use crate::error::StoreResult;
use crate::sql::db::Runner;
use crate::sql::{Db, Sql, Where, like_literal};

/// What a prompt statement runs on: a pooled connection held for a read, or the write
/// transaction.
/// The labels of one version, in the order they were given.
async fn labels_of(
    conn: &mut impl Runner,
    project: &str,
    name: &str,
    version: i64,
) -> StoreResult<Vec<String>> {
    let sql = Sql::text(
        "SELECT label FROM prompt_labels WHERE project_id = $1 AND name = $2 \
         AND version = $3 ORDER BY position, label",
    )
    .bind(project)
    .bind(name)
    .bind(version);
    let rows: Vec<(String,)> = conn.conn().fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|(label,)| label).collect())
}

/// The version a selector names, with its labels.
pub(super) async fn find(
    conn: &mut impl Runner,
    project: &str,
    name: &str,
    selector: &PromptSelector,
) -> StoreResult<Option<PromptVersion>> {
    let sql = match selector {
        PromptSelector::Version(version) => Sql::text(format!(
            "SELECT {PROMPT_COLUMNS} FROM prompts \
             WHERE project_id = $1 AND name = $2 AND version = $3"
        ))
        .bind(project)
        .bind(name)
        .bind(*version),
        PromptSelector::Label(label) => Sql::text(format!(
            "SELECT {} FROM prompt_labels l JOIN prompts p \
             ON p.project_id = l.project_id AND p.name = l.name AND p.version = l.version \
             WHERE l.project_id = $1 AND l.name = $2 AND l.label = $3",
            prefixed_columns("p")
        ))
        .bind(project)
        .bind(name)
        .bind(label.as_str()),
    };
    let row: Option<PromptSqlRow> = conn.conn().fetch_optional(&sql).await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let labels = labels_of(conn, project, name, row.version).await?;
    row.into_version(labels).map(Some)
}

/// Every version of the name (oldest first), or of the other names whose content mentions a
/// reference to it (`referencing`), with their labels.
pub(super) async fn versions(
    conn: &mut impl Runner,
    project: &str,
    name: &str,
    referencing: bool,
) -> StoreResult<Vec<PromptVersion>> {
    let mut filter = Where::new(conn.conn().dialect());
    filter.eq("project_id", project);
    if referencing {
        filter.push("name <> {}", name);
        let tag = format!("@@@langfusePrompt:name={name}|");
        filter.push(
            "prompt LIKE {} ESCAPE '\\'",
            format!("%{}%", like_literal(&tag)),
        );
    } else {
        filter.eq("name", name);
    }
    let mut sql = Sql::new();
    sql.sql(&format!("SELECT {PROMPT_COLUMNS} FROM prompts WHERE "))
        .append(filter.to_sql())
        .sql(" ORDER BY name, version");
    let rows: Vec<PromptSqlRow> = conn.conn().fetch_all(&sql).await?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in rows {
        let labels = labels_of(conn, project, &row.name, row.version).await?;
        versions.push(row.into_version(labels)?);
    }
    Ok(versions)
}

/// `(name, version, id)` of every version of these names.
pub(super) async fn prompt_ids(
    db: &Db,
    project: &ProjectId,
    names: &[String],
) -> StoreResult<Vec<(String, i64, String)>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut filter = Where::new(db.dialect());
    filter.eq("project_id", project.as_str());
    filter.push_in("name", names);
    let mut sql = Sql::new();
    sql.sql("SELECT name, version, id FROM prompts WHERE ")
        .append(filter.to_sql());
    db.fetch_all(&sql).await
}

/// The project's protected labels, sorted.
pub(super) async fn protected_labels(db: &Db, project: &ProjectId) -> StoreResult<Vec<String>> {
    let sql =
        Sql::text("SELECT label FROM prompt_protected_labels WHERE project_id = $1 ORDER BY label")
            .bind(project.as_str());
    let rows: Vec<(String,)> = db.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|(label,)| label).collect())
}

/// How many prompt writes the project has had (0 before the first).
pub(super) async fn change_counter(db: &Db, project: &ProjectId) -> StoreResult<i64> {
    let sql = Sql::text("SELECT counter FROM prompt_changes WHERE project_id = $1")
        .bind(project.as_str());
    let row: Option<(i64,)> = db.fetch_optional(&sql).await?;
    Ok(row.map_or(0, |(counter,)| counter))
}
