"""The entry points: :func:`linear_regions` and :func:`count_regions`."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._validate import check_flag as _check_flag
from .domain import DEFAULT_BBOX, Domain, as_domain
from .errors import ArgumentTypeError, ParameterError
from .network import Network, snapshot_model, unwrap_model
from .partition import Partition
from .split import Mesh, count_faces, plane_frame, split_mesh
from .tolerance import frame_offset, frame_scales, noise_width

__all__ = ["linear_regions", "count_regions", "METHODS"]

#: The splitters: ``"fast"`` (array mesh, the default) and ``"shapely"`` (reference).
METHODS: tuple[str, ...] = ("fast", "shapely")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _check_method(method: Any) -> str:
    return _check_choice("method", method, METHODS)


def _check_count(name: str, value: Any) -> int | None:
    """A positive int (numpy integers too) or None; bools are refused."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be a positive int or None, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise ParameterError(f"{name} must be a positive int or None, got {value!r}") from None
    if n < 1:
        raise ParameterError(f"{name} must be a positive int or None, got {value!r}")
    return int(n)


def _check_plane(plane: Any) -> None:
    from .plane import Plane

    if plane is not None and not isinstance(plane, Plane):
        raise ArgumentTypeError(
            f"plane must be a regions.Plane (e.g. regions.Plane.through(a, b, c)) or None, "
            f"got {type(plane).__name__}"
        )


