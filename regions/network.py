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

from ._arrays import real_array
from .errors import (
    ArgumentTypeError,
    InputDimensionError,
    NonFiniteWeightError,
    ParameterError,
    ShapeMismatchError,
    TrainingModeError,
    UnsupportedLayerError,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "Network",
    "as_network",
    "SUPPORTED_LAYERS",
    "cpu_float64_copy",
    "snapshot_model",
    "reparametrized",
    "tensor_values",
    "torchscript_to_module",
]

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
        A float64 CPU copy of the model it was read from, taken when it was
        read (:func:`snapshot_model`): training the model further does not
        change it. Used by ``verify`` (and the raster) for torch forward
        passes. The user's model is never modified.

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

    def __post_init__(self) -> None:
        """Check the layers as :meth:`from_arrays` does (a ``Network`` built directly too).

        Raises
        ------
        ArgumentTypeError
            If a layer is not a pair of float64 numpy arrays (build it with
            :meth:`from_arrays`, which converts array-likes).
        ShapeMismatchError, InputDimensionError, NonFiniteWeightError
            As :meth:`from_arrays`.
        """
        layers = [*self.hidden, self.output] if isinstance(self.hidden, tuple) else None
        if layers is None:
            raise ArgumentTypeError(
                f"Network(hidden=...) must be a tuple of (W, b) pairs, got "
                f"{type(self.hidden).__name__}; Network.from_arrays(hidden, output) converts "
                "array-likes and checks them"
            )
        width = 2
        for i, pair in enumerate(layers):
            name = f"hidden layer {i}" if i < len(self.hidden) else "output layer"
            ok = isinstance(pair, tuple) and len(pair) == 2 and all(
                isinstance(a, np.ndarray) and a.dtype == np.float64 for a in pair
            )
            if not ok:
                raise ArgumentTypeError(
                    f"{name} of Network(...) must be a (W, b) tuple of float64 numpy arrays; "
                    "Network.from_arrays(hidden, output) converts array-likes and checks them"
                )
            w, b = pair
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
            if i == len(self.hidden) and w.shape[0] == 0:
                raise ShapeMismatchError(f"{name} has no outputs (weight of shape {w.shape})")
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                raise NonFiniteWeightError(f"{name} has NaN or infinite weights or bias")
            width = w.shape[0]

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
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise ArgumentTypeError(
                f"hidden must be a sequence of (W, b) pairs, got {type(hidden).__name__}"
            )
        hidden = list(hidden)
        pairs = []
        for i, pair in enumerate([*hidden, output]):
            name = f"hidden[{i}]" if i < len(hidden) else "output"
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__"):
                raise ArgumentTypeError(
                    f"{name} must be a (W, b) pair of arrays, got {type(pair).__name__}"
                )
            if len(pair) != 2:
                raise ShapeMismatchError(
                    f"{name} must be a (W, b) pair of arrays, got {len(pair)} entries"
                )
            for part, a in zip("Wb", pair, strict=True):
                if isinstance(a, (str, bytes)):
                    raise ArgumentTypeError(f"{name}: {part} must be an array, got a string")
            try:  # copies; torch tensors detached (parameters too), complex refused
                pairs.append((real_array(pair[0]).copy(), real_array(pair[1]).copy()))
            except (TypeError, ValueError) as exc:
                raise ArgumentTypeError(
                    f"{name}: W and b must be arrays of real numbers ({exc})"
                ) from None
        # shapes, chaining and values: checked by __post_init__
        return cls(tuple(pairs[:-1]), pairs[-1], ("",) * (len(pairs) - 1))

    @classmethod
    def from_torch(cls, model: torch.nn.Module, *, copy: bool = True) -> Network:
        """Read a torch model (see the module docstring for what is supported).

        Parameters
        ----------
        model : torch.nn.Module
            An ``nn.Sequential`` (possibly nested) of supported modules, or one
            supported module. It is not modified.
        copy : bool, default True
            Keep a float64 copy of the model as ``module`` (:func:`snapshot_model`).
            ``False`` reads the weights in place and keeps a reference to the
            model itself, for a count that keeps nothing (``count_regions``);
            a model with reparametrized weights (pruning, ``weight_norm``,
            ``parametrize``, ...) is copied either way.

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
        if copy or reparametrized(model):
            model = snapshot_model(model)  # the weights as they are now, kept for verify()
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
                if w.ndim != 2:
                    raise ShapeMismatchError(
                        f"{where} has a weight of shape {w.shape}; nn.Linear's weight is "
                        "(out_features, in_features)"
                    )
                b = (
                    tensor_values(m.bias, where, "bias") if m.bias is not None
                    else np.zeros(w.shape[0])
                )
                if b.shape != (w.shape[0],):
                    raise ShapeMismatchError(
                        f"{where} has a bias of shape {b.shape} for a weight of shape "
                        f"{w.shape}; the bias must be ({w.shape[0]},)"
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
        a = _points(x)
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
        a = _points(x)
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
        if isinstance(chunk, (bool, np.bool_)) or not isinstance(chunk, (int, np.integer)):
            raise ParameterError(f"chunk must be a positive integer, got {chunk!r}")
        if chunk < 1:
            raise ParameterError(f"chunk must be a positive integer, got {chunk}")
        patterns = np.asarray(patterns)
        if patterns.ndim != 2 or patterns.shape[1] != self.n_neurons:
            raise ShapeMismatchError(
                f"patterns must be an (R, {self.n_neurons}) bool array (one column per hidden "
                f"neuron), got shape {patterns.shape}"
            )
        if patterns.dtype != bool:
            if patterns.dtype.kind not in "biuf" or not np.isin(patterns, (0, 1)).all():
                raise ArgumentTypeError(
                    f"patterns must hold booleans (or 0 and 1), got dtype {patterns.dtype}"
                )
            patterns = patterns.astype(bool)
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
    checked instead (nested wrappers too). A TorchScript module is rebuilt
    by :func:`torchscript_to_module` (an ``nn.Sequential`` of supported
    layers; anything else is refused with ``UnsupportedLayerError``).
    Anything else comes back as it is (a ``torch.fx.GraphModule`` is an
    ``nn.Module`` already and is compiled like any other).

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
            return torchscript_to_module(model)
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


#: What :func:`torchscript_to_module` reads from a TorchScript module's graph when
#: the module has no Python attributes (``torch.jit.trace``): the one ``aten`` op
#: of each layer and the positions of its constant arguments.
_TRACED_OPS: dict[str, tuple[str, dict[str, int]]] = {
    "Conv1d": ("aten::_convolution", {"stride": 3, "padding": 4, "dilation": 5, "groups": 8}),
    "Conv2d": ("aten::_convolution", {"stride": 3, "padding": 4, "dilation": 5, "groups": 8}),
    "MaxPool1d": (
        "aten::max_pool1d",
        {"kernel_size": 1, "stride": 2, "padding": 3, "dilation": 4, "ceil_mode": 5},
    ),
    "MaxPool2d": (
        "aten::max_pool2d",
        {"kernel_size": 1, "stride": 2, "padding": 3, "dilation": 4, "ceil_mode": 5},
    ),
    "AvgPool1d": (
        "aten::avg_pool1d",
        {"kernel_size": 1, "stride": 2, "padding": 3, "ceil_mode": 4, "count_include_pad": 5},
    ),
    "AvgPool2d": (
        "aten::avg_pool2d",
        {
            "kernel_size": 1, "stride": 2, "padding": 3, "ceil_mode": 4,
            "count_include_pad": 5, "divisor_override": 6,
        },
    ),
    "AdaptiveAvgPool1d": ("aten::adaptive_avg_pool1d", {"output_size": 1}),
    "AdaptiveAvgPool2d": ("aten::adaptive_avg_pool2d", {"output_size": 1}),
    "BatchNorm1d": ("aten::batch_norm", {"training": 5, "momentum": 6, "eps": 7}),
    "BatchNorm2d": ("aten::batch_norm", {"training": 5, "momentum": 6, "eps": 7}),
    "Dropout": ("aten::dropout", {"p": 1, "training": 2}),
    "Dropout1d": ("aten::feature_dropout", {"p": 1, "training": 2}),
    "Dropout2d": ("aten::feature_dropout", {"p": 1, "training": 2}),
    "Flatten": ("aten::flatten", {"start_dim": 1, "end_dim": 2}),
    "Unflatten": ("aten::unflatten", {"dim": 1, "unflattened_size": 2}),
    "LeakyReLU": ("aten::leaky_relu", {"negative_slope": 1}),
    "ReLU6": ("aten::hardtanh", {"min_val": 1, "max_val": 2}),
    "Hardtanh": ("aten::hardtanh", {"min_val": 1, "max_val": 2}),
    "Linear": ("aten::linear", {}),
    "ReLU": ("aten::relu", {}),
    "PReLU": ("aten::prelu", {}),
}

_NOT_CONSTANT = object()


def _ts_constant(value: Any) -> Any:
    """The constant a TorchScript graph value holds, or ``_NOT_CONSTANT``."""
    node = value.node()
    kind = node.kind()
    if kind == "prim::Constant":
        return value.toIValue()
    if kind == "prim::ListConstruct":
        items = [_ts_constant(v) for v in node.inputs()]
        return _NOT_CONSTANT if any(i is _NOT_CONSTANT for i in items) else items
    return _NOT_CONSTANT


def _ts_traced_args(sm: Any, kind: str, where: str) -> dict[str, Any] | None:
    """The hyperparameters of a traced layer, read from its graph (None: no graph op)."""
    try:
        ops = [n for n in sm.graph.nodes() if n.kind().startswith("aten::")]
        if kind.startswith("BatchNorm"):  # in training mode: num_batches_tracked += 1
            ops = [n for n in ops if n.kind() != "aten::add_"]
    except Exception:  # pragma: no cover - every ScriptModule has a graph
        return None
    op, pos = _TRACED_OPS[kind]
    if len(ops) != 1 or ops[0].kind() != op:
        found = ", ".join(n.kind() for n in ops) or "no operation"
        raise UnsupportedLayerError(
            f"TorchScript {where}: its traced graph runs {found}, not the single {op} of "
            f"nn.{kind} with constant arguments, so it cannot be rebuilt; pass the original "
            "nn.Module instead"
        )
    inputs = list(ops[0].inputs())
    out: dict[str, Any] = {}
    for name, i in pos.items():
        c = _ts_constant(inputs[i]) if i < len(inputs) else _NOT_CONSTANT
        if c is _NOT_CONSTANT:
            raise UnsupportedLayerError(
                f"TorchScript {where}: the argument {name} of its {op} is not a constant, so "
                "the layer cannot be rebuilt; pass the original nn.Module instead"
            )
        out[name] = c
    return out


def torchscript_to_module(sm: Any, prefix: str = "") -> Any:
    """Rebuild the ``nn.Sequential`` a TorchScript module was made from.

    TorchScript keeps a module's weights and compiled code but not its Python
    ``forward``, which ``torch.fx`` needs, so only an ``nn.Sequential``
    (``torch.jit.script`` or ``torch.jit.trace`` of one, nested ones too,
    also after ``torch.jit.save``/``torch.jit.load``) can be read: its forward
    is known, and each layer is rebuilt as the eager module of the same type
    (``original_name``) with the same weights, buffers, hyperparameters (from
    the scripted module's attributes, or from the constants of a traced
    layer's graph) and ``training`` flag (so Dropout or BatchNorm in training
    mode raises ``TrainingModeError`` as for the eager model). The layers are
    those of the supported-layers table: Linear, Conv1d/2d, AvgPool1d/2d,
    AdaptiveAvgPool1d/2d, BatchNorm1d/2d, Dropout/1d/2d, Identity, Flatten,
    Unflatten, ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh, MaxPool1d/2d.

    Parameters
    ----------
    sm : torch.jit.ScriptModule
    prefix : str
        Position of ``sm`` in the model (for error messages).

    Returns
    -------
    torch.nn.Sequential

    Raises
    ------
    UnsupportedLayerError
        A TorchScript module that is not an ``nn.Sequential`` (e.g. a scripted
        custom module), or a layer that is not supported or cannot be rebuilt.
    """
    import torch
    from torch import nn

    kind = getattr(sm, "original_name", type(sm).__name__)
    if kind != "Sequential":
        at = f" at index {prefix}" if prefix else ""
        raise UnsupportedLayerError(
            f"TorchScript module {kind}{at}: regions reads a TorchScript module "
            "(torch.jit.script or torch.jit.trace) only when it is an nn.Sequential (nested "
            "ones too) of supported layers, rebuilt layer by layer. TorchScript keeps a custom "
            "module's compiled code but not its Python forward, which torch.fx needs to trace "
            "it, nor its class; pass the original nn.Module instead (a custom module is traced "
            "with torch.fx), or script an nn.Sequential"
        )
    layers: dict[str, Any] = {}
    # _modules, not named_children(): it skips a module that appears twice
    for name, child in sm._modules.items():
        if child is None:
            continue
        path = f"{prefix}.{name}" if prefix else name
        layers[name] = _ts_layer(child, path, torch, nn)
    from collections import OrderedDict

    out = nn.Sequential(OrderedDict(layers))
    out.train(bool(sm.training))
    for name, child in sm._modules.items():  # keep each layer's own mode
        if child is not None and not isinstance(layers[name], nn.Sequential):
            layers[name].train(bool(child.training))
    return out


def _ts_layer(child: Any, path: str, torch: Any, nn: Any) -> Any:
    """One layer of a TorchScript ``nn.Sequential`` as the eager module."""
    kind = getattr(child, "original_name", type(child).__name__)
    where = f"nn.{kind} at index {path}"
    if kind == "Sequential":
        return torchscript_to_module(child, path)
    if kind not in _TRACED_OPS and kind != "Identity":
        raise UnsupportedLayerError(
            f"unsupported layer nn.{kind} at index {path} of a TorchScript nn.Sequential; "
            "supported layers are nn.Sequential, "
            + ", ".join(f"nn.{k}" for k in ("Identity", *_TRACED_OPS))
        )
    if kind == "Identity":
        return nn.Identity()
    names = list(_TRACED_OPS[kind][1])
    attrs: dict[str, Any] = {}
    sentinel = object()
    scripted = all(
        getattr(child, n, sentinel) is not sentinel for n in names if n != "training"
    )
    if scripted:  # torch.jit.script: the hyperparameters are attributes
        attrs = {n: getattr(child, n) for n in names if n != "training"}
        attrs["training"] = bool(child.training)
    else:  # torch.jit.trace: the constants of the layer's one graph op
        traced = _ts_traced_args(child, kind, where)
        attrs = dict(traced or {})
        attrs["training"] = bool(attrs.get("training", child.training))

    def tensor(name: str) -> Any:
        t = getattr(child, name, None)
        return None if t is None else t.detach().clone()

    def tup(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    with torch.random.fork_rng(devices=[]):  # building a layer draws its initial weights
        m = _ts_build(kind, attrs, tensor, tup, child, nn)
    with torch.no_grad():  # the same tensors, dtype and device as the TorchScript module
        for name in list(m._parameters):
            t = tensor(name)
            m._parameters[name] = None if t is None else nn.Parameter(t, requires_grad=False)
        for name in list(m._buffers):
            t = tensor(name)
            if t is not None:
                m._buffers[name] = t
    m.train(attrs["training"])
    return m


def _ts_build(kind: str, attrs: dict[str, Any], tensor: Any, tup: Any, child: Any, nn: Any) -> Any:
    """A fresh eager layer of type ``kind`` with the hyperparameters ``attrs``."""
    m: Any
    if kind == "Linear":
        w, b = tensor("weight"), tensor("bias")
        m = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
    elif kind in ("Conv1d", "Conv2d"):
        w, b = tensor("weight"), tensor("bias")
        groups = int(attrs["groups"])
        m = getattr(nn, kind)(
            w.shape[1] * groups, w.shape[0], tuple(w.shape[2:]), stride=tup(attrs["stride"]),
            padding=tup(attrs["padding"]), dilation=tup(attrs["dilation"]), groups=groups,
            bias=b is not None, padding_mode=getattr(child, "padding_mode", "zeros"),
        )
    elif kind in ("BatchNorm1d", "BatchNorm2d"):
        w, b = tensor("weight"), tensor("bias")
        mean = tensor("running_mean")
        ref = mean if mean is not None else w
        if ref is None and getattr(child, "num_features", None) is None:
            raise UnsupportedLayerError(
                f"TorchScript nn.{kind} without weights or running statistics: its size "
                "is not recorded, so it cannot be rebuilt; pass the original nn.Module instead"
            )
        n = int(ref.shape[0]) if ref is not None else int(child.num_features)
        m = getattr(nn, kind)(
            n, eps=float(attrs["eps"]), momentum=attrs["momentum"], affine=w is not None,
            track_running_stats=mean is not None,
        )
    elif kind == "PReLU":
        w = tensor("weight")
        m = nn.PReLU(int(w.numel()))
    elif kind in ("ReLU", "ReLU6"):
        m = getattr(nn, kind)()
    elif kind in ("Dropout", "Dropout1d", "Dropout2d"):
        m = getattr(nn, kind)(float(attrs["p"]))
    else:  # pools, Flatten, Unflatten, LeakyReLU, Hardtanh: hyperparameters only
        kwargs = {n: tup(v) for n, v in attrs.items() if n != "training"}
        if kind == "MaxPool1d" or kind == "MaxPool2d":
            kwargs["return_indices"] = bool(getattr(child, "return_indices", False))
        m = getattr(nn, kind)(**kwargs)
    return m


def cpu_float64_copy(module: Any) -> Any:
    """A float64 copy of a torch module on the CPU; the module itself is not touched.

    Every forward pass ``regions`` makes through a user's model (the checks of
    ``verify``, the raster, the general compiler) runs on such a copy, so a
    model that lives on a GPU (or in float32, bfloat16, ...) is evaluated
    the same way as one on the CPU. The copy is made outside inference mode
    (its tensors can take part in autograd), a tensor attribute that is the
    output of a graph (the ``weight`` that ``torch.nn.utils.prune`` computes)
    is copied detached, and the weights that torch's reparametrizations
    (pruning, ``weight_norm``, ``spectral_norm``, ``parametrize``) compute
    from their parameters are set on the copy as plain tensors, so the copy's
    attributes are the weights its forward pass uses.
    """
    import copy

    import torch

    _check_tensors(module)
    memo: dict[int, Any] = {}
    for m in module.modules():
        for v in vars(m).values():
            if isinstance(v, torch.Tensor) and not v.is_leaf:
                memo[id(v)] = v.detach().clone()
    with torch.inference_mode(False), torch.no_grad():
        out = copy.deepcopy(module, memo).to(device="cpu", dtype=torch.float64)
        for prm in out.parameters():  # .to(dtype=...) leaves integer parameters alone
            if not prm.is_floating_point():
                prm.data = prm.data.to(torch.float64)
        _recompute_hooked_weights(out)
    return out


def _check_tensors(module: Any) -> None:
    """Raise :func:`tensor_values`'s error for a complex, meta or sparse tensor of ``module``."""
    for path, m in module.named_modules():
        tensors = [*m._parameters.items(), *m._buffers.items()]
        tensors += [(k, v) for k, v in vars(m).items() if _is_tensor(v)]
        for name, t in tensors:
            if t is None:
                continue
            if t.is_complex() or t.device.type == "meta" or t.layout != torch_strided():
                tensor_values(t, _label(m, path), name)  # raises the clear error


