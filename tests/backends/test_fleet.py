"""The fleet over scripted OpenAI-compatible servers (httpx2 MockTransport, OpenAI's wire format)."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from synth.backends._openai import OpenAIBackend
from synth.backends.base import BackendError, GenerationOptions, Message, Request
from synth.backends.fleet import FleetBackend, create_fleet
from synth.backends.registry import create_backend
from synth.errors import ConfigError
from synth.generate.config import base_url_settings

REQUEST = Request(messages=(Message("user", "one tweet"),), options=GenerationOptions(max_tokens=8))


def _chat(text: str) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "c", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    })


def _member(scripted, url: str, *replies) -> tuple[OpenAIBackend, object]:
    server = scripted(*replies)
    backend = OpenAIBackend(model="m", base_url=url, max_retries=0, http_client=server.client())
    return backend, server


async def _many(fleet: FleetBackend, n: int) -> list:
    return await asyncio.gather(*(fleet.generate(REQUEST) for _ in range(n)))


def test_calls_spread_over_both_servers_and_say_which_answered(scripted) -> None:
    a, server_a = _member(scripted, "http://a:1/v1", _chat("from a"))
    b, server_b = _member(scripted, "http://b:2/v1", _chat("from b"))
    fleet = FleetBackend([a, b], per_endpoint=2)
    completions = asyncio.run(_many(fleet, 20))
    assert {c.endpoint for c in completions} == {"http://a:1/v1", "http://b:2/v1"}
    for completion in completions:
        assert completion.text == f"from {completion.endpoint[7]}"
    assert len(server_a.requests) + len(server_b.requests) == 20
    assert min(len(server_a.requests), len(server_b.requests)) >= 5
    assert fleet.describe()["base_urls"] == ["http://a:1/v1", "http://b:2/v1"]


def test_a_dead_server_is_set_aside_and_its_calls_answered_elsewhere(scripted) -> None:
    dead, dead_server = _member(scripted, "http://dead:1/v1", httpx2.ConnectError("refused"))
    alive, _ = _member(scripted, "http://alive:2/v1", _chat("ok"))
    fleet = FleetBackend([dead, alive], per_endpoint=1, strikes=1, first_rest_s=30)
    completions = asyncio.run(_many(fleet, 12))
    assert all(c.endpoint == "http://alive:2/v1" and c.text == "ok" for c in completions)
    health = {row["url"]: row for row in fleet.health()}
    assert health["http://dead:1/v1"]["resting"] and health["http://dead:1/v1"]["set_aside"] >= 1
    assert len(dead_server.requests) == 1  # set aside at its first failure, for 30 s
    assert health["http://alive:2/v1"]["answered"] == 12


def test_a_rested_server_is_tried_again_and_comes_back(scripted) -> None:
    flaky, flaky_server = _member(scripted, "http://flaky:1/v1", httpx2.Response(503, json={}),
                                  httpx2.Response(503, json={}), _chat("back"))
    other, _ = _member(scripted, "http://other:2/v1", httpx2.Response(503, json={}))
    fleet = FleetBackend([flaky, other], strikes=1, first_rest_s=0.05, max_attempts=20)
    completion = asyncio.run(fleet.generate(REQUEST))
    assert completion.endpoint == "http://flaky:1/v1" and completion.text == "back"
    assert len(flaky_server.requests) == 3
    assert fleet.endpoints[0].strikes == 0  # its success cleared the strikes


def test_fatal_errors_stop_at_once_and_exhausted_attempts_fail_the_call(scripted) -> None:
    refusing, _ = _member(scripted, "http://a:1/v1", httpx2.Response(401, json={"error": {"message": "bad key"}}))
    other, other_server = _member(scripted, "http://b:2/v1", _chat("ok"))
    fleet = FleetBackend([refusing, other])
    fleet.endpoints[1].in_flight = 5  # make the first the least busy
    with pytest.raises(BackendError) as caught:
        asyncio.run(fleet.generate(REQUEST))
    assert caught.value.fatal and not other_server.requests
    down_a, _ = _member(scripted, "http://a:1/v1", httpx2.ConnectError("refused"))
    down_b, _ = _member(scripted, "http://b:2/v1", httpx2.ConnectError("refused"))
    fleet = FleetBackend([down_a, down_b], first_rest_s=0.01, max_attempts=4)
    with pytest.raises(BackendError, match="4 attempts over 2 endpoints failed.*resume") as caught:
        asyncio.run(fleet.generate(REQUEST))
    assert not caught.value.fatal
    assert all(endpoint.in_flight == 0 for endpoint in fleet.endpoints)


def test_base_urls_from_settings_build_a_fleet_or_refuse_clearly() -> None:
    assert base_url_settings("openai:m", ["http://a/v1", " ", "http://b/v1"]) == {
        "base_url": ["http://a/v1", "http://b/v1"]}
    assert base_url_settings("openai:m", ["http://a/v1"]) == {"base_url": "http://a/v1"}
    assert base_url_settings("local:smollm2", ["http://a/v1", "http://b/v1"]) == {}
    fleet = create_backend("openai:m", base_url=["http://a:1/v1", "http://b:2/v1"])
    assert isinstance(fleet, FleetBackend) and fleet.endpoint_count == 2
    assert all(endpoint.backend.max_retries == 0 for endpoint in fleet.endpoints)
    single = create_backend("openai:m", base_url=["http://a:1/v1"])
    assert isinstance(single, OpenAIBackend) and single.base_url == "http://a:1/v1"
    with pytest.raises(ConfigError, match="listed twice"):
        create_fleet("openai:m", ["http://a:1/v1", "http://a:1/v1/"])
    with pytest.raises(ConfigError, match="empty"):
        create_fleet("openai:m", [" "])
    with pytest.raises(ConfigError, match="not an http"):
        create_backend("openai:m", base_url=["http://a:1/v1", "a:2"])
    with pytest.raises(ConfigError, match="takes no base URL"):
        create_backend("local:smollm2", base_url=["http://a:1/v1", "http://b:1/v1"])


def test_a_call_failed_by_one_server_waits_for_a_busy_working_one(scripted) -> None:
    dead, dead_server = _member(scripted, "http://dead:1/v1", httpx2.ConnectError("refused"))

    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0.05)
        return _chat("ok")

    alive = OpenAIBackend(model="m", base_url="http://alive:2/v1", max_retries=0,
                          http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(slow)))
    # One slot per server and a short rest: the dead one comes back (and fails) while the live one is busy.
    fleet = FleetBackend([dead, alive], per_endpoint=1, strikes=1, first_rest_s=0.01, longest_rest_s=0.01,
                         max_attempts=2)
    completions = asyncio.run(_many(fleet, 8))
    assert all(c.endpoint == "http://alive:2/v1" for c in completions)
    assert 1 <= len(dead_server.requests) <= 8  # at most one failure per call, never its last attempt


def test_a_waiting_call_is_not_overtaken_by_a_busy_worker(scripted) -> None:
    import time

    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0.02)
        return _chat("ok")

    members = [OpenAIBackend(model="m", base_url=f"http://s{i}:1/v1", max_retries=0,
                             http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(slow))) for i in range(2)]
    fleet = FleetBackend(members, per_endpoint=1)
    fleet.endpoints[0].resting_until = time.monotonic() + 100  # one server left, one slot
    events: list[str] = []

    async def busy_worker() -> None:  # like the engine's workers: the next call as soon as one ends
        for number in range(6):
            await fleet.generate(REQUEST)
            events.append(f"busy{number}")

    async def waiting_call() -> None:
        await asyncio.sleep(0.005)
        await fleet.generate(REQUEST)
        events.append("waiting")

    async def main() -> None:
        await asyncio.gather(busy_worker(), waiting_call())

    asyncio.run(main())
    assert events.index("waiting") <= 1  # served right after the call in flight when it arrived


def test_a_fleet_survives_the_run_config_round_trip() -> None:
    from synth.generate.config import GenerationConfig, ModelConfig
    from synth.topics.model import TopicSpec

    urls = ["http://a:1/v1", "http://b:2/v1"]
    config = GenerationConfig(models=(ModelConfig("openai:m", base_url_settings("openai:m", urls), concurrency=2),),
                              topics=(TopicSpec("t", "coffee"),), platforms=("twitter",))
    again = GenerationConfig.from_dict(config.to_dict())  # what `synth resume` reads back
    assert again.models[0].settings == {"base_url": urls}
    backend = create_backend(again.models[0].spec, **again.models[0].settings)
    assert isinstance(backend, FleetBackend) and [e.url for e in backend.endpoints] == urls
