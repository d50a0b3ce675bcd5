"""`python -m synth postprocess --real REAL --run RUN_DIR --out OUT_DIR`: steer a run's posts toward the real ones.

Writes OUT_DIR/posts.csv (the kept posts, canonical columns), OUT_DIR/steps.json (per step: in, out, changed,
reasons) and OUT_DIR/changes.csv (every change with the text before and after). The run is never modified.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synth.postprocess import DEFAULT_STEPS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "postprocess",
        help="filter, calibrate, select, rebalance and regenerate a run's posts toward the real ones",
        description="Apply post-processing steps, fitted on the real posts given with --real (use posts the "
        "evaluation will not see), to the posts of a generation run, and write the steered set to --out. "
        "The run folder is left as it was.",
    )
    parser.add_argument("--real", nargs="+", required=True, metavar="FILE", help="files of reference real posts")
    parser.add_argument("--platform", help="platform of real files (or rows) that do not name one")
    parser.add_argument("--run", dest="run_dir", required=True, type=Path, metavar="RUN_DIR",
                        help="folder of a generation run")
    parser.add_argument("--out", required=True, type=Path, metavar="OUT_DIR", help="folder to write the steered set")
    parser.add_argument("--steps", default=",".join(DEFAULT_STEPS),
                        help=f"comma-separated steps, in any order; they run in the order filter, calibrate, select, "
                        f"rebalance, regenerate (default {','.join(DEFAULT_STEPS)}: regenerate calls the run's "
                        "model(s) again)")
    parser.add_argument("--topics-file", type=Path,
                        help="topics.json the run was made with: labels the real posts with the run's topics")
    parser.add_argument("--per-cell", type=int, help="posts select keeps per cell (default: the run's per-cell)")
    parser.add_argument("--seed", type=int, default=0, help="seed of sampled choices (default 0)")
    parser.add_argument("--rounds", type=int, default=2, help="regenerate: most rounds of generation (default 2)")
    parser.add_argument("--max-calls", type=int, help="regenerate: most calls over all rounds (default 4 per post "
                        "missing); the run's --budget applies too")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from synth.cli.generate import read_topics_file
    from synth.errors import ConfigError
    from synth.io import load_files
    from synth.postprocess.pipeline import steer_run

    if args.per_cell is not None and args.per_cell < 1:
        raise ConfigError(f"--per-cell must be at least 1, not {args.per_cell}")
    real, _ = load_files(list(args.real), platform=args.platform)
    topic_set = read_topics_file(args.topics_file) if args.topics_file is not None else None
    result, files = steer_run(
        real, args.run_dir, args.out, steps=[name.strip() for name in args.steps.split(",") if name.strip()],
        topic_set=topic_set, per_cell=args.per_cell, seed=args.seed, rounds=args.rounds, max_calls=args.max_calls,
    )
    for step in result.steps:
        reasons = ", ".join(f"{reason} {count}" for reason, count in step["reasons"].items()) or "nothing"
        print(f"{step['step']:<10} {step['in']:>5} -> {step['out']:<5} changed {step['changed']:<4} ({reasons})")
        for cell, short in step.get("params", {}).get("still_short", {}).items():
            print(f"{'':<10} still short: {cell} lacks {short['missing']} ({short['why']})")
    for kind, path in files.items():
        print(f"{kind}: {path}")
    return 0
