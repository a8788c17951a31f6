"""The figures of the README: small PNGs of the course models' regions.

Writes to ``-o DIR`` (default ``docs/figures``):

* ``shallow_gradient.png``: both components of ``numpy.gradient`` of the 2-20-1 model's
  output over [-10, 10]^2, 'prism' colormap (exercise 3(c));
* ``shallow_exact.png``: its exact regions, one colour per region, the count in the title;
* ``deep_layers.png``: the 2-5-5-5-5-1 model's regions after each hidden layer;
* ``whole_plane.png``: both models over the whole plane: the frame box (unbounded regions
  hatched) and all of it squeezed into a disk (``view="disk"``);
* ``bent_surface.png``: the 2-5-5-5-5-1 model's neuron zero sets coloured by layer
  (``regions.plot_boundaries``) and the graph of its output in 3-D
  (``regions.plot_surface``);
* ``exact_vs_raster.png``: the exact gradient image (``regions.exact_gradient_image``) next
  to the ``numpy.gradient`` image of the shallow model, x component, 'prism'.

Run: ``python examples/make_readme_figures.py [--quick] [-o DIR]``.
"""

from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import regions
from regions.course import deep_model, shallow_model

BBOX = (-10, -10, 10, 10)
DPI = 80


def save(fig: object, path: pathlib.Path) -> None:
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="docs/figures", help="output folder")
    ap.add_argument("--quick", action="store_true", help="150 x 150 rasters instead of 400")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = 150 if args.quick else 400
    shallow = shallow_model()
    p = regions.linear_regions(shallow, BBOX)
    p.verify()
    raster = regions.gradient_raster(shallow, BBOX, res)

    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2), layout="constrained")
    regions.plot_gradient_raster(raster, axes)
    fig.suptitle(f"2-20-1: numpy.gradient of the output on a {res}x{res} grid, 'prism'")
    save(fig, out / "shallow_gradient.png")

    fig, ax = plt.subplots(figsize=(4.6, 4.8), layout="constrained")
    p.plot(ax, color_by="region", linewidth=0.3)
    ax.set_title(f"2-20-1: {len(p)} exact linear regions in [-10, 10]$^2$", fontsize=10)
    save(fig, out / "shallow_exact.png")

    deep = regions.linear_regions(deep_model(), BBOX)
    fig, axes = plt.subplots(1, len(deep.layer_counts), figsize=(12, 3.4), layout="constrained")
    regions.plot_layers(deep, axes=axes, linewidth=0.3)
    for ax in axes:
        ax.set_title(ax.get_title(), fontsize=10)
    fig.suptitle("2-5-5-5-5-1: the regions after each hidden layer, [-10, 10]$^2$")
    save(fig, out / "deep_layers.png")

    exact = regions.exact_gradient_image(p, res)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2), layout="constrained")
    lo, hi = float(exact.dx.min()), float(exact.dx.max())
    for ax, r, title in (
        (axes[0], exact, f"exact ∂f/∂x ({len(p)} regions)"),
        (axes[1], raster, "numpy.gradient ∂f/∂x"),
    ):
        ax.imshow(r.dx, origin="lower", extent=r.extent, cmap="prism", vmin=lo, vmax=hi,
                  interpolation="nearest")
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"2-20-1 on a {res}x{res} grid: exact gradient vs sampled")
    save(fig, out / "exact_vs_raster.png")
    rep = regions.compare_raster(p, raster)
    print(f"{res}x{res}: exact {len(p)} regions, raster {rep.n_components} components, "
          f"{rep.n_mismatch} mismatching pixels of {rep.n_checked} checked")

    fig, axes = plt.subplots(2, 2, figsize=(9, 8.8), layout="constrained")
    nets = ((0, shallow_model(), "2-20-1"), (1, deep_model(), "2-5-5-5-5-1"))
    for col, model, name in nets:
        wp = regions.linear_regions(model, None)
        wp.plot(axes[0, col], linewidth=0.3)
        axes[0, col].set_title(f"{name}: {len(wp)} regions in R$^2$, frame box", fontsize=10)
        wp.plot(axes[1, col], linewidth=0.3, view="disk")
        axes[1, col].set_title(f"{name}: all of R$^2$ in a disk", fontsize=10)
    fig.suptitle("top: hatched = unbounded, dashed = extent; bottom: radius log-scaled,\n"
                 "labels = distance from 0, circle = infinity", fontsize=10)
    save(fig, out / "whole_plane.png")

    deep = regions.linear_regions(deep_model(), BBOX)
    fig = plt.figure(figsize=(9, 4.3), layout="constrained")
    ax = fig.add_subplot(1, 2, 1)
    regions.plot_boundaries(deep, ax, linewidth=1.2)
    ax.set_title("2-5-5-5-5-1: each neuron's zero set, by layer", fontsize=10)
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    regions.plot_surface(deep, ax3, linewidth=0.2)
    ax3.view_init(elev=35, azim=-60)
    ax3.set_title(f"its output: {len(deep)} planar facets", fontsize=10)
    save(fig, out / "bent_surface.png")


if __name__ == "__main__":
    main()
