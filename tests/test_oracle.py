"""The exact oracle, and the splitters checked against it on degenerate networks."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

import regions
from regions.domain import as_domain
from regions.network import Network
from regions.oracle import OracleResult, exact_area, oracle_count, oracle_regions
from regions.split import split_mesh

SQUARE = [(-1, -1), (1, -1), (1, 1), (-1, 1)]


# ------------------------------------------------------------------ helpers
def exact_preactivations(hidden, point):
    """Exact pre-activations of every hidden neuron at a point (a plain forward pass)."""
    a = [Fraction(point[0]), Fraction(point[1])]
    out = []
    for w, b in hidden:
        w = np.asarray(w, dtype=float)
        b = np.asarray(b, dtype=float)
        z = [
            sum((Fraction(float(wi)) * ai for wi, ai in zip(row, a, strict=True)), Fraction(0))
            + Fraction(float(bj))
            for row, bj in zip(w, b, strict=True)
        ]
        out.extend(z)
        a = [max(v, Fraction(0)) for v in z]
    return out


def centroid(verts):
    n = len(verts)
    return (sum(v[0] for v in verts) / n, sum(v[1] for v in verts) / n)


def sorted_patterns(patterns):
    return sorted(tuple(bool(x) for x in row) for row in np.asarray(patterns))


def check_oracle_cells(res: OracleResult, hidden, ring):
    """Properties that hold for any correct result, checked exactly."""
    n = sum(len(b) for _, b in hidden)
    assert res.patterns.shape == (len(res), n)
    assert res.layer_counts[-1] == len(res)
    assert res.layer_counts == sorted(res.layer_counts)  # a layer never merges cells
    areas = res.areas()
    assert all(a > 0 for a in areas)
    assert sum(areas) == exact_area(ring)
    # in a convex domain two cells never share a pattern
    assert len(set(map(tuple, res.patterns.tolist()))) == len(res)
    for verts, pattern in res.cells:
        k = len(verts)
        assert k >= 3
        for i in range(k):  # strictly convex, counter-clockwise
            a, b, c = verts[i - 1], verts[i], verts[(i + 1) % k]
            assert (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]) > 0
        # the centroid is interior, so its pattern is the cell's
        z = exact_preactivations(hidden, centroid(verts))
        assert tuple(v > 0 for v in z) == pattern


def random_net(rng, widths):
    hidden, d = [], 2
    for n in widths:
        hidden.append((rng.normal(size=(n, d)), rng.normal(size=n)))
        d = n
    return Network.from_arrays(hidden, (np.ones((1, d)), np.zeros(1)))


# --------------------------------------------------------- (a) the oracle
@pytest.mark.parametrize("n", range(1, 8))
def test_lines_in_general_position(n):
    """n lines, pairwise crossing inside the box, no three concurrent: 1 + n + n(n-1)/2."""
    rng = np.random.default_rng(100 + n)
    w = rng.normal(size=(n, 2))
    b = rng.normal(size=n)
    lines = [
        (Fraction(float(w[i, 0])), Fraction(float(w[i, 1])), Fraction(float(b[i])))
        for i in range(n)
    ]
    points = []
    for (a1, b1, c1), (a2, b2, c2) in itertools.combinations(lines, 2):
        det = a1 * b2 - a2 * b1
        assert det != 0  # not parallel
        points.append(((b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det))
    for p in points:  # no three concurrent
        assert sum(a * p[0] + bb * p[1] + c == 0 for a, bb, c in lines) == 2
    # every line also passes through its point nearest the origin, so it meets the box
    points += [(-c * a / (a * a + bb * bb), -c * bb / (a * a + bb * bb)) for a, bb, c in lines]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    lo_x, hi_x = int(np.floor(min(xs))) - 1, int(np.ceil(max(xs))) + 1
    lo_y, hi_y = int(np.floor(min(ys))) - 1, int(np.ceil(max(ys))) + 1
    ring = [(lo_x, lo_y), (hi_x, lo_y), (hi_x, hi_y), (lo_x, hi_y)]
    res = oracle_regions([(w, b)], ring)
    assert len(res) == 1 + n + n * (n - 1) // 2
    assert oracle_count([(w, b)], ring) == len(res)
    check_oracle_cells(res, [(w, b)], ring)


def _canonical(verts):
    """Rotate a vertex loop to start at its smallest vertex."""
    i = verts.index(min(verts))
    return verts[i:] + verts[:i]


def test_hand_computed_one_layer():
    """x = 0 and x = y in [-1, 1]^2: two triangles and two trapezoids."""
    res = oracle_regions([([[1, 0], [1, -1]], [0, 0])], SQUARE)
    f = Fraction
    expected = {
        (True, True): ([(0, -1), (1, -1), (1, 1), (0, 0)], f(3, 2)),
        (True, False): ([(0, 0), (1, 1), (0, 1)], f(1, 2)),
        (False, True): ([(-1, -1), (0, -1), (0, 0)], f(1, 2)),
        (False, False): ([(-1, -1), (0, 0), (0, 1), (-1, 1)], f(3, 2)),
    }
    assert res.layer_counts == [4]
    got = {p: (_canonical(v), exact_area(v)) for v, p in res.cells}
    want = {
        p: (_canonical([(f(x), f(y)) for x, y in v]), area) for p, (v, area) in expected.items()
    }
    assert got == want


def test_hand_computed_two_layers():
    """|x| - |y| in [-1, 1]^2: eight triangles of area 1/2 around the origin."""
    layer1 = ([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0])
    layer2 = ([[1, 1, -1, -1]], [0])
    res = oracle_regions([layer1, layer2], SQUARE)
    assert res.layer_counts == [4, 8]
    assert res.areas() == [Fraction(1, 2)] * 8
    want = {
        (sx > 0, sx < 0, sy > 0, sy < 0, steep)
        for sx in (1, -1)
        for sy in (1, -1)
        for steep in (True, False)
    }
    assert set(map(tuple, res.patterns.tolist())) == want
    for verts, _ in res.cells:
        assert len(verts) == 3 and (0, 0) in verts


def test_oracle_input_types_agree():
    """Ints, floats, Fractions and numpy arrays give the same exact cells."""
    w = [[1, 2], [-3, 1], [1, 0]]
    b = [0.5, -0.25, 0]
    ref = oracle_regions([(w, b)], SQUARE)
    as_frac = [[Fraction(v) for v in row] for row in w], [Fraction(v) for v in b]
    assert oracle_regions([as_frac], SQUARE) == ref
    as_np = np.array(w, dtype=np.float32), np.array(b)
    assert oracle_regions([as_np], np.array(SQUARE, dtype=float)) == ref
    assert len(ref) == 7
    # a closed ring with a collinear vertex is the same square (loops may start elsewhere)
    ring = [(-1, -1), (0, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    other = oracle_regions([(w, b)], ring)
    assert other.layer_counts == ref.layer_counts
    assert {p: _canonical(v) for v, p in other.cells} == {p: _canonical(v) for v, p in ref.cells}


def test_oracle_exact_where_floats_are_not():
    """Three lines through (1/3, 1/3), a point no float holds: 6 cells, not 7."""
    third = Fraction(1, 3)
    w = [[1, 0], [0, 1], [1, 1]]
    b = [-third, -third, -2 * third]
    assert oracle_count([(w, b)], SQUARE) == 6
    # moving the third line off the point by 2**-60 opens a seventh cell
    b[2] += Fraction(1, 2**60)
    assert oracle_count([(w, b)], SQUARE) == 7


def test_oracle_no_hidden_layers():
    res = oracle_regions([], SQUARE)
    assert len(res) == 1 and res.layer_counts == [] and res.patterns.shape == (1, 0)


@pytest.mark.parametrize(
    ("hidden", "ring", "error"),
    [
        ([([[1, 0]], [0])], SQUARE[::-1], ValueError),  # clockwise
        ([([[1, 0]], [0])], [(0, 0), (1, 0), (2, 0)], ValueError),  # no area
        ([([[1, 0]], [0])], [(0, 0), (2, 0), (1, 0.5), (2, 2), (0, 2)], ValueError),  # concave
        ([([[1, 0, 0]], [0])], SQUARE, ValueError),  # 3-D input
        ([([[1, 0]], [0, 1])], SQUARE, ValueError),  # bias of the wrong length
        ([([[float("nan"), 0]], [0])], SQUARE, ValueError),
        ([([["1", 0]], [0])], SQUARE, TypeError),
    ],
)
def test_oracle_rejects_bad_input(hidden, ring, error):
    with pytest.raises(error):
        oracle_regions(hidden, ring)


def test_degenerate_oracle_cells(degenerate_case):
    """Exact tiling, convex cells, interior patterns, and the hand counts."""
    c = degenerate_case
    ring = as_domain(c.bbox).ring
    res = oracle_regions(c.net.hidden, ring)
    check_oracle_cells(res, c.net.hidden, ring)
    if c.hand_count is not None:
        assert len(res) == c.hand_count


@pytest.mark.parametrize("seed", range(4))
def test_random_oracle_cells(seed):
    rng = np.random.default_rng(seed)
    net = random_net(rng, (6, 4))
    ring = as_domain((-3.0, -3.0, 3.0, 3.0)).ring
    res = oracle_regions(net.hidden, ring)
    assert len(res) > 7  # the box is really cut
    check_oracle_cells(res, net.hidden, ring)


# ------------------------------------------------ (b) the fast splitter
def assert_same_as_oracle(count, layer_counts, patterns, areas, res, domain_area):
    assert count == len(res)
    assert list(layer_counts) == res.layer_counts
    assert sorted_patterns(patterns) == sorted_patterns(res.patterns)
    # the patterns are unique, so each region's area can be matched to the oracle's
    got = dict(zip(map(tuple, np.asarray(patterns, dtype=bool).tolist()), areas, strict=True))
    for (_, p), a in zip(res.cells, res.areas(), strict=True):
        assert got[p] == pytest.approx(float(a), rel=1e-9, abs=1e-12 * domain_area)


def test_degenerate_split_mesh(degenerate_case):
    c = degenerate_case
    domain = as_domain(c.bbox)
    res = oracle_regions(c.net.hidden, domain.ring)
    mesh = split_mesh(c.net.hidden, domain.ring)
    assert_same_as_oracle(
        mesh.n_faces, mesh.layer_counts, mesh.patterns(), mesh.areas(), res, domain.area
    )


@pytest.mark.parametrize("seed", range(6))
def test_random_split_mesh(seed):
    rng = np.random.default_rng(seed)
    net = random_net(rng, (8, 6))
    domain = as_domain((-4.0, -4.0, 4.0, 4.0))
    res = oracle_regions(net.hidden, domain.ring)
    mesh = split_mesh(net.hidden, domain.ring)
    assert len(res) > 9
    assert_same_as_oracle(
        mesh.n_faces, mesh.layer_counts, mesh.patterns(), mesh.areas(), res, domain.area
    )


# ------------------------------------------------------- (c) the public API
@pytest.mark.parametrize("method", ["fast", "shapely"])
def test_degenerate_public_api(degenerate_case, method):
    c = degenerate_case
    domain = as_domain(c.bbox)
    res = oracle_regions(c.net.hidden, domain.ring)
    p = regions.linear_regions(c.net, c.bbox, method=method)
    assert p.patterns.shape == (len(res), c.net.n_neurons)
    assert_same_as_oracle(len(p), p.layer_counts, p.patterns, np.asarray(p.areas), res, domain.area)
