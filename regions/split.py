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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import RegionLimitError, TopologyError
from .tolerance import ZERO_RTOL, snap, zero_tolerance

__all__ = ["Mesh", "split_mesh", "refine_layer", "count_faces", "face_reduce"]


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
    """

    xy: np.ndarray
    face_ptr: np.ndarray
    face_verts: np.ndarray
    layer_patterns: list[np.ndarray] = field(default_factory=list)
    layer_parents: list[np.ndarray] = field(default_factory=list)

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
        """Face areas by the shoelace formula.

        Returns
        -------
        areas : (F,) float64 array
        """
        nxt = _next_slot(self.face_ptr)
        p = self.xy[self.face_verts]
        q = p[nxt]
        cross = p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]
        return 0.5 * np.add.reduceat(cross, self.face_ptr[:-1]) if len(cross) else np.zeros(0)

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

    def add_vertices(self, xy: np.ndarray, z: np.ndarray, scale: np.ndarray) -> np.ndarray:
        k = len(xy)
        need = self.nv + k
        if need > self.xy.shape[0]:
            cap = max(need, 2 * self.xy.shape[0])
            for name in ("xy", "z", "scale"):
                old = getattr(self, name)
                new = np.empty((cap, *old.shape[1:]))
                new[: self.nv] = old[: self.nv]
                setattr(self, name, new)
        ids = np.arange(self.nv, need, dtype=np.int64)
        self.xy[self.nv : need] = xy
        self.z[self.nv : need] = z
        self.scale[self.nv : need] = scale
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


def _split_neuron(ar: _Arena, j: int, cand: np.ndarray, w1: float, b1: float, rtol: float) -> int:
    """Split the candidate faces by neuron ``j``; return the number of faces split.

    Values of column ``j`` at the candidates' vertices are snapped here (the
    rows of new vertices are not snapped when they are made): ``|z| <= rtol *
    (w1 * scale + b1)`` becomes exactly zero.
    """
    sizes = ar.size[cand]
    slots = _ranges(ar.start[cand], sizes)
    verts = ar.pool[slots]
    vals = ar.z[verts, j]
    small = np.abs(vals) <= rtol * (w1 * ar.scale[verts] + b1)
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
    a = uniq // ar.nv
    b = uniq % ar.nv
    za = ar.z[a, j]
    zb = ar.z[b, j]
    t = za / (za - zb)
    new_xy = ar.xy[a] + t[:, None] * (ar.xy[b] - ar.xy[a])
    new_z = ar.z[b]
    za_rows = ar.z[a]
    new_z -= za_rows
    new_z *= t[:, None]
    new_z += za_rows
    new_s = np.maximum(ar.scale[a], ar.scale[b])
    new_z[:, j] = 0.0
    new_ids = ar.add_vertices(new_xy, new_z, new_s)
    w = np.full(len(verts), -1, dtype=np.int64)
    w[cross] = new_ids[inv.ravel()]

    # the two loops, in boundary order: each slot emits its vertex, then the new vertex
    cand2 = np.stack([verts, w], axis=1).ravel()
    out = []
    for keep_v in (sg >= 0, sg <= 0):
        loop = cand2[np.stack([keep_v, cross], axis=1).ravel()]
        cnt = np.add.reduceat(keep_v.astype(np.int64) + cross, lptr[:-1])
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


def split_mesh(
    hidden: Any,
    ring: np.ndarray,
    on_layer: Callable[[int, Mesh], None] | None = None,
    zero_rtol: float | None = None,
    max_faces: int | None = None,
) -> Mesh:
    """Refine a convex polygon by every hidden neuron, layer by layer.

    Parameters
    ----------
    hidden : sequence of (W, b)
        Hidden layers as (n_l, d_{l-1}) and (n_l,) float64 arrays, ``d_0 = 2``.
    ring : (K, 2) float64 array
        Counter-clockwise vertices of the convex starting polygon.
    on_layer : callable, optional
        Called as ``on_layer(l, mesh)`` after each hidden layer ``l`` (for the
        invariant checks of the tests and for progress reports).
    zero_rtol : float, optional
        Override of :data:`regions.tolerance.ZERO_RTOL`, for tolerance studies.
    max_faces : int, optional
        Raise :class:`~regions.errors.RegionLimitError` as soon as the mesh has
        more faces (checked after every neuron).

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
    ring = np.asarray(ring, dtype=np.float64)
    k = len(ring)
    ptr = np.array([0, k], dtype=np.int64)
    verts = np.arange(k, dtype=np.int64)
    mesh = Mesh(ring.copy(), ptr, verts)
    act = ring.copy()  # layer input at the vertices
    for layer, (w, b) in enumerate(hidden):
        xy, z, ptr, verts, parents = refine_layer(
            mesh.xy, act, ptr, verts, w, b, zero_rtol, max_faces, layer
        )
        pattern = face_reduce(z > 0, ptr, verts, np.bitwise_or)
        mesh = Mesh(
            xy,
            ptr,
            verts,
            [*mesh.layer_patterns, pattern],
            [*mesh.layer_parents, parents],
        )
        if on_layer is not None:
            on_layer(layer, mesh)
        act = np.maximum(z, 0.0, out=z)
    return mesh


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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

    Returns
    -------
    xy : (V', 2) float64 array
        The old vertices followed by the new ones.
    z : (V', n) float64 array
        The layer's pre-activations at every vertex (snapped, see
        :mod:`regions.tolerance`).
    face_ptr : (F' + 1,) int64 array
    face_verts : (S',) int64 array
        The refined faces.
    parents : (F',) int64 array
        The input face that contains each refined face.
    """
    z = act @ weight.T
    z += bias
    scale = np.abs(act).max(axis=1) if act.shape[1] else np.zeros(len(act))

    snap(z, zero_tolerance(weight, bias, scale, zero_rtol))
    # which input faces does each neuron cross?
    straddle = face_reduce(_sign_bits(z), face_ptr, face_verts, np.bitwise_or) == 3
    # each crossing makes about two vertices: reserve room to avoid regrowing
    ar = _Arena(xy, z, scale, cap=len(xy) + 3 * int(np.count_nonzero(straddle)))
    del z
    ar.set_faces(face_ptr, face_verts)
    if straddle.any():
        rtol = ZERO_RTOL if zero_rtol is None else float(zero_rtol)
        w1 = np.abs(weight).sum(axis=1)
        b1 = np.abs(bias)
        straddle_t = np.ascontiguousarray(straddle.T)
        for j in np.flatnonzero(straddle_t.any(axis=1)):
            cand = np.flatnonzero(straddle_t[j][ar.cell[: ar.nf]])
            _split_neuron(ar, int(j), cand, float(w1[j]), float(b1[j]), rtol)
            if max_faces is not None and ar.nf > max_faces:
                raise RegionLimitError(
                    f"more than max_regions={max_faces} regions after neuron {int(j)} of "
                    f"hidden layer {layer}; raise max_regions, shrink the domain, or use "
                    "count_regions (it streams and keeps no polygons)"
                )
    ptr, verts = ar.compact()
    return ar.xy[: ar.nv], ar.z[: ar.nv], ptr, verts, ar.cell[: ar.nf].copy()


def count_faces(
    hidden: Any,
    ring: np.ndarray,
    chunk_faces: int = 20000,
    zero_rtol: float | None = None,
) -> list[int]:
    """Number of faces after each layer, streaming: memory bounded by a chunk.

    Refines the faces of each layer in chunks of at most ``chunk_faces``
    faces, depth first, and keeps no finished layer. The zero tolerance is
    local to each vertex (:mod:`regions.tolerance`), so the counts equal
    ``split_mesh(hidden, ring).layer_counts``.

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
    """
    if chunk_faces < 1:
        raise ValueError(f"chunk_faces must be >= 1, got {chunk_faces}")
    hidden = list(hidden)
    counts = [0] * len(hidden)
    ring = np.asarray(ring, dtype=np.float64)
    k = len(ring)

    def visit(
        layer: int, xy: np.ndarray, act: np.ndarray, ptr: np.ndarray, verts: np.ndarray
    ) -> None:
        w, b = hidden[layer]
        xy, z, ptr, verts, _ = refine_layer(xy, act, ptr, verts, w, b, zero_rtol)
        f = len(ptr) - 1
        counts[layer] += f
        if layer + 1 == len(hidden):
            return
        np.maximum(z, 0.0, out=z)
        for s in range(0, f, chunk_faces):
            e = min(f, s + chunk_faces)
            sub = verts[ptr[s] : ptr[e]]
            used, local = np.unique(sub, return_inverse=True)
            visit(layer + 1, xy[used], z[used], ptr[s : e + 1] - ptr[s], local.ravel())

    if hidden:
        visit(0, ring, ring.copy(), np.array([0, k], dtype=np.int64), np.arange(k, dtype=np.int64))
    return counts
