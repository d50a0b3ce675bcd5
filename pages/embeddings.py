"""Embeddings page: a map of real and synthetic posts, semantic metrics beside it, and coverage gaps."""

import streamlit as st

from synth import schema
from synth.errors import SynthError
from synth.plots.embeddings import projection_scatter
from ui import embeddings as emb
from ui import state
from ui import topics as ui_topics
from ui.jobs import settle

emb.start_umap_warmup()
st.title("Embeddings")
st.caption(
    "Each dot is a post, placed by the meaning of its text (MiniLM sentence embeddings): posts about the same "
    "thing sit together. Synthetic posts that mingle with real ones are faithful in content; islands of one "
    "colour are what one side has and the other lacks."
)

real, synthetic = state.get_real_posts(), state.get_synthetic_posts()
n_real, n_synthetic = (0 if real is None else len(real)), (0 if synthetic is None else len(synthetic))
has_real, has_synthetic = n_real > 0, n_synthetic > 0
if not has_real and not has_synthetic:
    st.info(
        "No posts in this session yet. Upload real posts on the **Upload posts** page, then generate synthetic "
        "posts (or upload a synthetic set) to compare them here.", icon=":material/info:",
    )
    st.stop()
if not has_synthetic:
    st.info("Only real posts so far: generate or upload synthetic posts to compare them. The map shows the real "
            "posts alone.", icon=":material/info:")
elif not has_real:
    st.info("Only synthetic posts so far: upload real posts on the **Upload posts** page to compare them. The map "
            "shows the synthetic posts alone.", icon=":material/info:")

posts = emb.combine_posts(real, synthetic, ui_topics.get_topic_set(real))
data_key = emb.texts_key(posts)
embedding = emb.embeddings_job(posts, data_key)
if not settle(embedding, 4.0):
    st.caption("Embeddings are kept on disk: this happens once per dataset.")
    emb.show_pending([embedding])
    st.stop()
try:
    vectors = embedding.future.result()
except SynthError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

controls = st.columns([2, 2, 1, 1])
method = controls[0].radio(
    "Map", list(emb.METHOD_LABELS), format_func=emb.METHOD_LABELS.get, horizontal=True, key="embeddings_method",
    help="UMAP keeps neighbourhoods (best for clusters); PCA is linear and instant; t-SNE is slow beyond 10k posts.",
)
color_by = controls[1].selectbox(
    "Colour by", [c for c in emb.COLOR_CHOICES if c in posts.columns and posts[c].notna().any()],
    key="embeddings_color", format_func=emb.COLOR_LABELS.get,
    help="Topics are those of the Topics page for real and synthetic posts alike; the real file's own topic "
         "column is offered apart.",
)
show_real = controls[2].toggle("Real", value=True, key="embeddings_show_real", disabled=not has_real)
show_synthetic = controls[3].toggle(
    "Synthetic", value=True, key="embeddings_show_synthetic", disabled=not has_synthetic
)

try:
    coords, pending = emb.pca_map(data_key, vectors), []
except SynthError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()
if method != "pca":
    map_job = emb.map_job(method, vectors, data_key)
    if settle(map_job, 0.5) and map_job.future.exception() is not None:
        st.error(str(map_job.future.exception()), icon=":material/error:")
    elif map_job.future.done():
        coords = map_job.future.result()
    else:
        pending.append(map_job)
        st.caption(f"Showing PCA while {emb.METHOD_LABELS[method]} computes; the map switches by itself when ready.")

compare_key = f"{data_key}:{n_real}"
extras = []
if has_real and has_synthetic and not pending:  # the map first: both compete for the same cores
    extras = [emb.metrics_job(real, synthetic, vectors, compare_key), emb.coverage_job(real, vectors, compare_key)]

points = posts.assign(x=coords[:, 0], y=coords[:, 1])
visible = points[((points[schema.SOURCE] == schema.REAL) & show_real)
                 | ((points[schema.SOURCE] == schema.SYNTHETIC) & show_synthetic)]
event = st.plotly_chart(
    projection_scatter(visible, color_by=color_by), key="embeddings_map", on_select="rerun",
    selection_mode=("lasso", "box", "points"), width="stretch",
)
st.caption(f"{len(visible):,} of {len(points):,} posts shown. Draw a lasso or a box to read the posts; "
           "double-click the map to zoom to fit.")

chosen = emb.selected_rows(event, visible)
if len(chosen):
    st.subheader(f"{len(chosen):,} selected posts")
    st.dataframe(chosen[emb.SHOWN_COLUMNS], hide_index=True, key="embeddings_selected")

if has_real and has_synthetic:
    with st.container():
        st.subheader("Semantic metrics")
        metrics = extras[0] if extras else None
        if metrics is None or not metrics.future.done():
            st.caption("Computed once the map is ready.")
        elif metrics.future.exception() is not None:
            st.error(str(metrics.future.exception()), icon=":material/error:")
        else:
            st.dataframe(emb.metrics_table(metrics.future.result()), hide_index=True, key="embeddings_metrics",
                         width="stretch", column_config={
                             "definition": st.column_config.TextColumn(width="large"),
                             "identifier": st.column_config.TextColumn(help="the name in metrics.json")})

if has_real and has_synthetic:
    st.header("Coverage gaps")
    st.caption("Clusters of real posts with (almost) no synthetic post near them: topics the generator missed.")
    coverage = extras[1] if extras else None
    if coverage is None or not coverage.future.done():
        st.caption("Computed once the map is ready.")
    elif coverage.future.exception() is not None:
        st.error(str(coverage.future.exception()), icon=":material/error:")
    else:
        plan = emb.coverage_panel(coverage.future.result(), n_synthetic=n_synthetic)
        if plan is not None:
            state.set_targeted_plan(plan)
            emb.go_to_generate()

if pending or any(not job.future.done() for job in extras):
    emb.show_pending(pending + [job for job in extras if not job.future.done()])
