//! Comments (wire-spec §5.8): `POST /api/public/comments` on a trace, observation, session or
//! prompt, `GET /comments` (filtered, paged) and `GET /comments/{commentId}`.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::UserId;
use sightline_domain::time::{now_ms, to_iso};
use sightline_store::{Comment, CommentObjectType, CommentQuery};

use crate::auth::ProjectAuth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, QueryPairs};
use crate::services::comments;
use crate::state::AppState;

/// Langfuse's limit on a comment's length, in characters after trimming.
const MAX_CONTENT_CHARS: usize = 5000;

/// The body of `POST /comments`; Langfuse's schema is strict, so unknown fields are rejected.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateComment {
    /// Required by the schema; the comment is stored in the key's project whatever it says,
    /// as Langfuse does.
    #[allow(dead_code)]
    project_id: String,
    object_type: String,
    object_id: String,
    content: String,
    #[serde(default)]
    author_user_id: Option<String>,
}

fn object_type(raw: &str) -> ApiResult<CommentObjectType> {
    CommentObjectType::parse(raw).ok_or_else(|| {
        ApiError::InvalidRequest(format!(
            "objectType: expected one of TRACE, OBSERVATION, SESSION, PROMPT, got '{raw}'"
        ))
    })
}

/// The JSON shape of a comment.
fn view(comment: &Comment) -> Value {
    json!({
        "id": comment.id,
        "projectId": comment.project_id.as_str(),
        "createdAt": to_iso(comment.created_at),
        "updatedAt": to_iso(comment.updated_at),
        "objectType": comment.object_type.as_str(),
        "objectId": comment.object_id,
        "content": comment.content,
        "authorUserId": comment.author_user_id,
    })
}

pub async fn post_comment(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Json(body): Json<CreateComment>,
) -> ApiResult<axum::Json<Value>> {
    let object_type = object_type(&body.object_type)?;
    if body.object_id.is_empty() {
        return Err(ApiError::InvalidRequest(
            "objectId: must not be empty".into(),
        ));
    }
    let content = body.content.trim();
    let length = content.chars().count();
    if !(1..=MAX_CONTENT_CHARS).contains(&length) {
        return Err(ApiError::InvalidRequest(format!(
            "content: must be 1 to {MAX_CONTENT_CHARS} characters, got {length}"
        )));
    }
    let store = state.store();
    if let Some(author) = &body.author_user_id {
        let member = match UserId::parse(author) {
            Ok(user) => store
                .metadata()
                .org_role(&caller.org_id, &user)
                .await?
                .is_some(),
            Err(_) => false,
        };
        if !member {
            return Err(ApiError::InvalidRequest(format!(
                "User {author} is not a member of the organization"
            )));
        }
    }
    if !comments::comment_object_exists(store, &caller.project_id, object_type, &body.object_id)
        .await?
    {
        let kind = match object_type {
            CommentObjectType::Trace => "trace",
            CommentObjectType::Observation => "observation",
            CommentObjectType::Session => "session",
            CommentObjectType::Prompt => "prompt",
        };
        return Err(ApiError::NotFound(format!(
            "No {kind} with id {} in project {}",
            body.object_id,
            caller.project_id.as_str()
        )));
    }
    let now = now_ms();
    let comment = Comment {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: caller.project_id.clone(),
        object_type,
        object_id: body.object_id,
        content: content.to_owned(),
        author_user_id: body.author_user_id,
        created_at: now,
        updated_at: now,
    };
    store.metadata().insert_comment(&comment).await?;
    Ok(axum::Json(json!({"id": comment.id})))
}

pub async fn get_comments(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    query: QueryPairs,
) -> ApiResult<axum::Json<Value>> {
    let page = query.page()?;
    let object_type = query.get("objectType").map(object_type).transpose()?;
    let object_id = query.get("objectId").map(str::to_owned);
    if object_id.is_some() && object_type.is_none() {
        return Err(ApiError::InvalidRequest(
            "objectType is required when objectId is given".into(),
        ));
    }
    let comment_query = CommentQuery {
        object_type,
        object_id,
        author_user_id: query.get("authorUserId").map(str::to_owned),
        limit: page.limit,
        offset: page.offset(),
    };
    let (comments, total) = state
        .store()
        .metadata()
        .list_comments(&caller.project_id, &comment_query)
        .await?;
    let data: Vec<Value> = comments.iter().map(view).collect();
    Ok(axum::Json(json!({"data": data, "meta": page.meta(total)})))
}

pub async fn get_comment(
    State(state): State<AppState>,
    ProjectAuth(caller): ProjectAuth,
    Path(comment_id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let comment = state
        .store()
        .metadata()
        .comment(&caller.project_id, &comment_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Comment not found".into()))?;
    Ok(axum::Json(view(&comment)))
}
