"""Figures of the exact regions and of the sampling method, with matplotlib.

matplotlib is imported inside the functions only. Every function draws on the
axes it is given (or on new ones from :func:`matplotlib.pyplot.subplots` when
``ax``/``axes`` is None), never calls ``show``, and returns its artists, so it
works headless under the Agg backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_flag
from .domain import DEFAULT_BBOX, as_domain
from .errors import ArgumentTypeError, ParameterError
from .network import Network
from .raster import GradientRaster, _check_resolution, pixel_grid
from .tolerance import AREA_RTOL, EDGE_RTOL, noise_width

__all__ = [
    "disk_map",
    "VIEWS",
    "COLOR_BY",
    "region_adjacency",
    "region_colors",
    "plot_partition",
    "plot_gradient_raster",
    "plot_layers",
    "plot_surface",
    "exact_gradient_image",
]

#: The values ``plot_partition(color_by=...)`` accepts.
COLOR_BY: tuple[str, ...] = ("region", "value", "dx", "dy")


def _check_partition(partition: Any) -> Any:
    from .partition import Partition

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    return partition


def _check_output(output: Any, n_out: int) -> int:
    if isinstance(output, (bool, np.bool_)) or not isinstance(output, (int, np.integer)):
        raise ParameterError(f"output must be an int, got {output!r}")
    if not 0 <= output < n_out:
        raise ParameterError(f"output must be in [0, {n_out}), got {output!r}")
    return int(output)


def region_adjacency(partition: Any) -> np.ndarray:
    """Pairs of regions that share a boundary segment (not just a point).

    Candidate pairs come from one :class:`shapely.STRtree` query; a pair is
    adjacent when the boundary they share is longer than ten hairs (a hair is
    ``EDGE_RTOL`` of the domain's diameter). For two convex regions the shared
    boundary is measured on their separating axis (as in
    :func:`regions.check_partition`); for other pairs (non-convex pieces of a
    non-convex domain, rings of more than 24 vertices), as the length of the
    two boundaries' intersection snap-rounded on the :func:`noise_width` grid,
    which absorbs neighbours whose shared vertex differs in the last bits and
    leaves a point contact a point.

    Parameters
    ----------
    partition : Partition

    Returns
    -------
    pairs : (E, 2) int64 array
        ``i < j`` for each adjacent pair ``(i, j)``.

    Examples
    --------
    >>> import regions
    >>> from regions.network import Network
    >>> net = Network.from_arrays([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])], ([[1.0, 1.0]], [0.0]))
    >>> p = regions.linear_regions(net, (-1, -1, 1, 1))
    >>> len(p), len(region_adjacency(p))
    (4, 4)
    """
    import shapely

    from .partition import _convex_pairs

    p = _check_partition(partition)
    if p._adjacent is not None:  # merged regions: their members' neighbours, exactly
        return np.asarray(p._adjacent)
    polys = p.polygons
    xmin, ymin, xmax, ymax = p.domain.bounds
    hair = EDGE_RTOL * float(np.hypot(xmax - xmin, ymax - ymin))
    # candidates: bounding boxes within a hair (the pairs are sorted out below)
    b = shapely.bounds(polys) + np.array([-hair, -hair, hair, hair])
    i, j = shapely.STRtree(polys).query(shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))
    keep = i < j
    i, j = i[keep], j[keep]
    cleared, length = _convex_pairs(
        polys, i, j, AREA_RTOL * p.domain.area, noise_width(p.domain.bounds)
    )
    rest = np.flatnonzero(~cleared)
    if len(rest):
        # the boundaries' common part, snap-rounded on the noise grid (so neighbours whose
        # shared vertices differ in the last bits meet; regions touching at a point, at
        # however small an angle, share a point, not a segment of many hairs)
        g = noise_width(p.domain.bounds)
        common = shapely.intersection(
            shapely.boundary(polys[i[rest]]), shapely.boundary(polys[j[rest]]), grid_size=g
        )
        length[rest] = shapely.length(common)
    shared = length > 10 * hair
    return np.column_stack([i[shared], j[shared]]).astype(np.int64).reshape(-1, 2)


def region_colors(partition: Any, seed: int = 0) -> np.ndarray:
    """A proper colouring of the regions: adjacent regions get different colours.

    Parallel greedy colouring (Jones-Plassmann) over the adjacency graph, all
    in arrays: each round, every uncoloured region whose random priority beats
    all its uncoloured neighbours takes the smallest colour none of its
    coloured neighbours has. Those regions are pairwise non-adjacent, so the
    rounds never create a conflict; at most ``max degree + 1`` colours are used.

    Parameters
    ----------
    partition : Partition
    seed : int, default 0
        Seed of the local RNG giving the priorities (deterministic result).

    Returns
    -------
    colors : (R,) int64 array
        Colour index of each region, from 0.

    Examples
    --------
    >>> import regions
    >>> from regions.course import shallow_model
    >>> p = regions.linear_regions(shallow_model())
    >>> c = region_colors(p)
    >>> e = region_adjacency(p)
    >>> bool((c[e[:, 0]] != c[e[:, 1]]).all()), int(c.max()) < 10
    (True, True)
    """
    p = _check_partition(partition)
    n = len(p)
    pairs = region_adjacency(p)
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    prio = np.random.default_rng(seed).permutation(n)
    colors = np.full(n, -1, dtype=np.int64)
    width = int(np.bincount(src, minlength=n).max(initial=0)) + 1
    while (colors < 0).any():
        open_ = colors < 0
        # the best priority among each region's uncoloured neighbours
        best = np.full(n, -1, dtype=np.int64)
        live = open_[dst]
        np.maximum.at(best, src[live], prio[dst[live]])
        pick = open_ & (prio > best)
        used = np.zeros((n, width + 1), dtype=bool)
        done = pick[src] & (colors[dst] >= 0)
        used[src[done], colors[dst[done]]] = True
        colors[pick] = np.argmin(used[pick], axis=1)
    return colors


def _paths(polys: Any) -> list[Any]:
    """One matplotlib Path per polygon, holes included, built from flat arrays."""
    import shapely
    from matplotlib.path import Path

    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(polys)
    coords = np.asarray(coords, dtype=np.float64)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[ring_off[:-1]] = Path.MOVETO
    codes[ring_off[1:] - 1] = Path.CLOSEPOLY
    cut = ring_off[poly_off[1:-1]]
    return [Path(v, c) for v, c in zip(np.split(coords, cut), np.split(codes, cut), strict=True)]


#: Views of :func:`plot_partition`: the domain (a whole plane's frame box), or the
#: whole plane squeezed into the unit disk.
VIEWS: tuple[str, ...] = ("box", "disk")
#: Samples per edge in the disk view (segments; rays get twice as many).
_DISK_SAMPLES = 32
#: Mapped radius of a ray's last sample before its point at infinity.
_DISK_RIM = 0.995
#: The smallest and largest ``scale`` of the disk view: the ray samples run out to
#: ``scale * (_DISK_RIM / (1 - _DISK_RIM)) ** (1 / power)``, whose square must stay finite.
MIN_DISK_SCALE = 1e-100
MAX_DISK_SCALE = 1e100
#: Distances beyond this are not sampled (their square would overflow float64).
_DISK_MAX_RADIUS = 1e150


def disk_map(xy: Any, scale: float, power: float = 1.0) -> np.ndarray:
    """The plane squeezed into the open unit disk, directions kept.

    ``x -> x / |x| * q / (1 + q)`` with ``q = (|x| / scale) ** power``:
    radius ``scale`` goes to 0.5, infinity to the unit circle, and each
    factor ``e**(1/power)`` of distance moves a point by the same step of
    ``logit(radius)``, so with a small ``power`` many decades of scale share
    the picture. Straight edges become curves, so :func:`plot_partition`
    samples them before mapping.

    Parameters
    ----------
    xy : (P, 2) array-like of float
    scale : float
        The distance drawn at radius 0.5.
    power : float, default 1
        In ``(0, 1]``; 1 is the plain compactification ``r / (r + scale)``.

    Returns
    -------
    (P, 2) float64 array
        Inside the unit disk.

    Examples
    --------
    >>> import numpy as np
    >>> disk_map([[0.0, 0.0], [3.0, 0.0], [0.0, -30.0]], scale=3.0).round(3).tolist()
    [[0.0, 0.0], [0.5, 0.0], [0.0, -0.909]]
    >>> disk_map([[300.0, 0.0], [0.03, 0.0]], scale=3.0, power=0.5).round(3).tolist()
    [[0.909, 0.0], [0.091, 0.0]]
    """
    p = np.asarray(xy, dtype=np.float64)
    r = np.hypot(p[:, 0], p[:, 1])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        q = (r / scale) ** power
        rho = np.where(np.isinf(q), 1.0, q / (1.0 + q))
        # the direction first, then the mapped radius: rho / r overflows for a tiny r
        unit = np.where(r[:, None] > 0, p / np.where(r > 0, r, 1.0)[:, None], 0.0)
        out = unit * rho[:, None]
    return np.asarray(out)


def _disk_view(mesh: Any) -> tuple[float, float]:
    """Default ``(scale, power)``: the finite vertices' radii span 0.05 to 0.95 of the disk."""
    fin = mesh.xy[~mesh.ideal_mask]
    r = np.hypot(fin[:, 0], fin[:, 1]) if len(fin) else np.zeros(0)
    r = r[r > 0]
    if not len(r):
        return 1.0, 1.0
    lo, hi = float(r.min()), float(r.max())
    scale = float(np.sqrt(lo * hi))
    half = 0.5 * np.log(hi / lo)  # log-distance of the extremes from the scale
    power = 1.0 if half <= 0 else float(min(1.0, np.log(19.0) / half))
    return scale, power


