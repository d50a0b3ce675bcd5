"""Metric definitions page: what every number on the Compare pages means, in words someone can cite."""

import pandas as pd
import streamlit as st

from synth.report.html import metric_definitions

st.title("Metric definitions")
st.caption(
    "Every fidelity number in this app and in its reports, defined so you can cite it and recompute it. "
    "Each synthetic-vs-real value is shown beside the real-vs-real baseline: the real posts split in two seeded "
    "halves (stratified by platform), which is the closest a perfect generator could get on data of that size. "
    "The split is drawn several times (seeds seed, seed + 1, ...): the baseline is the mean over the splits and "
    "its spread (± or baseline_std) the noise of the baseline itself."
)

query = st.text_input("Search", key="definitions_search", placeholder="e.g. jaccard, coverage, bootstrap")
definitions = metric_definitions()
section = st.radio("Section", ["All", *definitions], horizontal=True, key="definitions_section")

shown = 0
for title, entries in definitions.items():
    if section not in ("All", title):
        continue
    table = pd.DataFrame({"metric": list(entries), "definition": list(entries.values())})
    if query:
        needle = query.strip().lower()
        table = table[table["metric"].str.lower().str.contains(needle, regex=False)
                      | table["definition"].str.lower().str.contains(needle, regex=False)]
    if table.empty:
        continue
    shown += len(table)
    st.subheader(title)
    st.table(table.set_index("metric"))
if not shown:
    st.info("No definition matches this search.", icon=":material/search_off:")
