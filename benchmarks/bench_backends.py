"""The backends' own costs, apart from the engine. Prints JSON.

1. sdk_call_overhead: CPU time per call of the openai and anthropic backends (official SDK, our request
   building, response checks) against an in-process httpx2 MockTransport: no network, so what is left is
   the client-side cost that concurrency has to hide.
2. retry_after: the gap the SDK waits before retrying a 429 whose `retry-after` is 0.7 s.
3. local_layer: SmolLM2 through LocalBackend (worker thread, lock, cancel hook) against the same
   `create_chat_completion` calls on the same Llama, same seeds, alternating; tokens/s and overhead.
4. local_cancel: how soon an abandoned local call (asyncio timeout after 1 s) frees the model, and how
   many of its 1000 tokens it wrote (asyncio.run waits for the worker thread, so "freed" counts from the
   timeout to the end of that wait).

Usage: python benchmarks/bench_backends.py [--sdk-calls 300] [--local-calls 8] [--max-tokens 48]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth.backends import _local  # noqa: E402
from synth.backends.base import GenerationOptions, Message, Request  # noqa: E402
from synth.backends.registry import create_backend  # noqa: E402

CHAT = (Message("system", "You write tweets."), Message("user", "Write a tweet about trains being late."))
OPENAI_OK = {
    "id": "c", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "late again"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23},
}
ANTHROPIC_OK = {
    "id": "m", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn",
    "content": [{"type": "text", "text": "late again"}], "usage": {"input_tokens": 20, "output_tokens": 3},
}


def sdk_call_overhead(calls: int) -> dict[str, float]:
    results = {}
    for spec, body in (("openai:gpt-4o-mini", OPENAI_OK), ("anthropic:claude-haiku-4-5", ANTHROPIC_OK)):
        answer = httpx2.Response(200, json=body)
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda _, answer=answer: answer))
        backend = create_backend(spec, api_key="sk-bench-000000", http_client=client)
        request = Request(messages=CHAT, options=GenerationOptions(max_tokens=32))

        async def run(backend=backend, request=request) -> float:
            await backend.generate(request)  # warm: SDK imports, client build
            started = time.perf_counter()
            for _ in range(calls):
                await backend.generate(request)
            return time.perf_counter() - started

        seconds = asyncio.run(run())
        results[f"{spec.split(':')[0]}_ms_per_call"] = round(1000 * seconds / calls, 3)
    return results


def retry_after_gap() -> float:
    times: list[float] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        times.append(time.monotonic())
        if len(times) == 1:
            return httpx2.Response(429, headers={"retry-after": "0.7"}, json={"error": {"message": "slow down"}})
        return httpx2.Response(200, json=OPENAI_OK)

    backend = create_backend("openai:gpt-4o-mini", api_key="sk-bench-000000",
                             http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)))
    asyncio.run(backend.generate(Request(messages=CHAT)))
    return round(times[1] - times[0], 3)


def local_layer(calls: int, max_tokens: int) -> dict[str, object]:
    backend = create_backend("local:smollm2")
    asyncio.run(backend.generate(Request(messages=CHAT, options=GenerationOptions(max_tokens=1))))  # load
    llama = _local._load(backend._model_path(), backend.n_ctx, backend.n_threads).llama  # type: ignore[attr-defined]
    messages = [{"role": m.role, "content": m.content} for m in CHAT]
    seconds = {"raw": 0.0, "backend": 0.0}
    tokens = {"raw": 0, "backend": 0}
    texts: dict[str, list[str]] = {"raw": [], "backend": []}
    for seed in range(calls):  # alternate, swapping which goes first, so a shared machine's drift hits both
        for side in (("raw", "backend") if seed % 2 == 0 else ("backend", "raw")):
            options = GenerationOptions(max_tokens=max_tokens, temperature=0.8, top_p=0.95, seed=seed)
            started = time.perf_counter()
            if side == "raw":
                response = llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=0.8, top_p=0.95, seed=seed, stop=[]
                )
                text, used = response["choices"][0]["message"]["content"], response["usage"]["completion_tokens"]
            else:
                completion = asyncio.run(backend.generate(Request(messages=CHAT, options=options)))
                text, used = completion.text, completion.output_tokens
            seconds[side] += time.perf_counter() - started
            tokens[side] += used
            texts[side].append(text)
    raw_tps, backend_tps = tokens["raw"] / seconds["raw"], tokens["backend"] / seconds["backend"]
    return {
        "calls": calls, "max_tokens": max_tokens,
        "raw_tokens_per_s": round(raw_tps, 2), "backend_tokens_per_s": round(backend_tps, 2),
        "output_tokens": tokens, "same_text": texts["raw"] == texts["backend"],
        "backend_overhead_pct": round(100 * (1 - backend_tps / raw_tps), 2),
    }


def local_cancel() -> dict[str, float]:
    backend = create_backend("local:smollm2")
    counting = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"
    endless = Request(prompt=counting, options=GenerationOptions(max_tokens=1000, temperature=0.0))
    loaded = _local._load(backend._model_path(), backend.n_ctx, backend.n_threads)  # type: ignore[attr-defined]
    # Warm this prompt first, so what is timed is stopping mid-answer, not evaluating the prompt.
    asyncio.run(backend.generate(Request(prompt=counting, options=GenerationOptions(max_tokens=1))))

    async def abandon() -> float:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(backend.generate(endless), timeout=1.0)
        return time.perf_counter()

    cancelled_at = asyncio.run(abandon())  # returns once the worker thread has ended
    while loaded.lock.locked():
        time.sleep(0.001)
    freed_ms = 1000 * (time.perf_counter() - cancelled_at)
    written = loaded.llama.n_tokens - len(loaded.llama.tokenize(counting.encode()))
    return {"model_freed_after_ms": round(freed_ms, 1), "tokens_written_of_1000": written}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdk-calls", type=int, default=300)
    parser.add_argument("--local-calls", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    print(json.dumps({
        "benchmark": "backends",
        "sdk_call_overhead": sdk_call_overhead(args.sdk_calls),
        "retry_after_0_7_s_gap_s": retry_after_gap(),
        "local_layer": local_layer(args.local_calls, args.max_tokens),
        "local_cancel": local_cancel(),
    }, indent=2))


if __name__ == "__main__":
    main()
