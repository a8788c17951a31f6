"""The fast splitter: a shared-vertex polygon mesh refined neuron by neuron.

Data
    ``xy`` (V, 2) vertex coordinates, shared between the faces that meet there;
    ``z`` (V, n) the current layer's pre-activations at every vertex; faces as
    counter-clockwise vertex loops in an append-only arena (``start``, ``size``
    per face into one index pool), compacted between layers.

One neuron ``j``
    Pre-activations are continuous and affine on every cell of the previous
    layer, so along any edge of the mesh ``z_j`` is linear. The faces whose
    vertices hold both signs are split: on each edge with strictly opposite
    signs a vertex is put where ``z_j = 0`` (linear interpolation of ``xy`` and
    of the whole row of ``z``, then ``z_j := 0`` exactly), shared by both faces
    of the edge (edges are identified by their sorted vertex pair), and each
    face is cut into its ``z_j >= 0`` and ``z_j <= 0`` loops. Everything is
    done with arrays over all faces the neuron crosses; only faces inside
    previous-layer cells whose vertex values straddle zero are looked at.

Zero values follow :mod:`regions.tolerance`: every stored pre-activation is
either exactly ``0.0`` or larger in magnitude than its neuron's tolerance.

Kernels
    The array code above is the reference; :mod:`regions._kernel` runs the
    same algorithm compiled (numba) for bounded meshes. Faces are put in a
    canonical order after every layer (:func:`canonical_order`), so the
    partition does not depend on which one ran.

Slivers
    After every layer the faces narrower than the rounding width of the
    coordinates (:func:`thin_faces`) are merged into a neighbour
    (:func:`merge_thin`; the whole plane: :func:`plane_slivers`), or dropped
    where only a count is kept: see :mod:`regions.tolerance`, "Slivers".

Streaming count
    :func:`count_faces` refines spatially sorted chunks of faces depth first,
    on several threads, and keeps no finished layer: memory is bounded by the
    chunks in flight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .errors import ParameterError, RegionLimitError, TopologyError
from .tolerance import (
    DIRECT_MIN_RTOL,
    GENERIC_RTOL,
    RECHECK_RTOL,
    SLIVER_ULPS,
    ZERO_RTOL,
    scale_floor,
    sliver_width,
)

__all__ = [
    "Mesh",
    "canonical_order",
    "split_mesh",
    "start_mesh",
    "refine_layer",
    "refine_rows",
    "count_faces",
    "face_reduce",
    "thin_faces",
    "merge_thin",
    "plane_frame",
    "plane_slivers",
]


@dataclass(eq=False)
class Mesh:
    """A convex polygon mesh with activation patterns: the fast splitter's result.

    Parameters
    ----------
    xy : (V, 2) float64 array
        Vertex coordinates.
    face_ptr : (F + 1,) int64 array
        Face ``f`` is the counter-clockwise loop ``face_verts[face_ptr[f]:face_ptr[f+1]]``.
    face_verts : (S,) int64 array
        Vertex indices of all loops, concatenated.
    layer_patterns : list of (F_l, n_l) bool arrays
        Pattern of each layer's faces.
    layer_parents : list of (F_l,) int64 arrays
        For each layer's faces, the index of the face of the layer before that
        contains it (for layer 0: zeros, the domain).
    ideal : (V,) bool array, optional
        Ideal vertices: points at infinity, whose ``xy`` is a unit direction.
        Between two consecutive ideal vertices of a loop runs an arc at
        infinity; between a finite and an ideal one, a ray. Default: none
        (a bounded mesh).
    """

    xy: np.ndarray
    face_ptr: np.ndarray
    face_verts: np.ndarray
    layer_patterns: list[np.ndarray] = field(default_factory=list)
    layer_parents: list[np.ndarray] = field(default_factory=list)
    ideal: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.ideal is None:
            self.ideal = np.zeros(len(self.xy), dtype=bool)

    @property
    def ideal_mask(self) -> np.ndarray:
        """(V,) bool array: which vertices are ideal."""
        assert self.ideal is not None
        return self.ideal

    def bounded(self) -> np.ndarray:
        """(F,) bool array: faces with no ideal vertex."""
        if not self.ideal_mask.any():
            return np.ones(self.n_faces, dtype=bool)
        return face_reduce(self.ideal_mask[:, None], self.face_ptr, self.face_verts,
                           np.bitwise_or)[:, 0] == 0

    def recession(self) -> np.ndarray:
        """Directions at infinity of each face, in loop order.

        Returns
        -------
        directions : (F,) object array of (k, 2) float64 arrays
            The unit directions of the face's ideal vertices in
            counter-clockwise order, starting with the first after a finite
            vertex; empty (0, 2) for a bounded face. When they follow one
            another in the loop, the recession cone of the face is spanned by
            the counter-clockwise arc from the first to the last of them. A
            strip between parallel lines has two opposite directions that do
            not (a finite vertex lies between them): its cone is their line.
            A face with no finite vertex (no neuron cut the plane) is all of
            it.
        """
        ptr, verts = self.face_ptr, self.face_verts
        sizes = np.diff(ptr)
        ideal = self.ideal_mask[verts]
        owner = np.repeat(np.arange(self.n_faces), sizes)
        pos = np.arange(len(verts)) - ptr[owner]
        prev = np.where(pos == 0, ptr[owner] + sizes[owner] - 1, np.arange(len(verts)) - 1)
        # each face's loop rotated to begin at an ideal vertex that follows a finite one
        first = ideal & ~ideal[prev]
        start = np.full(self.n_faces, len(verts), dtype=np.int64)
        np.minimum.at(start, owner[first], pos[first])  # the first such slot of each face
        start[start == len(verts)] = 0  # no finite vertex: the loop as it is
        key = np.mod(pos - start[owner], sizes[owner])
        slots = np.flatnonzero(ideal)
        slots = slots[np.lexsort((key[slots], owner[slots]))]
        dirs = self.xy[verts[slots]]
        cuts = np.searchsorted(owner[slots], np.arange(1, self.n_faces))
        out = np.empty(self.n_faces, dtype=object)
        out[:] = np.split(dirs, cuts)
        return out

    def vertex_faces(self) -> np.ndarray:
        """(V,) int64 array: the number of faces each vertex belongs to."""
        return np.bincount(self.face_verts, minlength=len(self.xy))

    def extent(self) -> tuple[float, float, float, float] | None:
        """Smallest box holding every finite vertex where three or more faces meet.

        Degree-2 vertices (anchors on a line, points where a line only passes
        by) are not where region boundaries meet and are left out. ``None``
        when there is no such vertex (for example parallel lines only).

        Returns
        -------
        (xmin, ymin, xmax, ymax) or None
        """
        keep = (self.vertex_faces() >= 3) & ~self.ideal_mask
        if not keep.any():
            return None
        pts = self.xy[keep]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def clipped_polygons(self, bounds: tuple[float, float, float, float]) -> np.ndarray:
        """Faces intersected with a box; unbounded faces are truncated far away first.

        An unbounded face is first cut by a disk of radius ``L`` far beyond
        the box and every finite vertex: each ray from a finite vertex ``u``
        in direction ``d`` ends where it meets the circle, and an ideal vertex
        between two arcs becomes the point ``L d``. All those points lie on
        the circle in counter-clockwise order, so the truncated face is a
        convex polygon, exact inside the box.

        Parameters
        ----------
        bounds : (xmin, ymin, xmax, ymax)

        Returns
        -------
        polygons : (F,) object array of shapely geometries
            ``face ∩ box``; empty where a face misses the box.
        """
        import shapely

        ideal = self.ideal_mask
        fin = self.xy[~ideal]
        reach = max(
            float(np.abs(np.asarray(bounds, dtype=float)).max()),
            float(np.abs(fin).max()) if len(fin) else 0.0,
            1.0,
        )
        big = 1e3 * reach
        verts = self.face_verts
        nxt = _next_slot(self.face_ptr)
        prv = np.empty_like(nxt)
        prv[nxt] = np.arange(len(nxt))
        isid = ideal[verts]
        d = self.xy[verts]
        pu, pw = verts[prv], verts[nxt]
        u_fin = isid & ~ideal[pu]
        w_fin = isid & ~ideal[pw]

        def on_circle(p: np.ndarray) -> np.ndarray:
            # p + s d with |p + s d| = big, s > 0
            pd = np.einsum("ij,ij->i", p, d)
            s = -pd + np.sqrt(np.maximum(pd * pd - np.einsum("ij,ij->i", p, p) + big * big, 0))
            return p + s[:, None] * d

        first = np.where(u_fin[:, None], on_circle(self.xy[pu]), big * d)
        first = np.where(isid[:, None], first, d)  # a finite vertex stands for itself
        last = on_circle(self.xy[pw])
        # per slot: [first] always except for an ideal vertex between a finite
        # neighbour after it and an ideal one before it; [last] when w is finite
        emit_first = ~isid | u_fin | (isid & ~w_fin)
        emit_last = w_fin
        pts = np.stack([first, last], axis=1).reshape(-1, 2)
        emit = np.stack([emit_first, emit_last], axis=1).ravel()
        # which emitted points are L d of an ideal vertex between two arcs
        arc_pt = np.stack([isid & ~u_fin, np.zeros_like(isid)], axis=1).ravel()[emit]
        pts = pts[emit]
        owner = np.repeat(np.repeat(np.arange(self.n_faces), np.diff(self.face_ptr)), 2)[emit]
        rings = shapely.linearrings(pts, indices=owner)
        polys = shapely.polygons(rings)
        bad = np.flatnonzero(~shapely.is_valid(polys))
        if len(bad):
            polys[bad] = _drop_misplaced(pts, owner, arc_pt, bad)
            # a face is convex: one whose ring rounding has folded (two vertices a few
            # ulps apart in the wrong order) is its vertices' convex hull
            fin = ~face_reduce(ideal[:, None], self.face_ptr, verts, np.bitwise_or)[:, 0]
            bad = bad[~shapely.is_valid(polys[bad])]
            polys[bad[fin[bad]]] = shapely.convex_hull(polys[bad[fin[bad]]])
            # an unbounded face whose ring still crosses itself (a finite vertex far out
            # between its arcs, QA9 C:406: GEOS then failed on the clip): the part of a
            # convex face inside the circle is convex too, the hull of its points
            rest = bad[~fin[bad]]
            polys[rest] = shapely.convex_hull(polys[rest])
        out = np.asarray(shapely.intersection(polys, shapely.box(*bounds)))
        mixed = np.flatnonzero(shapely.get_type_id(out) == shapely.GeometryType.GEOMETRYCOLLECTION)
        for i in mixed:  # a face grazing the box along a line: its area only
            parts = shapely.get_parts(out[i])
            parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
            out[i] = parts[0] if len(parts) == 1 else shapely.multipolygons(parts)
        return out

    @property
    def n_faces(self) -> int:
        """Number of faces ``F``."""
        return int(self.face_ptr.shape[0] - 1)

    @property
    def layer_counts(self) -> list[int]:
        """Number of faces after each hidden layer."""
        return [int(p.shape[0]) for p in self.layer_patterns]

    def patterns(self) -> np.ndarray:
        """Full activation patterns of the final faces.

        Returns
        -------
        patterns : (F, N) bool array
        """
        if not self.layer_patterns:
            return np.zeros((self.n_faces, 0), dtype=bool)
        cols = []
        idx = np.arange(self.n_faces)
        for pat, par in zip(self.layer_patterns[::-1], self.layer_parents[::-1], strict=True):
            cols.append(pat[idx])
            idx = par[idx]
        return np.concatenate(cols[::-1], axis=1)


    def areas(self) -> np.ndarray:
        """Face areas by the shoelace formula (``inf`` for unbounded faces).

        Returns
        -------
        areas : (F,) float64 array
        """
        nxt = _next_slot(self.face_ptr)
        p = self.xy[self.face_verts]
        q = p[nxt]
        cross = p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]
        if not len(cross):
            return np.zeros(0)
        out = 0.5 * np.add.reduceat(cross, self.face_ptr[:-1])
        out[~self.bounded()] = np.inf
        return out

    def polygons(self) -> np.ndarray:
        """Faces as shapely Polygons.

        Returns
        -------
        polygons : (F,) object array of shapely.Polygon
        """
        import shapely

        sizes = np.diff(self.face_ptr)
        # close each ring: repeat the first vertex after the last
        ptr = self.face_ptr
        order = np.empty(len(self.face_verts) + self.n_faces, dtype=np.int64)
        pos = ptr[:-1] + np.arange(self.n_faces)
        mask = np.ones(len(order), dtype=bool)
        mask[pos + sizes] = False
        order[mask] = self.face_verts
        order[pos + sizes] = self.face_verts[ptr[:-1]]
        ring_ids = np.repeat(np.arange(self.n_faces), sizes + 1)
        rings = shapely.linearrings(self.xy[order], indices=ring_ids)
        return np.asarray(shapely.polygons(rings))


class Refined(NamedTuple):
    """A mesh after one layer (see :func:`refine_layer`)."""

    xy: np.ndarray
    z: np.ndarray
    face_ptr: np.ndarray
    face_verts: np.ndarray
    parents: np.ndarray
    ideal: np.ndarray
    scale: np.ndarray  # each vertex's zero-test scale (a new vertex's inherited from its edge)


def thin_faces(
    xy: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray, thin: float,
    ideal: np.ndarray | None = None,
) -> np.ndarray:
    """Faces narrower than ``thin`` and their own rounding: twice their area over their perimeter.

    A face's limit is the smaller of ``thin`` (the domain's
    :func:`~regions.tolerance.sliver_width`) and ``SLIVER_ULPS`` ulps of its
    own largest coordinate: near the origin of a huge box real regions can
    be far thinner than the box's rounding (QA round 9, a ``1e9`` box).

    For a convex polygon ``2 A / P`` lies between its inradius and twice it.
    A face of a bounded mesh narrower than the rounding width of the domain's
    coordinates (:func:`regions.tolerance.sliver_width`) is a sliver that
    rounding made between lines that meet or coincide exactly (see
    :mod:`regions.tolerance`, "Slivers"). Faces with an ideal vertex are
    unbounded and never thin.

    Parameters
    ----------
    xy : (V, 2) float64 array
    face_ptr : (F + 1,) int64 array
    face_verts : (S,) int64 array
        Counter-clockwise vertex loops (CSR).
    thin : float
        The width; ``0`` finds none.
    ideal : (V,) bool array, optional

    Returns
    -------
    (F,) bool array

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1], [2, 1e-17]])
    >>> ptr, verts = np.array([0, 4, 7]), np.array([0, 1, 2, 3, 0, 4, 1])
    >>> thin_faces(xy, ptr, verts, 1e-14).tolist()
    [False, True]
    """
    import sys

    f = len(face_ptr) - 1
    if thin <= 0 or f == 0:
        return np.zeros(f, dtype=bool)
    if "regions._kernel" in sys.modules:  # loaded already: the compiled loop
        from ._kernel import thin_mask

        if ideal is None:
            ideal = np.zeros(len(xy), dtype=bool)
        return np.asarray(
            thin_mask(xy, face_ptr, face_verts, float(thin), ideal, float(SLIVER_ULPS))
        )
    return _thin_numpy(xy, face_ptr, face_verts, thin, ideal)


def _thin_numpy(
    xy: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray, thin: Any,
    ideal: np.ndarray | None,
) -> np.ndarray:
    """The array code of :func:`thin_faces` (the compiled loop sums in the same order).

    ``thin`` may be one width per face; each face's limit is also at most
    ``SLIVER_ULPS`` ulps of its own largest coordinate.
    """
    first = face_ptr[:-1]
    mag = np.abs(xy).max(axis=1)[:, None]
    reach = face_reduce(mag, face_ptr, face_verts, np.maximum)[:, 0]
    thin = np.minimum(thin, SLIVER_ULPS * np.spacing(reach))
    deg = np.diff(face_ptr)
    origin = np.repeat(xy[face_verts[first]], deg, axis=0)  # each face's first vertex
    p = xy[face_verts] - origin
    q = xy[face_verts[_next_slot(face_ptr)]] - origin
    area2 = np.add.reduceat(p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0], first)
    per = np.add.reduceat(np.hypot(q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]), first)
    out = area2 <= thin * per  # a face of one point (no perimeter) too
    if ideal is not None and ideal.any():
        out &= ~face_reduce(ideal[:, None], face_ptr, face_verts, np.bitwise_or)[:, 0]
    return out


def _drop_thin(r: Refined, thin: float) -> Refined:
    """``r`` without its :func:`thin_faces` (their vertices stay, unused)."""
    bad = thin_faces(r.xy, r.face_ptr, r.face_verts, thin, r.ideal)
    if not bad.any():
        return r
    keep = np.flatnonzero(~bad)
    deg = np.diff(r.face_ptr)[keep]
    ptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(deg, out=ptr[1:])
    verts = r.face_verts[_ranges(r.face_ptr[:-1][keep], deg)]
    return r._replace(face_ptr=ptr, face_verts=verts, parents=r.parents[keep])


def merge_thin(
    xy: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray, bad: np.ndarray,
    ideal: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each face in ``bad`` (a sliver) merged into a neighbour across its longest shared edge.

    The mesh stays conforming: the merged loop is the neighbour's with the
    shared edge ``w -> u`` replaced by the sliver's path from ``w`` round to
    ``u``, so every other edge of the sliver is now the merged face's, shared
    with the same face as before. A sliver is thinner than rounding, so the
    merged face is convex up to that width. Its pattern is the neighbour's:
    the sliver's vertices are within its width of the neighbour's side. A
    sliver with no neighbour that is not itself a sliver is dropped, and so
    are the slivers of a face they would make self-intersecting (a sliver
    folded by rounding). Only the (rare) slivers are visited one at a time.

    Parameters
    ----------
    xy : (V, 2) float64 array
    face_ptr : (F + 1,) int64 array
    face_verts : (S,) int64 array
        Counter-clockwise loops of a conforming mesh (shared edges hold the
        same vertex pair).
    bad : (F,) bool array
        The slivers (:func:`thin_faces`, :func:`plane_slivers`).
    ideal : (V,) bool array, optional
        Ideal vertices: an edge to one (a ray) counts as the longest.

    Returns
    -------
    face_ptr, face_verts
        The faces that are not slivers, in their order, some grown by the
        slivers merged into them.
    src : (F - bad.sum(),) int64 array
        The face of the input each output face is (its pattern and parent).

    Examples
    --------
    A unit square and a sliver triangle on its right edge merge into one face:

    >>> import numpy as np
    >>> xy = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1], [1 + 1e-17, 0.5]])
    >>> ptr, verts = np.array([0, 4, 7]), np.array([0, 1, 2, 3, 1, 4, 2])
    >>> p, v, src = merge_thin(xy, ptr, verts, np.array([False, True]))
    >>> p.tolist(), v.tolist(), src.tolist()
    ([0, 5], [0, 1, 4, 2, 3], [0])
    """
    f = len(face_ptr) - 1
    keep = np.flatnonzero(~bad)
    slivers = np.flatnonzero(bad)
    if not len(slivers):
        return face_ptr, face_verts, keep
    face = np.repeat(np.arange(f, dtype=np.int64), np.diff(face_ptr))
    nxt = _next_slot(face_ptr)
    a, b = face_verts, face_verts[nxt]
    n = int(face_verts.max()) + 1
    key = a * n + b  # directed half-edge a -> b
    order = np.argsort(key, kind="stable")
    skey = key[order]
    loops: dict[int, list[int]] = {}  # the grown faces' loops
    rep = np.arange(f, dtype=np.int64)  # which face a merged sliver now belongs to
    gone = []
    for s_ in slivers:
        lo, hi = face_ptr[s_], face_ptr[s_ + 1]
        loop = face_verts[lo:hi].tolist()
        k = len(loop)
        # the twin w -> u of each edge u -> w, longest edge first
        slots = np.arange(lo, hi)
        twin_key = b[slots] * n + a[slots]
        pos = np.searchsorted(skey, twin_key)
        pos = np.minimum(pos, len(skey) - 1)
        found = skey[pos] == twin_key
        twin_face = np.where(found, face[order[pos]], -1)
        tgt = -1
        d = xy[b[slots]] - xy[a[slots]]
        length = np.hypot(d[:, 0], d[:, 1])
        if ideal is not None:
            length[ideal[a[slots]] | ideal[b[slots]]] = np.inf
        u = w = -1
        for i in np.argsort(-length, kind="stable"):
            t = int(twin_face[i])
            if t < 0:
                continue
            t = int(rep[t])
            while rep[t] != t:
                t = int(rep[t])
            if bad[t] and t not in loops:
                continue  # another sliver, not merged (yet)
            if t == s_:
                continue
            tgt = t
            u, w = loop[i], loop[(i + 1) % k]
            break
        if tgt < 0:
            gone.append(s_)
            continue
        host = loops.get(tgt)
        if host is None:
            host = face_verts[face_ptr[tgt] : face_ptr[tgt + 1]].tolist()
        m = len(host)
        j = next((q for q in range(m) if host[q] == w and host[(q + 1) % m] == u), -1)
        if j < 0:
            gone.append(s_)
            continue
        # the sliver's path from w round to u, without its ends
        path = [loop[(i + 1 + q) % k] for q in range(1, k - 1)]
        loops[tgt] = host[: j + 1] + path + host[j + 1 :]
        rep[s_] = tgt
    if loops:
        # a sliver folded by rounding (its loop turns back on itself) would make the
        # grown face self-intersecting: such a face stays as it was, its slivers dropped
        import shapely

        hosts = np.fromiter(loops.keys(), dtype=np.int64, count=len(loops))
        rings = [xy[lp] for lp in loops.values()]
        finite = np.array([ideal is None or not ideal[lp].any() for lp in loops.values()])
        ok = np.ones(len(hosts), dtype=bool)
        if finite.any():
            polys = [shapely.Polygon(r) for r, f in zip(rings, finite, strict=True) if f]
            ok[finite] = shapely.is_valid(np.array(polys, dtype=object))
        for t in hosts[~ok]:
            del loops[int(t)]
    deg = np.diff(face_ptr)[keep].copy()
    grown = {int(t): lp for t, lp in loops.items() if not bad[t]}
    idx = np.searchsorted(keep, np.fromiter(grown.keys(), dtype=np.int64, count=len(grown)))
    for q, lp in zip(idx, grown.values(), strict=True):
        deg[q] = len(lp)
    ptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(deg, out=ptr[1:])
    out = np.empty(int(ptr[-1]), dtype=np.int64)
    plain = np.ones(len(keep), dtype=bool)
    plain[idx] = False
    out[_ranges(ptr[:-1][plain], deg[plain])] = face_verts[
        _ranges(face_ptr[:-1][keep[plain]], deg[plain])
    ]
    for q, lp in zip(idx, grown.values(), strict=True):
        out[ptr[q] : ptr[q + 1]] = lp
    return ptr, out, keep


