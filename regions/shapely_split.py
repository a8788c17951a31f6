"""The reference splitter: the regions as shapely polygons, cut neuron by neuron.

This splitter is deliberately independent of :mod:`regions.split` (the fast
mesh splitter) so that the two can check each other. It shares only the
tolerance policy of :mod:`regions.tolerance`.

Cells
    A cell is one shapely ``Polygon`` (holes allowed, convexity not assumed).
    The splitter starts from the parts of the domain polygon itself, never from
    its convex hull, so a non-convex domain, a domain with holes and a
    ``MultiPolygon`` are all cut directly, and every connected piece is a cell.

Affine maps
    Each cell carries the exact affine map of the current layer's
    pre-activations, ``z(x) = M[:, :2] @ x + M[:, 2]`` with ``M`` (n_l, 3),
    composed from the network weights and the cell's activation pattern at the
    start of every layer (no interpolation of values between vertices).

One neuron ``j``
    ``z_j`` is evaluated at every vertex of every cell (holes included) and
    snapped with :func:`~regions.tolerance.snap`. The tolerance on the first
    layer comes from :func:`~regions.tolerance.zero_tolerance` with the bound
    ``max |x|`` over the domain's vertices (the fast splitter's policy); on
    later layers it is ``ZERO_RTOL`` times the terms ``z_j`` sums at the vertex,
    ``sum_k |W_jk| max |a_k|`` with each input at its largest over the
    vertices of all cells at the start of the layer, over the inputs *not
    clamped* at the vertex (an input whose pre-activation is below minus its
    band there is exactly ``0`` and sums nothing; :func:`_band`). One bound
    for every vertex and input, as before QA round 17, called a second-layer
    value of ``2`` zero where every first-layer neuron is off, beside a
    neuron of slope ``1e5`` in a box of ``2e9``. A cell is split only if some vertex has
    ``z_j > tol`` and another ``z_j < -tol``; then it is intersected with two
    large polygons, one on each side of its line, which share their edge on
    the line: a polyline through the cell's vertices with ``z_j`` snapped to
    zero, so that a line through a vertex (concurrent lines, a reflex corner
    of the domain) passes exactly through it. The results are exploded into
    their connected parts (a non-convex cell can give several pieces on one
    side); a piece with no vertex strictly on its own side (``z_j > tol`` on
    the positive side, ``z_j < -tol`` on the negative one) lies inside the
    zero band of the line and is dropped as a sliver; the pieces on the
    positive side get bit ``True``. A cell that is not split gets bit ``True``
    iff some vertex has ``z_j > 0`` after snapping (so a neuron that is
    identically zero on a cell gives ``False``).

Slivers are recognised by the zero tolerance, not by area: a real region can
be far smaller than ``AREA_RTOL`` times the domain's area (a corner of a few
lines crossing near the origin of a 1e4-wide box), while clipping noise is
thinner than the zero band. After each layer, as in the fast splitter, a cell
narrower than :func:`~regions.tolerance.sliver_width` (twice its area over its
perimeter) is dropped: rounding left it between lines that meet exactly.

All the geometry of one neuron is done by shapely's vectorized functions over
arrays of cells; Python loops run only over layers and neurons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .domain import Domain, as_domain
from .errors import RegionLimitError, TopologyError
from .network import Network, as_network
from .tolerance import SUM_RTOL, ZERO_RTOL, sliver_width, snap, zero_tolerance

__all__ = ["ShapelyResult", "split_shapely"]

#: shapely type ids of Polygon and of the first multi-part type (MultiPoint).
_POLYGON_ID = 3
_FIRST_MULTI_ID = 4


@dataclass(frozen=True, eq=False)
class ShapelyResult:
    """Regions found by :func:`split_shapely`.

    Parameters
    ----------
    polygons : (R,) object array of shapely.Polygon
        The regions, one connected polygon each (counter-clockwise exterior).
    patterns : (R, N) bool array
        Activation pattern of each region (``z > 0``), hidden layers
        concatenated in order.
    layer_counts : list of int
        Number of cells after each hidden layer.
    """

    polygons: np.ndarray
    patterns: np.ndarray
    layer_counts: list[int]

    @property
    def n_regions(self) -> int:
        """Number of regions ``R``."""
        return int(self.polygons.shape[0])

    def areas(self) -> np.ndarray:
        """Region areas.

        Returns
        -------
        areas : (R,) float64 array
        """
        import shapely

        return np.asarray(shapely.area(self.polygons), dtype=np.float64)


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Explode geometries into their non-empty polygon parts.

    Parameters
    ----------
    geoms : (G,) object array of shapely geometries
        Results of overlays: polygons, multi-polygons or collections (which
        may also hold lines and points of a degenerate contact).

    Returns
    -------
    parts : (P,) object array of shapely.Polygon
        The polygon parts, in input order.
    source : (P,) int64 array
        Index into ``geoms`` of the geometry each part comes from.
    """
    import shapely

    source = np.arange(len(geoms), dtype=np.int64)
    # a collection may hold a multi-polygon: explode until no multi-part is left
    while True:
        tid = shapely.get_type_id(geoms)
        if not (tid >= _FIRST_MULTI_ID).any():
            break
        geoms, idx = shapely.get_parts(geoms, return_index=True)
        source = source[idx]
    keep = (tid == _POLYGON_ID) & ~shapely.is_empty(geoms)
    return geoms[keep], source[keep]


