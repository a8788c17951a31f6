"""Read a torch model into a :class:`Network`: the affine layers between ReLUs.

The supported modules are an explicit whitelist, matched by exact type
(``type(m) is nn.ReLU``, never ``isinstance`` or a name test), so a subclass or
a look-alike such as ``nn.ReLU6`` is rejected by name instead of being silently
treated as ReLU.

Supported (this release)
    ``nn.Sequential`` (nested), ``nn.Linear``, ``nn.ReLU``, ``nn.Identity``,
    ``nn.Flatten`` (``start_dim=1``, a no-op on 2-D input) and ``nn.Dropout``
    in eval mode.

Consecutive affine modules are composed, so the network becomes
``a_0 = x``, ``z_l = W_l a_{l-1} + b_l``, ``a_l = relu(z_l)`` for each ReLU,
and ``y = W_out a_L + b_out``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import (
    ArgumentTypeError,
    InputDimensionError,
    NonFiniteWeightError,
    ShapeMismatchError,
    TrainingModeError,
    UnsupportedLayerError,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["Network", "as_network", "SUPPORTED_LAYERS", "cpu_float64_copy", "tensor_values"]

#: Names of the supported torch modules (matched by exact type).
SUPPORTED_LAYERS: tuple[str, ...] = (
    "nn.Sequential",
    "nn.Linear",
    "nn.ReLU",
    "nn.Identity",
    "nn.Flatten",
    "nn.Dropout",
)


@dataclass(frozen=True, eq=False)
class Network:
    """A ReLU network as float64 arrays.

    Parameters
    ----------
    hidden : tuple of (W, b)
        One entry per ReLU layer: ``W`` is an (n_l, d_{l-1}) float64 array and
        ``b`` an (n_l,) float64 array, with ``d_0 = 2``.
    output : (W, b)
        The output affine map: (n_out, d_L) and (n_out,) float64 arrays.
    relu_paths : tuple of str
        The position of each layer's ReLU in the torch model (``""`` when built
        from arrays).
    module : torch.nn.Module or None
        The model it was read from; used only by ``verify`` for a torch forward
        pass on a float64 copy. It is never modified.

    Examples
    --------
    >>> import numpy as np
    >>> net = Network.from_arrays([(np.eye(2), np.zeros(2))], (np.ones((1, 2)), np.zeros(1)))
    >>> net.widths, net.n_neurons, net.n_out
    ((2,), 2, 1)
    >>> net.forward(np.array([[1.0, -3.0]]))
    array([[1.]])
    """

    hidden: tuple[tuple[np.ndarray, np.ndarray], ...]
    output: tuple[np.ndarray, np.ndarray]
    relu_paths: tuple[str, ...] = ()
    module: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_arrays(
        cls,
        hidden: Any,
        output: Any,
    ) -> Network:
        """Build a network from weight arrays, validating shapes and values.

        Parameters
        ----------
        hidden : sequence of (W, b)
            Hidden layers, (n_l, d_{l-1}) and (n_l,) array-likes, ``d_0 = 2``.
        output : (W, b)
            Output layer, (n_out, d_L) and (n_out,).

        Returns
        -------
        Network
        """
        layers = []
        width = 2
        for i, (w, b) in enumerate([*list(hidden), output]):
            w = np.array(w, dtype=np.float64, copy=True)
            b = np.array(b, dtype=np.float64, copy=True)
            name = f"hidden layer {i}" if i < len(hidden) else "output layer"
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ShapeMismatchError(
                    f"{name}: weight must be (n, d) and bias (n,), got {w.shape} and {b.shape}"
                )
            if w.shape[1] != width:
                if i == 0:
                    raise InputDimensionError(
                        f"{name} takes {w.shape[1]}-D input; regions works on 2-D inputs"
                    )
                raise ShapeMismatchError(
                    f"{name} takes {w.shape[1]} inputs but the layer before has width {width}"
                )
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                raise NonFiniteWeightError(f"{name} has NaN or infinite weights or bias")
            layers.append((w, b))
            width = w.shape[0]
        return cls(tuple(layers[:-1]), layers[-1], ("",) * (len(layers) - 1))

    @classmethod
    def from_torch(cls, model: torch.nn.Module) -> Network:
        """Read a torch model (see the module docstring for what is supported).

        Parameters
        ----------
        model : torch.nn.Module
            An ``nn.Sequential`` (possibly nested) of supported modules, or one
            supported module. It is not modified.

        Returns
        -------
        Network

        Raises
        ------
        UnsupportedLayerError
            For any module not on the whitelist, naming its type and position.
        InputDimensionError, ShapeMismatchError, NonFiniteWeightError, TrainingModeError
        """
        import torch
        from torch import nn

        if not isinstance(model, nn.Module):
            raise ArgumentTypeError(
                f"model must be a torch.nn.Module or a regions.Network, got {type(model).__name__}"
            )
        leaves = list(_walk(model, ""))
        width = 2
        acc_w = np.eye(2)
        acc_b = np.zeros(2)
        first_linear = True
        hidden: list[tuple[np.ndarray, np.ndarray]] = []
        paths: list[str] = []
        for path, m in leaves:
            t = type(m)
            where = f"nn.{t.__name__} at index {path}" if path else f"nn.{t.__name__}"
            if t is nn.Linear:
                w = tensor_values(m.weight, where, "weight")
                b = (
                    tensor_values(m.bias, where, "bias") if m.bias is not None
                    else np.zeros(w.shape[0])
                )
                if w.shape[1] != width:
                    if first_linear:
                        raise InputDimensionError(
                            f"{where} has in_features={w.shape[1]}: the model takes "
                            f"{w.shape[1]}-D input, and regions works on 2-D inputs"
                        )
                    raise ShapeMismatchError(
                        f"{where} has in_features={w.shape[1]}, but the layer before "
                        f"has width {width}"
                    )
                if w.shape[0] == 0:
                    raise ShapeMismatchError(f"{where} has out_features=0: no neuron to read")
                first_linear = False
                with np.errstate(over="ignore", invalid="ignore"):
                    acc_w = w @ acc_w
                    acc_b = w @ acc_b + b
                if not (np.isfinite(acc_w).all() and np.isfinite(acc_b).all()):
                    raise NonFiniteWeightError(
                        f"composing the affine layers up to {where} overflows float64 "
                        "(weights too large to multiply out)"
                    )
                width = w.shape[0]
            elif t is nn.ReLU:
                hidden.append((acc_w, acc_b))
                paths.append(path)
                acc_w = np.eye(width)
                acc_b = np.zeros(width)
            elif t is nn.Identity:
                pass
            elif t is nn.Flatten:
                if m.start_dim != 1 or m.end_dim != -1:
                    raise UnsupportedLayerError(
                        f"{where} with start_dim={m.start_dim}, end_dim={m.end_dim}: only "
                        "nn.Flatten(start_dim=1, end_dim=-1) is supported"
                    )
            elif t is nn.Dropout:
                if m.training:
                    raise TrainingModeError(
                        f"{where} is in training mode, so the model is random; call "
                        "model.eval() first"
                    )
            elif t in (nn.BatchNorm1d, nn.BatchNorm2d) and m.training:
                raise TrainingModeError(
                    f"{where} is in training mode, so the model depends on the batch; call "
                    "model.eval() first"
                )
            else:
                raise UnsupportedLayerError(
                    f"unsupported layer {where}; supported layers are "
                    + ", ".join(SUPPORTED_LAYERS)
                    + " (matched by exact type)"
                )
        del torch
        return cls(tuple(hidden), (acc_w, acc_b), tuple(paths), model)

    # ------------------------------------------------------------ properties
    @property
    def widths(self) -> tuple[int, ...]:
        """Number of neurons of each hidden layer."""
        return tuple(int(w.shape[0]) for w, _ in self.hidden)

    @property
    def n_neurons(self) -> int:
        """Total number of hidden neurons ``N``."""
        return int(sum(self.widths))

    @property
    def n_out(self) -> int:
        """Number of outputs."""
        return int(self.output[0].shape[0])

    # ------------------------------------------------------------ evaluation
    def preactivations(self, x: np.ndarray) -> list[np.ndarray]:
        """Pre-activations of every hidden layer at a batch of points.

        Parameters
        ----------
        x : (P, 2) float64 array

        Returns
        -------
        list of (P, n_l) float64 arrays
        """
        a = np.asarray(x, dtype=np.float64)
        out = []
        for w, b in self.hidden:
            z = a @ w.T + b
            out.append(z)
            a = np.maximum(z, 0.0)
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Network output at a batch of points.

        Parameters
        ----------
        x : (P, 2) float64 array

        Returns
        -------
        y : (P, n_out) float64 array
        """
        a = np.asarray(x, dtype=np.float64)
        for w, b in self.hidden:
            a = np.maximum(a @ w.T + b, 0.0)
        w, b = self.output
        return a @ w.T + b

    def affine_maps(
        self, patterns: np.ndarray, chunk: int = 4096
    ) -> tuple[np.ndarray, np.ndarray]:
        """Affine output map of each activation pattern.

        In a region with activation pattern ``p`` the network is
        ``y = J x + o`` with
        ``[J | o] = W_out D_L (W_L ... D_1 [W_1 | b_1] ...)``, where ``D_l`` is
        the diagonal 0/1 matrix of layer ``l``'s pattern.

        Parameters
        ----------
        patterns : (R, N) bool array
            Activation patterns, hidden layers concatenated in order.
        chunk : int
            Regions handled at once (bounds memory).

        Returns
        -------
        jacobians : (R, n_out, 2) float64 array
        offsets : (R, n_out) float64 array
        """
        patterns = np.asarray(patterns, dtype=bool)
        r = patterns.shape[0]
        jac = np.empty((r, self.n_out, 2))
        off = np.empty((r, self.n_out))
        bounds = np.cumsum((0, *self.widths))
        if self.n_out < 3:
            # from the output back: n_out rows per region instead of 3 columns
            w, b = self.output
            for s in range(0, r, chunk):
                p = patterns[s : s + chunk]
                c = p.shape[0]
                g = np.repeat(w[None], c, axis=0)  # (c, n_out, d_l): W_out D_L W_L ...
                o = np.repeat(b[None], c, axis=0)
                for l_ in range(len(self.hidden) - 1, -1, -1):
                    wl, bl = self.hidden[l_]
                    g *= p[:, None, bounds[l_] : bounds[l_ + 1]]
                    o += g @ bl
                    g = (g.reshape(c * self.n_out, -1) @ wl).reshape(c, self.n_out, -1)
                jac[s : s + c] = g
                off[s : s + c] = o
            return jac, off
        for s in range(0, r, chunk):
            p = patterns[s : s + chunk]
            c = p.shape[0]
            # m: (c, d, 3) affine map [A | a] of the current activations
            m = np.broadcast_to(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (c, 2, 3))
            for l_, (w, b) in enumerate(self.hidden):
                z = np.einsum("ij,cjk->cik", w, m, optimize=True)
                z[:, :, 2] += b
                m = z * p[:, bounds[l_] : bounds[l_ + 1], None]
            w, b = self.output
            y = np.einsum("ij,cjk->cik", w, m, optimize=True)
            jac[s : s + c] = y[:, :, :2]
            off[s : s + c] = y[:, :, 2] + b
        return jac, off


