"""The splitter for general piecewise-linear models: stage programs on a 2-D input.

A :class:`regions.program.Program` on a 2-D input (a plane slice already folded
in, see ``Program.on_plane``) is a list of stages. Stage ``s`` computes
pre-activations ``z = W_s h + b_s`` from the state ``h = [x, a_1, ..., a_{s-1}]``
and its outputs ``a_s`` with a piecewise-linear unit (ReLU, leaky ReLU,
hardtanh, max pool). Its breakpoints are the zero sets of the *split
functions* ``q = B z + beta`` (``Program.split_functions``): ``z`` for ReLU-like
units, ``z - lo`` and ``z - hi`` for hardtanh, ``z_a - z_b`` for each pair in a
max-pool window. On each cell of the partition by the earlier stages, ``q`` is
affine in ``x``, so the same mesh kernel as for MLPs
(:func:`regions.split.refine_rows`) splits the cells; the state columns that
later stages still read are carried along as extra interpolated rows.

The activation pattern of a region is the sign bits ``q > 0`` of all split
functions, stage by stage. Its affine map follows from the bits
(:func:`affine_maps`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import ParameterError
from .split import (
    Mesh,
    _sliver_width,
    canonical_order,
    face_reduce,
    merge_thin,
    plane_slivers,
    refine_rows,
    start_mesh,
    thin_faces,
)
from .tolerance import scale_floor

__all__ = ["split_program", "affine_maps", "stage_activation", "PlaneModel"]


def _last_use(program: Any) -> np.ndarray:
    """For each state column, the last stage that reads it (``len(stages)``: the output)."""
    stages = program.stages
    d_total = 2 + sum(_out_dim(st) for st in stages)
    last = np.full(d_total, -1)
    for s, st in enumerate(stages):
        cols = np.flatnonzero(np.any(st.weight != 0, axis=0))
        last[cols] = s
    cols = np.flatnonzero(np.any(program.out_weight != 0, axis=0))
    last[cols] = len(stages)
    return last


def _out_dim(stage: Any) -> int:
    return int(stage.groups.shape[0]) if stage.kind == "maxpool" else int(stage.weight.shape[0])


def stage_activation(stage: Any, z: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """Outputs of a stage at points, from its pre-activations.

    Parameters
    ----------
    stage : Stage
    z : (P, m) float64 array
        Pre-activations (slopes at ideal points).
    ideal : (P,) bool array
        Points at infinity: ``z`` is a slope there and so is the result.

    Returns
    -------
    a : (P, m) or (P, G) float64 array
    """
    if stage.kind == "relu":
        return np.maximum(z, 0.0)
    if stage.kind == "leaky":
        return np.where(z > 0, z, stage.slope * z)
    if stage.kind == "hardtanh":
        a = np.clip(z, stage.lo, stage.hi)
        a[ideal] = 0.0  # saturated (or constant) far away: no slope
        return a
    if stage.kind == "maxpool":
        return z[:, stage.groups].max(axis=2)
    raise ParameterError(f"unknown stage kind {stage.kind!r}")


def split_program(
    program: Any,
    ring: np.ndarray | None,
    on_stage: Callable[[int, Mesh], None] | None = None,
    zero_rtol: float | None = None,
    max_faces: int | None = None,
) -> Mesh:
    """Refine a convex polygon (or the whole plane) by every stage of a 2-D program.

    Parameters
    ----------
    program : Program
        With ``input_shape == (2,)``.
    ring : (K, 2) float64 array or None
        Counter-clockwise convex polygon; ``None`` for the whole plane.
    on_stage : callable, optional
        Called as ``on_stage(s, mesh)`` after each stage.
    zero_rtol, max_faces
        As in :func:`regions.split.split_mesh`.

    Returns
    -------
    Mesh
        ``layer_patterns[s]`` holds the bits ``q > 0`` of stage ``s``'s split
        functions.
    """
    if tuple(program.input_shape) != (2,):
        raise ParameterError(
            f"the program takes inputs of shape {program.input_shape}; fold a plane in first "
            "(Program.on_plane)"
        )
    mesh, witness = start_mesh(ring)
    xy, ptr, verts, ideal = mesh.xy, mesh.face_ptr, mesh.face_verts, mesh.ideal_mask
    last = _last_use(program)
    h = xy.copy()  # state columns kept at each vertex
    cols = np.array([0, 1])  # their ids in the full state
    next_col = 2
    floor = None  # the least scale each vertex inherits (regions.tolerance.scale_floor)
    thin = _sliver_width(ring)  # narrower faces are rounding slivers
    for s, st in enumerate(program.stages):
        w = st.weight[:, cols]
        z = h @ w.T
        z[~ideal] += st.bias
        bmat, beta = program.split_functions(s)
        q = z @ bmat.T
        q[~ideal] += beta
        qw = bmat @ w
        qb = bmat @ st.bias + beta
        keep = last[cols] > s  # state still read after this stage
        carry = [h[:, keep]]
        if st.kind == "maxpool" or st.kind == "hardtanh":
            carry.append(z)
        rows = np.hstack([q, *carry])
        scale = np.abs(h).max(axis=1) if h.shape[1] else np.zeros(len(h))
        if floor is not None:
            np.maximum(scale, floor, out=scale)
        r = refine_rows(
            xy,
            rows,
            q.shape[1],
            scale,
            np.abs(qw).sum(axis=1),
            np.abs(qb),
            ptr,
            verts,
            ideal=ideal,
            witness=witness,
            zero_rtol=zero_rtol,
            max_faces=max_faces,
            layer=s,
        )
        xy, ptr, verts, ideal = r.xy, r.face_ptr, r.face_verts, r.ideal
        nq = q.shape[1]
        qv = r.z[:, :nq]
        pattern = face_reduce(qv > 0, ptr, verts, np.bitwise_or)
        if witness >= 0:
            nofin = face_reduce(~ideal[:, None], ptr, verts, np.bitwise_or)[:, 0] == 0
            pattern[nofin] = qv[witness] > 0
        if s == 0:  # lines only, their values tested as computed: a thin face is real
            bad = np.zeros(len(ptr) - 1, dtype=bool)
        elif witness >= 0:
            bad = plane_slivers(xy, ptr, verts, ideal)
        else:
            bad = thin_faces(xy, ptr, verts, thin)
        # rounding slivers merge into a neighbour (regions.tolerance, "Slivers")
        ptr, verts, src = merge_thin(xy, ptr, verts, bad, ideal)
        pattern, parents = pattern[src], r.parents[src]
        ptr, verts, pattern, parents = canonical_order(ptr, verts, pattern, parents)
        mesh = Mesh(
            xy,
            ptr,
            verts,
            [*mesh.layer_patterns, pattern],
            [*mesh.layer_parents, parents],
            ideal=ideal,
        )
        if on_stage is not None:
            on_stage(s, mesh)
        kept = r.z[:, nq : nq + int(keep.sum())]
        if st.kind in ("maxpool", "hardtanh"):
            zs = r.z[:, nq + int(keep.sum()) :]
        else:
            zs = qv  # q = z for ReLU-like units
        # a ReLU output below its zero band is exactly 0.0 and passes no rounding on
        floor = scale_floor(r.scale, w, st.bias, zero_rtol, ideal,
                            rows=qv if st.kind == "relu" else None)
        if keep.any():  # carried state columns inherit their rounding too (weight 1)
            floor = np.maximum(
                floor, scale_floor(r.scale, np.ones((1, 1)), np.zeros(1), zero_rtol, ideal)
            )
        a = stage_activation(st, zs, ideal)
        if st.kind == "hardtanh":
            # where a breakpoint value was snapped to zero the output is the bound
            # itself, exactly: the carried z is interpolated and may miss it by an
            # ulp, which would leave a cell where the next stage is constant with
            # values of noise instead of a constant (and a sliver cut by it)
            m = zs.shape[1]
            fin = ~ideal[:, None]
            a = np.where((qv[:, :m] <= 0) & fin, st.lo, a)
            a = np.where((qv[:, m:] >= 0) & fin, st.hi, a)
        width = a.shape[1]
        h = np.hstack([kept, a])
        cols = np.r_[cols[keep], np.arange(next_col, next_col + width)]
        next_col += width
    return mesh


def affine_maps(
    program: Any, patterns: np.ndarray, chunk: int = 1 << 21
) -> tuple[np.ndarray, np.ndarray]:
    """Affine output map of each region from its split-function bits.

    Parameters
    ----------
    program : Program
        With ``input_shape == (2,)``.
    patterns : (R, N) bool array
        Bits ``q > 0`` of every stage's split functions, concatenated.
    chunk : int
        Bound on the entries of the per-region state maps held at once.

    Returns
    -------
    jacobians : (R, n_out, 2) float64 array
    offsets : (R, n_out) float64 array
    """
    patterns = np.asarray(patterns, dtype=bool)
    r = len(patterns)
    d_total = 2 + sum(_out_dim(st) for st in program.stages)
    n_out = program.out_weight.shape[0]
    jac = np.empty((r, n_out, 2))
    off = np.empty((r, n_out))
    widths = [program.split_functions(s)[0].shape[0] for s in range(len(program.stages))]
    bounds = np.cumsum([0, *widths])
    step = max(1, chunk // (3 * d_total))
    for c0 in range(0, r, step):
        bits_all = patterns[c0 : c0 + step]
        c = len(bits_all)
        m = np.zeros((c, 2, 3))
        m[:, 0, 0] = 1.0
        m[:, 1, 1] = 1.0
        for s, st in enumerate(program.stages):
            bits = bits_all[:, bounds[s] : bounds[s + 1]]
            z = np.einsum("ij,cjk->cik", st.weight[:, : m.shape[1]], m, optimize=True)
            z[:, :, 2] += st.bias
            a = _stage_map(program, s, st, z, bits)
            m = np.concatenate([m, a], axis=1)
        y = np.einsum("ij,cjk->cik", program.out_weight[:, : m.shape[1]], m, optimize=True)
        jac[c0 : c0 + c] = y[:, :, :2]
        off[c0 : c0 + c] = y[:, :, 2] + program.out_bias
    return jac, off


def _window_pairs(program: Any, s: int, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each max-pool window, the split function comparing each pair of its elements.

    Returns
    -------
    rows : (G, k, k) int64 array
        Row of ``B`` (``z_a - z_b``) for elements ``i`` and ``j`` of window
        ``g``; ``-1`` on the diagonal and for a repeated element.
    sign : (G, k, k) int64 array
        ``+1`` where element ``i`` is the row's ``a`` (its bit ``> 0`` means
        ``i`` wins), ``-1`` where it is ``b``.
    """
    bmat, _ = program.split_functions(s)
    pa = np.argmax(bmat > 0, axis=1)  # row r: z_pa - z_pb
    pb = np.argmax(bmat < 0, axis=1)
    m = bmat.shape[1]
    lookup = np.full((m, m), -1, dtype=np.int64)
    lookup[pa, pb] = np.arange(len(pa))
    lookup[pb, pa] = np.arange(len(pa))
    ei, ej = groups[:, :, None], groups[:, None, :]
    rows = lookup[ei, ej]
    sign = np.where(pa[np.maximum(rows, 0)] == ei, 1, -1)
    return rows, sign


