"""Error classes raised by :mod:`regions`.

Every error a user can trigger with bad input derives from :class:`RegionsError`
and from :class:`ValueError` or :class:`TypeError`, so it can be caught either
way. Each message names the parameter, the layer (type and position) or the
value that is wrong.
"""

from __future__ import annotations

__all__ = [
    "RegionsError",
    "UnsupportedLayerError",
    "InputDimensionError",
    "ShapeMismatchError",
    "NonFiniteWeightError",
    "TrainingModeError",
    "DomainError",
    "VerificationError",
    "TopologyError",
    "RegionLimitError",
    "ParameterError",
    "ArgumentTypeError",
]


class RegionsError(Exception):
    """Base class of every error raised by :mod:`regions`."""


class UnsupportedLayerError(RegionsError, TypeError):
    """A module that is not on the whitelist, named with its type and position."""


class InputDimensionError(RegionsError, ValueError):
    """The model does not take 2-D input."""


class ShapeMismatchError(RegionsError, ValueError):
    """Two consecutive layers do not chain (``in_features`` differs from the width before)."""


class NonFiniteWeightError(RegionsError, ValueError):
    """A weight or bias holds NaN or infinity."""


class TrainingModeError(RegionsError, ValueError):
    """Dropout or BatchNorm in training mode: the model is not a fixed function."""


class DomainError(RegionsError, ValueError):
    """The domain (``bbox`` or polygon) is empty, inverted, not finite or malformed."""


class VerificationError(RegionsError, AssertionError):
    """:meth:`regions.Partition.verify` found a broken invariant; the message says which."""


class TopologyError(RegionsError, RuntimeError):
    """The splitter met a configuration it cannot resolve (an internal invariant failed)."""


class RegionLimitError(RegionsError, ValueError):
    """The partition grew past ``max_regions``; raised before memory runs out."""


class ParameterError(RegionsError, ValueError):
    """A keyword argument outside its allowed values, named with the value given.

    For example ``method``, ``kernel``, ``workers``, ``max_regions``, ``color_by``
    or ``resolution``.
    """


class ArgumentTypeError(RegionsError, TypeError):
    """An argument of the wrong type (``model``, ``partition``, ``raster``), named with its type."""
