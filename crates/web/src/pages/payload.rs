//! How trace content is shown: inputs, outputs and metadata become text here, in Rust (pretty
//! JSON, chat messages as a conversation, short previews), and templates print that text
//! escaped. Nothing of it is ever marked safe: every string in a trace is attacker-controlled.

use serde_json::{Map, Value};
use sightline_domain::ProjectId;
use sightline_domain::ingest::merge::metadata_for_read;
use sightline_domain::media::{MediaKind, MediaReference, TextPart, split_references};

/// Longest preview in a table cell, in characters.
pub const PREVIEW_CHARS: usize = 120;

/// A payload as the detail views render it.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    /// `empty`, `text` (a plain string, wrapped), `json` (pretty-printed) or `chat`.
    pub kind: &'static str,
    pub text: String,
    pub messages: Vec<ChatMessage>,
    /// The media its strings reference, shown inline below it.
    pub media: Vec<MediaTag>,
}

/// A `@@@langfuseMedia:…@@@` reference found in a payload, served by the project's media
/// route (the bytes come from blob storage with a sandboxing CSP).
#[derive(Debug, Clone)]
pub struct MediaTag {
    pub url: String,
    /// `image`, `audio`, `video`, `pdf` or `file`: how the view shows it.
    pub kind: &'static str,
    pub content_type: String,
    pub media_id: String,
}

/// One message of a conversation (`[{role, content}]`).
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub role: String,
    /// The message's text, or its content as pretty JSON when it is not text.
    pub content: String,
    /// Whether `content` is JSON (shown monospaced) rather than prose.
    pub json: bool,
    /// Anything else the message carries (tool calls, names), pretty-printed.
    pub extra: Option<String>,
}

impl Payload {
    pub fn is_empty(&self) -> bool {
        self.kind == "empty"
    }
}

/// Renders `value` for a detail view.
pub fn payload(value: Option<&Value>) -> Payload {
    match value {
        None | Some(Value::Null) => Payload {
            kind: "empty",
            ..Payload::default()
        },
        Some(Value::String(text)) => Payload {
            kind: "text",
            text: text.clone(),
            ..Payload::default()
        },
        Some(value) => match chat_messages(value) {
            Some(messages) => Payload {
                kind: "chat",
                messages,
                ..Payload::default()
            },
            None => Payload {
                kind: "json",
                text: pretty(value),
                ..Payload::default()
            },
        },
    }
}

/// A metadata object for a detail view (`empty` when it has no keys), as the API returns it:
/// string values that hold JSON parsed (`metadata_for_read`), so a LangChain trace's
/// `ls_integration` reads `"langchain_chat_model"`, not its JSON-quoted text.
pub fn metadata(map: &Map<String, Value>) -> Payload {
    if map.is_empty() {
        return payload(None);
    }
    Payload {
        kind: "json",
        text: pretty(&Value::Object(metadata_for_read(map))),
        ..Payload::default()
    }
}

/// A trace's or observation's input or output: [`payload`] with the media it references.
pub fn io(value: Option<&Value>, project: &ProjectId) -> Payload {
    let mut shown = payload(value);
    if let Some(value) = value {
        shown.media = media_tags(value, project);
    }
    shown
}

/// [`metadata`] with the media it references.
pub fn metadata_io(map: &Map<String, Value>, project: &ProjectId) -> Payload {
    let mut shown = metadata(map);
    shown.media = map
        .values()
        .flat_map(|value| media_tags(value, project))
        .collect();
    shown
}

