//! What a prompt version holds: a text (one string) or a chat (a list of `{role, content}`
//! messages and `{type: "placeholder", name}` slots filled at compile time), with `{{variable}}`
//! slots in the text.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

static MUSTACHE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{([^{}]*)\}\}").expect("valid regex"));
static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{L}[\p{L}\p{N}_]*$").expect("valid regex"));
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9_]*$").expect("valid regex"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptType {
    Text,
    Chat,
}

impl PromptType {
    pub fn as_str(self) -> &'static str {
        match self {
            PromptType::Text => "text",
            PromptType::Chat => "chat",
        }
    }
}

impl FromStr for PromptType {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "text" => Ok(PromptType::Text),
            "chat" => Ok(PromptType::Chat),
            other => Err(format!("type: expected 'text' or 'chat', got '{other}'")),
        }
    }
}

impl fmt::Display for PromptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Validated prompt content, in the JSON form it is stored and served in.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptContent {
    pub r#type: PromptType,
    pub prompt: Value,
}

impl PromptContent {
    /// Checks `prompt` against `type`: a text prompt is a string; a chat prompt is a list of
    /// `{role, content}` messages (kept as exactly those two fields, as Langfuse does) and
    /// placeholders whose names are identifiers. Variables and placeholders may not share names.
    pub fn parse(r#type: PromptType, prompt: Value) -> Result<Self, String> {
        match r#type {
            PromptType::Text => match prompt {
                Value::String(_) => Ok(PromptContent { r#type, prompt }),
                other => Err(format!(
                    "prompt: a text prompt must be a string, got {}",
                    kind(&other)
                )),
            },
            PromptType::Chat => {
                let Value::Array(items) = prompt else {
                    return Err(format!(
                        "prompt: a chat prompt must be a list of messages, got {}",
                        kind(&prompt)
                    ));
                };
                let messages = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| chat_message(item).map_err(|e| format!("prompt[{i}]: {e}")))
                    .collect::<Result<Vec<_>, _>>()?;
                let content = PromptContent {
                    r#type,
                    prompt: Value::Array(messages),
                };
                let placeholders: BTreeSet<String> = content.placeholders().into_iter().collect();
                let clashes: Vec<String> = content
                    .variables()
                    .into_iter()
                    .filter(|variable| placeholders.contains(variable))
                    .collect();
                if !clashes.is_empty() {
                    return Err(format!(
                        "Cannot create prompt, variables and placeholders must be unique, the following are not: {}",
                        clashes.join(", ")
                    ));
                }
                Ok(content)
            }
        }
    }

    /// The `{{variable}}` names of the text or of every message, first occurrence first.
    pub fn variables(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut add = |text: &str| {
            for name in extract_variables(text) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        };
        match &self.prompt {
            Value::String(text) => add(text),
            Value::Array(messages) => messages
                .iter()
                .filter_map(|message| message.get("content").and_then(Value::as_str))
                .for_each(add),
            _ => {}
        }
        names
    }

    /// The names of a chat prompt's placeholders.
    pub fn placeholders(&self) -> Vec<String> {
        self.prompt
            .as_array()
            .into_iter()
            .flatten()
            .filter(|message| message.get("type").and_then(Value::as_str) == Some("placeholder"))
            .filter_map(|message| message.get("name").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }
}

/// Whether `name` may name a `{{variable}}` (a letter, then letters, digits and `_`).
pub fn is_variable_name(name: &str) -> bool {
    VARIABLE.is_match(name)
}

/// The variable names in `{{…}}` slots of `text` (no whitespace trimming, as Langfuse's
/// `extractVariables`), without repeats.
pub fn extract_variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for capture in MUSTACHE.captures_iter(text) {
        let name = &capture[1];
        if VARIABLE.is_match(name) && !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    }
    names
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn chat_message(item: Value) -> Result<Value, String> {
    let Value::Object(fields) = item else {
        return Err(format!("expected a message object, got {}", kind(&item)));
    };
    if let (Some(Value::String(role)), Some(Value::String(content))) =
        (fields.get("role"), fields.get("content"))
    {
        return Ok(json!({"role": role, "content": content}));
    }
    if fields.get("type").and_then(Value::as_str) == Some("placeholder") {
        let name = fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !PLACEHOLDER.is_match(name) {
            return Err(format!(
                "placeholder name '{name}': Placeholder name must start with a letter and contain only alphanumeric characters and underscores"
            ));
        }
        return Ok(json!({"type": "placeholder", "name": name}));
    }
    Err("expected {role, content} with string values or {type: \"placeholder\", name}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_prompts_are_strings() {
        let content = PromptContent::parse(PromptType::Text, json!("Hi {{name}}")).unwrap();
        assert_eq!(content.variables(), ["name"]);
        assert!(PromptContent::parse(PromptType::Text, json!(["x"])).is_err());
        assert!(PromptContent::parse(PromptType::Text, json!(null)).is_err());
    }

    #[test]
    fn chat_prompts_are_lists_of_messages_and_placeholders() {
        let content = PromptContent::parse(
            PromptType::Chat,
            json!([
                {"role": "system", "content": "You are {{persona}}", "type": "chatmessage"},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{{question}} {{persona}}"},
            ]),
        )
        .unwrap();
        assert_eq!(
            content.prompt,
            json!([
                {"role": "system", "content": "You are {{persona}}"},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{{question}} {{persona}}"},
            ])
        );
        assert_eq!(content.variables(), ["persona", "question"]);
        assert_eq!(content.placeholders(), ["history"]);

        let not_a_list = PromptContent::parse(PromptType::Chat, json!("hello")).unwrap_err();
        assert!(not_a_list.contains("list of messages"), "{not_a_list}");
        assert!(PromptContent::parse(PromptType::Chat, json!([{"role": "user"}])).is_err());
        assert!(PromptContent::parse(PromptType::Chat, json!([1])).is_err());
        let bad_placeholder = PromptContent::parse(
            PromptType::Chat,
            json!([{"type": "placeholder", "name": "1x"}]),
        )
        .unwrap_err();
        assert!(
            bad_placeholder.contains("Placeholder name"),
            "{bad_placeholder}"
        );
        let clash = PromptContent::parse(
            PromptType::Chat,
            json!([{"role": "user", "content": "{{history}}"}, {"type": "placeholder", "name": "history"}]),
        )
        .unwrap_err();
        assert!(clash.contains("history"), "{clash}");
    }

    #[test]
    fn variables_are_mustache_identifiers() {
        assert_eq!(
            extract_variables("{{a}} {{ b }} {{c_1}} {{a}} {{{d}}} {{2x}} {{é}}"),
            ["a", "c_1", "d", "é"]
        );
        assert!("chat".parse::<PromptType>().is_ok());
        assert!("other".parse::<PromptType>().is_err());
    }
}
