"""Affine maps walked over the first layer's faces (regions._walkmaps) against the direct ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import regions
import regions.partition as P
from regions.network import Network

pytest.importorskip("numba")

from conftest import DEGENERATE, build_case

from regions._kernel import face_tree
from regions._walkmaps import mesh_affine_maps


def _net(rng: np.random.Generator, widths: list[int]) -> Network:
    hidden, d = [], 2
    for n in widths[1:-1]:
        hidden.append((rng.normal(size=(n, d)), rng.normal(size=n)))
        d = n
    out = (rng.normal(size=(widths[-1], d)), rng.normal(size=widths[-1]))
    return Network.from_arrays(hidden, out)


def _reach(p: Any) -> tuple[float, float]:
    b = np.abs(np.asarray(p.domain.bounds))
    return float(max(b[0], b[2])), float(max(b[1], b[3]))


def _check(p: Any, chunk: int = 4096) -> int:
    """Walked maps equal the direct ones up to rounding; the result does not depend on ``chunk``."""
    net = p.network
    got = mesh_affine_maps(net, p._mesh, p.patterns, chunk=chunk)
    assert got is not None
    jac, off, flagged = got
    again = mesh_affine_maps(net, p._mesh, p.patterns, chunk=3)
    assert again is not None
    assert np.array_equal(jac, again[0]) and np.array_equal(off, again[1])
    ref_j, ref_o = net.affine_maps(p.patterns)
    # rounding relative to each region's own terms: the maps of the same patterns in the
    # net of absolute weights sum |W_out| D_L |W_L| ... D_1 |[W_1 | b_1]|
    absnet = Network.from_arrays(
        [(np.abs(w), np.abs(b)) for w, b in net.hidden],
        (np.abs(net.output[0]), np.abs(net.output[1])),
    )
    tj, to = absnet.affine_maps(p.patterns)
    jscale = tj.max(axis=2, keepdims=True) + 1e-300
    oscale = to + tj @ np.array(_reach(p)) + 1e-300
    assert (np.abs(jac - ref_j) <= 1e-12 * jscale).all()
    assert (np.abs(off - ref_o) <= 1e-12 * oscale).all()
    return flagged


@pytest.mark.parametrize(
    ("widths", "bbox"),
    [
        ([2, 12, 9, 1], (-3, -3, 3, 3)),
        ([2, 12, 9, 4], (-3, -1, 2, 3)),
        ([2, 10, 10, 10, 2], (-2, -2, 2, 2)),
        ([2, 7, 11, 6, 5, 1], (-4, -4, 4, 4)),
        ([2, 12, 9, 1], None),
        ([2, 8, 8, 8, 2], None),
    ],
)
def test_walked_maps_equal_direct(widths: list[int], bbox: Any) -> None:
    rng = np.random.default_rng(11 + sum(widths))
    p = regions.linear_regions(_net(rng, widths), bbox, progress=False)
    assert len(p) > 20  # enough faces for a walk
    # most faces walked (a face with no active term in some coefficient, e.g. every
    # first-layer neuron off, is flagged: there the map is b_2 and the walk's residue
    # would be all its error)
    assert _check(p, chunk=7) < len(p) // 4


@pytest.mark.parametrize("name", [n for n in sorted(DEGENERATE) if len(DEGENERATE[n][0]) >= 2])
def test_degenerate_nets(name: str) -> None:
    case = build_case(name)
    p = regions.linear_regions(case.net, case.bbox, progress=False)
    assert p._mesh is not None  # the registry's domains are convex
    assert _check(p) < max(len(p) // 2, 1)  # dyadic weights of like sizes: most faces walked


def test_mixed_magnitudes_fall_back_to_the_direct_product() -> None:
    # a huge first-layer neuron: the faces walked from a root where it is active to faces
    # where it is not have summed a term far bigger than their own, and are flagged
    rng = np.random.default_rng(5)
    flagged = 0
    for sign in (1.0, -1.0):
        w1 = rng.normal(size=(9, 2))
        b1 = rng.normal(size=9)
        w1[0], b1[0] = (sign * 1e9, 1.0), 0.0
        net = Network.from_arrays(
            [(w1, b1), (rng.normal(size=(7, 9)), rng.normal(size=7))],
            (rng.normal(size=(1, 7)), np.zeros(1)),
        )
        p = regions.linear_regions(net, (-2, -2, 2, 2), progress=False)
        flagged += _check(p)
    assert flagged > 0


def test_a_bias_dominated_face_does_not_hide_a_steep_slope() -> None:
    # QA of 2026-12-05: a face whose active terms are one huge bias let a switched-off
    # neuron with a far steeper slope pass a guard that summed x, y and constant sizes,
    # and its cancelled x terms left eps * slope in gradients of size 1 (the walked x
    # entry of one region came out +17.9 for an exact -52.5 at slope 1e16)
    rng = np.random.default_rng(0)
    n1, s = 24, 1e16
    w1 = rng.standard_normal((n1, 2))
    b1 = 0.5 * rng.standard_normal(n1)
    w1[0], b1[0] = (s, 0.0), 0.3 * s  # the line x = -0.3, slope 1e16
    w1[1], b1[1] = (1e-3, 1e-3), 0.5 * s  # on everywhere: a bias of 5e15, a tiny slope
    w2 = rng.standard_normal((n1, n1))
    w2[:, 1] = 1.0  # every second-layer neuron on everywhere too
    net = Network.from_arrays(
        [(w1, b1), (w2, rng.standard_normal(n1))], (rng.standard_normal((1, n1)), np.zeros(1))
    )
    p = regions.linear_regions(net, (-1.0, -1.0, 1.0, 1.0), progress=False)
    assert (~p.patterns[:, 0]).any() and p.patterns[:, 0].any()  # both sides of the steep line
    assert _check(p) > 0  # the faces off the steep neuron, walked through it, are flagged


def test_partition_jacobians_walk_from_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    net = _net(rng, [2, 16, 12, 1])
    p = regions.linear_regions(net, (-3, -3, 3, 3), progress=False)
    calls = []
    real = P._walked_maps

    def spy(q: Any) -> Any:
        out = real(q)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(P, "_walked_maps", spy)
    monkeypatch.setattr(P, "WALK_MIN_WORK", 0)
    monkeypatch.setattr(P, "WALK_MIN_WIDTH", 0)
    jac = p.jacobians
    assert calls == [True]
    ref, _ = net.affine_maps(p.patterns)
    assert np.allclose(jac, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    p.verify()
    # below the threshold, the direct product
    monkeypatch.setattr(P, "WALK_MIN_WORK", 10**18)
    q = regions.linear_regions(net, (-3, -3, 3, 3), progress=False)
    assert np.array_equal(q.jacobians, net.affine_maps(q.patterns)[0])
    assert calls[-1] is False


def test_face_tree_is_a_preorder() -> None:
    rng = np.random.default_rng(0)
    n = 40
    pred = np.full(n, -1, dtype=np.int64)
    order = rng.permutation(n)
    for q in range(1, n):
        if rng.random() < 0.9:  # a forest: some faces start a tree of their own
            pred[order[q]] = order[rng.integers(0, q)]
    pre, depth = face_tree(order, pred)
    assert sorted(pre.tolist()) == list(range(n))
    seen = np.zeros(n, dtype=bool)
    for f in pre:
        if pred[f] >= 0:
            assert seen[pred[f]]
            assert depth[f] == depth[pred[f]] + 1
        else:
            assert depth[f] == 0
        seen[f] = True
