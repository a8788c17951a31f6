"""The ``regions`` command line, thin over the public API.

Commands
    ``regions demo [-o DIR]``: the course exercise's two MLPs: exact region
    counts in [-10, 10]^2, each verified; the ``numpy.gradient`` raster
    checked against the exact regions; figures written to ``DIR``.
    ``regions count MODEL``: the exact region count of a model file.
    ``regions plot MODEL -o FIG``: a figure of the exact regions (and the raster).
    ``regions export MODEL -o FILE``: the regions as GeoJSON or ``.npz``.
    ``regions bench``: the benchmark suite (ships with the source repository).

Exit status: 0 success, 1 error (one line ``regions: error: ...``; a traceback
with ``--debug``), 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
from typing import Any, TextIO

import numpy as np

from .errors import RegionsError

__all__ = ["main", "demo", "CommandError", "DEMO_DIR", "BENCH_SUITE_ENV"]

#: Where ``regions demo`` writes its figures unless ``-o`` says otherwise.
DEMO_DIR = "regions-demo-out"
#: Environment variable that overrides the path of the benchmark suite script.
BENCH_SUITE_ENV = "REGIONS_BENCH_SUITE"
#: Figure formats ``regions plot`` writes (by the output file's suffix).
FIGURE_FORMATS: tuple[str, ...] = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
#: Export formats ``regions export`` writes (by the output file's suffix).
EXPORT_FORMATS: tuple[str, ...] = (".geojson", ".json", ".npz")
#: The box of ``--bbox`` when neither it nor ``--plane`` is given (``regions.DEFAULT_BBOX``).
DEFAULT_BBOX: tuple[float, float, float, float] = (-10.0, -10.0, 10.0, 10.0)
#: The largest ``--dpi`` of ``regions plot``: print quality. A 3-panel figure (``--raster``)
#: at 600 dpi is about 8700 x 2800 pixels and peaks near 0.7 GB (2 GB at 1200 dpi); far larger
#: values exhaust memory inside matplotlib (``std::bad_alloc``).
MAX_DPI = 600


class CommandError(RegionsError, RuntimeError):
    """A command that cannot run as asked (bad output path, missing benchmark suite, ...)."""


def _pyplot() -> Any:
    """matplotlib.pyplot on the headless Agg backend (imported lazily)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _output_path(
    value: str, formats: tuple[str, ...], what: str, option: str = "-o"
) -> pathlib.Path:
    """Check an output file's suffix, and that it can be written, before any work.

    Its directory must exist, be a directory and take new files (tried with
    a temporary file); ``formats`` empty: any suffix.
    """
    from .export import _file_problem

    out = pathlib.Path(value)
    if formats and out.suffix.lower() not in formats:
        raise CommandError(
            f"{option} {value}: unknown {what} format {out.suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(formats)}"
        )
    problem = _file_problem(out, f"regions{formats[0] if formats else '.md'}")
    if problem is not None:
        raise CommandError(f"{option} {value}: {problem}")
    return out


def _output_dir(value: Any) -> pathlib.Path:
    """Check that ``regions demo -o DIR`` can make ``DIR`` (or it exists) and write in it."""
    from .export import _dir_problem, _exists

    directory = pathlib.Path(value)
    if _exists(directory) and not directory.is_dir():
        raise CommandError(f"-o {value}: is a file; the demo writes its figures to a directory")
    problem = _dir_problem(directory, create=True)
    if problem is not None:
        raise CommandError(f"-o {value}: {problem}")
    return directory


