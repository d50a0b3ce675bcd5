"""The real local model (SmolLM2-135M-Instruct via llama-cpp-python) generates posts through the engine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth.backends.base import GenerationOptions
from synth.generate import COMPLETED, GenerationConfig, ModelConfig, plan_run, run_generation
from synth.schema import validate_posts
from tests.generate.conftest import TOPICS


@pytest.mark.slow
def test_smollm2_generates_posts_end_to_end(real_posts: pd.DataFrame, tmp_path: Path) -> None:
    config = GenerationConfig(
        models=(ModelConfig("local:smollm2"),), topics=TOPICS[:1], platforms=("twitter",), per_cell=2,
        options=GenerationOptions(max_tokens=48, temperature=0.8),
    )
    result = run_generation(plan_run(config, real_posts), tmp_path / "run")
    assert result.status == COMPLETED
    posts = validate_posts(result.posts)
    assert result.progress.done_calls == 2
    # A 135M model may refuse once; it must still make at least one post.
    assert 1 <= len(posts) <= 2 and len(posts) + result.progress.refusals <= 2
    assert (posts["text"].str.len() > 0).all()
    assert (posts["output_tokens"] > 0).all() and (posts["input_tokens"] > 50).all()
    assert set(posts["model"]) == {"local:smollm2"} and set(posts["backend"]) == {"local"}
    assert result.progress.spend_usd == 0.0  # local models are free