def _drop_misplaced(
    pts: np.ndarray, owner: np.ndarray, arc_pt: np.ndarray, bad: np.ndarray
) -> np.ndarray:
    """Truncated faces rebuilt without the ``L d`` points that fall outside their arc.

    A ray whose direction is within about ``|u| / L`` of a neighbouring ideal
    vertex ``d`` meets the circle on the far side of ``L d``, so ``L d`` is
    not on the truncated face (which only reaches the circle between its two
    rays' points) and its ring touches itself. Each run of points on the
    circle keeps the ``L d`` points whose angle lies counter-clockwise
    between the run's first and last point. Only the (rare) faces in ``bad``
    are visited, one at a time.

    Returns
    -------
    (len(bad),) object array of shapely Polygons
    """
    import shapely

    out = []
    for f in bad:
        idx = np.flatnonzero(owner == f)
        p, arc = pts[idx], arc_pt[idx]
        keep = np.ones(len(p), dtype=bool)
        # runs of circle points: the arc points plus their ray ends (the neighbours)
        k = len(p)
        for i in np.flatnonzero(arc):
            lo = i
            while arc[(lo - 1) % k] and (lo - 1) % k != i:
                lo = (lo - 1) % k
            hi = i
            while arc[(hi + 1) % k] and (hi + 1) % k != i:
                hi = (hi + 1) % k
            a = p[(lo - 1) % k]  # the ray's end before the run
            b = p[(hi + 1) % k]  # and after it
            a0 = np.arctan2(a[1], a[0])
            sweep = np.mod(np.arctan2(b[1], b[0]) - a0, 2 * np.pi)
            if np.mod(np.arctan2(p[i, 1], p[i, 0]) - a0, 2 * np.pi) > sweep:
                keep[i] = False
        out.append(shapely.Polygon(p[keep]))
    return np.array(out, dtype=object)


