"""The engine: counts with known answers, random nets, invariants after every layer."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import shapely
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.ops import polygonize

import regions
from regions import Network, Partition, check_partition
from regions.course import deep_model, mlp, shallow_model
from regions.domain import as_domain
from regions.oracle import oracle_regions
from regions.split import split_mesh


def one_layer(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    w = rng.normal(size=(n, 2))
    b = rng.normal(size=n)
    return w, b


def intersections(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All pairwise intersection points of the lines w x + b = 0."""
    i, j = np.triu_indices(len(w), 1)
    a = np.stack([w[i], w[j]], axis=1)  # (P, 2, 2)
    rhs = -np.stack([b[i], b[j]], axis=1)
    return np.linalg.solve(a, rhs[..., None])[..., 0]


def net_of(w: np.ndarray, b: np.ndarray) -> Network:
    return Network.from_arrays([(w, b)], (np.ones((1, len(w))), np.zeros(1)))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 50, 200])
def test_one_layer_general_position_reaches_the_maximum(n: int) -> None:
    rng = np.random.default_rng(n)
    w, b = one_layer(rng, n)
    pts = intersections(w, b) if n > 1 else np.zeros((1, 2))
    r = float(np.abs(pts).max()) * 1.5 + 1.0
    expected = 1 + n + n * (n - 1) // 2
    assert regions.count_regions(net_of(w, b), (-r, -r, r, r)) == expected
    if n <= 50:
        p = regions.linear_regions(net_of(w, b), (-r, -r, r, r), method="shapely")
        assert len(p) == expected


@pytest.mark.parametrize("seed", range(6))
def test_window_formula(seed: int) -> None:
    """A window cutting an arrangement: 1 + lines meeting it + intersections inside."""
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 40))
    w, b = one_layer(rng, n)
    x0, y0 = rng.uniform(-2, 0, size=2)
    x1, y1 = x0 + rng.uniform(0.5, 3), y0 + rng.uniform(0.5, 3)
    pts = intersections(w, b)
    inside = ((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)).sum()
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    vals = corners @ w.T + b
    meets = ((vals.min(axis=0) < 0) & (vals.max(axis=0) > 0)).sum()
    expected = 1 + int(meets) + int(inside)
    assert regions.count_regions(net_of(w, b), (x0, y0, x1, y1)) == expected
    assert regions.count_regions(net_of(w, b), (x0, y0, x1, y1), method="shapely") == expected


def truncated(net: Network, layers: int) -> Network:
    """The first ``layers`` hidden layers, outputting the last one's activations."""
    width = net.hidden[layers - 1][0].shape[0]
    return Network(net.hidden[:layers], (np.eye(width), np.zeros(width)))


def check_every_layer(net: Network, bbox: tuple[float, float, float, float]) -> list[int]:
    domain = as_domain(bbox)
    counts: list[int] = []

    def on_layer(layer: int, mesh: object) -> None:
        sub = truncated(net, layer + 1)
        assert isinstance(mesh, regions.split.Mesh)
        counts.append(mesh.n_faces)
        check_partition(Partition(sub, domain, mesh.patterns(), counts, mesh=mesh))

    split_mesh(net.hidden, domain.ring, on_layer)
    return counts


def random_mlp(rng: np.random.Generator, widths: list[int]) -> Network:
    hidden = []
    d = 2
    for n in widths:
        hidden.append((rng.normal(size=(n, d)) / np.sqrt(d), rng.normal(size=n) * 0.5))
        d = n
    return Network.from_arrays(hidden, (rng.normal(size=(2, d)), rng.normal(size=2)))


