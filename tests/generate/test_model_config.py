from __future__ import annotations

import pytest

from synth.errors import ConfigError
from synth.generate import GenerationConfig, ModelConfig
from synth.topics.model import TopicSpec
from tests.generate.doubles import DoubleBackend


def test_a_base_model_gets_completion_prompts_and_a_chat_model_is_unchanged() -> None:
    chat = DoubleBackend(model="echo")
    base = DoubleBackend(model="echo")
    base.supports_chat = False  # capabilities are per instance: a GGUF without a chat template
    model = ModelConfig("double:echo", strategy="topic")
    assert model.suited_to(chat) is model
    assert model.suited_to(base) == ModelConfig("double:echo", strategy="completion")


@pytest.mark.parametrize(("run_strategy", "model_strategy"), [("multi-platfrom", "completion"), ("topic", "complete")])
def test_a_misspelt_strategy_is_refused_even_where_a_base_model_would_swap_in_completion(
    run_strategy: str, model_strategy: str
) -> None:
    base_model = ModelConfig("double:echo", strategy=model_strategy)  # what suited_to makes of a base model
    with pytest.raises(ConfigError, match="unknown prompt strategy"):
        GenerationConfig(models=(base_model,), topics=(TopicSpec("t1", "coffee"),), platforms=("twitter",),
                         strategy=run_strategy)
