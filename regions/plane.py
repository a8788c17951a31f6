"""A 2-D plane through the input space of a model with many inputs.

A :class:`Plane` maps plane coordinates ``(s, t)`` to inputs
``x = origin + s * u + t * v``; ``origin``, ``u`` and ``v`` have the model's
per-sample input shape (a vector, a ``C x H x W`` image, ...). The usual way to
build one is :meth:`Plane.through`, the plane through three inputs ``a, b, c``,
which sit at plane coordinates ``(0, 0)``, ``(1, 0)`` and ``(0, 1)``.

:meth:`regions.program.Program.on_plane` restricts a compiled model to a plane,
so its input becomes ``(s, t)``.

Examples
--------
>>> import numpy as np
>>> a, b, c = np.zeros((1, 2, 2)), np.ones((1, 2, 2)), np.eye(2)[None]
>>> p = Plane.through(a, b, c)
>>> p.shape, p.dim
((1, 2, 2), 4)
>>> p.to_input(np.array([[1.0, 0.0], [0.5, 0.5]]))[1, 0]
array([[1. , 0.5],
       [0.5, 1. ]])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._arrays import real_array
from .errors import DomainError
from .tolerance import SHAPE_RTOL

__all__ = ["Plane"]


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _numbers(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array (a copy), or a :class:`DomainError` naming ``name``."""
    if value is None:
        raise DomainError(f"{name} is None; give an array of numbers")
    try:  # a torch tensor (grad or not) detached; complex values and text refused
        return real_array(value).copy()
    except (TypeError, ValueError) as e:
        raise DomainError(f"{name} must be an array of numbers, got {_short(value)}: {e}") from e


