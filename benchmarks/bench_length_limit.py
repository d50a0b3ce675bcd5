"""What over-limit answers cost a run, and how many a sentence cut keeps. Prints JSON.

For each run store given (made by `synth generate`, e.g. by bench_postprocess.py), counts the calls that failed
because every answer was over the platform's length limit, the output tokens those calls spent (every attempt
is counted in the store), and how many of their last answers `synth.text.trim_to_sentences` keeps within the
limit, as the engine now does instead of asking again. The runs must have been made before that change.

Usage: .venv/bin/python benchmarks/bench_length_limit.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(run_dirs: list[str]) -> int:
    from synth.generate.parsing import parse_posts
    from synth.platforms import get_platform
    from synth.text import trim_to_sentences

    if not run_dirs:
        print(json.dumps({"error": "give one or more run folders"}))
        return 2
    report = {}
    for run_dir in run_dirs:
        db = sqlite3.connect(f"file:{Path(run_dir) / 'run.sqlite'}?mode=ro", uri=True)
        calls, attempts, tokens = db.execute("SELECT count(*), sum(attempts), sum(output_tokens) FROM calls").fetchone()
        over = db.execute("SELECT platform, raw_text, output_tokens FROM calls WHERE status = 'failed' AND "
                          "error LIKE '%every post was over%'").fetchall()
        rescued = sum(
            any(trim_to_sentences(post, get_platform(platform).max_chars)
                for post in parse_posts(text or "", n_expected=1, instructions="").posts)
            for platform, text, _ in over
        )
        spent = sum(row[2] or 0 for row in over)
        report[Path(run_dir).name] = {
            "calls": calls, "answers": attempts, "output_tokens": tokens,
            "calls_failed_over_limit": len(over), "their_output_tokens": spent,
            "share_of_output_tokens": round(spent / tokens, 3) if tokens else None,
            "last_answers_kept_by_sentence_cut": rescued,
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
