"""The whole plane (bbox=None): unbounded regions, exact counts, the extent."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

import regions
from regions import Network
from regions.domain import as_domain
from regions.oracle import oracle_count
from regions.split import split_mesh


def net_of(w: np.ndarray, b: np.ndarray) -> Network:
    return Network.from_arrays([(w, b)], (np.ones((1, len(w))), np.zeros(1)))


def random_mlp(rng: np.random.Generator, widths: list[int]) -> Network:
    hidden, d = [], 2
    for n in widths:
        hidden.append((rng.normal(size=(n, d)) / np.sqrt(d), rng.normal(size=n)))
        d = n
    return Network.from_arrays(hidden, (rng.normal(size=(1, d)), rng.normal(size=1)))


def enlarged(box: tuple[float, float, float, float], f: float) -> tuple[float, ...]:
    w = max(box[2] - box[0], box[3] - box[1], 1.0)
    return (box[0] - f * w, box[1] - f * w, box[2] + f * w, box[3] + f * w)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 50, 200])
def test_one_layer_general_position(n: int) -> None:
    rng = np.random.default_rng(n)
    net = net_of(rng.normal(size=(n, 2)), rng.normal(size=n))
    expected = 1 + n + n * (n - 1) // 2
    assert regions.count_regions(net, None) == expected
    p = regions.linear_regions(net, None)
    assert len(p) == expected
    assert int((~p.bounded).sum()) == 2 * n  # each line has two ends at infinity
    if n >= 2:
        box = p.extent()
        assert box is not None
        assert regions.count_regions(net, enlarged(box, 0.01)) == expected
    if n <= 50:
        p.verify()


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_parallel_lines(n: int) -> None:
    rng = np.random.default_rng(n)
    g = rng.normal(size=2)
    w = np.outer(rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 2, size=n), g)
    b = -w @ g * 0 + rng.normal(size=n) * 3  # distinct offsets
    p = regions.linear_regions(net_of(w, b), None)
    assert len(p) == n + 1
    assert p.extent() is None  # no two boundaries meet
    assert not p.bounded.any()
    p.verify()


@pytest.mark.parametrize("k", [2, 3, 6])
def test_concurrent_lines(k: int) -> None:
    ang = np.arange(k) * np.pi / k + 0.1
    w = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    centre = np.array([3.0, -2.0])
    p = regions.linear_regions(net_of(w, -w @ centre), None)
    assert len(p) == 2 * k
    box = p.extent()
    assert box is not None and np.allclose(box, [3, -2, 3, -2])
    p.verify()


@pytest.mark.parametrize(("bias", "active"), [(0.0, False), (1.5, True), (-1.5, False)])
def test_dead_neuron(bias: float, active: bool) -> None:
    net = net_of(np.zeros((1, 2)), np.array([bias]))
    p = regions.linear_regions(net, None)
    assert len(p) == 1 and p.patterns.tolist() == [[active]]
    assert not p.bounded[0]
    p.verify()


def test_dead_and_live_neurons_with_duplicates() -> None:
    w = np.array([[0.0, 0.0], [1.0, 2.0], [-2.0, -4.0], [1.0, 2.0]])
    b = np.array([1.0, 1.0, -2.0, 1.0])  # rows 1-3 are one line, both orientations
    p = regions.linear_regions(net_of(w, b), None)
    assert len(p) == 2
    assert p.patterns[:, 0].all()
    p.verify()


@pytest.mark.parametrize("seed", range(8))
def test_deep_nets_whole_plane_bounds_every_box(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    widths = [int(v) for v in rng.integers(2, 9, size=int(rng.integers(1, 4)))]
    net = random_mlp(rng, widths)
    p = regions.linear_regions(net, None)
    p.verify()
    total = len(p)
    for _ in range(3):
        c = rng.normal(size=2) * 3
        h = float(rng.uniform(0.5, 10))
        assert regions.count_regions(net, (c[0] - h, c[1] - h, c[0] + h, c[1] + h)) <= total
    box = p.extent()
    if box is not None:
        assert regions.count_regions(net, enlarged(box, 0.02)) == total


def bias_free_sign_changes(net: Network) -> int:
    """Directions where a neuron of the bias-free net changes sign, around the circle.

    Independent of the splitter: on each arc between known breakpoints every
    bias-free pre-activation is linear in the direction, z(d) = G d; its zero
    on the arc is solved directly.
    """
    breaks: list[float] = []
    for layer in range(len(net.hidden)):
        pts = np.sort(np.mod(np.array(breaks), 2 * np.pi)) if breaks else np.zeros(0)
        edges = np.r_[pts, pts[:1] + 2 * np.pi] if len(pts) else np.array([0.0, 2 * np.pi])
        new = []
        for lo, hi in itertools.pairwise(edges):
            if hi - lo < 1e-12:
                continue
            mid = 0.5 * (lo + hi)
            d = np.array([[np.cos(mid), np.sin(mid)]])
            # gradient of each layer-`layer` pre-activation of the bias-free net on this cone
            a, jac = d.copy(), np.eye(2)
            for ll, (w, _) in enumerate(net.hidden[: layer + 1]):
                z = a @ w.T
                jz = w @ jac
                if ll == layer:
                    break
                on = (z[0] > 0).astype(float)
                a, jac = np.maximum(z, 0), on[:, None] * jz
            for g in jz:
                if not np.any(g):
                    continue
                th = np.arctan2(g[1], g[0]) + np.pi / 2  # g . d(th) = 0
                for t in (th, th + np.pi):
                    t = lo + np.mod(t - lo, 2 * np.pi)
                    if lo + 1e-12 < t < hi - 1e-12:
                        new.append(t)
        breaks += new
    angles = np.sort(np.mod(np.array(breaks), 2 * np.pi))
    if not len(angles):
        return 0
    gaps = np.diff(np.r_[angles, angles[0] + 2 * np.pi])
    return int((gaps > 1e-9).sum())


@pytest.mark.parametrize("seed", range(10))
def test_unbounded_regions_against_the_bias_free_net_and_a_large_box(seed: int) -> None:
    """Two independent counts of the unbounded regions.

    * The bias-free net's neurons change sign around the unit circle at the
      directions where boundaries go to infinity. For one hidden layer these
      are the unbounded regions exactly. In deeper nets several parallel rays
      can go to infinity in one direction (in a cell where a single
      first-layer neuron is active, every second-layer line is parallel to
      it), and the strips between them are unbounded regions the bias-free
      net does not see: the sign changes are then a lower bound.
    * In a box strictly containing every vertex, the unbounded regions are
      exactly the regions that touch the box's boundary (bounded regions lie
      inside the extent). That count comes from the bounded splitter.
    """
    rng = np.random.default_rng(2000 + seed)
    depth = 1 if seed < 4 else int(rng.integers(2, 4))
    widths = [int(v) for v in rng.integers(2, 10, size=depth)]
    net = random_mlp(rng, widths)
    p = regions.linear_regions(net, None)
    unbounded = int((~p.bounded).sum())
    changes = max(bias_free_sign_changes(net), 1)
    if depth == 1:
        assert unbounded == changes
    else:
        assert unbounded >= changes
    box = enlarged(p.extent() or p.domain.bounds, 0.05)
    q = regions.linear_regions(net, box)
    edge = shapely.boundary(shapely.box(*box))
    touching = shapely.length(shapely.intersection(q.polygons, edge)) > 0
    assert unbounded == int(touching.sum())


@pytest.mark.parametrize("seed", range(40))
def test_integer_nets_whole_plane_matches_the_oracle_in_a_large_box(seed: int) -> None:
    rng = np.random.default_rng(3000 + seed)
    hidden, d = [], 2
    for n in rng.integers(1, 5, size=int(rng.integers(1, 3))):
        hidden.append((rng.integers(-2, 3, size=(n, d)) / 2, rng.integers(-2, 3, size=n) / 2))
        d = int(n)
    net = Network.from_arrays(hidden, (np.ones((1, d)), np.zeros(1)))
    p = regions.linear_regions(net, None)
    box = p.extent()
    big = enlarged(box if box is not None else p.domain.bounds, 0.5)  # frame: holds anchors
    # a box 50% larger than the extent, rounded out to integers (exact for the oracle)
    big = (np.floor(big[0]) - 1, np.floor(big[1]) - 1, np.ceil(big[2]) + 1, np.ceil(big[3]) + 1)
    ring = as_domain(big).ring
    assert len(p) == oracle_count([(w.tolist(), b.tolist()) for w, b in hidden], ring)


def test_course_models_extent_answers_the_zoom_out_question() -> None:
    from regions.course import deep_model, shallow_model

    for model in (shallow_model(), deep_model()):
        p = regions.linear_regions(model, None)
        box = p.extent()
        assert box is not None
        inside = regions.count_regions(model, enlarged(box, 0.01))
        assert inside == len(p)
        # shrinking the box by 1% on each side loses structure
        w = max(box[2] - box[0], box[3] - box[1])
        small = (box[0] + 0.01 * w, box[1] + 0.01 * w, box[2] - 0.01 * w, box[3] - 0.01 * w)
        assert regions.count_regions(model, small) < len(p)


def test_whole_plane_needs_the_fast_method_and_split_mesh_api() -> None:
    net = net_of(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="bbox=None"):
        regions.linear_regions(net, None, method="shapely")
    m = split_mesh(net.hidden, None)
    assert m.n_faces == 4 and np.isinf(m.areas()).all()
    rec = regions.linear_regions(net, None).recession
    assert all(len(r) >= 1 for r in rec)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_locate_finds_every_point_of_the_plane(seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = random_mlp(rng, [6, 5, 4])
    p = regions.linear_regions(net, None)
    # points inside the frame, far outside it (up to 1e8), and on a ray at infinity
    pts = rng.normal(size=(3000, 2)) * 10.0 ** rng.integers(-1, 9, size=(3000, 1))
    idx = p.locate(pts)
    assert (idx >= 0).all()
    a, bits = pts, []
    for w, b in net.hidden:
        z = a @ w.T + b
        bits.append(z > 0)
        a = np.maximum(z, 0.0)
    pattern = np.concatenate(bits, axis=1)
    np.testing.assert_array_equal(p.patterns[idx], pattern)
    far = ~shapely.contains_xy(shapely.box(*p.domain.bounds), pts[:, 0], pts[:, 1])
    assert far.sum() > 1000  # the far points are really outside the frame
    assert not p.bounded[idx[far]].any()  # and in unbounded regions


def test_locate_far_on_a_line_takes_the_lower_region() -> None:
    # two lines: x = 0 and y = 0; a far point on x = 0 touches two regions
    net = net_of(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))
    p = regions.linear_regions(net, None)
    assert "the whole plane" in repr(p)
    on_line, left, right = p.locate([[0.0, 1e9], [-1.0, 1e9], [1.0, 1e9]])
    assert left != right
    assert on_line == min(left, right)
    assert p.patterns[right, 0] and not p.patterns[left, 0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_recession_arcs_point_into_their_regions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = random_mlp(rng, [6, 5])
    p = regions.linear_regions(net, None)
    pts = p.interior_points()
    checked = 0
    for r in np.flatnonzero(~p.bounded):
        d = p.recession[r]
        if len(d) < 2:
            continue
        a0 = np.arctan2(d[0, 1], d[0, 0])
        sweep = np.mod(np.arctan2(d[:, 1], d[:, 0]) - a0, 2 * np.pi)
        sweep[0] = 0.0
        assert (np.diff(sweep) >= 0).all(), "directions not counter-clockwise from the first"
        # a convex region's cone spans at most a half-plane (a strip: two opposite rays)
        assert sweep[-1] <= np.pi + 1e-9, (r, np.degrees(sweep))
        if sweep[-1] >= np.pi - 1e-9:
            continue  # a half-plane or a strip's line: the arc's middle can be its boundary
        mid = a0 + sweep[-1] / 2  # strictly inside the cone
        far = pts[r] + 1e7 * np.array([np.cos(mid), np.sin(mid)])
        assert p.locate(far[None])[0] == r
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("eps", [1e-4, 1e-6, 1e-9, 1e-12])
def test_lines_nearly_along_the_starting_directions(eps: float) -> None:
    # the whole plane starts from three ideal vertices at 90, 210 and 330 degrees; a ray
    # within |u| / L of one of them met the truncation circle past it (a GEOS error)
    for ang in (90.0, 210.0, 330.0):
        for sign in (1.0, -1.0):
            a = np.radians(ang) + sign * eps
            w = np.array([[0.0, 1.0], [-np.sin(a), np.cos(a)]])
            for b in (-3.0, 0.5, 7.0):
                p = regions.linear_regions(net_of(w, np.array([0.0, b])), None)
                assert len(p) == 4
                p.verify()


def test_locate_far_for_stage_programs_and_nets_without_hidden_layers() -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            g = torch.Generator().manual_seed(4)
            self.a, self.b, self.c = nn.Linear(2, 5), nn.Linear(5, 4), nn.Linear(4, 1)
            with torch.no_grad():
                for prm in self.parameters():
                    prm.copy_(torch.randn(prm.shape, generator=g))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c(F.hardtanh(self.b(F.leaky_relu(self.a(x), 0.1))))

    model = Net().double()
    p = regions.linear_regions(model, None)
    rng = np.random.default_rng(9)
    pts = rng.normal(size=(400, 2)) * 10.0 ** rng.integers(0, 9, size=(400, 1))
    idx = p.locate(pts)
    assert (idx >= 0).all()
    y = model(torch.from_numpy(pts)).detach().numpy()
    got = np.einsum("rij,rj->ri", p.jacobians[idx], pts) + p.offsets[idx]
    np.testing.assert_allclose(got, y, rtol=1e-9, atol=1e-9 * np.abs(y).max())
    flat = regions.linear_regions(nn.Sequential(nn.Linear(2, 1)), None)
    assert flat.locate([[1e12, -1e12], [0.0, 0.0]]).tolist() == [0, 0]


def test_merged_whole_plane_stays_the_whole_plane() -> None:
    rng = np.random.default_rng(12)
    hidden = [
        (rng.normal(size=(6, 2)), rng.normal(size=6)),
        (rng.normal(size=(6, 6)), rng.normal(size=6)),
    ]
    hidden[1][0][:, 0] = 0.0  # neuron 0 of the first layer reaches nothing: its kink merges
    net = Network.from_arrays(hidden, (rng.normal(size=(1, 6)), rng.normal(size=1)))
    w = regions.linear_regions(net, None)
    m = w.merged()
    assert len(m) < len(w) and m.covers_plane and "the whole plane" in repr(m)
    unbounded_members = np.bincount(m.members, weights=~w.bounded, minlength=len(m)) > 0
    np.testing.assert_array_equal(~m.bounded, unbounded_members)
    assert np.isinf(m.areas[~m.bounded]).all() and np.isfinite(m.areas[m.bounded]).all()
    assert m.extent() == w.extent()
    far = rng.normal(size=(200, 2)) * 1e8
    np.testing.assert_array_equal(m.locate(far), m.members[w.locate(far)])
    for r in np.flatnonzero(~m.bounded):
        assert len(m.recession[r]) >= 2
    m.verify()


def test_far_points_near_a_boundary_find_their_own_region() -> None:
    # integer weights: far out, some values (8, -2) are tiny against their terms (~1e11) and
    # fall in the ambiguous band; the point's own pattern must still pick its region
    hidden = [
        ([[-2.0, 1.0], [-1.0, -1.0], [2.0, -2.0], [0.0, -1.0], [0.0, 2.0]],
         [-2.0, 2.0, 2.0, -3.0, 3.0]),
        ([[-2.0, -1.0, -1.0, 2.0, 2.0], [-1.0, 0.0, 1.0, -2.0, -1.0],
          [2.0, -2.0, 2.0, -2.0, -1.0], [-1.0, -1.0, 0.0, 1.0, 1.0]], [-2.0, 0.0, 2.0, 3.0]),
    ]
    out = ([[0.0, 1.0, 1.0, 2.0], [2.0, 2.0, -2.0, 1.0]], [-1.0, -3.0])
    nets = [Network.from_arrays(hidden, out)]
    for seed in range(25):
        rng = np.random.default_rng(seed)
        nets.append(Network.from_arrays(
            [(rng.integers(-2, 3, (5, 2)).astype(float), rng.integers(-3, 4, 5).astype(float)),
             (rng.integers(-2, 3, (4, 5)).astype(float), rng.integers(-3, 4, 4).astype(float))],
            (rng.integers(-2, 3, (2, 4)).astype(float), rng.integers(-3, 4, 2).astype(float)),
        ))
    rng = np.random.default_rng(7)
    for net in nets:
        w = regions.linear_regions(net, None)
        for t in (1e9, 1e10, 1e12):
            th = np.concatenate([[0.0, np.pi / 2, np.pi, 1.5 * np.pi], rng.uniform(0, 7, 12)])
            q = t * np.column_stack([np.cos(th), np.sin(th)])
            r = w.locate(q)
            y = np.einsum("pij,pj->pi", w.jacobians[r], q) + w.offsets[r]
            a = q
            for weight, bias in net.hidden:
                a = np.maximum(a @ weight.T + bias, 0.0)
            expect = a @ net.output[0].T + net.output[1]
            assert np.abs(y - expect).max() <= 1e-12 * t


@pytest.mark.parametrize("unit", ["leaky", "hardtanh"])
def test_far_points_near_a_boundary_stage_programs(unit: str) -> None:
    # x + y = +-0.5 at |x| = 1e10: exact in float64 but inside the ambiguous band; the
    # candidate whose map reproduces the forward pass is chosen (not the lowest index)
    import torch

    act = torch.nn.LeakyReLU(0.1) if unit == "leaky" else torch.nn.Hardtanh(-0.25, 0.25)
    m = torch.nn.Sequential(torch.nn.Linear(2, 1), act, torch.nn.Linear(1, 2)).double()
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[1.0, 1.0]]))
        m[0].bias.zero_()
        m[2].weight.copy_(torch.tensor([[1.0], [0.0]]))
        m[2].bias.copy_(torch.tensor([0.0, 0.3]))
    w = regions.linear_regions(m.eval(), None)
    pts = np.array([[1e10, -1e10 + 0.5], [1e10, -1e10 - 0.5], [-1e10, 1e10 + 0.5],
                    [-1e10, 1e10 - 0.5]])
    idx = w.locate(pts)
    pred = np.einsum("poj,pj->po", w.jacobians[idx], pts) + w.offsets[idx]
    with torch.no_grad():
        y = m(torch.tensor(pts)).numpy()
    np.testing.assert_allclose(pred, y, atol=1e-5)
    assert (regions.predict_class(w, pts) == y.argmax(axis=1)).all()


def test_anchor_of_a_whole_line_is_the_foot_of_the_perpendicular() -> None:
    """A line nearly parallel to the first ray from the origin gets its anchor near the
    origin, not where that ray meets it (4e9 away): the far point's magnitude would widen
    the zero band of every later vertex made from it (QA round 7, seed 235)."""
    from regions.split import split_mesh

    rng = np.random.default_rng(0)
    for _ in range(5):
        tilt = float(rng.uniform(-1e-6, 1e-6))
        w = np.array([[1.0, tilt]])
        b = np.array([-float(rng.uniform(500, 2000))])
        m = split_mesh([(w, b)], None)
        fin = m.xy[~m.ideal_mask]
        foot = -b[0] * w[0] / (w[0] @ w[0])
        assert np.abs(fin).max() <= 1.01 * np.hypot(*foot)
        anchors = fin[np.abs(fin @ w[0] + b[0]) <= 1e-9 * abs(b[0])]
        assert len(anchors) and np.allclose(anchors, foot, rtol=1e-12)
