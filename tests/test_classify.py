"""Exact decision boundaries and class regions of ReLU classifiers, checked against torch."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import copy
from collections.abc import Iterator
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
import torch
from matplotlib.collections import LineCollection, PathCollection

import regions
from regions.classify import (
    ClassCells,
    DecisionBoundary,
    class_cells,
    class_regions,
    decision_boundary,
    plot_class_regions,
    plot_decision_boundary,
    predict_class,
)
from regions.course import mlp
from regions.network import Network
from regions.tolerance import SUM_RTOL

BOX = (-3.0, -3.0, 3.0, 3.0)
DIAMETER = float(np.hypot(6.0, 6.0))
#: seeds of 2-32-32-3 nets that predict all three classes somewhere in BOX
SEEDS = (1, 2)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _torch_class(model: Any, pts: np.ndarray) -> np.ndarray:
    """argmax of a float64 copy of the torch model (sign rule for one output)."""
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        y = m(torch.tensor(pts, dtype=torch.float64)).numpy().reshape(len(pts), -1)
    if y.shape[1] == 1:
        return (y[:, 0] > 0).astype(np.int64)
    return y.argmax(axis=1)


def _linear(weight: list[list[float]], bias: list[float]) -> torch.nn.Module:
    lin = torch.nn.Linear(2, len(bias))
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(weight))
        lin.bias.copy_(torch.tensor(bias))
    return torch.nn.Sequential(lin).eval()


@pytest.fixture(scope="module", params=SEEDS)
def classifier(request: pytest.FixtureRequest) -> tuple[Any, Any, DecisionBoundary]:
    model = mlp((2, 32, 32, 3), seed=request.param)
    p = regions.linear_regions(model, BOX)
    return model, p, decision_boundary(p)


def _sides(db: DecisionBoundary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Midpoint, unit normal and length of the longest edge of each piece."""
    xy, idx = shapely.get_coordinates(db.lines, return_index=True)
    same = idx[1:] == idx[:-1]
    start, stop = xy[:-1][same], xy[1:][same]
    owner = idx[:-1][same]
    length = np.hypot(*(stop - start).T)
    order = np.lexsort((-length, owner))
    first = order[np.searchsorted(owner[order], np.arange(len(db)))]
    mid = 0.5 * (start[first] + stop[first])
    d = (stop[first] - start[first]) / length[first, None]
    return mid, np.column_stack([-d[:, 1], d[:, 0]]), length[first]


# ------------------------------------------------------------------ random classifiers
def test_every_piece_separates_its_two_classes(classifier: Any) -> None:
    model, p, db = classifier
    assert len(db) > 0 and db.n_classes == 3
    assert db.pairs.shape == db.regions.shape == (len(db), 2)
    assert (db.pairs[:, 0] < db.pairs[:, 1]).all()
    assert {tuple(r) for r in db.pairs.tolist()} <= {(0, 1), (0, 2), (1, 2)}
    # no micro-edges left over from the cells' vertices that differ in the last bits
    xy, idx = shapely.get_coordinates(db.lines, return_index=True)
    same = idx[1:] == idx[:-1]
    assert (np.hypot(*np.diff(xy, axis=0)[same].T) > 1e-9 * DIAMETER).all()
    mid, normal, length = _sides(db)
    step = np.minimum(1e-7 * DIAMETER, 0.01 * length)[:, None]
    plus, minus = mid + step * normal, mid - step * normal
    cp, cm = _torch_class(model, plus), _torch_class(model, minus)
    assert (cp != cm).all()
    np.testing.assert_array_equal(np.sort(np.column_stack([cp, cm]), axis=1), db.pairs)
    # the side of class pairs[:, 0] lies in region regions[:, 0], and so on
    low = np.where((cp == db.pairs[:, 0])[:, None], plus, minus)
    high = np.where((cp == db.pairs[:, 0])[:, None], minus, plus)
    np.testing.assert_array_equal(p.locate(low), db.regions[:, 0])
    np.testing.assert_array_equal(p.locate(high), db.regions[:, 1])


