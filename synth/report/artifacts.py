"""The report and the download bundle made together, as the Report page and `synth report` make them.

`make_artifacts` fits the real posts once (`synth.metrics.reference.Reference`) and hands them to the metrics,
the leaderboard and the report; it reads the run manifests once and puts the dataset card it wrote into the
bundle, returning both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from synth.embeddings.embedder import Embedder
from synth.errors import InputError
from synth.metrics.leaderboard import Leaderboard
from synth.report.bundle import bundle_bytes, bundle_files, dataset_card, run_manifests
from synth.schema import MODEL


@dataclass(frozen=True)
class Artifacts:
    """What `make_artifacts` made: the report, the bundle and its card, and why anything was left out."""

    report_html: str
    bundle: bytes
    card: str
    files: tuple[str, ...]
    notes: tuple[str, ...]


def make_artifacts(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    run_dirs: Sequence[str | Path] = (),
    metrics: Mapping[str, Any] | None = None,
    n_boot: int = 200,
    samples_per_platform: int = 5,
    seed: int = 0,
    all_metrics: bool = False,
    embedder: Embedder | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Artifacts:
    """The report and the bundle for a pair of post sets, as the Report page and `synth report` make them.

    When `metrics` (a metrics.json dict) is not given, they are computed: every metric with `all_metrics`
    (`synth.metrics.evaluate.evaluate`, per model too when there are several; embeds every post with
    `embedder`, by default the bundled MiniLM behind its disk cache), else the lexical ones only. The
    leaderboard is scored here; one that cannot be scored (too few posts per cell) is left out with a note.
    `on_stage(words)` is called as each stage starts (a caller that raises there stops the work).

    Raises:
        InputError: empty posts, or a run directory that holds no run.
    """
    from synth.metrics.leaderboard import build_leaderboard
    from synth.metrics.lexical import compare_lexical
    from synth.metrics.reference import Reference
    from synth.report.html import build_report

    stage = on_stage or (lambda words: None)
    notes = []
    reference = Reference(real, seed=seed)
    if metrics is None:
        stage("computing every metric" if all_metrics else "computing the lexical metrics")
    if metrics is None and all_metrics:
        from synth.metrics.evaluate import evaluate

        several_models = MODEL in synthetic.columns and synthetic[MODEL].nunique() > 1
        metrics = evaluate(real, synthetic, embedder=embedder, seed=seed, by=MODEL if several_models else None,
                           reference=reference)
    elif metrics is None:
        metrics = {"lexical": compare_lexical(real, synthetic, seed=seed, reference=reference)}
        notes.append("Only lexical metrics were computed; run `python -m synth evaluate` for the others.")
    stage(f"scoring the leaderboard ({n_boot} bootstrap replicates)")
    try:
        leaderboard: Leaderboard | None = build_leaderboard(real, synthetic, n_boot=n_boot, seed=seed,
                                                            reference=reference)
    except InputError as error:
        leaderboard = None
        notes.append(f"No leaderboard: {error}")
    stage("writing the report")
    manifests = run_manifests(run_dirs)
    manifest = manifests[0] if len(manifests) == 1 else ({"runs": manifests} if manifests else None)
    report_html = build_report(real, synthetic, metrics=metrics, manifest=manifest, leaderboard=leaderboard,
                               samples_per_platform=samples_per_platform, seed=seed, reference=reference)
    stage("packing the bundle")
    card = dataset_card(synthetic, manifests=manifests, leaderboard=leaderboard, metrics=metrics, n_real=len(real))
    bundle = bundle_bytes(synthetic, report_html=report_html, run_dirs=run_dirs, metrics=metrics,
                          leaderboard=leaderboard, n_real=len(real), manifests=manifests, card=card)
    return Artifacts(report_html, bundle, card, bundle_files(metrics), tuple(notes))
