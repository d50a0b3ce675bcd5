"""Topics page: find the topics real posts share across platforms, edit them, and see them per platform."""

import streamlit as st

from synth.errors import SynthError
from synth.plots.topics import topic_platform_heatmap
from synth.topics.model import drop_topics, merge_topics, rename_topic
from ui import state
from ui import topics as ui_topics
from ui.jobs import Cancelled, settle, show_pending

st.title("Topics shared across platforms")
st.caption(
    "Topics come from the data's topic column when it has two or more, otherwise BERTopic finds them on all "
    "platforms together (MiniLM embeddings, UMAP, HDBSCAN, c-TF-IDF keywords). The fit is cached per dataset."
)
posts = state.get_real_posts()
if posts is None:
    st.info("Load real posts on the Upload posts page first.")
    st.stop()

with st.form("topics_fit"):
    method_column, size_column, platforms_column = st.columns(3)
    method = method_column.selectbox(
        "Method", ["auto", "column", "bertopic"], key="topics_method",
        help="auto: the topic column when it holds 2+ topics, else BERTopic",
    )
    size = size_column.number_input("Smallest topic (0 = automatic)", 0, 10_000, 0, key="topics_min_size")
    min_platforms = platforms_column.number_input("Platforms a topic must be on", 1, 10, 2, key="topics_min_platforms")
    fit = st.form_submit_button("Find topics", type="primary")

if fit:  # the fit runs on the job board: the page stays usable, shows its stages, and can cancel it
    st.session_state["topics_fit_request"] = {"method": method, "min_topic_size": int(size) or None,
                                              "min_platforms": int(min_platforms)}
request = st.session_state.get("topics_fit_request")
if request is not None:
    job = ui_topics.fit_job(posts, **request)
    if not settle(job, 1.0):
        st.caption("Embeddings and fits are cached on disk: the same posts and settings come back at once.")
        show_pending([job], cancel_key="topics_cancel_button")
        st.stop()
    st.session_state["topics_fit_request"] = None
    error = job.future.exception()
    if isinstance(error, Cancelled):
        st.warning(str(error), icon=":material/stop:")
    elif isinstance(error, SynthError):
        st.error(str(error), icon=":material/error:")
    elif error is not None:
        raise error
    else:
        ui_topics.set_topic_set(job.future.result(), ui_topics.posts_hash(posts))

topic_set = ui_topics.get_topic_set(posts)
if topic_set is None:
    st.info("Choose the settings and press **Find topics**.")
    st.stop()
if not topic_set.topics:
    st.warning("No topic is shared by enough platforms. Lower 'Platforms a topic must be on' or the smallest "
               "topic size, or load more posts.")
    st.stop()

found, noise, dropped = st.columns(3)
found.metric("Topics", len(topic_set.topics))
noise.metric("Posts on no topic", sum(topic_set.platform_totals.values()) - len(topic_set.assignments))
dropped.metric("Single-platform topics left out", topic_set.params.get("dropped_single_platform_topics", 0))

st.slider(
    "Minimum share of a platform's posts for a topic to be offered for that platform", 0.0, 0.5,
    value=ui_topics.get_min_share(), step=0.01, key=ui_topics.MIN_SHARE, format="%.2f",
)
normalise = st.toggle("Colour by share of each platform's posts", value=True, key="topics_normalise")
st.plotly_chart(topic_platform_heatmap(topic_set, normalise=normalise), key="topics_heatmap")
st.dataframe(ui_topics.topic_table(topic_set), hide_index=True, key="topics_table")

options = ui_topics.topic_options(topic_set)
rename_tab, merge_tab, drop_tab, posts_tab = st.tabs(["Rename", "Merge", "Drop", "Representative posts"])
with rename_tab:
    chosen = st.selectbox("Topic", list(options), format_func=options.get, key="topics_rename_id")
    # Keyed by topic and filled with its label: picking another topic never leaves the last label in the box.
    label = st.text_input("New label", topic_set.get(chosen).label, key=f"topics_rename_label_{chosen}",
                          max_chars=80)
    if st.button("Rename", key="topics_rename"):
        try:
            ui_topics.set_topic_set(rename_topic(topic_set, chosen, label))
            st.rerun()
        except SynthError as error:
            st.error(str(error), icon=":material/error:")
with merge_tab:
    merged = st.multiselect("Topics to merge", list(options), format_func=options.get, key="topics_merge_ids")
    merged_label = st.text_input("Label of the merged topic (optional)", key="topics_merge_label", max_chars=80)
    if st.button("Merge", key="topics_merge"):
        try:
            ui_topics.set_topic_set(merge_topics(topic_set, merged, merged_label or None))
            st.rerun()
        except SynthError as error:
            st.error(str(error), icon=":material/error:")
with drop_tab:
    dropped_ids = st.multiselect("Topics to drop", list(options), format_func=options.get, key="topics_drop_ids")
    if st.button("Drop", key="topics_drop", disabled=not dropped_ids):
        ui_topics.set_topic_set(drop_topics(topic_set, dropped_ids))
        st.rerun()
with posts_tab:
    shown = st.selectbox("Topic", list(options), format_func=options.get, key="topics_posts_id")
    topic = topic_set.get(shown)
    st.text("Keywords: " + ", ".join(topic.keywords))
    for platform, texts in sorted(topic.representatives.items()):
        st.caption(f"{platform} ({topic.counts.get(platform, 0)} posts)")
        for text in texts:
            st.text(text)  # user text: shown as plain text, never as markdown

st.download_button(
    "Download topics.json", topic_set.to_json(),
    file_name="topics.json", mime="application/json", key="topics_download",
)
