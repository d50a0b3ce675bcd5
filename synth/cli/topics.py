"""`python -m synth topics FILE... --out topics.json`: find the topics real posts share across platforms.

The JSON holds each topic's id, label, keywords, counts per platform and a few representative posts per
platform, plus `assignments` (post_id -> topic id) so `synth generate --topics-file` can take real examples
from each topic. Topic ids (or labels, or `all`) are what `synth generate --topics` accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from synth.cli.embedder_option import add_embedder_option, chosen_embedder


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "topics",
        help="find the topics real posts share across platforms (BERTopic) and write topics.json",
        description="Read files of real posts and find their topics: the topic column when the data has one "
        "with two topics or more, else BERTopic on the bundled MiniLM embedder, fitted on all platforms "
        "together. Results are cached per dataset and parameters, so a second run is instant.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="files of real posts")
    parser.add_argument("--platform", help="platform of files (or rows) that do not name one, e.g. twitter")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write (e.g. topics.json)")
    parser.add_argument(
        "--method", choices=("auto", "column", "bertopic"), default="auto",
        help="auto (default): the topic column when it holds 2+ topics, else bertopic",
    )
    parser.add_argument("--min-topic-size", type=int, help="smallest topic kept (default: grows with the data)")
    parser.add_argument("--min-platforms", type=int, default=2, help="platforms a topic must be on (default 2)")
    parser.add_argument("--max-posts", type=int, default=20_000, help="fit on a sample of at most this many posts")
    parser.add_argument("--seed", type=int, default=0, help="seed for sampling and UMAP (default 0)")
    add_embedder_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from synth.errors import ConfigError
    from synth.io import load_files
    from synth.topics.discover import discover_topics

    if args.min_topic_size is not None and args.min_topic_size < 2:
        raise ConfigError("--min-topic-size must be at least 2")
    if args.min_platforms < 1:
        raise ConfigError("--min-platforms must be at least 1")
    embedder = chosen_embedder(args)
    posts, _ = load_files(list(args.files), platform=args.platform)
    topic_set = discover_topics(
        posts, method=args.method, min_topic_size=args.min_topic_size, min_platforms=args.min_platforms,
        max_posts=args.max_posts, seed=args.seed, embedder=embedder,
    )
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(topic_set.to_json(), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {args.out} ({error.strerror}); choose a writable path") from None
    for topic in topic_set.topics:
        counts = ", ".join(f"{platform} {count}" for platform, count in sorted(topic.counts.items()))
        print(f"{topic.topic_id}\t{topic.label}\t{counts}")
    print(f"{len(topic_set.topics)} topics ({topic_set.method}) written to {args.out}", file=sys.stderr)
    return 0
