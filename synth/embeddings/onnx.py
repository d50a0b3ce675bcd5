"""The bundled MiniLM run by ONNX Runtime: the same vectors as sentence-transformers. An option, not the
default: OpenVINO (synth/embeddings/openvino.py) is faster at the same fidelity (benchmarks/bench_embed.py).

At first use the model folder is exported once into the cache (`<cache>/embeddings/onnx/<model>-<digest>/`):
the transformer with its mean pooling traced to `model.onnx` by torch, then fused by ONNX Runtime's BERT
optimizer (one Attention node per layer, SkipLayerNormalization, BiasGelu). Later processes load the file in
a fraction of a second; a cached file that does not load is exported again. Nothing is downloaded: the
export reads the local folder only.

By default it runs that fp32 export: cosine 1.0000 to sentence-transformers per post, 1.7x its posts per
second on bench_embed.py's 2,000 posts (2 threads). `quantized=True` runs an int8 copy made by ONNX Runtime's
dynamic quantizer (weights per output channel, activations per tensor, the fused Attention's Q/K/V projection
included): 3.4x, but its worst post falls to a cosine of 0.947 (280 of 2,000 below 0.99). Its loss is spread
over every layer and is worst on short posts (3-8 word pieces), not confined to a few outlier MatMuls:
keeping any one group of MatMuls in fp32 does not bring the worst post to 0.99.

Texts are tokenized by the model's own `tokenizer.json` (the Rust `tokenizers` library), sorted by length
and batched (synth.embeddings.exported), so a batch pads to its own longest text.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synth.embeddings.embedder import DEFAULT_MODEL_NAME, default_model_path, normalise_rows
from synth.embeddings.exported import (
    embed_in_batches,
    load_rebuilding_once,
    mean_pooled_config,
    model_digest,
    model_tokenizer,
)
from synth.errors import ConfigError
from synth.paths import cache_dir

# Bumped when the export or the quantization changes, so files made the old way are never reused.
EXPORT_VERSION = 2  # 2: the traced graph is fused by ONNX Runtime's BERT optimizer before it is saved
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def usable_threads() -> int:
    """The CPU cores this process may run on (its affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxEmbedder:
    """A sentence-transformers folder (Transformer + mean Pooling + Normalize) run by ONNX Runtime on the CPU.

    Building one is cheap; the export (first use on this cache) and the session load happen on the first
    call to `embed`.

    Args:
        model_path: the sentence-transformers folder (default: the bundled all-MiniLM-L6-v2).
        quantized: run the int8 copy (faster, less exact: see the module's docstring) rather than the fp32
            export.
        batch_size: texts per forward pass (texts are length-sorted first).
        threads: ONNX Runtime's intra-op threads (default: the cores this process may use).
        export_dir: where exported models are kept (default: `$SYNTH_CACHE_DIR/embeddings/onnx`).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        quantized: bool = False,
        batch_size: int = 32,
        threads: int | None = None,
        export_dir: str | Path | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.quantized = quantized
        self.batch_size = batch_size
        self.threads = threads or usable_threads()
        self.export_dir = Path(export_dir) if export_dir is not None else cache_dir("embeddings") / "onnx"
        base = DEFAULT_MODEL_NAME if model_path is None else self.model_path.name
        # The name keys the vector cache: vectors of this backend never mix with sentence-transformers' fp32 ones.
        self.name = f"{base}+onnx-bertfused-{'int8' if quantized else 'fp32'}"
        self.dim, self.max_length = mean_pooled_config(self.model_path)
        self.heads, self.hidden = _attention_shape(self.model_path)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    # --- the exported model --------------------------------------------------------------------------

    def model_file(self) -> Path:
        """The ONNX file this embedder runs (exported into `export_dir` at first use)."""
        folder = self.export_dir / f"{self.model_path.name}-{model_digest(self.model_path, EXPORT_VERSION)}"
        return folder / ("model-int8.onnx" if self.quantized else "model.onnx")

    def _ensure_exported(self) -> Path:
        target = self.model_file()
        fp32 = target.with_name("model.onnx")
        if not fp32.is_file():
            _atomic_write(fp32, lambda path: _export(self.model_path, path, self.heads, self.hidden))
        if self.quantized and not target.is_file():
            _atomic_write(target, lambda path: _quantize(fp32, path))
        return target

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime
                except ImportError as error:
                    raise ConfigError(
                        "onnxruntime is not installed. Run `.venv/bin/pip install -r requirements.txt`."
                    ) from error
                model_file = self._ensure_exported()
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3  # errors only: no warnings about unused initializers
                # Idle threads sleep instead of spinning: on a machine shared with other busy processes, spinning
                # threads take the cores the working ones need (measured slower under load, see bench_embed.py).
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")

                def rebuild() -> None:
                    for stale in model_file.parent.glob("model*.onnx"):
                        stale.unlink(missing_ok=True)
                    self._ensure_exported()

                self._session = load_rebuilding_once(
                    lambda: onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"]),
                    rebuild, (Exception,),
                    lambda error: ConfigError(
                        f"ONNX Runtime cannot load {model_file}, even freshly exported ({type(error).__name__}: "
                        f"{error}). Delete {model_file.parent} or use SentenceTransformerEmbedder."
                    ),
                )
                self._tokenizer = model_tokenizer(self.model_path, self.max_length)
            return self._session, self._tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (see Embedder.embed)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        vectors = embed_in_batches(texts, tokenizer, lambda feed: session.run(None, feed)[0], dim=self.dim,
                                   batch_size=self.batch_size)
        return normalise_rows(vectors)


# --- export and quantization (once per model and cache) ----------------------------------------------


def _atomic_write(target: Path, write: Any) -> None:
    """Run `write(temporary_path)` then move the file into place, so a reader (or a second process exporting
    at the same time) never sees half a model."""
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
        os.close(handle)
        write(Path(temporary))
        os.replace(temporary, target)
    except Exception as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConfigError(
            f"Could not prepare the ONNX embedding model in {target.parent} ({type(error).__name__}: {error}). "
            "Check that the folder is writable and has ~150 MB free, or set SYNTH_CACHE_DIR elsewhere."
        ) from error


def _attention_shape(model_path: Path) -> tuple[int, int]:
    """The attention heads and hidden size in the transformer's config.json (what the BERT fusion needs)."""
    config_file = model_path / "config.json"
    config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    return int(config.get("num_attention_heads", 0)), int(config.get("hidden_size", 0))


def _export(model_path: Path, target: Path, heads: int, hidden: int) -> None:
    """Trace the transformer and its mean pooling to ONNX, with batch and sequence length left dynamic, then
    fuse it with ONNX Runtime's BERT optimizer (one Attention node per layer, SkipLayerNormalization,
    BiasGelu): the same vectors (cosine 1.0000), about 1.5x faster than the traced graph on this CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager").eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    # A padded example batch, so the traced graph carries the attention mask's padding path.
    example = (
        torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]),
        torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]),
        torch.zeros((2, 4), dtype=torch.long),
    )
    dynamic: dict[int, str] = {0: "batch", 1: "length"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(), example, str(target), input_names=list(_INPUTS), output_names=["sentence_embedding"],
            dynamic_axes={**dict.fromkeys(_INPUTS, dynamic), "sentence_embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    if heads and hidden:
        _fuse(target, heads, hidden)


def _fuse(path: Path, heads: int, hidden: int) -> None:
    """Rewrite `path` in place with ONNX Runtime's BERT fusions (pure graph rewriting, no hardware-specific
    kernels in the file)."""
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    quiet = [logging.getLogger(name) for name in ("onnxruntime.transformers", "fusion", "")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        fused = optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)
        fused.save_model_to_file(str(path))
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _quantize(source: Path, target: Path) -> None:
    """int8 weights per output channel, for the matrix products with a constant weight and the fused
    Attention's Q/K/V projection (QAttention); activations are quantized per tensor at run time. The
    attention's activation-by-activation products stay fp32 (quantizing them loses more of MiniLM's accuracy)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # it logs a "consider pre-processing" hint on the root logger
    try:
        quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # The fused graph's contrib ops have no shape inference: their outputs are float.
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
