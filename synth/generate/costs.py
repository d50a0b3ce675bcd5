"""Token prices and what calls cost.

Prices live in a TOML table (`synth/generate/prices.toml`, USD per million tokens) that users can edit or replace
with their own file. Local models cost nothing. A model with no price has an unknown cost (None), never
a silent zero: a budget cannot be enforced on it, and `require_prices` says how to fix that.

Token estimates before a run use 4 characters per token (the usual rule of thumb for English BPE
tokenizers); they are estimates and are labelled so. Actual counts come from the providers' usage fields.
Budgets and the plan's "at most" use `max_input_tokens` instead, a bound that holds for any script: byte-level
BPE and byte-fallback tokenizers never make more tokens than the text has UTF-8 bytes (chars/4 undercounts
Chinese, Arabic or emoji by 4x and more).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from synth.errors import ConfigError

DEFAULT_PRICES_PATH = Path(__file__).with_name("prices.toml")
FREE_BACKENDS = frozenset({"local"})
CHARS_PER_TOKEN = 4
# Tokens a chat format adds around each message (role markers, separators) and once per request; OpenAI
# documents 3-4 per message and 3 per reply, so these bounds are generous.
MESSAGE_OVERHEAD_TOKENS = 8
REQUEST_OVERHEAD_TOKENS = 8


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


FREE = Price(0.0, 0.0)


class PriceTable:
    """Prices by backend and model; look them up with `price`."""

    def __init__(
        self, prices: dict[str, dict[str, Price]], source: str, batch: dict[str, dict[str, Price]] | None = None
    ) -> None:
        self.prices = prices
        self.source = source
        self.batch = batch or {}

    def for_batch(self) -> PriceTable:
        """The prices of the providers' batch APIs (the `batch_input`/`batch_output` columns); a model without
        them has no batch price (unknown cost), never its standard one."""
        return PriceTable(self.batch, f"{self.source} (batch prices)")

    def price(self, backend: str, model: str) -> Price | None:
        """The price of `backend:model`, FREE for local models, None when the table has none."""
        if backend in FREE_BACKENDS:
            return FREE
        table = self.prices.get(backend, {})
        if model in table:
            return table[model]
        prefixes = [name for name in table if model.startswith(name)]
        return table[max(prefixes, key=len)] if prefixes else None

    def cost(self, backend: str, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price(backend, model)
        return None if price is None else price.cost(input_tokens, output_tokens)

    def require_prices(self, specs: list[tuple[str, str]]) -> None:
        """Raise ConfigError naming every (backend, model) without a price (needed to enforce a budget)."""
        missing = [f"{backend}:{model}" for backend, model in specs if self.price(backend, model) is None]
        if missing:
            raise ConfigError(
                f"no price for {', '.join(missing)} in {self.source}, so a budget cannot be enforced; add "
                f'a line such as `"{missing[0].partition(":")[2]}" = {{ input = 0.5, output = 1.5 }}` under '
                f"[{missing[0].partition(':')[0]}] in a copy of the price file and pass it (--prices FILE), "
                "or run without a budget"
            )


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Read a price table; the bundled one when `path` is None.

    Raises:
        ConfigError: the file is missing, not TOML, or an entry lacks a non-negative input/output price.
    """
    source = Path(path) if path is not None else DEFAULT_PRICES_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"price file {source} not found; give an existing TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"price file {source} is not valid TOML ({error}); fix it") from None
    prices: dict[str, dict[str, Price]] = {}
    batch: dict[str, dict[str, Price]] = {}
    for backend, models in data.items():
        if not isinstance(models, dict):
            raise ConfigError(f"{source}: [{backend}] must be a table of model = {{ input = ..., output = ... }}")
        prices[backend], batch[backend] = {}, {}
        for model, entry in models.items():
            try:
                price = Price(float(entry["input"]), float(entry["output"]))
            except (TypeError, KeyError, ValueError):
                raise ConfigError(
                    f"{source}: {backend}.{model} needs numeric `input` and `output` prices (USD per million "
                    "tokens), e.g. { input = 0.15, output = 0.60 }"
                ) from None
            if price.input < 0 or price.output < 0:
                raise ConfigError(f"{source}: {backend}.{model} has a negative price; prices are >= 0")
            prices[backend][model] = price
            if "batch_input" in entry or "batch_output" in entry:
                try:
                    batch[backend][model] = Price(float(entry["batch_input"]), float(entry["batch_output"]))
                except (TypeError, KeyError, ValueError):
                    raise ConfigError(
                        f"{source}: {backend}.{model} needs both numeric `batch_input` and `batch_output` prices "
                        "(USD per million tokens through the batch API), or neither"
                    ) from None
                if min(batch[backend][model].input, batch[backend][model].output) < 0:
                    raise ConfigError(f"{source}: {backend}.{model} has a negative batch price; prices are >= 0")
    return PriceTable(prices, str(source), batch)


def estimate_tokens(text: str) -> int:
    """Tokens in `text` by the 4-characters-per-token rule (an estimate, used before a run only)."""
    return max(1, -(-len(text) // CHARS_PER_TOKEN)) if text else 0


def max_input_tokens(texts: list[str]) -> int:
    """The most tokens any byte-level tokenizer can count for a prompt made of `texts` (chat messages, or one
    completion prompt): their UTF-8 bytes plus the chat format's overhead. Used where going over costs money
    (the budget, the plan's "at most")."""
    return sum(len(text.encode("utf-8")) + MESSAGE_OVERHEAD_TOKENS for text in texts) + REQUEST_OVERHEAD_TOKENS
