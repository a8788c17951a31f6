"""The compiled kernel (numba) against the array code: the same partitions."""

from __future__ import annotations

from typing import Any

import numba  # noqa: F401  (a dev dependency: the kernel is optional for users)
import numpy as np
import pytest
import shapely

import regions
from regions import Network, Partition
from regions.domain import as_domain
from regions.oracle import oracle_regions
from regions.split import count_faces, split_mesh


def random_mlp(rng: np.random.Generator, widths: list[int]) -> Network:
    hidden, d = [], 2
    for n in widths:
        hidden.append((rng.normal(size=(n, d)) / np.sqrt(d), rng.normal(size=n) * 0.5))
        d = n
    return Network.from_arrays(hidden, (rng.normal(size=(1, d)), rng.normal(size=1)))


def partition(net: Network, bbox: tuple[float, ...], kernel: str) -> Partition:
    dom = as_domain(bbox)
    mesh = split_mesh(net.hidden, dom.ring, kernel=kernel)
    return Partition(net, dom, mesh.patterns(), mesh.layer_counts, mesh=mesh)


def sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])] if a.shape[1] else a


@pytest.mark.parametrize("seed", range(25))
def test_numba_equals_numpy_on_random_nets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    widths = [int(v) for v in rng.integers(1, 24, size=int(rng.integers(1, 4)))]
    net = random_mlp(rng, widths)
    h = float(rng.uniform(0.5, 20))
    bbox = (-h, -h, h, h)
    a, b = partition(net, bbox, "numpy"), partition(net, bbox, "numba")
    assert a.layer_counts == b.layer_counts
    np.testing.assert_array_equal(sorted_rows(a.patterns), sorted_rows(b.patterns))
    idx = b.locate(a.interior_points())
    np.testing.assert_array_equal(a.patterns, b.patterns[idx])
    diff = shapely.area(shapely.symmetric_difference(a.polygons, b.polygons[idx]))
    assert float(np.max(diff)) <= 1e-9 * a.domain.area
    b.verify()
    ring = as_domain(bbox).ring
    assert count_faces(net.hidden, ring, chunk_faces=50, kernel="numba") == a.layer_counts


def test_numba_on_degenerate_nets_matches_the_oracle(degenerate_case: Any) -> None:
    net = degenerate_case.net
    dom = as_domain(degenerate_case.bbox)
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in net.hidden], dom.ring)
    mesh = split_mesh(net.hidden, dom.ring, kernel="numba")
    assert mesh.layer_counts == list(ref.layer_counts)
    np.testing.assert_array_equal(
        sorted_rows(mesh.patterns()), sorted_rows(np.asarray(ref.patterns, dtype=bool))
    )


def test_numba_respects_max_regions_and_validates_the_kernel_name() -> None:
    rng = np.random.default_rng(0)
    net = random_mlp(rng, [20, 20])
    with pytest.raises(regions.RegionLimitError, match="max_regions=10"):
        split_mesh(net.hidden, as_domain((-3, -3, 3, 3)).ring, max_faces=10, kernel="numba")
    with pytest.raises(ValueError, match="kernel must be"):
        split_mesh(net.hidden, as_domain((-3, -3, 3, 3)).ring, kernel="cuda")
