"""Every region's affine map from per-face maps of the second layer (compiled).

The output of a network with ``L >= 2`` hidden layers on a region with
activation pattern ``(D_1, ..., D_L)`` is ``y = G z_2 + o``, where ``z_2`` is
the second layer's pre-activation and ``G = W_out D_L W_L ... W_3 D_2`` (a
backward product that skips the first two layers). On a face ``f`` of the first
layer's arrangement ``z_2`` is one affine map for every region inside ``f``::

    M_f = W_2 D_1(f) [W_1 | b_1] + [0 | b_2]        (n_2 x 3)

and a neighbour across one line differs from it by one rank-1 term
``+-W_2[:, j] [W_1[j] | b_1[j]]``. So a walk over the first layer's faces
(breadth-first tree over shared edges, visited depth first) gets every
``M_f`` for ``3 n_2`` operations per face, and each region's map is
``G M_f`` (``3 n_2`` operations per output) instead of a product through
``W_2`` (``n_2 n_1`` per output), the largest term of
:meth:`regions.network.Network.affine_maps` for nets of two hidden layers.

Rounding. A walked map has summed, along its path, terms that the face's own
sum does not hold (a neuron switched on, then off further along). The walk
carries, per column ``i`` and for each of the map's three coefficients (x, y
and constant) apart, the size of the terms it has touched and of those active
on the face (``|W_2[i, j]| |W_1[j, 0]|``, ``|W_2[i, j]| |W_1[j, 1]|`` and
``|W_2[i, j]| |b_1[j]|``, plus ``|b_2[i]|`` for the constant); a face where a
touched size exceeds :data:`WALK_RATIO` times the active size of the same
coefficient is flagged, and its regions get their maps from
:meth:`~regions.network.Network.affine_maps` instead. Elsewhere each walked
coefficient's rounding is within a small factor of the direct sum's. (One size
for the three coefficients was not enough: a face whose active terms are a
huge bias let a switched-off neuron's steep slope through, and its cancelled
x terms left rounding of ``eps`` times that slope in an O(1) gradient; QA of
2026-12-05.) Every function here releases the GIL; the module needs numba.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["WALK_RATIO", "mesh_affine_maps", "walk_maps", "walked_affine_maps"]

#: A face whose walked map touched terms more than this many times the size of its own
#: active terms (in some column) gets its regions' maps by the direct product.
WALK_RATIO: float = 64.0

#: Largest ``depth x n_2`` of the walk's per-level state (9 rows of floats per level).
_MAX_STATE: int = 4_000_000


@numba.njit(cache=True, nogil=True)
def _step(st: Any, d: int, f: int, p: int, bits: Any, w1: Any, b1: Any, w2t: Any, b2: Any,
          aw2t: Any) -> None:
    """Face ``f``'s state into ``st[d]`` from its parent's ``st[d - 1]`` (``p < 0``: from scratch).

    Rows of ``st[d]``: the map's x, y and constant coefficients (0-2), the
    size of the active terms of each (3-5), the size of every term of each
    summed so far (6-8).
    """
    n2 = w2t.shape[1]
    one = np.uint64(1)
    if p < 0:
        for k in range(9):
            for i in range(n2):
                st[d, k, i] = 0.0
        for i in range(n2):
            st[d, 2, i] = b2[i]
            st[d, 5, i] = abs(b2[i])
            st[d, 8, i] = abs(b2[i])
    else:
        for k in range(9):
            for i in range(n2):
                st[d, k, i] = st[d - 1, k, i]
    for w in range(bits.shape[1]):
        on = bits[f, w]
        diff = on ^ bits[p, w] if p >= 0 else on
        b = 0
        while diff:
            if diff & one:
                j = 64 * w + b
                sg = 1.0 if (on >> np.uint64(b)) & one else -1.0
                a0 = sg * w1[j, 0]
                a1 = sg * w1[j, 1]
                a2 = sg * b1[j]
                s0 = abs(w1[j, 0])
                s1 = abs(w1[j, 1])
                s2 = abs(b1[j])
                for i in range(n2):
                    c = w2t[j, i]
                    a = aw2t[j, i]
                    st[d, 0, i] += a0 * c
                    st[d, 1, i] += a1 * c
                    st[d, 2, i] += a2 * c
                    st[d, 3, i] += sg * s0 * a
                    st[d, 4, i] += sg * s1 * a
                    st[d, 5, i] += sg * s2 * a
                    st[d, 6, i] += s0 * a
                    st[d, 7, i] += s1 * a
                    st[d, 8, i] += s2 * a
            diff >>= one
            b += 1


@numba.njit(cache=True, nogil=True)
def walk_maps(
    lo: int, hi: int, pre: Any, depth: Any, pred: Any, bits: Any, w1: Any, b1: Any, w2t: Any,
    b2: Any, aw2t: Any, rptr: Any, g: Any, wo: Any, p2: Any, o: Any, ratio: float, jac: Any,
    off: Any, m2: Any, bad: Any,
) -> None:
    """Maps of the regions of the faces ``pre[lo:hi]``, walked from their roots.

    Parameters
    ----------
    lo, hi : int
        A range of the pre-order; its first face's path from the root is
        rebuilt, so ranges can be done in any order with the same bits.
    pre, depth, pred : (F,) int64 arrays
        :func:`regions._kernel.face_tree` and the forest's parents.
    bits : (F, ceil(n_1 / 64)) uint64 array
        Each face's first-layer pattern, bit ``j % 64`` of word ``j // 64``.
    w1, b1, w2t, b2 : float64 arrays
        ``W_1`` (n_1, 2), ``b_1`` (n_1,), ``W_2.T`` (n_1, n_2), ``b_2`` (n_2,).
    aw2t : (n_1, n_2) float64 array
        ``|W_2.T|``, for the term sizes of the rounding test.
    rptr : (F + 1,) int64 array
        The regions of face ``pre[q]`` are rows ``rptr[q] - rptr[lo]`` to
        ``rptr[q + 1] - rptr[lo]`` of ``g``, ``o`` and the outputs.
    g : (c or 0, n_out, n_2) float64 array
        Each region's ``G``; with no rows, ``G = W_out D_2`` from ``wo`` and
        ``p2`` (two hidden layers).
    wo : (n_out, n_2) float64 array
        ``W_out`` (used when ``g`` has no rows).
    p2 : (c, n_2) bool array
        The second layer's pattern of each region (used when ``g`` has no rows).
    o : (c, n_out) float64 array
        Each region's offset beyond ``G z_2``.
    ratio : float
        :data:`WALK_RATIO`.
    jac : (c, n_out, 2) float64 array
        Out: ``G M_f[:, :2]``.
    off : (c, n_out) float64 array
        Out: ``G M_f[:, 2] + o``.
    m2 : (c or 0, n_2, 3) float64 array
        Out, when it has rows: ``M_f`` itself for each region (``jac`` and
        ``off`` are then left alone).
    bad : (c,) bool array
        Out: the regions of faces whose walked map failed the rounding test.
    """
    n2 = w2t.shape[1]
    n_out = o.shape[1]
    dmax = 0
    for q in range(lo, hi):
        dmax = max(dmax, depth[pre[q]])
    st = np.empty((dmax + 1, 9, n2))
    path = np.empty(dmax + 1, dtype=np.int64)
    base = rptr[lo]
    for q in range(lo, hi):
        f = pre[q]
        d = depth[f]
        if q == lo and d > 0:  # the path from the root
            h = f
            for t in range(d, -1, -1):
                path[t] = h
                h = pred[h]
            _step(st, 0, path[0], -1, bits, w1, b1, w2t, b2, aw2t)
            for t in range(1, d):
                _step(st, t, path[t], path[t - 1], bits, w1, b1, w2t, b2, aw2t)
        _step(st, d, f, pred[f] if d > 0 else -1, bits, w1, b1, w2t, b2, aw2t)
        r0 = rptr[q] - base
        r1 = rptr[q + 1] - base
        if r0 == r1:
            continue
        ok = True
        for k in range(3):
            for i in range(n2):
                if st[d, 6 + k, i] > ratio * st[d, 3 + k, i]:
                    ok = False
                    break
        if not ok:
            for r in range(r0, r1):
                bad[r] = True
            continue
        if m2.shape[0]:
            for r in range(r0, r1):
                for i in range(n2):
                    m2[r, i, 0] = st[d, 0, i]
                    m2[r, i, 1] = st[d, 1, i]
                    m2[r, i, 2] = st[d, 2, i]
            continue
        for r in range(r0, r1):
            for k in range(n_out):
                sx = 0.0
                sy = 0.0
                sc = 0.0
                if g.shape[0]:
                    for i in range(n2):
                        gi = g[r, k, i]
                        sx += gi * st[d, 0, i]
                        sy += gi * st[d, 1, i]
                        sc += gi * st[d, 2, i]
                else:
                    for i in range(n2):
                        if p2[r, i]:
                            gi = wo[k, i]
                            sx += gi * st[d, 0, i]
                            sy += gi * st[d, 1, i]
                            sc += gi * st[d, 2, i]
                jac[r, k, 0] = sx
                jac[r, k, 1] = sy
                off[r, k] = sc + o[r, k]


def _pack(patterns: np.ndarray) -> np.ndarray:
    """Bools ``(F, n)`` as words ``(F, ceil(n / 64))``, bit ``j % 64`` of word ``j // 64``."""
    f, n = patterns.shape
    nw = max(1, (n + 63) // 64)
    by = np.zeros((f, 8 * nw), dtype=np.uint8)
    by[:, : (n + 7) // 8] = np.packbits(patterns, axis=1, bitorder="little")
    return by.view("<u8").astype(np.uint64)


def walked_affine_maps(
    network: Any, patterns: np.ndarray, face: np.ndarray, face_patterns: np.ndarray,
    aptr: np.ndarray, adj: np.ndarray, chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Each region's affine output map, by :func:`walk_maps` over the first layer's faces.

    Parameters
    ----------
    network : regions.network.Network
        At least two hidden layers.
    patterns : (R, N) bool array
        The regions' activation patterns, hidden layers concatenated.
    face : (R,) int64 array
        The first-layer face of each region.
    face_patterns : (F, n_1) bool array
        The first layer's pattern of each face.
    aptr, adj : int64 arrays
        Faces that share an edge, CSR (an edge list is enough for the walk's
        speed; any tree gives the same maps up to rounding).
    chunk : int
        Regions handled at once (bounds memory); the result does not depend on it.

    Returns
    -------
    (jacobians, offsets, flagged) or None
        As :meth:`~regions.network.Network.affine_maps`, and how many regions
        got the direct product after the rounding test; ``None`` when the walk
        would need too much memory (a very deep tree).
    """
    from ._kernel import bfs_forest, face_tree

    hidden = network.hidden
    (w1, b1), (w2, b2) = hidden[0], hidden[1]
    n2 = len(b2)
    n_out = network.n_out
    r = patterns.shape[0]
    nf = face_patterns.shape[0]
    bounds = np.cumsum((0, *network.widths))
    order, pred, _ = bfs_forest(nf, aptr, adj)
    pre, depth = face_tree(order, pred)
    if (int(depth.max(initial=0)) + 1) * max(n2, 1) > _MAX_STATE:
        return None
    pos = np.empty(nf, dtype=np.int64)
    pos[pre] = np.arange(nf)
    key = pos[face]
    rorder = np.argsort(key, kind="stable")
    rptr = np.zeros(nf + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=nf), out=rptr[1:])
    bits = _pack(np.asarray(face_patterns, dtype=bool))
    w1c = np.ascontiguousarray(w1, dtype=np.float64)
    b1c = np.ascontiguousarray(b1, dtype=np.float64)
    w2t = np.ascontiguousarray(np.asarray(w2, dtype=np.float64).T)
    b2c = np.ascontiguousarray(b2, dtype=np.float64)
    aw2t = np.abs(w2t)
    forward = n_out >= 3 and len(hidden) > 2  # then 3 columns per layer beat n_out rows
    jac = np.empty((r, n_out, 2))
    off = np.empty((r, n_out))
    flagged = np.zeros(r, dtype=bool)
    wo = np.ascontiguousarray(network.output[0], dtype=np.float64)
    bo = np.asarray(network.output[1], dtype=np.float64)
    q0 = 0
    while q0 < nf:
        q1 = int(np.searchsorted(rptr, rptr[q0] + chunk, side="right")) - 1
        q1 = min(nf, max(q1, q0 + 1))
        rows = rorder[rptr[q0] : rptr[q1]]
        c = len(rows)
        p = patterns[rows]
        jc = np.empty((c, n_out, 2))
        oc = np.empty((c, n_out))
        bad = np.zeros(c, dtype=bool)
        if forward:
            g = np.zeros((0, n_out, n2))
            o = np.zeros((c, n_out))
            m2 = np.zeros((c, n2, 3))  # a flagged region's rows stay 0 (redone below)
        elif len(hidden) == 2:  # G = W_out D_2, formed in the kernel
            g = np.zeros((0, n_out, n2))
            o = np.repeat(bo[None], c, axis=0)
            m2 = np.empty((0, n2, 3))
        else:
            # y = G z_2 + o from the output back to the second layer's activations
            g = np.repeat(wo[None], c, axis=0)
            o = np.repeat(bo[None], c, axis=0)
            for l_ in range(len(hidden) - 1, 1, -1):
                wl, bl = hidden[l_]
                g *= p[:, None, bounds[l_] : bounds[l_ + 1]]
                o += g @ bl
                g = (g.reshape(c * n_out, -1) @ wl).reshape(c, n_out, -1)
            g *= p[:, None, bounds[1] : bounds[2]]
            g = np.ascontiguousarray(g)
            m2 = np.empty((0, n2, 3))
        p2 = np.ascontiguousarray(p[:, bounds[1] : bounds[2]])
        walk_maps(q0, q1, pre, depth, pred, bits, w1c, b1c, w2t, b2c, aw2t, rptr, g, wo, p2, o,
                  WALK_RATIO, jc, oc, m2, bad)
        if forward:
            m = m2 * p[:, bounds[1] : bounds[2], None]
            for l_ in range(2, len(hidden)):
                wl, bl = hidden[l_]
                z = np.einsum("ij,cjk->cik", wl, m, optimize=True)
                z[:, :, 2] += bl
                m = z * p[:, bounds[l_] : bounds[l_ + 1], None]
            y = np.einsum("ij,cjk->cik", wo, m, optimize=True)
            jc = y[:, :, :2]
            oc = y[:, :, 2] + bo
        jac[rows] = jc
        off[rows] = oc
        flagged[rows] = bad
        q0 = q1
    if flagged.any():
        idx = np.flatnonzero(flagged)
        jac[idx], off[idx] = network.affine_maps(patterns[idx])
    return jac, off, int(flagged.sum())


def mesh_affine_maps(
    network: Any, mesh: Any, patterns: np.ndarray, chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """:func:`walked_affine_maps` of a fast splitter's mesh (its final faces are the regions).

    The first-layer face of each region follows the mesh's ``layer_parents``;
    two first-layer faces are neighbours when two of their regions share an
    edge (:func:`regions.split._face_adjacency`).
    """
    from .split import _face_adjacency

    face = np.arange(mesh.n_faces)
    for par in mesh.layer_parents[:0:-1]:
        face = par[face]
    face_patterns = mesh.layer_patterns[0]
    nf = face_patterns.shape[0]
    aptr, adj = _face_adjacency(mesh.face_ptr, mesh.face_verts, len(mesh.xy))
    src = np.repeat(face, np.diff(aptr))
    dst = face[adj]
    keep = src != dst
    key = np.unique(src[keep] * nf + dst[keep])
    a, b = key // nf, key % nf
    fptr = np.zeros(nf + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=nf), out=fptr[1:])
    return walked_affine_maps(network, patterns, face, face_patterns, fptr, b, chunk)
