"""API keys: looked up in a documented order, held so they never leak into a repr, config, log or error.

Lookup order (first match wins):

1. the `api_key` argument given to the backend;
2. the environment variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`); Streamlit copies the root keys of
   `.streamlit/secrets.toml` into the environment, so that file fills it for the app.

A provider's key goes only to the provider's own host: a server at another base URL gets the `api_key`
argument or `OPENAI_COMPATIBLE_API_KEY` / `ANTHROPIC_COMPATIBLE_API_KEY` (see `find_compatible_key`).

`scrub` and `scrub_json` are the one home of scrubbing: everything a provider says (error messages,
malformed answers) and everything recorded or exported passes through them.

We never write a key anywhere: it lives in memory inside a `Secret` and is handed to the provider's SDK.
"""

from __future__ import annotations

import base64
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from synth.backends.registry import get_backend_class, parse_model_spec
from synth.errors import ConfigError, SynthError

SECRETS_FILE = ".streamlit/secrets.toml"
MASK = "***"

# Every pattern here starts only where a run of its characters starts (a lookbehind) and never backtracks
# into a run (possessive quantifiers), so a hostile answer of millions of characters costs linear time.
# Shapes of provider keys, scrubbed from provider messages even when they are not our key
# (OpenAI echoes a partly masked key in its 401 message).
_KEY_PATTERN = re.compile(r"(?<![A-Za-z0-9_\-*.])(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{5,}[A-Za-z0-9_*]")
# A bearer token in an echoed header, whatever its shape.
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=\-]{8,}")
# user:password@ (or token@) in any URL inside a text.
_URL_CREDENTIALS = re.compile(r"((?<![a-zA-Z0-9+.\-])[a-zA-Z][a-zA-Z0-9+.\-]*+://)[^/\s@]++@")
# Names of settings, JSON keys and query parameters that hold credentials (not "tokens", which counts them).
SECRET_NAME = re.compile(
    r"api[_-]?key|secret|password|passwd|authori[sz]ation|bearer|access[_-]?token|^token$|^key$|^sig(nature)?$",
    re.IGNORECASE,
)
# An elided echo of a key: its first characters, dots or stars, its last characters.
_ELIDED = re.compile(r"(?<![\w\-])(?P<head>[\w\-]{3,}+)(?:[.*…•]{2,}+|…)(?P<tail>[\w\-]{3,}+)")
# The shortest run of a secret's characters that counts as a trace of it.
MIN_FRAGMENT = 8
_TRACES: dict[str, _Traces] = {}


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


def compatible_key_variable(variable: str) -> str:
    """The variable holding the key for a compatible server or gateway at a base URL, e.g.
    `OPENAI_COMPATIBLE_API_KEY` beside `OPENAI_API_KEY`."""
    return variable.removesuffix("_API_KEY") + "_COMPATIBLE_API_KEY"


def find_compatible_key(variable: str, explicit: str | None, *, url_from_environment: bool) -> Secret | None:
    """The key to send to a server at a base URL other than the provider's own host, so that a provider's
    key never goes to someone else's server.

    Such a server gets the explicit key, else the key named for compatible servers
    (`compatible_key_variable`); it gets `variable` (e.g. `OPENAI_API_KEY`) only when the base URL itself
    came from the environment (`OPENAI_BASE_URL`), where the user set the two side by side as the SDKs
    document. None when there is no such key.
    """
    return find_key(variable if url_from_environment else compatible_key_variable(variable), explicit)


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
    """`text` with every trace of the given secrets, URL credentials and key-shaped text replaced by ***.

    A secret is found by value, not by shape: the whole value, any run of 8 or more of its characters (an
    echo such as `abcd1234...wxyz` keeps the first 8), and the same in its simple encodings (reversed,
    base64 at each byte offset, as in a Basic auth header, URL-safe base64, hex, percent-encoding).
    """
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    for secret in secrets:
        if secret is not None and secret.reveal():
            text = _mask_elided(text, secret.reveal())
            text = _mask_runs(text, secret.reveal())
    text = _BEARER.sub(r"\1" + MASK, text)
    return _KEY_PATTERN.sub(MASK, text)


def reveals(text: str, *secrets: Secret | None) -> bool:
    """True when `text` holds a trace of one of `secrets` that `scrub` would mask. A secret shorter than
    MIN_FRAGMENT characters (a toy key such as `abc` for a local server) is never judged: ordinary text
    holds it by chance."""
    return any(
        secret is not None and len(secret.reveal()) >= MIN_FRAGMENT and (
            _covered(text, secret.reveal()) is not None or _mask_elided(text, secret.reveal()) != text
        )
        for secret in secrets
    )


