"""Affect page: sentiment, emotions, offensive language, diversity and train-on-synthetic utility, real vs
synthetic, each beside the real-vs-real baseline."""

import streamlit as st

from synth import schema
from synth.errors import SynthError
from ui import affect, compare

ALL = "all"

st.title("Affect, diversity and utility")
st.caption(
    "Did the model keep the mood, the rudeness and the variety of the real conversation, and can its posts "
    "train a classifier that works on real posts? Every number stands beside the real-vs-real baseline (the real "
    "posts split in two halves, several times: mean ± spread). Sentiment (VADER), emotions (NRC lexicon) and "
    "offensive language (alt-profanity-check) are English measures."
)

posts = compare.require_posts()
if posts is None:
    compare.synthetic_uploader(key="affect_upload")
    st.stop()
real, synthetic = posts

controls = st.columns(2)
platforms = sorted(set(real[schema.PLATFORM]) & set(synthetic[schema.PLATFORM]))
platform = controls[0].selectbox("Platform", [ALL, *platforms], key="affect_platform",
                                 format_func=lambda p: "All platforms" if p == ALL else p)
models = compare.models_of(synthetic)
model = controls[1].selectbox("Model", [compare.ALL_MODELS, *models], key="affect_model", disabled=not models)
chosen = compare.pick_model(synthetic, model)

try:
    affect_result = affect.affect_metrics(real, chosen)
    diversity_result = affect.diversity_metrics(real, chosen)
    utility_result = affect.utility_metrics(real, chosen)
except SynthError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

st.subheader("Sentiment, emotions and offensive language")
group = affect_result.get(platform)
if group is None:
    st.warning("No posts on this platform for the chosen model.", icon=":material/warning:")
else:
    st.dataframe(affect.card_table(group, "affect"), hide_index=True, key="affect_card")
    coverage = group["emotion_coverage"]
    if coverage["real"] is not None and coverage["real"] < 0.5:
        st.info(f"The English emotion lexicon reached only {coverage['real']:.0%} of the real posts: emotion shares "
                "describe few posts here.", icon=":material/translate:")

st.subheader("Diversity")
group = diversity_result.get(platform)
if group is not None:
    st.dataframe(affect.card_table(group, "diversity"), hide_index=True, key="diversity_card")

st.subheader("Train on synthetic, test on real")
st.caption("A classifier trained on the synthetic posts and tested on held-out real posts (TSTR), beside the same "
           "classifier trained on real posts (TRTR) and tested on the same posts. The embedding classifier and the "
           "detector's accuracy are in metrics.json (`python -m synth evaluate`) and the report.")
st.dataframe(affect.utility_table(utility_result), hide_index=True, key="utility_table")
st.caption(compare.THRESHOLDS_NOTE)
