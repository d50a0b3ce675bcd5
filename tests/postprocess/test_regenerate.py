"""Regenerate end to end: runs made by the double backend, regenerated through the real engine."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the double backend)
from synth.cli import main
from synth.embeddings import embedder as embedder_module
from synth.embeddings.embedder import HashingEmbedder
from synth.errors import ConfigError
from synth.generate.config import GenerationConfig
from synth.generate.store import RunStore
from synth.metrics.coverage_gaps import find_coverage_gaps
from synth.postprocess.pipeline import steer_run
from synth.postprocess.regenerate import Regenerate
from synth.postprocess.targeted import REGENERATED, Want, targeted_plan
from tests.postprocess.frames import context, real_posts

NEW_POSTS = ["the biryani came lukewarm but the rider apologised twice", "late again tonight, third time this week"]
ALL_STEPS = ["filter", "calibrate", "select", "rebalance", "regenerate"]


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder_module, "get_default_embedder", lambda: HashingEmbedder(dim=128))


def make_run(tmp_path: Path, texts: list[str], *, k: int = 5) -> tuple[Path, Path]:
    """A twitter run of one topic whose posts are `texts` (one per call)."""
    real = tmp_path / "real.csv"
    real_posts().to_csv(real, index=False)
    run = tmp_path / "run"
    assert main(["generate", "--model", "double:x", "--platforms", "twitter", "--real", str(real), "--topics", "all",
                 "--per-cell", str(len(texts)), "--k", str(k), "--out", str(run), "--no-cache"]) == 0
    with sqlite3.connect(run / "run.sqlite") as connection:
        ids = [row[0] for row in connection.execute("SELECT post_id FROM posts ORDER BY rowid")]
        for post_id, text in zip(ids, texts, strict=True):
            connection.execute("UPDATE posts SET text = ? WHERE post_id = ?", (text, post_id))
    return real, run


def set_saved_config(run: Path, **changes: object) -> None:
    """Change the run's saved config, as the run store keeps it (what regenerate rebuilds the model from)."""
    with sqlite3.connect(run / "run.sqlite") as connection:
        config = json.loads(connection.execute("SELECT config_json FROM runs").fetchone()[0])
        config.update(changes)
        connection.execute("UPDATE runs SET config_json = ?", (json.dumps(config),))


def answer_with(run: Path, replies: list[str], **settings: object) -> None:
    """The double backend the run names answers regenerate's calls with `replies` (cycled)."""
    with sqlite3.connect(run / "run.sqlite") as connection:
        models = json.loads(connection.execute("SELECT config_json FROM runs").fetchone()[0])["models"]
    set_saved_config(run, models=[{**models[0], "settings": {"replies": replies, **settings}}])


def folder_state(folder: Path) -> dict[str, object]:
    """Every file's bytes, the store by its rows (a reader may checkpoint its write-ahead log into the file)."""
    state: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(("-wal", "-shm")) or not path.is_file():
            continue
        if path.suffix == ".sqlite":
            connection = sqlite3.connect(path)
            try:
                state[path.name] = list(connection.iterdump())
            finally:
                connection.close()
        else:
            state[path.name] = path.read_bytes()
    return state


def test_a_cell_short_after_filtering_is_refilled_and_the_source_run_is_unchanged(tmp_path: Path) -> None:
    real, run = make_run(tmp_path, ["the rider called five times and still went to the wrong gate",
                                    "Here is a tweet about delivery: so late"])
    answer_with(run, NEW_POSTS)
    before = folder_state(run)
    out = tmp_path / "steered"
    assert main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(out),
                 "--steps", ",".join(ALL_STEPS)]) == 0
    steps = json.loads((out / "steps.json").read_text())["steps"]
    record = steps[-1]["params"]
    assert steps[0]["reasons"]["removed:assistant_talk"] == 1 and steps[-2]["out"] == 1
    assert record["added"] == {"T1|twitter": 1} and record["still_short"] == {}
    assert record["calls"] == 1 and len(record["rounds"]) == 1 and steps[-1]["out"] == 2
    kept = pd.read_csv(out / "posts.csv")
    assert NEW_POSTS[0] in set(kept["text"]) and len(kept) == 2
    changes = pd.read_csv(out / "changes.csv")
    assert changes[(changes["step"] == "regenerate") & (changes["action"] == "added")]["after"].tolist() == \
        [NEW_POSTS[0]]
    assert Path(record["rounds"][0]["run_dir"]).parent == out / REGENERATED
    assert folder_state(run) == before  # the source run is never written to


