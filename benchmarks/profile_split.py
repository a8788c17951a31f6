"""Where the time of the streaming count goes, on the million-region net.

Run: ``python benchmarks/profile_split.py [--widths 2,256,256,256,256,256,256,1] [--half 100]
[--out FILE]``.
Counts ``regions.course.mlp(widths, 0)`` over ``[-half, half]^2`` with
``regions.split.count_faces`` on one worker thread (so that the parts add up),
after the same count once (which compiles every kernel it calls), with the stages wrapped in timers:

* ``snap_and_straddle``, ``kernel``, ``compact``, ``bias_and_scale``,
  ``count_cells`` (the last layer counted from chords): the compiled
  functions of :mod:`regions._kernel`;
* the product ``act @ W.T``: the rest of ``refine_layer`` and
  ``count_layer`` (their only other work is allocating arrays);
* ``_spatial_order`` (sorting the faces into chunks) and the rest of
  ``count_faces`` (gathering each chunk's vertex rows).

Then times the same count with the default workers. Prints a table and writes
``benchmarks/results/profile.md`` (or ``--out``; parts in seconds, to four decimals when the
count takes under a second).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import functools
import pathlib
import sys
import time
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions._kernel as K
import regions.split as S
from regions.course import mlp
from regions.domain import as_domain
from regions.network import Network

SPENT: collections.Counter[str] = collections.Counter()
ACTIVE: list[str] = []  # the timed functions running now, outermost first


def timed(module: Any, name: str) -> None:
    fn = getattr(module, name)

    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        # a split called by refine_layer or by the last layer's count is booked apart
        outer = next((o for o in reversed(ACTIVE) if o in ("refine_layer", "_count_last")), "")
        key = name + (f" (in {outer})" if name == "_refine_numba" and outer else "")
        if name == "_count_last" and "count_layer" in ACTIVE:
            key = name + " (in count_layer)"
        ACTIVE.append(name)
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            ACTIVE.pop()
            SPENT[key] += time.perf_counter() - t0

    setattr(module, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="2,256,256,256,256,256,256,1")
    ap.add_argument("--half", type=float, default=100.0)
    ap.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(__file__).parent / "results" / "profile.md",
        help="where the table goes (default: benchmarks/results/profile.md)",
    )
    args = ap.parse_args()
    widths = tuple(int(w) for w in args.widths.split(","))
    h = args.half
    net = Network.from_torch(mlp(widths, 0))
    ring = as_domain((-h, -h, h, h)).ring
    # the same count once first: compiles every kernel the count calls (a compiled
    # function calling another would not see the timer wrappers set below)
    S.count_faces(net.hidden, ring, workers=1)

    for name in (
        "snap_and_straddle", "kernel", "compact", "bias_and_scale", "count_cells", "affine_rows",
    ):
        timed(K, name)
    for name in (
        "refine_layer", "count_layer", "_count_last", "_refine_numba", "_spatial_order",
        "_root_next_rows", "_chunk_next_rows", "_root_count_next",
    ):
        timed(S, name)
    t0 = time.perf_counter()
    counts = S.count_faces(net.hidden, ring, workers=1)
    total = time.perf_counter() - t0
    compiled = (
        SPENT["kernel"] + SPENT["snap_and_straddle"] + SPENT["compact"] + SPENT["affine_rows"]
    )
    splits = (
        SPENT["_refine_numba"] + SPENT["_refine_numba (in refine_layer)"]
        + SPENT["_refine_numba (in _count_last)"]
    )
    count_last = SPENT["_count_last"] + SPENT["_count_last (in count_layer)"]
    parts = {
        "kernel (cut the faces, interpolate new rows)": SPENT["kernel"],
        "snap_and_straddle (zero band, straddled cells)": SPENT["snap_and_straddle"],
        "act @ W.T (BLAS)": SPENT["refine_layer"] + SPENT["count_layer"]
        - SPENT["_refine_numba (in refine_layer)"] - SPENT["_count_last (in count_layer)"]
        - SPENT["bias_and_scale"],
        "second layer's rows from face maps (_root_next_rows)": SPENT["_root_next_rows"],
        "third layer's rows from face maps (_chunk_next_rows)": SPENT["_chunk_next_rows"],
        "a last second layer counted from face maps (_root_count_next)": SPENT[
            "_root_count_next"
        ],
        "first layer's rows at its vertices (affine_rows)": SPENT["affine_rows"],
        "last layer counted from chords (count_cells)": SPENT["count_cells"],
        "bias_and_scale": SPENT["bias_and_scale"],
        "compact (faces to CSR)": SPENT["compact"],
        "refine set-up (arrays, room for new rows)": splits - compiled,
        "last layer: gathering the cells split instead": count_last
        - SPENT["count_cells"] - SPENT["_refine_numba (in _count_last)"],
        "_spatial_order (chunks)": SPENT["_spatial_order"],
        "chunk gathering (the chunk's vertex rows)": total
        - SPENT["refine_layer"]
        - SPENT["count_layer"]
        - SPENT["_refine_numba"]
        - SPENT["_count_last"]
        - SPENT["_root_next_rows"]
        - SPENT["_chunk_next_rows"]
        - SPENT["_root_count_next"]
        - SPENT["_spatial_order"],
    }
    rows = ["| part | seconds | share |", "|---|---:|---:|"]
    digits = 2 if total >= 1.0 else 4  # a small net's parts in tenths of a millisecond
    for k, v in parts.items():
        rows.append(f"| {k} | {v:.{digits}f} | {100 * v / total:.0f} % |")
    rows.append(f"| total (one worker) | {total:.{digits}f} | 100 % |")
    t0 = time.perf_counter()
    again = S.count_faces(net.hidden, ring)
    multi = time.perf_counter() - t0
    assert again == counts
    table = "\n".join(rows)
    print(table)
    print(f"default workers: {multi:.{digits}f} s; layer counts {counts}")
    net_name = "-".join(map(str, widths))
    out = args.out
    out.write_text(
        f"# Profile of the streaming count: {net_name} (seed 0) over [-{h:g},{h:g}]^2\n\n"
        f"Date: {datetime.date.today()}  \nMachine: {describe()}\n\n"
        f"Command: `python benchmarks/profile_split.py` (see its docstring: one worker, "
        f"compiled kernel loaded, stages wrapped in timers). Layer counts {counts}.\n\n"
        f"{table}\n\nThe same count with the default workers (two threads here): "
        f"{multi:.{digits}f} s.\n\n"
        "What remains: the product `act @ W.T` (V x n_(l-1) x n_l flops per layer, for "
        "every layer after the third) is the largest part on deep nets; the second layer's "
        "rows come from per-face maps (n_2 values per face and vertex), the third's (from "
        "192 neurons) from maps per first-layer cell, and the last layer "
        "is counted from its chords in each cell (`count_cells`, which includes its "
        "straddle test) instead of split. The kernel interpolates n_l values per new "
        "vertex (on the first layer it computes each value from its vertex instead), and "
        "the straddle test reads n_l values per vertex.\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