def scrub_json(value: Any, *secrets: Secret | None) -> Any:
    """A copy of a JSON-like value to record or export: credential-named keys (`api_key`, `password`...)
    dropped, every string passed through `scrub`."""
    if isinstance(value, Mapping):
        return {k: scrub_json(v, *secrets) for k, v in value.items() if not SECRET_NAME.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub_json(v, *secrets) for v in value]
    if isinstance(value, str):
        return scrub(value, *secrets)
    return value


def strip_url_credentials(url: str) -> str:
    """`url` without its user:password and without query parameters named like credentials (`key`,
    `token`...); other parts are kept, so the URL still names the same server and options."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret_query = any(SECRET_NAME.search(name) for name, _ in pairs)
    if not parts.scheme or not parts.hostname or not (parts.username or parts.password or secret_query):
        return url
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    query = urlencode([(name, value) for name, value in pairs if not SECRET_NAME.search(name)])
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def url_password(url: str | None) -> Secret | None:
    """The password (or lone user name, often a token) in `url`, to scrub from what a server says."""
    if not url:
        return None
    parts = urlsplit(url)
    credential = parts.password or parts.username
    return Secret(credential) if credential else None


@dataclass(frozen=True)
class _Traces:
    """What a trace of one secret looks like: its MIN_FRAGMENT-character pieces in every encoding, and the
    runs of characters such pieces are made of (only those runs are searched, so prose costs little)."""

    pieces: frozenset[str]
    runs: re.Pattern[str]


def _traces(value: str) -> _Traces:
    """The traces of `value` (cached: a run checks every answer against the same key)."""
    cached = _TRACES.get(value)
    if cached is not None:
        return cached
    variants = _encodings(value)
    pieces = frozenset(variant[i:i + MIN_FRAGMENT] for variant in variants
                       for i in range(len(variant) - MIN_FRAGMENT + 1))
    alphabet = "".join(sorted(set("".join(variants))))
    traces = _Traces(pieces, re.compile(f"[{re.escape(alphabet)}]{{{MIN_FRAGMENT},}}"))
    if len(_TRACES) < 64:
        _TRACES[value] = traces
    return traces


def _covered(text: str, value: str) -> bytearray | None:
    """Which characters of `text` belong to a run of MIN_FRAGMENT or more characters of `value` or of one
    of its encodings (1 = covered); None when there are none."""
    if len(value) < MIN_FRAGMENT:  # too short to have pieces: only the whole value, standing alone, counts
        pattern = rf"(?<![\w\-]){re.escape(value)}(?![\w\-])"
        spans = [match.span() for match in re.finditer(pattern, text)]
    else:
        traces, spans = _traces(value), []
        for match in traces.runs.finditer(text):
            run, offset = match.group(), match.start()
            spans += [(offset + i, offset + i + MIN_FRAGMENT) for i in range(len(run) - MIN_FRAGMENT + 1)
                      if run[i:i + MIN_FRAGMENT] in traces.pieces]
    if not spans:
        return None
    covered = bytearray(len(text))
    for start, end in spans:
        covered[start:end] = b"\1" * (end - start)
    return covered


def _encodings(value: str) -> list[str]:
    """`value` as it may be echoed: itself, reversed, base64 (at each of the three byte offsets, so the key
    is found inside a longer encoded string such as `user:key`), URL-safe base64, hex, percent-encoded."""
    raw = value.encode("utf-8")
    variants = [value, value[::-1], raw.hex(), raw.hex().upper(), quote(value, safe="")]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        # Keep the 4-character groups made of the value's bytes only: not the first when it mixes in the
        # offset bytes, nor a padded last one, whose characters depend on what follows the value.
        start = 4 if offset else 0
        end = len(encoded) if (offset + len(raw)) % 3 == 0 else len(encoded) - 4
        middle = encoded[start:end]
        variants += [middle, middle.replace("+", "-").replace("/", "_")]
    return [variant for variant in variants if len(variant) >= MIN_FRAGMENT or variant == value]


def _mask_elided(text: str, value: str) -> str:
    """`text` with elided echoes of `value` (its start, dots or stars, its end: `abcd...wxyz`) masked."""

    def mask(match: re.Match[str]) -> str:
        head, tail = match.group("head"), match.group("tail")
        return MASK if value.startswith(head) and value.endswith(tail) else match.group(0)

    return _ELIDED.sub(mask, text)


def _mask_runs(text: str, value: str) -> str:
    """`text` with each joined run of characters covered by traces of `value` replaced by one ***."""
    covered = _covered(text, value)
    if covered is None:
        return text
    pieces, index = [], 0
    while index < len(text):
        if covered[index]:
            while index < len(text) and covered[index]:
                index += 1
            pieces.append(MASK)
        else:
            pieces.append(text[index])
            index += 1
    return "".join(pieces)


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
