"""Shared fixtures: a registry of degenerate networks with exact (dyadic) weights.

``DEGENERATE`` maps a name to ``(hidden, output, bbox)``: hidden layers as
nested lists of small integers or dyadic rationals (exact in float64), the
output layer, and the domain (a bbox tuple or a convex shapely polygon).
``HAND_COUNTS`` holds the region counts worked out by hand for some of them.
The ``degenerate_case`` fixture runs a test once per entry. Every test runs
inside ``_torch_rng`` (autouse): it starts from the same torch seed, and a seed
it sets cannot leak into later tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import shapely
import torch

from regions.network import Network


@pytest.fixture(autouse=True)
def _torch_rng() -> Iterator[None]:
    """Run each test from torch seed 0, and restore the global CPU generator after it.

    A ``torch.manual_seed`` inside a test (or a module's default init) then neither
    depends on the tests run before it nor changes those run after it. CUDA
    generators are not forked (``devices=[]``: forking them would initialise CUDA in
    every test); ``torch.manual_seed`` resets them too, at the start of each test.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield

BOX = (-1.0, -1.0, 1.0, 1.0)

# names for the usual neurons on the plane: rows of W and entries of b
X, Y, NX, NY, ZERO = [1, 0], [0, 1], [-1, 0], [0, -1], [0, 0]


def _ones(width: int) -> tuple[list[list[float]], list[float]]:
    """A one-output layer summing the last hidden layer."""
    return [[1.0] * width], [0.0]


def _layer(rows: list[tuple[list[float], float]]) -> tuple[list[list[float]], list[float]]:
    """A hidden layer from ``(weight_row, bias)`` pairs."""
    return [list(w) for w, _ in rows], [b for _, b in rows]


def _dyadic(rng: np.random.Generator, widths: tuple[int, ...], denom: int = 8) -> list[Any]:
    """Random hidden layers with weights and biases in ``{k / denom : |k| <= 2 denom}``."""
    layers, d = [], 2
    for n in widths:
        w = rng.integers(-2 * denom, 2 * denom + 1, size=(n, d)) / denom
        b = rng.integers(-2 * denom, 2 * denom + 1, size=n) / denom
        layers.append((w.tolist(), b.tolist()))
        d = n
    return layers


def _registry() -> dict[str, tuple[list[Any], Any, Any]]:
    reg: dict[str, tuple[list[Any], Any, Any]] = {}

    def add(name: str, hidden: list[Any], bbox: Any = BOX) -> None:
        reg[name] = (hidden, _ones(len(hidden[-1][1])), bbox)

    # ---- one layer: concurrency
    add("three_concurrent", [_layer([(X, 0), (Y, 0), ([1, 1], 0)])])
    add(
        "five_concurrent",
        [_layer([(X, 0), (Y, 0), ([1, 1], 0), ([1, -1], 0), ([1, 2], 0)])],
    )
    # the later lines pass through the vertex the first two made, at (1/4, 1/2)
    add(
        "line_through_crossing",
        [_layer([(X, -0.25), ([1, 1], -0.75), (Y, -0.5), ([0.5, -1], 0.375)])],
    )
    # ---- one layer: parallel and duplicate neurons
    add("parallel", [_layer([(X, 0.5), (X, 0), (X, -0.5), (Y, -0.25)])])
    add("duplicate_same", [_layer([(X, -0.25), (Y, 0), (X, -0.25), ([2, 0], -0.5)])])
    add(
        "duplicate_opposite",
        [_layer([(X, 0.25), (Y, 0), (NX, -0.25), ([-0.5, 0], -0.125)])],
    )
    # ---- one layer: dead neurons
    add("dead_zero", [_layer([(X, 0), (ZERO, 0), (Y, 0)])])
    add("dead_const_positive", [_layer([(X, 0), (Y, 0), (ZERO, 1)])])
    add("dead_const_negative", [_layer([(ZERO, -1), (X, 0), (Y, 0)])])
    add("all_dead", [_layer([(ZERO, 0), (ZERO, 0.5), (ZERO, -2)])])
    # ---- one layer: lines through vertices of the mesh and of the box
    # x + y = 1 runs from the T-junction (1, 0) to the T-junction (0, 1)
    add("diagonal_through_two_vertices", [_layer([(X, 0), (Y, 0), ([1, 1], -1)])])
    # 2x - y = 2 runs from the T-junction (0.5, -1) to the T-junction (1, 0)
    add(
        "line_through_boundary_vertex",
        [_layer([(X, -0.5), (Y, 0), ([2, -1], -2)])],
    )
    # x = y through two corners; x + 2y = 3 touches the box only at the corner (1, 1)
    add("box_corner", [_layer([([1, -1], 0), ([1, 2], -3), ([-1, -2], 3), (Y, 0.5)])])
    # x = 1 and y = -1 are edges of the box, in both orientations
    add(
        "box_edge",
        [_layer([(X, -1), (NX, 1), (Y, 1), (NY, -1), (X, 0)])],
    )
    # x = 5, x = -5 and x + y = -5/2 miss the box
    add("line_misses_box", [_layer([(X, -5), (X, 5), ([1, 1], 2.5), (Y, 0)])])
    # ---- two layers
    # |x| - |y|: the bent line has its bends at the first-layer vertex (0, 0)
    add(
        "bent_through_vertex",
        [_layer([(X, 0), (NX, 0), (Y, 0), (NY, 0)]), _layer([([1, 1, -1, -1], 0)])],
    )
    # |x - 1/4| - |y - 1/2|, bends at the first-layer vertex (1/4, 1/2)
    add(
        "bent_through_offcenter_vertex",
        [
            _layer([(X, -0.25), (Y, -0.5), (NX, 0.25), (NY, 0.5)]),
            _layer([([1, -1, 1, -1], 0)]),
        ],
    )
    # relu(x) + relu(y) and relu(x) - relu(y) are identically zero on {x < 0, y < 0}
    add(
        "second_layer_identically_zero",
        [_layer([(X, 0), (Y, 0)]), _layer([([1, 1], 0), ([1, -1], 0), ([0, 0], 0)])],
    )
    # relu(x + 2) - 2 = x on the box: the first-layer line x = 0 again, both ways
    add(
        "second_layer_duplicates_first",
        [
            _layer([(X, 0), (X, 2), (Y, 0)]),
            _layer([([0, 1, 0], -2), ([0, -1, 0], 2), ([1, 0, 0], 0), ([0, 0, 2], 0)]),
        ],
    )
    # the second layer at the crossing of three concurrent first-layer lines:
    # relu(x) - relu(y) splits {x, y > 0} only; relu(x) + relu(y) - relu(x + y)
    # is identically zero on {x, y > 0} and on {x, y < 0}, positive elsewhere
    add(
        "two_layer_concurrent",
        [_layer([(X, 0), (Y, 0), ([1, 1], 0)]), _layer([([1, -1, 0], 0), ([1, 1, -1], 0)])],
    )
    # a third layer fed by second-layer neurons that are dead on some cells:
    # 4 quadrants, x = y splits the first; in the third layer the second
    # neuron cuts three cells (along y = 1/4, x + y = 1/2 and y = 1/2) and the
    # third cuts three (twice along x - y = 1/4, once along x = 1/4): 4, 5, 11
    add(
        "three_layer_dead_chain",
        [
            _layer([(X, 0), (Y, 0)]),
            _layer([([1, 1], 0), ([1, -1], 0)]),
            _layer([([1, 0], 0), ([1, -1], -0.5), ([0, 1], -0.25), ([0, 0], 0)]),
        ],
    )
    # ---- other domains
    # in the triangle (0,0), (4,0), (0,4): x = y through a corner, x + y = 4
    # along an edge, and x = 2 through the vertex (2, 2) that x = y made there
    tri = shapely.Polygon([(0, 0), (4, 0), (0, 4)])
    add("triangle_domain", [_layer([([1, -1], 0), ([1, 1], -4), (X, -2)])], tri)
    # x = 3, y = 3, x + y = 6 and x = y all pass through (3, 3)
    add(
        "wide_box_concurrent",
        [_layer([(X, -3), (Y, -3), ([1, 1], -6), ([1, -1], 0)])],
        (-10.0, -10.0, 10.0, 10.0),
    )
    # ---- general position (dyadic, so the oracle and the floats agree exactly)
    add("random_dyadic", _dyadic(np.random.default_rng(0), (6, 5)), (-4.0, -4.0, 4.0, 4.0))
    add(
        "random_dyadic_deep",
        _dyadic(np.random.default_rng(1), (4, 4, 3)),
        (-3.0, -2.0, 3.0, 2.0),
    )
    return reg


#: name -> (hidden, output, bbox) of each degenerate network
DEGENERATE = _registry()

#: region counts worked out by hand (see the comments in ``_registry``)
HAND_COUNTS = {
    "three_concurrent": 6,
    "five_concurrent": 10,
    "line_through_crossing": 8,
    "parallel": 8,
    "duplicate_same": 4,
    "duplicate_opposite": 4,
    "dead_zero": 4,
    "dead_const_positive": 4,
    "dead_const_negative": 4,
    "all_dead": 1,
    "diagonal_through_two_vertices": 5,
    "line_through_boundary_vertex": 5,
    "box_corner": 4,
    "box_edge": 2,
    "line_misses_box": 2,
    "bent_through_vertex": 8,
    "bent_through_offcenter_vertex": 8,
    "second_layer_identically_zero": 5,
    "second_layer_duplicates_first": 4,
    "two_layer_concurrent": 7,
    "three_layer_dead_chain": 11,
    "triangle_domain": 3,
    "wide_box_concurrent": 8,
}


@dataclass(frozen=True)
class Case:
    """One registry entry, built."""

    name: str
    net: Network
    bbox: Any
    hand_count: int | None


def build_case(name: str) -> Case:
    hidden, output, bbox = DEGENERATE[name]
    return Case(name, Network.from_arrays(hidden, output), bbox, HAND_COUNTS.get(name))


@pytest.fixture(params=sorted(DEGENERATE))
def degenerate_case(request: pytest.FixtureRequest) -> Case:
    """Each degenerate network of the registry, in turn."""
    return build_case(request.param)


def load_suite(name: str = "_suite_under_test") -> Any:
    """``benchmarks/suite.py`` as a module (skipped outside a source checkout)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "suite.py"
    if not path.is_file():
        pytest.skip("benchmarks/suite.py ships with the source checkout")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
