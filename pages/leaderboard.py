"""Leaderboard page: models x platforms, one headline fidelity score per cell, with bootstrap intervals."""

import streamlit as st

from synth.errors import InputError, SynthError
from synth.metrics.leaderboard import ALL, COMPONENTS, DEFINITIONS
from synth.plots.compare import leaderboard_bars, leaderboard_heatmap
from ui import compare
from ui.format import escape_markdown

st.title("Leaderboard")
st.caption(
    "Which model writes most like the real posts, on which platform. Each score (0-100) comes with a 95% "
    "bootstrap interval: when two intervals overlap, the difference between those models is within chance."
)

posts = compare.require_posts()
if posts is None:
    st.stop()
real, synthetic = posts

controls = st.columns(2)
n_boot = controls[0].select_slider("Bootstrap replicates", options=[0, 50, 100, 200, 500], value=200,
                                   key="leaderboard_n_boot", help="More replicates: steadier intervals, slower.")
seed = int(controls[1].number_input("Seed", min_value=0, max_value=1_000_000, value=0, key="leaderboard_seed"))
try:
    board = compare.leaderboard(real, synthetic, n_boot, seed)
except InputError as error:  # too few posts to score: nothing failed, there is just not enough yet
    st.warning(str(error), icon=":material/hourglass_empty:")
    st.stop()
except SynthError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

st.subheader("Who is best where")
models = sorted(set(board.cells["model"]))
if len(models) == 1:  # one model is always "best": no verdict to give, only its scores
    st.info(escape_markdown(f"One model ({models[0]}): nothing to rank. Its scores below, each with its interval "
                            "and the real-vs-real score, say how close it comes to the real posts."),
            icon=":material/info:")
for row in board.best.itertuples() if len(models) > 1 else ():
    verdict = escape_markdown(row.verdict) + ("" if row.p_best != row.p_best else f" (P(best) = {row.p_best:.0%})")
    if row.clear:
        st.success(verdict, icon=":material/trophy:")
    else:
        st.info(verdict, icon=":material/balance:")

st.plotly_chart(leaderboard_heatmap(board.cells), key="leaderboard_heatmap")

st.subheader("All cells")
platforms = sorted(set(board.cells["platform"]) - {ALL}) + [ALL]
chosen = st.multiselect("Platforms", platforms, default=platforms, key="leaderboard_platforms")
cells = board.cells[board.cells["platform"].isin(chosen)]
st.dataframe(
    cells, hide_index=True, key="leaderboard_table",
    column_order=["model", "platform", "score", "score_low", "score_high",
                  *(["p_best"] if len(models) > 1 else []),  # one model is always "best": no ranking to show
                  "baseline_score", *COMPONENTS, "n_real", "n_synthetic"],
    column_config={
        "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.1f",
                                                 help=DEFINITIONS["score"]),
        "score_low": st.column_config.NumberColumn("95% low", format="%.1f", help=DEFINITIONS["score_interval"]),
        "score_high": st.column_config.NumberColumn("95% high", format="%.1f"),
        "p_best": st.column_config.NumberColumn("P(best)", format="percent", help=DEFINITIONS["p_best"]),
        "baseline_score": st.column_config.NumberColumn("real vs real", format="%.1f",
                                                        help=DEFINITIONS["baseline_score"]),
        **{c: st.column_config.NumberColumn(c.replace("_", " "), format="%.3f", help=DEFINITIONS[c])
           for c in COMPONENTS},
    },
)
st.caption("Click a column header to sort.")

metric = st.selectbox("Metric for the bars", ["score", *COMPONENTS], key="leaderboard_metric",
                      format_func=lambda m: m.replace("_", " "))
st.plotly_chart(leaderboard_bars(cells, metric), key="leaderboard_bars")

if not board.skipped.empty:
    with st.expander(f"{len(board.skipped)} model and platform pair(s) left out"):
        st.dataframe(board.skipped, hide_index=True, key="leaderboard_skipped")
with st.expander("How the score is defined", icon=":material/help:"):
    for key, text in DEFINITIONS.items():
        st.text(f"{key}: {text}")
    st.page_link("pages/definitions.py", label="All metric definitions", icon=":material/menu_book:")
