from __future__ import annotations

import pandas as pd
import pytest

from synth.errors import InputError
from synth.metrics.baseline import split_halves, split_positions


def _real() -> pd.DataFrame:
    platforms = ["twitter"] * 5 + ["reddit"] * 4 + ["youtube"]
    return pd.DataFrame(
        {"post_id": [f"p{i}" for i in range(10)], "platform": platforms, "text": [f"post {i}" for i in range(10)]},
        index=range(100, 110),
    )


def test_halves_are_stratified_disjoint_and_cover_the_input() -> None:
    real = _real()
    first, second = split_halves(real, seed=3)
    assert sorted(first.index.tolist() + second.index.tolist()) == real.index.tolist()
    assert first["platform"].value_counts().to_dict() == {"twitter": 3, "reddit": 2, "youtube": 1}
    assert second["platform"].value_counts().to_dict() == {"twitter": 2, "reddit": 2}
    assert list(first.columns) == list(real.columns)
    assert first.index.is_monotonic_increasing and second.index.is_monotonic_increasing


def test_same_seed_same_halves_other_seed_other_halves() -> None:
    real = pd.DataFrame({"platform": ["twitter"] * 40, "text": [str(i) for i in range(40)]})
    first_a, _ = split_halves(real, seed=1)
    first_b, _ = split_halves(real, seed=1)
    first_c, _ = split_halves(real, seed=2)
    assert first_a.index.tolist() == first_b.index.tolist()
    assert first_a.index.tolist() != first_c.index.tolist()


def test_input_is_not_modified() -> None:
    real = _real()
    before = real.copy()
    first, _ = split_halves(real)
    first.loc[first.index[0], "text"] = "changed"
    pd.testing.assert_frame_equal(real, before)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"text": ["a", "b"]}), "no 'platform' column"),
        (pd.DataFrame({"platform": ["twitter"], "text": ["a"]}), "at least 2"),
    ],
)
def test_bad_input_raises_input_error(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        split_halves(frame)


def test_split_positions_are_the_rows_of_split_halves() -> None:
    real = pd.DataFrame(
        {"platform": ["x", "reddit", "x", "x", "reddit", "youtube", "x"], "text": list("abcdefg")},
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    first, second = split_positions(real, seed=3)
    first_half, second_half = split_halves(real, seed=3)
    assert real.iloc[first].equals(first_half) and real.iloc[second].equals(second_half)
    assert sorted([*first, *second]) == list(range(7))
    empty = split_positions(real.head(1), seed=3)
    assert [len(part) for part in empty] == [0, 0]
