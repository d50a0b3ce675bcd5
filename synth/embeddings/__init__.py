"""Vectors for posts: embedder.py (backends and the disk cache) and projection.py (PCA, UMAP, t-SNE maps)."""
