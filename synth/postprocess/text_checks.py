"""Checks on one post's text that need nothing but the text: leaked prompt markup, assistant talk, loops,
non-language, sentence boundaries. The Filter step (synth.postprocess.filter) applies them in order.

Every pattern was read against real posts: on the zomato reference half the assistant-talk patterns flag
well under 1% of real posts (tests/postprocess/test_filter.py measures it), so a flagged post is a model
talking about its task, not a person posting.
"""

from __future__ import annotations

import re

from synth.generate.parsing import is_refusal
from synth.text import MIN_TRIMMED_CHARS, sentences

# Where a post stops being a post: a stray </post> or <post>, a completion header, a line of the prompt.
_LEAK_RE = re.compile(
    r"<\s*/?\s*post\s*>|^\s*#{2,}\s*post\b|how posts on [\w/ ]+ look|real posts measured|"
    r"^\s*(?:topic|keywords|register|length)\s*:|real [\w/]+ posts (?:on this topic )?follow|"
    r"each between <post>|reply with (?:the text|exactly)|imitate their style",
    re.IGNORECASE | re.MULTILINE,
)
# A model speaking as an assistant: to the user, about itself or about the task, or formatting code.
_ASSISTANT_RE = re.compile(
    r"```|\bas an ai\b|\bai (?:language )?(?:assistant|model)\b|\blanguage model\b|"
    r"\bi(?:'|’)m (?:a|an|your) (?:\w+ ){0,2}(?:assistant|chatbot|bot)\b|"
    r"\bi(?:'|’)d be (?:happy|glad|delighted) to\b|\bhappy to help\b|\bhow can i (?:help|assist)\b|"
    r"\bwhat a (?:great|good|fantastic|wonderful|interesting) (?:question|topic|idea)\b|"
    r"\b(?:great|good|excellent) question\b|\bhere(?:'|’)?s (?:a|an|the|my|your|some) (?:\w+ )?"
    r"(?:post|tweet|comment|caption|reply|version|draft|example)\b|"
    r"\bhere (?:is|are) (?:a|an|the|some|\d+) (?:\w+ )?(?:post|tweet|comment|caption|reply|version|draft|example)s?\b|"
    r"\bthe (?:post|tweet|comment|caption) (?:is|reads)\s*:|\bas requested\b|\blet me know if\b|"
    r"\bhope (?:this|these|that) helps?\b|\bfeel free to (?:ask|reach|let)\b|\bi hope you (?:like|enjoy) (?:it|this)\b|"
    r"\bcharacter count\b|\(\d+ (?:characters|chars|words)\)|\[(?:insert|your|link|username|name)\b|"
    r"\b(?:sure|certainly|absolutely|of course)[!,.]\s*(?:here|i(?:'|’)ll|i can|let me)\b",
    re.IGNORECASE,
)
_WORDS_RE = re.compile(r"\w+", re.UNICODE)
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 3
MIN_LETTER_SHARE = 0.3
LOOP_NGRAM = 4
MIN_DISTINCT_NGRAM_SHARE = 0.5


def cut_leak(text: str) -> tuple[str, str] | None:
    """The text before the first leaked prompt markup or prompt line, and what matched; None when clean."""
    match = _LEAK_RE.search(text)
    if match is None:
        return None
    return text[: match.start()].rstrip(), match.group(0).strip()


def assistant_talk(text: str) -> str | None:
    """The phrase that shows a model talking as an assistant (or refusing), None when there is none."""
    if is_refusal(text):
        return "refusal"
    match = _ASSISTANT_RE.search(text)
    return match.group(0) if match else None


def is_non_language(text: str) -> bool:
    """Empty, or too few letters to be language (punctuation, digits, a lone emoji string)."""
    letters = len(_LETTER_RE.findall(text))
    visible = len(re.sub(r"\s+", "", text))
    return letters < MIN_LETTERS or letters < MIN_LETTER_SHARE * visible


def drop_repeated_sentences(text: str) -> str:
    """The text with every sentence that repeats an earlier one (case and spacing ignored) left out."""
    seen: set[str] = set()
    kept: list[str] = []
    for sentence in sentences(text):
        key = " ".join(_WORDS_RE.findall(sentence.casefold()))
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(sentence.strip())
    return " ".join(kept)


def is_loop(text: str) -> bool:
    """Word 4-grams repeat so much that fewer than half are distinct (a model going round in circles)."""
    words = _WORDS_RE.findall(text.casefold())
    grams = [tuple(words[i : i + LOOP_NGRAM]) for i in range(len(words) - LOOP_NGRAM + 1)]
    return len(grams) >= 2 * LOOP_NGRAM and len(set(grams)) < MIN_DISTINCT_NGRAM_SHARE * len(grams)


def trim_unfinished(text: str) -> str | None:
    """The text up to its last finished sentence (ending in . ! ? or …), None when it has none worth keeping."""
    pieces = sentences(text)
    while pieces and not re.search(r"[.!?…][\"'”’)\]]*$", pieces[-1].strip()):
        pieces.pop()
    kept = " ".join(piece.strip() for piece in pieces)
    return kept if len(kept) >= MIN_TRIMMED_CHARS else None
