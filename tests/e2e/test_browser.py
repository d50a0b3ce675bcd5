"""The one browser test: the real app in Debian's Chromium, a real upload, the report on screen."""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port, launch_chromium, running_server

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` headless on a free loopback port, its output in a file; polled until healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)

    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
               "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_server(command, ready=ready, log_path=log_path, timeout_s=60, name="streamlit",
                        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}):
        yield url


def test_upload_a_csv_and_see_the_report(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    upload = tmp_path / "posts.csv"
    upload.write_text("text,platform\nHello from the browser #e2e,twitter\n"
                      '"<script>alert(""owned"")</script> text, not code",reddit\n,reddit\n')
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(app_url)
            expect(page.get_by_text("Upload real posts").first).to_be_visible(timeout=30_000)
            page.locator("input[type=file]").first.set_input_files(str(upload))
            expect(page.get_by_text("Validation report")).to_be_visible(timeout=30_000)
            metrics = page.locator('[data-testid="stMetricValue"]')
            expect(metrics.first).to_have_text("2", timeout=30_000)  # posts kept: the empty row is dropped
            expect(metrics.nth(1)).to_have_text("3")  # rows read
            expect(page.get_by_text("HTML-like tags; kept as plain text").first).to_be_visible()
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
        finally:
            browser.close()
    assert dialogs == []  # the script in the post was shown as text, never run