def _params(s0: np.ndarray, k: int, n_uniform: int) -> np.ndarray:
    """(N, 2k + n_uniform) sorted parameters in [0, 1), starting at 0, dense around ``s0``."""
    g = np.geomspace(1e-7, 1.0, k)
    back = s0[:, None] * (1.0 - g[::-1][None, :])  # 0 .. s0, dense near s0
    fwd = s0[:, None] + (1.0 - s0[:, None]) * np.concatenate([[0.0], g[:-1]])[None, :]
    uni = np.broadcast_to(np.arange(n_uniform) / n_uniform, (len(s0), n_uniform))
    return np.sort(np.concatenate([back, fwd, uni], axis=1), axis=1)


def _disk_slots(mesh: Any, scale: float, power: float) -> tuple[np.ndarray, int]:
    """Every face-loop slot (edge ``a -> b``) sampled and mapped into the disk, all at once.

    A segment is sampled densely around its point nearest the origin (where
    the map bends it most) and evenly; a ray ``u + t d`` likewise up to a
    few times that distance, then evenly in mapped radius out to
    ``_DISK_RIM``; an arc between two points at infinity along the unit
    circle. Returns ``(S, m, 2)`` points (each slot's start included, its
    end excluded: the next slot's start) and ``m``.
    """
    ptr, verts, ideal = mesh.face_ptr, mesh.face_verts, mesh.ideal_mask
    nxt = np.arange(1, len(verts) + 1)
    nxt[ptr[1:] - 1] = ptr[:-1]
    a, b = verts, verts[nxt]
    xa, xb = mesh.xy[a], mesh.xy[b]
    ia, ib = ideal[a], ideal[b]
    k = _DISK_SAMPLES
    m = 4 * k
    out = np.empty((len(verts), m, 2))

    seg = ~ia & ~ib
    if seg.any():
        pa, d = xa[seg], xb[seg] - xa[seg]
        dd = np.einsum("ij,ij->i", d, d)
        with np.errstate(invalid="ignore", divide="ignore"):
            s0 = np.where(dd > 0, -np.einsum("ij,ij->i", pa, d) / dd, 0.0)
        par = _params(np.clip(s0, 0.0, 1.0), k, 2 * k)
        out[seg] = disk_map(
            (pa[:, None, :] + par[:, :, None] * d[:, None, :]).reshape(-1, 2), scale, power
        ).reshape(-1, m, 2)

    def ray_params(u: np.ndarray, d: np.ndarray) -> np.ndarray:
        t_close = np.maximum(0.0, -np.einsum("ij,ij->i", u, d))
        t_near = 2.0 * t_close + np.hypot(u[:, 0], u[:, 1]) + scale
        near = t_near[:, None] * _params(t_close / t_near, k, k)  # (N, 3k) in [0, t_near)
        end = u + t_near[:, None] * d
        rho0 = disk_map(end, scale, power)
        rho0 = np.hypot(rho0[:, 0], rho0[:, 1])
        rho = rho0[:, None] + (_DISK_RIM - rho0[:, None]) * (np.arange(k) / (k - 1))[None, :]
        rho = np.clip(rho, rho0[:, None], _DISK_RIM)
        with np.errstate(over="ignore"):  # far beyond any vertex: capped below
            r = scale * (rho / (1.0 - rho)) ** (1.0 / power)
        r = np.minimum(r, _DISK_MAX_RADIUS)
        ud = np.einsum("ij,ij->i", u, d)[:, None]
        uu = np.einsum("ij,ij->i", u, u)[:, None]
        tail = -ud + np.sqrt(np.maximum(ud * ud - uu + r * r, 0.0))
        return np.concatenate([near, np.maximum(tail, t_near[:, None])], axis=1)

    ray = ~ia & ib  # from a finite vertex out to infinity in b's direction
    if ray.any():
        t = ray_params(xa[ray], xb[ray])
        out[ray] = disk_map(
            (xa[ray, None, :] + t[:, :, None] * xb[ray, None, :]).reshape(-1, 2), scale, power
        ).reshape(-1, m, 2)
    back = ia & ~ib  # from infinity in a's direction in to a finite vertex
    if back.any():
        t = ray_params(xb[back], xa[back])[:, ::-1]
        pts = disk_map(
            (xb[back, None, :] + t[:, :, None] * xa[back, None, :]).reshape(-1, 2), scale, power
        ).reshape(-1, m, 2)
        out[back] = np.concatenate([xa[back, None, :], pts[:, 1:]], axis=1)  # from infinity
    arc = ia & ib  # along the circle at infinity, counter-clockwise
    if arc.any():
        th_a = np.arctan2(xa[arc, 1], xa[arc, 0])
        sweep = np.mod(np.arctan2(xb[arc, 1], xb[arc, 0]) - th_a, 2 * np.pi)
        sweep[sweep == 0] = 2 * np.pi
        th = th_a[:, None] + sweep[:, None] * (np.arange(m) / m)[None, :]
        out[arc] = np.stack([np.cos(th), np.sin(th)], axis=-1)
    return out, m


