"""Neuron boundaries (bent hyperplanes) and the 3-D surface of the output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import itertools
from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
import torch
from conftest import Case

import regions
from regions.boundaries import neuron_boundaries, plot_boundaries
from regions.course import deep_model, mlp, shallow_model
from regions.network import Network
from regions.oracle import oracle_regions
from regions.plot import _lifted, plot_surface


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _flat(facets: list[np.ndarray]) -> np.ndarray:
    """The facets' 2-D shadows as Polygons."""
    idx = np.repeat(np.arange(len(facets)), [len(f) for f in facets])
    return shapely.polygons(shapely.linearrings(np.concatenate(facets)[:, :2], indices=idx))


def _interior_length(p: regions.Partition) -> float:
    """Half of (sum of region perimeters - domain perimeter): the length of the inner edges."""
    return float((shapely.length(p.polygons).sum() - p.domain.polygon.length) / 2)


def _oracle_unbounded(model: torch.nn.Module) -> int:
    """Unbounded regions of an MLP on the whole plane, from the rational oracle.

    In a box holding every vertex of the arrangement, the unbounded regions are the cells
    with an edge on the box's boundary. The box: the whole-plane extent padded by its size,
    checked to hold every vertex by a box twice as large giving the same cells per side.
    """
    lins = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    hidden = [(m.weight.detach().double().numpy(), m.bias.detach().double().numpy())
              for m in lins[:-1]]
    x0, y0, x1, y1 = regions.linear_regions(model, None).extent()
    cx, cy, s = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 1.0)

    def per_side(h: float) -> tuple[int, int]:
        box = (cx - h, cy - h, cx + h, cy + h)
        ring = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
        cells = oracle_regions(hidden, ring).cells
        on_side = [
            any(all(v[0] == c for v in (p, q)) for c in box[::2])
            or any(all(v[1] == c for v in (p, q)) for c in box[1::2])
            for verts, _ in cells for p, q in [*zip(verts, verts[1:] + verts[:1], strict=True)]
        ]
        edges = np.cumsum([0] + [len(v) for v, _ in cells])
        return len(cells), sum(any(on_side[a:b]) for a, b in itertools.pairwise(edges))

    small, large = per_side(1.5 * s), per_side(3 * s)
    assert small == large
    return small[1]


