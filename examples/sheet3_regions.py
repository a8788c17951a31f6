"""Sheet 3(b)-(d): output images, numpy.gradient 'prism' images and the exact linear regions.

For the course's shallow (2-20-1) and deep (2-5-5-5-5-1) MLPs (PyTorch default init, seed 0):

* 3(b) the output sampled on a 500 x 500 grid (``regions.gradient_raster(...).image``) over
  [-10, 10]^2, [-50, 50]^2 and [-200, 200]^2;
* 3(c) both components of ``numpy.gradient`` of that image with the 'prism' colormap
  (``regions.plot_gradient_raster``): areas of constant colour are the linear regions;
* the exact regions (``Partition.plot``) with their count, and the raster checked pixel by
  pixel against them (``Partition.compare_raster(500).summary()``);
* "how far do you have to zoom out?": the exact counts in growing boxes, and the exact
  answer: the partition of the whole plane (``bbox=None``), its extent (the box holding
  every vertex) and a figure over it with the unbounded regions hatched;
* 3(d) the deep model's refinement figure (``regions.plot_layers``).

Run: ``python examples/sheet3_regions.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import regions
from regions.course import deep_model, shallow_model

IMAGE_HALF_WIDTHS = (10, 50, 200)
COUNT_HALF_WIDTHS = (10, 20, 50, 100, 200, 500, 1000, 10_000, 100_000)
FAR = 1e6  # "the whole plane" for the farthest-vertex search


def box(h: float) -> tuple[float, float, float, float]:
    return (-h, -h, h, h)


def farthest_vertex(model: object) -> float:
    """Largest max(|x|, |y|) over the vertices of the whole-plane arrangement (exact)."""
    e = regions.linear_regions(model, None).extent()
    return float(np.abs(e).max()) if e is not None else 0.0


def study(name: str, model: object, res: int, out: pathlib.Path) -> None:
    print(f"=== {name} ===")
    # 3(b): output images over growing ranges
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
    for ax, h in zip(axes, IMAGE_HALF_WIDTHS, strict=True):
        r = regions.gradient_raster(model, box(h), res)
        im = ax.imshow(r.image, origin="lower", extent=r.extent, cmap="viridis")
        ax.set_title(f"output over [-{h}, {h}]$^2$ ({res}x{res})", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.85)
    fig.suptitle(f"{name}: network output")
    path = out / f"sheet3_{name}_output.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")

    # 3(c): numpy.gradient images with 'prism', at the smallest and the largest range
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.6), layout="constrained")
    for row, h in enumerate((IMAGE_HALF_WIDTHS[0], IMAGE_HALF_WIDTHS[-1])):
        r = regions.gradient_raster(model, box(h), res)
        regions.plot_gradient_raster(r, axes[row])
        for ax in axes[row]:
            ax.set_title(f"{ax.get_title()} over [-{h}, {h}]$^2$", fontsize=10)
    fig.suptitle(f"{name}: numpy.gradient of the output, 'prism'")
    path = out / f"sheet3_{name}_gradient.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")

    # exact counts in growing boxes
    far = farthest_vertex(model)
    reach = math.ceil(far) + 1
    print(f"{'box half-width':>15} {'activation regions':>19} {'function regions':>17}")
    counts = {}
    for h in sorted({*COUNT_HALF_WIDTHS, reach}):
        p = regions.linear_regions(model, box(h))
        p.verify()
        counts[h] = (len(p), len(p.merged()))
        note = "  <- the reach: the farthest vertex, rounded up, + 1" if h == reach else ""
        print(f"{h:>15g} {counts[h][0]:>19} {counts[h][1]:>17}{note}")
    wp = regions.linear_regions(model, None)
    wp.verify()
    whole = len(wp)
    e = wp.extent()
    print(f"whole plane: {whole} regions, {int((~wp.bounded).sum())} unbounded; extent "
          f"x in [{e[0]:.4g}, {e[2]:.4g}], y in [{e[1]:.4g}, {e[3]:.4g}]; the box "
          f"[-{reach}, {reach}]^2 holds all {counts[reach][0]} regions "
          f"(count in [-1e6, 1e6]^2: {regions.count_regions(model, box(FAR))})")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
    wp.plot(ax, linewidth=0.3)
    ax.set_title(f"{name}: {whole} regions in the whole plane\n(hatched: unbounded; "
                 "dashed: extent)", fontsize=10)
    wp.plot(ax2, linewidth=0.3, view="disk")
    ax2.set_title("all of it in a disk (radius log-scaled; labels: distance from 0)",
                  fontsize=10)
    path = out / f"sheet3_{name}_whole_plane.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    if counts[reach][0] != whole:
        raise SystemExit(f"{name}: count in the reach box {counts[reach][0]} != {whole}")
    grows = [counts[h][0] for h in COUNT_HALF_WIDTHS]
    if any(b < a for a, b in itertools.pairwise(grows)):
        raise SystemExit(f"{name}: counts do not grow with the box: {grows}")

    # the exact regions, and the raster checked against them
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5), layout="constrained")
    for ax, h in zip(axes, (10, IMAGE_HALF_WIDTHS[-1], reach), strict=True):
        p = regions.linear_regions(model, box(h))
        p.plot(ax, color_by="region", linewidth=0.3)
        ax.set_title(f"[-{h}, {h}]$^2$: {len(p)} regions", fontsize=10)
        ax.locator_params(nbins=5)
    fig.suptitle(f"{name}: exact linear regions")
    path = out / f"sheet3_{name}_exact.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    p = regions.linear_regions(model, box(10))
    print(f"exact vs numpy.gradient raster over [-10, 10]^2 at {res} x {res}:")
    print("  " + p.compare_raster(res).summary().replace("\n", "\n  "))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="150 x 150 rasters instead of 500 x 500")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = 150 if args.quick else 500

    study("shallow", shallow_model(), res, out)
    study("deep", deep_model(), res, out)

    # 3(d): how the deep model's layers refine the partition
    fig, axes = plt.subplots(1, 4, figsize=(15, 4.2), layout="constrained")
    regions.plot_layers(deep_model(), box(10), axes, linewidth=0.3)
    fig.suptitle("deep 2-5-5-5-5-1: regions after each hidden layer, [-10, 10]$^2$")
    path = out / "sheet3_deep_layers.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    print("layer counts (deep):", regions.linear_regions(deep_model(), box(10)).layer_counts)


if __name__ == "__main__":
    main()
