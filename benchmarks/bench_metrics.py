"""Embedding and semantic-metric timings on 11k real vs 10k "synthetic" posts. Prints JSON.

Real: ../shared/data/covid_vaccine/posts.csv (11,324 posts, twitter + reddit).
Synthetic stand-in (as in bench_lexical.py): ../shared/data/zomato/posts.csv (2,900 posts) resampled with
replacement to 10,000 rows (seed 0), so only its distinct texts reach the model when cold.

Measured, each once, in this order:
- `embed_cold`: the bundled MiniLM (CPU) through an empty disk cache, real then synthetic posts; model load
  reported apart. Only distinct texts are embedded (the cache deduplicates).
- `embed_warm`: fresh CachedEmbedder objects on the same cache reading all 21,324 vectors back (target < 3 s).
- `classifier_auc`, `prdc` (nearest-real cosine, top-k recall, precision, recall, density, coverage in one
  pass), `frechet`, `mauve`: synthetic vs real, all posts.
- `compare_semantic` and `compare_multiplatform`: the whole sections as `synth evaluate` runs them.
- `sections_warm`: every section of metrics.json (lexical, semantic, multiplatform, privacy, affect,
  diversity, utility, detector) with the real side already fitted once (`Reference`, with its embeddings,
  tokens and affect computed before timing: "warm"), the new metrics of issue 13 among them, and their sum.
  `affect_real_fit_s` is the one-off cost of the real side's affect. This is one `synth evaluate` with the
  embeddings cached: the real-vs-real baselines are computed in it.
- `sections_reference_reused_s`: the same sections again with the same Reference, which now holds the
  real-vs-real baselines (`Reference.real_only`): what each further synthetic set or each model of
  `evaluate(by="model")` costs.

Usage: python benchmarks/bench_metrics.py [--cache-dir DIR] [--random-vectors] [--before REF]
(default cache: a fresh temporary folder, removed after). --random-vectors skips the model and uses seeded
random unit vectors: the metric timings then measure the metric code alone (values are meaningless).
--before REF (with --random-vectors) also times the sections with the `synth` package of git revision REF
(exported to a temporary folder, run in a subprocess just before this code's run), and prints both with the
ratios, so before and after share one machine and one load.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# BENCH_SYNTH_ROOT: a folder holding another revision's `synth` package to time instead (see --before).
sys.path.insert(0, os.environ.get("BENCH_SYNTH_ROOT", str(ROOT)))

from synth.embeddings.embedder import CachedEmbedder, SentenceTransformerEmbedder  # noqa: E402
from synth.metrics import semantic  # noqa: E402
from synth.metrics.multiplatform import compare_multiplatform  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    real = pd.read_csv(DATA / "covid_vaccine" / "posts.csv", usecols=["post_id", "platform", "text", "topic"])
    zomato = pd.read_csv(DATA / "zomato" / "posts.csv", usecols=["post_id", "platform", "text", "topic"])
    synthetic = zomato.sample(10_000, replace=True, random_state=0).reset_index(drop=True)
    synthetic["post_id"] = [f"s{i}" for i in range(len(synthetic))]
    for frame in (real, synthetic):
        frame["text"] = frame["text"].astype("string").fillna("")
    return real, synthetic


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = work()
    return value, round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help="embedding cache folder (default: fresh, temporary)")
    parser.add_argument("--random-vectors", action="store_true", help="time the metrics on random vectors")
    parser.add_argument("--before", metavar="REF", help="with --random-vectors: also time git revision REF")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"needs the real posts in {DATA}")
    if args.before and not args.random_vectors:
        raise SystemExit("--before needs --random-vectors")
    before = _time_revision(args.before) if args.before else None
    real, synthetic = load()
    if args.random_vectors:
        rng = np.random.default_rng(0)
        vectors = [rng.standard_normal((len(frame), 384)).astype(np.float32) for frame in (real, synthetic)]
        after = sections_warm(real, synthetic, *vectors)
        report = {"machine": _machine(), "posts": {"real": len(real), "synthetic": len(synthetic)},
                  "vectors": "random (seed 0)", "synth_from": str(Path(semantic.__file__).parents[2]), **after}
        if before is not None:
            report = {**report, "before": {"revision": args.before, **before}, "ratios": _ratios(before, after)}
        print(json.dumps(report, indent=2))
        return
    real_texts, synthetic_texts = real["text"].tolist(), synthetic["text"].tolist()
    with tempfile.TemporaryDirectory() as scratch:
        cache_dir = args.cache_dir or Path(scratch)
        model = SentenceTransformerEmbedder()
        _, load_s = timed(model._load)  # the one-off model load, reported apart from embedding
        cold = CachedEmbedder(model, cache_dir)
        _, cold_real_s = timed(lambda: cold.embed(real_texts))
        _, cold_synthetic_s = timed(lambda: cold.embed(synthetic_texts))
        embedded = cold.misses

        warm = CachedEmbedder(model, cache_dir)
        real_vectors, warm_real_s = timed(lambda: warm.embed(real_texts))
        synthetic_vectors, warm_synthetic_s = timed(lambda: warm.embed(synthetic_texts))
        assert warm.misses == 0, "warm pass embedded texts: the cache did not answer"

    with semantic.small_linear_algebra():
        auc, auc_s = timed(lambda: semantic.classifier_auc(real_vectors, synthetic_vectors, seed=0))
        fd, frechet_s = timed(lambda: semantic.frechet_distance(real_vectors, synthetic_vectors))
        mauve, mauve_s = timed(lambda: semantic.mauve_score(real_vectors, synthetic_vectors, seed=0))
    prdc, prdc_s = timed(lambda: semantic.neighbour_metrics(real_vectors, synthetic_vectors, k=semantic.K_NEIGHBOURS))
    _, semantic_s = timed(lambda: semantic.compare_semantic(
        real, synthetic, real_embeddings=real_vectors, synthetic_embeddings=synthetic_vectors, seed=0))
    _, multiplatform_s = timed(lambda: compare_multiplatform(
        real, synthetic, real_embeddings=real_vectors, synthetic_embeddings=synthetic_vectors, seed=0))

    print(json.dumps({
        "machine": _machine(),
        "posts": {"real": len(real), "synthetic": len(synthetic),
                  "distinct_texts_embedded_cold": embedded},
        "embed_cold": {"model_load_s": load_s, "real_s": cold_real_s, "synthetic_s": cold_synthetic_s,
                       "texts_per_s": round(embedded / max(cold_real_s + cold_synthetic_s, 1e-9), 1)},
        "embed_warm": {"real_s": warm_real_s, "synthetic_s": warm_synthetic_s,
                       "total_s": round(warm_real_s + warm_synthetic_s, 3), "target_s": 3.0},
        "classifier_auc": {"seconds": auc_s, "value": auc, "max_per_side": semantic.CLASSIFIER_MAX_PER_SIDE,
                           "folds": semantic.CLASSIFIER_FOLDS},
        "prdc": {"seconds": prdc_s, "k": semantic.K_NEIGHBOURS, **prdc},
        "frechet": {"seconds": frechet_s, "value": fd},
        "mauve": {"seconds": mauve_s, "value": mauve},
        "compare_semantic_s": semantic_s,
        "compare_multiplatform_s": multiplatform_s,
        **sections_warm(real, synthetic, real_vectors, synthetic_vectors),
    }, indent=2))


def _time_revision(revision: str) -> dict[str, Any]:
    """sections_warm of git revision `revision`'s synth package, run in a subprocess (--random-vectors)."""
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "synth"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        run = subprocess.run([sys.executable, __file__, "--random-vectors"], check=True, capture_output=True,
                             text=True, env={**os.environ, "BENCH_SYNTH_ROOT": folder})
    report = json.loads(run.stdout)
    return {key: report[key] for key in report if key not in ("machine", "posts", "vectors", "synth_from")} | {
        "synth_from_tmp": report["synth_from"] != str(ROOT)}


