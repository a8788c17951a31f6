"""Compile a piecewise-linear torch model into a *stage program*.

A :class:`Program` is the model written as a sequence of piecewise-linear
*stages* acting on a growing *state*:

* The state ``h`` is the concatenation ``[x_flat, a_1, a_2, ...]``: the
  flattened input (``D_in = prod(input_shape)`` entries) followed by the outputs
  ``a_s`` of every stage so far.
* Stage ``s`` (a :class:`Stage`) computes its pre-activations
  ``z = weight @ h + bias`` from the state before it (``weight`` has
  ``D_s = D_in + dim(a_1) + ... + dim(a_{s-1})`` columns; columns of state it
  does not use are zero) and appends ``a_s = phi(z)``:

  ========== ==================================================== ===========
  kind       ``phi``                                              ``dim a_s``
  ========== ==================================================== ===========
  relu       ``max(z, 0)``                                        ``m``
  leaky      ``z if z > 0 else slope * z`` (LeakyReLU, PReLU)     ``m``
  hardtanh   ``clip(z, lo, hi)`` (Hardtanh, ReLU6)                ``m``
  maxpool    ``max(z[groups[g]])`` for each group ``g``           ``G``
  ========== ==================================================== ===========

* The output is ``y = out_weight @ h_final + out_bias``.

A residual connection, a concatenation or any other affine wiring is just a
weight that references earlier columns of the state. :meth:`Program.split_functions`
gives the breakpoint functions of a stage (``q = B z + beta``: the stage is affine
on each cell of the arrangement ``q = 0``), :meth:`Program.on_plane` restricts
the program to a 2-D plane of the input space.

Reading a model (:meth:`Program.from_torch`)
    The model is traced with ``torch.fx`` (``torch.nn`` modules are leaves; the
    forward of ``nn.Sequential`` and of user modules that derive directly from
    ``nn.Module`` is traced through, so ``nn.ModuleList``/``nn.ModuleDict``
    used in a forward work), and the graph is walked in order carrying, for
    every tensor, an affine function of the state (a ``(numel, D)`` matrix, an
    offset and the per-sample shape). Affine operations are applied to that
    function by running the torch operation in float64 on the offset and on the
    nonzero columns (biases are added to the offset only); reshapes,
    concatenation and indexing are applied to an index tensor. Modules and
    functions are matched by exact type or identity, never by ``isinstance``
    or by name, so a subclass or look-alike is rejected by name. Finally the
    program is checked against a forward pass of a float64 copy of the model on
    random inputs. The model itself is never modified.

Supported modules
    ``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d``, ``nn.AvgPool1d``,
    ``nn.AvgPool2d``, ``nn.AdaptiveAvgPool1d``, ``nn.AdaptiveAvgPool2d``,
    ``nn.BatchNorm1d``/``nn.BatchNorm2d`` (eval mode, with running statistics),
    ``nn.Dropout``/``nn.Dropout1d``/``nn.Dropout2d`` (eval mode),
    ``nn.Identity``, ``nn.Flatten``, ``nn.Unflatten``, ``nn.ReLU``,
    ``nn.LeakyReLU``, ``nn.PReLU``, ``nn.ReLU6``, ``nn.Hardtanh``,
    ``nn.MaxPool1d``/``nn.MaxPool2d`` (no padding, no ``return_indices``), and
    the containers ``nn.Sequential``, ``nn.ModuleList``, ``nn.ModuleDict``. A
    ``torch.fx.GraphModule`` is traced through like a user module. A
    TorchScript module is first rebuilt as the ``nn.Sequential`` it was made
    from (:func:`regions.network.torchscript_to_module`; a scripted custom
    module is refused: TorchScript does not keep its Python ``forward``), and
    ``torch.compile``/``nn.DataParallel`` wrappers are unwrapped
    (:func:`regions.network.unwrap_model`).

Supported functions and methods
    ``F.relu``, ``torch.relu``, ``Tensor.relu`` (and in-place forms),
    ``F.leaky_relu``, ``F.prelu``, ``F.relu6``, ``F.hardtanh``,
    ``F.max_pool1d``/``F.max_pool2d``, ``F.avg_pool1d``/``F.avg_pool2d``,
    ``F.adaptive_avg_pool1d``/``2d``, ``F.linear``, ``F.conv1d``/``F.conv2d``,
    ``F.dropout`` with ``training=False``; ``+``, ``-``, unary ``-``, ``*``
    and ``/`` by a constant, ``torch.add``/``sub``/``mul``/``div``/``neg``;
    ``torch.cat`` (not along the batch dimension); per-sample reshapes
    (``view``, ``reshape``, ``flatten``, ``unflatten``, ``squeeze``,
    ``unsqueeze``, ``permute``, ``transpose``, ``narrow``, ``expand``,
    ``contiguous``, ``clone``, indexing ``x[:, ...]``), ``x.size()``,
    ``x.shape``, ``x.dim()``; computations on constants (parameters, buffers)
    alone are evaluated.

Everything else is rejected with :class:`~regions.errors.UnsupportedLayerError`
naming the type or function and its position; BatchNorm and dropout in
training mode raise :class:`~regions.errors.TrainingModeError`, a model
``torch.fx`` cannot trace (data-dependent control flow) raises
``UnsupportedLayerError`` saying why.

Examples
--------
>>> import numpy as np, torch
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> model = torch.nn.Sequential(
...     torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)).eval()
>>> prog = Program.from_torch(model)
>>> prog.input_shape, prog.widths, prog.n_state
((2,), (3,), 5)
>>> prog.stages[0].kind, prog.stages[0].weight.shape, prog.out_weight.shape
('relu', (3, 2), (1, 5))
>>> x = np.array([[0.5, -1.0]])
>>> bool(np.allclose(prog.forward(x), model.double()(torch.from_numpy(x)).detach().numpy()))
True
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import (
    ArgumentTypeError,
    InputDimensionError,
    NonFiniteWeightError,
    ParameterError,
    ShapeMismatchError,
    TrainingModeError,
    UnsupportedLayerError,
)
from .tolerance import CHECK_RTOL

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network
    from .plane import Plane

__all__ = [
    "Stage", "Program", "KINDS", "MAX_INPUT_SIZE", "SUPPORTED_MODULES", "SUPPORTED_FUNCTIONS",
]

#: Most entries an ``input_shape`` may have (a 16384 x 16384 RGB image is 8e8).
MAX_INPUT_SIZE: int = 2**31

#: The kinds of stage.
KINDS: tuple[str, ...] = ("relu", "leaky", "hardtanh", "maxpool")

#: Names of the supported torch modules (matched by exact type).
SUPPORTED_MODULES: tuple[str, ...] = (
    "nn.Sequential",
    "nn.ModuleList",
    "nn.ModuleDict",
    "nn.Linear",
    "nn.Conv1d",
    "nn.Conv2d",
    "nn.AvgPool1d",
    "nn.AvgPool2d",
    "nn.AdaptiveAvgPool1d",
    "nn.AdaptiveAvgPool2d",
    "nn.BatchNorm1d",
    "nn.BatchNorm2d",
    "nn.Dropout",
    "nn.Dropout1d",
    "nn.Dropout2d",
    "nn.Identity",
    "nn.Flatten",
    "nn.Unflatten",
    "nn.ReLU",
    "nn.LeakyReLU",
    "nn.PReLU",
    "nn.ReLU6",
    "nn.Hardtanh",
    "nn.MaxPool1d",
    "nn.MaxPool2d",
)

#: Names of the supported functions and tensor methods.
SUPPORTED_FUNCTIONS: tuple[str, ...] = (
    "F.relu",
    "torch.relu",
    "Tensor.relu",
    "F.leaky_relu",
    "F.prelu",
    "F.relu6",
    "F.hardtanh",
    "F.max_pool1d",
    "F.max_pool2d",
    "F.avg_pool1d",
    "F.avg_pool2d",
    "F.adaptive_avg_pool1d",
    "F.adaptive_avg_pool2d",
    "F.linear",
    "F.conv1d",
    "F.conv2d",
    "F.dropout",
    "+",
    "-",
    "*",
    "/",
    "torch.add",
    "torch.sub",
    "torch.mul",
    "torch.div",
    "torch.neg",
    "torch.cat",
    "torch.flatten",
    "torch.reshape",
    "Tensor.view",
    "Tensor.reshape",
    "Tensor.flatten",
    "Tensor.size",
    "Tensor.shape",
    "indexing",
)

_EMPTY_GROUPS = np.zeros((0, 0), dtype=np.int64)

# columns pushed through a torch op at once (bounds memory)
_CHUNK = 2048
# batch size of the index tensors that check an op keeps the samples apart
_SBATCH = 3
# batch size of the final check against the model
_CHECK_BATCH = 5


# ====================================================================== Stage
@dataclass(frozen=True, eq=False)
class Stage:
    """One piecewise-linear stage of a :class:`Program`.

    Parameters
    ----------
    kind : {"relu", "leaky", "hardtanh", "maxpool"}
        The activation.
    weight : (m, D) float64 array
        Pre-activations ``z = weight @ h + bias`` of the state ``h`` before
        the stage.
    bias : (m,) float64 array
    slope : (m,) float64 array
        Negative-side slope of ``leaky`` (per unit); zeros otherwise.
    lo, hi : (m,) float64 arrays
        Breakpoints of ``hardtanh`` (``lo < hi``); zeros otherwise.
    groups : (G, k) int64 array
        ``maxpool``: indices into ``z``; the outputs are the maxima over each
        row. Shape ``(0, 0)`` otherwise.
    path : str
        Position of the module or function in the model, for messages.

    Examples
    --------
    >>> import numpy as np
    >>> st = Stage("hardtanh", np.eye(2), np.zeros(2), lo=np.full(2, -1.0), hi=np.ones(2))
    >>> st.activate(np.array([[-3.0, 0.5]]))
    array([[-1. ,  0.5]])
    >>> st.n_in, st.n_out
    (2, 2)
    """

    kind: str
    weight: np.ndarray
    bias: np.ndarray
    slope: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hi: np.ndarray = field(default_factory=lambda: np.zeros(0))
    groups: np.ndarray = field(default_factory=lambda: _EMPTY_GROUPS)
    path: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"Stage kind must be one of {KINDS}, got {self.kind!r}")
        w = np.array(self.weight, dtype=np.float64, copy=True)
        b = np.array(self.bias, dtype=np.float64, copy=True)
        where = f"stage {self.kind} at {self.path}" if self.path else f"stage {self.kind}"
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ShapeMismatchError(
                f"{where}: weight must be (m, D) and bias (m,), got {w.shape} and {b.shape}"
            )
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise NonFiniteWeightError(f"{where} has NaN or infinite pre-activation coefficients")
        m = w.shape[0]
        vecs = {}
        for name in ("slope", "lo", "hi"):
            a = np.array(getattr(self, name), dtype=np.float64, copy=True)
            if a.size == 0:
                a = np.zeros(m)
            if a.shape != (m,):
                raise ShapeMismatchError(f"{where}: {name} must be a ({m},) array, got {a.shape}")
            if not np.isfinite(a).all():
                raise NonFiniteWeightError(
                    f"{where}: {name} must be finite, got {a[~np.isfinite(a)][0]!r}"
                )
            vecs[name] = a
        if self.kind == "hardtanh" and not (vecs["lo"] < vecs["hi"]).all():
            raise ParameterError(f"{where}: hardtanh needs lo < hi")
        g = np.array(self.groups, dtype=np.int64, copy=True)
        if self.kind == "maxpool":
            if g.ndim != 2 or g.shape[1] < 1 or (g.size and (g.min() < 0 or g.max() >= m)):
                raise ShapeMismatchError(
                    f"{where}: groups must be a (G, k) array of indices into the {m} "
                    "pre-activations"
                )
        elif g.size:
            raise ShapeMismatchError(f"{where}: groups are for maxpool stages only")
        else:
            g = _EMPTY_GROUPS.copy()
        final: dict[str, np.ndarray] = {"weight": w, "bias": b, **vecs, "groups": g}
        for name, arr in final.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_in(self) -> int:
        """Number of pre-activations ``m``."""
        return int(self.weight.shape[0])

    @property
    def n_out(self) -> int:
        """Number of outputs: ``m``, or ``G`` for maxpool."""
        return int(self.groups.shape[0]) if self.kind == "maxpool" else self.n_in

    @property
    def n_state(self) -> int:
        """Number of state columns ``D`` the stage reads."""
        return int(self.weight.shape[1])

    def activate(self, z: np.ndarray) -> np.ndarray:
        """The stage's outputs from its pre-activations.

        Parameters
        ----------
        z : (P, m) float64 array

        Returns
        -------
        (P, n_out) float64 array
        """
        if self.kind == "relu":
            return np.maximum(z, 0.0)
        if self.kind == "leaky":
            return np.where(z > 0.0, z, self.slope * z)
        if self.kind == "hardtanh":
            return np.clip(z, self.lo, self.hi)
        out: np.ndarray = z[:, self.groups].max(axis=2)
        return out

    def split_functions(self) -> tuple[np.ndarray, np.ndarray]:
        """Breakpoint functions ``q = B z + beta``; see :meth:`Program.split_functions`."""
        m = self.n_in
        if self.kind in ("relu", "leaky"):
            return np.eye(m), np.zeros(m)
        if self.kind == "hardtanh":
            return np.vstack([np.eye(m), np.eye(m)]), np.concatenate([-self.lo, -self.hi])
        ia, ib = [], []
        for row in self.groups:
            u = np.unique(row)
            a, b = np.triu_indices(len(u), k=1)
            ia.append(u[a])
            ib.append(u[b])
        pa = np.concatenate(ia) if ia else np.zeros(0, dtype=np.int64)
        pb = np.concatenate(ib) if ib else np.zeros(0, dtype=np.int64)
        # a pair shared by two overlapping windows is one function
        pairs = np.unique(np.stack([pa, pb], axis=1), axis=0) if pa.size else np.zeros((0, 2))
        q = pairs.shape[0]
        mat = np.zeros((q, m))
        mat[np.arange(q), pairs[:, 0].astype(np.int64)] = 1.0
        mat[np.arange(q), pairs[:, 1].astype(np.int64)] = -1.0
        return mat, np.zeros(q)


# ==================================================================== Program
@dataclass(frozen=True, eq=False)
class Program:
    """A piecewise-linear model as stages on a growing state (module docstring).

    Parameters
    ----------
    input_shape : tuple of int
        Per-sample input shape, e.g. ``(2,)`` or ``(1, 8, 8)``.
    stages : tuple of Stage
        Stage ``s`` reads ``D_in + sum(n_out of stages before)`` state columns.
    out_weight : (n_out, D_final) float64 array
    out_bias : (n_out,) float64 array
    module : torch.nn.Module, Network or None
        What the program was read from (never modified).

    Examples
    --------
    >>> import numpy as np
    >>> relu = Stage("relu", np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))
    >>> prog = Program((2,), (relu,), np.array([[0.0, 0.0, 1.0, -1.0]]), np.zeros(1))
    >>> prog.forward(np.array([[2.0, 3.0], [-1.0, 1.0]]))
    array([[-1.],
           [-1.]])
    >>> prog.state_offsets, prog.n_state
    ((2,), 4)
    """

    input_shape: tuple[int, ...]
    stages: tuple[Stage, ...]
    out_weight: np.ndarray
    out_bias: np.ndarray
    module: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        shape = tuple(int(n) for n in self.input_shape)
        if not shape or min(shape) < 1:
            raise InputDimensionError(f"input_shape must be positive integers, got {shape}")
        object.__setattr__(self, "input_shape", shape)
        stages = tuple(self.stages)
        for s in stages:
            if not isinstance(s, Stage):
                raise ArgumentTypeError(f"stages must be Stage objects, got {type(s).__name__}")
        object.__setattr__(self, "stages", stages)
        d = math.prod(shape)
        for i, s in enumerate(stages):
            if s.n_state != d:
                raise ShapeMismatchError(
                    f"stage {i} ({s.kind} at {s.path or '?'}) reads {s.n_state} state columns, "
                    f"but the state before it has {d}"
                )
            d += s.n_out
        w = np.array(self.out_weight, dtype=np.float64, copy=True)
        b = np.array(self.out_bias, dtype=np.float64, copy=True)
        if w.ndim != 2 or w.shape[1] != d or b.shape != (w.shape[0],):
            raise ShapeMismatchError(
                f"output layer must be ({w.shape[0] if w.ndim == 2 else 'n'}, {d}) with bias "
                f"(n,), got {w.shape} and {b.shape}"
            )
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise NonFiniteWeightError("output layer has NaN or infinite weights or bias")
        w.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "out_weight", w)
        object.__setattr__(self, "out_bias", b)

    # ------------------------------------------------------------ properties
    @property
    def d_in(self) -> int:
        """Number of input entries ``D_in = prod(input_shape)``."""
        return math.prod(self.input_shape)

    @property
    def widths(self) -> tuple[int, ...]:
        """Number of pre-activations ``m`` of each stage."""
        return tuple(s.n_in for s in self.stages)

    @property
    def state_offsets(self) -> tuple[int, ...]:
        """First state column of each stage's outputs ``a_s``."""
        out, d = [], self.d_in
        for s in self.stages:
            out.append(d)
            d += s.n_out
        return tuple(out)

    @property
    def n_state(self) -> int:
        """Number of columns ``D_final`` of the final state."""
        return self.d_in + sum(s.n_out for s in self.stages)

    @property
    def n_out(self) -> int:
        """Number of outputs."""
        return int(self.out_weight.shape[0])

    # ------------------------------------------------------------ evaluation
    def _input(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim >= 2 and tuple(x.shape[1:]) == self.input_shape:
            return x.reshape(x.shape[0], self.d_in)
        if x.ndim == 2 and x.shape[1] == self.d_in:
            return x
        raise InputDimensionError(
            f"x must be (P, {self.d_in}) or (P, *{self.input_shape}), got shape {x.shape}"
        )

    def _run(self, x: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        x = self._input(x)
        h = np.empty((x.shape[0], self.n_state))
        h[:, : self.d_in] = x
        col = self.d_in
        zs = []
        for s in self.stages:
            z = h[:, :col] @ s.weight.T + s.bias
            zs.append(z)
            h[:, col : col + s.n_out] = s.activate(z)
            col += s.n_out
        return h, zs

    def preactivations(self, x: Any) -> list[np.ndarray]:
        """Pre-activations ``z`` of every stage at a batch of inputs.

        Parameters
        ----------
        x : (P, D_in) or (P, *input_shape) float64 array

        Returns
        -------
        list of (P, m_s) float64 arrays
        """
        return self._run(x)[1]

    def states(self, x: Any) -> np.ndarray:
        """The final state ``h`` at a batch of inputs.

        Parameters
        ----------
        x : (P, D_in) or (P, *input_shape) float64 array

        Returns
        -------
        (P, n_state) float64 array
        """
        return self._run(x)[0]

    def forward(self, x: Any) -> np.ndarray:
        """Output at a batch of inputs.

        Parameters
        ----------
        x : (P, D_in) or (P, *input_shape) float64 array

        Returns
        -------
        (P, n_out) float64 array
        """
        h = self._run(x)[0]
        out: np.ndarray = h @ self.out_weight.T + self.out_bias
        return out

    # ------------------------------------------------------------ geometry
    def split_functions(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        """Breakpoint functions of stage ``s``: ``q = B z + beta``.

        The stage is affine on every cell of the arrangement of the hyperplanes
        ``q_i = 0`` (in ``z``).

        Parameters
        ----------
        s : int
            Stage index.

        Returns
        -------
        B : (q, m) float64 array
            ``relu``/``leaky``: the identity; ``hardtanh``: ``[I; I]``;
            ``maxpool``: one row ``e_a - e_b`` per unordered pair of distinct
            indices inside a group (pairs shared by overlapping windows once).
        beta : (q,) float64 array
            Zeros; ``hardtanh``: ``[-lo; -hi]``.

        Examples
        --------
        >>> import numpy as np
        >>> st = Stage("maxpool", np.eye(3), np.zeros(3), groups=np.array([[0, 1, 2]]))
        >>> B, beta = Program((3,), (st,), np.ones((1, 4)), np.zeros(1)).split_functions(0)
        >>> B
        array([[ 1., -1.,  0.],
               [ 1.,  0., -1.],
               [ 0.,  1., -1.]])
        """
        return self.stages[s].split_functions()

    def on_plane(self, plane: Plane) -> Program:
        """The program restricted to a plane: its input is ``(s, t)``.

        ``x_flat = origin + s * u + t * v``: the first ``D_in`` columns of every
        stage's weight and of the output weight are replaced by
        ``W[:, :D_in] @ [u v]`` and ``W[:, :D_in] @ origin`` is added to the
        bias.

        Parameters
        ----------
        plane : regions.plane.Plane
            With points of shape ``input_shape`` (or ``(D_in,)``).

        Returns
        -------
        Program
            ``input_shape == (2,)``; ``module`` is unchanged (the full model:
            the program equals ``module`` at ``plane.to_input(st)``).

        Raises
        ------
        InputDimensionError
            If the plane's points do not have the model's input shape.
        """
        if plane.shape not in (self.input_shape, (self.d_in,)):
            raise InputDimensionError(
                f"the plane's points have shape {plane.shape} but the model takes inputs "
                f"of shape {self.input_shape}"
            )
        d = self.d_in
        basis = plane.basis
        origin = plane.origin.ravel()

        def restrict(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            wx = w[:, :d]
            return np.hstack([wx @ basis, w[:, d:]]), b + wx @ origin

        stages = []
        for s in self.stages:
            w, b = restrict(s.weight, s.bias)
            stages.append(Stage(s.kind, w, b, s.slope, s.lo, s.hi, s.groups, s.path))
        w, b = restrict(self.out_weight, self.out_bias)
        return Program((2,), tuple(stages), w, b, self.module)

    # ------------------------------------------------------------ building
    @classmethod
    def from_network(cls, network: Network) -> Program:
        """The program of a :class:`regions.network.Network` (a ReLU MLP).

        The state holds all activations; each layer references only the
        columns of the layer before (the first layer the two inputs).

        Parameters
        ----------
        network : regions.network.Network

        Returns
        -------
        Program
            ``input_shape == (2,)``, one ``relu`` stage per hidden layer.

        Examples
        --------
        >>> import numpy as np
        >>> from regions.network import Network
        >>> net = Network.from_arrays([(np.eye(2), np.zeros(2))], (np.ones((1, 2)), np.zeros(1)))
        >>> prog = Program.from_network(net)
        >>> prog.out_weight
        array([[0., 0., 1., 1.]])
        >>> prog.forward(np.array([[1.0, -3.0]]))
        array([[1.]])
        """
        d_in = int(network.output[0].shape[1]) if not network.hidden else 0
        d_in = int(network.hidden[0][0].shape[1]) if network.hidden else d_in
        stages = []
        start, d = 0, d_in  # columns of the previous layer: [start, d)
        paths = tuple(network.relu_paths) + ("",) * len(network.hidden)
        for (w, b), path in zip(network.hidden, paths, strict=False):
            full = np.zeros((w.shape[0], d))
            full[:, start:d] = w
            stages.append(Stage("relu", full, b, path=path))
            start, d = d, d + w.shape[0]
        w, b = network.output
        full = np.zeros((w.shape[0], d))
        full[:, start:d] = w
        return cls((d_in,), tuple(stages), full, b, network)

    @classmethod
    def from_torch(cls, model: Any, input_shape: Sequence[int] | None = None) -> Program:
        """Compile a piecewise-linear torch model (see the module docstring).

        Parameters
        ----------
        model : torch.nn.Module or regions.network.Network
            In eval mode where it has BatchNorm or dropout. Not modified (a
            float64 deep copy is traced). A ``Network`` goes to
            :meth:`from_network`.
        input_shape : tuple of int, optional
            Per-sample input shape, e.g. ``(1, 8, 8)``. If omitted, the first
            operation on the input must be an ``nn.Linear``, and the shape is
            ``(in_features,)`` (an unsupported module anywhere in the model is
            reported as such first).

        Returns
        -------
        Program

        Raises
        ------
        UnsupportedLayerError
            A module or function that is not supported (named with its type and
            position), or a model ``torch.fx`` cannot trace.
        TrainingModeError
            BatchNorm or dropout in training mode.
        InputDimensionError
            ``input_shape`` missing and not inferable, or invalid.
        ShapeMismatchError
            An operation that does not fit the shape of its input.
        NonFiniteWeightError
            A parameter or buffer with NaN or infinite values.
        """
        from .network import Network, unwrap_model

        if isinstance(model, Network):
            return cls.from_network(model)
        return _Compiler(unwrap_model(model), input_shape).compile()


# ================================================================== compiler
class _Batch:
    """The batch size, symbolically (``x.size(0)``, ``x.shape[0]``)."""

    def __repr__(self) -> str:
        return "<batch>"


_BATCH = _Batch()


@dataclass(eq=False)
class _Expr:
    """An affine function of the state: ``mat @ h + off``, per-sample shape ``shape``."""

    mat: np.ndarray  # (numel, D) with D <= the current state dimension
    off: np.ndarray  # (numel,)
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(self.off.shape[0])


def _pad(mat: np.ndarray, d: int) -> np.ndarray:
    if mat.shape[1] == d:
        return mat
    out = np.zeros((mat.shape[0], d))
    out[:, : mat.shape[1]] = mat
    return out


def _gather(x: _Expr, idx: np.ndarray) -> _Expr:
    flat = idx.ravel()
    return _Expr(x.mat[flat], x.off[flat], tuple(int(n) for n in idx.shape))


def _contains(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, kinds):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains(v, kinds) for v in value)
    if isinstance(value, dict):
        return any(_contains(v, kinds) for v in value.values())
    return False


def _subst_batch(value: Any, n: int) -> Any:
    if value is _BATCH:
        return n
    if isinstance(value, list):
        return [_subst_batch(v, n) for v in value]
    if isinstance(value, tuple):
        return tuple(_subst_batch(v, n) for v in value)
    return value


def _type_name(t: type) -> str:
    mod = getattr(t, "__module__", "") or ""
    if mod.startswith("torch.nn"):
        return f"nn.{t.__name__}"
    return t.__name__


def _at(path: str) -> str:
    if not path:
        return ""
    if all(p.isdigit() for p in path.split(".")):
        return f" at index {path}"
    return f" at {path}"


def _fn_name(target: Any) -> str:
    import torch
    import torch.nn.functional as F

    name = getattr(target, "__name__", repr(target))
    for prefix, mod in (("F", F), ("torch", torch), ("operator", operator)):
        if getattr(mod, name, None) is target:
            return f"{prefix}.{name}"
    owner = getattr(target, "__module__", None)
    return f"{owner}.{name}" if owner else str(name)


def _bind(
    args: Sequence[Any],
    kwargs: dict[str, Any],
    names: Sequence[str],
    defaults: dict[str, Any],
    where: str,
) -> dict[str, Any]:
    if len(args) > len(names):
        raise UnsupportedLayerError(f"{where} is called with {len(args)} arguments")
    out = dict(defaults)
    out.update(zip(names, args, strict=False))
    for k, v in kwargs.items():
        if k not in names:
            raise UnsupportedLayerError(f"{where} with the argument {k}= is not supported")
        out[k] = v
    missing = [n for n in names if n not in out]
    if missing:
        raise UnsupportedLayerError(f"{where} is missing the argument {missing[0]}")
    return out


def _tuple(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * n
        return tuple(int(a) for a in v)
    return (int(v),) * n


class _Compiler:
    def __init__(self, model: Any, input_shape: Sequence[int] | None) -> None:
        import torch
        from torch import nn

        if not isinstance(model, nn.Module):
            raise ArgumentTypeError(
                f"model must be a torch.nn.Module or a regions.Network, got {type(model).__name__}"
            )
        self.torch = torch
        self.nn = nn
        self.model = model
        self.user_shape: tuple[int, ...] | None = None
        if input_shape is not None:
            bad = InputDimensionError(
                f"input_shape must be a tuple of positive integers, got {input_shape!r}"
            )
            try:
                items = list(input_shape)
            except TypeError:
                raise bad from None
            if not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))
                for n in items
            ):
                raise bad  # 2.9 is not a size (int() would make it 2)
            shape = tuple(int(n) for n in items)
            if not shape or min(shape) < 1:
                raise bad
            if math.prod(shape) > MAX_INPUT_SIZE:
                raise InputDimensionError(
                    f"input_shape={shape} has {math.prod(shape)} entries, more than "
                    f"{MAX_INPUT_SIZE} (MAX_INPUT_SIZE)"
                )
            self.user_shape = shape
        from .network import cpu_float64_copy

        self.copy = cpu_float64_copy(model)
        self.wrapped = not self._traced_through(self.copy)
        self.root = nn.Sequential(self.copy) if self.wrapped else self.copy
        self.d = 0
        self.stages: list[Stage] = []
        self.env: dict[Any, Any] = {}
        self.input_shape: tuple[int, ...] = ()

    # ------------------------------------------------------------ tracing
    def _traced_through(self, m: Any) -> bool:
        nn = self.nn
        t = type(m)
        if t is nn.Sequential:
            return True
        import torch.fx as fx

        if isinstance(m, fx.GraphModule):  # already traced: its generated forward is traced again
            return True
        if (getattr(t, "__module__", "") or "").startswith("torch"):
            return False
        return all(
            c is nn.Module or c is object or not (c.__module__ or "").startswith("torch")
            for c in t.__mro__
        )

    def _trace(self) -> Any:
        import torch.fx as fx

        compiler = self

        class Tracer(fx.Tracer):
            def is_leaf_module(self, m: Any, module_qualified_name: str) -> bool:
                return not compiler._traced_through(m)

        try:
            return Tracer().trace(self.root)
        except Exception as e:
            if isinstance(e, fx.proxy.TraceError):
                why = (
                    f"{e} (data-dependent control flow such as `if x.sum() > 0:` is not "
                    "supported: the regions of such a model are not those of one traced graph)"
                )
            else:
                why = f"{type(e).__name__}: {e}"
            raise UnsupportedLayerError(f"the model cannot be traced by torch.fx: {why}") from e

    def _path(self, target: str) -> str:
        if not self.wrapped:
            return target
        if target == "0":
            return ""
        return target[2:] if target.startswith("0.") else target

    # ------------------------------------------------------------ helpers
    def _np(self, t: Any, where: str, name: str) -> np.ndarray:
        from .network import tensor_values

        return tensor_values(t, where, name)

    def _const(self, value: Any, where: str) -> np.ndarray | None:
        """A constant operand as an array, or None if it is not one."""
        torch = self.torch
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return np.array(float(value))
        if isinstance(value, torch.Tensor):
            return self._np(value, where, "constant operand")
        return None

    def _identity(self, n: int, shape: tuple[int, ...]) -> _Expr:
        mat = np.zeros((n, self.d))
        mat[:, self.d - n :] = np.eye(n)
        return _Expr(mat, np.zeros(n), shape)

    def _expr(self, value: Any, where: str) -> _Expr:
        if isinstance(value, _Expr):
            return value
        raise UnsupportedLayerError(
            f"{where} is applied to {type(value).__name__} {value!r}, which is not a tensor "
            "that depends on the input"
        )

    def _affine(
        self,
        x: _Expr,
        fn: Callable[[Any], Any],
        where: str,
        bias: np.ndarray | None = None,
    ) -> _Expr:
        """Apply ``fn`` (linear) to the columns and offset, then add ``bias`` (broadcast)."""
        torch = self.torch

        def run(rows: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
            t = torch.from_numpy(np.ascontiguousarray(rows).reshape(rows.shape[0], *x.shape))
            try:
                with torch.no_grad():
                    y = fn(t)
            except (RuntimeError, ValueError, TypeError, IndexError) as e:
                raise ShapeMismatchError(
                    f"{where} cannot be applied to an input of per-sample shape {x.shape}: {e}"
                ) from e
            if not isinstance(y, torch.Tensor) or y.ndim < 1 or y.shape[0] != rows.shape[0]:
                raise UnsupportedLayerError(
                    f"{where} does not return one tensor per sample of the batch"
                )
            y = y.detach().to(torch.float64)
            return y.reshape(rows.shape[0], -1).numpy(), tuple(int(n) for n in y.shape[1:])

        y0, out_shape = run(x.off[None, :])
        off = y0[0].copy()
        if bias is not None:
            off = off + np.broadcast_to(bias, out_shape).ravel()
        mat = np.zeros((off.shape[0], x.mat.shape[1]))
        cols = np.flatnonzero(np.any(x.mat != 0.0, axis=0))
        for start in range(0, cols.shape[0], _CHUNK):
            c = cols[start : start + _CHUNK]
            yc, shape_c = run(x.mat[:, c].T)
            if shape_c != out_shape:
                raise UnsupportedLayerError(f"{where} mixes the samples of a batch")
            mat[:, c] = yc.T
        return _Expr(mat, off, out_shape)

    def _structural(self, x: _Expr, fn: Callable[[Any], Any], where: str) -> _Expr:
        """Apply a reshape/indexing ``fn`` (which must keep samples apart) via an index tensor."""
        torch = self.torch
        n = x.size
        idx = torch.arange(_SBATCH * n, dtype=torch.int64).reshape(_SBATCH, *x.shape)
        try:
            out = fn(idx)
        except (RuntimeError, ValueError, TypeError, IndexError) as e:
            raise ShapeMismatchError(
                f"{where} cannot be applied to an input of per-sample shape {x.shape}: {e}"
            ) from e
        ok = (
            isinstance(out, torch.Tensor)
            and out.ndim >= 1
            and out.shape[0] == _SBATCH
            and bool(
                (
                    out - out[:1] == torch.arange(_SBATCH).reshape(-1, *[1] * (out.ndim - 1)) * n
                ).all()
            )
        )
        if not ok:
            raise UnsupportedLayerError(
                f"{where} mixes the samples of a batch (or moves the batch dimension); only "
                "per-sample reshapes and indexing are supported"
            )
        return _gather(x, out[0].numpy())

    def _stage(
        self,
        x: _Expr,
        kind: str,
        path: str,
        *,
        slope: Any = 0.0,
        lo: Any = 0.0,
        hi: Any = 0.0,
        groups: np.ndarray | None = None,
        out_shape: tuple[int, ...] | None = None,
    ) -> _Expr:
        m = x.size
        w = _pad(x.mat, self.d)
        vec = {
            k: np.broadcast_to(np.asarray(v, dtype=np.float64), (m,)).copy()
            for k, v in (("slope", slope), ("lo", lo), ("hi", hi))
        }
        if kind == "hardtanh" and not (vec["lo"] < vec["hi"]).all():
            raise UnsupportedLayerError(f"{path}: hardtanh needs min_val < max_val")
        st = Stage(
            kind,
            w,
            x.off,
            vec["slope"],
            vec["lo"],
            vec["hi"],
            _EMPTY_GROUPS if groups is None else groups,
            path,
        )
        self.stages.append(st)
        self.d += st.n_out
        return self._identity(st.n_out, x.shape if out_shape is None else out_shape)

    # ------------------------------------------------------------ ops
    def _maxpool(
        self, x: _Expr, dims: int, p: dict[str, Any], where: str, path: str | None = None
    ) -> _Expr:
        torch = self.torch
        F = torch.nn.functional
        if p.get("return_indices"):
            raise UnsupportedLayerError(f"{where} with return_indices=True is not supported")
        kernel = _tuple(p["kernel_size"], dims)
        stride_v = p.get("stride")
        stride = (
            kernel
            if stride_v is None or stride_v == [] or stride_v == ()
            else _tuple(stride_v, dims)
        )
        padding = _tuple(p.get("padding", 0), dims)
        dilation = _tuple(p.get("dilation", 1), dims)
        if any(padding):
            raise UnsupportedLayerError(
                f"{where} with padding={p.get('padding')} is not supported; use padding=0"
            )
        if len(x.shape) < dims:
            raise ShapeMismatchError(
                f"{where} needs at least {dims} per-sample dimensions, got shape {x.shape}"
            )
        lead, spatial = x.shape[: len(x.shape) - dims], x.shape[len(x.shape) - dims :]
        c = math.prod(lead)
        pool = F.max_pool1d if dims == 1 else F.max_pool2d
        try:
            ref = pool(
                torch.zeros(1, c, *spatial, dtype=torch.float64),
                kernel,
                stride,
                0,
                dilation,
                ceil_mode=bool(p.get("ceil_mode", False)),
            )
        except RuntimeError as e:
            raise ShapeMismatchError(
                f"{where} cannot be applied to an input of per-sample shape {x.shape}: {e}"
            ) from e
        idx = torch.arange(x.size, dtype=torch.float64).reshape(c, 1, *([1] * (2 - dims)), *spatial)
        k2 = (1, *kernel) if dims == 1 else kernel
        unf = F.unfold(
            idx,
            k2,
            dilation=(1, *dilation) if dims == 1 else dilation,
            stride=(1, *stride) if dims == 1 else stride,
        )  # (c, k, L)
        out_spatial = tuple(int(n) for n in ref.shape[2:])
        if unf.shape[2] != math.prod(out_spatial):
            raise UnsupportedLayerError(
                f"{where} with ceil_mode=True has partial windows on this input "
                f"(shape {x.shape}); use ceil_mode=False"
            )
        groups = unf.permute(0, 2, 1).reshape(-1, unf.shape[1]).round().to(torch.int64).numpy()
        return self._stage(
            x,
            "maxpool",
            where if path is None else path,
            groups=groups,
            out_shape=(*lead, *out_spatial),
        )

    def _binary(self, op: str, a: Any, b: Any, where: str, alpha: Any = 1) -> _Expr:
        if not isinstance(a, _Expr):
            if op in ("add", "mul"):
                a, b = b, a
            elif op == "sub":
                neg = self._binary("mul", self._expr(b, where), -1.0, where)
                return self._binary("add", neg, a, where)
            else:
                raise UnsupportedLayerError(
                    f"{where} divides by a tensor that depends on the input; the model is not "
                    "piecewise linear"
                )
        if alpha != 1:
            if isinstance(b, _Expr):
                b = self._binary("mul", b, alpha, where)
            else:
                c = self._const(b, where)
                if c is None:
                    raise UnsupportedLayerError(f"{where} with operand {b!r} is not supported")
                b = c * float(alpha)
        if isinstance(b, _Expr):
            if op in ("mul", "div"):
                raise UnsupportedLayerError(
                    f"{where} multiplies or divides two tensors that both depend on the input; "
                    "the model is not piecewise linear"
                )
            if len(a.shape) != len(b.shape):
                raise UnsupportedLayerError(
                    f"{where} adds tensors of per-sample shapes {a.shape} and {b.shape}; "
                    "broadcasting across the batch dimension is not supported"
                )
            shape = self._broadcast(a.shape, b.shape, where)
            a, b = self._bcast(a, shape), self._bcast(b, shape)
            d = max(a.mat.shape[1], b.mat.shape[1])
            sign = -1.0 if op == "sub" else 1.0
            return _Expr(_pad(a.mat, d) + sign * _pad(b.mat, d), a.off + sign * b.off, shape)
        c = self._const(b, where)
        if c is None:
            raise UnsupportedLayerError(f"{where} with operand {b!r} is not supported")
        if c.ndim > len(a.shape):
            if c.ndim == len(a.shape) + 1 and c.shape[0] == 1:
                c = c[0]
            else:
                raise UnsupportedLayerError(
                    f"{where}: a constant of shape {c.shape} broadcasts over the batch "
                    f"dimension of a tensor of per-sample shape {a.shape}"
                )
        shape = self._broadcast(a.shape, c.shape, where)
        a = self._bcast(a, shape)
        cb = np.broadcast_to(c, shape).ravel()
        if op == "add":
            return _Expr(a.mat, a.off + cb, shape)
        if op == "sub":
            return _Expr(a.mat, a.off - cb, shape)
        if op == "mul":
            return _Expr(a.mat * cb[:, None], a.off * cb, shape)
        if not (cb != 0).all():
            raise UnsupportedLayerError(f"{where} divides by zero")
        return _Expr(a.mat / cb[:, None], a.off / cb, shape)

    @staticmethod
    def _broadcast(s1: tuple[int, ...], s2: tuple[int, ...], where: str) -> tuple[int, ...]:
        try:
            return tuple(int(n) for n in np.broadcast_shapes(s1, s2))
        except ValueError as e:
            raise ShapeMismatchError(
                f"{where}: per-sample shapes {s1} and {s2} do not broadcast"
            ) from e

    @staticmethod
    def _bcast(x: _Expr, shape: tuple[int, ...]) -> _Expr:
        if x.shape == shape:
            return x
        idx = np.broadcast_to(np.arange(x.size).reshape(x.shape), shape)
        return _gather(x, idx)

    def _cat(self, tensors: Any, dim: int, where: str) -> _Expr:
        torch = self.torch
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise UnsupportedLayerError(f"{where} needs a list of tensors")
        xs = [self._expr(t, where) for t in tensors]
        ndim = len(xs[0].shape) + 1
        dim = int(dim)
        if dim < 0:
            dim += ndim
        if dim == 0:
            raise UnsupportedLayerError(
                f"{where} concatenates along the batch dimension (dim=0); only dim >= 1 is "
                "supported"
            )
        idx, start = [], 0
        for x in xs:
            idx.append(torch.arange(start, start + x.size).reshape(1, *x.shape))
            start += x.size
        try:
            out = torch.cat(idx, dim=dim)
        except (RuntimeError, IndexError) as e:
            raise ShapeMismatchError(f"{where}: {e}") from e
        d = max(x.mat.shape[1] for x in xs)
        both = _Expr(
            np.vstack([_pad(x.mat, d) for x in xs]),
            np.concatenate([x.off for x in xs]),
            (start,),
        )
        return _gather(both, out[0].numpy())

    def _pl_function(self, kind: str, x: Any, where: str, **params: Any) -> _Expr:
        return self._stage(self._expr(x, where), kind, where, **params)

    def _prelu_slope(self, x: _Expr, weight: Any, where: str) -> np.ndarray:
        torch = self.torch
        w = torch.from_numpy(self._np(weight, where, "weight"))
        try:
            s = -torch.nn.functional.prelu(-torch.ones(1, *x.shape, dtype=torch.float64), w)
        except RuntimeError as e:
            raise ShapeMismatchError(
                f"{where} cannot be applied to an input of per-sample shape {x.shape}: {e}"
            ) from e
        out: np.ndarray = s.reshape(-1).numpy().copy()
        return out

    # ------------------------------------------------------------ modules
    def _check_supported(self, m: Any, where: str) -> None:
        """Raise ``UnsupportedLayerError`` for a leaf module that is not on the whitelist."""
        nn = self.nn
        t = type(m)
        leaves = {getattr(nn, n[3:]) for n in SUPPORTED_MODULES} - {
            nn.Sequential,
            nn.ModuleList,
            nn.ModuleDict,
        }
        if t not in leaves:
            base = next((c for c in t.__mro__[1:] if c in leaves or c is nn.Sequential), None)
            extra = f" (a subclass of {_type_name(base)})" if base is not None else ""
            raise UnsupportedLayerError(
                f"unsupported layer {where}{extra}; supported layers are "
                + ", ".join(SUPPORTED_MODULES)
                + " (matched by exact type)"
            )

    def _call_module(self, node: Any) -> Any:
        torch, nn = self.torch, self.nn
        F = torch.nn.functional
        path = self._path(str(node.target))
        m: Any = self.root.get_submodule(node.target)
        t = type(m)
        where = f"{_type_name(t)}{_at(path)}"
        args = [self._val(a) for a in node.args]
        kwargs = {k: self._val(v) for k, v in node.kwargs.items()}
        if t in (nn.BatchNorm1d, nn.BatchNorm2d) and m.training:
            raise TrainingModeError(
                f"{where} is in training mode, so the model depends on the batch; call "
                "model.eval() first"
            )
        if t in (nn.Dropout, nn.Dropout1d, nn.Dropout2d) and m.training:
            raise TrainingModeError(
                f"{where} is in training mode, so the model is random; call model.eval() first"
            )
        self._check_supported(m, where)
        if len(args) != 1 or kwargs:
            raise UnsupportedLayerError(f"{where} must be called with one tensor")
        x = self._expr(args[0], where)
        out: _Expr
        if t is nn.Linear:
            if x.shape[-1] != m.in_features:
                raise ShapeMismatchError(
                    f"{where} has in_features={m.in_features}, but its input has per-sample "
                    f"shape {x.shape}"
                )
            wa = self._np(m.weight, where, "weight")
            if wa.ndim != 2:
                raise ShapeMismatchError(
                    f"{where} has a weight of shape {wa.shape}; nn.Linear's weight is "
                    "(out_features, in_features)"
                )
            w = torch.from_numpy(wa)
            b = self._np(m.bias, where, "bias") if m.bias is not None else None
            if b is not None and b.shape != (wa.shape[0],):
                raise ShapeMismatchError(
                    f"{where} has a bias of shape {b.shape} for a weight of shape {wa.shape}; "
                    f"the bias must be ({wa.shape[0]},)"
                )
            out = self._affine(x, lambda v: F.linear(v, w), where, b)
        elif t in (nn.Conv1d, nn.Conv2d):
            nd = 1 if t is nn.Conv1d else 2
            if len(x.shape) != nd + 1:
                raise ShapeMismatchError(
                    f"{where} needs a per-sample input of {nd + 1} dimensions (channels and "
                    f"{'length' if nd == 1 else 'height, width'}), got shape {x.shape}"
                )
            w = torch.from_numpy(self._np(m.weight, where, "weight"))
            b = self._np(m.bias, where, "bias") if m.bias is not None else None
            out = self._affine(
                x,
                lambda v: m._conv_forward(v, w, None),
                where,
                None if b is None else b.reshape(-1, *([1] * nd)),
            )
        elif t in (nn.BatchNorm1d, nn.BatchNorm2d):
            if m.running_mean is None or m.running_var is None:
                raise UnsupportedLayerError(
                    f"{where} has no running statistics (track_running_stats=False), so it "
                    "normalises with the batch statistics even in eval mode"
                )
            if not x.shape or x.shape[0] != m.num_features:
                raise ShapeMismatchError(
                    f"{where} has num_features={m.num_features}, but its input has per-sample "
                    f"shape {x.shape}"
                )
            mean = self._np(m.running_mean, where, "running_mean")
            var = self._np(m.running_var, where, "running_var")
            gamma = self._np(m.weight, where, "weight") if m.weight is not None else 1.0
            beta = self._np(m.bias, where, "bias") if m.bias is not None else 0.0
            scale = gamma / np.sqrt(var + m.eps)
            shift = beta - mean * scale
            shp = (-1, *([1] * (len(x.shape) - 1)))
            sc = torch.from_numpy(np.ascontiguousarray(scale.reshape(shp)))
            out = self._affine(x, lambda v: v * sc, where, np.reshape(shift, shp))
        elif t in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Identity):
            out = x
        elif t in (nn.Flatten, nn.Unflatten):
            out = self._structural(x, m, where)
        elif t in (nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d):
            out = self._affine(x, m, where)
        elif t is nn.ReLU:
            out = self._stage(x, "relu", path)
        elif t is nn.LeakyReLU:
            out = self._stage(x, "leaky", path, slope=float(m.negative_slope))
        elif t is nn.PReLU:
            out = self._stage(x, "leaky", path, slope=self._prelu_slope(x, m.weight, where))
        elif t is nn.ReLU6:
            out = self._stage(x, "hardtanh", path, lo=0.0, hi=6.0)
        elif t is nn.Hardtanh:
            out = self._stage(x, "hardtanh", path, lo=float(m.min_val), hi=float(m.max_val))
        elif t in (nn.MaxPool1d, nn.MaxPool2d):
            p = {
                "kernel_size": m.kernel_size,
                "stride": m.stride,
                "padding": m.padding,
                "dilation": m.dilation,
                "ceil_mode": m.ceil_mode,
                "return_indices": m.return_indices,
            }
            out = self._maxpool(x, 1 if t is nn.MaxPool1d else 2, p, where, path)
        else:  # pragma: no cover - SUPPORTED_MODULES and this chain agree
            raise UnsupportedLayerError(f"unsupported layer {where}")
        if getattr(m, "inplace", False):
            self._rebind(node.args[0], out)
        return out

    def _rebind(self, arg: Any, value: _Expr) -> None:
        import torch.fx as fx

        if isinstance(arg, fx.Node):
            self.env[arg] = value

    # ------------------------------------------------------------ functions
    def _call_function(self, node: Any) -> Any:
        torch = self.torch
        F = torch.nn.functional
        target = node.target
        where = f"{_fn_name(target)} at node {node.name}"
        args = [self._val(a) for a in node.args]
        kwargs = {k: self._val(v) for k, v in node.kwargs.items()}
        if not _contains(args, (_Expr, _Batch)) and not _contains(kwargs, (_Expr, _Batch)):
            return self._fold(target, args, kwargs, where)
        if target is getattr:
            x = self._expr(args[0], where)
            if args[1] == "shape":
                return (_BATCH, *x.shape)
            raise UnsupportedLayerError(f"{where}: the attribute {args[1]!r} is not supported")
        if target is operator.getitem:
            if isinstance(args[0], (tuple, list)):
                return args[0][args[1]]
            x = self._expr(args[0], where)
            index = args[1]
            if _contains(index, (_Expr, _Batch)):
                raise UnsupportedLayerError(f"{where}: indexing with {index!r} is not supported")
            return self._structural(x, lambda v: v[index], where)
        if target in (operator.add, operator.sub, operator.mul, operator.truediv):
            op = {operator.add: "add", operator.sub: "sub", operator.mul: "mul"}.get(target, "div")
            self._no_batch(args, where)
            return self._binary(op, args[0], args[1], where)
        if target in (operator.neg, torch.neg):
            return self._binary("mul", self._expr(args[0], where), -1.0, where)
        if target is operator.pos:
            return self._expr(args[0], where)
        if target in (torch.add, torch.sub):
            p = _bind(args, kwargs, ("input", "other", "alpha"), {"alpha": 1}, where)
            self._no_batch(list(p.values()), where)
            op = "add" if target is torch.add else "sub"
            return self._binary(op, p["input"], p["other"], where, p["alpha"])
        if target in (torch.mul, torch.div):
            p = _bind(args, kwargs, ("input", "other"), {}, where)
            self._no_batch(list(p.values()), where)
            return self._binary(
                "mul" if target is torch.mul else "div", p["input"], p["other"], where
            )
        if target in (F.relu, torch.relu, torch.relu_):
            p = _bind(args, kwargs, ("input", "inplace"), {"inplace": False}, where)
            out = self._pl_function("relu", p["input"], where)
            if p["inplace"] or target is torch.relu_:
                self._rebind(node.args[0], out)
            return out
        if target is F.leaky_relu:
            p = _bind(
                args,
                kwargs,
                ("input", "negative_slope", "inplace"),
                {"negative_slope": 0.01, "inplace": False},
                where,
            )
            out = self._pl_function("leaky", p["input"], where, slope=float(p["negative_slope"]))
            if p["inplace"]:
                self._rebind(node.args[0], out)
            return out
        if target is F.relu6:
            p = _bind(args, kwargs, ("input", "inplace"), {"inplace": False}, where)
            out = self._pl_function("hardtanh", p["input"], where, lo=0.0, hi=6.0)
            if p["inplace"]:
                self._rebind(node.args[0], out)
            return out
        if target is F.hardtanh:
            p = _bind(
                args,
                kwargs,
                ("input", "min_val", "max_val", "inplace"),
                {"min_val": -1.0, "max_val": 1.0, "inplace": False},
                where,
            )
            out = self._pl_function(
                "hardtanh", p["input"], where, lo=float(p["min_val"]), hi=float(p["max_val"])
            )
            if p["inplace"]:
                self._rebind(node.args[0], out)
            return out
        if target in (F.prelu, torch.prelu):
            p = _bind(args, kwargs, ("input", "weight"), {}, where)
            x = self._expr(p["input"], where)
            return self._stage(x, "leaky", where, slope=self._prelu_slope(x, p["weight"], where))
        if target in (F.max_pool1d, F.max_pool2d, torch.max_pool1d, torch.max_pool2d):
            p = _bind(
                args,
                kwargs,
                (
                    "input",
                    "kernel_size",
                    "stride",
                    "padding",
                    "dilation",
                    "ceil_mode",
                    "return_indices",
                ),
                {
                    "stride": None,
                    "padding": 0,
                    "dilation": 1,
                    "ceil_mode": False,
                    "return_indices": False,
                },
                where,
            )
            dims = 1 if target in (F.max_pool1d, torch.max_pool1d) else 2
            return self._maxpool(self._expr(p["input"], where), dims, p, where)
        if target in (F.avg_pool1d, F.avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d):
            x = self._expr(args[0], where)
            rest, kw = args[1:], kwargs
            return self._affine(x, lambda v: target(v, *rest, **kw), where)
        if target in (F.linear, F.conv1d, F.conv2d):
            names: tuple[str, ...] = (
                ("input", "weight", "bias")
                if target is F.linear
                else ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
            )
            # torch's defaults (F.conv2d(x, w) is the common call)
            conv_defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}
            p = _bind(
                args, kwargs, names,
                {"bias": None, **({} if target is F.linear else conv_defaults)}, where,
            )
            x = self._expr(p.pop("input"), where)
            w = torch.from_numpy(self._np(p.pop("weight"), where, "weight"))
            b = p.pop("bias")
            bb = None if b is None else self._np(b, where, "bias")
            nd = {F.linear: 0, F.conv1d: 1, F.conv2d: 2}[target]
            return self._affine(
                x,
                lambda v: target(v, w, None, **p),
                where,
                None if bb is None else bb.reshape(-1, *([1] * nd)),
            )
        if target is F.dropout:
            p = _bind(
                args,
                kwargs,
                ("input", "p", "training", "inplace"),
                {"p": 0.5, "training": True, "inplace": False},
                where,
            )
            if p["training"] and p["p"] != 0:
                raise TrainingModeError(
                    f"{where} has training=True, so the model is random; pass "
                    "training=self.training and call model.eval()"
                )
            return self._expr(p["input"], where)
        if target in (torch.cat, torch.concat, torch.concatenate):
            names = ("tensors", "axis") if "axis" in kwargs else ("tensors", "dim")
            p = _bind(args, kwargs, names, {names[1]: 0}, where)
            return self._cat(p["tensors"], p[names[1]], where)
        if target in (
            torch.flatten,
            torch.reshape,
            torch.squeeze,
            torch.unsqueeze,
            torch.permute,
            torch.transpose,
            torch.narrow,
        ):
            x = self._expr(args[0], where)
            rest = _subst_batch(args[1:], _SBATCH)
            kw = _subst_batch(kwargs, _SBATCH)
            return self._structural(x, lambda v: target(v, *rest, **kw), where)
        raise UnsupportedLayerError(
            f"unsupported function {where}; supported functions are "
            + ", ".join(SUPPORTED_FUNCTIONS)
        )

    _STRUCTURAL_METHODS = frozenset(
        (
            "view",
            "reshape",
            "flatten",
            "unflatten",
            "squeeze",
            "unsqueeze",
            "permute",
            "transpose",
            "narrow",
            "expand",
            "contiguous",
            "clone",
        )
    )

    def _call_method(self, node: Any) -> Any:
        name = str(node.target)
        where = f"Tensor.{name} at node {node.name}"
        args = [self._val(a) for a in node.args]
        kwargs = {k: self._val(v) for k, v in node.kwargs.items()}
        if not _contains(args, (_Expr, _Batch)) and not _contains(kwargs, (_Expr, _Batch)):
            return self._fold(name, args, kwargs, where, method=True)
        x = self._expr(args[0], where)
        rest = args[1:]
        if name == "size":
            p = _bind(rest, kwargs, ("dim",), {"dim": None}, where)
            full = (_BATCH, *x.shape)
            return full if p["dim"] is None else full[int(p["dim"])]
        if name == "dim":
            return len(x.shape) + 1
        if name in ("relu", "relu_"):
            out = self._stage(x, "relu", where)
            if name == "relu_":
                self._rebind(node.args[0], out)
            return out
        if name in ("add", "sub", "mul", "div"):
            p = _bind(rest, kwargs, ("other", "alpha"), {"alpha": 1}, where)
            self._no_batch([p["other"]], where)
            return self._binary(name, x, p["other"], where, p["alpha"])
        if name == "neg":
            return self._binary("mul", x, -1.0, where)
        if name in self._STRUCTURAL_METHODS:
            r = _subst_batch(rest, _SBATCH)
            kw = _subst_batch(kwargs, _SBATCH)
            return self._structural(x, lambda v: getattr(v, name)(*r, **kw), where)
        raise UnsupportedLayerError(
            f"unsupported method {where}; supported functions are " + ", ".join(SUPPORTED_FUNCTIONS)
        )

    def _no_batch(self, args: Sequence[Any], where: str) -> None:
        for a in args:
            if _contains(a, (_Batch,)):
                raise UnsupportedLayerError(
                    f"{where} computes with the batch size; only per-sample operations are "
                    "supported"
                )

    def _fold(
        self,
        target: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        where: str,
        method: bool = False,
    ) -> Any:
        """Evaluate an operation on constants only (parameters, buffers, numbers)."""
        torch = self.torch
        try:
            with torch.no_grad():
                if method:
                    return getattr(args[0], target)(*args[1:], **kwargs)
                return target(*args, **kwargs)
        except Exception as e:
            raise UnsupportedLayerError(f"{where} on constants failed: {e}") from e

    # ------------------------------------------------------------ walk
    def _val(self, a: Any) -> Any:
        import torch.fx as fx

        if isinstance(a, fx.Node):
            return self.env[a]
        if isinstance(a, (list, tuple)):
            vals = [self._val(v) for v in a]
            return type(a)(vals) if isinstance(a, list) else tuple(vals)
        if isinstance(a, dict):
            return {k: self._val(v) for k, v in a.items()}
        return a

    def _infer_shape(self, graph: Any, x_node: Any) -> tuple[int, ...]:
        if self.user_shape is not None:
            return self.user_shape
        first = next((n for n in graph.nodes if x_node in n.all_input_nodes), None)
        if first is not None and first.op == "call_module":
            m = self.root.get_submodule(first.target)
            if type(m) is self.nn.Linear:
                return (int(m.in_features),)
        import torch

        if (
            first is not None and first.op == "call_function"
            and first.target is torch.nn.functional.linear
        ):
            wnode = first.args[1] if len(first.args) > 1 else first.kwargs.get("weight")
            if getattr(wnode, "op", None) == "get_attr":
                weight = operator.attrgetter(str(wnode.target))(self.root)
                if getattr(weight, "ndim", 0) == 2:
                    return (int(weight.shape[1]),)
        for n in graph.nodes:  # an unsupported layer is the real problem, not the shape
            if n.op == "call_module":
                m = self.root.get_submodule(n.target)
                self._check_supported(m, f"{_type_name(type(m))}{_at(self._path(str(n.target)))}")
        what = (
            "nothing"
            if first is None
            else (
                f"{_type_name(type(self.root.get_submodule(first.target)))}"
                f"{_at(self._path(str(first.target)))}"
                if first.op == "call_module"
                else f"node {first.name}"
            )
        )
        raise InputDimensionError(
            f"cannot infer the input shape: the model's first operation on its input is {what}, "
            "not an nn.Linear; pass input_shape, e.g. input_shape=(1, 8, 8), or a "
            "plane=Plane.through(a, b, c), whose inputs give it (command line: --plane)"
        )

    def compile(self) -> Program:
        graph = self._trace()
        placeholders = [n for n in graph.nodes if n.op == "placeholder"]
        if not placeholders:
            raise UnsupportedLayerError("the model's forward takes no input")
        x_node = placeholders[0]
        self.input_shape = self._infer_shape(graph, x_node)
        d_in = math.prod(self.input_shape)
        self.d = d_in
        result: Any = None
        for node in graph.nodes:
            if node.op == "placeholder":
                if node is x_node:
                    self.env[node] = self._identity(d_in, self.input_shape)
                elif node.args:
                    self.env[node] = node.args[0]
                else:
                    raise UnsupportedLayerError(
                        f"the model's forward takes more than one input ({node.name}); only "
                        "single-input models are supported"
                    )
            elif node.op == "get_attr":
                obj: Any = self.root
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
                if isinstance(obj, self.torch.Tensor):
                    self._np(obj, f"parameter {self._path(str(node.target))}", "entries")
                    if obj.is_floating_point():
                        obj = obj.detach().to(self.torch.float64)
                self.env[node] = obj
            elif node.op == "call_module":
                self.env[node] = self._call_module(node)
            elif node.op == "call_function":
                self.env[node] = self._call_function(node)
            elif node.op == "call_method":
                self.env[node] = self._call_method(node)
            elif node.op == "output":
                result = self._val(node.args[0])
        if not isinstance(result, _Expr):
            raise UnsupportedLayerError(
                f"the model returns {type(result).__name__}; regions needs a single tensor "
                "that depends on the input"
            )
        if result.size == 0:
            raise ShapeMismatchError(
                "the model has 0 outputs (its forward returns a tensor of per-sample shape "
                f"{result.shape}); regions needs a model with at least one output"
            )
        prog = Program(
            self.input_shape,
            tuple(self.stages),
            _pad(result.mat, self.d),
            result.off,
            self.model,
        )
        self._check(prog)
        return prog

    def _check(self, prog: Program) -> None:
        """Compare with a forward pass of the float64 copy at random inputs."""
        torch = self.torch
        rng = np.random.default_rng(0)
        x = rng.standard_normal((_CHECK_BATCH, *prog.input_shape))
        try:
            with torch.no_grad():
                y = self.copy(torch.from_numpy(x))
        except Exception as e:
            raise UnsupportedLayerError(
                f"the model fails on a batch of {_CHECK_BATCH} inputs of shape "
                f"{prog.input_shape}: {type(e).__name__}: {e}"
            ) from e
        ref = y.detach().to(torch.float64).reshape(_CHECK_BATCH, -1).numpy()
        got = prog.forward(x)
        scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
        if ref.shape != got.shape or not np.allclose(got, ref, rtol=0.0, atol=CHECK_RTOL * scale):
            err = float(np.abs(got - ref).max()) if ref.shape == got.shape else float("nan")
            raise UnsupportedLayerError(
                "the compiled program does not reproduce the model's forward pass "
                f"(output shapes {got.shape} and {ref.shape}, largest difference {err:.3g}); "
                "the model probably mixes the samples of a batch or aliases tensors that are "
                "modified in place"
            )
