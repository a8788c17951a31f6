"""The shapely reference splitter, against the fast mesh splitter and by hand."""

from __future__ import annotations

import doctest
from collections import Counter

import numpy as np
import pytest
import shapely

import regions
import regions.shapely_split as shapely_split_module
from regions.domain import as_domain
from regions.network import Network
from regions.shapely_split import ShapelyResult, split_shapely
from regions.split import split_mesh
from regions.tolerance import SUM_RTOL

#: symmetric-difference area (relative to the domain's) accepted between matched regions
MATCH_RTOL = 1e-9


def _random_net(rng: np.random.Generator, depth: int, widths: np.ndarray) -> Network:
    hidden = []
    d = 2
    for wd in widths[:depth]:
        hidden.append((rng.normal(size=(wd, d)), rng.normal(size=wd)))
        d = int(wd)
    return Network.from_arrays(hidden, (rng.normal(size=(1, d)), np.zeros(1)))


def _integer_net(rng: np.random.Generator, widths: list[int]) -> Network:
    """Small integer weights: concurrent lines, lines through vertices and along edges."""
    hidden = []
    d = 2
    for wd in widths:
        w = rng.integers(-2, 3, size=(wd, d)).astype(float)
        b = rng.integers(-2, 3, size=wd).astype(float)
        hidden.append((w, b))
        d = wd
    return Network.from_arrays(hidden, (np.ones((1, d)), np.zeros(1)))


def _net(*layers: tuple[list, list]) -> Network:
    hidden = [(np.array(w, dtype=float), np.array(b, dtype=float)) for w, b in layers]
    return Network.from_arrays(hidden, (np.ones((1, len(layers[-1][1]))), np.zeros(1)))


def _pattern_keys(patterns: np.ndarray) -> list[bytes]:
    return [np.packbits(p).tobytes() + bytes([len(p)]) for p in patterns]


def _assert_matches_mesh(net: Network, dom) -> ShapelyResult:
    """Compare split_shapely with split_mesh on a convex domain."""
    mesh = split_mesh(net.hidden, dom.ring)
    res = split_shapely(net, dom)
    assert res.layer_counts == mesh.layer_counts
    assert res.n_regions == mesh.n_faces == res.patterns.shape[0]
    assert res.patterns.shape == (res.n_regions, net.n_neurons)
    assert res.patterns.dtype == bool

    # on a convex domain every pattern occurs once: match regions by pattern
    keys_s = _pattern_keys(res.patterns)
    keys_m = _pattern_keys(mesh.patterns())
    assert Counter(keys_s) == Counter(keys_m)
    assert len(set(keys_s)) == len(keys_s)
    where = {k: i for i, k in enumerate(keys_s)}
    order = np.array([where[k] for k in keys_m], dtype=np.int64)
    mine = res.polygons[order]
    theirs = mesh.polygons()
    # GEOS's floating overlay can fail on two copies of a polygon that differ
    # by an ulp (GEOS 3.14.1 finds the intersection of two such triangles
    # empty), so compare them with snap-rounding to a grid far below MATCH_RTOL
    diam = float(np.hypot(*np.subtract(dom.bounds[2:], dom.bounds[:2])))
    sym = shapely.area(shapely.symmetric_difference(mine, theirs, grid_size=1e-12 * diam))
    assert sym.max(initial=0.0) <= MATCH_RTOL * dom.area
    # a point inside each mesh face lies in the region with the same pattern
    points = shapely.point_on_surface(theirs)
    assert shapely.dwithin(mine, points, 1e-9 * diam).all()
    np.testing.assert_allclose(shapely.area(mine), mesh.areas(), rtol=0, atol=MATCH_RTOL * dom.area)
    assert abs(res.areas().sum() - dom.area) <= SUM_RTOL * dom.area
    return res


def _assert_partition(res: ShapelyResult, dom) -> None:
    """The regions are valid, connected, disjoint and cover the domain."""
    assert all(g.geom_type == "Polygon" for g in res.polygons)
    assert shapely.is_valid(res.polygons).all()
    assert abs(res.areas().sum() - dom.area) <= SUM_RTOL * dom.area
    # snap-rounded overlay: the floating one can fail on the shared edges (see above)
    grid = 1e-12 * float(np.hypot(*np.subtract(dom.bounds[2:], dom.bounds[:2])))
    union = shapely.union_all(res.polygons, grid_size=grid)
    sym = shapely.symmetric_difference(union, dom.polygon, grid_size=grid)
    assert shapely.area(sym) <= MATCH_RTOL * dom.area


@pytest.mark.parametrize("seed", range(40))
def test_matches_split_mesh_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    widths = rng.integers(1, 13, size=3)
    net = _random_net(rng, depth, widths)
    half = float(10.0 ** rng.uniform(-2, 4))
    c = rng.normal(size=2) * half
    dom = as_domain((c[0] - half, c[1] - half, c[0] + half, c[1] + half))
    _assert_matches_mesh(net, dom)


