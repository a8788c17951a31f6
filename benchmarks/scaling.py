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
    ``w`` pre-activations, every one tested for a sign change), so time per
    region grows with ``w`` here. regioncam (if installed) is timed on the
    same nets in the same run, for its own slope. The second (last) layer
    is counted from the first layer's face maps without forming its rows;
width3
    2-w-w-w-1 (``[-1, 1]^2`` at 512): the third layer's rows come from the
    product ``relu(z) @ W.T`` (``w^2`` flops per vertex) up to w = 128, and
    from face maps from w = 256 (``w^2`` flops per cell of the first layer,
    ``w`` per face and vertex), so the time per region still grows with the
    width.

regioncam (if installed) is timed in the same run on every net of the
``width`` series and on the nets of the ``depth`` and ``width3`` series with
at most :data:`PEER_MAX` regions (its memory grows about 30 kB per region);
where it ran on at least three nets of a series, both slopes are also fitted
over those nets only, side by side.

Each series is also fitted against ``sum_l regions_l x n_l`` (regions after
layer ``l`` times its width: the number of pre-activation signs the
partition's activation patterns hold), which is what every method that
tests each neuron on each region has to pay.

Writes ``benchmarks/results/scaling.md`` and ``scaling.png``.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions
from regions.course import mlp
from regions.engine import streamed_layer_counts

W = 128
#: regioncam is timed on the depth and width3 nets with at most this many regions.
PEER_MAX = 250_000
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
    "width3": [
        ((2, 32, 32, 32, 1), 10.0),
        ((2, 64, 64, 64, 1), 10.0),
        ((2, 128, 128, 128, 1), 10.0),
        ((2, 256, 256, 256, 1), 2.0),
        ((2, 512, 512, 512, 1), 1.0),
    ],
}


READING = """\
How to read the slopes. A layer of ``n`` neurons is found on a region of the layer before
by testing each of its ``n`` neurons there: the region's activation pattern is ``n`` signs
more, and a neuron whose line misses the region still has to be shown to miss it. So a
region costs at least ``O(n)`` per layer in this method (and in regioncam's, whose slopes
are measured alongside), and more where the layer's values at a vertex come from a product
with the layer before (``n_(l-1) x n_l`` flops: the fourth layer on, and the third of
nets narrower than 192). With a fixed architecture (`box`) the time is linear or better in
the output; over depth the one-layer net costs less per region than the others (its only
layer is counted from chords, never split), which alone puts the slope above 1 (the fit
without it is given too); over width it is above 1 by the growing cost per region, and
near or under 1 against the sum of regions x neurons (the plot's right panel)."""


#: Each count is repeated at least 3 times and until this many seconds are spent (at most
#: 51 times), so that the millisecond nets get a stable median.
MIN_SECONDS = 1.0


def repeat_median(run: Callable[[], object]) -> float:
    """Median seconds of ``run()`` over at least 3 calls and :data:`MIN_SECONDS`."""
    ts: list[float] = []
    while len(ts) < 3 or (sum(ts) < MIN_SECONDS and len(ts) < 51):
        t0 = time.perf_counter()
        run()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def timed(model: object, bbox: tuple[float, ...]) -> tuple[list[int], float]:
    counts = streamed_layer_counts(model, bbox)  # warm-up (and the kernel loaded)
    assert counts is not None
    return counts, repeat_median(lambda: regions.count_regions(model, bbox))


def timed_regioncam(model: object, half: float) -> tuple[int, float] | None:
    """regioncam's count and median seconds on ``[-half, half]^2`` (None: not installed)."""
    try:
        import regioncam
    except ImportError:
        return None

    def run() -> int:
        cam = regioncam.Regioncam(half)
        cam.add(regioncam.nn.convert(model))
        return int(cam.num_faces)

    n = run()
    if n < 100_000:
        return n, repeat_median(run)
    t0 = time.perf_counter()
    run()
    return n, time.perf_counter() - t0


