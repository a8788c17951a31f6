"""Exact decision boundaries of a ReLU classifier over its linear regions.

The predicted class of a network with ``n_out`` outputs (logits) is
``argmax_k y_k``. On each linear region the logits are affine, so the set of
points of a region where class ``k`` wins is the region clipped by the
half-planes ``y_k - y_j >= 0`` for every other class ``j``: a *class cell*,
convex when the region is. The class cells of all regions tile the domain, and
the decision boundary is made of the edges that two class cells of different
classes share: inside a region (where two logits tie and are the largest) and
across region boundaries (where the affine maps change and the winning class
with them).

Tie rule
    As :func:`torch.argmax`, a tie goes to the lowest class index. This only
    matters on a set of zero area, except where two logits are identical on a
    whole region: then the region belongs to the lower index and no boundary
    runs between them.

One output
    A network with one output is a binary classifier on the sign of its
    output: class 1 where ``y > 0`` and class 0 where ``y <= 0`` (the same as
    the argmax of the logits ``(0, y)``, or ``sigmoid(y) > 1/2``), so its
    decision boundary is the zero set ``y = 0`` and there are two classes.

Tolerances
    The logit difference ``d = y_k - y_j`` is evaluated at the vertices of each
    cell and snapped to zero when ``|d| <= ZERO_RTOL * (|y_k| + |y_j|)`` with
    the terms summed in the affine maps (the zero test of
    :mod:`regions.tolerance`): a cell is cut only when ``d`` is beyond the band
    on both sides, a tie line through a vertex passes exactly through it, and a
    piece with no vertex strictly on its own side is a sliver and dropped.
    Two class cells share an edge when the boundary of one runs within a hair
    (``EDGE_RTOL`` of the domain's diameter) of the other over more than ten
    hairs, as in :func:`regions.plot.region_adjacency`; each end of a shared
    piece is moved to the nearest vertex of the two cells. The class regions
    are unions snap-rounded on the grid of
    :func:`~regions.tolerance.noise_width` (rounded up to a power of two).

The cuts are shapely's vectorized overlays over the arrays of cells, as in
:mod:`regions.shapely_split`; Python loops run only over pairs of classes.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import real_array
from ._validate import check_flag
from .errors import ArgumentTypeError, DomainError, ParameterError, TopologyError
from .shapely_split import _cutters, _polygon_parts
from .tolerance import EDGE_RTOL, SUM_RTOL, ZERO_RTOL, noise_width

__all__ = [
    "CLASS_FRAME_MAX",
    "ClassCells",
    "DecisionBoundary",
    "class_cells",
    "class_regions",
    "decision_boundary",
    "predict_class",
    "plot_class_regions",
    "plot_decision_boundary",
]

#: shapely type id of LineString.
_LINESTRING_ID = 1
#: shapely type ids of multi-part geometries (MultiPoint ... GeometryCollection).
_FIRST_MULTI_ID = 4


@dataclass(frozen=True, eq=False)
class ClassCells:
    """The pieces of the linear regions on which one class wins.

    Parameters
    ----------
    polygons : (M,) object array of shapely.Polygon
        The class cells (counter-clockwise exteriors); their interiors are
        disjoint and they tile the domain.
    regions : (M,) int64 array
        The linear region each cell lies in.
    classes : (M,) int64 array
        The class predicted on each cell.
    n_classes : int
        ``n_out``, or 2 for a one-output network.
    bounds : (xmin, ymin, xmax, ymax)
        The box the cells tile: the domain's, or for a whole plane a frame
        holding every vertex of the regions and of the decision boundary.
    hair : float
        Two cells share an edge when one's boundary runs within this distance
        of the other's: ``EDGE_RTOL`` of the regions' domain diameter (a whole
        plane: its frame's), plus the rounding width of ``bounds``.
    """

    polygons: np.ndarray
    regions: np.ndarray
    classes: np.ndarray
    n_classes: int
    bounds: tuple[float, float, float, float]
    hair: float

    def __len__(self) -> int:
        return int(self.polygons.shape[0])


@dataclass(frozen=True, eq=False)
class DecisionBoundary:
    """The exact decision boundary of a classifier, as line pieces.

    Parameters
    ----------
    lines : (K,) object array of shapely.LineString
        The boundary pieces: each is (part of) the edge shared by two class
        cells of different classes, a straight segment or a short polyline.
    pairs : (K, 2) int64 array
        The two classes on either side of each piece, ``pairs[:, 0] <
        pairs[:, 1]``.
    regions : (K, 2) int64 array
        The linear region on the side of ``pairs[:, 0]`` and on the side of
        ``pairs[:, 1]`` (equal when the piece runs inside a region, where two
        logits tie).
    n_classes : int
        Number of classes (``n_out``, or 2 for a one-output network).
    """

    lines: np.ndarray
    pairs: np.ndarray
    regions: np.ndarray
    n_classes: int

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    @property
    def geometry(self) -> Any:
        """All pieces as one shapely ``MultiLineString``."""
        import shapely

        return shapely.multilinestrings(self.lines)

    @property
    def lengths(self) -> np.ndarray:
        """(K,) float64 array: the length of each piece."""
        import shapely

        return np.asarray(shapely.length(self.lines), dtype=np.float64)

    @property
    def length(self) -> float:
        """Total length of the decision boundary."""
        return float(self.lengths.sum())


def _check_partition(partition: Any) -> Any:
    from .partition import Partition

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    n_out = int(partition.network.n_out)
    if n_out < 1:
        raise ParameterError(f"a classifier needs at least one output, the network has {n_out}")
    return partition


def _logit_maps(partition: Any) -> tuple[np.ndarray, np.ndarray]:
    """Affine maps of the logits on each region, ``(0, y)`` for one output.

    Returns
    -------
    jac : (R, C, 2) float64 array
    off : (R, C) float64 array
    """
    jac, off = partition.jacobians, partition.offsets
    if jac.shape[1] == 1:
        jac = np.concatenate([np.zeros_like(jac), jac], axis=1)
        off = np.concatenate([np.zeros_like(off), off], axis=1)
    return jac, off


def predict_class(partition: Any, points: Any) -> np.ndarray:
    """Predicted class at points, with the exact affine maps and the tie rule.

    Parameters
    ----------
    partition : Partition
    points : (P, 2) array-like of float

    Returns
    -------
    classes : (P,) int64 array
        ``argmax`` of the logits (lowest index on a tie; for one output, 1
        where ``y > 0`` else 0); ``-1`` outside the domain.

    Examples
    --------
    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]))
    >>> p = regions.linear_regions(net, (-1, -1, 1, 1))
    >>> predict_class(p, [[0.5, 0.0], [0.0, 0.5], [0.2, 0.2], [3.0, 0.0]]).tolist()
    [0, 1, 0, -1]
    """
    p = _check_partition(partition)
    idx = p.locate(points)  # validates the points
    pts = real_array(points)
    jac, off = _logit_maps(p)
    inside = idx >= 0
    out = np.full(len(pts), -1, dtype=np.int64)
    r = idx[inside]
    logits = np.einsum("pcj,pj->pc", jac[r], pts[inside]) + off[r]
    out[inside] = np.argmax(logits, axis=1)
    return out


def _vertex_diff(
    cells: np.ndarray, owner: np.ndarray, jac: np.ndarray, off: np.ndarray, k: int, j: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Snapped ``y_k - y_j`` at the vertices of each cell.

    Returns
    -------
    xy : (V, 2) float64 array
    idx : (V,) int64 array
        Cell of each vertex.
    d : (V,) float64 array
        ``y_k - y_j``, set to exactly 0.0 inside the zero band.
    dmax, dmin : (M,) float64 arrays
        Largest and smallest ``d`` over each cell's vertices.
    """
    import shapely

    xy, idx = shapely.get_coordinates(cells, return_index=True)
    r = owner[idx]
    yk = np.einsum("vi,vi->v", jac[r, k], xy) + off[r, k]
    yj = np.einsum("vi,vi->v", jac[r, j], xy) + off[r, j]
    # the terms summed to form y_k and y_j bound their rounding error
    s = np.abs(xy).max(axis=1, initial=0.0)
    scale = (np.abs(jac[r, k]).sum(axis=1) + np.abs(jac[r, j]).sum(axis=1)) * s + (
        np.abs(off[r, k]) + np.abs(off[r, j])
    )
    d = yk - yj
    d[np.abs(d) <= ZERO_RTOL * scale] = 0.0
    if len(cells) == 0:
        return xy, idx, d, np.zeros(0), np.zeros(0)
    first = np.zeros(len(cells), dtype=np.int64)
    np.cumsum(shapely.get_num_coordinates(cells)[:-1], out=first[1:])
    return xy, idx, d, np.maximum.reduceat(d, first), np.minimum.reduceat(d, first)


