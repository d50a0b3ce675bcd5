"""Fixtures every test shares: no real API key is ever visible to a test, and the real posts in
../shared/data are offered where present and skipped with a reason where absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# app.py warms UMAP's compiler in a background thread for real users; in tests it would only steal CPU from
# every AppTest. The UMAP tests compile it themselves.
os.environ.setdefault("SYNTH_WARM_UMAP", "0")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

API_KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL",
                     "OPENAI_COMPATIBLE_API_KEY", "ANTHROPIC_COMPATIBLE_API_KEY")


@pytest.fixture(autouse=True)
def _no_real_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach a paid API: real keys are removed from the environment."""
    for variable in API_KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    # The app's embedder setting writes os.environ directly: set then delete, so teardown removes what a test set.
    monkeypatch.setenv("SYNTH_EMBEDDER", "")
    monkeypatch.delenv("SYNTH_EMBEDDER")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real posts beside the project; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real posts not available: {SHARED_DATA} is absent (it sits beside the project checkout)")
    return SHARED_DATA
