"""An exact, deliberately simple reference implementation of the region count.

This module is the test oracle of :mod:`regions`. It shares no code with the
splitters: every number is a :class:`fractions.Fraction` (float weights and
coordinates are converted exactly), so there is no tolerance anywhere, and the
algorithm is the definition of the count, written out plainly.

Definition
    Start from the (convex) domain polygon. For each hidden layer ``l`` and each
    neuron ``j`` of that layer, split every current cell by the zero set of
    ``z_j``, which is affine on the cell (computed from the cell's activation
    pattern of the earlier layers). A cell's bit for ``j`` is ``z_j > 0``
    (strict, as ReLU). A neuron that is identically zero on a cell does not
    split it (bit ``False``). Pieces of zero area are dropped.

Algorithm
    Each cell carries the exact affine map ``a(x, y) = A @ (x, y, 1)`` of the
    current layer input. For a layer ``(W, b)`` the pre-activations on the cell
    are ``Z = W A + b``; each row of ``Z`` clips the cell's polygon
    (Sutherland–Hodgman) into its ``z >= 0`` and ``z <= 0`` parts, and the
    parts with nonzero exact area are kept. After the layer, the input of the
    next one is ``A' = D Z`` with ``D`` the diagonal 0/1 matrix of the cell's
    bits of this layer.

It is quadratic or worse in everything and meant for networks with at most
about ten neurons per layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational
from typing import Any

import numpy as np

from .errors import ArgumentTypeError, ParameterError

__all__ = ["OracleResult", "exact_area", "oracle_count", "oracle_regions"]

#: A point with exact coordinates.
Point = tuple[Fraction, Fraction]
#: A cell: its counter-clockwise vertices and its activation pattern.
Cell = tuple[list[Point], tuple[bool, ...]]


@dataclass(frozen=True)
class OracleResult:
    """The exact cells of a network over a convex polygon.

    Parameters
    ----------
    cells : list of (vertices, pattern)
        ``vertices`` is a list of ``(Fraction, Fraction)`` points, counter-
        clockwise, without repeated or collinear vertices; ``pattern`` is a
        tuple of bools, one per hidden neuron in layer order (``z > 0``).
    layer_counts : list of int
        Number of cells after each hidden layer.

    Examples
    --------
    >>> res = oracle_regions([([[1, 0]], [0])], [(-1, -1), (1, -1), (1, 1), (-1, 1)])
    >>> len(res), res.layer_counts
    (2, [2])
    >>> res.patterns
    array([[ True],
           [False]])
    >>> res.areas()
    [Fraction(2, 1), Fraction(2, 1)]
    """

    cells: list[Cell]
    layer_counts: list[int]

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def patterns(self) -> np.ndarray:
        """Activation patterns of the cells as an (R, N) bool array."""
        return np.array([list(p) for _, p in self.cells], dtype=bool).reshape(len(self.cells), -1)

    def areas(self) -> list[Fraction]:
        """Exact areas of the cells.

        Returns
        -------
        list of Fraction
            One positive area per cell, in the order of :attr:`cells`.
        """
        return [exact_area(v) for v, _ in self.cells]


def exact_area(vertices: Any) -> Fraction:
    """Signed area of a polygon by the shoelace formula, exactly.

    Parameters
    ----------
    vertices : sequence of (x, y)
        The polygon, not closed; numbers as accepted by :func:`oracle_regions`.

    Returns
    -------
    Fraction
        Positive for a counter-clockwise polygon, negative for a clockwise one.

    Examples
    --------
    >>> exact_area([(0, 0), (1, 0), (0, 0.5)])
    Fraction(1, 4)
    >>> exact_area([(0, 0), (0, 1), (1, 0)])
    Fraction(-1, 2)
    """
    pts = [(_frac(x), _frac(y)) for x, y in vertices]
    pairs = zip(pts, pts[1:] + pts[:1], strict=True)
    return sum((p[0] * q[1] - p[1] * q[0] for p, q in pairs), Fraction(0)) / 2


def oracle_regions(hidden: Any, ring: Any, kinds: Any = None) -> OracleResult:
    """Exact cells of the partition of a convex polygon by a ReLU network.

    Parameters
    ----------
    hidden : sequence of (W, b)
        Hidden layers: ``W`` an (n_l, d_{l-1}) and ``b`` an (n_l,) array-like
        of ints, floats (converted exactly) or Fractions, with ``d_0 = 2``.
    ring : (K, 2) sequence
        Vertices of a convex polygon with positive area, counter-clockwise, not
        necessarily closed; repeated and collinear vertices are removed.
    kinds : sequence, optional
        The unit of each layer: ``("relu",)`` (the default),
        ``("leaky", slope)`` or ``("hardtanh", lo, hi)``. A hardtanh layer is
        split by ``z = lo`` then ``z = hi``; its bits are ``z > lo`` for every
        neuron, then ``z > hi`` (the order of
        :meth:`regions.program.Program.split_functions`).

    Returns
    -------
    OracleResult
        The cells (exact vertices and patterns) and the count after each layer.

    Raises
    ------
    ValueError
        If the shapes do not chain, a number is not finite, or the ring is not
        a counter-clockwise convex polygon with positive area.
    TypeError
        If an entry is not an int, float or rational number.

    Examples
    --------
    The lines ``x = 0``, ``y = 0`` and ``x + y = 0`` meet in one point and cut
    the square into six cells:

    >>> sq = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    >>> res = oracle_regions([([[1, 0], [0, 1], [1, 1]], [0, 0, 0])], sq)
    >>> res.layer_counts
    [6]
    >>> sum(res.areas())
    Fraction(4, 1)
    >>> vertices, pattern = res.cells[0]
    >>> [(str(x), str(y)) for x, y in vertices], pattern
    ([('1', '0'), ('1', '1'), ('0', '1'), ('0', '0')], (True, True, True))
    """
    poly = _ring(ring)
    layers = _layers(hidden)
    one, zero = Fraction(1), Fraction(0)
    # (vertices, pattern so far, affine map of the current layer input: rows (cx, cy, c1))
    cells: list[tuple[list[Point], tuple[bool, ...], list[list[Fraction]]]] = [
        (poly, (), [[one, zero, zero], [zero, one, zero]])
    ]
    counts: list[int] = []
    kinds = [("relu",)] * len(layers) if kinds is None else [tuple(k) for k in kinds]
    if len(kinds) != len(layers):
        raise ParameterError(f"kinds has {len(kinds)} entries for {len(layers)} layers")
    for (w, b), kind in zip(layers, kinds, strict=True):
        nxt = []
        for verts, pattern, amap in cells:
            zs = [_compose(row, bj, amap) for row, bj in zip(w, b, strict=True)]
            funcs = zs
            if kind[0] == "hardtanh":
                lo, hi = _frac(kind[1]), _frac(kind[2])
                funcs = [[z[0], z[1], z[2] - t] for t in (lo, hi) for z in zs]
            pieces: list[Cell] = [(verts, ())]
            for z in funcs:
                pieces = [part for piece in pieces for part in _split(piece, z)]
            for pverts, bits in pieces:
                nxt.append((pverts, pattern + bits, _next_map(kind, zs, bits)))
        cells = nxt
        counts.append(len(cells))
    return OracleResult([(v, p) for v, p, _ in cells], counts)


def _next_map(kind: tuple[Any, ...], zs: list[list[Fraction]], bits: tuple[bool, ...]) -> Any:
    """Exact affine map of a layer's outputs on a cell with the given bits."""
    zero = Fraction(0)
    if kind[0] == "relu":
        return [z if bit else [zero, zero, zero] for z, bit in zip(zs, bits, strict=True)]
    if kind[0] == "leaky":
        a = _frac(kind[1])
        return [z if bit else [a * c for c in z] for z, bit in zip(zs, bits, strict=True)]
    if kind[0] == "hardtanh":
        lo, hi = _frac(kind[1]), _frac(kind[2])
        m = len(zs)
        out = []
        for z, above_lo, above_hi in zip(zs, bits[:m], bits[m:], strict=True):
            if above_hi:
                out.append([zero, zero, hi])
            elif above_lo:
                out.append(z)
            else:
                out.append([zero, zero, lo])
        return out
    raise ParameterError(f"unknown kind {kind!r}")


