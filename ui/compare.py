"""Cached wrappers and small widgets shared by the Lexical, Leaderboard and Report pages.

Every computation is a pure synth function wrapped in `st.cache_data`, keyed by its (hashed) frames, so
switching tabs or models reruns nothing that was already computed for the same posts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from synth import schema
from synth.errors import SynthError
from synth.io import as_synthetic, load_posts
from synth.metrics.leaderboard import Leaderboard, build_leaderboard
from synth.metrics.lexical import compare_lexical, top_items
from synth.metrics.scorecard import AMBER_MAX_RATIO, GREEN_MAX_RATIO, scorecard
from synth.report.artifacts import Artifacts, make_artifacts
from synth.report.html import distribution_figures, feature_table
from ui import state
from ui.jobs import Cancelled, Job, job_board

RATING_COLOURS = {"green": "#c8e6c9", "amber": "#ffe0b2", "red": "#ffcdd2", "grey": "#eeeeee"}
ALL_MODELS = "All models together"


@st.cache_data(show_spinner="Computing lexical metrics…", max_entries=16)
def lexical_metrics(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    return compare_lexical(real, synthetic, seed=seed)


@st.cache_data(show_spinner=False, max_entries=64)
def top(posts: pd.DataFrame, kind: str, k: int) -> pd.DataFrame:
    return top_items(posts, kind, k)


def top_per_100_posts(posts: pd.DataFrame, kind: str, k: int) -> pd.DataFrame:
    """The k most frequent items with their count and occurrences per 100 posts (`top_items`' count over
    posts counts repeats within a post, so it is a rate, shown as such rather than as a share of posts)."""
    table = top(posts, kind, k)
    return pd.DataFrame({"item": table["item"], "count": table["count"], "per 100 posts": 100 * table["share"]})


@st.cache_data(show_spinner="Scoring models with bootstrap intervals…", max_entries=8)
def leaderboard(real: pd.DataFrame, synthetic: pd.DataFrame, n_boot: int, seed: int) -> Leaderboard:
    return build_leaderboard(real, synthetic, n_boot=n_boot, seed=seed)


@st.cache_data(show_spinner="Counting per-post features…", max_entries=16)
def features_for_figures(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return feature_table(real, synthetic, seed=seed)


def distribution_figure(real: pd.DataFrame, synthetic: pd.DataFrame, platform: str | None, feature: str) -> go.Figure:
    table = features_for_figures(real, synthetic)
    return distribution_figures(table, platform=platform, features=(feature,))[0]


def models_of(synthetic: pd.DataFrame) -> list[str]:
    """The model names of the synthetic posts (one unnamed model when the column is missing or empty)."""
    if schema.MODEL not in synthetic.columns or synthetic[schema.MODEL].isna().all():
        return []
    return sorted(synthetic[schema.MODEL].dropna().astype(str).unique())


def pick_model(synthetic: pd.DataFrame, choice: str) -> pd.DataFrame:
    return synthetic if choice == ALL_MODELS else synthetic[synthetic[schema.MODEL].astype("string") == choice]


MIN_POSTS_TO_JUDGE = 20  # fewer synthetic (or real) posts than this on a platform: no colour, no verdict
TOO_FEW = "too few posts to judge"
# The interval of the baseline when the scorecard gives one (columns of `synth.metrics.scorecard.scorecard`).
INTERVAL_COLUMNS = ("baseline_gap_low", "baseline_gap_high")


def scorecard_table(group: dict[str, Any], *, n_real: int, n_synthetic: int) -> Styler:
    """The scorecard of one compare_lexical group, for people: each rating beside the numbers it was judged on
    (the synthetic gap, the baseline gap actually used, scaled to the sets' sizes, its interval when the
    scorecard gives one, and their ratio); "too few posts to judge" below MIN_POSTS_TO_JUDGE posts a side."""
    card = scorecard(group)
    too_few = min(n_real, n_synthetic) < MIN_POSTS_TO_JUDGE
    table = pd.DataFrame({
        "rating": [TOO_FEW] * len(card) if too_few else card["rating"],
        "metric": card["label"],
        "real": card["real"],
        "synthetic": card["synthetic"],
        "real-vs-real baseline": card["baseline"],
        "synthetic gap": card["gap"],
        "baseline gap used (scaled to sizes)": card["baseline_gap"],
    })
    if all(column in card.columns for column in INTERVAL_COLUMNS):
        table["baseline gap 95% interval"] = [
            "–" if pd.isna(low) else f"{low:.3f}–{high:.3f}"
            for low, high in zip(card[INTERVAL_COLUMNS[0]], card[INTERVAL_COLUMNS[1]], strict=True)]
    table["gap ÷ baseline gap"] = card["ratio"]
    table["identifier"] = card["metric"]
    colour = {**RATING_COLOURS, TOO_FEW: RATING_COLOURS["grey"]}
    return table.style.map(lambda rating: f"background-color: {colour[rating]}", subset=["rating"]).format(
        precision=3, na_rep="–")


THRESHOLDS_NOTE = (
    f"**green**: the synthetic posts differ from the real ones by at most {GREEN_MAX_RATIO:g}× what a second "
    f"sample of real posts does (the real-vs-real baseline, scaled to the sets' sizes); **amber**: up to "
    f"{AMBER_MAX_RATIO:g}×; **red**: more; **grey**: undefined; below {MIN_POSTS_TO_JUDGE} posts on either side, "
    f"no rating (*{TOO_FEW}*). The ratio is the synthetic gap over the larger of the scaled baseline gap and a "
    "small floor. For comparisons (KS, JSD, Jaccard) the “real” "
    "column is empty: the synthetic column is synthetic vs real, the baseline column one real half vs the other."
)


def require_posts(*, need_synthetic: bool = True) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The session's real and synthetic posts, or None after telling the user what to load first."""
    real, synthetic = state.get_real_posts(), state.get_synthetic_posts()
    if real is None or real.empty:
        st.info("No real posts in this session yet: upload them on the **Upload posts** page.",
                icon=":material/info:")
        return None
    if need_synthetic and (synthetic is None or synthetic.empty):
        st.info("No synthetic posts yet: generate them on the **Generate** page, or upload a file of synthetic "
                "posts on the **Report and export** page.", icon=":material/info:")
        return None
    return real, synthetic if synthetic is not None else real.iloc[:0]


