"""What the exported-model embedders (ONNX Runtime, OpenVINO) share: the model folder's settings, its tokenizer,
and length-sorted batches.

A batch pads to the length of its own longest text rather than of the longest text overall, which is most of
the speed of an exported model on posts whose lengths vary from "no" to a 256-word-piece Reddit post.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from synth.errors import ConfigError

T = TypeVar("T")
# One batch of token arrays (input_ids, attention_mask, token_type_ids; batch x width, int64) -> its vectors.
RunBatch = Callable[[dict[str, np.ndarray]], np.ndarray]


def load_rebuilding_once(load: Callable[[], T], rebuild: Callable[[], object], errors: tuple[type[Exception], ...],
                         give_up: Callable[[Exception], ConfigError]) -> T:
    """`load()` a model kept in the cache. A cached file that does not load (cut short, or written by another
    version) is made again once with `rebuild()`; if even that does not load, `give_up(error)` is raised."""
    try:
        return load()
    except errors:
        rebuild()
    try:
        return load()
    except errors as error:
        raise give_up(error) from error


def mean_pooled_config(model_path: Path) -> tuple[int, int]:
    """(vector size, max word pieces) of a sentence-transformers folder made of a transformer and mean pooling.

    Raises:
        ConfigError: not such a folder (the exported embedders run only those).
    """
    pooling_file = model_path / "1_Pooling" / "config.json"
    modules_file = model_path / "modules.json"
    if not pooling_file.is_file() or not modules_file.is_file():
        raise ConfigError(
            f"{model_path} is not a sentence-transformers model folder (no modules.json or 1_Pooling/config.json)."
        )
    pooling = json.loads(pooling_file.read_text())
    modules = [module["type"].rsplit(".", 1)[-1] for module in json.loads(modules_file.read_text())]
    if modules[:2] != ["Transformer", "Pooling"] or not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(
            f"{model_path} is not a mean-pooled transformer (modules {modules}); the exported embedders run only "
            "those. Use SentenceTransformerEmbedder for it."
        )
    settings_file = model_path / "sentence_bert_config.json"
    settings = json.loads(settings_file.read_text()) if settings_file.is_file() else {}
    return int(pooling["word_embedding_dimension"]), int(settings.get("max_seq_length", 256))


def model_digest(model_path: Path, version: int) -> str:
    """A short hash of the model folder's files and an export `version`: names the folder an export is kept in,
    so a changed model or a changed export never reuses an old file."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json"):
        file = model_path / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + str(file.stat().st_size).encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    digest.update(str(version).encode())
    return digest.hexdigest()[:16]


def model_tokenizer(model_path: Path, max_length: int) -> Any:
    """The model folder's own `tokenizer.json` (the Rust `tokenizers` library), truncating at `max_length`."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding()
    return tokenizer


def embed_in_batches(texts: Sequence[str], tokenizer: Any, run_batch: RunBatch, *, dim: int,
                     batch_size: int) -> np.ndarray:
    """The vectors of `texts` (float32, rows in the order given, not normalised)."""
    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    if len(texts) == 0:
        return vectors
    encodings = tokenizer.encode_batch([str(text) for text in texts])
    # Every encoding comes padded to the longest text of the call: its own length is its attention mask's sum.
    lengths = np.array([sum(encoding.attention_mask) for encoding in encodings])
    # Longest first, so a batch pads to its own longest text and a slow batch shows up early.
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = int(lengths[rows].max())
        feed = {
            name: np.array([getattr(encodings[row], field)[:width] for row in rows], dtype=np.int64)
            for name, field in (("input_ids", "ids"), ("attention_mask", "attention_mask"),
                                ("token_type_ids", "type_ids"))
        }
        vectors[rows] = run_batch(feed)
    return vectors
