"""Models that are not an ``nn.Sequential`` MLP: a custom module, a conv net, a classifier.

Three figures, written to ``-o DIR`` (default ``./out``) and, with ``--readme``, also to
``docs/figures``:

* ``custom_module.png``: a custom ``nn.Module`` in the style of the PyTorch tutorials (layers
  as attributes, ``F.relu`` in ``forward``) is compiled with ``torch.fx``; its regions are
  those of its ``nn.Sequential`` twin with the same weights, and both counts are printed;
* ``plane_images.png``: a small conv net (conv, ReLU, max-pool, conv, ReLU, linear) on 1x8x8
  images, partitioned on the plane through three synthetic images (a vertical bar, a
  horizontal bar, a diagonal), which sit at ``(s, t) = (0, 0), (1, 0), (0, 1)``;
* ``decision_boundary.png``: a 2-32-32-3 classifier trained for a few hundred Adam steps on
  three 2-D spiral arms: its exact class regions and decision boundary, with the training
  points; the boundary's length and number of pieces are printed.

Every partition is verified against a torch forward pass.

Run: ``python examples/custom_models.py [--quick] [-o DIR] [--readme]``.
"""

from __future__ import annotations

import argparse
import io
import pathlib
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import regions
from regions.course import mlp

DPI = 90
README_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs" / "figures"


def save(fig: object, path: pathlib.Path) -> pathlib.Path:
    """Write a PNG with a 128-colour palette (a third of the size; the figures are flat)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").quantize(128).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return path


# --------------------------------------------------------------------------- custom module
class Net(nn.Module):
    """A 2-16-16-1 ReLU MLP written as in the PyTorch tutorials."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def custom_module(out: pathlib.Path) -> pathlib.Path:
    twin = mlp((2, 16, 16, 1), seed=0)  # nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
    net = Net().eval()
    net.load_state_dict(
        {
            f"fc{k + 1}.{name}": twin[2 * k].state_dict()[name]
            for k in range(3)
            for name in ("weight", "bias")
        }
    )
    bbox = (-5, -5, 5, 5)
    p_net = regions.linear_regions(net, bbox)  # torch.fx: a stage program
    p_seq = regions.linear_regions(twin, bbox)  # the MLP fast path
    p_net.verify()
    p_seq.verify()
    print(f"custom nn.Module (F.relu in forward): {len(p_net)} regions in [-5, 5]^2, verified")
    print(f"its nn.Sequential twin:               {len(p_seq)} regions in [-5, 5]^2, verified")
    if len(p_net) != len(p_seq):
        raise SystemExit("the two counts differ")
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3), layout="constrained")
    p_net.plot(axes[0], linewidth=0.3)
    axes[0].set_title(f"class Net(nn.Module), F.relu: {len(p_net)} regions", fontsize=10)
    p_seq.plot(axes[1], linewidth=0.3)
    axes[1].set_title(f"nn.Sequential twin: {len(p_seq)} regions", fontsize=10)
    fig.suptitle("The same 2-16-16-1 network written two ways, [-5, 5]$^2$", fontsize=11)
    return save(fig, out / "custom_module.png")


