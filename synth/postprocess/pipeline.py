"""Run post-processing steps in order on a generation run and save the steered set beside, never over, it.

`load_run_for_postprocess(run_dir)` reads a run's posts and what its calls knew (each post's prompt examples,
the calls cut at max_tokens, the posts wanted per cell); `postprocess(posts, context, steps)` applies the
steps in order; `write_result(result, out_dir)` writes `posts.csv` (the kept posts, canonical columns),
`steps.json` (per step: in, out, changed, reasons) and `changes.csv` (every change with the text before and
after, so any step can be undone).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from synth import schema
from synth.backends.base import Backend
from synth.errors import ConfigError, InputError
from synth.generate.runs import load_run_posts
from synth.generate.store import STORE_FILE, RunStore
from synth.io.write import write_posts
from synth.postprocess import DEFAULT_STEPS  # noqa: F401  (re-exported beside step_names)
from synth.postprocess.base import Change, Context, Step, StepResult, change_records

STEPS_JSON = "steps.json"
CHANGES_CSV = "changes.csv"
POSTS_CSV = "posts.csv"


def step_names() -> tuple[str, ...]:
    """The steps in the order they run."""
    return tuple(_registry())


def make_steps(names: Sequence[str], *, rounds: int = 2, max_calls: int | None = None) -> list[Step]:
    """New steps for `names`, put in the registry's order whatever order they were named in.

    Args:
        rounds, max_calls: regenerate's rounds and call budget (see synth.postprocess.regenerate).

    Raises:
        ConfigError: an unknown or repeated step name, or a bad rounds / max_calls.
    """
    from synth.postprocess.regenerate import Regenerate

    registry = _registry()
    unknown = [name for name in names if name not in registry]
    if unknown or not names:
        raise ConfigError(
            f"unknown step(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(registry)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError("a step is named twice; name each step once")
    steps: list[Step] = []
    for name in registry:
        if name in names:
            # Regenerate passes its new posts through the steps before it, the very objects, fitted alike.
            steps.append(Regenerate(rounds, max_calls, earlier=list(steps)) if name == "regenerate"
                         else registry[name]())
    return steps


def _registry() -> dict[str, Any]:
    from synth.postprocess.calibrate import Calibrate
    from synth.postprocess.filter import Filter
    from synth.postprocess.rebalance import Rebalance
    from synth.postprocess.regenerate import Regenerate
    from synth.postprocess.select import Select

    return {"filter": Filter, "calibrate": Calibrate, "select": Select, "rebalance": Rebalance,
            "regenerate": Regenerate}


@dataclass(frozen=True)
class RunInputs:
    """A run's posts and what its calls knew."""

    posts: pd.DataFrame
    examples: dict[str, tuple[str, ...]]
    truncated: frozenset[str]
    per_cell: int
    calls: int
    seconds: float


def load_run_for_postprocess(run_dir: str | Path, real: pd.DataFrame) -> RunInputs:
    """Read a run: its posts, each post's prompt examples (texts looked up in `real`, else in nothing), the
    posts whose call hit max_tokens, and the posts wanted per cell.

    Raises:
        InputError: `run_dir` holds no run, or the run has no posts yet.
    """
    run_dir = Path(run_dir)
    if not (run_dir / STORE_FILE).is_file():
        raise InputError(f"{run_dir} holds no run ({STORE_FILE} missing); give the folder `synth generate --out` made")
    posts = load_run_posts(run_dir)
    if posts.empty:
        raise InputError(f"the run in {run_dir} has no posts yet; finish it with `python -m synth resume {run_dir}`")
    store = RunStore.open(run_dir)
    try:
        calls = {call.call_id: call for call in store.calls()}
        config, info = store.config(), store.run_info()
    finally:
        store.close()
    real_text = dict(zip(real[schema.POST_ID].astype(str), real[schema.TEXT].astype(str), strict=False))
    examples: dict[str, tuple[str, ...]] = {}
    truncated: set[str] = set()
    last_of_call = posts.groupby("call_id")[schema.POST_ID].last()
    for post_id, call_id, output_tokens in zip(
        posts[schema.POST_ID].astype(str), posts["call_id"], posts["output_tokens"], strict=True
    ):
        call = calls.get(call_id)
        if call is None:
            continue
        examples[post_id] = tuple(real_text[i] for i in call.example_ids if i in real_text)
        if output_tokens >= call.request.options.max_tokens and last_of_call.get(call_id) == post_id:
            truncated.add(post_id)
    done = [call for call in calls.values()]
    return RunInputs(
        posts=posts, examples=examples, truncated=frozenset(truncated),
        per_cell=int(config.get("per_cell", 1)), calls=len(done), seconds=float(info.get("active_s") or 0.0),
    )