@pytest.mark.parametrize("seed", range(30))
def test_matches_split_mesh_degenerate(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    widths = [int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 4)))]
    net = _integer_net(rng, widths)
    half = [1.0, 3.0, 1e3][seed % 3]
    dom = as_domain((-half, -half, half, half))
    _assert_matches_mesh(net, dom)


def test_matches_split_mesh_wide() -> None:
    """A 2-64-64-1 net with torch's default init, drawn with numpy."""
    rng = np.random.default_rng(1)
    hidden = []
    d = 2
    for wd in (64, 64):
        k = 1.0 / np.sqrt(d)
        hidden.append((rng.uniform(-k, k, size=(wd, d)), rng.uniform(-k, k, size=wd)))
        d = wd
    net = Network.from_arrays(hidden, (rng.uniform(-0.125, 0.125, size=(1, 64)), np.zeros(1)))
    res = _assert_matches_mesh(net, as_domain((-10, -10, 10, 10)))
    assert res.layer_counts[-1] > 1000


@pytest.mark.parametrize("seed", range(10))
def test_patterns_hold_inside_regions(seed: int) -> None:
    """The network's own pattern at a point inside each region is the region's."""
    rng = np.random.default_rng(2000 + seed)
    net = _random_net(rng, 3, rng.integers(2, 10, size=3))
    dom = as_domain((-5, -5, 5, 5))
    res = split_shapely(net, dom)
    _assert_partition(res, dom)
    pts = shapely.get_coordinates(shapely.point_on_surface(res.polygons))
    z = np.concatenate(net.preactivations(pts), axis=1)
    clear = np.abs(z) > 1e-9 * np.abs(z).max()
    assert ((z > 0) == res.patterns)[clear].all()


def test_identically_zero_and_edge_lines() -> None:
    rng = np.random.default_rng(0)
    dom = as_domain((-1, -1, 1, 1))
    # a dead neuron, a line along the left edge (both signs) and one through a corner
    net = _net(([[0, 0], [1, 0], [-1, 0], [1, 1]], [0, 1, -1, 2]))
    res = split_shapely(net, dom)
    assert res.layer_counts == [1]
    np.testing.assert_array_equal(res.patterns, [[False, True, False, True]])
    # a second layer that is identically zero where the first is off
    w2 = rng.normal(size=(3, 2))
    net = _net(([[1, 0], [0, 1]], [0, 0]), (w2, [0, 0, 0]))
    res = split_shapely(net, dom)
    off = ~res.patterns[:, :2].any(axis=1)
    assert off.sum() == 1 and not res.patterns[off, 2:].any()
    assert res.layer_counts[0] == 4
    _assert_matches_mesh(net, dom)


@pytest.mark.parametrize("scale", [1.0, 0.1, 3.7, 1e3])
def test_l_shape(scale: float) -> None:
    rng = np.random.default_rng(0)
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    shift = rng.normal(size=2) * scale
    dom = as_domain(shapely.affinity.affine_transform(ell, [scale, 0, 0, scale, *shift]))
    c = shift.sum()
    s2 = scale * scale

    def run(*layers):
        res = split_shapely(_net(*layers), dom)
        _assert_partition(res, dom)
        areas = sorted(
            zip(map(tuple, res.patterns.astype(int).tolist()), res.areas() / s2, strict=True)
        )
        return res.layer_counts, [(p, round(a, 9)) for p, a in areas]

    # x + y = 2.5 cuts off two separate corner triangles: 3 regions
    assert run(([[1, 1]], [-2.5 * scale - c])) == (
        [3],
        [((0,), 2.75), ((1,), 0.125), ((1,), 0.125)],
    )
    # through the reflex corner: the two positive triangles touch at a point only
    assert run(([[1, 1]], [-2 * scale - c])) == ([3], [((0,), 2.0), ((1,), 0.5), ((1,), 0.5)])
    # plus x = 0.5, which splits the negative piece and touches a triangle's corner
    assert run(([[1, 1], [1, 0]], [-2.5 * scale - c, -0.5 * scale - shift[0]])) == (
        [4],
        [((0, 0), 1.0), ((0, 1), 1.75), ((1, 1), 0.125), ((1, 1), 0.125)],
    )
    # three lines through the reflex corner, two of them along its edges
    layer = ([[1, 1], [1, 0], [0, 1]], [-2 * scale - c, -scale - shift[0], -scale - shift[1]])
    assert run(layer) == (
        [5],
        [
            ((0, 0, 0), 1.0),
            ((0, 0, 1), 0.5),
            ((0, 1, 0), 0.5),
            ((1, 0, 1), 0.5),
            ((1, 1, 0), 0.5),
        ],
    )


