"""The bent hyperplanes: each hidden neuron's zero set, as the region edges it makes.

Every edge between two linear regions lies on the zero set of a hidden
neuron: crossing it flips that neuron's sign, so the two regions' activation
patterns differ there. :func:`neuron_boundaries` lists the edges with the
neuron (the first pattern column that differs across the edge) and its
hidden layer, and :func:`plot_boundaries` draws them coloured by layer or by
neuron: the picture of "bent hyperplanes" (a first-layer neuron's zero set is
a straight line; a later one's bends where it crosses an earlier one's).

Edges come from the fast splitter's shared-vertex mesh, where two
neighbouring regions hold the same vertex pair, so an edge is exact (its ends
are mesh vertices); on a whole plane, a ray from a finite vertex to a point at
infinity is cut at the frame box. Without a mesh (``method="shapely"``, a
non-convex domain) an edge is a piece of one region's boundary within a hair
(``EDGE_RTOL`` of the domain's diameter) of its neighbour whose midpoint is within a
quarter hair of it (so the start of the next edge, which leaves the neighbour at an angle,
is not taken), over pairs from :func:`regions.plot.region_adjacency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_flag
from .errors import ArgumentTypeError, ParameterError
from .tolerance import EDGE_RTOL

__all__ = ["Boundaries", "COLOR_BY_UNIT", "neuron_boundaries", "plot_boundaries"]

#: The values ``plot_boundaries(color_by=...)`` accepts.
COLOR_BY_UNIT: tuple[str, ...] = ("layer", "neuron")

#: Edges compared per block (bounds the (block, N) bool array of pattern differences).
_BLOCK = 1 << 15


@dataclass(frozen=True)
class Boundaries:
    """The edges between linear regions, each with the neuron whose zero set it lies on.

    Attributes
    ----------
    segments : (E, 2, 2) float64 array
        ``segments[e] = [[x0, y0], [x1, y1]]``, the ends of edge ``e``.
    pairs : (E, 2) int64 array
        The regions on either side, ``pairs[e, 0] < pairs[e, 1]``.
    unit : (E,) int64 array
        The first hidden neuron (column of ``Partition.patterns``, layers
        concatenated) whose activation differs between the two regions. For a
        model compiled to stages (:mod:`regions.program`) a column is a
        breakpoint: two per ``Hardtanh``/``ReLU6`` unit, one per ReLU-like unit.
    layer : (E,) int64 array
        The hidden layer of ``unit``, counted from 0.
    n_units : (E,) int64 array
        How many neurons differ across the edge: 1 in general, more where
        zero sets coincide (duplicate neurons) or where the edge ends at a
        vertex shared with another neuron's zero set only at a point.
    widths : tuple of int
        The hidden layers' widths (pattern columns per layer).
    """

    segments: np.ndarray
    pairs: np.ndarray
    unit: np.ndarray
    layer: np.ndarray
    n_units: np.ndarray
    widths: tuple[int, ...]

    def __len__(self) -> int:
        """Number of edges, ``E``."""
        return len(self.unit)

    @property
    def lengths(self) -> np.ndarray:
        """(E,) float64 array of edge lengths."""
        d = self.segments[:, 1] - self.segments[:, 0]
        return np.hypot(d[:, 0], d[:, 1])

    def length_by_layer(self) -> np.ndarray:
        """(L,) float64 array: total edge length on each hidden layer's zero sets."""
        return np.bincount(self.layer, weights=self.lengths, minlength=len(self.widths))


def _check(partition: Any) -> Any:
    from .partition import Partition

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    if partition.is_merged:
        raise ParameterError(
            "partition is merged (function regions): neuron boundaries are defined on the "
            "activation regions; call neuron_boundaries before merged()"
        )
    return partition


