"""Region-count bounds: known values, the one-layer case, and measured counts below them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import regions
from regions.bounds import montufar_lower_bound, one_layer_max, serra_upper_bound
from regions.course import mlp


def _serra_brute(widths: list[int], n0: int = 2) -> int:
    """Theorem 1 of Serra et al. (2018) summed literally over J."""
    total = 0
    for js in itertools.product(*[range(n + 1) for n in widths]):
        caps = [
            min([n0, widths[i]] + [widths[k] - js[k] for k in range(i)]) for i in range(len(js))
        ]
        if all(j <= c for j, c in zip(js, caps, strict=True)):
            total += math.prod(math.comb(n, j) for n, j in zip(widths, js, strict=True))
    return total


@pytest.mark.parametrize("n", range(0, 12))
def test_one_layer_is_one_plus_n_plus_n_choose_2(n: int) -> None:
    assert one_layer_max(n) == 1 + n + n * (n - 1) // 2
    if n >= 1:
        assert serra_upper_bound([n]) == one_layer_max(n)
    if n >= 2:
        assert montufar_lower_bound(n, 1) == one_layer_max(n)


def test_known_values() -> None:
    assert serra_upper_bound([2, 2]) == 11
    assert serra_upper_bound([1, 1, 1]) == 4
    assert serra_upper_bound([5, 5, 5, 5]) == 16**4  # no bottleneck: (1 + 5 + 10)^4
    assert montufar_lower_bound(4, 3) == 2**4 * 11
    assert montufar_lower_bound(5, 4) == 2**6 * 16


def test_serra_dynamic_programme_equals_the_sum_over_j() -> None:
    rng = np.random.default_rng(11)
    for _ in range(25):
        widths = [int(w) for w in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
        assert serra_upper_bound(widths) == _serra_brute(widths)


@pytest.mark.parametrize("n", [2, 3, 4, 6])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_lower_bound_below_upper_bound(n: int, depth: int) -> None:
    assert montufar_lower_bound(n, depth) <= serra_upper_bound([n] * depth)


@pytest.mark.parametrize("widths", [(2, 8, 1), (2, 6, 6, 1), (2, 5, 5, 5, 1), (2, 3, 9, 4, 1)])
def test_measured_counts_never_exceed_the_upper_bound(widths: tuple[int, ...]) -> None:
    # a box count is a lower bound of the whole-plane count: only "<= upper" holds for sure
    rng = np.random.default_rng(5)
    for seed in rng.integers(0, 10_000, size=3):
        count = regions.count_regions(mlp(widths, int(seed)), (-1e3, -1e3, 1e3, 1e3))
        assert count <= serra_upper_bound(list(widths[1:-1]))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        one_layer_max(-1)
    with pytest.raises(ValueError, match="widths must be a sequence"):
        serra_upper_bound(5)
    with pytest.raises(ValueError, match="widths must hold at least one"):
        serra_upper_bound([])
    with pytest.raises(ValueError, match="widths must be an int >= 1"):
        serra_upper_bound([3, 0])
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        montufar_lower_bound(1, 2)
    with pytest.raises(ValueError, match="depth must be an int >= 1"):
        montufar_lower_bound(4, True)