def same_partition(a: Partition, b: Partition) -> None:
    """Same count, layer counts, patterns and polygons (within tolerance)."""
    assert len(a) == len(b)
    assert a.layer_counts == b.layer_counts
    ka = np.lexsort(a.patterns.T[::-1]) if a.patterns.shape[1] else np.arange(len(a))
    kb = np.lexsort(b.patterns.T[::-1]) if b.patterns.shape[1] else np.arange(len(b))
    np.testing.assert_array_equal(a.patterns[ka], b.patterns[kb])
    # match regions by locating interior points, then compare the polygons
    idx = b.locate(a.interior_points())
    assert (idx >= 0).all()
    np.testing.assert_array_equal(a.patterns, b.patterns[idx])
    diff = shapely.area(shapely.symmetric_difference(a.polygons, b.polygons[idx]))
    assert float(np.max(diff)) <= 1e-9 * a.domain.area


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    widths=st.lists(st.integers(1, 16), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
    centre=st.tuples(st.floats(-5, 5), st.floats(-5, 5)),
    half=st.floats(0.1, 20),
)
def test_random_mlps_verify_and_splitters_agree(
    widths: list[int], seed: int, centre: tuple[float, float], half: float
) -> None:
    rng = np.random.default_rng(seed)
    net = random_mlp(rng, widths)
    bbox = (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)
    counts = check_every_layer(net, bbox)
    fast = regions.linear_regions(net, bbox)
    assert fast.layer_counts == counts
    fast.verify()
    ref = regions.linear_regions(net, bbox, method="shapely")
    ref.verify()
    same_partition(fast, ref)


def test_course_models_verify_against_torch_and_shapely() -> None:
    for model in (shallow_model(), deep_model()):
        p = regions.linear_regions(model)
        p.verify()
        same_partition(p, regions.linear_regions(model, method="shapely"))
        assert regions.count_regions(model) == len(p)


def test_jacobians_match_torch_autograd_and_outputs() -> None:
    rng = np.random.default_rng(7)
    model = mlp((2, 16, 16, 3), seed=3)
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    x = rng.uniform(-3, 3, size=(500, 2))
    idx = p.locate(x)
    xt = torch.tensor(x, dtype=torch.float64)
    model64 = mlp((2, 16, 16, 3), seed=3).double()
    with torch.no_grad():
        y = model64(xt).numpy()
    pred = np.einsum("pij,pj->pi", p.jacobians[idx], x) + p.offsets[idx]
    np.testing.assert_allclose(pred, y, rtol=1e-9, atol=1e-9)


def test_model_is_not_modified() -> None:
    model = mlp((2, 8, 8, 1), seed=5).train()
    model = model.float()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    regions.linear_regions(model).verify()
    assert model.training
    for k, v in model.state_dict().items():
        assert v.dtype == torch.float32
        assert torch.equal(v, before[k])


def test_float32_and_float64_models_give_the_same_partition() -> None:
    m32 = mlp((2, 12, 12, 1), seed=11)
    m64 = mlp((2, 12, 12, 1), seed=11).double()
    a, b = regions.linear_regions(m32), regions.linear_regions(m64)
    np.testing.assert_array_equal(a.patterns, b.patterns)


def test_reused_relu_module_is_applied_each_time() -> None:
    relu = torch.nn.ReLU()
    gen = torch.Generator().manual_seed(0)
    l1, l2, l3 = (torch.nn.Linear(2, 6), torch.nn.Linear(6, 6), torch.nn.Linear(6, 1))
    for lin in (l1, l2, l3):
        with torch.no_grad():
            lin.weight.uniform_(-1, 1, generator=gen)
            lin.bias.uniform_(-1, 1, generator=gen)
    model = torch.nn.Sequential(l1, relu, l2, relu, l3)
    p = regions.linear_regions(model)
    assert p.patterns.shape[1] == 12
    assert len(p.layer_counts) == 2
    p.verify()


def test_nested_sequential_identity_flatten_dropout_eval() -> None:
    base = mlp((2, 10, 10, 1), seed=2)
    nested = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Sequential(base[0], torch.nn.Identity(), base[1]),
        torch.nn.Dropout(0.5),
        torch.nn.Sequential(torch.nn.Sequential(base[2]), base[3]),
        base[4],
    ).eval()
    a, b = regions.linear_regions(base), regions.linear_regions(nested)
    np.testing.assert_array_equal(a.patterns, b.patterns)
    b.verify()


def test_locate_points_and_outside() -> None:
    rng = np.random.default_rng(3)
    p = regions.linear_regions(shallow_model())
    x = rng.uniform(-10, 10, size=(2000, 2))
    idx = p.locate(x)
    assert (idx >= 0).all()
    contains = shapely.contains_xy(p.polygons[idx], x[:, 0], x[:, 1])
    touches = shapely.intersects_xy(p.polygons[idx], x[:, 0], x[:, 1])
    assert touches.all() and contains.mean() > 0.99
    assert (p.locate([[11.0, 0.0], [0.0, -10.5]]) == -1).all()


