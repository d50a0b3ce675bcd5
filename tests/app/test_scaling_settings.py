"""The app's scaling settings: the Batch API switch and a fleet of base URLs on the Generate page, and the
sidebar's embedder box."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.pages import open_page
from tests.app.test_generate_page import real_posts


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
        patch.setenv("SYNTH_RUNS_DIR", str(tmp_path / "runs"))
        patch.setenv("SYNTH_WARM_UMAP", "0")
        patch.setenv("OPENAI_API_KEY", "sk-test-not-used")
        patch.delenv("SYNTH_EMBEDDER", raising=False)  # restored after the test, whatever the page set
        yield


def _cost(at) -> float:
    return float(next(m.value for m in at.metric if m.label == "Cost (estimated)").lstrip("$"))


def test_batch_switch_estimates_at_batch_prices_and_a_url_list_makes_a_fleet() -> None:
    at = open_page("pages/generate.py", real_posts(), generate_models=["openai:gpt-4o-mini"],
                   generate_max_tokens=2000)
    assert not at.exception and not at.error, [e.value for e in at.error]
    standard = _cost(at)
    at.toggle(key="generate_batch").set_value(True).run()
    assert not at.error, [e.value for e in at.error]
    assert _cost(at) == pytest.approx(standard / 2, rel=0.05)  # the Batch API is half price
    at.number_input(key="generate_budget").set_value(1.0).run()
    assert "budget cannot be enforced on batch" in at.error[0].value
    at.number_input(key="generate_budget").set_value(0.0).run()
    at.toggle(key="generate_batch").set_value(False).run()
    at.text_input(key="generate_base_url").input("http://127.0.0.1:1/v1, http://127.0.0.1:2/v1").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="generate_base_url").input("http://127.0.0.1:1/v1, http://127.0.0.1:1/v1").run()
    assert "listed twice" in at.error[0].value


def test_sidebar_embedder_box_checks_and_sets_the_embedder() -> None:
    # Each value typed before a first run (AppTest's reruns under st.navigation drop the sidebar).
    at = open_page(None, embedder_spec="bert")
    assert "embedder 'bert' is not one of" in at.sidebar.error[0].value
    assert "SYNTH_EMBEDDER" not in os.environ
    at = open_page(None, embedder_spec="hashing:16")
    assert not at.exception and not at.sidebar.error
    assert os.environ["SYNTH_EMBEDDER"] == "hashing:16"
