"""The sampling method of the course exercise, and its comparison with the exact regions.

Exercise 3 evaluates the MLP on a dense grid, takes :func:`numpy.gradient` of
the output image and shows both gradient components with the ``'prism'``
colormap: areas of constant colour are the linear regions. This module
reproduces that method (:func:`gradient_raster`), turns its picture into a count
(:func:`raster_count`, :func:`raster_components`) and checks it against an
exact :class:`~regions.Partition` (:func:`compare_raster`), pixel by pixel.

The grid
    A raster of ``resolution`` x ``resolution`` pixels over
    ``bbox = (xmin, ymin, xmax, ymax)`` samples the *pixel centres*
    ``xs[j] = xmin + (j + 0.5) * hx`` and ``ys[i] = ymin + (i + 0.5) * hy``
    with ``hx = (xmax - xmin) / resolution`` and ``hy = (ymax - ymin) / resolution``;
    row ``i`` is ``y`` and column ``j`` is ``x``:
    ``image[i, j] = f(xs[j], ys[i])``. Show it with
    ``imshow(image, origin="lower", extent=raster.extent)``.

Size limit
    A raster holds several ``resolution`` x ``resolution`` float64 arrays
    (the grid, the image and its two gradients: about
    ``RASTER_BYTES_PER_PIXEL = 64`` bytes a pixel). :func:`gradient_raster`,
    :func:`resolution_study` and :meth:`regions.Partition.compare_raster`
    refuse more than ``MAX_RASTER_PIXELS = 10**8`` pixels (``resolution`` up
    to 10,000, about 6 GiB) with a :class:`~regions.errors.ParameterError`
    that names the memory it would need, instead of a ``MemoryError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_flag
from ._validate import check_rtol as _check_rtol
from .domain import DEFAULT_BBOX, as_domain
from .errors import ArgumentTypeError, DomainError, ParameterError, ShapeMismatchError
from .network import Network, cpu_float64_copy, unwrap_model
from .tolerance import RASTER_RTOL, SHAPE_RTOL

__all__ = [
    "GradientRaster",
    "RasterReport",
    "pixel_grid",
    "gradient_raster",
    "raster_components",
    "raster_count",
    "compare_raster",
    "resolution_study",
    "MAX_RASTER_PIXELS",
    "RASTER_BYTES_PER_PIXEL",
]


#: Points evaluated in one forward pass (bounds memory on wide networks).
_BATCH = 65536
#: The most pixels (``resolution ** 2``) a raster may have: ``resolution`` up to 10,000.
MAX_RASTER_PIXELS = 10**8
#: Bytes a raster pixel needs, about: eight float64 arrays of the grid's size.
RASTER_BYTES_PER_PIXEL = 64


@dataclass(frozen=True, eq=False)
class GradientRaster:
    """A network sampled on a pixel grid, with its :func:`numpy.gradient`.

    Attributes
    ----------
    image : (H, W) float64 array
        The sampled output: ``image[i, j] = f(xs[j], ys[i])``.
    dx, dy : (H, W) float64 arrays
        ``numpy.gradient`` of ``image`` along columns and rows, divided by the
        grid spacing: central differences inside, one-sided at the border, so
        they approximate ``df/dx`` and ``df/dy``.
    xs : (W,) float64 array
        x of the pixel centres, ``xmin + (j + 0.5) * hx``.
    ys : (H,) float64 array
        y of the pixel centres, ``ymin + (i + 0.5) * hy``.
    bbox : (xmin, ymin, xmax, ymax) tuple of float
        The rasterised box.
    output : int
        Which output of the network was sampled.
    """

    image: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    bbox: tuple[float, float, float, float]
    output: int = 0

    def __post_init__(self) -> None:
        """Check the arrays' shapes, the box and the output (a raster built by hand too).

        Raises
        ------
        ArgumentTypeError
            If an image is not a 2-D float array, or ``output`` not an integer.
        ShapeMismatchError
            If the images, ``xs`` and ``ys`` do not agree in shape.
        DomainError
            If ``bbox`` is not four finite numbers with ``xmin < xmax``, ``ymin < ymax``.
        """
        for name in ("image", "dx", "dy"):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) or a.ndim != 2 or a.dtype.kind != "f":
                raise ArgumentTypeError(
                    f"GradientRaster.{name} must be a 2-D float array, got "
                    f"{type(a).__name__} {getattr(a, 'shape', '')}"
                )
        h, w = self.image.shape
        if self.dx.shape != (h, w) or self.dy.shape != (h, w):
            raise ShapeMismatchError(
                f"GradientRaster: image, dx and dy must have one shape, got {self.image.shape}, "
                f"{self.dx.shape} and {self.dy.shape}"
            )
        if np.shape(self.xs) != (w,) or np.shape(self.ys) != (h,):
            raise ShapeMismatchError(
                f"GradientRaster: xs must have the image's {w} columns and ys its {h} rows, "
                f"got {np.shape(self.xs)} and {np.shape(self.ys)}"
            )
        _check_box(self.bbox)
        if isinstance(self.output, (bool, np.bool_)) or not isinstance(
            self.output, (int, np.integer)
        ) or self.output < 0:
            raise ArgumentTypeError(
                f"GradientRaster.output must be a non-negative integer, got {self.output!r}"
            )

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(xmin, xmax, ymin, ymax)``: the ``extent`` for ``imshow(..., origin="lower")``."""
        xmin, ymin, xmax, ymax = self.bbox
        return (xmin, xmax, ymin, ymax)

    @property
    def spacing(self) -> tuple[float, float]:
        """``(hx, hy)``: the pixel size."""
        xmin, ymin, xmax, ymax = self.bbox
        return ((xmax - xmin) / self.image.shape[1], (ymax - ymin) / self.image.shape[0])

    @property
    def points(self) -> np.ndarray:
        """(H * W, 2) float64 array of the pixel centres, in ``image.ravel()`` order."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


def _bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``'7.3 TiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _check_resolution(resolution: Any, name: str = "resolution", *, limit: bool = True) -> int:
    """``resolution`` as an int >= 2; with ``limit``, at most ``MAX_RASTER_PIXELS`` pixels."""
    if isinstance(resolution, (bool, np.bool_)) or not isinstance(resolution, (int, np.integer)):
        raise ParameterError(f"{name} must be an int >= 2, got {resolution!r}")
    if resolution < 2:
        raise ParameterError(f"{name} must be an int >= 2, got {resolution!r}")
    n = int(resolution)
    if limit and n * n > MAX_RASTER_PIXELS:
        most = int(np.sqrt(MAX_RASTER_PIXELS))
        raise ParameterError(
            f"{name}={n} is too large: a {n} x {n} raster has "
            f"{f'{n * n:,}' if n < 10**7 else f'{n * n:.3g}'} pixels and would "
            f"need about {_bytes(RASTER_BYTES_PER_PIXEL * n * n)} of memory; the limit is "
            f"{MAX_RASTER_PIXELS:.0e} pixels ({name} <= {most})"
        )
    return n


def _check_box(bbox: Any) -> tuple[float, float, float, float]:
    if bbox is None:
        raise DomainError(
            "bbox=None (the whole plane) cannot be rasterised; give a box (xmin, ymin, xmax, "
            "ymax), e.g. a whole-plane partition's extent()"
        )
    domain = as_domain(bbox)
    if (
        not domain.convex
        or len(domain.ring) != 4
        or not np.isclose(
            domain.area,
            (domain.bounds[2] - domain.bounds[0]) * (domain.bounds[3] - domain.bounds[1]),
            rtol=SHAPE_RTOL,
            atol=0.0,
        )
    ):
        raise DomainError(
            f"bbox must be an axis-aligned box (xmin, ymin, xmax, ymax) for a raster, got {bbox!r}"
        )
    return domain.bounds


def pixel_grid(bbox: Any, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixel centres of a ``resolution`` x ``resolution`` raster of ``bbox``.

    Parameters
    ----------
    bbox : (xmin, ymin, xmax, ymax)
    resolution : int
        Pixels per side, at least 2.

    Returns
    -------
    xs : (resolution,) float64 array
        ``xmin + (j + 0.5) * (xmax - xmin) / resolution``.
    ys : (resolution,) float64 array
        ``ymin + (i + 0.5) * (ymax - ymin) / resolution``.

    Raises
    ------
    DomainError
        If ``bbox`` is not a valid box.
    ValueError
        If ``resolution`` is not an int >= 2.

    Examples
    --------
    >>> xs, ys = pixel_grid((0, -1, 4, 1), 4)
    >>> xs.tolist(), ys.tolist()
    ([0.5, 1.5, 2.5, 3.5], [-0.75, -0.25, 0.25, 0.75])
    """
    n = _check_resolution(resolution, limit=False)
    xmin, ymin, xmax, ymax = _check_box(bbox)
    k = np.arange(n) + 0.5
    return xmin + k * ((xmax - xmin) / n), ymin + k * ((ymax - ymin) / n)


