//! The prompt list of `GET /v2/prompts`: a page of names whose versions match the filters,
//! each with its matching versions, their labels and the newest one's type, tags and config.

use std::collections::BTreeSet;

use sightline_domain::ProjectId;

use super::model::{
    PromptListQuery, PromptSqlRow, PromptSummary, corrupt, parse_tags, prefixed_columns,
};
use crate::error::StoreResult;
use crate::sql::{Db, Dialect, Sql, Where, like_literal};

/// The conditions on versions (`prompts p`) that the query asks for.
fn list_filter(dialect: Dialect, project: &str, query: &PromptListQuery) -> Where {
    let mut filter = Where::new(dialect);
    filter.eq("p.project_id", project);
    if let Some(name) = &query.name {
        filter.eq("p.name", name.as_str());
    }
    if let Some(version) = query.version {
        filter.push("p.version = {}", version);
    }
    if let Some(label) = &query.label {
        filter.push(
            "EXISTS (SELECT 1 FROM prompt_labels l WHERE l.project_id = p.project_id \
             AND l.name = p.name AND l.version = p.version AND l.label = {})",
            label.as_str(),
        );
    }
    if let Some(tag) = &query.tag {
        // Tags are a JSON array of strings: match the quoted tag.
        let quoted = serde_json::Value::String(tag.clone()).to_string();
        filter.push(
            "p.tags LIKE {} ESCAPE '\\'",
            format!("%{}%", like_literal(&quoted)),
        );
    }
    if let Some(from) = query.from_updated_at {
        filter.push("p.updated_at >= {}", from);
    }
    if let Some(to) = query.to_updated_at {
        filter.push("p.updated_at < {}", to);
    }
    filter
}

/// A page of prompt names (ordered by name) with their matching versions, and the number of
/// all names that match.
pub(super) async fn list(
    db: &Db,
    project: &ProjectId,
    query: &PromptListQuery,
) -> StoreResult<(Vec<PromptSummary>, u64)> {
    let project = project.as_str();
    let filter = list_filter(db.dialect(), project, query);
    let mut count_sql = Sql::new();
    count_sql
        .sql("SELECT COUNT(DISTINCT p.name) FROM prompts p WHERE ")
        .append(filter.to_sql());
    let (total,): (i64,) = db.fetch_one(&count_sql).await?;
    let mut names_sql = Sql::new();
    names_sql
        .sql("SELECT p.name FROM prompts p WHERE ")
        .append(filter.to_sql())
        .sql(&format!(
            " GROUP BY p.name ORDER BY p.name LIMIT {} OFFSET {}",
            query.limit, query.offset
        ));
    let names: Vec<(String,)> = db.fetch_all(&names_sql).await?;
    let names: Vec<String> = names.into_iter().map(|(name,)| name).collect();
    let total = u64::try_from(total).unwrap_or(0);
    if names.is_empty() {
        return Ok((Vec::new(), total));
    }
    let mut rows_filter = list_filter(db.dialect(), project, query);
    rows_filter.push_in("p.name", &names);
    let mut rows_sql = Sql::new();
    rows_sql
        .sql(&format!(
            "SELECT {} FROM prompts p WHERE ",
            prefixed_columns("p")
        ))
        .append(rows_filter.to_sql())
        .sql(" ORDER BY p.name, p.version");
    let rows: Vec<PromptSqlRow> = db.fetch_all(&rows_sql).await?;
    let mut labels_filter = Where::new(db.dialect());
    labels_filter.eq("project_id", project);
    labels_filter.push_in("name", &names);
    let mut labels_sql = Sql::new();
    labels_sql
        .sql("SELECT name, version, label FROM prompt_labels WHERE ")
        .append(labels_filter.to_sql());
    let labels: Vec<(String, i64, String)> = db.fetch_all(&labels_sql).await?;
    let mut summaries = Vec::with_capacity(names.len());
    for name in names {
        let versions: Vec<&PromptSqlRow> = rows.iter().filter(|row| row.name == name).collect();
        let Some(newest) = versions.last() else {
            continue;
        };
        let numbers: Vec<i64> = versions.iter().map(|row| row.version).collect();
        let version_labels: BTreeSet<String> = labels
            .iter()
            .filter(|(label_name, version, _)| *label_name == name && numbers.contains(version))
            .map(|(_, _, label)| label.clone())
            .collect();
        summaries.push(PromptSummary {
            r#type: newest.r#type.parse().map_err(|e| corrupt("type", e))?,
            versions: numbers,
            labels: version_labels.into_iter().collect(),
            tags: parse_tags(&newest.tags)?,
            last_updated_at: versions.iter().map(|row| row.updated_at).max().unwrap_or(0),
            last_config: serde_json::from_str(&newest.config).map_err(|e| corrupt("config", e))?,
            name,
        });
    }
    Ok((summaries, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_of_the_list_binds_its_value() {
        let query = PromptListQuery {
            name: Some("greet".into()),
            label: Some("production".into()),
            tag: Some("50%_off".into()),
            version: Some(2),
            from_updated_at: Some(10),
            to_updated_at: Some(20),
            limit: 10,
            offset: 0,
        };
        let sql = list_filter(Dialect::Postgres, "p1", &query).to_sql();
        assert_eq!(
            sql.render(Dialect::Postgres),
            "p.project_id = $1 AND p.name = $2 AND p.version = $3 AND EXISTS (SELECT 1 FROM \
             prompt_labels l WHERE l.project_id = p.project_id AND l.name = p.name AND \
             l.version = p.version AND l.label = $4) AND p.tags LIKE $5 ESCAPE '\\' AND \
             p.updated_at >= $6 AND p.updated_at < $7"
        );
        assert_eq!(sql.args()[4], "%\"50\\%\\_off\"%".into());
        let plain = list_filter(Dialect::Sqlite, "p1", &PromptListQuery::default()).to_sql();
        assert_eq!(plain.render(Dialect::Sqlite), "p.project_id = ?");
    }
}
