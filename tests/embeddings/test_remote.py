from __future__ import annotations

import numpy as np
import pytest

from synth.embeddings.embedder import CachedEmbedder, HashingEmbedder, get_default_embedder
from synth.embeddings.remote import EMBEDDER_ENV, RemoteEmbedder, embedder_from_spec, parse_embedder_spec
from synth.errors import ConfigError, ServiceError
from tests.embeddings.fake_server import embedding_server

TEXTS = [f"post number {i} about #topic{i % 7} and vaccines" for i in range(100)] + [""]


def test_vectors_come_back_in_input_order_unit_length_across_batches() -> None:
    with embedding_server() as fake:
        embedder = RemoteEmbedder("fake-embed", fake.base_url, batch_size=16, concurrency=3)
        vectors = embedder.embed(TEXTS)
        assert embedder.dim == 64
        assert fake.requests == 7  # ceil(101 / 16), answers shuffled by the server
    expected = HashingEmbedder(64).embed([text or " " for text in TEXTS])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert vectors.dtype == np.float32


def test_transient_failures_are_retried_and_refusals_are_not() -> None:
    with embedding_server(fail_first=2) as fake:
        embedder = RemoteEmbedder("fake-embed", fake.base_url, backoff_s=0.01)
        assert embedder.embed(["a b c"]).shape == (1, 64)
        assert fake.requests == 3
    with embedding_server(fail_first=10) as fake:
        embedder = RemoteEmbedder("fake-embed", fake.base_url, backoff_s=0.01, max_retries=2)
        with pytest.raises(ServiceError, match="failed 3 times.*HTTP 503"):
            embedder.embed(["a"])
    with embedding_server() as fake:
        with pytest.raises(ServiceError, match="refused model 'nope'.*404.*model name"):
            RemoteEmbedder("nope", fake.base_url).embed(["a"])
        with pytest.raises(ServiceError, match="413"):
            RemoteEmbedder("fake-embed", fake.base_url, batch_size=300).embed(["x"] * 300)
        assert fake.requests == 2  # neither refusal was retried


def test_an_unreachable_server_says_so() -> None:
    with embedding_server() as fake:
        url = fake.base_url
    with pytest.raises(ServiceError, match="failed 2 times.*ConnectError.*running"):
        RemoteEmbedder("fake-embed", url, max_retries=1, backoff_s=0.01).embed(["a"])


def test_cache_is_keyed_by_endpoint_and_model(tmp_path) -> None:
    with embedding_server() as first, embedding_server(dim=32, model="other") as second:
        one = CachedEmbedder(RemoteEmbedder("fake-embed", first.base_url), tmp_path)
        two = CachedEmbedder(RemoteEmbedder("other", second.base_url), tmp_path)
        assert one.name != two.name and first.base_url in one.name and "fake-embed" in one.name
        a = one.embed(TEXTS[:10])
        b = two.embed(TEXTS[:10])
        assert a.shape == (10, 64) and b.shape == (10, 32)
        seen = first.requests
        again = CachedEmbedder(RemoteEmbedder("fake-embed", first.base_url), tmp_path)
        np.testing.assert_array_equal(again.embed(TEXTS[:10]), a)
        assert first.requests == seen + 1  # the size probe only: every vector came from the cache
        assert len(second.texts) == 11  # probe + 10, nothing of the first endpoint's


def test_specs_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path))
    assert parse_embedder_spec("remote:BAAI/bge-small-en-v1.5@http://h:8080/v1") == (
        "remote", {"model": "BAAI/bge-small-en-v1.5", "base_url": "http://h:8080/v1"})
    assert parse_embedder_spec("hashing:32") == ("hashing", {"dim": 32})
    assert parse_embedder_spec(" MiniLM ") == ("minilm", {})
    for bad in ("remote:model", "remote:@http://h", "bert", "hashing:x", "openai:"):
        with pytest.raises(ConfigError, match="minilm.*hashing.*remote:MODEL@BASE_URL"):
            parse_embedder_spec(bad)
    with pytest.raises(ConfigError, match="not an http"):
        embedder_from_spec("remote:m@ftp://h/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SYNTH_EMBEDDINGS_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        embedder_from_spec("openai:text-embedding-3-small")
    monkeypatch.delenv(EMBEDDER_ENV, raising=False)
    assert embedder_from_spec(None) is get_default_embedder()
    monkeypatch.setenv(EMBEDDER_ENV, "hashing:16")
    assert embedder_from_spec("").name == "hashing-16"
    with embedding_server() as fake:
        monkeypatch.setenv(EMBEDDER_ENV, f"remote:fake-embed@{fake.base_url}")
        chosen = embedder_from_spec(None)
        assert chosen.dim == 64 and chosen.embed(["x y"]).shape == (1, 64)


def test_key_is_sent_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx2

    seen: list[str] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx2.Response(401, json={"error": {"message": "bad key sk-secret-123"}})

    monkeypatch.setenv("SYNTH_EMBEDDINGS_API_KEY", "sk-secret-123")
    embedder = RemoteEmbedder("m", "http://127.0.0.1:9/v1", transport=httpx2.MockTransport(refuse))
    with pytest.raises(ServiceError, match="SYNTH_EMBEDDINGS_API_KEY") as caught:
        embedder.embed(["a"])
    assert seen == ["Bearer sk-secret-123"] and "sk-secret-123" not in str(caught.value)


def test_cli_evaluate_embeds_through_the_server_and_refuses_a_bad_spec(tmp_path, monkeypatch, capsys) -> None:
    import json

    import pandas as pd

    from synth.cli import main

    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    texts = [f"dose {i} at the clinic #vaccine" for i in range(30)] + [f"sore arm after shot {i}?" for i in range(30)]
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(60)], "platform": ["twitter", "reddit"] * 30,
                          "text": texts})
    posts.to_csv(tmp_path / "real.csv", index=False)
    posts.iloc[::2].to_csv(tmp_path / "synthetic.csv", index=False)
    files = ["--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "synthetic.csv")]
    with embedding_server(dim=48) as fake:
        spec = f"remote:fake-embed@{fake.base_url}"
        assert main(["evaluate", *files, "--out", str(tmp_path / "out"), "--embedder", spec]) == 0
        assert set(fake.texts) >= set(texts)
    meta = json.loads((tmp_path / "out" / "metrics.json").read_text())["meta"]
    assert meta["embedder"] == {"name": spec, "dim": 48}
    assert main(["evaluate", *files, "--out", str(tmp_path / "out2"), "--embedder", "bert"]) == 2
    assert "error: embedder 'bert' is not one of" in capsys.readouterr().err
    assert not (tmp_path / "out2").exists()
