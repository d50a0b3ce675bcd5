"""Does batched decoding pay for the local models? Prints JSON.

Four answers to one ~600-token prompt, 128 new tokens each, two ways, interleaved with alternating order:

- `today`: four consecutive `Llama.create_completion` calls, as the local backend makes them for the calls of
  a cell (the first evaluates the prompt, the next three reuse it from llama-cpp-python's KV cache);
- `batched`: the prompt evaluated once in a second context (4 sequences, unified KV cache), copied to the
  other sequences with `llama_memory_seq_cp`, then one `llama_decode` per step for the 4 sequences, each
  sampled by its own sampler chain (the same chain and defaults as `create_completion`). Once with one
  thread for the 4-token decode batches, once with the Llama's `n_threads_batch`, which llama.cpp uses for
  any batch of more than one token.

Reports wall tokens/s and CPU-ms per token (getrusage, llama.cpp's threads included), medians over --reps,
and the ratios against `today`. Issue 12's bar for building it into the engine was 1.5x.
Usage: python benchmarks/bench_batched_decode.py [--models smollm2,gemma3-270m] [--reps 3] [--new-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.backends._local import LocalBackend  # noqa: E402

SEQUENCES = 4  # LOCAL_CALLS_PER_PROMPT: the calls of a cell that share one prompt
PROMPT_TOKENS = 600
N_BATCH = 512


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sampler_chain(llama_cpp: Any, seed: int) -> Any:
    """create_completion's default chain (its repeat penalty of 1.0 is a no-op and left out)."""
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    for sampler in (llama_cpp.llama_sampler_init_top_k(40), llama_cpp.llama_sampler_init_typical(1.0, 1),
                    llama_cpp.llama_sampler_init_top_p(0.95, 1), llama_cpp.llama_sampler_init_min_p(0.05, 1),
                    llama_cpp.llama_sampler_init_temp(0.9), llama_cpp.llama_sampler_init_dist(seed)):
        llama_cpp.llama_sampler_chain_add(chain, sampler)
    return chain


def fill(batch: Any, entries: list[tuple[int, int, int, bool]]) -> None:
    """Put (token, position, sequence, wants logits) entries into a llama_batch."""
    batch.n_tokens = len(entries)
    for i, (token, position, sequence, logits) in enumerate(entries):
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, position, 1
        batch.seq_id[i][0], batch.logits[i] = sequence, logits


def batched(llama_cpp: Any, llama: Any, ctx: Any, batch: Any, prompt: list[int], new_tokens: int,
            decode_threads: int) -> int:
    """Decode SEQUENCES answers together; returns the tokens made (a sequence ends early at end-of-generation)."""
    memory = llama_cpp.llama_get_memory(ctx)
    llama_cpp.llama_memory_clear(memory, True)
    threads = llama.context_params.n_threads
    llama_cpp.llama_set_n_threads(ctx, threads, llama.context_params.n_threads_batch)
    for start in range(0, len(prompt), N_BATCH):
        fill(batch, [(token, start + i, 0, start + i == len(prompt) - 1)
                     for i, token in enumerate(prompt[start:start + N_BATCH])])
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed on the prompt")
    llama_cpp.llama_set_n_threads(ctx, threads, decode_threads)
    for sequence in range(1, SEQUENCES):
        llama_cpp.llama_memory_seq_cp(memory, 0, sequence, -1, -1)
    chains = [sampler_chain(llama_cpp, 1000 + sequence) for sequence in range(SEQUENCES)]
    row = dict.fromkeys(range(SEQUENCES), batch.n_tokens - 1)  # every sequence samples the prompt's last logits
    made = [0] * SEQUENCES
    active = list(range(SEQUENCES))
    position = len(prompt)
    try:
        while active:
            tokens = {s: llama_cpp.llama_sampler_sample(chains[s], ctx, row[s]) for s in active}
            active = [s for s in active if not llama_cpp.llama_vocab_is_eog(llama._model.vocab, tokens[s])]
            for s in active:
                made[s] += 1
            active = [s for s in active if made[s] < new_tokens]
            if not active:
                break
            fill(batch, [(tokens[s], position, s, True) for s in active])
            row = {s: i for i, s in enumerate(active)}
            if llama_cpp.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama_decode failed on a step")
            position += 1
    finally:
        for chain in chains:
            llama_cpp.llama_sampler_free(chain)
    return sum(made)


