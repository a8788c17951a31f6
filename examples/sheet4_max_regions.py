"""Sheet 4: the maximum number of regions of one hidden layer of n ReLU neurons in 2-D.

Each neuron is a line in the input plane; n lines in general position cut the plane into
1 + n + n(n-1)/2 regions. The lines tangent to the unit circle at n distinct angles in
[0, 0.9 pi) are in general position (no two parallel, no three through one point), and every
pairwise intersection lies within radius 1 / cos(0.45 pi) < 6.4, so the box [-7, 7]^2 holds the
whole arrangement. The engine counts the regions exactly and each count is verified.

Run: ``python examples/sheet4_max_regions.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import math
import pathlib

import torch

import regions


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


if __name__ == "__main__":
    main()
