"""Lexical metrics on 11k real vs 10k "synthetic" posts: the vectorised synth.metrics.lexical against a
straightforward per-post pandas `apply` implementation of the same metrics (written here only), and the
speed ratio. Both results are compared number by number, so the ratio is between equal answers.

Real: ../shared/data/covid_vaccine/posts.csv (11,324 posts, twitter + reddit).
Synthetic stand-in: ../shared/data/zomato/posts.csv (2,900 posts, reddit + twitter + youtube) resampled with
replacement to 10,000 rows (seed 0). Prints JSON. Usage: python benchmarks/bench_lexical.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.metrics.baseline import split_halves  # noqa: E402
from synth.metrics.lexical import compare_lexical  # noqa: E402
from synth.metrics.lexical_posts import PRONOUNS, easy_words  # noqa: E402
from synth.text import emoji_re, tokenize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?…]+(?:\s|$)")


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    real = pd.read_csv(DATA / "covid_vaccine" / "posts.csv", usecols=["post_id", "platform", "text"])
    zomato = pd.read_csv(DATA / "zomato" / "posts.csv", usecols=["post_id", "platform", "text"])
    synthetic = zomato.sample(10_000, replace=True, random_state=0).reset_index(drop=True)
    synthetic["post_id"] = [f"s{i}" for i in range(len(synthetic))]
    return real, synthetic


# ---- the straightforward implementation: one Python function per post, applied with pandas ----

def _kind(token: str) -> str:
    if token.startswith(("http://", "https://", "www.")):
        return "url"
    if token.startswith(("@", "u/")):
        return "mention"
    if token.startswith("#") and "\u20e3" not in token:
        return "hashtag"
    return "emoji" if emoji_re().fullmatch(token) else "word"


def _syllables(word: str) -> int:
    groups = len(re.findall(r"[aeiouy]+", word))
    silent = word.endswith("e") and not word.endswith("le") and groups > 1
    return max(groups - silent, 1)


def post_features(text: Any) -> pd.Series:
    text = text if isinstance(text, str) else ""
    tokens = tokenize(text)
    kinds = [_kind(t) for t in tokens]
    words = [t for t, k in zip(tokens, kinds, strict=True) if k == "word"]
    prose = URL.sub(" ", text)
    sentences = max(len(SENTENCE_END.findall(prose)), 1) if words else 0
    syllables = sum(_syllables(w) for w in words)
    difficult = sum(w not in easy_words() for w in words)
    stems = [re.sub(r"['’].*$", "", w) for w in words]
    letters = sum(unicodedata.category(c) in ("Lu", "Ll", "Lt") for c in prose)
    upper = sum(unicodedata.category(c) == "Lu" for c in prose)
    row: dict[str, Any] = {
        "chars": len(text), "tokens": len(tokens), "words": len(words),
        "hashtags": kinds.count("hashtag"), "mentions": kinds.count("mention"), "urls": kinds.count("url"),
        "emoji": kinds.count("emoji"), "has_question": "?" in prose, "has_exclamation": "!" in prose,
        "uppercase_ratio": upper / letters if letters else math.nan,
        "terms": ["<url>" if k == "url" else t for t, k in zip(tokens, kinds, strict=True)],
        "items": {k: [t for t, kk in zip(tokens, kinds, strict=True) if kk == k] for k in ("hashtag", "emoji",
                                                                                         "mention", "url")},
    }
    for person, pronouns in PRONOUNS.items():
        row[f"pronouns_{person}"] = sum(s in pronouns for s in stems)
    if words:
        per_sentence = len(words) / sentences
        row["fk"] = 0.39 * per_sentence + 11.8 * syllables / len(words) - 15.59
        percent = 100 * difficult / len(words)
        row["dc"] = 0.1579 * percent + 0.0496 * per_sentence + (3.6365 if percent > 5 else 0)
    else:
        row["fk"] = row["dc"] = math.nan
    return pd.Series(row)


def naive_describe(rows: pd.DataFrame) -> dict[str, Any]:
    n = len(rows)
    out: dict[str, Any] = {"n_posts": n}
    for measure in ("chars", "tokens"):
        values = rows[measure].tolist()
        out[f"{measure}_mean"] = statistics.fmean(values) if n else None
        out[f"{measure}_std"] = statistics.stdev(values) if n > 1 else None
        q = np.quantile(values, [0.25, 0.5, 0.75]).tolist() if n else [None] * 3
        out[f"{measure}_q25"], out[f"{measure}_median"], out[f"{measure}_q75"] = q
    for name, kind in (("hashtags", "hashtag"), ("mentions", "mention"), ("urls", "url"), ("emoji", "emoji")):
        counts = rows[name].tolist()
        out[f"{name}_per_post"] = statistics.fmean(counts) if n else None
        out[f"{name}_share"] = statistics.fmean(c > 0 for c in counts) if n else None
        out[f"{name}_unique"] = len({item for items in rows["items"] for item in items[kind]})
    terms = [t for ts in rows["terms"] for t in ts]
    vocabulary = len(set(terms))
    out["vocabulary_size"] = vocabulary
    out["type_token_ratio"] = vocabulary / len(terms) if terms else None
    for size in (1, 2, 3):
        grams = {tuple(ts[i : i + size]) for ts in rows["terms"] for i in range(len(ts) - size + 1)}
        out[f"unique_{size}grams_per_post"] = len(grams) / n if n else None
    for key, column in (("flesch_kincaid_grade", "fk"), ("dale_chall", "dc")):
        values = rows[column].dropna().tolist()
        out[key] = statistics.fmean(values) if values else None
    totals = {p: int(rows[f"pronouns_{p}"].sum()) for p in ("first", "second", "third")}
    for person, total in totals.items():
        out[f"pronoun_{person}_share"] = total / sum(totals.values()) if sum(totals.values()) else None
    out["question_rate"] = statistics.fmean(rows["has_question"]) if n else None
    out["exclamation_rate"] = statistics.fmean(rows["has_exclamation"]) if n else None
    ratios = rows["uppercase_ratio"].dropna().tolist()
    out["uppercase_ratio"] = statistics.fmean(ratios) if ratios else None
    return out


def naive_compare(a: pd.DataFrame, b: pd.DataFrame, top_k: int) -> dict[str, Any]:
    keys = ["chars_ks", "tokens_ks", "top_hashtags_jaccard", "top_emoji_jaccard", "unigram_jsd",
            "vocabulary_jaccard"]
    if a.empty or b.empty:
        return dict.fromkeys(keys)

    def top(rows: pd.DataFrame, kind: str) -> set[str]:
        counts = Counter(item for items in rows["items"] for item in items[kind])
        return {item for item, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]}

    def jaccard(x: set[str], y: set[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    out: dict[str, Any] = {f"{m}_ks": float(ks_2samp(a[m], b[m]).statistic) for m in ("chars", "tokens")}
    out["top_hashtags_jaccard"] = jaccard(top(a, "hashtag"), top(b, "hashtag"))
    out["top_emoji_jaccard"] = jaccard(top(a, "emoji"), top(b, "emoji"))
    ca = Counter(t for ts in a["terms"] for t in ts)
    cb = Counter(t for ts in b["terms"] for t in ts)
    vocabulary = sorted(set(ca) | set(cb))
    out["unigram_jsd"] = float(jensenshannon([ca[t] for t in vocabulary], [cb[t] for t in vocabulary], base=2)) ** 2
    out["vocabulary_jaccard"] = jaccard(set(ca), set(cb))
    return out


def naive_compare_lexical(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0,
                          top_k: int = 20) -> dict[str, Any]:
    real_rows = real["text"].apply(post_features)
    synthetic_rows = synthetic["text"].apply(post_features)
    first, second = split_halves(real, seed=seed)
    result: dict[str, Any] = {}
    for group in ["all", *sorted(set(real["platform"]) | set(synthetic["platform"]))]:
        def pick(rows: pd.DataFrame, frame: pd.DataFrame, g: str = group) -> pd.DataFrame:
            return rows if g == "all" else rows[(frame["platform"] == g).to_numpy()]
        r, s = pick(real_rows, real), pick(synthetic_rows, synthetic)
        a, b = pick(real_rows.loc[first.index], first), pick(real_rows.loc[second.index], second)
        described = {"real": naive_describe(r), "synthetic": naive_describe(s), "baseline": naive_describe(b)}
        metrics: dict[str, Any] = {k: {side: described[side][k] for side in described} for k in described["real"]}
        for key, value in naive_compare(r, s, top_k).items():
            metrics[key] = value
        for key, value in naive_compare(a, b, top_k).items():
            metrics[f"{key}_baseline"] = value
        result[group] = metrics
    return result


def _flatten(result: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    real, synthetic = load()

    # Wall time depends on what else runs on the machine; process CPU time (all threads) much less so.
    timings, cpu_timings = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fast = compare_lexical(real, synthetic, seed=0)
        timings.append(time.perf_counter() - start)
        cpu_timings.append(time.process_time() - start_cpu)
    start, start_cpu = time.perf_counter(), time.process_time()
    naive = naive_compare_lexical(real, synthetic, seed=0)
    naive_seconds, naive_cpu = time.perf_counter() - start, time.process_time() - start_cpu

    fast_flat, naive_flat = _flatten(fast), _flatten(naive)
    differing = sorted(
        key for key in fast_flat.keys() | naive_flat.keys()
        if not (fast_flat.get(key) is None and naive_flat.get(key) is None)
        and (fast_flat.get(key) is None or naive_flat.get(key) is None
             or not math.isclose(fast_flat[key], naive_flat[key], rel_tol=1e-9, abs_tol=1e-9))
    )
    print(json.dumps({
        "benchmark": "lexical metrics (synth.metrics.lexical.compare_lexical), per platform + all, with baseline",
        "real": "covid_vaccine/posts.csv", "n_real": len(real),
        "synthetic": "zomato/posts.csv resampled with replacement to 10,000 rows (seed 0)",
        "n_synthetic": len(synthetic),
        "groups": sorted(fast),
        "vectorised_seconds_first_call": round(timings[0], 3),
        "vectorised_seconds_all_calls": [round(t, 3) for t in timings],
        "vectorised_seconds_median": round(statistics.median(timings), 3),
        "vectorised_cpu_seconds_all_calls": [round(t, 3) for t in cpu_timings],
        "target_seconds": 5.0,
        "per_post_apply_seconds": round(naive_seconds, 3),
        "per_post_apply_cpu_seconds": round(naive_cpu, 3),
        "speed_ratio_apply_over_vectorised_median": round(naive_seconds / statistics.median(timings), 2),
        "cpu_speed_ratio_apply_over_vectorised_median": round(naive_cpu / statistics.median(cpu_timings), 2),
        "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 2),
        "numbers_compared": len(fast_flat),
        "numbers_differing": differing,
        "python": platform.python_version(), "pandas": pd.__version__, "cpus": __import__("os").cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