# --------------------------------------------------------------------------- demo
def demo(out: TextIO | None = None, outdir: Any = None, resolution: int = 500) -> int:
    """Print the exact region counts of the course's two MLPs, compare the raster, draw.

    Parameters
    ----------
    out : file-like, optional
        Where to print (default ``sys.stdout``).
    outdir : str or path-like, optional
        Directory for the figures (created if missing): per model
        ``<name>-gradient.png`` (the ``numpy.gradient`` images, ``'prism'``
        colours, as in the exercise), ``<name>-exact.png`` (the exact
        polygons with their count, and the exact gradient in the same colours)
        and ``<name>-bent.png`` (each hidden neuron's zero set by layer, and
        the output's graph in 3-D, a facet per region); ``whole-plane.png``.
        None: print only.
    resolution : int, default 500
        Pixels per side of the raster.

    Returns
    -------
    int
        Exit status (0).

    Raises
    ------
    CommandError
        If ``outdir`` is a file, or cannot be created or written to (checked
        before any work).
    """
    from .course import SEED, deep_model, shallow_model
    from .engine import linear_regions
    from .raster import compare_raster, gradient_raster

    stream = out if out is not None else sys.stdout

    def say(*args: object) -> None:
        print(*args, file=stream, flush=True)

    directory = _output_dir(outdir) if outdir is not None else None  # before any work
    bbox = (-10.0, -10.0, 10.0, 10.0)
    say(f"regions demo: the course exercise's MLPs (torch default init, seed {SEED})")
    say(f"domain: [{bbox[0]:g}, {bbox[2]:g}] x [{bbox[1]:g}, {bbox[3]:g}]")
    say("")
    say(f"{'model':<16}{'params':>8}{'regions':>9}  {'after each layer':<24}{'seconds':>9}  verify")
    parts = []
    for name, model in (("2-20-1", shallow_model()), ("2-5-5-5-5-1", deep_model())):
        params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        p = linear_regions(model, bbox)
        dt = time.perf_counter() - t0
        p.verify()
        layers = ", ".join(str(c) for c in p.layer_counts)
        say(f"{name:<16}{params:>8}{len(p):>9}  {layers:<24}{dt:>9.3f}  ok")
        parts.append((name, p))
    say("")
    say("One hidden layer of n neurons has at most 1 + n + n(n-1)/2 regions: 211 for n = 20.")
    say("")
    say("How far to zoom out? The whole plane, exactly (bbox=None):")
    say(f"{'model':<16}{'regions':>9}{'unbounded':>11}  extent: the box holding every vertex")
    wholes = []
    for name, model in (("2-20-1", shallow_model()), ("2-5-5-5-5-1", deep_model())):
        w = linear_regions(model, None)
        w.verify()
        box = w.extent()
        where = (
            f"x in [{box[0]:.4g}, {box[2]:.4g}], y in [{box[1]:.4g}, {box[3]:.4g}]"
            if box is not None
            else "no vertices"
        )
        say(f"{name:<16}{len(w):>9}{int((~w.bounded).sum()):>11}  {where}")
        wholes.append((name, w))

    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(
                f"-o {outdir}: cannot create the directory ({exc.strerror or exc})"
            ) from None
    written = []
    for name, p in parts:
        raster = gradient_raster(p.network, p.domain.bounds, resolution)
        report = compare_raster(p, raster)
        say("")
        say(
            f"{name}: numpy.gradient on a {resolution} x {resolution} grid against the exact "
            "regions"
        )
        for line in report.summary().splitlines():
            say(f"  {line}")
        if directory is not None:
            written += _demo_figures(directory, name, p, raster)
    if directory is not None:
        written.append(_demo_whole_plane(directory, wholes))
    if written:
        say("")
        say(f"figures written to {directory}: {', '.join(f.name for f in written)}")
    return 0


