"""Function regions: adjacent activation regions with equal affine maps, merged."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import shapely
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import regions
from regions.course import deep_model, mlp
from regions.errors import VerificationError
from regions.merge import (
    _mesh_adjacency,
    count_function_regions,
    merge_regions,
    same_maps,
)
from regions.network import Network
from regions.oracle import oracle_regions
from regions.partition import Partition
from regions.plot import region_adjacency

BOX = (-5.0, -5.0, 5.0, 5.0)
L_SHAPE = shapely.Polygon([(-5, -5), (5, -5), (5, 0), (0, 0), (0, 5), (-5, 5)])


def _exact_map(hidden: Any, output: Any, pattern: tuple[bool, ...]) -> tuple[Any, ...]:
    """The network's output on a cell with this activation pattern, as exact rows (x, y, 1)."""
    rows = [(Fraction(1), Fraction(0), Fraction(0)), (Fraction(0), Fraction(1), Fraction(0))]
    bits = iter(pattern)
    for k, (w, b) in enumerate([*hidden, output]):
        zs = [
            tuple(sum((Fraction(float(wj)) * r[c] for wj, r in zip(wrow, rows, strict=True)),
                      Fraction(0)) + (Fraction(float(bj)) if c == 2 else 0) for c in range(3))
            for wrow, bj in zip(np.asarray(w).tolist(), np.asarray(b).tolist(), strict=True)
        ]
        zero = (Fraction(0),) * 3
        rows = zs if k == len(hidden) else [z if next(bits) else zero for z in zs]
    return tuple(rows)


def _share_an_edge(a: list[Any], b: list[Any]) -> bool:
    """Whether two exact convex polygons share a boundary segment of positive length."""
    for p, q in zip(a, a[1:] + a[:1], strict=True):
        dx, dy = q[0] - p[0], q[1] - p[1]
        for r, s in zip(b, b[1:] + b[:1], strict=True):
            ur, us = (r[0] - p[0], r[1] - p[1]), (s[0] - p[0], s[1] - p[1])
            if dx * ur[1] - dy * ur[0] == 0 and dx * us[1] - dy * us[0] == 0:
                ts = sorted([dx * ur[0] + dy * ur[1], dx * us[0] + dy * us[1]])
                if min(ts[1], dx * dx + dy * dy) > max(ts[0], 0):
                    return True
    return False


def _oracle_function_regions(hidden: Any, output: Any, box: tuple[float, ...]) -> tuple[int, int]:
    """(activation regions, function regions) of a net on a box, without ``regions.merge``.

    The rational oracle's cells; each cell's exact affine output map (Fractions, from its
    pattern); cells that share an edge of positive length (exactly: a point contact is no
    edge) and have equal maps are joined; the function regions are the connected
    components of that graph.
    """
    x0, y0, x1, y1 = box
    cells = oracle_regions(hidden, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]).cells
    maps = [_exact_map(hidden, output, pattern) for _, pattern in cells]
    lo = [(min(x for x, _ in v), min(y for _, y in v)) for v, _ in cells]
    hi = [(max(x for x, _ in v), max(y for _, y in v)) for v, _ in cells]
    pairs = [
        (i, j) for i, j in itertools.combinations(range(len(cells)), 2)
        if maps[i] == maps[j]
        and lo[i][0] <= hi[j][0] and lo[j][0] <= hi[i][0]
        and lo[i][1] <= hi[j][1] and lo[j][1] <= hi[i][1]
        and _share_an_edge(cells[i][0], cells[j][0])
    ]
    e = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(len(cells), len(cells)))
    return len(cells), int(connected_components(graph, directed=False)[0])


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
    model = deep_model()
    p = regions.linear_regions(model)
    m = p.merged()
    m.verify()
    lins = [lin for lin in model if isinstance(lin, torch.nn.Linear)]
    layers = [(lin.weight.detach().double().numpy(), lin.bias.detach().double().numpy())
              for lin in lins]
    expected = _oracle_function_regions(layers[:-1], layers[-1], p.domain.bounds)
    assert expected[1] < expected[0]  # dead paths do leave neighbours with one map
    assert (len(p), len(m)) == expected
    assert count_function_regions(deep_model()) == expected[1]
    assert all(shapely.get_type_id(m.polygons) == 3)  # each merged region is one polygon


@pytest.mark.parametrize("seed", [3, 4])
def test_mesh_adjacency_equals_geometric_adjacency(seed: int) -> None:
    # mesh edges are exactly the shared segments; measured from shapes, point contacts
    # (every region around a vertex touches every other there) are left out too
    p = regions.linear_regions(mlp((2, 6, 6, 6, 1), seed=seed), BOX)
    assert p.mesh is not None
    a = {tuple(e) for e in _mesh_adjacency(p.mesh).tolist()}
    b = {tuple(e) for e in region_adjacency(p).tolist()}
    assert a == b
    e = np.array(sorted(a), dtype=np.int64)
    shared = shapely.intersection(p.polygons[e[:, 0]], p.polygons[e[:, 1]])
    assert (shapely.length(shared) > 0).all()


