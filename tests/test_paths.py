from pathlib import Path

import pytest

from synth.generate.cache import default_cache_path
from synth.paths import cache_dir


def test_cache_dir_follows_the_variable_and_ignores_a_blank_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SYNTH_CACHE_DIR", raising=False)
    assert cache_dir("topics") == Path(".synth-cache") / "topics"
    monkeypatch.setenv("SYNTH_CACHE_DIR", "  ")
    assert cache_dir("topics") == Path(".synth-cache") / "topics"
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path))
    assert cache_dir("projections") == tmp_path / "projections"
    assert default_cache_path().parent == tmp_path  # the response cache file sits at the root
