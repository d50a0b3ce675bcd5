"""The journey of a new user in Chromium, as one test: upload per-platform files -> topics -> generate on the
embedded model -> cancel and resume -> Embeddings (map, UMAP, lasso) -> Lexical -> Leaderboard -> report and
bundle -> reload -> server restart, with nothing lost, no exception, no console error, no request off the
machine. Screenshots of each step go to $SYNTH_E2E_ARTIFACTS (default: e2e-artifacts/ in the checkout)."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.journey import ROOT, Journey, app_server, walk
from tests.support import free_port, launch_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def artifacts_folder() -> Path:
    folder = Path(os.environ.get("SYNTH_E2E_ARTIFACTS", str(ROOT / "e2e-artifacts")))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_whole_journey_survives_reload_and_restart(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    port, journey = free_port(), Journey(artifacts_folder())
    data = tmp_path / "upload"
    data.mkdir()
    with ExitStack() as servers, sync_playwright() as playwright:
        servers.enter_context(app_server(port, tmp_path, "server-1.log"))

        def restart() -> None:
            servers.close()  # stops the first server
            servers.enter_context(app_server(port, tmp_path, "server-2.log"))

        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            walk(page, f"http://127.0.0.1:{port}", journey, data, restart)
        finally:
            browser.close()
    assert journey.unexpected_console_errors() == []
    assert journey.outside_requests == []
    assert journey.dialogs == []

