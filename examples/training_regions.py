"""Linear regions during training: an exact count after every epoch.

A 2-32-32-1 ReLU MLP (PyTorch default init, seed 0) is fitted to ``sin(x) cos(y)`` on
``[-3, 3]^2`` (full-batch Adam, mean squared error). After every epoch the script counts the
exact linear regions in that box with :func:`regions.count_regions`, on the compiled kernel
(``kernel="numba"``, when numba is installed): it is loaded once, then each count of these
few thousand regions takes milliseconds, so counting every epoch costs little next to the
training itself. It writes ``training_regions.csv`` (epoch, loss, regions, seconds of the
count) and ``training_regions.png`` (loss and regions against the epoch), and prints the
count at a few epochs with the mean time per count. ``training_boundaries.png`` shows each
hidden neuron's zero set (coloured by layer, :func:`regions.plot_boundaries`) at
initialisation and after training, and the fitted output as a surface of flat facets
(:func:`regions.plot_surface`).

Run: ``python examples/training_regions.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

import regions
from regions.course import mlp

BOX = (-3.0, -3.0, 3.0, 3.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="20 epochs instead of 300")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = 20 if args.quick else 300
    kernel = "numba" if importlib.util.find_spec("numba") else "auto"

    gen = torch.Generator().manual_seed(1)
    x = torch.rand(2000, 2, generator=gen) * 6 - 3
    y = (torch.sin(x[:, 0]) * torch.cos(x[:, 1]))[:, None]
    model = mlp((2, 32, 32, 1), 0)
    start = regions.linear_regions(model, BOX)  # the partition at initialisation
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    rows = []
    t_load = time.perf_counter()
    first = regions.count_regions(model, BOX, kernel=kernel)  # loads the kernel
    t_load = time.perf_counter() - t_load
    with torch.no_grad():
        loss0 = torch.nn.functional.mse_loss(model(x), y).item()  # at initialisation
    rows.append((0, loss0, first, t_load))
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        t0 = time.perf_counter()
        n = regions.count_regions(model, BOX, kernel=kernel)
        rows.append((epoch, loss.item(), n, time.perf_counter() - t0))

    with open(out / "training_regions.csv", "w") as f:
        f.write("epoch,loss,regions,count_seconds\n")
        for e, l_, n, s in rows:
            f.write(f"{e},{l_:.6g},{n},{s:.6f}\n")
    per = sum(r[3] for r in rows[1:]) / epochs
    print(f"kernel={kernel!r}: first count (loads the kernel) {t_load:.2f} s, then "
          f"{1e3 * per:.1f} ms per count on average")
    shown = rows[:: max(1, epochs // 6)]
    for e, l_, n, _ in shown if shown[-1] is rows[-1] else [*shown, rows[-1]]:
        print(f"epoch {e:4d}  loss {l_:.4f}  regions {n}")

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6, 5), sharex=True, layout="constrained")
    a1.semilogy([r[0] for r in rows[1:]], [r[1] for r in rows[1:]])
    a1.set_ylabel("training loss (MSE)")
    a2.plot([r[0] for r in rows], [r[2] for r in rows])
    a2.set_ylabel("exact regions in [-3,3]^2")
    a2.set_xlabel("epoch")
    fig.suptitle("2-32-32-1 fitted to sin(x) cos(y)")
    fig.savefig(out / "training_regions.png", dpi=90)
    end = regions.linear_regions(model, BOX)
    end.verify()
    fig = plt.figure(figsize=(13, 4.4), layout="constrained")
    for k, (p, when) in enumerate(((start, "at initialisation"), (end, f"after {epochs} epochs"))):
        ax = fig.add_subplot(1, 3, k + 1)
        regions.plot_boundaries(p, ax, linewidth=0.8)
        ax.set_title(f"{when}: {len(p)} regions", fontsize=10)
    ax3 = fig.add_subplot(1, 3, 3, projection="3d")
    regions.plot_surface(end, ax3, linewidth=0.1, edgecolor="none")
    ax3.set_title("the fitted output, a flat facet per region", fontsize=10)
    fig.savefig(out / "training_boundaries.png", dpi=90)
    plt.close("all")
    print(f"wrote {out / 'training_regions.csv'}, {out / 'training_regions.png'} and "
          f"{out / 'training_boundaries.png'}")


if __name__ == "__main__":
    main()