def _recompute_hooked_weights(module: Any) -> None:
    """Bake the weights that torch's reparametrizations compute, in place (no grad).

    Sets the weights that pruning, ``weight_norm`` and ``spectral_norm``
    pre-hooks compute from their parameters (as the next forward pass
    would), and replaces each ``torch.nn.utils.parametrize`` parametrization
    (``parametrizations.weight_norm``, ``orthogonal``, ...) by its current
    value, which turns the copy's ``ParametrizedLinear`` back into an
    ``nn.Linear`` (the user's model keeps its parametrizations).
    """
    import torch
    from torch.nn.utils import parametrize, prune

    kinds: tuple[type, ...] = (prune.BasePruningMethod,)
    try:
        from torch.nn.utils.spectral_norm import SpectralNorm
        from torch.nn.utils.weight_norm import WeightNorm

        kinds += (WeightNorm, SpectralNorm)
    except ImportError:  # pragma: no cover - removed from a future torch
        pass
    for m in list(module.modules()):
        if parametrize.is_parametrized(m):
            # not parametrize.remove_parametrizations: it deletes the property from the
            # class, which a deep copy shares with the user's model; this changes only the
            # copy's instance
            values = {name: getattr(m, name).detach().clone() for name in m.parametrizations}
            del m._modules["parametrizations"]
            m.__class__ = type(m).__bases__[0]  # ParametrizedLinear -> nn.Linear
            for name, value in values.items():
                m._parameters[name] = torch.nn.Parameter(value, requires_grad=False)
        for hook in list(m._forward_pre_hooks.values()):
            if isinstance(hook, kinds):
                hook(m, None)  # type: ignore[operator]  # sets the attribute from its parameters


