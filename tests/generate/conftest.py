from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the `double` backend)
from synth.topics.model import TopicSpec

TOPICS = (TopicSpec("t1", "coffee", ("espresso", "latte")), TopicSpec("t2", "trains", ("delay", "commute")))


@pytest.fixture
def real_posts() -> pd.DataFrame:
    rows = [
        ("r1", "twitter", "Third espresso today and it is only 10am #coffee", "t1"),
        ("r2", "twitter", "Train delayed again. 40 minutes on the platform @railco", "t2"),
        ("r3", "twitter", "Oat latte > everything", "t1"),
        ("r4", "reddit", "Has anyone tried the new grinder? Mine keeps clogging with darker roasts.", "t1"),
        ("r5", "reddit", "My commute doubled since the timetable change. Is it the same on your line?", "t2"),
    ]
    frame = pd.DataFrame(rows, columns=["post_id", "platform", "text", "topic"])
    frame["source"] = "real"
    return frame


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own response cache, so no test is served another's answers."""
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(cache_dir))
    return cache_dir