/// The media referenced anywhere in `value`'s strings, each once, in order.
fn media_tags(value: &Value, project: &ProjectId) -> Vec<MediaTag> {
    fn walk(value: &Value, found: &mut Vec<MediaReference>) {
        match value {
            Value::String(text) if text.contains("@@@langfuseMedia:") => {
                for part in split_references(text) {
                    if let TextPart::Media(reference) = part
                        && !found.iter().any(|r| r.media_id == reference.media_id)
                    {
                        found.push(reference);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
            Value::Object(map) => map.values().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, &mut found);
    found
        .into_iter()
        .map(|reference| MediaTag {
            url: crate::urls::project_section(
                project,
                &format!("media/{}", crate::urls::segment(&reference.media_id)),
            ),
            kind: match MediaKind::of(&reference.content_type) {
                MediaKind::Image => "image",
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
                MediaKind::Pdf => "pdf",
                MediaKind::Other => "file",
            },
            content_type: reference.content_type,
            media_id: reference.media_id,
        })
        .collect()
}

pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A completion choice stands for its message.
fn message(item: &Value) -> &Value {
    match item.get("message") {
        Some(message) if message.is_object() => message,
        _ => item,
    }
}

/// A chat: an array of `{role, content}` objects, or an object holding one in `messages`; one
/// `{role, content}` message (a chat completion's output); or completion choices
/// (`{choices: [{message}]}`, or the array of choices), each its `message`.
fn chat_messages(value: &Value) -> Option<Vec<ChatMessage>> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().map(message).collect(),
        Value::Object(object) if object.get("role").is_some_and(Value::is_string) => vec![value],
        Value::Object(object) => match object.get("messages").or_else(|| object.get("choices")) {
            Some(Value::Array(items)) => items.iter().map(message).collect(),
            _ => return None,
        },
        _ => return None,
    };
    if items.is_empty() {
        return None;
    }
    items
        .into_iter()
        .map(|item| {
            let object = item.as_object()?;
            let role = object.get("role")?.as_str()?.to_owned();
            let (content, json) = match object.get("content") {
                None | Some(Value::Null) => (String::new(), false),
                Some(Value::String(text)) => (text.clone(), false),
                Some(parts @ Value::Array(items)) => match text_parts(items) {
                    Some(text) => (text, false),
                    None => (pretty(parts), true),
                },
                Some(other) => (pretty(other), true),
            };
            let rest: Map<String, Value> = object
                .iter()
                .filter(|(key, _)| *key != "role" && *key != "content")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            Some(ChatMessage {
                role,
                content,
                json,
                extra: (!rest.is_empty()).then(|| pretty(&Value::Object(rest))),
            })
        })
        .collect()
}

/// The text of content parts when they are all `{type: "text", text}`.
fn text_parts(items: &[Value]) -> Option<String> {
    let texts: Option<Vec<&str>> = items
        .iter()
        .map(|part| {
            let part = part.as_object()?;
            (part.get("type")?.as_str()? == "text")
                .then(|| part.get("text")?.as_str())
                .flatten()
        })
        .collect();
    texts.map(|texts| texts.join("\n\n"))
}

/// One line of a table cell: strings as they are, other values as compact JSON, cut to
/// [`PREVIEW_CHARS`].
pub fn preview(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => return String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(value) => value.to_string(),
    };
    truncate(&text, PREVIEW_CHARS)
}

/// `text` cut to `max` characters (with an ellipsis), whitespace runs folded to one space.
pub fn truncate(text: &str, max: usize) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let mut cut: String = folded.chars().take(max).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_reads_as_the_api_returns_it() {
        let stored = json!({
            "ls_integration": "\"langchain_chat_model\"",
            "lc_versions": "{\"langchain-core\":\"0.3.1\"}",
            "plain": "text",
            "n": 3,
        });
        let shown = metadata(stored.as_object().unwrap());
        let parsed: Value = serde_json::from_str(&shown.text).unwrap();
        assert_eq!(
            parsed,
            json!({
                "ls_integration": "langchain_chat_model",
                "lc_versions": {"langchain-core": "0.3.1"},
                "plain": "text",
                "n": 3,
            })
        );
    }

    #[test]
    fn completion_outputs_render_as_messages() {
        for output in [
            json!({"role": "assistant", "content": "Paris."}),
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}}]}),
            json!([{"index": 0, "message": {"role": "assistant", "content": "Paris."}}]),
        ] {
            let shown = payload(Some(&output));
            assert_eq!(shown.kind, "chat", "{output}");
            assert_eq!(shown.messages[0].role, "assistant");
            assert_eq!(shown.messages[0].content, "Paris.");
        }
        assert_eq!(payload(Some(&json!({"answer": "Paris"}))).kind, "json");
    }

    #[test]
    fn chats_render_as_conversations() {
        let chat = json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1"}]},
        ]);
        let shown = payload(Some(&chat));
        assert_eq!(shown.kind, "chat");
        assert_eq!(shown.messages.len(), 3);
        assert_eq!(shown.messages[1].content, "Hi");
        assert!(shown.messages[2].extra.as_deref().unwrap().contains("c1"));
        let wrapped = payload(Some(&json!({"messages": chat})));
        assert_eq!(wrapped.kind, "chat");
    }

    #[test]
    fn other_values_are_pretty_json_or_text() {
        assert_eq!(payload(Some(&json!("plain"))).kind, "text");
        assert_eq!(payload(None).kind, "empty");
        let shown = payload(Some(&json!([{"role": 1}])));
        assert_eq!(shown.kind, "json");
        assert!(
            payload(Some(&json!({"a": 1})))
                .text
                .contains("\n  \"a\": 1")
        );
    }

    #[test]
    fn previews_are_short_single_lines() {
        assert_eq!(preview(Some(&json!("a\n  b"))), "a b");
        assert_eq!(preview(Some(&json!({"k": "v"}))), "{\"k\":\"v\"}");
        let long = "é".repeat(500);
        assert_eq!(
            preview(Some(&json!(long))).chars().count(),
            PREVIEW_CHARS + 1
        );
    }
}
