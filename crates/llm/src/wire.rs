//! What the adapters share: a prepared HTTP call, provider options merged into a body, and
//! tool arguments read from whatever shape a provider sends them in.

use serde_json::{Map, Value};

use crate::chat::Message;

/// One provider call, ready to send: where, with which headers, and the JSON body.
pub(crate) struct Prepared {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// Provider options go into the body as given, over what the parameters set.
pub(crate) fn merge_options(body: &mut Map<String, Value>, options: Option<&Map<String, Value>>) {
    for (key, value) in options.into_iter().flatten() {
        body.insert(key.clone(), value.clone());
    }
}

/// Tool arguments: OpenAI sends a JSON string, the others an object. A string that is not
/// JSON is kept as a string.
pub(crate) fn parse_args(raw: &Value) -> Value {
    match raw {
        Value::String(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    }
}

/// Providers that need a user turn get a lone message as a user message (Langfuse's rule for
/// Anthropic, Gemini and Bedrock); the first system message is the system prompt, later ones
/// are sent as user messages.
pub(crate) fn split_system(messages: &[Message]) -> (Option<String>, Vec<Message>) {
    if messages.len() == 1 {
        let mut only = messages[0].clone();
        if only.is_system() {
            only.role = crate::chat::Role::User;
        }
        return (None, vec![only]);
    }
    let mut system = None;
    let mut rest = Vec::with_capacity(messages.len());
    for m in messages {
        if m.is_system() {
            if system.is_none() && rest.is_empty() {
                system = Some(m.content.clone());
                continue;
            }
            let mut as_user = m.clone();
            as_user.role = crate::chat::Role::User;
            rest.push(as_user);
        } else {
            rest.push(m.clone());
        }
    }
    (system, rest)
}

/// The name of the tool a tool result answers, from the assistant message that called it.
pub(crate) fn tool_name_for(messages: &[Message], call_id: &str) -> String {
    messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .find(|call| call.id == call_id)
        .map(|call| call.name.clone())
        .unwrap_or_else(|| call_id.to_owned())
}
