"""Turning the bytes of a text file into str: BOMs, UTF-8, legacy encodings and files that mix them."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from synth.errors import InputError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A well-formed UTF-8 multi-byte sequence: if a file that is not valid UTF-8 still has these, it mixes
# UTF-8 with a legacy encoding (rows pasted together from two exports).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FALLBACK_HANDLER = "synth-cp1252-fallback"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # Bytes that are not UTF-8 are read as cp1252 (latin-1 for the five bytes cp1252 leaves undefined).
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace").replace("\ufffd", bad.decode("latin-1")), error.end


codecs.register_error(_FALLBACK_HANDLER, _cp1252_fallback)


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode a text file and say how.

    Returns:
        (text, encoding, notes): the text without BOM, the encoding used, and notes for the report
        (e.g. a file mixing UTF-8 and cp1252).

    Raises:
        InputError: the bytes are binary (not text) or in no encoding we can tell.
    """
    notes: list[str] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as error:
                raise InputError(
                    f"{name}: starts with a {encoding.upper()} byte-order mark but is not valid {encoding} "
                    f"(byte {error.start}). Save it again as UTF-8."
                ) from None
            return _check_is_text(text.lstrip("\ufeff"), name), encoding, notes
    if _looks_like_utf16_without_bom(data):
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        text = data.decode(encoding, errors="replace")
        return _check_is_text(text, name), encoding, notes
    _check_is_text(data[:65_536].decode("latin-1"), name)  # binary junk fails here, before any guessing
    try:
        return _check_is_text(data.decode("utf-8"), name), "utf-8", notes
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        text = data.decode("utf-8", errors=_FALLBACK_HANDLER)
        notes.append(
            "mixed encodings: mostly UTF-8 with some bytes that are not; those were read as cp1252 "
            "(Windows Western). Check accented characters in the preview; save the file as UTF-8 to be sure."
        )
        return _check_is_text(text, name), "utf-8+cp1252", notes
    matches = charset_normalizer.from_bytes(data[:1_000_000])
    best = matches.best()
    if best is None:
        raise InputError(
            f"{name}: cannot tell this file's text encoding (it may be binary, not text). "
            "Save it as UTF-8 CSV or JSON and upload it again."
        )
    # Short texts often tie between code pages; Windows Western (cp1252) is by far the commonest legacy one.
    tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    encoding = "cp1252" if "cp1252" in tied else best.encoding
    text = data.decode(encoding, errors="replace")
    notes.append(f"encoding detected as {encoding} (not UTF-8); check accented characters in the preview.")
    return _check_is_text(text, name), encoding, notes


def _looks_like_utf16_without_bom(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even_zeros = sample[0::2].count(0) / len(sample[0::2])
    odd_zeros = sample[1::2].count(0) / len(sample[1::2])
    return max(even_zeros, odd_zeros) > 0.4 and min(even_zeros, odd_zeros) < 0.05


def _check_is_text(text: str, name: str) -> str:
    sample = text[:65_536]
    if sample and len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise InputError(
            f"{name}: this is not a text file (it is full of binary control bytes). It may be another file "
            "renamed; upload the CSV/JSON export itself."
        )
    return text
