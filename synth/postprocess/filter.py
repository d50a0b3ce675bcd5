"""Filter: cut what is not a post, drop what cannot be one, and drop copies.

Per post, in order (the first removal wins; cuts add up):
1. cut at a stray `</post>`, a completion header or a line of the prompt (leaked markup);
2. drop assistant talk and refusals, and empty or non-language output;
3. drop repeated sentences (a loop), then the post if it still loops;
4. a post whose call stopped at max_tokens is cut back to its last finished sentence;
5. a post over its platform's length limit is cut at a sentence boundary.
Then across posts: exact and near duplicates within the synthetic set (the first kept), and near-copies of
real posts (thresholds from the real-vs-real baseline, synth.postprocess.copies) including a shared verbatim
span of 50+ characters, with the prompt's own examples named apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import schema
from synth.metrics.privacy import normalise_texts
from synth.metrics.privacy_neighbours import shingle_matrix
from synth.platforms import get_platform
from synth.postprocess import text_checks
from synth.postprocess.base import CHANGED, REMOVED, Change, Context, StepResult, texts
from synth.postprocess.copies import CopyThresholds, chunk_index, fit_thresholds, nearest_real, shared_chunk
from synth.text import sentences, trim_to_sentences


class Filter:
    """The filter step (see the module docstring)."""

    name = "filter"

    def fit(self, context: Context) -> Filter:
        self.context = context
        self.thresholds: CopyThresholds = fit_thresholds(context.real, context.real_vectors, seed=context.seed)
        self.real_texts = texts(context.real)
        self.real_chunks = chunk_index(self.real_texts)
        return self

    def apply(self, posts: pd.DataFrame) -> StepResult:
        changes: list[Change] = []
        kept_texts: dict[int, str] = {}
        for position, (post_id, platform, text) in enumerate(
            zip(posts[schema.POST_ID].astype(str), posts[schema.PLATFORM].astype(str), texts(posts), strict=True)
        ):
            result = self._clean_one(post_id, platform, text, changes)
            if result is not None:
                kept_texts[position] = result
        positions = list(kept_texts)
        kept = posts.iloc[positions].copy()
        kept[schema.TEXT] = pd.array([kept_texts[p] for p in positions], dtype="string")
        kept = self._drop_duplicates(kept, changes)
        kept = self._drop_real_copies(kept, changes)
        return StepResult(kept, changes)

    def _clean_one(self, post_id: str, platform: str, text: str, changes: list[Change]) -> str | None:
        """The post's text after the per-post checks, or None when it is removed (the Change is recorded)."""
        original = text

        def remove(reason: str, detail: str) -> None:
            changes.append(Change(post_id, REMOVED, reason, detail, original))

        def change(reason: str, detail: str, before: str, after: str) -> None:
            changes.append(Change(post_id, CHANGED, reason, detail, before, after))

        leak = text_checks.cut_leak(text)
        if leak is not None:
            cut, marker = leak
            if not cut.strip():
                remove("leaked_prompt", f"nothing before the leaked {marker!r}")
                return None
            change("cut_leaked_prompt", f"cut at {marker!r}", text, cut)
            text = cut
        talk = text_checks.assistant_talk(text)
        if talk is not None:
            remove("assistant_talk", f"speaks as an assistant: {talk!r}")
            return None
        if text_checks.is_non_language(text):
            remove("non_language", "empty or too few letters to be language")
            return None
        unlooped = text_checks.drop_repeated_sentences(text)
        if unlooped != " ".join(piece.strip() for piece in sentences(text)):
            change("loop", "repeated sentences left out", text, unlooped)
            text = unlooped
        if text_checks.is_loop(text):
            remove("loop", "fewer than half of its word 4-grams are distinct")
            return None
        if post_id in self.context.truncated:
            trimmed = text_checks.trim_unfinished(text)
            if trimmed is None:
                remove("truncated", "the call stopped at max_tokens and no finished sentence is left")
                return None
            if trimmed != text:
                change("truncated", "the call stopped at max_tokens: cut back to the last finished sentence",
                       text, trimmed)
                text = trimmed
        limit = get_platform(platform).max_chars
        if len(text) > limit:
            trimmed = trim_to_sentences(text, limit)
            if trimmed is None:
                remove("over_platform_limit", f"{len(text)} characters, the limit is {limit}")
                return None
            change("over_platform_limit", f"cut at a sentence boundary under {limit} characters", text, trimmed)
            text = trimmed
        return text

    def _drop_duplicates(self, kept: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
        """Exact (normalised text) and near (5-gram Jaccard at the copy threshold) duplicates: the first stays."""
        if kept.empty:
            return kept
        normal = normalise_texts(kept[schema.TEXT]).reset_index(drop=True)
        matrix = shingle_matrix(normal)
        sizes = np.asarray(matrix.sum(axis=1)).ravel()
        shared = (matrix @ matrix.T).toarray()
        union = sizes[:, None] + sizes[None, :] - shared
        jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        drop: list[int] = []
        kept_so_far: list[int] = []
        ids, values = kept[schema.POST_ID].astype(str).tolist(), texts(kept)
        for position in range(len(kept)):
            exact = [earlier for earlier in kept_so_far if normal[earlier] == normal[position]]
            near = [earlier for earlier in kept_so_far if jaccard[position, earlier] >= self.thresholds.jaccard]
            if exact or near:
                other = (exact or near)[0]
                kind = "exact" if exact else f"near (jaccard {jaccard[position, other]:.2f})"
                changes.append(Change(ids[position], REMOVED, "duplicate", f"{kind} duplicate of {ids[other]}",
                                      values[position]))
                drop.append(position)
            else:
                kept_so_far.append(position)
        return kept.drop(index=kept.index[drop])

    def _drop_real_copies(self, kept: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
        """Posts closer to a real post than the baseline allows, or sharing a 50+ character span with one."""
        if kept.empty:
            return kept
        context, thresholds = self.context, self.thresholds
        nearest = nearest_real(context.real, context.real_vectors, kept, context.embed(kept))
        real_ids = context.real[schema.POST_ID].astype(str).tolist()
        drop: list[int] = []
        for position, (post_id, text) in enumerate(zip(kept[schema.POST_ID].astype(str), texts(kept), strict=True)):
            examples = context.examples.get(post_id, ())
            example_chunk = shared_chunk(text, chunk_index(list(examples))) if examples else None
            real_chunk = shared_chunk(text, self.real_chunks)
            if example_chunk is not None:
                reason, detail = "copies_prompt_example", f"shares {example_chunk[1]!r} with a prompt example"
            elif nearest.cosine[position] >= thresholds.cosine or nearest.jaccard[position] >= thresholds.jaccard:
                at = nearest.cosine_at[position] if nearest.cosine[position] >= thresholds.cosine \
                    else nearest.jaccard_at[position]
                reason = "near_copy_real"
                detail = (f"cosine {nearest.cosine[position]:.3f} / jaccard {nearest.jaccard[position]:.2f} to real "
                          f"{real_ids[at]} (thresholds {thresholds.cosine} / {thresholds.jaccard})")
            elif real_chunk is not None:
                reason, detail = "copies_real_chunk", f"shares {real_chunk[1]!r} with real {real_ids[real_chunk[0]]}"
            else:
                continue
            changes.append(Change(post_id, REMOVED, reason, detail, text))
            drop.append(position)
        return kept.drop(index=kept.index[drop])

