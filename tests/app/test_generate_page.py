"""The Generate page through app.py: estimate, prompt preview, keys, and a full run on the local model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.pages import open_page

PAGE = "pages/generate.py"

TEXTS = {
    "coffee": ["espresso beans roasted fresh today", "my coffee order was cold again", "oat milk latte #coffee",
               "best coffee beans in town", "coffee shop wifi is down"],
    "trains": ["train delayed again this morning", "the train station is packed", "signal failure on the line",
               "train tickets went up again", "missed my train by a minute"],
}


def real_posts() -> pd.DataFrame:
    rows = [(platform, topic, f"{text} ({platform})") for platform in ("twitter", "reddit")
            for topic, texts in TEXTS.items() for text in texts]
    frame = pd.DataFrame(rows, columns=["platform", "topic", "text"])
    frame.insert(0, "post_id", [f"p{i}" for i in range(len(frame))])
    frame["source"] = "real"
    return frame


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
        patch.setenv("SYNTH_RUNS_DIR", str(tmp_path / "runs"))
        patch.setenv("SYNTH_WARM_UMAP", "0")
        yield tmp_path


def _open(real: pd.DataFrame | None, **widgets: object) -> AppTest:
    return open_page(PAGE, real, **widgets)


def test_without_posts_says_what_to_do() -> None:
    at = _open(None)
    assert not at.exception
    assert "Upload posts" in at.info[0].value
    assert any("No runs" in caption.value for caption in at.caption)


def test_estimate_and_exact_prompt_preview() -> None:
    at = _open(real_posts())
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Calls"] == "8" and metrics["Posts"] == "8"  # 2 topics x 2 platforms x 1 model x 2 posts
    assert metrics["Cost (estimated)"] == "$0.0000"  # the local model is free
    # The default model is a base model: few-shot completion whatever the strategy, and the page says so.
    assert "### Post 1" in at.code[0].value
    assert any("gets `completion` prompts" in caption.value for caption in at.caption)
    at.multiselect(key="generate_models").set_value(["local:smollm2"]).run()
    preview = at.code[0].value
    assert "[system]" in preview and "<post>" in preview and "Topic: coffee" in preview
    at.selectbox(key="generate_strategy").set_value("platform-aware").run()
    assert "<post>" not in at.code[0].value


def test_candidates_multiply_the_calls_and_the_cache_can_be_turned_off() -> None:
    at = _open(real_posts())
    at.number_input(key="generate_candidates").set_value(3).run()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Calls"] == "24" and metrics["Posts"] == "24"  # 8 wanted posts x 3 candidates
    assert at.toggle(key="generate_use_cache").value is True
    at.toggle(key="generate_use_cache").set_value(False).run()
    assert not at.exception and not at.error


def test_multi_platform_strategy_and_personas_show_in_the_preview() -> None:
    at = _open(real_posts(), generate_models=["local:smollm2"])
    assert at.checkbox(key="generate_personas").value is False
    assert "Write as:" not in at.code[0].value
    at.selectbox(key="generate_strategy").set_value("multi-platform").run()
    at.checkbox(key="generate_personas").check().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    preview = at.code[0].value
    assert "Twitter/X posts on this topic:" in preview and "Reddit posts on this topic:" in preview
    assert "Write as: " in preview


def test_bad_model_and_missing_key() -> None:
    at = _open(real_posts())
    at.text_input(key="generate_other_models").input("nonsense").run()
    assert "backend:model" in at.error[0].value
    at.text_input(key="generate_other_models").input("").run()
    at.multiselect(key="generate_models").set_value(["openai:gpt-4o-mini"]).run()
    key_input = at.text_input(key="generate_key_OPENAI_API_KEY")
    assert key_input.proto.type == key_input.proto.PASSWORD  # masked
    assert not at.exception


def _run_until_done(at: AppTest, timeout: float = 600) -> AppTest:
    deadline = time.monotonic() + timeout
    while not at.success and not at.warning and not at.error:
        assert not at.exception, at.exception
        assert time.monotonic() < deadline, "the run never finished"
        time.sleep(1)
        at.run()
    return at


def test_coverage_gap_plan_from_the_embeddings_page() -> None:
    from synth.metrics.coverage_gaps import TargetedPlan
    from synth.topics.model import TopicSpec

    gaps = TargetedPlan(
        topics=(TopicSpec("gap-0", "cold coffee", ("coffee", "cold")),), platforms=("twitter",), per_cell=3,
        member_ids={"gap-0": ("p0", "p1")},
    )
    at = _open(real_posts(), targeted_plan=gaps, generate_models=["local:smollm2"])
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Calls"] == "3"
    preview = at.code[0].value
    assert "Topic: cold coffee" in preview
    assert "espresso beans roasted fresh today (twitter)" in preview  # the gap's own real posts are the examples
    at.toggle(key="generate_use_gaps").set_value(False).run()
    # Back to the topic column: both topics x twitter x 3 posts per cell.
    assert {metric.label: metric.value for metric in at.metric}["Calls"] == "6"
    assert "Topic: coffee" in at.code[0].value


@pytest.mark.slow
def test_full_generate_flow_on_the_local_model_with_cancel_and_resume() -> None:
    # 2 topics x 2 platforms x 2 posts on the default model (Gemma 3 270M), cancelled at once, then resumed.
    at = _open(real_posts(), generate_max_tokens=32, generate_k=2)
    at.button(key="generate_start").click().run()
    at.button(key="generate_cancel").click().run()
    at = _run_until_done(at)
    assert at.warning and "cancelled" in at.warning[0].value, [s.value for s in at.success]
    assert at.dataframe[0].value.loc[0, "status"] == "cancelled"

    at.button(key="generate_resume").click().run()
    at = _run_until_done(at)
    assert not at.error, [e.value for e in at.error]
    assert at.success and "finished" in at.success[0].value, [w.value for w in at.warning]
    runs = at.dataframe[0].value
    assert len(runs) == 1 and runs.loc[0, "status"] == "completed"
    synthetic = at.session_state["synthetic_posts"]
    assert 1 <= len(synthetic) <= 8 and synthetic["run_id"].nunique() == 1
    assert set(synthetic["platform"]) <= {"twitter", "reddit"} and set(synthetic["topic"]) <= {"coffee", "trains"}
    assert (synthetic["source"] == "synthetic").all() and (synthetic["model"] == "local:gemma3-270m").all()

    # Reopen the run in a fresh session: its posts come back from the store.
    again = _open(real_posts())
    again.button(key="generate_open").click().run()
    assert len(again.session_state["synthetic_posts"]) == len(synthetic)


def test_a_run_on_the_run_board_finishes_loads_its_posts_and_resumes() -> None:
    import tests.generate.doubles  # noqa: F401  (registers the `double` backend in this process, the app's too)

    at = _open(real_posts(), generate_models=[], generate_other_models="double:echo")
    at.button(key="generate_start").click().run()
    at = _run_until_done(at, timeout=120)
    assert not at.error, [e.value for e in at.error]
    assert at.success and "finished: 8 posts" in at.success[0].value
    synthetic = at.session_state["synthetic_posts"]
    assert len(synthetic) == 8 and (synthetic["model"] == "double:echo").all()
    runs = at.dataframe[0].value
    assert len(runs) == 1 and runs.loc[0, "status"] == "completed"

    # A finished run is started again by Resume (nothing is left to do, so it finishes at once).
    at.button(key="generate_resume").click().run()
    at = _run_until_done(at, timeout=120)
    assert at.success and "finished: 8 posts" in at.success[0].value, [w.value for w in at.warning]
    # The resumed run replaces its own posts in the comparison set, never doubles them; the set is saved.
    at.run()
    assert len(at.session_state["synthetic_posts"]) == 8
    assert any("holds 8 posts from 1 run" in caption.value for caption in at.caption)