def _disk_paths(mesh: Any, scale: float, power: float = 1.0) -> list[Any]:
    """Every face of a whole-plane mesh as a Path in the disk view (:func:`disk_map`)."""
    from matplotlib.path import Path

    out, m = _disk_slots(mesh, scale, power)
    coords = out.reshape(-1, 2)
    cut = mesh.face_ptr[1:-1] * m
    return [Path(np.vstack([c, c[:1]]), closed=True) for c in np.split(coords, cut)]


def _disk_edges(mesh: Any, scale: float, power: float) -> tuple[np.ndarray, np.ndarray]:
    """Every edge between two faces, sampled in the disk view, with the faces either side.

    Returns ``(lines, pairs)``: (E, m + 1, 2) points along each edge (arcs at
    infinity, which have a face on one side only, are left out) and (E, 2)
    faces ``pairs[e, 0] < pairs[e, 1]``.
    """
    ptr, verts = mesh.face_ptr, mesh.face_verts
    nxt = np.arange(1, len(verts) + 1)
    nxt[ptr[1:] - 1] = ptr[:-1]
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    a, b = verts, verts[nxt]
    key = np.minimum(a, b) * (int(verts.max(initial=0)) + 1) + np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    twin = np.full(len(verts), -1)
    same = np.flatnonzero(ks[1:] == ks[:-1])
    twin[order[same]] = order[same + 1]
    twin[order[same + 1]] = order[same]
    show = (twin >= 0) & (a < b)
    out, _ = _disk_slots(mesh, scale, power)
    ends = out[nxt][:, :1]  # each slot's end is the next slot's start
    lines = np.concatenate([out, ends], axis=1)[show]
    pairs = np.sort(np.column_stack([owner[show], owner[twin[show]]]), axis=1)
    return lines, pairs.astype(np.int64).reshape(-1, 2)


def _disk_boundaries(mesh: Any, label: np.ndarray, scale: float, power: float) -> list[Any]:
    """The sampled edges between faces of different ``label`` (merged regions' outlines)."""
    lines, pairs = _disk_edges(mesh, scale, power)
    return list(lines[label[pairs[:, 0]] != label[pairs[:, 1]]])


