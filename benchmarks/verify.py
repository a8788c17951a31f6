"""How long a partition takes to check itself, against building it.

Run: ``python benchmarks/verify.py``. For each net, times (median of 3 after a
warm-up, one process) ``linear_regions`` (build the partition),
``Partition.verify()`` as shipped, and ``verify()`` with every pair of regions
and every region's containment measured by GEOS overlay instead of the
separating-axis bounds (``regions.partition._convex_pairs`` and
``_outside_bound`` switched off): the ratio is the speed-up of those bounds,
measured side by side. Both include the vertex check (``_check_vertices``, a
forward pass at every vertex; since 2026-12-05); its share is measured as
``verify()`` with it switched off, in the same process. The affine maps are
recomputed in each ``verify`` (the cached ones are dropped). Nets run from
small to big, and ``peak MB`` is the process's peak resident memory after the
net's row (so the biggest row's ``verify`` is within it). The last net
(307,784 regions) is timed once, without a warm-up. Writes
``benchmarks/results/verify.md``.
"""

from __future__ import annotations

import datetime
import pathlib
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions
import regions.partition as P
from regions.course import mlp

NETS = [
    ((2, 64, 64, 1), 10.0),
    ((2, 100, 100, 100, 1), 10.0),
    ((2, 256, 256, 256, 1), 1.0),
    ((2, 128, 128, 128, 128, 128, 128, 1), 100.0),
]


def _geos_only(polys: Any, i: Any, j: Any, *a: Any, **k: Any) -> Any:
    return np.zeros(len(i), dtype=bool), np.zeros(len(i))


def _median(fn: Any, reps: int = 3) -> float:
    if reps > 1:
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main() -> None:
    rows = []
    for widths, half in NETS:
        net = mlp(widths, seed=0)
        box = (-half, -half, half, half)
        reps = 1 if len(widths) > 5 else 3
        build = _median(lambda: regions.linear_regions(net, box), reps)  # noqa: B023
        p = regions.linear_regions(net, box)

        def check(part: Any = p) -> None:
            part._affine = None  # recompute the affine maps each time
            part.verify()

        fast = _median(check, reps)
        vert = P._check_vertices
        P._check_vertices = lambda *a, **k: None  # the same check without the vertex check
        try:
            novert = _median(check, reps)
        finally:
            P._check_vertices = vert
        sat, out = P._convex_pairs, P._outside_bound
        P._convex_pairs = _geos_only
        P._outside_bound = lambda polys, dom: np.full(len(polys), np.inf)
        try:
            geos = _median(check, reps)
        finally:
            P._convex_pairs, P._outside_bound = sat, out
        name = "-".join(map(str, widths))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append((name, f"[-{half:g},{half:g}]^2", len(p), build, fast, novert, geos, peak))
        print(rows[-1], flush=True)
    lines = [
        "# verify: the invariant checker's time",
        "",
        f"Date: {datetime.date.today()}  ",
        f"Machine: {describe()}",
        "",
        "Command: `python benchmarks/verify.py` (median of 3 after a warm-up; see the "
        "script's docstring).",
        "",
        "| net | box | regions | linear_regions s | verify s | verify without the vertex "
        "check s | verify, all by GEOS overlay s | ratio | peak MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, box, r, build, fast, novert, geos, peak in rows:
        lines.append(
            f"| {name} | {box} | {r:,} | {build:.2f} | {fast:.2f} | {novert:.2f} | {geos:.2f} "
            f"| {fast / geos:.2f} | {peak:.0f} |"
        )
    out = pathlib.Path(__file__).parent / "results" / "verify.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-len(rows) - 2 :]))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
