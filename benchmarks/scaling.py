"""Time of the fast count against the size of the output (regions x layers).

Run: ``python benchmarks/scaling.py [--quick]``. Counts random MLPs (PyTorch
default init, seed 0) with ``regions.count_regions`` in three series and fits
``time ~ c * (regions x layers)^k`` on a log-log scale for each:

box
    one net, 2-128-128-128-128-1, over growing boxes ``[-h, h]^2``: the output
    grows, the network does not;
depth
    width 128, one to eight hidden layers, over ``[-100, 100]^2``;
width
    2-w-w-1 for w = 32 ... 512 over ``[-10, 10]^2`` (``[-2, 2]^2`` from 256):
    the work per vertex grows with the width (each vertex holds the layer's
    ``w`` pre-activations, and the layer input is multiplied by ``W``), so
    time per region grows with ``w`` here.

Writes ``benchmarks/results/scaling.md`` and ``scaling.png``.
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

W = 128
SERIES: dict[str, list[tuple[tuple[int, ...], float]]] = {
    "box": [((2, W, W, W, W, 1), h) for h in (0.1, 0.3, 1.0, 3.0, 10.0, 100.0)],
    "depth": [((2, *([W] * d), 1), 100.0) for d in range(1, 9)],
    "width": [
        ((2, 32, 32, 1), 10.0),
        ((2, 64, 64, 1), 10.0),
        ((2, 128, 128, 1), 10.0),
        ((2, 256, 256, 1), 2.0),
        ((2, 512, 512, 1), 2.0),
    ],
}


def timed(model: object, bbox: tuple[float, ...]) -> tuple[int, float]:
    n = regions.count_regions(model, bbox)  # warm-up (and the kernel loaded)
    reps = 3 if n < 100_000 else 1
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        regions.count_regions(model, bbox)
        ts.append(time.perf_counter() - t0)
    return n, statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first four nets of each series")
    args = ap.parse_args()
    out = pathlib.Path(__file__).parent / "results"
    head = (
        "| series | net | box | regions | layers | regions x layers | median s "
        "| us per region x layer |"
    )
    table = [head, "|---|---|---|---:|---:|---:|---:|---:|"]
    print(head, flush=True)
    fits: dict[str, tuple[np.ndarray, np.ndarray, float, float]] = {}
    for series, nets in SERIES.items():
        rows = []
        for widths, h in nets[:4] if args.quick else nets:
            n, t = timed(mlp(widths, 0), (-h, -h, h, h))
            layers = len(widths) - 2
            size = n * layers
            rows.append((size, t))
            line = (
                f"| {series} | {'-'.join(map(str, widths))} | [-{h:g},{h:g}]^2 | {n} | {layers} "
                f"| {size} | {t:.3f} | {1e6 * t / size:.2f} |"
            )
            print(line, flush=True)
            table.append(line)
        size = np.array([r[0] for r in rows], dtype=float)
        secs = np.array([r[1] for r in rows])
        k, logc = np.polyfit(np.log(size), np.log(secs), 1)
        fits[series] = (size, secs, k, logc)
    lines = [f"- {s}: k = {f[2]:.2f}" for s, f in fits.items()]
    print("log-log slopes (1.0 = linear):", "; ".join(lines))
    (out / "scaling.md").write_text(
        "# Time against output size\n\n"
        f"Date: {datetime.date.today()}  \nMachine: {describe()}\n\n"
        "Command: `python benchmarks/scaling.py`; `regions.count_regions` (streaming, "
        "compiled kernel, two worker threads), median of 3 runs (1 from 100k regions) after a "
        "warm-up. Series: `box` one net over growing boxes, `depth` width 128 with 1 to 8 "
        "hidden layers, `width` 2-w-w-1 (see the script's docstring).\n\n"
        + "\n".join(table)
        + "\n\nFitted `time ~ (regions x layers)^k` per series (1.0 would be exactly linear):\n\n"
        + "\n".join(lines)
        + "\n\n![scaling](scaling.png)\n"
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    for (series, (size, secs, k, _)), mark in zip(fits.items(), "osd", strict=False):
        ax.loglog(size, secs, mark + "-", label=f"{series} (k = {k:.2f})")
    allx = np.concatenate([f[0] for f in fits.values()])
    ally = np.concatenate([f[1] for f in fits.values()])
    xs = np.geomspace(allx.min(), allx.max(), 50)
    ref = np.median(ally / allx)
    ax.loglog(xs, ref * xs, "k:", label="linear")
    ax.set_xlabel("regions x hidden layers")
    ax.set_ylabel("seconds (count_regions)")
    ax.legend()
    fig.savefig(out / "scaling.png", dpi=90)
    print(f"wrote {out / 'scaling.md'} and scaling.png")


if __name__ == "__main__":
    main()
