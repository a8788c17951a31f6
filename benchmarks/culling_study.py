"""How much of the last layer's work a spatial culling would save (a model, not a timing).

Run: ``python benchmarks/culling_study.py [--quick]``. Writes
``benchmarks/results/culling_study.md``.

Why. The streaming count finds a layer of ``n`` neurons on a region of the
layer before by testing all ``n`` of them there (``regions._kernel.root_pass``
on 2-w-w-1 nets: a face map of ``n`` values per face and ``n`` values per
vertex), while only a few of them cross it. So the time per region grows with
the width, and the time is not linear in regions x layers across widths
(``results/scaling.md``). This script measures, on the nets of the ``width``
series of ``scaling.py``, how many of those tests a quadtree culling of the
second layer would still make.

The model. For 2-w-w-1 with first-layer lines ``l_k(x) = W1[k] x + b1[k]`` and
second-layer neurons ``z_j(x) = sum_k W2[j, k] relu(l_k(x)) + b2[j]``, a node
of the quadtree is a box ``B`` (centre ``c``, half-sizes ``h``). The lines
crossing ``B`` are ``K_B`` (``|l_k(c)| <= |W1[k]| . h``, exact for a box); every
other line is on or off on all of ``B``, so
``z_j = A_j(x) + sum_{k in K_B} W2[j, k] relu(l_k(x))`` on ``B`` with ``A_j``
affine, and ``0 <= relu(l_k) <= U_k = l_k(c) + |W1[k]| . h``. Hence
``z_j(B)`` lies in ``[A_j(c) - r_j + sum min(0, W2[j, k] U_k),
A_j(c) + r_j + sum max(0, W2[j, k] U_k)]`` (``r_j = |grad A_j| . h``), and a
neuron whose interval excludes 0 crosses no face in ``B``. The candidates of a
node are its parent's survivors; the root's are all ``w`` neurons. A node is
split in four while more than ``leaf_lines`` lines cross it (one column per
value of ``LEAF_LINES``); a leaf's faces
(the pieces of the first layer's cells in it: ``1 + |K_B| + I_B`` for ``I_B``
crossings inside) each test the leaf's survivors. Work is counted in the unit
of the current method, one (face, neuron) value:

* ``now``: every first-layer face tests every second-layer neuron (its face
  map and its vertices' values cost about 2 such units; counted as 1);
* ``cull``: per node, each candidate costs ``1 + |K_B|`` (the interval) plus
  ``|K_parent \\ K_B|`` (the affine part updated from the parent's); per leaf,
  each face piece times the survivors.

The totals are divided by the net's regions (``regions.count_regions``). If
``cull`` per region stays flat as the width grows while ``now`` per region
grows, such a culling would make the count linear in regions x layers on
these nets. Nothing here is used by the package.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions
from regions.course import mlp
from regions.engine import streamed_layer_counts

#: A node with at most this many first-layer lines crossing it is a leaf (one column each).
LEAF_LINES: tuple[int, ...] = (4, 32)
#: The width series of ``scaling.py``: (widths, half-width of the box).
NETS: list[tuple[tuple[int, ...], float]] = [
    ((2, 32, 32, 1), 10.0),
    ((2, 64, 64, 1), 10.0),
    ((2, 128, 128, 1), 10.0),
    ((2, 256, 256, 1), 2.0),
    ((2, 512, 512, 1), 2.0),
]


def _weights(model: object) -> tuple[np.ndarray, ...]:
    net = regions.Network.from_torch(model)
    (w1, b1), (w2, b2) = net.hidden
    return w1, b1, w2, b2


def study(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray,
          half: float, leaf_lines: int = 4, leaves: list | None = None) -> dict[str, float]:
    """Work of the culling model on ``[-half, half]^2`` (see the module docstring).

    ``leaves``, if given, receives ``(centre, half_sizes, survivors)`` of every leaf
    (the tests check that every neuron whose zero set meets a leaf survives there).
    """
    a1 = np.column_stack([w1, b1])  # (n1, 3): l_k = a1[k] . (x, y, 1)
    wabs = np.abs(w1)
    n2 = len(b2)
    cull = 0.0
    leaf_faces = 0
    leaf_work = 0.0
    nodes = 0
    # a node: (centre, half-sizes, candidate neurons, lines crossing the parent)
    stack = [(np.zeros(2), np.array([half, half]), np.arange(n2), np.arange(len(b1)))]
    while stack:
        c, h, cand, kpar = stack.pop()
        nodes += 1
        lc = a1[kpar, :2] @ c + a1[kpar, 2]
        r = wabs[kpar] @ h
        cross = np.abs(lc) <= r
        kb = kpar[cross]
        # the affine part: every line off the box that is on there (a real implementation
        # updates it from the parent's, at |K_parent \ K_B| per candidate: that is counted)
        on_all = (a1[:, :2] @ c + a1[:, 2]) > (wabs @ h)
        cull += len(cand) * (1 + len(kb) + (len(kpar) - len(kb)))
        if len(cand):
            aff = w2[np.ix_(cand, np.flatnonzero(on_all))] @ a1[on_all]  # (|cand|, 3)
            aff[:, 2] += b2[cand]
            mid = aff[:, :2] @ c + aff[:, 2]
            rad = np.abs(aff[:, :2]) @ h
            u = lc[cross] + r[cross]  # max of l_k on B
            t = w2[np.ix_(cand, kb)] * u
            lo = mid - rad + np.minimum(t, 0).sum(axis=1)
            hi = mid + rad + np.maximum(t, 0).sum(axis=1)
            cand = cand[(lo <= 0) & (hi >= 0)]
        if len(kb) > leaf_lines:
            hh = h / 2
            for sx in (-1, 1):
                for sy in (-1, 1):
                    stack.append((c + hh * np.array([sx, sy]), hh, cand, kb))
            continue
        # a leaf: the pieces of the first layer's cells in it
        if leaves is not None:
            leaves.append((c, h, cand))
        inside = 0
        for i in range(len(kb)):
            for j in range(i + 1, len(kb)):
                m = a1[[kb[i], kb[j]], :2]
                det = np.linalg.det(m)
                if det == 0:
                    continue
                p = np.linalg.solve(m, -a1[[kb[i], kb[j]], 2])
                inside += bool(np.all(np.abs(p - c) <= h))
        pieces = 1 + len(kb) + inside
        leaf_faces += pieces
        leaf_work += pieces * len(cand)
    return {"nodes": nodes, "leaf_faces": leaf_faces, "cull": cull + leaf_work}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the three smallest nets, printed only")
    args = ap.parse_args()
    nets = NETS[:3] if args.quick else NETS
    cols = "".join(f" cull per region, leaves of {k} | nodes | leaf pieces |" for k in LEAF_LINES)
    head = "| net | box | first-layer faces | regions | now per region |" + cols + " seconds |"
    lines = [head, "|---|---|---:|---:|---:|" + "---:|---:|---:|" * len(LEAF_LINES) + "---:|"]
    print(head, flush=True)
    for widths, half in nets:
        model = mlp(widths, 0)
        bbox = (-half, -half, half, half)
        counts = streamed_layer_counts(model, bbox, progress=False)
        assert counts is not None
        f1, reg = counts[0], counts[-1]
        t0 = time.perf_counter()
        now = f1 * widths[2]
        row = f"| {'-'.join(map(str, widths))} | [-{half:g},{half:g}]^2 | {f1} | {reg} "
        row += f"| {now / reg:.1f} |"
        for k in LEAF_LINES:
            s = study(*_weights(model), half, leaf_lines=k)
            row += f" {s['cull'] / reg:.1f} | {s['nodes']} | {s['leaf_faces']} |"
        row += f" {time.perf_counter() - t0:.1f} |"
        print(row, flush=True)
        lines.append(row)
    if args.quick:
        return
    out = pathlib.Path(__file__).parent / "results" / "culling_study.md"
    out.write_text(
        "# Culling the last layer: a work model\n\n"
        f"Date: {datetime.date.today().isoformat()}  \nMachine: {describe()}\n\n"
        "Command: `python benchmarks/culling_study.py` (see its docstring for the model). "
        "`now`: (face, neuron) values of the current method, one per first-layer face and "
        "second-layer neuron; `cull`: the quadtree model's work in the same unit "
        "(leaves of at most 4 or 32 lines); both per region of the net. `seconds`: this "
        "script's numpy model, not a count.\n\n" + "\n".join(lines) + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
