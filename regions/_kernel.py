"""Compiled (numba) kernel of the fast splitter, for bounded domains.

Same algorithm and tolerance rule as the array code of :mod:`regions.split`
(:func:`regions.split.refine_rows` with ``kernel="numpy"``), run for a whole
layer in a few compiled calls:

1. :func:`bias_and_scale` adds the bias to the pre-activations ``act @ W.T``
   (computed by BLAS) and takes each vertex's tolerance scale
   ``max_k |act_k|``;
2. :func:`snap_and_straddle` snaps every value inside its zero band to exactly
   ``0.0`` and lists, per split function, the input cells whose vertex values
   hold both signs (only those can be cut);
3. :func:`kernel` visits, per split function, only the faces inside those
   cells (each cell keeps a linked list of the faces it has become), cuts each
   face whose vertices hold both signs into its ``>= 0`` and ``<= 0`` loops,
   and gives each crossed edge one shared vertex (an edge map keyed by the
   sorted vertex pair) whose row is interpolated and whose own value is set to
   exactly ``0.0``. On the first layer (``refine(..., direct=(W, b))``) no
   rows are stored while splitting: :func:`_affine_value` computes each value
   from its vertex where it is tested, and :func:`affine_rows` forms the
   snapped rows once at the end.

For the streaming count, :func:`face_bits`, :func:`bfs_levels`,
:func:`root_rows` and :func:`recheck_rows` give the second layer's
pre-activations on the first layer's arrangement from per-face affine maps
(see :func:`regions.split._root_next_rows`), and :func:`count_cells` counts
the faces the last layer makes in each cell from its chords (``1 + m + I``)
without splitting, wherever the cell's arrangement is in general position
(see :func:`regions.split.count_layer`); when that last layer is the second,
:func:`root_setup` and :func:`root_pass` count it from the first layer's
face maps without forming its rows (see
:func:`regions.split._root_count_next`). The third layer's rows from maps
per first-layer cell are in :mod:`regions._chunkmaps`.

Faces come out in a different order than from the array code (cell by cell);
the partition is the same, which the tests check on random and degenerate
nets. The pure numpy path stays the reference. Used only when numba is
installed (``pip install numba``) and the mesh has no ideal vertex (the whole
plane uses the numpy path). Every function releases the GIL.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

__all__ = [
    "bias_and_scale", "affine_rows", "snap_and_straddle", "kernel", "refine", "face_bits",
    "bfs_forest", "bfs_levels", "face_tree",
    "root_rows", "recheck_rows", "count_cells", "root_setup", "root_pass",
]


@numba.njit(cache=True, nogil=True)
def grow2(a: Any, need: int, used: int) -> Any:
    """``a`` with room for ``need`` rows (doubling); only the ``used`` rows are copied."""
    if need <= a.shape[0]:
        return a
    b = np.empty((max(need, 2 * a.shape[0]), a.shape[1]), dtype=a.dtype)
    b[:used] = a[:used]
    return b


@numba.njit(cache=True, nogil=True)
def grow1(a: Any, need: int, used: int) -> Any:
    """``a`` with room for ``need`` entries (doubling); only the ``used`` ones are copied."""
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), dtype=a.dtype)
    b[:used] = a[:used]
    return b


@numba.njit(cache=True, nogil=True)
def bias_and_scale(z: Any, nv: int, act: Any, bias: Any, scale: Any) -> None:
    """``z[v] += bias`` and ``scale[v] = max_k |act[v, k]|`` for ``v < nv``, in place."""
    n = bias.shape[0]
    d = act.shape[1]
    for v in range(nv):
        s = 0.0
        for k in range(d):
            a = abs(act[v, k])
            if a > s:
                s = a
        scale[v] = s
        for j in range(n):
            z[v, j] += bias[j]


@numba.njit(cache=True, nogil=True)
def _bit_index(x: Any) -> int:
    """Index of the one set bit of a power-of-two ``uint64`` (binary search)."""
    n = 0
    if (x & np.uint64(0xFFFFFFFF)) == 0:
        n += 32
        x >>= np.uint64(32)
    if (x & np.uint64(0xFFFF)) == 0:
        n += 16
        x >>= np.uint64(16)
    if (x & np.uint64(0xFF)) == 0:
        n += 8
        x >>= np.uint64(8)
    if (x & np.uint64(0xF)) == 0:
        n += 4
        x >>= np.uint64(4)
    if (x & np.uint64(0x3)) == 0:
        n += 2
        x >>= np.uint64(2)
    if (x & np.uint64(0x1)) == 0:
        n += 1
    return n


@numba.njit(cache=True, nogil=True, inline="always")
def _affine_value(wd: Any, bd: Any, j: int, xy: Any, v: int) -> float:
    """Column ``j`` of the first layer at vertex ``v``: ``wd[j] @ xy[v] + bd[j]``.

    The one formula of the first layer's values in compiled code (the split
    decisions and the rows :func:`affine_rows` returns are the same numbers).
    """
    return wd[j, 0] * xy[v, 0] + wd[j, 1] * xy[v, 1] + bd[j]


@numba.njit(cache=True, nogil=True)
def affine_rows(
    z: Any, xy: Any, wd: Any, bd: Any, scale: Any, w1: Any, b1: Any, rtol: float
) -> None:
    """Fill ``z``, ``(nv, n)``, with the first layer's rows at the vertices.

    ``wd[j] @ xy[v] + bd[j]``, exactly ``0.0`` inside the zero band (which
    holds a vertex's own neuron's value: see
    :data:`regions.tolerance.DIRECT_MIN_RTOL`).
    """
    nv, n = z.shape
    for v in range(nv):
        sv = scale[v]
        for j in range(n):
            x = _affine_value(wd, bd, j, xy, v)
            z[v, j] = 0.0 if abs(x) <= rtol * (w1[j] * sv + b1[j]) else x


@numba.njit(cache=True, nogil=True)
def snap_and_straddle(
    z: Any, nv: int, c0: int, c1: int, scale: Any, w1: Any, b1: Any, rtol: float,
    fptr: Any, fverts: Any, xy: Any, wd: Any, bd: Any,
) -> Any:
    """Snap the zero band of columns ``c0:c1``; list the straddled cells per column.

    Returns ``(jptr, cells)``: the cells (faces of ``fptr``/``fverts``) whose
    vertices hold both signs of column ``c0 + j`` are ``cells[jptr[j]:jptr[j+1]]``,
    in increasing order. With ``wd`` of shape ``(n, 2)`` (the first layer), a
    column's values are not read from ``z`` but computed, ``wd[j] @ xy[v] +
    bd[j]`` (:func:`_affine_value`); nothing is stored then.
    """
    direct = wd.shape[0] > 0
    nsplit = c1 - c0
    nw = (nsplit + 63) // 64
    # sign bits packed 64 columns to a word: ``pos`` for z > 0, ``neg`` for z < 0
    pos = np.zeros((nv, nw), dtype=np.uint64)
    neg = np.zeros((nv, nw), dtype=np.uint64)
    ww = np.ascontiguousarray(w1[c0:c1])
    bb = np.ascontiguousarray(b1[c0:c1])
    # per-column bits, OR-ed into words afterwards: branch-free loops the compiler vectorizes
    sgp = np.zeros(64 * nw, dtype=np.uint64)
    sgn = np.zeros(64 * nw, dtype=np.uint64)
    for v in range(nv):
        sv = scale[v]
        for j in range(nsplit):
            x = _affine_value(wd, bd, c0 + j, xy, v) if direct else z[v, c0 + j]
            x = 0.0 if abs(x) <= rtol * (ww[j] * sv + bb[j]) else x
            if not direct:
                z[v, c0 + j] = x
            sgp[j] = np.uint64(x > 0.0) << np.uint64(j & 63)
            sgn[j] = np.uint64(x < 0.0) << np.uint64(j & 63)
        for w in range(nw):
            p = np.uint64(0)
            m = np.uint64(0)
            for b in range(64):
                p |= sgp[64 * w + b]
                m |= sgn[64 * w + b]
            pos[v, w] = p
            neg[v, w] = m
    nf = fptr.shape[0] - 1
    one = np.uint64(1)
    accp = np.empty(nw, dtype=np.uint64)
    accn = np.empty(nw, dtype=np.uint64)
    cnt = np.zeros(nsplit + 1, dtype=np.int64)
    pj = np.empty(max(16, 4 * nf), dtype=np.int64)
    pf = np.empty(max(16, 4 * nf), dtype=np.int64)
    npair = 0
    for f in range(nf):
        accp[:] = 0
        accn[:] = 0
        for s in range(fptr[f], fptr[f + 1]):
            v = fverts[s]
            for w in range(nw):
                accp[w] |= pos[v, w]
                accn[w] |= neg[v, w]
        for w in range(nw):
            both = accp[w] & accn[w]
            while both:
                low = both & (~both + one)  # the lowest set bit
                j = 64 * w + _bit_index(low)
                if npair == pj.shape[0]:
                    pj = grow1(pj, npair + 1, npair)
                    pf = grow1(pf, npair + 1, npair)
                pj[npair] = j
                pf[npair] = f
                cnt[j + 1] += 1
                npair += 1
                both ^= low
    for j in range(nsplit):
        cnt[j + 1] += cnt[j]
    cells = np.empty(npair, dtype=np.int64)
    fill = cnt[:-1].copy()
    for q in range(npair):  # stable counting sort by column
        j = pj[q]
        cells[fill[j]] = pf[q]
        fill[j] += 1
    return cnt, cells


@numba.njit(cache=True, nogil=True)
def kernel(
    xy: Any, z: Any, scale: Any, nv: int,
    pool: Any, np_: int, start: Any, size: Any, cell: Any, nxt: Any, nf: int,
    jlo: int, jptr: Any, jcells: Any, w1: Any, b1: Any, rtol: float, max_faces: int,
    lazy: bool, regroup: int, wd: Any, bd: Any,
) -> Any:
    """Cut the faces by split columns ``jlo, jlo + 1, ...`` (see the module docstring).

    Face ``c < nf`` on entry is cell ``c``; ``nxt`` links each face to the
    next face of the same cell (``-1`` ends); column ``jlo + i`` crosses the
    cells ``jcells[jptr[i]:jptr[i+1]]``. ``lazy``: a new vertex made by
    column ``j`` gets only columns ``> j`` interpolated (the others stay
    undefined; for a count that needs no values after the layer). Stops with
    status 4 after the column at which the faces reach ``regroup`` (when
    positive), so that the caller can make the faces the new cells. With
    ``wd`` of shape ``(n, 2)`` (the first layer, ``z`` then has no columns),
    the values are computed from ``xy`` (:func:`_affine_value`): no rows
    are read or interpolated, and each vertex costs 24 bytes instead of
    ``8 (n + 3)``.
    """
    direct = wd.shape[0] > 0
    ncol = z.shape[1]
    sg = np.empty(64, dtype=np.int8)
    loop_a = np.empty(128, dtype=np.int64)
    loop_b = np.empty(128, dtype=np.int64)
    for jj in range(jptr.shape[0] - 1):
        j = jlo + jj
        if jptr[jj] == jptr[jj + 1]:
            continue
        c0 = j + 1 if lazy else 0
        edges: dict[int, int] = dict()
        for ci in range(jptr[jj], jptr[jj + 1]):
            f = jcells[ci]
            while f != -1:
                k = size[f]
                s0 = start[f]
                if k > sg.shape[0]:
                    sg = np.empty(2 * k, dtype=np.int8)
                    loop_a = np.empty(4 * k, dtype=np.int64)
                    loop_b = np.empty(4 * k, dtype=np.int64)
                pos = False
                neg = False
                for i in range(k):
                    v = pool[s0 + i]
                    val = _affine_value(wd, bd, j, xy, v) if direct else z[v, j]
                    if abs(val) <= rtol * (w1[j] * scale[v] + b1[j]):
                        if not direct:
                            z[v, j] = 0.0
                        sg[i] = 0
                    elif val > 0:
                        sg[i] = 1
                        pos = True
                    else:
                        sg[i] = -1
                        neg = True
                if not (pos and neg):
                    f = nxt[f]
                    continue
                # exactly two sign changes along a convex face
                changes = 0
                last = 0
                first = 0
                for i in range(k):
                    if sg[i] != 0:
                        if first == 0:
                            first = sg[i]
                        elif sg[i] != last:
                            changes += 1
                        last = sg[i]
                if last != first:
                    changes += 1
                if changes != 2:
                    return (xy, z, scale, nv, pool, np_, start, size, cell, nxt, nf, 1, j, f)
                na = 0
                nb = 0
                for i in range(k):
                    u = pool[s0 + i]
                    w_ = pool[s0 + (i + 1) % k]
                    if sg[i] >= 0:
                        loop_a[na] = u
                        na += 1
                    if sg[i] <= 0:
                        loop_b[nb] = u
                        nb += 1
                    if sg[i] * sg[(i + 1) % k] < 0:
                        a = min(u, w_)
                        b = max(u, w_)
                        key = a * 4294967296 + b
                        if key in edges:
                            nvtx = edges[key]
                        else:
                            if nv >= min(xy.shape[0], z.shape[0], scale.shape[0]):
                                xy = grow2(xy, nv + 1, nv)
                                z = grow2(z, nv + 1, nv)
                                scale = grow1(scale, nv + 1, nv)
                            if direct:
                                za = _affine_value(wd, bd, j, xy, a)
                                zb = _affine_value(wd, bd, j, xy, b)
                            else:
                                za = z[a, j]
                                zb = z[b, j]
                            t = za / (za - zb)
                            xy[nv, 0] = xy[a, 0] + t * (xy[b, 0] - xy[a, 0])
                            xy[nv, 1] = xy[a, 1] + t * (xy[b, 1] - xy[a, 1])
                            for col in range(c0, ncol):
                                z[nv, col] = z[a, col] + t * (z[b, col] - z[a, col])
                            if not direct:
                                z[nv, j] = 0.0
                            scale[nv] = max(scale[a], scale[b])
                            nvtx = nv
                            edges[key] = nv
                            nv += 1
                        loop_a[na] = nvtx
                        na += 1
                        loop_b[nb] = nvtx
                        nb += 1
                if na < 3 or nb < 3:
                    return (xy, z, scale, nv, pool, np_, start, size, cell, nxt, nf, 2, j, f)
                pool = grow1(pool, np_ + na + nb, np_)
                pool[np_ : np_ + na] = loop_a[:na]
                start[f] = np_
                size[f] = na
                np_ += na
                pool[np_ : np_ + nb] = loop_b[:nb]
                start = grow1(start, nf + 1, nf)
                size = grow1(size, nf + 1, nf)
                cell = grow1(cell, nf + 1, nf)
                nxt = grow1(nxt, nf + 1, nf)
                start[nf] = np_
                size[nf] = nb
                cell[nf] = cell[f]
                # the new face follows f in its cell's list, and is not revisited
                nxt[nf] = nxt[f]
                nxt[f] = nf
                np_ += nb
                nf += 1
                f = nxt[nf - 1]
        if max_faces > 0 and nf > max_faces:
            return (xy, z, scale, nv, pool, np_, start, size, cell, nxt, nf, 3, j, nf)
        if regroup > 0 and nf >= regroup and jj + 2 < jptr.shape[0]:
            return (xy, z, scale, nv, pool, np_, start, size, cell, nxt, nf, 4, j, -1)
    return (xy, z, scale, nv, pool, np_, start, size, cell, nxt, nf, 0, -1, -1)


@numba.njit(cache=True, nogil=True)
def compact(pool: Any, start: Any, size: Any, nf: int) -> Any:
    """Faces as CSR ``(ptr, verts)`` in face order."""
    ptr = np.zeros(nf + 1, dtype=np.int64)
    for f in range(nf):
        ptr[f + 1] = ptr[f] + size[f]
    verts = np.empty(ptr[nf], dtype=np.int64)
    for f in range(nf):
        verts[ptr[f] : ptr[f + 1]] = pool[start[f] : start[f] + size[f]]
    return ptr, verts


def _grow(a: np.ndarray, need: int, used: int) -> np.ndarray:
    """:func:`grow2` / :func:`grow1` from Python: the new array is numpy's.

    numpy asks the kernel for huge pages on large arrays (``madvise``), so
    rows written later fault in 2 MB pages rather than 4 kB ones: on wide
    layers the page faults of arrays made in compiled code were a quarter of
    the time.
    """
    if need <= len(a):
        return a
    b = np.empty((max(need, 2 * len(a)), *a.shape[1:]), dtype=a.dtype)
    b[:used] = a[:used]
    return b


#: A layer's faces become the cells for its remaining columns once they are this
#: many times the cells (a column only visits the faces of the cells it crosses).
REGROUP_FACTOR: int = 4


def refine(
    xy: np.ndarray, z: np.ndarray, nv: int, n_split: int, scale: np.ndarray,
    w1: np.ndarray, b1: np.ndarray, face_ptr: np.ndarray, face_verts: np.ndarray,
    rtol: float, max_faces: int | None, lazy: bool = False,
    direct: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[int, int, int, tuple[np.ndarray, ...]]:
    """Split a bounded mesh by the first ``n_split`` columns of ``z``, in compiled code.

    Parameters
    ----------
    xy : (V, 2) float64 array
    z : (C, m) float64 array, C >= V
        Rows of the ``nv = V`` vertices (extra rows: room for new vertices);
        snapped and grown as needed (the array may be replaced).
    nv : int
    n_split : int
    scale : (C,) float64 array
        Tolerance scale per vertex (first ``nv`` entries).
    w1, b1 : (n_split,) float64 arrays
    face_ptr, face_verts : CSR counter-clockwise convex faces (the input cells)
    rtol : float
    max_faces : int or None
    lazy : bool
        Interpolate at a new vertex only the columns after the one that made it.
    direct : ((n_split, 2), (n_split,)) float64 arrays, optional
        The first layer's ``(W, b)``: column ``j`` is ``W[j] @ xy + b[j]``,
        computed where it is tested instead of stored and interpolated (``z``
        is then ignored); the rows returned are :func:`affine_rows`.

    Returns
    -------
    status : int
        0 ok; 1 a face not cut in two; 2 a face with fewer than 3 vertices;
        3 more faces than ``max_faces``.
    j, f : int
        The split function (and face) where a non-zero status arose; for
        status 3, ``f`` is the number of faces reached.
    mesh : tuple
        ``(xy, z, ptr, verts, parents, scale)`` of the refined mesh (vertices
        first the old ones, then the new; ``scale`` each vertex's tolerance
        scale, a new one's inherited from its edge).

    Notes
    -----
    The split functions are affine on every input cell, hence on every face
    inside one, so the straddle test of a face made earlier in the layer is
    as exact as that of its cell. When the faces outnumber the cells
    ``REGROUP_FACTOR`` times (a wide first layer starts from one cell), the
    faces become the cells of the remaining columns: the work of a column
    stays proportional to the faces it can cut.
    """
    w1 = np.ascontiguousarray(w1, dtype=np.float64)
    b1 = np.ascontiguousarray(b1, dtype=np.float64)
    nf = len(face_ptr) - 1
    parents = np.arange(nf, dtype=np.int64)  # input cell of each current cell
    if direct is None:
        wd, bd = np.empty((0, 2)), np.empty(0)
    else:
        wd = np.ascontiguousarray(direct[0], dtype=np.float64)
        bd = np.ascontiguousarray(direct[1], dtype=np.float64)
        z = np.empty((len(z), 0))  # no rows while splitting
    xyc = np.empty((max(len(z), nv + 1), 2))
    xyc[:nv] = xy[:nv]
    ptr, verts = face_ptr, face_verts
    jlo = 0
    while True:
        jptr, jcells = snap_and_straddle(
            z, nv, jlo, n_split, scale, w1, b1, float(rtol), ptr, verts, xyc, wd, bd
        )
        nf = len(ptr) - 1
        # room for what the crossings will make (each adds about one face and 1.5
        # vertices): a regrowth copies every row, and rows are wide
        npair = len(jcells)
        if len(z) < nv + 2 * npair + 64:
            z = _grow(z, nv + 2 * npair + 64, nv)
            scale = _grow(scale, len(z), nv)
        if len(xyc) < len(z):
            xyc = _grow(xyc, len(z), nv)
        cap_f = max(64, nf + 2 * npair)
        start = np.empty(cap_f, dtype=np.int64)
        size = np.empty(cap_f, dtype=np.int64)
        cell = np.empty(cap_f, dtype=np.int64)
        nxt = np.empty(cap_f, dtype=np.int64)
        start[:nf] = ptr[:-1]
        size[:nf] = np.diff(ptr)
        cell[:nf] = np.arange(nf)
        nxt[:nf] = -1
        pool = np.empty(max(256, 2 * len(verts) + 16 * npair), dtype=np.int64)
        pool[: len(verts)] = verts
        out = kernel(
            xyc, z, scale, nv, pool, len(verts), start, size, cell, nxt, nf,
            jlo, jptr, jcells, w1, b1, float(rtol), -1 if max_faces is None else int(max_faces),
            bool(lazy), REGROUP_FACTOR * max(nf, 16), wd, bd,
        )
        xyc, z, scale, nv, pool, _, start, size, cell, _, nf = out[:11]
        status, jbad, fbad = int(out[11]), int(out[12]), int(out[13])
        if status and status != 4:
            return status, jbad, fbad, ()
        ptr, verts = compact(pool, start, size, nf)
        parents = parents[cell[:nf]]
        if status == 0:
            if direct is not None:
                z = np.empty((nv, len(bd)))  # numpy's: huge pages (see _grow)
                affine_rows(z, xyc, wd, bd, scale, w1, b1, float(rtol))
            return 0, -1, -1, (xyc[:nv], z[:nv], ptr, verts, parents, scale[:nv])
        jlo = jbad + 1


@numba.njit(cache=True, nogil=True)
def thin_mask(xy: Any, ptr: Any, verts: Any, thin: float, ideal: Any, ulps: float) -> Any:
    """``regions.split.thin_faces`` compiled: the same sums in the same order.

    A face's width limit is ``min(thin, ulps * spacing(its largest coordinate))``.
    """
    nf = ptr.shape[0] - 1
    out = np.zeros(nf, dtype=np.bool_)
    for f in range(nf):
        s0 = ptr[f]
        s1 = ptr[f + 1]
        o = verts[s0]
        ox = xy[o, 0]
        oy = xy[o, 1]
        area2 = 0.0
        per = 0.0
        reach = 0.0
        unbounded = False
        for i in range(s0, s1):
            u = verts[i]
            w = verts[i + 1] if i + 1 < s1 else verts[s0]
            if ideal[u]:
                unbounded = True
            reach = max(reach, abs(xy[u, 0]), abs(xy[u, 1]))
            px = xy[u, 0] - ox
            py = xy[u, 1] - oy
            qx = xy[w, 0] - ox
            qy = xy[w, 1] - oy
            area2 += px * qy - py * qx
            per += math.hypot(qx - px, qy - py)
        _, e = math.frexp(reach)
        lim = min(thin, ulps * math.ldexp(1.0, max(e - 53, -1074)))
        out[f] = (not unbounded) and area2 <= lim * per
    return out


@numba.njit(cache=True, nogil=True)
def face_bits(z: Any, nv: int, fptr: Any, fverts: Any) -> Any:
    """Activation bits of every face: bit ``j`` of face ``f`` is ``z[v, j] > 0`` at some vertex.

    Returns a ``(F, ceil(n / 64))`` uint64 array (columns packed 64 to a word).
    """
    n = z.shape[1]
    nw = (n + 63) // 64
    pos = np.zeros((nv, nw), dtype=np.uint64)
    for v in range(nv):
        for w in range(nw):
            p = np.uint64(0)
            for b in range(min(64, n - 64 * w)):
                p |= np.uint64(z[v, 64 * w + b] > 0.0) << np.uint64(b)
            pos[v, w] = p
    nf = fptr.shape[0] - 1
    bits = np.zeros((nf, nw), dtype=np.uint64)
    for f in range(nf):
        for s in range(fptr[f], fptr[f + 1]):
            for w in range(nw):
                bits[f, w] |= pos[fverts[s], w]
    return bits


@numba.njit(cache=True, nogil=True)
def bfs_forest(nf: int, aptr: Any, adj: Any) -> Any:
    """Breadth-first levels of every connected part of a face adjacency.

    Returns ``(order, pred, lptr)``: every face once, each one's predecessor
    in the previous level (``-1`` for the first face of a part, which opens
    a level of its own) and the start of each level in ``order``.
    """
    order = np.empty(nf, dtype=np.int64)
    pred = np.full(nf, -2, dtype=np.int64)
    lptr = np.empty(nf + 1, dtype=np.int64)
    nl = 0
    tail = 0
    for seed in range(nf):
        if pred[seed] != -2:
            continue
        pred[seed] = -1
        head = tail
        order[tail] = seed
        tail += 1
        while head < tail:
            lptr[nl] = head
            nl += 1
            end = tail
            for q in range(head, end):
                f = order[q]
                for s in range(aptr[f], aptr[f + 1]):
                    g = adj[s]
                    if pred[g] == -2:
                        pred[g] = f
                        order[tail] = g
                        tail += 1
            head = end
    lptr[nl] = tail
    return order, pred, lptr[: nl + 1]


@numba.njit(cache=True, nogil=True)
def bfs_levels(nf: int, aptr: Any, adj: Any) -> Any:
    """Breadth-first order of the faces from face 0 over the adjacency ``aptr``/``adj``.

    Returns ``(order, pred, lptr)``: the faces face 0 reaches, in order, each
    one's predecessor (``-1`` for face 0) and the start of each level in
    ``order`` (the first part of :func:`bfs_forest`).
    """
    order, pred, lptr = bfs_forest(nf, aptr, adj)
    nl = 1
    while nl < lptr.shape[0] - 1 and pred[order[lptr[nl]]] != -1:
        nl += 1
    return order[: lptr[nl]], pred, lptr[:nl]


@numba.njit(cache=True, nogil=True)
def _axpy3(
    d0: Any, d1: Any, d2: Any, s0: Any, s1: Any, s2: Any, a0: float, a1: float, a2: float,
    col: Any,
) -> None:
    """``d_k = s_k + a_k * col`` for k = 0, 1, 2 (``d`` may be ``s``)."""
    for i in range(col.shape[0]):
        c = col[i]
        d0[i] = s0[i] + a0 * c
        d1[i] = s1[i] + a1 * c
        d2[i] = s2[i] + a2 * c


@numba.njit(cache=True, nogil=True)
def _map_from(
    f: int, p: int, bits: Any, mx: Any, my: Any, mc: Any, sx: Any, sy: Any, sc: Any,
    w1: Any, b1: Any, w2t: Any, b2: Any,
) -> None:
    """Face ``f``'s next-layer map into ``(mx, my, mc)`` from face ``p``'s ``(sx, sy, sc)``.

    ``p < 0``: from scratch (``b2`` plus a term per active neuron). See
    :func:`root_rows`.
    """
    nw = bits.shape[1]
    one = np.uint64(1)
    if p < 0:
        mx[:] = 0.0
        my[:] = 0.0
        mc[:] = b2
        sx, sy, sc = mx, my, mc
    first = True
    for w in range(nw):
        ref = bits[p, w] if p >= 0 else np.uint64(0)
        diff = bits[f, w] ^ ref
        on = bits[f, w]
        b = 0
        while diff:
            if diff & one:
                j = 64 * w + b
                sg = 1.0 if (on >> np.uint64(b)) & one else -1.0
                if first:
                    _axpy3(mx, my, mc, sx, sy, sc, sg * w1[j, 0], sg * w1[j, 1], sg * b1[j],
                           w2t[j])
                    first = False
                else:
                    _axpy3(mx, my, mc, mx, my, mc, sg * w1[j, 0], sg * w1[j, 1], sg * b1[j],
                           w2t[j])
            diff >>= one
            b += 1
    if first and p >= 0:  # same bits as the predecessor (a repeated line)
        mx[:] = sx
        my[:] = sy
        mc[:] = sc


@numba.njit(cache=True, nogil=True)
def root_rows(
    xy: Any, nv: int, fptr: Any, fverts: Any, bits: Any, order: Any, pred: Any, lptr: Any,
    w1: Any, b1: Any, w2t: Any, b2: Any, out: Any,
) -> None:
    """The next layer's pre-activations at the vertices of a first layer's arrangement.

    On a face with activation bits ``p`` the next layer is the affine map
    ``W2 diag(p) (W1 x + b1) + b2``. The face first in ``order`` gets it as a
    sum over its active neurons; every other face gets its predecessor's map
    plus one rank-1 term ``+-W2[:, j] (W1[j] x + b1[j])`` per bit ``j`` in which
    they differ (one, for neighbours across one line). Each vertex is evaluated
    with the map of the first face in ``order`` that holds it; ``out[v]`` is
    written for ``v < nv``. Only two levels of maps are held at a time.
    """
    n2 = w2t.shape[1]
    nf = order.shape[0]
    nl = lptr.shape[0]
    widest = 1
    for li in range(nl):
        e = lptr[li + 1] if li + 1 < nl else nf
        widest = max(widest, e - lptr[li])
    # the maps of two levels: x, y and constant coefficients, one row per face
    px = np.zeros((widest, n2))
    py = np.zeros((widest, n2))
    pc = np.zeros((widest, n2))
    cx = np.zeros((widest, n2))
    cy = np.zeros((widest, n2))
    cc = np.zeros((widest, n2))
    slot = np.empty(bits.shape[0], dtype=np.int64)
    done = np.zeros(nv, dtype=np.bool_)
    for li in range(nl):
        s = lptr[li]
        e = lptr[li + 1] if li + 1 < nl else nf
        for q in range(s, e):
            f = order[q]
            r = q - s
            slot[f] = r
            mx = cx[r]
            my = cy[r]
            mc = cc[r]
            p = pred[f]
            if p < 0:
                _map_from(f, -1, bits, mx, my, mc, mx, my, mc, w1, b1, w2t, b2)
            else:
                _map_from(f, p, bits, mx, my, mc, px[slot[p]], py[slot[p]], pc[slot[p]],
                          w1, b1, w2t, b2)
            for t in range(fptr[f], fptr[f + 1]):
                v = fverts[t]
                if not done[v]:
                    done[v] = True
                    x = xy[v, 0]
                    y = xy[v, 1]
                    o = out[v]
                    for i in range(n2):
                        o[i] = mx[i] * x + my[i] * y + mc[i]
        px, py, pc, cx, cy, cc = cx, cy, cc, px, py, pc


@numba.njit(cache=True, nogil=True)
def _vertex_bounds(xy: Any, z1: Any, nv: int, w1: Any, b1: Any, w2t: Any) -> Any:
    """``(l1, gv, sv)``: ``||W2_i||_1``, and at each vertex ``G(v)`` and ``max_k relu(z1[v, k])``.

    ``G(v) = max_k |W1_k0 x| + |W1_k1 y| + |b1_k|`` bounds the terms the face
    maps sum; ``sv`` is the second layer's tolerance scale.
    """
    n1 = w1.shape[0]
    n2 = w2t.shape[1]
    l1 = np.zeros(n2)
    for k in range(n1):
        for i in range(n2):
            l1[i] += abs(w2t[k, i])
    gv = np.empty(nv)
    sv = np.empty(nv)
    for v in range(nv):
        x = abs(xy[v, 0])
        y = abs(xy[v, 1])
        g = 0.0
        s = 0.0
        for k in range(n1):
            g = max(g, abs(w1[k, 0]) * x + abs(w1[k, 1]) * y + abs(b1[k]))
            s = max(s, z1[v, k])
        gv[v] = g
        sv[v] = s
    return l1, gv, sv


@numba.njit(cache=True, nogil=True)
def recheck_rows(
    xy: Any, z1: Any, nv: int, w1: Any, b1: Any, w2t: Any, b2: Any, guard: float,
    out: Any, scale: Any,
) -> int:
    """Redo by the direct product every value of ``out`` near zero; set ``scale``.

    ``scale[v] = max_k max(z1[v, k], 0)`` (the next layer's input scale). A
    value of ``out[v, i]`` with ``|out| <= guard * (||W2_i||_1 G(v) + |b2_i|)``,
    ``G(v) = max_k |W1_k0 x| + |W1_k1 y| + |b1_k|`` (which bounds the terms the
    face maps sum), is replaced by ``sum_k W2[i, k] max(z1[v, k], 0) + b2[i]``.
    Returns how many values were redone.
    """
    n1 = w1.shape[0]
    n2 = w2t.shape[1]
    l1, gv, sv = _vertex_bounds(xy, z1, nv, w1, b1, w2t)
    redone = 0
    for v in range(nv):
        g = gv[v]
        scale[v] = sv[v]
        for i in range(n2):
            if abs(out[v, i]) <= guard * (l1[i] * g + abs(b2[i])):
                acc = 0.0
                for k in range(n1):
                    a = z1[v, k]
                    if a > 0.0:
                        acc += w2t[k, i] * a
                out[v, i] = acc + b2[i]
                redone += 1
    return redone


@numba.njit(cache=True, nogil=True)
def _workspace(cap: int, kcap: int) -> Any:
    """Scratch arrays of :func:`_chord_faces` for ``cap`` chords in cells of ``kcap`` vertices.

    The last two are the margins ``mg`` and the values ``vals`` the caller fills.
    """
    return (
        np.empty(cap, dtype=np.int64), np.empty(cap), np.empty(cap, dtype=np.int64),
        np.empty(cap), np.zeros((cap, cap), dtype=np.bool_), np.empty(cap), np.empty(cap),
        np.empty(cap, dtype=np.int64), np.empty(cap), np.empty((kcap, cap)),
    )


@numba.njit(cache=True, nogil=True)
def _fit(ws: Any, m: int, k: int) -> Any:
    """``ws``, or a larger :func:`_workspace` when ``m`` chords or ``k`` vertices do not fit."""
    cap, kcap = ws[9].shape[1], ws[9].shape[0]
    if m <= cap and k <= kcap:
        return ws
    return _workspace(max(cap, 2 * m), max(kcap, 2 * k))


@numba.njit(cache=True, nogil=True)
def _chord_faces(vals: Any, k: int, m: int, mg: Any, ws: Any) -> int:
    """Faces that ``m`` chords cut a convex cell into, or ``-1`` when too near a degeneracy.

    ``vals[i, q]`` is the value of chord ``q``'s function (affine on the
    cell) at the cell's vertex ``i`` (counter-clockwise, ``k`` of them);
    every chord holds both signs. ``m`` chords with distinct end points,
    crossing pairwise at ``I`` distinct interior points, make ``1 + m + I``
    faces (Euler). Two chords cross iff the one's values at the other's end
    points differ in sign. Returns ``-1`` unless every deciding value (at
    the vertices, at the other chords' end points, at the neighbouring
    crossings along each chord) exceeds ``mg[q]`` in magnitude, each chord
    has exactly two end points, and the crossing relation is symmetric.
    """
    ea, ta, eb, tb, cross, us, sl, ids = ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6], ws[7]
    for q in range(m):
        band = mg[q]
        nch = 0
        for i in range(k):
            za = vals[i, q]
            zb = vals[(i + 1) % k, q]
            if abs(za) <= band:
                return -1
            if (za > 0.0) != (zb > 0.0):
                if nch == 0:
                    ea[q] = i
                    ta[q] = za / (za - zb)
                elif nch == 1:
                    eb[q] = i
                    tb[q] = za / (za - zb)
                nch += 1
        if nch != 2:
            return -1
    for q in range(m):
        a = ea[q]
        a2 = (a + 1) % k
        b = eb[q]
        b2 = (b + 1) % k
        for r in range(m):
            if r == q:
                cross[q, r] = False
                continue
            v1 = vals[a, r] + ta[q] * (vals[a2, r] - vals[a, r])
            v2 = vals[b, r] + tb[q] * (vals[b2, r] - vals[b, r])
            if abs(v1) <= mg[r] or abs(v2) <= mg[r]:
                return -1
            cross[q, r] = (v1 > 0.0) != (v2 > 0.0)
    crossings = 0
    for q in range(m):
        a = ea[q]
        a2 = (a + 1) % k
        b = eb[q]
        b2 = (b + 1) % k
        nx = 0
        for r in range(m):
            if cross[q, r] != cross[r, q]:
                return -1
            if cross[q, r]:
                v1 = vals[a, r] + ta[q] * (vals[a2, r] - vals[a, r])
                v2 = vals[b, r] + tb[q] * (vals[b2, r] - vals[b, r])
                us[nx] = v1 / (v1 - v2)  # where column r is zero along chord q
                sl[nx] = v2 - v1
                ids[nx] = r
                nx += 1
        crossings += nx
        if nx > 1:
            o = np.argsort(us[:nx])
            for i in range(nx - 1):
                p = o[i]
                p2 = o[i + 1]
                du = us[p2] - us[p]
                # each column's value at the neighbouring crossing along the chord
                if abs(du * sl[p2]) <= mg[ids[p2]] or abs(du * sl[p]) <= mg[ids[p]]:
                    return -1
    return 1 + m + crossings // 2


@numba.njit(cache=True, nogil=True)
def count_cells(
    z: Any, nv: int, scale: Any, w1: Any, b1: Any, rtol: float, grtol: float,
    fptr: Any, fverts: Any,
) -> Any:
    """Faces the last layer cuts each cell into, counted from its chords without splitting.

    Inside a convex cell each straddling column ``j`` is a chord (its zero
    set is a line, the column being affine on the cell), and the cell's
    faces are counted by :func:`_chord_faces` with margins
    ``grtol * (w1[j] * smax + b1[j])`` (``smax`` the largest vertex scale of
    the cell). The cells it declines are flagged for :func:`refine`.

    Returns ``(faces, fallback)``: the faces of the cells counted here (a cell
    no column straddles is one face) and a ``(F,)`` bool array of the cells
    left to :func:`refine`. Columns are snapped as by :func:`snap_and_straddle`.
    """
    n = z.shape[1]
    nf = fptr.shape[0] - 1
    jptr, cells = snap_and_straddle(
        z, nv, 0, n, scale, w1, b1, rtol, fptr, fverts, z[:0, :2], z[:0, :2], w1[:0]
    )
    # the straddling columns of each cell, in increasing order
    cptr = np.zeros(nf + 1, dtype=np.int64)
    for q in range(cells.shape[0]):
        cptr[cells[q] + 1] += 1
    for f in range(nf):
        cptr[f + 1] += cptr[f]
    ccol = np.empty(cells.shape[0], dtype=np.int64)
    fill = cptr[:-1].copy()
    for j in range(n):
        for q in range(jptr[j], jptr[j + 1]):
            f = cells[q]
            ccol[fill[f]] = j
            fill[f] += 1
    fallback = np.zeros(nf, dtype=np.bool_)
    ws = _workspace(16, 16)
    faces = 0
    for f in range(nf):
        m = cptr[f + 1] - cptr[f]
        if m == 0:
            faces += 1
            continue
        s0 = fptr[f]
        k = fptr[f + 1] - s0
        ws = _fit(ws, m, k)
        mg, vals = ws[8], ws[9]
        smax = 0.0
        for i in range(k):
            smax = max(smax, scale[fverts[s0 + i]])
        for q in range(m):
            j = ccol[cptr[f] + q]
            mg[q] = grtol * (w1[j] * smax + b1[j])
            for i in range(k):
                vals[i, q] = z[fverts[s0 + i], j]
        got = _chord_faces(vals, k, m, mg, ws)
        if got < 0:
            fallback[f] = True
        else:
            faces += got
    return faces, fallback


@numba.njit(cache=True, nogil=True)
def face_tree(order: Any, pred: Any) -> Any:
    """Depth-first pre-order and depth of a breadth-first forest.

    Parameters
    ----------
    order : (F,) int64 array
        The faces of the forest, breadth first (:func:`bfs_forest`, or the
        one tree of :func:`bfs_levels`).
    pred : (N,) int64 array
        Each face's parent, ``-1`` for a root (indexed by face, ``N >= F``).

    Returns
    -------
    pre : (F,) int64 array
        The faces of ``order`` in depth-first pre-order (a parent before its
        children, which keep their order in ``order``).
    depth : (N,) int64 array
        Each face's distance from its root (0 off the forest).
    """
    nf = order.shape[0]
    nall = pred.shape[0]
    kptr = np.zeros(nall + 1, dtype=np.int64)
    for q in range(nf):
        p = pred[order[q]]
        if p >= 0:
            kptr[p + 1] += 1
    for f in range(nall):
        kptr[f + 1] += kptr[f]
    kids = np.empty(max(nf, 1), dtype=np.int64)
    fill = kptr[:-1].copy()
    for q in range(nf):
        f = order[q]
        p = pred[f]
        if p >= 0:
            kids[fill[p]] = f
            fill[p] += 1
    pre = np.empty(nf, dtype=np.int64)
    depth = np.zeros(nall, dtype=np.int64)
    stack = np.empty(max(nf, 1), dtype=np.int64)
    n = 0
    for q in range(nf):
        root = order[q]
        if pred[root] >= 0:
            continue
        top = 0
        stack[0] = root
        while top >= 0:
            f = stack[top]
            top -= 1
            pre[n] = f
            n += 1
            for t in range(kptr[f + 1] - 1, kptr[f] - 1, -1):
                c = kids[t]
                depth[c] = depth[f] + 1
                top += 1
                stack[top] = c
    return pre, depth


@numba.njit(cache=True, nogil=True)
def root_setup(xy: Any, z1: Any, nv: int, w1: Any, b1: Any, w2t: Any, order: Any,
               pred: Any) -> Any:
    """Per-vertex bounds and the depth-first pre-order for :func:`root_pass`.

    Returns ``(l1, gv, sv, pre, depth)``: ``||W2_i||_1``; at each vertex the
    bound ``G(v)`` on the terms the face maps sum and the second layer's
    tolerance scale ``max_k relu(z1[v, k])``; the faces in depth-first
    pre-order of the breadth-first tree (``order``, ``pred``) and each face's
    depth in it.
    """
    l1, gv, sv = _vertex_bounds(xy, z1, nv, w1, b1, w2t)
    pre, depth = face_tree(order, pred)
    return l1, gv, sv, pre, depth


@numba.njit(cache=True, nogil=True)
def root_pass(
    pas: int, lo: int, hi: int, xy: Any, z1: Any, fptr: Any, fverts: Any, bits: Any,
    pre: Any, depth: Any, pred: Any, w1: Any, b1: Any, w2t: Any, b2: Any, l1: Any, gv: Any,
    sv: Any, guard: float, rtol: float, grtol: float, pos: Any, neg: Any, done: Any,
    fallback: Any,
) -> int:
    """One pass of the second (and last) layer's count over ``pre[lo:hi]``, from face maps.

    No row of the second layer is stored. A face's map is its parent's (in
    the breadth-first tree) plus one rank-1 term per line between them, as
    in :func:`root_rows`; walking the faces in depth-first pre-order holds
    only the maps along the current path, so they stay in cache, and a range
    of the pre-order starts by rebuilding its first face's path from the
    root: the maps are the same whatever the ranges, so two threads can take
    two halves.

    Pass 0 evaluates each vertex (with the first face of the range holding
    it), redoes every value within ``guard`` of zero by the direct product
    (as :func:`recheck_rows`), snaps the zero band (``rtol``, scale
    ``sv``) and keeps only the vertex's sign bits in ``pos``/``neg``; outside
    the recheck band the sign is certain, so a vertex evaluated from two
    faces gets the same bits. Pass 1 (after pass 0 over all faces): the
    columns whose bits straddle a face are its chords, their values at the
    face's vertices come from the face's map, and :func:`_chord_faces`
    counts the faces (margins ``grtol``, as :func:`count_cells`). A face is
    flagged in ``fallback`` when the chord count declines it, when one of
    those values is within ``guard`` of zero, or when the maps' rounding
    bound reaches a hundredth of a margin.

    Returns the faces counted (pass 1) or 0 (pass 0).
    """
    n1 = w1.shape[0]
    n2 = w2t.shape[1]
    b2a = np.abs(b2)
    ulp = (n1 + 4) * 2.0**-52
    nw = (n2 + 63) // 64
    dmax = 0
    for q in range(lo, hi):
        dmax = max(dmax, depth[pre[q]])
    mxs = np.zeros((dmax + 1, n2))
    mys = np.zeros((dmax + 1, n2))
    mcs = np.zeros((dmax + 1, n2))
    row = np.empty(n2)
    sgp = np.empty(n2, dtype=np.uint64)
    sgn = np.empty(n2, dtype=np.uint64)
    accp = np.empty(nw, dtype=np.uint64)
    accn = np.empty(nw, dtype=np.uint64)
    one = np.uint64(1)
    ws = _workspace(16, 16)
    cols = np.empty(16, dtype=np.int64)
    path = np.empty(dmax + 1, dtype=np.int64)
    faces = 0
    for q in range(lo, hi):
        f = pre[q]
        d = depth[f]
        if q == lo:  # the maps along the path from the root
            g = f
            for t in range(d, -1, -1):
                path[t] = g
                g = pred[g]
            _map_from(path[0], -1, bits, mxs[0], mys[0], mcs[0], mxs[0], mys[0], mcs[0],
                      w1, b1, w2t, b2)
            for t in range(1, d + 1):
                _map_from(path[t], path[t - 1], bits, mxs[t], mys[t], mcs[t], mxs[t - 1],
                          mys[t - 1], mcs[t - 1], w1, b1, w2t, b2)
        elif d == 0:
            _map_from(f, -1, bits, mxs[0], mys[0], mcs[0], mxs[0], mys[0], mcs[0],
                      w1, b1, w2t, b2)
        else:  # the parent is on the path already (pre-order)
            _map_from(f, pred[f], bits, mxs[d], mys[d], mcs[d], mxs[d - 1], mys[d - 1],
                      mcs[d - 1], w1, b1, w2t, b2)
        mx = mxs[d]
        my = mys[d]
        mc = mcs[d]
        f0 = fptr[f]
        kf = fptr[f + 1] - f0
        if pas == 0:
            for t in range(f0, f0 + kf):
                v = fverts[t]
                if done[v]:
                    continue
                done[v] = True
                x = xy[v, 0]
                y = xy[v, 1]
                g = gv[v]
                near = 0
                for i in range(n2):
                    val = mx[i] * x + my[i] * y + mc[i]
                    row[i] = val
                    near += abs(val) <= guard * (l1[i] * g + b2a[i])
                if near:  # rare: redo the values near zero by the direct product
                    for i in range(n2):
                        if abs(row[i]) <= guard * (l1[i] * g + b2a[i]):
                            acc = 0.0
                            for k in range(n1):
                                a = z1[v, k]
                                if a > 0.0:
                                    acc += w2t[k, i] * a
                            row[i] = acc + b2[i]
                sc_ = sv[v]
                # sign bits outside the zero band, branch-free (see snap_and_straddle)
                for i in range(n2):
                    band = rtol * (l1[i] * sc_ + b2a[i])
                    sh = np.uint64(i & 63)
                    sgp[i] = np.uint64(row[i] > band) << sh
                    sgn[i] = np.uint64(row[i] < -band) << sh
                for w in range(nw):
                    pw = np.uint64(0)
                    nw_ = np.uint64(0)
                    for b in range(64 * w, min(64 * w + 64, n2)):
                        pw |= sgp[b]
                        nw_ |= sgn[b]
                    pos[v, w] = pw
                    neg[v, w] = nw_
            continue
        # pass 1: the chords of face f
        accp[:] = 0
        accn[:] = 0
        smax = 0.0
        gmax = 0.0
        for t in range(f0, f0 + kf):
            v = fverts[t]
            smax = max(smax, sv[v])
            gmax = max(gmax, gv[v])
            for w in range(nw):
                accp[w] |= pos[v, w]
                accn[w] |= neg[v, w]
        m = 0
        for w in range(nw):
            both = accp[w] & accn[w]
            while both:
                low = both & (~both + one)
                if m == cols.shape[0]:
                    cols = grow1(cols, m + 1, m)
                cols[m] = 64 * w + _bit_index(low)
                m += 1
                both ^= low
        if m == 0:
            faces += 1
            continue
        ws = _fit(ws, m, kf)
        mg, vals = ws[8], ws[9]
        ok = True
        for c in range(m):
            j = cols[c]
            mg[c] = grtol * (l1[j] * smax + b2a[j])
            if 100.0 * ulp * (l1[j] * gmax + b2a[j]) >= mg[c]:
                ok = False
                break
            for i in range(kf):
                v = fverts[f0 + i]
                val = mx[j] * xy[v, 0] + my[j] * xy[v, 1] + mc[j]
                if abs(val) <= guard * (l1[j] * gv[v] + b2a[j]):
                    ok = False
                    break
                vals[i, c] = val
            if not ok:
                break
        got = _chord_faces(vals, kf, m, mg, ws) if ok else -1
        if got < 0:
            fallback[f] = True
        else:
            faces += got
    return faces