def reparametrized(module: Any) -> bool:
    """Whether some weight of ``module`` is computed by torch from other parameters.

    True for a ``torch.nn.utils.parametrize`` parametrization, a pruning,
    ``weight_norm`` or ``spectral_norm`` pre-hook, or a tensor attribute that
    is the output of a graph: the attribute read may not be the weight the
    next forward pass uses, so such a model is read from a
    :func:`cpu_float64_copy` (which recomputes them).
    """
    import torch
    from torch.nn.utils import parametrize, prune

    for m in module.modules():
        if parametrize.is_parametrized(m):
            return True
        for hook in m._forward_pre_hooks.values():
            if isinstance(hook, prune.BasePruningMethod) or type(hook).__name__ in (
                "WeightNorm", "SpectralNorm"
            ):
                return True
        for v in vars(m).values():
            if isinstance(v, torch.Tensor) and not v.is_leaf:
                return True
    return False


def snapshot_model(module: Any) -> Any:
    """The copy of a model that a :class:`Network` keeps: its weights as they are now.

    A :func:`cpu_float64_copy`, taken when the model is read, so that what a
    partition reports (its maps) and what it checks (``verify``'s forward
    pass) are the same function even after the model is trained further,
    and so that the weights read are those its forward pass would use
    (pruned weights included, also before any forward pass).

    Raises
    ------
    ArgumentTypeError
        A complex tensor, or one on the ``meta`` device, naming its layer;
        or a model that ``copy.deepcopy`` cannot copy.
    """
    _check_tensors(module)  # its own clear error, not the deepcopy's below
    try:
        return cpu_float64_copy(module)
    except (RuntimeError, TypeError, AttributeError) as e:
        raise ArgumentTypeError(
            f"cannot copy the model ({type(module).__name__}) with copy.deepcopy: {e}; regions "
            "keeps a float64 copy of the model it reads"
        ) from e