def _disk_frame(ax: Any, scale: float, power: float, extent: Any) -> None:
    """Circles at radii 10^k, the unit circle (infinity) and the extent, in the disk view."""
    th = np.linspace(0.0, 2 * np.pi, 361)
    ring = np.stack([np.cos(th), np.sin(th)], axis=1)
    e0 = int(np.floor(np.log10(scale)))
    radii = 10.0 ** np.arange(max(e0 - 40, -300), min(e0 + 41, 301))
    x = disk_map(np.stack([radii, np.zeros_like(radii)], axis=1), scale, power)[:, 0]
    keep = (x > 0.08) & (x < 0.93)
    last = -1.0
    for rad, xr in zip(radii[keep], x[keep], strict=True):
        if xr - last < 0.06:  # labels no closer than this on the way out
            continue
        last = xr
        ax.plot(*(xr * ring).T, color="black", linewidth=0.7, linestyle=":", zorder=3)
        ax.annotate(
            f"{rad:g}", (0.0, -xr), xytext=(0, 2), textcoords="offset points",
            ha="center", va="bottom", fontsize=7, zorder=4,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    ax.plot(*ring.T, color="black", linewidth=1.2, zorder=3)
    ax.annotate("∞", (0.74, 0.74), fontsize=12, zorder=4)
    if extent is not None:
        x0, y0, x1, y1 = extent
        s_ = np.concatenate([[0.0], np.geomspace(1e-7, 1.0, 400)])
        s_ = np.unique(np.concatenate([s_, 1.0 - s_, np.linspace(0, 1, 200)]))
        edge = np.concatenate([
            np.stack([x0 + (x1 - x0) * s_, np.full_like(s_, y0)], axis=1),
            np.stack([np.full_like(s_, x1), y0 + (y1 - y0) * s_], axis=1),
            np.stack([x1 - (x1 - x0) * s_, np.full_like(s_, y1)], axis=1),
            np.stack([np.full_like(s_, x0), y1 - (y1 - y0) * s_], axis=1),
        ])
        ax.plot(*disk_map(edge, scale, power).T, color="black", linewidth=1.0, linestyle="--",
                zorder=3)


def _new_axes(n: int, size: float = 4.0) -> Any:
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False, layout="constrained")
    return list(axes[0])


def _axes_list(axes: Any, n: int, what: str) -> list[Any]:
    """The ``axes`` argument as a list of ``n`` matplotlib Axes, checked; ``what`` names them.

    A single Axes is taken where ``n == 1``; a (nested) array of Axes, as
    :func:`matplotlib.pyplot.subplots` returns, is flattened.
    """
    need = (
        f"a sequence of {n} matplotlib Axes ({what})"
        if n != 1
        else f"a matplotlib Axes or a sequence of one ({what})"
    )
    if hasattr(axes, "add_collection"):  # a single Axes
        if n == 1:
            return [axes]
        raise ParameterError(
            f"axes must be {need}, got a single {type(axes).__name__}"
        )
    if isinstance(axes, (str, bytes)) or not hasattr(axes, "__iter__"):
        raise ArgumentTypeError(
            f"axes must be {need}, got {type(axes).__name__} {axes!r}"
        )
    kind = type(axes).__name__
    items = list(np.ravel(np.asarray(axes, dtype=object)) if isinstance(axes, np.ndarray) else axes)
    if len(items) != n:
        raise ParameterError(f"axes must be {need}, got a {kind} of {len(items)}")
    for i, ax in enumerate(items):
        if not hasattr(ax, "add_collection"):
            raise ArgumentTypeError(
                f"axes[{i}] must be a matplotlib Axes, got {type(ax).__name__}"
            )
    return items


def _check_color(name: str, value: Any, *, face: bool = False) -> None:
    """Refuse a value that is not a matplotlib colour (or a sequence of them), by name.

    ``None`` (matplotlib's default) is accepted, and ``"face"`` where ``face``
    (edge colours: the face colour).
    """
    if value is None or (face and isinstance(value, str) and value == "face"):
        return
    from matplotlib.colors import to_rgba_array

    try:
        to_rgba_array(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a matplotlib colour (e.g. 'black', '#1f77b4', (0.1, 0.2, 0.5) "
            f"or 'none'), got {value!r}"
        ) from None


def _check_artist_kwargs(kwargs: dict[str, Any], artist: Any, where: str) -> None:
    """Refuse keyword arguments that the matplotlib ``artist`` class has no setter for.

    Parameters
    ----------
    kwargs : dict
        The keyword arguments to be passed on to ``artist``.
    artist : type
        A matplotlib Artist class, e.g. ``LineCollection``.
    where : str
        The function that takes them, for the message.
    """
    for key, value in kwargs.items():
        if not callable(getattr(artist, f"set_{key}", None)):
            raise ParameterError(
                f"{where} got an unknown keyword argument {key}={value!r}: extra keywords go "
                f"to matplotlib's {artist.__name__}, which has no property {key!r}"
            )
        if key in ("color", "colors", "c", "edgecolor", "edgecolors", "ec", "facecolor",
                   "facecolors", "fc"):
            _check_color(key, value, face=key.startswith("e"))


def _check_style(
    *, ax: Any = None, cmap: Any = None, linewidth: Any = 1.0, vmin: Any = None,
    vmax: Any = None, alpha: Any = None, three_d: bool = False,
    colors: dict[str, Any] | None = None,
) -> None:
    """Refuse a bad ``ax``, ``cmap``, ``linewidth``, ``vmin``/``vmax`` or ``alpha`` by name.

    ``colors`` maps parameter names to matplotlib colours to check (an
    ``edgecolor`` may also be ``"face"``).
    """
    for name, value in (colors or {}).items():
        _check_color(name, value, face=name.startswith("edge"))
    if ax is not None:
        if not hasattr(ax, "add_collection"):
            raise ArgumentTypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
        if three_d and getattr(ax, "name", None) != "3d":
            raise ParameterError(
                "ax must be a 3-D Axes (fig.add_subplot(projection='3d')), got "
                f"{type(ax).__name__}"
            )
    if cmap is not None:
        import matplotlib
        from matplotlib.colors import Colormap

        if not isinstance(cmap, Colormap) and not (
            isinstance(cmap, str) and cmap in matplotlib.colormaps
        ):
            raise ParameterError(
                f"cmap must be a matplotlib colormap or the name of one, got {cmap!r}"
            )
    for name, value in (("linewidth", linewidth), ("vmin", vmin), ("vmax", vmax)):
        if value is None and name != "linewidth":
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ) or not np.isfinite(value) or (name == "linewidth" and value < 0):
            what = "a number >= 0" if name == "linewidth" else "a finite number"
            raise ParameterError(f"{name} must be {what}, got {value!r}")
    if vmin is not None and vmax is not None and vmin > vmax:
        raise ParameterError(f"vmin must be <= vmax, got vmin={vmin!r}, vmax={vmax!r}")
    if alpha is not None and (
        isinstance(alpha, (bool, np.bool_))
        or not isinstance(alpha, (int, float, np.integer, np.floating))
        or not 0.0 <= alpha <= 1.0
    ):
        raise ParameterError(f"alpha must be a number in [0, 1], got {alpha!r}")


