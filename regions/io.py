"""Load models from files, safely.

* A ``state_dict`` (``.pt``/``.pth``) is read with ``torch.load(weights_only=True)``; the MLP
  architecture is inferred from the 2-D ``*.weight`` tensors in key order (a ReLU between
  consecutive linear layers), or checked against ``arch`` such as ``(2, 20, 1)``.
* ``.safetensors`` files, when the ``safetensors`` package is installed.
* TorchScript archives (``torch.jit.save``) of an ``nn.Sequential`` of supported layers.
* A whole pickled ``nn.Module`` only with ``trust_pickle=True``: unpickling runs code.
"""

from __future__ import annotations

import os
import pathlib
import zipfile
from typing import Any

from ._validate import check_flag
from .errors import (
    ArgumentTypeError,
    NonFiniteWeightError,
    ParameterError,
    RegionsError,
    ShapeMismatchError,
    UnsupportedLayerError,
)

__all__ = ["ModelFileError", "load_model", "mlp_from_state_dict"]


class ModelFileError(RegionsError, ValueError):
    """A model file that is missing, unreadable, unsafe or of an unknown format."""


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _arch_widths(arch: Any) -> list[int] | None:
    """``arch`` as a list of positive ints (``None`` kept), or a clear error naming it.

    Raises
    ------
    ArgumentTypeError
        ``arch`` is text or not a sequence, or a width is not an integer.
    ParameterError
        A width is below 1.
    """
    import numpy as np

    if arch is None:
        return None
    if isinstance(arch, (str, bytes)) or not hasattr(arch, "__iter__"):
        raise ArgumentTypeError(
            f"arch must be a sequence of layer widths such as (2, 20, 1), got "
            f"{type(arch).__name__} {_short(arch)}"
        )
    widths = list(arch)
    for w in widths:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)):
            raise ArgumentTypeError(
                f"arch={_short(arch)}: layer widths must be integers, got "
                f"{type(w).__name__} {_short(w)}"
            )
        if w < 1:
            raise ParameterError(f"arch={_short(arch)}: layer widths must be >= 1, got {w}")
    return [int(w) for w in widths]


def _check_entry(key: str, t: Any) -> None:
    """Refuse a state_dict tensor that cannot be read as real dense values, naming ``key``.

    Raises
    ------
    ArgumentTypeError
        A complex, sparse, quantized or meta-device tensor.
    NonFiniteWeightError
        NaN or infinity in a floating-point tensor.
    """
    import torch

    if t.is_complex():
        raise ArgumentTypeError(
            f"state_dict entry {key!r} is complex ({t.dtype}); regions needs real weights"
        )
    if t.device.type == "meta":
        raise ArgumentTypeError(
            f"state_dict entry {key!r} is on the meta device, which holds no values; "
            "save the weights after loading or initialising them"
        )
    if t.layout != torch.strided:
        raise ArgumentTypeError(
            f"state_dict entry {key!r} is a sparse tensor ({t.layout}); save dense weights "
            "(tensor.to_dense())"
        )
    if t.is_quantized:
        raise ArgumentTypeError(
            f"state_dict entry {key!r} is quantized ({t.dtype}); save float weights "
            "(tensor.dequantize())"
        )
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = "NaN" if bool(torch.isnan(t).any()) else "infinite"
        raise NonFiniteWeightError(f"state_dict entry {key!r} has {bad} values")