def _vector(value: Any, name: str) -> np.ndarray:
    a = _numbers(value, name)
    if a.size == 0:
        raise DomainError(f"{name} is empty")
    if not np.isfinite(a).all():
        bad = "NaN" if np.isnan(a).any() else "infinite"
        raise DomainError(f"{name} has {bad} entries")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane ``x = origin + s * u + t * v`` in a model's input space.

    Parameters
    ----------
    origin, u, v : array-like, all of the same shape
        The point at ``(s, t) = (0, 0)`` and the two directions, in the model's
        per-sample input shape; finite, with ``u`` and ``v`` linearly
        independent. They are stored as read-only float64 copies.
    anchors : (3, 2) array-like or None
        Plane coordinates of the inputs the plane was built through
        (set by :meth:`through`), else ``None``; see :meth:`points`.

    Raises
    ------
    DomainError
        If the shapes differ, an entry is not finite, or ``u`` and ``v`` are
        (nearly) parallel; the message names the parameter.

    Examples
    --------
    >>> p = Plane([0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    >>> p.to_input([[2.0, 3.0]])
    array([[2., 3., 1.]])
    >>> p.points() is None
    True
    >>> Plane([0.0, 0.0], [1.0, 1.0], [2.0, 2.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    regions.errors.DomainError: u and v are linearly dependent ...
    """

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    anchors: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        origin = _vector(self.origin, "origin")
        u = _vector(self.u, "u")
        v = _vector(self.v, "v")
        for name, a in (("u", u), ("v", v)):
            if a.shape != origin.shape:
                raise DomainError(
                    f"{name} has shape {a.shape} but origin has shape {origin.shape}; "
                    "origin, u and v must have the same shape"
                )
        su, sv = float(np.abs(u).max()), float(np.abs(v).max())
        if su == 0.0:
            raise DomainError("u is zero; the plane is degenerate")
        if sv == 0.0:
            raise DomainError("v is zero; the plane is degenerate")
        # scaled by the largest entry first, so that huge (1e300) or tiny entries
        # neither overflow nor underflow the norms
        uu, vv = u.ravel() / su, v.ravel() / sv
        uu, vv = uu / np.linalg.norm(uu), vv / np.linalg.norm(vv)
        # sin of the angle between u and v, stable for nearly parallel vectors
        sin = float(np.linalg.norm(uu - (uu @ vv) * vv))
        if sin <= SHAPE_RTOL:
            raise DomainError(
                f"u and v are linearly dependent (sin of their angle is {sin:.3g}); "
                "the plane is degenerate"
            )
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "v", v)
        if self.anchors is not None:
            pts = _numbers(self.anchors, "anchors")
            if pts.shape != (3, 2) or not np.isfinite(pts).all():
                raise DomainError(
                    f"anchors must be a finite (3, 2) array, got shape {pts.shape}"
                    + ("" if pts.shape != (3, 2) else f": {pts.tolist()}")
                )
            pts.setflags(write=False)
            object.__setattr__(self, "anchors", pts)

    @classmethod
    def through(cls, a: Any, b: Any, c: Any) -> Plane:
        """The plane through three inputs: ``origin = a``, ``u = b - a``, ``v = c - a``.

        So ``a``, ``b`` and ``c`` are at plane coordinates ``(0, 0)``,
        ``(1, 0)`` and ``(0, 1)``.

        Parameters
        ----------
        a, b, c : array-like, all of the same shape
            Three inputs that are not collinear.

        Returns
        -------
        Plane

        Raises
        ------
        DomainError
            If the shapes differ, an entry is not finite, ``b - a`` or ``c - a``
            overflows float64, or the points are collinear.

        Examples
        --------
        >>> p = Plane.through([1.0, 1.0], [2.0, 1.0], [1.0, 3.0])
        >>> p.u, p.v
        (array([1., 0.]), array([0., 2.]))
        >>> p.points()
        array([[0., 0.],
               [1., 0.],
               [0., 1.]])
        """
        a = _vector(a, "a")
        b = _vector(b, "b")
        c = _vector(c, "c")
        for name, x in (("b", b), ("c", c)):
            if x.shape != a.shape:
                raise DomainError(
                    f"{name} has shape {x.shape} but a has shape {a.shape}; "
                    "a, b and c must have the same shape"
                )
        with np.errstate(over="ignore"):
            u, v = b - a, c - a
        for name, d in (("b", u), ("c", v)):
            if not np.isfinite(d).all():
                raise DomainError(
                    f"{name} - a overflows float64 (its largest entry is about "
                    f"{float(np.abs(b if name == 'b' else c).max()):.3g} and a's "
                    f"{float(np.abs(a).max()):.3g}); rescale the inputs"
                )
        return cls(a, u, v, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        """Per-sample input shape of the plane's points."""
        return tuple(int(n) for n in self.origin.shape)

    @property
    def dim(self) -> int:
        """Number of input entries ``D_in`` (product of :attr:`shape`)."""
        return int(self.origin.size)

    @property
    def basis(self) -> np.ndarray:
        """The (D_in, 2) matrix ``[u v]`` of flattened directions."""
        return np.stack([self.u.ravel(), self.v.ravel()], axis=1)

    # ------------------------------------------------------------ methods
    def points(self) -> np.ndarray | None:
        """Plane coordinates of the three inputs of :meth:`through`, else ``None``.

        Returns
        -------
        (3, 2) float64 array or None
            ``[[0, 0], [1, 0], [0, 1]]`` for a plane built with :meth:`through`.
        """
        return None if self.anchors is None else self.anchors.copy()

    def default_bbox(self, margin: float = 0.5) -> tuple[float, float, float, float]:
        """A box in ``(s, t)`` around the triangle of the three points.

        Parameters
        ----------
        margin : float
            Added on every side, as a fraction of the triangle's larger side
            of its bounding box (``0.5``: half of it).

        Returns
        -------
        (smin, tmin, smax, tmax) : tuple of float

        Raises
        ------
        DomainError
            If the margin is not a number, negative or not finite.

        Examples
        --------
        >>> Plane.through([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]).default_bbox()
        (-0.5, -0.5, 1.5, 1.5)
        >>> Plane.through([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]).default_bbox(margin=0.0)
        (0.0, 0.0, 1.0, 1.0)
        """
        if isinstance(margin, (str, bytes, bool, np.bool_)) or not isinstance(
            margin, (int, float, np.integer, np.floating)
        ):
            raise DomainError(
                f"margin must be a number (finite and >= 0), got {type(margin).__name__} "
                f"{_short(margin)}"
            )
        margin = float(margin)
        if not (np.isfinite(margin) and margin >= 0.0):
            raise DomainError(f"margin must be finite and >= 0, got {margin}")
        pts = self.anchors if self.anchors is not None else np.array([[0.0, 0], [1, 0], [0, 1]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = margin * float(max(hi - lo))
        return (
            float(lo[0] - pad),
            float(lo[1] - pad),
            float(hi[0] + pad),
            float(hi[1] + pad),
        )

    def to_input(self, st: Any) -> np.ndarray:
        """Inputs at plane coordinates.

        Parameters
        ----------
        st : (P, 2) array-like
            Plane coordinates ``(s, t)``.

        Returns
        -------
        (P, *shape) float64 array
            ``origin + s * u + t * v`` for each row.

        Raises
        ------
        DomainError
            If ``st`` is not a finite (P, 2) array of numbers, or the inputs
            overflow float64.

        Examples
        --------
        >>> Plane([1.0, 0.0], [1.0, 0.0], [0.0, 1.0]).to_input([[1.0, 2.0], [0.0, 0.0]])
        array([[2., 2.],
               [1., 0.]])
        """
        st = _numbers(st, "st")
        if st.ndim != 2 or st.shape[1] != 2:
            raise DomainError(f"st must be a (P, 2) array of plane coordinates, got {st.shape}")
        if not np.isfinite(st).all():
            bad = "NaN" if np.isnan(st).any() else "infinite"
            raise DomainError(f"st has {bad} entries")
        with np.errstate(over="ignore", invalid="ignore"):
            flat = self.origin.ravel() + st @ self.basis.T
        if not np.isfinite(flat).all():
            raise DomainError(
                f"the inputs at st overflow float64 (|st| up to {float(np.abs(st).max()):.3g}, "
                f"|u|, |v| up to {float(np.abs(self.basis).max()):.3g}); rescale st or the plane"
            )
        return flat.reshape(st.shape[0], *self.shape)

    def to_plane(self, x: Any) -> np.ndarray:
        """Plane coordinates of the orthogonal (least-squares) projection of inputs.

        Parameters
        ----------
        x : (P, *shape) array-like
            Or ``(P, D_in)``, the inputs flattened.

        Returns
        -------
        (P, 2) float64 array
            ``(s, t)`` of the closest points of the plane; exact for points on it.

        Raises
        ------
        DomainError
            If ``x`` is not a finite array of numbers of that shape.

        Examples
        --------
        >>> p = Plane.through([1.0, 1.0, 0.0], [2.0, 1.0, 0.0], [1.0, 3.0, 0.0])
        >>> p.to_plane([[2.0, 3.0, 5.0]])
        array([[1., 1.]])
        """
        x = _numbers(x, "x")
        if x.ndim < 2 or (x.shape[1:] != self.shape and x.shape[1:] != (self.dim,)):
            flat = f" (or (P, {self.dim}) flattened)" if len(self.shape) > 1 else ""
            raise DomainError(
                f"x must be a (P, {', '.join(map(str, self.shape))}) array of inputs{flat}, "
                f"got shape {x.shape}"
            )
        if not np.isfinite(x).all():
            bad = "NaN" if np.isnan(x).any() else "infinite"
            raise DomainError(f"x has {bad} entries")
        x = x.reshape(x.shape[0], self.dim)
        with np.errstate(over="ignore", invalid="ignore"):
            st, *_ = np.linalg.lstsq(self.basis, (x - self.origin.ravel()).T, rcond=None)
        if not np.isfinite(st).all():
            raise DomainError("the plane coordinates of x overflow float64; rescale x or the plane")
        out: np.ndarray = st.T
        return out
