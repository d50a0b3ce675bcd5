"""The download bundle: one zip holding a synthetic dataset and everything needed to judge and reuse it.

Files (BUNDLE_FILES; `metrics.json` only when metrics were computed):

- `synthetic_posts.csv`, `synthetic_posts.jsonl`, `synthetic_posts.parquet`: the dataset (via synth.io);
- `manifest.json`: per run, the run manifest (`synth.generate.manifest`: config with models, seeds and
  settings, backend descriptions, counts, tokens, cost); plus the dataset's counts;
- `prompts.jsonl`: every planned call with its exact prompt (messages or completion prompt, options, seed,
  the real post ids used as few-shot examples);
- `costs.csv`: the token and cost log, one row per call;
- `report.html`: the standalone report (`synth.report.html`);
- `DATASET_CARD.md`: what the dataset is, how it was made, its measured fidelity, intended use and limits.

No secrets: run configs are saved without credentials by the engine, and everything written here also
passes `synth.backends.keys.scrub_json` (the one home of scrubbing), which drops credential-named keys and
masks URL credentials and key-shaped strings, as a second guard.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from synth import __version__
from synth.backends.keys import scrub_json
from synth.errors import InputError
from synth.generate.store import COST_COLUMNS
from synth.jsonable import json_ready
from synth.metrics.leaderboard import Leaderboard
from synth.schema import MODEL, PLATFORM, RUN_ID, TOPIC, count_by_value

POSTS_STEM = "synthetic_posts"
BUNDLE_FILES: tuple[str, ...] = (
    f"{POSTS_STEM}.csv", f"{POSTS_STEM}.jsonl", f"{POSTS_STEM}.parquet", "manifest.json", "prompts.jsonl",
    "costs.csv", "report.html", "DATASET_CARD.md",
)
def find_run_dirs(run_ids: Sequence[str], root: str | Path | None = None) -> list[Path]:
    """The run directories directly under `root` (default: `synth.paths.runs_root()`) whose run id is one of
    `run_ids`, sorted by path."""
    from synth.generate.store import STORE_FILE, RunStore
    from synth.paths import runs_root

    wanted, found = set(run_ids), []
    root = Path(root) if root is not None else runs_root()
    if not wanted or not root.is_dir():
        return []
    for store_path in sorted(root.glob(f"*/{STORE_FILE}")):
        store = RunStore.open(store_path.parent)
        try:
            if store.run_id in wanted:
                found.append(store_path.parent)
        finally:
            store.close()
    return found


def run_manifests(run_dirs: Sequence[str | Path]) -> list[dict[str, Any]]:
    """The manifest of each run directory, scrubbed of secrets.

    Raises:
        InputError: a directory holds no run.
    """
    from synth.generate import manifest

    return [scrub_json(manifest(run_dir)) for run_dir in run_dirs]


def run_prompts(run_dirs: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Every planned call of the runs with its exact prompt, in plan order."""
    from synth.generate.store import RunStore, request_to_json

    rows = []
    for run_dir in run_dirs:
        store = RunStore.open(run_dir)
        try:
            for call in store.calls():
                rows.append(scrub_json({
                    "run_id": store.run_id, "call_id": call.call_id, "model": call.model_spec,
                    "platform": call.platform, "topic": call.topic, "strategy": call.strategy, "seed": call.seed,
                    "prompt_id": call.prompt_id, "example_ids": list(call.example_ids), "n_posts": call.n_posts,
                    "request": json.loads(request_to_json(call.request)),
                }))
        finally:
            store.close()
    return rows


def run_costs(run_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """The token and cost log of the runs: one row per call (COST_COLUMNS).

    From the run store (`RunStore.cost_log`), which records tokens, cost and latency of every call,
    including failed ones that made no post.
    """
    from synth.generate.store import RunStore

    frames = []
    for run_dir in run_dirs:
        store = RunStore.open(run_dir)
        try:
            frames.append(pd.DataFrame(store.cost_log(), columns=list(COST_COLUMNS)))
        finally:
            store.close()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COST_COLUMNS))


def costs_from_posts(synthetic: pd.DataFrame) -> pd.DataFrame:
    """A token and cost log rebuilt from the provenance columns of the posts (one row per call), for
    posts loaded from a file without their run directory; empty when the posts carry no such columns."""
    needed = {"call_id", "input_tokens", "output_tokens"}
    if not needed <= set(synthetic.columns):
        return pd.DataFrame(columns=list(COST_COLUMNS))
    log = synthetic.drop_duplicates("call_id").rename(columns={MODEL: "model_spec"})
    return log.reindex(columns=list(COST_COLUMNS)).reset_index(drop=True)


