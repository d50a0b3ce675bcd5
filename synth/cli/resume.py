"""`python -m synth resume RUN_DIR`: finish a run that was killed, cancelled, stopped by its budget, or
had failed calls. Only the missing calls are made; posts already written are kept, none is repeated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "resume",
        help="finish an interrupted generation run",
        description="Finish the run in RUN_DIR (written by `python -m synth generate --out RUN_DIR`): make "
        "only the calls not yet done, then rewrite posts.csv, posts.parquet and manifest.json. Keys come from "
        "the environment, else .streamlit/secrets.toml, as for generate. Exit codes as for generate.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the run's output directory")
    parser.add_argument("--budget", type=float, metavar="USD", help="a new budget replacing the run's")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from synth.cli.generate import report
    from synth.cli.progress import ProgressPrinter
    from synth.cli.stopping import stop_on_signals
    from synth.generate import COMPLETED, resume_run

    with stop_on_signals() as stop:
        try:
            result = resume_run(
                args.run_dir, on_progress=ProgressPrinter(), budget_usd=args.budget, cancel=stop.cancel
            )
        except KeyboardInterrupt:
            print(f"interrupted; run again: python -m synth resume {args.run_dir}", file=sys.stderr)
            return 130
    return report(result, COMPLETED, stop, f"python -m synth resume {args.run_dir}")
