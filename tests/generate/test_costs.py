from __future__ import annotations

from pathlib import Path

import pytest

from synth.errors import ConfigError
from synth.generate.costs import FREE, Price, estimate_tokens, load_prices


def test_bundled_table_prices_known_models_and_dated_variants() -> None:
    prices = load_prices()
    assert prices.price("openai", "gpt-4o-mini") == Price(0.15, 0.60)
    # A dated snapshot uses the longest entry it starts with: gpt-4o-mini, not gpt-4o.
    assert prices.price("openai", "gpt-4o-mini-2024-07-18") == Price(0.15, 0.60)
    assert prices.price("anthropic", "claude-3-5-haiku-latest") == Price(0.80, 4.00)
    assert prices.cost("openai", "gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)


def test_local_is_free_and_unknown_models_have_no_price() -> None:
    prices = load_prices()
    assert prices.price("local", "smollm2") == FREE
    assert prices.price("openai", "my-vllm-model") is None
    assert prices.cost("openai", "my-vllm-model", 10, 10) is None


def test_require_prices_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no price for openai:my-model.*--prices FILE"):
        load_prices().require_prices([("openai", "my-model"), ("local", "smollm2")])


def test_user_price_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text('[openai]\n"my-model" = { input = 1, output = 2 }\n', encoding="utf-8")
    prices = load_prices(path)
    assert prices.cost("openai", "my-model", 500_000, 250_000) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[openai\n", "not valid TOML"),
        ('[openai]\n"m" = { input = 1 }\n', "needs numeric `input` and `output`"),
        ('[openai]\n"m" = { input = "cheap", output = 1 }\n', "needs numeric"),
        ('[openai]\n"m" = { input = -1, output = 1 }\n', "negative price"),
        ('openai = 3\n', "must be a table"),
        ('[openai]\n"m" = { input = 1, output = 1, batch_input = 0.5 }\n', "both numeric `batch_input`"),
        ('[openai]\n"m" = { input = 1, output = 1, batch_input = -1, batch_output = 1 }\n', "negative batch"),
    ],
)
def test_bad_price_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_prices(path)


def test_batch_prices_are_their_own_column(tmp_path: Path) -> None:
    batch = load_prices().for_batch()
    assert batch.price("openai", "gpt-4o-mini-2024-07-18") == Price(0.075, 0.30)
    assert batch.price("anthropic", "claude-haiku-4-5") == Price(0.50, 2.50)
    assert batch.price("local", "smollm2") == FREE
    path = tmp_path / "prices.toml"
    path.write_text('[openai]\n"no-batch" = { input = 1, output = 2 }\n', encoding="utf-8")
    assert load_prices(path).for_batch().price("openai", "no-batch") is None  # unknown, not the standard price


def test_missing_price_file() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_prices("/nonexistent/prices.toml")


def test_estimate_tokens_is_chars_over_four_rounded_up() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
