"""Which keys the Generate page asks for: those the chosen models need and the environment lacks."""

from __future__ import annotations

import pytest

from ui.generate import key_variables


def test_asks_for_missing_and_blank_keys_only(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = ["local:smollm2", "openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "openai:gpt-4o"]
    assert key_variables(specs) == ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")  # blank counts as unset, as the backends read it
    assert key_variables(specs) == ["ANTHROPIC_API_KEY"]
