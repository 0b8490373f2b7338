//! Usage and cost details: the UsageDetails and cost rules of the batch API (wire-spec §2.2),
//! shared with the batch ingestion path, and where a span keeps them (§3.4, §3.10).

use serde_json::{Map, Value};

use super::attributes::{Attributes, get_truthy, number};
use crate::ingest::UsageMap;

/// Usage details as the batch API validates them (§2.2 UsageDetails), first match wins:
///
/// 1. OpenAI Chat Completions usage (`prompt_tokens`, `completion_tokens`, `total_tokens`, and
///    optionally `prompt_tokens_details` / `completion_tokens_details`);
/// 2. OpenAI Responses usage (`input_tokens`, `output_tokens`, `total_tokens`, and optionally
///    `input_tokens_details` / `output_tokens_details`);
///
/// both become `{input, output, total, input_<detail>, output_<detail>}` with every detail
/// subtracted from `input` or `output` (floored at 0);
/// 3. any other object: non-negative numbers kept, numeric strings parsed, the rest dropped.
///
/// `None` when nothing is left.
pub fn normalize_usage_details(value: &Value) -> Option<UsageMap> {
    let object = value.as_object()?;
    let shapes = [
        (
            "prompt_tokens",
            "completion_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
        ),
        (
            "input_tokens",
            "output_tokens",
            "input_tokens_details",
            "output_tokens_details",
        ),
    ];
    let usage = shapes
        .iter()
        .find_map(|&(input, output, input_details, output_details)| {
            let shape = [input, output, "total_tokens", input_details, output_details];
            openai_usage(object, shape)
        })
        .unwrap_or_else(|| free_form(object, number));
    non_empty(usage)
}

/// Cost details in USD: non-negative finite numbers kept, everything else dropped; `None` when
/// nothing is left.
pub fn normalize_cost_details(value: &Value) -> Option<UsageMap> {
    let object = value.as_object()?;
    non_empty(free_form(object, |value| {
        value.as_f64().filter(|n| n.is_finite())
    }))
}

fn non_empty(usage: UsageMap) -> Option<UsageMap> {
    (!usage.is_empty()).then_some(usage)
}

fn free_form(object: &Map<String, Value>, read: impl Fn(&Value) -> Option<f64>) -> UsageMap {
    object
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), read(value).filter(|n| *n >= 0.0)?)))
        .collect()
}

