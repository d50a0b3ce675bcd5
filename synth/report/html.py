"""The standalone HTML report: one file that opens offline, with no server and no network.

Sections (each an element with a fixed id, so tests and readers can find them): `summary` (counts per
platform, source and model), `configuration` (the run manifest: models, prompts' strategy, seeds,
settings), `leaderboard` (model x platform headline score with intervals), `metrics` (every metric of
metrics.json beside its real-vs-real baseline), `figures`, `samples` (real and synthetic posts side by side
per platform) and `definitions` (what each metric means).

Offline by construction: plotly.js is inlined once in the head (each figure is a div plus a small script
calling it), styles are inline, fonts are the system's, and every piece of user text (posts, model names,
settings) passes through Jinja2's autoescaping, so it is shown as text and can never add a tag or a link.
The only `http(s)://` strings in the file are inside the inlined plotly.js library (attribution links for
map figures, which this report never draws) and in escaped post text.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from synth import __version__
from synth.errors import InputError
from synth.metrics.leaderboard import COMPONENTS, Leaderboard
from synth.metrics.lexical import lexical_features
from synth.metrics.reference import Reference, fit_reference
from synth.metrics.scorecard import AMBER_MAX_RATIO, GREEN_MAX_RATIO, scorecard
from synth.plots.compare import feature_distribution_figure, leaderboard_bars, leaderboard_heatmap
from synth.schema import MODEL, PLATFORM, TEXT

SECTIONS: tuple[str, ...] = ("summary", "configuration", "leaderboard", "metrics", "figures", "samples",
                             "definitions")
METRIC_SECTIONS: tuple[str, ...] = ("lexical", "semantic", "multiplatform", "privacy", "affect", "diversity",
                                    "utility", "detector")
# Sections whose first level is the group ("all" or a platform).
BY_PLATFORM_SECTIONS: frozenset[str] = frozenset(["lexical", "semantic", "affect", "diversity", "detector"])
# Modules whose DEFINITIONS the report and the definitions page show, in this order.
DEFINITION_MODULES: dict[str, str] = {
    "Real-vs-real baseline": "synth.metrics.baseline",
    "Leaderboard score": "synth.metrics.leaderboard",
    "Lexical": "synth.metrics.lexical",
    "Semantic": "synth.metrics.semantic",
    "Multi-platform": "synth.metrics.multiplatform",
    "Privacy and quality": "synth.metrics.privacy",
    "Affect and offensiveness": "synth.metrics.affect",
    "Diversity": "synth.metrics.diversity",
    "Utility and detector": "synth.metrics.utility",
    "Scorecard": "synth.metrics.scorecard",
}
SIDES: tuple[str, ...] = ("real", "synthetic", "baseline", "baseline_std")
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
TEMPLATE_NAME = "report.html.j2"  # in synth/report/templates/


def metric_definitions() -> dict[str, dict[str, str]]:
    """Section title -> {metric key -> definition}, from each metric module's `DEFINITIONS`.

    A module that is not part of this installation is listed with a one-line note instead of its entries,
    so a partial install shows what is missing rather than failing or hiding it.
    """
    definitions = {}
    for title, module_name in DEFINITION_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            definitions[title] = {"(not available)": f"{module_name} is not part of this installation."}
            continue
        definitions[title] = dict(module.DEFINITIONS)
    return definitions


def flatten_metrics(section: Mapping[str, Any], *, by_platform: bool) -> pd.DataFrame:
    """One row per metric of a metrics.json section: group, metric, real, synthetic, baseline, value.

    An object whose keys are among real/synthetic/baseline becomes one row (nested summaries such as
    {"mean", "median"} under each side become one row each); a plain number is a `value`; other objects
    are walked with dotted names. With `by_platform`, the first level is the platform (or "all").
    """
    rows = []
    groups = section.items() if by_platform else [("", section)]
    for group, metrics in groups:
        if not isinstance(metrics, Mapping):
            rows.append({"group": "", "metric": str(group), "value": _cell(metrics)})
            continue
        for name, value in metrics.items():
            rows.extend({"group": str(group), **row} for row in _metric_rows(str(name), value))
    return pd.DataFrame(rows, columns=["group", "metric", *SIDES, "value"])


def _metric_rows(name: str, value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, Mapping) and value and set(value) <= set(SIDES):
        nested = [side for side, v in value.items() if isinstance(v, Mapping)]
        if not nested:
            yield {"metric": name, **{side: _cell(value.get(side)) for side in SIDES if side in value}}
            return
        keys = list(dict.fromkeys(k for side in nested for k in value[side]))
        for key in keys:
            yield from _metric_rows(f"{name}.{key}", {
                side: v.get(key) if isinstance(v, Mapping) else None for side, v in value.items()
            })
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _metric_rows(f"{name}.{key}", inner)
    else:
        yield {"metric": name, "value": _cell(value)}


def _cell(value: Any) -> str:
    """A metric value as short text: numbers to 4 significant digits, lists abbreviated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple)):
        text = ", ".join(_cell(v) if not isinstance(v, str) else v for v in value[:10])
        return text + (f", … ({len(value)} in all)" if len(value) > 10 else "")
    return str(value) if not isinstance(value, Mapping) else json.dumps(value, default=str)[:200]


