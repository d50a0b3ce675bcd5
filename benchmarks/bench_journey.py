"""The journey of a new user in Chromium (tests/e2e/journey.py: upload three per-platform files -> topics ->
8 posts on the embedded SmolLM2 with a cancel and a resume -> Embeddings with UMAP and a lasso -> Lexical ->
Leaderboard -> report and bundle -> reload -> server restart). Prints JSON: the journey's wall time, each
step's time, and the peak resident memory of each server process (Linux VmHWM). Needs Debian's chromium."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.journey import Journey, app_server, peak_rss_mb, walk  # noqa: E402
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"error: {CHROMIUM} is missing: install Debian's chromium (make test does, as root)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "upload").mkdir()
        (work / "shots").mkdir()
        port, journey, peaks = free_port(), Journey(work / "shots"), []
        with ExitStack() as servers, sync_playwright() as playwright:
            server = servers.enter_context(app_server(port, work, "server-1.log"))
            current = [server]

            def restart() -> None:
                peaks.append(peak_rss_mb(current[0]))
                servers.close()
                current[0] = servers.enter_context(app_server(port, work, "server-2.log"))

            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            start = time.monotonic()
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
                walk(page, f"http://127.0.0.1:{port}", journey, work / "upload", restart)
            finally:
                wall = time.monotonic() - start
                browser.close()
            peaks.append(peak_rss_mb(current[0]))
    print(json.dumps({
        "journey_wall_s": round(wall, 1),
        "steps_s": journey.steps,
        "server_peak_rss_mb": {"before_restart": _round(peaks[0]), "after_restart": _round(peaks[-1])},
        "console_errors": len(journey.unexpected_console_errors()),
        "console_errors_expected": len(journey.console_errors) - len(journey.unexpected_console_errors()),
        "requests_off_the_machine": len(journey.outside_requests),
    }, indent=2))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


if __name__ == "__main__":
    main()
