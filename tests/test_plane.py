"""Plane: 2-D planes through the input space."""

from __future__ import annotations

import numpy as np
import pytest

from regions.errors import DomainError
from regions.plane import Plane


def test_through_places_the_points_at_the_unit_triangle() -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 2, 3, 4))
    p = Plane.through(a, b, c)
    assert p.shape == (2, 3, 4) and p.dim == 24
    pts = p.points()
    assert pts is not None
    np.testing.assert_array_equal(pts, [[0, 0], [1, 0], [0, 1]])
    x = p.to_input(pts)
    assert x.shape == (3, 2, 3, 4)
    np.testing.assert_allclose(x, np.stack([a, b, c]), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(p.to_plane(x), pts, atol=1e-12)
    assert p.basis.shape == (24, 2)


def test_to_input_is_affine() -> None:
    rng = np.random.default_rng(1)
    p = Plane(*rng.normal(size=(3, 5)))
    st = rng.normal(size=(10, 2))
    x = p.to_input(st)
    np.testing.assert_allclose(x, p.origin + st[:, :1] * p.u + st[:, 1:] * p.v, rtol=1e-14)
    assert p.points() is None


def test_default_bbox() -> None:
    p = Plane.through([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0])
    assert p.default_bbox() == (-0.5, -0.5, 1.5, 1.5)
    assert p.default_bbox(margin=0.25) == (-0.25, -0.25, 1.25, 1.25)
    with pytest.raises(DomainError, match="margin must be finite and >= 0"):
        p.default_bbox(margin=-1.0)
    # a plane built from a direction pair uses the same unit triangle
    assert Plane([0.0, 0.0], [2.0, 0.0], [0.0, 3.0]).default_bbox(0.0) == (0.0, 0.0, 1.0, 1.0)


def test_arrays_are_read_only_copies() -> None:
    origin = np.zeros(2)
    p = Plane(origin, np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    origin[0] = 5.0
    assert p.origin[0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        p.u[0] = 2.0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0]), r"u has shape \(3,\) but origin has shape"),
        (([0.0, 0.0], [1.0, 0.0], [[0.0, 1.0]]), r"v has shape \(1, 2\) but origin"),
        (([np.nan, 0.0], [1.0, 0.0], [0.0, 1.0]), r"origin has NaN entries"),
        (([0.0, 0.0], [np.inf, 0.0], [0.0, 1.0]), r"u has infinite entries"),
        (([0.0, 0.0], [0.0, 0.0], [0.0, 1.0]), r"u is zero"),
        (([0.0, 0.0], [1.0, 0.0], [0.0, 0.0]), r"v is zero"),
        (([0.0, 0.0], [1.0, 2.0], [-2.0, -4.0]), r"u and v are linearly dependent"),
        (([], [], []), r"origin is empty"),
        ((["a", 1.0], [1.0, 0.0], [0.0, 1.0]), r"origin must be an array of numbers"),
    ],
)
def test_validation(args: tuple[object, object, object], match: str) -> None:
    with pytest.raises(DomainError, match=match):
        Plane(*args)


def test_through_validation() -> None:
    with pytest.raises(DomainError, match=r"c has shape \(3,\) but a has shape \(2,\)"):
        Plane.through([0.0, 0.0], [1.0, 0.0], [0.0, 1.0, 2.0])
    with pytest.raises(DomainError, match="linearly dependent"):
        Plane.through([0.0, 0.0], [1.0, 1.0], [2.0, 2.0])
    with pytest.raises(DomainError, match="b has NaN entries"):
        Plane.through([0.0, 0.0], [np.nan, 1.0], [2.0, 2.0])
    p = Plane.through([0.0, 0.0], [1.0, 0.0], [0.0, 1.0])
    with pytest.raises(DomainError, match=r"st must be a \(P, 2\) array"):
        p.to_input(np.zeros((4, 3)))
