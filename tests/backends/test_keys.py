"""Key lookup order, the missing-key message, keys kept out of reprs, pickles and messages, and which keys
the chosen models still need."""

from __future__ import annotations

import base64
import os
import pickle
from urllib.parse import quote

import pytest

from synth.backends.keys import (
    MASK,
    Secret,
    find_compatible_key,
    find_key,
    key_variables,
    load_secrets_into_environment,
    require_key,
    reveals,
    scrub,
    scrub_json,
    strip_url_credentials,
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


# A key without the sk- shape, as self-hosted gateways and other providers issue them.
PLAIN_KEY = "Zq7vR2mN8pL4xT9wK3bY6cH1dF5gJ0sA"


def _traces(key: str) -> list[str]:
    """The ways a server has echoed a key back in the wild: elided, reversed, encoded, in a Basic header."""
    raw = key.encode()
    return [
        f"{key[:8]}...{key[-6:]}", f"{key[:4]}****{key[-4:]}", key[3:20], key[::-1],
        base64.b64encode(raw).decode(), base64.urlsafe_b64encode(b"x" + raw).decode(),
        "Basic " + base64.b64encode(b"user:" + raw).decode(), raw.hex(), quote(key),
    ]


@pytest.mark.parametrize("trace", _traces(PLAIN_KEY))
def test_scrub_finds_a_key_by_value_in_its_fragments_and_encodings(trace):
    secret = Secret(PLAIN_KEY)
    message = f"invalid credential {trace} for this endpoint"
    cleaned = scrub(message, secret)
    assert reveals(message, secret) and not reveals(cleaned, secret)
    assert cleaned.startswith("invalid credential ") and cleaned.endswith(" for this endpoint") and MASK in cleaned
    # no run of 8 characters of the key (or of its reversal) is left
    for text in (PLAIN_KEY, PLAIN_KEY[::-1]):
        assert not any(text[i:i + 8] in cleaned for i in range(len(text) - 7))


def test_scrub_masks_url_credentials_and_bearer_tokens_of_any_shape():
    text = "could not reach http://alice:hunter2@10.0.0.5:8080/v1 (header Authorization: Bearer abc.DEF_123-xyz)"
    assert scrub(text) == "could not reach http://***@10.0.0.5:8080/v1 (header Authorization: Bearer ***)"


def test_scrub_leaves_ordinary_text_alone_even_with_a_key_given():
    text = "The 8:10 train is late again... #commute https://example.org/a?b=1"
    assert scrub(text, Secret(PLAIN_KEY)) == text and not reveals(text, Secret(PLAIN_KEY))


def test_strip_url_credentials_keeps_the_server_and_its_harmless_options():
    assert strip_url_credentials("http://user:pass@host:8080/v1?api-version=2024-10&api_key=zzz&token=t") == (
        "http://host:8080/v1?api-version=2024-10"
    )
    assert strip_url_credentials("https://tok3n@gw.example/v1") == "https://gw.example/v1"
    assert strip_url_credentials("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    assert strip_url_credentials("completion") == "completion"


def test_scrub_json_drops_credential_names_and_scrubs_every_string():
    secret = Secret(PLAIN_KEY)
    value = {"settings": {"api_key": "x", "base_url": "http://u:p@h/v1"}, "errors": [f"echo {PLAIN_KEY[::-1]}"],
             "tokens": {"input": 3}}
    assert scrub_json(value, secret) == {"settings": {"base_url": "http://***@h/v1"}, "errors": ["echo ***"],
                                         "tokens": {"input": 3}}


def test_a_compatible_server_gets_its_own_key_never_the_providers(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-env-000000")
    assert find_compatible_key("OPENAI_API_KEY", None, url_from_environment=False) is None
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "vllm-key-1234")
    assert find_compatible_key("OPENAI_API_KEY", None, url_from_environment=False).reveal() == "vllm-key-1234"
    assert find_compatible_key("OPENAI_API_KEY", "explicit-1", url_from_environment=False).reveal() == "explicit-1"
    assert find_compatible_key("OPENAI_API_KEY", None, url_from_environment=True).reveal() == "sk-openai-env-000000"


def test_a_short_secret_is_masked_only_where_it_stands_alone_and_never_judged_in_answers():
    secret = Secret("abc")
    assert scrub("key abc refused; abcdef and xabc stay", secret) == "key *** refused; abcdef and xabc stay"
    assert not reveals("the abc of posting", secret)
