"""Data page: upload real posts, check how each file was read and mapped, and see the validation report."""

import streamlit as st

from synth.errors import InputError
from synth.io import MAX_ROWS, MAX_UPLOAD_MB, posts_to_bytes
from ui import ingest, state
from ui.demo import demo_posts
from ui.format import escape_markdown
from ui.projects import project_panel

st.title("Upload real posts")
project_panel()
st.caption(
    f"CSV, TSV, JSON, JSON Lines, Parquet or Excel (.xlsx); X/Twitter API, Reddit, Telegram, YouTube and "
    f"CrowdTangle exports are recognised. Up to {MAX_UPLOAD_MB} MB and {MAX_ROWS:,} rows per file. "
    "One file per platform is fine: choose the platform of files that do not name one."
)

uploads = st.file_uploader(
    "Files of posts", accept_multiple_files=True, key="data_uploads", max_upload_size=MAX_UPLOAD_MB,
    help="Drag and drop several files at once.",
) or []
ingest.forget_other_uploads({upload.file_id for upload in uploads})

loaded = []
for upload in uploads:
    with st.expander(escape_markdown(upload.name), expanded=True):
        raw = ingest.read_upload(upload)
        if isinstance(raw, InputError):
            st.error(escape_markdown(raw), icon=":material/error:")
            continue
        st.caption("Read as " + ingest.describe(raw))
        mapping, platform = ingest.mapping_widgets(raw, upload.file_id)
        if mapping.text is None:
            st.warning("No column looks like post text: choose the text column to load this file.",
                       icon=":material/help:")
            continue
        if mapping.platform is None and platform is None:
            st.warning("Choose the platform of this file's posts to load it.", icon=":material/help:")
            continue
        try:
            loaded.append(ingest.to_posts(raw, upload.file_id, mapping, platform))
        except InputError as error:
            st.error(escape_markdown(error), icon=":material/error:")

if loaded:
    posts, report = ingest.combine_files(loaded)
    state.set_real_posts(posts, report)
elif uploads:
    st.info("No file is loaded yet: fix the problems above. Posts loaded earlier are kept.")

posts, report = state.get_real_posts(), state.get_ingest_report()
if posts is None:
    st.info("Upload one or more files of posts to start, or try the app on a small demo set.")
    if st.button("Load the demo posts", key="data_demo_button", icon=":material/science:",
                 help="60 short posts written for this app (vaccines and food delivery on Twitter/X, Reddit and "
                      "Instagram): no real person's words."):
        state.set_real_posts(*demo_posts())
        st.rerun()
    st.stop()
if not uploads:
    st.caption(escape_markdown(f"{len(posts):,} real posts saved in this project; upload files to replace them."))

if report is not None:
    st.subheader("Validation report")
    kept, read = st.columns(2)
    kept.metric("Posts kept", f"{report.rows_kept:,}")
    read.metric("Rows read", f"{report.rows_read:,}")
    st.dataframe(ingest.report_tables(report), hide_index=True, key="report_table")
    for file in report.files:
        for reason, examples in file.examples.items():
            st.caption(escape_markdown(f"{file.name}, {reason}, e.g.: " + "; ".join(examples)))
        for note in file.notes:
            st.caption(escape_markdown(f"{file.name}: {note}"))
    for note in report.notes:
        st.caption(escape_markdown(note))
    if report.languages:
        st.caption(escape_markdown("Languages (sample): " + ", ".join(
            f"{language} {share:.0%}" for language, share in report.languages.items())))

st.subheader("Per platform")
stats, figure = ingest.stats_figure(posts)
st.dataframe(stats, hide_index=True, key="stats_table",
             column_config={c: st.column_config.NumberColumn(format="percent") for c in stats.columns
                            if c.startswith("with_")})
st.plotly_chart(figure, key="stats_chart")

st.subheader("Preview")
st.dataframe(posts.head(200), hide_index=True, key="preview_table")
st.download_button(
    "Download the validated posts (CSV)", data=lambda: posts_to_bytes(posts, "csv"), file_name="real_posts.csv",
    mime="text/csv", on_click="ignore", key="download_real_posts",
)