def _evaluate(model: Any, pts: np.ndarray, output: int) -> np.ndarray:
    """Output ``output`` of ``model`` at ``pts``: (P, 2) -> (P,) float64."""
    if isinstance(model, Network) or hasattr(model, "program"):
        net = model  # a Network or a PlaneModel: evaluate in float64 numpy
        module = None
    else:
        from .engine import _resolve

        net = _resolve(model, None, None, keep=False)  # validates the layers (clear errors)
        module = unwrap_model(model)
    if not 0 <= output < net.n_out:
        raise ParameterError(f"output must be in [0, {net.n_out}), got {output!r}")
    out = np.empty(len(pts))
    if module is None:
        for s in range(0, len(pts), _BATCH):
            out[s : s + _BATCH] = net.forward(pts[s : s + _BATCH])[:, output]
        return out
    import torch

    double = cpu_float64_copy(module)  # the model itself is never touched
    with torch.no_grad():
        for s in range(0, len(pts), _BATCH):
            xt = torch.from_numpy(np.ascontiguousarray(pts[s : s + _BATCH]))
            y = double(xt).reshape(len(xt), -1)
            out[s : s + _BATCH] = y[:, output].numpy()
    return out


def gradient_raster(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    resolution: int = 500,
    *,
    output: int = 0,
    plane: Any = None,
    input_shape: Any = None,
) -> GradientRaster:
    """Sample a network on a pixel grid and take :func:`numpy.gradient`, as in the exercise.

    Parameters
    ----------
    model : torch.nn.Module or Network
        A torch model (evaluated in float64 on a CPU copy, ``copy.deepcopy(model)``;
        the model is not modified) or a :class:`~regions.Network` (evaluated with
        :meth:`~regions.Network.forward`).
    bbox : (xmin, ymin, xmax, ymax), default (-10, -10, 10, 10)
        The box to rasterise. With a ``plane`` built by
        :meth:`regions.Plane.through` the default is, as in
        :func:`regions.linear_regions`, the plane's box around its three
        inputs (:meth:`regions.Plane.default_bbox`).
    resolution : int, default 500
        Pixels per side, from 2 to 10,000 (at most ``MAX_RASTER_PIXELS``
        pixels); the exercise uses 500.
    output : int, default 0
        Which output to sample.
    plane, input_shape : optional
        As in :func:`regions.linear_regions`: sample the 2-D slice of a model
        with inputs of any shape (``bbox`` in plane coordinates), evaluated
        by its compiled stage program in float64.

    Returns
    -------
    GradientRaster
        ``image[i, j] = f(xs[j], ys[i])`` at the pixel centres
        ``xs[j] = xmin + (j + 0.5) * (xmax - xmin) / resolution`` (``ys`` alike);
        ``dy, dx = numpy.gradient(image, hy, hx)``.

    Raises
    ------
    DomainError
        If ``bbox`` is not a valid box.
    ParameterError
        If ``resolution`` or ``output`` is out of range; a ``resolution``
        past the size limit names the memory the raster would need.
    UnsupportedLayerError, InputDimensionError, ShapeMismatchError,
    NonFiniteWeightError, TrainingModeError
        As :func:`regions.linear_regions`.

    Examples
    --------
    ``f(x, y) = relu(x)``: the gradient is (0, 0) left of the kink and (1, 0)
    right of it, and mixed in the two columns whose stencils straddle it:

    >>> import numpy as np
    >>> from regions.network import Network
    >>> net = Network.from_arrays([([[1.0, 0.0]], [0.0])], ([[1.0]], [0.0]))
    >>> r = gradient_raster(net, (-2, -1, 2, 1), resolution=4)
    >>> r.xs.tolist()
    [-1.5, -0.5, 0.5, 1.5]
    >>> r.dx[0].tolist(), bool((r.dy == 0).all())
    ([0.0, 0.25, 0.75, 1.0], True)
    """
    n = _check_resolution(resolution)
    if isinstance(output, (bool, np.bool_)) or not isinstance(output, (int, np.integer)):
        raise ParameterError(f"output must be an int, got {output!r}")
    if plane is not None or input_shape is not None:
        from .engine import _check_plane, _resolve

        _check_plane(plane)
        model = _resolve(model, plane, input_shape)  # a PlaneModel: numpy, float64
        if bbox is DEFAULT_BBOX and plane is not None and plane.points() is not None:
            bbox = plane.default_bbox()  # as linear_regions: the box around the three inputs
    xs, ys = pixel_grid(bbox, n)
    box = _check_box(bbox)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    image = _evaluate(model, pts, int(output)).reshape(n, n)
    hx = (box[2] - box[0]) / n
    hy = (box[3] - box[1]) / n
    dy, dx = np.gradient(image, hy, hx)
    return GradientRaster(image, dx, dy, xs, ys, box, int(output))


