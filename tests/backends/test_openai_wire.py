"""The openai backend on the wire: the official SDK talks to a scripted httpx2 MockTransport."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from synth.backends._openai import OpenAIBackend
from synth.backends.base import BackendError, GenerationOptions, Message, Request
from synth.backends.registry import create_backend
from synth.errors import ConfigError

KEY = "sk-test-SECRET0123456789"
CHAT = Request(
    messages=(Message("system", "You write tweets."), Message("user", "A tweet about rain.")),
    options=GenerationOptions(max_tokens=20, temperature=0.7, top_p=0.9, seed=7, stop=("\n\n",)),
)


def chat_ok(text: str = "Rain again. Perfect.") -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 6, "total_tokens": 27},
    })


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, headers=headers, json={"error": {"message": message, "type": "x"}})


def backend(server, **settings) -> OpenAIBackend:
    settings = {"api_key": KEY, "timeout": 5.0, "max_retries": 2, **settings}
    made = create_backend("openai:gpt-4o-mini", http_client=server.client(), **settings)
    assert isinstance(made, OpenAIBackend)
    return made


def run(coroutine):
    return asyncio.run(coroutine)


def test_success_sends_the_request_and_reads_text_and_usage(scripted):
    server = scripted(chat_ok())
    completion = run(backend(server).generate(CHAT))
    assert completion.text == "Rain again. Perfect."
    assert (completion.input_tokens, completion.output_tokens) == (21, 6)
    assert completion.model == "gpt-4o-mini"
    assert completion.model_version == "gpt-4o-mini-2024-07-18"
    assert completion.finish_reason == "stop"
    request = server.requests[0]
    assert str(request.url) == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert server.body() == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You write tweets."},
            {"role": "user", "content": "A tweet about rain."},
        ],
        "max_completion_tokens": 20, "temperature": 0.7, "top_p": 0.9, "seed": 7, "stop": ["\n\n"],
    }


def test_describe_names_the_version_seen_and_never_the_key(scripted):
    made = backend(scripted(chat_ok()))
    run(made.generate(CHAT))
    assert made.describe() == {
        "backend": "openai", "model": "gpt-4o-mini", "base_url": "https://api.openai.com/v1",
        "model_version": "gpt-4o-mini-2024-07-18", "timeout": 5.0, "max_retries": 2, "sends_sampling": True,
    }
    for shown in (repr(made), str(made.describe()), str(vars(made))):
        assert KEY not in shown


def test_rate_limit_then_success_waits_the_retry_after(scripted):
    # 0.7 s is longer than the SDK's own first backoff (at most 0.5 s), so the gap proves it was honoured.
    server = scripted(error(429, "Rate limit reached", {"retry-after": "0.7"}), chat_ok())
    completion = run(backend(server).generate(CHAT))
    assert completion.text == "Rain again. Perfect."
    assert len(server.requests) == 2
    assert server.gaps()[0] >= 0.7


def test_server_error_then_success(scripted):
    server = scripted(error(500, "The server had an error", {"retry-after-ms": "10"}), chat_ok("ok"))
    assert run(backend(server).generate(CHAT)).text == "ok"
    assert len(server.requests) == 2


def test_rate_limit_after_the_retries_are_spent_fails_only_the_call(scripted):
    server = scripted(error(429, "Rate limit reached", {"retry-after-ms": "5"}))
    with pytest.raises(BackendError) as caught:
        run(backend(server, max_retries=1).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "rate_limit")
    assert "Rate limit reached" in str(caught.value)
    assert len(server.requests) == 2


def test_timeout_after_retries_is_not_fatal(scripted):
    server = scripted(httpx2.ReadTimeout("read timed out"))
    with pytest.raises(BackendError) as caught:
        run(backend(server, max_retries=1, timeout=0.5).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "timeout")
    assert "0.5 s" in str(caught.value)
    assert len(server.requests) == 2


def test_connection_refused_is_not_fatal_and_names_the_server(scripted):
    server = scripted(httpx2.ConnectError("connection refused"))
    with pytest.raises(BackendError) as caught:
        run(backend(server, max_retries=0, base_url="http://127.0.0.1:9/v1").generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "connection")
    assert "http://127.0.0.1:9/v1" in str(caught.value)


def test_auth_error_is_fatal_at_once_with_the_provider_message_and_no_key(scripted):
    server = scripted(error(401, f"Incorrect API key provided: {KEY}. Find your key at platform.openai.com"))
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (True, "auth")
    message = str(caught.value)
    assert "Incorrect API key provided" in message and "OPENAI_API_KEY" in message
    assert KEY not in message and "SECRET" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert len(server.requests) == 1  # auth errors are not retried


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "bad_request"), (422, "bad_request"), (403, "auth"), (404, "not_found")]
)
def test_client_errors_are_fatal(scripted, status, kind):
    server = scripted(error(status, "The model `gpt-nope` does not exist"))
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (True, kind)
    assert "The model `gpt-nope` does not exist" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        httpx2.Response(200, content=b"{not json", headers={"content-type": "application/json"}),
        httpx2.Response(200, json={"object": "chat.completion"}),
        httpx2.Response(200, json={"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}),
        httpx2.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "hi"}}]}),
    ],
    ids=["invalid-json", "no-choices", "empty-choices", "no-usage"],
)
def test_malformed_bodies_fail_the_call_without_stopping_the_run(scripted, reply):
    with pytest.raises(BackendError) as caught:
        run(backend(scripted(reply)).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "malformed")


def test_completion_prompt_goes_to_the_legacy_endpoint_of_a_compatible_server(scripted):
    server = scripted(httpx2.Response(200, json={
        "id": "cmpl-1", "object": "text_completion", "created": 1, "model": "local.gguf",
        "choices": [{"index": 0, "text": " sunny again", "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7},
    }))
    made = create_backend("openai:any", base_url="http://127.0.0.1:8080/v1", http_client=server.client())
    assert made.supports_completion
    completion = run(made.generate(Request(prompt="Tweet:", options=GenerationOptions(max_tokens=8))))
    assert (completion.text, completion.input_tokens, completion.output_tokens) == (" sunny again", 4, 3)
    assert str(server.requests[0].url) == "http://127.0.0.1:8080/v1/completions"
    assert server.body()["max_tokens"] == 8 and server.body()["prompt"] == "Tweet:"
    assert server.requests[0].headers["authorization"] == "Bearer no-key-needed"


def test_chat_model_of_openai_refuses_a_completion_prompt_before_any_call(scripted):
    server = scripted(chat_ok())
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(Request(prompt="Tweet:")))
    assert caught.value.fatal and "chat messages" in str(caught.value)
    assert server.requests == []


def test_base_url_from_the_environment_and_credentials_kept_out_of_describe(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:pw@127.0.0.1:11434/v1?token=abc")
    made = create_backend("openai:llama3", http_client=scripted(chat_ok()).client())
    assert made.describe()["base_url"] == "http://127.0.0.1:11434/v1"
    assert "pw" not in repr(made) and "abc" not in repr(made)


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"timeout": 0}, "timeout must be"),
        ({"timeout": "10"}, "timeout must be"),
        ({"max_retries": -1}, "max_retries must be"),
        ({"max_retries": 1.5}, "max_retries must be"),
        ({"base_url": "127.0.0.1:8080"}, "not an http(s) URL"),
        ({"base_url": "ftp://host/v1"}, "not an http(s) URL"),
    ],
)
def test_bad_settings_are_config_errors(settings, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        create_backend("openai:gpt-4o-mini", api_key=KEY, **settings)


def test_missing_key_names_the_variable_and_the_secrets_file():
    with pytest.raises(ConfigError) as caught:
        create_backend("openai:gpt-4o-mini")
    assert "OPENAI_API_KEY" in str(caught.value) and ".streamlit/secrets.toml" in str(caught.value)


def test_a_compatible_server_needs_no_key():
    made = create_backend("openai:qwen2.5", base_url="http://localhost:11434/v1")
    assert made.describe()["base_url"] == "http://localhost:11434/v1"


def test_key_from_the_environment_is_used(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-000000")
    server = scripted(chat_ok())
    run(create_backend("openai:gpt-4o-mini", http_client=server.client()).generate(CHAT))
    assert server.requests[0].headers["authorization"] == "Bearer sk-env-key-000000"


def test_explicit_key_wins_over_the_environment(monkeypatch, scripted):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-000000")
    server = scripted(chat_ok())
    run(create_backend("openai:gpt-4o-mini", api_key=KEY, http_client=server.client()).generate(CHAT))
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_openai_own_url_given_explicitly_still_needs_a_key_and_uses_its_length_field(scripted):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        create_backend("openai:gpt-4o-mini", base_url="https://api.openai.com/v1")
    server = scripted(chat_ok())
    run(backend(server, base_url="https://api.openai.com/v1").generate(CHAT))
    assert "max_completion_tokens" in server.body() and "max_tokens" not in server.body()


def test_context_window_comes_from_known_models_or_the_setting():
    assert create_backend("openai:gpt-4o-mini", api_key=KEY).max_context == 128_000
    assert create_backend("openai:mistral", base_url="http://127.0.0.1:1/v1", max_context=32_000).max_context == 32_000
    with pytest.raises(ConfigError, match="max_context must be"):
        create_backend("openai:mistral", base_url="http://127.0.0.1:1/v1", max_context=0)


def test_no_log_line_carries_the_key_even_at_debug_level(scripted, caplog):
    caplog.set_level("DEBUG")
    server = scripted(error(500, "oops", {"retry-after-ms": "1"}), error(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(BackendError):
        run(backend(server).generate(CHAT))
    assert caplog.records  # the SDK did log its requests and retries
    assert KEY not in caplog.text and "SECRET" not in caplog.text


@pytest.mark.parametrize("model", ["o3-mini", "o4-mini", "gpt-5-nano"])
def test_reasoning_models_of_openai_get_no_temperature_or_top_p(scripted, model):
    server = scripted(chat_ok())
    made = create_backend(f"openai:{model}", api_key=KEY, http_client=server.client())
    run(made.generate(CHAT))
    assert server.body()["max_completion_tokens"] == 20
    assert "temperature" not in server.body() and "top_p" not in server.body()
    assert made.describe()["sends_sampling"] is False


def test_a_compatible_server_gets_sampling_whatever_the_model_is_called(scripted):
    server = scripted(chat_ok())
    run(create_backend("openai:o3-distill", base_url="http://127.0.0.1:1/v1", http_client=server.client())
        .generate(CHAT))
    assert server.body()["temperature"] == 0.7 and server.body()["max_tokens"] == 20