def _demo_whole_plane(directory: pathlib.Path, wholes: list[tuple[str, Any]]) -> pathlib.Path:
    """The whole-plane figure of both models; return the file written."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, len(wholes), figsize=(5 * len(wholes), 9.6), squeeze=False)
    try:
        for col, (name, w) in enumerate(wholes):
            w.plot(axes[0, col], linewidth=0.3)
            axes[0, col].set_title(
                f"{name}: {len(w)} regions in the plane\n"
                f"(hatched: unbounded; dashed: extent)",
                fontsize=9,
            )
            w.plot(axes[1, col], linewidth=0.3, view="disk")
            axes[1, col].set_title(
                f"{name}: the whole plane in a disk\n"
                "(radius log-scaled, labels: distance from 0; circle: infinity)",
                fontsize=9,
            )
        fig.tight_layout()
        out = directory / "whole-plane.png"
        fig.savefig(out, dpi=100)
    finally:
        plt.close(fig)
    return out


def _demo_figures(directory: pathlib.Path, name: str, p: Any, raster: Any) -> list[pathlib.Path]:
    """The demo's two figures of one model; return the files written."""
    from .plot import plot_gradient_raster

    plt = _pyplot()
    files = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    try:
        plot_gradient_raster(raster, axes)
        fig.suptitle(
            f"{name}: numpy.gradient on a {raster.dx.shape[0]} x {raster.dx.shape[1]} grid"
        )
        files.append(directory / f"{name}-gradient.png")
        fig.savefig(files[-1], dpi=100)
    finally:
        plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    try:
        p.plot(axes[0], color_by="region", linewidth=0.3)
        axes[0].set_title(f"exact: {len(p)} regions")
        lo, hi = float(raster.dx.min()), float(raster.dx.max())
        p.plot(axes[1], color_by="dx", linewidth=0.3, vmin=lo, vmax=hi)
        axes[1].set_title("exact ∂f/∂x")
        fig.suptitle(f"{name}: exact linear regions")
        files.append(directory / f"{name}-exact.png")
        fig.savefig(files[-1], dpi=100)
    finally:
        plt.close(fig)
    from .boundaries import plot_boundaries
    from .plot import plot_surface

    fig = plt.figure(figsize=(10, 4.6))
    try:
        ax = fig.add_subplot(1, 2, 1)
        plot_boundaries(p, ax)
        ax.set_title("each hidden neuron's zero set, by layer")
        ax3 = fig.add_subplot(1, 2, 2, projection="3d")
        plot_surface(p, ax3, linewidth=0.2)
        ax3.set_title(f"the output: {len(p)} flat facets")
        fig.suptitle(f"{name}: bent hyperplanes and the piecewise-linear output")
        files.append(directory / f"{name}-bent.png")
        fig.savefig(files[-1], dpi=100)
    finally:
        plt.close(fig)
    return files


def _demo_command(args: argparse.Namespace) -> int:
    return demo(outdir=None if args.no_figures else args.output)


# --------------------------------------------------------------------------- option values
# argparse `type=` functions: a bad value is a usage error (exit 2, the command's usage line)
def _arch_type(value: str) -> list[int]:
    """``--arch 2,20,1``: layer widths, positive integers separated by commas."""
    try:
        widths = [int(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give layer widths as integers separated by commas, e.g. 2,20,1"
        ) from None
    bad = [w for w in widths if w < 1]
    if bad:
        raise argparse.ArgumentTypeError(f"{value!r}: layer widths must be positive, got {bad[0]}")
    return widths


def _resolution_type(value: str) -> int:
    """``--resolution N``: raster pixels per side, 2 to ``isqrt(MAX_RASTER_PIXELS)``."""
    import math

    from .raster import MAX_RASTER_PIXELS, RASTER_BYTES_PER_PIXEL, _bytes

    most = math.isqrt(MAX_RASTER_PIXELS)
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
    if n < 2 or n > most:
        need = (
            f" (a {n} x {n} raster would need about {_bytes(RASTER_BYTES_PER_PIXEL * n * n)})"
            if n > most
            else ""
        )
        raise argparse.ArgumentTypeError(f"must be from 2 to {most}, got {n}{need}")
    return n


def _dpi_type(value: str) -> int:
    """``--dpi D``: 1 to ``MAX_DPI``."""
    try:
        dpi = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
    if not 1 <= dpi <= MAX_DPI:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_DPI}, got {dpi}")
    return dpi


# --------------------------------------------------------------------------- shared
def _load(args: argparse.Namespace) -> Any:
    """The model named on the command line (see :func:`regions.io.load_model`)."""
    from .io import load_model

    arch = args.arch
    if isinstance(arch, str):  # a Namespace built by hand: parse as the parser would
        try:
            arch = _arch_type(arch)
        except argparse.ArgumentTypeError as exc:
            raise CommandError(f"--arch {exc}") from None
    return load_model(args.model, arch=arch, trust_pickle=args.trust_pickle)


def _load_point(path: str) -> np.ndarray:
    """One input of ``--plane``: a numeric array read from a ``.npy`` file."""
    f = pathlib.Path(path)
    if f.is_dir():
        raise CommandError(f"--plane {path}: is a directory; give a .npy file")
    if not f.exists():
        raise CommandError(f"--plane {path}: file does not exist")
    if not f.is_file():
        raise CommandError(f"--plane {path}: not a regular file; give a .npy file")
    with f.open("rb") as fh:
        magic = fh.read(6)
    if magic != b"\x93NUMPY":
        raise CommandError(f"--plane {path}: not a .npy file (write one with numpy.save)")
    try:
        a = np.load(f, allow_pickle=False)
    except Exception as exc:  # a damaged file, or an object array
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise CommandError(f"--plane {path}: cannot read the array ({msg})") from None
    if a.dtype.kind not in "biuf":
        raise CommandError(f"--plane {path}: expected numbers, got an array of dtype {a.dtype}")
    return a