def test_empty_network_is_one_region() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    p = regions.linear_regions(model)
    assert len(p) == 1 and p.layer_counts == [] and p.patterns.shape == (1, 0)
    p.verify()


def test_relu_on_the_input_directly() -> None:
    model = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))
    p = regions.linear_regions(model, (-1, -1, 1, 1))
    assert len(p) == 4
    p.verify()


def test_nonconvex_domain_disconnected_pieces_count_separately() -> None:
    # a U shape cut by the horizontal line y = 1 gives three pieces
    u = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1.5), (1, 1.5), (1, 3), (0, 3)])
    net = net_of(np.array([[0.0, 1.0]]), np.array([-2.0]))
    for method in regions.METHODS:
        p = regions.linear_regions(net, u, method=method)
        assert len(p) == 3 and p.layer_counts == [3]
        # two pieces above the line share a pattern
        assert sorted(p.patterns[:, 0].tolist()) == [False, True, True]
        p.verify()
    assert regions.count_regions(net, u) == 3


def test_same_counts_as_brute_force_pattern_sampling_lower_bound() -> None:
    """Sampling a fine grid can never find a pattern the partition lacks; and on a box (convex)
    each pattern is one region (convex too), so no pattern may come twice, and the count is
    the rational oracle's."""
    rng = np.random.default_rng(9)
    net = random_mlp(rng, [6, 6])
    p = regions.linear_regions(net, (-2, -2, 2, 2))
    g = np.stack(np.meshgrid(np.linspace(-2, 2, 301), np.linspace(-2, 2, 301)), -1).reshape(-1, 2)
    pats = np.concatenate([z > 0 for z in net.preactivations(g)], axis=1)
    sampled = {tuple(r) for r in pats}
    exact = {tuple(r) for r in p.patterns}
    assert sampled <= exact
    assert len(exact) == len(p)  # no region counted twice
    assert len(p) == len(oracle_regions(net.hidden, as_domain((-2, -2, 2, 2)).ring))


@pytest.mark.parametrize("k", [3, 4, 7])
def test_k_concurrent_lines(k: int) -> None:
    ang = np.arange(k) * np.pi / k
    w = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    p = regions.linear_regions(net_of(w, -w @ np.array([0.25, 0.5])), (-1, -1, 1, 1))
    assert len(p) == 2 * k
    p.verify()


def test_every_pair_of_seed_layers_differs() -> None:
    """Each layer of the course's deep (seed) model cuts regions the one before left whole:
    the count after each layer is the oracle's and grows strictly; the regions after layer
    l are the distinct patterns of the first l layers, and the last count is the number of
    regions (each pattern once)."""
    p = regions.linear_regions(deep_model())
    ref = oracle_regions(p.network.hidden, p.domain.ring)
    assert p.layer_counts == ref.layer_counts
    for a, b in itertools.pairwise(p.layer_counts):
        assert b > a
    ends = np.cumsum(p.network.widths)
    assert [len(np.unique(p.patterns[:, :k], axis=0)) for k in ends] == p.layer_counts
    assert len(p) == p.layer_counts[-1] == len(ref)


@pytest.mark.parametrize("chunk", [1, 7, 100])
def test_streaming_count_equals_full_mesh(chunk: int) -> None:
    from regions.split import count_faces

    rng = np.random.default_rng(chunk)
    net = random_mlp(rng, [12, 10, 8])
    ring = as_domain((-3, -3, 3, 3)).ring
    full = split_mesh(net.hidden, ring).layer_counts
    assert count_faces(net.hidden, ring, chunk_faces=chunk) == full


def test_count_regions_workers_do_not_change_the_count() -> None:
    rng = np.random.default_rng(11)
    net = random_mlp(rng, [30, 20, 10])
    counts = {regions.count_regions(net, (-4, -4, 4, 4), workers=w) for w in (1, 2, 4)}
    assert len(counts) == 1
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="workers must be a positive int"):
            regions.count_regions(net, (-4, -4, 4, 4), workers=bad)


