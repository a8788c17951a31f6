"""Sheet 2(b): contour plots of lse((s1, s2); lambda) for lambda in {1, 10, 100}, next to max.

lse(s; lambda) = (1/lambda) log(sum_j exp(lambda s_j)) is computed with the max trick,
m + (1/lambda) log(sum_j exp(lambda (s_j - m))) with m = max_j s_j, so no exponent is
positive and nothing overflows. The script checks that this matches the naive formula where
the naive one is finite, that it stays finite where the naive one overflows (s = 1000,
lambda = 100), and that 0 <= lse - max <= log(2)/lambda over the grid (two components).

Run: ``python examples/sheet2b_lse_contours.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

LAMBDAS = (1.0, 10.0, 100.0)


def lse(s: np.ndarray, lam: float, axis: int = -1) -> np.ndarray:
    """Stable log-sum-exp along ``axis``: max + log(sum exp(lam (s - max))) / lam."""
    s = np.asarray(s, dtype=np.float64)
    m = s.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(lam * (s - m)).sum(axis=axis, keepdims=True)) / lam
    return np.squeeze(out, axis=axis)


def lse_naive(s: np.ndarray, lam: float, axis: int = -1) -> np.ndarray:
    """The formula as written on the sheet (overflows for large lam * s)."""
    with np.errstate(over="ignore"):
        return np.log(np.exp(lam * np.asarray(s, dtype=np.float64)).sum(axis=axis)) / lam


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="coarser grid")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    n = 201 if args.quick else 601
    g = np.linspace(-1.0, 1.0, n)
    s1, s2 = np.meshgrid(g, g)  # rows: s2, columns: s1
    s = np.stack([s1, s2], axis=-1)
    mx = s.max(axis=-1)

    # checks of the stable formula
    bad = []
    for lam in LAMBDAS:
        naive = lse_naive(s, lam)
        stable = lse(s, lam)
        fin = np.isfinite(naive)
        err = float(np.abs(stable[fin] - naive[fin]).max())
        if not np.allclose(stable[fin], naive[fin], rtol=1e-12, atol=1e-12):
            bad.append(f"lambda={lam:g}: stable and naive differ by {err:.2e}")
    big = np.array([[1000.0, 999.0], [-1000.0, -1001.0], [1e6, 1e6]])
    with np.errstate(over="ignore", divide="ignore"):
        naive_big = lse_naive(big, 100.0)
    stable_big = lse(big, 100.0)
    print(f"large inputs, lambda=100: naive {naive_big.tolist()}, stable {stable_big.tolist()}")
    if not np.isfinite(stable_big).all():
        bad.append("stable lse is not finite for large inputs")
    if not (np.abs(stable_big - big.max(axis=1)) <= math.log(2) / 100 + 1e-9).all():
        bad.append("stable lse is off for large inputs")

    print(f"{'lambda':>7} {'max |lse - max|':>16} {'log(2)/lambda':>14}  bound holds")
    gaps = {}
    for lam in LAMBDAS:
        gap = lse(s, lam) - mx
        gaps[lam] = float(gap.max())
        holds = bool(gap.min() >= -1e-15 and gap.max() <= math.log(2) / lam + 1e-15)
        verdict = "yes" if holds else "NO"
        print(f"{lam:>7g} {gaps[lam]:>16.6f} {math.log(2) / lam:>14.6f}  {verdict}")
        if not holds:
            bad.append(f"lambda={lam:g}: lse - max outside [0, log(2)/lambda]")
    print("the gap is largest on the diagonal s1 = s2, where it equals log(2)/lambda;")
    print("as lambda grows the contours of lse approach the corners of the max contours.")

    levels = np.arange(-1.0, 1.8, 0.125)  # covers [min, max] of lse for lambda >= 1
    fig, axes = plt.subplots(1, 4, figsize=(15, 4), layout="constrained")
    panels = [(f"lse, $\\lambda$={lam:g}", lse(s, lam)) for lam in LAMBDAS]
    panels.append(("max($\\sigma_1$, $\\sigma_2$)", mx))
    for ax, (title, z) in zip(axes, panels, strict=True):
        cs = ax.contourf(s1, s2, z, levels=levels, cmap="viridis")
        ax.contour(s1, s2, z, levels=levels, colors="k", linewidths=0.4, linestyles="solid")
        ax.set_title(title)
        ax.set_aspect("equal")
        ax.set_xlabel(r"$\sigma_1$")
    axes[0].set_ylabel(r"$\sigma_2$")
    fig.colorbar(cs, ax=list(axes), shrink=0.9, pad=0.01, ticks=levels[::2])
    path = out / "sheet2b_lse_contours.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path}")
    if bad:
        raise SystemExit("; ".join(bad))


if __name__ == "__main__":
    main()