def _cutters(
    bounds: np.ndarray,
    grad: np.ndarray,
    const: np.ndarray,
    zero_xy: np.ndarray,
    zero_cell: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Polygons covering each cell's part on each side of its line.

    Parameters
    ----------
    bounds : (K, 4) float64 array
        ``(xmin, ymin, xmax, ymax)`` of each cell.
    grad : (K, 2) float64 array
        Gradient ``g`` of the affine function ``z = g @ x + c`` (nonzero).
    const : (K,) float64 array
        Constant ``c``.
    zero_xy : (Z, 2) float64 array
        The cells' vertices where ``z`` was snapped to zero.
    zero_cell : (Z,) int64 array
        The cell (row of ``bounds``) of each of them.

    Returns
    -------
    positive, negative : (K,) object arrays of shapely.Polygon
        Polygons on the ``z >= 0`` and ``z <= 0`` sides. They share their
        edge on the line: a polyline from far point ``a`` through the cell's
        zero vertices (exactly, in their order along the line) to far point
        ``b``, so a vertex on the line lies on the cut itself and not a
        rounding error away from it (which could leave a thin neck joining two
        pieces at a reflex vertex, or a sliver).

    Notes
    -----
    The line crosses the cell, so it passes within ``r`` (half the diagonal
    of the bounds) of the bounds' centre ``m``; every point of the cell is
    then within ``2 r`` of ``p0``, the foot of ``m`` on the line, and a
    rectangle reaching ``4 r`` from ``p0`` along the line and ``4 r`` across
    it covers the cell's part on that side. The zero vertices lie within the
    zero band of the line, far closer to it than ``4 r``, so the polyline
    stays monotone along the line and both polygons are simple.
    """
    import shapely

    k = len(bounds)
    centre = 0.5 * (bounds[:, :2] + bounds[:, 2:])
    reach = 2.0 * np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    norm = np.hypot(grad[:, 0], grad[:, 1])
    unit = grad / norm[:, None]
    along = np.stack([-unit[:, 1], unit[:, 0]], axis=1)
    dist = np.einsum("ij,ij->i", unit, centre) + const / norm
    foot = centre - dist[:, None] * unit
    a = foot - reach[:, None] * along
    b = foot + reach[:, None] * along
    off = reach[:, None] * unit

    # zero vertices of each cell in order along the line, repeated points once
    t = np.einsum("ij,ij->i", zero_xy - foot[zero_cell], along[zero_cell])
    order = np.lexsort((zero_xy[:, 1], zero_xy[:, 0], t, zero_cell))
    zero_xy, zero_cell = zero_xy[order], zero_cell[order]
    new = np.ones(len(zero_cell), dtype=bool)
    new[1:] = (zero_cell[1:] != zero_cell[:-1]) | (zero_xy[1:] != zero_xy[:-1]).any(axis=1)
    zero_xy, zero_cell = zero_xy[new], zero_cell[new]
    n_zero = np.bincount(zero_cell, minlength=k)

    # ring of cell i: a, its zero vertices, b, b + off, a + off (closed by shapely)
    size = n_zero + 4
    start = np.zeros(k, dtype=np.int64)
    np.cumsum(size[:-1], out=start[1:])
    ring_id = np.repeat(np.arange(k), size)
    rank = np.arange(len(zero_cell)) - (np.cumsum(n_zero) - n_zero)[zero_cell]
    slot_zero = start[zero_cell] + 1 + rank
    out = []
    for sign in (1.0, -1.0):
        coords = np.empty((int(size.sum()), 2))
        coords[start] = a
        coords[slot_zero] = zero_xy
        coords[start + size - 3] = b
        coords[start + size - 2] = b + sign * off
        coords[start + size - 1] = a + sign * off
        rings = shapely.linearrings(coords, indices=ring_id)
        out.append(np.asarray(shapely.polygons(rings)))
    return out[0], out[1]


def _band(
    xy: np.ndarray, idx: np.ndarray, *, start: np.ndarray, raw_map: np.ndarray | None,
    raw_tol: np.ndarray, terms: np.ndarray, bias: float,
) -> np.ndarray:
    """One neuron's zero band at polygon vertices (the ``tol`` of :func:`_vertex_values`).

    Parameters
    ----------
    xy : (V, 2) float64 array
        Vertices.
    idx : (V,) int64 array
        Their polygons; ``start[idx]`` is the cell each lies in at the layer start.
    start : (G,) int64 array
    raw_map : (R, d, 3) float64 array or None
        The layer inputs' maps before the ReLU on each layer-start cell; ``None``
        on the first layer, whose inputs are the coordinates: then ``bias`` is the
        band itself, ``ZERO_RTOL * (||W_j||_1 max |x| + |b_j|)`` for every vertex.
    raw_tol : (d,) float64 array
        Their zero bands.
    terms : (d,) float64 array
        ``|W_jk| * max |a_k|``, each input at its largest over the layer's vertices.
    bias : float
        ``|b_j|``.

    Returns
    -------
    (V,) float64 array
        ``ZERO_RTOL * (sum of terms over the inputs not clamped at the vertex + |b_j|)``;
        an input below minus its band there is exactly 0 and sums nothing.
    """
    if raw_map is None:  # the first layer: one band for every vertex
        return np.full(len(xy), bias)
    mm = raw_map[start[idx]]
    zp = mm[:, :, 0] * xy[:, :1] + mm[:, :, 1] * xy[:, 1:] + mm[:, :, 2]
    return np.asarray(ZERO_RTOL * (np.where(zp >= -raw_tol, terms, 0.0).sum(axis=1) + bias))


def _vertex_values(
    geoms: np.ndarray, maps: np.ndarray, owner: np.ndarray,
    tol: Callable[[np.ndarray, np.ndarray], np.ndarray], tol_max: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Values of one affine function at the vertices of each polygon.

    Parameters
    ----------
    geoms : (G,) object array of shapely.Polygon
        Non-empty polygons (holes included).
    maps : (R, 3) float64 array
        ``[g | c]`` of ``z = g @ x + c`` on each cell.
    owner : (G,) int64 array
        Row of ``maps`` that applies to each polygon.
    tol : callable
        ``tol(xy, idx)``: the zero tolerance at vertices ``xy`` (V, 2) of
        polygons ``idx`` (V,); values with ``|z| <= tol`` are snapped to ``0.0``.
    tol_max : float
        A bound on ``tol`` (it is only evaluated at the vertices within it).

    Returns
    -------
    xy : (V, 2) float64 array
        The vertices of all polygons (each ring closed), polygon by polygon.
    idx : (V,) int64 array
        Polygon of each vertex.
    z : (V,) float64 array
        Snapped ``z`` at each vertex.
    zmax, zmin : (G,) float64 arrays
        Largest and smallest snapped ``z`` over each polygon's vertices.
    """
    import shapely

    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    m = maps[owner[idx]]
    z = m[:, 0] * xy[:, 0] + m[:, 1] * xy[:, 1] + m[:, 2]
    near = np.flatnonzero(np.abs(z) <= tol_max * (1.0 + 1e-9))
    if len(near):
        z[near] = snap(z[near], tol(xy[near], idx[near]))
    if len(geoms) == 0:
        return xy, idx, z, np.zeros(0), np.zeros(0)
    first = np.zeros(len(geoms), dtype=np.int64)
    np.cumsum(shapely.get_num_coordinates(geoms)[:-1], out=first[1:])
    return xy, idx, z, np.maximum.reduceat(z, first), np.minimum.reduceat(z, first)


def split_shapely(
    network: Network, domain: Domain, max_regions: int | None = None
) -> ShapelyResult:
    """Cut a domain into the linear regions of a ReLU network, with shapely.

    Parameters
    ----------
    network : Network
        The network (a torch model is read with
        :func:`~regions.network.as_network`).
    domain : Domain
        The domain, convex or not, possibly with holes or several parts (a
        bounding box or a shapely polygon is accepted via
        :func:`~regions.domain.as_domain`).
    max_regions : int or None
        Raise :class:`~regions.errors.RegionLimitError` as soon as the cells
        outnumber it (checked after every neuron).

    Returns
    -------
    ShapelyResult
        ``polygons`` (R,), ``patterns`` (R, N) and ``layer_counts``. Every
        connected piece is a region, so a pattern can occur more than once on
        a non-convex domain.

    Raises
    ------
    TopologyError
        If the pieces of a split cell do not add up to its area (within
        ``SUM_RTOL`` of the domain's area): a failure of GEOS's overlay.

    Examples
    --------
    Three lines through the origin cut the square into six regions (the
    concurrent point is handled by the zero snapping, leaving no sliver):

    >>> import numpy as np
    >>> from regions.domain import as_domain
    >>> from regions.network import Network
    >>> w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> net = Network.from_arrays([(w, np.zeros(3))], (np.ones((1, 3)), np.zeros(1)))
    >>> res = split_shapely(net, as_domain((-1, -1, 1, 1)))
    >>> res.layer_counts, res.patterns.shape
    ([6], (6, 3))
    >>> float(res.areas().sum())
    4.0

    On an L-shaped domain one line can leave two pieces on one side:

    >>> import shapely
    >>> ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    >>> net = Network.from_arrays(
    ...     [(np.array([[1.0, 1.0]]), np.array([-2.5]))], (np.ones((1, 1)), np.zeros(1))
    ... )
    >>> res = split_shapely(net, as_domain(ell))
    >>> res.layer_counts, sorted(res.patterns[:, 0].tolist())
    ([3], [False, True, True])
    """
    import shapely

    network = as_network(network)
    domain = as_domain(domain)
    cells, _ = _polygon_parts(np.array([domain.polygon], dtype=object))
    cells = cells[shapely.area(cells) > 0]
    thin = sliver_width(domain.bounds)
    r = len(cells)
    # affine map of the layer input on each cell: (R, d, 3); layer 0 input is x
    in_map = np.broadcast_to(np.eye(2, 3), (r, 2, 3))
    patterns = np.zeros((r, 0), dtype=bool)
    layer_counts: list[int] = []
    # the layer input's pre-activation maps before the ReLU (R, d, 3), and their bands:
    # an input clamped at a vertex (below minus its band) is exactly 0 there
    raw_map: np.ndarray | None = None
    raw_tol = np.zeros(0)

    for layer, (w, b) in enumerate(network.hidden):
        n = w.shape[0]
        # exact pre-activation maps of this layer on each cell: (R, n, 3)
        pre = np.einsum("ij,rjk->rik", w, in_map, optimize=True)
        pre[:, :, 2] += b
        # the tolerance bounds each layer input over the vertices of all cells; at a
        # vertex, the largest of these bounds over the inputs not clamped there
        xy, idx = shapely.get_coordinates(cells, return_index=True)
        m = in_map[idx]
        a = m[:, :, 0] * xy[:, :1] + m[:, :, 1] * xy[:, 1:] + m[:, :, 2]
        amax = np.abs(a).max(axis=0, initial=0.0)  # (d,)
        tol = zero_tolerance(w, b, float(amax.max(initial=0.0)))  # the largest, (n,)
        b1 = np.abs(b)
        bits = np.zeros((len(cells), n), dtype=bool)
        # the map of a cell is that of the cell it lies in at the layer start
        origin = np.arange(len(cells))

        wabs = np.abs(w)

        for j in range(n):
            # first layer: the old global band (bias carries it); then per vertex
            bias_j = float(tol[j]) if raw_map is None else float(b1[j])
            tol_cells = partial(_band, start=origin, raw_map=raw_map, raw_tol=raw_tol,
                                terms=wabs[j] * amax, bias=bias_j)
            xy, idx, z, zmax, zmin = _vertex_values(cells, pre[:, j], origin, tol_cells,
                                                    float(tol[j]))
            bits[:, j] = zmax > 0
            split = (zmax > 0) & (zmin < 0)  # snapped: nonzero means beyond tol
            if not split.any():
                continue

            s = np.flatnonzero(split)
            zmap = pre[origin[s], j]
            rank = np.cumsum(split) - 1  # row in s of each split cell
            on_line = (z == 0.0) & split[idx]
            pos, neg = _cutters(
                shapely.bounds(cells[s]), zmap[:, :2], zmap[:, 2], xy[on_line], rank[idx[on_line]]
            )
            pieces = shapely.intersection(
                np.concatenate([cells[s], cells[s]]), np.concatenate([pos, neg])
            )
            parts, src = _polygon_parts(pieces)
            positive = src < len(s)
            owner = s[src % len(s)]
            # drop slivers: a piece with no vertex strictly on its own side lies
            # in the zero band of the line that cut it (an affine z peaks at a
            # vertex), so it is not a region under the tolerance policy
            side = np.where(positive, 1.0, -1.0)[:, None] * zmap[src % len(s)]

            tol_parts = partial(_band, start=origin[owner], raw_map=raw_map, raw_tol=raw_tol,
                                terms=wabs[j] * amax, bias=bias_j)

            peak = _vertex_values(parts, side, np.arange(len(parts)), tol_parts,
                                  float(tol[j]))[3]
            keep = (peak > 0) & (shapely.area(parts) > 0)
            parts, positive, owner = parts[keep], positive[keep], owner[keep]
            # GEOS overlay can fail silently on nearly coincident linework
            # (locationtech/jts#1000): the pieces must add up to their cell
            lost = shapely.area(cells[s]) - np.bincount(
                np.searchsorted(s, owner), shapely.area(parts), minlength=len(s)
            )
            if np.abs(lost).max() > SUM_RTOL * domain.area:
                bad = int(np.argmax(np.abs(lost)))
                raise TopologyError(
                    f"neuron {j} of hidden layer {layer}: the pieces of a cell of area "
                    f"{shapely.area(cells[s[bad]]):.6g} miss {lost[bad]:.6g} of it "
                    "(shapely/GEOS overlay failure)"
                )

            whole = np.flatnonzero(~split)
            parent = np.concatenate([whole, owner])
            cells = np.concatenate([cells[whole], parts])
            origin = origin[parent]
            bits = bits[parent]
            bits[len(whole) :, j] = positive
            if max_regions is not None and len(cells) > max_regions:
                raise RegionLimitError(
                    f"more than max_regions={max_regions} regions after neuron {j} of hidden "
                    f"layer {layer} ({len(cells)} so far); raise max_regions or pass None"
                )

        patterns = np.concatenate([patterns[origin], bits], axis=1)
        raw_map, raw_tol = pre[origin], tol
        in_map = raw_map * bits[:, :, None]
        # a cell narrower than the rounding width of the coordinates (twice its area
        # over its perimeter) is a sliver left between lines that meet exactly
        wide = 2.0 * shapely.area(cells) > thin * shapely.length(cells)
        if layer and not wide.all():  # the first layer's thin cells are real
            cells, patterns, in_map = cells[wide], patterns[wide], in_map[wide]
            raw_map = raw_map[wide]
        layer_counts.append(len(cells))

    cells = np.asarray(shapely.orient_polygons(cells), dtype=object)
    return ShapelyResult(cells, patterns, layer_counts)