@dataclass
class PostprocessResult:
    """The steered set and the record of how it was made."""

    posts: pd.DataFrame
    steps: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[str, pd.DataFrame] = field(default_factory=dict)


def postprocess(posts: pd.DataFrame, context: Context, steps: Sequence[Step]) -> PostprocessResult:
    """Fit each step on the reference real posts and apply the steps in order; `posts` is not modified.

    Returns:
        The kept posts, one summary per step (in, out, changed, reasons), every change, and the posts after
        each step (`snapshots`, by step name) for before/after comparisons.
    """
    if posts.empty:
        raise InputError("no synthetic posts to post-process; generate some first")
    result = PostprocessResult(posts=posts.copy())
    for step in steps:
        step.fit(context)
        applied: StepResult = step.apply(result.posts)
        result.steps.append(applied.summary(step.name, len(result.posts)) | _params(step))
        result.changes.extend(change_records(applied.changes, step.name))
        result.posts = applied.posts
        result.snapshots[step.name] = applied.posts
    return result


def _params(step: Step) -> dict[str, Any]:
    params = getattr(step, "record", None)
    return {"params": params()} if callable(params) else {}


def check_out_dir(out_dir: str | Path) -> Path:
    """`out_dir` as a Path once it is known to be usable: not a file, not a run folder.

    Raises:
        InputError: it is a file, or it holds a generation run (whose raw posts must stay as they are).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder; name a folder (it is created if missing)")
    if (out / STORE_FILE).exists():
        raise InputError(f"{out} holds a generation run; write the steered set to another folder, the raw posts stay")
    return out


def write_result(result: PostprocessResult, out_dir: str | Path, *, source: dict[str, Any]) -> dict[str, Path]:
    """Write posts.csv (canonical columns), steps.json and changes.csv into `out_dir` (created if missing).

    Raises:
        InputError: `out_dir` is a file, or would overwrite the run's own posts.
    """
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"posts": out / POSTS_CSV, "steps": out / STEPS_JSON, "changes": out / CHANGES_CSV}
    columns = [column for column in schema.CANONICAL_COLUMNS if column in result.posts.columns]
    write_posts(result.posts[columns], files["posts"])
    files["steps"].write_text(
        json.dumps({"source": source, "steps": result.steps}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    pd.DataFrame(result.changes, columns=["step", *Change.__dataclass_fields__]).to_csv(files["changes"], index=False)
    return files


def label_real_topics(real: pd.DataFrame, topic_set: Any | None) -> pd.DataFrame:
    """The real posts with the run's topic ids in their `topic` column when a topic set is given (its
    assignments label them, as `synth generate --topics-file` does), else unchanged."""
    return real if topic_set is None else topic_set.label_posts(real)


def steer_run(
    real: pd.DataFrame,
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    steps: Sequence[str],
    topic_set: Any | None = None,
    per_cell: int | None = None,
    seed: int = 0,
    embedder: Any | None = None,
    rounds: int = 2,
    max_calls: int | None = None,
    backends: Mapping[str, Backend] | None = None,
) -> tuple[PostprocessResult, dict[str, Path]]:
    """Post-process the run in `run_dir` with `steps` fitted on `real` and write the result to `out_dir`.

    With `regenerate` among the steps, new posts are made with the run's saved models and settings (keys from
    the environment, as for `synth resume`; `backends` by model spec replace the ones built), `rounds` and
    `max_calls` bounding it, each round a new run under `out_dir/regenerated/`.

    Raises:
        ConfigError: an unknown step, `out_dir` is the run folder, or regenerate without a usable model.
        InputError: no run in `run_dir`, a run without posts, unreadable real posts.
    """
    from synth.embeddings.embedder import get_default_embedder
    from synth.postprocess.targeted import RunGenerator

    chosen = make_steps(steps, rounds=rounds, max_calls=max_calls)
    if Path(out_dir).resolve() == Path(run_dir).resolve():
        raise ConfigError("--out must be another folder than --run: the raw posts are never overwritten")
    check_out_dir(out_dir)  # before the work, not after it
    if real.empty:
        raise InputError("the real posts are empty; give the reference real posts with --real")
    inputs = load_run_for_postprocess(run_dir, real)
    reference = label_real_topics(real, topic_set)
    generator = RunGenerator(run_dir, reference, out_dir, backends=backends) if "regenerate" in steps else None
    context = Context(
        real=reference, embedder=embedder or get_default_embedder(), examples=inputs.examples,
        truncated=inputs.truncated, per_cell=per_cell or inputs.per_cell, seed=seed, generator=generator,
    )
    result = postprocess(inputs.posts, context, chosen)
    source = {"run_dir": str(run_dir), "raw_posts": len(inputs.posts), "calls": inputs.calls,
              "generation_s": round(inputs.seconds, 3), "kept_posts": len(result.posts), "seed": seed}
    return result, write_result(result, out_dir, source=source)
