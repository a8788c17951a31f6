"""Domains: the part of the input plane that is partitioned.

A domain is given as a bounding box ``(xmin, ymin, xmax, ymax)`` (the order of
shapely's ``bounds``) or as a shapely ``Polygon``/``MultiPolygon``, convex or
not. The splitters work on a convex polygon; a non-convex domain is handled by
splitting its convex hull and clipping the cells to the domain afterwards,
which gives the same cells (the connected components of domain ∩ cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import real_array
from .errors import DomainError
from .tolerance import SHAPE_RTOL

__all__ = ["Domain", "as_domain", "DEFAULT_BBOX"]

#: The seed exercise's window, [-10, 10]^2.
DEFAULT_BBOX: tuple[float, float, float, float] = (-10.0, -10.0, 10.0, 10.0)
#: Largest coordinate magnitude accepted: products and squares of coordinates
#: (areas, cross products) must stay finite in float64.
COORD_MAX: float = 1e150
#: Smallest width (height), relative to the largest magnitude of the x (y) coordinates:
#: below it the zero band of the tolerance policy (``ZERO_RTOL``) is not small against
#: the domain, and below about ``2**-52`` it has no interior in float64.
EXTENT_RTOL: float = 1e-9
#: Smallest width and height in absolute terms (areas must not underflow).
EXTENT_MIN: float = 1e-150


def _check_scale(lo: np.ndarray, hi: np.ndarray, what: str) -> None:
    """Refuse a domain float64 cannot partition reliably (module constants)."""
    big = float(max(np.abs(lo).max(), np.abs(hi).max()))
    if big > COORD_MAX:
        raise DomainError(
            f"{what} reaches {big:.3g}; coordinates beyond {COORD_MAX:g} overflow float64 "
            "areas. Rescale the input (or use bbox=None for the whole plane)"
        )
    # per axis: each side against its own axis's coordinates (the splitters translate a
    # box far from the origin and balance a tall or wide one, so a minute of Unix time by
    # [0, 1] is fine, though 1 is under 1e-9 of 1.7e9)
    sides = hi - lo
    own = np.maximum(np.abs(lo), np.abs(hi))
    thin = (sides < EXTENT_MIN) | (sides < EXTENT_RTOL * own)
    if thin.any():
        k = int(np.argmax(thin))
        raise DomainError(
            f"{what} is {float(sides[k]):.3g} wide in {'xy'[k]} at {'xy'[k]} coordinates of "
            f"{float(own[k]):.3g}: narrower than {EXTENT_MIN:g} or {EXTENT_RTOL:g} of its "
            "coordinates, too thin to partition in float64. Rescale the input"
        )


@dataclass(frozen=True, eq=False)
class Domain:
    """A validated domain.

    Parameters
    ----------
    ring : (K, 2) float64 array
        Counter-clockwise vertices of the convex polygon the splitter starts
        from (the domain itself if convex, else its convex hull), not closed.
    polygon : shapely Polygon or MultiPolygon
        The domain.
    convex : bool
        Whether ``polygon`` equals the polygon of ``ring``; if not, cells are
        clipped to ``polygon``.

    Examples
    --------
    >>> d = as_domain((-1, -2, 3, 4))
    >>> d.ring
    array([[-1., -2.],
           [ 3., -2.],
           [ 3.,  4.],
           [-1.,  4.]])
    >>> d.area, d.convex
    (24.0, True)
    """

    ring: np.ndarray
    polygon: Any
    convex: bool

    @property
    def area(self) -> float:
        """Area of the domain."""
        return float(self.polygon.area)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the domain."""
        return tuple(float(v) for v in self.polygon.bounds)  # type: ignore[return-value]


