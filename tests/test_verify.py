"""The invariant checker's overlap, containment and adjacency tests (``check_partition``).

The separating-axis path (``_convex_pairs``, ``_outside_bound``) must agree with
GEOS overlay on real partitions and must still catch every broken partition.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import affinity

import regions
from regions import Network
from regions.course import mlp
from regions.domain import as_domain
from regions.oracle import oracle_regions
from regions.partition import _convex_pairs, _outside_bound
from regions.tolerance import AREA_RTOL, EDGE_RTOL, noise_width


def _square(x: float, y: float, s: float = 1.0, ccw: bool = True) -> shapely.Polygon:
    pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s)]
    return shapely.Polygon(pts if ccw else pts[::-1])


def test_convex_pairs_on_hand_made_polygons() -> None:
    polys = np.array([
        _square(0, 0),                 # 0
        _square(1, 0, ccw=False),      # 1: shares the edge x = 1 with 0 (clockwise ring)
        _square(1, 1),                 # 2: touches 0 at the corner (1, 1) only
        _square(0.5, 0.5),             # 3: overlaps 0 by a quarter
        shapely.Polygon([(0, 2), (0.5, 2), (0.5, 2.5), (1, 2.5), (1, 3), (0, 3)]),  # 4: L
        shapely.Polygon([(0, 1), (1, 1), (1, 2), (0.5, 2), (0, 2)]),  # 5: above 0, 5 vertices
        _square(0.25, 1.5),            # 6: above 0 across a gap of 0.5, parallel edges
    ], dtype=object)
    i = np.array([0, 0, 0, 0, 1, 5, 0])
    j = np.array([1, 2, 3, 4, 2, 0, 6])
    cleared, length = _convex_pairs(polys, i, j, 1e-9, 1e-12)
    assert cleared.tolist() == [True, True, False, False, True, True, True]
    # a gap is no shared boundary, however much the extents overlap along the axis
    np.testing.assert_allclose(length, [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0], atol=1e-15)


@pytest.mark.parametrize(
    ("widths", "half", "seed"),
    [((2, 64, 64, 1), 10.0, 0), ((2, 30, 30, 30, 1), 3.0, 1), ((2, 50, 50, 1), 1e5, 2)],
)
def test_convex_pairs_agree_with_geos(widths: tuple[int, ...], half: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    box = tuple(float(v) for v in (-half, -half * rng.uniform(0.5, 1), half, half))
    p = regions.linear_regions(mlp(widths, seed=seed), box)
    polys = p.polygons
    i, j = shapely.STRtree(polys).query(polys)
    keep = i < j
    i, j = i[keep], j[keep]
    cleared, length = _convex_pairs(polys, i, j, AREA_RTOL * p.domain.area,
                                    noise_width(p.domain.bounds))
    assert cleared.all()
    inter = shapely.intersection(polys[i], polys[j])
    assert float(shapely.area(inter).max()) <= AREA_RTOL * p.domain.area
    geos = np.asarray(shapely.length(inter))
    np.testing.assert_allclose(length, geos, rtol=1e-9, atol=1e-12 * half)
    diameter = float(np.hypot(p.domain.bounds[2] - p.domain.bounds[0],
                              p.domain.bounds[3] - p.domain.bounds[1]))
    assert ((length > EDGE_RTOL * diameter) == (geos > EDGE_RTOL * diameter)).all()
    assert (_outside_bound(polys, p.domain) <= AREA_RTOL * p.domain.area).all()


def _rebuilt(p: regions.Partition, polys: np.ndarray, patterns: np.ndarray | None = None
             ) -> regions.Partition:
    return regions.Partition(
        p.network, p.domain, p.patterns if patterns is None else patterns, p.layer_counts,
        polygons=polys,
    )


def test_verify_catches_overlap_outside_and_equal_neighbours() -> None:
    rng = np.random.default_rng(3)
    p = regions.linear_regions(mlp((2, 8, 8, 1), seed=3), (-2, -2, 2, 2))
    p.verify()
    polys = p.polygons.copy()
    areas = shapely.area(polys)
    # an interior region moved by a tenth of its size: it overlaps a neighbour (and
    # leaves a gap of the same area, so the areas still sum to the domain's)
    inner = np.flatnonzero(shapely.distance(polys, p.domain.polygon.exterior) > 0.3)
    k = int(inner[np.argmax(areas[inner])])
    size = float(np.sqrt(areas[k]))
    moved = polys.copy()
    moved[k] = affinity.translate(polys[k], *(0.1 * size * rng.uniform(0.5, 1, 2)))
    with pytest.raises(regions.VerificationError, match="overlap with area"):
        _rebuilt(p, moved).verify()
    # a region on the boundary pushed out of the box
    edge = int(np.argmax(shapely.bounds(polys)[:, 2]))
    pushed = polys.copy()
    pushed[edge] = affinity.translate(polys[edge], 0.05, 0.0)
    with pytest.raises(regions.VerificationError, match="sticks out of the domain"):
        _rebuilt(p, pushed).verify()
    # two neighbours given the same pattern
    i, j = shapely.STRtree(polys).query(polys, predicate="touches")
    shared = shapely.length(shapely.intersection(polys[i], polys[j])) > 1e-3
    a, b = int(i[shared][0]), int(j[shared][0])
    pats = p.patterns.copy()
    pats[b] = pats[a]
    with pytest.raises(regions.VerificationError, match="same activation pattern"):
        _rebuilt(p, polys, pats).verify()


def test_verify_non_convex_domain_and_merged() -> None:
    # a non-convex domain clips regions into non-convex pieces: the exact overlay path
    ell = shapely.Polygon([(-2, -2), (2, -2), (2, 0), (0, 0), (0, 2), (-2, 2)])
    p = regions.linear_regions(mlp((2, 10, 10, 1), seed=4), ell)
    p.verify()
    assert (_outside_bound(p.polygons, p.domain) == np.inf).all()
    merged = regions.merge_regions(regions.linear_regions(mlp((2, 10, 10, 1), seed=4),
                                                          (-2, -2, 2, 2)))
    merged.verify()


def test_verify_flags_a_sliver_thinner_than_rounding() -> None:
    # QA round 7 found splits of deep degenerate nets that add a sliver region (area ~1e-25)
    # with a pattern the exact arrangement does not have; verify must not pass them
    import shapely

    net = regions.Network.from_arrays([([[1.0, 0.0]], [0.0])], ([[1.0]], [0.0]))
    polys = np.array([shapely.box(-1, -1, 0, 1), shapely.box(0, -1, 1e-17, 1),
                      shapely.box(1e-17, -1, 1, 1)], dtype=object)
    p = regions.Partition(net, regions.as_domain((-1, -1, 1, 1)),
                          np.array([[False], [True], [True]]), [3], polygons=polys)
    with pytest.raises(regions.VerificationError, match="sliver"):
        p.verify()


def test_verify_gradient_rounding_relative_to_the_weights() -> None:
    # two coinciding hidden lines whose output slopes cancel: the jacobian is 2.6e-18 from
    # rounding, torch's gradient 0; both right to rounding of the weights' products
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    model = model.double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, 0.2], [0.3, 0.6]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[0.7, -0.7 / 3]]))
        model[2].bias.fill_(0.5)
    p = regions.linear_regions(model.eval(), (-1, -1, 1, 1))
    assert len(p) == 2
    p.verify()


def test_verify_gradient_rounding_in_a_stage_program() -> None:
    # a chain of LeakyReLU/ReLU6/Hardtanh units whose output is constant on the box: every
    # jacobian is 0 and torch's gradient is rounding noise (~7e-18) of weights up to 512
    import torch
    from torch import nn

    acts = [nn.LeakyReLU(2.0), nn.ReLU6(), nn.Hardtanh(0.0, 1.0), nn.LeakyReLU(0.125),
            nn.LeakyReLU(2.0), nn.Hardtanh(-0.5, 0.5), nn.LeakyReLU(0.01)]
    ws = [([[-512.0, 512.0]], [128.25]), ([[-0.5]], [0.0]), ([[0.5]], [-0.25]),
          ([[-0.25], [0.25], [-0.25], [0.25]], [-0.5, 0.0, 0.0, -0.0]),
          ([[-0.5, 0.5, 0.5, -0.5]], [-0.03125]), ([[0.0], [-0.5], [-0.25]], [0.5, -0.25, -0.25]),
          ([[-0.5, 0.25, 0.25]], [0.375])]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lins = nn.ModuleList()
            for w, b in ws:
                lin = nn.Linear(len(w[0]), len(w)).double()
                with torch.no_grad():
                    lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
                    lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
                self.lins.append(lin)
            self.acts = nn.ModuleList(acts)
            self.out = nn.Linear(1, 2).double()
            with torch.no_grad():
                self.out.weight.copy_(torch.tensor([[0.25], [-0.5]], dtype=torch.float64))
                self.out.bias.copy_(torch.tensor([-0.5, -0.25], dtype=torch.float64))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for lin, act in zip(self.lins, self.acts, strict=True):
                x = act(lin(x))
            return self.out(x)

    p = regions.linear_regions(Net().eval(), (0.499, 0.249, 0.501, 0.251))
    assert np.abs(p.jacobians).max() == 0.0
    p.verify()


def test_verify_flags_a_feature_merged_by_the_zero_band() -> None:
    # y = 100 - 1e-9 x leaves the box's top edge at x = 0 and a line x ~ 0.033 crosses
    # the sliver above it: the triangle between them is 3.3e-11 tall at y = 100, under
    # the zero band (2e-10 there), so the splitter takes the line through the corner
    # (0.033, 100) and the triangle is merged. The count is one short of the oracle's,
    # and the vertex check says so: the line misses that vertex by 743 units of rounding.
    w = np.array([[1e5, -3.0], [1e-9, 1.0], [-1e-8, 1.0]])
    b = np.array([-3000.0, -100.0, -1000.0])
    net = regions.Network.from_arrays([(w, b)], (np.ones((1, 3)), np.zeros(1)))
    box = (-100.0, -100.0, 100.0, 100.0)
    p = regions.linear_regions(net, box)
    assert len(p) == len(oracle_regions([(w, b)], as_domain(box).ring).cells) - 1
    with pytest.raises(regions.VerificationError, match="neuron 1 of hidden layer 0"):
        p.verify()
    # the same lines 1e-3 apart in slope: a real triangle, kept, and every vertex on its lines
    w2 = w.copy()
    w2[1, 0] = 1e-3
    net2 = regions.Network.from_arrays([(w2, b)], (np.ones((1, 3)), np.zeros(1)))
    p = regions.linear_regions(net2, box)
    assert len(p) == len(oracle_regions([(w2, b)], as_domain(box).ring).cells)
    p.verify()


def test_a_small_output_at_large_coordinates_verifies() -> None:
    # QA16: the value check was relative to the largest output (6e-5), but the forward pass
    # sums terms of 1e6 there and cancels them; it is now relative to those terms
    from regions.oracle import oracle_count

    h = float.fromhex
    box = (999995.0, h("0x1.e847fffbe0000p+19"), 1000005.0, h("0x1.e848000420000p+19"))
    net = Network.from_arrays(
        [
            (np.array([[1.875, -1.625], [0.75, -0.375]]),
             np.array([h("-0x1.e8438c1520000p+17"), h("-0x1.6e351c0270000p+18")])),
            (np.array([[-0.375, -0.75], [-0.875, 1.0]]), np.zeros(2)),
        ],
        (np.ones((1, 2)), np.zeros(1)),
    )
    x0, y0, x1, y1 = box
    assert oracle_count(net.hidden, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) == 5
    for method in ("fast", "shapely"):
        p = regions.linear_regions(net, box, method=method)
        assert len(p) == 5
        p.verify()
    bad = regions.linear_regions(net, box)  # a wrong map is still caught
    bad._affine = (bad.jacobians, bad.offsets + 1e-3 * np.abs(bad.offsets).max())
    with pytest.raises(regions.VerificationError, match="the affine map gives"):
        bad.verify()