def dataset_card(
    synthetic: pd.DataFrame,
    *,
    manifests: Sequence[Mapping[str, Any]] = (),
    leaderboard: Leaderboard | None = None,
    metrics: Mapping[str, Any] | None = None,
    n_real: int | None = None,
) -> str:
    """A markdown dataset card: what the dataset is, how it was made, measured fidelity, use and limits."""
    platforms = synthetic[PLATFORM].value_counts().sort_index()
    models = sorted(synthetic[MODEL].dropna().astype(str).unique()) if MODEL in synthetic.columns else []
    topics = sorted(synthetic[TOPIC].dropna().astype(str).unique()) if TOPIC in synthetic.columns else []
    lines = [
        "# Synthetic social media dataset",
        "",
        f"Made with synth {__version__} on {datetime.now(UTC):%Y-%m-%d}. **Every post in it was written by a "
        "language model; none was written by a person.**",
        "",
        "## What it is",
        "",
        f"- {len(synthetic):,} synthetic posts on {len(platforms)} platform(s): "
        + ", ".join(f"{_md(p)} ({n:,})" for p, n in platforms.items()),
        f"- Models: {', '.join(_md(m) for m in models) or 'not recorded'}",
        f"- Topics: {', '.join(_md(t) for t in topics[:30]) or 'not recorded'}"
        + (f" and {len(topics) - 30} more" if len(topics) > 30 else ""),
        "",
        "## How it was made",
        "",
    ]
    lines += _how_it_was_made(manifests)
    lines += ["", "## Measured fidelity", "", *_measured_fidelity(leaderboard, metrics, n_real)]
    lines += [
        "",
        "## Intended use",
        "",
        "Research and development where real multi-platform data cannot be shared or collected: building and "
        "testing classifiers and pipelines for disinformation, influence operations, hate speech and influencer "
        "marketing; teaching; stress-testing tools. Label it as synthetic wherever it is used or shown.",
        "",
        "## Limits",
        "",
        "- Not real opinions or events: do not cite it as evidence of what people said, nor report counts from it "
        "as real-world prevalence.",
        "- Fidelity is measured on the metrics above only; a high score does not mean every property of real "
        "posts (threads, timing, networks, images) is reproduced.",
        "- Models carry their own biases and refusals; small local models write less like real users.",
        "- Posts may repeat or closely paraphrase real posts used as examples, and may reproduce real @handles or "
        "URLs: check the privacy metrics before sharing.",
        "",
        "## Files",
        "",
        *[f"- `{name}`" for name in BUNDLE_FILES],
        *(["- `metrics.json`"] if metrics else []),
        "",
        "In the CSV files, a text cell that a spreadsheet would run as a formula (one starting with `=`, `+`, "
        "`-`, `@`, a tab or a carriage return) starts with an added `'` (OWASP's advice against CSV injection); "
        "the JSON Lines and Parquet files keep every text exactly as written.",
        "",
    ]
    return "\n".join(lines)


def _how_it_was_made(manifests: Sequence[Mapping[str, Any]]) -> list[str]:
    """The card's how-it-was-made lines: one per run, or a note that the posts came from a file."""
    lines: list[str] = []
    if manifests:
        for item in manifests:
            config = item.get("config", {})
            lines += [
                f"- Run `{_md(item.get('run_id'))}` ({_md(item.get('status'))}, {_md(item.get('created_at'))}): "
                f"models {', '.join(_md(m.get('spec')) for m in config.get('models', []))}; strategy "
                f"{_md(config.get('strategy'))}; {_md(config.get('per_cell'))} post(s) per topic x platform "
                f"cell; seed {_md(config.get('seed'))}; tokens {_tokens(item.get('tokens'))}; cost (USD) "
                f"{_md(item.get('cost_usd'))}.",
            ]
        lines += ["", "Prompts are topic-based and platform-aware: each names a topic and a platform's style and may "
                  "quote a few real posts as examples. The exact prompt of every call is in `prompts.jsonl`; "
                  "settings, seeds and model versions in `manifest.json`; tokens and cost in `costs.csv`."]
    else:
        lines += ["The posts were loaded from a file, not generated in a recorded run: prompts, seeds and costs "
                  "are unknown (`prompts.jsonl` and `costs.csv` hold only what the posts' own columns record)."]
    return lines


def _tokens(tokens: Any) -> str:
    """'1,200 in, 300 out' for a manifest's tokens (a dict), never the dict itself."""
    if not isinstance(tokens, Mapping):
        return _md(tokens)
    return f"{int(tokens.get('input') or 0):,} in, {int(tokens.get('output') or 0):,} out"


