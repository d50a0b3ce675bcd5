from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the `double` test backend, as real backends register)
from synth.backends.keys import scrub_json
from synth.errors import InputError
from synth.generate import GenerationConfig, ModelConfig, plan_run, run_generation
from synth.metrics.leaderboard import build_leaderboard
from synth.report.bundle import BUNDLE_FILES, bundle_bytes, dataset_card, run_costs, write_bundle
from synth.topics.model import TopicSpec

TOPICS = (TopicSpec("t1", "coffee", ("espresso", "latte")), TopicSpec("t2", "trains", ("delay", "commute")))


@pytest.fixture(scope="module")
def real_posts() -> pd.DataFrame:
    rows = [
        ("r1", "twitter", "Third espresso today and it is only 10am #coffee"),
        ("r2", "twitter", "Train delayed again. 40 minutes on the platform @railco"),
        ("r3", "twitter", "Oat latte > everything"),
        ("r4", "reddit", "Has anyone tried the new grinder? Mine keeps clogging with darker roasts."),
        ("r5", "reddit", "My commute doubled since the timetable change. Is it the same on your line?"),
    ]
    return pd.DataFrame(rows, columns=["post_id", "platform", "text"]).assign(source="real")


@pytest.fixture(scope="module")
def run(real_posts: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory):
    """A real run made by the engine with the test-double backend: 2 topics x 2 platforms x 2 posts."""
    folder = tmp_path_factory.mktemp("run")
    config = GenerationConfig(
        models=(ModelConfig("double:echo", {"replies": ["Latte art fail #coffee", "Stuck on the 8:10 again"]}),),
        topics=TOPICS, platforms=("twitter", "reddit"), per_cell=2,
    )
    return run_generation(plan_run(config, real_posts), folder / "run", cache_path=folder / "cache.sqlite")


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def test_bundle_unzips_to_the_promised_files(run, real_posts: pd.DataFrame, tmp_path: Path) -> None:
    posts = run.posts
    board = build_leaderboard(real_posts, pd.concat([posts] * 3, ignore_index=True), n_boot=0, min_posts=1)
    metrics = {"lexical": {"all": {"ks": 0.5, "nan_value": float("nan")}}, "meta": {"seed": 0}}
    path = write_bundle(tmp_path / "bundle.zip", posts, report_html="<!DOCTYPE html><html></html>",
                        run_dirs=[run.run_dir], metrics=metrics, leaderboard=board, n_real=len(real_posts))
    files = _unzip(path.read_bytes())
    assert sorted(files) == sorted([*BUNDLE_FILES, "metrics.json"])

    for name, reader in (("csv", pd.read_csv), ("jsonl", lambda b: pd.read_json(b, lines=True)),
                         ("parquet", pd.read_parquet)):
        frame = reader(io.BytesIO(files[f"synthetic_posts.{name}"]))
        assert len(frame) == len(posts) == 8
        assert sorted(frame["post_id"]) == sorted(posts["post_id"])
        assert set(frame["model"]) == {"double:echo"}

    manifest = json.loads(files["manifest.json"])
    assert manifest["posts"] == 8 and manifest["posts_per_platform"] == {"reddit": 4, "twitter": 4}
    assert manifest["run_ids"] == [run.run_id] and manifest["runs"][0]["run_id"] == run.run_id
    assert manifest["runs"][0]["config"]["models"][0]["spec"] == "double:echo"

    prompts = [json.loads(line) for line in files["prompts.jsonl"].decode().splitlines()]
    assert len(prompts) == 8 and {p["platform"] for p in prompts} == {"twitter", "reddit"}
    assert all(p["request"]["messages"] or p["request"]["prompt"] for p in prompts)

    costs = pd.read_csv(io.BytesIO(files["costs.csv"]))
    assert len(costs) == 8 and costs["input_tokens"].sum() == 80 and costs["output_tokens"].sum() == 40
    assert set(costs["status"]) == {"done"}

    assert json.loads(files["metrics.json"])["lexical"]["all"]["nan_value"] is None
    card = files["DATASET_CARD.md"].decode()
    for heading in ("## What it is", "## How it was made", "## Measured fidelity", "## Intended use", "## Limits"):
        assert heading in card
    assert f"Run `{run.run_id}`" in card and "8 synthetic posts on 2 platform(s)" in card
    assert "| double:echo | twitter |" in card
    assert "tokens 80 in, 40 out" in card and "{'input'" not in card  # words, not a Python dict
    assert files["report.html"].startswith(b"<!DOCTYPE html>")


def test_bundle_without_a_run_rebuilds_the_cost_log_from_the_posts(run) -> None:
    files = _unzip(bundle_bytes(run.posts, report_html="<html></html>"))
    assert sorted(files) == sorted(BUNDLE_FILES)
    assert files["prompts.jsonl"] == b""
    costs = pd.read_csv(io.BytesIO(files["costs.csv"]))
    assert len(costs) == 8 and set(costs["model_spec"]) == {"double:echo"}
    assert "loaded from a file, not generated in a recorded run" in files["DATASET_CARD.md"].decode()


