"""Issue 15, the CLI half: real `python -m synth` processes against the loopback fake provider, real signals
(SIGINT, SIGTERM), two processes on one run, and the key in `.streamlit/secrets.toml`. Each test failed before
its fix."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from synth.generate import plan_run
from synth.generate.store import STORE_FILE, RunStore
from tests.conftest import ROOT
from tests.generate.fake_provider import fake_provider
from tests.generate.test_hardening import fake_config


@pytest.fixture
def real_csv(tmp_path: Path) -> Path:
    path = tmp_path / "real.csv"
    path.write_text(
        "id,platform,text,topic\n1,twitter,Third espresso today #coffee,coffee\n"
        "2,twitter,Train delayed again,trains\n",
        encoding="utf-8",
    )
    return path


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """`python -m synth ARGS` in `cwd` (never the checkout: a developer's .streamlit/secrets.toml stays out)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "synth", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def generate_args(real_csv: Path, base_url: str, out: Path, per_cell: int) -> list[str]:
    return ["generate", "--real", str(real_csv), "--platforms", "twitter", "--model", "openai:fake-model",
            "--base-url", base_url, "--per-cell", str(per_cell), "--out", str(out)]


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def done_calls(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / STORE_FILE) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls WHERE status = 'done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err and "never retrieved" not in err, err[-3000:]


# 4. A fatal backend error printed a 40-60 line traceback before the `error:` line.


def test_a_fatal_backend_error_prints_one_error_line(real_csv: Path, tmp_path: Path) -> None:
    # The first call is refused at once while seven others are in flight: they are abandoned.
    with fake_provider(mode="unauthorized", delay_s=1.0, fast_first=True) as fake:
        code, err = finish(start(*generate_args(real_csv, fake.base_url, tmp_path / "run", 8), cwd=tmp_path))
    assert code == 2
    assert_no_traceback(err)
    assert err.strip().splitlines()[-1].startswith("error: ")


# 4 and 5. Ctrl-C printed a traceback; SIGTERM had no handler; the run stayed "running", without exports.


@pytest.mark.parametrize(("signal_number", "exit_status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_cleanly(real_csv: Path, tmp_path: Path, signal_number: int, exit_status: int) -> None:
    run_dir = tmp_path / "run"
    with fake_provider(delay_s=0.2) as fake:
        process = start(*generate_args(real_csv, fake.base_url, run_dir, 40), cwd=tmp_path)
        deadline = time.monotonic() + 60
        while done_calls(run_dir) < 3:
            assert process.poll() is None and time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        process.send_signal(signal_number)
        code, err = finish(process)
    assert code == exit_status, err[-3000:]
    assert_no_traceback(err)
    assert f"python -m synth resume {run_dir}" in err
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "cancelled"
    assert len(pd.read_csv(run_dir / "posts.csv")) == done_calls(run_dir) < 80


# 7. An all-refusal run ended "completed", exit 0, with 0 of its posts.


def test_a_run_without_its_posts_exits_1(real_csv: Path, tmp_path: Path) -> None:
    with fake_provider(mode="refuse") as fake:
        code, err = finish(start(*generate_args(real_csv, fake.base_url, tmp_path / "run", 2), cwd=tmp_path))
    assert code == 1
    assert "run stopped early (incomplete)" in err
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["counts"]["posts"] == 0


# 12. Two resumes at once made every call twice; two generates on one folder lost posts.


def test_two_resumes_of_one_run_make_each_call_once(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    with fake_provider(delay_s=0.4) as fake:
        plan = plan_run(fake_config(fake.base_url, per_cell=6), real_posts)  # 24 calls, 4 at a time: 2.4 s
        store = RunStore.create(run_dir, plan.run_id, plan.config.to_dict())
        store.add_calls(plan.calls)
        store.close()
        first, second = start("resume", str(run_dir), cwd=tmp_path), start("resume", str(run_dir), cwd=tmp_path)
        results = [finish(first), finish(second)]
        assert fake.calls == 24 and set(fake.seeds().values()) == {1}
    assert sorted(code for code, _ in results) == [0, 2]
    loser = next(err for code, err in results if code == 2)
    assert f"{run_dir} is in use by process" in loser
    assert len(pd.read_csv(run_dir / "posts.csv")) == 24


def test_two_generates_racing_on_one_folder(real_csv: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    with fake_provider(delay_s=0.3) as fake:
        first, second = (start(*generate_args(real_csv, fake.base_url, run_dir, 16), cwd=tmp_path) for _ in range(2))
        results = [finish(first), finish(second)]
        assert fake.calls == 32
    assert sorted(code for code, _ in results) == [0, 2]
    loser = next(err for code, err in results if code == 2)
    assert "in use by process" in loser or "already holds a run" in loser
    assert len(pd.read_csv(run_dir / "posts.csv")) == 32


# 15. The CLI ignored .streamlit/secrets.toml although its own error message pointed there.


def test_the_cli_reads_the_key_from_streamlit_secrets(real_csv: Path, tmp_path: Path) -> None:
    args = ["generate", "--real", str(real_csv), "--platforms", "twitter", "--model", "openai:gpt-4o-mini",
            "--estimate"]
    code, err = finish(start(*args, cwd=tmp_path))
    assert code == 2 and "OPENAI_API_KEY" in err  # no key anywhere: the message says where to put it
    secret = "sk-from-the-secrets-file-0123456789"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'OPENAI_API_KEY = "{secret}"\n', encoding="utf-8")
    process = start(*args, cwd=tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert json.loads(out)["calls"] == 6 and secret not in out + err