def oracle_count(hidden: Any, ring: Any) -> int:
    """Exact number of linear regions (cells) of a ReLU network over a convex polygon.

    Parameters
    ----------
    hidden : sequence of (W, b)
        Hidden layers, as for :func:`oracle_regions`.
    ring : (K, 2) sequence
        Counter-clockwise convex polygon, as for :func:`oracle_regions`.

    Returns
    -------
    int
        ``len(oracle_regions(hidden, ring))``.

    Examples
    --------
    Five lines through the origin make ten cells; a line parallel to one of
    them crosses the other four and adds five:

    >>> sq = [(-4, -4), (4, -4), (4, 4), (-4, 4)]
    >>> w = [[1, 0], [0, 1], [1, 1], [1, -1], [1, 2]]
    >>> oracle_count([(w, [0] * 5)], sq)
    10
    >>> oracle_count([(w + [[1, 0]], [0] * 5 + [-1])], sq)
    15
    """
    return len(oracle_regions(hidden, ring))


# ---------------------------------------------------------------- internals
def _frac(v: Any) -> Fraction:
    """Convert an int, float or rational number to a Fraction, exactly."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return Fraction(int(v))
    if isinstance(v, (float, np.floating)):
        if isinstance(v, np.floating) and np.dtype(type(v)).itemsize > 8:
            raise ArgumentTypeError(f"{type(v).__name__} does not convert exactly to a float")
        f = float(v)
        if not math.isfinite(f):
            raise ParameterError(f"weights and coordinates must be finite, got {f}")
        return Fraction(f)
    if isinstance(v, Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    raise ArgumentTypeError(f"expected an int, float or rational number, got {type(v).__name__}")


def _layers(hidden: Any) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    """Convert and check the hidden layers."""
    out = []
    width = 2
    for i, (w, b) in enumerate(hidden):
        wa = np.asarray(w, dtype=object)
        ba = np.asarray(b, dtype=object)
        if wa.ndim != 2 or ba.shape != (wa.shape[0],) or wa.shape[1] != width:
            raise ParameterError(
                f"hidden layer {i}: expected W of shape (n, {width}) and b of shape (n,), "
                f"got {wa.shape} and {ba.shape}"
            )
        out.append(([[_frac(x) for x in row] for row in wa], [_frac(x) for x in ba]))
        width = wa.shape[0]
    return out


def _ring(ring: Any) -> list[Point]:
    """Convert and check the starting polygon."""
    pts = _clean([(_frac(x), _frac(y)) for x, y in ring])
    if len(pts) < 3:
        raise ParameterError("ring must be a polygon with positive area")
    n = len(pts)
    turns = [_cross(pts[i - 1], pts[i], pts[(i + 1) % n]) for i in range(n)]
    if not all(t > 0 for t in turns) or exact_area(pts) <= 0:
        raise ParameterError("ring must be a convex polygon with counter-clockwise vertices")
    return pts


def _compose(row: list[Fraction], bias: Fraction, amap: list[list[Fraction]]) -> list[Fraction]:
    """Coefficients ``(cx, cy, c1)`` of ``row @ a(x, y) + bias``."""
    coef = [sum((r * a[k] for r, a in zip(row, amap, strict=True)), Fraction(0)) for k in range(3)]
    coef[2] += bias
    return coef


def _cross(a: Point, b: Point, c: Point) -> Fraction:
    """Cross product of ``b - a`` and ``c - b`` (positive for a left turn)."""
    return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])


def _clean(pts: list[Point]) -> list[Point]:
    """Remove repeated and collinear vertices of a polygon (cyclically)."""
    pts = list(pts)
    changed = True
    while changed and len(pts) >= 3:
        changed = False
        for i in range(len(pts)):
            if _cross(pts[i - 1], pts[i], pts[(i + 1) % len(pts)]) == 0:
                del pts[i]
                changed = True
                break
    return pts


def _clip(verts: list[Point], values: list[Fraction]) -> list[Point]:
    """Sutherland–Hodgman: the part of a convex polygon where ``value >= 0``."""
    out = []
    n = len(verts)
    for i in range(n):
        p, q = verts[i], verts[(i + 1) % n]
        fp, fq = values[i], values[(i + 1) % n]
        if fp >= 0:
            out.append(p)
        if (fp > 0 > fq) or (fp < 0 < fq):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _split(piece: Cell, z: list[Fraction]) -> list[Cell]:
    """Split a cell by the affine function ``z``; append each part's bit."""
    verts, bits = piece
    values = [z[0] * x + z[1] * y + z[2] for x, y in verts]
    if all(v == 0 for v in values):  # z is identically zero on the cell
        return [(verts, (*bits, False))]
    out = []
    for sign in (1, -1):
        part = _clean(_clip(verts, [sign * v for v in values]))
        if len(part) >= 3 and exact_area(part) > 0:
            bit = any(z[0] * x + z[1] * y + z[2] > 0 for x, y in part)
            out.append((part, (*bits, bit)))
    if sum((exact_area(p) for p, _ in out), Fraction(0)) != exact_area(verts):
        raise RuntimeError("oracle invariant broken: the parts do not tile the cell")
    return out