def _plane(args: argparse.Namespace) -> Any:
    """The :class:`regions.Plane` of ``--plane A B C``, or None."""
    paths = getattr(args, "plane", None)
    if not paths:
        return None
    from .plane import Plane

    a, b, c = (_load_point(f) for f in paths)
    for name, path, x in (("B", paths[1], b), ("C", paths[2], c)):
        if x.shape != a.shape:
            raise CommandError(
                f"--plane: {name} ({path}) has shape {x.shape} but A ({paths[0]}) has shape "
                f"{a.shape}; the three inputs must have the same shape"
            )
    try:
        return Plane.through(a, b, c)
    except RegionsError as exc:
        raise CommandError(f"--plane {' '.join(paths)}: {exc}") from None


def _domain(args: argparse.Namespace, plane: Any = None) -> Any:
    """The domain from the options of :func:`_add_domain_arguments`.

    The one place that turns domain options into what
    :func:`regions.linear_regions` takes: ``None`` for ``--whole-plane``, else
    the box of ``--bbox`` (in ``(s, t)`` coordinates with ``--plane``), by
    default ``-10 -10 10 10``, or the plane's default box around its three
    inputs (:meth:`regions.Plane.default_bbox`) when ``plane`` is given.
    """
    if getattr(args, "whole_plane", False):
        return None
    if args.bbox is not None:
        return tuple(args.bbox)
    if plane is not None:
        return plane.default_bbox()
    return DEFAULT_BBOX


def _partition(args: argparse.Namespace, method: str = "fast") -> Any:
    from .engine import linear_regions
    from .errors import InputDimensionError

    model = _load(args)
    plane = _plane(args)
    try:
        return linear_regions(
            model,
            _domain(args, plane),
            method=method,
            plane=plane,
            progress=not getattr(args, "quiet", False),
        )
    except InputDimensionError as exc:
        if plane is not None:
            raise
        raise InputDimensionError(
            f"{exc}; to count the regions on the plane through three inputs, give them as "
            ".npy files with --plane A B C"
        ) from exc


# --------------------------------------------------------------------------- count
def _streamed(args: argparse.Namespace) -> list[int] | None:
    """Layer counts by the streaming count, or None where it does not apply."""
    from .engine import streamed_layer_counts
    from .errors import InputDimensionError

    plane = _plane(args)
    domain = _domain(args, plane)
    if domain is None:  # the whole plane: the partition is needed for the extent
        return None
    model = _load(args)
    try:
        return streamed_layer_counts(
            model,
            domain,
            plane=plane,
            progress=not getattr(args, "quiet", False),
        )
    except InputDimensionError as exc:
        if plane is not None:
            raise
        raise InputDimensionError(
            f"{exc}; to count the regions on the plane through three inputs, give them as "
            ".npy files with --plane A B C"
        ) from exc


def count(args: argparse.Namespace) -> int:
    """Print the exact region count of a model file (``regions count``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status (0).
    """
    import json

    t0 = time.perf_counter()
    if args.method == "fast" and not (args.verify or args.merge):
        # only the numbers are wanted: the streaming count keeps no polygons
        streamed = _streamed(args)
        if streamed is not None:
            dt = time.perf_counter() - t0
            if args.json:
                from .domain import as_domain

                record: dict[str, Any] = {
                    "model": str(args.model),
                    "bbox": [float(v) for v in as_domain(_domain(args, _plane(args))).bounds],
                    "regions": streamed[-1] if streamed else 1,
                    "layer_counts": streamed,
                    "method": args.method,
                    "seconds": round(dt, 6),
                    "verified": False,
                }
                if args.plane:
                    record["plane"] = list(args.plane)
                print(json.dumps(record))
            else:
                print(streamed[-1] if streamed else 1)
            return 0
    p = _partition(args, args.method)
    dt = time.perf_counter() - t0
    if args.verify:
        p.verify()
    merged = None
    if args.merge:
        if not hasattr(p, "merged"):
            raise CommandError(
                "--merge needs Partition.merged(), which this version of regions does not have"
            )
        merged = len(p.merged())
    if args.json:
        record = {
            "model": str(args.model),
            "bbox": None if p.whole_plane else [float(v) for v in p.domain.bounds],
            "regions": len(p),
            "layer_counts": p.layer_counts,
            "method": args.method,
            "seconds": round(dt, 6),
            "verified": bool(args.verify),
        }
        if args.plane:
            record["plane"] = list(args.plane)
        if merged is not None:
            record["merged_regions"] = merged
        if p.whole_plane:
            record["unbounded_regions"] = int((~p.bounded).sum())
            record["extent"] = p.extent()
        print(json.dumps(record))
    else:
        print(merged if merged is not None else len(p))
    return 0