# --------------------------------------------------------------------------- plane of images
def bar_images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three 1x8x8 images: a vertical bar, a horizontal bar, a diagonal."""
    a = np.zeros((1, 8, 8))
    a[0, 1:7, 3:5] = 1.0
    b = np.zeros((1, 8, 8))
    b[0, 3:5, 1:7] = 1.0
    c = np.eye(8)[None, ::-1].copy()  # lower left to upper right, as drawn below
    return a, b, c


def conv_net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2, 4, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 2 * 2, 3),
    ).eval()


def plane_images(out: pathlib.Path) -> pathlib.Path:
    model = conv_net()
    images = bar_images()
    plane = regions.Plane.through(*images)
    p = regions.linear_regions(model, plane=plane)  # bbox: plane.default_bbox()
    p.verify()
    box = p.domain.bounds
    print(
        f"conv net on the plane through three 1x8x8 images: {len(p)} regions in "
        f"(s, t) in [{box[0]:g}, {box[2]:g}] x [{box[1]:g}, {box[3]:g}], verified"
    )
    print(f"  regions after each stage: {p.layer_counts}")
    fig = plt.figure(figsize=(5.2, 6.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 3.6])
    small = top.subplots(1, 3)
    for ax, img, name, where in zip(
        small, images, "abc", ("(0, 0)", "(1, 0)", "(0, 1)"), strict=True
    ):
        ax.imshow(img[0], cmap="gray_r", vmin=0, vmax=1, origin="upper")
        ax.set_title(f"{name} at {where}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = bottom.subplots()
    p.plot(ax, linewidth=0.3)  # marks a, b, c
    ax.set_xlabel("s")
    ax.set_ylabel("t")
    ax.set_title(
        f"conv-ReLU-maxpool-conv-ReLU-linear: {len(p)} regions\n"
        "on the plane a + s (b - a) + t (c - a)",
        fontsize=10,
    )
    return save(fig, out / "plane_images.png")


# --------------------------------------------------------------------------- classifier
def spirals(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three noisy spiral arms of ``n`` points each in about [-1, 1]^2; labels 0, 1, 2."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(3):
        r = np.linspace(0.1, 1.0, n)
        theta = 2 * np.pi * k / 3 + 3.0 * r + rng.normal(0.0, 0.12, n)
        xs.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
        ys.append(np.full(n, k))
    return np.concatenate(xs), np.concatenate(ys)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, seed: int = 0) -> float:
    torch.manual_seed(seed)
    xt = torch.tensor(x, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(xt).argmax(1) == yt).float().mean())


def classifier(out: pathlib.Path, steps: int) -> pathlib.Path:
    x, y = spirals()
    model = mlp((2, 32, 32, 3), seed=0)
    acc = train(model, x, y, steps)
    bbox = (-1.5, -1.5, 1.5, 1.5)
    p = regions.linear_regions(model, bbox)
    p.verify()
    db = regions.decision_boundary(p)
    print(
        f"2-32-32-3 classifier, {steps} Adam steps on 3 spiral arms ({len(x)} points): "
        f"training accuracy {acc:.3f}"
    )
    print(
        f"  {len(p)} linear regions in [-1.5, 1.5]^2, verified; decision boundary: "
        f"{len(db)} pieces, length {db.length:.4f}"
    )
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 4.4), layout="constrained")
    p.plot(axes[0], cmap="Pastel2", edgecolor="0.45", linewidth=0.25)
    regions.plot_decision_boundary(db, axes[0], linewidth=1.6)
    axes[0].set_title(f"{len(p)} linear regions, decision boundary", fontsize=10)
    regions.plot_class_regions(p, axes[1], alpha=0.35, linewidth=1.2)
    colors = plt.get_cmap("tab10")(np.arange(3))
    axes[1].scatter(x[:, 0], x[:, 1], c=colors[y], s=10, edgecolors="black", linewidths=0.2)
    axes[1].set_title(
        f"class regions: boundary {len(db)} pieces, length {db.length:.2f}", fontsize=10
    )
    fig.suptitle(
        f"2-32-32-3 classifier after {steps} Adam steps on three spirals (accuracy {acc:.2f})",
        fontsize=11,
    )
    return save(fig, out / "decision_boundary.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="the same figures (they take seconds)")
    ap.add_argument("--readme", action="store_true", help=f"also copy them to {README_DIR}")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = [custom_module(out), plane_images(out), classifier(out, steps=400)]
    if args.readme:
        README_DIR.mkdir(parents=True, exist_ok=True)
        for f in written:
            shutil.copyfile(f, README_DIR / f.name)
            print(f"copied {f.name} to {README_DIR}")


if __name__ == "__main__":
    main()
