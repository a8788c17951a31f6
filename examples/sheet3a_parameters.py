"""Sheet 3(a): the number of parameters of the course's two MLPs.

Counted from the torch modules (``sum(p.numel() for p in model.parameters())``) and checked
against the formula sum over the linear layers of (in * out + out), weights plus biases:
2-20-1 has 2*20 + 20 + 20*1 + 1 = 81, 2-5-5-5-5-1 has 15 + 3*30 + 6 = 111. Exits nonzero
if the two disagree. Writes ``sheet3a_parameters.csv``.

Run: ``python examples/sheet3a_parameters.py [--quick] [-o OUT]``.
"""

from __future__ import annotations

import argparse
import itertools
import pathlib

import torch

from regions.course import deep_model, shallow_model

MODELS = {
    "shallow 2-20-1": (shallow_model, (2, 20, 1)),
    "deep 2-5-5-5-5-1": (deep_model, (2, 5, 5, 5, 5, 1)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="out", help="output folder (default ./out)")
    ap.add_argument("--quick", action="store_true", help="same as the full run (it is instant)")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows = ["model,widths,parameters_counted,parameters_formula,per_layer"]
    bad = []
    print(f"{'model':<18} {'counted':>8} {'formula':>8}  per layer (weights + biases)")
    for name, (build, widths) in MODELS.items():
        model = build()
        counted = sum(p.numel() for p in model.parameters())
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        layer_widths = [(m.in_features, m.out_features) for m in linears]
        if layer_widths != list(itertools.pairwise(widths)):
            bad.append(f"{name}: layers {layer_widths} do not match widths {widths}")
        per_layer = [i * o + o for i, o in layer_widths]
        formula = sum(per_layer)
        terms = " + ".join(f"({i}*{o}+{o})" for i, o in layer_widths)
        print(f"{name:<18} {counted:>8} {formula:>8}  {terms}")
        if counted != formula:
            bad.append(f"{name}: counted {counted} != formula {formula}")
        rows.append(
            f"{name},{'-'.join(map(str, widths))},{counted},{formula},"
            + " ".join(map(str, per_layer))
        )
    path = out / "sheet3a_parameters.csv"
    path.write_text("\n".join(rows) + "\n")
    print(f"wrote {path}")
    if bad:
        raise SystemExit("; ".join(bad))


if __name__ == "__main__":
    main()
