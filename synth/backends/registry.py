"""Registry of backends: maps a name (the `backend` in `backend:model`) to its Backend class.

Real backends and test doubles are registered the same way, with `@register`.
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from synth.backends.base import Backend
from synth.errors import ConfigError

_REGISTRY: dict[str, type[Backend]] = {}
# Built-in backends live in private modules imported on first use, so `import synth` stays light.
_BUILTIN_MODULES: dict[str, str] = {
    "local": "synth.backends._local",
    "openai": "synth.backends._openai",
    "anthropic": "synth.backends._anthropic",
}

B = TypeVar("B", bound=type[Backend])


def register(backend_class: B) -> B:
    """Class decorator: make `backend_class` available under `backend_class.name`."""
    _REGISTRY[backend_class.name] = backend_class
    return backend_class


def available_backends() -> list[str]:
    """Names of every backend that can be created, built-in or registered."""
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def get_backend_class(name: str) -> type[Backend]:
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend {name!r}; choose one of {', '.join(available_backends())} "
            "(models are written backend:model, e.g. local:smollm2 or openai:gpt-4o-mini)"
        ) from None


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split `backend:model` into its two parts (the model may itself contain colons, e.g. Ollama tags)."""
    backend, sep, model = spec.partition(":")
    if not sep or not backend.strip() or not model.strip():
        raise ConfigError(
            f"model {spec!r} is not of the form backend:model; e.g. local:smollm2, openai:gpt-4o-mini, "
            "anthropic:claude-haiku-4-5"
        )
    return backend.strip(), model.strip()


def create_backend(spec: str, **settings: Any) -> Backend:
    """Build the backend for a `backend:model` spec with its settings (keyword-only, backend-specific).
    A list of base URLs builds a fleet over them (synth.backends.fleet)."""
    if isinstance(settings.get("base_url"), list | tuple):
        from synth.backends.fleet import create_fleet

        return create_fleet(spec, **settings)
    backend_name, model = parse_model_spec(spec)
    return get_backend_class(backend_name)(model=model, **settings)