def mlp_from_state_dict(state: dict[str, Any], arch: Any = None) -> Any:
    """Build an ``nn.Sequential`` MLP from a state_dict of linear layers.

    Parameters
    ----------
    state : dict of str to Tensor
        ``*.weight`` (out, in) and optional ``*.bias`` (out,) tensors, in layer order.
    arch : sequence of int, optional
        Expected widths from input to output, e.g. ``(2, 20, 1)``.

    Returns
    -------
    torch.nn.Sequential
        ``Linear, ReLU, ..., Linear`` in eval mode, float64.

    Raises
    ------
    ModelFileError
        If ``state`` is not a non-empty dict of tensors.
    ArgumentTypeError
        If an entry is complex, sparse, quantized or on the meta device (the
        message names its key), or ``arch`` is not a sequence of integers.
    NonFiniteWeightError
        If an entry holds NaN or infinity.
    UnsupportedLayerError
        If an entry is not the weight or bias of a linear layer.
    ShapeMismatchError
        If the layers do not chain, have no neuron, or do not match ``arch``.

    Examples
    --------
    >>> from regions.course import shallow_model
    >>> m = mlp_from_state_dict(shallow_model().state_dict(), arch=(2, 20, 1))
    >>> [type(x).__name__ for x in m]
    ['Linear', 'ReLU', 'Linear']
    """
    import torch
    from torch import nn

    widths_given = _arch_widths(arch)
    if not isinstance(state, dict) or not state:
        raise ModelFileError("the file does not hold a state_dict of tensors")
    prefixes = []
    for key, t in state.items():
        if not isinstance(t, torch.Tensor):
            raise ModelFileError(f"state_dict entry {key!r} is not a tensor")
        _check_entry(key, t)  # before any copy: torch would drop an imaginary part
        if key.endswith(".weight") or key == "weight":
            if t.ndim != 2:
                raise UnsupportedLayerError(
                    f"state_dict entry {key!r} has shape {tuple(t.shape)}: only linear layers "
                    "(2-D weights) can be inferred; build the model in Python instead"
                )
            if 0 in t.shape:
                raise ShapeMismatchError(
                    f"state_dict entry {key!r} has shape {tuple(t.shape)}: a linear layer "
                    "needs at least one input and one neuron"
                )
            prefixes.append(key[: -len("weight")])
        elif not (key.endswith(".bias") or key == "bias"):
            raise UnsupportedLayerError(
                f"state_dict entry {key!r} is neither a weight nor a bias of a linear layer"
            )
    if not prefixes:
        raise ModelFileError("the state_dict holds no linear-layer weights")
    for key in state:
        if (key.endswith(".bias") or key == "bias") and key[: -len("bias")] not in prefixes:
            raise UnsupportedLayerError(
                f"state_dict entry {key!r} is a bias without a weight "
                f"({key[: -len('bias')] + 'weight'!r} is missing)"
            )
    widths = [int(state[prefixes[0] + "weight"].shape[1])]
    layers: list[nn.Module] = []
    for i, p in enumerate(prefixes):
        w = state[p + "weight"]
        if int(w.shape[1]) != widths[-1]:
            raise ShapeMismatchError(
                f"state_dict layer {p + 'weight'!r} has shape {tuple(w.shape)}: it takes "
                f"{int(w.shape[1])} inputs, but the layer before has width {widths[-1]}"
            )
        b = state.get(p + "bias")
        lin = nn.Linear(int(w.shape[1]), int(w.shape[0]), bias=b is not None).double()
        with torch.no_grad():
            lin.weight.copy_(w)
            if b is not None:
                if tuple(b.shape) != (int(w.shape[0]),):
                    raise ShapeMismatchError(
                        f"state_dict entry {p + 'bias'!r} has shape {tuple(b.shape)}, "
                        f"expected ({int(w.shape[0])},)"
                    )
                lin.bias.copy_(b)
        if i:
            layers.append(nn.ReLU())
        layers.append(lin)
        widths.append(int(w.shape[0]))
    if widths_given is not None and widths_given != widths:
        raise ShapeMismatchError(
            f"arch={','.join(map(str, widths_given))} does not match the file, whose layers "
            f"are {','.join(map(str, widths))}"
        )
    return nn.Sequential(*layers).eval()