def test_dense_grid_changes_class_only_across_the_boundary(classifier: Any) -> None:
    model, p, db = classifier
    n = 400
    xs = np.linspace(BOX[0], BOX[2], n)
    gx, gy = np.meshgrid(xs, xs)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    cls = _torch_class(model, pts).reshape(n, n)
    starts, stops = [], []
    for axis in (0, 1):
        a = cls.take(range(n - 1), axis=axis)
        b = cls.take(range(1, n), axis=axis)
        ii, jj = np.nonzero(a != b)
        starts.append(np.column_stack([gx[ii, jj], gy[ii, jj]]))
        di, dj = (1, 0) if axis == 0 else (0, 1)
        stops.append(np.column_stack([gx[ii + di, jj + dj], gy[ii + di, jj + dj]]))
    seg = shapely.linestrings(np.stack([np.concatenate(starts), np.concatenate(stops)], axis=1))
    assert len(seg) > 50
    geom = db.geometry
    assert shapely.dwithin(seg, geom, 1e-9 * DIAMETER).all()
    # and the exact prediction agrees with torch away from the boundary
    far = ~shapely.dwithin(shapely.points(pts), geom, 1e-9 * DIAMETER)
    np.testing.assert_array_equal(predict_class(p, pts[far]), cls.ravel()[far])


