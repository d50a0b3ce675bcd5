"""Multi-platform topic-based prompts.

render.py holds the templates and the strategies (`STRATEGY_REGISTRY`: name -> help and render function) and
renders them (pure); examples.py draws the real posts a prompt shows; style.py measures each platform's style
profile on real posts; personas.py samples who writes a call's posts (`personas.toml` holds the axes).
"""