def _check_on_zero_sets(p: regions.Partition, b: regions.Boundaries, rtol: float = 1e-9) -> None:
    """Each edge lies on its neuron's zero set, between regions that differ in that neuron."""
    if not len(b):
        return
    pat = p.patterns
    k = np.arange(len(b))
    assert (pat[b.pairs[:, 0], b.unit] != pat[b.pairs[:, 1], b.unit]).all()
    # the first differing column: no earlier column differs
    first = np.argmax(pat[b.pairs[:, 0]] != pat[b.pairs[:, 1]], axis=1)
    assert (first == b.unit).all()
    # at three points of each edge the neuron's pre-activation is zero (relative to its terms)
    for t in (0.25, 0.5, 0.75):
        x = b.segments[:, 0] * (1 - t) + b.segments[:, 1] * t
        zs = p.network.preactivations(x)
        pre = np.concatenate(zs, axis=1)
        # size of the terms summed into each layer's pre-activation
        inputs = [np.abs(x), *(np.maximum(z, 0) for z in zs[:-1])]
        scale = np.concatenate(
            [a @ np.abs(w).T + np.abs(bias)
             for a, (w, bias) in zip(inputs, p.network.hidden, strict=True)],
            axis=1,
        )
        assert (np.abs(pre[k, b.unit]) <= rtol * scale[k, b.unit] + 1e-300).all()
    # each edge touches both regions' polygons
    d = shapely.distance(shapely.points(b.segments.mean(axis=1))[:, None], p.polygons[b.pairs])
    assert d.max() <= 1e-9 * max(1.0, float(np.abs(p.domain.bounds).max()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_nets_edges_on_zero_sets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    widths = [2, *rng.integers(3, 12, size=rng.integers(1, 4)).tolist(), 1]
    rng.integers(1 << 30)  # (once a torch seed, of no use: mlp seeds its own generator)
    p = regions.linear_regions(mlp(widths, int(rng.integers(1000))), bbox=(-4, -3, 5, 4))
    b = neuron_boundaries(p)
    assert len(b) > 0
    _check_on_zero_sets(p, b)
    assert np.isclose(b.lengths.sum(), _interior_length(p), rtol=1e-9)
    assert (b.layer == np.searchsorted(np.cumsum(b.widths), b.unit, side="right")).all()
    assert b.length_by_layer().shape == (len(widths) - 2,)


def test_all_paths_same_lengths_per_layer() -> None:
    model = deep_model()
    fast = neuron_boundaries(regions.linear_regions(model))
    ref = neuron_boundaries(regions.linear_regions(model, method="shapely"))
    np.testing.assert_allclose(fast.length_by_layer(), ref.length_by_layer(), rtol=1e-7)
    # the shapely path cuts the same edges at collinear points: more segments, same lengths
    n = sum(fast.widths)
    np.testing.assert_allclose(
        np.bincount(fast.unit, fast.lengths, n), np.bincount(ref.unit, ref.lengths, n), rtol=1e-7
    )


def test_whole_plane_rays_end_on_the_frame() -> None:
    p = regions.linear_regions(shallow_model(), bbox=None)
    b = neuron_boundaries(p)
    _check_on_zero_sets(p, b)
    assert np.isclose(b.lengths.sum(), _interior_length(p), rtol=1e-9)
    xmin, ymin, xmax, ymax = p.domain.bounds
    ends = b.segments.reshape(-1, 2)
    on_frame = np.isclose(ends[:, 0], xmin) | np.isclose(ends[:, 0], xmax) | np.isclose(
        ends[:, 1], ymin) | np.isclose(ends[:, 1], ymax)
    # one layer of 20 lines: 40 rays reach the frame, each once
    assert on_frame.sum() == 40
    assert (b.layer == 0).all() and (b.n_units == 1).all()


def test_non_convex_domain() -> None:
    domain = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])
    p = regions.linear_regions(mlp([2, 6, 5, 1], 3), domain)
    assert p.mesh is None
    b = neuron_boundaries(p)
    _check_on_zero_sets(p, b)
    assert np.isclose(b.lengths.sum(), _interior_length(p), rtol=1e-9)
    # one line x = 0.5 in an L: one edge, no stubs along the domain's edges
    one = regions.linear_regions(Network.from_arrays([([[1.0, 0.0]], [-0.5])], ([[1.0]], [0.0])),
                                 domain)
    b = neuron_boundaries(one)
    assert len(b) == 1 and one.extent() == (0.5, 0.0, 0.5, 4.0)


def test_no_stubs_at_narrow_angles_without_a_mesh() -> None:
    # two lines through 0 at angle 1e-5: the shared boundaries found by buffering also catch
    # the start of the next edge, which must not come back as an edge
    d = 1e-5
    net = Network.from_arrays(
        [([[0.0, 1.0], [-np.sin(d), np.cos(d)]], [0.0, 0.0])], ([[1.0, 1.0]], [0.0])
    )
    for method in ("fast", "shapely"):
        p = regions.linear_regions(net, (-1, -1, 1, 1), method=method)
        b = neuron_boundaries(p)
        assert len(b) == 4, method
        np.testing.assert_allclose(b.lengths, 1.0, rtol=1e-9)
        _check_on_zero_sets(p, b)


def test_degenerate_nets(degenerate_case: Case) -> None:
    p = regions.linear_regions(degenerate_case.net, degenerate_case.bbox)
    b = neuron_boundaries(p)
    _check_on_zero_sets(p, b)
    assert np.isclose(b.lengths.sum(), _interior_length(p), rtol=1e-9, atol=1e-12)