def test_regions_touching_at_a_point_are_not_merged_without_a_mesh() -> None:
    # relu(x) + relu(y) - relu(x + y): six wedges around the origin; the two where it
    # is 0 (x, y > 0 and x, y < 0) touch only there. A non-convex domain has no mesh.
    net = Network.from_arrays(
        [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 0.0])], ([[1.0, 1.0, -1.0]], [0.0])
    )
    notched = shapely.box(-1, -1, 1, 1).difference(shapely.box(0.9, 0.9, 1, 1))
    assert regions.count_regions(net, notched, merge=True) == 6
    assert regions.count_regions(net, (-1, -1, 1, 1), method="shapely", merge=True) == 6
    assert regions.count_regions(net, (-1, -1, 1, 1), merge=True) == 6


def test_merged_regions_verify_off_the_dissolved_kinks() -> None:
    # relu(x) - relu(-x) = x: one function region; its interior point must not sit on x = 0
    net = Network.from_arrays([([[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0])], ([[1.0, -1.0]], [0.0]))
    m = regions.linear_regions(net, (-2, -2, 2, 2)).merged()
    assert len(m) == 1
    m.verify()


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


@pytest.mark.parametrize(
    ("hidden", "output", "expected"),
    [
        (  # two same-map regions met only at a point (once merged: 19)
            [([[-1, 1], [-2, -1], [1, 2], [0, 2]], [-1, -2, 1, -1]),
             ([[2, 1, 1, -2], [2, -2, -2, 0]], [-2, 1])],
            ([[0, -1], [1, 0]], [-2, 1]),
            20,
        ),
        (  # a union came back with a 3e-33 sliver no member lies in (once an IndexError)
            [([[-2, 2], [-2, -2], [1, 2]], [-1, -1, -2]),
             ([[0, 0, 0], [0, -2, -2], [2, -1, -1]], [1, -2, 1])],
            ([[0, 0, 1], [2, 0, 0]], [1, 0]),
            9,
        ),
    ],
)
def test_merging_the_reference_splitters_regions(
    hidden: list, output: tuple, expected: int
) -> None:
    net = Network.from_arrays(hidden, output)
    box = (-10, -10, 10, 10)
    assert _oracle_function_regions(hidden, output, box)[1] == expected
    for method in regions.METHODS:
        m = regions.linear_regions(net, box, method=method).merged()
        assert len(m) == expected, method
        m.verify()


def test_function_regions_and_layers_of_an_image_model_on_a_plane() -> None:
    # the input-shape error's advice (plane= / input_shape=) works for these two as well
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    torch.manual_seed(0)
    conv = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(32, 8),
        torch.nn.ReLU(), torch.nn.Linear(8, 1),
    )
    rng = np.random.default_rng(0)
    plane = regions.Plane.through(*(rng.normal(size=(1, 6, 6)) for _ in range(3)))
    p = regions.linear_regions(conv, plane=plane)
    assert regions.count_function_regions(conv, plane=plane) == len(p.merged())
    colls = regions.plot_layers(conv, plane=plane)
    assert [len(c.get_paths()) for c in colls] == p.layer_counts
    with pytest.raises(regions.InputDimensionError, match="input_shape"):
        regions.count_function_regions(conv)
    plt.close("all")


def test_merged_shapely_partition_keeps_its_neighbours() -> None:
    # unions can move a shared vertex by a few ulps of the coordinates; adjacency (and so the
    # colours and the extent) must still see those neighbours, as for the fast method
    from regions.plot import region_adjacency

    hidden = [
        ([[-0.05927726626396179, -0.02424446865916252], [-0.26516738533973694, 0.16266517341136932],
          [-0.4045396149158478, -0.12469659000635147], [0.2740660309791565, 0.6637026071548462]],
         [0.16658802330493927, -0.23989875614643097, 0.06780045479536057, -0.0792471170425415]),
        ([[0.20409303903579712, 0.05725061893463135, 0.1958622932434082, 0.4849286675453186],
          [-0.2076263427734375, -0.01767098903656006, 0.11499261856079102,
           -0.003265976905822754],
          [-0.047887563705444336, -0.44248276948928833, -0.4313039779663086,
           -0.44992995262145996]],
         [-0.4892435669898987, -0.4656746983528137, -0.37878096103668213]),
    ]
    out = ([[-0.5207332968711853, -0.5415932536125183, 0.2530924677848816]],
           [0.35411760210990906])
    net = regions.Network.from_arrays(hidden, out)
    fast = regions.linear_regions(net, (-3, -2, 1, 4)).merged()
    ref = regions.linear_regions(net, (-3, -2, 1, 4), method="shapely").merged()
    assert len(region_adjacency(ref)) == len(region_adjacency(fast)) == 5
    np.testing.assert_allclose(ref.extent(), fast.extent(), atol=1e-9)
