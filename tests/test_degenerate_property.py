"""Property test: small-integer nets are full of degeneracies; both splitters equal the oracle."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
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
# a third-layer neuron that is 0 on a region up to rounding (5.6e-17 from terms of size 1)
@example(widths=[4, 4, 4], seed=1_676_686_184, box=(-1, -1, 1, 1), span=1)
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


def _integer_net(rng: np.random.Generator) -> tuple[list, Network]:
    hidden, d = [], 2
    depth = int(rng.integers(1, 3))
    widths = [int(rng.integers(2, 5))] + [int(rng.integers(1, 4)) for _ in range(depth)]
    for n in widths:
        hidden.append((rng.integers(-2, 3, size=(n, d)).astype(float),
                       rng.integers(-2, 3, size=n).astype(float)))
        d = n
    return hidden, Network.from_arrays(hidden, (np.ones((1, d)), np.zeros(1)))


def test_degeneracies_far_from_the_box_scale_are_resolved() -> None:
    # a 2-3-1-1 net whose second layer passes exactly through a first-layer vertex near
    # the origin: in [-1e4, 1e4]^2 that vertex is interpolated from the box's corners,
    # so its coordinates carry rounding of 1e4 x 2**-52 (once 9 regions, 2 of them slivers)
    hidden = [
        (np.array([[2.0, -1.0], [-2.0, -2.0], [1.0, 1.0]]), np.array([1.0, 1.0, 0.0])),
        (np.array([[-2.0, 2.0, -1.0]]), np.array([-2.0])),
    ]
    net = Network.from_arrays(hidden, (np.ones((1, 1)), np.zeros(1)))
    for h in (1e2, 1e4, 1e5, 1e6):
        box = (-h, -h, h, h)
        ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], as_domain(box).ring)
        assert len(ref.cells) == 7
        for kernel in ("numpy", "numba"):
            assert regions.count_regions(net, box, kernel=kernel) == 7, (h, kernel)
        p = regions.linear_regions(net, box)
        assert len(p) == 7
        p.verify()
    assert regions.count_regions(net, None) == 7


def test_integer_nets_in_big_boxes_match_the_oracle() -> None:
    # boxes 1e4 to 1e6 times the scale of the weights: the zero band at a vertex must
    # cover the rounding it inherits from the values it was interpolated from
    # (regions.tolerance.scale_floor); 7 of these 300 nets were wrong without it
    rng = np.random.default_rng(20261204)
    wrong = []
    for _ in range(300):
        hidden, net = _integer_net(rng)
        h = float(rng.choice([1e4, 1e5, 1e6]))
        box = (-h, -h, h, h)
        expected = len(
            oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], as_domain(box).ring).cells
        )
        got = {
            "numba": regions.count_regions(net, box, kernel="numba"),
            "numpy": regions.count_regions(net, box, kernel="numpy"),
            "mesh": len(regions.linear_regions(net, box)),
        }
        if any(v != expected for v in got.values()):
            wrong.append((h, expected, got, [(w.tolist(), b.tolist()) for w, b in hidden]))
    assert not wrong, wrong
