"""`python -m synth validate FILE...`: read files of posts and print the validation report."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="read files of real posts and print the validation report",
        description="Read files of posts (csv, tsv, json, jsonl, parquet, xlsx, platform exports), map them "
        "to the canonical schema and print what was read, kept and dropped. Exits 2 with the reason when a "
        "file cannot be used.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="files of posts")
    parser.add_argument("--text-column", help="the column holding the post text (default: guessed)")
    parser.add_argument("--platform-column", help="the column naming each post's platform (default: guessed)")
    parser.add_argument("--id-column", help="the column holding post ids (default: guessed)")
    parser.add_argument("--platform", help="platform of files (or rows) that do not name one, e.g. twitter")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from synth.io import load_files

    _, report = load_files(list(args.files), text_column=args.text_column, platform_column=args.platform_column,
                           platform=args.platform, id_column=args.id_column)
    print(report.to_json() if args.json else report.to_text())
    return 0
