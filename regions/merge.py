"""Function regions: merge adjacent activation regions with the same affine map.

The regions of :func:`regions.linear_regions` are *activation* regions: cells
of the partition by the zero sets of all hidden neurons. Crossing such a line
need not change the function: a neuron with zero outgoing weight, or a
first-layer neuron whose every path to the output is switched off on both
sides, leaves no kink. The regions a gradient can see (the constant colours of
the exercise's ``'prism'`` picture) are the connected unions of adjacent
activation regions whose affine output maps are equal: the *function regions*.

:func:`merge_regions` builds them in arrays: the adjacency graph of the
regions (shared mesh edges, or shared boundary segments of the polygons),
restricted to the pairs with equal maps (relative ``MERGE_RTOL``, see
:mod:`regions.tolerance`), is split into connected components with
:func:`scipy.sparse.csgraph.connected_components`, and the polygons of each
component are unioned with :func:`shapely.union_all` along the rows of a
padded (group, member) array, one call per power-of-two group size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_rtol as _check_rtol
from .domain import DEFAULT_BBOX
from .errors import ArgumentTypeError, ParameterError, TopologyError
from .partition import Partition
from .split import Mesh
from .tolerance import EDGE_RTOL, MERGE_RTOL

__all__ = ["same_maps", "merge_regions", "count_function_regions"]


def _mesh_adjacency(mesh: Mesh) -> np.ndarray:
    """(E, 2) pairs ``i < j`` of mesh faces sharing an edge (identified by its vertex pair).

    The fast splitter shares every vertex between the faces that meet there,
    so an edge of one face is exactly an edge of its neighbour (no T-junction).
    """
    ptr = mesh.face_ptr
    n = mesh.n_faces
    sizes = np.diff(ptr)
    face = np.repeat(np.arange(n, dtype=np.int64), sizes)
    nxt = np.arange(len(mesh.face_verts)) + 1
    nxt[ptr[1:] - 1] = ptr[:-1]  # wrap each loop
    a, b = mesh.face_verts, mesh.face_verts[nxt]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo))
    lo, hi, face = lo[order], hi[order], face[order]
    dup = (lo[1:] == lo[:-1]) & (hi[1:] == hi[:-1])
    pairs = np.column_stack([face[:-1][dup], face[1:][dup]])
    return np.sort(pairs, axis=1).astype(np.int64).reshape(-1, 2)


def _adjacency(partition: Partition) -> np.ndarray:
    if partition.mesh is not None and not partition.is_merged:
        return _mesh_adjacency(partition.mesh)
    # no mesh: pairs that share a boundary segment, measured (a point contact is not one)
    from .plot import region_adjacency

    return region_adjacency(partition)


def same_maps(
    jacobians: np.ndarray,
    offsets: np.ndarray,
    pairs: np.ndarray,
    bounds: tuple[float, float, float, float],
    rtol: float = MERGE_RTOL,
) -> np.ndarray:
    """Whether the two regions of each pair have the same affine output map.

    Two maps ``J_a x + o_a`` and ``J_b x + o_b`` are the same when, for every
    output ``k``, ``max |J_a[k] - J_b[k]| <= rtol * Jmax[k]`` and
    ``|o_a[k] - o_b[k]| <= rtol * (Omax[k] + Jmax[k] * X)``, where ``Jmax[k]``
    and ``Omax[k]`` are the largest ``|jacobians[:, k]|`` and
    ``|offsets[:, k]|`` over all regions and ``X = max |bounds|`` (so the
    offset scale is that of the output values on the domain).

    Parameters
    ----------
    jacobians : (R, n_out, 2) float64 array
    offsets : (R, n_out) float64 array
    pairs : (E, 2) int array
        Region index pairs.
    bounds : (xmin, ymin, xmax, ymax)
        The domain's bounds.
    rtol : float, default ``MERGE_RTOL`` (1e-9)
        Relative tolerance, in [0, 1).

    Returns
    -------
    same : (E,) bool array

    Raises
    ------
    ValueError
        If ``rtol`` is not in [0, 1) or ``pairs`` is not an (E, 2) array.

    Examples
    --------
    >>> import numpy as np
    >>> jac = np.array([[[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 2.5]]])
    >>> off = np.array([[0.5], [0.5], [0.5]])
    >>> same_maps(jac, off, np.array([[0, 1], [1, 2]]), (-1, -1, 1, 1)).tolist()
    [True, False]
    """
    tol = _check_rtol(rtol)
    pairs = np.asarray(pairs)
    if pairs.size == 0:
        pairs = pairs.reshape(0, 2)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ParameterError(f"pairs must be an (E, 2) array, got shape {pairs.shape}")
    jac = np.asarray(jacobians, dtype=np.float64)
    off = np.asarray(offsets, dtype=np.float64)
    jmax = np.abs(jac).max(axis=(0, 2), initial=0.0)  # (n_out,)
    xmax = max(abs(float(v)) for v in bounds)
    omax = np.abs(off).max(axis=0, initial=0.0) + jmax * xmax
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    djac = np.abs(jac[i] - jac[j]).max(axis=2, initial=0.0)  # (E, n_out)
    doff = np.abs(off[i] - off[j])
    return np.asarray(((djac <= tol * jmax) & (doff <= tol * omax)).all(axis=1))


def _group_unions(
    polys: np.ndarray, labels: np.ndarray, n_groups: int, close: float = 0.0
) -> np.ndarray:
    """Union of the polygons of each label, with one shapely call per size class.

    With ``close > 0`` the members of a group are grown by ``close`` (mitred
    corners) before the union and the union shrunk by it after: this closes
    the overlay-noise gaps between neighbours that do not share their
    vertices exactly (polygons of the reference splitter).
    """
    import shapely

    def grow(g: np.ndarray, d: float) -> np.ndarray:
        if close == 0.0:
            return g
        return np.asarray(shapely.buffer(g, d, join_style="mitre", mitre_limit=1e6))

    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.empty(n_groups, dtype=object)
    single = sizes == 1
    out[single] = polys[order[start[single]]]
    # groups of more than one member, bucketed by the next power of two of their size
    multi = np.flatnonzero(~single)
    width = 2 ** np.ceil(np.log2(np.maximum(sizes[multi], 2))).astype(np.int64)
    for w in np.unique(width):
        g = multi[width == w]
        rank = np.arange(int(w))
        take = rank[None, :] < sizes[g][:, None]  # (G, w)
        table = np.full((len(g), int(w)), None, dtype=object)
        table[take] = grow(polys[order[(start[g][:, None] + rank[None, :])[take]]], close)
        out[g] = grow(shapely.union_all(table, axis=1), -close)
    return out


def _split_pieces(
    partition: Partition, comp: np.ndarray, unions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split unions that fell apart (members touching at a point) into their pieces.

    Returns the piece of each region and the pieces; each region's piece is
    the part of its group's union holding its interior point.
    """
    import shapely

    parts, group = shapely.get_parts(unions, return_index=True)
    if len(parts) == len(unions):
        return comp, unions
    pts = partition.interior_points()
    src, dst = shapely.STRtree(parts).query(shapely.points(pts), predicate="intersects")
    ok = group[dst] == comp[src]
    piece = np.full(len(pts), -1, dtype=np.int64)
    piece[src[ok]] = dst[ok]
    if (piece < 0).any():  # pragma: no cover - an interior point is inside its union
        raise TopologyError("a region's interior point lies in no piece of its merged region")
    return piece, np.asarray(parts, dtype=object)


