"""Peak memory and seconds of `synth validate` on hostile files (issue 15, item 9).

The files are built in a temporary folder with streaming writes (tests/io/hostile.py), at the sizes the
issue reports: a 1 GB cell and 4 GB of whitespace, each packed into a ~1-4 MB .xlsx; 5,000,000 rows in an
.xlsx that declares its size (as Excel does) and in one that does not; a CSV whose one cell is 50 MB.

Each file is validated by `python -m synth validate FILE --platform twitter` in its own subprocess, started
by a small watcher process that reports the child's peak resident memory (resource.getrusage of children,
ru_maxrss) and wall-clock seconds; a child going over --cap-mb of memory or --timeout seconds is killed and
reported as such. With `--baseline REV`, the same files are also validated by the code of git revision REV
(exported to a temporary folder, same interpreter), in the same run, for a before/after comparison.

    .venv/bin/python benchmarks/bench_hostile_files.py [--baseline 424fc81] [--cap-mb 4000] [--timeout 300]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.io.hostile import huge_cell_xlsx, many_rows_xlsx, single_cell_csv, whitespace_xlsx  # noqa: E402

MB = 1 << 20
FILES = {
    "xlsx_1gb_cell": lambda folder: huge_cell_xlsx(folder / "cell.xlsx", 1024 * MB),
    "xlsx_4gb_whitespace": lambda folder: whitespace_xlsx(folder / "air.xlsx", 4096 * MB),
    "xlsx_5m_rows_declared": lambda folder: many_rows_xlsx(folder / "rows.xlsx", 5_000_000),
    "xlsx_5m_rows_undeclared": lambda folder: many_rows_xlsx(folder / "rows_nodim.xlsx", 5_000_000, declare=False),
    "csv_50mb_single_cell": lambda folder: single_cell_csv(folder / "cell.csv", 50 * MB),
}

# Runs in its own interpreter: starts the command, polls its resident memory to enforce the cap, and
# prints the figures. Peak memory is the kernel's own (getrusage of children), not the polled value.
WATCHER = r"""
import json, resource, subprocess, sys, time
cap_kib, timeout, command = int(sys.argv[1]) * 1024, float(sys.argv[2]), sys.argv[3:]
started = time.perf_counter()
child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
killed = None
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        rss = 0
    if rss > cap_kib:
        killed = "memory cap"
    elif time.perf_counter() - started > timeout:
        killed = "timeout"
    if killed:
        child.kill()
        break
    time.sleep(0.02)
out, err = child.communicate()
seconds = time.perf_counter() - started
lines = (err.strip() or out.strip()).splitlines()
lines = [line for line in lines if line.strip().startswith(("dropped", "error"))] or lines
print(json.dumps({
    "seconds": round(seconds, 2),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    "exit_code": child.returncode, "killed": killed,
    "said": (lines[-1] if lines else "")[:240],
}))
"""


def validate(path: Path, code_dir: Path, cap_mb: int, timeout: float) -> dict[str, object]:
    """`synth validate path` with the code in `code_dir`, watched in a fresh process."""
    command = [sys.executable, "-m", "synth", "validate", str(path), "--platform", "twitter"]
    done = subprocess.run([sys.executable, "-c", WATCHER, str(cap_mb), str(timeout), *command],
                          cwd=code_dir, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def export_revision(revision: str, folder: Path) -> Path:
    """The `synth` package of git `revision`, exported into `folder` (nothing in the worktree changes)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", revision, "synth"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="also validate with the code of this git revision")
    parser.add_argument("--cap-mb", type=int, default=4000, help="kill a validation above this memory")
    parser.add_argument("--timeout", type=float, default=300.0, help="kill a validation after this many seconds")
    parser.add_argument("--only", nargs="*", choices=sorted(FILES), help="measure only these files")
    args = parser.parse_args()
    results: dict[str, object] = {
        "python": platform.python_version(), "machine": platform.machine(), "cap_mb": args.cap_mb,
        "timeout_s": args.timeout, "baseline": args.baseline, "files": {},
    }
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        baseline_dir = export_revision(args.baseline, folder / "baseline") if args.baseline else None
        for name in args.only or FILES:
            started = time.perf_counter()
            path = FILES[name](folder)
            entry: dict[str, object] = {"file_mb": round(path.stat().st_size / 1e6, 2),
                                        "build_seconds": round(time.perf_counter() - started, 1)}
            entry["now"] = validate(path, ROOT, args.cap_mb, args.timeout)
            if baseline_dir is not None:
                entry["baseline"] = validate(path, baseline_dir, args.cap_mb, args.timeout)
            results["files"][name] = entry  # type: ignore[index]
            path.unlink()
            print(f"{name}: {json.dumps(entry)}", file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
