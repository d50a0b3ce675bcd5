"""Demo data for newcomers: a tiny sample written for this project (two topics, three platforms, 60 posts, no
real person's words), loaded through the same path as an upload (synth.io), so the whole journey can be tried
without files of one's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from synth.io import combine, load_posts
from synth.io.mapping import platform_from_file_name

DEMO_FOLDER = Path(__file__).parent / "static" / "demo"


def demo_posts() -> tuple[pd.DataFrame, Any]:
    """The demo posts (one CSV per platform, the platform named by the file) and their validation report."""
    paths = sorted(DEMO_FOLDER.glob("*.csv"))
    files = [load_posts(path, platform=platform_from_file_name(path.name)) for path in paths]
    return combine(files)
