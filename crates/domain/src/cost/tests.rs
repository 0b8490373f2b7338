//! End-to-end tests of the cost engine against the built-in table, and of the table itself.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::model::fixtures::flat_model;
use super::*;
use crate::ingest::UsageMap;

fn map(pairs: &[(&str, f64)]) -> UsageMap {
    (pairs.iter()).map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn compute(input: CostInput<'_>) -> CostOutcome {
    compute_usage_and_cost(PriceBook::builtin(), &[], &input)
}

#[test]
fn gpt_4o_usage_is_priced_from_the_builtin_table() {
    let usage = map(&[("input", 1000.0), ("output", 500.0)]);
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&usage),
        ..CostInput::default()
    });
    assert_eq!(outcome.model_id.as_deref(), Some("builtin:gpt-4o"));
    assert_eq!(
        outcome.usage_details,
        map(&[("input", 1000.0), ("output", 500.0), ("total", 1500.0)])
    );
    assert_eq!(
        outcome.cost_details,
        map(&[("input", 0.0025), ("output", 0.005), ("total", 0.0075)])
    );
    assert_eq!(outcome.total_cost, Some(0.0075));
    assert_eq!(outcome.pricing_tier_name.as_deref(), Some("Standard"));
    assert_eq!(
        outcome.pricing_tier_id.as_deref(),
        Some("builtin:gpt-4o#standard")
    );
    assert_eq!(outcome.input_price, Some(2.5e-6));
    assert_eq!(outcome.output_price, Some(1e-5));
    assert_eq!(outcome.total_price, None);
    // Serialized as clients will see it.
    assert_eq!(
        serde_json::to_string(&outcome.cost_details).unwrap(),
        r#"{"input":0.0025,"output":0.005,"total":0.0075}"#
    );
}

#[test]
fn model_names_match_case_insensitively_and_with_provider_prefix() {
    let usage = map(&[("input", 1000.0)]);
    for name in ["GPT-4o", "openai/gpt-4o", "OpenAI/GPT-4O"] {
        let outcome = compute(CostInput {
            model: Some(name),
            provided_usage: Some(&usage),
            ..CostInput::default()
        });
        assert_eq!(
            outcome.model_id.as_deref(),
            Some("builtin:gpt-4o"),
            "{name}"
        );
        assert_eq!(outcome.cost_details["input"], 0.0025, "{name}");
    }
    let unknown = compute(CostInput {
        model: Some("gpt-4o-turbo-ultra"),
        provided_usage: Some(&usage),
        ..CostInput::default()
    });
    assert_eq!(unknown.model_id, None);
    assert!(unknown.cost_details.is_empty());
    assert_eq!(unknown.total_cost, None);
    assert_eq!(
        unknown.usage_details,
        map(&[("input", 1000.0), ("total", 1000.0)])
    );
}

#[test]
fn a_project_model_overrides_the_builtin() {
    let custom = CompiledModel::compile(flat_model(
        "project-gpt-4o",
        "(?i)^(openai/)?(gpt-4o)$",
        &[("input", 1e-6), ("output", 2e-6)],
    ))
    .unwrap();
    let usage = map(&[("input", 1000.0), ("output", 500.0)]);
    let outcome = compute_usage_and_cost(
        PriceBook::builtin(),
        std::slice::from_ref(&custom),
        &CostInput {
            model: Some("gpt-4o"),
            provided_usage: Some(&usage),
            ..CostInput::default()
        },
    );
    assert_eq!(outcome.model_id.as_deref(), Some("project-gpt-4o"));
    assert_eq!(
        outcome.cost_details,
        map(&[("input", 0.001), ("output", 0.001), ("total", 0.002)])
    );
    assert_eq!(outcome.input_price, Some(1e-6));
}

#[test]
fn provided_cost_wins_and_nothing_else_is_computed() {
    let usage = map(&[("input", 1000.0), ("output", 500.0)]);
    let cost = map(&[("input", 0.5), ("output", 0.25)]);
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&usage),
        provided_cost: Some(&cost),
        ..CostInput::default()
    });
    assert_eq!(
        outcome.cost_details,
        map(&[("input", 0.5), ("output", 0.25), ("total", 0.75)])
    );
    assert_eq!(outcome.total_cost, Some(0.75));
    // Usage is still the reported usage with its total.
    assert_eq!(outcome.usage_details["total"], 1500.0);

    let odd = map(&[("input", 0.5), ("web_search", 0.1)]);
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&usage),
        provided_cost: Some(&odd),
        ..CostInput::default()
    });
    assert_eq!(outcome.cost_details, odd);
    assert_eq!(outcome.total_cost, None);
}

