"""Bounds on the number of linear regions of a ReLU MLP with 2-D input.

All three count regions of the whole input plane ``R^2`` (not of a box),
as exact integers.

``one_layer_max(n)``
    One hidden layer of ``n`` neurons: ``n`` lines in general position cut
    the plane into ``sum_{j=0}^{2} C(n, j) = 1 + n + n(n-1)/2`` regions
    (Zaslavsky; exercise 4 of the course sheet), and no arrangement of ``n``
    lines makes more.

``serra_upper_bound(widths)``
    Serra, Tjandraatmadja & Ramalingam, "Bounding and counting linear
    regions of deep neural networks", ICML 2018, Theorem 1: a rectifier
    network with input dimension ``n0`` and hidden widths ``n_1 .. n_L`` has
    at most ``sum_{(j_1..j_L) in J} prod_{l=1}^{L} C(n_l, j_l)`` regions,
    ``J = {(j_1..j_L) : 0 <= j_l <= min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)}``.

``montufar_lower_bound(n, depth)``
    Montúfar, Pascanu, Cho & Bengio, "On the number of linear regions of
    deep neural networks", NeurIPS 2014, Corollary 6: the *maximal* number
    of regions of a rectifier network with ``n0`` inputs and ``L`` hidden
    layers of width ``n >= n0`` is at least
    ``(prod_{l=1}^{L-1} floor(n / n0)^{n0}) * sum_{j=0}^{n0} C(n, j)``.
    It bounds what *some* choice of weights reaches, not a random net.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["one_layer_max", "serra_upper_bound", "montufar_lower_bound"]

#: Input dimension of every network :mod:`regions` handles.
N0: int = 2


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def one_layer_max(n: int) -> int:
    """Most regions one hidden layer of ``n`` ReLU neurons makes in the plane.

    Parameters
    ----------
    n : int
        Width, at least 0.

    Returns
    -------
    int
        ``1 + n + n(n-1)/2 = sum_{j=0}^{2} C(n, j)``.

    Raises
    ------
    ValueError
        If ``n`` is not an int >= 0.

    Examples
    --------
    >>> [one_layer_max(n) for n in (0, 1, 2, 3, 20)]
    [1, 2, 4, 7, 211]
    """
    n = _check_int(n, "n", 0)
    return sum(math.comb(n, j) for j in range(N0 + 1))


def serra_upper_bound(widths: Any) -> int:
    """Serra et al. (2018), Theorem 1, for input dimension 2.

    Computed by dynamic programming over ``m_l = min(n0, n_1 - j_1, ...,
    n_{l-1} - j_{l-1})`` (``j_l <= min(m_l, n_l)``, ``m_{l+1} = min(m_l,
    n_l - j_l)``), which sums the product over ``J`` exactly.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``n_1 .. n_L`` (each at least 1), input and output
        excluded.

    Returns
    -------
    int
        The upper bound on the number of regions of the plane.

    Raises
    ------
    ValueError
        If ``widths`` is empty or holds a width that is not an int >= 1.

    Examples
    --------
    One layer: the bound is the one-layer maximum. Two layers of two:

    >>> serra_upper_bound([20]) == one_layer_max(20) == 211
    True
    >>> serra_upper_bound([2, 2])
    11
    >>> serra_upper_bound([5, 5, 5, 5]), serra_upper_bound([20, 20])
    (65536, 44521)
    """
    if isinstance(widths, (int, np.integer)) or not np.iterable(widths):
        raise ParameterError(f"widths must be a sequence of ints, got {widths!r}")
    ws = [_check_int(w, "widths", 1) for w in widths]
    if not ws:
        raise ParameterError("widths must hold at least one hidden width")
    ways = {N0: 1}  # m -> sum of the products so far over the prefixes with that m
    for n in ws:
        nxt: dict[int, int] = {}
        for m, total in ways.items():
            for j in range(min(m, n) + 1):
                key = min(m, n - j)
                nxt[key] = nxt.get(key, 0) + total * math.comb(n, j)
        ways = nxt
    return sum(ways.values())


def montufar_lower_bound(n: int, depth: int) -> int:
    """Montúfar et al. (2014), Corollary 6, for input dimension 2.

    Parameters
    ----------
    n : int
        Width of every hidden layer, at least 2 (``n >= n0``).
    depth : int
        Number of hidden layers ``L``, at least 1.

    Returns
    -------
    int
        ``floor(n/2)^(2 (L-1)) * (1 + n + n(n-1)/2)``: some network of this
        shape has at least this many regions in the plane.

    Raises
    ------
    ValueError
        If ``n`` or ``depth`` is out of range.

    Examples
    --------
    >>> montufar_lower_bound(20, 1) == one_layer_max(20)
    True
    >>> montufar_lower_bound(5, 4), montufar_lower_bound(4, 3)
    (1024, 176)
    >>> montufar_lower_bound(5, 4) <= serra_upper_bound([5, 5, 5, 5])
    True
    """
    n = _check_int(n, "n", N0)
    depth = _check_int(depth, "depth", 1)
    return (n // N0) ** (N0 * (depth - 1)) * one_layer_max(n)