@pytest.mark.parametrize("w", [(3.0, 1.0), (0.75, 0.25), (1.0, 0.0), (1.0, -1.0)])
def test_line_through_a_reflex_corner_leaves_two_pieces(w: tuple[float, float]) -> None:
    # the L's reflex corner (0, 0) is on the line w . x = 0, so the side w . x > 0 meets
    # the L in two wedges that touch only at the corner: two regions, not one pinched one
    ell = shapely.Polygon([(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)])
    net = Network.from_arrays([(np.array([w]), np.zeros(1))], (np.ones((1, 1)), np.zeros(1)))
    line = shapely.LineString([(-10 * w[1], 10 * w[0]), (10 * w[1], -10 * w[0])])
    faces = [
        f for f in polygonize(shapely.unary_union([ell.boundary, line]))
        if ell.contains(f.representative_point())
    ]
    p = regions.linear_regions(net, ell)
    assert len(p) == len(faces) == len(regions.linear_regions(net, ell, method="shapely"))
    assert sorted(p.patterns.sum(axis=1).tolist()) == sorted(
        int(w[0] * f.representative_point().x + w[1] * f.representative_point().y > 0)
        for f in faces
    )
    for kernel in ("numpy", "numba"):
        assert regions.count_regions(net, ell, kernel=kernel) == len(faces)
    p.verify()
    assert (shapely.get_num_geometries(p.polygons) == 1).all()


STAR = shapely.Polygon([(4, 0), (1, 1), (0, 4), (-1, 1), (-4, 0), (-1, -1), (0, -4), (1, -1)])
HOLED = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(0, 2), (2, 3), (2, 1)]])


@pytest.mark.parametrize(
    ("domain", "hidden", "length"),
    [
        # two lines run along edges of the star into reflex corners and cross at (4/3, 0)
        (STAR, [([[3.0, 1.0], [3.0, -1.0]], [-4.0, -4.0])],
         2 * (10 / 9) ** 0.5 + 2 * (0.64 + 16 / 225) ** 0.5),
        # a line along a hole's edge, crossed on that edge at (4/3, 8/3)
        (HOLED, [([[-1.0, 2.0], [1.0, 1.0]], [-4.0, -4.0])],
         5**0.5 + (32 / 9) ** 0.5 + 8**0.5),
        # two layers on the star (its regions once came out clockwise, and GEOS then
        # measured a whole region outside the domain)
        (STAR, [([[3.0, 1.0], [-1.0, -3.0], [3.0, -1.0], [-1.0, 3.0]], [-4.0, -4.0, 4.0, 4.0]),
                ([[2.0, -2.0, -0.5, 0.0], [0.5, 0.5, 1.0, -2.0]], [0.5, 16.0])], None),
    ],
)
def test_lines_along_domain_edges_leave_no_spikes(
    domain: shapely.Polygon, hidden: list[Any], length: float | None
) -> None:
    layers = [(np.array(w), np.array(b)) for w, b in hidden]
    net = Network.from_arrays(layers, (np.ones((1, len(hidden[-1][1]))), np.zeros(1)))
    p = regions.linear_regions(net, domain)
    ref = regions.linear_regions(net, domain, method="shapely")
    assert len(p) == len(ref)
    p.verify()
    # each region one valid, counter-clockwise polygon; together they tile the domain
    assert (shapely.get_type_id(p.polygons) == 3).all() and shapely.is_valid(p.polygons).all()
    assert all(shapely.is_ccw(shapely.get_exterior_ring(p.polygons)))
    np.testing.assert_allclose(p.areas.sum(), domain.area, rtol=1e-12)
    assert shapely.union_all(p.polygons).symmetric_difference(domain).area <= 1e-12 * domain.area
    # a spike along an edge would add its length twice to the perimeters
    np.testing.assert_allclose(
        sum(shapely.length(p.polygons)), sum(shapely.length(ref.polygons)), rtol=1e-12
    )
    if length is not None:
        # (measured within a hair, EDGE_RTOL of the diameter, on a domain without a mesh)
        np.testing.assert_allclose(p.boundaries().lengths.sum(), length, rtol=1e-7)


