"""Secrets on the wire and in what a run records: a key sent only to its own provider, a key found by value
in whatever a server echoes (error bodies, answers), and no credential of a base URL in the run folder."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from synth.backends._anthropic import AnthropicBackend
from synth.backends._openai import OpenAIBackend
from synth.backends.base import BackendError
from synth.backends.registry import create_backend
from synth.errors import ConfigError
from synth.generate import GenerationConfig, ModelConfig, manifest, plan_run, run_generation
from synth.report.bundle import bundle_bytes
from synth.report.html import build_report
from synth.topics.model import TopicSpec
from tests.backends.test_anthropic_wire import message_ok
from tests.backends.test_openai_wire import CHAT, chat_ok, error

# Neither key has the sk- shape, so only scrubbing by value can find them.
KEY = "Zq7vR2mN8pL4xT9wK3bY6cH1dF5gJ0sA"
PASSWORD = "hunter2-correct-horse-battery"
SERVER = f"http://alice:{PASSWORD}@127.0.0.1:9/v1"


def _echoes(key: str) -> str:
    """An error body quoting the key the ways servers have: elided, reversed and base64."""
    return (f"key {key[:8]}...{key[-6:]} refused (reversed {key[::-1]}, "
            f"as sent {base64.b64encode(key.encode()).decode()})")


def _no_trace(blob: bytes | str, *secrets: str) -> bool:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    for secret in secrets:
        for variant in (secret, secret[::-1], base64.b64encode(secret.encode()).decode()):
            if any(variant[i:i + 8] in text for i in range(len(variant) - 7)):
                return False
    return True


def test_the_environment_key_of_openai_never_goes_to_another_server(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-env-000000")
    server = scripted(chat_ok())
    asyncio.run(create_backend("openai:llama3", base_url="http://evil.example/v1",
                               http_client=server.client()).generate(CHAT))
    assert "sk-openai-env" not in server.requests[0].headers.get("authorization", "")


def test_a_key_named_for_compatible_servers_or_given_is_sent_to_them(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-env-000000")
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "vllm-key-1234")
    server = scripted(chat_ok())
    asyncio.run(create_backend("openai:llama3", base_url="http://127.0.0.1:8000/v1",
                               http_client=server.client()).generate(CHAT))
    asyncio.run(create_backend("openai:llama3", base_url="http://127.0.0.1:8000/v1", api_key="given-1",
                               http_client=server.client()).generate(CHAT))
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer vllm-key-1234", "Bearer given-1"]


def test_a_base_url_from_the_environment_goes_with_the_environment_key(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-pair-000000")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    server = scripted(chat_ok())
    asyncio.run(create_backend("openai:llama3", http_client=server.client()).generate(CHAT))
    assert server.requests[0].headers["authorization"] == "Bearer sk-env-pair-000000"


def test_anthropic_key_never_goes_to_a_gateway(monkeypatch, scripted):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-000000")
    with pytest.raises(ConfigError, match="ANTHROPIC_COMPATIBLE_API_KEY"):
        create_backend("anthropic:claude-haiku-4-5", base_url="http://gateway.example")
    monkeypatch.setenv("ANTHROPIC_COMPATIBLE_API_KEY", "gateway-key-1")
    server = scripted(message_ok())
    made = create_backend("anthropic:claude-haiku-4-5", base_url="http://gateway.example",
                          http_client=server.client())
    assert isinstance(made, AnthropicBackend)
    asyncio.run(made.generate(CHAT))
    assert server.requests[0].headers["authorization"] == "Bearer gateway-key-1"


def test_error_bodies_lose_every_trace_of_the_key_and_the_url_password(scripted):
    server = scripted(error(500, _echoes(KEY) + f" at {SERVER} pw={PASSWORD}"))
    made = OpenAIBackend(model="llama3", api_key=KEY, base_url=SERVER, max_retries=0, http_client=server.client())
    with pytest.raises(BackendError) as caught:
        asyncio.run(made.generate(CHAT))
    assert caught.value.kind == "server" and "refused" in str(caught.value)
    assert _no_trace(str(caught.value), KEY, PASSWORD)


@pytest.mark.parametrize("echo", [KEY, KEY[::-1], base64.b64encode(KEY.encode()).decode(), f"{KEY[:10]}"])
def test_an_answer_that_repeats_the_key_is_not_kept(scripted, echo):
    server = scripted(chat_ok(f"Sure! Your key is {echo} #leak"))
    made = OpenAIBackend(model="llama3", api_key=KEY, base_url="http://127.0.0.1:9/v1", http_client=server.client())
    with pytest.raises(BackendError) as caught:
        asyncio.run(made.generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "secret_echo")
    assert _no_trace(str(caught.value), KEY)


def test_anthropic_answer_that_repeats_the_key_is_not_kept(scripted):
    server = scripted(message_ok(f"the key: {KEY[::-1]}"))
    made = AnthropicBackend(model="claude-haiku-4-5", api_key=KEY, http_client=server.client())
    with pytest.raises(BackendError, match="discarded"):
        asyncio.run(made.generate(CHAT))


def test_a_run_records_no_key_fragment_and_no_url_password(scripted, tmp_path: Path):
    """The whole run folder (run.sqlite, manifest.json, posts.csv, posts.parquet) after a run whose server
    echoed the key in an error and in an answer, reached through a URL with a password."""
    server = scripted(
        error(500, _echoes(KEY)), chat_ok(f"leaking {KEY[::-1]}"), chat_ok("Rain again. Perfect. #weather"),
    )
    spec = "openai:llama3"
    backend = OpenAIBackend(model="llama3", api_key=KEY, base_url=SERVER, max_retries=0, http_client=server.client())
    real = pd.DataFrame({"post_id": ["r1"], "platform": ["twitter"], "text": ["rain again"], "source": ["real"]})
    config = GenerationConfig(
        models=(ModelConfig(spec, {"base_url": SERVER, "api_key": KEY}, concurrency=1),),
        topics=(TopicSpec("t1", "weather", ("rain",)),), platforms=("twitter",), per_cell=3, use_cache=False,
    )
    result = run_generation(plan_run(config, real), tmp_path / "run", backends={spec: backend})
    assert result.progress.posts == 1
    files = [path for path in (tmp_path / "run").rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"run.sqlite", "manifest.json", "posts.csv", "posts.parquet"}
    for path in files:
        assert _no_trace(path.read_bytes(), KEY, PASSWORD), path.name
    saved = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert saved["config"]["models"][0]["settings"] == {"base_url": "http://127.0.0.1:9/v1"}
    # The bundle and the report made from that run.
    report = build_report(real, result.posts, manifest=manifest(tmp_path / "run"))
    bundle = bundle_bytes(result.posts, report_html=report, run_dirs=[tmp_path / "run"])
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        for name in archive.namelist():
            assert _no_trace(archive.read(name), KEY, PASSWORD), name
    assert _no_trace(report, KEY, PASSWORD)