def slope(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first four nets of each series")
    args = ap.parse_args()
    out = pathlib.Path(__file__).parent / "results"
    head = (
        "| series | net | box | regions | layers | regions x layers | median s "
        "| us per region x layer | us per region x neuron | regioncam s | ratio |"
    )
    table = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print(head, flush=True)
    # per series: sizes, seconds, slope, sums of regions x neurons, slope against those
    fits: dict[str, tuple[np.ndarray, np.ndarray, float, np.ndarray, float]] = {}
    peers: dict[str, tuple[np.ndarray, np.ndarray, float, np.ndarray, float]] = {}
    lines = []
    for series, nets in SERIES.items():
        rows = []
        for widths, h in nets[:4] if args.quick else nets:
            model = mlp(widths, 0)
            counts, t = timed(model, (-h, -h, h, h))
            n = counts[-1]
            layers = len(widths) - 2
            size = n * layers
            neurons = sum(c * w for c, w in zip(counts, widths[1:-1], strict=True))
            peer_ok = series == "width" or (series in ("depth", "width3") and n <= PEER_MAX)
            rc = timed_regioncam(model, h) if peer_ok else None
            rows.append((size, t, neurons, rc))
            rc_cols = "| | |" if rc is None else f"| {rc[1]:.3f} | {t / rc[1]:.2f} |"
            if rc is not None and rc[0] != n:
                rc_cols = f"| {rc[1]:.3f} ({rc[0]} regions) | {t / rc[1]:.2f} |"
            line = (
                f"| {series} | {'-'.join(map(str, widths))} | [-{h:g},{h:g}]^2 | {n} | {layers} "
                f"| {size} | {t:.3f} | {1e6 * t / size:.2f} | {1e6 * t / neurons:.4f} {rc_cols}"
            )
            print(line, flush=True)
            table.append(line)
        size = np.array([r[0] for r in rows], dtype=float)
        secs = np.array([r[1] for r in rows])
        neu = np.array([r[2] for r in rows], dtype=float)
        k, kn = slope(size, secs), slope(neu, secs)
        fits[series] = (size, secs, k, neu, kn)
        text = (
            f"- {series}: k = {k:.2f} against regions x layers, "
            f"{kn:.2f} against sum of regions x neurons"
        )
        deep = [(r, net) for r, net in zip(rows, nets, strict=False) if len(net[0]) > 3]
        if 3 <= len(deep) < len(rows):
            # a one-hidden-layer net is counted from chords, never split: fitted without it too
            text += (
                f" ({slope([r[0] for r, _ in deep], [r[1] for r, _ in deep]):.2f} over the "
                f"{len(deep)} nets of two hidden layers or more)"
            )
        both = [r for r in rows if r[3] is not None]
        if len(both) == len(rows):
            rsecs = np.array([r[3][1] for r in rows])
            peers[series] = (size, rsecs, slope(size, rsecs), neu, slope(neu, rsecs))
            text += (
                f"; regioncam k = {peers[series][2]:.2f} and {peers[series][4]:.2f}"
            )
        elif len(both) >= 3:
            bsize = [r[0] for r in both]
            bneu = np.array([r[2] for r in both], dtype=float)
            rsecs = np.array([r[3][1] for r in both])
            peers[series] = (
                np.array(bsize, dtype=float), rsecs, slope(bsize, rsecs), bneu,
                slope(bneu, rsecs),
            )
            text += (
                f"; on the {len(both)} nets regioncam ran on: ours k = "
                f"{slope(bsize, [r[1] for r in both]):.2f} and "
                f"{slope(bneu, [r[1] for r in both]):.2f}, regioncam k = "
                f"{peers[series][2]:.2f} and {peers[series][4]:.2f}"
            )
        lines.append(text)
    print("log-log slopes (1.0 = linear):", *lines, sep="\n")
    (out / "scaling.md").write_text(
        "# Time against output size\n\n"
        f"Date: {datetime.date.today()}  \nMachine: {describe()}\n\n"
        "Command: `python benchmarks/scaling.py`; `regions.count_regions` (streaming, "
        "compiled kernel, two worker threads), median of at least 3 runs and 1 s after a "
        "warm-up; regioncam (the same, one run from 100k regions) on the width series and "
        "on the depth and width3 "
        f"nets of at most {PEER_MAX:,} regions, in the same run (ratio = ours / "
        "regioncam). Series: `box` one net over growing boxes, `depth` width 128 with 1 to "
        "8 hidden layers, `width` 2-w-w-1, `width3` 2-w-w-w-1 (see the script's "
        "docstring). `us per region x neuron` divides by the sum over hidden layers of the "
        "regions after the layer times its width.\n\n"
        + "\n".join(table)
        + "\n\nFitted `time ~ size^k` per series (1.0 would be exactly linear; for "
        "regioncam, against both sizes):\n\n"
        + "\n".join(lines)
        + "\n\n" + READING
        + "\n\n![scaling](scaling.png)\n"
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained", sharey=True)
    for ax, (x_of, k_of, xlabel) in zip(
        axes,
        [(0, 2, "regions x hidden layers"), (3, 4, "sum over hidden layers of regions x width")],
        strict=True,
    ):
        for (series, f), mark in zip(fits.items(), "osd^", strict=False):
            ax.loglog(f[x_of], f[1], mark + "-", label=f"{series} (k = {f[k_of]:.2f})")
        for (series, pf), mark in zip(peers.items(), "x+*", strict=False):
            label = f"regioncam, {series} (k = {pf[k_of]:.2f})"
            ax.loglog(pf[x_of], pf[1], mark + "--", color="gray", label=label)
        allx = np.concatenate([f[x_of] for f in fits.values()])
        ally = np.concatenate([f[1] for f in fits.values()])
        xs = np.geomspace(allx.min(), allx.max(), 50)
        ax.loglog(xs, np.median(ally / allx) * xs, "k:", label="linear")
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("seconds (count_regions)")
    fig.savefig(out / "scaling.png", dpi=90)
    print(f"wrote {out / 'scaling.md'} and scaling.png")


if __name__ == "__main__":
    main()
