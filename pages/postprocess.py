"""Post-process page: steer a run toward the real posts, see each step's effect, measure before and after."""

import streamlit as st

from synth.errors import SynthError
from synth.postprocess.pipeline import DEFAULT_STEPS, step_names
from ui import postprocess, state

st.title("Post-process")
st.caption(
    "Filter what is not a post, calibrate each platform's style, keep the candidates that look most real, "
    "rebalance topics and platforms, and regenerate the cells still short with the run's model. The steps learn "
    "from one half of your real posts; the before/after metrics are measured on the other half. The run itself "
    "is never changed."
)

real = state.get_real_posts()
runs = postprocess.runs()
if real is None or not runs:
    # Say only what is missing: post-processing works on a run (its prompts name the examples to avoid copying).
    missing = " and ".join(step for step, needed in (("load real posts on **Upload posts**", real is None),
                                                      ("make a run on **Generate**", not runs)) if needed)
    st.info(f"{missing[0].upper()}{missing[1:]} first. Post-processing works on the posts of a run, not on an "
            "uploaded synthetic file.", icon=":material/info:")
    st.stop()

left, middle, right = st.columns([2, 3, 1])
run = left.selectbox("Run", runs, key="postprocess_run")
steps = middle.multiselect("Steps (they run in this order)", step_names(), default=list(DEFAULT_STEPS),
                           key="postprocess_steps", help="regenerate calls the run's model(s) again for the cells "
                           "still short of posts")
per_cell = right.number_input("Keep per cell", 0, 1000, 0, key="postprocess_per_cell",
                              help="Posts select keeps per topic x platform; 0 takes the run's posts per cell.")
if st.button("Post-process", type="primary", key="postprocess_go", disabled=not steps):
    try:
        postprocess.steer(real, run, steps, int(per_cell) or None)
    except SynthError as error:
        st.error(str(error), icon=":material/error:")

result, raw = postprocess.current()
if result is None or raw is None:
    st.stop()
st.subheader("What each step did")
st.dataframe(postprocess.steps_table(result), hide_index=True, key="postprocess_steps_table")
regenerated, short = postprocess.regenerate_summary(result)
if regenerated:
    (st.warning if short else st.info)(regenerated)
for step in result.steps:
    with st.expander(f"{step['step']}: examples"):
        st.dataframe(postprocess.examples(result, step["step"]), hide_index=True)

which = st.radio("Synthetic set on the Compare pages", [postprocess.STEERED, postprocess.RAW_SET], horizontal=True,
                 key="postprocess_use")
postprocess.use_set(which)
st.caption(f"{len(result.posts):,} steered posts from {len(raw):,} raw ones.")

if st.button("Measure before and after", key="postprocess_measure") and not result.posts.empty:
    try:
        st.dataframe(postprocess.before_after(real, raw, result.posts), hide_index=True)
    except SynthError as error:
        st.error(str(error), icon=":material/error:")