def _mesh_edges(partition: Any) -> tuple[np.ndarray, np.ndarray]:
    """Interior edges of the mesh: ``(segments (E, 2, 2), pairs (E, 2))``."""
    mesh = partition.mesh
    ptr, verts = mesh.face_ptr, mesh.face_verts
    n = mesh.n_faces
    face = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    nxt = np.arange(len(verts)) + 1
    nxt[ptr[1:] - 1] = ptr[:-1]  # wrap each loop
    a, b = verts, verts[nxt]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo))
    lo, hi, face = lo[order], hi[order], face[order]
    dup = np.flatnonzero((lo[1:] == lo[:-1]) & (hi[1:] == hi[:-1]))
    u, v = lo[dup], hi[dup]
    pairs = np.sort(np.column_stack([face[dup], face[dup + 1]]), axis=1)
    ideal = mesh.ideal_mask
    keep = ~(ideal[u] & ideal[v])  # an arc at infinity is no neuron's
    u, v, pairs = u[keep], v[keep], pairs[keep]
    p0, p1 = mesh.xy[u].copy(), mesh.xy[v].copy()
    ray_u, ray_v = ideal[u], ideal[v]
    if ray_u.any() or ray_v.any():  # rays: from the finite end to the frame box
        start = np.where(ray_u[:, None], p1, p0)
        d = np.where(ray_u[:, None], p0, p1)
        ray = ray_u | ray_v
        end = _to_frame(start[ray], d[ray], partition.domain.bounds)
        p0[ray], p1[ray] = start[ray], end
    return np.stack([p0, p1], axis=1), pairs.astype(np.int64).reshape(-1, 2)


def _to_frame(start: np.ndarray, d: np.ndarray, bounds: Any) -> np.ndarray:
    """Where each ray ``start + t d`` (``t >= 0``) leaves the box ``bounds``."""
    xmin, ymin, xmax, ymax = bounds
    lo, hi = np.array([xmin, ymin]), np.array([xmax, ymax])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d > 0, (hi - start) / d, np.where(d < 0, (lo - start) / d, np.inf))
    return start + np.min(t, axis=1)[:, None] * d


def _shape_edges(partition: Any) -> tuple[np.ndarray, np.ndarray]:
    """Edges without a mesh: each adjacent pair's shared boundary, as segments."""
    import shapely

    from .plot import region_adjacency

    polys = partition.polygons
    pairs = region_adjacency(partition)
    if not len(pairs):
        return np.zeros((0, 2, 2)), np.zeros((0, 2), dtype=np.int64)
    xmin, ymin, xmax, ymax = partition.domain.bounds
    hair = EDGE_RTOL * float(np.hypot(xmax - xmin, ymax - ymin))
    near = shapely.intersection(
        shapely.boundary(polys[pairs[:, 0]]),
        shapely.buffer(polys[pairs[:, 1]], hair, quad_segs=1),
    )
    parts, owner = shapely.get_parts(near, return_index=True)
    lines = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
    parts, owner = parts[lines], owner[lines]
    xy, line = shapely.get_coordinates(parts, return_index=True)
    seg = np.flatnonzero(line[1:] == line[:-1])
    segments = np.stack([xy[seg], xy[seg + 1]], axis=1)
    pair = pairs[owner[line[seg]]]
    d = segments[:, 1] - segments[:, 0]
    # a shared piece runs along the neighbour (its midpoint within rounding of it); the
    # buffer also catches a stub of the next edge, which leaves the neighbour at an angle
    # (its midpoint about half a hair away)
    off = shapely.distance(shapely.points(segments.mean(axis=1)), polys[pair[:, 1]])
    keep = (np.hypot(d[:, 0], d[:, 1]) > hair) & (off <= hair / 4)
    return segments[keep], pair[keep]