def _next_slot(ptr: np.ndarray) -> np.ndarray:
    """Index of the next slot in the same loop, cyclically, for CSR loops."""
    n = int(ptr[-1])
    nxt = np.arange(1, n + 1, dtype=np.int64)
    nxt[ptr[1:] - 1] = ptr[:-1]
    return nxt


def face_reduce(
    values: np.ndarray,
    face_ptr: np.ndarray,
    face_verts: np.ndarray,
    ufunc: Any,
    chunk: int = 1 << 22,
) -> np.ndarray:
    """Reduce per-vertex rows over the vertices of each face.

    Parameters
    ----------
    values : (V, n) array
        One row per vertex.
    face_ptr : (F + 1,) int64 array
    face_verts : (S,) int64 array
    ufunc : numpy ufunc
        A binary ufunc such as ``np.maximum``.
    chunk : int
        Approximate number of gathered entries per block (bounds memory).

    Returns
    -------
    out : (F, n) array
        ``ufunc.reduce`` of ``values[face]`` for each face.

    Notes
    -----
    Combines the ``k``-th vertex of every face of degree ``> k`` at once, for
    ``k = 0, 1, ...``: a few passes over whole arrays, since faces have few
    vertices (``ufunc.reduceat`` along axis 0 is several times slower).

    Examples
    --------
    >>> import numpy as np
    >>> vals = np.array([[1.0], [5.0], [3.0], [-2.0]])
    >>> face_reduce(vals, np.array([0, 3, 6]), np.array([0, 1, 2, 1, 2, 3]), np.maximum)
    array([[5.],
           [5.]])
    """
    f = face_ptr.shape[0] - 1
    n = values.shape[1]
    out = np.empty((f, n), dtype=values.dtype)
    step = max(1, chunk // max(n, 1))
    for s in range(0, f, step):
        e = min(f, s + step)
        start = face_ptr[s:e]
        deg = face_ptr[s + 1 : e + 1] - start
        acc = values[face_verts[start]]
        for k in range(1, int(deg.min())):
            ufunc(acc, values[face_verts[start + k]], out=acc)
        active = np.arange(e - s)
        for k in range(max(1, int(deg.min())), int(deg.max())):
            active = active[deg[active] > k]
            acc[active] = ufunc(acc[active], values[face_verts[start[active] + k]])
        out[s:e] = acc
    return out


class _Arena:
    """Growable storage for vertices, their layer values and face loops."""

    def __init__(self, xy: np.ndarray, z: np.ndarray, scale: np.ndarray, cap: int = 0) -> None:
        self.nv = len(xy)
        cap = max(64, self.nv, cap)
        self.xy = np.empty((cap, 2))
        self.xy[: self.nv] = xy
        self.z = np.empty((cap, z.shape[1]))
        self.z[: self.nv] = z
        self.scale = np.empty(cap)
        self.scale[: self.nv] = scale
        self.ideal = np.zeros(cap, dtype=bool)
        self.pool = np.empty(0, dtype=np.int64)
        self.np_ = 0
        self.start = np.empty(0, dtype=np.int64)
        self.size = np.empty(0, dtype=np.int64)
        self.cell = np.empty(0, dtype=np.int64)
        self.nf = 0

    def set_faces(self, ptr: np.ndarray, verts: np.ndarray) -> None:
        f = len(ptr) - 1
        cap = max(64, 2 * f)
        self.start = np.empty(cap, dtype=np.int64)
        self.size = np.empty(cap, dtype=np.int64)
        self.cell = np.empty(cap, dtype=np.int64)
        self.start[:f] = ptr[:-1]
        self.size[:f] = np.diff(ptr)
        self.cell[:f] = np.arange(f)
        self.nf = f
        self.pool = np.empty(max(256, 2 * len(verts)), dtype=np.int64)
        self.pool[: len(verts)] = verts
        self.np_ = len(verts)

    def add_vertices(
        self, xy: np.ndarray, z: np.ndarray, scale: np.ndarray, ideal: np.ndarray
    ) -> np.ndarray:
        k = len(xy)
        need = self.nv + k
        if need > self.xy.shape[0]:
            cap = max(need, 2 * self.xy.shape[0])
            for name in ("xy", "z", "scale", "ideal"):
                old = getattr(self, name)
                new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
                new[: self.nv] = old[: self.nv]
                setattr(self, name, new)
        ids = np.arange(self.nv, need, dtype=np.int64)
        self.xy[self.nv : need] = xy
        self.z[self.nv : need] = z
        self.scale[self.nv : need] = scale
        self.ideal[self.nv : need] = ideal
        self.nv = need
        return ids

    def add_loops(self, verts: np.ndarray) -> int:
        k = len(verts)
        need = self.np_ + k
        if need > len(self.pool):
            pool = np.empty(max(need, 2 * len(self.pool)), dtype=np.int64)
            pool[: self.np_] = self.pool[: self.np_]
            self.pool = pool
        off = self.np_
        self.pool[off:need] = verts
        self.np_ = need
        return off

    def add_faces(self, k: int) -> np.ndarray:
        need = self.nf + k
        if need > len(self.start):
            cap = max(need, 2 * len(self.start))
            for name in ("start", "size", "cell"):
                old = getattr(self, name)
                new = np.empty(cap, dtype=np.int64)
                new[: self.nf] = old[: self.nf]
                setattr(self, name, new)
        ids = np.arange(self.nf, need, dtype=np.int64)
        self.nf = need
        return ids

    def compact(self) -> tuple[np.ndarray, np.ndarray]:
        """Faces as CSR (ptr, verts), in face order."""
        size = self.size[: self.nf]
        ptr = np.zeros(self.nf + 1, dtype=np.int64)
        np.cumsum(size, out=ptr[1:])
        idx = _ranges(self.start[: self.nf], size)
        return ptr, self.pool[idx]


def _sign_bits(z: np.ndarray) -> np.ndarray:
    """Per entry: bit 0 set iff ``z > 0``, bit 1 set iff ``z < 0`` (uint8)."""
    bits = (z > 0).view(np.uint8)
    bits |= (z < 0).view(np.uint8) << 1
    return bits


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each start ``s`` and size ``n``."""
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    shift = np.repeat(starts - (ends - sizes), sizes)
    return np.arange(total, dtype=np.int64) + shift


def _split_neuron(
    ar: _Arena, j: int, cand: np.ndarray, w1: float, b1: float, rtol: float, witness: int
) -> int:
    """Split the candidate faces by neuron ``j``; return the number of faces split.

    Values of column ``j`` at the candidates' vertices are snapped here (the
    rows of new vertices are not snapped when they are made): ``|z| <= rtol *
    (w1 * scale + b1)`` becomes exactly zero (``b1`` only for finite vertices:
    an ideal vertex holds a slope, to which the bias does not contribute).
    """
    sizes = ar.size[cand]
    slots = _ranges(ar.start[cand], sizes)
    verts = ar.pool[slots]
    vals = ar.z[verts, j]
    ideal = ar.ideal[verts]
    small = np.abs(vals) <= rtol * (w1 * ar.scale[verts] + np.where(ideal, 0.0, b1))
    if small.any():
        ar.z[verts[small], j] = 0.0
        vals[small] = 0.0
    sg = np.sign(vals).astype(np.int8)
    lptr = np.zeros(len(cand) + 1, dtype=np.int64)
    np.cumsum(sizes, out=lptr[1:])
    first = lptr[:-1]
    split = (np.maximum.reduceat(sg, first) > 0) & (np.minimum.reduceat(sg, first) < 0)
    if not split.any():
        return 0
    # keep only the faces that are split
    faces = cand[split]
    keep = np.repeat(split, sizes)
    verts, sg = verts[keep], sg[keep]
    sizes = sizes[split]
    lptr = np.zeros(len(faces) + 1, dtype=np.int64)
    np.cumsum(sizes, out=lptr[1:])
    nxt = _next_slot(lptr)
    cross = (sg * sg[nxt]) < 0

    # a convex face meets a line in one segment: exactly two sign changes
    nz = sg != 0
    if nz.all():
        changes = np.add.reduceat(cross.astype(np.int64), lptr[:-1])
    else:
        nz_sizes = np.add.reduceat(nz.astype(np.int64), lptr[:-1])
        nz_ptr = np.zeros(len(faces) + 1, dtype=np.int64)
        np.cumsum(nz_sizes, out=nz_ptr[1:])
        s_nz = sg[nz]
        changes = np.add.reduceat((s_nz != s_nz[_next_slot(nz_ptr)]).astype(np.int64), nz_ptr[:-1])
    if (changes != 2).any():
        bad = faces[changes != 2][0]
        raise TopologyError(
            f"face {bad} is not cut by neuron {j} into two pieces "
            f"({int(changes[changes != 2][0])} sign changes along its boundary); "
            "the mesh lost convexity"
        )

    # one new vertex per crossed edge, shared by the two faces of the edge
    u = verts[cross]
    v = verts[nxt][cross]
    lo = np.minimum(u, v)
    hi = np.maximum(u, v)
    key = lo * np.int64(ar.nv) + hi
    uniq, inv = np.unique(key, return_inverse=True)
    new_xy, new_z, new_s, new_ideal = _crossings(ar, j, uniq // ar.nv, uniq % ar.nv)
    new_ids = ar.add_vertices(new_xy, new_z, new_s, new_ideal)
    w = np.full(len(verts), -1, dtype=np.int64)
    w[cross] = new_ids[inv.ravel()]

    # the two loops, in boundary order: each slot emits its vertex, then the new vertex
    cand2 = np.stack([verts, w], axis=1).ravel()
    online2 = np.stack([sg == 0, cross], axis=1).ravel()
    face2 = np.repeat(np.arange(len(faces)), 2 * sizes)
    loops = []
    for keep_v in (sg >= 0, sg <= 0):
        m = np.stack([keep_v, cross], axis=1).ravel()
        loops.append((cand2[m], online2[m], face2[m]))
    anchors = _anchors(ar, j, faces, loops, witness)
    out = []
    for loop, online, face in loops:
        loop, face = _insert_anchors(ar, loop, online, face, anchors)
        cnt = np.bincount(face, minlength=len(faces))
        out.append((loop, cnt))
    (loop_a, cnt_a), (loop_b, cnt_b) = out
    if (cnt_a < 3).any() or (cnt_b < 3).any():
        raise TopologyError(f"neuron {j} produced a face with fewer than 3 vertices")
    # positive side replaces the face, negative side is a new face
    off = ar.add_loops(loop_a)
    ar.start[faces] = off + np.concatenate([[0], np.cumsum(cnt_a)[:-1]])
    ar.size[faces] = cnt_a
    off = ar.add_loops(loop_b)
    new_f = ar.add_faces(len(faces))
    ar.start[new_f] = off + np.concatenate([[0], np.cumsum(cnt_b)[:-1]])
    ar.size[new_f] = cnt_b
    ar.cell[new_f] = ar.cell[faces]
    return len(faces)


def _crossings(
    ar: _Arena, j: int, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The point where ``z_j = 0`` on each edge ``(a, b)`` whose ends have opposite signs.

    A finite edge is interpolated linearly. A ray from a finite vertex ``f``
    to an ideal vertex (direction ``d``, slope row ``z_d``) meets the line at
    the finite point ``f + s d``, ``s = -z_f[j] / z_d[j]``, with row
    ``z_f + s z_d``. An arc at infinity between two ideal vertices meets it at
    the ideal point in the direction where the slope vanishes (slopes are
    linear in the direction), normalised to unit length. The new row's
    ``z_j`` is set to exactly zero.
    """
    ia = ar.ideal[a]
    ib = ar.ideal[b]
    k = len(a)
    new_xy = np.empty((k, 2))
    new_z = np.empty((k, ar.z.shape[1]))
    new_s = np.empty(k)
    ray = ia != ib
    lin = ~ray  # finite segments and arcs at infinity: linear interpolation
    if lin.any():
        aa, bb = a[lin], b[lin]
        za, zb = ar.z[aa, j], ar.z[bb, j]
        t = (za / (za - zb))[:, None]
        xy = ar.xy[aa] + t * (ar.xy[bb] - ar.xy[aa])
        rows = ar.z[bb]
        za_rows = ar.z[aa]
        rows -= za_rows
        rows *= t
        rows += za_rows
        sc = np.maximum(ar.scale[aa], ar.scale[bb])
        arc = ia[lin]
        if arc.any():
            nrm = np.hypot(xy[arc, 0], xy[arc, 1])[:, None]
            xy[arc] /= nrm
            rows[arc] /= nrm
            sc[arc] /= nrm[:, 0]
        new_xy[lin], new_z[lin], new_s[lin] = xy, rows, sc
    if ray.any():
        f = np.where(ia[ray], b[ray], a[ray])
        d = np.where(ia[ray], a[ray], b[ray])
        step = (-ar.z[f, j] / ar.z[d, j])[:, None]
        new_xy[ray] = ar.xy[f] + step * ar.xy[d]
        new_z[ray] = ar.z[f] + step * ar.z[d]
        new_s[ray] = ar.scale[f] + step[:, 0] * ar.scale[d]
    new_z[:, j] = 0.0
    return new_xy, new_z, new_s, ia & ib


