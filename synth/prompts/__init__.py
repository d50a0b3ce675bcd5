"""Multi-platform topic-based prompts.

render.py holds the templates and renders them (pure); style.py measures each platform's style profile on
real posts.
"""