def test_polygon_with_hole() -> None:
    rng = np.random.default_rng(0)
    shift = rng.normal(size=2)
    ring = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    dom = as_domain(shapely.affinity.translate(ring, *shift))
    sy = shift[1]
    # layer 1: relu(y - 2), relu(2 - y); layer 2: |y - 2| - 0.5, which on each
    # U-shaped half of the square ring is one line leaving two separate pieces
    net = _net(([[0, 1], [0, -1]], [-2 - sy, 2 + sy]), ([[1, 1]], [-0.5]))
    res = split_shapely(net, dom)
    _assert_partition(res, dom)
    assert res.layer_counts == [2, 6]
    got = sorted(
        zip(map(tuple, res.patterns.astype(int).tolist()), np.round(res.areas(), 9), strict=True)
    )
    assert got == [
        ((0, 1, 0), 0.5),
        ((0, 1, 0), 0.5),
        ((0, 1, 1), 5.0),
        ((1, 0, 0), 0.5),
        ((1, 0, 0), 0.5),
        ((1, 0, 1), 5.0),
    ]
    # a line along the hole's edge leaves the ring in two pieces, not three
    res = split_shapely(_net(([[0, 1]], [-1 - sy])), dom)
    assert res.layer_counts == [2]
    assert sorted(np.round(res.areas(), 9)) == [4.0, 8.0]


def test_multipolygon_domain() -> None:
    rng = np.random.default_rng(0)
    shift = rng.normal(size=2)
    boxes = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    dom = as_domain(shapely.affinity.translate(boxes, *shift))
    res = split_shapely(_net(([[0, 1]], [-0.25 - shift[1]])), dom)
    _assert_partition(res, dom)
    assert res.layer_counts == [4]
    assert sorted(res.patterns[:, 0].tolist()) == [False, False, True, True]
    np.testing.assert_allclose(np.sort(res.areas()), [0.25, 0.25, 0.75, 0.75])


def _star(rng: np.random.Generator, k: int) -> shapely.Polygon:
    """A star-shaped polygon, non-convex: radii alternate between long and short."""
    angles = (np.arange(k) + rng.uniform(-0.3, 0.3, size=k)) * (2 * np.pi / k)
    radii = np.where(np.arange(k) % 2 == 0, 5.0, 2.0) * rng.uniform(0.8, 1.0, size=k)
    return shapely.Polygon(np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1))


@pytest.mark.parametrize("seed", range(10))
def test_nonconvex_matches_hull_then_clip(seed: int) -> None:
    """On a random star polygon: split_mesh on the hull, clipped and exploded."""
    rng = np.random.default_rng(3000 + seed)
    dom = as_domain(_star(rng, 2 * int(rng.integers(3, 7))))
    assert not dom.convex
    net = _random_net(rng, int(rng.integers(1, 3)), rng.integers(2, 8, size=2))
    res = split_shapely(net, dom)
    _assert_partition(res, dom)

    mesh = split_mesh(net.hidden, dom.ring)
    clipped = shapely.intersection(mesh.polygons(), dom.polygon)
    parts, src = shapely.get_parts(clipped, return_index=True)
    poly_ok = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    expected = Counter(_pattern_keys(mesh.patterns()[src[poly_ok]]))
    assert Counter(_pattern_keys(res.patterns)) == expected


def test_accepts_bbox_and_empty_net() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 2))
    res = split_shapely(_net((w, [0.1])), (-1, -1, 1, 1))
    assert res.layer_counts == [2]
    res = split_shapely(Network.from_arrays([], (np.ones((1, 2)), np.zeros(1))), (0, 0, 1, 1))
    assert res.layer_counts == [] and res.patterns.shape == (1, 0)


def test_doctest() -> None:
    result = doctest.testmod(shapely_split_module, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0


def test_locate_points_on_reference_boundaries() -> None:
    # the reference polygons may leave rounding gaps (~1e-18) between neighbours: a point on
    # a first-layer line inside the box still gets a region, as with the fast method
    import torch

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                            torch.nn.ReLU(), torch.nn.Linear(8, 1))
    box = (-3, -3, 3, 3)
    ref = regions.linear_regions(m, box, method="shapely")
    w = m[0].weight.detach().double().numpy()
    b = m[0].bias.detach().double().numpy()
    rng = np.random.default_rng(0)
    xs = rng.uniform(-3, 3, (8, 300))
    pts = np.stack([xs, -(w[:, :1] * xs + b[:, None]) / w[:, 1:]], axis=-1).reshape(-1, 2)
    pts = pts[(np.abs(pts) < 2.9).all(axis=1)]
    assert len(pts) > 500
    loc = ref.locate(pts)
    assert (loc >= 0).all()
    # each found region is within a rounding width of its point
    d = shapely.distance(ref.polygons[loc], shapely.points(pts))
    assert d.max() <= 1e-12
    assert (regions.predict_class(ref, pts) >= 0).all()
    assert (ref.locate([[3.5, 0.0], [0.0, -3.0 - 1e-6]]) == -1).all()
