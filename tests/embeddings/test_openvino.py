"""The default embedder: the bundled MiniLM converted to OpenVINO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synth.embeddings.embedder import SentenceTransformerEmbedder
from synth.embeddings.exported import embed_in_batches, model_tokenizer
from synth.embeddings.openvino import OpenVinoEmbedder, best_precision
from synth.errors import ConfigError
from tests.embeddings.test_onnx import POSTS


def test_the_name_carries_the_precision_so_vectors_of_two_precisions_never_mix(tmp_path: Path) -> None:
    assert OpenVinoEmbedder(model_dir=tmp_path).name == f"all-MiniLM-L6-v2+openvino-{best_precision()}"
    assert OpenVinoEmbedder(precision="f32", model_dir=tmp_path).name == "all-MiniLM-L6-v2+openvino-f32"
    with pytest.raises(ConfigError, match="bf16 or f32"):
        OpenVinoEmbedder(precision="int4", model_dir=tmp_path)
    assert OpenVinoEmbedder(model_dir=tmp_path).embed([]).shape == (0, 384)  # no conversion for nothing
    assert not any(tmp_path.iterdir())


def test_batches_pad_to_their_own_longest_post_not_to_the_longest_of_all() -> None:
    # The tokenizer pads every encoding to the call's longest text; batching must still sort by true length.
    embedder = OpenVinoEmbedder(precision="f32")
    tokenizer = model_tokenizer(embedder.model_path, embedder.max_length)
    widths: list[int] = []

    def run(feed: dict[str, np.ndarray]) -> np.ndarray:
        widths.append(feed["input_ids"].shape[1])
        assert feed["attention_mask"][:, 0].all()  # every row is a real text, not padding
        return np.ones((len(feed["input_ids"]), 384), dtype=np.float32)

    texts = ["ok"] * 6 + [POSTS[5]] + ["fine"] * 6
    embed_in_batches(texts, tokenizer, run, dim=384, batch_size=4)
    assert widths[0] > 100 and widths[1:] == [3, 3, 3]  # the long post first, then short batches


@pytest.mark.slow
def test_vectors_match_sentence_transformers_within_the_bar_and_a_broken_cache_is_rebuilt(tmp_path: Path) -> None:
    embedder = OpenVinoEmbedder(model_dir=tmp_path)
    vectors = embedder.embed(POSTS)
    reference = SentenceTransformerEmbedder().embed(POSTS)
    assert vectors.shape == (len(POSTS), 384) and vectors.dtype == np.float32
    assert (vectors * reference).sum(axis=1).min() >= 0.99
    # A cached model cut short is converted again, with the same vectors.
    embedder.model_file().write_text("<net")
    again = OpenVinoEmbedder(model_dir=tmp_path).embed(POSTS)
    assert (again * vectors).sum(axis=1).min() >= 0.999


def test_the_embedder_setting_minilm_openvino_picks_it_and_minilm_stays_the_reference() -> None:
    from synth.embeddings.remote import embedder_from_spec

    assert embedder_from_spec("minilm-openvino").name.startswith("all-MiniLM-L6-v2+openvino-")
    assert embedder_from_spec("minilm").name == "all-MiniLM-L6-v2"