def load_model(path: Any, *, arch: Any = None, trust_pickle: bool = False) -> Any:
    """Load a model file into an ``nn.Module`` that :func:`regions.linear_regions` takes.

    Parameters
    ----------
    path : str or path-like
        A state_dict (``.pt``, ``.pth``), ``.safetensors``, TorchScript archive, or (with
        ``trust_pickle``) a pickled ``nn.Module``.
    arch : sequence of int, optional
        Expected layer widths, e.g. ``(2, 20, 1)``: how a state_dict is read, and a check
        for the other formats (an MLP's widths must match).
    trust_pickle : bool
        Allow unpickling a whole module. Unpickling runs code from the file: only for files
        you trust.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ArgumentTypeError
        ``path`` is not a str or path-like, or ``arch`` is not a sequence of
        integers; or a weight is complex, sparse, quantized or on the meta device.
    ParameterError
        ``path`` is empty, ``trust_pickle`` is not a bool, or a width in ``arch`` is below 1.
    ModelFileError
        Missing or unreadable file, unknown format, or a pickle without ``trust_pickle``.
    """
    import torch

    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"path must be a file name (str or path-like), got {type(path).__name__} "
            f"{_short(path)}"
        )
    if isinstance(path, str) and not path.strip():
        raise ParameterError(f"path must name a model file, got {path!r}")
    trust_pickle = check_flag("trust_pickle", trust_pickle)
    arch = _arch_widths(arch)
    try:
        p = pathlib.Path(path)
    except TypeError as exc:  # a path-like whose __fspath__ gives bytes or another type
        raise ArgumentTypeError(
            f"path must be a file name (str or path-like), got {type(path).__name__} "
            f"{_short(path)} ({exc})"
        ) from None
    if not p.exists():
        raise ModelFileError(f"model file {str(p)!r} does not exist")
    if p.is_dir():
        raise ModelFileError(f"model file {str(p)!r} is a directory; give the file inside it")
    if not p.is_file():
        raise ModelFileError(f"model file {str(p)!r} is not a regular file")
    if p.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ModelFileError(
                "reading .safetensors needs the safetensors package: pip install safetensors"
            ) from None
        try:
            state = load_file(str(p))
        except Exception as exc:  # a damaged or foreign file: name it
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise ModelFileError(f"cannot read {str(p)!r} as a .safetensors file: {msg}") from None
        return mlp_from_state_dict(state, arch)
    if zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as z:
                scripted = any(n.split("/")[1:2] == ["code"] for n in z.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise ModelFileError(f"cannot read {str(p)!r}: a damaged zip archive ({exc})") from None
        if scripted:
            import warnings

            try:
                with warnings.catch_warnings():  # torch marks TorchScript as deprecated
                    warnings.simplefilter("ignore", DeprecationWarning)
                    sm = torch.jit.load(str(p), map_location="cpu")
            except Exception as exc:
                msg = " ".join(str(exc).split())[:300] or type(exc).__name__
                raise ModelFileError(
                    f"cannot read {str(p)!r} as a TorchScript archive: {msg}"
                ) from None
            from .network import torchscript_to_module

            return _check_arch(torchscript_to_module(sm), arch)
    try:
        obj = torch.load(str(p), map_location="cpu", weights_only=not trust_pickle)
    except Exception as exc:
        msg = str(exc)
        if not trust_pickle and "Unsupported global" in msg:
            raise ModelFileError(
                f"{str(p)!r} holds a pickled Python object, not just tensors; loading a pickle "
                "runs code from the file, so it is refused. Save model.state_dict() instead, or "
                "pass --trust-pickle (trust_pickle=True) if you trust the file"
            ) from None
        raise ModelFileError(
            f"cannot read {str(p)!r}: it is not a state_dict, a TorchScript archive or a "
            f"torch file ({type(exc).__name__})"
        ) from None
    if isinstance(obj, torch.nn.Module):
        return _check_arch(obj, arch)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if isinstance(obj, dict):
        return mlp_from_state_dict(obj, arch)
    raise ModelFileError(f"{str(p)!r} holds a {type(obj).__name__}, not a model or state_dict")


def _check_arch(model: Any, arch: list[int] | None) -> Any:
    """The model, after checking its widths against ``arch`` (a list from ``_arch_widths``)."""
    if arch is None:
        return model
    from .network import Network

    try:
        net = Network.from_torch(model)
    except RegionsError as exc:
        raise ModelFileError(
            f"arch={','.join(map(str, arch))} is a check of an MLP's widths, and this model is "
            f"not a plain MLP ({exc})"
        ) from None
    widths = [2, *net.widths, net.n_out]
    if list(arch) != widths:
        raise ShapeMismatchError(
            f"arch={','.join(map(str, arch))} does not match the file, whose layers are "
            f"{','.join(map(str, widths))}"
        )
    return model
