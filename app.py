"""Entry point: page config, navigation over pages/, and the sidebar every page shares. Nothing else."""

import streamlit as st

from ui import embeddings, state

st.set_page_config(page_title="Synthetic social media lab", page_icon=":material/hub:", layout="wide")

# Each screen is one file in pages/; add it here to put it in the menu.
PAGES = {
    "Real data": [
        st.Page("pages/data.py", title="Upload posts", icon=":material/upload_file:", default=True),
        st.Page("pages/topics.py", title="Topics", icon=":material/category:"),
    ],
    "Generate": [
        st.Page("pages/generate.py", title="Generate", icon=":material/auto_awesome:"),
        st.Page("pages/postprocess.py", title="Post-process", icon=":material/tune:"),
    ],
    "Compare": [
        st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
        st.Page("pages/lexical.py", title="Lexical", icon=":material/text_fields:"),
        st.Page("pages/affect.py", title="Affect and diversity", icon=":material/mood:"),
        st.Page("pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:"),
        st.Page("pages/report.py", title="Report and export", icon=":material/download:"),
        st.Page("pages/definitions.py", title="Metric definitions", icon=":material/menu_book:"),
    ],
}

navigation = st.navigation(PAGES)
embeddings.start_umap_warmup()  # UMAP compiles for 15-45 s on first use: do it before anyone asks for a map

state.show_session_summary()
embeddings.embedder_setting()
navigation.run()
