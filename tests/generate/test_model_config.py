from __future__ import annotations

from synth.generate import ModelConfig
from tests.generate.doubles import DoubleBackend


def test_a_base_model_gets_completion_prompts_and_a_chat_model_is_unchanged() -> None:
    chat = DoubleBackend(model="echo")
    base = DoubleBackend(model="echo")
    base.supports_chat = False  # capabilities are per instance: a GGUF without a chat template
    model = ModelConfig("double:echo", strategy="topic")
    assert model.suited_to(chat) is model
    assert model.suited_to(base) == ModelConfig("double:echo", strategy="completion")