def synthetic_uploader(key: str) -> None:
    """Load a file of synthetic posts (any format synth.io reads) into the session, for comparing."""
    upload = st.file_uploader(
        "Upload synthetic posts (CSV, JSON Lines, Parquet… with `text` and `platform`; `model` optional)",
        key=key, help="For posts generated elsewhere or in an earlier session; they replace this session's "
        "synthetic posts.",
    )
    if upload is None:
        return
    try:
        loaded = load_posts(upload.getvalue(), name=upload.name)
    except SynthError as error:
        st.error(str(error), icon=":material/error:")
        return
    posts = as_synthetic(loaded.posts)
    current = state.get_synthetic_posts()
    if current is None or not current.equals(posts):
        state.set_synthetic_posts(posts)
        # Rerun so that the page and the sidebar's counts, drawn before this upload, show the new posts.
        st.toast(f"Loaded {len(posts):,} synthetic posts from {upload.name}.", icon=":material/check:")
        st.rerun()


def report_job(real: pd.DataFrame, synthetic: pd.DataFrame, run_dirs: tuple[Path, ...], samples: int,
               n_boot: int, all_metrics: bool) -> Job:
    """The report and the bundle built on the job board (keyed by the posts and the settings: a finished build
    is reused), with its stages shown; cancelling stops it at the next stage."""
    settings = (tuple(map(str, run_dirs)), samples, n_boot, all_metrics)
    key = f"report:{_content_key(real)}:{_content_key(synthetic)}:{settings}"

    def work(job: Job) -> Artifacts:
        def on_stage(words: str) -> None:
            if job.cancel.is_set():
                raise Cancelled("Building the report was cancelled: nothing was written.")
            job.stage = words

        return make_artifacts(real, synthetic, run_dirs=run_dirs, n_boot=n_boot, samples_per_platform=samples,
                              all_metrics=all_metrics, on_stage=on_stage)

    return job_board().submit(key, f"Building the report of {len(synthetic):,} synthetic posts", work)


def _content_key(posts: pd.DataFrame) -> str:
    return schema.content_hash(posts.astype("string"))
