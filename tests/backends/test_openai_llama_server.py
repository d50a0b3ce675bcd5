"""The openai backend against a real OpenAI-compatible server: llama.cpp's, on 127.0.0.1, no key."""

from __future__ import annotations

import asyncio

import pytest

from synth.backends.base import BackendError, GenerationOptions, Message, Request
from synth.backends.registry import create_backend

pytestmark = pytest.mark.slow

CHAT = (Message("system", "You write short tweets."), Message("user", "Write one tweet about rainy Mondays."))


def test_chat_through_the_compatible_server_from_two_event_loops(llama_server):
    backend = create_backend("openai:smollm2", base_url=llama_server, timeout=60, max_retries=0)
    request = Request(messages=CHAT, options=GenerationOptions(max_tokens=8, seed=3))
    # Streamlit starts a new event loop per run: the backend must build a fresh client for each.
    first = asyncio.run(backend.generate(request))
    second = asyncio.run(backend.generate(request))
    asyncio.run(backend.aclose())
    # Both loops get an answer; the text may differ (llama.cpp's KV cache reuse changes sampling).
    for completion in (first, second):
        assert completion.text.strip()
        assert completion.input_tokens > 10 and 0 < completion.output_tokens <= 8
    assert first.model_version  # the server names the model it ran
    assert backend.describe()["base_url"] == llama_server


def test_completion_prompt_uses_the_legacy_endpoint(llama_server):
    backend = create_backend("openai:smollm2", base_url=llama_server, timeout=60, max_retries=0)
    prompt = "Tweet: I love rainy days\nTweet: Coffee first, then the world\nTweet:"
    options = GenerationOptions(max_tokens=8, seed=4, stop=("\n",))
    completion = asyncio.run(backend.generate(Request(prompt=prompt, options=options)))
    assert "\n" not in completion.text
    assert completion.input_tokens > 10 and 0 < completion.output_tokens <= 8


def test_a_prompt_longer_than_the_server_context_is_fatal_with_its_message(llama_server):
    backend = create_backend("openai:smollm2", base_url=llama_server, timeout=60, max_retries=0)
    too_long = Request(prompt="rain " * 3000, options=GenerationOptions(max_tokens=4))  # n_ctx is 2048
    with pytest.raises(BackendError) as caught:
        asyncio.run(backend.generate(too_long))
    assert caught.value.fatal and caught.value.kind == "bad_request"
    assert "maximum context length is 2048 tokens" in str(caught.value)  # the server's own message


def test_a_server_that_is_not_running_fails_the_call_without_stopping_the_run(llama_server):
    closed = llama_server.rsplit(":", 1)[0] + ":9/v1"  # port 9 (discard): nothing listens on loopback
    backend = create_backend("openai:smollm2", base_url=closed, timeout=5, max_retries=0)
    with pytest.raises(BackendError) as caught:
        asyncio.run(backend.generate(Request(messages=CHAT, options=GenerationOptions(max_tokens=4))))
    assert not caught.value.fatal and caught.value.kind == "connection"
