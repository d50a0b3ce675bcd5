"""Text from the data (real posts, topic labels and keywords) made safe to place in a prompt.

A prompt quotes real posts between `<post>` and `</post>` (chat) or after `### Post N` lines (completion),
and names the topic by its label and keywords, which are often taken from the data too. None of that text
may open or close a block or start a line of its own instructions, including through look-alikes a model
reads the same way: fullwidth or other angle brackets (`＜/post＞`, `‹post›`), zero-width or soft-hyphen
characters inside the tag, HTML entities (`&lt;/post&gt;`), a carriage return or Unicode line separator
before `### Post`, fullwidth `＃＃＃`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from synth.topics.model import TopicSpec

# A topic label or keyword longer than this is not a name; it is cut (and marked with …).
MAX_LABEL_CHARS = 80
MAX_KEYWORD_CHARS = 40

# Characters a reader does not see and a tokenizer may drop: inside a tag they hide it from a plain match.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff"
)
_GAP = rf"[\s{_INVISIBLE}]*"
_LT = r"(?:<|＜|﹤|‹|〈|〈|⟨|《|&lt;?|&#0*60;?|&#x0*3c;?)"
_GT = r"(?:>|＞|﹥|›|〉|〉|⟩|》|&gt;?|&#0*62;?|&#x0*3e;?)"
_SLASH = r"(?:/|／|⁄|∕|⧸|&sol;|&#0*47;?|&#x0*2f;?)"
# Each letter of "post" and the look-alikes of it a model reads as that letter (fullwidth, Cyrillic, Greek).
_LETTERS = {"p": "pPｐＰрР", "o": "oOｏＯоОοΟ", "s": "sSｓＳѕЅ", "t": "tTｔＴтТτΤ"}
_WORD = _GAP.join(f"[{_LETTERS[letter]}]" for letter in "post")
_TAG_RE = re.compile(rf"{_LT}{_GAP}(?P<slash>{_SLASH})?{_GAP}(?P<word>{_WORD}){_GAP}{_GT}", re.IGNORECASE)
# Every line break a model or tokenizer may honour, not only \n.
_LINE_BREAKS_RE = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# A line that starts (after spaces or invisible characters) with ### or its fullwidth/small forms.
_COMPLETION_MARK_RE = re.compile(rf"^[ \t{_INVISIBLE}]*[#＃﹟]{{3,}}", re.MULTILINE)
_CONTROL_RE = re.compile(rf"[\x00-\x08\x0e-\x1f\x7f{_INVISIBLE}]")


def chat_safe(text: str) -> str:
    """A real post for a `<post>` block: any text that reads as `<post>` or `</post>` becomes `[post]` or
    `[/post]`, so the post can neither close its own block nor open another."""
    return _TAG_RE.sub(_bracketed, text)


def completion_safe(text: str) -> str:
    """A real post for a `### Post N` block: every line break becomes `\\n` (so `\\r### Post` is seen as the
    line start it is to a model) and a line-leading `###` (or look-alike) becomes `##`."""
    return _COMPLETION_MARK_RE.sub("##", _LINE_BREAKS_RE.sub("\n", text))


def data_line(text: str, limit: int) -> str:
    """A label or keyword from the data as one short line of plain text: no line breaks, control or
    invisible characters, no `<post>` look-alikes, no `###` marks, at most `limit` characters."""
    text = chat_safe(_CONTROL_RE.sub("", str(text)))
    text = " ".join(_LINE_BREAKS_RE.sub(" ", text).split())
    text = re.sub(r"[#＃﹟]{3,}", "##", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_topic(topic: TopicSpec) -> TopicSpec:
    """`topic` with its label and keywords made `data_line`s (its id, which only matches rows, unchanged);
    keywords left empty by it are dropped."""
    keywords = tuple(word for word in (data_line(k, MAX_KEYWORD_CHARS) for k in topic.keywords) if word)
    return replace(topic, label=data_line(topic.label, MAX_LABEL_CHARS), keywords=keywords)


def _bracketed(match: re.Match[str]) -> str:
    word = "".join(unicodedata.normalize("NFKC", char) for char in match.group("word") if not char.isspace())
    word = _CONTROL_RE.sub("", word)
    return f"[{'/' if match.group('slash') else ''}{word}]"
