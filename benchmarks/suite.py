"""Benchmark suite: our splitters against regioncam and a raster baseline.

Run: ``python benchmarks/suite.py [--quick] [--out FILE] [--max-mb MB]``. Prints
a markdown table and writes it to ``--out`` FILE, by default
``benchmarks/results/suite.md`` of this checkout (whatever the working
directory). A ``--quick`` run only prints, unless ``--out`` is given, so it
never overwrites the repository's results.

Each (net, method) is measured in a fresh subprocess: the child builds the
net (``regions.course.mlp``, PyTorch default init, fixed seed), runs the method
once untimed (warm-up; not for single-repeat cases) and ``repeats`` times
timed with ``time.perf_counter``,
and the parent reads the child's peak resident memory from ``os.wait4`` (the
child's own ``ru_maxrss``; it includes the interpreter, numpy, torch and the
model, see the "import floor" line of the output). A child runs under an
address-space limit of ``--max-mb`` and a case is skipped up front when its
expected peak (``EXPECTED_MB``, measured on the 24 GiB development machine)
exceeds that budget.

Methods
-------
fast      ``regions.count_regions`` (array mesh splitter, float64).
fast-numba ``regions.count_regions(kernel="numba")``: the compiled kernel even on
          small nets (the untimed warm-up loads it), as when counting many
          small nets in a loop; only on the two small nets, where ``"auto"``
          keeps the array code.
partition ``regions.linear_regions`` and its ``jacobians``: the whole partition kept
          (vertices, faces, activation patterns and each region's affine map),
          what regioncam builds, where ``fast`` only counts (streaming); not on
          the million-region net.
shapely   ``regions.count_regions(method="shapely")``, the reference; only for
          nets under ~10k regions (it is slow).
regioncam ``regioncam.Regioncam(h)`` (the box ``[-h, h]^2``) plus
          ``cam.add(regioncam.nn.convert(model))``; count ``cam.num_faces``
          (Rust core, float32).
relucent  ``relucent.Complex(model).bfs(cube_radius=h, cube_mode="intersect")``,
          count ``len(complex)``: a breadth-first walk over the cells that meet
          the box, each facet certified by linear programs (gurobipy's
          size-limited pip license suffices at these sizes). Only on the two
          small nets: it handles about 30 regions per second here.
raster N  the model evaluated (float64) on an ``N x N`` pixel-centre grid,
          ``numpy.gradient`` of the output, pixels whose gradient differs from
          a 4-neighbour's are boundary, ``scipy.ndimage.label`` counts the
          4-connected components of the rest. An approximation: regions
          thinner than a few pixels vanish, so it undercounts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: (widths, box half-width, seed, repeats, in --quick, methods or None for all)
#: the methods on the two small nets (relucent and fast-numba run only there)
SMALL = ["fast", "fast-numba", "partition", "shapely", "regioncam", "relucent"]
CASES: list[tuple[tuple[int, ...], float, int, int, bool, list[str] | None]] = [
    # small nets, where the LP-based peer relucent finishes in about a minute
    ((2, 16, 16, 1), 10.0, 0, 5, False, SMALL),
    ((2, 32, 32, 1), 10.0, 0, 5, False, SMALL),
    ((2, 64, 64, 1), 10.0, 0, 5, True, None),
    ((2, 100, 100, 100, 1), 10.0, 0, 3, True, None),
    ((2, 256, 256, 256, 1), 1.0, 0, 1, False, None),
    ((2, 512, 512, 1), 1.0, 0, 1, False, None),
    # the million-region target (raster2000 of six 256-wide layers: minutes, left out)
    ((2, 256, 256, 256, 256, 256, 256, 1), 100.0, 0, 1, False, ["fast", "regioncam", "raster500"]),
]
METHODS = [
    "fast", "fast-numba", "partition", "shapely", "regioncam", "relucent", "raster500",
    "raster2000",
]
#: Methods run only where a case lists them (the others run on every case).
ON_REQUEST = ("relucent", "fast-numba")
#: The shapely reference only runs on nets with fewer regions than this.
SHAPELY_MAX_REGIONS = 10_000
#: Expected peak RSS in MB per (net, method), measured on the 24 GiB machine;
#: a case whose entry exceeds ``--max-mb`` is skipped. Unlisted: assume 1000.
EXPECTED_MB: dict[tuple[str, str], float] = {
    ("2-64-64-1", "fast"): 400,
    ("2-64-64-1", "shapely"): 450,
    ("2-64-64-1", "regioncam"): 400,
    ("2-100-100-100-1", "fast"): 450,
    ("2-100-100-100-1", "regioncam"): 700,
    ("2-256-256-256-1", "fast"): 900,
    ("2-256-256-256-1", "regioncam"): 2200,
    ("2-512-512-1", "fast"): 2100,
    ("2-512-512-1", "regioncam"): 5400,
    ("2-512-512-1", "partition"): 4000,
    ("2-256-256-256-256-256-256-1", "fast"): 1600,
    # extrapolated: regioncam took 7.4 GB for 296k regions (2-256x3-1) and 17.9 GB for
    # 546k (2-256x4-1) on [-100,100]^2, about 33 kB a region; this net has 1.24M regions
    ("2-256-256-256-256-256-256-1", "regioncam"): 41000,
}
#: Rows per chunk when evaluating the raster grid (bounds the activations).
RASTER_CHUNK = 8192


def _name(widths: tuple[int, ...]) -> str:
    return "-".join(map(str, widths))


def out_problem(out: pathlib.Path) -> str | None:
    """Why the table cannot be written to ``out`` (a phrase), or None if it can.

    Checked before the suite's minutes of work: ``out`` must not be a
    directory, and its directory must exist, be a directory and take new
    files (tried with a temporary file: permission bits do not tell, e.g. for
    root or under ``/proc``).
    """
    if "\x00" in str(out):
        return "the path contains a NUL byte"
    try:
        if out.is_dir():
            return "is a directory; give a file name such as suite.md"
        parent = out.parent
        if not parent.is_dir():
            for above in (parent, *parent.parents):
                if above.exists():
                    if not above.is_dir():
                        return f"{str(above)!r} is a file, not a directory"
                    break
            return f"directory {str(parent)!r} does not exist"
        fd, name = tempfile.mkstemp(prefix=".suite-write-check-", dir=parent)
    except OSError as exc:
        return f"cannot create files in directory {str(out.parent)!r} ({exc.strerror or exc})"
    os.close(fd)
    os.unlink(name)
    return None


# --------------------------------------------------------------------------- child


def raster_count(model, half: float, n: int) -> int:
    """Approximate region count from gradients of the model on an n x n grid."""
    import numpy as np
    import scipy.ndimage
    import torch

    h = 2.0 * half / n
    c = -half + h * (np.arange(n) + 0.5)
    xx, yy = np.meshgrid(c, c, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    m64 = model.double()
    out = np.empty(len(pts))
    with torch.no_grad():
        for s in range(0, len(pts), RASTER_CHUNK):
            chunk = torch.from_numpy(pts[s : s + RASTER_CHUNK])
            out[s : s + RASTER_CHUNK] = m64(chunk)[:, 0].numpy()
    f = out.reshape(n, n)
    gx, gy = np.gradient(f, h)
    tol = 1e-6 * max(float(np.abs(gx).max()), float(np.abs(gy).max()), 1e-300)
    same = np.ones((n, n), dtype=bool)
    for g in (gx, gy):
        dx = np.abs(np.diff(g, axis=0)) > tol
        dy = np.abs(np.diff(g, axis=1)) > tol
        same[:-1, :] &= ~dx
        same[1:, :] &= ~dx
        same[:, :-1] &= ~dy
        same[:, 1:] &= ~dy
    _, count = scipy.ndimage.label(same)
    return int(count)


def child(spec: dict) -> dict:
    """Run one (net, method) and return its count and timings."""
    from regions.course import mlp

    widths, half, method = tuple(spec["widths"]), spec["half"], spec["method"]
    model = mlp(widths, spec["seed"])
    bbox = (-half, -half, half, half)
    if method == "import":
        import numpy  # noqa: F401
        import regioncam
        import scipy.ndimage  # noqa: F401
        import shapely  # noqa: F401

        return {"count": 0, "times": [0.0]}
    if method in ("fast", "shapely"):
        import regions

        def run() -> int:
            return regions.count_regions(model, bbox, method=method)

    elif method == "partition":
        import regions

        def run() -> int:
            p = regions.linear_regions(model, bbox)
            p.jacobians  # noqa: B018  (the affine maps, made on first access)
            return len(p)

    elif method == "fast-numba":
        import regions

        def run() -> int:
            return regions.count_regions(model, bbox, kernel="numba")

    elif method == "regioncam":
        import regioncam

        def run() -> int:
            cam = regioncam.Regioncam(half)
            cam.add(regioncam.nn.convert(model))
            return int(cam.num_faces)

    elif method == "relucent":
        try:
            import relucent
        except ImportError:
            return {"error": "not installed (pip install relucent)"}

        def run() -> int:
            # relucent's BFS over cells meeting the centred cube [-h, h]^2, LPs by gurobipy
            cx = relucent.Complex(model)
            cx.bfs(cube_radius=half, cube_mode="intersect", verbose=0)
            return len(cx)

    elif method.startswith("raster"):
        n = int(method[len("raster") :])

        def run() -> int:
            return raster_count(model, half, n)

    else:
        raise ValueError(method)
    count = run() if spec["repeats"] > 1 else None  # warm-up, untimed
    times = []
    for _ in range(spec["repeats"]):
        t0 = time.perf_counter()
        c = run()
        times.append(time.perf_counter() - t0)
        assert count is None or c == count, (c, count)
        count = c
    return {"count": count, "times": times}


# --------------------------------------------------------------------------- parent


def measure(spec: dict, max_mb: float, timeout: float) -> dict:
    """Run ``child(spec)`` in a fresh interpreter; add its peak RSS in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.json"
        limit = int(max_mb * 2**20)

        def cap() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", json.dumps(spec), str(out)],
            preexec_fn=cap,
        )
        t0 = time.monotonic()
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return {"error": f"timeout {timeout:.0f}s"}
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen quiet
        if status != 0 or not out.exists():
            return {"error": f"exit {os.waitstatus_to_exitcode(status)}"}
        res = json.loads(out.read_text())
        if "error" in res:
            return res
    res["peak_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    return res


def median(xs: list[float]) -> float:
    s = sorted(xs)
    k = len(s) // 2
    return s[k] if len(s) % 2 else 0.5 * (s[k - 1] + s[k])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="only 2-64-64-1 and 2-100-100-100-1; printed only, written only with --out",
    )
    ap.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        metavar="FILE",
        help="write the markdown table to FILE (default: results/suite.md next to this script "
        "for a full run; none for --quick)",
    )
    ap.add_argument("--max-mb", type=float, default=16000, help="memory budget per child")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per child")
    args = ap.parse_args()
    out: pathlib.Path | None = args.out
    if out is None and not args.quick:
        out = HERE / "results" / "suite.md"
    problem = out_problem(out) if out is not None else None
    if problem is not None:  # before the work, not after it
        ap.error(f"--out {out}: {problem}")

    from _machine import describe

    floor = measure(
        {"widths": [2, 1], "half": 1.0, "seed": 0, "method": "import", "repeats": 1},
        args.max_mb,
        args.timeout,
    )
    head = (
        "| net | box | method | regions | median s | peak MB | ratio vs regioncam | counts agree |"
    )
    lines = [head, "|---|---|---|---:|---:|---:|---:|---|"]
    print(
        f"import floor (python + numpy + torch + shapely + regioncam): "
        f"{floor.get('peak_mb', float('nan')):.0f} MB"
    )
    print(head, flush=True)
    for widths, half, seed, repeats, in_quick, only in CASES:
        if args.quick and not in_quick:
            continue
        methods = [m for m in METHODS if (m in only if only else m not in ON_REQUEST)]
        name = _name(widths)
        box = f"[-{half:g},{half:g}]^2"
        results: dict[str, dict] = {}
        # regioncam first: the others are compared against it
        for method in ["regioncam"] + [m for m in methods if m != "regioncam"]:
            if method == "shapely":
                ref = results.get("regioncam", {}).get("count")
                if ref is None or ref >= SHAPELY_MAX_REGIONS:
                    results[method] = {"error": f"skipped (>= {SHAPELY_MAX_REGIONS} regions)"}
                    continue
            expect = EXPECTED_MB.get((name, method), 1000)
            if expect > args.max_mb:
                results[method] = {"error": f"skipped (expected {expect:.0f} MB)"}
                continue
            reps = 1 if method in ("shapely", "relucent", "raster2000") else repeats
            spec = {
                "widths": list(widths),
                "half": half,
                "seed": seed,
                "method": method,
                "repeats": reps,
            }
            results[method] = measure(spec, args.max_mb, args.timeout)
        rc = results["regioncam"]
        for method in methods:
            r = results[method]
            if "error" in r:
                row = f"| {name} | {box} | {method} | {r['error']} | | | | |"
            else:
                med = median(r["times"])
                ratio = f"{med / median(rc['times']):.2f}" if "times" in rc else ""
                agree = ("yes" if r["count"] == rc["count"] else "no") if "count" in rc else ""
                row = (
                    f"| {name} | {box} | {method} | {r['count']} | {med:.3f} "
                    f"| {r['peak_mb']:.0f} | {ratio} | {agree} |"
                )
            print(row, flush=True)
            lines.append(row)
    if out is None:
        print("(--quick: printed only; give --out FILE to write the table)")
        return
    import regioncam

    text = (
        "# Benchmark suite: fast splitter, shapely reference, regioncam, raster\n\n"
        f"Date: {datetime.date.today().isoformat()}\n\n"
        f"Machine: {describe()}, regioncam {regioncam.__version__}\n\n"
        f"Command: `python benchmarks/suite.py{' --quick' if args.quick else ''}`. "
        "Median over the timed repeats (5 for the nets up to 2-64-64-1, 3 for "
        "2-100-100-100-1, 1 for the big nets, shapely, relucent and raster2000) after one "
        "untimed warm-up (none when "
        "there is a single repeat), each (net, method) "
        "in a fresh subprocess; peak MB is the child's ru_maxrss (import floor "
        f"{floor.get('peak_mb', float('nan')):.0f} MB). Ratio = median s / regioncam's "
        "median s in the same run.\n\n" + "\n".join(lines) + "\n"
    )
    try:
        if out.exists():
            # keep hand-written sections (headings after the table) across reruns
            old = out.read_text()
            cut = old.find("\n## ")
            if cut >= 0:
                text += old[cut:]
        out.write_text(text)
    except OSError as exc:  # the table was printed above
        sys.exit(f"suite.py: error: --out {out}: cannot write the table ({exc.strerror or exc})")
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        res = child(json.loads(sys.argv[2]))
        pathlib.Path(sys.argv[3]).write_text(json.dumps(res))
    else:
        main()
