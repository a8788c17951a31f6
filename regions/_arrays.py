"""Array-likes from users as float64 arrays: torch tensors detached, complex and text refused."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["real_array"]


def real_array(value: Any) -> np.ndarray:
    """``value`` as a float64 array, or ``TypeError``/``ValueError`` for the caller to name.

    A torch tensor (on any device, with or without ``requires_grad``) is
    detached and copied to the CPU first. Complex values (numpy or torch) and
    text are refused rather than cast: numpy would drop an imaginary part with
    only a warning, and parse ``"3"`` as a number.

    Parameters
    ----------
    value : array-like or torch.Tensor

    Returns
    -------
    a : float64 array of ``value``'s shape

    Raises
    ------
    TypeError
        Complex, text or other non-numeric values; a tensor on the meta device.
    ValueError
        Values numpy cannot read as numbers (ragged nesting, integers beyond
        float64, ...), or a masked
        array with masked entries (``np.asarray`` would read what lies under
        the mask).

    Examples
    --------
    >>> real_array([1, 2.5]).tolist()
    [1.0, 2.5]
    >>> real_array(np.array([1 + 2j]))
    Traceback (most recent call last):
    ...
    TypeError: complex values (complex128) are not real numbers
    """
    mod = type(value).__module__ or ""
    if mod.startswith("torch") and hasattr(value, "detach") and hasattr(value, "is_complex"):
        if value.is_complex():
            raise TypeError(f"complex values ({value.dtype}) are not real numbers")
        if value.device.type == "meta":
            raise TypeError("a tensor on the meta device holds no values")
        value = value.detach().to(device="cpu").double().numpy()
    if isinstance(value, np.ma.MaskedArray) and np.ma.getmaskarray(value).any():
        raise ValueError("a masked array with masked entries: they hold no values")
    a = np.asarray(value)
    if a.dtype.kind == "c":
        raise TypeError(f"complex values ({a.dtype}) are not real numbers")
    if a.dtype.kind in "USV":
        raise TypeError(f"text or raw values ({a.dtype}) are not numbers")
    if a.dtype.kind == "O":  # e.g. Fraction or Decimal entries: each must be real
        for v in a.flat:
            if isinstance(v, (complex, np.complexfloating, str, bytes)):
                raise TypeError(f"{type(v).__name__} value {v!r} is not a real number")
    try:
        return np.asarray(a, dtype=np.float64)
    except OverflowError as exc:  # a Python int beyond float64 (10**400)
        raise ValueError(f"a value too large for float64 ({exc})") from None