def _anchors(
    ar: _Arena,
    j: int,
    faces: np.ndarray,
    loops: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    witness: int,
) -> np.ndarray:
    """Finite anchor vertices on chords that run between two ideal vertices.

    A chord whose both ends are ideal is a whole line inside the face; a
    finite vertex is put on it (a degree-2 vertex) so that an edge between
    two ideal vertices is always an arc at infinity, never a line. Returns,
    per split face, the anchor's vertex id or ``-1``.
    """
    anchors = np.full(len(faces), -1, dtype=np.int64)
    if not ar.ideal[: ar.nv].any():
        return anchors
    loop, online, face = loops[0]
    ptr = np.zeros(len(faces) + 1, dtype=np.int64)
    np.cumsum(np.bincount(face, minlength=len(faces)), out=ptr[1:])
    nxt = _next_slot(ptr)
    chord = online & online[nxt]
    need = chord & ar.ideal[loop] & ar.ideal[loop[nxt]]
    if not need.any():
        return anchors
    fid = face[need]  # split-face index of each face needing an anchor
    # a finite point p of each such face with z_j != 0 (the face's loop before the
    # split), else the witness; and a vertex q of the other sign
    sizes = ar.size[faces[fid]]
    slots = _ranges(ar.start[faces[fid]], sizes)
    vv = ar.pool[slots]
    owner = np.repeat(np.arange(len(fid)), sizes)
    zz = ar.z[vv, j]
    fin = ~ar.ideal[vv] & (zz != 0)
    big = len(vv) + 1
    pos_in = np.arange(len(vv))
    first_fin = np.full(len(fid), big)
    np.minimum.at(first_fin, owner[fin], pos_in[fin])
    p = np.where(first_fin < big, vv[np.minimum(first_fin, len(vv) - 1)], witness)
    if (p < 0).any():
        raise TopologyError(f"neuron {j}: a face with no finite point needs an anchor")
    zp = ar.z[p, j]
    on = zp == 0  # only the witness can be on the line: it is the anchor itself
    anchors[fid[on]] = p[on]
    if on.all():
        return anchors
    ends = loop[need][~on]  # the chord's first end: the line's direction e (ideal)
    fid, p, zp = fid[~on], p[~on], zp[~on]
    keep = ~on[owner]
    zz, vv = zz[keep], vv[keep]
    owner = np.cumsum(~on)[owner[keep]] - 1
    # the foot of the perpendicular from p: p + tau u, u = d - (d.e) e for the face's
    # ideal vertex d of steepest slope (z_j(u) = z_j(d), as z_j(e) = 0). A point found
    # along a ray from p instead could lie arbitrarily far out when the ray is nearly
    # parallel to the line, and its magnitude would widen every later zero band there.
    steep = np.where(ar.ideal[vv], np.abs(zz), 0.0)
    best = np.full(len(fid), -1.0)
    np.maximum.at(best, owner, steep)
    pick = np.flatnonzero((steep == best[owner]) & (steep > 0))
    d = np.full(len(fid), -1, dtype=np.int64)
    d[owner[pick[::-1]]] = vv[pick[::-1]]  # the first steepest one
    flat = d < 0  # a strip: every ideal vertex parallel to the line; along an edge instead
    dd = np.where(flat, ends, d)
    de = np.einsum("ij,ij->i", ar.xy[dd], ar.xy[ends])
    u = ar.xy[dd] - de[:, None] * ar.xy[ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(flat, 0.0, -zp / ar.z[dd, j])
    xy = ar.xy[p] + tau[:, None] * u
    rows = ar.z[p] + tau[:, None] * (ar.z[dd] - de[:, None] * ar.z[ends])
    rows[:, j] = 0.0
    sc = ar.scale[p] + np.abs(tau) * (ar.scale[dd] + np.abs(de) * ar.scale[ends])
    if flat.any():
        i = np.flatnonzero(flat)
        pos_in = np.arange(len(vv))
        other = np.sign(zz) == -np.sign(zp)[owner]
        first_q = np.full(len(fid), len(vv) + 1)
        np.minimum.at(first_q, owner[other], pos_in[other])
        if (first_q[i] > len(vv)).any():
            raise TopologyError(f"neuron {j}: no vertex on the other side for an anchor")
        xy[i], rows[i], sc[i], _ = _crossings(ar, j, p[i], vv[first_q[i]])
    anchors[fid] = ar.add_vertices(xy, rows, sc, np.zeros(len(p), dtype=bool))
    return anchors


def _insert_anchors(
    ar: _Arena, loop: np.ndarray, online: np.ndarray, face: np.ndarray, anchors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Insert each face's anchor between the two ideal ends of its chord."""
    if (anchors < 0).all():
        return loop, face
    ptr = np.zeros(len(anchors) + 1, dtype=np.int64)
    np.cumsum(np.bincount(face, minlength=len(anchors)), out=ptr[1:])
    nxt = _next_slot(ptr)
    ins = (
        online
        & online[nxt]
        & ar.ideal[loop]
        & ar.ideal[loop[nxt]]
        & (anchors[face] >= 0)
    )
    both = np.stack([loop, np.where(ins, anchors[face], -1)], axis=1).ravel()
    keep = np.stack([np.ones(len(loop), dtype=bool), ins], axis=1).ravel()
    return both[keep], np.repeat(face, 1 + ins.astype(np.int64))


def split_mesh(
    hidden: Any,
    ring: np.ndarray | None,
    on_layer: Callable[[int, Mesh], None] | None = None,
    zero_rtol: float | None = None,
    max_faces: int | None = None,
    progress: bool = False,
    kernel: str = "auto",
) -> Mesh:
    """Refine a convex polygon by every hidden neuron, layer by layer.

    Parameters
    ----------
    hidden : sequence of (W, b)
        Hidden layers as (n_l, d_{l-1}) and (n_l,) float64 arrays, ``d_0 = 2``.
    ring : (K, 2) float64 array or None
        Counter-clockwise vertices of the convex starting polygon; ``None``
        for the whole plane (unbounded faces have ideal vertices, see
        :class:`Mesh`).
    on_layer : callable, optional
        Called as ``on_layer(l, mesh)`` after each hidden layer ``l`` (for the
        invariant checks of the tests and for progress reports).
    zero_rtol : float, optional
        Override of :data:`regions.tolerance.ZERO_RTOL`, for tolerance studies.
    max_faces : int, optional
        Raise :class:`~regions.errors.RegionLimitError` as soon as the mesh has
        more faces (checked after every neuron).
    progress : bool
        Show a progress bar (tqdm, on stderr) for runs longer than two
        seconds; never when stderr is not a terminal.
    kernel : {"auto", "numpy", "numba"}
        The per-neuron splitter: the compiled kernel when numba is installed
        (``"auto"``), or the array code (see :func:`refine_rows`).

    Returns
    -------
    Mesh
        The faces after the last layer, with the pattern of each layer.

    Examples
    --------
    Two lines crossing at the origin cut the square into four:

    >>> import numpy as np
    >>> sq = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]])
    >>> split_mesh([(np.eye(2), np.zeros(2))], sq).layer_counts
    [4]

    A third line through the same point (concurrent) gives six, not seven:

    >>> w = np.array([[1.0, 0], [0, 1], [1, 1]])
    >>> split_mesh([(w, np.zeros(3))], sq).layer_counts
    [6]
    """
    mesh, witness = start_mesh(ring)
    act = mesh.xy.copy()  # layer input at the vertices (slopes at ideal ones)
    hidden = list(hidden)
    kernel = _net_kernel(kernel, hidden)
    bar = _progress_bar(sum(int(w.shape[0]) for w, _ in hidden)) if progress else None
    tick = bar.update if bar is not None else None
    floor = None  # the first layer's vertices are the domain's own
    thin = _sliver_width(ring)
    try:
        for layer, (w, b) in enumerate(hidden):
            mesh, act, floor = _layer_step(
                mesh, act, w, b, layer, zero_rtol, max_faces, witness, tick, on_layer, kernel,
                floor, thin,
            )
    finally:
        if bar is not None:
            bar.close()
    return mesh


def _sliver_width(ring: np.ndarray | None) -> float:
    """Faces narrower than this are slivers: :func:`~regions.tolerance.sliver_width` of ``ring``.

    ``0`` for the whole plane (``ring`` ``None``).
    """
    if ring is None:
        return 0.0
    ring = np.asarray(ring, dtype=np.float64)
    return sliver_width((*ring.min(axis=0), *ring.max(axis=0)))


def plane_frame(xy: np.ndarray, ideal: np.ndarray) -> tuple[float, float, float, float]:
    """A box strictly containing every finite vertex of a whole-plane mesh.

    The frame a whole-plane partition is clipped to and checked on (so it
    meets every region): the vertices' box padded by 5 % of its size, 1e-3 of
    the largest coordinate and 1.

    Examples
    --------
    >>> import numpy as np
    >>> plane_frame(np.array([[0.0, 0], [1, 0], [0, 1]]), np.array([True, False, False]))
    (-1.051, -1.051, 2.051, 2.051)
    """
    fin = xy[~ideal]
    if not len(fin):
        return (-1.0, -1.0, 1.0, 1.0)
    lo, hi = fin.min(axis=0), fin.max(axis=0)
    pad = 0.05 * float(max(hi - lo)) + 1e-3 * float(np.abs(fin).max()) + 1.0
    return (float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad))


def plane_slivers(
    xy: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray, ideal: np.ndarray
) -> np.ndarray:
    """The slivers of a whole-plane mesh: bounded faces narrower than their coordinates' rounding.

    The plane has no domain whose coordinates set the rounding width, and a
    far vertex can make its frame huge, so each face gets
    :func:`~regions.tolerance.sliver_width` of its own vertices' largest
    coordinate. Unbounded faces are never slivers: a wedge between two
    nearly parallel lines, or a strip between two parallel ones, can be real
    however thin (QA round 9 found real ones 3e-16 wide), and float64 cannot
    tell such a strip from two rays that rounding split apart.

    Returns
    -------
    (F,) bool array
    """
    big = np.where(ideal, 0.0, np.abs(xy).max(axis=1))[:, None]
    reach = face_reduce(big, face_ptr, face_verts, np.maximum)[:, 0]
    thin = SLIVER_ULPS * np.spacing(reach)  # sliver_width of each face's own coordinates
    unb = face_reduce(ideal[:, None], face_ptr, face_verts, np.bitwise_or)[:, 0]
    return _thin_numpy(xy, face_ptr, face_verts, thin, ideal) & ~unb


def start_mesh(ring: np.ndarray | None) -> tuple[Mesh, int]:
    """The one-face mesh a refinement starts from.

    Parameters
    ----------
    ring : (K, 2) float64 array or None
        Counter-clockwise convex polygon, or ``None`` for the whole plane:
        three ideal vertices 120 degrees apart, plus the origin as a witness
        point (in no loop) for the face until its first cut.

    Returns
    -------
    mesh : Mesh
    witness : int
        The witness vertex, ``-1`` for a polygon.
    """
    if ring is None:
        ang = np.deg2rad([90.0, 210.0, 330.0])
        xy = np.vstack([np.stack([np.cos(ang), np.sin(ang)], axis=1), [[0.0, 0.0]]])
        ideal = np.array([True, True, True, False])
        k, witness = 3, 3
    else:
        xy = np.array(ring, dtype=np.float64)
        ideal = np.zeros(len(xy), dtype=bool)
        k, witness = len(xy), -1
    ptr = np.array([0, k], dtype=np.int64)
    return Mesh(xy, ptr, np.arange(k, dtype=np.int64), ideal=ideal), witness


def _progress_bar(total: int | None, unit: str = "neuron") -> Any:
    """A tqdm bar on stderr that appears after two seconds, only on a terminal."""
    import sys

    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit=unit,
        unit_scale=total is None,
        delay=2.0,
        leave=False,
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )


