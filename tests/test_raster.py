"""The sampling method (numpy.gradient on a grid) against the exact regions."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch

import regions
from regions.course import deep_model, mlp, shallow_model
from regions.errors import DomainError
from regions.network import Network
from regions.raster import (
    GradientRaster,
    compare_raster,
    gradient_raster,
    pixel_grid,
    raster_components,
    raster_count,
    resolution_study,
)


def _line_net(w: tuple[float, float], b: float, out: float = 1.0) -> Network:
    return Network.from_arrays([([list(w)], [b])], ([[out]], [0.0]))


def _checked(reg: np.ndarray) -> np.ndarray:
    """Pixels whose 5-point stencil (clamped at the border) lies in one region."""
    pad = np.pad(reg, 1, mode="edge")
    same = [pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]
    return (reg >= 0) & np.logical_and.reduce([s == reg for s in same])


# ------------------------------------------------------------------ the grid
def test_grid_is_pixel_centres_and_image_is_rows_y() -> None:
    net = Network.from_arrays(
        [([[1.0, 0.0], [0.0, 1.0]], [20.0, 20.0])], ([[3.0, 5.0]], [1.0])
    )  # relu(x + 20), relu(y + 20) are affine on the box: f = 3x + 5y + 161
    r = gradient_raster(net, (-2, -1, 6, 3), resolution=8)
    xs, _ys = pixel_grid((-2, -1, 6, 3), 8)
    np.testing.assert_array_equal(r.xs, xs)
    np.testing.assert_allclose(r.xs, -2 + (np.arange(8) + 0.5) * 1.0)
    np.testing.assert_allclose(r.ys, -1 + (np.arange(8) + 0.5) * 0.5)
    expect = 3 * r.xs[None, :] + 5 * r.ys[:, None] + 161
    np.testing.assert_allclose(r.image, expect, rtol=1e-14)
    np.testing.assert_allclose(r.dx, 3.0, rtol=1e-12)
    np.testing.assert_allclose(r.dy, 5.0, rtol=1e-12)
    assert r.extent == (-2.0, 6.0, -1.0, 3.0)
    assert r.spacing == (1.0, 0.5)
    np.testing.assert_array_equal(r.points[:, 0].reshape(8, 8), np.tile(xs, (8, 1)))


def test_gradient_is_numpy_gradient_scaled() -> None:
    model = shallow_model()
    r = gradient_raster(model, (-3, -2, 5, 4), resolution=40)
    hx, hy = 8 / 40, 6 / 40
    gy, gx = np.gradient(r.image, hy, hx)
    np.testing.assert_array_equal(r.dx, gx)
    np.testing.assert_array_equal(r.dy, gy)


def test_torch_and_network_agree_and_model_untouched() -> None:
    model = deep_model(3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    r_torch = gradient_raster(model, resolution=30)
    r_net = gradient_raster(regions.Network.from_torch(model), resolution=30)
    np.testing.assert_allclose(r_torch.image, r_net.image, rtol=1e-12, atol=1e-12)
    after = model.state_dict()
    assert all(after[k].dtype == torch.float32 for k in after)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.get_default_dtype() == torch.float32


# ------------------------------------------------------------------ counting
@pytest.mark.parametrize("seed", range(5))
def test_raster_count_one_neuron_is_two(seed: int) -> None:
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi)
    w = (float(np.cos(angle)), float(np.sin(angle)))
    b = float(rng.uniform(-3, 3))
    net = _line_net(w, b, out=float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2)))
    assert regions.count_regions(net) == 2  # the line crosses the box
    assert raster_count(gradient_raster(net, resolution=120)) == 2


def test_raster_count_torch_one_neuron() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.3, -1.0]]))
        model[0].bias.copy_(torch.tensor([0.7]))
        model[2].weight.fill_(2.0)
    assert raster_count(gradient_raster(model, resolution=100)) == 2


def test_naive_count_overcounts_boundary_strips() -> None:
    net = _line_net((0.6, 0.8), 0.3)
    r = gradient_raster(net, resolution=80)
    labels, count = raster_components(r)
    naive = raster_count(r, drop_boundary=False)
    assert count == 2
    assert naive > count  # each mixed pixel along a slanted kink differs from its neighbours
    assert (labels == -1).any()
    assert set(np.unique(labels)) == {-1, 0, 1}


def test_raster_count_general_position_lines_matches_exact() -> None:
    net = Network.from_arrays(
        [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.3, -0.2, -2.1])], ([[1.0, 2.0, -1.5]], [0.0])
    )
    exact = regions.count_regions(net, (-5, -5, 5, 5))
    study = resolution_study(net, (-5, -5, 5, 5), (60, 150))
    assert list(study) == [60, 150]
    assert study == {60: exact, 150: exact}


def test_resolution_study_increases_towards_exact() -> None:
    model = shallow_model()
    exact = regions.count_regions(model)
    study = resolution_study(model, resolutions=(25, 100, 300))
    counts = list(study.values())
    assert counts == sorted(counts)
    assert counts[0] < counts[-1] <= exact


# ------------------------------------------------------------------ comparison
@pytest.mark.parametrize("factory", [shallow_model, deep_model], ids=["shallow", "deep"])
def test_compare_course_models(factory: object) -> None:
    model = factory()  # type: ignore[operator]
    p = regions.linear_regions(model)
    r = gradient_raster(model, resolution=200)
    rep = compare_raster(p, r)
    assert rep.n_checked > 0.5 * 200 * 200
    assert rep.n_mismatch == 0
    assert len(rep.mismatch_pixels) == 0
    assert rep.ok
    assert rep.n_regions == len(p)
    assert rep.n_components == raster_count(r)
    # every region is missed, unresolved, or seen through a checked pixel
    seen = np.unique(rep.overlap[:, 1])
    all_r = np.sort(np.concatenate([rep.missed, rep.unresolved, seen]))
    np.testing.assert_array_equal(all_r, np.arange(len(p)))
    assert (rep.missed_areas > 0).all()
    # the raster's box is the domain: a missed region's area inside it is its whole area
    np.testing.assert_allclose(rep.missed_areas, p.areas[rep.missed], rtol=1e-12, atol=0)
    assert "gradient mismatches: 0" in rep.summary()


@pytest.mark.parametrize(
    ("widths", "seed"),
    [((2, 8, 1), 1), ((2, 12, 1), 2), ((2, 6, 6, 1), 3), ((2, 4, 4, 4, 1), 4), ((2, 7, 5, 2), 5)],
)
def test_compare_random_nets(widths: tuple[int, ...], seed: int) -> None:
    model = mlp(widths, seed)
    p = regions.linear_regions(model, (-4, -3, 5, 4))
    for output in range(widths[-1]):
        rep = compare_raster(p, gradient_raster(model, (-4, -3, 5, 4), 150, output=output))
        assert rep.n_checked > 0
        assert rep.n_mismatch == 0


def test_compare_detects_wrong_gradients() -> None:
    model = shallow_model()
    p = regions.linear_regions(model)
    r = gradient_raster(model, resolution=100)
    rep = compare_raster(p, r)
    assert rep.n_mismatch == 0
    dx = r.dx.copy()
    # pick a checked pixel and corrupt its gradient by a relative 1e-4
    checked = np.argwhere(_checked(rep.regions))
    assert len(checked) == rep.n_checked
    i, j = checked[len(checked) // 2]
    dx[i, j] += 1e-4 * np.abs(p.jacobians).max()
    bad = GradientRaster(r.image, dx, r.dy, r.xs, r.ys, r.bbox, r.output)
    rep_bad = compare_raster(p, bad)
    assert rep_bad.n_mismatch == 1
    assert rep_bad.mismatch_pixels.tolist() == [[i, j]]
    assert not rep_bad.ok
    # the raster of a different model mismatches almost everywhere
    other = compare_raster(p, gradient_raster(shallow_model(1), resolution=100))
    assert other.n_mismatch > other.n_checked // 2


def test_affine_net_checks_every_pixel_including_border() -> None:
    # no hidden layer: one region, numpy.gradient's one-sided border differences are exact
    net = Network.from_arrays([], ([[2.0, -3.0]], [1.0]))
    p = regions.linear_regions(net, (-1, -1, 1, 1))
    rep = compare_raster(p, gradient_raster(net, (-1, -1, 1, 1), 17))
    assert rep.n_checked == 17 * 17
    assert rep.n_mismatch == 0
    assert rep.n_components == 1


def test_border_stencil_is_one_sided() -> None:
    # a kink between the first two pixel columns: column 0's one-sided difference
    # straddles it, so column 0 must not be checked; column 2's central one doesn't
    n = 10
    h = 2.0 / n
    xs = -1 + (np.arange(n) + 0.5) * h
    kink = (xs[0] + xs[1]) / 2
    net = _line_net((1.0, 0.0), -kink)
    p = regions.linear_regions(net, (-1, -1, 1, 1))
    rep = compare_raster(p, gradient_raster(net, (-1, -1, 1, 1), n))
    checked = _checked(rep.regions)
    assert not checked[:, 0].any() and not checked[:, 1].any()
    assert checked[:, 2:].all()
    assert rep.n_checked == n * (n - 2)
    assert rep.n_mismatch == 0


def test_zero_outgoing_weight_neuron_is_invisible_not_a_mismatch() -> None:
    hidden = [([[1.0, 0.0], [0.0, 1.0], [1.0, -2.0]], [-0.3, 0.2, -1.0])]
    net = Network.from_arrays(hidden, ([[1.0, -2.0, 0.0]], [0.5]))
    reduced = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [-0.3, 0.2])], ([[1.0, -2.0]], [0.5]))
    bbox = (-5, -5, 5, 5)
    p = regions.linear_regions(net, bbox)
    n_reduced = regions.count_regions(reduced, bbox)
    assert len(p) > n_reduced  # the dead-weight line cuts regions the output cannot see
    r = gradient_raster(net, bbox, 200)
    rep = compare_raster(p, r)
    assert rep.n_mismatch == 0 and rep.n_checked > 0
    assert rep.n_components == n_reduced
    assert len(rep.split) > 0 and rep.split_same_gradient.all()
    assert len(rep.merged) == 0
    # the regions a component covers have one gradient
    jac = p.jacobians[:, 0, :]
    for comp in rep.split:
        regs = rep.overlap[rep.overlap[:, 0] == comp, 1]
        np.testing.assert_allclose(jac[regs], jac[regs[0]][None, :].repeat(len(regs), 0))


def test_tiny_region_is_reported_missed() -> None:
    eps = 1e-3
    bbox = (-1, -1, 1, 1)
    xs20, _ = pixel_grid(bbox, 20)
    xs30, _ = pixel_grid(bbox, 30)
    c = float(xs20[10])  # the strip c - eps/2 < x < c + eps/2 holds a column of 20
    assert not (np.abs(xs30 - c) < eps).any()  # but no pixel centre of 30
    net = Network.from_arrays(
        [([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [-c + eps / 2, -c - eps / 2, 0.25])],
        ([[1.0, 1.0, 1.0]], [0.0]),
    )
    p = regions.linear_regions(net, bbox)
    strip = np.unique(p.locate([[c, 0.5], [c, -0.5]]))
    rep = compare_raster(p, gradient_raster(net, bbox, 30))
    assert rep.n_mismatch == 0
    assert set(strip.tolist()) <= set(rep.missed.tolist())
    np.testing.assert_allclose(
        rep.missed_areas[np.isin(rep.missed, strip)], p.areas[strip], rtol=1e-12
    )
    assert (rep.missed_areas > 0).all()
    assert rep.missed_areas.sum() == pytest.approx(2 * eps, rel=1e-9)
    assert rep.n_components == len(p) - len(strip)
    # the raster of 20 has pixel centres in the strip, but they are all boundary pixels
    coarse = compare_raster(p, gradient_raster(net, bbox, 20))
    assert not np.isin(strip, coarse.missed).any()
    assert np.isin(strip, coarse.unresolved).all()


def test_partition_domain_smaller_than_raster() -> None:
    model = mlp((2, 6, 1), 7)
    tri = shapely.Polygon([(-8, -8), (8, -8), (-8, 8)])
    p = regions.linear_regions(model, tri)
    rep = compare_raster(p, gradient_raster(model, resolution=100))
    assert (rep.regions == -1).any()
    assert rep.n_mismatch == 0 and rep.n_checked > 0


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("bad", [1, 0, -5, 2.5, True, "500", None])
def test_bad_resolution(bad: object) -> None:
    with pytest.raises(ValueError, match="resolution"):
        gradient_raster(shallow_model(), resolution=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bbox",
    [
        (1, 0, -1, 1),
        (0, 0, 0, 1),
        (0, 0, np.inf, 1),
        (0, 1, 2),
        shapely.Polygon([(0, 0), (1, 0), (0, 1)]),
    ],
)
def test_bad_bbox(bbox: object) -> None:
    with pytest.raises(DomainError, match="bbox"):
        gradient_raster(shallow_model(), bbox, 10)


def test_bad_output_rtol_and_types() -> None:
    with pytest.raises(ValueError, match="output"):
        gradient_raster(shallow_model(), resolution=10, output=1)
    with pytest.raises(ValueError, match="output"):
        gradient_raster(shallow_model(), resolution=10, output=-1)
    r = gradient_raster(shallow_model(), resolution=10)
    for bad in (-0.1, 1.0, "x", float("nan")):
        with pytest.raises(ValueError, match="rtol"):
            raster_count(r, rtol=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="raster"):
        raster_count(r.image)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="partition"):
        compare_raster(shallow_model(), r)
    with pytest.raises(ValueError, match="resolutions"):
        resolution_study(shallow_model(), resolutions=())
    with pytest.raises(ValueError, match="resolutions"):
        resolution_study(shallow_model(), resolutions=500)
    with pytest.raises(ValueError, match="resolutions"):
        resolution_study(shallow_model(), resolutions=(50, 1))
    two_out = mlp((2, 3, 2), 0)
    p1 = regions.linear_regions(shallow_model())
    with pytest.raises(ValueError, match="output"):
        compare_raster(p1, gradient_raster(two_out, resolution=10, output=1))


def test_unsupported_model_raises_package_error() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with pytest.raises(regions.UnsupportedLayerError, match="Tanh"):
        gradient_raster(model, resolution=10)


def test_gradient_raster_on_a_plane_through_images_and_a_second_output() -> None:
    import torch
    from torch import nn

    torch.manual_seed(3)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 2)).double()
    a, b, c = (torch.randn(1, 8, 8, dtype=torch.float64) for _ in range(3))
    plane = regions.Plane.through(a.numpy(), b.numpy(), c.numpy())
    r = regions.gradient_raster(conv, (-1, -1, 2, 2), 20, output=1, plane=plane)
    s, t = np.meshgrid(r.xs, r.ys)
    x = a + torch.from_numpy(s.ravel())[:, None, None, None] * (b - a) + torch.from_numpy(
        t.ravel()
    )[:, None, None, None] * (c - a)
    want = conv(x).detach().numpy()[:, 1].reshape(20, 20)
    np.testing.assert_allclose(r.image, want, rtol=1e-12, atol=1e-12)
    p = regions.linear_regions(conv, (-1, -1, 2, 2), plane=plane)
    rep = p.compare_raster(20, output=1)
    assert rep.n_checked > 0 and rep.n_mismatch == 0


# ------------------------------------------------------------ size limit, plane default (QA 12)
@pytest.mark.parametrize("n", [10**6, 10_001])
def test_resolution_past_the_size_limit_names_the_memory(n: int) -> None:
    from regions.raster import MAX_RASTER_PIXELS

    assert n * n > MAX_RASTER_PIXELS
    net = _line_net((1.0, 0.0), 0.0)
    p = regions.linear_regions(net, (-1, -1, 1, 1))
    msg = rf"resolution={n} is too large: .* would need about .*iB of memory.*resolution <= 10000"
    with pytest.raises(regions.ParameterError, match=msg):
        gradient_raster(net, (-1, -1, 1, 1), n)
    with pytest.raises(regions.ParameterError, match=msg):
        p.compare_raster(n)
    with pytest.raises(regions.ParameterError, match=r"resolutions=.* is too large"):
        resolution_study(net, (-1, -1, 1, 1), (10, n))
    if n == 10**6:
        with pytest.raises(regions.ParameterError, match=r"58\.2 TiB"):
            gradient_raster(net, (-1, -1, 1, 1), n)


def test_pixel_grid_has_no_size_limit() -> None:
    xs, ys = pixel_grid((0, 0, 1, 1), 10**6)  # two vectors, no raster
    assert xs.shape == ys.shape == (10**6,)


def test_gradient_raster_on_a_plane_defaults_to_the_box_of_linear_regions() -> None:
    from torch import nn

    torch.manual_seed(12)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
    rng = np.random.default_rng(12)
    a, b, c = (rng.normal(size=3) * 3 for _ in range(3))
    plane = regions.Plane.through(a, b, c)
    r = gradient_raster(model, resolution=12, plane=plane)
    p = regions.linear_regions(model, plane=plane)
    assert r.bbox == p.domain.bounds == plane.default_bbox()
    assert r.bbox != (-10.0, -10.0, 10.0, 10.0)
    rep = compare_raster(p, r)
    assert rep.n_checked > 0 and rep.n_mismatch == 0
    # an explicit box is kept
    assert gradient_raster(model, (-10, -10, 10, 10), 12, plane=plane).bbox == (
        -10.0,
        -10.0,
        10.0,
        10.0,
    )
