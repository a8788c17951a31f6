"""Bad input to Network (built directly too), malformed nn.Linear weights, domains, input_shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
import torch
from torch import nn

import regions
from regions.course import mlp
from regions.errors import (
    ArgumentTypeError,
    DomainError,
    InputDimensionError,
    NonFiniteWeightError,
    ParameterError,
    ShapeMismatchError,
)


def _mlp() -> nn.Sequential:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))


def _eye() -> regions.Network:
    return regions.Network.from_arrays([(np.eye(2), np.zeros(2))], (np.ones((1, 2)), np.zeros(1)))


@pytest.mark.parametrize(
    ("hidden", "output", "error", "match"),
    [
        (((np.full((4, 2), np.nan), np.zeros(4)),), (np.ones((1, 4)), np.zeros(1)),
         NonFiniteWeightError, "hidden layer 0 has NaN"),
        (((np.ones((4, 2)), np.zeros(4)),), (np.ones((1, 5)), np.zeros(1)),
         ShapeMismatchError, "output layer takes 5 inputs but the layer before has width 4"),
        (((np.ones((4, 2)), np.zeros(5)),), (np.ones((1, 4)), np.zeros(1)),
         ShapeMismatchError, r"bias \(n,\), got \(4, 2\) and \(5,\)"),
        (((np.ones((4, 3)), np.zeros(4)),), (np.ones((1, 4)), np.zeros(1)),
         InputDimensionError, "3-D input"),
        ("x", "y", ArgumentTypeError, "tuple of \\(W, b\\) pairs, got str"),
        (((np.ones((4, 2), dtype=np.float32), np.zeros(4)),), (np.ones((1, 4)), np.zeros(1)),
         ArgumentTypeError, "float64 numpy arrays; Network.from_arrays"),
        (((np.ones((4, 2)), np.zeros(4)),), (np.ones((0, 4)), np.zeros(0)),
         ShapeMismatchError, "no outputs"),
    ],
)
def test_network_built_directly_is_checked(
    hidden: Any, output: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        regions.Network(hidden, output)


def test_a_bad_network_never_reaches_a_count() -> None:
    # a count of 1 came back for NaN weights before the Network checked itself
    with pytest.raises(NonFiniteWeightError):
        net = regions.Network(
            ((np.full((4, 2), np.nan), np.zeros(4)),), (np.ones((1, 4)), np.zeros(1))
        )
        regions.count_regions(net)


@pytest.mark.parametrize("chunk", [0, -1, 1.5, True, "8"])
def test_affine_maps_chunk(chunk: Any) -> None:
    with pytest.raises(ParameterError, match="chunk must be a positive integer"):
        _eye().affine_maps(np.zeros((3, 2), dtype=bool), chunk=chunk)


def test_affine_maps_patterns() -> None:
    net = _eye()
    with pytest.raises(ShapeMismatchError, match=r"\(R, 2\) bool array.*got shape \(2, 3\)"):
        net.affine_maps(np.zeros((2, 3), dtype=bool))
    with pytest.raises(ArgumentTypeError, match="booleans"):
        net.affine_maps(np.full((2, 2), 0.5))
    jac, _ = net.affine_maps(np.array([[1, 0]]))  # 0/1 integers are read as booleans
    assert jac.tolist() == [[[1.0, 0.0]]]


@pytest.mark.parametrize("method", ["forward", "preactivations"])
def test_points_of_forward(method: str) -> None:
    f = getattr(_eye(), method)
    with pytest.raises(InputDimensionError, match=r"\(P, 2\) array of points, got shape \(1, 3\)"):
        f([[0.0, 0.0, 0.0]])
    with pytest.raises(ArgumentTypeError, match="x must be a \\(P, 2\\) array-like"):
        f("x")


@pytest.mark.parametrize(
    ("part", "value", "error", "match"),
    [
        ("bias", torch.ones(5), ShapeMismatchError, r"bias of shape \(5,\).*must be \(8,\)"),
        ("bias", torch.ones(8, 1), ShapeMismatchError, r"bias of shape \(8, 1\)"),
        ("weight", torch.ones(8), ShapeMismatchError, r"weight of shape \(8,\)"),
        ("weight", torch.ones(8, 2, 1), ShapeMismatchError, r"weight of shape \(8, 2, 1\)"),
        ("weight", torch.ones(8, 2).to_sparse(), ArgumentTypeError, "torch.sparse_coo weight"),
    ],
)
def test_malformed_linear_parameters(
    part: str, value: torch.Tensor, error: type[Exception], match: str
) -> None:
    m = _mlp()
    setattr(m[0], part, nn.Parameter(value))
    with pytest.raises(error, match="nn.Linear at index 0 has a " + match):
        regions.count_regions(m, progress=False)


def test_polygon_with_z() -> None:
    with pytest.raises(DomainError, match="Z coordinates.*force_2d"):
        regions.count_regions(_mlp(), shapely.Polygon([(0, 0, 0), (1, 0, 0), (1, 1, 0)]))
    # the same polygon without Z is a domain
    tri = shapely.force_2d(shapely.Polygon([(0, 0, 0), (1, 0, 0), (1, 1, 0)]))
    assert regions.count_regions(_mlp(), tri, progress=False) >= 1


@pytest.mark.parametrize("shape", [(2.9,), (True, 2), ("2",), 2, (10**30,)])
def test_input_shape(shape: Any) -> None:
    with pytest.raises(InputDimensionError, match="input_shape"):
        regions.count_regions(_mlp(), input_shape=shape, progress=False)


def test_input_shape_with_a_network() -> None:
    with pytest.raises(ParameterError, match="input_shape=\\(5,\\) needs a torch model"):
        regions.count_regions(_eye(), input_shape=(5,))


class _Custom(nn.Module):
    """A custom forward: read by the torch.fx compiler, not the Sequential fast path."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(2, 8)
        self.b = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)))