def today(llama: Any, prompt: list[int], new_tokens: int) -> int:
    llama.reset()  # a new cell: its prompt is not in the KV cache yet
    return sum(
        llama.create_completion(prompt=prompt, max_tokens=new_tokens, temperature=0.9, top_p=0.95,
                                seed=1000 + sequence)["usage"]["completion_tokens"]
        for sequence in range(SEQUENCES)
    )


def measure(model: str, reps: int, new_tokens: int, text: str) -> dict[str, Any]:
    import llama_cpp
    from llama_cpp import Llama

    llama = Llama(model_path=str(LocalBackend(model=model)._model_path()), n_ctx=4096, verbose=False)
    prompt = llama.tokenize(text.encode(), add_bos=True)[:PROMPT_TOKENS]
    params = llama_cpp.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_ubatch = 4096, N_BATCH, N_BATCH
    params.n_seq_max, params.kv_unified = SEQUENCES, True  # unified: the copied prompt cells are shared
    ctx = llama_cpp.llama_init_from_model(llama._model.model, params)
    batch = llama_cpp.llama_batch_init(N_BATCH, 0, SEQUENCES)
    n_threads_batch = llama.context_params.n_threads_batch
    ways: dict[str, Callable[[], int]] = {
        "today": lambda: today(llama, prompt, new_tokens),
        "batched_decode_threads_1": lambda: batched(llama_cpp, llama, ctx, batch, prompt, new_tokens, 1),
        f"batched_decode_threads_{n_threads_batch}":
            lambda: batched(llama_cpp, llama, ctx, batch, prompt, new_tokens, n_threads_batch),
    }
    runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    try:
        for rep in range(reps):
            for way in (list(ways) if rep % 2 == 0 else list(reversed(ways))):
                started, started_cpu = time.perf_counter(), cpu_seconds()
                made = ways[way]()
                runs[way].append((made / (time.perf_counter() - started), (cpu_seconds() - started_cpu) / made))
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_free(ctx)
        llama.close()

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    result: dict[str, Any] = {"threads": [llama.context_params.n_threads, n_threads_batch],
                              "prompt_tokens": len(prompt)}
    for way, figures in runs.items():
        result[way] = {"tokens_per_s": round(median([f[0] for f in figures]), 1),
                       "cpu_ms_per_token": round(1000 * median([f[1] for f in figures]), 2)}
    base = result["today"]
    for way in runs:
        if way != "today":
            result[way]["wall_ratio_vs_today"] = round(result[way]["tokens_per_s"] / base["tokens_per_s"], 2)
            result[way]["cpu_ratio_vs_today"] = round(base["cpu_ms_per_token"] / result[way]["cpu_ms_per_token"], 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="smollm2,gemma3-270m")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "zomato" / "posts.csv")
    args = parser.parse_args()
    text = args.data.read_text(encoding="utf-8")[:20_000]  # real posts, enough for PROMPT_TOKENS
    output: dict[str, Any] = {"benchmark": "batched_decode", "sequences": SEQUENCES, "new_tokens": args.new_tokens,
                              "reps": args.reps, "cpu_cores": os.cpu_count(), "load_average_1min": [
                                  round(os.getloadavg()[0], 2)]}
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        output[model] = measure(model, args.reps, args.new_tokens, text)
        print(model, json.dumps(output[model]), file=sys.stderr, flush=True)
    output["load_average_1min"].append(round(os.getloadavg()[0], 2))
    print(json.dumps(output, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
