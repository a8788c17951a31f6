"""Sheet 4: the maximum number of regions of one hidden layer of n ReLU neurons in 2-D.

Each neuron is a line in the input plane; n lines in general position cut the plane into
1 + n + n(n-1)/2 regions. The lines tangent to the unit circle at n distinct angles in
[0, 0.9 pi) are in general position (no two parallel, no three through one point), and every
pairwise intersection lies within radius 1 / cos(0.45 pi) < 6.4, so the box [-7, 7]^2 holds the
whole arrangement. The engine counts the regions exactly and each count is verified; the
regions for n = 10 are drawn (``sheet4_regions_n10.png``).

Deep nets: for a few architectures the script prints the one-layer maximum for the same number
of neurons, Serra et al.'s upper bound, Montufar et al.'s lower bound on the maximum (equal
widths only) and the measured counts of random nets (``regions.course.mlp``, default init, a
few seeds) in [-1000, 1000]^2. Random nets stay far below both bounds; a measured count above
Serra's bound would be a bug, and the script exits nonzero.

Run: ``python examples/sheet4_max_regions.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import regions
from regions.course import mlp

DEEP = [(2, 5, 5, 1), (2, 5, 5, 5, 5, 1), (2, 10, 10, 1), (2, 20, 20, 1), (2, 8, 8, 8, 1)]


def tangent_net(n: int) -> torch.nn.Sequential:
    """A 2-n-1 ReLU net whose neurons are the tangents of the unit circle."""
    theta = torch.arange(n, dtype=torch.float64) * (0.9 * math.pi / n)
    hidden = torch.nn.Linear(2, n).double()
    out = torch.nn.Linear(n, 1).double()
    with torch.no_grad():
        hidden.weight.copy_(torch.stack([torch.cos(theta), torch.sin(theta)], dim=1))
        hidden.bias.fill_(-1.0)
        out.weight.fill_(1.0)
        out.bias.zero_()
    return torch.nn.Sequential(hidden, torch.nn.ReLU(), out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="n up to 30 only")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ns = [1, 2, 3, 5, 10, 20, 30] if args.quick else [1, 2, 3, 5, 10, 20, 30, 50, 75, 100]
    rows = []
    print(f"{'n':>4} {'exact count':>12} {'1 + n + n(n-1)/2':>17}  verified")
    for n in ns:
        p = regions.linear_regions(tangent_net(n), bbox=(-7, -7, 7, 7))
        p.verify()
        bound = 1 + n + n * (n - 1) // 2
        print(f"{n:>4} {len(p):>12} {bound:>17}  yes")
        if len(p) != bound:
            raise SystemExit(f"n={n}: {len(p)} regions, expected {bound}")
        rows.append(f"{n},{len(p)},{bound}")
    (out / "sheet4_max_regions.csv").write_text("n,count,bound\n" + "\n".join(rows) + "\n")
    print(f"wrote {out / 'sheet4_max_regions.csv'}")

    p = regions.linear_regions(tangent_net(10), bbox=(-7, -7, 7, 7))
    fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    p.plot(ax, color_by="region", linewidth=0.5)
    ax.set_title(f"10 tangent lines: {len(p)} regions (1 + n + n(n-1)/2 = {one(10)})", fontsize=10)
    path = out / "sheet4_regions_n10.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path}")

    deep_bounds(out, seeds=range(3) if args.quick else range(10))


def one(n: int) -> int:
    return regions.one_layer_max(n)


def deep_bounds(out: pathlib.Path, seeds: range) -> None:
    half = 1000.0
    print()
    print(f"deep nets: bounds on the regions of the plane vs measured counts in "
          f"[-{half:g}, {half:g}]^2, seeds {seeds.start}..{seeds.stop - 1}")
    print("(both bounds are on the MAXIMUM over all weights: Serra's holds for every net, "
          "Montufar's is reached by special weights, so random nets fall far below it)")
    head = (f"{'widths':<16} {'1 layer, same n':>15} {'Serra upper':>12} {'Montufar lower':>15}"
            f"  measured (min / mean / max)")
    print(head)
    rows = ["widths,one_layer_same_neurons,serra_upper,montufar_lower,measured"]
    bad = []
    for widths in DEEP:
        hidden = list(widths[1:-1])
        shallow = regions.one_layer_max(sum(hidden))
        serra = regions.serra_upper_bound(hidden)
        equal = len(set(hidden)) == 1 and hidden[0] >= 2
        montufar = regions.montufar_lower_bound(hidden[0], len(hidden)) if equal else None
        counts = [
            regions.count_regions(mlp(widths, s), bbox=(-half, -half, half, half)) for s in seeds
        ]
        name = "-".join(map(str, widths))
        mont = str(montufar) if montufar is not None else "-"
        print(f"{name:<16} {shallow:>15} {serra:>12} {mont:>15}  "
              f"{min(counts)} / {sum(counts) / len(counts):.1f} / {max(counts)}")
        rows.append(f"{name},{shallow},{serra},{mont},{' '.join(map(str, counts))}")
        if max(counts) > serra:
            bad.append(f"{name}: measured {max(counts)} > Serra's bound {serra}")
    (out / "sheet4_deep_bounds.csv").write_text("\n".join(rows) + "\n")
    print(f"wrote {out / 'sheet4_deep_bounds.csv'}")
    if bad:
        raise SystemExit("; ".join(bad))


if __name__ == "__main__":
    main()
