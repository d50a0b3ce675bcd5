"""Load + validate speed and peak memory of synth.io on real posts.

Measures `load_files` (read, detect, map, validate, language mix) on ../shared/data/covid_vaccine/posts.csv
(11k rows) and on a 200k-row CSV built by repeating its rows (written to a temporary folder, ids made
unique so every row is a distinct record). Prints one JSON object. Targets: < 1 s for 11k, < 10 s for 200k.

Each file is measured in a fresh process (after a warm-up on a tiny file, so imports and the language
model are not counted): wall-clock seconds, CPU seconds (all threads; steadier than wall-clock on a busy
machine), and peak resident memory (ru_maxrss) with its growth over
the warmed-up process, which is what loading the file cost.

    .venv/bin/python benchmarks/bench_ingest.py
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth.io import load_files  # noqa: E402

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "covid_vaccine" / "posts.csv"
BIG_ROWS = 200_000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_here(path: Path) -> dict[str, float | int]:
    """Load `path` once in this process (call in a fresh one) and return the figures."""
    load_files([("warm-up.csv", b"text,platform\nA sentence long enough for the language model,x\n")])
    baseline = _peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    posts, report = load_files([path])
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _peak_rss_mb()
    return {"rows_read": report.rows_read, "posts_kept": len(posts), "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu_seconds, 3),
            "peak_rss_mb": round(peak, 1), "rss_growth_mb": round(peak - baseline, 1),
            "file_mb": round(path.stat().st_size / 1e6, 1)}


def measure(path: Path) -> dict[str, float | int]:
    """Run `measure_here` in a fresh interpreter, so each peak is that file's own."""
    done = subprocess.run([sys.executable, __file__, "--one", str(path)], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout)


def main() -> None:
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} is absent: this benchmark needs ../shared/data beside the project")
    results: dict[str, object] = {"python": platform.python_version(), "machine": platform.machine()}
    results["covid_vaccine_11k"] = measure(SOURCE)
    with tempfile.TemporaryDirectory() as folder:
        rows = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
        repeats = -(-BIG_ROWS // len(rows))
        big = pd.concat([rows] * repeats, ignore_index=True).head(BIG_ROWS)
        big["post_id"] = [f"p{n}" for n in range(len(big))]
        path = Path(folder) / "posts_200k.csv"
        big.to_csv(path, index=False)
        results["repeated_200k"] = measure(path)
    results["targets_seconds"] = {"covid_vaccine_11k": 1.0, "repeated_200k": 10.0}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure_here(Path(sys.argv[2]))))
    else:
        main()
