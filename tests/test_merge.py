"""Function regions: adjacent activation regions with equal affine maps, merged."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import regions
from regions.course import deep_model, mlp
from regions.errors import VerificationError
from regions.merge import (
    _mesh_adjacency,
    _shape_adjacency,
    count_function_regions,
    merge_regions,
    same_maps,
)
from regions.network import Network
from regions.partition import Partition

BOX = (-5.0, -5.0, 5.0, 5.0)
L_SHAPE = shapely.Polygon([(-5, -5), (5, -5), (5, 0), (0, 0), (0, 5), (-5, 5)])


def _random_layer(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, 2)), rng.normal(size=n)


@pytest.mark.parametrize("method", ["fast", "shapely"])
@pytest.mark.parametrize("domain", [BOX, L_SHAPE], ids=["box", "L"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_zero_outgoing_weight_leaves_no_kink(method: str, domain: object, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w, b = _random_layer(rng, 6)
    v = rng.normal(size=(1, 6))
    v[0, 2] = 0.0  # neuron 2 has no effect on the output
    net = Network.from_arrays([(w, b)], (v, [0.3]))
    keep = [0, 1, 3, 4, 5]
    without = Network.from_arrays([(w[keep], b[keep])], (v[:, keep], [0.3]))
    p = regions.linear_regions(net, domain, method=method)
    m = merge_regions(p)
    m.verify()
    expected = regions.count_regions(without, domain, method=method)
    assert len(p) > expected  # the dead line does cut activation regions
    assert len(m) == expected
    assert m.is_merged and not p.is_merged
    assert m.members is not None and m.members.shape == (len(p),)


def test_random_nets_merge_verify_and_keep_area() -> None:
    rng = np.random.default_rng(7)
    for _ in range(4):
        widths = tuple(int(k) for k in rng.integers(3, 9, size=int(rng.integers(1, 5))))
        model = mlp((2, *widths, 1), seed=int(rng.integers(1000)))
        p = regions.linear_regions(model, BOX)
        m = p.merged()
        m.verify()
        assert len(m) <= len(p)
        assert abs(float(m.areas.sum()) - 100.0) <= 1e-9 * 100.0
        # every member has the map of its merged region; member areas add up
        assert m.members is not None
        np.testing.assert_allclose(p.jacobians, m.jacobians[m.members], rtol=0, atol=1e-12)
        np.testing.assert_allclose(p.offsets, m.offsets[m.members], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            np.bincount(m.members, weights=p.areas, minlength=len(m)), m.areas, rtol=1e-9
        )


def test_deep_course_model_merges_dead_paths() -> None:
    p = regions.linear_regions(deep_model())
    m = p.merged()
    m.verify()
    assert (len(p), len(m)) == (81, 77)
    assert count_function_regions(deep_model()) == 77
    assert all(shapely.get_type_id(m.polygons) == 3)  # each merged region is one polygon


@pytest.mark.parametrize("seed", [3, 4])
def test_mesh_adjacency_equals_geometric_adjacency(seed: int) -> None:
    # mesh edges are exactly the shared segments; the shape candidates add point contacts
    p = regions.linear_regions(mlp((2, 6, 6, 6, 1), seed=seed), BOX)
    assert p.mesh is not None
    a = {tuple(e) for e in _mesh_adjacency(p.mesh).tolist()}
    b = {tuple(e) for e in _shape_adjacency(p.polygons, p.domain.bounds).tolist()}
    assert a <= b  # candidates include point contacts

    def shared(pairs: set[tuple[int, int]]) -> np.ndarray:
        e = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        return np.asarray(
            shapely.length(shapely.intersection(p.polygons[e[:, 0]], p.polygons[e[:, 1]]))
        )

    assert (shared(a) > 0).all()
    assert (shared(b - a) == 0).all()


def test_merged_of_merged_is_itself() -> None:
    m = regions.linear_regions(deep_model()).merged()
    assert merge_regions(m) is m


def test_verify_catches_neighbours_with_the_same_map() -> None:
    net = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])], ([[1.0, 0.0]], [0.0]))
    p = regions.linear_regions(net, BOX)
    fake = Partition(
        p.network,
        p.domain,
        p.patterns,
        p.layer_counts,
        polygons=p.polygons,
        members=np.arange(len(p)),
    )
    with pytest.raises(VerificationError, match="same affine map"):
        fake.verify()


def test_same_maps_is_relative() -> None:
    jac = np.array([[[1e3, 0.0]], [[1e3 + 1e-7, 0.0]], [[1e3 + 1e-3, 0.0]]])
    off = np.zeros((3, 1))
    pairs = np.array([[0, 1], [0, 2]])
    assert same_maps(jac, off, pairs, BOX).tolist() == [True, False]
    assert same_maps(jac, off, pairs, BOX, rtol=1e-5).tolist() == [True, True]
    assert same_maps(jac, off, np.zeros((0, 2), dtype=int), BOX).shape == (0,)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="partition must be a regions.Partition"):
        merge_regions("not a partition")  # type: ignore[arg-type]
    p = regions.linear_regions(deep_model())
    with pytest.raises(ValueError, match="rtol must be a number in"):
        merge_regions(p, rtol=2.0)
    with pytest.raises(ValueError, match="pairs must be an"):
        same_maps(p.jacobians, p.offsets, np.array([1, 2, 3]), BOX)
