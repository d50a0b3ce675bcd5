"""Embeddings from a server: any OpenAI-compatible `/v1/embeddings` endpoint (Text Embeddings Inference, vLLM,
Ollama, llama.cpp's server, OpenAI itself), and the one place that turns an embedder setting into an Embedder.

The wire format is OpenAI's: `POST {base_url}/embeddings` with `{"model", "input": [texts], "encoding_format":
"float"}`, answered by `{"data": [{"index", "embedding"}], ...}`. Texts go in batches, several batches in flight
at once; 408/429/5xx answers and connection errors are retried with exponential backoff (honouring
`retry-after`), other refusals stop at once with the server's message. Vectors are L2-normalised here, so any
server's output behaves like the bundled MiniLM's.

Behind `CachedEmbedder` the cache key is the embedder's name, `remote:<model>@<base_url>`: vectors of two
endpoints or two models never mix, and a text embedded once by a server is never sent again.

An embedder setting (`--embedder`, `SYNTH_EMBEDDER`, the app's setting) is one of:
    `minilm`                      the bundled all-MiniLM-L6-v2 (sentence-transformers, fp32; the default)
    `minilm-openvino`             the same model run by OpenVINO: 3.2x faster, cosine >= 0.9999 per post
    `hashing` or `hashing:DIM`    the model-free hashing embedder (quick looks, tests)
    `remote:MODEL@BASE_URL`       an OpenAI-compatible server, e.g. `remote:bge-small@http://127.0.0.1:8080/v1`
    `openai:MODEL`                OpenAI's own endpoint, e.g. `openai:text-embedding-3-small` (OPENAI_API_KEY)
A server's key, when it needs one, comes from `SYNTH_EMBEDDINGS_API_KEY` (OpenAI's from `OPENAI_API_KEY`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import httpx2
import numpy as np

from synth.backends._sdk import public_url, resolve_base_url
from synth.backends.keys import Secret, find_key, require_key, scrub
from synth.embeddings.embedder import (
    CachedEmbedder,
    Embedder,
    HashingEmbedder,
    get_default_embedder,
    get_openvino_embedder,
    normalise_rows,
)
from synth.errors import ConfigError, ServiceError

EMBEDDER_ENV = "SYNTH_EMBEDDER"
KEY_ENV = "SYNTH_EMBEDDINGS_API_KEY"
OPENAI_KEY_ENV = "OPENAI_API_KEY"
OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_SPEC = "minilm"
# OpenAI accepts up to 2048 inputs per request; servers such as TEI default to far fewer (32), so a modest
# batch that every server takes, with several in flight, keeps a fast server busy.
DEFAULT_BATCH_SIZE = 32
DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_RETRIES = 5
DEFAULT_TIMEOUT = 60.0
_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
_MAX_BACKOFF_S = 30.0
_REFUSAL_HINTS = {
    400: " (check the model name and that the server serves embeddings)",
    401: f" (check the key in {KEY_ENV})",
    403: f" (check the key in {KEY_ENV})",
    404: " (check the base URL ends in /v1 and the model name)",
}


class RemoteEmbedder:
    """Texts to vectors through an OpenAI-compatible `/v1/embeddings` endpoint (see the module docstring).

    The vector size is read from the first answer (one short probe when `dim` is asked for first).

    Args:
        model: the model name the server knows.
        base_url: the server, e.g. `http://127.0.0.1:8080/v1` (default: OpenAI, which needs a key).
        api_key: wins over `SYNTH_EMBEDDINGS_API_KEY` (and `OPENAI_API_KEY` for OpenAI itself).
        batch_size: texts per request.
        concurrency: requests in flight at once.
        max_retries: retries of a request after a 408/429/5xx answer or a connection error.
        timeout: seconds allowed for each attempt.
        transport: an httpx2 transport (tests inject a MockTransport).
        backoff_s: the first retry's wait; each retry doubles it (capped at 30 s).

    Raises:
        ConfigError: a bad base URL or setting, or no key for OpenAI itself.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx2.BaseTransport | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        if not model.strip():
            raise ConfigError("the embedding model name is empty; write remote:MODEL@BASE_URL")
        for name, value in (("batch_size", batch_size), ("concurrency", concurrency)):
            if value < 1:
                raise ConfigError(f"embedding {name} must be at least 1, not {value}")
        if max_retries < 0 or timeout <= 0:
            raise ConfigError("embedding max_retries must be 0 or more and timeout positive")
        self.model = model.strip()
        self.base_url = (resolve_base_url(base_url, "") or OPENAI_URL).rstrip("/")
        is_openai = self.base_url == OPENAI_URL
        self._key: Secret | None = (
            require_key(OPENAI_KEY_ENV, api_key or os.environ.get(KEY_ENV), backend="openai embeddings")
            if is_openai else find_key(KEY_ENV, api_key)
        )
        self.batch_size, self.concurrency = batch_size, concurrency
        self.max_retries, self.timeout, self.backoff_s = max_retries, float(timeout), backoff_s
        self._transport = transport
        self.name = f"remote:{self.model}@{public_url(self.base_url)}"
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        """Length of the vectors this endpoint returns (asked of the server once, on first use)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        """Declare the size ahead (no probe); an answer of another size is then refused."""
        self._dim = int(value)

    def __repr__(self) -> str:
        return f"RemoteEmbedder(model={self.model!r}, base_url={public_url(self.base_url)!r})"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (see Embedder.embed), a batch per request, `concurrency` requests at once.

        Raises:
            ServiceError: the server refused a request, or kept failing after the retries.
        """
        texts = [str(text) for text in texts]
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        batches = [texts[start : start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        headers = {"Authorization": f"Bearer {self._key.reveal()}"} if self._key is not None else {}
        with httpx2.Client(transport=self._transport, timeout=self.timeout, headers=headers) as client:
            if len(batches) == 1 or self.concurrency == 1:
                parts = [self._embed_batch(client, batch) for batch in batches]
            else:
                with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
                    parts = list(pool.map(lambda batch: self._embed_batch(client, batch), batches))
        return normalise_rows(np.concatenate(parts))

    def _embed_batch(self, client: httpx2.Client, texts: list[str]) -> np.ndarray:
        # OpenAI refuses empty strings; a lone space embeds "nothing" on every server.
        body = {"model": self.model, "input": [text or " " for text in texts], "encoding_format": "float"}
        response = self._post(client, body)
        return self._vectors(response, len(texts))

    def _post(self, client: httpx2.Client, body: dict[str, Any]) -> httpx2.Response:
        """POST with retries of transient failures; the 200 answer, or ServiceError."""
        where = f"{public_url(self.base_url)}/embeddings"
        for attempt in range(self.max_retries + 1):
            try:
                response = client.post(f"{self.base_url}/embeddings", json=body)
            except httpx2.TransportError as error:
                problem, retry_after = f"{type(error).__name__}: {error}", None
            else:
                if response.status_code == 200:
                    return response
                problem = f"HTTP {response.status_code}: {scrub(response.text[:300], self._key)}"
                if response.status_code not in _RETRY_STATUSES:
                    raise ServiceError(
                        f"embedding server {where} refused model {self.model!r}: {problem}"
                        f"{_REFUSAL_HINTS.get(response.status_code, '')}"
                    )
                retry_after = response.headers.get("retry-after")
            if attempt < self.max_retries:
                time.sleep(self._wait(attempt + 1, retry_after))
        raise ServiceError(
            f"embedding server {where} failed {self.max_retries + 1} times ({problem}); check that it is running "
            f"and reachable, then run again: vectors already embedded are kept in the cache"
        )

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before retry `attempt`: the server's retry-after (in seconds) when given, else exponential."""
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), _MAX_BACKOFF_S)
            except ValueError:
                pass
        return min(self.backoff_s * 2 ** (attempt - 1), _MAX_BACKOFF_S)

    def _vectors(self, response: httpx2.Response, expected: int) -> np.ndarray:
        """The answer's vectors in input order, checked: one per text, all of one length (this endpoint's)."""
        where = f"{public_url(self.base_url)}/embeddings"
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceError(
                f"embedding server {where} sent an answer that is not OpenAI's embeddings format "
                f"({type(error).__name__}: {error}); is {public_url(self.base_url)} an OpenAI-compatible /v1 URL?"
            ) from None
        if vectors.ndim != 2 or len(vectors) != expected or vectors.shape[1] == 0:
            raise ServiceError(
                f"embedding server {where} returned {vectors.shape} vectors for {expected} texts; expected one "
                "vector per text"
            )
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise ServiceError(
                f"embedding server {where} returned vectors of {vectors.shape[1]} dimensions after "
                f"{self._dim}; is another model now behind that URL?"
            )
        return vectors


