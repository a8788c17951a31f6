"""Time of the fast count against the size of the output (regions x layers).

Run: ``python benchmarks/scaling.py [--quick]``. Counts random MLPs (PyTorch default init,
seed 0) of growing width and depth with ``regions.count_regions``, prints a table, fits
``time ~ c * (regions x layers)^k`` on a log-log scale and writes
``benchmarks/results/scaling.md`` and ``scaling.png``.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions
from regions.course import mlp

NETS = [
    ((2, 16, 16, 1), 10.0),
    ((2, 32, 32, 1), 10.0),
    ((2, 48, 48, 1), 10.0),
    ((2, 64, 64, 1), 10.0),
    ((2, 96, 96, 1), 10.0),
    ((2, 32, 32, 32, 1), 10.0),
    ((2, 64, 64, 64, 1), 10.0),
    ((2, 100, 100, 100, 1), 10.0),
    ((2, 128, 128, 1), 10.0),
    ((2, 128, 128, 128, 1), 5.0),
    ((2, 256, 256, 1), 2.0),
    ((2, 256, 256, 256, 1), 1.0),
    ((2, 512, 512, 1), 1.0),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the smaller nets only")
    args = ap.parse_args()
    nets = NETS[:8] if args.quick else NETS
    rows = []
    head = "| net | box | regions | layers | regions x layers | median s | s per 1e5 |"
    print(head, flush=True)
    for widths, h in nets:
        model = mlp(widths, 0)
        bbox = (-h, -h, h, h)
        n = regions.count_regions(model, bbox)  # warm-up
        reps = 3 if n < 50_000 else 1
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            regions.count_regions(model, bbox)
            ts.append(time.perf_counter() - t0)
        t = statistics.median(ts)
        size = n * (len(widths) - 2)
        rows.append((widths, h, n, len(widths) - 2, size, t))
        line = (
            f"| {'-'.join(map(str, widths))} | [-{h:g},{h:g}]^2 | {n} | {len(widths) - 2} | "
            f"{size} | {t:.3f} | {1e5 * t / size:.3f} |"
        )
        print(line, flush=True)
    size = np.array([r[4] for r in rows], dtype=float)
    secs = np.array([r[5] for r in rows])
    big = size >= 2e4
    k, logc = np.polyfit(np.log(size[big]), np.log(secs[big]), 1)
    fit = f"log-log slope over the nets with regions x layers >= 2e4: k = {k:.2f}"
    print(fit)
    out = pathlib.Path(__file__).parent / "results"
    table = [head, "|---|---|---:|---:|---:|---:|---:|"]
    for widths, h, n, nl, sz, t in rows:
        table.append(
            f"| {'-'.join(map(str, widths))} | [-{h:g},{h:g}]^2 | {n} | {nl} | {sz} | "
            f"{t:.3f} | {1e5 * t / sz:.3f} |"
        )
    (out / "scaling.md").write_text(
        "# Time against output size\n\n"
        f"Date: {datetime.date.today()}  \nMachine: {describe()}\n\n"
        "Command: `python benchmarks/scaling.py`; `regions.count_regions` (streaming), median "
        "of 3 runs (1 for 50k regions and more) after a warm-up.\n\n"
        + "\n".join(table)
        + f"\n\n{fit} (1.0 would be exactly linear).\n\n![scaling](scaling.png)\n"
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
    ax.loglog(size, secs, "o")
    xs = np.geomspace(size.min(), size.max(), 50)
    ax.loglog(xs, np.exp(logc) * xs**k, "--", label=f"fit: time ~ size^{k:.2f}")
    ax.loglog(xs, secs[big][-1] * xs / size[big][-1], ":", label="linear")
    ax.set_xlabel("regions x hidden layers")
    ax.set_ylabel("seconds (count_regions)")
    ax.legend()
    fig.savefig(out / "scaling.png", dpi=90)
    print(f"wrote {out / 'scaling.md'} and scaling.png")


if __name__ == "__main__":
    main()
