"""Small hand-written real and synthetic posts for the Compare pages' AppTests (two platforms, two models)."""

from __future__ import annotations

import pandas as pd

WORDS = ["vaccine", "dose", "clinic", "booked", "arm", "sore", "today", "finally", "nurse", "queue", "friends", "week"]


def _frame(texts: list[str], platform: str, source: str, model: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "post_id": [f"{source}-{model}-{platform}-{i}" for i in range(len(texts))],
        "platform": platform, "text": texts, "source": source,
    })
    return frame if model is None else frame.assign(model=model, run_id="run-test")


def _tweets(n: int, offset: int) -> list[str]:
    return [
        f"{WORDS[(i + offset) % 12]} {WORDS[(i * 5 + offset) % 12]} #vax{i % 3} @clinic{i % 2} 💉" for i in range(n)
    ]


def _reddit(n: int, offset: int) -> list[str]:
    return [" ".join(WORDS[(i + j + offset) % 12] for j in range(8 + i % 5)) + "?" for i in range(n)]


def real_posts() -> pd.DataFrame:
    hostile = _frame(['<script>alert("real")</script> see https://example.org #vax'], "twitter", "real")
    hostile["post_id"] = "real-hostile"
    return pd.concat([_frame(_tweets(24, 0), "twitter", "real"), _frame(_reddit(24, 0), "reddit", "real"), hostile],
                     ignore_index=True)


def synthetic_posts() -> pd.DataFrame:
    return pd.concat([
        _frame(_tweets(12, 1), "twitter", "synthetic", "local:smollm2"),
        _frame(_reddit(12, 1), "reddit", "synthetic", "local:smollm2"),
        _frame(_reddit(12, 2), "twitter", "synthetic", "<b>odd model</b>"),
        _frame(_tweets(12, 2), "reddit", "synthetic", "<b>odd model</b>"),
    ], ignore_index=True)