def merge_regions(partition: Partition, rtol: float = MERGE_RTOL) -> Partition:
    """Merge adjacent regions whose affine output maps are equal: the function regions.

    Regions ``a`` and ``b`` are merged when they share a boundary segment and
    :func:`same_maps` holds for them (all outputs), and transitively: the
    merged regions are the connected components of that graph. Each merged
    region is the union of its members' polygons and may be non-convex (or
    have holes). Regions that only touch at a point are not merged (a union
    that falls apart is split into its pieces).

    A merged region has no single activation pattern: its members' patterns
    differ in the neurons whose lines were dissolved. The result stores the
    pattern of its first member (lowest index); its ``jacobians`` and
    ``offsets`` are that member's map, equal to every member's within
    ``rtol``. ``members`` maps each region of ``partition`` to the merged
    region that holds it, ``layer_counts`` are those of ``partition``
    (activation regions after each layer), and ``verify`` checks that adjacent
    merged regions have different maps instead of different patterns.

    Parameters
    ----------
    partition : Partition
        Activation regions, from :func:`regions.linear_regions` (a merged
        partition is returned unchanged).
    rtol : float, default ``MERGE_RTOL`` (1e-9)
        Relative tolerance of :func:`same_maps`, in [0, 1).

    Returns
    -------
    Partition
        With ``is_merged`` true; ``members`` is an (R,) int64 array, ``R =
        len(partition)``.

    Raises
    ------
    TypeError
        If ``partition`` is not a :class:`~regions.Partition`.
    ValueError
        If ``rtol`` is out of range.

    Examples
    --------
    Two lines, ``x = 0`` and ``y = 0``; the second neuron's outgoing weight is
    zero, so its line is no kink and the four activation regions make two
    function regions:

    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])], ([[1.0, 0.0]], [0.0]))
    >>> p = regions.linear_regions(net, (-1, -1, 1, 1))
    >>> m = merge_regions(p)
    >>> len(p), len(m), m.members.tolist()
    (4, 2, [0, 1, 0, 1])
    >>> m.verify()
    >>> sorted(m.areas.tolist())
    [2.0, 2.0]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    rtol = _check_rtol(rtol)
    if partition.is_merged:
        return partition
    r = len(partition)
    adjacent = _adjacency(partition)
    keep = same_maps(
        partition.jacobians, partition.offsets, adjacent, partition.domain.bounds, rtol
    )
    pairs = adjacent[keep]
    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(r, r)
    )
    n_groups, comp = connected_components(graph, directed=False)
    xmin, ymin, xmax, ymax = partition.domain.bounds
    hair = EDGE_RTOL * float(np.hypot(xmax - xmin, ymax - ymin))
    close = 0.0 if partition.mesh is not None else hair  # mesh neighbours share vertices
    polys = _group_unions(partition.polygons, comp, n_groups, close)
    comp, polys = _split_pieces(partition, comp, polys)
    # a piece no member's interior point lies in is overlay noise (a sliver of a union)
    used = np.zeros(len(polys), dtype=bool)
    used[comp] = True
    if not used.all():
        comp = (np.cumsum(used) - 1)[comp]
        polys = polys[used]
    # number the merged regions in order of their first member
    first = np.full(len(polys), r, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(r))
    order = np.argsort(first)
    rank = np.argsort(order)
    labels = rank[comp].astype(np.int64)
    first, polys = first[order], polys[order]
    merged = Partition(
        partition.network,
        partition.domain,
        partition.patterns[first],
        partition.layer_counts,
        polygons=polys,
        method=partition.method,
        members=labels,
        source=partition if partition.whole_plane else None,
    )
    merged._affine = (partition.jacobians[first], partition.offsets[first])
    # merged regions are neighbours where members are: exact, whatever the unions' rounding
    across = labels[adjacent]
    across = np.sort(across[across[:, 0] != across[:, 1]], axis=1)
    merged._adjacent = np.unique(across, axis=0).astype(np.int64).reshape(-1, 2)
    # each merged region's point: its first member's, inside an activation region, so
    # off every dissolved kink (where a forward pass's gradient is only a subgradient)
    merged._points = partition.interior_points()[first]
    return merged


def count_function_regions(
    model: Any, bbox: Any = DEFAULT_BBOX, *, plane: Any = None, input_shape: Any = None
) -> int:
    """Number of function regions: activation regions merged where the map is equal.

    ``len(merge_regions(linear_regions(model, bbox)))``: the number of
    connected pieces of the domain on which the network is one affine map,
    bounded by its kinks only. At most :func:`regions.count_regions`.

    Parameters
    ----------
    model : torch.nn.Module or Network
    bbox : (xmin, ymin, xmax, ymax), shapely Polygon or None, default (-10, -10, 10, 10)
    plane, input_shape : optional
        As :func:`regions.linear_regions` (models of image inputs).

    Returns
    -------
    int

    Examples
    --------
    The course's deep model: some first-layer lines cross regions where every
    path to the output is switched off, and leave no kink there:

    >>> import regions
    >>> from regions.course import deep_model
    >>> regions.count_regions(deep_model()), count_function_regions(deep_model())
    (81, 77)
    """
    from .engine import linear_regions

    return len(
        merge_regions(linear_regions(model, bbox, plane=plane, input_shape=input_shape))
    )