def _strip_net(d: float) -> Network:
    # two vertical lines, x = 0.5 and x = 0.5 + d, then a sum
    return Network.from_arrays(
        [(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([-0.5, -(0.5 + d)]))],
        (np.ones((1, 2)), np.zeros(1)),
    )


@pytest.mark.parametrize(("height", "d"), [(1e8, 2.0**-20), (1e8, 2.0**-24), (1e4, 2.0**-36)])
def test_a_thin_strip_in_a_tall_box_is_found_on_every_path(height: float, d: float) -> None:
    # QA16: the zero band took the largest coordinate (y ~ 1e8) for a line x = c, whose value
    # never sums y: the strip between two lines 2**-20 apart was lost, and verify passed
    from regions.oracle import oracle_count

    net = _strip_net(d)
    box = (-1.0, -height, 1.0, height)
    ring = [(-1.0, -height), (1.0, -height), (1.0, height), (-1.0, height)]
    assert oracle_count(net.hidden, ring) == 3
    for kernel in ("numba", "numpy"):
        for workers in (1, 2):
            assert regions.count_regions(net, box, kernel=kernel, workers=workers) == 3
    for method in ("fast", "shapely"):
        p = regions.linear_regions(net, box, method=method)
        assert len(p) == 3
        p.verify()
    # the same lines through the stage-program path (LeakyReLU is not a plain MLP)
    lin = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64))
        lin.bias.copy_(torch.tensor([-0.5, -(0.5 + d)], dtype=torch.float64))
    leaky = torch.nn.Sequential(lin, torch.nn.LeakyReLU(0.1), torch.nn.Linear(2, 1).double())
    p = regions.linear_regions(leaky, box)
    assert len(p) == regions.count_regions(leaky, box) == 3
    p.verify()


def test_an_anisotropic_box_is_the_exact_image_of_a_balanced_one() -> None:
    # scaling y by a power of two (and the first layer's y weights back) is exact, so the
    # partition of the tall box must be the balanced box's, with y scaled, bit for bit
    rng = np.random.default_rng(16)
    for trial in range(6):
        net = random_mlp(rng, [int(rng.integers(4, 12)), int(rng.integers(4, 12))])
        k = 2.0 ** int(rng.integers(10, 40))
        (w, b), *rest = net.hidden
        tall = Network.from_arrays([(w / np.array([1.0, k]), b), *rest], net.output)
        box = (-3.0, -3.0, 3.0, 3.0)
        tall_box = (-3.0, -3.0 * k, 3.0, 3.0 * k)
        a = regions.linear_regions(net, box)
        t = regions.linear_regions(tall, tall_box)
        assert len(t) == len(a) == regions.count_regions(tall, tall_box), trial
        order_a = np.lexsort(a.patterns.T[::-1])
        order_t = np.lexsort(t.patterns.T[::-1])
        np.testing.assert_array_equal(a.patterns[order_a], t.patterns[order_t])
        for i, j in zip(order_a, order_t, strict=True):
            xy_a = shapely.get_coordinates(a.polygons[i])
            xy_t = shapely.get_coordinates(t.polygons[j])
            np.testing.assert_array_equal(xy_a * np.array([1.0, k]), xy_t)
        t.verify()


