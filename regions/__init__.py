"""Exact linear regions of piecewise-linear (ReLU) torch networks over a 2-D domain.

>>> import torch, regions
>>> model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
>>> p = regions.linear_regions(model, bbox=(-10, -10, 10, 10))
>>> p.verify()
"""

from __future__ import annotations

from .domain import DEFAULT_BBOX, Domain, as_domain
from .engine import METHODS, count_regions, linear_regions
from .errors import (
    DomainError,
    InputDimensionError,
    NonFiniteWeightError,
    RegionsError,
    ShapeMismatchError,
    TopologyError,
    TrainingModeError,
    UnsupportedLayerError,
    VerificationError,
)
from .network import SUPPORTED_LAYERS, Network, as_network
from .partition import Partition, check_partition

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BBOX",
    "METHODS",
    "SUPPORTED_LAYERS",
    "Domain",
    "DomainError",
    "InputDimensionError",
    "Network",
    "NonFiniteWeightError",
    "Partition",
    "RegionsError",
    "ShapeMismatchError",
    "TopologyError",
    "TrainingModeError",
    "UnsupportedLayerError",
    "VerificationError",
    "__version__",
    "as_domain",
    "as_network",
    "check_partition",
    "count_regions",
    "linear_regions",
]
