"""Local generation before and after issue 12: posts per minute and CPU-seconds per post, per strategy, on
3 topics x 3 platforms x 4 posts of ../shared/data/zomato, with fidelity to held-out real posts. Prints JSON.

"Before" is the old behaviour emulated from today's code with explicit settings: a flat max_tokens of 256,
no `</post>` stop sequence (the completion strategy keeps its `### Post` stop, which it always had) and fresh
examples for every call (`calls_per_prompt=1`). "After" is the new defaults: max_tokens from the platform's
real length, the `</post>` stop, and up to 4 calls of a cell sharing one prompt that llama.cpp evaluates once.

The real posts are split in two halves (seeded, per platform): prompts take their examples and style from the
train half only; fidelity (nearest-real cosine and classifier AUC, `synth.metrics.semantic`, MiniLM vectors) is
measured against the held-out half, with a bootstrap standard error over the synthetic posts so a
before/after difference can be called within noise or not (|diff| < 2 SE of the difference). Topics are
three keyword topics (delivery, refunds and support, food): no topic model, so the benchmark stays short.

Before and after run the same plan through `run_generation` (the response cache off, a fresh store each
time), interleaved topic by topic and swapping which goes first, so load on this shared machine falls on
both. CPU seconds come from getrusage(RUSAGE_SELF), which counts llama.cpp's threads. Usage:
    python benchmarks/bench_local_generation.py [--data ../shared/data/zomato/posts.csv]
        [--strategies topic,examples-only,platform-aware,completion] [--per-cell 4] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth import schema  # noqa: E402
from synth.backends.base import GenerationOptions  # noqa: E402
from synth.backends.registry import create_backend  # noqa: E402
from synth.generate import GenerationConfig, ModelConfig, plan_run, run_generation  # noqa: E402
from synth.generate.plan import Plan  # noqa: E402
from synth.prompts.render import POST_END_STOP  # noqa: E402
from synth.topics.model import TopicSpec  # noqa: E402

PLATFORMS = ("twitter", "reddit", "youtube")
# Keyword topics: a post joins the first topic whose pattern it matches (the others are fallback examples).
TOPICS = (
    (TopicSpec("delivery", "late and missing deliveries", ("delivery", "late", "order", "rider")),
     r"deliver|late|rider|order"),
    (TopicSpec("support", "refunds and customer support", ("refund", "customer care", "support", "complaint")),
     r"refund|customer care|support|complain"),
    (TopicSpec("food", "food and restaurants", ("food", "restaurant", "taste", "biryani")),
     r"food|restaurant|taste|biryani|pizza"),
)
MODELS = {"completion": "local:gemma3-270m"}  # strategy -> model; the chat strategies use SmolLM2
CHAT_MODEL = "local:smollm2"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process, llama.cpp's included
    return usage.ru_utime + usage.ru_stime


def split_halves(posts: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded half of each platform's posts for prompts (train), the rest held out for fidelity."""
    rng = np.random.default_rng(seed)
    train = np.zeros(len(posts), dtype=bool)
    for _, rows in posts.groupby(schema.PLATFORM, observed=True).indices.items():
        train[rng.permutation(rows)[: len(rows) // 2]] = True
    return posts[train].copy(), posts[~train].copy()


def label_topics(posts: pd.DataFrame) -> pd.DataFrame:
    text = posts[schema.TEXT].astype(str).str.lower()
    topic = pd.Series("other", index=posts.index, dtype=object)
    for spec, pattern in reversed(TOPICS):  # reversed: the first matching topic is written last and wins
        topic[text.str.contains(pattern, regex=True)] = spec.topic_id
    return posts.assign(**{schema.TOPIC: topic})


def plans(strategy: str, train: pd.DataFrame, per_cell: int, seed: int) -> dict[str, Plan]:
    spec = MODELS.get(strategy, CHAT_MODEL)
    common = dict(
        models=(ModelConfig(spec),), topics=tuple(topic for topic, _ in TOPICS), platforms=PLATFORMS,
        per_cell=per_cell, strategy=strategy, k=5, seed=seed, use_cache=False,
    )
    after = plan_run(GenerationConfig(**common), train)
    before = plan_run(
        GenerationConfig(**common, options=GenerationOptions(max_tokens=256), calls_per_prompt=1), train
    )
    # The old code had no `</post>` stop: take it out of the requests (nothing else differs).
    old_calls = tuple(
        dataclasses.replace(call, request=dataclasses.replace(call.request, options=dataclasses.replace(
            call.request.options, stop=tuple(s for s in call.request.options.stop if s != POST_END_STOP))))
        for call in before.calls
    )
    return {"before": dataclasses.replace(before, calls=old_calls), "after": after}


def run_interleaved(strategy: str, sides: dict[str, Plan], backend: Any, tmp: Path) -> dict[str, dict[str, Any]]:
    """Run both plans topic by topic, alternating which side goes first."""
    figures = {side: {"seconds": 0.0, "cpu_seconds": 0.0, "posts": 0, "planned_posts": 0, "calls": 0,
                      "input_tokens": 0, "output_tokens": 0, "failed_calls": 0, "refusals": 0, "texts": [],
                      "platforms": []} for side in sides}
    spec = next(iter(sides.values())).calls[0].model_spec
    for number, (topic, _) in enumerate(TOPICS):
        order = ("before", "after") if number % 2 == 0 else ("after", "before")
        for side in order:
            plan = sides[side]
            chunk = tuple(call for call in plan.calls if call.topic_id == topic.topic_id)
            chunk_plan = dataclasses.replace(plan, run_id=f"{strategy}-{side}-{topic.topic_id}", calls=chunk)
            started, started_cpu = time.perf_counter(), cpu_seconds()
            result = run_generation(chunk_plan, tmp / chunk_plan.run_id, backends={spec: backend},
                                    cache_path=tmp / "cache.sqlite")
            f = figures[side]
            f["seconds"] += time.perf_counter() - started
            f["cpu_seconds"] += cpu_seconds() - started_cpu
            f["posts"] += len(result.posts)
            f["planned_posts"] += sum(call.n_posts for call in chunk)
            f["calls"] += len(chunk)
            f["input_tokens"] += result.progress.input_tokens
            f["output_tokens"] += result.progress.output_tokens
            f["failed_calls"] += result.progress.failed_calls
            f["refusals"] += result.progress.refusals
            f["texts"] += result.posts[schema.TEXT].astype(str).tolist()
            f["platforms"] += result.posts[schema.PLATFORM].astype(str).tolist()
            print(f"{strategy} {side} {topic.topic_id}: {len(result.posts)} posts, "
                  f"{f['seconds']:.0f} s so far", file=sys.stderr, flush=True)
    return figures


def fidelity(held_out: np.ndarray, held_texts: np.ndarray, vectors: np.ndarray, texts: list[str], *,
             seed: int, boot: int) -> dict[str, Any]:
    """Nearest-real cosine (mean) and classifier AUC against the held-out half, each with a bootstrap SE
    over the synthetic posts."""
    from synth.metrics.semantic import classifier_auc, neighbour_metrics

    synthetic_texts = np.asarray(texts, dtype=object)

    def both(rows: np.ndarray, run_seed: int) -> tuple[float, float]:
        cosine = neighbour_metrics(held_out, vectors[rows], k=5)["nearest_real_cosine_mean"]
        auc = classifier_auc(held_out, vectors[rows], held_texts, synthetic_texts[rows], seed=run_seed)
        return cosine, float("nan") if auc is None else auc

    cosine, auc = both(np.arange(len(vectors)), seed)
    rng = np.random.default_rng(seed)
    samples = np.array([both(rng.integers(0, len(vectors), len(vectors)), seed + i) for i in range(boot)])
    return {
        "nearest_real_cosine_mean": round(cosine, 4), "nearest_real_cosine_se": round(float(samples[:, 0].std()), 4),
        "classifier_auc": round(auc, 4), "classifier_auc_se": round(float(np.nanstd(samples[:, 1])), 4),
    }


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for metric in ("nearest_real_cosine_mean", "classifier_auc"):
        se_key = metric.replace("_mean", "") + "_se"
        diff = after[metric] - before[metric]
        se = float(np.hypot(before[se_key], after[se_key]))
        out[metric] = {"diff": round(diff, 4), "se_of_diff": round(se, 4), "within_noise": abs(diff) < 2 * se}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "zomato" / "posts.csv")
    parser.add_argument("--strategies", default="topic,examples-only,platform-aware,completion")
    parser.add_argument("--per-cell", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=10, help="bootstrap draws for the fidelity SEs")
    parser.add_argument("--out", type=Path, help="also write the JSON here, updated after each strategy")
    args = parser.parse_args()
    if not args.data.is_file():
        print(json.dumps({"error": f"no file {args.data}"}))
        return 2

    from synth.embeddings.embedder import SentenceTransformerEmbedder
    from synth.io import load_posts

    posts = load_posts(args.data).posts
    posts = posts[posts[schema.PLATFORM].isin(PLATFORMS)]
    posts = posts[posts[schema.TEXT].astype(str).str.strip() != ""].reset_index(drop=True)
    train, held_out = split_halves(posts, args.seed)
    train = label_topics(train)
    embedder = SentenceTransformerEmbedder()
    held_vectors = embedder.embed(held_out[schema.TEXT].astype(str).tolist())
    held_texts = held_out[schema.TEXT].astype(str).to_numpy(dtype=object)

    result: dict[str, Any] = {
        "benchmark": "local_generation", "data": str(args.data),
        "plan": f"3 topics x 3 platforms x {args.per_cell} posts",
        "train_posts": len(train), "held_out_posts": len(held_out),
        "topic_posts_in_train": train[schema.TOPIC].value_counts().to_dict(),
        "cpu_cores": os.cpu_count(), "strategies": {},
    }
    pooled: dict[str, dict[str, list[Any]]] = {"before": {"vectors": [], "texts": []},
                                               "after": {"vectors": [], "texts": []}}
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-local-gen-") as tmp_name:
        tmp = Path(tmp_name)
        for strategy in [s.strip() for s in args.strategies.split(",") if s.strip()]:
            load_before = os.getloadavg()[0]
            sides = plans(strategy, train, args.per_cell, args.seed)
            spec = sides["after"].calls[0].model_spec
            if spec not in backends:
                backends[spec] = create_backend(spec)
                # Load and warm the model outside the timings.
                import asyncio

                asyncio.run(backends[spec].generate(dataclasses.replace(
                    sides["after"].calls[0].request,
                    options=dataclasses.replace(sides["after"].calls[0].request.options, max_tokens=4))))
            figures = run_interleaved(strategy, sides, backends[spec], tmp)
            entry: dict[str, Any] = {"model": spec}
            for side, f in figures.items():
                vectors = embedder.embed(f["texts"]) if f["texts"] else np.zeros((0, held_vectors.shape[1]))
                pooled[side]["vectors"].append(vectors)
                pooled[side]["texts"] += f["texts"]
                entry[side] = {
                    "posts": f["posts"], "planned_posts": f["planned_posts"], "calls": f["calls"],
                    "failed_calls": f["failed_calls"], "refusals": f["refusals"],
                    "seconds": round(f["seconds"], 1), "cpu_seconds": round(f["cpu_seconds"], 1),
                    "posts_per_min": round(60 * f["posts"] / f["seconds"], 2),
                    "cpu_s_per_post": round(f["cpu_seconds"] / max(f["posts"], 1), 2),
                    "input_tokens_per_post": round(f["input_tokens"] / max(f["posts"], 1), 1),
                    "output_tokens_per_post": round(f["output_tokens"] / max(f["posts"], 1), 1),
                    "median_post_chars": float(np.median([len(t) for t in f["texts"]])) if f["texts"] else None,
                    "fidelity": fidelity(held_vectors, held_texts, vectors, f["texts"], seed=args.seed,
                                         boot=args.bootstrap) if len(f["texts"]) >= 2 else None,
                }
            before, after = entry["before"], entry["after"]
            entry["posts_per_min_ratio"] = round(after["posts_per_min"] / before["posts_per_min"], 2)
            entry["cpu_s_per_post_ratio"] = round(before["cpu_s_per_post"] / after["cpu_s_per_post"], 2)
            if before["fidelity"] and after["fidelity"]:
                entry["fidelity_after_minus_before"] = compare(before["fidelity"], after["fidelity"])
            entry["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            result["strategies"][strategy] = entry
            if args.out:
                args.out.write_text(json.dumps(result, indent=2) + "\n")
    sides_pooled = {}
    for side in ("before", "after"):
        vectors = np.vstack(pooled[side]["vectors"])
        sides_pooled[side] = fidelity(held_vectors, held_texts, vectors, pooled[side]["texts"], seed=args.seed,
                                      boot=args.bootstrap)
    result["fidelity_all_strategies"] = {**sides_pooled,
                                         "after_minus_before": compare(sides_pooled["before"], sides_pooled["after"])}
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
