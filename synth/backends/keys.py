"""API keys: looked up in a documented order, held so they never leak into a repr, config, log or error.

Lookup order (first match wins):

1. the `api_key` argument given to the backend;
2. the environment variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`); Streamlit copies the root keys of
   `.streamlit/secrets.toml` into the environment, so that file fills it for the app.

We never write a key anywhere: it lives in memory inside a `Secret` and is handed to the provider's SDK.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from synth.backends.registry import get_backend_class, parse_model_spec
from synth.errors import ConfigError, SynthError

SECRETS_FILE = ".streamlit/secrets.toml"
MASK = "***"

# Shapes of provider keys, scrubbed from provider messages even when they are not our key
# (OpenAI echoes a partly masked key in its 401 message).
_KEY_PATTERN = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{5,}[A-Za-z0-9_*]")


class Secret:
    """A credential whose repr and str never show it; `reveal()` hands it to an SDK."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The key itself, for the SDK client only."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled: keys are never written to disk")


def find_key(variable: str, explicit: str | None = None) -> Secret | None:
    """The key from the explicit argument, then the environment variable; None when neither is set.

    Args:
        variable: the environment variable that holds the key, e.g. `OPENAI_API_KEY`.
        explicit: a key passed in by the caller; wins over the environment. Blank strings count as unset.
    """
    for candidate in (explicit, os.environ.get(variable)):
        if candidate is not None and candidate.strip():
            return Secret(candidate.strip())
    return None


def key_variables(specs: list[str]) -> list[str]:
    """Environment variables holding the keys the models `specs` need and the environment lacks (each once,
    in the order the models are given); an unknown backend is skipped, it is reported when it is built."""
    needed = []
    for spec in specs:
        try:
            variable = get_backend_class(parse_model_spec(spec)[0]).needs_key
        except SynthError:
            continue
        if variable and find_key(variable) is None and variable not in needed:
            needed.append(variable)
    return needed


def require_key(variable: str, explicit: str | None = None, *, backend: str) -> Secret:
    """Like `find_key`, but a missing key is a ConfigError that says where to put it."""
    key = find_key(variable, explicit)
    if key is None:
        raise ConfigError(
            f"the {backend} backend needs an API key: set {variable} in your environment or as a root key "
            f"in {SECRETS_FILE} (copy .streamlit/secrets.toml.example), or pass api_key"
        )
    return key


def scrub(text: str, *secrets: Secret | None) -> str:
    """`text` with the given secrets and anything shaped like a provider key replaced by ***."""
    for secret in secrets:
        if secret is not None and secret.reveal():
            text = text.replace(secret.reveal(), MASK)
    return _KEY_PATTERN.sub(MASK, text)


def load_secrets_into_environment(path: str | Path = SECRETS_FILE) -> list[str]:
    """Do for the CLI what `streamlit run` does for the app: copy the root string keys of `secrets.toml`
    into the environment, leaving variables that are already set alone. Nothing is written anywhere.

    Args:
        path: the secrets file; a missing file is not an error (keys may come from the shell).

    Returns:
        The names of the variables set (never their values).

    Raises:
        ConfigError: the file exists but is not valid TOML.
    """
    path = Path(path)
    if not path.is_file():
        return []
    try:
        secrets = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        # The decoder names a line and column, never the text, so no secret is echoed.
        raise ConfigError(f"{path} is not valid TOML ({error}); fix it or remove it") from None
    loaded = []
    for name, value in secrets.items():
        if isinstance(value, str) and value.strip() and name not in os.environ:
            os.environ[name] = value
            loaded.append(name)
    return loaded
