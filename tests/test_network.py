"""Network.from_arrays and Network.from_torch: argument checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from regions.errors import ArgumentTypeError, ShapeMismatchError
from regions.network import Network


@pytest.mark.parametrize(
    ("hidden", "output", "error", "message"),
    [
        ("x", "y", ArgumentTypeError, r"hidden must be a sequence of \(W, b\) pairs, got str"),
        (3, None, ArgumentTypeError, r"hidden must be a sequence of \(W, b\) pairs, got int"),
        ([], "y", ArgumentTypeError, r"output must be a \(W, b\) pair of arrays, got str"),
        (["ab"], None, ArgumentTypeError, r"hidden\[0\] must be a \(W, b\) pair"),
        ([(np.eye(2),)], None, ShapeMismatchError, r"hidden\[0\] must be a \(W, b\) pair of "
         r"arrays, got 1 entries"),
        ([], (np.ones((1, 2)), "a"), ArgumentTypeError, r"output: b must be an array"),
        ([], ([["a", "b"]], [0.0]), ArgumentTypeError, r"output: W and b must be arrays of real"),
    ],
)
def test_from_arrays_names_the_bad_parameter(
    hidden: Any, output: Any, error: type[Exception], message: str
) -> None:
    rng = np.random.default_rng(0)
    if output is None:
        output = (rng.normal(size=(1, 2)), rng.normal(size=1))
    with pytest.raises(error, match=message):
        Network.from_arrays(hidden, output)
    net = Network.from_arrays(
        [(rng.normal(size=(3, 2)), rng.normal(size=3))], (rng.normal(size=(1, 3)), np.zeros(1))
    )
    assert net.widths == (3,)
