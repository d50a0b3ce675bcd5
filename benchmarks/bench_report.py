"""Time the leaderboard, the standalone report and the export bundle on 10k real vs 10k synthetic posts.

Real: 10,000 posts sampled (seed 0) from ../shared/data/covid_vaccine/posts.csv (Twitter and Reddit).
Synthetic stand-in (no model is called): 10,000 posts, two "models": `covid-rest` = the 1,324 covid posts not in
the real sample, drawn with replacement to 5,000; `zomato` = ../shared/data/zomato/posts.csv Twitter and Reddit
posts, drawn with replacement to 5,000. Prints one JSON object; skips (exit 0, {"skipped": ...}) without the data.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - start, 2)


def main() -> None:
    if not DATA.is_dir():
        print(json.dumps({"skipped": f"{DATA} is absent"}))
        return
    from synth.metrics.leaderboard import build_leaderboard
    from synth.metrics.lexical import compare_lexical
    from synth.report.bundle import bundle_bytes
    from synth.report.html import build_report

    covid = pd.read_csv(DATA / "covid_vaccine" / "posts.csv")
    zomato = pd.read_csv(DATA / "zomato" / "posts.csv")
    real = covid.sample(10_000, random_state=0).assign(source="real")
    rest = covid.drop(real.index).sample(5_000, replace=True, random_state=1).assign(model="covid-rest")
    other = zomato[zomato["platform"].isin(["twitter", "reddit"])].sample(5_000, replace=True, random_state=2)
    synthetic = pd.concat([rest, other.assign(model="zomato")], ignore_index=True).assign(source="synthetic")
    synthetic["post_id"] = [f"synthetic_{i}" for i in range(len(synthetic))]

    board, leaderboard_s = _timed(build_leaderboard, real, synthetic, n_boot=200, seed=0)
    _, leaderboard_no_boot_s = _timed(build_leaderboard, real, synthetic, n_boot=0, seed=0)
    lexical, lexical_s = _timed(compare_lexical, real, synthetic, seed=0)
    html, report_s = _timed(build_report, real, synthetic, metrics={"lexical": lexical}, leaderboard=board)
    bundle, bundle_s = _timed(bundle_bytes, synthetic, report_html=html, metrics={"lexical": lexical},
                              leaderboard=board, n_real=len(real))
    print(json.dumps({
        "real_posts": len(real), "synthetic_posts": len(synthetic), "models": 2, "platforms": 2,
        "leaderboard_n_boot_200_s": leaderboard_s, "leaderboard_no_bootstrap_s": leaderboard_no_boot_s,
        "compare_lexical_s": lexical_s, "report_html_s": report_s, "report_mb": round(len(html) / 1e6, 2),
        "bundle_s": bundle_s, "bundle_mb": round(len(bundle) / 1e6, 2),
        "best": board.best[["platform", "best_model", "clear"]].to_dict("records"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