/// One of the OpenAI shapes: `[input, output, total, input details, output details]`, nothing
/// else.
fn openai_usage(object: &Map<String, Value>, shape: [&str; 5]) -> Option<UsageMap> {
    let [input, output, total, input_details, output_details] = shape;
    if object.keys().any(|key| !shape.contains(&key.as_str())) {
        return None;
    }
    let count = |key: &str| {
        object
            .get(key)?
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let mut usage = UsageMap::new();
    let mut input = count(input)?;
    let mut output = count(output)?;
    usage.insert("total".to_owned(), count(total)?);
    for (side, details, remaining) in [
        ("input", input_details, &mut input),
        ("output", output_details, &mut output),
    ] {
        let details = object.get(details).and_then(Value::as_object);
        for (key, value) in details.into_iter().flatten() {
            let Some(tokens) = value.as_f64().filter(|n| n.is_finite() && *n >= 0.0) else {
                continue;
            };
            usage.insert(format!("{side}_{key}"), tokens);
            *remaining = (*remaining - tokens).max(0.0);
        }
    }
    usage.insert("input".to_owned(), input);
    usage.insert("output".to_owned(), output);
    Some(usage)
}

pub(super) const USAGE_DETAILS: &str = "langfuse.observation.usage_details";
pub(super) const COST_DETAILS: &str = "langfuse.observation.cost_details";

/// A span's usage (§3.10 rules 1 and 5): the Langfuse SDK's JSON object, else the generic
/// `gen_ai.usage.*` / `llm.token_count.*` counts. Genkit, Vercel AI SDK and Google ADK specifics
/// (rules 2–4) are not implemented.
pub(super) fn span_usage(attributes: &Attributes) -> Option<UsageMap> {
    if let Some(raw) = get_truthy(attributes, USAGE_DETAILS) {
        let Value::String(raw) = raw else {
            return None;
        };
        if let Ok(parsed) = serde_json::from_str::<Value>(raw) {
            return normalize_usage_details(&parsed);
        }
    }
    non_empty(generic_usage(attributes))
}

/// Generic usage keys (prefix stripped) and the sources of each canonical key, first wins.
const CANONICAL_USAGE: &[(&str, &[&str])] = &[
    ("input", &["prompt_tokens", "input_tokens", "prompt"]),
    (
        "output",
        &["completion_tokens", "output_tokens", "completion"],
    ),
    ("total", &["total_tokens", "total"]),
    (
        "input_cached_tokens",
        &[
            "cache_read.input_tokens",
            "cache_read_input_tokens",
            "cache_read_tokens",
            "details.cache_read_tokens",
            "details.cache_read_input_tokens",
            "prompt_details.cache_read",
            "input_cached_tokens",
        ],
    ),
    (
        "input_cache_creation",
        &[
            "cache_creation.input_tokens",
            "cache_creation_input_tokens",
            "cache_write_tokens",
            "details.cache_write_tokens",
            "details.cache_creation_input_tokens",
            "prompt_details.cache_write",
            "input_cache_creation",
        ],
    ),
    (
        "output_reasoning_tokens",
        &["reasoning.output_tokens", "completion_details.reasoning"],
    ),
    ("output_audio_tokens", &["completion_details.audio"]),
];

fn generic_usage(attributes: &Attributes) -> UsageMap {
    let mut raw: UsageMap = attributes
        .iter()
        .filter(|(key, _)| key.as_str() != "gen_ai.usage.cost")
        .filter_map(|(key, value)| {
            let key = key
                .strip_prefix("gen_ai.usage.")
                .or_else(|| key.strip_prefix("llm.token_count."))?;
            Some((key.to_owned(), number(value)?))
        })
        .collect();
    let mut usage = UsageMap::new();
    for (canonical, sources) in CANONICAL_USAGE {
        let mut found = None;
        for source in *sources {
            if let Some(count) = raw.remove(*source) {
                found = found.or(Some(count));
            }
        }
        if let Some(count) = found {
            usage.insert((*canonical).to_owned(), count);
        }
    }
    for (key, count) in raw {
        let key = key.strip_prefix("details.").unwrap_or(&key).to_owned();
        usage.entry(key).or_insert(count);
    }
    let get = |usage: &UsageMap, key: &str| usage.get(key).copied().unwrap_or(0.0);
    if let Some(input) = usage.get("input").copied() {
        let cached = get(&usage, "input_cached_tokens") + get(&usage, "input_cache_creation");
        usage.insert("input".to_owned(), (input - cached).max(0.0));
    }
    if let Some(output) = usage.get("output").copied() {
        let details = get(&usage, "output_reasoning_tokens") + get(&usage, "output_audio_tokens");
        usage.insert("output".to_owned(), (output - details).max(0.0));
    }
    usage.retain(|_, count| *count >= 0.0);
    usage
}

/// A span's cost: the Langfuse SDK's JSON object, else `gen_ai.usage.cost` or `llm.cost.total`
/// as the total.
pub(super) fn span_cost(attributes: &Attributes) -> Option<UsageMap> {
    if let Some(Value::String(raw)) = get_truthy(attributes, COST_DETAILS)
        && let Ok(parsed) = serde_json::from_str::<Value>(raw)
    {
        return normalize_cost_details(&parsed);
    }
    ["gen_ai.usage.cost", "llm.cost.total"]
        .iter()
        .find_map(|key| get_truthy(attributes, key))
        .and_then(number)
        .filter(|total| *total >= 0.0)
        .map(|total| UsageMap::from([("total".to_owned(), total)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn usage(pairs: &[(&str, f64)]) -> Option<UsageMap> {
        Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
    }

    #[test]
    fn openai_chat_usage_is_split_into_details() {
        let chat = json!({
            "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 30, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 60, "audio_tokens": null},
        });
        assert_eq!(
            normalize_usage_details(&chat),
            usage(&[
                ("input", 70.0),
                ("output", 0.0),
                ("total", 150.0),
                ("input_cached_tokens", 30.0),
                ("input_audio_tokens", 0.0),
                ("output_reasoning_tokens", 60.0),
            ])
        );
    }

    #[test]
    fn openai_responses_usage_is_recognised() {
        let responses = json!({
            "input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
            "input_tokens_details": {"cached_tokens": 4},
        });
        assert_eq!(
            normalize_usage_details(&responses),
            usage(&[
                ("input", 6.0),
                ("output", 5.0),
                ("total", 15.0),
                ("input_cached_tokens", 4.0)
            ])
        );
    }

    #[test]
    fn free_form_usage_keeps_non_negative_numbers() {
        let free = json!({"input": 10, "output": "5", "bad": -1, "text": "x", "nested": {}});
        assert_eq!(
            normalize_usage_details(&free),
            usage(&[("input", 10.0), ("output", 5.0)])
        );
        // An OpenAI-looking object with extra keys is free-form.
        let extra = json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "x": 4});
        assert_eq!(
            normalize_usage_details(&extra),
            usage(&[
                ("prompt_tokens", 1.0),
                ("completion_tokens", 2.0),
                ("total_tokens", 3.0),
                ("x", 4.0)
            ])
        );
        assert_eq!(normalize_usage_details(&json!({})), None);
        assert_eq!(normalize_usage_details(&json!([1])), None);
    }

    #[test]
    fn cost_keeps_non_negative_numbers_only() {
        let cost = json!({"input": 0.001, "output": "0.5", "total": -1, "x": null});
        assert_eq!(normalize_cost_details(&cost), usage(&[("input", 0.001)]));
        assert_eq!(normalize_cost_details(&json!({"total": "x"})), None);
    }

    #[test]
    fn generic_usage_maps_gen_ai_and_openinference_counts() {
        let attributes: Attributes = json!({
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 40,
            "gen_ai.usage.cache_read_input_tokens": 30,
            "gen_ai.usage.details.cache_write_tokens": 10,
            "gen_ai.usage.details.thoughts": "7",
            "gen_ai.usage.cost": 0.5,
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        assert_eq!(
            span_usage(&attributes),
            usage(&[
                ("input", 60.0),
                ("output", 40.0),
                ("input_cached_tokens", 30.0),
                ("input_cache_creation", 10.0),
                ("thoughts", 7.0),
            ])
        );
        assert_eq!(span_cost(&attributes), usage(&[("total", 0.5)]));
        let openinference: Attributes = json!({
            "llm.token_count.prompt": 12,
            "llm.token_count.completion": 8,
            "llm.token_count.total": 20,
            "llm.token_count.completion_details.reasoning": 3,
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        assert_eq!(
            span_usage(&openinference),
            usage(&[
                ("input", 12.0),
                ("output", 5.0),
                ("total", 20.0),
                ("output_reasoning_tokens", 3.0)
            ])
        );
    }
}