def test_a_file_without_provenance_gives_an_empty_cost_log() -> None:
    posts = pd.DataFrame({"post_id": ["a"], "platform": ["twitter"], "text": ["hi"], "source": ["synthetic"]})
    costs = pd.read_csv(io.BytesIO(_unzip(bundle_bytes(posts, report_html=""))["costs.csv"]))
    assert costs.empty and "input_tokens" in costs.columns


def test_secrets_never_reach_the_bundle() -> None:
    secret = "sk-live-0123456789abcdefXYZ"
    scrubbed = scrub_json({
        "settings": {"api_key": secret, "base_url": "http://127.0.0.1:8080", "OPENAI_API_KEY": secret},
        "tokens": {"input": 3}, "note": f"failed with key {secret}", "list": [{"password": "p"}],
    })
    assert scrubbed == {"settings": {"base_url": "http://127.0.0.1:8080"}, "tokens": {"input": 3},
                        "note": "failed with key ***", "list": [{}]}
    posts = pd.DataFrame({"post_id": ["a"], "platform": ["twitter"], "text": ["hi"], "source": ["synthetic"]})
    files = _unzip(bundle_bytes(posts, report_html="", metrics={"meta": {"api_key": secret, "error": secret}}))
    assert not any(secret.encode() in content for content in files.values())


def test_bundle_csv_files_neutralise_formulas_and_the_card_says_so() -> None:
    attack = '=HYPERLINK("http://evil.example","click")'
    posts = pd.DataFrame({"post_id": ["a"], "platform": ["twitter"], "text": [attack], "source": ["synthetic"],
                          "model": ["@SUM(1)"], "call_id": ["c1"], "input_tokens": [5], "output_tokens": [7]})
    files = _unzip(bundle_bytes(posts, report_html=""))
    csv = pd.read_csv(io.BytesIO(files["synthetic_posts.csv"]))
    assert csv["text"].tolist() == [f"'{attack}"] and csv["model"].tolist() == ["'@SUM(1)"]
    costs = pd.read_csv(io.BytesIO(files["costs.csv"]))
    assert costs["model_spec"].tolist() == ["'@SUM(1)"] and costs["input_tokens"].tolist() == [5]
    assert pd.read_json(io.BytesIO(files["synthetic_posts.jsonl"]), lines=True)["text"].tolist() == [attack]
    assert pd.read_parquet(io.BytesIO(files["synthetic_posts.parquet"]))["text"].tolist() == [attack]
    assert "OWASP" in files["DATASET_CARD.md"].decode()


def test_card_escapes_markdown_in_user_text() -> None:
    posts = pd.DataFrame({"post_id": ["a"], "platform": ["twitter"], "text": ["hi"], "source": ["synthetic"],
                          "model": ["evil|model <img src=x>"]})
    card = dataset_card(posts)
    assert "evil\\|model \\<img src=x\\>" in card
    assert re.search(r"(?<!\\)<", card) is None  # no unescaped tag


def test_bad_input_is_a_clear_error(run, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no synthetic posts"):
        bundle_bytes(run.posts.iloc[:0], report_html="")
    with pytest.raises(InputError, match="holds no run"):
        run_costs([tmp_path])


def test_cli_report_from_a_run_directory(run, real_posts: pd.DataFrame, tmp_path: Path) -> None:
    from synth.cli import main

    real_posts.to_csv(tmp_path / "real.csv", index=False)
    code = main(["report", "--real", str(tmp_path / "real.csv"), "--run", str(run.run_dir), "--out",
                 str(tmp_path / "report.html"), "--bundle", str(tmp_path / "bundle.zip"), "--n-boot", "0"])
    assert code == 0
    files = _unzip((tmp_path / "bundle.zip").read_bytes())
    assert json.loads(files["manifest.json"])["runs"][0]["run_id"] == run.run_id
    assert len(files["prompts.jsonl"].decode().splitlines()) == 8
    assert run.run_id in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_find_run_dirs_and_as_synthetic(run, tmp_path: Path) -> None:
    from synth.io import as_synthetic, load_posts
    from synth.report.bundle import find_run_dirs

    assert find_run_dirs([run.run_id], run.run_dir.parent) == [run.run_dir]
    assert find_run_dirs(["another-run"], run.run_dir.parent) == []
    assert find_run_dirs([run.run_id], tmp_path / "absent") == []
    loaded = load_posts(run.posts.to_csv(index=False).encode(), name="synthetic.csv").posts
    assert set(loaded["source"]) == {"real"}  # the loader reads every file as real posts
    marked = as_synthetic(loaded)
    assert set(marked["source"]) == {"synthetic"} and set(marked["model"]) == {"double:echo"}
    assert set(marked["run_id"]) == {run.run_id}
    assert not [c for c in marked.columns if c.startswith("original_")]