# --------------------------------------------------------------------------- plot
def _raster(p: Any, resolution: int, output: int = 0) -> Any:
    """The ``numpy.gradient`` raster of a partition's model over its domain's box.

    On a plane the torch model is sampled at the inputs of the pixel centres
    ``origin + s u + t v`` (float64 copy), so the raster stays independent of
    the exact regions.
    """
    from .raster import GradientRaster, gradient_raster, pixel_grid

    plane = getattr(p.network, "plane", None)
    if plane is None:
        return gradient_raster(p.network, p.domain.bounds, resolution, output=output)
    import torch

    from .network import cpu_float64_copy

    box = p.domain.bounds
    xs, ys = pixel_grid(box, resolution)
    gx, gy = np.meshgrid(xs, ys)
    inputs = plane.to_input(np.column_stack([gx.ravel(), gy.ravel()]))
    double = cpu_float64_copy(p.network.module).eval()  # the model is not touched
    values = np.empty(len(inputs))
    with torch.no_grad():
        for i in range(0, len(inputs), 4096):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[i : i + 4096]))
            values[i : i + 4096] = double(batch).reshape(len(batch), -1)[:, output].numpy()
    n = len(xs)
    image = values.reshape(n, n)
    dy, dx = np.gradient(image, (box[3] - box[1]) / n, (box[2] - box[0]) / n)
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    return GradientRaster(image, dx, dy, xs, ys, (xmin, ymin, xmax, ymax), output)


def plot(args: argparse.Namespace) -> int:
    """Draw the exact regions of a model file, optionally beside the raster (``regions plot``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status (0).
    """
    out = _output_path(args.output, FIGURE_FORMATS, "figure")
    p = _partition(args)
    k_out = args.output_index
    if not 0 <= k_out < p.network.n_out:
        raise CommandError(
            f"--output-index must be in [0, {p.network.n_out - 1}] (the network has "
            f"{p.network.n_out} output{'s' if p.network.n_out != 1 else ''}), got {k_out}"
        )
    raster = _raster(p, args.resolution, k_out) if args.raster else None
    plt = _pyplot()
    n = 3 if raster is not None else 1
    fig = plt.figure(figsize=(4.8 * n, 4.6), layout="constrained")
    try:
        show = args.show
        k = k_out
        ax = fig.add_subplot(1, n, 1, projection="3d" if show == "surface" else None)
        lim: dict[str, float] = {}
        if raster is not None and args.color_by in ("dx", "dy"):
            img = raster.dx if args.color_by == "dx" else raster.dy
            lim = {"vmin": float(img.min()), "vmax": float(img.max())}
        colour = "" if args.color_by == "region" else f", colour: {args.color_by}"
        if show == "boundaries":
            from .boundaries import plot_boundaries

            plot_boundaries(p, ax)
            ax.set_title(f"exact: {len(p)} regions, each neuron's zero set by layer")
        elif show == "surface":
            from .plot import plot_surface

            coll = plot_surface(
                p, ax, color_by=args.color_by, linewidth=0.2, vmin=lim.get("vmin"),
                vmax=lim.get("vmax"), output=k,
            )
            ax.set_zlabel("")  # the title names it (a z label runs into the next panel)
            ax.set_title(f"exact: output {k} over {len(p)} regions{colour}")
        else:
            coll = p.plot(ax, color_by=args.color_by, linewidth=0.3, output=k, **lim)
            if args.color_by != "region" and raster is None:
                fig.colorbar(coll, ax=ax, shrink=0.8)
            ax.set_title(f"exact: {len(p)} regions{colour}")
        if raster is not None:
            from .plot import plot_gradient_raster

            ims = plot_gradient_raster(raster, [fig.add_subplot(1, n, k) for k in (2, 3)])
            for im, name in zip(ims, ("x", "y"), strict=True):
                im.axes.set_title(
                    f"numpy.gradient ∂f/∂{name}, {args.resolution} x {args.resolution}"
                )
        try:
            fig.savefig(out, dpi=args.dpi, bbox_inches="tight")
        except OSError as exc:
            raise CommandError(
                f"-o {args.output}: cannot write the figure ({exc.strerror or exc})"
            ) from None
    finally:
        plt.close(fig)
    print(f"{len(p)} regions; wrote {out}")
    return 0


