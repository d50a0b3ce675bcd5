"""synth: high-fidelity synthetic multi-platform social media datasets, and how faithful they are.

The library never imports Streamlit: it is usable from a notebook, the CLI (`python -m synth`) and the app.
"""

__version__ = "0.1.0"
