"""Turn what a model actually answered into posts.

Models wrap posts in quotes, open with "Here is a tweet:", number several posts, fence JSON in
```json blocks, close with "Let me know if...", or refuse. `parse_posts` undoes all of that and tags
refusals so they are counted and never kept as posts. Small models also echo a line of the prompt back
("Reply with the text only."): given the prompt's instructions, such items are dropped too.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

# A refusal opens the answer (or a list item) with one of these. "I can't" alone is not enough ("I can't
# believe the train is late" is a post): it must be followed by a verb of complying.
_COMPLY = (
    r"(?:help|assist|write|create|generate|produce|comply|provide|fulfil|fulfill|do (?:that|this)|engage|"
    r"support|continue|make|participate|complete|answer|respond|proceed|generate)"
)
_REFUSAL_RE = re.compile(
    r"^\W*(?:"
    r"as an ai\b|as a language model|as an artificial intelligence|i am an ai\b|i(?:'|’)m an ai\b|"
    r"i(?:(?:'|’)m| am) (?:sorry|afraid),?\s*(?:but\s*)?i\b|"
    r"(?:sorry,?\s*(?:but\s*)?|unfortunately,?\s*)?i (?:can(?:'|’)?t|cannot|can not|won(?:'|’)?t|will not|"
    r"am unable to|(?:'|’)m unable to|am not able to|(?:'|’)m not able to|must decline|"
    r"do not feel comfortable|don(?:'|’)?t feel comfortable)(?:\s+\w+){0,2}?\s+" + _COMPLY + r"\b|"
    r"i must decline|i (?:do not|don(?:'|’)t) feel comfortable|i(?:'|’)m not comfortable"
    r")",
    re.IGNORECASE,
)
# "Here is a tweet:", "Sure! Here are 3 Reddit posts about X:", "Okay, here's one:", "Tweet:".
_PREAMBLE_RE = re.compile(
    r"^\s*(?:(?:sure|okay|ok|certainly|of course|absolutely|alright|great)\b[!,.]*\s*)?"
    r"(?:(?:here(?:'|’)?s|here is|here are|below (?:is|are))\b[^\n]*:|"
    r"(?:sure|okay|ok|certainly|of course|absolutely)[!.,]*)\s*$",
    re.IGNORECASE,
)
_LABEL_RE = re.compile(
    r"^\s*(?:\*\*)?(?:(?:tweet|post|reddit post|comment|caption|message|reply|toot|status)"
    r"(?:\s*#?\s*\d+)?|option\s*\d+)\s*(?:\*\*)?\s*[:.\-–—]\s*(?:\*\*)?\s*",
    re.IGNORECASE,
)
_ITEM_RE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•·]|\(\d{1,2}\))\s+")
_TRAILER_RE = re.compile(
    r"^\s*(?:let me know\b|i hope (?:this|these)\b|hope (?:this|these) helps?\b|feel free to\b|"
    r"(?:\*\*)?note(?:\*\*)?:|these (?:posts|tweets) (?:are|capture|reflect)\b|would you like\b|"
    r"if you(?:'d| would) like\b)",
    re.IGNORECASE,
)
_FENCE_RE = re.compile(r"^```[\w-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)
# `---` rules, and the `### Post N` headers of completion prompts (synth.prompts.render).
_SEPARATOR_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,}|#{3,}\s*post\s*\d*)\s*$", re.IGNORECASE)
_QUOTE_PAIRS = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "„": "“"}
_JSON_TEXT_KEYS = ("text", "post", "content", "tweet", "body", "message")


@dataclass(frozen=True)
class ParsedOutput:
    """Posts found in one answer.

    Attributes:
        posts: the cleaned posts, in order, never empty strings.
        refusal: the model refused (the whole answer, or every item in it).
        refused_items: how many items of a list were refusals (dropped).
        echoed_items: how many items only repeated the prompt's instructions (dropped).
        notes: what was cleaned (e.g. "preamble", "quotes", "json", "list"), for debugging.
    """

    posts: tuple[str, ...]
    refusal: bool = False
    refused_items: int = 0
    echoed_items: int = 0
    notes: tuple[str, ...] = field(default=())


def is_refusal(text: str) -> bool:
    """True when `text` opens like a model refusing ("As an AI...", "I can't...", "I'm sorry, but I...")."""
    return bool(_REFUSAL_RE.match(text.strip()))


_WORD_RE = re.compile(r"\w+")
# Share of an item's word pairs that must also stand in the instructions for it to count as an echo.
_ECHO_BIGRAM_SHARE = 0.6


def is_instruction_echo(post: str, instructions: str) -> bool:
    """True when `post` merely repeats the prompt's instructions: every word of it is in them and most of
    its word pairs are too ("Reply with the text only." after "Reply with the text of the post only.").
    Posts of fewer than three words are never judged: too little evidence."""
    words = _WORD_RE.findall(post.lower())
    if len(words) < 3 or not instructions:
        return False
    known = _WORD_RE.findall(instructions.lower())
    if not set(words) <= set(known):
        return False
    known_pairs = set(itertools.pairwise(known))
    pairs = list(itertools.pairwise(words))
    return sum(pair in known_pairs for pair in pairs) / len(pairs) >= _ECHO_BIGRAM_SHARE


def parse_posts(
    text: str, *, n_expected: int = 1, expect_json: bool = False, instructions: str = ""
) -> ParsedOutput:
    """Extract the posts from a model's answer.

    Args:
        text: the raw completion text.
        n_expected: posts asked for. With 1, a plain answer is one post (line breaks kept); with more, the
            answer is split at list markers, `---` separators or, failing those, blank lines.
        expect_json: JSON was asked for; it is also recognised unasked when the answer is JSON.
        instructions: the prompt's instructions without its examples (`synth.prompts.render.instruction_text`);
            items that only echo them are dropped and counted.

    Returns:
        ParsedOutput. Posts beyond `n_expected` are kept here; the caller decides how many to keep.
    """
    notes: list[str] = []
    body = text.strip()
    fenced = _FENCE_RE.match(body)
    if fenced:
        body = fenced.group(1).strip()
        notes.append("fence")
    if expect_json or body[:1] in "[{":
        from_json = _posts_from_json(body)
        if from_json is not None:
            return _finish(from_json, notes + ["json"], instructions)
    if is_refusal(body):
        return ParsedOutput((), refusal=True, notes=tuple(notes + ["refusal"]))
    lines = body.splitlines()
    lines = _drop_preamble(lines, notes)
    lines = _drop_trailer(lines, notes)
    items = _split_items(lines, n_expected, notes)
    return _finish(items, notes, instructions)


def _finish(items: list[str], notes: list[str], instructions: str) -> ParsedOutput:
    posts: list[str] = []
    refused = echoed = 0
    for item in items:
        cleaned = _clean_item(item, notes)
        if not cleaned:
            continue
        if is_refusal(cleaned):
            refused += 1
            continue
        if is_instruction_echo(cleaned, instructions):
            echoed += 1
            notes.append("echo")
            continue
        posts.append(cleaned)
    refusal = not posts and refused > 0
    return ParsedOutput(
        tuple(posts), refusal=refusal, refused_items=refused, echoed_items=echoed, notes=tuple(dict.fromkeys(notes))
    )


def _posts_from_json(body: str) -> list[str] | None:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        # A JSON value with chatter around it: take the outermost [...] or {...}.
        match = re.search(r"(\[.*\]|\{.*\})", body, re.DOTALL)
        if not match:
            return None
        try:
            data = json.loads(match.group(1))
        except json.JSONDecodeError:
            return None
    return _strings_in(data)


def _strings_in(data: Any) -> list[str] | None:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list):
        found: list[str] = []
        for element in data:
            inner = _strings_in(element)
            if inner is None:
                return None
            found.extend(inner)
        return found
    if isinstance(data, dict):
        for key in _JSON_TEXT_KEYS:
            if isinstance(data.get(key), str):
                return [data[key]]
        for value in data.values():
            if isinstance(value, list):
                return _strings_in(value)
    return None


def _drop_preamble(lines: list[str], notes: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    if lines and _PREAMBLE_RE.match(lines[0]):
        notes.append("preamble")
        return lines[1:]
    if lines:
        # "Here is a tweet: actual text" on one line.
        inline = re.match(r"^\s*(?:sure[!,.]*\s*)?here(?:'|’)?s?(?: is| are)? [^:\n]{0,60}:\s+(\S.*)$", lines[0],
                          re.IGNORECASE)
        if inline:
            notes.append("preamble")
            return [inline.group(1), *lines[1:]]
    return lines


def _drop_trailer(lines: list[str], notes: list[str]) -> list[str]:
    # Only the last paragraph may be commentary; drop it when it opens like commentary.
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    if start > 0 and start < end and _TRAILER_RE.match(lines[start]):
        notes.append("trailer")
        return lines[:start]
    return lines[:end]


def _split_items(lines: list[str], n_expected: int, notes: list[str]) -> list[str]:
    if any(_SEPARATOR_RE.match(line) for line in lines):
        notes.append("separators")
        chunks: list[list[str]] = [[]]
        for line in lines:
            if _SEPARATOR_RE.match(line):
                chunks.append([])
            else:
                chunks[-1].append(line)
        return ["\n".join(chunk) for chunk in chunks]
    markers = [index for index, line in enumerate(lines) if _ITEM_RE.match(line) or _is_label_line(line)]
    if len(markers) >= 2 or (markers and n_expected > 1):
        notes.append("list")
        items = []
        for position, start in enumerate(markers):
            end = markers[position + 1] if position + 1 < len(markers) else len(lines)
            first = _ITEM_RE.sub("", lines[start], count=1)
            items.append("\n".join([first, *lines[start + 1:end]]))
        return items
    text = "\n".join(lines).strip()
    if n_expected > 1:
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        if len(paragraphs) > 1:
            notes.append("paragraphs")
            return paragraphs
    return [text]


def _is_label_line(line: str) -> bool:
    return bool(re.match(r"^\s*(?:\*\*)?(?:tweet|post|comment|caption|option)\s*#?\s*\d+", line, re.IGNORECASE))


def _clean_item(item: str, notes: list[str]) -> str:
    text = item.strip()
    labelled = _LABEL_RE.sub("", text, count=1)
    if labelled != text:
        notes.append("label")
        text = labelled.strip()
    for _ in range(2):  # quotes inside bold, or bold inside quotes
        if len(text) >= 4 and text.startswith("**") and text.endswith("**"):
            text = text[2:-2].strip()
        closing = _QUOTE_PAIRS.get(text[:1])
        if closing and len(text) >= 2 and text.endswith(closing) and text.count(text[0]) in (1, 2):
            text = text[1:-1].strip()
            notes.append("quotes")
    return text
