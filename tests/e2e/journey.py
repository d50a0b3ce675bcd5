"""The journey a new user takes through the app, step by step in Chromium, shared by the browser test and
`benchmarks/bench_journey.py`.

Each step waits for what a person would wait for, then checks the page holds no exception element; the whole
journey collects console errors and every request that leaves 127.0.0.1, and saves a screenshot per step.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import running_server

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_MS = 120_000
# A few calls of the embedded model, or UMAP's first compile, on a busy two-core machine (minutes); a machine
# shared by many jobs may need more: SYNTH_E2E_SLOW_S.
RUN_TIMEOUT_MS = int(float(os.environ.get("SYNTH_E2E_SLOW_S", "480")) * 1000)

# Three per-platform files without a platform column (the file names say it) and with a topic column: posts
# written for this test, two topics each.
_VACCINE = ["got my first vaccine dose today, arm a bit sore", "booked the booster for next week at the clinic",
            "is the vaccine safe during pregnancy? asking my doctor", "vaccine centre queue was two hours long",
            "grandparents finally vaccinated, so relieved", "side effects were mild, tired for a day",
            "second dose done, feeling fine", "the nurse at the vaccine clinic was so kind"]
_FOOD = ["pizza delivery arrived cold again, asking for a refund", "ordered biryani at midnight, came in 20 minutes",
         "delivery guy could not find my building, food was late", "restaurant cancelled my order after an hour",
         "best butter chicken I have ordered online", "the app charged me twice for one burger",
         "free dessert with the delivery tonight", "noodles were soggy but the driver was lovely"]
STYLES = {"twitter": "{text} #{tag}", "reddit": "Honestly, {text}. Anyone else had this happen?",
          "instagram": "{text} ✨ #{tag} #daily"}


def write_posts(folder: Path) -> list[Path]:
    """The three files (twitter.csv, reddit.csv, instagram.csv) in `folder`."""
    files = []
    for platform, style in STYLES.items():
        rows = ["text,topic"]
        for topic, texts, tag in (("vaccines", _VACCINE, "vaccine"), ("food delivery", _FOOD, "foodie")):
            rows += [f'"{style.format(text=text, tag=tag)}",{topic}' for text in texts]
        path = folder / f"{platform}.csv"
        path.write_text("\n".join(rows) + "\n")
        files.append(path)
    return files


N_POSTS = len(STYLES) * (len(_VACCINE) + len(_FOOD))


@dataclass
class Journey:
    """What the journey saw: step times, console errors, requests that left the machine, downloads."""

    artifacts: Path
    steps: dict[str, float] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    current_step: str = ""

    def watch(self, page: Any) -> None:
        page.on("console", lambda message: message.type == "error" and self._console_error(message.text))
        page.on("pageerror", lambda error: self._console_error(str(error)))
        page.on("request", self._check_request)
        page.on("response", lambda response: response.status >= 400 and self._console_error(
            f"HTTP {response.status} for {response.url}"))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def _console_error(self, text: str) -> None:
        self.console_errors.append(f"{self.current_step}: {text}")

    def unexpected_console_errors(self) -> list[str]:
        """The console errors the journey did not cause on purpose (see `expected`)."""
        return [error for error in self.console_errors if not expected(error)]

    def _check_request(self, request: Any) -> None:
        host = urllib.parse.urlparse(request.url).hostname
        if host not in ("127.0.0.1", None) and not request.url.startswith(("data:", "blob:")):
            self.outside_requests.append(request.url)

    @contextmanager
    def step(self, name: str, page: Any) -> Iterator[None]:
        """Time a step, then check it left no exception on the page and save its screenshot."""
        start, self.current_step = time.monotonic(), name
        try:
            yield
        except BaseException:
            page.screenshot(path=str(self.artifacts / f"failed-{name}.png"))
            raise
        settle(page)
        self.steps[name] = round(time.monotonic() - start, 1)
        page.screenshot(path=str(self.artifacts / f"{len(self.steps):02d}-{name}.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, f"{name}: {exceptions.first.inner_text()}"


def settle(page: Any) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status widget)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=STEP_TIMEOUT_MS)


def go_to(page: Any, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.get_by_role("heading", level=1).first.wait_for(timeout=STEP_TIMEOUT_MS)
    settle(page)


def sidebar_counts(page: Any) -> tuple[int, int]:
    text = page.locator('[data-testid="stSidebar"]').inner_text()
    real = re.search(r"Real posts:\s*([\d,]+)", text)
    synthetic = re.search(r"Synthetic posts:\s*([\d,]+)", text)
    assert real and synthetic, text
    return int(real.group(1).replace(",", "")), int(synthetic.group(1).replace(",", ""))


def walk(page: Any, url: str, journey: Journey, data: Path, restart: Any) -> None:
    """The whole journey, from an empty app to a restarted server; `restart()` restarts the server."""
    from playwright.sync_api import expect

    journey.watch(page)
    page.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with journey.step("upload", page):
        page.goto(url)
        expect(page.get_by_text("Upload real posts").first).to_be_visible()
        page.locator("input[type=file]").first.set_input_files([str(path) for path in write_posts(data)])
        expect(page.get_by_text("Validation report")).to_be_visible()
        expect(page.get_by_text("guessed from the file name")).not_to_have_count(0)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(str(N_POSTS))
    assert sidebar_counts(page) == (N_POSTS, 0)
    assert "project=" in page.url
    project_url = page.url

    with journey.step("topics", page):
        go_to(page, "Topics")
        page.get_by_role("button", name="Find topics").click()
        expect(page.get_by_text("Posts on no topic")).to_be_visible()
        expect(page.locator(".js-plotly-plot").first).to_be_visible()

    with journey.step("generate-cancel", page):
        go_to(page, "Generate")
        for label, value in (("Max tokens per call", "32"), ("Real examples per prompt (k)", "2")):
            box = page.get_by_role("spinbutton", name=label, exact=True)  # not its help button
            box.fill(value)
            box.press("Enter")
            settle(page)
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text("Cancelling").first.or_(page.get_by_text("stopped (cancelled)").first)).to_be_visible()
        expect(page.get_by_text("stopped (cancelled)").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    with journey.step("generate-resume", page):
        page.get_by_role("button", name="Resume").click()
        expect(page.get_by_text(re.compile(r"finished: \d+ posts")).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        expect(page.get_by_text(re.compile(r"holds \d+ posts from 1 run")).first).to_be_visible()
    real, synthetic = sidebar_counts(page)
    assert real == N_POSTS and synthetic > 0

    with journey.step("embeddings", page):
        go_to(page, "Embeddings")
        plot = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first
        expect(plot).to_be_visible()
        # UMAP replaces the first (PCA) map by itself; the page says so while it computes.
        expect(page.get_by_text("Showing PCA while")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
        settle(page)
        # The map's plotting area, inside the figure's margins and left of its legend.
        box = plot.bounding_box()
        assert box is not None
        left, top = box["x"] + 30, box["y"] + 30
        width, height = box["width"] * 0.7, box["height"] - 60
        page.mouse.move(left + 5, top + 5)
        page.mouse.down()
        for x, y in ((width - 5, 5), (width - 5, height - 5), (5, height - 5), (5, 8)):
            page.mouse.move(left + x, top + y, steps=8)
        page.mouse.up()
        expect(page.get_by_text(re.compile(r"\d+ selected posts"))).to_be_visible()

    with journey.step("lexical", page):
        go_to(page, "Lexical")
        expect(page.get_by_text("Scorecard").first).to_be_visible()

    with journey.step("leaderboard", page):
        go_to(page, "Leaderboard")
        # A handful of posts spread over three platforms may leave no cell with 5 + 5 posts: then the page must
        # say so plainly (the exception check after each step still holds).
        expect(page.get_by_text("Who is best where").or_(page.get_by_text("has enough posts to score"))).to_be_visible()

    with journey.step("report", page):
        go_to(page, "Report and export")
        page.get_by_role("button", name="Build the report and the bundle").click()
        with page.expect_download(timeout=RUN_TIMEOUT_MS) as html_download:
            page.get_by_role("button", name="Download the report (HTML)").click()
        html = Path(html_download.value.path()).read_text()
        assert html.startswith("<!DOCTYPE html>") and "Synthetic" in html
        with page.expect_download() as zip_download:
            page.get_by_role("button", name="Download the bundle (zip)").click()
        names = zipfile.ZipFile(io.BytesIO(Path(zip_download.value.path()).read_bytes())).namelist()
        assert "DATASET_CARD.md" in names and "report.html" in names

    with journey.step("reload", page):
        page.reload()  # a reload stays on the page it was on (here the report's), with the project restored
        expect(page.get_by_role("heading", name="Report and export").first).to_be_visible()
        settle(page)
    assert page.url == project_url or "project=" in page.url
    assert sidebar_counts(page) == (real, synthetic)

    with journey.step("restart", page):
        restart()
        page.goto(project_url)
        expect(page.get_by_text("Upload real posts").first).to_be_visible()
        settle(page)
        go_to(page, "Generate")
        expect(page.get_by_text(re.compile(r"holds \d+ posts from 1 run")).first).to_be_visible()
    assert sidebar_counts(page) == (real, synthetic)


def server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
            "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]


def server_env(work: Path) -> dict[str, str]:
    """The server's environment: projects, runs and caches in `work`, nothing in the checkout."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "SYNTH_PROJECTS_DIR": str(work / "projects"),
            "SYNTH_RUNS_DIR": str(work / "runs"), "SYNTH_CACHE_DIR": str(work / "cache")}


def healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
        return bool(response.status == 200)


def peak_rss_mb(process: subprocess.Popen[bytes]) -> float | None:
    """The process's peak resident memory (Linux VmHWM), in MB; None where /proc is not there."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


@contextmanager
def app_server(port: int, work: Path, log_name: str) -> Iterator[subprocess.Popen[bytes]]:
    url = f"http://127.0.0.1:{port}"
    with running_server(server_command(port), ready=lambda: healthy(url), log_path=work / log_name, timeout_s=90,
                        name="streamlit", cwd=ROOT, env=server_env(work)) as process:
        yield process


def expected(error: str) -> bool:
    """Console errors the journey causes on purpose: the browser losing the server it watched being stopped
    (restart step), and Streamlit's frontend probing `/<page>/_stcore/...` before the root when a page URL is
    reloaded (its own base-path discovery; it then connects at the root)."""
    step, _, text = error.partition(": ")
    if step == "restart":
        return any(mark in text for mark in ("ERR_CONNECTION_REFUSED", "not responding", "/_stcore/health"))
    if step == "reload":
        return "/_stcore/health" in text or "/_stcore/host-config" in text or text.endswith("404 (Not Found)")
    return False