@pytest.mark.parametrize(
    ("part", "value", "error", "match"),
    [
        ("bias", torch.ones(5), ShapeMismatchError, r"bias of shape \(5,\).*must be \(8,\)"),
        ("weight", torch.ones(8, 2, 1), ShapeMismatchError, r"weight of shape \(8, 2, 1\)"),
        ("weight", torch.ones(8, 2).to_sparse(), ArgumentTypeError, "torch.sparse_coo weight"),
    ],
)
@pytest.mark.parametrize("call", [regions.count_regions, regions.linear_regions])
def test_malformed_linear_parameters_of_a_custom_module(
    part: str, value: torch.Tensor, error: type[Exception], match: str, call: Any
) -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        m = _Custom()
    assert call(m, progress=False)  # well-formed, it is read
    setattr(m.a, part, nn.Parameter(value))
    with pytest.raises(error, match="nn.Linear at (index )?a has a " + match):
        call(m, progress=False)


def test_masked_bbox() -> None:
    box = np.ma.masked_array([-1.0, -1.0, 1.0, 5.0], mask=[False, False, False, True])
    with pytest.raises(DomainError, match="(?s)bbox must be four numbers.*masked entries"):
        regions.count_regions(_mlp(), box, progress=False)
    # nothing masked: read as its values
    clear = np.ma.masked_array([-1.0, -1.0, 1.0, 1.0], mask=False)
    assert regions.count_regions(_mlp(), clear, progress=False) == regions.count_regions(
        _mlp(), (-1.0, -1.0, 1.0, 1.0), progress=False
    )


def _small_partitions() -> tuple[Any, Any]:
    net = mlp([2, 8, 1], 0)
    box = regions.linear_regions(net, (-5, -5, 5, 5), progress=False)
    plane = regions.linear_regions(net, None, progress=False)
    return box, plane


def test_locate_far_points_raise_no_warning() -> None:
    # GEOS squared the distance of a point at 1e155 (an overflow RuntimeWarning)
    box, plane = _small_partitions()
    assert box.locate([[1e155, 0.0]]).tolist() == [-1]
    assert plane.locate([[1e160, 0.0]])[0] >= 0
    with pytest.raises(ArgumentTypeError, match="too large for float64"):
        box.locate([[10**400, 0]])


def test_locate_beyond_the_forward_pass() -> None:
    w = np.array([[1e200, 0.0], [0.0, 1.0]])
    net = regions.Network.from_arrays([(w, np.zeros(2))], (np.ones((1, 2)), np.zeros(1)))
    plane = regions.linear_regions(net, None, progress=False)
    with pytest.raises(InputDimensionError, match="overflow the network's float64 forward"):
        plane.locate([[1e200, 1.0]])


def test_repr_of_a_tiny_box() -> None:
    p = regions.linear_regions(mlp([2, 8, 1], 0), (0, 0, 1e-7, 1e-7))
    assert "over (0.0, 0.0, 1e-07, 1e-07)" in repr(p)


def test_raster_coverage_counts_what_the_raster_can_see() -> None:
    box, plane = _small_partitions()
    rep = plane.compare_raster(50)
    assert np.isfinite(rep.missed_areas).all()  # unbounded regions: their part in view
    net = box.network.module
    sub = regions.gradient_raster(net, (0, 0, 5, 5), resolution=50)
    rep = regions.compare_raster(box, sub)
    # every missed region meets the raster's box; the regions outside it are not missed
    view = shapely.box(0, 0, 5, 5)
    inside = np.asarray(shapely.area(shapely.intersection(box.polygons, view))) > 0
    assert set(rep.missed.tolist()) <= set(np.flatnonzero(inside).tolist())
    assert (~inside).any()  # some regions lie outside the view and were not counted


def test_gradient_raster_built_by_hand() -> None:
    from regions.raster import GradientRaster

    z = np.zeros((4, 5))
    xs, ys = np.linspace(0, 1, 5), np.linspace(0, 1, 4)
    GradientRaster(z, z, z, xs, ys, (0.0, 0.0, 1.0, 1.0))  # a consistent one is fine
    with pytest.raises(ShapeMismatchError, match="one shape"):
        GradientRaster(z, z[:3], z, xs, ys, (0.0, 0.0, 1.0, 1.0))
    with pytest.raises(ShapeMismatchError, match="xs must have"):
        GradientRaster(z, z, z, xs[:4], ys, (0.0, 0.0, 1.0, 1.0))
    with pytest.raises(ArgumentTypeError, match="2-D float array"):
        GradientRaster(np.zeros(5), z, z, xs, ys, (0.0, 0.0, 1.0, 1.0))
    with pytest.raises(ArgumentTypeError, match="output must be a non-negative integer"):
        GradientRaster(z, z, z, xs, ys, (0.0, 0.0, 1.0, 1.0), output="x")  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        GradientRaster(z, z, z, xs, ys, None)  # type: ignore[arg-type]


def test_partition_built_by_hand() -> None:
    box, _ = _small_partitions()
    with pytest.raises(ArgumentTypeError, match="network"):
        regions.Partition(None, None, [[True]], [1], polygons=box.polygons)
    with pytest.raises(ShapeMismatchError, match="polygons for 3 patterns"):
        regions.Partition(
            box.network, box.domain, box.patterns[:3], [3], polygons=box.polygons
        )
    with pytest.raises(ShapeMismatchError, match=r"\(R, 8\)"):
        regions.Partition(box.network, box.domain, box.patterns[:, :3], [3], polygons=box.polygons)