def test_duplicate_neurons_share_edges() -> None:
    net = Network.from_arrays(
        [([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [0.0, 0.0, 0.5])], ([[1.0, 1.0, 1.0]], [0.0])
    )
    b = neuron_boundaries(regions.linear_regions(net, (-1, -1, 1, 1)))
    # x = 0 (neurons 0 and 1, cut in two by y = -0.5) and y = -0.5 (cut in two by x = 0)
    assert sorted(zip(b.unit.tolist(), b.n_units.tolist(), strict=True)) == [
        (0, 2), (0, 2), (2, 1), (2, 1)
    ]


def test_stage_program_units() -> None:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = torch.nn.Linear(2, 6), torch.nn.Linear(6, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(torch.nn.functional.leaky_relu(self.a(x), 0.1))

    torch.manual_seed(4)
    p = regions.linear_regions(Net(), (-2, -2, 2, 2))
    b = neuron_boundaries(p)
    assert len(b) and (b.layer == 0).all() and b.unit.max() < 6
    assert np.isclose(b.lengths.sum(), _interior_length(p), rtol=1e-9)


def test_bad_input() -> None:
    p = regions.linear_regions(shallow_model())
    with pytest.raises(regions.ArgumentTypeError, match="partition must be"):
        neuron_boundaries("p")
    with pytest.raises(regions.ParameterError, match="merged"):
        neuron_boundaries(p.merged())
    with pytest.raises(regions.ParameterError, match="color_by"):
        plot_boundaries(p, color_by="region")
    with pytest.raises(regions.ParameterError, match="3-D Axes"):
        plot_surface(p, ax=plt.subplots()[1])
    with pytest.raises(regions.ParameterError, match="color_by"):
        plot_surface(p, color_by="height")
    with pytest.raises(ValueError, match="output"):
        plot_surface(p, output=1)
    for kw in ({"cmap": "nope"}, {"linewidth": "thick"}, {"linewidth": -1.0}):
        with pytest.raises(regions.ParameterError, match=next(iter(kw))):
            plot_boundaries(p, **kw)
        with pytest.raises(regions.ParameterError, match=next(iter(kw))):
            plot_surface(p, **kw)
    with pytest.raises(regions.ParameterError, match="vmin must be <= vmax"):
        plot_surface(p, color_by="dx", vmin=5.0, vmax=1.0)
    with pytest.raises(regions.ArgumentTypeError, match="ax must be a matplotlib Axes"):
        plot_boundaries(p, ax="ax")
    with pytest.raises(regions.ParameterError, match="cmap"):
        regions.plot_partition(p, cmap="nope")


def test_plot_boundaries_layers_and_neurons() -> None:
    p = regions.linear_regions(deep_model())
    b = neuron_boundaries(p)
    lines = plot_boundaries(p)
    assert len(lines) == 4
    assert [len(c.get_segments()) for c in lines] == np.bincount(b.layer, minlength=4).tolist()
    assert len({tuple(c.get_color()[0]) for c in lines}) == 4
    assert lines[0].get_label() == "layer 1 (5 neurons)"
    (one,) = plot_boundaries(p, color_by="neuron", legend=False, frame=False)
    assert len(one.get_segments()) == len(b)
    assert len(np.unique(one.get_color(), axis=0)) == len(np.unique(b.unit))


def test_plot_boundaries_disk_view() -> None:
    w = regions.linear_regions(deep_model(), bbox=None)
    b = neuron_boundaries(w)
    lines = plot_boundaries(w, view="disk")
    assert [len(c.get_segments()) for c in lines] == np.bincount(b.layer, minlength=4).tolist()
    pts = np.concatenate([np.concatenate(c.get_segments()) for c in lines])
    assert np.hypot(pts[:, 0], pts[:, 1]).max() <= 1.0
    # every ray reaches the circle at infinity
    ends = np.array([s[-1] for c in lines for s in c.get_segments()])
    starts = np.array([s[0] for c in lines for s in c.get_segments()])
    r = np.maximum(np.hypot(*ends.T), np.hypot(*starts.T))
    # k rays to infinity separate k unbounded regions (in their cyclic order)
    assert (r >= 0.99).sum() == (~w.bounded).sum() == _oracle_unbounded(deep_model())
    with pytest.raises(regions.ParameterError, match="whole plane"):
        plot_boundaries(regions.linear_regions(deep_model()), view="disk")
    with pytest.raises(regions.ParameterError, match="view"):
        plot_boundaries(w, view="sphere")
    with pytest.raises(regions.ParameterError, match="scale"):
        plot_boundaries(w, view="disk", scale=-1.0)


def test_plot_surface_heights_are_the_network() -> None:
    model = mlp([2, 8, 8, 1], 5).double()
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    facets, owner, _, z = _lifted(p, 0)
    assert (owner == np.arange(len(p))).all()
    xyz = np.concatenate(facets)
    with torch.no_grad():
        y = model(torch.tensor(xyz[:, :2])).double().numpy()[:, 0]
    np.testing.assert_allclose(xyz[:, 2], y, rtol=1e-9, atol=1e-9)
    # facets are the regions' polygons, lifted
    rings = _flat(facets)
    np.testing.assert_allclose(shapely.area(rings), p.areas, rtol=1e-12)
    coll = plot_surface(p)
    assert len(coll.get_array()) == len(p)
    zlo, zhi = coll.axes.get_zlim()
    assert zlo < z.min() and z.max() < zhi
    coll.axes.figure.canvas.draw()


def test_plot_surface_merged_with_hole() -> None:
    # relu(1 - |x| - |y|): zero outside the diamond, one merged region with a hole
    net = Network.from_arrays(
        [
            ([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [0.0, 0.0, 0.0, 0.0]),
            ([[-1.0, -1.0, -1.0, -1.0]], [1.0]),
        ],
        ([[1.0]], [0.0]),
    )
    p = regions.linear_regions(net, (-3, -3, 3, 3)).merged()
    holed = shapely.get_num_interior_rings(p.polygons) > 0
    assert holed.sum() == 1 and len(p) == 5
    facets, owner, _, _ = _lifted(p, 0)
    # the holed region as triangles: the facets tile the box, each at its region's height
    area = shapely.area(_flat(facets))
    assert np.isclose(area.sum(), 36.0, rtol=1e-12)
    np.testing.assert_allclose(np.bincount(owner, weights=area), p.areas, rtol=1e-12)
    assert (np.concatenate([f[:, 2] for f, r in zip(facets, owner, strict=True)
                            if holed[r]]) == 0).all()
    coll = plot_surface(p, color_by="region")
    assert len(coll.get_facecolor()) == len(facets)


def test_extent_of_a_bounded_domain_is_the_same_for_every_method() -> None:
    # lines x + y = c for c in (0, 1, -1): the box of their pieces in [-3, 3]^2 is the box,
    # in [-3, 3] x [-0.5, 0.5] the band the three lines cross
    net = Network.from_arrays([([[1.0, 1.0]] * 3, [0.0, -1.0, 1.0])], ([[1.0, 1.0, 1.0]], [0.0]))
    for box, expect in (((-3, -3, 3, 3), (-3, -3, 3, 3)),
                        ((-3, -0.5, 3, 0.5), (-1.5, -0.5, 1.5, 0.5))):
        for p in (regions.linear_regions(net, box),
                  regions.linear_regions(net, box, method="shapely"),
                  regions.linear_regions(net, box).merged()):
            np.testing.assert_allclose(p.extent(), expect, atol=1e-9)
    # a line inside a small part of the box: the extent is that part
    net = Network.from_arrays(
        [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [-1.0])], ([[1.0]], [0.0])
    )
    p = regions.linear_regions(net, (-2, -2, 2, 2))
    assert p.extent() == (-2.0, -2.0, 2.0, 2.0)
    one = regions.linear_regions(Network.from_arrays([], ([[1.0, 0.0]], [0.0])), (-1, -1, 1, 1))
    assert one.extent() is None
