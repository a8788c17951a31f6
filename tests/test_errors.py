"""Bad input: each gets a clear exception naming what is wrong."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import shapely
import torch
from torch import nn

import regions
from regions import (
    DomainError,
    InputDimensionError,
    NonFiniteWeightError,
    RegionsError,
    ShapeMismatchError,
    TrainingModeError,
    UnsupportedLayerError,
)
from regions.course import mlp


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        (nn.Tanh(), "nn.Tanh"),
        (nn.Sigmoid(), "nn.Sigmoid"),
        (nn.GELU(), "nn.GELU"),
        (nn.SiLU(), "nn.SiLU"),
        (nn.Softmax(dim=1), "nn.Softmax"),
    ],
)
def test_unsupported_layer_named_with_type_and_index(layer: nn.Module, name: str) -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), layer, nn.Linear(4, 1))
    with pytest.raises(UnsupportedLayerError, match=re.escape(f"{name} at index 3")):
        regions.count_regions(model)


def test_unsupported_layer_inside_nested_sequential_gives_its_path() -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.Sequential(nn.ReLU(), nn.Tanh()), nn.Linear(4, 1))
    with pytest.raises(UnsupportedLayerError, match=re.escape("nn.Tanh at index 1.1")):
        regions.linear_regions(model)


def test_relu_subclass_is_not_relu() -> None:
    class MyReLU(nn.ReLU):
        pass

    with pytest.raises(UnsupportedLayerError, match=r"MyReLU at index 1 \(a subclass of nn.ReLU\)"):
        regions.count_regions(nn.Sequential(nn.Linear(2, 3), MyReLU(), nn.Linear(3, 1)))


def test_custom_module_with_unsupported_function_is_rejected_by_name() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.tanh(self.fc(x))

    with pytest.raises(UnsupportedLayerError, match="unsupported function torch.tanh"):
        regions.count_regions(Net())


def test_not_a_module() -> None:
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        regions.count_regions("model.pt")


@pytest.mark.parametrize("d", [1, 3, 784])
def test_input_dimension_other_than_two(d: int) -> None:
    model = nn.Sequential(nn.Linear(d, 4), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(InputDimensionError, match=f"in_features={d}.*2-D"):
        regions.count_regions(model)


def test_layers_that_do_not_chain() -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(ShapeMismatchError, match="nn.Linear at index 2 has in_features=5.*width 4"):
        regions.count_regions(model)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("param", ["weight", "bias"])
def test_non_finite_weights(bad: float, param: str) -> None:
    model = mlp((2, 4, 4, 1), seed=0)
    with torch.no_grad():
        getattr(model[2], param).view(-1)[1] = bad
    kind = "NaN" if math.isnan(bad) else "infinite"
    msg = f"nn.Linear at index 2 has {kind} values in its {param}"
    with pytest.raises(NonFiniteWeightError, match=msg):
        regions.count_regions(model)


def test_non_finite_arrays() -> None:
    w = np.array([[1.0, np.nan]])
    with pytest.raises(NonFiniteWeightError, match="hidden layer 0"):
        regions.Network.from_arrays([(w, np.zeros(1))], (np.ones((1, 1)), np.zeros(1)))


@pytest.mark.parametrize(
    ("bbox", "pattern"),
    [
        ((0, 0, 0, 1), r"bbox is empty: xmin=0.0 equals xmax=0.0"),
        ((0, 1, 1, 1), r"bbox is empty: ymin=1.0 equals ymax=1.0"),
        ((1, 0, 0, 1), r"bbox is inverted: xmin=1.0 > xmax=0.0"),
        ((0, 2, 1, 1), r"bbox is inverted: ymin=2.0 > ymax=1.0"),
        ((0, 0, math.inf, 1), r"bbox must be finite"),
        ((0, math.nan, 1, 1), r"bbox must be finite"),
        ((0, 0, 1), r"four numbers.*shape \(3,\)"),
        ("abcd", r"four numbers"),
        (shapely.Point(0, 0), r"got a Point"),
        (shapely.Polygon(), r"no area"),
        (shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), r"not valid \(Self-intersection"),
    ],
)
def test_bad_domain(bbox: object, pattern: str) -> None:
    with pytest.raises(DomainError, match=pattern):
        regions.count_regions(mlp((2, 3, 1)), bbox)


@pytest.mark.parametrize("layer", [nn.Dropout(0.1), nn.BatchNorm1d(4)])
def test_training_mode_dropout_or_batchnorm(layer: nn.Module) -> None:
    model = nn.Sequential(nn.Linear(2, 4), layer, nn.ReLU(), nn.Linear(4, 1)).train()
    name = type(layer).__name__
    with pytest.raises(TrainingModeError, match=f"nn.{name} at index 1 is in training mode.*eval"):
        regions.count_regions(model)


def test_dropout_in_eval_mode_is_fine() -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.1), nn.ReLU(), nn.Linear(4, 1)).eval()
    assert regions.count_regions(model) >= 1


def test_unknown_method() -> None:
    msg = r"method must be one of \('fast', 'shapely'\), got 'exact'"
    with pytest.raises(ValueError, match=msg):
        regions.count_regions(mlp((2, 3, 1)), method="exact")


def test_locate_bad_points() -> None:
    p = regions.linear_regions(mlp((2, 3, 1)))
    msg = r"points must be a \(P, 2\) array, got shape \(3,\)"
    with pytest.raises(InputDimensionError, match=msg):
        p.locate([1.0, 2.0, 3.0])


def test_every_error_is_a_regions_error_and_a_builtin() -> None:
    for cls in (
        UnsupportedLayerError,
        InputDimensionError,
        ShapeMismatchError,
        NonFiniteWeightError,
        TrainingModeError,
        DomainError,
    ):
        assert issubclass(cls, RegionsError)
        assert issubclass(cls, (ValueError, TypeError))


def test_verify_reports_a_broken_partition() -> None:
    p = regions.linear_regions(mlp((2, 6, 1), seed=1), (-2, -2, 2, 2))
    p.verify()
    flipped = regions.Partition(
        p.network, p.domain, ~p.patterns, p.layer_counts, polygons=p.polygons
    )
    with pytest.raises(regions.VerificationError, match="pre-activation"):
        flipped.verify()
    dropped = regions.Partition(
        p.network, p.domain, p.patterns[1:], [*p.layer_counts[:-1], len(p) - 1],
        polygons=p.polygons[1:],
    )
    with pytest.raises(regions.VerificationError, match="areas sum to"):
        dropped.verify()


def test_max_regions_fails_early() -> None:
    model = mlp((2, 30, 30, 1), seed=0)
    n = regions.count_regions(model)
    with pytest.raises(regions.RegionLimitError, match=r"more than max_regions=50 regions"):
        regions.linear_regions(model, max_regions=50)
    assert len(regions.linear_regions(model, max_regions=n)) == n
    with pytest.raises(ValueError, match="max_regions must be a positive int or None, got 0"):
        regions.linear_regions(model, max_regions=0)
