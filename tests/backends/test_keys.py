"""Key lookup order, the missing-key message, keys kept out of reprs, pickles and messages, and which keys
the chosen models still need."""

from __future__ import annotations

import os
import pickle

import pytest

from synth.backends.keys import (
    Secret,
    find_key,
    key_variables,
    load_secrets_into_environment,
    require_key,
    scrub,
)
from synth.errors import ConfigError


def test_explicit_key_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    assert find_key("OPENAI_API_KEY", "explicit").reveal() == "explicit"


def test_environment_is_used_when_no_key_is_given(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", " from-env \n")
    assert find_key("OPENAI_API_KEY").reveal() == "from-env"


def test_blank_keys_count_as_missing(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    assert find_key("ANTHROPIC_API_KEY", "") is None


def test_missing_key_names_the_variable_and_the_secrets_file():
    with pytest.raises(ConfigError) as caught:
        require_key("ANTHROPIC_API_KEY", backend="anthropic")
    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and ".streamlit/secrets.toml" in message and "anthropic" in message


def test_a_secret_never_shows_itself():
    secret = Secret("sk-live-abcdef123456")
    assert "abcdef" not in repr(secret) and "abcdef" not in str(secret) and "abcdef" not in f"{secret}"
    assert "abcdef" not in repr([secret]) and "abcdef" not in repr({"key": secret})
    with pytest.raises(TypeError, match="never written to disk"):
        pickle.dumps(secret)


def test_scrub_removes_the_key_and_key_shaped_text():
    secret = Secret("my-custom-token-42")
    text = "bad token my-custom-token-42; also Incorrect API key provided: sk-proj-ab12****wxyz"
    cleaned = scrub(text, secret)
    assert "my-custom-token-42" not in cleaned and "sk-proj-ab12" not in cleaned
    assert cleaned == "bad token ***; also Incorrect API key provided: ***"


def test_scrub_keeps_ordinary_text():
    assert scrub("model gpt-4o-mini is busy (task-force)", None) == "model gpt-4o-mini is busy (task-force)"


def test_the_cli_can_load_secrets_toml_like_streamlit_does(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'OPENAI_API_KEY = "sk-file-key-123456"\nANTHROPIC_API_KEY = "from-file"\nBLANK = ""\n'
        '[connections]\nurl = "x"\n'
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-shell")
    for name in ("OPENAI_API_KEY", "BLANK"):  # absent now, and removed again when the test ends
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    assert load_secrets_into_environment(secrets) == ["OPENAI_API_KEY"]
    assert find_key("OPENAI_API_KEY").reveal() == "sk-file-key-123456"
    assert find_key("ANTHROPIC_API_KEY").reveal() == "from-shell"  # the shell wins, as in Streamlit
    assert "BLANK" not in os.environ


def test_a_missing_secrets_file_loads_nothing(tmp_path):
    assert load_secrets_into_environment(tmp_path / "absent.toml") == []


def test_a_broken_secrets_file_is_a_config_error_that_does_not_echo_it(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('OPENAI_API_KEY = "sk-unterminated-999999\n')
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_secrets_into_environment(secrets)
    assert "999999" not in str(caught.value)


def test_key_variables_asks_for_missing_and_blank_keys_only(monkeypatch):
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    specs = ["local:smollm2", "openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "openai:gpt-4o", "nope:model"]
    assert key_variables(specs) == ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")  # blank counts as unset, as the backends read it
    assert key_variables(specs) == ["ANTHROPIC_API_KEY"]
