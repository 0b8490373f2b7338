//! The generation fields of a span (wire-spec §3.4, §3.9): model name, model parameters,
//! completion start time and the linked prompt.

use serde_json::{Map, Value};

use super::attributes::{Attributes, first_text, get_present, get_truthy, number, parse_iso, text};
use super::kind::LANGFUSE_MODEL;
use crate::time::Millis;

const MODEL_PARAMETERS: &str = "langfuse.observation.model.parameters";
const COMPLETION_START_TIME: &str = "langfuse.observation.completion_start_time";

const MODEL_NAME_KEYS: &[&str] = &[
    LANGFUSE_MODEL,
    "gen_ai.response.model",
    "ai.model.id",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.model_name",
    "model",
];

/// Vercel AI SDK agent spans sum their steps' usage; model, usage and cost stay on the steps.
pub(super) fn is_vercel_agent_span(attributes: &Attributes, scope_name: &str) -> bool {
    let operation = attributes
        .get("gen_ai.operation.name")
        .and_then(Value::as_str);
    scope_name == "ai" && matches!(operation, Some("invoke_agent" | "agent_step"))
}

pub(super) fn model_name(attributes: &Attributes) -> Option<String> {
    if let Some(name) = first_text(attributes, MODEL_NAME_KEYS) {
        return Some(name);
    }
    let subtype = attributes.get("genkit:metadata:subtype");
    if subtype == Some(&Value::from("model")) {
        return first_text(attributes, &["genkit:name"]);
    }
    None
}

/// Model parameters (§3.9 rules 1 and 4): the Langfuse SDK's JSON object, else
/// `llm.invocation_parameters` or `model_config` as JSON, else every `gen_ai.request.*` and
/// `llm.invocation_parameters.*` attribute but the model. Strings and numbers are kept, other
/// values become their JSON text. `None` when there are none. Genkit and Vercel AI SDK
/// parameters (rules 2 and 3) are not implemented.
pub(super) fn model_parameters(attributes: &Attributes) -> Option<Value> {
    let parameters = [
        MODEL_PARAMETERS,
        "llm.invocation_parameters",
        "model_config",
    ]
    .iter()
    .filter_map(|key| get_truthy(attributes, key)?.as_str())
    .find_map(|raw| match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(parameters)) => Some(parameters),
        _ => None,
    })
    .unwrap_or_else(|| {
        attributes
            .iter()
            .filter_map(|(key, value)| {
                let name = key
                    .strip_prefix("gen_ai.request.")
                    .or_else(|| key.strip_prefix("llm.invocation_parameters."))?;
                (name != "model").then(|| (name.to_owned(), value.clone()))
            })
            .collect()
    });
    let parameters: Map<String, Value> = parameters
        .into_iter()
        .map(|(key, value)| match value {
            Value::String(_) | Value::Number(_) => (key, value),
            other => (key, Value::String(other.to_string())),
        })
        .collect();
    (!parameters.is_empty()).then_some(Value::Object(parameters))
}

/// When the first token arrived: the Langfuse SDK's ISO timestamp (possibly JSON-quoted), else
/// the Vercel AI SDK's milliseconds after the start.
pub(super) fn completion_start_time(attributes: &Attributes, start: Millis) -> Option<Millis> {
    if let Some(time) = attributes
        .get(COMPLETION_START_TIME)
        .and_then(Value::as_str)
        .and_then(parse_iso)
    {
        return Some(time);
    }
    let delay = ["ai.response.msToFirstChunk", "ai.stream.msToFirstChunk"]
        .iter()
        .find_map(|key| get_truthy(attributes, key))
        .and_then(number)?;
    // Rounded up like Langfuse; `as` saturates on absurd values.
    Some(start.saturating_add(delay.ceil() as i64))
}

/// The prompt a generation used, when both its name and its version are known.
pub(super) fn prompt(attributes: &Attributes) -> Option<(String, i64)> {
    let vercel = get_truthy(attributes, "ai.telemetry.metadata.langfusePrompt")
        .and_then(Value::as_str)
        .and_then(|raw| serde_json::from_str::<Value>(raw).ok());
    let name = ["langfuse.observation.prompt.name", "langfuse.prompt.name"]
        .iter()
        .find_map(|key| get_present(attributes, key))
        .or_else(|| vercel.as_ref()?.get("name"))
        .map(text)?;
    let version = [
        "langfuse.observation.prompt.version",
        "langfuse.prompt.version",
    ]
    .iter()
    .find_map(|key| get_present(attributes, key))
    .or_else(|| vercel.as_ref()?.get("version"))
    .and_then(number)
    .filter(|version| version.fract() == 0.0 && version.abs() < 9.0e15)?;
    (!name.is_empty()).then_some((name, version as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes(value: Value) -> Attributes {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn model_name_prefers_the_langfuse_attribute_then_the_response_model() {
        let span = attributes(
            json!({"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06"}),
        );
        assert_eq!(model_name(&span).as_deref(), Some("gpt-4o-2024-08-06"));
        let span = attributes(json!({"langfuse.observation.model.name": "mine", "model": "other"}));
        assert_eq!(model_name(&span).as_deref(), Some("mine"));
        assert_eq!(model_name(&Attributes::new()), None);
    }

    #[test]
    fn model_parameters_keep_strings_and_numbers() {
        let span = attributes(json!({
            "langfuse.observation.model.parameters": "{\"temperature\": 0.2, \"stop\": [\"x\"], \"tools\": null, \"mode\": \"fast\"}",
        }));
        assert_eq!(
            model_parameters(&span),
            Some(json!({"temperature": 0.2, "stop": "[\"x\"]", "tools": "null", "mode": "fast"}))
        );
        let span = attributes(json!({
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.request.temperature": 0.7,
            "gen_ai.request.max_tokens": 256,
            "gen_ai.request.stop_sequences": ["\n"],
        }));
        assert_eq!(
            model_parameters(&span),
            Some(json!({"temperature": 0.7, "max_tokens": 256, "stop_sequences": "[\"\\n\"]"}))
        );
        let span =
            attributes(json!({"llm.invocation_parameters": "{\"model\": \"m\", \"top_p\": 1}"}));
        assert_eq!(
            model_parameters(&span),
            Some(json!({"model": "m", "top_p": 1}))
        );
        assert_eq!(model_parameters(&Attributes::new()), None);
    }

    #[test]
    fn completion_start_time_accepts_quoted_iso_and_vercel_delays() {
        let quoted = attributes(json!({COMPLETION_START_TIME: "\"2024-01-01T00:00:00.250000Z\""}));
        assert_eq!(completion_start_time(&quoted, 0), Some(1_704_067_200_250));
        let vercel = attributes(json!({"ai.response.msToFirstChunk": 12.2}));
        assert_eq!(completion_start_time(&vercel, 1_000), Some(1_013));
        assert_eq!(completion_start_time(&Attributes::new(), 1_000), None);
    }

    #[test]
    fn prompt_needs_a_name_and_an_integer_version() {
        let span = attributes(
            json!({"langfuse.observation.prompt.name": "qa", "langfuse.observation.prompt.version": 3}),
        );
        assert_eq!(prompt(&span), Some(("qa".to_owned(), 3)));
        let vercel = attributes(
            json!({"ai.telemetry.metadata.langfusePrompt": "{\"name\":\"p\",\"version\":\"2\"}"}),
        );
        assert_eq!(prompt(&vercel), Some(("p".to_owned(), 2)));
        let nameless = attributes(json!({"langfuse.prompt.version": 1}));
        assert_eq!(prompt(&nameless), None);
    }
}
