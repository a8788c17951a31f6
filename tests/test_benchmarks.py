"""The benchmark scripts' own models (they ship with the source checkout only)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Any

import numpy as np
import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> Any:
    path = BENCH / f"{name}.py"
    if not path.is_file():
        pytest.skip(f"benchmarks/{name}.py ships with the source checkout")
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"_{name}_under_test", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_culling_model_keeps_every_neuron_that_meets_a_leaf() -> None:
    """The interval test of ``culling_study.py`` is sound: no crossing neuron is culled.

    Samples each leaf densely and takes the second-layer neurons whose sign
    changes there; each must be among the leaf's survivors. Also checks that
    the culling drops most neurons somewhere (else the model would be vacuous).
    """
    study = _load("culling_study")
    rng = np.random.default_rng(7)
    n1, n2 = 12, 10
    w1, b1 = rng.normal(size=(n1, 2)), rng.normal(size=n1)
    w2, b2 = rng.normal(size=(n2, n1)) / np.sqrt(n1), rng.normal(size=n2) * 0.3
    leaves: list = []
    work = study.study(w1, b1, w2, b2, 3.0, leaves=leaves)
    assert work["nodes"] >= len(leaves) > 1
    kept = 0
    g = np.linspace(-1.0, 1.0, 41)
    grid = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    for c, h, cand in leaves:
        x = c + grid * h
        z = np.maximum(x @ w1.T + b1, 0.0) @ w2.T + b2
        crossing = np.flatnonzero((z.min(axis=0) < 0) & (z.max(axis=0) > 0))
        assert set(crossing.tolist()) <= set(np.asarray(cand).tolist()), (c, h)
        kept += len(cand)
    assert kept < 0.5 * n2 * len(leaves)
