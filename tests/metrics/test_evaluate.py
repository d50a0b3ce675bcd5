from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synth.cli.evaluate import summary_lines
from synth.embeddings.embedder import HashingEmbedder
from synth.errors import InputError
from synth.io import load_posts_file
from synth.metrics.evaluate import SECTIONS, evaluate

ROOT = Path(__file__).resolve().parents[2]


def _posts(texts: list[str], platforms: list[str], prefix: str, **extra: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"post_id": [f"{prefix}{i}" for i in range(len(texts))], "platform": platforms,
                         "text": texts, **extra})


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    texts = [f"the clinic on street {i} gave me my {w} dose today #vaccine" for i in range(30)
             for w in ("first", "second")]
    texts += [f"Has anyone had a sore arm after dose {i}? Mine lasted {i % 4 + 1} days, is that normal?"
              for i in range(60)]
    return _posts(texts, ["twitter"] * 60 + ["reddit"] * 60, "r")


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    texts = [f"got my {w} shot at clinic {i} today #vaccine #health" for i in range(20) for w in ("first", "second")]
    texts += [f"Did anyone feel tired after dose {i}? I slept all day, wondering if that is normal." for i in range(40)]
    return _posts(texts, ["twitter"] * 40 + ["reddit"] * 40, "s", model=["alpha", "beta"] * 40,
                  source=["synthetic"] * 80)


