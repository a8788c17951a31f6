"""Compiled face-map kernels for the third layer's rows on the second layer's arrangement.

:func:`regions._kernel.bfs_forest` orders a chunk's cells (faces of the
first layer's arrangement) breadth first, part by part; :func:`chunk_rows`
walks them,
keeping two levels of per-cell maps (the second layer's ``M1``, ``n1 x 3``,
and the third's reference, ``n2 x 3``), and evaluates each face of the second
layer inside a cell at its vertices. The algebra and the rounding bound are in
:func:`regions.split._chunk_next_rows`; the recheck band in
:mod:`regions.tolerance`. Every function releases the GIL.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from ._kernel import _bit_index

__all__ = ["chain_heads", "chain_u", "chunk_rows"]

_EPS = 2.0**-52


@numba.njit(cache=True, nogil=True)
def _add3(
    dx: Any, dy: Any, dc: Any, a0: float, a1: float, a2: float, col: Any,
) -> None:
    """``d_k += a_k * col``."""
    for i in range(col.shape[0]):
        c = col[i]
        dx[i] += a0 * c
        dy[i] += a1 * c
        dc[i] += a2 * c


@numba.njit(cache=True, nogil=True)
def _add_bits(
    row: Any, cx: Any, cy: Any, cc: Any, cols: Any, dx: Any, dy: Any, dc: Any,
) -> int:
    """``d += (cx[j], cy[j], cc[j]) * cols[j]`` for every set bit ``j`` of ``row``; their number."""
    one = np.uint64(1)
    c = 0
    for w in range(row.shape[0]):
        x = row[w]
        while x:
            low = x & (~x + one)
            j = 64 * w + _bit_index(low)
            x ^= low
            _add3(dx, dy, dc, cx[j], cy[j], cc[j], cols[j])
            c += 1
    return c


@numba.njit(cache=True, nogil=True)
def _axpy(d: Any, a: float, col: Any) -> None:
    """``d += a * col``."""
    for i in range(col.shape[0]):
        d[i] += a * col[i]


@numba.njit(cache=True, nogil=True)
def _grow(a: Any) -> Any:
    """``a`` in an array twice as long (int64)."""
    b = np.empty(2 * a.shape[0], dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@numba.njit(cache=True, nogil=True)
def _growf(a: Any) -> Any:
    """``a`` in an array twice as long (float64)."""
    b = np.empty(2 * a.shape[0])
    b[: a.shape[0]] = a
    return b


@numba.njit(cache=True, nogil=True)
def _popcount(x: Any) -> int:
    """Set bits of a ``uint64``."""
    c = 0
    one = np.uint64(1)
    while x:
        x &= x - one
        c += 1
    return c


@numba.njit(cache=True, nogil=True)
def chain_heads(seq: Any, step_i: Any, cell: Any, ref: Any, every: int, cap: int) -> Any:
    """Which steps start a chain of ``u`` vectors (computed by the matrix product).

    ``seq`` lists the steps grouped by first-layer neuron (sorted along its
    line); a step starts a chain when its neuron differs from the previous
    step's, after ``every`` steps of a chain, or when its cell's reference
    bits differ from the previous step's cell in more than ``cap`` bits.
    Returns a bool array over the steps.
    """
    head = np.zeros(seq.shape[0], dtype=np.bool_)
    nw = ref.shape[1]
    run = 0
    for q in range(seq.shape[0]):
        s = seq[q]
        if q == 0 or step_i[s] != step_i[seq[q - 1]] or run >= every:
            head[s] = True
            run = 0
        else:
            p = seq[q - 1]
            nd = 0
            for w in range(nw):
                nd += _popcount(ref[cell[s], w] ^ ref[cell[p], w])
            if nd > cap:
                head[s] = True
                run = 0
        run += 1
    return head


@numba.njit(cache=True, nogil=True)
def chain_u(
    seq: Any, head: Any, step_i: Any, cell: Any, ref: Any, w1t: Any, w2t: Any, n1: int,
    u: Any, ufac: Any,
) -> None:
    """Every step's ``u = W2 (r * W1[:, i])`` from the previous one in its chain.

    The heads hold the product already (rounding factor ``n1``); every other
    step adds ``+-W1[j, i] W2[:, j]`` for each bit ``j`` in which its cell's
    reference bits ``r`` differ from the previous step's (two units of
    rounding each: every partial sum is such a product for some bits, bounded
    by ``sum_j |W2[:, j]| |W1[j, i]|``). ``ufac`` gets each step's factor.
    """
    one = np.uint64(1)
    nw = ref.shape[1]
    for q in range(seq.shape[0]):
        s = seq[q]
        if head[s]:
            ufac[s] = float(n1)
            continue
        p = seq[q - 1]
        i = step_i[s]
        us = u[s]
        us[:] = u[p]
        nd = 0
        for w in range(nw):
            x = ref[cell[s], w] ^ ref[cell[p], w]
            on = ref[cell[s], w]
            while x:
                low = x & (~x + one)
                b = _bit_index(low)
                x ^= low
                j = 64 * w + b
                sg = w1t[i, j] if (on >> np.uint64(b)) & one else -w1t[i, j]
                col = w2t[j]
                for k in range(us.shape[0]):
                    us[k] += sg * col[k]
                nd += 1
        ufac[s] = ufac[p] + 2.0 * nd


@numba.njit(cache=True, nogil=True)
def chunk_rows(
    xy: Any, z1: Any, nv: int, order: Any, pred: Any, lptr: Any, bits0: Any, dref: Any,
    sbits: Any, sub_ptr: Any, sub_ids: Any, sptr: Any, sverts: Any, w0: Any, b0: Any,
    w1t: Any, b1: Any, w2t: Any, b2: Any, step_ptr: Any, step_i: Any, u: Any, ufac: Any,
    limit: float, guard: float, out: Any,
) -> Any:
    """The next layer's pre-activations at the vertices of a second layer's arrangement.

    Parameters (``F`` parent faces, ``G`` sub-faces; see
    :func:`regions.split._chunk_next_rows`): ``order, pred, lptr`` the
    parents' breadth-first levels, ``bits0`` their first-layer bits, ``dref``
    their second-layer bits, ``sbits`` the sub-faces' second-layer bits,
    ``sub_ptr, sub_ids`` the sub-faces of each parent, ``sptr, sverts`` the
    sub-faces' vertices, ``w0, b0`` the first layer, ``w1t = W1.T``, ``b1``,
    ``w2t = W2.T``, ``b2``, ``step_ptr, step_i`` the first-layer neurons in
    which each parent differs from its predecessor and ``u[s] = W2 (dref(F)
    * W1[:, i_s])`` for each, with its rounding factor ``ufac[s]`` (units of
    ``2**-52 sum_j |W2[:, j]| |W1[j, i]|``). ``limit`` caps the rounding factor of a chain
    of maps (a parent beyond it is computed from scratch), ``guard`` is the
    recheck band. Writes ``out[v]`` for ``v < nv``.

    Returns ``(redone, roots)``: values recomputed by the direct product and
    parents computed from scratch.
    """
    n0 = w0.shape[0]
    n1 = w1t.shape[1]
    n2 = w2t.shape[1]
    one = np.uint64(1)
    nl = lptr.shape[0] - 1
    widest = 1
    for li in range(nl):
        widest = max(widest, lptr[li + 1] - lptr[li])
    # maps of two levels of parents: the second layer's (n1) and the reference (n2)
    p1 = np.zeros((2, widest, 3, n1))
    pr = np.zeros((2, widest, 3, n2))
    pf1 = np.zeros((2, widest))
    pfr = np.zeros((2, widest))
    slot = np.empty(order.shape[0], dtype=np.int64)
    done = np.zeros(nv, dtype=np.bool_)
    # bounds of the terms: ||W2_k||_1 and ||W1_j||_1
    l2 = np.zeros(n2)
    for j in range(n1):
        for k in range(n2):
            l2[k] += abs(w2t[j, k])
    l1 = np.zeros(n1)
    for i in range(n0):
        for j in range(n1):
            l1[j] += abs(w1t[i, j])
    # B_k(v) = ||W2_k||_1 G1(v) + |b2_k| is bounded from above by
    # thr_k / guard * g1 + tb_k / guard with g1 = c1max * G0 + c1b and
    # G0(v) <= a0x |x| + a0y |y| + a0c (looser than the maxima per neuron, cheaper)
    a0x = 0.0
    a0y = 0.0
    a0c = 0.0
    for i in range(n0):
        a0x = max(a0x, abs(w0[i, 0]))
        a0y = max(a0y, abs(w0[i, 1]))
        a0c = max(a0c, abs(b0[i]))
    c1max = 0.0
    c1b = 0.0
    for j in range(n1):
        c1max = max(c1max, l1[j])
        c1b = max(c1b, abs(b1[j]))
    thr = guard * l2
    tb = np.empty(n2)
    for k in range(n2):
        tb[k] = guard * abs(b2[k])
    js = np.empty(64, dtype=np.int64)
    jsg = np.empty(64)
    redone = 0
    roots = 0
    nw0 = bits0.shape[1]
    nw1 = dref.shape[1]
    cur = 0
    for li in range(nl):
        s = lptr[li]
        e = lptr[li + 1]
        cur = 1 - cur
        for q in range(s, e):
            f = order[q]
            r = q - s
            slot[f] = r
            a1x = p1[cur, r, 0]
            a1y = p1[cur, r, 1]
            a1c = p1[cur, r, 2]
            arx = pr[cur, r, 0]
            ary = pr[cur, r, 1]
            arc = pr[cur, r, 2]
            p = pred[f]
            scratch = p < 0
            if not scratch:
                # rounding factor after the step from the predecessor
                n_d0 = 0
                for w in range(nw0):
                    n_d0 += _popcount(bits0[f, w] ^ bits0[p, w])
                n_d1 = 0
                for w in range(nw1):
                    n_d1 += _popcount(dref[f, w] ^ dref[p, w])
                ps = slot[p]
                f1 = pf1[1 - cur, ps] + 2.0 * n_d0
                fu = 0.0
                for t in range(step_ptr[f], step_ptr[f + 1]):
                    fu += 2.0 + ufac[t]
                fr = pfr[1 - cur, ps] + fu + 2.0 * n_d1 + pf1[1 - cur, ps]
                if fr + f1 + 2.0 * 64 + 4.0 > limit:
                    scratch = True
            if scratch:
                roots += 1
                a1x[:] = 0.0
                a1y[:] = 0.0
                a1c[:] = b1
                c0 = _add_bits(bits0[f], w0[:, 0], w0[:, 1], b0, w1t, a1x, a1y, a1c)
                arx[:] = 0.0
                ary[:] = 0.0
                arc[:] = b2
                c1 = _add_bits(dref[f], a1x, a1y, a1c, w2t, arx, ary, arc)
                f1 = 2.0 * c0 + 4.0
                fr = 2.0 * c1 + 4.0 + f1
            else:
                ps = slot[p]
                q1x = p1[1 - cur, ps, 0]
                q1y = p1[1 - cur, ps, 1]
                q1c = p1[1 - cur, ps, 2]
                a1x[:] = q1x
                a1y[:] = q1y
                a1c[:] = q1c
                arx[:] = pr[1 - cur, ps, 0]
                ary[:] = pr[1 - cur, ps, 1]
                arc[:] = pr[1 - cur, ps, 2]
                # second-layer bits that differ: with the predecessor's second-layer map
                for w in range(nw1):
                    x = dref[f, w] ^ dref[p, w]
                    on = dref[f, w]
                    while x:
                        low = x & (~x + one)
                        b = _bit_index(low)
                        x ^= low
                        j = 64 * w + b
                        sg = 1.0 if (on >> np.uint64(b)) & one else -1.0
                        _add3(arx, ary, arc, sg * q1x[j], sg * q1y[j], sg * q1c[j], w2t[j])
                # first-layer bits that differ: rank-1 in both maps
                for t in range(step_ptr[f], step_ptr[f + 1]):
                    i = step_i[t]
                    sg = 1.0 if (bits0[f, i >> 6] >> np.uint64(i & 63)) & one else -1.0
                    _add3(a1x, a1y, a1c, sg * w0[i, 0], sg * w0[i, 1], sg * b0[i], w1t[i])
                    _add3(arx, ary, arc, sg * w0[i, 0], sg * w0[i, 1], sg * b0[i], u[t])
            pf1[cur, r] = f1
            pfr[cur, r] = fr
            # the sub-faces: the reference map plus a term per bit in which they differ,
            # evaluated at each vertex not done yet
            for t in range(sub_ptr[f], sub_ptr[f + 1]):
                g = sub_ids[t]
                nd = 0
                for w in range(nw1):
                    x = sbits[g, w] ^ dref[f, w]
                    on = sbits[g, w]
                    while x:
                        low = x & (~x + one)
                        b = _bit_index(low)
                        x ^= low
                        if nd == js.shape[0]:
                            js = _grow(js)
                            jsg = _growf(jsg)
                        js[nd] = 64 * w + b
                        jsg[nd] = 1.0 if (on >> np.uint64(b)) & one else -1.0
                        nd += 1
                direct = (fr + f1 + 2.0 * nd + 8.0) * _EPS > 1e-2 * guard
                for c in range(sptr[g], sptr[g + 1]):
                    v = sverts[c]
                    if done[v]:
                        continue
                    done[v] = True
                    x = xy[v, 0]
                    y = xy[v, 1]
                    # B_k(v) <= thr_k * g1 + tb_k
                    g1 = c1max * (a0x * abs(x) + a0y * abs(y) + a0c) + c1b
                    o = out[v]
                    for k in range(n2):
                        o[k] = arx[k] * x + ary[k] * y + arc[k]
                    for d in range(nd):
                        j = js[d]
                        _axpy(o, jsg[d] * (a1x[j] * x + a1y[j] * y + a1c[j]), w2t[j])
                    near = 0
                    for k in range(n2):
                        near += abs(o[k]) <= thr[k] * g1 + tb[k]
                    if near == 0 and not direct:
                        continue
                    for k in range(n2):
                        if direct or abs(o[k]) <= thr[k] * g1 + tb[k]:
                            acc = 0.0
                            for j in range(n1):
                                a = z1[v, j]
                                if a > 0.0:
                                    acc += w2t[j, k] * a
                            o[k] = acc + b2[k]
                            redone += 1
    for v in range(nv):  # a vertex in no face (none expected): the direct product
        if not done[v]:
            for k in range(n2):
                acc = 0.0
                for j in range(n1):
                    a = z1[v, j]
                    if a > 0.0:
                        acc += w2t[j, k] * a
                out[v, k] = acc + b2[k]
                redone += 1
    return redone, roots