def _cell_of_class(
    polys: np.ndarray, jac: np.ndarray, off: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Clip every region to the part where class ``k`` wins.

    Returns
    -------
    cells : (M,) object array of shapely.Polygon
    owner : (M,) int64 array
        Region of each cell.
    """
    import shapely

    cells, owner = _polygon_parts(polys)
    for j in range(jac.shape[1]):
        if j == k or len(cells) == 0:
            continue
        xy, idx, d, dmax, dmin = _vertex_diff(cells, owner, jac, off, k, j)
        tie = (dmax == 0.0) & (dmin == 0.0)  # y_k == y_j on the whole cell
        whole = ((dmin >= 0.0) & (dmax > 0.0)) | (tie & (k < j))
        split = (dmax > 0.0) & (dmin < 0.0)
        s = np.flatnonzero(split)
        parts = np.empty(0, dtype=object)
        part_owner = np.empty(0, dtype=np.int64)
        if len(s):
            o = owner[s]
            g = jac[o, k] - jac[o, j]
            c = off[o, k] - off[o, j]
            rank = np.cumsum(split) - 1
            on_line = (d == 0.0) & split[idx]
            pos, _ = _cutters(shapely.bounds(cells[s]), g, c, xy[on_line], rank[idx[on_line]])
            pieces, src = _polygon_parts(shapely.intersection(cells[s], pos))
            # a piece with no vertex strictly on its own side lies in the zero band
            peak = _vertex_diff(pieces, o[src], jac, off, k, j)[3]
            keep = (peak > 0.0) & (shapely.area(pieces) > 0)
            parts, part_owner = pieces[keep], o[src[keep]]
        cells = np.concatenate([cells[whole], parts])
        owner = np.concatenate([owner[whole], part_owner])
    return cells, owner


def class_cells(partition: Any) -> ClassCells:
    """Clip each linear region to the pieces where each class wins.

    Parameters
    ----------
    partition : Partition
        Linear regions of a classifier (any number of outputs ``n_out >= 1``;
        function regions from :meth:`~regions.Partition.merged` work too).

    Returns
    -------
    ClassCells
        ``polygons`` (M,), ``regions`` (M,) and ``classes`` (M,): class cells
        ordered by class, then by region.

    Raises
    ------
    TypeError
        If ``partition`` is not a :class:`~regions.Partition`.
    TopologyError
        If the class cells do not add up to the regions' area (within
        ``SUM_RTOL`` of the domain's area): a failure of GEOS's overlay.

    Examples
    --------
    Logits ``(x, y)``: the box is cut along ``x = y``.

    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]))
    >>> cc = class_cells(regions.linear_regions(net, (-1, -1, 1, 1)))
    >>> cc.classes.tolist(), [c.area for c in cc.polygons]
    ([0, 1], [2.0, 2.0])
    """
    cc, back, plain = _framed_class_cells(partition)
    if back is None:
        return cc
    return dataclasses.replace(
        cc, polygons=np.asarray(back(cc.polygons), dtype=object), bounds=plain[0], hair=plain[1]
    )


def _overlay_frame(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(c, f)``: the frame ``(xy - c) * f`` in which the class overlays run.

    ``c`` is the centre of ``bounds`` when the box lies far from the origin
    (at least ``OVERLAY_OFFSET`` of its size away; else ``0``), and ``f`` powers
    of two that make its extents within a factor two of each other. GEOS then
    intersects near the origin, in a box of even sides: on a box of Unix
    timestamps (x near 1.7e9, one hour wide, y in [0, 5]) it lost 6.5 units of
    a region's area and made the class polygons overlap. Subtracting ``c`` is
    exact for the box's own coordinates (Sterbenz); new cut points are rounded
    to the plane's coordinates on the way back, as they would be anyway.
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    ext = np.array([x1 - x0, y1 - y0])
    mid = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    c = np.where(np.abs(mid) >= OVERLAY_OFFSET * ext, mid, 0.0)
    f = np.ones(2)
    if ext.min() > 0:
        k = int(np.round(np.log2(ext.max() / ext.min())))
        f[int(np.argmin(ext))] = 2.0**k
    return c, f


#: A box at least this many of its sizes from the origin has its class overlays run in
#: coordinates centred on it (:func:`_overlay_frame`).
OVERLAY_OFFSET: float = 1e3


def _framed_class_cells(partition: Any) -> tuple[ClassCells, Any, tuple[Any, float]]:
    """:func:`class_cells` in the overlay frame (:func:`_overlay_frame`).

    Returns the cells, the map back to plane coordinates (``None``: no
    frame), and the ``(bounds, hair)`` of the cells in plane coordinates.
    """
    import shapely

    p, region_of = _classifying(_check_partition(partition))
    jac, off = _logit_maps(p)
    polys = np.asarray(p.polygons, dtype=object)
    back: Any = None
    dom_bounds: Any = tuple(float(v) for v in p.domain.bounds)
    whole: Any = tuple(float(v) for v in partition.domain.bounds)
    diam = float(np.hypot(whole[2] - whole[0], whole[3] - whole[1]))
    plain = (dom_bounds, EDGE_RTOL * diam + 4 * noise_width(dom_bounds))
    dom_area = float(p.domain.area)
    c, f = _overlay_frame(dom_bounds)
    if not p.covers_plane and ((c != 0).any() or (f != 1).any()):
        # logits (J / f) x' + (J c + o) of x' = (x - c) * f
        polys = np.asarray(shapely.transform(polys, lambda xy: (xy - c) * f), dtype=object)
        off = off + np.einsum("rkj,j->rk", jac, c)
        jac = jac / f
        lo, hi = (np.array(dom_bounds[:2]) - c) * f, (np.array(dom_bounds[2:]) - c) * f
        dom_bounds = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        whole = dom_bounds
        dom_area *= float(f.prod())

        def back(geoms: Any) -> Any:
            return shapely.transform(geoms, lambda xy: xy / f + c)

    out_cells, out_owner, out_cls = [], [], []
    for k in range(jac.shape[1]):
        cells, owner = _cell_of_class(polys, jac, off, k)
        order = np.argsort(owner, kind="stable")
        out_cells.append(cells[order])
        out_owner.append(owner[order])
        out_cls.append(np.full(len(cells), k, dtype=np.int64))
    cells = np.asarray(shapely.orient_polygons(np.concatenate(out_cells)), dtype=object)
    owner = np.concatenate(out_owner).astype(np.int64)
    lost = np.asarray(shapely.area(polys)) - np.bincount(
        owner, shapely.area(cells), minlength=len(polys)
    )
    if len(lost) and np.abs(lost).max() > SUM_RTOL * dom_area:
        bad = int(np.argmax(np.abs(lost)))
        raise TopologyError(
            f"the class cells of region {bad} miss area {lost[bad] / f.prod():.6g} of it "
            "(shapely/GEOS overlay failure)"
        )
    xmin, ymin, xmax, ymax = whole  # the regions' own domain or frame
    hair = EDGE_RTOL * float(np.hypot(xmax - xmin, ymax - ymin)) + 4 * noise_width(dom_bounds)
    return ClassCells(
        cells, region_of[owner], np.concatenate(out_cls), int(jac.shape[1]),
        dom_bounds, hair,
    ), back, plain


def _classifying(p: Any) -> tuple[Any, np.ndarray]:
    """The partition whose polygons the class cells cut, and the region of ``p`` of each.

    ``p`` itself on a bounded domain. For a whole plane, its activation
    regions clipped to a frame that also holds every vertex of the decision
    boundary (:func:`_boundary_frame`), so that no piece of the boundary lies
    beyond it; a merged whole plane is cut on its activation regions, each
    mapped to the merged region holding it.
    """
    from .domain import as_domain
    from .partition import Partition

    src = p._merged_plane() if p.is_merged else p
    if src is None or not src.whole_plane:
        return p, np.arange(len(p))
    region_of = p.members if src is not p else np.arange(len(p))
    frame = _boundary_frame(src)
    if frame is None:
        return src, region_of
    mesh = src.mesh
    q = Partition(
        src.network, as_domain(frame), src.patterns, src.layer_counts, mesh=mesh,
        polygons=mesh.clipped_polygons(frame), method=src.method, whole_plane=True,
    )
    return q, region_of


#: How far (as a multiple of a whole plane's frame) the decision boundary's vertices may
#: reach before :func:`class_cells` asks for a bbox: beyond it the rounding width of the
#: coordinates would pass the regions' own edge tolerance.
CLASS_FRAME_MAX: float = 1e6
#: Cap on the entries of one block of candidate arrays in :func:`_boundary_frame`.
_FRAME_BLOCK = 1 << 22


def _boundary_frame(p: Any) -> tuple[float, float, float, float] | None:
    """A frame holding a whole plane's frame and every vertex of its decision boundary.

    In an unbounded region the boundary's vertices are where a tie line
    ``y_k = y_j`` (with both logits the largest) crosses a ray of the region,
    where three logits tie inside it, and, for a tie line that crosses no
    ray, its point nearest the origin. Returns None when they all lie in
    ``p``'s frame already.
    """
    mesh = p.mesh
    ideal = mesh.ideal_mask
    ptr, verts, xy = mesh.face_ptr, mesh.face_verts, mesh.xy
    jac, off = _logit_maps(p)
    n_cls = jac.shape[1]
    nxt = np.arange(1, len(verts) + 1)
    nxt[ptr[1:] - 1] = ptr[:-1]
    face = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    a, b = verts, verts[nxt]
    ia, ib = ideal[a], ideal[b]
    # the slots' lines, for the inside test: point, direction (of travel) and kind
    base = np.where(ia[:, None], xy[b], xy[a])
    step = np.where((~ia & ~ib)[:, None], xy[b] - xy[a], np.where(ia[:, None], -xy[a], xy[b]))
    arc = ia & ib
    kk, jj = np.triu_indices(n_cls, 1)
    pts: list[np.ndarray] = []

    def on_boundary(x: np.ndarray, f: np.ndarray, top: np.ndarray) -> np.ndarray:
        """Which points ``x`` (N, 2) lie in face ``f`` with classes ``top`` (N, m) tied first.

        Both within bands: relative 1e-9 of the logits' terms, and of the
        face's edge lines (counter-clockwise loops: left of every edge).
        """
        y = np.einsum("ncj,nj->nc", jac[f], x) + off[f]
        size = np.einsum("ncj,nj->nc", np.abs(jac[f]), np.abs(x)) + np.abs(off[f])
        band = 1e-9 * size.max(axis=1)
        best = y.max(axis=1)
        ok = (np.take_along_axis(y, top, axis=1) >= (best - band)[:, None]).all(axis=1)
        # inside: left of every edge and ray of the face (counter-clockwise loops)
        cnt = np.diff(ptr)[f]
        rows = np.repeat(np.arange(len(f)), cnt)
        slot = ptr[f].repeat(cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt,
                                                                           cnt))
        rel = x[rows] - base[slot]
        cross = step[slot, 0] * rel[:, 1] - step[slot, 1] * rel[:, 0]
        tol = 1e-9 * np.hypot(*step[slot].T) * (np.hypot(*rel.T) + np.hypot(*base[slot].T))
        bad = (cross < -tol) & ~arc[slot]
        inside = ~np.bincount(rows, weights=bad, minlength=len(f)).astype(bool)
        return ok & inside

    unb = np.flatnonzero(~mesh.bounded())
    # the face across each slot (-1 for an arc at infinity)
    key = np.minimum(a, b) * (int(verts.max(initial=0)) + 1) + np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    twin = np.full(len(verts), -1)
    same = np.flatnonzero(key[order][1:] == key[order][:-1])
    twin[order[same]], twin[order[same + 1]] = order[same + 1], order[same]
    # (i) tie lines across the rays of unbounded faces, where the tie line bends (a crossing
    # where both faces have the same logit difference is no vertex of the boundary)
    ray = np.flatnonzero(ia ^ ib)
    per = max(1, _FRAME_BLOCK // max(1, len(kk) * n_cls))
    for s in range(0, len(ray), per):
        r = ray[s:s + per]
        f = face[r]
        u = np.where(ia[r, None], xy[b[r]], xy[a[r]])
        d = np.where(ia[r, None], xy[a[r]], xy[b[r]])
        g_ = jac[f][:, kk] - jac[f][:, jj]
        v0 = np.einsum("npj,nj->np", g_, u) + off[f][:, kk] - off[f][:, jj]
        g = np.einsum("npj,nj->np", g_, d)
        # a tie line parallel to the ray (up to rounding) never crosses it
        skew = np.abs(g) > 1e-12 * np.hypot(g_[..., 0], g_[..., 1]) * np.hypot(*d.T)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -v0 / g
        other = np.where(twin[r] >= 0, face[np.maximum(twin[r], 0)], f)
        h_ = jac[other][:, kk] - jac[other][:, jj]
        w0 = off[other][:, kk] - off[other][:, jj]
        size = np.abs(g_).sum(axis=2) + np.abs(v0) + 1e-300
        bends = (np.abs(h_ - g_).sum(axis=2) + np.abs(w0 - (off[f][:, kk] - off[f][:, jj]))
                 > 1e-9 * size)
        n_i, p_i = np.nonzero(skew & bends & np.isfinite(t) & (t > 0))
        x = u[n_i] + t[n_i, p_i, None] * d[n_i]
        keep = on_boundary(x, f[n_i], np.column_stack([kk[p_i], jj[p_i]]))
        pts.append(x[keep])
    if len(unb) and len(kk):
        # (ii) three logits tying inside an unbounded face; (iii) a tie line's point nearest 0
        tri = np.array(list(itertools.combinations(range(n_cls), 3)), dtype=np.int64).reshape(-1, 3)
        per = max(1, _FRAME_BLOCK // max(1, (len(tri) + len(kk)) * n_cls))
        for s in range(0, len(unb), per):
            f = unb[s:s + per]
            if len(tri):
                a1 = jac[f][:, tri[:, 0]] - jac[f][:, tri[:, 1]]  # (F, T, 2)
                a2 = jac[f][:, tri[:, 0]] - jac[f][:, tri[:, 2]]
                c1 = off[f][:, tri[:, 1]] - off[f][:, tri[:, 0]]
                c2 = off[f][:, tri[:, 2]] - off[f][:, tri[:, 0]]
                det = a1[..., 0] * a2[..., 1] - a1[..., 1] * a2[..., 0]
                with np.errstate(divide="ignore", invalid="ignore"):
                    x0 = (c1 * a2[..., 1] - c2 * a1[..., 1]) / det
                    x1 = (a1[..., 0] * c2 - a2[..., 0] * c1) / det
                norm = np.hypot(a1[..., 0], a1[..., 1]) * np.hypot(a2[..., 0], a2[..., 1])
                n_i, t_i = np.nonzero(
                    (np.abs(det) > 1e-12 * norm) & np.isfinite(x0) & np.isfinite(x1)
                )
                x = np.column_stack([x0[n_i, t_i], x1[n_i, t_i]])
                keep = on_boundary(x, f[n_i], tri[t_i])
                pts.append(x[keep])
            g_ = jac[f][:, kk] - jac[f][:, jj]
            v0 = off[f][:, kk] - off[f][:, jj]
            gg = np.einsum("npj,npj->np", g_, g_)
            n_i, p_i = np.nonzero(gg > 0)
            x = -(v0[n_i, p_i] / gg[n_i, p_i])[:, None] * g_[n_i, p_i]
            keep = on_boundary(x, f[n_i], np.column_stack([kk[p_i], jj[p_i]]))
            pts.append(x[keep])
    cand = np.concatenate([np.zeros((0, 2)), *pts])
    cand = cand[np.isfinite(cand).all(axis=1)]
    xmin, ymin, xmax, ymax = p.domain.bounds
    if not len(cand) or (
        (cand[:, 0] > xmin).all() and (cand[:, 0] < xmax).all()
        and (cand[:, 1] > ymin).all() and (cand[:, 1] < ymax).all()
    ):
        return None
    allp = np.concatenate([cand, [[xmin, ymin], [xmax, ymax]]])
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.05 * float(max(hi - lo)) + 1e-3 * float(np.abs(allp).max()) + 1.0
    reach = float(np.abs(allp).max())
    limit = CLASS_FRAME_MAX * float(max(abs(v) for v in (xmin, ymin, xmax, ymax)))
    if reach > limit:
        raise DomainError(
            f"the decision boundary of this whole plane has a vertex {reach:.3g} from the "
            f"origin, more than {CLASS_FRAME_MAX:.0e} times the regions' frame "
            f"{tuple(round(v, 6) for v in (xmin, ymin, xmax, ymax))}: one frame cannot "
            "resolve both scales; pass a bbox (e.g. around the part you want to see)"
        )
    return (float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad))


def _line_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Explode overlay results into their non-empty LineString parts.

    Returns
    -------
    parts : (L,) object array of shapely.LineString
    source : (L,) int64 array
        Index into ``geoms`` of each part.
    """
    import shapely

    source = np.arange(len(geoms), dtype=np.int64)
    geoms = shapely.line_merge(geoms)
    while True:
        tid = shapely.get_type_id(geoms)
        if not (tid >= _FIRST_MULTI_ID).any():
            break
        geoms, idx = shapely.get_parts(geoms, return_index=True)
        source = source[idx]
    keep = (tid == _LINESTRING_ID) & ~shapely.is_empty(geoms)
    return geoms[keep], source[keep]


