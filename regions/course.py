"""The two MLPs of the course exercise (``shared/seed``), with fixed seeds.

Exercise 3 builds a shallow 2-20-1 and a deep 2-5-5-5-5-1 regression MLP with
``torch.nn.Linear`` and ``torch.nn.ReLU`` and PyTorch's default initialisation.
"""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["mlp", "shallow_model", "deep_model", "SEED"]

#: The seed used for the course models in the demo, the examples and the README.
SEED: int = 0


def mlp(widths: tuple[int, ...] | list[int], seed: int = SEED) -> Any:
    """An ``nn.Sequential`` MLP with ReLU between layers and default init.

    Parameters
    ----------
    widths : sequence of int
        Layer widths from input to output, e.g. ``(2, 20, 1)``.
    seed : int
        Seed of a local ``torch.Generator`` used for the initialisation (the
        global torch RNG is left untouched).

    Returns
    -------
    torch.nn.Sequential
        In eval mode.

    Examples
    --------
    >>> m = mlp((2, 20, 1))
    >>> sum(p.numel() for p in m.parameters())
    81
    >>> sum(p.numel() for p in mlp((2, 5, 5, 5, 5, 1)).parameters())
    111
    """
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(int(seed))
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
