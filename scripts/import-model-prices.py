#!/usr/bin/env python3
"""Convert Langfuse's default model price list into Sightline's built-in price table.

Reads  ../shared/langfuse/default-model-prices.json   (Langfuse's format; never committed here)
Writes crates/domain/src/cost/default_models.json     (our format; embedded by sightline_domain::cost)

Both paths are relative to the repository root; pass --source / --output to override.
Python 3.11, standard library only. The output is deterministic: models and tiers keep the
source order, one model per line, so a price update shows up as a readable diff.

Our format (documented in crates/domain/src/cost/table.rs):

    {"format": "sightline.model-prices.v1", "price_unit": "usd_per_million_units", "models": [
    {"id": "builtin:<modelName>", "model_name": ..., "match_pattern": ...,
     "tokenizer": {"kind": "openai", "model": ..., "per_message": 3, "per_name": 1},   (optional)
     "tiers": [{"name": ..., "default": true, "priority": 0, "when": [...], "per_million": {...}}]}
    ]}

Conditions in "when" are tagged objects:
    {"usage": {"pattern": "(input)", "op": "gt", "value": 272000}}      (+ "case_sensitive": true)
    {"model_parameter": {"key": "service_tier", "in": ["fast", "priority"]}}
    {"metadata": {"key": ..., "in": [...]}}
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

FORMAT = "sightline.model-prices.v1"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "langfuse" / "default-model-prices.json"
DEFAULT_OUTPUT = REPO_ROOT / "crates" / "domain" / "src" / "cost" / "default_models.json"

USAGE_OPERATORS = {"gt", "gte", "lt", "lte", "eq", "neq"}
ATTRIBUTE_SOURCES = {"model_parameters": "model_parameter", "metadata": "metadata"}
TOKENIZER_CONFIG_KEYS = {"tokenizerModel": "model", "tokensPerMessage": "per_message", "tokensPerName": "per_name"}


class ConversionError(Exception):
    pass


def per_million(price: float, where: str) -> int | float:
    """USD per unit -> USD per 1M units, shifted in decimal so no binary rounding creeps in."""
    if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
        raise ConversionError(f"{where}: price must be a non-negative number, got {price!r}")
    shifted = (Decimal(repr(price)) * 1_000_000).normalize()
    if shifted == shifted.to_integral_value():
        return int(shifted)
    value = float(shifted)
    # The Rust loader shifts back by parsing "<shortest digits>e-6"; make sure that is lossless.
    if float(format(Decimal(repr(value)), "f") + "e-6") != float(price):
        raise ConversionError(f"{where}: price {price!r} does not survive the per-million shift")
    return value


def convert_condition(condition: dict, where: str) -> dict:
    if "usageDetailPattern" in condition:
        unexpected = set(condition) - {"usageDetailPattern", "operator", "value", "caseSensitive"}
        operator = condition.get("operator")
        if unexpected or operator not in USAGE_OPERATORS:
            raise ConversionError(f"{where}: unsupported usage condition {condition!r}")
        usage = {"pattern": condition["usageDetailPattern"], "op": operator, "value": condition["value"]}
        if condition.get("caseSensitive", False):
            usage["case_sensitive"] = True
        return {"usage": usage}
    if "source" in condition:
        unexpected = set(condition) - {"source", "key", "operator", "values"}
        tag = ATTRIBUTE_SOURCES.get(condition["source"])
        if unexpected or tag is None or condition.get("operator") != "in":
            raise ConversionError(f"{where}: unsupported attribute condition {condition!r}")
        values = condition["values"]
        if not all(isinstance(v, str) for v in values):
            raise ConversionError(f"{where}: attribute condition values must be strings")
        return {tag: {"key": condition["key"], "in": list(values)}}
    raise ConversionError(f"{where}: unknown condition {condition!r}")


def convert_tier(tier: dict, where: str) -> dict:
    where = f"{where} tier {tier['name']!r}"
    out: dict = {"name": tier["name"]}
    if tier["isDefault"]:
        out["default"] = True
    out["priority"] = tier["priority"]
    conditions = [convert_condition(c, where) for c in tier.get("conditions") or []]
    if conditions:
        out["when"] = conditions
    out["per_million"] = {key: per_million(price, f"{where} {key}") for key, price in tier["prices"].items()}
    return out


def convert_tokenizer(model: dict, where: str) -> dict | None:
    kind = model.get("tokenizerId")
    config = model.get("tokenizerConfig")
    if kind is None:
        if config:
            raise ConversionError(f"{where}: tokenizer config without tokenizer id")
        return None
    out: dict = {"kind": kind}
    for key, value in (config or {}).items():
        if key not in TOKENIZER_CONFIG_KEYS:
            raise ConversionError(f"{where}: unknown tokenizer config key {key!r}")
    for key, ours in TOKENIZER_CONFIG_KEYS.items():
        if config and key in config:
            out[ours] = config[key]
    return out


def convert_model(model: dict) -> dict:
    name = model["modelName"]
    where = f"model {name!r}"
    out: dict = {"id": f"builtin:{name}", "model_name": name, "match_pattern": model["matchPattern"]}
    tokenizer = convert_tokenizer(model, where)
    if tokenizer is not None:
        out["tokenizer"] = tokenizer
    tiers = [convert_tier(t, where) for t in model["pricingTiers"]]
    if sum(1 for t in tiers if t.get("default")) != 1:
        raise ConversionError(f"{where}: expected exactly one default tier")
    out["tiers"] = tiers
    return out


def render(models: list[dict]) -> str:
    lines = [f'{{"format":"{FORMAT}","price_unit":"usd_per_million_units","models":[']
    rows = [json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in models]
    lines.append(",\n".join(rows))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    source = json.loads(args.source.read_text(encoding="utf-8"))
    if not isinstance(source, list):
        raise ConversionError("source must be a JSON array of models")
    models = [convert_model(m) for m in source]
    names = [m["model_name"] for m in models]
    if len(set(names)) != len(names):
        raise ConversionError("model names must be unique")

    args.output.write_text(render(models), encoding="utf-8")
    print(f"wrote {len(models)} models to {args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConversionError as error:
        print(f"import-model-prices: {error}", file=sys.stderr)
        sys.exit(1)
