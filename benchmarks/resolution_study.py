"""Raster counts of the sampling method against the exact counts, by resolution.

For the course's two MLPs over [-10, 10]^2: ``regions.raster_count`` of
``regions.gradient_raster`` (numpy.gradient on an n x n grid, the exercise's method) at
n = 100, 250, 500, 1000, 2000 (and 4000 unless ``--quick``), against the exact number of
function regions (``count_regions(..., merge=True)``: adjacent regions with the same affine map
merged, which is what a gradient image can see at best) and of activation regions.

Run: ``python benchmarks/resolution_study.py [--quick]``. Prints a table and writes
``benchmarks/results/resolution_study.md`` and ``resolution_study.png``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _machine import describe

import regions
from regions.course import deep_model, shallow_model

BBOX = (-10.0, -10.0, 10.0, 10.0)
MODELS = {"2-20-1": shallow_model, "2-5-5-5-5-1": deep_model}


def conclusion(data: dict, resolutions: list[int], exact_s: float) -> str:
    below = all(c <= fn for fn, _, counts in data.values() for c in counts)
    rising = all(
        all(b >= a for a, b in itertools.pairwise(counts))
        for _, _, counts in data.values()
    )
    worst = min(counts[-1] / fn for fn, _, counts in data.values())
    text = (
        f"The raster count {'rises' if rising else 'moves'} towards the exact function-region "
        f"count as the grid is refined; at {resolutions[-1]} x {resolutions[-1]} it reaches at "
        f"least {100 * worst:.1f}% of it. "
    )
    if below:
        text += (
            "It stays below the exact count at every resolution tried, so it approaches it "
            "from below, slowly"
            + (
                ", and has not reached it at the finest grid"
                if any(counts[-1] < fn for fn, _, counts in data.values())
                else ""
            )
            + ": a region is only counted once it holds a pixel whose whole "
            "difference stencil lies inside it, so thin slivers and tiny cells near the "
            "crossings of many lines need ever finer grids. Missing regions from the "
            "second-to-last to the last resolution: "
            + ", ".join(
                f"{name} {fn - counts[-2]} -> {fn - counts[-1]}"
                for name, (fn, _, counts) in data.items()
            )
            + ". "
        )
    else:
        text += "At some resolution it exceeds the exact count (spurious components). "
    return text + (
        f"Both exact counts (function and activation regions) took at most {exact_s:.2f} s "
        "per model."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stop at 2000 x 2000")
    ap.add_argument("-o", "--out", default=str(pathlib.Path(__file__).parent / "results"),
                    help="output folder (default benchmarks/results)")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    resolutions = [100, 250, 500, 1000, 2000] + ([] if args.quick else [4000])

    head = ("| model | exact function regions | exact activation regions | resolution "
            "| raster count | raster / exact | seconds |")
    lines = [head, "|---|---|---|---|---|---|---|"]
    print(head)
    print(lines[1])
    data = {}
    notes = []
    exact_times = []
    for name, build in MODELS.items():
        model = build()
        regions.count_regions(model, BBOX)  # warm-up (imports, first-call costs)
        t0 = time.perf_counter()
        exact_fn = regions.count_regions(model, BBOX, merge=True)
        exact_act = regions.count_regions(model, BBOX)
        t_exact = time.perf_counter() - t0
        exact_times.append(t_exact)
        counts = []
        for n in resolutions:
            t0 = time.perf_counter()
            c = regions.raster_count(regions.gradient_raster(model, BBOX, n))
            dt = time.perf_counter() - t0
            counts.append(c)
            row = (f"| {name} | {exact_fn} | {exact_act} | {n} | {c} | "
                   f"{c / exact_fn:.3f} | {dt:.2f} |")
            print(row, flush=True)
            lines.append(row)
        data[name] = (exact_fn, exact_act, counts)
        best = counts[-1]
        mono = all(b >= a for a, b in itertools.pairwise(counts))
        over = [n for n, c in zip(resolutions, counts, strict=True) if c > exact_fn]
        notes.append(
            f"- **{name}**: exact {exact_fn} function regions ({exact_act} activation regions; "
            f"exact count {t_exact:.3f} s). The raster count goes "
            f"{' -> '.join(map(str, counts))} "
            f"({'increasing' if mono else 'not monotone'}); at {resolutions[-1]} x "
            f"{resolutions[-1]} it finds {best} = {100 * best / exact_fn:.1f}% of the function "
            f"regions ({exact_fn - best} missing). "
            + ("It never exceeds the exact count." if not over else
               f"It exceeds the exact count at {over} (spurious components).")
        )

    fig, axes = plt.subplots(1, len(MODELS), figsize=(10, 4), layout="constrained")
    for ax, (name, (exact_fn, exact_act, counts)) in zip(axes, data.items(), strict=True):
        ax.plot(resolutions, counts, "o-", label="raster count (numpy.gradient)")
        ax.axhline(exact_fn, color="k", ls="--", label=f"exact function regions ({exact_fn})")
        if exact_act != exact_fn:
            ax.axhline(exact_act, color="gray", ls=":",
                       label=f"exact activation regions ({exact_act})")
        ax.set_xscale("log")
        ax.set_xticks(resolutions, [str(r) for r in resolutions])
        ax.minorticks_off()
        ax.set_xlabel("resolution (pixels per side)")
        ax.set_ylabel("regions")
        ax.set_ylim(0, max(exact_act, max(counts)) * 1.1)
        ax.set_title(f"{name} over [-10, 10]$^2$")
        ax.legend(loc="lower right", fontsize=8)
    png = out / "resolution_study.png"
    fig.savefig(png, dpi=90)
    plt.close(fig)

    md = out / "resolution_study.md"
    md.write_text(
        "# Raster count against the exact count, by resolution\n\n"
        f"Date: {datetime.date.today().isoformat()}  \n"
        f"Machine: {describe()}\n\n"
        "Command: `python benchmarks/resolution_study.py"
        f"{' --quick' if args.quick else ''}`. Domain [-10, 10]^2; course models, seed 0. "
        "Raster count: `regions.raster_count(regions.gradient_raster(model, bbox, n))` "
        "(connected areas of equal numpy.gradient, boundary pixels dropped); seconds are for "
        "sampling plus counting at that resolution. Exact: `count_regions(..., merge=True)` "
        "(function regions) and `count_regions(...)` (activation regions).\n\n"
        + "\n".join(lines)
        + "\n\n## Does the raster count converge?\n\n"
        + "\n".join(notes)
        + "\n\n"
        + conclusion(data, resolutions, max(exact_times))
        + "\n\n![raster count vs resolution](resolution_study.png)\n"
    )
    print("\n".join(notes))
    print(f"wrote {md} and {png}")


if __name__ == "__main__":
    main()
