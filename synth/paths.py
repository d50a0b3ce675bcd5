"""Where synth keeps what it can compute again (embeddings, projections, topic models, model responses)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "SYNTH_CACHE_DIR"
DEFAULT_CACHE_ROOT = Path(".synth-cache")


def cache_dir(name: str) -> Path:
    """`$SYNTH_CACHE_DIR/<name>` when that variable is set (and not blank), else `.synth-cache/<name>`; read at
    each call, so a test or a user can move the cache at any time."""
    root = os.environ.get(CACHE_ENV, "").strip()
    return (Path(root) if root else DEFAULT_CACHE_ROOT) / name