def feature_table(real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int = 0,
                  reference: Reference | None = None) -> pd.DataFrame:
    """Per-post lexical features of every post, labelled for the distribution figures.

    The real posts' features and halves come from `reference` (a `synth.metrics.reference.Reference` of
    `real` with `seed`) when given, else from one fitted here.

    Returns:
        One row per post: `group` ("real (half 1)" and "real (half 2)", the seeded platform-stratified halves
        of `synth.metrics.baseline.split_halves`, then one group per model, or "synthetic"), `platform`, and
        the columns of `synth.metrics.lexical.lexical_features`.
    """
    frames = []
    if len(real) >= 2:
        reference = fit_reference(real, seed=seed, reference=reference)
        platforms = real[PLATFORM].astype("string").to_numpy()
        for half, label in zip(reference.halves, ("real (half 1)", "real (half 2)"), strict=True):
            features = reference.features.iloc[half].reset_index(drop=True)
            frames.append(features.assign(group=label, platform=platforms[half]))
    models = synthetic[MODEL].astype("string").fillna("synthetic") if MODEL in synthetic.columns else None
    for model in sorted(set(models)) if models is not None else ["synthetic"]:
        rows = synthetic if models is None else synthetic[(models == model).to_numpy()]
        frames.append(_with_group(rows, str(model)))
    return pd.concat(frames, ignore_index=True)


def distribution_figures(table: pd.DataFrame, *, platform: str | None = None,
                         features: tuple[str, ...] = ("chars", "hashtags", "emoji")) -> list[go.Figure]:
    """Per-post feature distributions of a `feature_table`: the two real halves (the baseline) and each model.

    Args:
        table: from `feature_table`.
        platform: the platform to draw, or None for all posts together.
        features: the features to draw, one figure each.
    """
    if platform is not None:
        table = table[table[PLATFORM] == platform]
    figures = [feature_distribution_figure(table, feature) for feature in features]
    for figure in figures:
        figure.update_layout(title=f"{figure.layout.title.text}: {platform or 'all platforms'}")
    return figures


def _with_group(posts: pd.DataFrame, group: str) -> pd.DataFrame:
    features = lexical_features(posts).reset_index(drop=True)
    return features.assign(group=group, platform=posts[PLATFORM].astype("string").to_numpy())


def sample_posts(real: pd.DataFrame, synthetic: pd.DataFrame, *, per_platform: int = 5, seed: int = 0,
                 ) -> dict[str, dict[str, list[str]]]:
    """Platform -> {"real": texts, "synthetic": texts} with up to `per_platform` seeded random posts each.

    Synthetic samples are labelled with their model ("[model] text") when the posts carry one.
    """
    samples: dict[str, dict[str, list[str]]] = {}
    platforms = sorted(set(real[PLATFORM].dropna()) | set(synthetic[PLATFORM].dropna()))
    for platform in platforms:
        real_rows = real[real[PLATFORM] == platform]
        synthetic_rows = synthetic[synthetic[PLATFORM] == platform]
        real_pick = real_rows.sample(min(per_platform, len(real_rows)), random_state=seed)
        synthetic_pick = synthetic_rows.sample(min(per_platform, len(synthetic_rows)), random_state=seed)
        labelled = [
            f"[{model}] {text}" if MODEL in synthetic_pick.columns and isinstance(model, str) else str(text)
            for text, model in zip(synthetic_pick[TEXT], synthetic_pick.get(MODEL, [None] * len(synthetic_pick)),
                                   strict=True)
        ]
        samples[str(platform)] = {"real": [str(t) for t in real_pick[TEXT]], "synthetic": labelled}
    return samples