def _snap_ends(lines: np.ndarray, first: np.ndarray, second: np.ndarray, hair: float) -> np.ndarray:
    """Move each end of each line to the nearest vertex of its two cells.

    A line is the part of ``first``'s boundary within a hair of ``second``;
    it reaches past the true end of the shared edge (a vertex of one of the
    two cells) by up to a hair over the sine of the angle there.

    Parameters
    ----------
    lines : (L,) object array of shapely.LineString
    first, second : (L,) object arrays of shapely.Polygon
        The two cells of each line.
    hair : float
        Points closer than this are one point (a vertex of one cell and the
        same vertex of the other, different in the last bits).

    Returns
    -------
    lines : (L,) object array of shapely.LineString
        With snapped ends and no points within a hair of the previous one.
    """
    import shapely

    if len(lines) == 0:
        return lines
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    start = np.zeros(len(lines), dtype=np.int64)
    np.cumsum(shapely.get_num_coordinates(lines)[:-1], out=start[1:])
    stop = np.cumsum(shapely.get_num_coordinates(lines)) - 1
    va, ia = shapely.get_coordinates(first, return_index=True)
    vb, ib = shapely.get_coordinates(second, return_index=True)
    cand = np.concatenate([va, vb])
    owner = np.concatenate([ia, ib])
    for end in (start, stop):
        dist = np.hypot(*(cand - xy[end][owner]).T)
        order = np.lexsort((dist, owner))
        best = order[np.searchsorted(owner[order], np.arange(len(lines)))]
        xy[end] = cand[best]
    snapped = shapely.linestrings(xy, indices=idx)
    return np.asarray(shapely.remove_repeated_points(snapped, hair), dtype=object)


