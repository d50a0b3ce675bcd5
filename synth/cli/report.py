"""`python -m synth report`: the standalone HTML report (and optionally the download bundle), headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from synth.cli.embedder_option import add_embedder_option, chosen_embedder


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the standalone HTML report comparing real and synthetic posts (and the export bundle)",
        description="Compare real and synthetic posts and write a report that opens offline in any browser: "
        "configuration, leaderboard with bootstrap intervals, metrics beside the real-vs-real baseline, "
        "figures and samples. Without --metrics only lexical metrics are computed, or all of them with "
        "--all-metrics. With --bundle, also write the zip of dataset, manifest, prompts, costs, report and card.",
    )
    parser.add_argument("--real", nargs="+", required=True, metavar="FILE", help="files of real posts")
    parser.add_argument("--platform", help="platform of real files (or rows) that do not name one")
    parser.add_argument("--synthetic", nargs="+", metavar="FILE",
                        help="files of synthetic posts (default: the posts of the --run directories)")
    parser.add_argument("--metrics", type=Path, metavar="FILE", help="metrics.json written by `synth evaluate`")
    parser.add_argument("--all-metrics", action="store_true",
                        help="without --metrics, compute every metric of `synth evaluate` (embeds every post)")
    parser.add_argument("--run", nargs="+", type=Path, default=[], metavar="RUN_DIR", dest="run_dirs",
                        help="run directories of the synthetic posts (their manifest, prompts and costs)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write report.html")
    parser.add_argument("--bundle", type=Path, metavar="FILE", help="also write the download bundle (zip) here")
    parser.add_argument("--samples", type=int, default=5, help="real and synthetic posts shown per platform")
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap replicates of the leaderboard")
    parser.add_argument("--seed", type=int, default=0, help="seed of samples, halves and bootstrap (default 0)")
    add_embedder_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    import pandas as pd

    from synth.errors import InputError
    from synth.generate import load_run_posts
    from synth.io import as_synthetic, load_files
    from synth.report.artifacts import make_artifacts

    if not args.synthetic and not args.run_dirs:
        raise InputError("give the synthetic posts: --synthetic FILE..., or --run RUN_DIR... to use a run's posts.")
    if args.samples < 1 or args.n_boot < 0:
        raise InputError("--samples must be 1 or more and --n-boot 0 or more.")
    # Only --all-metrics embeds; a remote embedder is asked for its vector size when chosen.
    embedder = chosen_embedder(args) if args.all_metrics and args.metrics is None else None
    real, _ = load_files(list(args.real), platform=args.platform)
    if args.synthetic:
        synthetic = as_synthetic(load_files(list(args.synthetic))[0])
    else:
        synthetic = pd.concat([load_run_posts(run_dir) for run_dir in args.run_dirs], ignore_index=True)
    metrics = None
    if args.metrics is not None:
        try:
            metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"{args.metrics}: not a readable metrics.json ({error}). Write it with "
                             "`python -m synth evaluate --out DIR`.") from error
        if not isinstance(metrics, dict):
            raise InputError(f"{args.metrics}: a metrics.json holds one JSON object; this file does not.")
    artifacts = make_artifacts(real, synthetic, run_dirs=args.run_dirs, metrics=metrics, n_boot=args.n_boot,
                               samples_per_platform=args.samples, seed=args.seed,
                               all_metrics=args.all_metrics, embedder=embedder)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(artifacts.report_html, encoding="utf-8")
    print(f"report: {args.out} ({len(artifacts.report_html) / 1e6:.1f} MB, opens offline)")
    if args.bundle is not None:
        args.bundle.parent.mkdir(parents=True, exist_ok=True)
        args.bundle.write_bytes(artifacts.bundle)
        print(f"bundle: {args.bundle} ({', '.join(artifacts.files)})")
    for note in artifacts.notes:
        print(f"note: {note}")
    return 0
