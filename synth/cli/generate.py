"""`python -m synth generate`: run a generation plan headless and write posts + manifest.

Example:
    python -m synth generate --real posts.csv --platforms twitter,reddit --topics all \
        --model local:smollm2 --per-cell 3 --out runs/demo
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from synth.errors import ConfigError
from synth.prompts.render import STRATEGY_HELP

# Exit status when a run stops before every post is made (failed calls, budget, cancel).
EXIT_UNFINISHED = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate synthetic posts for topic x platform x model cells",
        description="Generate synthetic posts from real ones: every (topic, platform, model) cell gets "
        "--per-cell posts. Writes posts.csv, posts.parquet, manifest.json and the run store (run.sqlite) "
        "into --out; `python -m synth resume DIR` finishes an interrupted run. Exit 0 when every planned post "
        "was made, 1 when fewer were (failed calls, answers without a usable post, budget), 2 on a bad input, "
        "a fatal backend error or a run another process is using, 130/143 when Ctrl-C/SIGTERM stopped it (what "
        "was done is saved and exported). Keys come from the environment, else .streamlit/secrets.toml.",
    )
    parser.add_argument("--real", nargs="+", required=True, metavar="FILE", help="files of real posts")
    parser.add_argument("--platform", help="platform of real files (or rows) that do not name one")
    parser.add_argument("--platforms", required=True, help="comma-separated platforms to generate for")
    parser.add_argument(
        "--topics", default="all",
        help="comma-separated topic ids or labels, or 'all' (default). Topics come from --topics-file, else "
        "the real posts' topic column, else one topic per --real file",
    )
    parser.add_argument("--topics-file", type=Path, help="topics.json written by `python -m synth topics`")
    parser.add_argument(
        "--model", action="append", required=True, metavar="BACKEND:MODEL",
        help="model to use, repeatable: local:smollm2, local:gemma3-270m, openai:gpt-4o-mini, ...",
    )
    parser.add_argument("--per-cell", type=int, default=3, help="posts per topic x platform x model (default 3)")
    parser.add_argument(
        "--candidates", type=int, default=1,
        help="candidates per wanted post (default 1); `synth postprocess` with the select step keeps the best",
    )
    parser.add_argument("--posts-per-call", type=int, default=1, help="posts asked for in one call (default 1)")
    parser.add_argument(
        "--calls-per-prompt", type=int, metavar="N",
        help="consecutive calls of a cell that share one prompt, i.e. the same real examples (default: 4 for "
        "local models, which then evaluate the prompt once; 1 for the others)",
    )
    parser.add_argument(
        "--strategy", default="topic",
        help="prompt strategy (default: topic): "
        + "; ".join(f"{name}: {text}" for name, text in STRATEGY_HELP.items()),
    )
    parser.add_argument(
        "--personas", action="store_true",
        help="each prompt asks the model to write as a persona drawn with its call's seed (age, walk of life, "
        "stance, posting habit) for more varied posts; chat strategies only, completion prompts ignore it",
    )
    parser.add_argument("--k", type=int, default=5, help="real examples per prompt (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    parser.add_argument("--concurrency", type=int, help="calls in flight per model (default: 1 local, 8 others)")
    parser.add_argument("--rpm", type=float, help="requests per minute per model")
    parser.add_argument("--tpm", type=float, help="tokens per minute per model")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per call (default 120)")
    parser.add_argument("--max-tokens", type=int, help="max completion tokens per call (default, or 0: enough for "
                        "the posts per call at the platform's real length, p95 plus room)")
    parser.add_argument("--temperature", type=float, default=0.9, help="sampling temperature (default 0.9)")
    parser.add_argument("--budget", type=float, metavar="USD", help="stop before spending more than this")
    parser.add_argument("--prices", type=Path, help="price table TOML replacing the bundled one")
    parser.add_argument(
        "--base-url", action="append", metavar="URL",
        help="base URL for openai models (vLLM, Ollama, llama.cpp server...); repeat it for a fleet: calls are "
        "spread over the servers, --concurrency calls on each, and a failing server is set aside",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not answer identical calls from the cache")
    parser.add_argument(
        "--batch", action="store_true",
        help="send openai: and anthropic: calls through the providers' batch APIs (half price, results within a "
        "day): jobs are submitted, polled and collected; Ctrl-C or a crash is safe, `synth resume` picks up the "
        "same jobs. Failed or expired requests then run live",
    )
    parser.add_argument("--estimate", action="store_true", help="print the token and cost estimate and stop")
    parser.add_argument("--out", type=Path, help="run directory to create (required unless --estimate)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from synth.backends.base import GenerationOptions
    from synth.backends.registry import create_backend
    from synth.cli.progress import ProgressPrinter
    from synth.cli.stopping import stop_on_signals
    from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation
    from synth.generate.config import base_url_settings
    from synth.prompts.render import AUTO_MAX_TOKENS

    if args.out is None and not args.estimate:
        raise ConfigError("--out DIR is required: the run directory to write posts and the manifest into")
    real_posts, topics = load_real_and_topics(args.real, args.platform, args.topics_file, args.topics)
    models = tuple(
        ModelConfig(
            spec, base_url_settings(spec, args.base_url),
            concurrency=args.concurrency, requests_per_minute=args.rpm, tokens_per_minute=args.tpm,
        )
        for spec in args.model
    )
    # Build the backends now: a missing key fails before any work, and base models get completion prompts.
    backends = {model.spec: create_backend(model.spec, **model.settings) for model in models}
    suited = tuple(model.suited_to(backends[model.spec]) for model in models)
    for model, changed in zip(models, suited, strict=True):
        if changed is not model and args.strategy != "completion":
            print(f"note: {model.spec} is a base model; it gets 'completion' prompts"
                  + (", which take no persona" if args.personas else ""), file=sys.stderr)
    models = suited
    options = None
    if args.max_tokens is not None or args.temperature != 0.9:
        max_tokens = args.max_tokens if args.max_tokens is not None else AUTO_MAX_TOKENS
        options = GenerationOptions(max_tokens=max_tokens, temperature=args.temperature)
    config = GenerationConfig(
        models=models, topics=topics, platforms=tuple(p for p in args.platforms.split(",") if p.strip()),
        per_cell=args.per_cell, candidates=args.candidates, posts_per_call=args.posts_per_call,
        calls_per_prompt=args.calls_per_prompt,
        strategy=args.strategy, k=args.k, personas=args.personas,
        seed=args.seed, options=options, timeout_s=args.timeout, budget_usd=args.budget,
        prices_path=str(args.prices) if args.prices else None, use_cache=not args.no_cache, batch=args.batch,
    )
    plan = plan_run(config, real_posts)
    estimate = plan.estimate
    print(format_estimate(estimate), file=sys.stderr)
    if args.estimate:
        print(json.dumps(estimate.__dict__, indent=2, default=str))
        return 0
    with stop_on_signals() as stop:
        try:
            result = run_generation(
                plan, args.out, on_progress=ProgressPrinter(), backends=backends, cancel=stop.cancel
            )
        except KeyboardInterrupt:
            print(f"interrupted; finish the run with: python -m synth resume {args.out}", file=sys.stderr)
            return 130
    return report(result, COMPLETED, stop, f"python -m synth resume {args.out}")


def report(result: Any, completed: str, stop: Any = None, resume_command: str = "") -> int:
    """Print where the outputs are and why a run stopped early; return the exit status (128 + the signal's
    number when a signal stopped it, EXIT_UNFINISHED when it ended with fewer posts than planned)."""
    for kind, path in result.files.items():
        print(f"{kind}: {path}")
    if stop is not None and stop.signal_number is not None:
        print(f"stopped by {stop.signal_name}; finish the run with: {resume_command}", file=sys.stderr)
        return int(stop.exit_status)
    if result.status != completed:
        print(f"run stopped early ({result.status}): {result.progress.message}", file=sys.stderr)
        return EXIT_UNFINISHED
    return 0


def format_estimate(estimate: Any) -> str:
    cost = "unknown (no price for " + ", ".join(estimate.unpriced) + ")" if estimate.cost_usd is None else (
        f"${estimate.cost_usd:.4f} expected, at most ${estimate.cost_usd_max:.4f}"
    )
    return (
        f"plan: {estimate.calls} calls for {estimate.planned_posts} posts; about {estimate.input_tokens} input + "
        f"{estimate.output_tokens} output tokens ({estimate.method}); cost {cost}"
    )


def load_real_and_topics(
    files: list[str], platform: str | None, topics_file: Path | None, wanted: str
) -> tuple[Any, tuple[Any, ...]]:
    """Load the real posts and choose the topics (see --topics). Returns (posts, topics)."""
    from synth.io import combine, load_posts
    from synth.topics.select import offered_topics, topics_named

    loaded = [load_posts(path, platform=platform) for path in files]
    if topics_file is None and not _has_topics(loaded):
        # No topics anywhere: each file is one topic, named after the file.
        for item in loaded:
            item.posts["topic"] = Path(item.name).stem
    real_posts, _ = combine(loaded)
    topic_set = read_topics_file(topics_file) if topics_file is not None else None
    offered = offered_topics(real_posts, topic_set=topic_set)
    if topic_set is not None and topic_set.assignments and offered.posts["topic"].isna().all():
        raise ConfigError(
            f"no real post matches the topics in {topics_file}; it was made from other files. Run "
            "`python -m synth topics` on the same --real files"
        )
    if not offered.topics:
        raise ConfigError("no topics found; give --topics-file, or real posts with a topic column")
    return offered.posts, tuple(topics_named(offered.topics, wanted))


def _has_topics(loaded: list[Any]) -> bool:
    for item in loaded:
        column = item.posts.get("topic")
        if column is None or column.isna().all() or (column.astype("string").str.strip() == "").all():
            return False
    return True


def read_topics_file(path: Path) -> Any:
    """The TopicSet in the JSON `python -m synth topics --out` writes; its post -> topic assignments label the
    real posts, so each prompt's examples come from its topic."""
    from synth.topics.model import TopicSet

    try:
        return TopicSet.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"topics file {path} not found; write one with `python -m synth topics`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"topics file {path} is not JSON ({error}); write it with `python -m synth topics`") from None
    except (TypeError, KeyError, AttributeError, ValueError):
        raise ConfigError(
            f"topics file {path} is not one written by `python -m synth topics --out`; write it with that command"
        ) from None
