"""Multi-platform topic-based prompts.

render.py holds the templates and the strategies (`STRATEGY_REGISTRY`: name -> help and render function) and
renders them (pure); style.py measures each platform's style profile on real posts.
"""