#[test]
fn fast_mode_tier_applies_only_with_priority_service_tier() {
    let usage = map(&[("input", 1000.0), ("output", 1000.0)]);
    let params = json!({"service_tier": "priority"});
    let fast = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&usage),
        model_parameters: Some(&params),
        ..CostInput::default()
    });
    assert_eq!(fast.pricing_tier_name.as_deref(), Some("Fast mode"));
    assert_eq!(
        fast.pricing_tier_id.as_deref(),
        Some("builtin:gpt-4o#fast-mode")
    );
    assert_eq!(
        fast.cost_details,
        map(&[("input", 0.00425), ("output", 0.017), ("total", 0.02125)])
    );
    // The read API's prices stay the default tier's.
    assert_eq!(fast.input_price, Some(2.5e-6));

    let other = json!({"service_tier": "default"});
    let standard = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&usage),
        model_parameters: Some(&other),
        ..CostInput::default()
    });
    assert_eq!(standard.pricing_tier_name.as_deref(), Some("Standard"));
    assert_eq!(standard.total_cost, Some(0.0125));
}

#[test]
fn large_context_tier_applies_above_its_threshold() {
    let small = map(&[("input", 200_000.0), ("output", 1_000.0)]);
    let standard = compute(CostInput {
        model: Some("gemini-2.5-pro"),
        provided_usage: Some(&small),
        ..CostInput::default()
    });
    assert_eq!(standard.pricing_tier_name.as_deref(), Some("Standard"));
    assert_eq!(standard.cost_details["input"], 0.25);
    assert_eq!(standard.cost_details["output"], 0.01);

    let large = map(&[("input", 200_001.0), ("output", 1_000.0)]);
    let outcome = compute(CostInput {
        model: Some("google/gemini-2.5-pro"),
        provided_usage: Some(&large),
        ..CostInput::default()
    });
    assert_eq!(outcome.pricing_tier_name.as_deref(), Some("Large Context"));
    assert_eq!(outcome.cost_details["input"], 0.5000025);
    assert_eq!(outcome.cost_details["output"], 0.015);
    assert_eq!(outcome.total_cost, Some(0.5150025));
}

#[test]
fn reported_total_is_kept_and_a_missing_total_is_added() {
    let with_total = map(&[("input", 10.0), ("output", 5.0), ("total", 99.0)]);
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&with_total),
        ..CostInput::default()
    });
    assert_eq!(outcome.usage_details["total"], 99.0);
    // `total` has no price on gpt-4o, so the cost total is the sum of priced entries.
    assert_eq!(outcome.total_cost, Some(0.000075));

    let cached = map(&[("input", 10.0), ("input_cached_tokens", 20.0)]);
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        provided_usage: Some(&cached),
        ..CostInput::default()
    });
    assert_eq!(outcome.usage_details["total"], 30.0);
    assert_eq!(outcome.cost_details["input_cached_tokens"], 0.000025);
    assert_eq!(outcome.cost_details["total"], 0.00005);
}

#[test]
fn a_priced_total_is_used_as_the_total_cost() {
    let usage = map(&[("input", 1000.0)]);
    let outcome = compute(CostInput {
        model: Some("text-embedding-3-small"),
        provided_usage: Some(&usage),
        ..CostInput::default()
    });
    // Only `total` is priced (0.02 per 1M); the added usage total is what gets charged.
    assert_eq!(outcome.cost_details, map(&[("total", 0.00002)]));
    assert_eq!(outcome.total_cost, Some(0.00002));
    assert_eq!(outcome.total_price, Some(2e-8));
}

#[test]
fn missing_usage_is_tokenized_for_openai_models() {
    let text = "Count these tokens, please.";
    let expected = tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len() as f64;
    let prompt = json!(text);
    let output = json!("Okay.");
    let outcome = compute(CostInput {
        model: Some("gpt-4o"),
        input: Some(&prompt),
        output: Some(&output),
        ..CostInput::default()
    });
    assert_eq!(outcome.usage_details["input"], expected);
    assert_eq!(outcome.usage_details["output"], 2.0);
    assert_eq!(outcome.usage_details["total"], expected + 2.0);
    assert!((outcome.cost_details["input"] - expected * 2.5e-6).abs() < 1e-15);
    assert!(outcome.total_cost.is_some());
}

