import json
import math

import numpy as np

from synth.jsonable import json_ready


def test_json_ready_converts_numpy_and_undefined_values_recursively() -> None:
    value = {1: np.float32(0.5), "a": [np.int64(3), math.nan, (math.inf, np.array([1.0, np.nan]))], "b": None}
    assert json_ready(value) == {"1": 0.5, "a": [3, None, [None, [1.0, None]]], "b": None}
    json.dumps(json_ready(value), allow_nan=False)  # strict JSON: would raise on any NaN left


def test_json_ready_leaves_its_input_alone() -> None:
    value = {"x": [np.float64(math.nan)]}
    json_ready(value)
    assert math.isnan(value["x"][0])