# --------------------------------------------------------------------------- export
def export(args: argparse.Namespace) -> int:
    """Write the regions of a model file as GeoJSON or ``.npz`` (``regions export``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status (0).
    """
    from .export import save_npz, write_geojson

    out = _output_path(args.output, EXPORT_FORMATS, "export")
    p = _partition(args)
    if out.suffix.lower() == ".npz":
        written = save_npz(p, out)
    else:
        written = write_geojson(p, out)
    print(f"{len(p)} regions; wrote {written}")
    return 0


# --------------------------------------------------------------------------- bench
def bench_suite_path() -> pathlib.Path:
    """Where the benchmark suite script is looked for.

    ``$REGIONS_BENCH_SUITE`` if set, else ``benchmarks/suite.py`` next to the
    package directory (present in a source checkout, absent from a wheel).

    Returns
    -------
    pathlib.Path
    """
    env = os.environ.get(BENCH_SUITE_ENV)
    if env:
        return pathlib.Path(env)
    from . import __file__ as pkg

    return pathlib.Path(pkg).resolve().parent.parent / "benchmarks" / "suite.py"


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark suite of the source repository (``regions bench``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The suite's exit status.
    """
    import importlib.util
    import subprocess

    if getattr(args, "out", None) is not None:  # before the suite's minutes of work
        _output_path(str(args.out), (), "table", option="--out")
    suite = bench_suite_path()
    if not suite.is_file():
        raise CommandError(
            f"benchmark suite not found at {str(suite)!r}: it ships with the source "
            "repository, not with the installed package; clone the repository and install it "
            "with pip install -e '.[bench]'"
        )
    if importlib.util.find_spec("regioncam") is None:
        raise CommandError(
            "the benchmark suite compares against regioncam, which is not installed: "
            "pip install regioncam (or pip install -e '.[bench]')"
        )
    cmd = [sys.executable, str(suite), *(["--quick"] if args.quick else [])]
    if getattr(args, "out", None) is not None:
        cmd += ["--out", str(pathlib.Path(args.out).resolve())]
    print(f"running {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, check=False).returncode


# --------------------------------------------------------------------------- parser
def _add_domain_arguments(parser: argparse.ArgumentParser) -> None:
    """The domain options every computing command shares; read them with :func:`_domain`.

    ``--bbox`` and ``--whole-plane`` are mutually exclusive; ``--plane``
    with ``--bbox`` gives the box in the plane's ``(s, t)`` coordinates, and
    with ``--whole-plane`` the whole plane through the three inputs.
    """
    group = parser.add_argument_group("domain")
    g = group.add_mutually_exclusive_group()
    g.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        default=None,
        metavar=("XMIN", "YMIN", "XMAX", "YMAX"),
        help="the box to partition (default: -10 -10 10 10; with --plane: a box in (s, t) "
        "around the three inputs, which sit at (0, 0), (1, 0) and (0, 1))",
    )
    g.add_argument(
        "--whole-plane",
        action="store_true",
        help="partition all of R^2 exactly, unbounded regions included (figures show a frame "
        "around the extent, the box holding every vertex)",
    )
    group.add_argument(
        "--plane",
        nargs=3,
        metavar=("A", "B", "C"),
        help="for a model with more than two inputs (e.g. 784): partition the plane through "
        "three inputs, given as .npy files of the model's input shape; A, B and C sit at "
        "plane coordinates (s, t) = (0, 0), (1, 0) and (0, 1)",
    )


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        help="model file: a state_dict (.pt/.pth), .safetensors or TorchScript archive",
    )
    parser.add_argument(
        "--arch",
        type=_arch_type,
        help="layer widths, positive integers, e.g. 2,20,1: read a state_dict so, check other "
        "files",
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow a pickled nn.Module (unpickling runs code from the file)",
    )


_MODEL_HELP = (
    "MODEL is a state_dict (.pt/.pth, read with weights_only=True; the MLP is inferred from "
    "the linear layers or given with --arch), a .safetensors file, or a TorchScript archive. "
    "A whole pickled nn.Module is refused unless --trust-pickle."
)


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    # --debug on the main parser and on every command, so it goes before or after the
    # command; SUPPRESS on the commands keeps `regions --debug count m` from being reset
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    debug.add_argument(
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bar (it only ever shows on a terminal, after two seconds)",
    )
    raw = argparse.RawDescriptionHelpFormatter
    ap = argparse.ArgumentParser(
        prog="regions",
        description="Exact linear regions of ReLU networks over a 2-D domain.",
        epilog="examples:\n  regions demo\n  regions count model.pt --json\n"
        "  regions plot model.pt -o regions.png --raster\n"
        "  regions export model.pt -o regions.geojson\n"
        "run 'regions COMMAND --help' for a command's options",
        formatter_class=raw,
    )
    ap.add_argument("--version", action="version", version=f"regions {__version__}")
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "demo",
        parents=[debug],
        help="the course exercise's two MLPs: counts, raster check, figures",
        description="Build the course's 2-20-1 and 2-5-5-5-5-1 MLPs (fixed seed), print their "
        "exact region counts in [-10, 10]^2 (each verified) and over the whole plane (with "
        "the extent holding every vertex), and how numpy.gradient on a 500 x 500 grid "
        "compares with the exact regions, and write the figures: per model the prism "
        "gradient images, the exact polygons with their count and exact gradient, and each "
        "neuron's zero set with the output surface; and both whole planes.",
        epilog=f"examples:\n  regions demo                 # figures into ./{DEMO_DIR}\n"
        "  regions demo -o figures\n  regions demo --no-figures",
        formatter_class=raw,
    )
    d.add_argument(
        "-o",
        "--output",
        default=DEMO_DIR,
        metavar="DIR",
        help=f"directory for the figures (default: ./{DEMO_DIR})",
    )
    d.add_argument("--no-figures", action="store_true", help="print only, write no files")
    d.set_defaults(func=_demo_command)

    c = sub.add_parser(
        "count",
        parents=[debug],
        help="exact region count of a model file",
        description="Count the linear regions of a model file exactly. " + _MODEL_HELP,
        epilog="examples:\n  regions count model.pt\n"
        "  regions count model.pt --bbox -20 -20 20 20 --json\n"
        "  regions count weights.pt --arch 2,20,1\n"
        "  regions count model.pt --merge    # regions with distinct affine maps\n"
        "  regions count mnist_mlp.pt --plane a.npy b.npy c.npy   # 784 inputs: a plane",
        formatter_class=raw,
    )
    _add_model_arguments(c)
    _add_domain_arguments(c)
    c.add_argument("--method", choices=["fast", "shapely"], default="fast")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.add_argument("--verify", action="store_true", help="check the partition's invariants")
    c.add_argument(
        "--merge",
        action="store_true",
        help="count regions with distinct affine maps (adjacent regions with the same map merged)",
    )
    c.set_defaults(func=count)

    pl = sub.add_parser(
        "plot",
        parents=[debug],
        help="figure of the exact regions (and the numpy.gradient raster)",
        description="Draw the exact polygons of a model file's linear regions; with --raster "
        "also the numpy.gradient images of a sampled grid beside them, as in the exercise. "
        "The format follows the suffix of -o (" + ", ".join(FIGURE_FORMATS) + "). " + _MODEL_HELP,
        epilog="examples:\n  regions plot model.pt -o regions.png\n"
        "  regions plot model.pt -o regions.png --raster --color-by dx\n"
        "  regions plot model.pt -o bent.png --show boundaries\n"
        "  regions plot model.pt -o zoom.pdf --bbox -1 -1 1 1 --raster --resolution 200",
        formatter_class=raw,
    )
    _add_model_arguments(pl)
    _add_domain_arguments(pl)
    pl.add_argument("-o", "--output", required=True, metavar="FILE", help="figure file")
    pl.add_argument(
        "--color-by",
        choices=["region", "value", "dx", "dy"],
        default="region",
        help="region: a colour per region; value: the output; dx, dy: the exact gradient "
        "(prism colours) (default: region)",
    )
    pl.add_argument(
        "--show",
        choices=["regions", "boundaries", "surface"],
        default="regions",
        help="regions: the filled polygons; boundaries: each hidden neuron's zero set, "
        "coloured by layer (--color-by is not used); surface: the output's graph in 3-D, a "
        "flat facet per region (default: regions)",
    )
    pl.add_argument(
        "--output-index",
        type=int,
        default=0,
        metavar="K",
        help="the network output that --color-by value/dx/dy and --show surface use "
        "(default: 0)",
    )
    pl.add_argument("--raster", action="store_true", help="add the numpy.gradient images")
    pl.add_argument(
        "--resolution",
        type=_resolution_type,
        default=500,
        metavar="N",
        help="raster pixels per side, 2 to 10000 (default: 500)",
    )
    pl.add_argument(
        "--dpi",
        type=_dpi_type,
        default=120,
        help=f"resolution of a PNG, 1 to {MAX_DPI} (default: 120)",
    )
    pl.set_defaults(func=plot)

    e = sub.add_parser(
        "export",
        parents=[debug],
        help="write the regions as GeoJSON or .npz",
        description="Write the exact regions of a model file: polygon, activation pattern, "
        "gradient, offset, area and the layer of the last split of each region. .geojson "
        "(or .json): an RFC 7946 FeatureCollection, one Feature per region; coordinates are "
        "the network's input-plane coordinates, not longitude/latitude. .npz: flat arrays "
        "(see regions.export.save_npz). " + _MODEL_HELP,
        epilog="examples:\n  regions export model.pt -o regions.geojson\n"
        "  regions export model.pt -o regions.npz --bbox -1 -1 1 1",
        formatter_class=raw,
    )
    _add_model_arguments(e)
    _add_domain_arguments(e)
    e.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="output file: " + ", ".join(EXPORT_FORMATS),
    )
    e.set_defaults(func=export)

    b = sub.add_parser(
        "bench",
        parents=[debug],
        help="run the benchmark suite (source checkout only)",
        description="Run benchmarks/suite.py of the source repository: the fast splitter, the "
        "shapely reference, regioncam and the raster method, timed in fresh subprocesses. It "
        "ships with the source repository, not with the installed package, and needs "
        f"regioncam. ${BENCH_SUITE_ENV} overrides the script's path.",
        epilog="examples:\n"
        "  regions bench --quick   # 2-64-64-1 and 2-100-100-100-1, printed only\n"
        "  regions bench --quick --out quick.md\n"
        "  regions bench           # writes benchmarks/results/suite.md",
        formatter_class=raw,
    )
    b.add_argument(
        "--quick",
        action="store_true",
        help="only 2-64-64-1 and 2-100-100-100-1; the table is printed, and written only "
        "with --out",
    )
    b.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="write the markdown table to FILE (default: benchmarks/results/suite.md of the "
        "source checkout for a full run; none for --quick)",
    )
    b.set_defaults(func=bench)
    return ap


def _protect_numbers(argv: list[str]) -> list[str]:
    """Let ``--bbox -1e5 ...`` through: argparse takes ``-1e5`` or ``-inf`` for an option.

    The four values after ``--bbox`` that read as numbers get a leading space
    (argparse then sees a value; ``float`` ignores the space).
    """
    out = list(argv)
    for i, a in enumerate(out):
        if a != "--bbox":
            continue
        for k in range(i + 1, min(i + 5, len(out))):
            try:
                float(out[k])
            except ValueError:
                break
            if out[k].startswith("-"):
                out[k] = " " + out[k]
    return out


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser of each command, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the parser has no commands")  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
    """
    parser = _parser()
    args, extra = parser.parse_known_args(
        _protect_numbers(sys.argv[1:] if argv is None else list(argv))
    )
    # usage errors found after parsing: reported with the command's usage line
    command = _subparsers(parser)[args.command]
    if extra:
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "whole_plane", False) and getattr(args, "method", "fast") == "shapely":
        command.error("--whole-plane needs --method fast (the shapely reference splits boxes)")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `regions demo | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # one line, no traceback
        if args.debug:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"regions: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