def _stage_map(program: Any, s: int, st: Any, z: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Affine map (C, out, 3) of a stage's outputs in regions with the given bits."""
    if st.kind == "relu":
        return z * bits[:, :, None]
    if st.kind == "leaky":
        return z * np.where(bits, 1.0, st.slope)[:, :, None]
    if st.kind == "hardtanh":
        mdim = z.shape[1]
        above_lo, above_hi = bits[:, :mdim], bits[:, mdim:]
        a = z * (above_lo & ~above_hi)[:, :, None]
        a[:, :, 2] += np.where(~above_lo, st.lo, 0.0) + np.where(above_hi, st.hi, 0.0)
        return a
    if st.kind == "maxpool":
        rows, sign = _window_pairs(program, s, st.groups)
        # element i of a window beats element j where the pair's bit says so; only the
        # window's own pairs count (overlapping windows share elements, not maxima)
        b = bits[:, np.maximum(rows, 0)]  # (C, G, k, k)
        beats = np.where(sign > 0, b, ~b) & (rows >= 0)
        best = np.argmax(beats.sum(axis=3), axis=2)  # (C, G): the max's position
        g = st.groups
        idx = g[np.arange(g.shape[0])[None, :], best]  # (C, G) index into z
        return np.take_along_axis(z, idx[:, :, None], axis=1)
    raise ParameterError(f"unknown stage kind {st.kind!r}")


class PlaneModel:
    """A general piecewise-linear model on a 2-D input: what a Partition needs.

    Wraps a 2-D :class:`~regions.program.Program` (a plane slice already
    folded in), the torch model it came from and the plane, and offers the
    same interface as :class:`regions.network.Network` for
    :class:`regions.Partition`: ``n_out``, ``widths`` (split functions per
    stage), ``n_neurons``, ``forward``, ``affine_maps`` and
    ``verify_forward`` (the torch forward pass :meth:`Partition.verify` uses).

    Parameters
    ----------
    program : Program
        With ``input_shape == (2,)``.
    module : torch.nn.Module
        The model (never modified).
    plane : Plane or None
        The plane the program was restricted to (None: the model's input is 2-D).
    """

    def __init__(self, program: Any, module: Any, plane: Any = None) -> None:
        self.program = program
        self.module = module
        self.plane = plane
        self._split = [program.split_functions(s) for s in range(len(program.stages))]

    @property
    def widths(self) -> tuple[int, ...]:
        """Number of split functions (pattern bits) of each stage."""
        return tuple(int(b.shape[0]) for b, _ in self._split)

    @property
    def n_neurons(self) -> int:
        """Total number of pattern bits ``N``."""
        return int(sum(self.widths))

    @property
    def n_out(self) -> int:
        """Number of outputs."""
        return int(self.program.out_weight.shape[0])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output at (P, 2) plane points, float64 (numpy evaluation of the program)."""
        return np.asarray(self.program.forward(np.asarray(x, dtype=np.float64)))

    def affine_maps(self, patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Affine output map of each pattern; see :func:`affine_maps`."""
        return affine_maps(self.program, patterns)

    def split_values(
        self, x: np.ndarray, floor: Any = 0.0
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Split-function values at plane points, with the size of the terms summed.

        Parameters
        ----------
        x : (P, 2) float64 array
        floor : float or (2,) float64 array, default 0.0
            Least magnitude taken for each input coordinate in the scales (the
            domain's largest coordinate, per axis in an anisotropic domain's
            frame, bounds the rounding a vertex inherits).

        Returns
        -------
        values : list of (P, q_s) float64 arrays
            ``B_s z_s + beta_s`` per stage (their signs ``> 0`` are the pattern bits).
        scales : list of (P, q_s) float64 arrays
        """
        h = self.program.states(np.asarray(x, dtype=np.float64))
        # each state column's inherited scale: the size of the terms its rounding comes from
        # (a value that is 0 up to rounding carries the size of the terms that gave it)
        inherited = np.zeros_like(h)
        col = self.program.d_in
        inherited[:, :col] = np.maximum(floor - np.abs(h[:, :col]), 0.0)
        values, scales = [], []
        for st, (bmat, beta) in zip(self.program.stages, self._split, strict=True):
            d = st.weight.shape[1]
            hs = h[:, :d]
            base = np.abs(hs) + inherited[:, :d]
            z = hs @ st.weight.T + st.bias
            values.append(z @ bmat.T + beta)
            scales.append(base @ np.abs(bmat @ st.weight).T + np.abs(bmat @ st.bias + beta))
            zscale = base @ np.abs(st.weight).T + np.abs(st.bias)
            out = zscale[:, st.groups].max(axis=2) if st.kind == "maxpool" else zscale
            if st.kind == "leaky":
                out = out * np.maximum(1.0, np.abs(st.slope))
            inherited[:, col : col + st.n_out] = out
            col += st.n_out
        return values, scales

    def verify_forward(
        self, x: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
        """Split-function values with their scales, and the torch output and gradient.

        Parameters
        ----------
        x : (P, 2) float64 array
            Plane points.

        Returns
        -------
        values : list of (P, q_s) float64 arrays
            ``B_s z_s + beta_s`` per stage (their signs are the pattern bits).
        scales : list of (P, q_s) float64 arrays
            The size of the terms summed to form each value.
        y : (P, n_out) float64 array
            The torch model's output (float64 copy) at the plane points.
        grad : (P, n_out, 2) float64 array
            Its gradient with respect to the plane coordinates (autograd).
        """
        import torch

        from .network import cpu_float64_copy
        from .partition import torch_output_and_gradient

        x = np.asarray(x, dtype=np.float64)
        values, scales = self.split_values(x)
        model = cpu_float64_copy(self.module)
        plane = self.plane

        def to_input(st_t: Any) -> Any:
            if plane is None:
                return st_t
            o = torch.tensor(np.array(plane.origin, dtype=np.float64))
            u = torch.tensor(np.array(plane.u, dtype=np.float64))
            v = torch.tensor(np.array(plane.v, dtype=np.float64))
            shape = (-1, *[1] * o.ndim)
            return o + st_t[:, 0].reshape(shape) * u + st_t[:, 1].reshape(shape) * v

        y, grad = torch_output_and_gradient(model, x, to_input)
        return values, scales, y, grad
