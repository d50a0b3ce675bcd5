"""Small literal frames of real and synthetic posts for the post-processing tests."""

from __future__ import annotations

import pandas as pd

from synth.embeddings.embedder import HashingEmbedder
from synth.postprocess.base import Context

REAL_TEXTS = {
    "twitter": [
        "@zomato my order is 40 minutes late again #zomato", "why is the delivery fee so high today",
        "ordered biryani, got cold fries. classic @zomato", "zomato gold was worth it this month 🙂",
        "the rider called me five times, could not find the gate", "rain in mumbai and still got my food on time",
        "who else thinks the new app update is slower", "refund took three days but it came #zomato",
    ],
    "reddit": [
        "Title: Delivery apps in Pune. Body: Which one do you use and why? Swiggy has been slow for me.",
        "Honestly the platform fee is a scam, they added it without telling anyone.",
        "I worked as a delivery partner for a year, the incentives changed every week.",
        "Restaurants near Koramangala are listing higher prices on the app than on the menu.",
        "Does anyone know if the 10 minute delivery thing is still running in Delhi?",
        "My cousin runs a cloud kitchen and says commission eats 25 percent of revenue.",
    ],
}


def real_posts() -> pd.DataFrame:
    rows = [(f"{platform}_{i}", platform, text, "real", "T1")
            for platform, texts in REAL_TEXTS.items() for i, text in enumerate(texts)]
    return pd.DataFrame(rows, columns=["post_id", "platform", "text", "source", "topic"])


def synthetic_posts(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(post_id, platform, text) rows as a synthetic set of one topic and one model."""
    frame = pd.DataFrame(rows, columns=["post_id", "platform", "text"])
    frame["source"], frame["topic"], frame["topic_id"], frame["model"] = "synthetic", "Delivery", "T1", "double:x"
    return frame


def context(**overrides: object) -> Context:
    values: dict[str, object] = {"real": real_posts(), "embedder": HashingEmbedder(dim=256)}
    values.update(overrides)
    return Context(**values)  # type: ignore[arg-type]