def _measured_fidelity(leaderboard: Leaderboard | None, metrics: Mapping[str, Any] | None,
                       n_real: int | None) -> list[str]:
    """The card's measured-fidelity lines: the leaderboard's table and verdicts, and where the full metrics are."""
    lines: list[str] = []
    if leaderboard is not None:
        lines += [
            f"Headline score 0-100 against {n_real:,} real posts" if n_real is not None else "Headline score 0-100",
            f"(mean of length, marker and vocabulary similarity; 95% bootstrap interval over "
            f"{leaderboard.n_boot} replicates; baseline = two halves of the real posts):",
            "",
            "| model | platform | score | 95% interval | real-vs-real baseline |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for row in leaderboard.cells.itertuples():
            interval = "–" if pd.isna(row.score_low) else f"{row.score_low:.1f}–{row.score_high:.1f}"
            baseline = "–" if pd.isna(row.baseline_score) else f"{row.baseline_score:.1f}"
            lines.append(f"| {_md(row.model)} | {_md(row.platform)} | {row.score:.1f} | {interval} | {baseline} |")
        lines += ["", *[f"- {_md(v)}" for v in leaderboard.best["verdict"]]]
    else:
        lines.append("No leaderboard was computed for this bundle.")
    if metrics:
        lines += ["", "Full metrics, each beside its real-vs-real baseline: `metrics.json` and `report.html` "
                  f"(sections: {', '.join(k for k in metrics if k != 'meta')})."]
    else:
        lines += ["", "See `report.html` for the figures and metrics computed for this bundle."]
    return lines


def _md(value: Any) -> str:
    """User text for a markdown line or table cell: one line, table pipes and markup characters escaped."""
    text = " ".join(str("–" if value is None else value).split())
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", text)


def bundle_bytes(
    synthetic: pd.DataFrame,
    *,
    report_html: str,
    run_dirs: Sequence[str | Path] = (),
    metrics: Mapping[str, Any] | None = None,
    leaderboard: Leaderboard | None = None,
    n_real: int | None = None,
    manifests: Sequence[Mapping[str, Any]] | None = None,
    card: str | None = None,
) -> bytes:
    """The zip bundle as bytes (for a download button); see the module docstring for its files.

    Args:
        synthetic: the synthetic posts.
        report_html: the standalone report (`synth.report.html.build_report`).
        run_dirs: the run directories the posts came from; none when they were loaded from a file.
        metrics: the metrics.json dict, written as `metrics.json` when given.
        leaderboard: the scored leaderboard, summarised in the dataset card.
        n_real: how many real posts the fidelity was measured against (for the card).
        manifests: `run_manifests(run_dirs)` when the caller has already read them; read here when None.
        card: the dataset card when the caller has already written it; written here when None.

    Raises:
        InputError: no synthetic posts, or a run directory that holds no run.
    """
    from synth.io.write import csv_bytes, posts_to_bytes

    if synthetic.empty:
        raise InputError("no synthetic posts to export. Generate posts or load a synthetic file first.")
    if manifests is None:
        manifests = run_manifests(run_dirs)
    if card is None:
        card = dataset_card(synthetic, manifests=manifests, leaderboard=leaderboard, metrics=metrics, n_real=n_real)
    costs = run_costs(run_dirs) if run_dirs else costs_from_posts(synthetic)
    manifest = {
        "synth_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": int(len(synthetic)),
        "posts_per_platform": count_by_value(synthetic[PLATFORM]),
        "run_ids": sorted(synthetic[RUN_ID].dropna().astype(str).unique()) if RUN_ID in synthetic.columns else [],
        "runs": manifests,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for file_format in ("csv", "jsonl", "parquet"):
            bundle.writestr(f"{POSTS_STEM}.{file_format}", posts_to_bytes(synthetic, file_format))
        bundle.writestr("manifest.json", _json(manifest))
        bundle.writestr("prompts.jsonl", "".join(_json(row, indent=None) + "\n" for row in run_prompts(run_dirs)))
        bundle.writestr("costs.csv", csv_bytes(costs))
        bundle.writestr("report.html", report_html)
        bundle.writestr("DATASET_CARD.md", card)
        if metrics:
            bundle.writestr("metrics.json", _json(scrub_json(metrics)))
    return buffer.getvalue()


def write_bundle(path: str | Path, synthetic: pd.DataFrame, **options: Any) -> Path:
    """Write `bundle_bytes(synthetic, **options)` to `path` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bundle_bytes(synthetic, **options))
    return path


def _json(value: Any, indent: int | None = 2) -> str:
    """Strict JSON: NaN and infinities (not JSON) are written as null."""
    return json.dumps(json_ready(value), indent=indent, ensure_ascii=False, default=str, allow_nan=False)


def bundle_files(metrics: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The names of the files `bundle_bytes` writes, in the order it writes them."""
    return BUNDLE_FILES + (("metrics.json",) if metrics else ())
