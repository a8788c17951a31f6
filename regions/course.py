"""The two MLPs of the course exercise (``shared/seed``), with fixed seeds.

Exercise 3 builds a shallow 2-20-1 and a deep 2-5-5-5-5-1 regression MLP with
``torch.nn.Linear`` and ``torch.nn.ReLU`` and PyTorch's default initialisation.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Mapping, Sized
from typing import Any

from .errors import ArgumentTypeError, ParameterError

__all__ = ["mlp", "shallow_model", "deep_model", "SEED", "MAX_PARAMETERS", "MAX_SEED"]

#: The seed used for the course models in the demo, the examples and the README.
SEED: int = 0
#: The most parameters (weights and biases) :func:`mlp` builds: 10**8 float32 numbers
#: are 400 MB; far larger widths would exhaust memory (or hang) while allocating.
MAX_PARAMETERS: int = 10**8
#: The largest ``seed`` :func:`mlp` takes (seeds are non-negative 64-bit signed integers).
MAX_SEED: int = 2**63 - 1


def _is_bool(value: Any) -> bool:
    """True for ``bool`` and ``numpy.bool_`` (which are not layer widths or seeds)."""
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _as_int(value: Any, name: str, context: str = "") -> int:
    """``value`` as an int (``operator.index``; bools refused), or an error naming ``name``."""
    try:
        if _is_bool(value):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise ArgumentTypeError(
            f"{name} must be an int, got {type(value).__name__} {value!r}{context}"
        ) from None


def _check_widths(widths: Any) -> list[int]:
    """``widths`` as a list of at least two positive ints, within :data:`MAX_PARAMETERS`."""
    if isinstance(widths, (str, bytes, Mapping)) or not isinstance(widths, Iterable):
        raise ArgumentTypeError(
            "widths must be a sequence of int layer widths such as (2, 20, 1), got "
            f"{type(widths).__name__} {widths!r}"
        )
    if isinstance(widths, Sized) and len(widths) > MAX_PARAMETERS // 2 + 1:
        # every layer has at least two parameters (a weight and a bias)
        raise ParameterError(
            f"widths has {len(widths)} entries: more than MAX_PARAMETERS = {MAX_PARAMETERS} "
            "parameters"
        )
    items = list(widths)
    out = []
    for i, w in enumerate(items):
        n = _as_int(w, f"widths[{i}]", f" (widths={items!r})")
        if n < 1:
            raise ParameterError(f"widths[{i}] must be >= 1, got {n} (widths={items!r})")
        out.append(n)
    if len(out) < 2:
        raise ParameterError(
            f"widths must hold at least two widths (input and output), got {items!r}"
        )
    n_params = sum(a * b + b for a, b in itertools.pairwise(out))
    if n_params > MAX_PARAMETERS:
        raise ParameterError(
            f"widths={out!r} gives {n_params} parameters, more than MAX_PARAMETERS = "
            f"{MAX_PARAMETERS}"
        )
    return out


def _check_seed(seed: Any) -> int:
    """``seed`` as an int from 0 to :data:`MAX_SEED`."""
    s = _as_int(seed, "seed")
    if not 0 <= s <= MAX_SEED:
        raise ParameterError(f"seed must be an int from 0 to 2**63 - 1, got {s}")
    return s


def mlp(widths: tuple[int, ...] | list[int], seed: int = SEED) -> Any:
    """An ``nn.Sequential`` MLP with ReLU between layers and default init.

    Parameters
    ----------
    widths : sequence of int
        Layer widths from input to output, e.g. ``(2, 20, 1)``.
        At least two positive integers; the input width may be anything
        (:func:`regions.linear_regions` needs 2, or a ``plane``). At most
        :data:`MAX_PARAMETERS` weights and biases in all.
    seed : int
        Seed of a local ``torch.Generator`` used for the initialisation (the
        global torch RNG is left untouched), from 0 to :data:`MAX_SEED`.

    Returns
    -------
    torch.nn.Sequential
        In eval mode.

    Raises
    ------
    ArgumentTypeError
        If ``widths`` is not a sequence of ints, or ``seed`` not an int (a
        bool is neither).
    ParameterError
        If ``widths`` has fewer than two entries, an entry below 1 or more than
        :data:`MAX_PARAMETERS` parameters, or ``seed`` is out of range.

    Examples
    --------
    >>> m = mlp((2, 20, 1))
    >>> sum(p.numel() for p in m.parameters())
    81
    >>> sum(p.numel() for p in mlp((2, 5, 5, 5, 5, 1)).parameters())
    111
    """
    widths = _check_widths(widths)
    seed = _check_seed(seed)
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        lin = nn.Linear(a, b)
        # PyTorch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
        bound = 1.0 / float(a) ** 0.5
        with torch.no_grad():
            lin.weight.uniform_(-bound, bound, generator=gen)
            lin.bias.uniform_(-bound, bound, generator=gen)
        layers.append(lin)
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).eval()


def shallow_model(seed: int = SEED) -> Any:
    """The course's shallow model: 2-20-1 (81 parameters).

    Parameters
    ----------
    seed : int

    Returns
    -------
    torch.nn.Sequential
    """
    return mlp((2, 20, 1), seed)


def deep_model(seed: int = SEED) -> Any:
    """The course's deep model: 2-5-5-5-5-1 (111 parameters).

    Parameters
    ----------
    seed : int

    Returns
    -------
    torch.nn.Sequential
    """
    return mlp((2, 5, 5, 5, 5, 1), seed)
