"""The anthropic backend on the wire: the official SDK talks to a scripted httpx2 MockTransport."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from synth.backends._anthropic import AnthropicBackend
from synth.backends.base import BackendError, GenerationOptions, Message, Request
from synth.backends.registry import create_backend
from synth.errors import ConfigError

KEY = "sk-ant-test-SECRET0123456789"
CHAT = Request(
    messages=(
        Message("system", "You write Reddit comments."),
        Message("user", "A comment about rain."),
    ),
    options=GenerationOptions(max_tokens=30, temperature=0.6, seed=3, stop=("\n\n", "\n### Post 2")),
)


def message_ok(text: str = "Honestly the rain is fine.") -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 17, "output_tokens": 8},
    })


def error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        status, headers=headers, json={"type": "error", "error": {"type": kind, "message": message}}
    )


def backend(server, **settings) -> AnthropicBackend:
    settings = {"api_key": KEY, "timeout": 5.0, "max_retries": 2, **settings}
    made = create_backend("anthropic:claude-haiku-4-5", http_client=server.client(), **settings)
    assert isinstance(made, AnthropicBackend)
    return made


def run(coroutine):
    return asyncio.run(coroutine)


def test_success_sends_system_as_a_parameter_and_reads_text_and_usage(scripted):
    server = scripted(message_ok())
    made = backend(server)
    completion = run(made.generate(CHAT))
    assert completion.text == "Honestly the rain is fine."
    assert (completion.input_tokens, completion.output_tokens) == (17, 8)
    assert completion.model_version == "claude-haiku-4-5-20251001"
    assert completion.finish_reason == "end_turn"
    request = server.requests[0]
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["authorization"] == f"Bearer {KEY}"  # SDK 2.x sends the key as a bearer token
    assert server.body() == {
        "model": "claude-haiku-4-5",
        "max_tokens": 30,
        "system": "You write Reddit comments.",
        "messages": [{"role": "user", "content": "A comment about rain."}],
        "stop_sequences": ["\n### Post 2"],  # whitespace-only sequences are refused by the API
    }
    assert made.describe()["model_version"] == "claude-haiku-4-5-20251001"
    assert made.describe()["sends_sampling"] is False  # the SDK has no temperature or top_p
    for shown in (repr(made), str(made.describe()), str(vars(made))):
        assert KEY not in shown


def test_text_blocks_are_joined(scripted):
    reply = message_ok()
    body = reply.json()
    body["content"] = [{"type": "text", "text": "one "}, {"type": "text", "text": "two"}]
    assert run(backend(scripted(httpx2.Response(200, json=body))).generate(CHAT)).text == "one two"


def test_rate_limit_then_success_waits_the_retry_after(scripted):
    # 0.7 s is longer than the SDK's own first backoff (at most 0.5 s), so the gap proves it was honoured.
    server = scripted(error(429, "rate_limit_error", "Number of requests exceeded", {"retry-after": "0.7"}),
                      message_ok())
    assert run(backend(server).generate(CHAT)).output_tokens == 8
    assert len(server.requests) == 2
    assert server.gaps()[0] >= 0.7


def test_server_error_then_success(scripted):
    server = scripted(error(529, "overloaded_error", "Overloaded", {"retry-after-ms": "10"}), message_ok("ok"))
    assert run(backend(server).generate(CHAT)).text == "ok"
    assert len(server.requests) == 2


def test_server_errors_after_the_retries_fail_only_the_call(scripted):
    server = scripted(error(500, "api_error", "Internal server error", {"retry-after-ms": "5"}))
    with pytest.raises(BackendError) as caught:
        run(backend(server, max_retries=2).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "server")
    assert len(server.requests) == 3


def test_timeout_after_retries_is_not_fatal(scripted):
    server = scripted(httpx2.ReadTimeout("read timed out"))
    with pytest.raises(BackendError) as caught:
        run(backend(server, max_retries=1).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "timeout")
    assert len(server.requests) == 2


def test_auth_error_is_fatal_at_once_with_the_provider_message_and_no_key(scripted):
    server = scripted(error(401, "authentication_error", f"invalid x-api-key {KEY}"))
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (True, "auth")
    message = str(caught.value)
    assert "invalid x-api-key" in message and "ANTHROPIC_API_KEY" in message
    assert KEY not in message and "SECRET" not in message
    assert len(server.requests) == 1


@pytest.mark.parametrize(("status", "kind"), [(400, "bad_request"), (404, "not_found"), (413, "bad_request")])
def test_client_errors_are_fatal_with_the_provider_message(scripted, status, kind):
    server = scripted(error(status, "invalid_request_error", "model: claude-nope"))
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (True, kind)
    assert "model: claude-nope" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        httpx2.Response(200, content=b"<html>gateway</html", headers={"content-type": "application/json"}),
        httpx2.Response(200, json={"type": "message"}),
        httpx2.Response(200, json={"content": [{"type": "text", "text": "hi"}]}),
    ],
    ids=["invalid-json", "no-content", "no-usage"],
)
def test_malformed_bodies_fail_the_call_without_stopping_the_run(scripted, reply):
    with pytest.raises(BackendError) as caught:
        run(backend(scripted(reply)).generate(CHAT))
    assert (caught.value.fatal, caught.value.kind) == (False, "malformed")


def test_completion_prompts_are_refused_before_any_call(scripted):
    server = scripted(message_ok())
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(Request(prompt="Comment:")))
    assert caught.value.fatal and "chat messages" in str(caught.value)
    assert server.requests == []


def test_missing_key_names_the_variable_and_the_secrets_file():
    with pytest.raises(ConfigError) as caught:
        create_backend("anthropic:claude-haiku-4-5")
    assert "ANTHROPIC_API_KEY" in str(caught.value) and ".streamlit/secrets.toml" in str(caught.value)


def test_key_lookup_order_explicit_then_environment(monkeypatch, scripted):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-000000")
    server = scripted(message_ok())
    run(create_backend("anthropic:claude-haiku-4-5", http_client=server.client()).generate(CHAT))
    run(create_backend("anthropic:claude-haiku-4-5", api_key=KEY, http_client=server.client()).generate(CHAT))
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer sk-ant-env-000000", f"Bearer {KEY}"
    ]


def test_bad_timeout_is_a_config_error():
    with pytest.raises(ConfigError, match="timeout must be"):
        create_backend("anthropic:claude-haiku-4-5", api_key=KEY, timeout=-1)


def test_a_system_prompt_alone_is_refused_before_any_call(scripted):
    server = scripted(message_ok())
    with pytest.raises(BackendError) as caught:
        run(backend(server).generate(Request(messages=(Message("system", "Be brief."),))))
    assert caught.value.fatal and "user message" in str(caught.value)
    assert server.requests == []


def test_no_log_line_carries_the_key_even_at_debug_level(scripted, caplog):
    caplog.set_level("DEBUG")
    server = scripted(error(500, "api_error", "oops", {"retry-after-ms": "1"}),
                      error(401, "authentication_error", f"invalid x-api-key {KEY}"))
    with pytest.raises(BackendError):
        run(backend(server).generate(CHAT))
    assert caplog.records  # the SDK did log its requests and retries
    assert KEY not in caplog.text and "SECRET" not in caplog.text