@pytest.fixture(scope="module")
def metrics(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    return evaluate(real, synthetic, embedder=HashingEmbedder(dim=64), seed=3, by="model")


def test_metrics_have_the_five_sections_and_a_block_per_model(metrics: dict) -> None:
    assert list(metrics) == [*SECTIONS, "by_model"]
    assert set(metrics["by_model"]) == {"alpha", "beta"}
    for block in metrics["by_model"].values():
        assert list(block) == list(SECTIONS)
        assert block["meta"]["counts"]["synthetic"]["total"] == 40
    assert set(metrics["semantic"]) == set(metrics["lexical"]) == {"all", "reddit", "twitter"}
    json.dumps(metrics, allow_nan=False)  # JSON-ready: no NaN, no numpy types


def test_meta_counts_embedder_seed_and_timings(metrics: dict) -> None:
    meta = metrics["meta"]
    assert meta["counts"]["real"] == {"total": 120, "by_platform": {"reddit": 60, "twitter": 60}}
    assert meta["counts"]["synthetic"] == {
        "total": 80, "by_platform": {"reddit": 40, "twitter": 40}, "by_source": {"synthetic": 80},
        "by_model": {"alpha": 40, "beta": 40},
    }
    assert meta["embedder"] == {"name": "hashing-64", "dim": 64}
    assert meta["seed"] == 3 and meta["by"] == "model"
    assert {"embed_real", "embed_synthetic", "lexical", "semantic", "multiplatform", "privacy"} <= set(
        meta["timings_s"])
    assert all(value >= 0 for value in meta["timings_s"].values())


def test_model_blocks_equal_evaluating_each_model_alone(real: pd.DataFrame, synthetic: pd.DataFrame,
                                                        metrics: dict) -> None:
    alone = evaluate(real, synthetic[synthetic["model"] == "beta"], embedder=HashingEmbedder(dim=64), seed=3)
    assert alone["semantic"] == metrics["by_model"]["beta"]["semantic"]
    assert alone["lexical"] == metrics["by_model"]["beta"]["lexical"]


def test_summary_names_the_headline_numbers(metrics: dict) -> None:
    text = "\n".join(summary_lines(metrics))
    assert "real posts: 120 (reddit 60, twitter 60)" in text
    assert "classifier AUC" in text and "model alpha: 40 posts" in text
    # The newer sections are summarised too, with the numbers of metrics.json.
    affect = metrics["affect"]["all"]
    [sentiment] = [line for line in text.splitlines() if line.startswith("sentiment, mean VADER compound")]
    real_value, synthetic_value = (affect["sentiment_compound_mean"][side] for side in ("real", "synthetic"))
    assert f"{real_value:.3f}" in sentiment and f"{synthetic_value:.3f}" in sentiment
    assert "offensive posts, share" in text and "distinct word pairs (distinct-2)" in text
    platform = metrics["utility"]["platform"]["tfidf"]
    assert (f"platform classifier trained on synthetic, tested on real: accuracy {platform['tstr_accuracy']:.3f}"
            in text)
    detector = metrics["detector"]["all"]["detector_accuracy"]
    assert f"a detector tells synthetic from real posts with accuracy {detector:.3f}" in text


def test_inputs_are_not_modified(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    real_before, synthetic_before = real.copy(), synthetic.copy()
    evaluate(real, synthetic, embedder=HashingEmbedder(dim=32))
    pd.testing.assert_frame_equal(real, real_before)
    pd.testing.assert_frame_equal(synthetic, synthetic_before)


def test_bad_input_is_refused_with_a_fix(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no 'backend' column to group by"):
        evaluate(real, synthetic, embedder=HashingEmbedder(dim=32), by="backend")
    with pytest.raises(InputError, match="synthetic posts: the table is empty"):
        evaluate(real, synthetic.iloc[:0], embedder=HashingEmbedder(dim=32))
    with pytest.raises(InputError, match="real posts: no text column"):
        evaluate(real.drop(columns="text"), synthetic, embedder=HashingEmbedder(dim=32))


def test_a_synthetic_file_keeps_its_source_and_model(tmp_path: Path, synthetic: pd.DataFrame) -> None:
    path = tmp_path / "synthetic.csv"
    synthetic.to_csv(path, index=False)
    loaded = load_posts_file(path, synthetic=True)
    assert loaded["model"].tolist() == synthetic["model"].tolist()
    assert set(loaded["source"]) == {"synthetic"}
    without_columns = tmp_path / "plain.csv"
    synthetic.drop(columns=["model", "source"]).to_csv(without_columns, index=False)
    assert set(load_posts_file(without_columns, synthetic=True)["source"]) == {"synthetic"}


def _run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNTH_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "synth", "evaluate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_cli_refuses_an_output_path_that_is_a_file(tmp_path: Path, real: pd.DataFrame) -> None:
    real.to_csv(tmp_path / "real.csv", index=False)
    (tmp_path / "taken").write_text("x")
    result = _run_cli("--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "real.csv"),
                      "--out", str(tmp_path / "taken"), cache=tmp_path / "cache")
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr


@pytest.mark.slow
def test_cli_end_to_end_on_real_posts_of_two_platforms(shared_data: Path, tmp_path: Path) -> None:
    posts = pd.read_csv(shared_data / "zomato" / "posts.csv")
    real = pd.concat([posts[posts["platform"] == name].sample(100, random_state=0) for name in ("reddit", "youtube")])
    # Real tweets posing as synthetic YouTube comments from two "models".
    fake = posts[posts["platform"] == "twitter"].sample(100, random_state=0).assign(
        platform="youtube", model=["m1", "m2"] * 50, source="synthetic")
    real.to_csv(tmp_path / "real.csv", index=False)
    fake.to_csv(tmp_path / "fake.csv", index=False)

    result = _run_cli("--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "fake.csv"),
                      "--out", str(tmp_path / "out"), "--by", "model", "--seed", "1", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert "classifier AUC" in result.stdout and "model m1: 50 posts" in result.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert list(metrics) == [*SECTIONS, "by_model"]
    assert metrics["meta"]["embedder"]["name"] == "all-MiniLM-L6-v2"
    assert metrics["meta"]["counts"]["synthetic"]["by_model"] == {"m1": 50, "m2": 50}
    youtube = metrics["semantic"]["youtube"]
    # Tweets are told apart from YouTube comments far better than one half of the comments from the other.
    assert youtube["classifier_auc"] > 0.75
    assert abs(youtube["classifier_auc_baseline"] - 0.5) < abs(youtube["classifier_auc"] - 0.5)
    assert metrics["semantic"]["reddit"]["classifier_auc"] is None  # no synthetic Reddit posts
    assert metrics["multiplatform"]["platforms"]["shared"] == ["youtube"]