def test_the_aspect_ratio_repro_of_qa16_matches_the_oracle() -> None:
    # a 2-3-2 net in x in [-1.05, -0.95], y in [-5e6, 5e6]: 9 regions and a passing verify()
    # before the frame, 11 exactly
    from regions.oracle import oracle_count

    h = float.fromhex
    box = (h("-0x1.0cc0000000000p+0"), -4999999.0, h("-0x1.e680000000000p-1"), 5000001.0)
    w1 = np.array([[-0.0, -1.0], [-1.1920928955078125, -1.1874362826347351e-08],
                   [-234881024.0, 0.75]])
    b1 = np.array([5000001.0, -1.1920928836334497, -241106944.0])
    w2 = np.array([[0.75, 0.75, 1.875], [-0.5, -1.0, 0.375]])
    b2 = np.array([-5322864.75, 3548576.5])
    net = Network.from_arrays([(w1, b1), (w2, b2)], (np.ones((1, 2)), np.zeros(1)))
    x0, y0, x1, y1 = box
    exact = oracle_count(net.hidden, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    assert exact == 11
    assert regions.count_regions(net, box) == exact
    p = regions.linear_regions(net, box)
    assert len(p) == exact
    p.verify()


def test_the_frame_never_coarsens_the_long_axis() -> None:
    # QA16e: a frame factor rounded past the long axis's magnitude (2**27 > 1e8) widened the
    # band of lines across the long axis: horizontal lines 1.2e-4 apart at y = 0.5 in a box
    # 1e8 tall were found without the frame and lost with it
    from regions.tolerance import frame_scales

    box = (-1.0, -1e8, 1.0, 1e8)
    fx, fy = frame_scales(box)
    assert fy == 1.0 and 1.0 * fx <= 1e8 < 2.0 * fx
    for d in (1.05e-4, 1.2e-4, 1.3e-4):
        net = Network.from_arrays(
            [(np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([-0.5, -(0.5 + d)]))],
            (np.ones((1, 2)), np.zeros(1)),
        )
        assert regions.count_regions(net, box) == 3
        p = regions.linear_regions(net, box)
        assert len(p) == 3
        p.verify()


def test_a_translated_box_keeps_a_line_just_outside_it_outside() -> None:
    # QA16h: in a box 0.076 wide near (3.9e5, -3.9e5), far from the origin, the translation
    # made the bias b + W c with W c rounded first (0.125 off at 3.4e15), which moved a line
    # 9.3e-12 outside the box into it: 2 regions where the exact count is 1. It is now
    # computed exactly and rounded once
    from regions.oracle import oracle_count

    h = float.fromhex
    box = (h("0x1.7d97389000000p+18"), -h("0x1.7d973d7000000p+18"),
           h("0x1.7d973d7000000p+18"), -h("0x1.7d97389000000p+18"))
    net = Network.from_arrays(
        [(np.array([[2.0**33, -2.0]]), np.array([-h("0x1.7d973d717d974p+51")]))],
        (np.ones((1, 1)), np.zeros(1)),
    )
    x0, y0, x1, y1 = box
    assert oracle_count(net.hidden, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) == 1
    for kernel in ("numba", "numpy"):
        assert regions.count_regions(net, box, kernel=kernel, workers=1) == 1
    p = regions.linear_regions(net, box)
    assert len(p) == 1
    p.verify()


def test_far_off_and_flat_boxes_are_accepted_and_match_their_shifted_twin() -> None:
    # QA16i: the thinness check compared the shortest side with the largest coordinate of
    # either axis, so a minute of Unix time by [0, 1] was refused (1 < 1e-9 * 1.7e9); it is
    # per axis now, and the frames split such boxes
    torch.manual_seed(0)
    for box in [(1e6, 0.0, 1e6 + 1, 1e-3), (1.7e9, 0.0, 1.7e9 + 60, 1.0),
                (1.7e9, 4.2e6, 1.7e9 + 3600, 4.2e6 + 1e-2)]:
        lo, hi = np.array(box[:2]), np.array(box[2:])
        norm = torch.nn.Linear(2, 2).double()
        with torch.no_grad():
            norm.weight.copy_(torch.diag(torch.tensor(3.5 / (hi - lo))))
            norm.bias.copy_(torch.tensor(-3.5 * (lo + hi) / 2 / (hi - lo)))
        body = torch.nn.Sequential(
            torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
            torch.nn.Linear(16, 1),
        ).double()
        model = torch.nn.Sequential(norm, *body).eval()
        shift = torch.nn.Linear(2, 2).double()  # the same function on the box moved to 0
        with torch.no_grad():
            shift.weight.copy_(torch.eye(2, dtype=torch.float64))
            shift.bias.copy_(torch.tensor(lo))
        twin = torch.nn.Sequential(shift, *model).eval()
        p = regions.linear_regions(model, box)
        p.verify()
        moved = (0.0, 0.0, box[2] - box[0], box[3] - box[1])
        assert len(p) == regions.count_regions(model, box) == regions.count_regions(twin, moved)
    with pytest.raises(regions.DomainError, match="wide in y at y coordinates of 1e"):
        regions.count_regions(torch.nn.Linear(2, 1), (0.0, 1e12, 1.0, 1e12 + 1e-3))
