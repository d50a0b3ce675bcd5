"""`python -m synth evaluate --real FILE --synthetic FILE --out DIR`: every fidelity metric into metrics.json."""

from __future__ import annotations

import argparse
from typing import Any

from synth.cli.embedder_option import add_embedder_option, chosen_embedder
from synth.schema import PLATFORM


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="compare synthetic posts with real ones and write DIR/metrics.json",
        description="Compute lexical, semantic, multi-platform and privacy metrics of a synthetic set against "
        "real posts, each beside a real-vs-real baseline, write them to DIR/metrics.json and print a short "
        "summary. Files are read with the same loaders as `validate` (csv, tsv, json, jsonl, parquet, xlsx).",
    )
    parser.add_argument("--real", required=True, metavar="FILE", help="file of real posts")
    parser.add_argument("--synthetic", required=True, metavar="FILE",
                        help="file of synthetic posts (its source/model columns are kept)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write metrics.json into")
    parser.add_argument("--by", metavar="COLUMN",
                        help="also report each value of this synthetic column separately, e.g. model")
    parser.add_argument("--seed", type=int, default=0, help="seed of the real halves and sampled steps (0)")
    add_embedder_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from synth.errors import InputError
    from synth.io import load_posts_file
    from synth.metrics.evaluate import evaluate

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder. Name a folder (it is created if missing).")
    embedder = chosen_embedder(args)
    real = load_posts_file(args.real, synthetic=False)
    synthetic = load_posts_file(args.synthetic, synthetic=True)
    metrics = evaluate(real, synthetic, seed=args.seed, by=args.by, embedder=embedder)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "metrics.json"
    target.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    print("\n".join(summary_lines(metrics)))
    print(f"wrote {target}")
    return 0


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """A short human summary of metrics.json: counts, then a few headline numbers beside their baseline."""
    meta = metrics["meta"]
    counts = meta["counts"]
    lines = [
        f"real posts: {counts['real']['total']:,} ({_platform_counts(counts['real'])}); synthetic posts: "
        f"{counts['synthetic']['total']:,} ({_platform_counts(counts['synthetic'])}); "
        f"embedder {meta['embedder']['name']}",
    ]
    semantic = metrics["semantic"].get("all", {})
    lexical = metrics["lexical"].get("all", {})
    affect = metrics.get("affect", {}).get("all", {})
    diversity = metrics.get("diversity", {}).get("all", {})
    headline = [
        ("classifier AUC (0.5 = indistinguishable)", semantic, "classifier_auc"),
        ("nearest-real cosine, mean", semantic, "nearest_real_cosine_mean"),
        ("precision", semantic, "precision"),
        ("recall", semantic, "recall"),
        ("coverage", semantic, "coverage"),
        ("Frechet distance (lower is closer)", semantic, "frechet_distance"),
        ("MAUVE", semantic, "mauve"),
        ("unigram JSD (lower is closer)", lexical, "unigram_jsd"),
        ("length KS, characters (lower is closer)", lexical, "chars_ks"),
        ("sentiment KS (lower is closer)", affect, "sentiment_ks"),
        ("emotion mix JSD (lower is closer)", affect, "emotion_jsd"),
    ]
    lines += _table("metric (all posts)", ("synthetic", "baseline"),
                    [(label, (section[key], section.get(key + "_baseline")))
                     for label, section, key in headline if key in section])
    if semantic.get("mauve") is not None and not semantic.get("mauve_reliable"):
        lines.append("  (MAUVE unreliable: fewer than 1,000 posts on a side)")
    # Measures of one set: the real and the synthetic value, and the real halves' value as the baseline.
    one_set = [
        ("sentiment, mean VADER compound", affect, "sentiment_compound_mean"),
        ("offensive posts, share", affect, "offensive_rate"),
        ("distinct word pairs (distinct-2)", diversity, "distinct_2"),
        ("posts repeating another, share", diversity, "repeated_share"),
    ]
    sets = ("real", "synthetic", "baseline")
    lines += _table("measure of each set (all posts)", sets,
                    [(label, tuple(section[key].get(name) for name in sets))
                     for label, section, key in one_set if isinstance(section.get(key), dict)])
    recognisability = metrics["multiplatform"].get("recognisability", {})
    if recognisability.get("ratio") is not None:
        lines.append(
            f"platform recognisability: real {_number(recognisability['real'])}, synthetic "
            f"{_number(recognisability['synthetic'])}, ratio {_number(recognisability['ratio'])}"
        )
    lines += _utility_lines(metrics.get("utility", {}), metrics.get("detector", {}))
    copies = metrics["privacy"].get("copies", {}).get("any", {})
    if copies:
        count, rate = copies.get("count", 0), _number(copies.get("rate"))
        lines.append(f"copies of real posts (exact or near): {count:,} (rate {rate})")
    for key, block in metrics.items():
        if key.startswith("by_"):
            for value, sub in block.items():
                auc = sub["semantic"].get("all", {}).get("classifier_auc")
                lines.append(f"{key[3:]} {value}: {sub['meta']['counts']['synthetic']['total']:,} posts, "
                             f"classifier AUC {_number(auc)}")
    return lines


def _utility_lines(utility: dict[str, Any], detector: dict[str, Any]) -> list[str]:
    """Train-on-synthetic beside train-on-real accuracy (TF-IDF classifier), and the detector headline."""
    lines = []
    for task in ("platform", "topic"):
        block = utility.get(task, {}).get("tfidf", {})
        if block.get("tstr_accuracy") is not None:
            lines.append(f"{task} classifier trained on synthetic, tested on real: accuracy "
                         f"{_number(block['tstr_accuracy'])} (trained on real: {_number(block.get('trtr_accuracy'))})")
    headline = detector.get("all", {})
    if headline.get("detector_accuracy") is not None:
        low, high = headline.get("detector_interval") or (None, None)
        accuracy = _number(headline["detector_accuracy"])
        lines.append(f"a detector tells synthetic from real posts with accuracy {accuracy} (95% interval "
                     f"{_number(low)}-{_number(high)}; real vs real {_number(headline.get('detector_baseline'))}; "
                     "0.5 = cannot tell)")
    return lines


def _platform_counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{platform} {count:,}" for platform, count in counts.get(f"by_{PLATFORM}", {}).items())


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """A summary table as lines: a label column 44 wide, then one 10-wide column per value."""
    return [f"{title:<44} " + " ".join(f"{column:>10}" for column in columns),
            *(f"{label:<44} " + " ".join(f"{_number(value):>10}" for value in values) for label, values in rows)]


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    return f"{value:.3f}" if isinstance(value, float) else str(value)
