"""Property test: small-integer nets are full of degeneracies; both splitters equal the oracle."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import regions
from regions import Network
from regions.domain import as_domain
from regions.oracle import oracle_regions


def sorted_rows(a: np.ndarray) -> np.ndarray:
    if a.shape[1] == 0:
        return a
    return a[np.lexsort(a.T[::-1])]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    box=st.sampled_from([(-1, -1, 1, 1), (-2, -1, 3, 2), (0, 0, 1, 1), (-4, -4, 4, 4)]),
    span=st.sampled_from([1, 2]),
)
def test_integer_nets_match_the_rational_oracle(
    widths: list[int], seed: int, box: tuple[int, int, int, int], span: int
) -> None:
    rng = np.random.default_rng(seed)
    hidden, d = [], 2
    for n in widths:
        # weights and biases in {-span, ..., span} / 2: zeros, duplicates, parallels abound
        w = rng.integers(-2 * span, 2 * span + 1, size=(n, d)) / 2
        b = rng.integers(-2 * span, 2 * span + 1, size=n) / 2
        hidden.append((w, b))
        d = n
    net = Network.from_arrays(hidden, (np.ones((1, d)), np.zeros(1)))
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], as_domain(box).ring)
    expected = sorted_rows(np.asarray(ref.patterns, dtype=bool).reshape(len(ref.cells), -1))
    for method in regions.METHODS:
        p = regions.linear_regions(net, box, method=method)
        assert len(p) == len(ref.cells), method
        assert p.layer_counts == list(ref.layer_counts), method
        np.testing.assert_array_equal(sorted_rows(p.patterns), expected)
        p.verify()
