"""Report and export page: the standalone HTML report and the download bundle of the synthetic dataset."""

from pathlib import Path

import streamlit as st

from synth import schema
from synth.errors import SynthError
from synth.report.bundle import find_run_dirs
from ui import compare
from ui.jobs import Cancelled, settle, show_pending

st.title("Report and export")
st.caption(
    "A report that opens in any browser without a server or a network (figures included), and a zip bundle of "
    "the synthetic dataset with its prompts, settings, costs, the report and a dataset card."
)

with st.expander("Compare a synthetic file made elsewhere", icon=":material/upload_file:"):
    compare.synthetic_uploader(key="report_upload")

posts = compare.require_posts()
if posts is None:
    st.stop()
real, synthetic = posts

run_ids = sorted(synthetic[schema.RUN_ID].dropna().astype(str).unique()) if schema.RUN_ID in synthetic else []
found = [str(path) for path in find_run_dirs(run_ids)]
options = st.columns([3, 1, 1])
run_text = options[0].text_input(
    "Run directories (comma-separated)", value=", ".join(found), key="report_run_dirs",
    help="Where the runs of these posts were saved: their prompts, settings and costs go into the bundle. "
    "Leave empty for posts loaded from a file.",
)
samples = int(options[1].number_input("Samples per platform", 1, 50, 5, key="report_samples"))
n_boot = int(options[2].number_input("Bootstrap replicates", 0, 1000, 200, step=50, key="report_n_boot"))
run_dirs = tuple(Path(part.strip()) for part in run_text.split(",") if part.strip())
all_metrics = st.checkbox(
    "Include semantic, multi-platform and privacy metrics", value=False, key="report_all_metrics",
    help="Embeds every post with the bundled MiniLM model (about 2 s per 1,000 posts the first time, cached on "
    "disk after) and runs every metric of `synth evaluate`; without it the report holds the lexical metrics.",
)

if st.button("Build the report and the bundle", type="primary", key="report_build"):
    st.session_state["report_requested"] = True
if not st.session_state.get("report_requested"):
    st.stop()

job = compare.report_job(real, synthetic, run_dirs, samples, n_boot, all_metrics)
if not settle(job, 1.0):  # a build runs off the page: its stages show, and Cancel stops it
    show_pending([job], cancel_key="report_cancel_button")
    st.stop()
error = job.future.exception()
if isinstance(error, Cancelled):
    st.session_state["report_requested"] = False
    st.warning(str(error), icon=":material/stop:")
    st.stop()
if isinstance(error, SynthError):
    st.error(str(error), icon=":material/error:")
    st.stop()
if error is not None:
    raise error
artifacts = job.future.result()

for note in artifacts.notes:
    st.info(note, icon=":material/info:")
downloads = st.columns(2)
downloads[0].download_button("Download the report (HTML)", artifacts.report_html, file_name="synth_report.html",
                             mime="text/html", key="report_download_html", icon=":material/description:")
downloads[1].download_button("Download the bundle (zip)", artifacts.bundle, file_name="synth_bundle.zip",
                             mime="application/zip", key="report_download_bundle", icon=":material/folder_zip:")
st.text(f"Report: {len(artifacts.report_html) / 1e6:.1f} MB (plotly.js included, so it opens offline). "
        f"Bundle: {len(artifacts.bundle) / 1e6:.1f} MB: {', '.join(artifacts.files)}.")
st.subheader("Dataset card")
st.code(artifacts.card, language="markdown", wrap_lines=True)
