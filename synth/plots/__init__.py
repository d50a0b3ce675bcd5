"""Plotly figures, one module per screen; each function returns a Figure."""
