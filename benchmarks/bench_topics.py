"""Topic discovery on the 11k-post covid_vaccine set: seconds cold and warm. Prints JSON.

Three timings, in one process, in this order:
- `cold_s`: nothing cached (fresh embedding and topic caches): embed every post with MiniLM, UMAP (including
  numba's first-call compilation), HDBSCAN, c-TF-IDF, representatives;
- `cold_fit_s`: embeddings already cached (as after the Embeddings page or a metrics run), topic cache empty;
- `warm_s`: the topic set read back from the disk cache (what a page click or a second CLI run costs).
Targets from the issue: cold under 60 s, warm under 1 s.

Usage: .venv/bin/python benchmarks/bench_topics.py [--data ../shared/data/covid_vaccine/posts.csv]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "covid_vaccine" / "posts.csv")
    parser.add_argument("--max-posts", type=int, default=20_000, help="fit on a seeded sample of this many posts")
    args = parser.parse_args()
    if not args.data.is_file():
        print(json.dumps({"error": f"{args.data} not found"}))
        return 2
    cache = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    os.environ["SYNTH_CACHE_DIR"] = str(cache)  # read when the embedder is built: a truly cold cache

    from synth.embeddings.embedder import get_default_embedder
    from synth.io import load_posts
    from synth.topics.discover import discover_topics

    posts = load_posts(args.data).posts
    embedder = get_default_embedder()

    started = time.perf_counter()
    topic_set = discover_topics(posts, embedder=embedder, cache_dir=cache / "topics-1", max_posts=args.max_posts)
    cold = time.perf_counter() - started

    started = time.perf_counter()
    discover_topics(posts, embedder=embedder, cache_dir=cache / "topics-2", max_posts=args.max_posts)
    cold_fit = time.perf_counter() - started

    started = time.perf_counter()
    warm_set = discover_topics(posts, embedder=embedder, cache_dir=cache / "topics-2", max_posts=args.max_posts)
    warm = time.perf_counter() - started

    print(json.dumps({
        "dataset": args.data.parent.name,
        "posts": len(posts),
        "max_posts": args.max_posts,
        "platforms": topic_set.platform_totals,
        "method": topic_set.method,
        "topics": len(topic_set.topics),
        "posts_on_a_topic": len(topic_set.assignments),
        "params": topic_set.params,
        "cold_s": round(cold, 2),
        "cold_fit_s": round(cold_fit, 2),
        "warm_s": round(warm, 3),
        "warm_equals_cold": warm_set == topic_set,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
