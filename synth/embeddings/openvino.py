"""The bundled MiniLM run by OpenVINO (`SYNTH_EMBEDDER=minilm-openvino`): not yet the default embedder.

At first use the model folder is converted once into the cache (`<cache>/embeddings/openvino/<model>-<digest>/`,
an OpenVINO IR: `model.xml` + `model.bin`): the transformer with its mean pooling, converted from torch by
`openvino.convert_model`. Later processes read it in about half a second. Nothing is downloaded.

On a CPU with bfloat16 instructions (AVX512-BF16 or AMX) OpenVINO computes in bfloat16: on the 2,000-post sample
of benchmarks/bench_embed.py that was about 2.9x the posts per second of sentence-transformers' fp32 torch on
this project's 2-core machine, with a worst-post cosine of 0.9999 to its vectors. Elsewhere it computes in fp32
(cosine 1.0000, about 1.6x). The precision is part of the embedder's name, which keys the vector cache, so
vectors of different precisions never mix.

It is not the default because topic discovery on the 11k covid posts found 3 shared topics with its vectors
instead of 13 with sentence-transformers' (nearly no noise instead of 31%), though every vector is within
0.9999 cosine; until that is understood, topics keep the reference vectors.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
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
from synth.embeddings.onnx import usable_threads
from synth.errors import ConfigError
from synth.paths import cache_dir

# Bumped when the conversion changes, so models converted the old way are never reused.
CONVERSION_VERSION = 1
_INPUTS = ("input_ids", "attention_mask")


def best_precision() -> str:
    """`bf16` where this CPU computes bfloat16 natively, else `f32` (OpenVINO's names)."""
    import openvino

    capabilities = openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "bf16" if "BF16" in capabilities else "f32"


class OpenVinoEmbedder:
    """A sentence-transformers folder (Transformer + mean Pooling + Normalize) run by OpenVINO on the CPU.

    Building one is cheap; the conversion (first use on this cache) and the compilation happen on the first
    call to `embed`.

    Args:
        model_path: the sentence-transformers folder (default: the bundled all-MiniLM-L6-v2).
        precision: `bf16` or `f32`; None takes `best_precision()`.
        batch_size: texts per forward pass (texts are length-sorted first).
        threads: OpenVINO's inference threads (default: the cores this process may use).
        model_dir: where converted models are kept (default: `$SYNTH_CACHE_DIR/embeddings/openvino`).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        precision: str | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        model_dir: str | Path | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.precision = precision or best_precision()
        if self.precision not in ("bf16", "f32"):
            raise ConfigError(f"OpenVINO precision must be bf16 or f32, not {self.precision!r}")
        self.batch_size = batch_size
        self.threads = threads or usable_threads()
        self.model_dir = Path(model_dir) if model_dir is not None else cache_dir("embeddings") / "openvino"
        base = DEFAULT_MODEL_NAME if model_path is None else self.model_path.name
        # The name keys the vector cache: vectors of this backend and precision never mix with others.
        self.name = f"{base}+openvino-{self.precision}"
        self.dim, self.max_length = mean_pooled_config(self.model_path)
        self._compiled: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def model_file(self) -> Path:
        """The IR this embedder runs (converted into `model_dir` at first use)."""
        digest = model_digest(self.model_path, CONVERSION_VERSION)
        return self.model_dir / f"{self.model_path.name}-{digest}" / "model.xml"

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._compiled is None:
                import openvino

                model_file = self.model_file()
                if not model_file.is_file():
                    _convert(self.model_path, model_file)
                settings = {"INFERENCE_PRECISION_HINT": self.precision, "INFERENCE_NUM_THREADS": self.threads,
                            "PERFORMANCE_HINT": "LATENCY"}
                core = openvino.Core()

                def rebuild() -> None:
                    shutil.rmtree(model_file.parent, ignore_errors=True)
                    _convert(self.model_path, model_file)

                self._compiled = load_rebuilding_once(
                    lambda: core.compile_model(str(model_file), "CPU", settings), rebuild, (RuntimeError,),
                    lambda error: ConfigError(
                        f"OpenVINO cannot load {model_file}, even freshly converted ({error}). Delete "
                        f"{model_file.parent} or use the default embedder (SYNTH_EMBEDDER=minilm)."
                    ),
                )
                self._tokenizer = model_tokenizer(self.model_path, self.max_length)
            return self._compiled, self._tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` (see Embedder.embed)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        compiled, tokenizer = self._load()
        request = compiled.create_infer_request()

        def run(feed: dict[str, np.ndarray]) -> np.ndarray:
            outputs = request.infer({name: feed[name] for name in _INPUTS})
            return np.asarray(next(iter(outputs.values())))

        return normalise_rows(embed_in_batches(texts, tokenizer, run, dim=self.dim, batch_size=self.batch_size))


def _convert(model_path: Path, target: Path) -> None:
    """Convert the transformer and its mean pooling to an OpenVINO IR at `target`, written in a temporary
    folder moved into place, so a reader (or a second process converting at the same time) never sees half."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    temporary = None
    try:
        import openvino
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()

        class MeanPooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = model

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
                return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

        # A padded example batch, so the converted graph carries the attention mask's padding path.
        example = {"input_ids": torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]),
                   "attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])}
        dynamic = [(name, openvino.PartialShape([-1, -1]), openvino.Type.i64) for name in _INPUTS]
        with torch.no_grad():
            converted = openvino.convert_model(MeanPooled(), example_input=example, input=dynamic)
        target.parent.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=target.parent.parent, prefix=".converting-"))
        openvino.save_model(converted, str(temporary / target.name), compress_to_fp16=False)
        try:
            os.replace(temporary, target.parent)
        except OSError:
            if not target.is_file():  # not another process that got there first
                raise
    except Exception as error:
        raise ConfigError(
            f"Could not convert the embedding model for OpenVINO into {target.parent} ({type(error).__name__}: "
            f"{error}). Check that the folder is writable and has ~200 MB free, or set SYNTH_CACHE_DIR elsewhere."
        ) from error
    finally:
        if temporary is not None and temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
