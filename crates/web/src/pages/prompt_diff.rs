//! A side-by-side diff of two versions of a prompt: the content (a text, or chat messages as
//! `[role]` blocks) and the config (pretty JSON), line by line (`similar`'s Myers diff), with
//! each version's labels, commit message and author.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use sightline_domain::ProjectScope;
use similar::{DiffOp, TextDiff};

use crate::error::{WebError, WebResult};
use crate::pages::page;
use crate::pages::payload::pretty;
use crate::pages::prompts::{prompt_url, prompts_url};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::views::Layout;

/// One row of a side-by-side diff: a line of the left version, of the right one, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// `same`, `removed`, `added` or `changed` (a line replaced by another).
    pub kind: &'static str,
    pub left_number: Option<usize>,
    pub left: String,
    pub right_number: Option<usize>,
    pub right: String,
}

/// The rows of a side-by-side line diff of `left` against `right`.
pub fn side_by_side(left: &str, right: &str) -> Vec<DiffRow> {
    let diff = TextDiff::from_lines(left, right);
    let old: Vec<&str> = diff.old_slices().to_vec();
    let new: Vec<&str> = diff.new_slices().to_vec();
    let line =
        |lines: &[&str], index: usize| lines[index].trim_end_matches(['\n', '\r']).to_owned();
    let mut rows = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => rows.extend((0..len).map(|i| DiffRow {
                kind: "same",
                left_number: Some(old_index + i + 1),
                left: line(&old, old_index + i),
                right_number: Some(new_index + i + 1),
                right: line(&new, new_index + i),
            })),
            DiffOp::Delete {
                old_index, old_len, ..
            } => rows.extend((0..old_len).map(|i| DiffRow {
                kind: "removed",
                left_number: Some(old_index + i + 1),
                left: line(&old, old_index + i),
                right_number: None,
                right: String::new(),
            })),
            DiffOp::Insert {
                new_index, new_len, ..
            } => rows.extend((0..new_len).map(|i| DiffRow {
                kind: "added",
                left_number: None,
                left: String::new(),
                right_number: Some(new_index + i + 1),
                right: line(&new, new_index + i),
            })),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => rows.extend((0..old_len.max(new_len)).map(|i| DiffRow {
                kind: match (i < old_len, i < new_len) {
                    (true, true) => "changed",
                    (true, false) => "removed",
                    _ => "added",
                },
                left_number: (i < old_len).then_some(old_index + i + 1),
                left: if i < old_len {
                    line(&old, old_index + i)
                } else {
                    String::new()
                },
                right_number: (i < new_len).then_some(new_index + i + 1),
                right: if i < new_len {
                    line(&new, new_index + i)
                } else {
                    String::new()
                },
            })),
        }
    }
    rows
}

/// A prompt's content as lines to compare: the text, or each message as a `[role]` line and
/// its content (a placeholder as `[placeholder] name`).
pub fn content_text(prompt: &Value) -> String {
    match prompt {
        Value::String(text) => text.clone(),
        Value::Array(messages) => messages
            .iter()
            .map(|message| {
                let field = |name: &str| message.get(name).and_then(Value::as_str);
                if field("type") == Some("placeholder") {
                    format!("[placeholder] {}", field("name").unwrap_or_default())
                } else {
                    let content = match message.get("content") {
                        Some(Value::String(text)) => text.clone(),
                        Some(other) => pretty(other),
                        None => String::new(),
                    };
                    format!("[{}]\n{content}", field("role").unwrap_or_default())
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => pretty(other),
    }
}

/// A side of the comparison.
pub struct Side {
    pub version: i64,
    pub labels: Vec<String>,
    pub commit_message: String,
}

#[derive(Template)]
#[template(path = "prompt_diff.html")]
struct DiffPage {
    layout: Layout,
    access: ProjectAccess,
    name: String,
    versions: Vec<i64>,
    left: Side,
    right: Side,
    content: Vec<DiffRow>,
    config: Vec<DiffRow>,
    identical: bool,
    page_url: String,
    list_url: String,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    a: Option<i64>,
    b: Option<i64>,
}

/// `GET …/prompts/{name}/diff?a=&b=`: version `a` (left) against `b` (right); by default the
/// newest version against the one before it.
pub async fn get_prompt_diff(
    State(state): State<WebState>,
    Path((project_id, name)): Path<(String, String)>,
    Query(query): Query<DiffQuery>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::PromptsRead,
    )
    .await?;
    let versions = state
        .store()
        .metadata()
        .prompt_versions(&access.project.id, &name)
        .await?;
    let newest = versions.last().ok_or(WebError::NotFound)?.version;
    let before = versions
        .iter()
        .rev()
        .nth(1)
        .map_or(newest, |version| version.version);
    let find = |wanted: i64| {
        versions
            .iter()
            .find(|version| version.version == wanted)
            .ok_or_else(|| WebError::BadRequest(format!("{name} has no version {wanted}")))
    };
    let left = find(query.a.unwrap_or(before))?;
    let right = find(query.b.unwrap_or(newest))?;
    let content = side_by_side(&content_text(&left.prompt), &content_text(&right.prompt));
    let config = side_by_side(&pretty(&left.config), &pretty(&right.config));
    let identical = content.iter().chain(&config).all(|row| row.kind == "same");
    let side = |version: &sightline_store::PromptVersion| Side {
        version: version.version,
        labels: version.labels.clone(),
        commit_message: version.commit_message.clone().unwrap_or_default(),
    };
    let layout =
        Layout::for_project(state.store(), &signed_in, &csrf, &access.project, "prompts").await?;
    page(&DiffPage {
        layout,
        versions: versions
            .iter()
            .rev()
            .map(|version| version.version)
            .collect(),
        left: side(left),
        right: side(right),
        content,
        config,
        identical,
        page_url: prompt_url(&access.project.id, &name),
        list_url: prompts_url(&access.project.id),
        name,
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_replaced_line_sits_beside_its_replacement() {
        let rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n");
        let kinds: Vec<&str> = rows.iter().map(|row| row.kind).collect();
        assert_eq!(kinds, ["same", "changed", "same", "added"]);
        assert_eq!((rows[1].left.as_str(), rows[1].right.as_str()), ("b", "B"));
        assert_eq!(rows[3].left_number, None);
        assert_eq!(rows[3].right_number, Some(4));
    }

    #[test]
    fn chat_messages_compare_as_role_blocks() {
        let text = content_text(&json!([
            {"role": "system", "content": "Be brief."},
            {"type": "placeholder", "name": "history"}
        ]));
        assert_eq!(text, "[system]\nBe brief.\n[placeholder] history");
    }
}