def build_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    metrics: Mapping[str, Any] | None = None,
    manifest: Mapping[str, Any] | None = None,
    leaderboard: Leaderboard | None = None,
    samples_per_platform: int = 5,
    seed: int = 0,
    title: str = "Synthetic data fidelity report",
    reference: Reference | None = None,
) -> str:
    """The report as one self-contained HTML document.

    Args:
        real, synthetic: the posts compared (canonical schema).
        metrics: a metrics.json dict (`synth evaluate`); sections absent from it are listed as not computed.
        manifest: the run manifest (`synth.generate.manifest`), or None when the posts came from a file.
        leaderboard: a scored leaderboard (`synth.metrics.leaderboard.build_leaderboard`), or None to leave it out.
        samples_per_platform: real and synthetic posts shown per platform.
        seed: seed of the samples and of the real halves drawn in the figures.
        title: the document title.
        reference: the real posts already fitted (`synth.metrics.reference.Reference` of `real` with `seed`),
            so the figures do not tokenise them again.

    Raises:
        InputError: either set of posts is empty or lacks the `platform`/`text` columns.
    """
    for name, posts in (("real posts", real), ("synthetic posts", synthetic)):
        if posts.empty or not {PLATFORM, TEXT} <= set(posts.columns):
            raise InputError(f"{name}: nothing to report on (no rows with platform and text). Load them first.")
    metrics = dict(metrics or {})
    table = feature_table(real, synthetic, seed=seed, reference=reference)
    figures = distribution_figures(table, features=("chars", "hashtags", "mentions", "urls", "emoji"))
    for platform in sorted(set(real[PLATFORM]) & set(synthetic[PLATFORM])):
        figures += distribution_figures(table, platform=platform, features=("chars",))
    if leaderboard is not None:
        figures += [leaderboard_heatmap(leaderboard.cells), leaderboard_bars(leaderboard.cells)]
    context = {
        "title": title,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "plotly_js": Markup(get_plotlyjs()),  # noqa: S704 - the plotly.js library itself, not user text
        "counts": _counts(real, synthetic),
        "manifest": manifest,
        "manifest_json": json.dumps(manifest, indent=2, ensure_ascii=False, default=str) if manifest else "",
        "settings": _settings(manifest),
        "leaderboard": leaderboard,
        "cells": _leaderboard_rows(leaderboard),
        "metric_tables": {
            section: flatten_metrics(metrics[section], by_platform=section in BY_PLATFORM_SECTIONS)
            .to_dict("records")
            for section in METRIC_SECTIONS if isinstance(metrics.get(section), Mapping)
        },
        "scorecards": {**_scorecards(metrics.get("lexical")), **_per_value_scorecards(metrics)},
        "thresholds": (GREEN_MAX_RATIO, AMBER_MAX_RATIO),
        "missing_sections": [s for s in METRIC_SECTIONS if not isinstance(metrics.get(s), Mapping)],
        "figures": [Markup(f.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG))  # noqa: S704
                    for f in figures],
        "samples": sample_posts(real, synthetic, per_platform=samples_per_platform, seed=seed),
        "definitions": metric_definitions(),
    }
    return _template().render(**context)


