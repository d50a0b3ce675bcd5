"""The `--embedder` option shared by the subcommands that embed posts (topics, evaluate, report)."""

from __future__ import annotations

import argparse
from typing import Any


def add_embedder_option(parser: argparse.ArgumentParser) -> None:
    """Add `--embedder SPEC` (default: the SYNTH_EMBEDDER variable, else the bundled MiniLM)."""
    parser.add_argument(
        "--embedder", metavar="SPEC",
        help="sentence embedder: minilm (bundled, default), hashing[:DIM], remote:MODEL@BASE_URL for any "
        "OpenAI-compatible /v1/embeddings server (TEI, vLLM, Ollama, llama.cpp), or openai:MODEL; default "
        "from SYNTH_EMBEDDER. A server's key comes from SYNTH_EMBEDDINGS_API_KEY",
    )


def chosen_embedder(args: argparse.Namespace) -> Any:
    """The Embedder `--embedder` (or SYNTH_EMBEDDER) names; raises ConfigError/ServiceError for a bad one."""
    from synth.embeddings.remote import embedder_from_spec

    return embedder_from_spec(args.embedder)