def _disk_scale(mesh: Any, scale: Any) -> tuple[float, float]:
    """The disk view's ``(scale, power)``: ``scale`` checked, or :func:`_disk_view`'s."""
    auto, power = _disk_view(mesh)
    if scale is None:
        return auto, power
    if (
        isinstance(scale, (bool, np.bool_))
        or not isinstance(scale, (int, float, np.integer, np.floating))
        or not (np.isfinite(scale) and scale > 0)
    ):
        raise ParameterError(f"scale must be a positive number, got {scale!r}")
    if not MIN_DISK_SCALE <= float(scale) <= MAX_DISK_SCALE:  # float: no float32 cast of 1e100
        raise ParameterError(
            f"scale must be from {MIN_DISK_SCALE:g} to {MAX_DISK_SCALE:g} (the disk view's "
            f"distance drawn at radius 0.5), got {scale!r}"
        )
    return float(scale), power


def _region_facecolors(p: Any, cmap: Any, label: np.ndarray) -> Any:
    """RGBA of each of ``label``'s regions: :func:`region_colors` through a qualitative map.

    ``tab10``/``tab20`` while they have a colour per class, then an even
    spread of ``turbo`` (a map with fewer colours would wrap around and give
    neighbours one colour).
    """
    import matplotlib

    colors = region_colors(p)
    top = int(colors.max(initial=0))
    name = cmap if cmap is not None else ("tab10" if top < 10 else "tab20" if top < 20 else "turbo")
    cm = matplotlib.colormaps[name] if isinstance(name, str) else name
    n_col = int(getattr(cm, "N", 256))
    colors = colors[label]
    return np.asarray(cm(colors % n_col if n_col < 256 else colors / max(colors.max(), 1)))


def plot_partition(
    partition: Any,
    ax: Any = None,
    color_by: str = "region",
    edgecolor: Any = "black",
    cmap: Any = None,
    *,
    linewidth: float = 0.4,
    output: int = 0,
    vmin: float | None = None,
    vmax: float | None = None,
    mark_unbounded: bool = True,
    mark_points: bool = True,
    view: str = "box",
    scale: float | None = None,
) -> Any:
    """Draw the exact regions, filled, with their edges.

    All polygons go into one :class:`matplotlib.collections.PathCollection`
    (a polygon collection that also draws holes). For a whole-plane partition
    (``bbox=None``) the view is its frame box; with ``mark_unbounded`` the
    unbounded regions are hatched (they go on beyond the frame) and the
    extent (the box holding every vertex) is drawn dashed.

    Parameters
    ----------
    partition : Partition
    ax : matplotlib Axes, optional
        Where to draw; new axes if None.
    color_by : {"region", "value", "dx", "dy"}, default "region"
        ``"region"``: a qualitative colour per region, different for adjacent
        regions (:func:`region_colors`). ``"value"``: the output at the region's
        interior point. ``"dx"``/``"dy"``: that component of the region's
        exact gradient, with ``'prism'`` by default as in the exercise.
    edgecolor : matplotlib colour, default "black"
        Colour of the region edges (``"none"`` to hide them).
    cmap : str or Colormap, optional
        Default ``"tab10"``/``"tab20"`` for ``"region"`` (``"turbo"`` past 20
        colours, so that neighbours never share one), ``"viridis"`` for
        ``"value"``, ``"prism"`` for ``"dx"``/``"dy"``.
    linewidth : float, default 0.4
    output : int, default 0
        The output whose value or gradient colours the regions.
    vmin, vmax : float, optional
        Colour limits for ``"value"``, ``"dx"``, ``"dy"`` (e.g. those of the
        raster image, so the colours match).
    mark_unbounded : bool, default True
        Hatch the unbounded regions of a whole-plane partition and draw its
        extent.
    mark_points : bool, default True
        For a partition of a plane built with :meth:`regions.Plane.through`,
        mark its three inputs at ``(s, t) = (0, 0), (1, 0), (0, 1)`` with
        white-edged black dots labelled "a", "b", "c".
    view : {"box", "disk"}, default "box"
        ``"box"``: the domain (for the whole plane, its frame box).
        ``"disk"``: only for a whole-plane partition (merged too), all of it squeezed into
        the unit disk by :func:`disk_map` (directions kept, infinity on the
        unit circle, distances compressed so that the finite vertices' radii,
        from the nearest to the farthest from the origin, span 0.05 to 0.95 of
        the disk: many decades in one picture). Dotted circles mark radii
        10^k (labelled below the centre), the dashed curve the extent.
    scale : float, optional
        The disk view's distance drawn at radius 0.5, from
        :data:`MIN_DISK_SCALE` (1e-100) to :data:`MAX_DISK_SCALE` (1e100);
        default the geometric mean of the finite vertices' nearest and
        farthest distance from the origin.

    Returns
    -------
    matplotlib.collections.PathCollection
        The filled regions; for ``color_by != "region"`` it is a mappable for
        ``colorbar``.

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition or ``ax`` not a matplotlib Axes.
    ParameterError
        If ``color_by``, ``output``, ``view``, ``scale``, ``cmap``,
        ``edgecolor``, ``linewidth`` or ``vmin``/``vmax`` is invalid, or
        ``view="disk"`` is asked of a bounded partition.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, regions
    >>> from regions.course import deep_model
    >>> p = regions.linear_regions(deep_model())
    >>> fig, ax = plt.subplots()
    >>> coll = plot_partition(p, ax, color_by="dx")
    >>> len(coll.get_paths()) == len(p)
    True
    >>> plt.close(fig)
    """
    mark_unbounded = check_flag("mark_unbounded", mark_unbounded)
    mark_points = check_flag("mark_points", mark_points)
    from matplotlib.collections import PathCollection

    p = _check_partition(partition)
    if color_by not in COLOR_BY:
        raise ParameterError(f"color_by must be one of {COLOR_BY}, got {color_by!r}")
    if not isinstance(view, str) or view not in VIEWS:
        raise ParameterError(f"view must be one of {VIEWS}, got {view!r}")
    _check_style(
        ax=ax, cmap=cmap, linewidth=linewidth, vmin=vmin, vmax=vmax,
        colors={"edgecolor": edgecolor},
    )
    disk = view == "disk"
    # the disk view draws the whole plane's mesh; merged regions, their members in one colour
    src = (p if p.whole_plane else p._merged_plane()) if disk else p
    if disk and (src is None or src.mesh is None):
        raise ParameterError(
            "view='disk' shows a whole plane: build the partition with bbox=None"
        )
    label = p.members if disk and src is not p else np.arange(len(p))
    o = _check_output(output, p.network.n_out)
    if ax is None:
        ax = _new_axes(1)[0]
    power = 1.0
    if disk:
        assert src is not None and src.mesh is not None
        scale, power = _disk_scale(src.mesh, scale)
        paths = _disk_paths(src.mesh, scale, power)
    else:
        paths = _paths(p.polygons)
    merged_disk = disk and src is not p
    coll = PathCollection(
        paths, edgecolors="face" if merged_disk else edgecolor, linewidths=linewidth
    )
    if color_by == "region":
        coll.set_facecolor(_region_facecolors(p, cmap, label))
    else:
        if color_by == "value":
            pts = p.interior_points()
            values = np.einsum("rj,rj->r", p.jacobians[:, o, :], pts) + p.offsets[:, o]
        else:
            values = p.jacobians[:, o, 0 if color_by == "dx" else 1]
        coll.set_array(values[label])
        coll.set_cmap(cmap if cmap is not None else ("viridis" if color_by == "value" else "prism"))
        coll.set_clim(vmin, vmax)
    ax.add_collection(coll)
    if disk:  # the unbounded regions are those that reach the circle: no hatching
        assert scale is not None and src is not None and src.mesh is not None
        if merged_disk:  # the merged regions' outlines: edges between different labels
            from matplotlib.collections import LineCollection

            ax.add_collection(
                LineCollection(
                    _disk_boundaries(src.mesh, label, scale, power), colors=edgecolor,
                    linewidths=linewidth, zorder=2,
                )
            )
        _disk_frame(ax, scale, power, p.extent() if mark_unbounded else None)
        if mark_points:
            _mark_plane_points(p, ax, lambda q: disk_map(q, scale, power))
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        ax.set_axis_off()
        return coll
    if mark_unbounded and p.covers_plane:
        from matplotlib.patches import Rectangle

        unb = ~np.asarray(p.bounded)
        if unb.any():
            ax.add_collection(
                PathCollection(
                    _paths(p.polygons[unb]),
                    facecolors="none",
                    edgecolors=edgecolor,
                    linewidths=linewidth,
                    hatch="//",
                    alpha=0.5,
                )
            )
        box = p.extent()
        if box is not None:
            ax.add_patch(
                Rectangle(
                    (box[0], box[1]),
                    box[2] - box[0],
                    box[3] - box[1],
                    fill=False,
                    linestyle="--",
                    linewidth=1.0,
                    edgecolor="black",
                )
            )
    if mark_points:
        _mark_plane_points(p, ax)
    xmin, ymin, xmax, ymax = p.domain.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    return coll