def test_class_regions_tile_the_domain_by_predicted_class(classifier: Any) -> None:
    model, p, db = classifier
    cr = class_regions(p)
    assert cr.shape == (3,)
    assert all(g.geom_type == "MultiPolygon" for g in cr)
    assert shapely.is_valid(cr).all()
    areas = shapely.area(cr)
    assert abs(areas.sum() - p.domain.area) <= SUM_RTOL * p.domain.area
    for a in range(3):
        for b in range(a + 1, 3):
            assert shapely.intersection(cr[a], cr[b]).area <= 1e-12 * p.domain.area
    rng = np.random.default_rng(0)
    pts = rng.uniform(BOX[:2], BOX[2:], size=(5000, 2))
    pts = pts[~shapely.dwithin(shapely.points(pts), db.geometry, 1e-9 * DIAMETER)]
    inside = np.column_stack([shapely.contains_xy(g, pts[:, 0], pts[:, 1]) for g in cr])
    assert (inside.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(inside.argmax(axis=1), _torch_class(model, pts))
    # the boundaries of the class regions, less the domain's boundary, are the
    # decision boundary (each class is snap-rounded on its own: compare within a hair)
    hair = 1e-9 * DIAMETER
    rim = shapely.buffer(p.domain.polygon.boundary, hair)
    inner = shapely.difference(shapely.union_all(shapely.boundary(cr)), rim)
    assert shapely.difference(inner, shapely.buffer(db.geometry, hair)).length < 10 * hair
    away = shapely.difference(db.geometry, rim)
    assert shapely.difference(away, shapely.buffer(inner, hair)).length < 10 * hair


def test_class_cells_match_torch_and_cover_each_region(classifier: Any) -> None:
    model, p, _ = classifier
    cc = class_cells(p)
    assert isinstance(cc, ClassCells) and len(cc) >= len(p)
    pts = shapely.get_coordinates(shapely.point_on_surface(cc.polygons))
    np.testing.assert_array_equal(_torch_class(model, pts), cc.classes)
    per_region = np.bincount(cc.regions, shapely.area(cc.polygons), minlength=len(p))
    np.testing.assert_allclose(per_region, p.areas, rtol=0, atol=SUM_RTOL * p.domain.area)


# ------------------------------------------------------------------ by hand
def test_three_linear_logits_give_three_rays() -> None:
    model = _linear([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0, 0.0, 0.0])
    p = regions.linear_regions(model, (-1, -1, 1, 1))
    db = decision_boundary(p)
    expected = {
        (0, 1): shapely.LineString([(0, 0), (1, 1)]),  # x = y
        (0, 2): shapely.LineString([(0, 0), (0.5, -1)]),  # x = -x - y
        (1, 2): shapely.LineString([(0, 0), (-1, 0.5)]),  # y = -x - y
    }
    assert {tuple(r) for r in db.pairs.tolist()} == set(expected)
    for pair, line in expected.items():
        got = shapely.line_merge(shapely.multilinestrings(db.lines[(db.pairs == pair).all(axis=1)]))
        assert shapely.hausdorff_distance(got, line) < 1e-12
    assert db.length == pytest.approx(2**0.5 + 5**0.5, rel=1e-14)
    areas = shapely.area(class_regions(p))
    np.testing.assert_allclose(areas, [1.25, 1.25, 1.5], rtol=1e-14)


def test_one_hidden_layer_square_and_diagonals() -> None:
    # logits |x|, |y| and 1/2: class 2 on the square max(|x|, |y|) < 1/2,
    # classes 0 and 1 outside it, split by the diagonals |x| = |y|
    net = Network.from_arrays(
        [([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [0.0] * 4)],
        ([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0] * 4], [0.0, 0.0, 0.5]),
    )
    p = regions.linear_regions(net, (-1, -1, 1, 1))
    db = decision_boundary(p)
    length = {
        pair: float(db.lengths[(db.pairs == pair).all(axis=1)].sum())
        for pair in [(0, 1), (0, 2), (1, 2)]
    }
    assert length[(0, 1)] == pytest.approx(4 * 0.5 * 2**0.5, rel=1e-14)
    assert length[(0, 2)] == pytest.approx(2.0, rel=1e-14)
    assert length[(1, 2)] == pytest.approx(2.0, rel=1e-14)
    square = shapely.box(-0.5, -0.5, 0.5, 0.5)
    cr = class_regions(p)
    assert shapely.symmetric_difference(cr[2], square).area < 1e-14
    np.testing.assert_allclose(shapely.area(cr), [1.5, 1.5, 1.0], rtol=1e-14)
    assert len(cr[0].geoms) == 2 and len(cr[1].geoms) == 2


def test_ties_go_to_the_lowest_index() -> None:
    # logits x, x, y: class 1 always ties with class 0 and never wins
    model = _linear([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [0.0, 0.0, 0.0])
    p = regions.linear_regions(model, (-1, -1, 1, 1))
    db = decision_boundary(p)
    assert db.pairs.tolist() == [[0, 2]]
    assert db.length == pytest.approx(2 * 2**0.5, rel=1e-14)
    cr = class_regions(p)
    assert cr[1].is_empty and cr[1].geom_type == "MultiPolygon"
    np.testing.assert_allclose(shapely.area(cr), [2.0, 0.0, 2.0], rtol=1e-14)
    # the same order as torch.argmax
    pts = np.array([[0.5, 0.0], [-0.5, 0.0]])
    np.testing.assert_array_equal(predict_class(p, pts), _torch_class(model, pts))
    # identical logits everywhere: one class, no boundary
    const = _linear([[0.0, 0.0]] * 3, [1.0, 1.0, 1.0])
    pc = regions.linear_regions(const, (-1, -1, 1, 1))
    assert len(decision_boundary(pc)) == 0
    assert decision_boundary(pc).length == 0.0
    np.testing.assert_allclose(shapely.area(class_regions(pc)), [4.0, 0.0, 0.0])


# ------------------------------------------------------------------ one output
def test_one_output_boundary_is_the_zero_set() -> None:
    model = _linear([[1.0, 0.0]], [0.25])  # y = x + 1/4
    p = regions.linear_regions(model, (-1, -1, 1, 1))
    db = decision_boundary(p)
    assert db.n_classes == 2 and db.pairs.tolist() == [[0, 1]]
    assert (
        shapely.hausdorff_distance(db.geometry, shapely.LineString([(-0.25, -1), (-0.25, 1)])) == 0
    )
    np.testing.assert_allclose(shapely.area(class_regions(p)), [1.5, 2.5], rtol=1e-14)
    # y == 0 is class 0, as (y > 0)
    assert predict_class(p, [[-0.25, 0.0], [0.0, 0.0]]).tolist() == [0, 1]


def test_one_output_random_net_sign_changes_across_the_boundary() -> None:
    model = mlp((2, 16, 16, 1), seed=3)
    p = regions.linear_regions(model, BOX)
    db = decision_boundary(p)
    assert len(db) > 0 and (db.pairs == [0, 1]).all()
    mid, normal, length = _sides(db)
    step = np.minimum(1e-7 * DIAMETER, 0.01 * length)[:, None]
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        yp = m(torch.tensor(mid + step * normal)).numpy()[:, 0]
        ym = m(torch.tensor(mid - step * normal)).numpy()[:, 0]
        y0 = m(torch.tensor(mid)).numpy()[:, 0]
    assert (yp * ym < 0).all()
    scale = float(np.abs(p.offsets).max() + np.abs(p.jacobians).max() * 3)
    assert np.abs(y0).max() <= 1e-9 * scale
    assert abs(shapely.area(class_regions(p)).sum() - p.domain.area) <= SUM_RTOL * p.domain.area


def test_degenerate_one_output_nets(degenerate_case: Any) -> None:
    # the registry's nets have one output: the boundary is the zero set of y
    p = regions.linear_regions(degenerate_case.net, degenerate_case.bbox)
    cr = class_regions(p)
    assert abs(shapely.area(cr).sum() - p.domain.area) <= SUM_RTOL * p.domain.area
    db = decision_boundary(p)
    assert (db.pairs == [0, 1]).all()
    if len(db):
        mid, normal, length = _sides(db)
        step = 1e-3 * length[:, None]
        yp = p.network.forward(mid + step * normal)[:, 0]
        ym = p.network.forward(mid - step * normal)[:, 0]
        assert ((yp > 0) != (ym > 0)).all()
    rng = np.random.default_rng(1)
    xmin, ymin, xmax, ymax = p.domain.bounds
    pts = rng.uniform((xmin, ymin), (xmax, ymax), size=(500, 2))
    pts = pts[shapely.contains_xy(p.domain.polygon, pts[:, 0], pts[:, 1])]
    if len(db):
        pts = pts[~shapely.dwithin(shapely.points(pts), db.geometry, 1e-9)]
    inside = shapely.contains_xy(cr[1], pts[:, 0], pts[:, 1])
    np.testing.assert_array_equal(inside, p.network.forward(pts)[:, 0] > 0)


# ------------------------------------------------------------------ other partitions
def test_merged_non_convex_and_whole_plane_partitions() -> None:
    model = mlp((2, 16, 16, 3), seed=5)
    p = regions.linear_regions(model, BOX)
    db = decision_boundary(p)
    dm = decision_boundary(p.merged())
    assert dm.length == pytest.approx(db.length, rel=1e-9)
    assert shapely.hausdorff_distance(dm.geometry, db.geometry) < 1e-9
    ell = shapely.Polygon([(-3, -3), (3, -3), (3, 0), (0, 0), (0, 3), (-3, 3)])
    pe = regions.linear_regions(model, ell)
    cr = class_regions(pe)
    assert abs(shapely.area(cr).sum() - ell.area) <= SUM_RTOL * ell.area
    assert shapely.difference(decision_boundary(pe).geometry, ell.buffer(1e-9)).is_empty
    pw = regions.linear_regions(model, None)
    cw = class_cells(pw)
    assert abs(shapely.area(cw.polygons).sum() - pw.domain.area) <= SUM_RTOL * pw.domain.area
    dw = decision_boundary(pw)
    assert len(dw) > 0
    assert shapely.covered_by(dw.geometry, shapely.box(*pw.domain.bounds).buffer(1e-9))


# ------------------------------------------------------------------ plots and errors
def test_plots_return_artists() -> None:
    model = mlp((2, 16, 3), seed=1)
    p = regions.linear_regions(model, BOX)
    db = decision_boundary(p)
    fig, ax = plt.subplots()
    lc = plot_decision_boundary(p, ax)
    assert isinstance(lc, LineCollection) and len(lc.get_segments()) == len(db)
    lc2 = plot_decision_boundary(db, ax, by_pair=True, linestyle="--")
    assert isinstance(lc2, LineCollection) and len(lc2.get_segments()) == len(db)
    artists = plot_class_regions(p, ax)
    assert isinstance(artists[0], PathCollection) and isinstance(artists[1], LineCollection)
    assert len(artists[0].get_paths()) == 3
    (only,) = plot_class_regions(p, boundary=False, cmap="viridis")
    assert isinstance(only, PathCollection)
    assert only.axes.get_xlim() == (BOX[0], BOX[2])
    new = plot_decision_boundary(p)
    assert new.axes is not ax
    fig.canvas.draw()


def test_invalid_input_raises() -> None:
    model = mlp((2, 8, 3), seed=0)
    for fn in (decision_boundary, class_regions, class_cells, plot_class_regions):
        with pytest.raises(TypeError, match="regions.Partition"):
            fn(model)
    with pytest.raises(TypeError, match="regions.Partition"):
        plot_decision_boundary("not a partition")
    p = regions.linear_regions(model, BOX)
    with pytest.raises(regions.InputDimensionError):
        predict_class(p, [1.0, 2.0])


def test_whole_plane_classes_are_all_inside_the_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    # the whole plane's class cells and decision boundary are cut on a frame that holds every
    # vertex of the boundary too: a 50x wider frame finds the same classes meeting and the
    # same pieces of each class (before, y = x - 5 had no boundary)
    import regions.classify as classify

    frame = classify._boundary_frame

    def wider(p: regions.Partition) -> tuple[float, float, float, float]:
        f = frame(p) or p.domain.bounds
        cx, cy, h = (f[0] + f[2]) / 2, (f[1] + f[3]) / 2, 50 * max(f[2] - f[0], f[3] - f[1])
        return (cx - h, cy - h, cx + h, cy + h)

    def summary(w: regions.Partition) -> tuple[Any, ...]:
        # the classes that meet and the connected pieces of each class (a wider frame only
        # lengthens the pieces that run to infinity; a straight piece may cross into another
        # region out there, which is no vertex of the boundary)
        db = decision_boundary(w)
        parts = [len(shapely.get_parts(g)) for g in class_regions(w)]
        return set(map(tuple, db.pairs.tolist())), parts

    line = Network.from_arrays([], ([[1.0, 0.0]], [-5.0]))
    nets = [line]
    for seed in range(16):
        rng = np.random.default_rng(seed)
        k = int(rng.integers(1, 5))
        if seed % 2:
            nets.append(Network.from_arrays(
                [(rng.integers(-2, 3, (k, 2)).astype(float), rng.integers(-3, 4, k).astype(float))],
                (rng.integers(-2, 3, (3, k)).astype(float), rng.integers(-3, 4, 3).astype(float)),
            ))
        else:
            n_out = int(rng.integers(1, 5))
            nets.append(Network.from_arrays(
                [(rng.normal(size=(k, 2)), rng.normal(size=k))],
                (rng.normal(size=(n_out, k)), 5 * rng.normal(size=n_out)),
            ))
    for net in nets:
        w = regions.linear_regions(net, None)
        ours = summary(w)
        with monkeypatch.context() as m:
            m.setattr(classify, "_boundary_frame", wider)
            assert summary(w) == ours
    db = decision_boundary(regions.linear_regions(line, None))
    assert len(db) == 1 and np.allclose(shapely.get_coordinates(db.lines[0])[:, 0], 5.0)
    assert not class_regions(regions.linear_regions(line, None))[1].is_empty


def _island(y0_weights: list[float], y0_bias: float) -> Network:
    # hidden x, -x, y, -y; logits y0 (given), y1 = 0, y2 = 1 - 10 (|x| + |y|): class 2 is a
    # diamond of radius 0.1 (area 0.02) around the origin
    return Network.from_arrays(
        [([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [0.0] * 4)],
        ([y0_weights, [0.0] * 4, [-10.0] * 4], [y0_bias, 0.0, 1.0]),
    )


def test_whole_plane_class_frame_ignores_crossings_that_do_not_bend() -> None:
    # y0 = x - 1e-12 y - 1000 meets the region boundary x = 0 near y = -1e15, but y0 - y1 is
    # the same on both sides: no vertex of the decision boundary there
    w = regions.linear_regions(_island([1.0, -1.0, -1e-12, 1e-12], -1000.0), None)
    cc = class_cells(w)
    assert max(abs(v) for v in cc.bounds) < 1e4
    assert np.isclose(class_regions(w)[2].area, 0.02, rtol=1e-9)
    db = decision_boundary(w)
    assert int((db.pairs == 2).any(axis=1).sum()) == 4
    assert np.isclose(db.lengths[(db.pairs == 2).any(axis=1)].sum(), 0.4 * np.sqrt(2))


def test_whole_plane_class_frame_far_lines_and_its_limit() -> None:
    # the tie line x = 1e5 has no vertex: the frame still reaches it, and the island stays
    w = regions.linear_regions(_island([1.0, -1.0, 0.0, 0.0], -1e5), None)
    db = decision_boundary(w)
    assert int((db.pairs == 2).any(axis=1).sum()) == 4
    far = db.lines[(db.pairs == [0, 1]).all(axis=1)]
    assert len(far) and np.allclose(shapely.get_coordinates(far)[:, 0], 1e5)
    assert np.isclose(class_regions(w)[2].area, 0.02, rtol=1e-6)
    # at 1e9 (over 1e6 frames away) one frame cannot hold both: a clear error, not a loss
    w = regions.linear_regions(_island([1.0, -1.0, 0.0, 0.0], -1e9), None)
    with pytest.raises(regions.DomainError, match="pass a bbox"):
        decision_boundary(w)
    assert regions.predict_class(w, [[0.0, 0.0], [2e9, 0.0]]).tolist() == [2, 0]


@pytest.mark.parametrize("seed", [2, 3, 14])
def test_class_regions_perimeters_match_the_decision_boundary(seed: int) -> None:
    # each piece of the decision boundary is on the boundary of two class regions, so the
    # class perimeters sum to twice its length plus the box's perimeter: a notch left
    # along an edge shared by two cells of one class (QA: 2.19 too long) breaks this
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 12 + 4 * (seed == 2)), torch.nn.ReLU(),
        torch.nn.Linear(12 + 4 * (seed == 2), 12 + 4 * (seed == 2)), torch.nn.ReLU(),
        torch.nn.Linear(12 + 4 * (seed == 2), 3),
    )
    with torch.no_grad():
        model[4].weight.mul_(5)
        if seed == 2:
            model[4].bias.zero_()
    p = regions.linear_regions(model, bbox=(-3, -3, 3, 3))
    cr = p.class_regions()
    perimeters = sum(float(g.boundary.length) for g in cr if not g.is_empty)
    assert abs((perimeters - 24.0) / 2 - p.decision_boundary().length) < 1e-9
    assert abs(sum(float(g.area) for g in cr) - 36.0) < 1e-9