def _layer_step(
    mesh: Mesh,
    act: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    layer: int,
    zero_rtol: float | None,
    max_faces: int | None,
    witness: int,
    tick: Callable[[int], None] | None,
    on_layer: Callable[[int, Mesh], None] | None,
    kernel: str = "auto",
    floor: np.ndarray | None = None,
    thin: float = 0.0,
) -> tuple[Mesh, np.ndarray, np.ndarray]:
    """One hidden layer of :func:`split_mesh`: refine, record patterns and parents.

    Returns the refined mesh, the next layer's input at its vertices and the
    next layer's scale floor (:func:`regions.tolerance.scale_floor`).
    """
    ptr, verts = mesh.face_ptr, mesh.face_verts
    r = refine_layer(
        mesh.xy, act, ptr, verts, w, b, zero_rtol, max_faces, layer, mesh.ideal, witness, tick,
        kernel, floor=floor,
    )
    ptr, verts = r.face_ptr, r.face_verts
    pattern = face_reduce(r.z > 0, ptr, verts, np.bitwise_or)
    if witness >= 0:
        # a face with no finite vertex is the whole plane: its sign is the witness's
        nofin = face_reduce(~r.ideal[:, None], ptr, verts, np.bitwise_or)[:, 0] == 0
        pattern[nofin] = r.z[witness] > 0
    if layer == 0:  # lines only, their values tested as computed: a thin face is real
        bad = np.zeros(len(ptr) - 1, dtype=bool)
    elif witness >= 0:
        bad = plane_slivers(r.xy, ptr, verts, r.ideal)
    else:
        bad = thin_faces(r.xy, ptr, verts, thin)
    # slivers merge into a neighbour (the streaming count drops them: the same count)
    ptr, verts, src = merge_thin(r.xy, ptr, verts, bad, r.ideal)
    pattern, parents = pattern[src], r.parents[src]
    ptr, verts, pattern, parents = canonical_order(ptr, verts, pattern, parents)
    mesh = Mesh(
        r.xy,
        ptr,
        verts,
        [*mesh.layer_patterns, pattern],
        [*mesh.layer_parents, parents],
        ideal=r.ideal,
    )
    if on_layer is not None:
        on_layer(layer, mesh)
    floor = scale_floor(r.scale, w, b, zero_rtol, r.ideal, rows=r.z)
    act = np.maximum(r.z, 0.0, out=r.z)
    return mesh, act, floor