def write_report(path: str | Path, real: pd.DataFrame, synthetic: pd.DataFrame, **options: Any) -> Path:
    """Write `build_report(real, synthetic, **options)` to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(real, synthetic, **options), encoding="utf-8")
    return path


def _counts(real: pd.DataFrame, synthetic: pd.DataFrame) -> list[dict[str, Any]]:
    real_counts = real[PLATFORM].value_counts()
    synthetic_counts = synthetic[PLATFORM].value_counts()
    models = (synthetic.groupby([PLATFORM, MODEL]).size() if MODEL in synthetic.columns else None)
    rows = []
    for platform in sorted(set(real_counts.index) | set(synthetic_counts.index)):
        per_model = "" if models is None or platform not in models.index.get_level_values(0) else ", ".join(
            f"{model}: {count:,}" for model, count in models.loc[platform].items()
        )
        rows.append({"platform": platform, "real": int(real_counts.get(platform, 0)),
                     "synthetic": int(synthetic_counts.get(platform, 0)), "models": per_model})
    rows.append({"platform": "all", "real": len(real), "synthetic": len(synthetic), "models": ""})
    return rows


def _settings(manifest: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The manifest's headline settings as (name, value) pairs for a short table."""
    if not manifest:
        return []
    config = manifest.get("config", {}) if isinstance(manifest.get("config"), Mapping) else {}
    pairs = [("run", manifest.get("run_id")), ("status", manifest.get("status")),
             ("models", [m.get("spec", m) if isinstance(m, Mapping) else m for m in config.get("models", [])]),
             ("platforms", config.get("platforms")), ("strategy", config.get("strategy")),
             ("posts per cell", config.get("per_cell")), ("seed", config.get("seed")),
             ("tokens", manifest.get("tokens")), ("cost (USD)", manifest.get("cost_usd"))]
    return [(name, _cell(value)) for name, value in pairs if value not in (None, [], {})]


def _scorecards(lexical: Any) -> dict[str, list[dict[str, str]]]:
    """Group (platform or "all") -> scorecard rows as display text, from the lexical metrics."""
    if not isinstance(lexical, Mapping):
        return {}
    cards = {}
    for group, metrics in lexical.items():
        if isinstance(metrics, Mapping):
            card = scorecard(metrics)
            cards[str(group)] = [
                {"label": row.label, "real": _shown(row.real, row.unit), "synthetic": _shown(row.synthetic, row.unit),
                 "baseline": _shown(row.baseline, row.unit) + (f" ± {_shown(row.baseline_std, row.unit)}"
                                                               if row.baseline_std is not None else ""),
                 "ratio": _cell(row.ratio), "rating": row.rating, "note": row.note}
                for row in card.itertuples()
            ]
    return cards


def _shown(value: Any, unit: str) -> str:
    """A scorecard value as text: shares (0-1) in percent, other values as `_cell` writes them."""
    if unit == "share" and isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
        return f"{100 * value:.1f}%"
    return _cell(value)


def _per_value_scorecards(metrics: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """For metrics.json made with `--by COLUMN`: the all-platform scorecard of each value (each model)."""
    cards = {}
    for key, blocks in metrics.items():
        if not (key.startswith("by_") and isinstance(blocks, Mapping)):
            continue
        for value, block in blocks.items():
            lexical = block.get("lexical") if isinstance(block, Mapping) else None
            if isinstance(lexical, Mapping) and isinstance(lexical.get("all"), Mapping):
                cards[f"{key[3:]} {value}, all platforms"] = _scorecards({"all": lexical["all"]})["all"]
    return cards


def _leaderboard_rows(leaderboard: Leaderboard | None) -> list[dict[str, str]]:
    if leaderboard is None:
        return []
    return [
        {"model": str(row.model), "platform": str(row.platform), "score": _cell(row.score),
         "interval": "–" if pd.isna(row.score_low) else f"{row.score_low:.1f}–{row.score_high:.1f}",
         "p_best": _cell(row.p_best), "baseline": _cell(row.baseline_score),
         "components": " / ".join(f"{getattr(row, c):.3f}" for c in COMPONENTS),
         "n": f"{row.n_real:,} / {row.n_synthetic:,}"}
        for row in leaderboard.cells.itertuples()
    ]


def _template() -> jinja2.Template:
    # Autoescaping on for every name, whatever its extension: all user text in the report is escaped.
    environment = jinja2.Environment(loader=jinja2.PackageLoader("synth.report", "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template(TEMPLATE_NAME)