def _is_tensor(v: Any) -> bool:
    import torch

    return isinstance(v, torch.Tensor)


def _label(m: Any, path: str) -> str:
    """``nn.Linear at index 0`` (torch.nn modules by their short name)."""
    t = type(m)
    kind = f"nn.{t.__name__}" if t.__module__.startswith("torch.nn") else t.__name__
    return f"{kind} at index {path}" if path else kind


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
    if t.layout != torch_strided():
        raise ArgumentTypeError(
            f"{where} has a {t.layout} {name}; regions reads dense (strided) tensors: "
            f"convert it with {name}.to_dense()"
        )
    a: np.ndarray = t.detach().to(device="cpu").double().numpy().copy()
    if not np.isfinite(a).all():
        bad = "NaN" if np.isnan(a).any() else "infinite"
        raise NonFiniteWeightError(f"{where} has {bad} values in its {name}")
    return a


def torch_strided() -> Any:
    """``torch.strided``, the layout of a dense tensor (torch imported lazily)."""
    import torch

    return torch.strided


def _points(x: Any) -> np.ndarray:
    """``x`` as a (P, 2) float64 array, or an error naming ``x`` and its shape or type."""
    try:
        a = real_array(x)
    except (TypeError, ValueError) as exc:
        raise ArgumentTypeError(
            f"x must be a (P, 2) array-like of real numbers, got {type(x).__name__} ({exc})"
        ) from None
    if a.ndim != 2 or a.shape[1] != 2:
        raise InputDimensionError(f"x must be a (P, 2) array of points, got shape {a.shape}")
    return a
