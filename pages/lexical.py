"""Lexical page: real and synthetic posts side by side, per platform and per model, against the baseline."""

import streamlit as st

from synth import schema
from synth.errors import SynthError
from synth.metrics.scorecard import DEFINITIONS as SCORECARD_DEFINITIONS
from synth.plots.compare import FEATURE_LABELS
from ui import compare

ALL = "all"
TOP_KINDS = {"hashtag": "Hashtags", "emoji": "Emoji", "1gram": "Words", "2gram": "Word pairs", "3gram": "Word triples"}

st.title("Lexical comparison")
st.caption(
    "How the surface of the synthetic posts (length, hashtags, mentions, links, emoji, words) compares with the "
    "real posts. Every number stands beside the real-vs-real baseline: the real posts split in two halves, the "
    "closest a perfect generator could get on data of this size."
)

posts = compare.require_posts()
if posts is None:
    compare.synthetic_uploader(key="lexical_upload")
    st.stop()
real, synthetic = posts

controls = st.columns(2)
platforms = sorted(set(real[schema.PLATFORM]) & set(synthetic[schema.PLATFORM]))
if not platforms:
    st.warning("The real and the synthetic posts share no platform, so there is nothing to compare side by side. "
               "Generate posts for the real posts' platforms.", icon=":material/warning:")
    st.stop()
platform = controls[0].selectbox("Platform", [ALL, *platforms], key="lexical_platform",
                                 format_func=lambda p: "All platforms" if p == ALL else p)
models = compare.models_of(synthetic)
model = controls[1].selectbox("Model", [compare.ALL_MODELS, *models], key="lexical_model",
                              disabled=not models)
chosen = compare.pick_model(synthetic, model)

try:
    metrics = compare.lexical_metrics(real, chosen)
except SynthError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()
group = metrics.get(platform)
real_shown = real if platform == ALL else real[real[schema.PLATFORM] == platform]
synthetic_shown = chosen if platform == ALL else chosen[chosen[schema.PLATFORM] == platform]
if group is None or synthetic_shown.empty:
    st.warning("The chosen model made no posts on this platform: pick another platform or model.",
               icon=":material/warning:")
    st.stop()

st.subheader("Scorecard")
st.text(f"{len(real_shown):,} real posts vs {len(synthetic_shown):,} synthetic posts ({model}).")
card = compare.scorecard_table(group, n_real=len(real_shown), n_synthetic=len(synthetic_shown))
st.dataframe(card, hide_index=True, height=35 * (len(card.data) + 1) + 3, key="lexical_scorecard")
st.caption(compare.THRESHOLDS_NOTE)
with st.expander("What do these numbers mean?", icon=":material/help:"):
    for key, text in SCORECARD_DEFINITIONS.items():
        st.text(f"{key}: {text}")
    st.page_link("pages/definitions.py", label="All metric definitions", icon=":material/menu_book:")

st.subheader("Distributions per post")
feature = st.radio("Feature", list(FEATURE_LABELS), format_func=FEATURE_LABELS.get, horizontal=True,
                   key="lexical_feature")
figure = compare.distribution_figure(real, chosen, None if platform == ALL else platform, feature)
st.plotly_chart(figure, key="lexical_distribution")
st.caption("The two blue histograms are the two real halves: their difference is what chance alone produces.")

st.subheader("Most frequent items")
items = st.columns([3, 1])
kind = items[0].radio("Items", list(TOP_KINDS), format_func=TOP_KINDS.get, horizontal=True, key="lexical_top_kind")
k = items[1].number_input("How many", min_value=5, max_value=50, value=15, step=5, key="lexical_top_k")
shown = {"real": real_shown}
for name in models if model == compare.ALL_MODELS and len(models) > 1 else [model]:
    subset = compare.pick_model(synthetic_shown, name)
    if not subset.empty:
        shown[name] = subset
columns = st.columns(len(shown))
for index, (column, (name, subset)) in enumerate(zip(columns, shown.items(), strict=True)):
    column.markdown("**Real**" if index == 0 else "**Synthetic**")
    column.text(f"{name} ({len(subset):,} posts)")
    column.dataframe(
        compare.top_per_100_posts(subset, kind, int(k)), hide_index=True, key=f"lexical_top_{index}",
        column_config={"per 100 posts": st.column_config.NumberColumn(
            format="%.1f", help="times the item occurs per 100 posts (a post may hold it several times, so this "
                                "can exceed 100: it is a rate, not a share)")},
    )
