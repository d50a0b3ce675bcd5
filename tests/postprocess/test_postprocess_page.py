"""The Post-process page, opened through app.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the double backend)
from synth.cli import main
from synth.embeddings import embedder as embedder_module
from synth.embeddings.embedder import HashingEmbedder
from synth.postprocess.pipeline import PostprocessResult
from tests.app.pages import open_page
from tests.postprocess.frames import real_posts
from ui import postprocess

PAGE = "pages/postprocess.py"


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(embedder_module, "get_default_embedder", lambda: HashingEmbedder(dim=128))
    root = tmp_path / "runs"
    monkeypatch.setenv("SYNTH_RUNS_DIR", str(root))
    real = tmp_path / "real.csv"
    real_posts().to_csv(real, index=False)
    assert main(["generate", "--model", "double:x", "--platforms", "twitter,reddit", "--real", str(real),
                 "--topics", "all", "--per-cell", "2", "--candidates", "2", "--out", str(root / "demo")]) == 0
    return root


def test_without_real_posts_the_page_says_what_to_do_first(runs: Path) -> None:
    at = open_page(PAGE)
    assert not at.exception and at.info[0].value.startswith("Load real posts on **Upload posts** first.")


def test_with_real_posts_but_no_run_the_page_asks_only_for_a_run(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_RUNS_DIR", str(tmp_path / "no-runs"))
    at = open_page(PAGE, real=real_posts())
    assert not at.exception and at.info[0].value.startswith("Make a run on **Generate** first.")


def test_post_processing_a_run_makes_the_steered_set_the_synthetic_set(runs: Path) -> None:
    at = open_page(PAGE, real=real_posts())
    assert at.selectbox(key="postprocess_run").value == "demo"
    at.button(key="postprocess_go").click().run()
    assert not at.exception and not at.error
    steered = at.session_state["synthetic_posts"]
    assert 0 < len(steered) <= 4 and (runs / "demo" / "postprocessed" / "steps.json").is_file()
    at.radio(key="postprocess_use").set_value("Raw set").run()
    assert len(at.session_state["synthetic_posts"]) == 8


def test_regenerate_says_what_it_added(runs: Path) -> None:
    at = open_page(PAGE, real=real_posts())
    at.number_input(key="postprocess_per_cell").set_value(5)
    at.multiselect(key="postprocess_steps").set_value(["filter", "select", "regenerate"]).run()
    at.button(key="postprocess_go").click().run()
    assert not at.exception and not at.error
    line = at.info[0].value
    assert line.startswith("Regenerate added 2 post(s) in 1 round(s)") and line.endswith("every cell is full.")


def test_the_cells_regenerate_left_short_are_named() -> None:
    result = PostprocessResult(pd.DataFrame(), steps=[{"step": "regenerate", "params": {
        "added": {"t1|twitter": 1}, "rounds": [{}, {}], "calls": 8,
        "still_short": {"t2|reddit": {"missing": 3, "why": "all 2 round(s) done"}}}}])
    line, short = postprocess.regenerate_summary(result)
    assert short and line == ("Regenerate added 1 post(s) in 2 round(s) with 8 call(s); still short: t2|reddit "
                              "lacks 3 (all 2 round(s) done)")
    assert postprocess.regenerate_summary(PostprocessResult(pd.DataFrame(), steps=[{"step": "filter"}])) == ("", False)
