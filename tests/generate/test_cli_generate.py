from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from synth.cli import main
from synth.cli.progress import ProgressPrinter
from synth.generate import Progress


@pytest.fixture
def real_csv(tmp_path: Path) -> Path:
    path = tmp_path / "real.csv"
    path.write_text(
        "id,platform,text,topic\n"
        "1,twitter,Third espresso today #coffee,coffee\n"
        "2,twitter,Train delayed again,trains\n"
        "3,reddit,Has anyone tried the new grinder?,coffee\n"
        "4,reddit,My commute doubled since the change,trains\n",
        encoding="utf-8",
    )
    return path


def generate(*extra: str) -> int:
    return main(["generate", "--model", "double:echo", "--platforms", "twitter,reddit", *extra])


def test_generate_writes_posts_and_manifest(real_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert generate("--real", str(real_csv), "--topics", "all", "--per-cell", "2", "--out", str(out)) == 0
    posts = pd.read_csv(out / "posts.csv")
    assert len(posts) == 8 and set(posts["source"]) == {"synthetic"}
    assert set(posts["topic"]) == {"coffee", "trains"}
    assert len(pd.read_parquet(out / "posts.parquet")) == 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["counts"]["posts"] == 8
    captured = capsys.readouterr()
    assert "plan: 8 calls for 8 posts" in captured.err
    assert "8/8 calls (0 failed), 8/8 posts" in captured.err  # plain progress lines (not a terminal)
    assert f"csv: {out / 'posts.csv'}" in captured.out


def test_calls_per_prompt_reaches_the_run(real_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert generate("--real", str(real_csv), "--per-cell", "2", "--calls-per-prompt", "2", "--out", str(out)) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["calls_per_prompt"] == 2


def test_personas_and_the_multi_platform_strategy_reach_the_run(real_csv: Path, tmp_path: Path) -> None:
    assert generate("--real", str(real_csv), "--per-cell", "1", "--out", str(tmp_path / "plain")) == 0
    assert json.loads((tmp_path / "plain" / "manifest.json").read_text())["config"]["personas"] is False
    out = tmp_path / "run"
    assert generate(
        "--real", str(real_csv), "--per-cell", "1", "--strategy", "multi-platform", "--k", "1", "--personas",
        "--out", str(out),
    ) == 0
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["personas"] is True and config["strategy"] == "multi-platform"


def test_topics_by_label_and_estimate_only(real_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate("--real", str(real_csv), "--topics", "Coffee", "--per-cell", "3", "--estimate") == 0
    estimate = json.loads(capsys.readouterr().out)
    assert estimate["calls"] == 6 and estimate["planned_posts"] == 6


def test_a_temperature_alone_keeps_the_answer_budget_of_the_real_lengths(
    real_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    budgets = []
    for extra in ((), ("--temperature", "0.5"), ("--max-tokens", "100")):
        assert generate("--real", str(real_csv), "--topics", "Coffee", "--per-cell", "3", "--estimate", *extra) == 0
        budgets.append(json.loads(capsys.readouterr().out)["output_tokens_max"])
    default, warmer, given = budgets
    assert warmer == default < 6 * 256  # short real posts: far below the flat 256 per call
    assert given == 6 * 100


def test_one_topic_per_file_without_topic_column(tmp_path: Path) -> None:
    for name, text in (("vaccines.csv", "Got my booster today"), ("elections.csv", "Polls open at 7am")):
        (tmp_path / name).write_text(f"platform,text\ntwitter,{text}\ntwitter,{text} again\n", encoding="utf-8")
    out = tmp_path / "run"
    files = [str(tmp_path / "vaccines.csv"), str(tmp_path / "elections.csv")]
    code = main(["generate", "--model", "double:echo", "--platforms", "twitter", "--real", *files, "--out", str(out),
                 "--per-cell", "1"])
    assert code == 0
    assert sorted(pd.read_csv(out / "posts.csv")["topic"]) == ["elections", "vaccines"]


def test_topics_file_from_synth_topics_labels_the_real_posts(tmp_path: Path) -> None:
    from synth.io import load_files
    from synth.topics.discover import discover_topics

    real_csv = tmp_path / "many.csv"
    rows = [f"{i},{platform},{topic} post number {i},{topic}" for i, (platform, topic) in enumerate(
        (platform, topic) for platform in ("twitter", "reddit") for topic in ("coffee", "trains") for _ in range(6))]
    real_csv.write_text("id,platform,text,topic\n" + "\n".join(rows) + "\n", encoding="utf-8")
    real, _ = load_files([str(real_csv)])
    topic_set = discover_topics(real, method="column", min_platforms=1)
    topics = tmp_path / "topics.json"
    topics.write_text(topic_set.to_json(), encoding="utf-8")
    out = tmp_path / "run"
    assert generate("--real", str(real_csv), "--topics-file", str(topics), "--topics", "coffee", "--per-cell", "1",
                    "--out", str(out)) == 0
    posts = pd.read_csv(out / "posts.csv")
    assert len(posts) == 2 and set(posts["topic_id"]) == {topic_set.resolve(["coffee"])[0].topic_id}


def test_topics_file_of_another_kind_is_refused(real_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                ) -> None:
    topics = tmp_path / "topics.json"
    topics.write_text('[{"id": 1}]', encoding="utf-8")
    assert generate("--real", str(real_csv), "--topics-file", str(topics), "--out", str(tmp_path / "run")) == 2
    assert "not one written by `python -m synth topics --out`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topics", "tea"], "unknown topic 'tea'; choose from: coffee, trains"),
        (["--per-cell", "0"], "per_cell must be at least 1"),
        (["--model", "gpt4"], "not of the form backend:model"),
        (["--model", "nosuch:x"], "unknown backend 'nosuch'"),
        (["--platforms", "myspace"], "unknown platform"),
        (["--strategy", "magic"], "unknown prompt strategy"),
        (["--topics-file", "/nonexistent.json"], "not found"),
        (["--budget", "1"], "no price for double:echo"),
        (["--platforms", "instagram"], "no real Instagram posts"),
        (["--per-cell", "40", "--posts-per-call", "30"], "posts per call must be between 1 and 20"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    real_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert generate("--real", str(real_csv), "--out", str(tmp_path / "run"), *args) == 2
    assert message in capsys.readouterr().err


def test_missing_out_and_missing_file(real_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate("--real", str(real_csv)) == 2
    assert "--out DIR is required" in capsys.readouterr().err
    assert generate("--real", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "run")) == 2


def test_resume_finishes_a_run_and_reports(real_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert generate("--real", str(real_csv), "--per-cell", "1", "--out", str(out)) == 0
    assert main(["resume", str(out)]) == 0
    assert len(pd.read_csv(out / "posts.csv")) == 4
    assert main(["resume", str(tmp_path / "nothing")]) == 2
    assert "holds no run" in capsys.readouterr().err


def _progress(done: int, status: str = "running") -> Progress:
    return Progress(
        run_id="r", status=status, total_calls=20, done_calls=done, failed_calls=0, cached_calls=0,
        planned_posts=20, posts=done, refusals=0, input_tokens=10 * done, output_tokens=5 * done, spend_usd=0.0,
        budget_usd=None, elapsed_s=1.0,
    )


def test_progress_bar_redraws_on_a_terminal_and_prints_lines_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    printer = ProgressPrinter(terminal, width=10)
    printer(_progress(10))
    printer(_progress(20, "completed"))
    assert terminal.getvalue() == (
        "\r[#####-----] 10/20 calls (0 failed), 10/20 posts, 100+50 tokens, spend $0.0000, 1.0 s [running]"
        "\r[##########] 20/20 calls (0 failed), 20/20 posts, 200+100 tokens, spend $0.0000, 1.0 s [completed]\n"
    )
    plain = io.StringIO()
    printer = ProgressPrinter(plain, every=10)
    for done in range(21):
        printer(_progress(done, "completed" if done == 20 else "running"))
    assert [line.split(" ")[0] for line in plain.getvalue().splitlines()] == ["0/20", "10/20", "20/20"]


def test_generate_from_the_real_posts(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["generate", "--real", str(shared_data / "zomato" / "posts.csv"), "--platforms",
                 "twitter,reddit,youtube", "--model", "double:echo", "--per-cell", "2", "--out", str(out)])
    assert code == 0
    posts = pd.read_parquet(out / "posts.parquet")
    assert posts.groupby("platform").size().to_dict() == {"reddit": 2, "twitter": 2, "youtube": 2}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["planned_posts"] == 6 and manifest["tokens"]["input"] == 60
