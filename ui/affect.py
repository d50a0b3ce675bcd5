"""Cached wrappers and tables for the Affect page: affect, offensiveness, diversity and TSTR utility.

Each computation is a pure synth function wrapped in `st.cache_data`, keyed by its (hashed) frames.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from synth.metrics.affect import AFFECT_SCORECARD, AFFECT_SHARES, compare_affect
from synth.metrics.diversity import DIVERSITY_SCORECARD, DIVERSITY_SHARES, compare_diversity
from synth.metrics.scorecard import scorecard
from synth.metrics.utility import compare_utility
from ui.compare import RATING_COLOURS

CARDS = {"affect": (AFFECT_SCORECARD, AFFECT_SHARES), "diversity": (DIVERSITY_SCORECARD, DIVERSITY_SHARES)}


@st.cache_data(show_spinner="Scoring sentiment, emotions and offensive language…", max_entries=8)
def affect_metrics(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    return compare_affect(real, synthetic, seed=seed)


@st.cache_data(show_spinner="Measuring diversity…", max_entries=8)
def diversity_metrics(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    return compare_diversity(real, synthetic, seed=seed)


@st.cache_data(show_spinner="Training classifiers on synthetic and on real posts…", max_entries=8)
def utility_metrics(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    return compare_utility(real, synthetic, seed=seed)


def _percent_or_number(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{100 * value:.1f}%" if unit == "share" else f"{value:.3f}"


def card_table(group: dict[str, Any], which: str) -> Styler:
    """The scorecard of one group of the affect or diversity metrics, for people: shares in percent, the
    real-vs-real baseline with its spread, the rating (or why there is none)."""
    metrics, shares = CARDS[which]
    card = scorecard(group, metrics, shares)
    table = pd.DataFrame({
        "rating": card["rating"],
        "metric": card["label"],
        "real": [_percent_or_number(v, u) for v, u in zip(card["real"], card["unit"], strict=True)],
        "synthetic": [_percent_or_number(v, u) for v, u in zip(card["synthetic"], card["unit"], strict=True)],
        "real-vs-real baseline": [
            _percent_or_number(v, u) + ("" if s is None or pd.isna(s) else f" ± {_percent_or_number(s, u)}")
            for v, s, u in zip(card["baseline"], card["baseline_std"], card["unit"], strict=True)
        ],
        "gap ÷ allowed gap": [note or ("–" if r is None or pd.isna(r) else f"{r:.2f}")
                              for note, r in zip(card["note"], card["ratio"], strict=True)],
    })
    return table.style.map(lambda rating: f"background-color: {RATING_COLOURS[rating]}", subset=["rating"])


def utility_table(result: dict[str, Any]) -> pd.DataFrame:
    """One row per classifier: TSTR and TRTR accuracy (percent, ± spread over the splits) and their ratio."""
    rows = []
    for task, blocks in result.items():
        for kind, block in blocks.items() if "note" not in blocks else [("—", blocks)]:
            if "note" in block:
                rows.append({"task": task, "classifier": kind, "train on synthetic (TSTR)": block["note"]})
                continue
            rows.append({
                "task": task, "classifier": "TF-IDF + logistic regression" if kind == "tfidf" else kind,
                "train on synthetic (TSTR)": _with_spread(block["tstr_accuracy"], block["tstr_accuracy_std"]),
                "train on real (TRTR)": _with_spread(block["trtr_accuracy"], block["trtr_accuracy_std"]),
                "TSTR ÷ TRTR": "–" if block["utility_ratio"] is None else f"{block['utility_ratio']:.2f}",
                "labels": ", ".join(block["labels"]),
            })
    return pd.DataFrame(rows)


def _with_spread(value: float | None, spread: float | None) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" + ("" if spread is None else f" ± {100 * spread:.1f}")