def decision_boundary(partition: Any) -> DecisionBoundary:
    """The exact segments where the predicted class changes.

    The class cells (:func:`class_cells`) of different classes that share an
    edge give the pieces: inside a region they lie on a tie line
    ``y_k = y_j`` (with both the largest logit), across regions on a region
    boundary. For one output the boundary is the zero set ``y = 0`` between
    class 0 (``y <= 0``) and class 1 (``y > 0``). The boundary of the domain
    is not part of it. For a whole-plane partition the pieces are cut at a
    frame box that holds every vertex of the regions and of the decision
    boundary, and touches every straight boundary line (:attr:`ClassCells.bounds`,
    often wider than the partition's frame): every piece appears, and those
    that run to infinity end on the frame. A boundary that reaches more than
    ``CLASS_FRAME_MAX`` (1e6) times the partition's frame raises
    :class:`~regions.errors.DomainError` (pass a bbox instead): at that
    scale the coordinates' rounding would pass the regions' edge tolerance.

    Parameters
    ----------
    partition : Partition
        Linear regions of a classifier.

    Returns
    -------
    DecisionBoundary
        ``lines`` (K,), ``pairs`` (K, 2) of classes, ``regions`` (K, 2),
        ``geometry`` (a ``MultiLineString``) and ``length``.

    Raises
    ------
    TypeError
        If ``partition`` is not a :class:`~regions.Partition`.
    DomainError
        For a whole plane whose decision boundary reaches beyond
        ``CLASS_FRAME_MAX`` times its frame.

    Examples
    --------
    Logits ``(x, y, -x - y)``: three rays from the origin.

    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0] * 3))
    >>> db = decision_boundary(regions.linear_regions(net, (-1, -1, 1, 1)))
    >>> sorted(map(tuple, db.pairs.tolist()))
    [(0, 1), (0, 2), (1, 2)]
    >>> abs(db.length - (2 ** 0.5 + 5 ** 0.5)) < 1e-12  # x = y, y = -2x, x = -2y
    True

    A one-output network: the boundary is ``y = 0``.

    >>> net = Network.from_arrays([], ([[1.0, -1.0]], [0.0]))
    >>> db = decision_boundary(regions.linear_regions(net, (-1, -1, 1, 1)))
    >>> db.pairs.tolist(), round(db.length, 12) == round(2 * 2 ** 0.5, 12)
    ([[0, 1]], True)
    """
    import shapely

    p = _check_partition(partition)
    cc, back, _ = _framed_class_cells(p)
    cells, cls, reg = cc.polygons, cc.classes, cc.regions
    hair = cc.hair
    i, j = shapely.STRtree(cells).query(cells, predicate="dwithin", distance=hair)
    keep = (i < j) & (cls[i] != cls[j])
    i, j = i[keep], j[keep]
    near = shapely.intersection(
        shapely.boundary(cells[i]), shapely.buffer(cells[j], hair, quad_segs=1)
    )
    lines, src = _line_parts(np.asarray(near, dtype=object))
    lines = _snap_ends(lines, cells[i[src]], cells[j[src]], hair)
    long = np.asarray(shapely.length(lines)) > 10 * hair
    lines, src = lines[long], src[long]
    a, b = i[src], j[src]
    swap = cls[a] > cls[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    if back is not None:
        lines = back(lines)
    return DecisionBoundary(
        lines=np.asarray(lines, dtype=object),
        pairs=np.column_stack([cls[a], cls[b]]).astype(np.int64).reshape(-1, 2),
        regions=np.column_stack([reg[a], reg[b]]).astype(np.int64).reshape(-1, 2),
        n_classes=cc.n_classes,
    )


def class_regions(partition: Any) -> np.ndarray:
    """The part of the domain where each class is predicted.

    Parameters
    ----------
    partition : Partition
        Linear regions of a classifier.

    Returns
    -------
    regions : (n_classes,) object array of shapely.MultiPolygon
        The union of the class cells of each class (an empty
        ``MultiPolygon`` for a class that is never predicted); ``n_classes``
        is ``n_out``, or 2 for a one-output network (class 1 where
        ``y > 0``). Their areas sum to the domain's area (for a whole
        plane, to that of the frame of :func:`decision_boundary`). The union is
        snap-rounded on a grid of :func:`~regions.tolerance.noise_width`
        (rounded up to a power of two, so dyadic coordinates stay exact), so
        class cells that share an edge up to rounding are joined into one
        polygon, and closed by four grid units (mitred offsets out and back,
        which fill notches under eight units wide that cut points computed
        apart in the last bits leave along shared edges); holes and parts of
        area at most the grid times their perimeter are overlay noise and
        dropped.

    Raises
    ------
    TypeError
        If ``partition`` is not a :class:`~regions.Partition`.

    Examples
    --------
    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0] * 3))
    >>> cr = class_regions(regions.linear_regions(net, (-1, -1, 1, 1)))
    >>> [round(g.area, 12) for g in cr]
    [1.25, 1.25, 1.5]
    """
    import shapely

    p = _check_partition(partition)
    cc, back, _ = _framed_class_cells(p)
    # snap-rounding on the noise grid joins cells whose shared edges differ in
    # the last bits (a floating union would keep them as parts touching at
    # points); a power of two keeps dyadic coordinates such as 0.5 exact
    grid = float(2.0 ** np.ceil(np.log2(noise_width(cc.bounds))))
    out = np.empty(cc.n_classes, dtype=object)
    for k in range(cc.n_classes):
        union = shapely.union_all(cc.polygons[cc.classes == k], grid_size=grid)
        # a cut point that two neighbouring cells computed apart in the last bits can
        # still leave a notch a few grid units wide along their shared edge: close it
        union = shapely.buffer(
            shapely.buffer(union, 4 * grid, join_style="mitre", mitre_limit=1e6),
            -4 * grid, join_style="mitre", mitre_limit=1e6,
        )
        parts, _ = _polygon_parts(np.array([union], dtype=object))
        parts = _drop_noise(parts, grid)
        if back is not None:
            # the way back rounds new vertices to the plane's coordinates, which can fold a
            # spike of a polygon onto itself: repair those (QA16i: self-intersections)
            parts = np.asarray(back(parts), dtype=object)
            bad = ~shapely.is_valid(parts)
            if bad.any():
                fixed, _ = _polygon_parts(shapely.make_valid(parts[bad]))
                parts = np.concatenate([parts[~bad], fixed])
        out[k] = shapely.multipolygons(shapely.orient_polygons(parts))
    return out


def _drop_noise(parts: np.ndarray, grid: float) -> np.ndarray:
    """Drop the parts and holes of area at most ``grid`` times their perimeter.

    Snap-rounding can leave a slit hole (a ring of next to no area) where two
    cells share an edge; such rings are overlay noise (the policy of
    :mod:`regions.tolerance`).

    Parameters
    ----------
    parts : (P,) object array of shapely.Polygon
    grid : float
        The noise width.

    Returns
    -------
    (Q,) object array of shapely.Polygon
    """
    import shapely

    rings, owner = shapely.get_rings(parts, return_index=True)
    area = np.asarray(shapely.area(shapely.polygons(rings)))
    keep = area > grid * np.asarray(shapely.length(rings))
    shell = np.ones(len(rings), dtype=bool)
    shell[1:] = owner[1:] != owner[:-1]
    keep &= np.repeat(keep[shell], np.diff(np.flatnonzero(np.append(shell, True))))
    if not keep.any():
        return np.empty(0, dtype=object)
    return np.asarray(shapely.polygons(rings[keep], indices=owner[keep]), dtype=object)


def _segments(lines: np.ndarray) -> list[np.ndarray]:
    """The vertices of each LineString, for a LineCollection."""
    import shapely

    xy, idx = shapely.get_coordinates(lines, return_index=True)
    cut = np.flatnonzero(np.diff(idx)) + 1
    return [s for s in np.split(xy, cut) if len(s)] if len(xy) else []


def _class_paths(geoms: np.ndarray) -> list[Any]:
    """One matplotlib Path per (multi)polygon, all parts and holes included."""
    from matplotlib.path import Path

    from .plot import _paths

    parts, src = _polygon_parts(geoms)
    paths = _paths(parts) if len(parts) else []
    out = []
    for g in range(len(geoms)):
        mine = [paths[i] for i in np.flatnonzero(src == g)]
        out.append(Path.make_compound_path(*mine) if mine else Path(np.zeros((0, 2))))
    return out


def plot_decision_boundary(
    partition: Any,
    ax: Any = None,
    color: Any = "black",
    *,
    linewidth: float = 1.5,
    by_pair: bool = False,
    cmap: Any = "tab10",
    **kwargs: Any,
) -> Any:
    """Draw the exact decision boundary as lines.

    Parameters
    ----------
    partition : Partition or DecisionBoundary
        The linear regions of a classifier, or their boundary from
        :func:`decision_boundary`.
    ax : matplotlib Axes, optional
        Where to draw; new axes if None (then limited to the domain's bounds
        when given a Partition).
    color : matplotlib colour, default "black"
        Colour of all lines (ignored with ``by_pair``).
    linewidth : float, default 1.5
    by_pair : bool, default False
        Colour each piece by its pair of classes instead.
    cmap : str or Colormap, default "tab10"
        Colours of the pairs with ``by_pair``.
    **kwargs
        Passed to :class:`matplotlib.collections.LineCollection`.

    Returns
    -------
    matplotlib.collections.LineCollection
        One line per boundary piece.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0] * 3))
    >>> fig, ax = plt.subplots()
    >>> lc = plot_decision_boundary(regions.linear_regions(net, (-1, -1, 1, 1)), ax)
    >>> len(lc.get_segments())
    3
    >>> plt.close(fig)
    """
    by_pair = check_flag("by_pair", by_pair)
    from matplotlib.collections import LineCollection

    from .plot import _check_artist_kwargs, _check_style

    _check_style(ax=ax, cmap=cmap, linewidth=linewidth, colors={"color": color})
    _check_artist_kwargs(kwargs, LineCollection, "plot_decision_boundary")
    if isinstance(partition, DecisionBoundary):
        db, bounds = partition, None
    else:
        p = _check_partition(partition)
        db = decision_boundary(p)
        bounds = p.domain.bounds
        if p.covers_plane and len(db):  # the boundary's own frame may reach further out
            import shapely

            lo = np.minimum(bounds[:2], shapely.total_bounds(db.lines)[:2])
            hi = np.maximum(bounds[2:], shapely.total_bounds(db.lines)[2:])
            bounds = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
    new = ax is None
    if new:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    lc = LineCollection(_segments(db.lines), linewidths=linewidth, **kwargs)
    if by_pair:
        import matplotlib

        cm = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        c = db.n_classes
        code = db.pairs[:, 0] * c + db.pairs[:, 1]
        lc.set_color(cm(code % int(getattr(cm, "N", 256))))
    else:
        lc.set_color(color)
    ax.add_collection(lc)
    if new and bounds is not None:
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_aspect("equal")
    return lc


def plot_class_regions(
    partition: Any,
    ax: Any = None,
    cmap: Any = "tab10",
    *,
    alpha: float = 0.6,
    boundary: bool = True,
    linewidth: float = 1.5,
) -> list[Any]:
    """Fill the part of the domain where each class is predicted.

    Parameters
    ----------
    partition : Partition
        The linear regions of a classifier.
    ax : matplotlib Axes, optional
        Where to draw; new axes if None.
    cmap : str or Colormap, default "tab10"
        Class ``k`` gets colour ``k`` of the colormap.
    alpha : float, default 0.6
    boundary : bool, default True
        Also draw the decision boundary in black.
    linewidth : float, default 1.5
        Width of the boundary lines.

    Returns
    -------
    list of matplotlib artists
        The filled classes (a ``PathCollection``, one path per class, in
        class order; for a mappable use ``set_array``), then the boundary's
        ``LineCollection`` if drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([], ([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0] * 3))
    >>> fig, ax = plt.subplots()
    >>> artists = plot_class_regions(regions.linear_regions(net, (-1, -1, 1, 1)), ax)
    >>> [type(a).__name__ for a in artists], len(artists[0].get_paths())
    (['PathCollection', 'LineCollection'], 3)
    >>> plt.close(fig)
    """
    boundary = check_flag("boundary", boundary)
    import matplotlib
    from matplotlib.collections import PathCollection

    from .plot import _check_style

    _check_style(ax=ax, cmap=cmap, linewidth=linewidth, alpha=alpha)
    p = _check_partition(partition)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    regs = class_regions(p)
    cm = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    n_col = int(getattr(cm, "N", 256))
    k = np.arange(len(regs))
    colors = cm(k % n_col if n_col < 256 else k / max(len(regs) - 1, 1))
    coll = PathCollection(
        _class_paths(regs), facecolors=colors, edgecolors="none", alpha=alpha, linewidths=0.0
    )
    ax.add_collection(coll)
    artists: list[Any] = [coll]
    if boundary:
        artists.append(plot_decision_boundary(decision_boundary(p), ax, linewidth=linewidth))
    xmin, ymin, xmax, ymax = p.domain.bounds
    if p.covers_plane:  # the frame that holds the decision boundary too
        import shapely

        xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(regs))
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    return artists
