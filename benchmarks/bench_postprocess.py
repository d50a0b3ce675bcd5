"""Does post-processing steer a synthetic set toward the real one? Raw vs each step vs all steps. Prints JSON.

The real posts of ../shared/data/zomato are split (synth.metrics.baseline.split_halves, seed 0) into a
reference half, which gives the topics, the prompts' style and examples and everything the steps are fitted
on, and a held-out half used only to evaluate (synth.metrics.evaluate.evaluate), so no step grades itself.
Topics: discovered on the reference half, the first `--topics` present on all three platforms. Runs: one per
model under `--runs-dir` (made here when absent, with the embedded local models: SmolLM2 with the `topic`
strategy, Gemma 3 270M with `completion`; `--per-cell` wanted posts x `--candidates`), reused when present,
so post-processing can be re-measured without regenerating.

For each run and each variant (raw; each step alone; all steps) and each platform: nearest-real cosine,
classifier AUC, PRDC, the lexical shares, beside the real-vs-real ceiling; overall: recognisability ratio,
near-copies (the privacy report's, against the held-out half, and the steps' own thresholds against the
reference half), the share of the raw -> ceiling gap closed on AUC and nearest-real cosine, and the cost
(calls and seconds of generation and post-processing per kept post).

`--run NAME=SPEC,STRATEGY[,personas]` (repeatable) measures other runs instead, e.g.
`--run smollm2-multi-platform=local:smollm2,multi-platform,personas`.

Usage: .venv/bin/python benchmarks/bench_postprocess.py [--runs-dir /tmp/i10-runs] [--per-cell 2 --candidates 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = {"smollm2-topic": ("local:smollm2", "topic", False),
          "gemma3-completion": ("local:gemma3-270m", "completion", False)}
VARIANTS: dict[str, tuple[str, ...]] = {
    "raw": (), "filter": ("filter",), "calibrate": ("calibrate",), "select": ("select",),
    "rebalance": ("rebalance",), "filter+calibrate+select": ("filter", "calibrate", "select"),
    "all": ("filter", "calibrate", "select", "rebalance"),
    "all+regenerate": ("filter", "calibrate", "select", "rebalance", "regenerate"),
}
SEMANTIC = ("nearest_real_cosine_mean", "classifier_auc", "precision", "recall", "density", "coverage")
LEXICAL = ("chars_median", "hashtags_share", "mentions_share", "urls_share", "emoji_share")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "zomato" / "posts.csv")
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/i10-runs"))
    parser.add_argument("--topics", type=int, default=3, help="topics present on every platform to generate for")
    parser.add_argument("--per-cell", type=int, default=2, help="posts wanted per topic x platform (new runs)")
    parser.add_argument("--candidates", type=int, default=2, help="candidates per wanted post (new runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"variants to measure, comma-separated (raw is always measured): {', '.join(VARIANTS)}")
    parser.add_argument("--run", action="append", default=[], metavar="NAME=SPEC,STRATEGY[,personas]",
                        help="a run to measure (made when absent) instead of the two default ones; repeatable")
    args = parser.parse_args()
    models = dict(_run_option(option) for option in args.run) if args.run else MODELS
    unknown = set(args.variants.split(",")) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(sorted(unknown))}; choose from {', '.join(VARIANTS)}")
    if not args.data.is_file():
        print(json.dumps({"error": f"{args.data} not found"}))
        return 2

    from synth.io import load_posts
    from synth.metrics.baseline import split_halves
    from synth.topics.discover import discover_topics

    real = load_posts(args.data).posts
    reference, held_out = split_halves(real, seed=args.seed)
    topic_set = discover_topics(reference, min_platforms=3, seed=args.seed)
    platforms = sorted(set(real["platform"]))
    topics = [t for t in topic_set.topics if all(t.counts.get(p, 0) for p in platforms)][: args.topics]
    labelled = topic_set.label_posts(reference)
    report: dict[str, Any] = {
        "data": str(args.data), "reference_posts": len(reference), "held_out_posts": len(held_out),
        "topics": [t.topic_id for t in topics], "platforms": platforms, "runs": {},
    }
    for name, (spec, strategy, personas) in models.items():
        run_dir = args.runs_dir / name
        if not (run_dir / "run.sqlite").is_file():
            _generate(run_dir, spec, strategy, personas, labelled, [t.spec() for t in topics], platforms, args)
        variants = {v: VARIANTS[v] for v in VARIANTS if v == "raw" or v in args.variants.split(",")}
        report["runs"][name] = _measure_run(run_dir, reference, labelled, held_out, topic_set, args.seed, variants)
    print(json.dumps(report, indent=2))
    return 0


def _run_option(option: str) -> tuple[str, tuple[str, str, bool]]:
    name, _, value = option.partition("=")
    parts = value.split(",")
    if not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "personas"):
        raise SystemExit(f"--run {option!r}: write NAME=SPEC,STRATEGY or NAME=SPEC,STRATEGY,personas")
    return name, (parts[0], parts[1], len(parts) == 3)


def _generate(run_dir: Path, spec: str, strategy: str, personas: bool, reference: Any, topics: list[Any],
              platforms: list[str], args: argparse.Namespace) -> None:
    from synth.generate import GenerationConfig, ModelConfig, plan_run, run_generation

    config = GenerationConfig(
        models=(ModelConfig(spec, strategy=strategy),), topics=tuple(topics), platforms=tuple(platforms),
        per_cell=args.per_cell, candidates=args.candidates, strategy=strategy, seed=args.seed, timeout_s=400,
        personas=personas,
    )
    run_generation(plan_run(config, reference), run_dir)


def _measure_run(run_dir: Path, reference: Any, labelled: Any, held_out: Any, topic_set: Any,
                 seed: int, variants: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    from synth.embeddings.embedder import get_default_embedder
    from synth.metrics.evaluate import evaluate
    from synth.postprocess.base import Context
    from synth.postprocess.copies import fit_thresholds, nearest_real
    from synth.postprocess.pipeline import load_run_for_postprocess, make_steps, postprocess
    from synth.postprocess.targeted import RunGenerator

    embedder = get_default_embedder()
    inputs = load_run_for_postprocess(run_dir, reference)
    context = Context(real=labelled, embedder=embedder, examples=inputs.examples, truncated=inputs.truncated,
                      per_cell=inputs.per_cell, seed=seed)
    thresholds = fit_thresholds(labelled, context.real_vectors, seed=seed)
    result: dict[str, Any] = {
        "raw_posts": len(inputs.posts), "calls": inputs.calls, "generation_s": round(inputs.seconds, 1),
        "per_cell_wanted": inputs.per_cell, "copy_thresholds": thresholds.__dict__, "variants": {},
    }
    for variant, steps in variants.items():
        start = time.perf_counter()
        calls, generation_s = inputs.calls, inputs.seconds
        if steps:
            # Regenerate calls the run's model again: its runs go beside the source run, its cost is counted.
            generator = (RunGenerator(run_dir, labelled, run_dir.parent / f"{run_dir.name}-postprocessed")
                         if "regenerate" in steps else None)
            steered = postprocess(inputs.posts, replace(context, generator=generator), make_steps(list(steps)))
            posts, summary = steered.posts, steered.steps
            regenerated = next((step["params"] for step in summary if step["step"] == "regenerate"), {})
            calls += regenerated.get("calls", 0)
            generation_s += sum(r["generation_s"] for r in regenerated.get("rounds", []))
        else:
            posts, summary = inputs.posts, []
        seconds = time.perf_counter() - start
        metrics = evaluate(held_out, posts, embedder=embedder, seed=seed)
        near = nearest_real(labelled, context.real_vectors, posts, embedder.embed(posts["text"].astype(str).tolist()))
        above = int(((near.cosine >= thresholds.cosine) | (near.jaccard >= thresholds.jaccard)).sum())
        kept = len(posts)
        result["variants"][variant] = {
            "kept_posts": kept,
            "steps": summary,
            "postprocess_s": round(seconds, 1),
            "calls_per_kept_post": round(calls / kept, 2) if kept else None,
            "seconds_per_kept_post": round((generation_s + seconds) / kept, 1) if kept else None,
            "near_copies_held_out": metrics["privacy"]["copies"]["any"]["count"],
            "near_copies_reference_above_threshold": above,
            "recognisability_ratio": metrics["multiplatform"]["recognisability"].get("ratio"),
            "per_platform": {group: _group(metrics, group) for group in metrics["semantic"]},
        }
    raw = result["variants"]["raw"]["per_platform"]
    result["gap_closed"] = {"note": "share of the raw -> real-vs-real gap closed (1 = at the ceiling); 'raw at or "
                            "past the ceiling' where there was no gap to close"}
    for variant, measured in result["variants"].items():
        if variant == "raw":
            continue
        steered = measured["per_platform"]
        result["gap_closed"][variant] = {
            group: {"classifier_auc": _gap(raw[group]["classifier_auc"], steered.get(group, {}).get("classifier_auc"),
                                           higher_is_better=False),
                    "nearest_real_cosine_mean": _gap(raw[group]["nearest_real_cosine_mean"],
                                                     steered.get(group, {}).get("nearest_real_cosine_mean"),
                                                     higher_is_better=True)}
            for group in raw
        }
    return result


def _group(metrics: dict[str, Any], group: str) -> dict[str, Any]:
    semantic = metrics["semantic"].get(group, {})
    lexical = metrics["lexical"].get(group, {})
    out: dict[str, Any] = {"n_posts": semantic.get("n_posts", {}).get("synthetic")}
    for key in SEMANTIC:
        out[key] = {"synthetic": _round(semantic.get(key)), "ceiling": _round(semantic.get(f"{key}_baseline"))}
    for key in LEXICAL:
        value = lexical.get(key) or {}
        out[key] = {"synthetic": _round(value.get("synthetic")), "real": _round(value.get("real"))}
    return out


def _gap(raw: dict[str, Any], steered: dict[str, Any] | None, *, higher_is_better: bool) -> float | str | None:
    if steered is None or None in (raw["synthetic"], raw["ceiling"], steered["synthetic"]):
        return None
    gap = raw["ceiling"] - raw["synthetic"]
    if (gap <= 1e-9) if higher_is_better else (gap >= -1e-9):
        return "raw at or past the ceiling"
    return round((steered["synthetic"] - raw["synthetic"]) / gap, 3)


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


if __name__ == "__main__":
    raise SystemExit(main())