#: gid of the artists :func:`plot_partition` adds to mark a plane's three points.
PLANE_POINTS_GID = "regions-plane-points"


def _mark_plane_points(p: Any, ax: Any, transform: Any = None) -> None:
    """Mark the three inputs of a plane through three points, if the partition has one."""
    plane = getattr(p.network, "plane", None)
    pts = plane.points() if plane is not None else None
    if pts is None:
        return
    if transform is not None:  # e.g. the disk view's map
        pts = transform(pts)
    (dots,) = ax.plot(
        pts[:, 0],
        pts[:, 1],
        linestyle="none",
        marker="o",
        markersize=6,
        markerfacecolor="black",
        markeredgecolor="white",
        markeredgewidth=1.2,
        zorder=5,
    )
    dots.set_gid(PLANE_POINTS_GID)
    for (s, t), name in zip(pts, "abc", strict=True):
        label = ax.annotate(
            name,
            (s, t),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            color="black",
            zorder=6,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
        )
        label.set_gid(PLANE_POINTS_GID)


def plot_gradient_raster(
    raster: GradientRaster, axes: Any = None, cmap: Any = "prism"
) -> list[Any]:
    """Show both components of a :func:`numpy.gradient` raster, side by side (exercise 3c).

    Parameters
    ----------
    raster : GradientRaster
        From :func:`regions.raster.gradient_raster` (or :func:`exact_gradient_image`).
    axes : sequence of two matplotlib Axes, optional
        Where to draw ``dx`` and ``dy`` (a list, tuple or array of two Axes,
        e.g. from ``plt.subplots(1, 2)``); new axes side by side if None.
    cmap : str or Colormap, default "prism"

    Returns
    -------
    list of two matplotlib.image.AxesImage
        ``dx`` and ``dy``.

    Raises
    ------
    ArgumentTypeError
        If ``raster`` is not a GradientRaster, or ``axes`` not a sequence of
        matplotlib Axes.
    ParameterError
        If ``cmap`` is not a colormap (or the name of one), or ``axes`` does
        not hold two Axes (a single Axes included).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from regions.course import shallow_model
    >>> from regions.raster import gradient_raster
    >>> ims = plot_gradient_raster(gradient_raster(shallow_model(), resolution=50))
    >>> [im.get_array().shape for im in ims]
    [(50, 50), (50, 50)]
    >>> plt.close("all")
    """
    if not isinstance(raster, GradientRaster):
        raise ArgumentTypeError(f"raster must be a GradientRaster, got {type(raster).__name__}")
    _check_style(cmap=cmap)
    axes = _new_axes(2) if axes is None else _axes_list(axes, 2, "one for dx, one for dy")
    images = []
    for ax, data, name in zip(axes, (raster.dx, raster.dy), ("x", "y"), strict=True):
        images.append(
            ax.imshow(
                data, origin="lower", extent=raster.extent, cmap=cmap, interpolation="nearest"
            )
        )
        ax.set_title(f"∂f/∂{name}")
    return images