def canonical_order(
    face_ptr: np.ndarray, face_verts: np.ndarray, pattern: np.ndarray, parents: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Faces sorted by parent, then by their pattern bits: an order independent of the kernel.

    Inside one convex parent cell the faces cut by one layer have distinct
    patterns, so (parent, pattern) is a key; applied layer after layer it
    fixes the order of the faces whichever splitter (array code, compiled
    kernel) or neuron visiting order made them.

    Parameters
    ----------
    face_ptr : (F + 1,) int64 array
    face_verts : (S,) int64 array
    pattern : (F, n) bool array
    parents : (F,) int64 array

    Returns
    -------
    face_ptr, face_verts, pattern, parents
        The same faces, reordered.

    Examples
    --------
    >>> import numpy as np
    >>> ptr, verts = np.array([0, 3, 6]), np.array([0, 1, 2, 0, 2, 3])
    >>> out = canonical_order(ptr, verts, np.array([[True], [False]]), np.zeros(2, dtype=int))
    >>> out[1].tolist(), out[2].ravel().tolist()
    ([0, 2, 3, 0, 1, 2], [False, True])
    """
    f = len(parents)
    keys = [np.asarray(parents)]
    if pattern.shape[1]:
        packed = np.packbits(pattern, axis=1, bitorder="little")
        keys = [packed[:, c] for c in range(packed.shape[1] - 1, -1, -1)] + keys
    order = np.lexsort(keys)
    if f and (order == np.arange(f)).all():
        return face_ptr, face_verts, pattern, parents
    deg = np.diff(face_ptr)[order]
    ptr = np.zeros(f + 1, dtype=np.int64)
    np.cumsum(deg, out=ptr[1:])
    verts = face_verts[_ranges(face_ptr[:-1][order], deg)]
    return ptr, verts, pattern[order], parents[order]


def refine_layer(
    xy: np.ndarray,
    act: np.ndarray,
    face_ptr: np.ndarray,
    face_verts: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    zero_rtol: float | None = None,
    max_faces: int | None = None,
    layer: int = 0,
    ideal: np.ndarray | None = None,
    witness: int = -1,
    tick: Callable[[int], None] | None = None,
    kernel: str = "auto",
    lazy: bool = False,
    floor: np.ndarray | None = None,
    thin: float = 0.0,
) -> Refined:
    """Split every face of a mesh by every neuron of one layer.

    Parameters
    ----------
    xy : (V, 2) float64 array
        Vertices.
    act : (V, d) float64 array
        The layer input at each vertex (continuous, affine on each face).
    face_ptr : (F + 1,) int64 array
    face_verts : (S,) int64 array
        Counter-clockwise convex faces.
    weight : (n, d) float64 array
    bias : (n,) float64 array
    zero_rtol : float, optional
        Override of :data:`regions.tolerance.ZERO_RTOL`.
    max_faces : int, optional
        Raise :class:`~regions.errors.RegionLimitError` when there are more faces.
    layer : int
        Index of the layer, for messages.
    ideal : (V,) bool array, optional
        Which vertices are ideal (points at infinity, ``xy`` a unit direction,
        ``act`` the slope of the layer input in that direction); default none.
    witness : int
        A finite vertex in no loop, used as a point of a face that has no
        finite vertex (the whole plane before its first cut); ``-1``: none.
    tick : callable, optional
        Called with the number of neurons done since the last call (progress).
    kernel : {"auto", "numpy", "numba"}
        See :func:`refine_rows`.
    lazy : bool
        Only the faces are wanted, not the pre-activations of the new vertices
        (the last layer of a count): the compiled kernel then interpolates at
        a vertex made by neuron ``j`` only the columns after ``j`` and leaves
        the others undefined. The array code ignores it.
    floor : (V,) float64 array, optional
        The least tolerance scale of each vertex, inherited from the layer
        before (:func:`regions.tolerance.scale_floor`); default none.

    Returns
    -------
    Refined
        The refined mesh: the old vertices followed by the new ones, the
        layer's (snapped) pre-activations or slopes at every vertex, the faces,
        and each face's parent in the input mesh.
    """
    if ideal is None:
        ideal = np.zeros(len(xy), dtype=bool)
    rtol = ZERO_RTOL if zero_rtol is None else float(zero_rtol)
    if _use_numba(kernel, ideal, _work(len(bias), len(face_ptr) - 1)):
        from ._kernel import bias_and_scale

        nv, n = len(xy), len(bias)
        act = np.ascontiguousarray(act, dtype=np.float64)
        direct = None
        if rtol >= DIRECT_MIN_RTOL and act.shape == (nv, 2) and np.array_equal(act, xy):
            # the first layer: each value computed from the vertex where it is
            # tested, no rows stored or interpolated while splitting
            direct = (weight, bias)
            z = np.empty((3 * nv + 64, 0))
            scale = np.empty(len(z))
            bias_and_scale(z, nv, act, np.zeros(0), scale)
        else:
            # room for new vertices (a regrowth copies the rows; untouched rows cost no memory)
            z = np.empty((3 * nv + 64, n))
            np.matmul(act, weight.T, out=z[:nv])
            scale = np.empty(len(z))
            bias_and_scale(z, nv, act, np.ascontiguousarray(bias, dtype=np.float64), scale)
        if floor is not None:
            np.maximum(scale[:nv], floor, out=scale[:nv])
        r = _refine_numba(
            xy, z, nv, n, scale, np.abs(weight).sum(axis=1), np.abs(bias), face_ptr,
            face_verts, rtol, max_faces, layer, lazy, direct, thin,
        )
        if tick is not None:
            tick(n)
        return r
    z = act @ weight.T
    if ideal.any():
        z[~ideal] += bias  # an ideal vertex holds slopes: no bias
    else:
        z += bias
    scale = np.abs(act).max(axis=1) if act.shape[1] else np.zeros(len(act))
    if floor is not None:
        np.maximum(scale, floor, out=scale)
    return refine_rows(
        xy,
        z,
        len(bias),
        scale,
        np.abs(weight).sum(axis=1),
        np.abs(bias),
        face_ptr,
        face_verts,
        ideal=ideal,
        witness=witness,
        zero_rtol=zero_rtol,
        max_faces=max_faces,
        layer=layer,
        tick=tick,
        kernel=kernel,
        thin=thin,
    )


def refine_rows(
    xy: np.ndarray,
    rows: np.ndarray,
    n_split: int,
    scale: np.ndarray,
    w1: np.ndarray,
    b1: np.ndarray,
    face_ptr: np.ndarray,
    face_verts: np.ndarray,
    *,
    ideal: np.ndarray | None = None,
    witness: int = -1,
    zero_rtol: float | None = None,
    max_faces: int | None = None,
    layer: int = 0,
    tick: Callable[[int], None] | None = None,
    kernel: str = "auto",
    thin: float = 0.0,
) -> Refined:
    """Split every face by the zero set of each of the first ``n_split`` row columns.

    The general kernel behind :func:`refine_layer`: ``rows`` holds, at every
    vertex, the split functions (affine on each face) followed by any values
    to carry along (also affine on each face; interpolated at new vertices,
    never split on).

    Parameters
    ----------
    xy : (V, 2) float64 array
    rows : (V, n_split + e) float64 array
        Split functions, then carried values; slopes at ideal vertices.
    n_split : int
    scale : (V,) float64 array
        ``max |h(v)|`` of the state the rows are affine in (tolerance scale).
    w1, b1 : (n_split,) float64 arrays
        ``||row_j of the weights||_1`` and ``|bias_j|`` of each split function
        (see :func:`regions.tolerance.zero_tolerance`).
    face_ptr, face_verts : CSR faces
    ideal, witness, zero_rtol, max_faces, layer, tick
        As in :func:`refine_layer`.
    kernel : {"auto", "numpy", "numba"}
        ``"numba"``: the compiled kernel of :mod:`regions._kernel` (bounded
        meshes only); ``"numpy"``: the array code; ``"auto"``: numba when it
        is installed, the mesh has no ideal vertex and the layer is big
        enough (``NUMBA_MIN_WORK``), so the same call always takes the same path.

    Returns
    -------
    Refined
    """
    if ideal is None:
        ideal = np.zeros(len(xy), dtype=bool)
    rtol = ZERO_RTOL if zero_rtol is None else float(zero_rtol)
    if _use_numba(kernel, ideal, _work(n_split, len(face_ptr) - 1)):
        z = np.ascontiguousarray(rows, dtype=np.float64)
        sc = np.empty(len(z))
        sc[:] = scale
        r = _refine_numba(
            xy, z, len(xy), n_split, sc, w1, b1, face_ptr, face_verts, rtol, max_faces, layer,
            False, None, thin,
        )
        if tick is not None:
            tick(n_split)
        return r
    q = rows[:, :n_split]
    for c0 in range(0, len(q), 4096):  # in blocks: no (V, n) temporaries
        blk = q[c0 : c0 + 4096]
        tol = np.multiply.outer(scale[c0 : c0 + 4096], w1)
        fin = ~ideal[c0 : c0 + 4096]
        tol[fin] += b1
        tol *= rtol
        blk[np.abs(blk) <= tol] = 0.0
    del tol
    # which input faces does each split function cross?
    straddle = face_reduce(_sign_bits(q), face_ptr, face_verts, np.bitwise_or) == 3
    # each crossing makes about two vertices: reserve room to avoid regrowing
    ar = _Arena(xy, rows, scale, cap=len(xy) + 3 * int(np.count_nonzero(straddle)))
    ar.ideal[: ar.nv] = ideal
    del rows, q
    ar.set_faces(face_ptr, face_verts)
    done = 0
    if straddle.any():
        straddle_t = np.ascontiguousarray(straddle.T)
        for j in np.flatnonzero(straddle_t.any(axis=1)):
            if tick is not None:
                tick(int(j) - done)
                done = int(j)
            cand = np.flatnonzero(straddle_t[j][ar.cell[: ar.nf]])
            try:
                _split_neuron(ar, int(j), cand, float(w1[j]), float(b1[j]), rtol, witness)
            except TopologyError as e:
                raise TopologyError(f"hidden layer {layer}: {e}. {CONVEXITY_HINT}") from None
            if max_faces is not None and ar.nf > max_faces:
                hint = (
                    "raise max_regions (or pass None)" if witness >= 0  # the whole plane
                    else "raise max_regions, shrink the domain, or use count_regions (for an "
                    "MLP on a convex bounded domain it streams and keeps no polygons)"
                )
                raise RegionLimitError(
                    f"more than max_regions={max_faces} regions after neuron {int(j)} of "
                    f"hidden layer {layer} ({ar.nf} so far); {hint}"
                )
    if tick is not None:
        tick(n_split - done)
    ptr, verts = ar.compact()
    r = Refined(
        ar.xy[: ar.nv], ar.z[: ar.nv], ptr, verts, ar.cell[: ar.nf].copy(), ar.ideal[: ar.nv],
        ar.scale[: ar.nv],
    )
    return _drop_thin(r, thin)


def _refine_numba(
    xy: np.ndarray, z: np.ndarray, nv: int, n_split: int, scale: np.ndarray, w1: np.ndarray,
    b1: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray, rtol: float,
    max_faces: int | None, layer: int, lazy: bool,
    direct: tuple[np.ndarray, np.ndarray] | None = None, thin: float = 0.0,
) -> Refined:
    """The compiled path of :func:`refine_rows` (bounded meshes), errors raised here."""
    from ._kernel import refine

    status, jbad, fbad, out = refine(
        xy, z, nv, n_split, scale, w1, b1, face_ptr, face_verts, rtol, max_faces, lazy, direct
    )
    if status == 3:
        raise RegionLimitError(
            f"more than max_regions={max_faces} regions after neuron {jbad} of "
            f"hidden layer {layer} ({fbad} so far); raise max_regions, shrink the domain, or use "
            "count_regions (for an MLP on a convex bounded domain it streams and keeps no "
            "polygons)"
        )
    if status:
        raise TopologyError(
            f"hidden layer {layer}: face {fbad} is not cut by neuron {jbad} into two convex "
            f"pieces; the mesh lost convexity. {CONVEXITY_HINT}"
        )
    xy2, z2, ptr, verts, parents, sc = out
    r = Refined(xy2, z2, ptr, verts, parents, np.zeros(len(xy2), dtype=bool), sc)
    return _drop_thin(r, thin)


#: What a user can do when rounding has bent a face out of convexity (``TopologyError``).
CONVEXITY_HINT: str = (
    "Rounding bent a face: the weights of this net differ too much in size for float64 at "
    "these coordinates. Normalizing the inputs, a box nearer the origin or a smaller one "
    "usually helps; method='shapely' splits without this invariant"
)

#: Below this many (split function x face) pairs (estimated by ``_work``), ``kernel="auto"``
#: keeps the array code (loading the kernel costs more), whether or not it is loaded.
NUMBA_MIN_WORK: int = 50_000


def _work(n: int, faces: int) -> int:
    """Estimated (split function x face) pairs of splitting ``faces`` cells by ``n`` functions.

    Each function meets the faces of its cells, and ``n`` lines can cut one
    cell into ``1 + n + n (n - 1) / 2`` faces: a wide first layer (one cell)
    is big work although it starts from a single face.
    """
    return n * faces + n * n // 2


def _net_kernel(kernel: str, hidden: list[Any]) -> str:
    """``"numba"`` for the whole net when ``kernel="auto"`` would load it at its second layer.

    Its first layer then runs compiled too, instead of as array code before
    the kernel is loaded (the first layer cuts one cell, into up to
    ``n1^2 / 2`` faces).
    """
    if kernel != "auto" or not hidden:
        return kernel
    n1 = int(hidden[0][0].shape[0])
    est = _work(n1, 1)
    if len(hidden) > 1:
        est += int(hidden[1][0].shape[0]) * (1 + n1 + n1 * (n1 - 1) // 2)
    return "numba" if _use_numba("auto", np.zeros(1, dtype=bool), est) else "auto"


def _use_numba(kernel: str, ideal: np.ndarray, work: int) -> bool:
    import importlib.util

    if kernel not in ("auto", "numpy", "numba"):
        raise ParameterError(f"kernel must be 'auto', 'numpy' or 'numba', got {kernel!r}")
    if kernel == "numpy" or ideal.any():
        return False
    found = importlib.util.find_spec("numba") is not None
    if kernel == "numba" and not found:
        raise ImportError("kernel='numba' needs numba: pip install numba")
    if kernel == "numba":
        return True
    # by the work alone, never by whether the kernel is loaded: the two kernels agree on
    # every count but not on every last bit, and a result must not depend on what ran
    # before it in the process (QA round 16: a corner flagged or not by history)
    return found and work >= NUMBA_MIN_WORK


def count_faces(
    hidden: Any,
    ring: np.ndarray,
    chunk_faces: int = 20000,
    zero_rtol: float | None = None,
    kernel: str = "auto",
    workers: int | None = None,
    progress: bool = False,
) -> list[int]:
    """Number of faces after each layer, streaming: memory bounded by a chunk.

    Refines the faces of each layer in chunks of at most ``chunk_faces``
    faces, depth first, and keeps no finished layer. The last layer is only
    counted (:func:`count_layer`: with the compiled kernel, faces of cells in
    general position are counted from chords, not made). The zero tolerance is
    local to each vertex (:mod:`regions.tolerance`), so the counts equal
    ``split_mesh(hidden, ring).layer_counts``, whatever the chunk size and
    the number of workers.

    Parameters
    ----------
    hidden : sequence of (W, b)
        Hidden layers as (n_l, d_{l-1}) and (n_l,) float64 arrays.
    ring : (K, 2) float64 array
        Counter-clockwise vertices of the convex starting polygon.
    chunk_faces : int
        Faces refined together (larger is faster, smaller uses less memory).
    zero_rtol : float, optional
        Override of :data:`regions.tolerance.ZERO_RTOL`.
    kernel : {"auto", "numpy", "numba"}
        See :func:`refine_rows`.
    workers : int, optional
        Threads refining chunks at the same time (the compiled kernel and
        BLAS release the GIL); default: the number of CPUs, at most 8. With
        more than one, BLAS is held to one thread for the call when
        ``threadpoolctl`` is installed (the ``fast`` extra): the workers
        already use the cores, and two multi-threaded products at once are
        slower.
    progress : bool
        A tqdm bar on stderr of the last layer's faces counted so far (only on
        a terminal, after two seconds).

    Returns
    -------
    list of int
        Faces after each hidden layer.

    Examples
    --------
    >>> import numpy as np
    >>> sq = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]])
    >>> layers = [(np.array([[1.0, 0], [0, 1]]), np.zeros(2)), (np.ones((1, 2)), np.array([-0.5]))]
    >>> count_faces(layers, sq, chunk_faces=1) == split_mesh(layers, sq).layer_counts
    True
    >>> count_faces(layers, sq, chunk_faces=1, workers=1)
    [4, 7]
    """
    import contextlib
    import os
    import threading

    if chunk_faces < 1:
        raise ParameterError(f"chunk_faces must be >= 1, got {chunk_faces}")
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    hidden = list(hidden)
    counts = [0] * len(hidden)
    if not hidden:
        return counts
    kernel = _net_kernel(kernel, hidden)
    ring = np.asarray(ring, dtype=np.float64)
    thin = _sliver_width(ring)
    k = len(ring)
    # a stack of work items (layer, parent mesh, first face, end face), taken depth first;
    # a chunk's vertex rows are gathered only when it is taken (bounded memory)
    root = (
        ring, ring.copy(), np.array([0, k], dtype=np.int64), np.arange(k, dtype=np.int64),
        np.zeros(1, dtype=np.int64), None, None, None,
    )
    stack: list[tuple[int, tuple[Any, ...], int, int]] = [(0, root, 0, 1)]
    cond = threading.Condition()
    threads: list[threading.Thread] = []
    state = {"busy": 0}
    errors: list[BaseException] = []

    def work(layer: int, parent: tuple[Any, ...], s: int, e: int) -> None:
        xy, act, ptr, verts, order, scale, bits, floor = parent
        w, b = hidden[layer]
        last = layer + 1 == len(hidden)
        rtol = ZERO_RTOL if zero_rtol is None else float(zero_rtol)
        nxt_bits = None
        vscale = None
        if layer:
            if bits is not None:
                bits = bits[order[s:e]]
            used, ptr, verts = _sub_mesh(ptr, verts, order[s:e])
            cptr, cverts = ptr, verts
            xy = xy[used]
            if floor is not None:
                floor = floor[used]
            if scale is None:
                act = act[used]
            else:  # the rows are already this layer's pre-activations (from face maps)
                k = len(used)
                room = k if last else 3 * k + 64  # room for new vertices
                if s == 0 and e == len(order) and k == len(parent[0]) and len(act) >= room:
                    # the only chunk of this mesh, holding every vertex: its rows as they are
                    z, sc = act, scale
                else:
                    z = np.empty((room, act.shape[1]))
                    z[:k] = act[used]
                    sc = np.empty(len(z))
                    sc[:k] = scale[used]
                w1, b1 = np.abs(w).sum(axis=1), np.abs(b)
                if last:
                    f = _count_last(xy, z, sc, w1, b1, ptr, verts, rtol, layer, thin)
                else:
                    xy, z, ptr, verts, parents, _, vscale = _refine_numba(
                        xy, z, k, len(b), sc, w1, b1, ptr, verts, rtol, None, layer, False,
                        None, thin,
                    )
        if layer == 0 or scale is None:
            if last:
                f = count_layer(
                    xy, act, ptr, verts, w, b, zero_rtol, kernel=kernel, layer=layer, floor=floor,
                    thin=thin if layer else 0.0,
                )
            else:
                xy, z, ptr, verts, _, _, vscale = refine_layer(
                    xy, act, ptr, verts, w, b, zero_rtol, kernel=kernel, layer=layer,
                    floor=floor, thin=thin if layer else 0.0,
                )
        if not last:
            f = len(ptr) - 1
        items = []
        if not last:
            w2, b2 = hidden[layer + 1]
            nxt_scale = None
            assert vscale is not None
            nxt_floor = scale_floor(vscale, w, b, rtol, rows=z)  # the next layer's least scales
            maps = layer == 0 and w.shape[0] >= ROOT_MAP_MIN and _use_numba(
                kernel, np.zeros(1, dtype=bool), len(b2) * f
            )
            if maps and layer + 2 == len(hidden):
                # the second layer is the last: counted from the face maps, no rows formed
                n_next = _root_count_next(
                    xy, z, ptr, verts, w, b, w2, b2, rtol, workers, nxt_floor, thin
                )
                with cond:
                    counts[layer + 1] += n_next
                    if bar is not None:
                        bar.update(n_next)
            else:
                if maps:
                    # one cell's arrangement: the next layer's rows from per-face maps,
                    # n values per face instead of a product of n x n per vertex
                    z, nxt_scale, nxt_bits = _root_next_rows(xy, z, ptr, verts, w, b, w2, b2)
                    nv_ = len(nxt_floor)
                    np.maximum(nxt_scale[:nv_], nxt_floor, out=nxt_scale[:nv_])
                elif (
                    layer == 1 and bits is not None
                    and min(w.shape[0], w2.shape[0]) >= CHUNK_MAP_MIN
                    and len(xy) >= CHUNK_MAP_RATIO * (len(cptr) - 1)
                ):
                    # the first layer's cells cut by the second: the third layer's rows
                    # from per-face maps too, a product of n x n per input cell only
                    z, nxt_scale = _chunk_next_rows(
                        xy, z, cptr, cverts, ptr, verts, parents, bits, hidden[0],
                        hidden[1], hidden[2],
                    )
                    nv_ = len(nxt_floor)
                    np.maximum(nxt_scale[:nv_], nxt_floor, out=nxt_scale[:nv_])
                else:
                    np.maximum(z, 0.0, out=z)
                # a cell's next rows from face maps (the second layer's chunks, when a
                # third follows) are done in the chunk's work item: smaller chunks there
                # keep the threads busy
                step = chunk_faces
                if nxt_bits is not None and layer + 3 <= len(hidden):
                    step = max(1, chunk_faces // CHUNK_MAP_SPLIT)
                # chunks of nearby faces share most vertices: fewer rows to recompute
                order = _spatial_order(xy, ptr, verts) if f > step else np.arange(f)
                mesh = (xy, z, ptr, verts, order, nxt_scale, nxt_bits, nxt_floor)
                items = [(layer + 1, mesh, c, min(f, c + step)) for c in range(0, f, step)]
        with cond:
            counts[layer] += f
            if last and bar is not None:
                bar.update(f)
            stack.extend(reversed(items))
            if len(stack) > 1 and not threads and workers > 1:
                # enough work for more threads (a small net never starts them)
                ctx.enter_context(_one_blas_thread())
                threads.extend(
                    threading.Thread(target=worker, daemon=True) for _ in range(workers - 1)
                )
                for t in threads:
                    t.start()

    def worker() -> None:
        while True:
            with cond:
                while not stack and state["busy"] and not errors:
                    cond.wait()
                if errors or not stack:
                    cond.notify_all()
                    return
                item = stack.pop()
                state["busy"] += 1
            try:
                work(*item)
            except BaseException as exc:  # handed to the caller's thread
                with cond:
                    errors.append(exc)
            finally:
                with cond:
                    state["busy"] -= 1
                    cond.notify_all()

    bar = _progress_bar(None, " regions") if progress else None
    with contextlib.ExitStack() as ctx:
        if bar is not None:
            ctx.callback(bar.close)
        try:
            worker()
        finally:
            with cond:
                if not errors and (stack or state["busy"]):  # interrupted: stop the others
                    errors.append(KeyboardInterrupt())
                cond.notify_all()
            for t in list(threads):
                t.join()
    if errors:
        raise errors[0]
    return counts


def _sub_mesh(
    ptr: np.ndarray, verts: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The faces ``faces`` of a CSR mesh on their own: ``(used, ptr, verts)``.

    ``used`` lists the vertices they hold, in increasing order; the new
    ``verts`` index into it.
    """
    deg = ptr[faces + 1] - ptr[faces]
    sub = verts[_ranges(ptr[faces], deg)]
    nv = int(verts.max()) + 1 if len(verts) else 0
    mark = np.zeros(nv, dtype=bool)
    mark[sub] = True
    used = np.flatnonzero(mark)
    local = np.cumsum(mark) - 1
    out = np.zeros(len(faces) + 1, dtype=np.int64)
    np.cumsum(deg, out=out[1:])
    return used, out, local[sub]


