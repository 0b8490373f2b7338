//! Token counting for usage that clients did not report (wire-spec §8.2): tiktoken for `openai`.
//!
//! Only `openai` tokenizes. `claude` does not: Anthropic's tokenizer is not available in Rust, so
//! Claude usage stays empty unless the client reports it. Unknown tokenizers do not tokenize.
//!
//! Each tiktoken encoding is loaded lazily, once, on its first use (tiktoken-rs keeps one
//! `LazyLock` singleton per encoding); nothing is loaded at start-up.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;
use tiktoken_rs::CoreBPE;
use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};

/// Chat message keys whose values count towards a message's tokens.
const COUNTED_MESSAGE_KEYS: [&str; 7] = [
    "content",
    "role",
    "name",
    "tool_calls",
    "function_call",
    "toolCalls",
    "functionCall",
];

/// Tokens every chat reply is primed with (`<|start|>assistant<|message|>`).
const REPLY_PRIMING_TOKENS: i64 = 3;

/// Tokens in `text` as the model's tokenizer counts them; `None` when the model has no usable
/// tokenizer or there is nothing to count (`null`, an empty array).
///
/// For `openai`, `tokenizer_config.tokenizerModel` picks the encoding (unknown names use
/// `cl100k_base`; a missing name means no tokenization, as Langfuse). A chat message array
/// (`[{role, content: string, name?}]`, also inside a JSON string) with `tokensPerMessage` and
/// `tokensPerName` configured is counted per message; anything else as its text, non-strings as
/// compact JSON.
pub fn count_tokens(
    tokenizer_id: Option<&str>,
    tokenizer_config: Option<&Value>,
    text: &Value,
) -> Option<u64> {
    if text.is_null() || text.as_array().is_some_and(Vec::is_empty) {
        return None;
    }
    match tokenizer_id {
        Some("openai") => openai_count(tokenizer_config?, text),
        _ => None,
    }
}

fn openai_count(config: &Value, text: &Value) -> Option<u64> {
    let model = config.get("tokenizerModel")?.as_str()?;
    let bpe = encoding_for(model);

    // Stored input is often a JSON string; look inside it for chat messages.
    let parsed = match text {
        Value::String(raw) => serde_json::from_str::<Value>(raw).ok(),
        _ => None,
    };
    let value = parsed.as_ref().unwrap_or(text);

    let chat = (config.get("tokensPerMessage").and_then(Value::as_i64))
        .zip(config.get("tokensPerName").and_then(Value::as_i64));
    if let (Some(messages), Some((per_message, per_name))) = (chat_messages(value), chat) {
        return chat_count(bpe, messages, per_message, per_name);
    }
    match value {
        Value::String(s) => encode_len(bpe, s),
        other => encode_len(bpe, &other.to_string()),
    }
}

/// The encoding tiktoken uses for `model`, `cl100k_base` when it does not know the name.
fn encoding_for(model: &str) -> &'static CoreBPE {
    let tokenizer = get_tokenizer(model).unwrap_or(Tokenizer::Cl100kBase);
    tiktoken_rs::bpe_for_tokenizer(tokenizer)
        .unwrap_or_else(|_| tiktoken_rs::cl100k_base_singleton())
}

/// The messages when `value` is an array of `{role: string, content: string, name?: string}`.
fn chat_messages(value: &Value) -> Option<&Vec<Value>> {
    let items = value.as_array()?;
    let is_message = |item: &Value| {
        item.as_object().is_some_and(|message| {
            message.get("role").is_some_and(Value::is_string)
                && message.get("content").is_some_and(Value::is_string)
                && message.get("name").is_none_or(Value::is_string)
        })
    };
    items.iter().all(is_message).then_some(items)
}

fn chat_count(bpe: &CoreBPE, messages: &[Value], per_message: i64, per_name: i64) -> Option<u64> {
    let mut total: i64 = 0;
    for message in messages.iter().filter_map(Value::as_object) {
        total += per_message;
        for (key, value) in message {
            if COUNTED_MESSAGE_KEYS.contains(&key.as_str()) && is_truthy(value) {
                let tokens = match value {
                    Value::String(s) => encode_len(bpe, s),
                    other => encode_len(bpe, &other.to_string()),
                };
                total += i64::try_from(tokens.unwrap_or(0)).unwrap_or(i64::MAX);
            }
            if key == "name" {
                total += per_name;
            }
        }
    }
    total += REPLY_PRIMING_TOKENS;
    u64::try_from(total).ok()
}

/// JavaScript truthiness, which decides whether Langfuse counts a message field.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Token count of `text`, special tokens counted as plain text. tiktoken-rs panics if its regex
/// engine gives up on pathological input; that is caught and counts as "not computable".
fn encode_len(bpe: &CoreBPE, text: &str) -> Option<u64> {
    let count = catch_unwind(AssertUnwindSafe(|| bpe.encode_ordinary(text).len())).ok()?;
    u64::try_from(count).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn gpt4o_config() -> Value {
        json!({"tokenizerModel": "gpt-4o", "tokensPerMessage": 3, "tokensPerName": 1})
    }

    fn o200k(text: &str) -> u64 {
        tiktoken_rs::o200k_base_singleton()
            .encode_ordinary(text)
            .len() as u64
    }

    #[test]
    fn counts_a_string_like_tiktoken() {
        let text = "The quick brown fox jumps over the lazy dog.";
        let count = count_tokens(Some("openai"), Some(&gpt4o_config()), &json!(text));
        assert_eq!(count, Some(o200k(text)));
        assert_eq!(count, Some(10));
    }

    #[test]
    fn unknown_tokenizer_models_fall_back_to_cl100k() {
        let config = json!({"tokenizerModel": "not-a-model"});
        let text = "hello world, hello tokens";
        let cl100k = tiktoken_rs::cl100k_base_singleton()
            .encode_ordinary(text)
            .len() as u64;
        assert_eq!(
            count_tokens(Some("openai"), Some(&config), &json!(text)),
            Some(cl100k)
        );
    }

    #[test]
    fn counts_chat_messages_with_per_message_and_per_name_overhead() {
        let messages = json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi", "name": "ada"},
        ]);
        let expected = 3
            + o200k("system")
            + o200k("You are terse.")
            + 3
            + o200k("user")
            + o200k("Hi")
            + o200k("ada")
            + 1
            + 3;
        let config = gpt4o_config();
        assert_eq!(
            count_tokens(Some("openai"), Some(&config), &messages),
            Some(expected)
        );
        // The same messages stored as a JSON string count the same.
        let encoded = json!(messages.to_string());
        assert_eq!(
            count_tokens(Some("openai"), Some(&config), &encoded),
            Some(expected)
        );
    }

    #[test]
    fn non_chat_json_counts_its_compact_text() {
        let value = json!({"question": "why?"});
        let config = gpt4o_config();
        assert_eq!(
            count_tokens(Some("openai"), Some(&config), &value),
            Some(o200k(r#"{"question":"why?"}"#))
        );
    }

    #[test]
    fn claude_other_and_missing_tokenizers_do_not_count() {
        let text = json!("hello");
        assert_eq!(count_tokens(Some("claude"), None, &text), None);
        assert_eq!(count_tokens(Some("sentencepiece"), None, &text), None);
        assert_eq!(count_tokens(None, None, &text), None);
        assert_eq!(count_tokens(Some("openai"), None, &text), None);
        assert_eq!(
            count_tokens(Some("openai"), Some(&gpt4o_config()), &Value::Null),
            None
        );
        assert_eq!(
            count_tokens(Some("openai"), Some(&gpt4o_config()), &json!([])),
            None
        );
    }
}
