"""The one escaper of user text in figures: markup shown as typed, in entities plotly.js decodes."""

from __future__ import annotations

import math

from synth.plots.labels import escape_label, escape_markup


def test_markup_characters_become_entities_plotly_decodes() -> None:
    assert escape_markup("""<b>"R&D"</b> it's""") == "&lt;b&gt;&#34;R&amp;D&#34;&lt;/b&gt; it&#x27;s"
    assert "&quot;" not in escape_markup('"')  # plotly.js shows &quot; literally


def test_labels_are_clipped_only_when_asked_and_missing_values_named() -> None:
    assert escape_label("x" * 100) == "x" * 100
    assert escape_label("<" * 5, max_chars=3) == "&lt;&lt;…"
    assert escape_label(None) == escape_label(math.nan) == "(none)"
    assert escape_label(3) == "3"
