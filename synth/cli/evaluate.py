"""`python -m synth evaluate --real FILE --synthetic FILE --out DIR`: every fidelity metric into metrics.json."""

from __future__ import annotations

import argparse


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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from synth.errors import InputError
    from synth.metrics.evaluate import evaluate, load_posts_file, summary_lines

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder. Name a folder (it is created if missing).")
    real = load_posts_file(args.real, synthetic=False)
    synthetic = load_posts_file(args.synthetic, synthetic=True)
    metrics = evaluate(real, synthetic, seed=args.seed, by=args.by)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "metrics.json"
    target.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    print("\n".join(summary_lines(metrics)))
    print(f"wrote {target}")
    return 0