def _units(
    pat: np.ndarray, pairs: np.ndarray, widths: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First differing pattern column across each pair, how many differ, and its layer."""
    unit = np.empty(len(pairs), dtype=np.int64)
    count = np.empty(len(pairs), dtype=np.int64)
    for s in range(0, len(pairs), _BLOCK):  # blocks of edges: bounded memory
        diff = pat[pairs[s:s + _BLOCK, 0]] != pat[pairs[s:s + _BLOCK, 1]]
        unit[s:s + _BLOCK] = np.argmax(diff, axis=1) if diff.shape[1] else 0
        count[s:s + _BLOCK] = diff.sum(axis=1)
    # equal patterns on both sides cannot happen in an activation partition
    assert not len(count) or count.min() > 0, "two adjacent regions with one pattern"
    layer = np.searchsorted(np.cumsum(widths), unit, side="right").astype(np.int64)
    return unit, count, layer


def neuron_boundaries(partition: Any) -> Boundaries:
    """The region edges, each with the hidden neuron whose zero set it lies on.

    Parameters
    ----------
    partition : Partition
        Activation regions (not merged); a bounded domain or the whole plane
        (rays cut at the frame box, arcs at infinity left out).

    Returns
    -------
    Boundaries
        One entry per edge between two regions; the domain's own boundary is
        not included. Over the edges ``e`` of the zero set of neuron ``k``,
        ``patterns[pairs[e, 0], k] != patterns[pairs[e, 1], k]``.

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition.
    ParameterError
        If ``partition`` is merged.

    Examples
    --------
    Two lines through the origin and a second-layer neuron ``relu(x) + relu(y) - 1``:

    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays(
    ...     [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [-1.0])],
    ...     ([[1.0]], [0.0]))
    >>> p = regions.linear_regions(net, (-2, -2, 2, 2))
    >>> b = neuron_boundaries(p)
    >>> [round(float(x), 6) for x in b.length_by_layer()]  # 2 x 4, then 2 + 2 + sqrt(2)
    [8.0, 5.414214]

    Duplicate neurons make one line with two neurons on it:

    >>> net = Network.from_arrays([([[1.0, 0.0], [1.0, 0.0]], [0.0, 0.0])], ([[1.0, 1.0]], [0.0]))
    >>> b = neuron_boundaries(regions.linear_regions(net, (-1, -1, 1, 1)))
    >>> len(b), b.unit.tolist(), b.n_units.tolist()
    (1, [0], [2])
    """
    p = _check(partition)
    widths = tuple(int(w) for w in p.network.widths)
    if p.mesh is not None:
        segments, pairs = _mesh_edges(p)
    else:
        segments, pairs = _shape_edges(p)
    unit, count, layer = _units(p.patterns, pairs, widths)
    return Boundaries(segments, pairs, unit, layer, count, widths)


def plot_boundaries(
    partition: Any,
    ax: Any = None,
    color_by: str = "layer",
    cmap: Any = None,
    *,
    linewidth: float = 1.0,
    legend: bool = True,
    frame: bool = True,
    view: str = "box",
    scale: float | None = None,
) -> list[Any]:
    """Draw each hidden neuron's zero set (the bent hyperplanes), coloured by layer or neuron.

    Parameters
    ----------
    partition : Partition
        Activation regions (not merged).
    ax : matplotlib Axes, optional
        Where to draw; new axes if None.
    color_by : {"layer", "neuron"}, default "layer"
        One colour per hidden layer (with a legend), or per neuron.
    cmap : str or Colormap, optional
        Default ``"tab10"`` for up to 10 layers, else ``"viridis"``; for
        ``"neuron"``, ``"turbo"``.
    linewidth : float, default 1.0
    legend : bool, default True
        With ``color_by="layer"``: a legend naming each layer and its width.
    frame : bool, default True
        Draw the domain's boundary in grey (in the disk view: the circles of
        :func:`regions.plot_partition`'s disk view and the extent, dashed).
    view : {"box", "disk"}, default "box"
        ``"box"``: the domain (a whole plane's frame box). ``"disk"``: only for
        a whole plane, all of it in the unit disk (:func:`regions.plot.disk_map`,
        the scale chosen as in :func:`regions.plot_partition`); every zero set
        runs out to the circle at infinity.
    scale : float, optional
        The disk view's distance drawn at radius 0.5.

    Returns
    -------
    list of matplotlib.collections.LineCollection
        One per hidden layer (``"layer"``; empty collections for layers that
        make no edge here) or a single one (``"neuron"``).

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition or ``ax`` not a matplotlib Axes.
    ParameterError
        If ``color_by``, ``view``, ``scale``, ``cmap`` or ``linewidth`` is
        invalid, the partition is merged, or ``view="disk"`` is asked of a
        bounded partition.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, regions
    >>> from regions.course import deep_model
    >>> p = regions.linear_regions(deep_model())
    >>> lines = plot_boundaries(p)
    >>> len(lines), sum(len(c.get_segments()) for c in lines) == len(neuron_boundaries(p))
    (4, True)
    >>> plt.close("all")
    """
    legend = check_flag("legend", legend)
    frame = check_flag("frame", frame)
    import matplotlib
    from matplotlib.collections import LineCollection

    if not isinstance(color_by, str) or color_by not in COLOR_BY_UNIT:
        raise ParameterError(f"color_by must be one of {COLOR_BY_UNIT}, got {color_by!r}")
    from .plot import VIEWS, _check_style, _disk_edges, _disk_frame, _disk_scale, _new_axes

    if not isinstance(view, str) or view not in VIEWS:
        raise ParameterError(f"view must be one of {VIEWS}, got {view!r}")
    _check_style(ax=ax, cmap=cmap, linewidth=linewidth)
    b = neuron_boundaries(partition)
    p = partition
    segments = list(b.segments)
    if view == "disk":
        if not p.whole_plane:
            raise ParameterError(
                "view='disk' shows a whole plane: build the partition with bbox=None"
            )
        scale, power = _disk_scale(p.mesh, scale)
        lines, pairs = _disk_edges(p.mesh, scale, power)
        unit, _, layer = _units(p.patterns, pairs, b.widths)
        b = Boundaries(b.segments, pairs, unit, layer, b.n_units, b.widths)
        segments = list(lines)
    if ax is None:
        ax = _new_axes(1)[0]
    n_layers = len(b.widths)
    out = []
    if color_by == "layer":
        from .network import Network

        # a stage program's pattern columns are breakpoints (two per Hardtanh/ReLU6 unit)
        noun = "neurons" if isinstance(p.network, Network) else "breakpoints"
        name = cmap if cmap is not None else ("tab10" if n_layers <= 10 else "viridis")
        cm = matplotlib.colormaps[name] if isinstance(name, str) else name
        for k in range(n_layers):
            sel = b.layer == k
            color = cm(k) if getattr(cm, "N", 256) < 256 else cm(k / max(n_layers - 1, 1))
            coll = LineCollection(
                [s for s, k_ in zip(segments, sel, strict=True) if k_], colors=[color],
                linewidths=linewidth,
                label=f"layer {k + 1} ({b.widths[k]} {noun if b.widths[k] != 1 else noun[:-1]})",
            )
            ax.add_collection(coll)
            out.append(coll)
        if legend and n_layers:
            where = {"loc": "lower right", "bbox_to_anchor": (1.08, -0.08)} if (
                view == "disk") else {"loc": "upper right"}
            ax.legend(handles=out, fontsize="small", framealpha=0.8, **where)
    else:
        total = max(int(sum(b.widths)) - 1, 1)
        cm = matplotlib.colormaps[cmap if cmap is not None else "turbo"] if (
            cmap is None or isinstance(cmap, str)) else cmap
        coll = LineCollection(segments, colors=cm(b.unit / total), linewidths=linewidth)
        ax.add_collection(coll)
        out.append(coll)
    if view == "disk":
        assert scale is not None
        if frame:
            _disk_frame(ax, float(scale), power, p.extent())
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        ax.set_axis_off()
        return out
    if frame:
        import shapely
        from matplotlib.collections import PathCollection

        from .plot import _paths

        ax.add_collection(
            PathCollection(
                _paths(shapely.get_parts(np.array([p.domain.polygon], dtype=object))),
                facecolors="none", edgecolors="0.5", linewidths=0.6,
            )
        )
    xmin, ymin, xmax, ymax = p.domain.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    return out
