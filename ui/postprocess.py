"""Post-process page helpers: steer a run toward the real posts, compare before and after, choose which set
the Compare pages use.

The real posts of the session are split in two halves (synth.metrics.baseline.split_halves): the steps are
fitted on the first and the before/after metrics measured on the second, so no step grades itself. The
steered set is written beside the run (RUN_DIR/postprocessed), never over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from synth.generate.runs import list_runs, load_run_posts
from synth.metrics.baseline import split_halves
from synth.metrics.evaluate import evaluate
from synth.paths import runs_root
from synth.postprocess.pipeline import PostprocessResult, steer_run
from ui import state

RESULT = "postprocess_result"
RAW = "postprocess_raw"
OUT_FOLDER = "postprocessed"
STEERED, RAW_SET = "Steered set", "Raw set"
METRICS = {
    "classifier_auc": "classifier AUC (0.5 = indistinguishable)",
    "nearest_real_cosine_mean": "nearest-real cosine, mean",
    "coverage": "PRDC coverage",
    "precision": "PRDC precision",
}


def runs() -> list[str]:
    """The runs on disk, newest first."""
    listed = list_runs()
    return [] if listed.empty else listed["run"].tolist()


def run_dir(name: str) -> Path:
    return runs_root() / name


def halves(real: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference half the steps are fitted on, held-out half the metrics are measured on)."""
    return split_halves(real, seed=0)


def steer(real: pd.DataFrame, name: str, steps: list[str], per_cell: int | None) -> PostprocessResult:
    """Post-process run `name` with `steps` fitted on the reference half; the steered set becomes the session's
    synthetic set (the raw one is kept one click away)."""
    reference, _ = halves(real)
    folder = run_dir(name)
    with st.spinner("Post-processing (embedding the posts, fitting the steps)…"):
        result, _ = steer_run(reference, folder, folder / OUT_FOLDER, steps=steps, per_cell=per_cell)
    st.session_state[RESULT] = result
    st.session_state[RAW] = load_run_posts(folder)
    use_set(STEERED)
    return result


def current() -> tuple[PostprocessResult | None, pd.DataFrame | None]:
    """The last post-processing result of this session and the raw posts it started from."""
    return st.session_state.get(RESULT), st.session_state.get(RAW)


def use_set(which: str) -> None:
    """Make the steered or the raw set the synthetic set of the Compare pages."""
    result, raw = current()
    if result is not None and raw is not None:
        state.set_synthetic_posts(result.posts if which == STEERED else raw)


def steps_table(result: PostprocessResult) -> pd.DataFrame:
    rows = [{"step": s["step"], "in": s["in"], "out": s["out"], "removed": s["removed"], "changed": s["changed"],
             "reasons": ", ".join(f"{k} {v}" for k, v in s["reasons"].items())} for s in result.steps]
    return pd.DataFrame(rows)


def regenerate_summary(result: PostprocessResult) -> tuple[str, bool]:
    """One line on what the regenerate step did, and whether some cell is still short ("" when it did not run)."""
    for step in result.steps:
        params = step.get("params", {})
        if step["step"] != "regenerate" or "rounds" not in params:
            continue
        did = (f"Regenerate added {sum(params['added'].values())} post(s) in {len(params['rounds'])} round(s) "
               f"with {params['calls']} call(s)")
        short = [f"{cell} lacks {why['missing']} ({why['why']})" for cell, why in params["still_short"].items()]
        return (f"{did}; still short: {'; '.join(short)}", True) if short else (f"{did}; every cell is full.", False)
    return "", False


def examples(result: PostprocessResult, step: str, n: int = 6) -> pd.DataFrame:
    """A few of a step's changes, one per reason first, with the text before and after."""
    changes = pd.DataFrame(result.changes)
    if changes.empty:
        return changes
    chosen = changes[changes["step"] == step]
    firsts = chosen.drop_duplicates("reason")
    shown = pd.concat([firsts, chosen.drop(firsts.index)]).head(n)
    return shown[["post_id", "action", "reason", "detail", "before", "after"]]


@st.cache_data(show_spinner="Measuring before and after on the held-out real half…", max_entries=4)
def before_after(real: pd.DataFrame, raw: pd.DataFrame, steered: pd.DataFrame) -> pd.DataFrame:
    """Headline metrics of the raw and the steered set against the held-out real half, beside the ceiling."""
    _, held_out = halves(real)
    measured = {label: evaluate(held_out, posts) for label, posts in ((RAW_SET, raw), (STEERED, steered))}
    rows: list[dict[str, Any]] = []
    for group in measured[RAW_SET]["semantic"]:
        for key, label in METRICS.items():
            raw_group = measured[RAW_SET]["semantic"].get(group, {})
            rows.append({
                "platform": group, "metric": label, RAW_SET: raw_group.get(key),
                STEERED: measured[STEERED]["semantic"].get(group, {}).get(key),
                "real vs real (ceiling)": raw_group.get(f"{key}_baseline"),
            })
    return pd.DataFrame(rows)