def _truncated(net: Any, k: int) -> Any:
    """The network's first ``k`` hidden layers (stages), with the identity as output."""
    if isinstance(net, Network):
        width = net.widths[k - 1]
        return Network(net.hidden[:k], (np.eye(width), np.zeros(width)))
    import dataclasses

    from .stages import PlaneModel

    prog = net.program
    stages = prog.stages[:k]
    d = stages[-1].weight.shape[1]  # state columns before stage k
    last = stages[-1]
    width = last.groups.shape[0] if last.kind == "maxpool" else last.weight.shape[0]
    sel = np.zeros((width, d + width))
    sel[:, d:] = np.eye(width)
    cut = dataclasses.replace(prog, stages=stages, out_weight=sel, out_bias=np.zeros(width))
    return PlaneModel(cut, net.module, net.plane)


def plot_layers(
    model: Any,
    bbox: Any = DEFAULT_BBOX,
    axes: Any = None,
    *,
    color_by: str = "region",
    edgecolor: Any = "black",
    linewidth: float = 0.4,
    plane: Any = None,
    input_shape: Any = None,
) -> list[Any]:
    """The refinement figure: the regions after each hidden layer, side by side.

    The partition after layer ``k`` is that of the network cut after its
    ``k``-th hidden layer (identity output), so panel ``k`` has
    ``layer_counts[k - 1]`` regions.

    Parameters
    ----------
    model : Partition, torch.nn.Module or Network
        A partition (its network and domain are used, ``bbox`` is ignored) or
        a model.
    bbox : (xmin, ymin, xmax, ymax), shapely Polygon or None, default (-10, -10, 10, 10)
        ``None``: the frame box of the whole plane (it holds every vertex).
    axes : matplotlib Axes or sequence of them, optional
        One per hidden layer (a single Axes for a network with one hidden
        layer); new axes side by side if None.
    color_by : {"region", "value", "dx", "dy"}, default "region"
        As :func:`plot_partition`; "value", "dx" and "dy" use the first
        neuron of that layer.
    edgecolor : matplotlib colour, default "black"
    linewidth : float, default 0.4
    plane, input_shape : optional
        For a model (not a partition), as :func:`regions.linear_regions`
        (models of image inputs).

    Returns
    -------
    list of matplotlib.collections.PathCollection
        One per hidden layer.

    Raises
    ------
    ArgumentTypeError
        If ``axes`` is not a matplotlib Axes or a sequence of them.
    ParameterError
        If the network has no hidden layer, ``axes`` has the wrong length, or
        ``color_by``, ``edgecolor`` or ``linewidth`` is invalid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from regions.course import deep_model
    >>> colls = plot_layers(deep_model())
    >>> [len(c.get_paths()) for c in colls]
    [15, 42, 69, 81]
    >>> plt.close("all")
    """
    from .domain import as_domain
    from .engine import _fast, _resolve
    from .partition import Partition

    if not isinstance(color_by, str) or color_by not in COLOR_BY:
        raise ParameterError(f"color_by must be one of {COLOR_BY}, got {color_by!r}")
    _check_style(linewidth=linewidth, colors={"edgecolor": edgecolor})  # before computing
    if isinstance(model, Partition):
        net, domain = model.network, model.domain
    else:
        from .engine import _check_plane

        _check_plane(plane)
        net, domain = _resolve(model, plane, input_shape), bbox
        if bbox is DEFAULT_BBOX and plane is not None and plane.points() is not None:
            domain = plane.default_bbox()  # as linear_regions: around the three inputs
        if domain is None:  # the whole plane: its frame box, which holds every vertex
            from .engine import linear_regions

            if isinstance(net, Network):
                domain = linear_regions(net, None, progress=False).domain
            else:  # a compiled model (PlaneModel): linear_regions takes the model itself
                domain = linear_regions(
                    model, None, plane=plane, input_shape=input_shape, progress=False
                ).domain
    n_layers = len(net.widths)
    if n_layers == 0:
        raise ParameterError("model has no hidden layer: there is nothing to refine")
    if axes is not None:  # before computing
        axes = _axes_list(axes, n_layers, "one per hidden layer")
    dom = as_domain(domain)
    parts = [_fast(_truncated(net, k), dom, None, False) for k in range(1, n_layers + 1)]
    if axes is None:
        axes = _new_axes(n_layers)
    out = []
    for k, (ax, part) in enumerate(zip(axes, parts, strict=True), start=1):
        out.append(plot_partition(part, ax, color_by, edgecolor, linewidth=linewidth))
        ax.set_title(f"after layer {k}: {len(part)} regions")
    return out


