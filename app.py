"""Entry point: page config, navigation over pages/, and the sidebar every page shares. Nothing else."""

from pathlib import Path

import streamlit as st

from ui import embeddings, state

# A local image: an emoji or :material/...: icon makes the browser fetch the favicon from the internet.
FAVICON = str(Path(__file__).parent / "ui" / "static" / "favicon.png")
st.set_page_config(page_title="Synthetic social media lab", page_icon=FAVICON, layout="wide")

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

state.restore_project()  # a reload or a restarted server: the project in the URL comes back
state.keep_widget_values()  # a page's settings survive visits to other pages
state.show_session_summary()
embeddings.embedder_setting()
navigation.run()