def _absmax(a: np.ndarray) -> float:
    """Largest finite ``|a|`` (0 if none): NaN marks pixels outside a domain."""
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


def _tolerance(
    raster: GradientRaster, rtol: float, scale: float | None = None, terms: float = 0.0
) -> float:
    """Absolute tolerance on a sampled gradient component.

    ``rtol`` times the gradient scale (the largest sampled component, or
    ``scale``), plus a floor for the rounding of the differences:
    ``64 eps max(max|image|, terms) / min(hx, hy)``, where ``terms`` bounds
    the terms the forward pass summed at the pixels (they can be far bigger
    than the image: a net on raw Unix timestamps sums terms of ``w * 1.7e9``
    to an output of order 1).
    """
    if scale is None:
        scale = max(_absmax(raster.dx), _absmax(raster.dy))
    roundoff = 64 * np.finfo(np.float64).eps * max(_absmax(raster.image), float(terms))
    return float(rtol) * scale + roundoff / min(raster.spacing)


def _check_raster(raster: Any) -> GradientRaster:
    if not isinstance(raster, GradientRaster):
        raise ArgumentTypeError(
            f"raster must be a GradientRaster (from gradient_raster), got {type(raster).__name__}"
        )
    return raster


def raster_components(
    raster: GradientRaster,
    rtol: float = RASTER_RTOL,
    *,
    drop_boundary: bool = True,
) -> tuple[np.ndarray, int]:
    """Connected areas of equal sampled gradient.

    Two 4-neighbours are *equal* when both components of their sampled
    gradients differ by at most ``rtol`` times the largest sampled component
    (plus a rounding floor, ``64 eps max|image| / min(hx, hy)``). Comparing
    neighbours directly avoids the bin edges that rounding the gradient to a
    grid would put inside a region. Components are the connected components
    (4-connectivity) of the graph of equal neighbours, found with
    :func:`scipy.sparse.csgraph.connected_components` (a vectorised
    union-find). A pixel is *flat* when it is equal to all its neighbours.
    With ``drop_boundary`` (the default) only components holding at least one
    flat pixel are kept: a pixel whose difference stencil straddles a region
    boundary gets a mixture of the two gradients that changes from pixel to
    pixel across the boundary, and would otherwise count as a thin component
    of its own (what a naive count of the ``'prism'`` picture does).

    Parameters
    ----------
    raster : GradientRaster
    rtol : float, default 1e-6
        Relative tolerance, in [0, 1).
    drop_boundary : bool, default True
        Keep only the components that hold a flat pixel.

    Returns
    -------
    components : (H, W) int64 array
        Component of each pixel, numbered from 0 in raster order; -1 for the
        pixels of dropped components.
    count : int
        Number of components.

    Examples
    --------
    >>> from regions.network import Network
    >>> net = Network.from_arrays([([[1.0, 0.0]], [0.0])], ([[1.0]], [0.0]))
    >>> labels, count = raster_components(gradient_raster(net, (-2, -1, 2, 1), 8))
    >>> count
    2
    >>> labels[0].tolist()
    [0, 0, 0, -1, -1, 1, 1, 1]
    """
    drop_boundary = check_flag("drop_boundary", drop_boundary)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    raster = _check_raster(raster)
    tol = _tolerance(raster, _check_rtol(rtol))
    dx, dy = raster.dx, raster.dy
    h, w = dx.shape
    eq_h = (np.abs(np.diff(dx, axis=1)) <= tol) & (np.abs(np.diff(dy, axis=1)) <= tol)
    eq_v = (np.abs(np.diff(dx, axis=0)) <= tol) & (np.abs(np.diff(dy, axis=0)) <= tol)
    flat = np.ones((h, w), dtype=bool)
    flat[:, :-1] &= eq_h
    flat[:, 1:] &= eq_h
    flat[:-1, :] &= eq_v
    flat[1:, :] &= eq_v
    idx = np.arange(h * w).reshape(h, w)
    src = np.concatenate([idx[:, :-1][eq_h], idx[:-1, :][eq_v]])
    dst = np.concatenate([idx[:, 1:][eq_h], idx[1:, :][eq_v]])
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(h * w, h * w))
    n_all, comp = connected_components(graph, directed=False)
    comp = comp.reshape(h, w)
    if drop_boundary:
        has_flat = np.zeros(n_all, dtype=bool)
        has_flat[comp[flat]] = True
        keep = has_flat[comp]
    else:
        keep = np.ones((h, w), dtype=bool)
    # renumber the kept components 0..count-1 in order of first appearance
    uniq, first, inv = np.unique(comp[keep], return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    labels = np.full((h, w), -1, dtype=np.int64)
    labels[keep] = order[inv.ravel()]
    return labels, len(uniq)


def raster_count(
    raster: GradientRaster,
    rtol: float = RASTER_RTOL,
    *,
    drop_boundary: bool = True,
) -> int:
    """Number of regions a user of the sampling method would report.

    The number of connected components (4-connectivity) of pixels of equal
    sampled gradient that hold a pixel equal to all its neighbours; see
    :func:`raster_components` for the rule.
    Regions narrower than about three pixels have no flat pixel and are not
    counted; adjacent regions with the same gradient are counted once.

    Parameters
    ----------
    raster : GradientRaster
    rtol : float, default 1e-6
        Relative tolerance on the gradient, in [0, 1).
    drop_boundary : bool, default True
        Drop the pixels whose stencil straddles a boundary (``False`` counts
        each strip of mixed gradients too, and over-counts).

    Returns
    -------
    int

    Examples
    --------
    Three lines in general position make 7 regions:

    >>> from regions.network import Network
    >>> net = Network.from_arrays(
    ...     [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.3, -0.2, -2.1])], ([[1.0, 2.0, -1.5]], [0.0])
    ... )
    >>> raster_count(gradient_raster(net, (-5, -5, 5, 5), 100))
    7
    """
    drop_boundary = check_flag("drop_boundary", drop_boundary)
    return raster_components(raster, rtol, drop_boundary=drop_boundary)[1]


@dataclass(frozen=True, eq=False)
class RasterReport:
    """How a gradient raster compares with the exact partition (see :func:`compare_raster`).

    Attributes
    ----------
    n_regions : int
        Exact regions (activation regions) of the partition.
    n_components : int
        Raster components (:func:`raster_count`).
    n_checked : int
        Pixels whose difference stencil lies inside one exact region.
    n_mismatch : int
        Checked pixels whose sampled gradient differs from the region's exact
        gradient by more than ``atol`` (0 on correct input).
    atol : float
        The absolute tolerance used for the check.
    mismatch_pixels : (M, 2) int64 array
        ``(i, j)`` of the mismatching pixels.
    regions : (H, W) int64 array
        Exact region of each pixel centre (-1 outside the partition's domain).
    components : (H, W) int64 array
        Raster component of each pixel (-1 where dropped).
    missed : (K,) int64 array
        Exact regions that meet the raster's box in positive area but contain
        no pixel centre (regions outside the box are out of view, not missed).
    missed_areas : (K,) float64 array
        Their areas inside the raster's box (all positive; finite, also for
        the unbounded regions of the whole plane).
    unresolved : (U,) int64 array
        Exact regions that hold pixel centres but no checked pixel of any
        component: the raster sees them only as boundary mixture.
    overlap : (P, 2) int64 array
        The distinct ``(component, region)`` pairs over the checked pixels.
    split : (S,) int64 array
        Components covering several exact regions (the partition splits them).
    split_same_gradient : (S,) bool array
        Whether all regions a split component covers have the same exact
        gradient: their boundary is no kink of the output, so the raster cannot
        see it (for instance a neuron with zero outgoing weight).
    merged : (G,) int64 array
        Exact regions lying in several components (the partition merges them).
    """

    n_regions: int
    n_components: int
    n_checked: int
    n_mismatch: int
    atol: float
    mismatch_pixels: np.ndarray
    regions: np.ndarray
    components: np.ndarray
    missed: np.ndarray
    missed_areas: np.ndarray
    unresolved: np.ndarray
    overlap: np.ndarray
    split: np.ndarray
    split_same_gradient: np.ndarray
    merged: np.ndarray

    @property
    def ok(self) -> bool:
        """True when at least one pixel was checked and none mismatched."""
        return self.n_checked > 0 and self.n_mismatch == 0

    def summary(self) -> str:
        """One line per finding, for printing.

        Returns
        -------
        str
        """
        invisible = int(self.split_same_gradient.sum())
        return "\n".join(
            [
                f"exact regions: {self.n_regions}, raster components: {self.n_components}",
                f"pixels checked: {self.n_checked}, gradient mismatches: {self.n_mismatch}",
                f"regions missed (no pixel centre): {len(self.missed)}, total area "
                f"{float(self.missed_areas.sum()):.3g}",
                f"regions seen only as boundary pixels: {len(self.unresolved)}",
                f"components covering several regions: {len(self.split)} "
                f"({invisible} across boundaries with no kink)",
                f"regions in several components: {len(self.merged)}",
            ]
        )


def compare_raster(
    partition: Any,
    raster: GradientRaster,
    rtol: float = RASTER_RTOL,
) -> RasterReport:
    """Check a :func:`numpy.gradient` raster pixel by pixel against the exact regions.

    All pixel centres are located at once with :meth:`Partition.locate`. A
    pixel is *checked* when its difference stencil (the pixel and its 4
    neighbours; at the border, where :func:`numpy.gradient` takes one-sided
    differences, the neighbours that exist) lies inside one exact region
    ``r``: the network is affine on that region, so the sampled gradient must
    equal ``jacobians[r, output]`` up to ``atol = rtol * max|jacobians[:, output]|``
    plus the rounding floor ``64 eps max|image| / min(hx, hy)``.

    The partition counts *activation* regions; where adjacent regions have the
    same affine map (a neuron with zero outgoing weight, say) the raster
    cannot see their boundary. This is reported (``split`` with
    ``split_same_gradient``), not treated as an error.

    Parameters
    ----------
    partition : Partition
        The exact regions of the same network (same output).
    raster : GradientRaster
        From :func:`gradient_raster`.
    rtol : float, default 1e-6
        Relative tolerance, in [0, 1), for the check and for the components.

    Returns
    -------
    RasterReport

    Raises
    ------
    DomainError
        When no pixel centre of the raster lies in the partition's domain.

    Examples
    --------
    >>> import regions
    >>> from regions.course import deep_model
    >>> model = deep_model()
    >>> p = regions.linear_regions(model)
    >>> rep = compare_raster(p, gradient_raster(model, resolution=100))
    >>> rep.n_mismatch, rep.n_checked > 0, rep.n_regions
    (0, True, 81)
    >>> bool((rep.missed_areas > 0).all())
    True
    """
    from .partition import Partition

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    raster = _check_raster(raster)
    rtol = _check_rtol(rtol)
    o = raster.output
    if o >= partition.network.n_out:
        raise ParameterError(
            f"raster.output={o} but the partition's network has {partition.network.n_out} outputs"
        )
    h, w = raster.image.shape
    n_reg = len(partition)
    jac = partition.jacobians[:, o, :]
    regions = partition.locate(raster.points).reshape(h, w)
    if not (regions >= 0).any():
        raise DomainError(
            f"no pixel centre of the raster (bbox={raster.bbox}) lies in the partition's "
            "domain; rasterise the partition's box (gradient_raster(model, p.domain.bounds))"
        )
    # stencil inside one region: compare with the edge-padded neighbours
    pad = np.pad(regions, 1, mode="edge")
    single = (
        (regions >= 0)
        & (pad[:-2, 1:-1] == regions)
        & (pad[2:, 1:-1] == regions)
        & (pad[1:-1, :-2] == regions)
        & (pad[1:-1, 2:] == regions)
    )
    gscale = float(np.abs(jac).max()) if n_reg else 0.0
    atol = _tolerance(raster, rtol, gscale)
    r = regions[single]
    err = np.maximum(np.abs(raster.dx[single] - jac[r, 0]), np.abs(raster.dy[single] - jac[r, 1]))
    bad = err > atol
    if bad.any() and not partition.is_merged:
        # the rounding floor at the size of the terms the forward pass summed there (a net
        # on raw Unix timestamps sums terms of 1e9 to an output of order 1)
        from .partition import _value_terms

        at = np.argwhere(single)[bad]
        terms = _value_terms(
            partition.network, raster.points.reshape(h, w, 2)[at[:, 0], at[:, 1]],
            partition.patterns[regions[at[:, 0], at[:, 1]]],
        )[:, o]
        atol = _tolerance(raster, rtol, gscale, float(terms.max(initial=0.0)))
        bad = err > atol
    mismatch_pixels = np.argwhere(single)[bad]
    # coverage
    present = np.zeros(n_reg, dtype=bool)
    present[regions[regions >= 0]] = True
    # missed: regions meeting the raster's box in positive area (their part inside it) with
    # no pixel centre; a region outside the box (or an unbounded one's far part) is not
    import shapely

    cand = np.flatnonzero(~present)
    view = shapely.box(*raster.bbox)
    inner = np.asarray(
        shapely.area(shapely.intersection(partition.polygons[cand], view)), dtype=np.float64
    )
    missed = cand[inner > 0]
    missed_areas = inner[inner > 0]
    components, n_comp = raster_components(raster, rtol)
    both = single & (components >= 0)
    pairs = np.unique(np.column_stack([components[both], regions[both]]), axis=0)
    pairs = pairs.reshape(-1, 2).astype(np.int64)
    seen = np.zeros(n_reg, dtype=bool)
    seen[pairs[:, 1]] = True
    unresolved = np.flatnonzero(present & ~seen)
    per_comp = np.bincount(pairs[:, 0], minlength=n_comp)
    per_reg = np.bincount(pairs[:, 1], minlength=n_reg)
    split = np.flatnonzero(per_comp > 1)
    merged = np.flatnonzero(per_reg > 1)
    # does a split component cover regions of one gradient? (max - min per component)
    hi = np.full((n_comp, 2), -np.inf)
    lo = np.full((n_comp, 2), np.inf)
    np.maximum.at(hi, pairs[:, 0], jac[pairs[:, 1]])
    np.minimum.at(lo, pairs[:, 0], jac[pairs[:, 1]])
    same = (hi[split] - lo[split] <= atol).all(axis=1)
    return RasterReport(
        n_regions=n_reg,
        n_components=n_comp,
        n_checked=int(single.sum()),
        n_mismatch=int(bad.sum()),
        atol=atol,
        mismatch_pixels=mismatch_pixels,
        regions=regions,
        components=components,
        missed=missed,
        missed_areas=missed_areas,
        unresolved=unresolved,
        overlap=pairs,
        split=split,
        split_same_gradient=same,
        merged=merged,
    )


def resolution_study(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    resolutions: Any = (50, 100, 200, 500),
    *,
    rtol: float = RASTER_RTOL,
    output: int = 0,
) -> dict[int, int]:
    """Raster counts (:func:`raster_count`) of one network at several resolutions.

    Parameters
    ----------
    model : torch.nn.Module or Network
    bbox : (xmin, ymin, xmax, ymax), default (-10, -10, 10, 10)
    resolutions : sequence of int, default (50, 100, 200, 500)
        Pixels per side, each from 2 to 10,000 (see :func:`gradient_raster`).
    rtol : float, default 1e-6
    output : int, default 0

    Returns
    -------
    dict of int to int
        ``{resolution: raster count}``, in the order given.

    Examples
    --------
    >>> import regions
    >>> from regions.course import shallow_model
    >>> counts = resolution_study(shallow_model(), resolutions=(25, 100))
    >>> counts[25] < counts[100] <= regions.count_regions(shallow_model())
    True
    """
    if isinstance(resolutions, (int, np.integer)) or not np.iterable(resolutions):
        raise ParameterError(f"resolutions must be a sequence of ints, got {resolutions!r}")
    res = [_check_resolution(r, "resolutions") for r in resolutions]
    if not res:
        raise ParameterError("resolutions must not be empty")
    return {n: raster_count(gradient_raster(model, bbox, n, output=output), rtol) for n in res}
