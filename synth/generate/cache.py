"""The response cache: completions keyed by (backend, model, server, request content with its seed), shared by
every run, so an identical call is answered from disk instead of paying the provider again. A SQLite file
in WAL mode, like the run store (synth.generate.store).

The server (an OpenAI-compatible base URL) is part of the key: two servers serving a model of the same name
are two models. Backends without a URL (local models) keep the key they always had."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from synth.backends.base import Completion, Request
from synth.generate.store import connect, request_to_json
from synth.paths import cache_dir

CACHE_FILE = "responses.sqlite"

_CACHE_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT,
    finish_reason TEXT,
    created_at REAL NOT NULL
);
"""


def default_cache_path() -> Path:
    """Where the shared response cache lives: $SYNTH_CACHE_DIR, else `.synth-cache/` in the working dir."""
    return cache_dir("") / CACHE_FILE


class ResponseCache:
    """Completions keyed by (backend, model, request content with its seed), shared by every run.

    An identical call is answered from here instead of paying the provider again.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect(path)
        self._db.executescript(_CACHE_SCHEMA)

    @staticmethod
    def key(backend: str, model: str, request: Request, endpoint: str = "") -> str:
        """The cache key of a request to `model` on `backend` at `endpoint` (its base URL, "" for none)."""
        parts = [backend, model, request_to_json(request)] + ([endpoint] if endpoint else [])
        payload = json.dumps(parts, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Completion | None:
        row = self._db.execute("SELECT * FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Completion(
            text=row["text"], input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
            model=row["model"], finish_reason=row["finish_reason"], model_version=row["model_version"],
        )

    def put(self, key: str, completion: Completion) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, text, input_tokens, output_tokens, model, model_version, "
            "finish_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key, completion.text, completion.input_tokens, completion.output_tokens, completion.model,
                completion.model_version, completion.finish_reason, time.time(),
            ),
        )

    def close(self) -> None:
        self._db.close()