def as_network(model: Any) -> Network:
    """Return ``model`` if it is a :class:`Network`, else read it from torch.

    Parameters
    ----------
    model : Network or torch.nn.Module

    Returns
    -------
    Network
    """
    if isinstance(model, Network):
        return model
    return Network.from_torch(unwrap_model(model))


def _walk(module: Any, prefix: str) -> Any:
    from torch import nn

    if type(module) is nn.Sequential:
        # not named_children(): it skips a module that appears twice (a reused nn.ReLU)
        for name, child in module._modules.items():
            if child is None:
                continue
            yield from _walk(child, f"{prefix}.{name}" if prefix else name)
    elif type(module) is nn.ModuleList:
        raise UnsupportedLayerError(
            f"nn.ModuleList at index {prefix or '<model>'} has no forward; wrap the layers in "
            "nn.Sequential"
        )
    else:
        yield prefix, module


def unwrap_model(model: Any) -> Any:
    """The module a torch wrapper runs, for wrappers that compute its function unchanged.

    ``torch.compile(m)`` (an ``OptimizedModule``) and ``nn.DataParallel(m)``
    compute ``m``'s function, so their regions are ``m``'s: ``m`` is read and
    checked instead (nested wrappers too). A TorchScript module
    (``torch.jit.script`` or ``torch.jit.trace`` of an ``nn.Sequential`` of
    supported layers) is rebuilt as that ``nn.Sequential``. Anything else
    comes back as it is.

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> unwrap_model(torch.nn.DataParallel(m)) is m
    True
    >>> unwrap_model(m) is m
    True
    """
    import torch
    from torch import nn

    while True:
        t = type(model)
        if isinstance(model, torch.jit.ScriptModule):  # scripted or traced nn.Sequential
            from .io import _from_torchscript

            return _from_torchscript(model)
        if t is nn.DataParallel:
            model = model.module
        elif (
            t.__name__ == "OptimizedModule"
            and t.__module__.startswith("torch._dynamo")
            and isinstance(getattr(model, "_orig_mod", None), nn.Module)
        ):
            model = model._orig_mod
        else:
            return model