def test_examples_come_from_the_real_posts_no_synthetic_post_covers(tmp_path: Path) -> None:
    real_frame = real_posts()
    copied = ["twitter_0", "twitter_2"]
    texts = real_frame.set_index("post_id").loc[copied, "text"].tolist()
    real, run = make_run(tmp_path, texts, k=1)
    answer_with(run, NEW_POSTS)
    out = tmp_path / "steered"
    result, _ = steer_run(real_frame, run, out, steps=["regenerate"], per_cell=3)
    embedder = HashingEmbedder(dim=128)
    report = find_coverage_gaps(real_frame, embedder.embed(real_frame["text"].tolist()), embedder.embed(texts))
    uncovered = {post_id for gap in report.gaps for post_id in gap.member_ids if post_id.startswith("twitter")}
    assert uncovered and not uncovered & set(copied)  # the test's premise: some twitter posts are uncovered
    store = RunStore.open(result.steps[-1]["params"]["rounds"][0]["run_dir"])
    try:
        shown = [example for call in store.calls() for example in call.example_ids]
    finally:
        store.close()
    assert shown and set(shown) <= uncovered


def test_targeted_plan_draws_examples_from_the_wanted_posts_only(tmp_path: Path) -> None:
    real, run = make_run(tmp_path, ["a post"], k=2)
    store = RunStore.open(run)
    try:
        config = GenerationConfig.from_dict(store.config())
    finally:
        store.close()
    wants = [Want("double:x", "T1", "twitter", 4, ("twitter_5", "twitter_6"))]
    plan = targeted_plan(config, wants, real_posts(), max_calls=3, seed=7)
    assert len(plan.calls) == 3  # 4 wanted, cut at max_calls
    assert all(set(call.example_ids) == {"twitter_5", "twitter_6"} for call in plan.calls)


def test_the_call_budget_stops_it_and_steps_json_names_the_cells_still_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real, run = make_run(tmp_path, ["the rider called five times and still went to the wrong gate",
                                    "Here is a tweet about delivery: so late"])
    answer_with(run, ["why is the delivery fee so high today"])  # every new post copies a real one
    out = tmp_path / "steered"
    assert main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(out),
                 "--steps", ",".join(ALL_STEPS), "--max-calls", "1", "--rounds", "3"]) == 0
    record = json.loads((out / "steps.json").read_text())["steps"][-1]["params"]
    assert record["calls"] == 1 and record["added"] == {}
    assert record["still_short"] == {"T1|twitter": {"missing": 1, "why": "max_calls (1) reached"}}
    assert "still short: T1|twitter lacks 1 (max_calls (1) reached)" in capsys.readouterr().out


def test_a_round_that_fails_keeps_what_the_rounds_made(tmp_path: Path) -> None:
    real, run = make_run(tmp_path, ["the rider called five times and still went to the wrong gate"])
    # One call at a time: the first answers, the second is refused for good (a revoked key, say).
    set_saved_config(run, models=[{"spec": "double:x", "concurrency": 1,
                                   "settings": {"replies": NEW_POSTS, "fatal_from_call": 1}}])
    out = tmp_path / "steered"
    result, files = steer_run(real_posts(), run, out, steps=["filter", "regenerate"], per_cell=3)
    record = result.steps[-1]["params"]
    assert record["added"] == {"T1|twitter": 1}
    assert record["still_short"]["T1|twitter"]["why"].startswith("the model failed in round 1")
    assert NEW_POSTS[0] in set(pd.read_csv(files["posts"])["text"])


@pytest.mark.parametrize(("models", "message"), [
    ([], "regenerate needs the source run's model; the run in"),
    (None, "regenerate needs the source run's model; the config saved in"),
])
def test_a_run_without_a_usable_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             models: list[object] | None, message: str) -> None:
    real, run = make_run(tmp_path, ["a post"])
    set_saved_config(run, models=models)
    code = main(["postprocess", "--real", str(real), "--run", str(run), "--out", str(tmp_path / "o"),
                 "--steps", "filter,regenerate"])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_unreadable_run_and_bad_budgets_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real, run = make_run(tmp_path, ["a post"])
    base = ["postprocess", "--real", str(real), "--out", str(tmp_path / "o"), "--steps", "regenerate"]
    assert main([*base, "--run", str(tmp_path / "nowhere")]) == 2
    assert "holds no run" in capsys.readouterr().err
    assert main([*base, "--run", str(run), "--max-calls", "0"]) == 2
    assert "--max-calls must be at least 1" in capsys.readouterr().err
    assert main([*base, "--run", str(run), "--rounds", "0"]) == 2
    assert "--rounds must be at least 1" in capsys.readouterr().err


def test_without_a_generator_the_step_refuses_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="regenerate needs the source run's model"):
        Regenerate().fit(context(per_cell=2))
