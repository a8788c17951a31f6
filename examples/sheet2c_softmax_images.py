"""Sheet 2(c): the two soft(arg)max components as images, against the one-hot arg max.

soft(arg)max(s; lambda)_k = exp(lambda s_k) / sum_j exp(lambda s_j), computed stably by
subtracting max_j s_j first, for lambda in {1, 10, 100} over [-1, 1]^2 (the range of 2(b)).

The sheet defines the one-hot arg max as

    onehot(arg max s_i) = (1, 0)^T  if s1 < s2,   (0, 1)^T  else,

and the script follows that definition exactly. Note what it says: where s1 < s2 the arg max
is the *second* index, yet the sheet puts the 1 in the *first* component. So, as printed, the
sheet's one-hot is the conventional one-hot(arg max) with the components swapped
(equivalently the one-hot of arg min, up to the tie s1 = s2, which goes to (0, 1)). The script
shows the sheet's version, says so in the panel titles, and measures how the softmax
components approach both the sheet's one-hot (swapped) and the conventional one.

Run: ``python examples/sheet2c_softmax_images.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

LAMBDAS = (1.0, 10.0, 100.0)


def softargmax(s: np.ndarray, lam: float) -> np.ndarray:
    """Stable soft(arg)max along the last axis."""
    s = np.asarray(s, dtype=np.float64)
    e = np.exp(lam * (s - s.max(axis=-1, keepdims=True)))
    return e / e.sum(axis=-1, keepdims=True)


def onehot_sheet(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Exactly the sheet's definition: (1, 0) if s1 < s2, (0, 1) else."""
    first = s1 < s2
    return np.stack([first, ~first], axis=-1).astype(np.float64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="coarser grid")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    n = 200 if args.quick else 500
    g = np.linspace(-1.0, 1.0, n)
    s1, s2 = np.meshgrid(g, g)  # image rows: s2, columns: s1
    s = np.stack([s1, s2], axis=-1)
    sheet = onehot_sheet(s1, s2)
    conventional = sheet[..., ::-1]  # (0, 1) if s1 < s2: the 1 at the larger entry
    away = np.abs(s1 - s2) > 0.1  # away from the tie line, where the limit is reached

    print("one-hot as the sheet defines it: (1,0) if s1 < s2 else (0,1)")
    print("(this puts the 1 at the SMALLER entry: it is one-hot(arg max) with swapped components)")
    print(f"{'lambda':>7} {'sum = 1':>8} {'max|sm - conventional|':>23} "
          f"{'max|sm - sheet|':>16}   (|s1 - s2| > 0.1)")
    bad = []
    sms = {}
    for lam in LAMBDAS:
        sm = softargmax(s, lam)
        sms[lam] = sm
        sums_ok = bool(np.allclose(sm.sum(axis=-1), 1.0, rtol=0, atol=1e-12))
        d_conv = float(np.abs(sm - conventional)[away].max())
        d_sheet = float(np.abs(sm - sheet)[away].max())
        print(f"{lam:>7g} {sums_ok!s:>8} {d_conv:>23.3g} {d_sheet:>16.3g}")
        if not sums_ok:
            bad.append(f"lambda={lam:g}: components do not sum to 1")
        # exp(-lambda * 0.1) / (1 + exp(-lambda * 0.1)) is the largest distance away from the tie
        expected = np.exp(-lam * 0.1) / (1 + np.exp(-lam * 0.1))
        if d_conv > expected + 1e-12:
            bad.append(f"lambda={lam:g}: softmax farther from the arg max than expected")
    print("softmax -> conventional one-hot(arg max) as lambda grows; the sheet's one-hot is its")
    print("mirror image (component 1 of the sheet's one-hot is the limit of softmax component 2).")

    ext = (-1, 1, -1, 1)
    fig, axes = plt.subplots(2, 4, figsize=(14, 7.2), layout="constrained")
    for row in range(2):
        for col, lam in enumerate(LAMBDAS):
            ax = axes[row, col]
            im = ax.imshow(sms[lam][..., row], origin="lower", extent=ext, cmap="viridis",
                           vmin=0, vmax=1)
            ax.set_title(f"softmax component {row + 1}, $\\lambda$={lam:g}", fontsize=10)
        ax = axes[row, 3]
        ax.imshow(sheet[..., row], origin="lower", extent=ext, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"sheet's one-hot, component {row + 1}\n((1,0) if $\\sigma_1<\\sigma_2$)",
                     fontsize=10)
        axes[row, 0].set_ylabel(r"$\sigma_2$")
    for ax in axes.ravel():
        ax.set_aspect("equal")
    for ax in axes[1]:
        ax.set_xlabel(r"$\sigma_1$")
    fig.colorbar(im, ax=list(axes.ravel()), shrink=0.6, pad=0.01)
    path = out / "sheet2c_softmax_images.png"
    fig.savefig(path, dpi=85)
    plt.close(fig)
    print(f"wrote {path}")
    if bad:
        raise SystemExit("; ".join(bad))


if __name__ == "__main__":
    main()
