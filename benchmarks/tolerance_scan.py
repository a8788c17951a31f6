"""Region counts against the zero tolerance ``ZERO_RTOL``: where is the count stable?

Run: ``python benchmarks/tolerance_scan.py``. Prints a table and writes
``benchmarks/results/tolerance_scan.md``.
"""

from __future__ import annotations

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

from regions.course import mlp
from regions.domain import as_domain
from regions.network import Network
from regions.split import split_mesh

RTOLS = [1e-8, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15]
CASES = [
    ((2, 20, 1), 10.0, 0),
    ((2, 5, 5, 5, 5, 1), 10.0, 0),
    ((2, 50, 1), 1e6, 0),
    ((2, 64, 64, 1), 10.0, 1),
    ((2, 32, 32, 32, 32, 1), 100.0, 2),
    ((2, 100, 100, 100, 1), 10.0, 0),
]


def main() -> None:
    head = "| net | box half-width | seed | " + " | ".join(f"{r:.0e}" for r in RTOLS) + " |"
    lines = [head, "|" + "---|" * (3 + len(RTOLS))]
    print(head)
    for widths, half, seed in CASES:
        net = Network.from_torch(mlp(widths, seed))
        ring = as_domain((-half, -half, half, half)).ring
        counts = []
        for r in RTOLS:
            t0 = time.perf_counter()
            counts.append(split_mesh(net.hidden, ring, zero_rtol=r).n_faces)
            _ = time.perf_counter() - t0
        row = f"| {'-'.join(map(str, widths))} | {half:g} | {seed} | " + " | ".join(
            map(str, counts)
        ) + " |"
        print(row, flush=True)
        lines.append(row)
    out = pathlib.Path(__file__).parent / "results" / "tolerance_scan.md"
    out.write_text(
        "# Region count against ZERO_RTOL\n\n"
        f"Machine: {describe()}\n\n" + "\n".join(lines) + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
