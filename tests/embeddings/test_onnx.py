from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synth.embeddings.embedder import CachedEmbedder, SentenceTransformerEmbedder, get_default_embedder
from synth.embeddings.onnx import OnnxEmbedder
from synth.errors import ConfigError

# Posts of very different lengths, languages and registers: one batch pads them all.
POSTS = [
    "The vaccine rollout starts next week.",
    "Vaccinations begin in a few days.",
    "My pizza arrived cold.",
    "ok",
    "Zomato ne phir se order cancel kar diya bhai, refund kab aayega?? #zomato @zomatocare",
    "Title: Side effects after the second dose . Body: Day two after Moderna: sore arm, chills, a long nap, "
    "then fine. Anyone else get the fever only after the second one? Posting so people know what to expect. "
    * 4,
    "😂😂😂 🍕",
]


def test_backends_have_different_names_so_their_vectors_never_mix(tmp_path: Path) -> None:
    fp32, int8 = OnnxEmbedder(export_dir=tmp_path), OnnxEmbedder(quantized=True, export_dir=tmp_path)
    names = {int8.name, fp32.name, SentenceTransformerEmbedder().name}
    assert names == {
        "all-MiniLM-L6-v2+onnx-bertfused-int8", "all-MiniLM-L6-v2+onnx-bertfused-fp32", "all-MiniLM-L6-v2"
    }
    assert (fp32.heads, fp32.hidden) == (12, 384)  # what the BERT fusion is told
    assert int8.dim == fp32.dim == 384 and fp32.threads >= 1
    assert get_default_embedder().name == "all-MiniLM-L6-v2"  # sentence-transformers stays the default
    assert fp32.embed([]).shape == (0, 384)  # nothing to do: no export, no model load
    assert not any(tmp_path.iterdir())


def test_a_folder_that_is_not_a_mean_pooled_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a sentence-transformers model folder"):
        OnnxEmbedder(tmp_path)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 8, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    )
    (tmp_path / "modules.json").write_text(json.dumps([
        {"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Pooling"}
    ]))
    with pytest.raises(ConfigError, match="mean-pooled"):
        OnnxEmbedder(tmp_path)


def test_an_export_folder_that_cannot_be_written_gets_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="Could not prepare the ONNX embedding model.*SYNTH_CACHE_DIR"):
        OnnxEmbedder(export_dir=blocker).embed(["hello"])


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers_and_the_export_is_made_once(tmp_path: Path) -> None:
    reference = SentenceTransformerEmbedder().embed(POSTS)
    default = OnnxEmbedder(export_dir=tmp_path)
    vectors = default.embed(POSTS)
    assert vectors.shape == (len(POSTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # The bar of the issue is a cosine of 0.99 per post; the fp32 export loses nothing at all.
    assert np.sum(vectors * reference, axis=1).min() >= 0.9999
    # One text alone (no padding) gets the vector it got inside the padded batch.
    np.testing.assert_allclose(default.embed(POSTS[2:3])[0], vectors[2], atol=1e-5)
    # int8 is close, not exact (benchmarks/bench_embed.py measures it on 2,000 real posts).
    int8 = OnnxEmbedder(quantized=True, export_dir=tmp_path).embed(POSTS)
    assert 0.9 <= np.sum(int8 * reference, axis=1).min() < 0.99999

    exported = default.model_file()
    stamp = exported.stat().st_mtime_ns
    again = CachedEmbedder(OnnxEmbedder(export_dir=tmp_path), tmp_path / "vectors").embed(POSTS)
    assert exported.stat().st_mtime_ns == stamp  # a second embedder loads the file, it does not export again
    np.testing.assert_allclose(again, vectors, atol=1e-5)
    assert not list(exported.parent.glob("*.tmp"))

    # The export is the fused graph: one Attention node per layer, none of the traced softmax left.
    import onnx

    ops = [node.op_type for node in onnx.load(str(exported)).graph.node]
    assert ops.count("Attention") == 6 and "Softmax" not in ops

    # A cached export that no longer loads (a truncated copy) is made again, not an error.
    exported.write_bytes(exported.read_bytes()[:1000])
    rebuilt = OnnxEmbedder(export_dir=tmp_path).embed(POSTS)
    np.testing.assert_allclose(rebuilt, vectors, atol=1e-5)


def test_an_export_that_never_loads_is_made_once_more_then_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synth.embeddings.onnx as onnx_module

    exports: list[Path] = []

    def broken_export(model_path: Path, target: Path, heads: int, hidden: int) -> None:
        exports.append(target)
        target.write_bytes(b"not an onnx model")

    monkeypatch.setattr(onnx_module, "_export", broken_export)
    with pytest.raises(ConfigError, match="cannot load .*model.onnx, even freshly exported"):
        OnnxEmbedder(export_dir=tmp_path).embed(["hello"])
    assert len(exports) == 2  # the cached file, then one fresh export: no loop
