"""Where synth keeps its files: what it can compute again (embeddings, projections, topic models, model
responses) under the cache folder, and generation runs under the runs folder."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "SYNTH_CACHE_DIR"
DEFAULT_CACHE_ROOT = Path(".synth-cache")
RUNS_ENV = "SYNTH_RUNS_DIR"
DEFAULT_RUNS_ROOT = Path("runs")


def cache_dir(name: str) -> Path:
    """`$SYNTH_CACHE_DIR/<name>` when that variable is set (and not blank), else `.synth-cache/<name>`; read at
    each call, so a test or a user can move the cache at any time."""
    root = os.environ.get(CACHE_ENV, "").strip()
    return (Path(root) if root else DEFAULT_CACHE_ROOT) / name


def runs_root() -> Path:
    """Where runs are kept (`synth generate --out runs/NAME`); the SYNTH_RUNS_DIR variable overrides it."""
    return Path(os.environ.get(RUNS_ENV, str(DEFAULT_RUNS_ROOT)))
