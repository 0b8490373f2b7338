"""Expected costs from Langfuse's public default price list when `../shared` is present (CI and
our machines), else from the same public figures written down here."""

import json
from pathlib import Path

PRICES = Path(__file__).resolve().parents[3] / "shared" / "langfuse" / "default-model-prices.json"
GPT_4O_FALLBACK = {"input": 2.5e-06, "output": 1e-05}


def default_tier_prices(model_name: str) -> dict:
    if PRICES.exists():
        for model in json.loads(PRICES.read_text()):
            if model["modelName"] == model_name:
                return next(t["prices"] for t in model["pricingTiers"] if t["isDefault"])
        raise KeyError(model_name)
    assert model_name == "gpt-4o"
    return GPT_4O_FALLBACK


def expected_cost(model_name: str, usage: dict) -> float:
    prices = default_tier_prices(model_name)
    return sum(units * prices[key] for key, units in usage.items() if key in prices)
