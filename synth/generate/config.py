"""What a run is asked to do: the models, the cells (topic x platform), the sampling and the limits.

A GenerationConfig is plain data. It is saved in the run store as JSON (without secrets) so that
`resume` can rebuild the backends and finish the run in another process.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from synth.backends.base import Backend, GenerationOptions
from synth.backends.keys import strip_url_credentials
from synth.backends.registry import parse_model_spec
from synth.errors import ConfigError
from synth.platforms import normalise_platform
from synth.topics.model import TopicSpec

# Setting names that may hold a credential: never saved, never shown.
_SECRET_NAME = re.compile(r"key|secret|token|password|auth", re.IGNORECASE)
# A local model spends much of a call evaluating the prompt (measured on 2 shared cores with SmolLM2: ~5 CPU-s
# for a 650-token few-shot prompt, as long as writing a 250-token answer), and llama.cpp keeps the last
# prompt's evaluation: calls that share a prompt and run back to back evaluate it once. Up to 4 calls share
# one; every 4 posts of a cell still see fresh examples.
LOCAL_CALLS_PER_PROMPT = 4


@dataclass(frozen=True)
class ModelConfig:
    """One model in a run and the limits that apply to its calls.

    Attributes:
        spec: `backend:model`, e.g. `local:smollm2` or `openai:gpt-4o-mini`.
        settings: keyword settings for the backend's constructor (e.g. `base_url`). Keys that look like
            credentials (`api_key`...) are used but never saved in the run store.
        concurrency: calls in flight at once for this model (on each server of a fleet); None picks 1 for
            `local` (one model in memory) and 8 for the others.
        requests_per_minute: rate limit on calls, None for none.
        tokens_per_minute: rate limit on input + output tokens (estimated before the call as prompt
            chars/4 + max_tokens), None for none.
        strategy: prompt strategy for this model, overriding the run's (e.g. `completion` for a base model).
    """

    spec: str
    settings: dict[str, Any] = field(default_factory=dict)
    concurrency: int | None = None
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    strategy: str | None = None

    @property
    def backend_name(self) -> str:
        return parse_model_spec(self.spec)[0]

    @property
    def model_name(self) -> str:
        return parse_model_spec(self.spec)[1]

    def suited_to(self, backend: Backend) -> ModelConfig:
        """This model as `backend` can run it: a base model (no chat) gets `completion` prompts, whatever
        strategy was chosen; a chat model is returned unchanged."""
        return self if backend.supports_chat else replace(self, strategy="completion")

    def effective_concurrency(self) -> int:
        if self.concurrency is not None:
            return self.concurrency
        return 1 if self.backend_name == "local" else 8

    def public_settings(self) -> dict[str, Any]:
        """The settings safe to save and show: credential-like keys removed, and URLs (`base_url`) without
        user:password or credential query parameters."""
        return {
            name: strip_url_credentials(value) if isinstance(value, str) else value
            for name, value in self.settings.items() if not _SECRET_NAME.search(name)
        }


def base_url_settings(spec: str, base_url: str | Sequence[str] | None) -> dict[str, Any]:
    """The settings a base URL gives the model `spec`: only `openai:` models take one (vLLM, Ollama and the
    llama.cpp server speak OpenAI's API); other models, or a blank URL, get none. Several URLs make a fleet
    (synth.backends.fleet): the calls are spread over those servers."""
    urls = [base_url] if base_url is None or isinstance(base_url, str) else list(base_url)
    urls = [url.strip() for url in urls if url and url.strip()]
    if not urls or not spec.startswith("openai:"):
        return {}
    return {"base_url": urls[0] if len(urls) == 1 else urls}


@dataclass(frozen=True)
class GenerationConfig:
    """A whole run: every model x topic x platform cell gets `per_cell` posts.

    Attributes:
        models: the models to generate with.
        topics: the topics (see `synth.topics.model.TopicSpec`).
        platforms: canonical platform names (aliases such as `x` are accepted and normalised).
        per_cell: posts wanted per (model, topic, platform) cell.
        candidates: candidates generated per wanted post; with more than 1 the run makes per_cell x candidates
            posts per cell and post-processing (synth.postprocess.select) keeps the per_cell most real.
        posts_per_call: posts asked for in one call; a cell needs ceil(per_cell / posts_per_call) calls.
        strategy: prompt strategy from `synth.prompts.render.STRATEGIES` (`topic` is the method).
        k: real example posts shown in each few-shot prompt.
        seed: run seed; each call gets its own seed derived from it, the cell and the call index.
        options: sampling options (the seed in it is replaced per call); None lets the prompt renderer
            choose (enough max_tokens for posts_per_call posts).
        timeout_s: seconds one call may take before it counts as failed.
        budget_usd: stop the run cleanly before spending more than this; None for no cap.
        prices_path: a price table TOML replacing the bundled `synth/generate/prices.toml`.
        use_cache: serve identical calls (backend, model, request, seed) from the response cache.
        batch: send the calls of `openai:` and `anthropic:` models through the providers' batch APIs (half
            price, up to a day's turnaround; see synth.generate.batch); other models run as usual.
        calls_per_prompt: how many consecutive calls of a cell share one rendered prompt (its examples drawn
            once); each call still has its own seed. None picks LOCAL_CALLS_PER_PROMPT for `local:` models
            and 1 (fresh examples every call) for the others.
        personas: chat prompts ask the model to write as a persona (`synth.prompts.personas`) drawn with the
            seed of the call the prompt is rendered for, so calls sharing a prompt share its persona;
            `completion` prompts (base models) have none.
    """

    models: tuple[ModelConfig, ...]
    topics: tuple[TopicSpec, ...]
    platforms: tuple[str, ...]
    per_cell: int = 3
    candidates: int = 1
    posts_per_call: int = 1
    strategy: str = "topic"
    k: int = 5
    seed: int = 0
    options: GenerationOptions | None = None
    timeout_s: float = 120.0
    budget_usd: float | None = None
    prices_path: str | None = None
    use_cache: bool = True
    batch: bool = False
    calls_per_prompt: int | None = None
    personas: bool = False

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def posts_per_cell(self) -> int:
        """Posts generated per cell: the posts wanted times the candidates per wanted post."""
        return self.per_cell * self.candidates

    def strategy_for(self, model: ModelConfig) -> str:
        return model.strategy or self.strategy

    def calls_per_prompt_for(self, model: ModelConfig) -> int:
        """How many consecutive calls of one of `model`'s cells share a prompt (see `calls_per_prompt`)."""
        if self.calls_per_prompt is not None:
            return self.calls_per_prompt
        return LOCAL_CALLS_PER_PROMPT if model.backend_name == "local" else 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form without secrets (what the run store and the manifest keep)."""
        data = asdict(self)
        data["models"] = [
            {**asdict(model), "settings": model.public_settings()} for model in self.models
        ]
        if self.options is not None:
            data["options"]["stop"] = list(self.options.stop)
        data["topics"] = [{**asdict(topic), "keywords": list(topic.keywords)} for topic in self.topics]
        data["platforms"] = list(self.platforms)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationConfig:
        """Rebuild a config saved by `to_dict` (credentials come back from the environment)."""
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        values["models"] = tuple(ModelConfig(**model) for model in data["models"])
        values["topics"] = tuple(
            TopicSpec(topic["topic_id"], topic["label"], tuple(topic.get("keywords", ())))
            for topic in data["topics"]
        )
        values["platforms"] = tuple(data["platforms"])
        if data.get("options") is not None:
            options = dict(data["options"])
            options["stop"] = tuple(options.get("stop", ()))
            values["options"] = GenerationOptions(**options)
        return cls(**values)


def _validate(config: GenerationConfig) -> None:
    if not config.models:
        raise ConfigError("no model chosen; add at least one, e.g. local:smollm2")
    specs = [model.spec for model in config.models]
    repeated = sorted({spec for spec in specs if specs.count(spec) > 1})
    if repeated:
        raise ConfigError(f"model(s) {', '.join(repeated)} listed twice; list each model once")
    for model in config.models:
        parse_model_spec(model.spec)
        if model.concurrency is not None and model.concurrency < 1:
            raise ConfigError(f"{model.spec}: concurrency must be at least 1, not {model.concurrency}")
        for name in ("requests_per_minute", "tokens_per_minute"):
            limit = getattr(model, name)
            if limit is not None and limit <= 0:
                raise ConfigError(f"{model.spec}: {name} must be positive (or unset for no limit)")
    from synth.prompts.render import STRATEGIES

    # Checked here, not only when rendering: a base model swaps in `completion` and would hide a misspelt name.
    for strategy in {config.strategy, *(model.strategy for model in config.models if model.strategy)}:
        if strategy not in STRATEGIES:
            raise ConfigError(f"unknown prompt strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if not config.topics:
        raise ConfigError("no topic chosen; pick at least one topic")
    topic_ids = [topic.topic_id for topic in config.topics]
    if len(set(topic_ids)) != len(topic_ids):
        raise ConfigError("a topic is listed twice; list each topic once")
    if not config.platforms:
        raise ConfigError("no platform chosen; pick at least one, e.g. twitter")
    canonical: list[str] = []
    for platform in config.platforms:
        canonical_name = normalise_platform(platform)
        if canonical_name is None:
            raise ConfigError(f"unknown platform {platform!r}; see synth.platforms.PLATFORMS for the names")
        canonical.append(canonical_name)
    if len(set(canonical)) != len(canonical):
        raise ConfigError("a platform is listed twice; list each platform once")
    # Frozen dataclass: normalise the platform names in place once validated.
    object.__setattr__(config, "platforms", tuple(canonical))
    if config.per_cell < 1:
        raise ConfigError(f"per_cell must be at least 1, not {config.per_cell}")
    if not 1 <= config.candidates <= 20:
        raise ConfigError(f"candidates must be between 1 and 20 per wanted post, not {config.candidates}")
    if config.posts_per_call < 1:
        raise ConfigError(f"posts_per_call must be at least 1, not {config.posts_per_call}")
    if config.calls_per_prompt is not None and not 1 <= config.calls_per_prompt <= 20:
        raise ConfigError(f"calls_per_prompt must be between 1 and 20 (or unset), not {config.calls_per_prompt}")
    if config.k < 0:
        raise ConfigError(f"k (few-shot examples) must be 0 or more, not {config.k}")
    if config.timeout_s <= 0:
        raise ConfigError(f"timeout_s must be positive, not {config.timeout_s}")
    if config.batch and config.budget_usd is not None:
        raise ConfigError(
            "a budget cannot be enforced on batch jobs (the provider runs a whole job at once): read the batch "
            "estimate and drop --budget, or drop --batch to run with a budget"
        )
    if config.budget_usd is not None and config.budget_usd < 0:
        raise ConfigError(f"budget_usd must be 0 or more, not {config.budget_usd}")
