"""Sheet 1(c): a logistic unit a = sigmoid(w.x + b) that separates two classes of points.

Class 1 is {(1, 1), (2, 2)} (on the line y = x), class 2 is {(1, 2), (2, 3)} (on y = x + 1).
The line y = x + 1/2 lies between them, i.e. x - y + 1/2 = 0, so w = (1, -1), b = 1/2:
w.x + b = +1/2 on class 1 and -1/2 on class 2, hence a > 0.5 on class 1 and a < 0.5 on
class 2. Any positive multiple (w, b) -> (c w, c b) separates too, with a sharper sigmoid;
the script checks both the given choice and a scaled one in code.

Run: ``python examples/sheet1c_separating_line.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

CLASS1 = np.array([[1.0, 1.0], [2.0, 2.0]])
CLASS2 = np.array([[1.0, 2.0], [2.0, 3.0]])


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic sigmoid, evaluated without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    ez = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + ez), ez / (1.0 + ez))


def margins(w: np.ndarray, b: float) -> np.ndarray:
    """Signed margins: w.x + b on class 1 and -(w.x + b) on class 2 (all > 0 = separated)."""
    return np.concatenate([CLASS1 @ w + b, -(CLASS2 @ w + b)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="coarser background image")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    w, b = np.array([1.0, -1.0]), 0.5
    ok = True
    for scale in (1.0, 4.0):
        ws, bs = scale * w, scale * b
        m = margins(ws, bs)
        a1, a2 = sigmoid(CLASS1 @ ws + bs), sigmoid(CLASS2 @ ws + bs)
        print(f"w = {ws.tolist()}, b = {bs:g}")
        print(f"  class 1 {CLASS1.tolist()}: a = {np.round(a1, 4).tolist()} (> 0.5)")
        print(f"  class 2 {CLASS2.tolist()}: a = {np.round(a2, 4).tolist()} (< 0.5)")
        print(f"  margins {m.tolist()}, all positive: {bool((m > 0).all())}")
        ok &= bool((m > 0).all() and (a1 > 0.5).all() and (a2 < 0.5).all())
    if not ok:
        raise SystemExit("the chosen (w, b) does not separate the classes")

    ws, bs = 4.0 * w, 4.0 * b
    n = 150 if args.quick else 400
    xs = np.linspace(0, 3, n)
    ys = np.linspace(0, 4, n)
    gx, gy = np.meshgrid(xs, ys)
    a = sigmoid(ws[0] * gx + ws[1] * gy + bs)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
    im = ax0.imshow(a, origin="lower", extent=(0, 3, 0, 4), cmap="coolwarm_r", vmin=0, vmax=1)
    ax0.contour(gx, gy, a, levels=[0.5], colors="black", linewidths=1.5)
    ax0.scatter(*CLASS1.T, marker="o", s=70, c="tab:blue", edgecolors="k", label="class 1")
    ax0.scatter(*CLASS2.T, marker="s", s=70, c="tab:red", edgecolors="k", label="class 2")
    ax0.set_aspect("equal")
    ax0.set_xlabel("$x_1$")
    ax0.set_ylabel("$x_2$")
    ax0.set_title(
        rf"$a=\sigma(w^Tx+b)$, $w=({ws[0]:g},{ws[1]:g})$, $b={bs:g}$; line $a=0.5$", fontsize=10
    )
    ax0.legend(loc="upper left")
    fig.colorbar(im, ax=ax0, label="a")
    z = np.linspace(-6, 6, 300)
    ax1.plot(z, sigmoid(z), color="black")
    ax1.axhline(0.5, color="gray", lw=0.8, ls="--")
    ax1.axvline(0.0, color="gray", lw=0.8, ls="--")
    z1, z2 = CLASS1 @ ws + bs, CLASS2 @ ws + bs
    ax1.scatter(z1, sigmoid(z1), marker="o", s=70, c="tab:blue", edgecolors="k", label="class 1")
    ax1.scatter(z2, sigmoid(z2), marker="s", s=70, c="tab:red", edgecolors="k", label="class 2")
    ax1.set_xlabel(r"$z = w^Tx + b$")
    ax1.set_ylabel(r"$\sigma(z)$")
    ax1.set_title("the sigmoid and the four points")
    ax1.legend(loc="upper left")
    path = out / "sheet1c_separating_line.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
