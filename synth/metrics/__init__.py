"""Fidelity metrics: pure functions comparing a set of real posts with a set of synthetic ones.

Modules: `lexical` (surface statistics), `semantic` (embedding space), `multiplatform` (what differs between
platforms), `privacy` (copies of real posts and within-set quality), and `baseline` (the seeded real-vs-real
split every metric is shown beside). Each metric module exposes `DEFINITIONS` (metric key -> definition).
Import the modules you need; this package imports nothing heavy.
"""
