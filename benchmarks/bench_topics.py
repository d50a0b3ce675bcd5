"""Topic discovery before and after the issue-12 speed-ups, in one run: seconds cold and warm, and quality. Prints JSON.

Two datasets: a seeded sample of 2,500 covid_vaccine posts and all 11,324. For each, every timing is taken in a
fresh Python process (numba compiles UMAP per process, so an in-process "second call" would hide it):

- `embed_s_before` / `embed_s`: every post embedded by each side's default embedder (the bundled MiniLM; set
  `--after-embedder minilm-openvino` times the OpenVINO one on the after side) into an empty cache of its own;
- `cold_fit_s`: `discover_topics` in a new process with the embeddings cached and the topic cache empty:
  imports, UMAP (numba compile included), HDBSCAN, c-TF-IDF, representatives;
- `cold_s` = `embed_s` + `cold_fit_s`: what a first discovery costs when nothing is cached;
- `warm_s`: the topic set read back from the disk cache.

`before` runs the code of `--before` (a git revision, extracted to a temporary folder); `after` runs this
checkout twice: `after_first_process` with an empty numba cache (the first process ever on a machine, which
compiles and stores), then `after` with that cache filled (every later process, and a server after its
warm-up). Quality: `topics_shared` (topics on >= 2 platforms: the only ones kept) and `noise_share` (posts
HDBSCAN left on no topic, over the posts fitted).

Targets from the issue: cold under 60 s on the 11k posts, under 20 s on 2,500.

Usage: .venv/bin/python benchmarks/bench_topics.py [--data ../shared/data/covid_vaccine/posts.csv]
    [--before 640c3e0] [--sizes 2500,all]
(`--before aa96650`, the last commit before OpenVINO, isolates the embedder's share.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "640c3e0"  # the last commit before the issue-12 topic speed-ups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "covid_vaccine" / "posts.csv")
    parser.add_argument("--before", default=BEFORE, help="git revision whose code is the baseline")
    parser.add_argument("--sizes", default="2500,all", help="seeded sample sizes ('all': every post)")
    parser.add_argument("--after-embedder", help="embedder setting for the after side (default: its default)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement in this process
    args = parser.parse_args()
    if args.child:
        return _child(json.loads(args.child))
    if not args.data.is_file():
        print(json.dumps({"error": f"{args.data} not found"}))
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    before_root = _extract(args.before, work / "before")
    results: dict[str, Any] = {
        "data": args.data.parent.name, "before": args.before, "cpu_count": os.cpu_count(),
        "python": platform.python_version(), "load_average_1m_start": round(os.getloadavg()[0], 2),
    }
    for size in args.sizes.split(","):
        sample = None if size == "all" else int(size)
        # Each side embeds with its own default embedder into its own cache (their vectors are keyed apart).
        base = {"data": str(args.data), "sample": sample, "cache": str(work / f"cache-after-{size}"),
                "embedder": args.after_embedder}
        base_before = base | {"cache": str(work / f"cache-before-{size}"), "embedder": None}
        embedded_before = _run(before_root, base_before | {"job": "embed"})
        embedded = _run(ROOT, base | {"job": "embed"})
        before = _run(before_root, base_before | {"job": "fit", "topics": str(work / f"topics-before-{size}")})
        numba = {"NUMBA_CACHE_DIR": str(work / f"numba-{size}")}  # empty: the first process compiles
        first = _run(ROOT, base | {"job": "fit", "topics": str(work / f"topics-first-{size}")}, numba)
        after = _run(ROOT, base | {"job": "fit", "topics": str(work / f"topics-after-{size}")}, numba)
        before["cold_s"] = round(embedded_before["embed_s"] + before["cold_fit_s"], 2)
        for fit in (first, after):
            fit["cold_s"] = round(embedded["embed_s"] + fit["cold_fit_s"], 2)
        results[f"posts_{size}"] = {
            "posts": embedded["posts"], "embed_s_before": embedded_before["embed_s"], "embed_s": embedded["embed_s"],
            "embed_ratio": round(embedded_before["embed_s"] / embedded["embed_s"], 2),
            "before": before, "after_first_process": first, "after": after,
            "cold_ratio": round(before["cold_s"] / after["cold_s"], 2),
            "cold_fit_ratio": round(before["cold_fit_s"] / after["cold_fit_s"], 2),
            "cold_fit_ratio_first_process": round(before["cold_fit_s"] / first["cold_fit_s"], 2),
        }
    results["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))
    return 0


def _extract(revision: str, folder: Path) -> Path:
    """The `synth` package of `revision`, unpacked into `folder` (the baseline's code, beside this one's)."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "synth"], capture_output=True, check=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _run(code_root: Path, job: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """One measurement in a fresh process running the `synth` package found in `code_root`."""
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"} | (env or {})
    environment["SYNTH_CACHE_DIR"] = job["cache"]  # read when the embedder is built
    environment["PYTHONPATH"] = str(code_root)
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(job)], env=environment, capture_output=True, text=True,
        cwd=code_root,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement {job} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _child(job: dict[str, Any]) -> int:
    from synth.embeddings.embedder import get_default_embedder
    from synth.io import load_posts

    posts = load_posts(Path(job["data"])).posts
    if job["sample"] and job["sample"] < len(posts):
        posts = posts.sample(job["sample"], random_state=0)
    if job.get("embedder"):
        from synth.embeddings.remote import embedder_from_spec

        embedder = embedder_from_spec(job["embedder"])
    else:
        embedder = get_default_embedder()
    if job["job"] == "embed":
        started = time.perf_counter()
        embedder.embed(posts["text"].astype(str).tolist())
        print(json.dumps({"posts": len(posts), "embed_s": round(time.perf_counter() - started, 2)}))
        return 0
    from synth.topics.discover import discover_topics

    started = time.perf_counter()
    topic_set = discover_topics(posts, embedder=embedder, cache_dir=job["topics"])
    cold_fit = time.perf_counter() - started
    started = time.perf_counter()
    warm_set = discover_topics(posts, embedder=embedder, cache_dir=job["topics"])
    warm = time.perf_counter() - started
    print(json.dumps({
        "cold_fit_s": round(cold_fit, 2),
        "warm_s": round(warm, 3),
        "warm_equals_cold": warm_set == topic_set,
        "topics_shared": len(topic_set.topics),
        "dropped_single_platform_topics": topic_set.params["dropped_single_platform_topics"],
        "noise_share": round(topic_set.params["noise_posts"] / len(posts), 3),
        "posts_on_a_topic_share": round(len(topic_set.assignments) / len(posts), 3),
        "embedding_cache_misses": embedder.misses,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