def _clip(polys: np.ndarray, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Clip convex cells to a non-convex domain; return the pieces and their cell.

    Where a cell's edge runs through a reflex corner of the domain, or along
    one of its edges, the overlay's rounding can join two pieces that touch at
    the corner by a neck a fraction of an ulp wide, or leave a spike of no
    width along the edge. So each piece of a cell that crosses the domain's
    boundary is *opened* by ``g`` (:func:`noise_width`): every piece of
    ``piece - g``, grown back by ``2 g`` (mitred) and cut to the piece, is a
    piece. Necks and spikes narrower than ``2 g`` go, the rest of the piece is
    kept as it was. The pieces' rings are counter-clockwise.
    """
    import shapely

    g = noise_width(domain.bounds)
    clipped = shapely.intersection(polys, domain.polygon)
    pieces, of = shapely.get_parts(clipped, return_index=True)
    parts, idx = _polygonal(pieces, of, g)
    crossed = np.flatnonzero(~shapely.contains_properly(domain.polygon, polys[idx]))
    if len(crossed):
        core, k = shapely.get_parts(
            shapely.buffer(parts[crossed], -g, quad_segs=1, join_style="mitre", mitre_limit=1e6),
            return_index=True,
        )
        grown = shapely.buffer(core, 2 * g, quad_segs=1, join_style="mitre", mitre_limit=1e6)
        pieces, of = shapely.get_parts(
            shapely.intersection(parts[crossed[k]], grown), return_index=True
        )
        pieces, of = _polygonal(pieces, of, g)
        rest = np.setdiff1d(np.arange(len(parts)), crossed)
        parts = np.concatenate([parts[rest], pieces])
        idx = np.concatenate([idx[rest], idx[crossed[k[of]]]])
        order = np.argsort(idx, kind="stable")
        parts, idx = parts[order], idx[order]
    return np.asarray(shapely.orient_polygons(parts)), idx


def _polygonal(parts: np.ndarray, idx: np.ndarray, g: float) -> tuple[np.ndarray, np.ndarray]:
    """The polygons among ``parts`` larger than the clipping noise (``g`` times perimeter)."""
    import shapely

    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > g * shapely.length(parts))
    return np.asarray(parts[keep]), np.asarray(idx[keep])


def _resolve(model: Any, plane: Any, input_shape: Any, keep: bool = True) -> Any:
    """A :class:`Network` (sequential MLP) or a :class:`~regions.stages.PlaneModel`.

    With ``keep`` (for a partition) the result holds a float64 copy of the
    model taken now (:func:`~regions.network.snapshot_model`); without it
    (a count that keeps nothing) a plain model is read in place.
    """
    from .errors import UnsupportedLayerError

    if isinstance(model, Network):
        if plane is not None:
            raise ParameterError("plane= needs a torch model, not a regions.Network")
        if input_shape is not None:
            raise ParameterError(
                f"input_shape={input_shape!r} needs a torch model; a regions.Network takes "
                "2-D points"
            )
        return model
    model = unwrap_model(model)  # torch.compile, nn.DataParallel: the module they run
    if type(model).__name__ == "ModuleList" and type(model).__module__.startswith("torch.nn"):
        raise UnsupportedLayerError(
            "the model is an nn.ModuleList, which has no forward; wrap the layers in "
            "nn.Sequential"
        )
    if plane is None and input_shape is None:
        try:
            return Network.from_torch(model, copy=keep)  # the MLP fast path
        except UnsupportedLayerError:
            pass  # a general piecewise-linear model: compile it below
    from .errors import InputDimensionError
    from .program import Program
    from .stages import PlaneModel

    shape = input_shape if input_shape is not None else (plane.shape if plane is not None else None)
    if keep:
        model = snapshot_model(model)  # the weights as they are now, for verify() later
    program = Program.from_torch(model, shape)  # (reads a float64 copy of its own)
    if plane is not None:
        return PlaneModel(program.on_plane(plane), model, plane)
    if tuple(program.input_shape) != (2,):
        raise InputDimensionError(
            f"the model takes inputs of shape {tuple(program.input_shape)}, not 2-D points; "
            "pass plane=regions.Plane(...) (e.g. regions.Plane.through(a, b, c)) to partition "
            "a 2-D slice"
        )
    return PlaneModel(program, model, None)


def _split(
    net: Any, ring: Any, on_layer: Any, max_regions: int | None, progress: bool = True
) -> Mesh:
    if isinstance(net, Network):
        return split_mesh(net.hidden, ring, on_layer, max_faces=max_regions, progress=progress)
    from .stages import split_program

    return split_program(net.program, ring, on_layer, max_faces=max_regions)


class Frame:
    """Where a bounded split runs: ``xy' = (xy - c) * f`` (``regions.tolerance``).

    ``c`` translates a domain far from the origin (:func:`~regions.tolerance.frame_offset`),
    ``f`` (powers of two) balances a tall or wide one
    (:func:`~regions.tolerance.frame_scales`).
    """

    def __init__(self, c: np.ndarray, f: np.ndarray) -> None:
        self.c, self.f = c, f

    def back(self, xy: np.ndarray) -> np.ndarray:
        """Plane coordinates of frame points: ``xy / f + c`` ((N, 2) arrays)."""
        out: np.ndarray = xy / self.f + self.c
        return out

    def back_geoms(self, geoms: Any) -> np.ndarray:
        """Shapely geometries mapped back to plane coordinates."""
        import shapely

        return np.asarray(shapely.transform(geoms, self.back))


def in_frame(
    network: Any, domain: Domain, translate: bool = True
) -> tuple[Any, Domain, Frame | None]:
    """The network and domain in the domain's frame (``regions.tolerance``).

    Returns ``(network, domain, frame)``. The domain is translated by ``c``
    (:func:`~regions.tolerance.frame_offset`; exact for its own coordinates)
    and scaled by ``f`` (:func:`~regions.tolerance.frame_scales` of the
    translated box; exact), the first hidden layer (each stage's input
    columns, for a stage program) gets weights ``W / f`` and bias
    ``b + W c``, so that its pre-activation at a frame point is the one at
    the plane point (the scaling changes no value; the translation rounds
    the bias once, correctly). ``frame`` is ``None`` (and the two are returned as they
    are) for a domain near the origin and balanced, a net without hidden
    layers, or weights that the scaling would not keep exact. Without
    ``translate`` (the shapely reference, whose GEOS overlays at coordinates
    near ``1e-3`` left a rounding sliver that a box near ``(100, -50)`` did
    not) only the scaling applies.
    """
    import dataclasses

    import shapely

    c = np.array(frame_offset(domain.bounds)) if translate else np.zeros(2)
    if (c != 0).any() and not np.array_equal((domain.ring - c) + c, domain.ring):
        c = np.zeros(2)  # (not expected: the box's coordinates are within 2x of c)
    x0, y0, x1, y1 = domain.bounds
    f = np.array(frame_scales((x0 - c[0], y0 - c[1], x1 - c[0], y1 - c[1])))
    if ((c == 0).all() and (f == 1).all()) or not network.widths:
        return network, domain, None
    framed: Any
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(network, Network):
            w, b = network.hidden[0]
            wf = _divided(w, f)
            bc = _shifted_bias(w, b, c)
            if wf is None or not np.isfinite(bc).all():
                return network, domain, None
            framed = dataclasses.replace(network, hidden=((wf, bc), *network.hidden[1:]))
        else:  # a stage program on 2-D points: every stage reads the two inputs (columns 0, 1)
            from .program import Program, Stage
            from .stages import PlaneModel

            prog = network.program
            stages = []
            for st in prog.stages:
                wf = _divided(st.weight[:, :2], f)
                bc = _shifted_bias(st.weight[:, :2], st.bias, c)
                if wf is None or not np.isfinite(bc).all():
                    return network, domain, None
                w = np.hstack([wf, st.weight[:, 2:]])
                stages.append(Stage(st.kind, w, bc, st.slope, st.lo, st.hi, st.groups, st.path))
            out_b = prog.out_bias + prog.out_weight[:, :2] @ c
            out_w = np.hstack([prog.out_weight[:, :2] / f, prog.out_weight[:, 2:]])
            framed = PlaneModel(
                Program(prog.input_shape, tuple(stages), out_w, out_b, prog.module),
                network.module, network.plane,
            )
    dom = Domain(
        (domain.ring - c) * f,
        shapely.transform(domain.polygon, lambda xy: (xy - c) * f),
        domain.convex,
    )
    return framed, dom, Frame(c, f)


def _shifted_bias(w: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``b + w @ c`` correctly rounded: (n,) float64 array.

    Computed exactly (fractions) and rounded once, so each line moves by at
    most half an ulp of its new bias, a value at the scale of the translated
    box, which the zero band there absorbs; ``b + w @ c`` in floating point
    would round ``w @ c`` at the scale of the plane's coordinates first (a
    line 9e-12 outside a box at 3.4e15 was moved into it).
    """
    from fractions import Fraction

    if not c.any():
        return np.array(b, dtype=np.float64, copy=True)
    cs = [Fraction(float(v)) for v in c]

    def exact(row: list[float], bj: float) -> float:
        return float(Fraction(bj) + sum(Fraction(wk) * ck for wk, ck in zip(row, cs, strict=True)))

    rows = zip(w.tolist(), b.tolist(), strict=True)
    return np.array([exact(row, bj) for row, bj in rows], dtype=np.float64)


def _divided(w: np.ndarray, f: np.ndarray) -> np.ndarray | None:
    """``w / f`` by columns, or ``None`` where that is not exact (overflow, subnormals)."""
    with np.errstate(over="ignore", under="ignore"):
        wf = w / f
    if not (np.isfinite(wf).all() and np.array_equal(wf * f, w)):
        return None
    return wf


def _fast(
    network: Network, domain: Domain, max_regions: int | None, progress: bool = True
) -> Partition:
    counts: list[int] = []
    net_f, dom_f, f = in_frame(network, domain)  # far off or tall/wide: split in its frame

    def on_layer(_layer: int, mesh: Mesh) -> None:
        if dom_f.convex:
            counts.append(mesh.n_faces)
        else:
            counts.append(len(_clip(mesh.polygons(), dom_f)[0]))

    mesh = _split(net_f, dom_f.ring, on_layer, max_regions, progress)
    patterns = mesh.patterns()
    if dom_f.convex:
        if f is not None:
            mesh.xy = f.back(mesh.xy)  # scaling exact; a translation rounds to the plane's
        return Partition(network, domain, patterns, counts, mesh=mesh, method="fast")
    polys, idx = _clip(mesh.polygons(), dom_f)
    if f is not None:
        polys = f.back_geoms(polys)
    if not network.widths:
        counts = []
    return Partition(network, domain, patterns[idx], counts, polygons=polys, method="fast")


def _structure_offset(network: Any) -> np.ndarray | None:
    """Where the first layer's lines cross, when that is far from the origin (else ``None``).

    The median of the pairwise intersections of the first hidden layer's
    lines (of at most 256 of them) and of each line's point nearest the
    origin, rounded to few bits, when it lies ``PLANE_OFFSET_RATIO`` or more
    times their spread (90 % range) from the origin: the whole plane is then
    split translated there, as a far-off box is (``regions.tolerance``).
    """
    if not isinstance(network, Network) or not network.hidden:
        return None
    w, b = network.hidden[0]
    keep = np.hypot(w[:, 0], w[:, 1]) > 0
    w, b = w[keep][:256], b[keep][:256]
    if len(w) == 0:
        return None
    with np.errstate(all="ignore"):
        near = -b[:, None] * w / (w**2).sum(axis=1, keepdims=True)
        i, j = np.triu_indices(len(w), 1)
        det = w[i, 0] * w[j, 1] - w[i, 1] * w[j, 0]
        ok = np.abs(det) > 1e-12 * np.hypot(*w[i].T) * np.hypot(*w[j].T)
        i, j, det = i[ok], j[ok], det[ok]
        x = (-b[i] * w[j, 1] + b[j] * w[i, 1]) / det
        y = (-w[i, 0] * b[j] + w[j, 0] * b[i]) / det
    pts = np.concatenate([near, np.column_stack([x, y])])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return None
    mid = np.median(pts, axis=0)
    spread = float((np.quantile(pts, 0.95, axis=0) - np.quantile(pts, 0.05, axis=0)).max())
    if not spread > 0 or float(np.abs(mid).max()) < PLANE_OFFSET_RATIO * spread:
        return None
    q = 2.0 ** np.floor(np.log2(spread))
    c: np.ndarray = np.round(mid / q) * q
    return c


#: How far (in spreads of the first layer's crossings) from the origin a whole plane's
#: structure must lie for the split to run translated to it.
PLANE_OFFSET_RATIO: float = 16.0


def _plane_translated(network: Any) -> tuple[Any, np.ndarray | None]:
    """``network`` translated to its far-off structure (:func:`_structure_offset`), and ``c``."""
    import dataclasses

    c = _structure_offset(network)
    if c is None:
        return network, None
    (w, b), *rest = network.hidden
    bc = _shifted_bias(w, b, c)  # the first layer's bias b + W c, exact and rounded once
    if not np.isfinite(bc).all():
        return network, None
    return dataclasses.replace(network, hidden=((w, bc), *rest)), c


def _whole_plane(network: Network, max_regions: int | None, progress: bool = True) -> Partition:
    counts: list[int] = []
    net, c = _plane_translated(network)
    mesh = _split(net, None, lambda _l, m: counts.append(m.n_faces), max_regions, progress)
    if c is not None:  # finite vertices back to the plane (ideal ones are directions)
        xy = np.array(mesh.xy, dtype=np.float64, copy=True)
        fin = ~np.asarray(mesh.ideal_mask, dtype=bool)
        xy[fin] += c
        mesh.xy = xy
    frame = _frame(mesh)
    polys = mesh.clipped_polygons(frame)
    return Partition(
        network,
        as_domain(frame),
        mesh.patterns(),
        counts,
        mesh=mesh,
        polygons=polys,
        method="fast",
        whole_plane=True,
    )


def _frame(mesh: Mesh) -> tuple[float, float, float, float]:
    """A box strictly containing every finite vertex (so it meets every region)."""
    return plane_frame(mesh.xy, mesh.ideal_mask)


def linear_regions(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    *,
    method: str = "fast",
    max_regions: int | None = 5_000_000,
    plane: Any = None,
    input_shape: Any = None,
    progress: bool = True,
) -> Partition:
    """Exact linear regions of a ReLU network over a 2-D domain.

    The regions are the 2-D cells (nonzero area) of the partition of the
    domain by the zero sets of all hidden neurons, taken layer by layer: each
    cell of the partition after layer ``l - 1`` is cut by the line on which a
    layer-``l`` neuron's pre-activation (affine on that cell) is zero. These
    are the cells of the activation-pattern partition; two disconnected
    pieces with the same pattern are two regions.

    Parameters
    ----------
    model : torch.nn.Module or Network
        Any piecewise-linear torch model: an ``nn.Sequential`` of
        ``Linear``/``ReLU`` is read directly; anything else (a custom
        ``nn.Module`` with its own ``forward``, conv nets, other
        piecewise-linear units, skip connections) is traced with ``torch.fx``
        (see the README's "Supported layers"); ``torch.compile``,
        ``nn.DataParallel`` and TorchScript wrappers of such a model are read
        as the model. It takes 2-D points, or inputs of any shape with
        ``plane``. It is not modified.
    bbox : (xmin, ymin, xmax, ymax), shapely Polygon or None, default (-10, -10, 10, 10)
        The domain: a box in the order of shapely's ``bounds``, or a polygon,
        convex or not. ``None``: the whole plane, unbounded regions included,
        exactly (no radius is guessed: points at infinity are vertices of the
        mesh). Then ``Partition.extent()`` is the box holding every vertex,
        ``Partition.bounded`` flags the bounded regions, and ``polygons`` are
        clipped to a frame box around the extent.
    method : {"fast", "shapely"}
        ``"fast"``: the array mesh splitter. ``"shapely"``: the reference
        splitter on shapely polygons: independent of the fast one, slower (the
        same result on random nets; on deep nets with exact coincidences it
        can differ, see the README).
    max_regions : int or None, default 5,000,000
        Fail early, with :class:`~regions.errors.RegionLimitError`, when the
        partition grows past this many regions (the fast splitter checks after
        every neuron), instead of exhausting memory. ``None``: no limit.
    plane : Plane, optional
        Partition the 2-D slice ``x = origin + s u + t v`` of a model with
        inputs of any shape (e.g. images); ``bbox`` is then in ``(s, t)``
        coordinates, by default a box around the three inputs of
        :meth:`regions.Plane.through`.
    input_shape : tuple of int, optional
        The model's per-sample input shape, when it cannot be inferred.
    progress : bool, default True
        A progress bar on stderr for runs longer than two seconds (never when
        stderr is not a terminal).

    Returns
    -------
    Partition

    Raises
    ------
    UnsupportedLayerError, InputDimensionError, ShapeMismatchError,
    NonFiniteWeightError, TrainingModeError, DomainError
        A model or domain that cannot be read; see :mod:`regions.errors`.
    ParameterError, ArgumentTypeError
        A keyword argument outside its values, or an argument of the wrong type.
    RegionLimitError
        Past ``max_regions``.

    Examples
    --------
    The course's shallow 2-20-1 MLP (seed 0) over [-10, 10]^2; 211 would be
    the most one layer of 20 neurons can make:

    >>> import regions
    >>> from regions.course import shallow_model
    >>> p = regions.linear_regions(shallow_model(), bbox=(-10, -10, 10, 10))
    >>> len(p), p.layer_counts
    (197, [197])
    >>> p.verify()
    >>> bool(abs(p.areas.sum() - 400.0) < 1e-9)
    True
    """
    method = _check_method(method)
    max_regions = _check_count("max_regions", max_regions)
    progress = _check_flag("progress", progress)
    _check_plane(plane)
    network = _resolve(model, plane, input_shape)
    if bbox is DEFAULT_BBOX and plane is not None and plane.points() is not None:
        bbox = plane.default_bbox()
    if method == "shapely" and not isinstance(network, Network):
        raise ParameterError(
            "method='shapely' (the reference splitter) handles nn.Sequential ReLU MLPs only; "
            "use method='fast' for this model"
        )
    if bbox is None:
        if method != "fast":
            raise ParameterError("bbox=None (the whole plane) needs method='fast'")
        return _whole_plane(network, max_regions, progress)
    domain = as_domain(bbox)
    if method == "fast":
        return _fast(network, domain, max_regions, progress)
    from .shapely_split import split_shapely

    net_f, dom_f, f = in_frame(network, domain, translate=False)  # a tall or wide box
    res = split_shapely(net_f, dom_f, max_regions)
    polys = res.polygons
    if f is not None:
        polys = f.back_geoms(polys)
    return Partition(
        network, domain, res.patterns, res.layer_counts, polygons=polys, method="shapely"
    )


def count_regions(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    *,
    method: str = "fast",
    merge: bool = False,
    plane: Any = None,
    input_shape: Any = None,
    workers: int | None = None,
    progress: bool = True,
    kernel: str = "auto",
) -> int:
    """Number of linear regions of a ReLU network in a 2-D domain.

    The count is the number of 2-D cells (nonzero area) of the partition of
    the domain by the zero sets of all hidden neurons, taken layer by layer:
    the cells of the activation-pattern partition, where two disconnected
    pieces with the same pattern count as two. See :func:`linear_regions`
    for the parameters and for the :class:`Partition` behind the count. With
    the fast splitter on a convex domain the count streams: finished faces
    are dropped, so memory stays bounded by a chunk of the mesh.

    Parameters
    ----------
    model : torch.nn.Module or Network
        As in :func:`linear_regions`: any piecewise-linear torch model (it is
        not modified).
    bbox : (xmin, ymin, xmax, ymax), shapely Polygon or None, default (-10, -10, 10, 10)
        ``None``: the whole plane, exactly.
    method : {"fast", "shapely"}
    merge : bool, default False
        Count the regions of the function instead: adjacent regions with the
        same affine map merged (what a gradient image can see). The default,
        ``False``, counts activation regions.
    plane, input_shape
        As in :func:`linear_regions`.
    workers : int, optional
        Threads of the streaming count (MLP, fast method, convex domain);
        default: the number of CPUs, at most 8. The count does not depend on it.
    progress : bool, default True
        A progress bar on stderr (regions counted) for runs longer than two
        seconds, only when stderr is a terminal.
    kernel : {"auto", "numba", "numpy"}, default "auto"
        Splitting code of the streaming count: ``"numba"`` the compiled
        kernel (the ``fast`` extra; loading it costs about a second once per
        process, then small nets count in milliseconds: the choice for
        counting many small nets in a loop), ``"numpy"`` the array code,
        ``"auto"`` the compiled kernel for the whole net when its first two
        layers are big (about 50,000 neuron x face pairs; a layer of ``n``
        can cut one cell into ``n^2 / 2`` faces), for any big layer, or once
        it is loaded.
        The count does not depend on it. Other paths (``merge``, the whole
        plane, non-MLP models, non-convex domains) choose by themselves.

    Returns
    -------
    int

    Raises
    ------
    UnsupportedLayerError, InputDimensionError, ShapeMismatchError,
    NonFiniteWeightError, TrainingModeError, DomainError
        Bad models and domains, as in :func:`linear_regions`.
    ParameterError, ArgumentTypeError
        A keyword argument outside its values, or an argument of the wrong type.
    RegionLimitError
        Past 5,000,000 regions where the count builds a partition
        (``linear_regions``' default ``max_regions``): with ``merge=True``,
        ``method="shapely"``, models compiled to stages, non-convex domains.
        The streaming count (MLP, fast method, convex domain) has no limit:
        it keeps no polygons.

    Examples
    --------
    One hidden layer of 3 neurons in general position reaches
    ``1 + n + n(n-1)/2 = 7`` regions; three lines through one point give 6:

    >>> import torch, regions
    >>> layer = torch.nn.Linear(2, 3)
    >>> model = torch.nn.Sequential(layer, torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    ...     _ = layer.bias.copy_(torch.tensor([0.0, 0.0, -1.0]))
    >>> regions.count_regions(model, bbox=(-5, -5, 5, 5))
    7
    >>> with torch.no_grad():
    ...     _ = layer.bias.zero_()
    >>> regions.count_regions(model, bbox=(-5, -5, 5, 5))
    6
    >>> regions.count_regions(model, bbox=None)  # the whole plane
    6
    """
    workers = _check_count("workers", workers)
    kernel = _check_choice("kernel", kernel, ("auto", "numba", "numpy"))
    method = _check_method(method)
    merge = _check_flag("merge", merge)
    progress = _check_flag("progress", progress)
    _check_plane(plane)
    if merge:
        p = linear_regions(model, bbox, method=method, plane=plane, input_shape=input_shape)
        return len(p.merged())
    method = _check_method(method)
    counts = streamed_layer_counts(
        model, bbox, plane=plane, input_shape=input_shape, workers=workers, progress=progress,
        kernel=kernel,
    ) if method == "fast" else None
    if counts is not None:
        return counts[-1] if counts else 1
    network = _resolve(model, plane, input_shape, keep=False)
    if not isinstance(network, Network):
        p = linear_regions(model, bbox, method=method, plane=plane, input_shape=input_shape)
        return len(p)
    if bbox is None:
        if method != "fast":
            raise ParameterError("bbox=None (the whole plane) needs method='fast'")
        return split_mesh(_plane_translated(network)[0].hidden, None).n_faces
    return len(linear_regions(network, as_domain(bbox), method=method))


def streamed_layer_counts(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    *,
    plane: Any = None,
    input_shape: Any = None,
    workers: int | None = None,
    progress: bool = True,
    kernel: str = "auto",
) -> list[int] | None:
    """Regions after each hidden layer by the streaming count, or ``None`` where it does not apply.

    The streaming count (:func:`regions.split.count_faces`) keeps no polygons,
    so its memory stays bounded; it applies to ReLU MLPs (read by
    :class:`Network`, possibly folded onto a plane) over a convex bounded
    domain. Elsewhere (other models, the whole plane, a non-convex domain)
    this returns ``None`` and :func:`linear_regions` is the way.

    Parameters
    ----------
    model, bbox, plane, input_shape
        As in :func:`linear_regions`.
    workers, progress, kernel
        As in :func:`count_regions`.

    Returns
    -------
    list of int or None
        ``Partition.layer_counts`` of the same partition, or ``None``.

    Examples
    --------
    >>> import torch, regions
    >>> from regions.engine import streamed_layer_counts
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> counts = streamed_layer_counts(model, (-5, -5, 5, 5))
    >>> counts == regions.linear_regions(model, (-5, -5, 5, 5)).layer_counts
    True
    >>> streamed_layer_counts(model, None) is None  # the whole plane: use linear_regions
    True
    """
    network = _resolve(model, plane, input_shape, keep=False)  # counted, not kept
    if not isinstance(network, Network) or bbox is None:
        return None
    domain = as_domain(bbox)
    if not domain.convex:
        return None
    network, domain, _ = in_frame(network, domain)  # far off or tall/wide: count in its frame
    return count_faces(
        network.hidden, domain.ring, kernel=kernel, workers=workers, progress=progress
    )