def _facets(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat pieces to draw each region's polygon as: the polygon, or triangles if it has holes.

    Returns ``(pieces, owner)``: (K,) Polygons without holes and the region each belongs to.
    """
    import shapely

    parts, owner = shapely.get_parts(polys, return_index=True)
    holes = shapely.get_num_interior_rings(parts) > 0
    if holes.any():  # a merged region around another: constrained triangles of it
        tri, t_own = shapely.get_parts(
            shapely.constrained_delaunay_triangles(parts[holes]), return_index=True
        )
        parts = np.concatenate([parts[~holes], tri])
        owner = np.concatenate([owner[~holes], owner[holes][t_own]])
    return parts, owner


def _lifted(p: Any, o: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The regions' facets in 3-D: each polygon's vertices with height ``J x + c`` of its region.

    Returns ``(facets, owner, ring, z)``: a list of (k, 3) arrays (rings closed),
    the region of each facet, the facet of each vertex and the heights.
    """
    import shapely

    parts, owner = _facets(p.polygons)
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    jac, off = p.jacobians[:, o, :], p.offsets[:, o]
    r = owner[ring]
    z = np.einsum("kj,kj->k", jac[r], xy) + off[r]
    cut = np.flatnonzero(np.diff(ring)) + 1
    return np.split(np.column_stack([xy, z]), cut), owner, ring, z


def plot_surface(
    partition: Any,
    ax: Any = None,
    color_by: str = "value",
    cmap: Any = None,
    *,
    output: int = 0,
    edgecolor: Any = "black",
    linewidth: float = 0.3,
    alpha: float = 1.0,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    """Draw the graph of one output over the domain in 3-D: one flat facet per region.

    On region ``r`` the output is the affine map ``jacobians[r, output] @ x +
    offsets[r, output]``, so the graph is a surface of planar polygons that
    meet along the region edges (the network is continuous). Each region's
    polygon is lifted by its own map, all vertices at once.

    Parameters
    ----------
    partition : Partition
        Any partition (merged ones too; a region with a hole is drawn as its
        constrained triangles). For a whole plane, its frame box.
    ax : matplotlib 3-D Axes, optional
        ``fig.add_subplot(projection="3d")``; new ones if None.
    color_by : {"region", "value", "dx", "dy"}, default "value"
        As :func:`plot_partition`.
    cmap : str or Colormap, optional
        As :func:`plot_partition`.
    output : int, default 0
        The output drawn.
    edgecolor : matplotlib colour, default "black"
        Colour of the facets' edges (``"none"`` to hide them).
    linewidth : float, default 0.3
    alpha : float, default 1.0
    vmin, vmax : float, optional
        Colour limits for ``"value"``, ``"dx"``, ``"dy"``.

    Returns
    -------
    mpl_toolkits.mplot3d.art3d.Poly3DCollection
        The facets (a mappable for ``colorbar`` unless ``color_by="region"``).

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition or ``ax`` not a matplotlib Axes.
    ParameterError
        If ``color_by``, ``output``, ``cmap``, ``edgecolor``, ``linewidth``,
        ``alpha`` or ``vmin``/``vmax`` is invalid, or ``ax`` is not a 3-D Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, regions
    >>> from regions.course import shallow_model
    >>> p = regions.linear_regions(shallow_model())
    >>> facets = plot_surface(p)
    >>> len(facets.get_array()) == len(p)   # one facet per region, coloured by its height
    True
    >>> plt.close("all")
    """
    p = _check_partition(partition)
    if not isinstance(color_by, str) or color_by not in COLOR_BY:
        raise ParameterError(f"color_by must be one of {COLOR_BY}, got {color_by!r}")
    o = _check_output(output, p.network.n_out)
    _check_style(
        ax=ax, cmap=cmap, linewidth=linewidth, vmin=vmin, vmax=vmax, alpha=alpha, three_d=True,
        colors={"edgecolor": edgecolor},
    )
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(6, 5), layout="constrained")
        ax = fig.add_subplot(projection="3d")
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    facets, owner, ring, z = _lifted(p, o)
    jac = p.jacobians[:, o, :]
    coll = Poly3DCollection(facets, edgecolors=edgecolor, linewidths=linewidth, alpha=alpha)
    if color_by == "region":
        coll.set_facecolor(_region_facecolors(p, cmap, owner))
    else:
        if color_by == "value":  # the facet's mean height
            values = np.bincount(ring, weights=z) / np.bincount(ring)
        else:
            values = jac[owner, 0 if color_by == "dx" else 1]
        coll.set_array(values)
        coll.set_cmap(cmap if cmap is not None else ("viridis" if color_by == "value" else "prism"))
        coll.set_clim(vmin, vmax)
    ax.add_collection3d(coll)
    xmin, ymin, xmax, ymax = p.domain.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    if len(z):
        lo, hi = float(z.min()), float(z.max())
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.05
        ax.set_zlim(lo - pad, hi + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel(f"output {o}")
    return coll


def exact_gradient_image(
    partition: Any,
    resolution: int = 500,
    bbox: Any = None,
    *,
    output: int = 0,
) -> GradientRaster:
    """Rasterise the partition: each pixel gets its region's exact value and gradient.

    The same pixel-centre grid as :func:`regions.raster.gradient_raster`
    (``xs[j] = xmin + (j + 0.5) * (xmax - xmin) / resolution``), so the two
    can be shown side by side with :func:`plot_gradient_raster`. All pixel
    centres are located at once with :meth:`Partition.locate`.

    Parameters
    ----------
    partition : Partition
    resolution : int, default 500
        Pixels per side, at least 2.
    bbox : (xmin, ymin, xmax, ymax), optional
        Default: the bounds of the partition's domain.
    output : int, default 0

    Returns
    -------
    GradientRaster
        ``image`` holds the affine map of the pixel's region evaluated at the
        pixel centre, ``dx`` and ``dy`` the region's exact gradient; NaN at
        pixel centres outside the domain.

    Examples
    --------
    >>> import numpy as np, regions
    >>> from regions.course import shallow_model
    >>> from regions.raster import gradient_raster
    >>> model = shallow_model()
    >>> ex = exact_gradient_image(regions.linear_regions(model), 64)
    >>> sampled = gradient_raster(model, resolution=64)
    >>> bool(np.allclose(ex.image, sampled.image, rtol=1e-9, atol=1e-9))
    True
    """
    p = _check_partition(partition)
    o = _check_output(output, p.network.n_out)
    box = p.domain.bounds if bbox is None else bbox
    xs, ys = pixel_grid(box, _check_resolution(resolution))  # at most MAX_RASTER_PIXELS
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    reg = p.locate(pts)
    inside = reg >= 0
    jac = p.jacobians[:, o, :]
    grad = np.full((len(pts), 2), np.nan)
    grad[inside] = jac[reg[inside]]
    value = np.full(len(pts), np.nan)
    value[inside] = np.einsum("pj,pj->p", grad[inside], pts[inside]) + p.offsets[reg[inside], o]
    n = len(xs)
    box4 = as_domain(box).bounds  # validated by pixel_grid
    return GradientRaster(
        value.reshape(n, n),
        grad[:, 0].reshape(n, n),
        grad[:, 1].reshape(n, n),
        xs,
        ys,
        box4,
        o,
    )