def count_layer(
    xy: np.ndarray,
    act: np.ndarray,
    face_ptr: np.ndarray,
    face_verts: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    zero_rtol: float | None = None,
    kernel: str = "auto",
    layer: int = 0,
    floor: np.ndarray | None = None,
    thin: float = 0.0,
) -> int:
    """Number of faces :func:`refine_layer` would make, without making them where it can.

    With the compiled kernel, each input face (a convex cell on which the
    layer is affine) is cut by its straddling neurons' chords into
    ``1 + m + I`` faces (``m`` chords, ``I`` crossing pairs) when the
    arrangement inside it is in general position by a wide margin
    (:data:`~regions.tolerance.GENERIC_RTOL`, see
    :func:`regions._kernel.count_cells`); the other faces (a line through a
    vertex or near one, three lines through a point, duplicate lines) are
    split by :func:`refine_layer`'s kernel and their pieces counted. The array
    code splits every face. The result equals
    ``len(refine_layer(...).face_ptr) - 1``; the tests check it on random and
    degenerate nets.

    Parameters
    ----------
    xy, act, face_ptr, face_verts, weight, bias, zero_rtol, kernel, layer, floor, thin
        As in :func:`refine_layer` (a bounded mesh).

    Returns
    -------
    int

    Examples
    --------
    Two lines crossing in a square make four faces; a third through their
    crossing point makes six (the degenerate cell is split, not counted):

    >>> import numpy as np
    >>> sq = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]])
    >>> ptr, verts = np.array([0, 4]), np.arange(4)
    >>> w = np.array([[1.0, 0], [0, 1], [1, 1]])
    >>> count_layer(sq, sq, ptr, verts, w[:2], np.zeros(2), kernel="numba")
    4
    >>> count_layer(sq, sq, ptr, verts, w, np.zeros(3), kernel="numba")
    6
    >>> count_layer(sq, sq, ptr, verts, w, np.array([0.0, 0.0, 0.5]), kernel="numba")
    7
    """
    if not _use_numba(kernel, np.zeros(1, dtype=bool), _work(len(bias), len(face_ptr) - 1)):
        r = refine_layer(xy, act, face_ptr, face_verts, weight, bias, zero_rtol, kernel=kernel,
                         layer=layer, floor=floor, thin=thin)
        return len(r.face_ptr) - 1
    from ._kernel import bias_and_scale

    rtol = ZERO_RTOL if zero_rtol is None else float(zero_rtol)
    nv = len(xy)
    act = np.ascontiguousarray(act, dtype=np.float64)
    z = act @ np.asarray(weight, dtype=np.float64).T
    scale = np.empty(nv)
    bias_and_scale(z, nv, act, np.ascontiguousarray(bias, dtype=np.float64), scale)
    if floor is not None:
        np.maximum(scale, floor, out=scale)
    return _count_last(
        xy, z, scale, np.abs(weight).sum(axis=1), np.abs(bias), face_ptr, face_verts, rtol,
        layer, thin,
    )


def _count_last(
    xy: np.ndarray, z: np.ndarray, scale: np.ndarray, w1: np.ndarray, b1: np.ndarray,
    ptr: np.ndarray, verts: np.ndarray, rtol: float, layer: int, thin: float = 0.0,
) -> int:
    """Faces of a layer on a bounded mesh (compiled): counted per cell, split where needed.

    ``z`` holds the layer's pre-activations in its first ``len(xy)`` rows and
    ``scale`` the vertices' tolerance scales.
    """
    from ._kernel import count_cells

    nv = len(xy)
    w1 = np.ascontiguousarray(w1, dtype=np.float64)
    b1 = np.ascontiguousarray(b1, dtype=np.float64)
    faces, fallback = count_cells(z, nv, scale, w1, b1, rtol, GENERIC_RTOL, ptr, verts)
    if fallback.any():
        used, fptr, fverts = _sub_mesh(ptr, verts, np.flatnonzero(fallback))
        k, n = len(used), z.shape[1]
        zz = np.empty((3 * k + 64, n))
        zz[:k] = z[used]
        sc = np.empty(len(zz))
        sc[:k] = scale[used]
        r = _refine_numba(
            xy[used], zz, k, n, sc, w1, b1, fptr, fverts, rtol, None, layer, True, None, thin
        )
        faces += len(r.face_ptr) - 1
    return int(faces)


#: ``count_faces`` computes the second layer's rows from per-face maps
#: (:func:`_root_next_rows`) when the first layer has at least this many neurons.
ROOT_MAP_MIN: int = 16


