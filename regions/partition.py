"""The result object: a partition of the domain into linear regions.

:class:`Partition` holds the regions' polygons, activation patterns and affine
output maps, and checks its own invariants with :meth:`Partition.verify`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import real_array
from .domain import Domain
from .errors import ArgumentTypeError, InputDimensionError, ShapeMismatchError, VerificationError
from .network import Network, cpu_float64_copy
from .split import Mesh
from .tolerance import (
    AREA_RTOL,
    CHECK_RTOL,
    EDGE_RTOL,
    PATTERN_RTOL,
    SUM_RTOL,
    VERTEX_ULPS,
    frame_offset,
    frame_scales,
    noise_width,
)

__all__ = ["Partition", "check_partition"]


class Partition:
    """Linear regions of a ReLU network over a 2-D domain.

    Build one with :func:`regions.linear_regions`. Region ``r`` is the polygon
    ``polygons[r]``; on it every hidden neuron ``k`` is active iff
    ``patterns[r, k]``, and the network is the affine map
    ``model(x) = jacobians[r] @ x + offsets[r]``.

    Parameters
    ----------
    network : Network
        The network, read from the model.
    domain : Domain
        The partitioned domain.
    patterns : (R, N) bool array
        Activation pattern of each region (hidden layers concatenated in order).
    layer_counts : list of int
        Number of regions after each hidden layer.
    mesh : Mesh, optional
        The fast splitter's mesh; the polygons are built from it on demand.
    polygons : (R,) object array of shapely.Polygon, optional
        The polygons, when not given by ``mesh``.
    method : str
        Name of the splitter that produced it.
    members : (R0,) int64 array, optional
        Only for function regions (:func:`regions.merge.merge_regions`): the
        merged region holding each of the ``R0`` activation regions it was
        merged from. A merged region stores its first member's pattern.
    whole_plane : bool
        The partition of all of R^2 (``bbox=None``). Then ``mesh`` holds the
        exact regions (unbounded ones with ideal vertices), ``domain`` is a
        frame box that strictly contains every finite vertex, and
        ``polygons`` are the regions clipped to the frame.

    Attributes
    ----------
    network : Network
    domain : Domain
    patterns : (R, N) bool array
    layer_counts : list of int
    method : str
    members : (R0,) int64 array or None
    """

    def __init__(
        self,
        network: Network,
        domain: Domain,
        patterns: np.ndarray,
        layer_counts: list[int],
        *,
        mesh: Mesh | None = None,
        polygons: np.ndarray | None = None,
        method: str = "fast",
        members: np.ndarray | None = None,
        whole_plane: bool = False,
        source: Partition | None = None,
    ) -> None:
        if mesh is None and polygons is None:
            raise ArgumentTypeError("give mesh or polygons")
        _check_parts(network, domain, patterns, mesh, polygons)
        if whole_plane and (mesh is None or polygons is None):
            raise ArgumentTypeError(
                "a whole-plane partition needs both its mesh and clipped polygons"
            )
        self.whole_plane = bool(whole_plane)
        self.network = network
        self.domain = domain
        self.patterns = np.asarray(patterns, dtype=bool)
        self.layer_counts = list(layer_counts)
        self.method = method
        self.members = members
        #: The activation partition a merged one was made from (kept for a whole plane).
        self.source = source
        self._mesh = mesh
        self._polygons = polygons
        self._affine: tuple[np.ndarray, np.ndarray] | None = None
        self._points: np.ndarray | None = None  # interior points, when known
        self._tree: Any = None
        #: Pairs of neighbours, when known exactly (merged regions: from their members).
        self._adjacent: np.ndarray | None = None

    # ------------------------------------------------------------ basics
    def __len__(self) -> int:
        """Number of regions, ``R``."""
        return int(self.patterns.shape[0])

    def __repr__(self) -> str:
        import shapely

        widths = "-".join(str(w) for w in (2, *self.network.widths, self.network.n_out))
        box = str(tuple(float(format(float(v), ".7g")) for v in self.domain.bounds))
        if self.covers_plane:
            where = "the whole plane"
        elif self.domain.polygon.equals(shapely.box(*self.domain.bounds)):
            where = box
        else:  # a polygon: say so, with the box around it
            where = f"a {self.domain.polygon.geom_type} inside {box}"
        return (
            f"<Partition: {len(self)} regions of a {widths} network over "
            f"{where}, method={self.method!r}>"
        )

    @property
    def is_merged(self) -> bool:
        """True for function regions (:meth:`merged`): adjacent maps differ, not patterns."""
        return self.members is not None

    @property
    def covers_plane(self) -> bool:
        """True for the whole plane (``bbox=None``), merged or not."""
        return self.whole_plane or (self.source is not None and self.source.whole_plane)

    def _merged_plane(self) -> Partition | None:
        """The whole-plane activation partition this merged one comes from, if any."""
        if self.source is not None and self.source.whole_plane and self.members is not None:
            return self.source
        return None

    @property
    def mesh(self) -> Mesh | None:
        """The shared-vertex mesh (fast splitter on a convex domain), else None."""
        return self._mesh

    @property
    def polygons(self) -> np.ndarray:
        """(R,) object array of shapely Polygons, one per region."""
        if self._polygons is None:
            assert self._mesh is not None
            self._polygons = self._mesh.polygons()
        return self._polygons

    @property
    def areas(self) -> np.ndarray:
        """(R,) float64 array of region areas (``inf`` for unbounded regions)."""
        src = self._merged_plane()
        if src is not None:
            assert self.members is not None
            return np.bincount(self.members, weights=src.areas, minlength=len(self))
        if self._mesh is not None and (self._polygons is None or self.whole_plane):
            return self._mesh.areas()
        import shapely

        return np.asarray(shapely.area(self.polygons), dtype=np.float64)

    @property
    def bounded(self) -> np.ndarray:
        """(R,) bool array: which regions are bounded (all, unless ``whole_plane``)."""
        src = self._merged_plane()
        if src is not None:
            assert self.members is not None
            unb = np.bincount(self.members, weights=~src.bounded, minlength=len(self))
            return np.asarray(unb == 0)
        if self.whole_plane:
            assert self._mesh is not None
            return self._mesh.bounded()
        return np.ones(len(self), dtype=bool)

    @property
    def recession(self) -> np.ndarray:
        """(R,) object array: each region's directions at infinity, (k, 2) unit vectors.

        Empty for a bounded region. For an unbounded region, the directions of
        its ideal vertices in counter-clockwise boundary order, the first one
        after a finite vertex: the region's recession cone is spanned by the
        counter-clockwise arc from the first to the last, except for a strip
        between parallel lines, whose two opposite directions span a line
        (see :meth:`regions.split.Mesh.recession`). A merged region of the
        whole plane (:meth:`merged`) lists its members' directions by angle.

        Examples
        --------
        The quadrant ``x > 0, y > 0`` of the lines ``x = 0`` and ``y = 0``:

        >>> import numpy as np, regions
        >>> from regions import Network
        >>> net = Network.from_arrays([(np.eye(2), np.zeros(2))], (np.ones((1, 2)), np.zeros(1)))
        >>> w = regions.linear_regions(net, None)
        >>> r = int(w.locate([[5.0, 5.0]])[0])
        >>> np.degrees(np.arctan2(*w.recession[r][:, ::-1].T)).round(6).tolist()
        [0.0, 90.0]
        """
        src = self._merged_plane()
        if src is not None:  # a merged region: its members' directions, by angle
            assert self.members is not None
            dirs = src.recession
            sizes = np.array([len(d) for d in dirs], dtype=np.int64)
            d = np.concatenate([np.zeros((0, 2)), *dirs])
            owner = np.repeat(self.members, sizes)
            ang = np.arctan2(d[:, 1], d[:, 0])
            order = np.lexsort((ang, owner))
            d, owner, ang = d[order], owner[order], ang[order]
            new = np.ones(len(d), dtype=bool)  # a direction shared by two members once
            new[1:] = (owner[1:] != owner[:-1]) | (ang[1:] != ang[:-1])
            d, owner = d[new], owner[new]
            out = np.empty(len(self), dtype=object)
            out[:] = np.split(d, np.searchsorted(owner, np.arange(1, len(self))))
            return out
        if self.whole_plane:
            assert self._mesh is not None
            return self._mesh.recession()
        out = np.empty(len(self), dtype=object)
        out[:] = [np.zeros((0, 2))] * len(self)
        return out

    def extent(self) -> tuple[float, float, float, float] | None:
        """Smallest box holding every vertex where region boundaries meet.

        The answer to "how far do I have to zoom out to see all the
        structure": with ``bbox=None`` every vertex of the arrangement is
        found, so a box a little larger than this one holds every bounded
        region and a piece of every unbounded one; ``None`` if no two
        boundaries meet (e.g. only parallel lines). For a bounded domain it is
        the box of all region boundaries inside the domain: the vertices where
        they meet each other or the domain's boundary (the same for every
        method, merged regions by their own boundaries); ``None`` for a single
        region.

        Returns
        -------
        (xmin, ymin, xmax, ymax) or None

        Examples
        --------
        Two parallel lines ``x = 0`` and ``x = 1`` in ``[-1, 2] x [-1, 1]``:

        >>> from regions.network import Network
        >>> import regions
        >>> net = Network.from_arrays([([[1.0, 0.0], [1.0, 0.0]], [0.0, -1.0])],
        ...                           ([[1.0, 1.0]], [0.0]))
        >>> regions.linear_regions(net, (-1, -1, 2, 1)).extent()
        (0.0, -1.0, 1.0, 1.0)
        >>> print(regions.linear_regions(net, None).extent())
        None
        """
        src = self._merged_plane()
        if src is not None:
            return src.extent()
        if self.whole_plane:
            assert self._mesh is not None
            return self._mesh.extent()
        from .boundaries import _mesh_edges, _shape_edges

        segments = (
            _mesh_edges(self)[0] if self._mesh is not None and not self.is_merged
            else _shape_edges(self)[0]
        )
        if not len(segments):
            return None
        pts = segments.reshape(-1, 2)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def _maps(self) -> tuple[np.ndarray, np.ndarray]:
        if self._affine is None:
            walked = _walked_maps(self)
            self._affine = (
                walked if walked is not None else self.network.affine_maps(self.patterns)
            )
        return self._affine

    @property
    def jacobians(self) -> np.ndarray:
        """(R, n_out, 2) float64 array: the gradient of each output in each region."""
        return self._maps()[0]

    @property
    def offsets(self) -> np.ndarray:
        """(R, n_out) float64 array: ``model(x) - jacobians[r] @ x`` in region ``r``."""
        return self._maps()[1]

    # ------------------------------------------------------------ queries
    def locate(self, points: Any) -> np.ndarray:
        """Index of the region containing each point.

        Parameters
        ----------
        points : (P, 2) array-like of float

        Returns
        -------
        index : (P,) int64 array
            The region of each point; a point on a boundary gets the lowest
            index of the regions that touch it (a point in a rounding gap
            between two polygons, within ``noise_width`` of the domain's
            bounds, the lowest of those that near); ``-1`` outside the domain.
            A whole-plane partition (``bbox=None``) has no outside: a point
            beyond its frame box is found by its activation pattern (the
            network evaluated there, in float64), which names one region
            because every region of the plane has its own pattern; a value
            within ``PATTERN_RTOL`` of zero leaves both signs open.

        Raises
        ------
        ArgumentTypeError
            If ``points`` cannot be read as an array of real numbers.
        InputDimensionError
            If ``points`` is not of shape (P, 2) or holds NaN or infinity.

        Examples
        --------
        >>> import torch, regions
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU())
        >>> with torch.no_grad():
        ...     _ = net[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        ...     _ = net[0].bias.zero_()
        >>> p = regions.linear_regions(net, (-1, -1, 1, 1))
        >>> idx = p.locate([[0.5, 0.0], [-0.5, 0.0], [5.0, 5.0]])
        >>> p.patterns[idx[:2], 0].tolist(), int(idx[2])
        ([True, False], -1)
        """
        import shapely

        try:
            pts = real_array(points)  # torch tensors detached; complex values refused
        except (TypeError, ValueError) as exc:
            text = repr(points)
            text = text if len(text) <= 60 else text[:57] + "..."
            raise ArgumentTypeError(
                f"points must be a (P, 2) array-like of real numbers, got "
                f"{type(points).__name__} {text} ({exc})"
            ) from None
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise InputDimensionError(f"points must be a (P, 2) array, got shape {pts.shape}")
        if self._tree is None:
            self._tree = shapely.STRtree(self.polygons)
        if not np.isfinite(pts).all():
            raise InputDimensionError("points must be finite, got NaN or infinity")
        src, dst = self._tree.query(shapely.points(pts), predicate="intersects")
        out = np.full(len(pts), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, src, dst)
        out[out == np.iinfo(np.int64).max] = -1
        miss = np.flatnonzero(out < 0)
        if len(miss):  # in the domain but in a rounding gap between polygons (no mesh)
            hair = noise_width(self.domain.bounds)
            geo = shapely.points(pts[miss])
            # only points by the domain's box can be within hair of it (GEOS squares the
            # distances of far ones: 1e155 overflows)
            x0, y0, x1, y1 = self.domain.bounds
            q = pts[miss]
            inside = (
                (q[:, 0] >= x0 - hair) & (q[:, 0] <= x1 + hair)
                & (q[:, 1] >= y0 - hair) & (q[:, 1] <= y1 + hair)
            )
            if inside.any():
                inside[inside] = shapely.dwithin(geo[inside], self.domain.polygon, hair)
            if inside.any():
                s2, d2 = self._tree.query(geo[inside], predicate="dwithin", distance=hair)
                got = np.full(int(inside.sum()), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(got, s2, d2)
                got[got == np.iinfo(np.int64).max] = -1
                out[miss[inside]] = got
        far = np.flatnonzero(out < 0)
        if len(far) and self.whole_plane and not self.is_merged:
            out[far] = self._locate_by_pattern(pts[far])
        elif len(far) and self._merged_plane() is not None:
            assert self.source is not None and self.members is not None
            out[far] = self.members[self.source._locate_by_pattern(pts[far])]
        return out

    def _locate_by_pattern(self, pts: np.ndarray) -> np.ndarray:
        """Region of each point by its activation pattern (whole plane: one region each).

        Parameters
        ----------
        pts : (P, 2) float64 array

        Returns
        -------
        index : (P,) int64 array
            The lowest region whose pattern agrees with the point's on every
            neuron whose value there is not within ``PATTERN_RTOL`` of zero.
        """
        if self.patterns.shape[1] == 0:  # no hidden neuron: one region, the plane
            return np.zeros(len(pts), dtype=np.int64)
        with np.errstate(over="ignore", invalid="ignore"):
            if hasattr(self.network, "split_values"):  # a stage program: split-function signs
                zs, scales = self.network.split_values(pts)
            else:
                zs = self.network.preactivations(pts)
                scales = []
                a, inherited = np.abs(pts), np.zeros_like(pts)
                for (w, b), z in zip(self.network.hidden, zs, strict=True):  # as verify's
                    scales.append((a + inherited) @ np.abs(w).T + np.abs(b))
                    a, inherited = np.maximum(z, 0.0), scales[-1]
        if not all(np.isfinite(z).all() for z in [*zs, *scales]):
            big = float(np.abs(pts).max())
            raise InputDimensionError(
                f"points as far out as {big:.3g} overflow the network's float64 forward pass, "
                "so their activation patterns are unknown; locate points nearer the origin"
            )
        pat = np.concatenate([z > 0 for z in zs], axis=1)
        amb = np.concatenate(
            [np.abs(z) <= PATTERN_RTOL * sc for z, sc in zip(zs, scales, strict=True)], axis=1
        )
        table = np.packbits(self.patterns, axis=1)
        key = np.packbits(pat, axis=1)
        out = np.full(len(pts), -1, dtype=np.int64)
        # points with every sign determined: one sorted lookup for all of them
        sure = ~amb.any(axis=1)
        if sure.any():
            rows = np.ascontiguousarray(table).view(np.dtype((np.void, table.shape[1])))[:, 0]
            keys = np.ascontiguousarray(key[sure]).view(np.dtype((np.void, key.shape[1])))[:, 0]
            order = np.argsort(rows, kind="stable")  # equal rows keep the lowest index first
            pos = np.searchsorted(rows[order], keys)
            pos = np.minimum(pos, len(order) - 1)
            hit = rows[order][pos] == keys
            out[np.flatnonzero(sure)[hit]] = order[pos[hit]]
        # points near a boundary far out (rare): the regions that agree on the determined
        # bits, and of those the one whose own pattern the point fits best
        for i in np.flatnonzero(~sure):
            care = np.packbits(~amb[i])
            agree = np.flatnonzero(~((table ^ key[i]) & care).any(axis=1))
            if len(agree) > 1:
                misfit = (
                    self._pattern_misfit(pts[i], agree) if isinstance(self.network, Network)
                    else self._output_misfit(pts[i], agree)
                )
                out[i] = int(agree[np.argmin(misfit)])  # ties: the lowest index
            elif len(agree):
                out[i] = int(agree[0])
        assert (out >= 0).all(), "a point of the plane matched no region's pattern"
        return out

    def _pattern_misfit(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How far point ``x`` is outside each region of ``rows``, by their own patterns.

        With region ``r``'s pattern fixed, every pre-activation is affine in
        ``x`` (no sign is decided on the way), so the rounding stays relative
        to the terms summed; the misfit is the largest sign violation, each
        relative to its terms. The region holding ``x`` has misfit 0 up to
        rounding.

        Returns
        -------
        misfit : (len(rows),) float64 array
        """
        pats = self.patterns[rows]
        a = np.broadcast_to(np.asarray(x, dtype=np.float64), (len(rows), 2))
        worst = np.zeros(len(rows))
        off = 0
        for w, b in self.network.hidden:
            z = a @ w.T + b
            scale = np.abs(a) @ np.abs(w).T + np.abs(b)
            on = pats[:, off:off + len(b)]
            with np.errstate(divide="ignore", invalid="ignore"):
                bad = np.where(on, -z, z) / scale
            worst = np.maximum(worst, np.nan_to_num(bad, nan=0.0, posinf=0.0).max(axis=1,
                                                                                initial=0.0))
            a = np.where(on, z, 0.0)
            off += len(b)
        return worst

    def _output_misfit(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How far each region of ``rows``'s affine maps miss the model's output at ``x``.

        For stage programs (whose split functions have no per-pattern form
        here): the float64 forward pass against each candidate's
        ``jacobians @ x + offsets``, relative to the size of those terms.

        Returns
        -------
        misfit : (len(rows),) float64 array
        """
        x = np.asarray(x, dtype=np.float64)[None, :]
        y = np.asarray(self.network.forward(x), dtype=np.float64).reshape(1, -1)
        jac, off = self.jacobians[rows], self.offsets[rows]
        pred = np.einsum("roj,j->ro", jac, x[0]) + off
        size = np.einsum("roj,j->ro", np.abs(jac), np.abs(x[0])) + np.abs(off) + np.abs(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            bad = np.abs(pred - y) / size
        return np.asarray(np.nan_to_num(bad, nan=0.0).max(axis=1, initial=0.0))

    def interior_points(self) -> np.ndarray:
        """One point strictly inside each region.

        Returns
        -------
        points : (R, 2) float64 array
            For merged regions, a point of the first member (off every kink).
        """
        import shapely

        if self._points is not None:
            return self._points
        if self._mesh is not None and not self.whole_plane and self._polygons is None:
            # vertex mean of a convex polygon is interior
            m = self._mesh
            sizes = np.diff(m.face_ptr)
            sums = np.add.reduceat(m.xy[m.face_verts], m.face_ptr[:-1], axis=0)
            return np.asarray(sums / sizes[:, None])
        return np.asarray(shapely.get_coordinates(shapely.point_on_surface(self.polygons)))

    def merged(self) -> Partition:
        """The function regions: adjacent regions with equal affine maps merged.

        See :func:`regions.merge.merge_regions`.
        """
        from .merge import merge_regions

        return merge_regions(self)

    # ------------------------------------------------------------ views
    def plot(self, ax: Any = None, color_by: str = "region", **kwargs: Any) -> Any:
        """Draw the regions; see :func:`regions.plot_partition` (returns its artists)."""
        from .plot import plot_partition

        return plot_partition(self, ax=ax, color_by=color_by, **kwargs)

    def compare_raster(self, resolution: int = 500, *, output: int = 0, **kwargs: Any) -> Any:
        """Check ``numpy.gradient`` on a grid against the exact gradients.

        See :func:`regions.compare_raster`; the raster is
        :func:`regions.gradient_raster` of this partition's network (output
        ``output``) over the domain's bounds, at most ``10**8`` pixels
        (``regions.raster.MAX_RASTER_PIXELS``: a larger ``resolution`` raises
        :class:`~regions.errors.ParameterError`).
        """
        from .raster import compare_raster, gradient_raster

        raster = gradient_raster(self.network, self.domain.bounds, resolution, output=output)
        return compare_raster(self, raster, **kwargs)

    def boundaries(self) -> Any:
        """Region edges with the neuron bending there: :func:`regions.neuron_boundaries`."""
        from .boundaries import neuron_boundaries

        return neuron_boundaries(self)

    def decision_boundary(self) -> Any:
        """Segments where the predicted class changes: :func:`regions.decision_boundary`."""
        from .classify import decision_boundary

        return decision_boundary(self)

    def class_regions(self) -> np.ndarray:
        """Polygons of each predicted class; see :func:`regions.class_regions`."""
        from .classify import class_regions

        return class_regions(self)

    # ------------------------------------------------------------ checks
    def verify(self) -> None:
        """Check every invariant of the partition; raise if one fails.

        Checks that the areas sum to the domain's area (relative ``SUM_RTOL``),
        that the polygons are valid, inside the domain and have disjoint
        interiors, that each region's pattern and affine map equal a forward
        pass (through torch when the network was read from a torch model) at
        an interior point (relative ``CHECK_RTOL``), and that adjacent regions
        have different patterns (merged partitions: different affine maps,
        relative ``MERGE_RTOL``, and no pattern check). No region may be
        thinner than the rounding width of the coordinates (measured in the
        frame the splitter worked in: see "Anisotropic domains" and "Domains
        far from the origin" in :mod:`regions.tolerance`; a translated one
        must also be 4 ulps of the plane's coordinates wide, the least float64
        can draw there). On the fast splitter's bounded partitions, also that
        every vertex lies on each zero set the regions around it disagree on,
        to ``VERTEX_ULPS`` units of rounding.

        Raises
        ------
        VerificationError
            Naming the invariant and the first offending region(s).
        """
        check_partition(self)


def _forward(
    network: Network, x: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Hidden pre-activations, output and output gradient at points.

    Through torch (on a float64 copy, with autograd for the gradient) when the
    network was read from a torch model, else with numpy.

    Returns
    -------
    pre : list of (P, n_l) float64 arrays
    y : (P, n_out) float64 array
    grad : (P, n_out, 2) float64 array
    """
    if network.module is None:
        pre = network.preactivations(x)
        pat = np.concatenate([z > 0 for z in pre], axis=1) if pre else np.zeros((len(x), 0), bool)
        return pre, network.forward(x), network.affine_maps(pat)[0]

    model = cpu_float64_copy(network.module)
    captured: list[np.ndarray] = []
    handles = []
    seen: set[int] = set()
    for path in network.relu_paths:
        mod = model.get_submodule(path)
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        handles.append(
            mod.register_forward_hook(
                lambda _m, inp, _out: captured.append(inp[0].detach().numpy().copy())
            )
        )
    try:
        y, grad = torch_output_and_gradient(model, x)
    finally:
        for h in handles:
            h.remove()
    return captured, y, grad


def torch_output_and_gradient(
    model: Any, x: np.ndarray, to_input: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Output and gradient of a (float64) torch model at 2-D points, by autograd.

    Parameters
    ----------
    model : torch.nn.Module
        Evaluated as is (pass a float64 copy).
    x : (P, 2) float64 array
        The points.
    to_input : callable, optional
        Maps the (P, 2) point tensor to the model's input (a plane slice);
        default: the points themselves.

    Returns
    -------
    y : (P, n_out) float64 array
    grad : (P, n_out, 2) float64 array
        ``d y / d x`` at each point.
    """
    import torch

    # autograd on, also when called inside torch.no_grad() or torch.inference_mode()
    with torch.inference_mode(False), torch.enable_grad():
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        y = model(xt if to_input is None else to_input(xt)).reshape(len(x), -1)
        grads = []
        for k in range(y.shape[1]):
            (g,) = torch.autograd.grad(y[:, k].sum(), xt, retain_graph=True, allow_unused=True)
            grads.append(np.zeros(x.shape) if g is None else g.numpy())
    grad = np.stack(grads, axis=1) if grads else np.zeros((len(x), 0, 2))
    return y.detach().numpy(), grad


def check_partition(p: Partition) -> None:
    """Raise :class:`~regions.errors.VerificationError` if ``p`` breaks an invariant.

    The one invariant checker: :meth:`Partition.verify` and the tests call it
    (also after every hidden layer, on the partial partitions). Overlaps,
    containment and shared edges of convex regions are bounded by separating
    axes (:func:`_convex_pairs`, :func:`_outside_bound`; see
    :mod:`regions.tolerance`), everything they do not clear by GEOS overlay.
    On the fast splitter's bounded partitions, every vertex must lie on each
    zero set the regions around it disagree on, to within ``VERTEX_ULPS``
    units of rounding (:func:`_check_vertices`).

    Parameters
    ----------
    p : Partition

    Raises
    ------
    VerificationError
    ArgumentTypeError
        If ``p`` is not a Partition.
    """
    import shapely

    if not isinstance(p, Partition):
        raise ArgumentTypeError(f"p must be a regions.Partition, got {type(p).__name__}")
    r = len(p)
    dom_area = p.domain.area
    if r == 0:
        raise VerificationError("the partition has no regions")
    if p.patterns.shape != (r, p.network.n_neurons):
        raise VerificationError(
            f"patterns have shape {p.patterns.shape}, expected ({r}, {p.network.n_neurons})"
        )
    if p.layer_counts and p.layer_counts[-1] != r and not p.is_merged:
        raise VerificationError(f"layer_counts[-1]={p.layer_counts[-1]} but there are {r} regions")
    polys = p.polygons
    if len(polys) != r:
        raise VerificationError(f"{len(polys)} polygons for {r} patterns")
    # 1. areas
    areas = np.asarray(shapely.area(polys))
    if (areas <= 0).any():
        far = p.method == "fast" and not p.covers_plane and any(frame_offset(p.domain.bounds))
        raise VerificationError(
            f"region {int(np.argmin(areas))} has area {areas.min()}"
            + (
                " (the box is far from the origin: a region split in its translated frame "
                "can be narrower than the plane's coordinates can draw)" if far else ""
            )
        )
    # a region thinner than the coordinates' rounding (twice its area over its perimeter,
    # a bound on its width) cannot be told from a sliver made by rounding
    # (measured in the frame the splitter worked in: translated far from the origin, for
    # the fast splitter, and balanced when tall or wide; see regions.tolerance)
    bounds = np.asarray(p.domain.bounds, dtype=np.float64)
    c = np.zeros(2)
    if not p.covers_plane and p.method == "fast":
        c = np.array(frame_offset(p.domain.bounds))
    elif p.covers_plane:  # a whole plane whose structure lies far off is split translated
        from .engine import _structure_offset

        off = _structure_offset(p.network)
        c = np.zeros(2) if off is None else off
    f = np.ones(2) if p.covers_plane else np.array(frame_scales(tuple(bounds - np.r_[c, c])))
    plain = (f == 1.0).all() and (c == 0.0).all()
    framed = polys if plain else shapely.transform(polys, lambda xy: (xy - c) * f)
    fbounds = tuple((bounds - np.r_[c, c]) * np.r_[f, f])
    width = 2.0 * areas * f.prod() / np.maximum(np.asarray(shapely.length(framed)), 1e-300)
    thin = width < noise_width(fbounds)
    if thin.any():
        k = int(np.argmin(np.where(thin, width, np.inf)))
        where = "" if plain else (
            f" (in the frame (x - {c[0]:g}) * {f[0]:g}, (y - {c[1]:g}) * {f[1]:g})"
        )
        raise VerificationError(
            f"region {k} is a sliver {width[k]:.3g} wide{where}, under the rounding width "
            f"{noise_width(fbounds):.3g} of the domain's coordinates (area {areas[k]!r})"
        )
    if (c != 0.0).any():  # and float64 must still draw it in the plane's coordinates:
        # its width in units of rounding of each axis (x / ulp_x, y / ulp_y) at least 4
        ulp = np.spacing(np.maximum(np.abs(bounds[:2]), np.abs(bounds[2:])))
        in_ulps = shapely.transform(polys, lambda xy: xy / ulp)
        units = 2.0 * areas / ulp.prod() / np.maximum(np.asarray(shapely.length(in_ulps)), 1e-300)
        if (units < 4.0).any():
            k = int(np.argmin(units))
            raise VerificationError(
                f"region {k} is {units[k]:.3g} units of rounding of the plane's coordinates "
                f"wide (ulps {ulp[0]:.3g} in x, {ulp[1]:.3g} in y), under 4: float64 cannot "
                f"draw it there (area {areas[k]!r})"
            )
    total = float(areas.sum())
    if abs(total - dom_area) > SUM_RTOL * dom_area:
        raise VerificationError(
            f"region areas sum to {total!r}, the domain's area is {dom_area!r} "
            f"(relative error {abs(total - dom_area) / dom_area:.2e} > {SUM_RTOL})"
        )
    # 2. validity, containment, disjoint interiors, adjacency
    valid = shapely.is_valid(polys)
    if not valid.all():
        k = int(np.flatnonzero(~valid)[0])
        raise VerificationError(
            f"region {k} is not a valid polygon: {shapely.is_valid_reason(polys[k])}"
        )
    outside = _outside_bound(polys, p.domain)
    doubt = np.flatnonzero(outside > AREA_RTOL * dom_area)
    if len(doubt):  # not cleared by the bound: the exact overlay
        outside[doubt] = shapely.area(shapely.difference(polys[doubt], p.domain.polygon))
        suspect = doubt[outside[doubt] > AREA_RTOL * dom_area]
        if len(suspect):
            # GEOS's floating overlay can fail on a region whose edges lie on the domain's
            # up to an ulp (it returned a whole triangle of a star-shaped domain as outside,
            # depending on the ring's first vertex): redo those with snap-rounding on the
            # noise grid, and allow the slivers it makes
            g = noise_width(p.domain.bounds)
            snapped = shapely.difference(polys[suspect], p.domain.polygon, grid_size=g)
            slack = g * (shapely.length(polys[suspect]) + p.domain.polygon.length)
            outside[suspect] = np.maximum(shapely.area(snapped) - slack, 0.0)
    if (outside > AREA_RTOL * dom_area).any():
        k = int(np.argmax(outside))
        raise VerificationError(f"region {k} sticks out of the domain by area {outside[k]!r}")
    tree = shapely.STRtree(polys)
    i, j = tree.query(polys)  # bounding boxes meet; the separating axes sort them out
    keep = i < j
    i, j = i[keep], j[keep]
    g = noise_width(p.domain.bounds)
    # convex pairs: a separating axis bounds the overlap and gives the shared edge;
    # the pairs it cannot clear (or non-convex regions) go through GEOS overlay
    cleared, length = _convex_pairs(polys, i, j, AREA_RTOL * dom_area, g)
    overlap = np.zeros(len(i))
    doubt = np.flatnonzero(~cleared)
    if len(doubt):
        inter = shapely.intersection(polys[i[doubt]], polys[j[doubt]])
        overlap[doubt] = shapely.area(inter)
        length[doubt] = shapely.length(inter)
        suspect = doubt[overlap[doubt] > AREA_RTOL * dom_area]
        if len(suspect):
            # GEOS's floating overlay can fail on neighbours whose shared vertex differs
            # by an ulp (it returned a whole region as the overlap); redo those pairs with
            # snap-rounding on the noise grid, and allow the slivers it makes
            inter = shapely.intersection(polys[i[suspect]], polys[j[suspect]], grid_size=g)
            slack = g * (shapely.length(polys[i[suspect]]) + shapely.length(polys[j[suspect]]))
            overlap[suspect] = np.maximum(shapely.area(inter) - slack, 0.0)
            length[suspect] = shapely.length(inter)
    if (overlap > AREA_RTOL * dom_area).any():
        k = int(np.argmax(overlap))
        raise VerificationError(
            f"regions {int(i[k])} and {int(j[k])} overlap with area {overlap[k]!r}"
        )
    diameter = float(np.hypot(*np.subtract(p.domain.bounds[2:], p.domain.bounds[:2])))
    shared = length > EDGE_RTOL * diameter
    pairs = np.column_stack([i[shared], j[shared]])
    if p.is_merged:
        from .merge import same_maps

        same = same_maps(p.jacobians, p.offsets, pairs, p.domain.bounds)
    else:
        bits = np.packbits(p.patterns, axis=1)
        same = (bits[pairs[:, 0]] == bits[pairs[:, 1]]).all(axis=1)
    if same.any():
        k = int(np.flatnonzero(same)[0])
        raise VerificationError(
            f"adjacent regions {int(pairs[k, 0])} and {int(pairs[k, 1])} have the same "
            + ("affine map" if p.is_merged else "activation pattern")
        )
    # 3. forward pass at an interior point
    pts = p.interior_points()
    inside = np.asarray(shapely.contains_xy(polys, pts[:, 0], pts[:, 1]))
    if not inside.all():
        k = int(np.flatnonzero(~inside)[0])
        raise VerificationError(f"interior point {pts[k].tolist()} is not inside region {k}")
    # in chunks of regions: the pre-activations of every layer at every point would
    # take R x (neurons) floats at once
    ys, grads = [], []
    for s0 in range(0, r, _CHECK_CHUNK):
        s1 = min(r, s0 + _CHECK_CHUNK)
        yc, gc = _check_patterns(p, pts[s0:s1], p.patterns[s0:s1], s0)
        ys.append(yc)
        grads.append(gc)
    y, grad = np.concatenate(ys), np.concatenate(grads)
    jac, off = p.jacobians, p.offsets
    pred = np.einsum("rij,rj->ri", jac, pts) + off
    ref_scale = max(float(np.abs(y).max()), float(np.abs(pred).max()), 1e-300)
    err = np.abs(pred - y)
    out = np.flatnonzero((err > CHECK_RTOL * ref_scale).any(axis=1))
    if len(out):
        # the forward pass sums terms far bigger than its result where they cancel (a small
        # output at coordinates of 1e6): there, relative to those terms, as for gradients
        ref = np.maximum(ref_scale, _value_terms(p.network, pts[out], p.patterns[out]))
        out = out[(err[out] > CHECK_RTOL * ref).any(axis=1)]
    if len(out):
        k = int(out[np.argmax(err[out].max(axis=1))])
        raise VerificationError(
            f"region {k}: the affine map gives {pred[k].tolist()} at {pts[k].tolist()}, the "
            f"forward pass gives {y[k].tolist()}"
        )
    # gradients are sums of products of weights: their rounding is relative to those terms
    gscale = max(
        float(np.abs(grad).max()), float(np.abs(jac).max()), _gradient_terms(p.network), 1e-300
    )
    gerr = np.abs(jac - grad).reshape(len(pts), -1).max(axis=1, initial=0.0)
    if (gerr > CHECK_RTOL * gscale).any():
        k = int(np.argmax(gerr))
        raise VerificationError(
            f"region {k}: jacobian {jac[k].tolist()} differs from the forward pass's "
            f"gradient {grad[k].tolist()} at {pts[k].tolist()}"
        )
    # 4. every vertex on the zero sets the regions around it say it is on (the fast
    # splitter's bounded partitions: the shapely reference's vertices, and the whole
    # plane's frame and far anchors, come with GEOS overlay's or longer rounding)
    if not p.is_merged and p.method == "fast" and not p.whole_plane:
        _check_vertices(p)


def _check_vertices(p: Partition, chunk: int = 8192) -> None:
    """Flag a vertex that misses a zero set it lies on by more than rounding.

    A vertex lies on neuron ``j``'s zero set when the regions around it (those
    with the vertex in a ring) disagree on bit ``j``. There the value,
    recomputed from the vertex's coordinates, must be within ``VERTEX_ULPS``
    units of ``2**-52`` of its scale (each coordinate taken at least as large
    as the domain's largest); see :mod:`regions.tolerance`.
    """
    import shapely

    xy, owner = shapely.get_coordinates(p.polygons, return_index=True)
    if len(xy) == 0 or p.patterns.shape[1] == 0:
        return
    verts, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    order = np.argsort(inv, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
    n = p.patterns.shape[1]
    bits = np.packbits(np.asarray(p.patterns, dtype=bool), axis=1)
    on = np.zeros((len(verts), bits.shape[1]), dtype=np.uint8)
    for s0 in range(0, len(starts), chunk):  # the incidences of a chunk of vertices
        s1 = min(len(starts), s0 + chunk)
        lo, hi = starts[s0], starts[s1] if s1 < len(starts) else len(order)
        b = bits[owner[order[lo:hi]]]
        at = starts[s0:s1] - lo
        on[inv[order[starts[s0:s1]]]] = np.bitwise_or.reduceat(b, at) & ~np.bitwise_and.reduceat(
            b, at
        )
    rows = np.flatnonzero(on.any(axis=1))
    bounds = np.abs(np.asarray(p.domain.bounds, dtype=np.float64))
    # per axis: the largest coordinate of the frame the splitter balanced, in plane units
    f = np.array(frame_scales(p.domain.bounds))
    floor = float((bounds * np.r_[f, f]).max()) / f
    unit = VERTEX_ULPS * 2.0**-52
    for s0 in range(0, len(rows), chunk):
        rr = rows[s0 : s0 + chunk]
        pts = verts[rr]
        line = np.unpackbits(on[rr], axis=1, count=n).astype(bool)
        if hasattr(p.network, "split_values"):
            values, scales = p.network.split_values(pts, floor)
            names = [f"stage {s}" for s in range(len(values))]
        else:
            values, scales, names = _line_values(p.network.hidden, pts, floor, line)
        col = 0
        for name, z, scale in zip(names, values, scales, strict=True):
            bad = line[:, col : col + z.shape[1]] & (np.abs(z) > unit * scale)
            if bad.any():
                i, k = np.argwhere(bad)[0]
                raise VerificationError(
                    f"vertex {pts[i].tolist()} lies on the zero set of neuron {int(k)} of "
                    f"{name} (the regions around it disagree on its sign), but its value "
                    f"there is {z[i, k]!r}, {abs(z[i, k]) / scale[i, k] / 2.0**-52:.0f} units "
                    f"of rounding of its scale {scale[i, k]:.3g} (at most {VERTEX_ULPS:.0f}): "
                    "the zero band merged a feature smaller than itself, or rounding moved "
                    "the vertex off the line"
                )
            col += z.shape[1]


def _line_values(
    hidden: Any, pts: np.ndarray, floor: Any, line: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """Pre-activations at ``pts`` and, where ``line`` is set, the zero test's scale.

    The scale of neuron ``j`` at ``v`` is ``|W_j| . a(v) + ||W_j||_1 S(v) + |b_j|``
    (``a`` the layer's input, each coordinate at least ``floor`` on the first
    layer: a number, or one per axis), where ``S(v)`` bounds the scales of
    the layer before (``0`` on the first): one product per layer for the
    values, and the scales only for the pairs on a line. Elsewhere the scale
    is ``inf``.
    """
    values, scales, names = [], [], []
    a, bound = np.maximum(np.abs(pts), floor), np.zeros(len(pts))
    col = 0
    for layer, (w, b) in enumerate(hidden):
        z = (a if layer else pts) @ w.T + b
        absw, absb = np.abs(w), np.abs(b)
        norm = absw.sum(axis=1)
        v, j = np.nonzero(line[:, col : col + w.shape[0]])
        scale = np.full(z.shape, np.inf)
        scale[v, j] = np.einsum("pk,pk->p", a[v], absw[j]) + norm[j] * bound[v] + absb[j]
        values.append(z)
        scales.append(scale)
        names.append(f"hidden layer {layer}")
        bound = norm.max(initial=0.0) * (a.max(axis=1, initial=0.0) + bound) + absb.max(
            initial=0.0
        )
        a = np.maximum(z, 0.0)
        col += w.shape[0]
    return values, scales, names


def _value_terms(network: Any, pts: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """Size of the terms a forward pass sums at each point: (P, n_out) float64 array.

    ``|W_out| a_L + |b_out|`` with ``a_l = D_l (|W_l| a_(l-1) + |b_l|)``,
    ``a_0 = |x|`` and ``D_l`` the region's pattern (a ReLU ``Network``); ``0``
    for other models, whose check stays relative to the largest output.
    """
    hidden = getattr(network, "hidden", None)
    if hidden is None:
        return np.zeros((len(pts), network.n_out))
    a = np.abs(pts)
    col = 0
    for w, b in hidden:
        a = (a @ np.abs(w).T + np.abs(b)) * patterns[:, col : col + len(b)]
        col += len(b)
    w, b = network.output
    out: np.ndarray = a @ np.abs(w).T + np.abs(b)
    return out


def _check_parts(
    network: Any, domain: Any, patterns: Any, mesh: Any, polygons: Any
) -> None:
    """Refuse the parts of a :class:`Partition` built by hand that do not fit together."""
    from .stages import PlaneModel

    if not isinstance(network, (Network, PlaneModel)):
        raise ArgumentTypeError(
            f"Partition(network=...) must be a regions.Network, got {type(network).__name__}; "
            "partitions come from regions.linear_regions"
        )
    if not isinstance(domain, Domain):
        raise ArgumentTypeError(
            f"Partition(domain=...) must be a regions Domain (regions.domain.as_domain), got "
            f"{type(domain).__name__}"
        )
    pat = np.asarray(patterns)
    if pat.ndim != 2 or pat.shape[1] != network.n_neurons:
        raise ShapeMismatchError(
            f"Partition(patterns=...) must be (R, {network.n_neurons}), one column per hidden "
            f"neuron, got shape {pat.shape}"
        )
    if mesh is not None and mesh.n_faces != pat.shape[0]:
        raise ShapeMismatchError(
            f"the mesh has {mesh.n_faces} faces for {pat.shape[0]} patterns"
        )
    if polygons is not None and len(polygons) != pat.shape[0]:
        raise ShapeMismatchError(
            f"{len(polygons)} polygons for {pat.shape[0]} patterns"
        )


#: ``Partition.jacobians`` walks the first layer's faces (:mod:`regions._walkmaps`) from
#: this many ``regions x n_1 x n_2`` (the product it saves), when numba is installed ...
WALK_MIN_WORK: int = 100_000_000
#: ... and the first layer has at least this many neurons: below it the product by BLAS
#: was as fast or faster (2026-12-05: 2-128-128-1 and 2-128x3-1 slower walked, 2-192-192-1,
#: 2-192x3-1 and wider faster).
WALK_MIN_WIDTH: int = 192


def _walked_maps(p: Partition) -> tuple[np.ndarray, np.ndarray] | None:
    """The maps by :func:`regions._walkmaps.mesh_affine_maps`; ``None`` where that does not apply.

    It applies to an unmerged partition of the fast splitter (its mesh) of a
    plain ``Linear``/``ReLU`` network with two hidden layers or more and one or
    two outputs, or two hidden layers and any number of outputs, from
    :data:`WALK_MIN_WORK` and :data:`WALK_MIN_WIDTH`. Chosen by those sizes
    alone, never by what ran before, so a partition's maps are the same bits
    in every process.
    """
    import importlib.util

    net = p.network
    if type(net) is not Network or len(net.hidden) < 2 or p._mesh is None or p.is_merged:
        return None
    if net.n_out >= 3 and len(net.hidden) > 2:
        return None
    if net.widths[0] < WALK_MIN_WIDTH or len(p) * net.widths[0] * net.widths[1] < WALK_MIN_WORK:
        return None
    if p._mesh.n_faces != len(p) or importlib.util.find_spec("numba") is None:
        return None
    from ._walkmaps import mesh_affine_maps

    got = mesh_affine_maps(net, p._mesh, p.patterns)
    return None if got is None else (got[0], got[1])


def _gradient_terms(network: Any) -> float:
    """Largest entry of ``|W_out| |W_L| ... |W_1|``: the size of the terms a gradient sums."""
    prog = getattr(network, "program", None)
    if prog is not None and getattr(prog, "d_in", None) == 2:  # a stage program on the plane
        t = np.zeros((prog.n_state, 2))
        t[:2] = np.eye(2)
        col = 2
        for st in prog.stages:
            tz = np.abs(st.weight) @ t[: st.weight.shape[1]]
            if st.kind == "maxpool":
                tz = tz[st.groups].max(axis=1)
            elif st.kind == "leaky":
                tz = tz * np.maximum(1.0, np.abs(st.slope))[:, None]
            t[col : col + st.n_out] = tz
            col += st.n_out
        return float((np.abs(prog.out_weight) @ t).max(initial=0.0))
    if not isinstance(network, Network):
        return 0.0
    m = np.eye(2)
    for w, _ in network.hidden:
        m = np.abs(w) @ m
    return float((np.abs(network.output[0]) @ m).max(initial=0.0))


#: Regions whose forward pass ``check_partition`` holds in memory at once.
_CHECK_CHUNK: int = 16384


def _check_patterns(
    p: Partition, pts: np.ndarray, patterns: np.ndarray, first: int
) -> tuple[np.ndarray, np.ndarray]:
    """Check the patterns of regions ``first, first + 1, ...`` at their interior points.

    Returns the forward pass's output ``(P, n_out)`` and gradient ``(P, n_out, 2)``.
    """
    if hasattr(p.network, "verify_forward"):
        # a general piecewise-linear model: split-function values and their scale
        values, scales, y, grad = p.network.verify_forward(pts)
        names = [f"stage {s}" for s in range(len(values))]
    else:
        pre, y, grad = _forward(p.network, pts)
        if len(pre) != len(p.network.hidden):
            raise VerificationError(
                f"the forward pass reached {len(pre)} ReLU layers, the network has "
                f"{len(p.network.hidden)}"
            )
        values, scales, names = [], [], []
        a, inherited = np.abs(pts), np.zeros_like(pts)
        for layer, ((w, b), z) in enumerate(zip(p.network.hidden, pre, strict=True)):
            z = z.reshape(len(pts), -1)
            values.append(z)
            # the terms summed here, and those the inputs' own rounding comes from (a
            # value that is 0 up to rounding carries the size of the terms that gave it;
            # a clamped one, below its band, is exactly 0 and carries nothing)
            scale = (a + inherited) @ np.abs(w).T + np.abs(b)
            scales.append(scale)
            names.append(f"hidden layer {layer}")
            a = np.maximum(z, 0.0)
            inherited = np.where(z < -PATTERN_RTOL * scale, 0.0, scale)
    col = 0
    for name, z, scale in zip(names, values, scales, strict=True):
        band = PATTERN_RTOL * scale
        pat = patterns[:, col : col + z.shape[1]]
        wrong = (pat & (z < -band)) | (~pat & (z > band))
        if wrong.any() and not p.is_merged:  # a merged region has no single pattern
            rr, kk = np.argwhere(wrong)[0]
            raise VerificationError(
                f"region {int(rr) + first}: neuron {int(kk)} of {name} has "
                f"pre-activation {z[rr, kk]!r} at interior point {pts[rr].tolist()}, but the "
                f"pattern says {'active' if pat[rr, kk] else 'inactive'}"
            )
        col += z.shape[1]
    return y, grad


def _outside_bound(polys: np.ndarray, domain: Domain) -> np.ndarray:
    """Upper bounds on the area of each polygon outside a convex domain.

    If every vertex of a polygon ``P`` is within ``delta`` outside each edge
    line of the domain, ``P`` (convex hull of its vertices) lies in the
    domain grown by ``delta``, and ``P`` minus the domain lies in the
    ``delta``-strips outside the ``m`` edges: area at most
    ``m * delta * diam P``. Infinite for every polygon when the domain is not
    convex (the caller then uses the exact overlay).

    Returns
    -------
    (R,) float64 array
    """
    import shapely

    if not domain.convex:
        return np.full(len(polys), np.inf)
    ring = np.asarray(domain.ring, dtype=np.float64)
    d = np.roll(ring, -1, axis=0) - ring
    n = np.stack([d[:, 1], -d[:, 0]], axis=1)  # outward: the ring is counter-clockwise
    n /= np.hypot(n[:, 0], n[:, 1])[:, None]
    xy, owner = shapely.get_coordinates(polys, return_index=True)
    out = (xy @ n.T - np.einsum("kd,kd->k", n, ring)).max(axis=1)
    delta = np.zeros(len(polys))
    np.maximum.at(delta, owner, np.maximum(out, 0.0))
    lo = np.full((len(polys), 2), np.inf)
    hi = np.full((len(polys), 2), -np.inf)
    np.minimum.at(lo, owner, xy)
    np.maximum.at(hi, owner, xy)
    diam = np.hypot(*(hi - lo).T)
    return np.asarray(len(ring) * delta * diam, dtype=np.float64)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products of broadcast 2-vectors (last axis of length 2)."""
    return np.asarray(a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1])


#: Largest vertex count of a region that :func:`_convex_pairs` handles (more: GEOS).
_SAT_MAX_VERTICES: int = 24


def _convex_pairs(
    polys: np.ndarray, i: np.ndarray, j: np.ndarray, max_area: float, noise: float,
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray]:
    """Overlap bound and shared boundary of pairs of convex polygons, by separating axes.

    For convex ``P`` and ``Q`` let ``s`` be the largest separation
    ``min_Q n.x - max_P n.x`` over the outward edge normals ``n`` of both
    (``s >= 0`` iff the interiors are disjoint). Their intersection lies in a
    strip of width ``-s`` across either polygon (``noise - s`` for rings that
    are convex only to within ``noise``, which is all this function asks of
    them), so its area is at most ``(noise - s) * min(diam P, diam Q)``: a
    pair is *cleared* when that bound is at most ``max_area``. Along the best
    axis, the shared boundary of a cleared
    pair is the overlap of the two polygons' extents on the separating line
    (their vertices within ``noise`` of it).

    Parameters
    ----------
    polys : (R,) object array of shapely Polygons
    i, j : (P,) int arrays
        The pairs.
    max_area : float
        Largest overlap area accepted.
    noise : float
        Distance within which a vertex is on the separating line.
    chunk : int
        Pairs handled at once (bounds memory).

    Returns
    -------
    cleared : (P,) bool array
        Pairs whose overlap is proved at most ``max_area``; False also for a
        polygon that is not convex, has holes or too many vertices (left to
        the caller's exact overlay).
    length : (P,) float64 array
        Shared boundary length of the cleared pairs (0 elsewhere).
    """
    import shapely

    r = len(polys)
    cleared = np.zeros(len(i), dtype=bool)
    length = np.zeros(len(i))
    rings = shapely.get_exterior_ring(polys)
    xy, owner = shapely.get_coordinates(rings, return_index=True)
    count = np.bincount(owner, minlength=r) - 1  # a ring repeats its first point
    start = np.concatenate([[0], np.cumsum(count + 1)[:-1]])
    ok = (count >= 3) & (count <= _SAT_MAX_VERTICES)
    ok &= shapely.get_num_interior_rings(polys) == 0
    k = int(count[ok].max(initial=3))
    # padded (R, k, 2) vertices, the last one repeated; edges to the next vertex
    real = np.arange(k)[None, :] < count[:, None]
    slot = np.minimum(np.arange(k)[None, :], np.clip(count, 1, k)[:, None] - 1)
    v = xy[start[:, None] + slot]
    nxt = xy[start[:, None] + (slot + 1) % np.maximum(count, 1)[:, None]]
    d = nxt - v
    # outward normals of a counter-clockwise ring (a clockwise one flipped)
    cross = v[:, :, 0] * nxt[:, :, 1] - v[:, :, 1] * nxt[:, :, 0]
    orient = np.where(np.where(real, cross, 0.0).sum(axis=1) >= 0, 1.0, -1.0)
    n = np.stack([d[:, :, 1], -d[:, :, 0]], axis=2) * orient[:, None, None]
    norm = np.hypot(n[:, :, 0], n[:, :, 1])
    live = norm > 0
    n = n / np.where(live, norm, 1.0)[:, :, None]
    off = _dot(n, v)
    # convex: every vertex on the inner side of every edge line (to rounding); the work
    # is done in groups of similar vertex counts, on arrays cut to the group's largest
    for kg, idx in _by_count(count, k):
        own = _dot(n[idx, :kg, None], v[idx, None, :kg]) - off[idx, :kg, None]
        ok[idx] &= (np.where(live[idx, :kg, None], own, 0.0) <= noise).all(axis=(1, 2))
    diam = np.hypot(*(v.max(axis=1) - v.min(axis=1)).T)
    for kg, sel in _by_count(np.maximum(count[i], count[j]), k):
        for s in range(0, len(sel), chunk):
            q = sel[s : s + chunk]
            a, b = i[q], j[q]
            sep, ln = _separate(a, b, v[:, :kg], n[:, :kg], off[:, :kg], live[:, :kg], noise)
            c = ok[a] & ok[b] & (_depth(sep, noise) * np.minimum(diam[a], diam[b]) <= max_area)
            cleared[q] = c
            length[q] = np.where(c, ln, 0.0)
    return cleared, length


def _by_count(count: np.ndarray, k: int) -> Any:
    """Groups ``(kg, indices)`` of the entries with ``count`` in ``(previous kg, kg]``."""
    lo = 2
    for kg in (4, 6, 8, 12, 16, 24, k):
        kg = min(kg, k)
        if kg <= lo:
            continue
        idx = np.flatnonzero((count > lo) & (count <= kg))
        if len(idx):
            yield kg, idx
        lo = kg


def _depth(sep: np.ndarray, noise: float) -> np.ndarray:
    """How far two rings can overlap across their best axis (``sep`` < 0: overlap).

    A ring convex to within ``noise`` reaches ``noise`` past its own edge lines.
    """
    return np.maximum(noise - sep, 0.0)


def _separate(
    a: np.ndarray, b: np.ndarray, v: np.ndarray, n: np.ndarray, off: np.ndarray,
    live: np.ndarray, noise: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Best separation and shared length of pairs ``(a, b)`` (see :func:`_convex_pairs`)."""
    va, vb = v[a], v[b]
    # separation along a's normals (b's vertices) and along b's (a's vertices)
    pa = _dot(n[a][:, :, None], vb[:, None]) - off[a][:, :, None]
    pb = _dot(n[b][:, :, None], va[:, None]) - off[b][:, :, None]
    sa = np.where(live[a], pa.min(axis=2), -np.inf)
    sb = np.where(live[b], pb.min(axis=2), -np.inf)
    ka, kb = sa.argmax(axis=1), sb.argmax(axis=1)
    rows = np.arange(len(a))
    use_a = sa[rows, ka] >= sb[rows, kb]
    sep = np.where(use_a, sa[rows, ka], sb[rows, kb])
    # extents on the separating line: the axis owner's vertices on it, the other's
    # vertices within noise of it
    first = np.where(use_a, a, b)
    kk = np.where(use_a, ka, kb)
    nn = n[first, kk]
    t = np.stack([-nn[:, 1], nn[:, 0]], axis=1)
    c0 = off[first, kk]
    vf = np.where(use_a[:, None, None], va, vb)
    vo = np.where(use_a[:, None, None], vb, va)
    dist_f = _dot(nn[:, None], vf) - c0[:, None]
    dist_o = _dot(nn[:, None], vo) - c0[:, None]
    on_f = dist_f >= -noise
    on_o = dist_o <= dist_o.min(axis=1, keepdims=True) + noise
    tf = _dot(t[:, None], vf)
    to = _dot(t[:, None], vo)
    lo = np.maximum(np.where(on_f, tf, np.inf).min(axis=1), np.where(on_o, to, np.inf).min(axis=1))
    hi = np.minimum(
        np.where(on_f, tf, -np.inf).max(axis=1), np.where(on_o, to, -np.inf).max(axis=1)
    )
    # touching along the axis only: a pair separated by a gap shares no boundary, however
    # much their extents along the separating line overlap
    length = np.where(np.abs(sep) <= noise, np.maximum(hi - lo, 0.0), 0.0)
    return sep, length