def _ratios(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """before / after seconds, per section and in total (how many times faster)."""
    def ratio(old: float, new: float) -> float | None:
        return round(old / new, 1) if new > 0 else None

    return {
        "sections_warm": {name: ratio(seconds, after["sections_warm_s"][name])
                          for name, seconds in before["sections_warm_s"].items() if name in after["sections_warm_s"]},
        "all_sections_warm": ratio(before["all_sections_warm_s"], after["all_sections_warm_s"]),
        "new_metrics_warm": ratio(before["new_metrics_warm_s"], after["new_metrics_warm_s"]),
        "all_sections_reference_reused": ratio(before["all_sections_warm_s"],
                                               after.get("all_sections_reference_reused_s", 0.0)),
    }


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": os.getloadavg()}


def sections_warm(real: pd.DataFrame, synthetic: pd.DataFrame, real_vectors: np.ndarray,
                  synthetic_vectors: np.ndarray) -> dict[str, Any]:
    """Seconds of every metrics.json section with the real side fitted once beforehand."""
    from synth.metrics.affect import compare_affect
    from synth.metrics.diversity import compare_diversity
    from synth.metrics.lexical import compare_lexical, lexical_features
    from synth.metrics.privacy import privacy_report
    from synth.metrics.reference import Reference
    from synth.metrics.utility import compare_utility, detector

    reference = Reference(real, vectors=real_vectors)
    _ = reference.features, reference.counts, reference.splits
    _, affect_real_s = timed(lambda: reference.affect)
    embeddings = {"real_embeddings": real_vectors, "synthetic_embeddings": synthetic_vectors}
    # As evaluate does; revisions before privacy_report took a reference go without.
    privacy_options = {"reference": reference} if "reference" in inspect.signature(privacy_report).parameters else {}
    work: dict[str, Callable[[], Any]] = {
        "lexical": lambda: compare_lexical(real, synthetic, reference=reference),
        "semantic": lambda: semantic.compare_semantic(real, synthetic, **embeddings, reference=reference),
        "multiplatform": lambda: compare_multiplatform(real, synthetic, **embeddings, reference=reference,
                                                       synthetic_features=lexical_features(synthetic)),
        "privacy": lambda: privacy_report(real, synthetic, embeddings=(real_vectors, synthetic_vectors),
                                          **privacy_options),
        "affect": lambda: compare_affect(real, synthetic, reference=reference),
        "diversity": lambda: compare_diversity(real, synthetic, **embeddings, reference=reference),
        "utility": lambda: compare_utility(real, synthetic, **embeddings, reference=reference),
        "detector": lambda: detector(real, synthetic, **embeddings, reference=reference),
    }
    seconds = {name: timed(job)[1] for name, job in work.items()}
    new = ("affect", "diversity", "utility", "detector")
    result: dict[str, Any] = {
        "affect_real_fit_s": affect_real_s,
        "sections_warm_s": seconds,
        "new_metrics_warm_s": round(sum(seconds[name] for name in new), 3),
        "all_sections_warm_s": round(sum(seconds.values()), 3),
        "target_all_warm_s": 5.0,
    }
    if hasattr(reference, "real_only"):  # revisions before Reference kept the baselines have no second figure
        again = {name: timed(job)[1] for name, job in work.items()}
        result["sections_reference_reused_s"] = again
        result["all_sections_reference_reused_s"] = round(sum(again.values()), 3)
    return result


if __name__ == "__main__":
    main()