def _root_next_rows(
    xy: np.ndarray, z1: np.ndarray, ptr: np.ndarray, verts: np.ndarray, w1: np.ndarray,
    b1: np.ndarray, w2: np.ndarray, b2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The second layer's pre-activations at the vertices of the first layer's arrangement.

    Equal, up to rounding, to ``relu(z1) @ w2.T + b2``, at ``O(n2)`` cost
    per face and vertex instead of ``O(n1 n2)`` per vertex: each face's
    affine map ``W2 diag(p) (W1 x + b1) + b2`` is its breadth-first
    predecessor's plus one rank-1 term per neuron whose line separates them
    (:func:`regions._kernel.root_rows`). Every value within
    :data:`~regions.tolerance.RECHECK_RTOL` of zero, relative to a bound on the
    terms the maps sum, is then recomputed by the direct product
    (:func:`regions._kernel.recheck_rows`), so that every zero-band decision
    is made on the same values as the direct path.

    Parameters
    ----------
    xy : (V, 2) float64 array
        Vertices of the first layer's faces (one starting cell).
    z1 : (V, n1) float64 array
        The first layer's snapped pre-activations there.
    ptr, verts : CSR faces (connected through shared edges)
    w1, b1, w2, b2 : the first two layers

    Returns
    -------
    rows : (C, n2) float64 array, C >= V
        The pre-activations in the first ``V`` rows (room after them).
    scale : (C,) float64 array
        ``max_k relu(z1[v, k])``, the tolerance scale of the second layer.
    bits : (F, ceil(n1 / 64)) uint64 array
        Each face's first-layer activation bits (for :func:`_chunk_next_rows`).
    """
    from ._kernel import recheck_rows, root_rows

    nv = len(xy)
    z1 = np.ascontiguousarray(z1[:nv], dtype=np.float64)
    bits, order, pred, lptr = _face_order(z1, ptr, verts)
    w1 = np.ascontiguousarray(w1, dtype=np.float64)
    b1 = np.ascontiguousarray(b1, dtype=np.float64)
    w2t = np.ascontiguousarray(np.asarray(w2, dtype=np.float64).T)
    b2 = np.ascontiguousarray(b2, dtype=np.float64)
    rows = np.empty((3 * nv + 64, len(b2)))  # room for the new vertices of the next layer
    root_rows(xy, nv, ptr, verts, bits, order, pred, lptr, w1, b1, w2t, b2, rows)
    scale = np.empty(len(rows))
    recheck_rows(xy, z1, nv, w1, b1, w2t, b2, RECHECK_RTOL, rows, scale)
    return rows, scale, bits


#: ``count_faces`` computes the third layer's rows from per-face maps
#: (:func:`_chunk_next_rows`) when the second and third layers have at least this many
#: neurons (narrower, the direct product is as fast: measured in ``benchmarks/scaling.py``)
CHUNK_MAP_MIN: int = 192

#: ... and the chunk's second-layer mesh has at least this many vertices per input cell.
CHUNK_MAP_RATIO: float = 2.0

#: :func:`_chunk_next_rows` takes at most this many ``u`` vectors in a chain from the
#: previous one before it computes one by the matrix product again.
CHAIN_STEPS: int = 32

#: The second layer's chunks are ``chunk_faces // CHUNK_MAP_SPLIT`` cells when the
#: third layer's rows come from face maps.
CHUNK_MAP_SPLIT: int = 4


def _chunk_next_rows(
    xy: np.ndarray, z1: np.ndarray, cptr: np.ndarray, cverts: np.ndarray, ptr: np.ndarray,
    verts: np.ndarray, parents: np.ndarray, bits0: np.ndarray, layer0: Any, layer1: Any,
    layer2: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """The third layer's pre-activations at the vertices of a chunk of the second layer's mesh.

    Equal, up to rounding, to ``relu(z1) @ W2.T + b2``. On a cell ``F`` of
    the first layer's arrangement the second layer is affine,
    ``M1(F) = W1 diag(p0) (W0 x + b0) + b1``, and on a face ``G`` of the
    second layer inside it the third is ``W2 diag(p1(G)) M1(F) + b2``. The
    cells are visited breadth first, each from a neighbour across one line
    of the first layer: ``M1`` changes by a rank-1 term ``W1[:, i] (W0[i] x
    + b0[i])`` and a reference map ``W2 diag(r(F)) M1(F) + b2`` (``r(F)``:
    the second-layer bits of the cell's corners) by rank-1 terms, one of
    them ``u (W0[i] x + b0[i])`` with ``u = W2 diag(r(F)) W1[:, i]``. The
    steps across one line ``i``, taken in order along it, have cells whose
    bits ``r`` differ in a few neurons, so each ``u`` is the previous one's
    plus ``+-W1[j, i] W2[:, j]`` per such neuron ``j``; one in
    :data:`CHAIN_STEPS` (and every step whose bits differ in more than
    ``n1 / 8``) comes from the matrix product instead. Each face's map is
    its cell's reference map plus a rank-1 term per bit in which the face
    differs, and each vertex is evaluated with the map of the first face
    that holds it. So the ``n2 x n1`` products are paid once per
    ``CHAIN_STEPS`` cells, not once per vertex.

    Rounding: every partial sum is a map ``W2 D M1 + b2`` for some pattern,
    bounded at ``v`` by ``B_k(v) = ||W2_k||_1 G1(v) + |b2_k|`` with ``G1(v) =
    max_j ||W1_j||_1 G0(v) + |b1_j|`` and ``G0(v) = max_i |W0_i0 x| + |W0_i1
    y| + |b0_i|``; the kernel counts the additions (and the ``n1`` of each
    product for ``u``) along each chain and starts a cell from scratch
    before their bound reaches a hundredth of :data:`RECHECK_RTOL`. Every
    value within :data:`RECHECK_RTOL` ``* B_k(v)`` of zero is recomputed by
    the direct product (as :func:`_root_next_rows` does), so the zero test
    sees directly computed values and every other sign is certain.

    Parameters
    ----------
    xy : (V, 2) float64 array
        Vertices of the chunk after the second layer.
    z1 : (C, n1) float64 array, C >= V
        The second layer's snapped pre-activations in the first ``V`` rows.
    cptr, cverts : CSR faces
        The chunk's cells (faces of the first layer's arrangement) before the
        second layer cut them (their vertices are the first rows of ``xy``).
    ptr, verts : CSR faces
        The faces after the second layer.
    parents : (G,) int64 array
        The cell of each face.
    bits0 : (F, ceil(n0 / 64)) uint64 array
        Each cell's first-layer activation bits.
    layer0, layer1, layer2 : (W, b)
        The first three hidden layers.

    Returns
    -------
    rows : (C', n2) float64 array, C' >= V
        The pre-activations in the first ``V`` rows (room after them).
    scale : (C',) float64 array
        ``max_k relu(z1[v, k])``, the tolerance scale of the third layer.
    """
    from ._chunkmaps import chain_heads, chain_u, chunk_rows
    from ._kernel import bfs_forest, face_bits

    (w0, b0), (w1, b1), (w2, b2) = layer0, layer1, layer2
    nv, nfc = len(xy), len(cptr) - 1
    n0, n1, n2 = len(b0), len(b1), len(b2)
    z1 = np.ascontiguousarray(z1[:nv], dtype=np.float64)
    ref = face_bits(z1, nv, cptr, cverts)
    sbits = face_bits(z1, nv, ptr, verts)
    aptr, adj = _face_adjacency(cptr, cverts, nv)
    order, pred, lptr = bfs_forest(nfc, aptr, adj)
    # the first-layer neurons in which each cell differs from its predecessor
    has = pred >= 0
    diff = np.zeros_like(bits0)
    diff[has] = bits0[has] ^ bits0[pred[has]]
    cell, step_i = np.nonzero(_unpack(diff, n0))
    step_ptr = np.zeros(nfc + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nfc), out=step_ptr[1:])
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    w1t = np.ascontiguousarray(w1.T)
    w2t = np.ascontiguousarray(w2.T)
    # the steps across one line, in order along it, differ from each other in a few
    # reference bits: chains of u, each from the previous by a rank-1 term per bit, and
    # only the chains' heads from the matrix product
    step_i = step_i.astype(np.int64)
    cell = cell.astype(np.int64)
    deg = np.diff(cptr)
    mid = np.add.reduceat(xy[cverts], cptr[:-1], axis=0) / deg[:, None]
    w0 = np.asarray(w0, dtype=np.float64)
    along = mid[cell, 1] * w0[step_i, 0] - mid[cell, 0] * w0[step_i, 1]
    seq = np.lexsort((along, step_i))
    head = chain_heads(seq, step_i, cell, ref, CHAIN_STEPS, max(1, n1 // 8))
    u = np.empty((len(step_i), n2))
    hs = np.flatnonzero(head)
    u[hs] = (w1t[step_i[hs]] * _unpack(ref, n1)[cell[hs]]) @ w2.T
    ufac = np.empty(len(step_i))
    chain_u(seq, head, step_i, cell, ref, w1t, w2t, n1, u, ufac)
    sub_ids = np.argsort(parents, kind="stable")
    sub_ptr = np.zeros(nfc + 1, dtype=np.int64)
    np.cumsum(np.bincount(parents, minlength=nfc), out=sub_ptr[1:])
    rows = np.empty((3 * nv + 64, n2))  # room for the new vertices of the next layer
    scale = np.empty(len(rows))
    chunk_rows(
        np.ascontiguousarray(xy, dtype=np.float64), z1, nv, order, pred, lptr, bits0, ref,
        sbits, sub_ptr, sub_ids, ptr, verts, np.ascontiguousarray(w0, dtype=np.float64),
        np.ascontiguousarray(b0, dtype=np.float64), w1t,
        np.ascontiguousarray(b1, dtype=np.float64), w2t,
        np.ascontiguousarray(b2, dtype=np.float64), step_ptr, step_i, u, ufac,
        1e-2 * RECHECK_RTOL / 2.0**-52, RECHECK_RTOL, rows,
    )
    np.maximum(z1.max(axis=1), 0.0, out=scale[:nv])
    return rows, scale


def _unpack(bits: np.ndarray, n: int) -> np.ndarray:
    """``(F, n)`` bool array of ``(F, ceil(n / 64))`` uint64 bits (``j`` in word ``j // 64``)."""
    b = np.unpackbits(bits.view(np.uint8).reshape(len(bits), -1), axis=1, bitorder="little")
    return b[:, :n].astype(bool)


def _face_adjacency(
    ptr: np.ndarray, verts: np.ndarray, nv: int
) -> tuple[np.ndarray, np.ndarray]:
    """Faces sharing an edge, as CSR ``(aptr, adj)``.

    The kernel gives a crossed edge one vertex on both sides, so neighbours
    hold the same vertex pair.
    """
    nf = len(ptr) - 1
    fid = np.repeat(np.arange(nf, dtype=np.int64), np.diff(ptr))
    succ = np.arange(1, len(verts) + 1)
    succ[ptr[1:] - 1] = ptr[:-1]
    u, w = verts, verts[succ]
    key = np.minimum(u, w) * nv + np.maximum(u, w)
    o = np.argsort(key, kind="stable")
    same = np.flatnonzero(key[o[1:]] == key[o[:-1]])
    a, c = fid[o[same]], fid[o[same + 1]]
    src = np.concatenate([a, c])
    aptr = np.zeros(nf + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=nf), out=aptr[1:])
    adj = np.concatenate([c, a])[np.argsort(src, kind="stable")]
    return aptr, adj


def _face_order(
    z1: np.ndarray, ptr: np.ndarray, verts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Activation bits and a breadth-first order of a first layer's faces (for face maps).

    Returns ``(bits, order, pred, lptr)`` of :func:`regions._kernel.face_bits`
    and :func:`regions._kernel.bfs_levels` over the faces that share an edge.
    """
    from ._kernel import bfs_levels, face_bits

    nv, nf = len(z1), len(ptr) - 1
    bits = face_bits(z1, nv, ptr, verts)
    aptr, adj = _face_adjacency(ptr, verts, nv)
    order, pred, lptr = bfs_levels(nf, aptr, adj)
    if len(order) != nf:
        raise TopologyError(
            f"the first layer's faces are not connected through shared edges ({len(order)} "
            f"of {nf} reached)"
        )
    return bits, order, pred, lptr


#: ``_root_count_next`` gives each thread at least this many faces.
ROOT_PART_FACES: int = 2000


def _root_count_next(
    xy: np.ndarray, z1: np.ndarray, ptr: np.ndarray, verts: np.ndarray, w1: np.ndarray,
    b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, rtol: float, workers: int = 1,
    floor: np.ndarray | None = None, thin: float = 0.0,
) -> int:
    """Faces of the second and last layer on the first layer's arrangement, from face maps.

    The count of :func:`count_layer` on ``relu(z1) @ w2.T + b2`` without
    forming those rows: :func:`regions._kernel.root_pass` keeps each
    vertex's sign bits only and counts each face's chords from its map, the
    faces split between ``workers`` threads (the result does not depend on
    how); the faces it declines get their rows by the direct product and go
    to :func:`count_layer`'s path (counted or split).
    """
    import threading

    from ._kernel import root_pass, root_setup

    nv = len(xy)
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    z1 = np.ascontiguousarray(z1[:nv], dtype=np.float64)
    bits, order, pred, _ = _face_order(z1, ptr, verts)
    w1 = np.ascontiguousarray(w1, dtype=np.float64)
    b1 = np.ascontiguousarray(b1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    w2t = np.ascontiguousarray(w2.T)
    b2 = np.ascontiguousarray(b2, dtype=np.float64)
    l1, gv, sv, pre, depth = root_setup(xy, z1, nv, w1, b1, w2t, order, pred)
    if floor is not None:
        # the zero test's scale: at least what the vertices inherit; the recheck band
        # (relative to gv) stays four orders wider than the zero band
        np.maximum(sv[:nv], floor[:nv], out=sv[:nv])
        np.maximum(gv[:nv], sv[:nv], out=gv[:nv])
    nf, nw = len(pre), (len(b2) + 63) // 64
    pos = np.zeros((nv, nw), dtype=np.uint64)
    neg = np.zeros((nv, nw), dtype=np.uint64)
    done = np.zeros(nv, dtype=bool)
    fallback = np.zeros(len(ptr) - 1, dtype=bool)
    parts = max(1, min(workers, nf // ROOT_PART_FACES))
    cuts = [nf * i // parts for i in range(parts + 1)]
    faces = [0] * parts
    errors: list[BaseException] = []

    def run(pas: int, i: int) -> None:
        try:
            faces[i] = root_pass(
                pas, cuts[i], cuts[i + 1], xy, z1, ptr, verts, bits, pre, depth, pred, w1, b1,
                w2t, b2, l1, gv, sv, RECHECK_RTOL, rtol, GENERIC_RTOL, pos, neg, done, fallback,
            )
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    for pas in (0, 1):  # every vertex's bits before any face's chords
        threads = [threading.Thread(target=run, args=(pas, i)) for i in range(1, parts)]
        for t in threads:
            t.start()
        run(pas, 0)
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    total = sum(faces)
    if fallback.any():
        used, fptr, fverts = _sub_mesh(ptr, verts, np.flatnonzero(fallback))
        act = np.maximum(z1[used], 0.0)
        z = act @ w2.T + b2
        scale = act.max(axis=1) if act.shape[1] else np.zeros(len(act))
        if floor is not None:
            np.maximum(scale, floor[used], out=scale)
        total += _count_last(
            xy[used], z, scale, np.abs(w2).sum(axis=1), np.abs(b2), fptr, fverts, rtol, 1, thin
        )
    return int(total)


def _one_blas_thread() -> Any:
    """A context holding BLAS to one thread (``threadpoolctl``), or a no-op without it."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _spatial_order(xy: np.ndarray, ptr: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """Faces sorted along a Z-order (Morton) curve through their first vertices.

    Parameters
    ----------
    xy : (V, 2) float64 array
    ptr, verts : CSR faces

    Returns
    -------
    order : (F,) int64 array
        A permutation of the faces; consecutive runs of it are compact patches.
    """
    p = xy[verts[ptr[:-1]]]
    lo = p.min(axis=0)
    span = np.maximum(p.max(axis=0) - lo, np.finfo(np.float64).tiny)
    q = ((p - lo) / span * (2**20 - 1)).astype(np.int64)
    key = np.zeros(len(p), dtype=np.int64)
    for bit in range(20):
        key |= ((q[:, 0] >> bit) & 1) << (2 * bit)
        key |= ((q[:, 1] >> bit) & 1) << (2 * bit + 1)
    return np.argsort(key, kind="stable")
