"""Compiled (numba) kernel of the fast splitter, for bounded domains.

Same algorithm and tolerance rule as :func:`regions.split._split_neuron`, run
for every split column of a layer in one compiled call: per neuron, the faces
inside straddling cells are visited one by one, their vertex values snapped,
crossed edges get one shared vertex each (an edge map keyed by the sorted
vertex pair), and each crossed face is cut into its ``>= 0`` and ``<= 0``
loops. It removes the per-neuron overhead of the array code, which dominates
on small networks. The pure numpy path stays the reference: the tests run both
and compare them. Used only when numba is installed (``pip install numba``)
and the mesh has no ideal vertex (the whole plane uses the numpy path).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["split_layer"]


@numba.njit(cache=True)
def grow2(a: Any, need: int) -> Any:
    if need <= a.shape[0]:
        return a
    b = np.empty((max(need, 2 * a.shape[0]), a.shape[1]), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b

@numba.njit(cache=True)
def grow1(a: Any, need: int) -> Any:
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b

@numba.njit(cache=True)
def kernel(
    xy: Any, z: Any, scale: Any, nv: int,
    pool: Any, np_: int, start: Any, size: Any, cell: Any, nf: int,
    straddle_t: Any, w1: Any, b1: Any, rtol: float, max_faces: int,
) -> Any:
    ncol = z.shape[1]
    sg = np.empty(64, dtype=np.int8)
    loop_a = np.empty(128, dtype=np.int64)
    loop_b = np.empty(128, dtype=np.int64)
    for j in range(straddle_t.shape[0]):
        srow = straddle_t[j]
        any_cell = False
        for c in range(srow.shape[0]):
            if srow[c]:
                any_cell = True
                break
        if not any_cell:
            continue
        edges: dict[int, int] = dict()
        nf0 = nf
        for f in range(nf0):
            if not srow[cell[f]]:
                continue
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
                val = z[v, j]
                if abs(val) <= rtol * (w1[j] * scale[v] + b1[j]):
                    z[v, j] = 0.0
                    sg[i] = 0
                elif val > 0:
                    sg[i] = 1
                    pos = True
                else:
                    sg[i] = -1
                    neg = True
            if not (pos and neg):
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
                return (xy, z, scale, nv, pool, np_, start, size, cell, nf, 1, j, f)
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
                        if nv + 1 > xy.shape[0]:
                            xy = grow2(xy, nv + 1)
                            z = grow2(z, nv + 1)
                            scale = grow1(scale, nv + 1)
                        za = z[a, j]
                        t = za / (za - z[b, j])
                        xy[nv, 0] = xy[a, 0] + t * (xy[b, 0] - xy[a, 0])
                        xy[nv, 1] = xy[a, 1] + t * (xy[b, 1] - xy[a, 1])
                        for col in range(ncol):
                            z[nv, col] = z[a, col] + t * (z[b, col] - z[a, col])
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
                return (xy, z, scale, nv, pool, np_, start, size, cell, nf, 2, j, f)
            pool = grow1(pool, np_ + na + nb)
            pool[np_ : np_ + na] = loop_a[:na]
            start[f] = np_
            size[f] = na
            np_ += na
            pool[np_ : np_ + nb] = loop_b[:nb]
            start = grow1(start, nf + 1)
            size = grow1(size, nf + 1)
            cell = grow1(cell, nf + 1)
            start[nf] = np_
            size[nf] = nb
            cell[nf] = cell[f]
            np_ += nb
            nf += 1
        if max_faces > 0 and nf > max_faces:
            return (xy, z, scale, nv, pool, np_, start, size, cell, nf, 3, j, -1)
    return (xy, z, scale, nv, pool, np_, start, size, cell, nf, 0, -1, -1)



def split_layer(
    ar: Any, straddle_t: np.ndarray, w1: np.ndarray, b1: np.ndarray, rtol: float,
    max_faces: int | None,
) -> tuple[int, int, int]:
    """Split an arena by every split column of a layer, in compiled code.

    Parameters
    ----------
    ar : regions.split._Arena
        Updated in place (its arrays may be replaced by larger ones).
    straddle_t : (n_split, C) bool array
        Which input cells each split function crosses.
    w1, b1 : (n_split,) float64 arrays
        Tolerance scale of each split function.
    rtol : float
    max_faces : int or None

    Returns
    -------
    status : int
        0 ok; 1 a face not cut in two; 2 a face with fewer than 3 vertices;
        3 more faces than ``max_faces``.
    j, f : int
        The split function (and face) where a non-zero status arose.
    """
    out = kernel(
        ar.xy, ar.z, ar.scale, ar.nv,
        ar.pool, ar.np_, ar.start, ar.size, ar.cell, ar.nf,
        np.ascontiguousarray(straddle_t), np.asarray(w1, dtype=np.float64),
        np.asarray(b1, dtype=np.float64), float(rtol),
        -1 if max_faces is None else int(max_faces),
    )
    (ar.xy, ar.z, ar.scale, ar.nv, ar.pool, ar.np_, ar.start, ar.size, ar.cell, ar.nf) = out[:10]
    if len(ar.ideal) < len(ar.xy):
        ideal = np.zeros(len(ar.xy), dtype=bool)
        ideal[: len(ar.ideal)] = ar.ideal
        ar.ideal = ideal
    return int(out[10]), int(out[11]), int(out[12])
