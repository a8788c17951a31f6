"""Figures of the regions and of the sampling method, headless under Agg."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import io
from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage

import regions
from regions.course import deep_model, mlp, shallow_model
from regions.network import Network
from regions.plot import (
    COLOR_BY,
    exact_gradient_image,
    plot_gradient_raster,
    plot_layers,
    plot_partition,
    region_adjacency,
    region_colors,
)
from regions.raster import compare_raster, gradient_raster, raster_components
from regions.tolerance import EDGE_RTOL


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _draw(fig: object) -> None:
    fig.savefig(io.BytesIO(), format="png", dpi=30)  # type: ignore[attr-defined]


@pytest.mark.parametrize("color_by", COLOR_BY)
def test_plot_partition_every_coloring(color_by: str) -> None:
    p = regions.linear_regions(shallow_model())
    fig, ax = plt.subplots()
    coll = plot_partition(p, ax, color_by=color_by)
    assert isinstance(coll, PathCollection)
    assert coll in ax.collections
    assert len(coll.get_paths()) == len(p)
    assert ax.get_xlim() == (-10.0, 10.0)
    if color_by == "dx":
        np.testing.assert_array_equal(coll.get_array(), p.jacobians[:, 0, 0])
        assert coll.get_cmap().name == "prism"
    if color_by == "dy":
        np.testing.assert_array_equal(coll.get_array(), p.jacobians[:, 0, 1])
    if color_by == "value":
        pts = p.interior_points()
        np.testing.assert_allclose(
            coll.get_array(), p.network.forward(pts)[:, 0], rtol=1e-9, atol=1e-9
        )
    _draw(fig)


def test_plot_partition_new_axes_and_paths_match_polygons() -> None:
    p = regions.linear_regions(deep_model())
    coll = plot_partition(p, edgecolor="none")
    for path, poly in zip(coll.get_paths()[:5], p.polygons[:5], strict=False):
        np.testing.assert_allclose(path.vertices, np.asarray(poly.exterior.coords))
    _draw(coll.figure)


def test_region_colors_differ_across_edges() -> None:
    for model in (shallow_model(), deep_model(), mlp((2, 9, 6, 1), 2)):
        p = regions.linear_regions(model)
        pairs = region_adjacency(p)
        colors = region_colors(p)
        assert colors.shape == (len(p),) and colors.min() == 0
        assert len(pairs) >= len(p) - 1  # a partition of a square is connected
        assert (colors[pairs[:, 0]] != colors[pairs[:, 1]]).all()
        # the face colours drawn follow the colouring
        coll = plot_partition(p)
        face = coll.get_facecolor()
        assert (np.abs(face[pairs[:, 0]] - face[pairs[:, 1]]).sum(axis=1) > 0).all()


def test_region_adjacency_ignores_corner_contacts() -> None:
    net = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])], ([[1.0, 1.0]], [0.0]))
    p = regions.linear_regions(net, (-1, -1, 1, 1))
    pairs = region_adjacency(p)
    # four quadrants: each touches two along an edge, the opposite one at a point
    assert len(pairs) == 4
    assert np.bincount(pairs.ravel(), minlength=4).tolist() == [2, 2, 2, 2]
    colors = region_colors(p)
    assert len(set(colors.tolist())) == 2


def test_region_adjacency_skips_regions_across_a_strip() -> None:
    # parallel lines x + y = 1 and x + y = 1.6: the two triangles face each other across
    # the strip between them (their extents along the lines overlap) but share no edge
    net = Network.from_arrays([([[1.0, 1.0], [1.0, 1.0]], [-1.0, -1.6])], ([[1.0, 1.0]], [0.0]))
    p = regions.linear_regions(net, (0, 0, 1, 1))
    strip = int(np.flatnonzero(p.patterns.sum(axis=1) == 1)[0])
    pairs = {(int(a), int(b)) for a, b in region_adjacency(p)}
    assert len(p) == 3
    assert pairs == {tuple(sorted((strip, k))) for k in range(3) if k != strip}


def test_region_adjacency_is_exactly_the_shared_segments() -> None:
    # a wide box makes regions meet at sharp corners: a boundary running within a
    # hair of a neighbour for many hairs must not make regions that only touch at a
    # point neighbours (the old buffer test took 118 such pairs here)
    p = regions.linear_regions(mlp((2, 20, 20, 1), 1), (-1e4, -1e4, 1e4, 1e4))
    pairs = region_adjacency(p)
    polys = p.polygons
    i, j = shapely.STRtree(polys).query(polys, predicate="intersects")
    keep = i < j
    inter = shapely.intersection(polys[i[keep]], polys[j[keep]])
    hair = EDGE_RTOL * float(np.hypot(2e4, 2e4))
    geos = np.asarray(shapely.length(inter)) > 10 * hair
    expected = {(int(a), int(b)) for a, b, g in zip(i[keep], j[keep], geos, strict=True) if g}
    assert {(int(a), int(b)) for a, b in pairs} == expected
    assert len(expected) > len(p)  # the test is not empty
    # neighbours differ in one neuron (a generic net: no two lines cross on an edge)
    assert ((p.patterns[pairs[:, 0]] != p.patterns[pairs[:, 1]]).sum(axis=1) == 1).all()


def test_plot_partition_with_hole() -> None:
    ring = shapely.box(-5, -5, 5, 5).difference(shapely.box(-1, -1, 1, 1))
    # lines x = 3 and y = -3 miss the hole: the region around it keeps it
    net = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [-3.0, 3.0])], ([[1.0, 2.0]], [0.0]))
    p = regions.linear_regions(net, ring)
    holes = shapely.get_num_interior_rings(p.polygons)
    assert holes.sum() == 1
    coll = plot_partition(p, color_by="value")
    assert len(coll.get_paths()) == len(p)
    n_moveto = [int((path.codes == path.MOVETO).sum()) for path in coll.get_paths()]
    assert n_moveto == (1 + holes).tolist()
    _draw(coll.figure)


def test_plot_gradient_raster() -> None:
    r = gradient_raster(shallow_model(), resolution=60)
    ims = plot_gradient_raster(r)
    assert len(ims) == 2 and all(isinstance(im, AxesImage) for im in ims)
    np.testing.assert_array_equal(ims[0].get_array(), r.dx)
    np.testing.assert_array_equal(ims[1].get_array(), r.dy)
    assert ims[0].get_cmap().name == "prism"
    assert ims[0].get_extent() == [-10.0, 10.0, -10.0, 10.0]
    _draw(ims[0].figure)
    _fig, axes = plt.subplots(1, 2)
    ims = plot_gradient_raster(r, axes, cmap="viridis")
    assert [im.axes for im in ims] == list(axes)


def test_plot_layers_counts_match_layer_counts() -> None:
    model = deep_model()
    p = regions.linear_regions(model)
    colls = plot_layers(p)
    assert [len(c.get_paths()) for c in colls] == p.layer_counts
    fig, axes = plt.subplots(1, len(p.layer_counts))
    colls = plot_layers(model, axes=axes, color_by="dx")
    assert [len(c.get_paths()) for c in colls] == p.layer_counts
    _draw(fig)
    tri = shapely.Polygon([(-6, -6), (6, -6), (-6, 6)])
    pt = regions.linear_regions(mlp((2, 4, 4, 1), 1), tri)
    assert [len(c.get_paths()) for c in plot_layers(pt)] == pt.layer_counts


def test_exact_gradient_image_matches_sampled_where_checked() -> None:
    model = deep_model()
    p = regions.linear_regions(model)
    sampled = gradient_raster(model, resolution=120)
    exact = exact_gradient_image(p, 120)
    np.testing.assert_array_equal(exact.xs, sampled.xs)
    np.testing.assert_array_equal(exact.ys, sampled.ys)
    assert exact.bbox == sampled.bbox
    np.testing.assert_allclose(exact.image, sampled.image, rtol=1e-9, atol=1e-9)
    rep = compare_raster(p, sampled)
    pad = np.pad(rep.regions, 1, mode="edge")
    same = [pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]
    checked = np.logical_and.reduce([s == rep.regions for s in same])
    assert checked.sum() == rep.n_checked
    np.testing.assert_allclose(exact.dx[checked], sampled.dx[checked], rtol=1e-6, atol=rep.atol)
    np.testing.assert_allclose(exact.dy[checked], sampled.dy[checked], rtol=1e-6, atol=rep.atol)
    assert not np.allclose(exact.dx, sampled.dx)  # they differ at the boundaries
    ims = plot_gradient_raster(exact)
    assert len(ims) == 2


def test_exact_gradient_image_nan_outside_domain() -> None:
    tri = shapely.Polygon([(0, 0), (4, 0), (0, 4)])
    p = regions.linear_regions(mlp((2, 5, 1), 3), tri)
    ex = exact_gradient_image(p, 20)
    assert ex.bbox == (0.0, 0.0, 4.0, 4.0)
    gx, gy = np.meshgrid(ex.xs, ex.ys)
    outside = gx + gy > 4
    assert np.isnan(ex.dx[outside]).all() and np.isnan(ex.image[outside]).all()
    assert np.isfinite(ex.dx[gx + gy < 4]).all()
    # the NaN pixels are dropped, the exact regions of a raster still count
    labels, count = raster_components(ex)
    assert (labels[outside] == -1).all()
    assert 1 <= count <= len(p)


# ------------------------------------------------------------------ errors
def test_plot_errors_name_the_parameter() -> None:
    p = regions.linear_regions(shallow_model())
    with pytest.raises(ValueError, match="color_by"):
        plot_partition(p, color_by="colour")
    with pytest.raises(ValueError, match="output"):
        plot_partition(p, output=1)
    with pytest.raises(TypeError, match="partition"):
        plot_partition(shallow_model())
    with pytest.raises(TypeError, match="raster"):
        plot_gradient_raster(p)  # type: ignore[arg-type]
    _fig, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="axes"):
        plot_gradient_raster(gradient_raster(shallow_model(), resolution=10), axes)
    with pytest.raises(ValueError, match="axes"):
        plot_layers(deep_model(), axes=axes)
    with pytest.raises(ValueError, match="color_by"):
        plot_layers(deep_model(), color_by="nope")
    with pytest.raises(ValueError, match="hidden layer"):
        plot_layers(Network.from_arrays([], ([[1.0, 1.0]], [0.0])))
    with pytest.raises(ValueError, match="resolution"):
        exact_gradient_image(p, 1)
    with pytest.raises(regions.DomainError, match="bbox"):
        exact_gradient_image(p, 10, bbox=(1, 1, 0, 0))


# ------------------------------------------------------------------ planes
def _plane_points_artists(ax: object) -> list[object]:
    from regions.plot import PLANE_POINTS_GID

    found = ax.findobj(lambda a: a.get_gid() == PLANE_POINTS_GID)  # type: ignore[attr-defined]
    return list(found)


def test_plot_partition_marks_the_three_points_of_a_plane() -> None:
    from matplotlib.lines import Line2D
    from matplotlib.text import Annotation

    model = mlp((6, 8, 8, 1), seed=3)
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 6))
    p = regions.linear_regions(model, plane=regions.Plane.through(a, b, c))
    fig, ax = plt.subplots()
    coll = plot_partition(p, ax)
    assert isinstance(coll, PathCollection) and len(coll.get_paths()) == len(p)
    marks = _plane_points_artists(ax)
    dots = [m for m in marks if isinstance(m, Line2D)]
    labels = [m for m in marks if isinstance(m, Annotation)]
    assert len(dots) == 1
    np.testing.assert_array_equal(np.column_stack(dots[0].get_data()), [[0, 0], [1, 0], [0, 1]])
    assert dots[0].get_markerfacecolor() == "black"
    assert dots[0].get_markeredgecolor() == "white"
    assert sorted(t.get_text() for t in labels) == ["a", "b", "c"]
    _draw(fig)
    # off on request, and absent without a plane or for a plane without its three points
    _fig, ax2 = plt.subplots()
    plot_partition(p, ax2, mark_points=False)
    assert not _plane_points_artists(ax2)
    _fig, ax3 = plt.subplots()
    plot_partition(regions.linear_regions(shallow_model()), ax3)
    assert not _plane_points_artists(ax3)
    basis = regions.Plane(a, b - a, c - a)
    _fig, ax4 = plt.subplots()
    plot_partition(regions.linear_regions(model, (-1, -1, 1, 1), plane=basis), ax4)
    assert not _plane_points_artists(ax4)


def test_disk_map_keeps_directions_and_sends_infinity_to_the_circle() -> None:
    from regions.plot import disk_map

    rng = np.random.default_rng(3)
    d = rng.normal(size=(50, 2))
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    radii = np.array([0.0, 1e-3, 1.0, 10.0, 1e3, 1e8, 1e300])
    pts = (radii[None, :, None] * d[:, None, :]).reshape(-1, 2)
    m = disk_map(pts, scale=2.0).reshape(50, len(radii), 2)
    r = np.hypot(m[..., 0], m[..., 1])
    assert (np.diff(r, axis=1)[:, :-1] > 0).all() and (r[:, :-1] < 1).all()
    assert (r <= 1 + 1e-12).all() and r[:, -1].min() > 0.99
    np.testing.assert_allclose(r[:, 3], 10 / 12)  # q / (1 + q), q = r / scale
    few = disk_map(pts, scale=2.0, power=0.25).reshape(50, len(radii), 2)
    rf = np.hypot(few[..., 0], few[..., 1])
    np.testing.assert_allclose(rf[:, 4], 500**0.25 / (1 + 500**0.25))  # 1e3 / 2 = 500
    cos = np.einsum("pk,pik->pi", d, m[:, 1:]) / r[:, 1:]
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)  # same direction


@pytest.mark.parametrize("seed", [0, 1])
def test_disk_view_tiles_the_disk(seed: int) -> None:
    from matplotlib.path import Path

    from regions.plot import disk_map

    p = regions.linear_regions(mlp((2, 6, 5, 1), seed), None)
    fig, ax = plt.subplots()
    coll = plot_partition(p, ax, view="disk")
    paths = coll.get_paths()
    assert len(paths) == len(p)
    area = 0.0
    for path in paths:
        v = path.vertices
        assert np.hypot(v[:, 0], v[:, 1]).max() <= 1 + 1e-12
        area += 0.5 * abs(np.dot(v[:-1, 0], v[1:, 1]) - np.dot(v[1:, 0], v[:-1, 1]))
    assert area == pytest.approx(np.pi, rel=2e-3)  # the curves are sampled
    # each region's interior point lands inside its own picture
    from regions.plot import _disk_view

    scale, power = _disk_view(p.mesh)
    inner = disk_map(p.interior_points(), scale, power)
    inside = [Path(pa.vertices).contains_point(q) for pa, q in zip(paths, inner, strict=True)]
    assert np.mean(inside) > 0.95  # a sliver's point can sit on its sampled boundary
    plt.close(fig)


def test_disk_view_needs_a_whole_plane() -> None:
    p = regions.linear_regions(mlp((2, 4, 1), 0))
    with pytest.raises(regions.ParameterError, match=r"view='disk' shows a whole plane"):
        plot_partition(p, view="disk")
    w = regions.linear_regions(mlp((2, 4, 1), 0), None)
    with pytest.raises(regions.ParameterError, match=r"view must be one of"):
        plot_partition(w, view="globe")
    with pytest.raises(regions.ParameterError, match=r"scale must be a positive number"):
        plot_partition(w, view="disk", scale=-1.0)
    plt.close("all")


def test_merged_whole_plane_views_and_layers_of_the_plane() -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    m = regions.linear_regions(deep_model(), None).merged()
    fig, (a1, a2) = plt.subplots(1, 2)
    plot_partition(m, a1)
    assert any(isinstance(q, Rectangle) for q in a1.patches)  # the dashed extent
    assert len(a1.collections) == 2  # regions + hatched unbounded ones
    plot_partition(m, a2, view="disk", edgecolor="red", scale=np.float32(5.0))
    lines = [c for c in a2.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) > 0  # outlines between regions
    colls = regions.plot_layers(deep_model(), None)
    assert len(colls[-1].get_paths()) == regions.count_regions(deep_model(), None)
    plt.close(fig)


def test_region_colours_stay_distinct_past_twenty(monkeypatch: pytest.MonkeyPatch) -> None:
    # a colouring with more than 20 colours (dense arrangements on planes through images
    # need 25) must not wrap around a 20-colour map: every colour index its own colour
    import regions.plot as rp

    p = regions.linear_regions(mlp((2, 8, 1), 3), (-2, -2, 2, 2))
    assert len(p) > 24
    monkeypatch.setattr(rp, "region_colors", lambda _p: np.arange(len(_p)) % 25)
    fig, ax = plt.subplots()
    face = plot_partition(p, ax).get_facecolor()
    distinct = {tuple(np.round(f, 6)) for f in face[:25]}
    assert len(distinct) == 25
    plt.close(fig)


def test_region_adjacency_point_contacts_at_small_angles() -> None:
    # two lines crossing at 8 degrees inside an L: the two wide wedges touch only at the
    # crossing (the upper one is not convex: it wraps the reflex corner), and 40 tangents
    # of a circle make a 40-gon: no point contact may count as a neighbour
    c = np.array([-0.5, -0.5])
    normals = [np.array([-np.sin(t), np.cos(t)]) for t in np.radians([-49.0, -41.0])]
    w = np.array(normals)
    net = Network.from_arrays([(w, -w @ c)], (np.ones((1, 2)), np.zeros(1)))
    ell = shapely.Polygon([(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)])
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    tangents = np.column_stack([np.cos(t), np.sin(t)])
    circle = Network.from_arrays([(tangents, -np.ones(40))], (np.ones((1, 40)), np.zeros(1)))
    for p in (regions.linear_regions(net, ell), regions.linear_regions(circle, (-2, -2, 2, 2))):
        polys = p.polygons
        inter = shapely.intersection(polys[:, None], polys[None, :])
        geos = {
            (a, b)
            for a in range(len(p))
            for b in range(a + 1, len(p))
            if shapely.length(inter[a, b]) > 1e-6
        }
        assert {(int(a), int(b)) for a, b in region_adjacency(p)} == geos
        assert len(geos) >= len(p) - 1
    # z3 = z1 + z2 through the crossing: relu(z1) + relu(z2) - relu(z3) is 0 on both wide
    # wedges, which touch only at the crossing: two function regions, not one pinched one
    w3 = np.vstack([w, w.sum(axis=0)])
    net3 = Network.from_arrays([(w3, -w3 @ c)], (np.array([[1.0, 1.0, -1.0]]), np.zeros(1)))
    m = regions.linear_regions(net3, ell).merged()
    m.verify()
    assert len(m) == regions.count_regions(net3, ell, merge=True) == 6
    assert len(regions.linear_regions(net3, (-1, -1, 1, 1)).merged()) == 6


def test_plot_layers_whole_plane_of_compiled_models() -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(12)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(6, 6), nn.Linear(6, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c(F.relu(self.b(F.relu(self.a(x)))))

    n = Net()
    seq = nn.Sequential(n.a, nn.ReLU(), n.b, nn.ReLU(), n.c)
    got = [len(c.get_paths()) for c in plot_layers(n, None)]
    assert got == [len(c.get_paths()) for c in plot_layers(seq, None)]
    assert got[-1] == len(regions.linear_regions(n, None)) == len(regions.linear_regions(seq, None))
    conv = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 1)
    ).eval()
    rng = np.random.default_rng(12)
    plane = regions.Plane.through(*(rng.normal(size=(1, 4, 4)) for _ in range(3)))
    colls = plot_layers(conv, None, plane=plane)
    assert len(colls[0].get_paths()) == len(regions.linear_regions(conv, None, plane=plane))
    plt.close("all")
