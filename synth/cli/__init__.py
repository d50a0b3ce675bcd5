"""`python -m synth`: the app's jobs, headless.

Each subcommand is a module in this package with `add_parser(subparsers)` and `run(args) -> int`.
A SynthError is printed as `error: ...` and exits 2; anything else is a bug and propagates.
Keys come from the environment, else from `.streamlit/secrets.toml` in the working directory (read the way
`streamlit run` reads it for the app), so the app's key file serves the CLI too.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from synth import __version__
from synth.errors import SynthError

# Subcommand name -> module in synth.cli. Add a line here when you add a subcommand.
SUBCOMMANDS: dict[str, str] = {
    "evaluate": "evaluate",
    "validate": "validate",
    "generate": "generate",
    "resume": "resume",
    "report": "report",
    "topics": "topics",
    "postprocess": "postprocess",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth",
        description="Make synthetic multi-platform social media datasets with LLMs and measure their fidelity.",
    )
    parser.add_argument("--version", action="version", version=f"synth {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in SUBCOMMANDS.values():
        importlib.import_module(f"synth.cli.{module_name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from synth.backends.keys import load_secrets_into_environment

        load_secrets_into_environment()
        return int(args.run(args))
    except SynthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
