"""Arbitrary bytes into every loader: nothing but InputError may escape."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.errors import InputError
from synth.io import load_posts
from synth.io.detect import EXTENSIONS

# Bytes that reach each parser's interesting paths: random bytes, and random bytes after a real header.
PREFIXES = [b"", b"text,platform\n", b'[{"text": ', b'{"data": [', b"PAR1", b"PK\x03\x04", b"\xef\xbb\xbf",
            b"\xff\xfe"]


@pytest.mark.parametrize("extension", sorted(EXTENSIONS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_input_error(extension: str, prefix: bytes, body: bytes) -> None:
    try:
        load_posts(prefix + body, name=f"fuzz{extension}", platform="twitter")
    except InputError as error:
        assert f"fuzz{extension}" in str(error) or "no files" in str(error)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_as_csv_raises_only_input_error(text: str) -> None:
    try:
        load_posts(("text,platform\n" + text).encode("utf-8"), name="fuzz.csv", platform="reddit")
    except InputError as error:
        assert "fuzz.csv" in str(error)
