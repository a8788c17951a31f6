"""How many second-layer neurons cross a first-layer face, against how many are tested there.

Run: ``python benchmarks/crossing_study.py``. Writes ``benchmarks/results/crossing_study.md``.

Why. The streaming count of a 2-w-w-1 net (``regions._kernel.root_pass``) tests all
``n_2 = w`` second-layer neurons on every face of the first layer's arrangement (a face map
of ``3 n_2`` values, ``n_2`` values per vertex). The time per region then grows with the
width, which is why the time is not linear in regions x layers across widths
(``results/scaling.md``). This script measures how many of those neurons actually cross a
face, on the nets of the ``width`` series of ``scaling.py``.

Method. ``regions.linear_regions`` builds each net's partition. The regions are grouped by
their first-layer pattern (one group per first-layer face). A second-layer neuron whose zero
set cuts a face leaves regions on both of its sides there, so its bit differs between the
face's regions; one whose zero set misses the face has the same bit on all of them. ``m``
is the mean over faces of how many neurons cut it, and ``n_2 / m`` is how many neurons
are tested per neuron that cuts.
"""

from __future__ import annotations

import datetime
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from _machine import describe

import regions
from regions.course import mlp

#: (width, half box) of the ``width`` series of ``scaling.py``.
NETS = [(32, 10.0), (64, 10.0), (128, 10.0), (256, 2.0), (512, 2.0)]


def crossing(w: int, half: float) -> tuple[int, int, float]:
    """First-layer faces, regions, and mean crossing second-layer neurons per face."""
    p = regions.linear_regions(mlp([2, w, w, 1], 0), (-half, -half, half, half), progress=False)
    pat = p.patterns
    _, face = np.unique(np.packbits(pat[:, :w], axis=1), axis=0, return_inverse=True)
    face = np.asarray(face).ravel()
    nf = int(face.max()) + 1
    on = np.zeros((nf, w), dtype=bool)
    off = np.zeros((nf, w), dtype=bool)
    np.logical_or.at(on, face, pat[:, w:])
    np.logical_or.at(off, face, ~pat[:, w:])
    return nf, len(p), float((on & off).sum(axis=1).mean())


def main() -> None:
    rows = [
        "| net | box | first-layer faces | regions | regions per face | crossing neurons "
        "per face m | tested per crossing n_2 / m |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for w, half in NETS:
        nf, r, m = crossing(w, half)
        h = f"{half:g}"
        rows.append(
            f"| 2-{w}-{w}-1 | [-{h},{h}]^2 | {nf} | {r} | {r / nf:.2f} | {m:.2f} | {w / m:.0f} |"
        )
        print(rows[-1], flush=True)
    text = (
        "# Second-layer neurons crossing a first-layer face\n\n"
        f"Date: {datetime.date.today().isoformat()}  \n"
        f"Machine: {describe()}\n\n"
        "Command: `python benchmarks/crossing_study.py` (see its docstring). Nets: "
        "`regions.course.mlp([2, w, w, 1], 0)`, the `width` series of `scaling.py`.\n\n"
        + "\n".join(rows)
        + "\n"
    )
    out = pathlib.Path(__file__).parent / "results" / "crossing_study.md"
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
