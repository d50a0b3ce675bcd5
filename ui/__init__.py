"""The only Streamlit-aware helpers outside pages/: session-state accessors, cache wrappers, widget groups."""
