"""Remote embeddings and large-set metric memory. Prints JSON.

1. `endpoint`: vectors per second through the remote embedder's whole path (batching, HTTP, JSON, threads,
   normalisation, the disk cache) against a loopback OpenAI-compatible fake (tests/embeddings/fake_server.py,
   hashing vectors of 384 dimensions, so the server's own work is small and the client's cost shows). Cold
   (every text sent) at 1 and 4 requests in flight, then warm (every vector read back from the cache).
2. `metrics_memory`: peak resident memory and time of the blocked nearest-neighbour + PRDC pass
   (`synth.metrics.semantic.neighbour_metrics`, the O(n^2) part of the semantic metrics) on N real + N
   synthetic unit vectors, each size in a fresh subprocess (ru_maxrss). Vectors are clustered random
   Gaussian draws (seeded), not posts: memory and time depend on the sizes, not on the texts.

Usage: python benchmarks/bench_embed_remote.py [--texts 20000] [--sizes 10000:384,20000:384,50000:32]
(SIZE:DIM pairs, N real + N synthetic each; 200000:384 is the issue's size: hours of CPU on 2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def endpoint_figures(n_texts: int) -> dict[str, object]:
    from synth.embeddings.embedder import CachedEmbedder
    from synth.embeddings.remote import RemoteEmbedder
    from tests.embeddings.fake_server import embedding_server

    texts = [f"post {i}: the clinic on street {i % 997} gave me dose {i % 3} #vaccine" for i in range(n_texts)]
    figures: dict[str, object] = {"texts": n_texts, "dim": 384, "batch_size": 32}
    with tempfile.TemporaryDirectory() as cache, embedding_server(dim=384) as fake:
        for concurrency in (1, 4):
            embedder = CachedEmbedder(RemoteEmbedder("fake-embed", fake.base_url, concurrency=concurrency),
                                      Path(cache) / f"c{concurrency}")
            start = time.perf_counter()
            vectors = embedder.embed(texts)
            seconds = time.perf_counter() - start
            assert vectors.shape == (n_texts, 384)
            figures[f"cold_vectors_per_s_concurrency_{concurrency}"] = round(n_texts / seconds)
        warm = CachedEmbedder(RemoteEmbedder("fake-embed", fake.base_url), Path(cache) / "c4")
        start = time.perf_counter()
        warm.embed(texts)
        figures["warm_vectors_per_s"] = round(n_texts / (time.perf_counter() - start))
        figures["server_requests"] = fake.requests
    return figures


def one_size(n: int, dim: int) -> dict[str, object]:
    """Run in a subprocess: the blocked neighbour pass on n + n vectors; its peak RSS."""
    import numpy as np

    from synth.metrics.semantic import neighbour_metrics

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, dim)).astype(np.float32)

    def draw(count: int) -> np.ndarray:
        vectors = centres[rng.integers(0, 50, count)] + 0.8 * rng.standard_normal((count, dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    real, synthetic = draw(n), draw(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    metrics = neighbour_metrics(real, synthetic, k=5)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "real": n, "synthetic": n, "dim": dim, "seconds": round(seconds, 1),
        "vectors_mb": round(2 * n * dim * 4 / 1e6, 1),
        "peak_rss_mb": round(peak / 1024, 1), "rss_before_pass_mb": round(before / 1024, 1),
        "precision": round(metrics["precision"], 4), "coverage": round(metrics["coverage"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--sizes", default="10000:384,20000:384,50000:32")
    parser.add_argument("--one-size", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        n, dim = map(int, args.one_size.split(":"))
        print(json.dumps(one_size(n, dim)))
        return
    result: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "endpoint": endpoint_figures(args.texts),
    }
    sizes = []
    for size in args.sizes.split(","):
        output = subprocess.run([sys.executable, __file__, "--one-size", size], capture_output=True, text=True,
                                check=True)
        sizes.append(json.loads(output.stdout))
    result["metrics_memory"] = sizes
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