def cpu_float64_copy(module: Any) -> Any:
    """A float64 copy of a torch module on the CPU; the module itself is not touched.

    Every forward pass ``regions`` makes through a user's model (the checks of
    ``verify``, the raster, the general compiler) runs on such a copy, so a
    model that lives on a GPU (or in float32, bfloat16, ...) is evaluated
    the same way as one on the CPU.
    """
    import copy

    import torch

    out = copy.deepcopy(module).to(device="cpu", dtype=torch.float64)
    for prm in out.parameters():  # .to(dtype=...) leaves integer parameters alone
        if not prm.is_floating_point():
            prm.data = prm.data.to(torch.float64)
    return out


def tensor_values(t: Any, where: str, name: str) -> np.ndarray:
    """A weight tensor as a float64 array, or a clear error naming its layer.

    Parameters
    ----------
    t : torch.Tensor
    where : str
        The layer, e.g. ``"nn.Linear at index 0"``.
    name : str
        The tensor's role, e.g. ``"weight"``.

    Returns
    -------
    a : float64 array of ``t``'s shape

    Raises
    ------
    ArgumentTypeError
        A complex tensor, or one on the ``meta`` device (it holds no values).
    NonFiniteWeightError
        NaN or infinity in the tensor.
    """
    if t.is_complex():
        raise ArgumentTypeError(
            f"{where} has a complex {name} ({t.dtype}); regions needs real weights"
        )
    if t.device.type == "meta":
        raise ArgumentTypeError(
            f"{where} has its {name} on the meta device, which holds no values; "
            "load or initialise the weights first"
        )
    a: np.ndarray = t.detach().to(device="cpu").double().numpy().copy()
    if not np.isfinite(a).all():
        bad = "NaN" if np.isnan(a).any() else "infinite"
        raise NonFiniteWeightError(f"{where} has {bad} values in its {name}")
    return a
