"""Checks of keyword arguments shared by several modules (flags and relative tolerances)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["check_flag", "check_rtol"]


def check_flag(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False`` (numpy bools too), else a ``ParameterError``.

    Examples
    --------
    >>> check_flag("merge", False)
    False
    >>> check_flag("drop_boundary", "False")
    Traceback (most recent call last):
    ...
    regions.errors.ParameterError: drop_boundary must be True or False, got 'False'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_rtol(rtol: Any, name: str = "rtol") -> float:
    """``rtol`` as a float in ``[0, 1)``; text and bools are refused, not parsed.

    Examples
    --------
    >>> check_rtol(1e-6)
    1e-06
    >>> check_rtol("1e-6")
    Traceback (most recent call last):
    ...
    regions.errors.ParameterError: rtol must be a number in [0, 1), got '1e-6'
    """
    if isinstance(rtol, (str, bytes, bool, np.bool_)):
        raise ParameterError(f"{name} must be a number in [0, 1), got {rtol!r}")
    try:
        value = float(rtol)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number in [0, 1), got {rtol!r}") from None
    if not 0.0 <= value < 1.0:
        raise ParameterError(f"{name} must be a number in [0, 1), got {rtol!r}")
    return value