#[test]
fn no_tokenization_at_error_level_with_provided_cost_or_for_claude() {
    let prompt = json!("Count these tokens, please.");
    let base = CostInput {
        model: Some("gpt-4o"),
        input: Some(&prompt),
        output: Some(&prompt),
        ..CostInput::default()
    };

    let error = compute(CostInput {
        is_error_level: true,
        ..base
    });
    assert!(error.usage_details.is_empty());
    assert!(error.cost_details.is_empty());
    assert_eq!(error.model_id.as_deref(), Some("builtin:gpt-4o"));
    assert_eq!(error.pricing_tier_id, None);

    let cost = map(&[("total", 1.5)]);
    let with_cost = compute(CostInput {
        provided_cost: Some(&cost),
        ..base
    });
    assert!(with_cost.usage_details.is_empty());
    assert_eq!(with_cost.cost_details, cost);
    assert_eq!(with_cost.total_cost, Some(1.5));

    let claude = compute(CostInput {
        model: Some("claude-sonnet-4-5"),
        ..base
    });
    assert_eq!(
        claude.model_id.as_deref(),
        Some("builtin:claude-sonnet-4-5-20250929")
    );
    assert!(claude.usage_details.is_empty());
    assert_eq!(claude.total_cost, None);
}

#[test]
fn no_model_means_usage_as_reported_and_only_reported_cost() {
    let usage = map(&[("input", 3.0), ("bogus", -1.0)]);
    let cost = map(&[("input", 0.01), ("output", 0.02)]);
    let outcome = compute(CostInput {
        provided_usage: Some(&usage),
        provided_cost: Some(&cost),
        ..CostInput::default()
    });
    assert_eq!(
        outcome.usage_details,
        map(&[("input", 3.0), ("total", 3.0)])
    );
    assert_eq!(outcome.total_cost, Some(0.03));
    assert_eq!(outcome.model_id, None);
}

#[test]
fn every_builtin_model_compiles_with_exactly_one_default_tier() {
    let book = PriceBook::try_builtin().expect("embedded table loads");
    assert_eq!(book.models().len(), 167);
    let mut ids = BTreeSet::new();
    for model in book.models() {
        let definition = model.definition();
        let defaults = definition
            .tiers
            .iter()
            .filter(|tier| tier.is_default)
            .count();
        assert_eq!(defaults, 1, "{}", definition.model_name);
        assert!(model.is_builtin());
        assert_eq!(definition.id, format!("builtin:{}", definition.model_name));
        assert!(
            ids.insert(definition.id.clone()),
            "duplicate {}",
            definition.id
        );
        for tier in &definition.tiers {
            assert!(ids.insert(tier.id.clone()), "duplicate tier id {}", tier.id);
        }
    }
}

/// The embedded table against Langfuse's source list, when that file is around.
#[test]
fn builtin_table_agrees_with_the_langfuse_source() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/langfuse/default-model-prices.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    let source: Vec<Value> = serde_json::from_str(&text).unwrap();
    let book = PriceBook::builtin();
    assert_eq!(source.len(), book.models().len());
    for (expected, model) in source.iter().zip(book.models()) {
        let definition = model.definition();
        assert_eq!(expected["modelName"], definition.model_name.as_str());
        assert_eq!(expected["matchPattern"], definition.match_pattern.as_str());
        assert_eq!(
            expected["tokenizerId"].as_str(),
            definition.tokenizer_id.as_deref()
        );
        let default_tier = (expected["pricingTiers"].as_array().unwrap().iter())
            .find(|tier| tier["isDefault"] == true)
            .unwrap();
        let prices: UsageMap = serde_json::from_value(default_tier["prices"].clone()).unwrap();
        assert_eq!(
            prices,
            model.default_tier().prices,
            "{}",
            definition.model_name
        );
        assert_eq!(
            expected["pricingTiers"].as_array().unwrap().len(),
            definition.tiers.len(),
            "{}",
            definition.model_name
        );
    }
}