def parse_embedder_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split an embedder setting into its kind (`minilm`, `minilm-openvino`, `hashing`, `remote`) and settings.

    Raises:
        ConfigError: a setting of no known form, with the forms that are.
    """
    text = spec.strip()
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    if kind in ("minilm", "local", "default") and not rest:
        return "minilm", {}
    if kind == "minilm-openvino" and not rest:
        return "minilm-openvino", {}
    if kind == "hashing":
        try:
            return "hashing", {"dim": int(rest)} if rest else {}
        except ValueError:
            pass
    if kind == "openai" and rest.strip():
        return "remote", {"model": rest.strip(), "base_url": None}
    if kind == "remote" and "@" in rest:
        model, _, base_url = rest.rpartition("@")
        if model.strip() and base_url.strip():
            return "remote", {"model": model.strip(), "base_url": base_url.strip()}
    raise ConfigError(
        f"embedder {spec!r} is not one of: minilm (the bundled model), minilm-openvino (the same in OpenVINO), "
        "hashing[:DIM], remote:MODEL@BASE_URL "
        "(e.g. remote:bge-small@http://127.0.0.1:8080/v1), openai:MODEL (e.g. openai:text-embedding-3-small)"
    )


def embedder_from_spec(spec: str | None = None) -> Embedder:
    """The embedder an embedder setting names (None or blank: `SYNTH_EMBEDDER`, else the bundled MiniLM).

    Remote embedders sit behind the disk cache (keyed by endpoint and model) and are built once per process
    and setting; building one asks the server for its vector size, so a wrong URL or model fails here.

    Raises:
        ConfigError: the setting is of no known form, or names OpenAI without a key.
        ServiceError: the server is unreachable or refuses the model.
    """
    if spec is None or not spec.strip():
        spec = os.environ.get(EMBEDDER_ENV, "").strip() or DEFAULT_SPEC
    kind, settings = parse_embedder_spec(spec)
    if kind == "minilm":
        return get_default_embedder()
    if kind == "minilm-openvino":
        return get_openvino_embedder()
    if kind == "hashing":
        return HashingEmbedder(**settings)
    return _cached_remote(settings["model"], settings["base_url"])


@lru_cache(maxsize=8)
def _cached_remote(model: str, base_url: str | None) -> CachedEmbedder:
    # CachedEmbedder reads the vector size at once: the server is asked here, so a wrong URL fails early.
    return CachedEmbedder(RemoteEmbedder(model, base_url))
