"""Over-generation for selection: `candidates` on the config, the plan and `synth generate`."""

from __future__ import annotations

import pandas as pd
import pytest

import tests.generate.doubles  # noqa: F401  (registers the double backend)
from synth.errors import ConfigError
from synth.generate.config import GenerationConfig, ModelConfig
from synth.generate.plan import plan_run
from synth.topics.model import TopicSpec


def config(**values: object) -> GenerationConfig:
    return GenerationConfig(models=(ModelConfig("double:x"),), topics=(TopicSpec("T1", "Delivery"),),
                            platforms=("twitter", "reddit"), **values)  # type: ignore[arg-type]


def test_candidates_multiply_the_posts_asked_for_per_cell() -> None:
    real = pd.DataFrame({"post_id": ["a", "b"], "platform": ["twitter", "reddit"], "text": ["x y", "z w"],
                         "topic": ["T1", "T1"]})
    plan = plan_run(config(per_cell=3, candidates=2, posts_per_call=4), real)
    assert plan.planned_posts == 12 and [call.n_posts for call in plan.calls] == [4, 4, 2, 2]
    saved = GenerationConfig.from_dict(plan.config.to_dict())
    assert saved.candidates == 2 and saved.per_cell == 3


def test_old_configs_without_candidates_read_as_one() -> None:
    data = config().to_dict()
    del data["candidates"]
    assert GenerationConfig.from_dict(data).candidates == 1


@pytest.mark.parametrize("candidates", [0, 21])
def test_candidates_out_of_range_are_refused(candidates: int) -> None:
    with pytest.raises(ConfigError, match="candidates must be between 1 and 20"):
        config(candidates=candidates)