def as_domain(bbox: Any) -> Domain:
    """Validate ``bbox`` and build a :class:`Domain`.

    Parameters
    ----------
    bbox : (4,) sequence of float, shapely Polygon or MultiPolygon, or Domain
        ``(xmin, ymin, xmax, ymax)`` with ``xmin < xmax`` and ``ymin < ymax``,
        all finite; or a valid polygon with positive area.

    Returns
    -------
    Domain

    Raises
    ------
    DomainError
        If the box is empty, inverted, not finite or not four numbers, or the
        polygon is invalid, empty or not finite.

    Examples
    --------
    >>> as_domain((0, 0, 0, 1))
    Traceback (most recent call last):
    ...
    regions.errors.DomainError: bbox is empty: xmin=0.0 equals xmax=0.0 in bbox=(0.0, 0.0, 0.0, 1.0)
    """
    import shapely

    if isinstance(bbox, Domain):
        return bbox
    if isinstance(bbox, (shapely.Polygon, shapely.MultiPolygon)):
        return _from_polygon(bbox)
    if isinstance(bbox, shapely.Geometry):
        raise DomainError(
            f"bbox must be a (xmin, ymin, xmax, ymax) tuple or a shapely Polygon, "
            f"got a {bbox.geom_type}"
        )
    try:
        b = real_array(bbox)  # torch tensors detached; complex values and text refused
    except (TypeError, ValueError) as exc:
        raise DomainError(
            f"bbox must be four numbers (xmin, ymin, xmax, ymax) or a shapely Polygon, "
            f"got {bbox!r} ({exc})"
        ) from None
    if b.shape != (4,):
        raise DomainError(
            f"bbox must be four numbers (xmin, ymin, xmax, ymax), got shape {b.shape}: {bbox!r}"
        )
    shown = tuple(float(v) for v in b)
    if not np.isfinite(b).all():
        raise DomainError(f"bbox must be finite, got bbox={shown}")
    xmin, ymin, xmax, ymax = shown
    for lo, hi, ax in ((xmin, xmax, "x"), (ymin, ymax, "y")):
        if lo == hi:
            raise DomainError(
                f"bbox is empty: {ax}min={lo} equals {ax}max={hi} in bbox={shown}"
            )
        if lo > hi:
            raise DomainError(
                f"bbox is inverted: {ax}min={lo} > {ax}max={hi} in bbox={shown}; "
                "the order is (xmin, ymin, xmax, ymax)"
            )
    _check_scale(np.array([xmin, ymin]), np.array([xmax, ymax]), f"bbox={shown}")
    ring = np.array([[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax]])
    return Domain(ring, shapely.box(xmin, ymin, xmax, ymax), True)


def _from_polygon(poly: Any) -> Domain:
    import shapely

    if poly.is_empty:
        raise DomainError("the domain polygon is empty: it has no area")
    if poly.has_z:
        raise DomainError(
            "the domain polygon has Z coordinates; the domain is a region of the 2-D input "
            "plane: pass shapely.force_2d(polygon)"
        )
    coords = shapely.get_coordinates(poly)
    if not np.isfinite(coords).all():
        raise DomainError("the domain polygon has non-finite coordinates")
    _check_scale(coords.min(axis=0), coords.max(axis=0), "the domain polygon")
    if not poly.is_valid:
        raise DomainError(
            f"the domain polygon is not valid ({shapely.is_valid_reason(poly)}); "
            "try shapely.make_valid"
        )
    if not poly.area > 0:
        raise DomainError(f"the domain polygon has no area: {poly.wkt[:80]}")
    hull = poly.convex_hull
    convex = (
        isinstance(poly, shapely.Polygon)
        and len(poly.interiors) == 0
        and abs(hull.area - poly.area) <= SHAPE_RTOL * hull.area
    )
    src = poly if convex else hull
    src = shapely.remove_repeated_points(shapely.orient_polygons(src), 0.0)
    ring = np.asarray(src.exterior.coords, dtype=np.float64)[:-1]
    return Domain(np.ascontiguousarray(ring), poly, bool(convex))
