"""Topics shared across platforms: taken from the data's topic column or discovered with BERTopic.

Importing this module is cheap: BERTopic, UMAP and HDBSCAN are imported inside the functions that fit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    """What a prompt needs to know about one topic.

    Attributes:
        topic_id: the id the real posts carry in their `topic` column (see `synth.schema.TOPIC`).
        label: a short human-readable name.
        keywords: the words that characterise the topic, most characteristic first.
    """

    topic_id: str
    label: str
    keywords: tuple[str, ...] = ()
