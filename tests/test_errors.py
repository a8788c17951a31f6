"""Bad input: each gets a clear exception naming what is wrong."""

from __future__ import annotations

import math
import re
from typing import Any

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


def _small_net(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "foo"}, r"method must be one of .*'foo'"),
        ({"kernel": "cuda"}, r"kernel must be one of .*'cuda'"),
        ({"kernel": np.array(["a", "b"])}, r"kernel must be one of"),
        ({"workers": 0}, r"workers must be a positive int or None, got 0"),
        ({"workers": 2.5}, r"workers must be a positive int or None, got 2.5"),
        ({"workers": True}, r"workers must be a positive int or None, got True"),
        ({"merge": "no"}, r"merge must be True or False, got 'no'"),
        ({"merge": np.array([1, 1])}, r"merge must be True or False"),
        ({"progress": None}, r"progress must be True or False, got None"),
    ],
)
def test_count_regions_keyword_arguments_are_checked(kwargs: dict, match: str) -> None:
    with pytest.raises(regions.ParameterError, match=match) as info:
        regions.count_regions(_small_net(0), **kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RegionsError)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "10"])
def test_max_regions_is_checked(bad: object) -> None:
    with pytest.raises(regions.ParameterError, match=r"max_regions must be a positive int"):
        regions.linear_regions(_small_net(1), max_regions=bad)


def test_numpy_integers_are_accepted_as_counts() -> None:
    net = _small_net(2)
    n = regions.count_regions(net)
    assert regions.count_regions(net, workers=np.int64(1)) == n
    assert len(regions.linear_regions(net, max_regions=np.int32(1000))) == n


@pytest.mark.parametrize("method", ["fast", "shapely"])
def test_max_regions_holds_for_both_splitters(method: str) -> None:
    net = mlp([2, 5, 1], 0)
    assert len(regions.linear_regions(net, method=method)) > 2
    with pytest.raises(regions.RegionLimitError, match=r"max_regions=2 .*\(\d+ so far\)"):
        regions.linear_regions(net, method=method, max_regions=2)


def test_wrong_argument_types_name_the_parameter() -> None:
    from regions.export import to_geojson

    with pytest.raises(regions.ArgumentTypeError, match=r"model must be a torch.nn.Module.*str"):
        regions.count_regions("model.pt")
    with pytest.raises(regions.ArgumentTypeError, match=r"plane must be a regions.Plane.*tuple"):
        regions.count_regions(_small_net(3), plane=([0, 0], [1, 0], [0, 1]))
    p = regions.linear_regions(_small_net(3))
    with pytest.raises(regions.ParameterError, match=r"color_by must be one of .*'foo'"):
        p.plot(color_by="foo")
    with pytest.raises(regions.ArgumentTypeError, match=r"partition must be a regions.Partition"):
        to_geojson("not a partition")


def test_locate_refuses_points_it_cannot_place() -> None:
    p = regions.linear_regions(_small_net(4))
    with pytest.raises(InputDimensionError, match=r"finite"):
        p.locate([[np.nan, 0.0]])
    with pytest.raises(InputDimensionError, match=r"\(P, 2\)"):
        p.locate([[1.0, 2.0, 3.0]])


def test_weights_that_cannot_be_read_name_their_layer() -> None:
    meta = nn.Sequential(nn.Linear(2, 3, device="meta"), nn.ReLU(), nn.Linear(3, 1, device="meta"))
    with pytest.raises(regions.ArgumentTypeError, match=r"nn.Linear at index 0.*meta device"):
        regions.count_regions(meta)
    cplx = nn.Sequential(nn.Linear(2, 3, dtype=torch.complex64), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(regions.ArgumentTypeError, match=r"nn.Linear at index 0.*complex"):
        regions.count_regions(cplx)
    empty = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    empty[2].weight = nn.Parameter(torch.zeros(0, 4))
    empty[2].bias = nn.Parameter(torch.zeros(0))
    with pytest.raises(ShapeMismatchError, match=r"nn.Linear at index 2 has out_features=0"):
        regions.linear_regions(empty)


def test_affine_layers_whose_product_overflows() -> None:
    big = nn.Sequential(
        nn.Linear(2, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)
    ).double()
    with torch.no_grad():
        for k in range(3):
            big[k].weight.mul_(1e120)
    with pytest.raises(NonFiniteWeightError, match=r"overflows float64"):
        regions.count_regions(big)


def test_integer_weights_verify() -> None:
    lin1, lin2 = nn.Linear(2, 3), nn.Linear(3, 1)
    rng = np.random.default_rng(5)
    model = nn.Sequential(lin1, nn.ReLU(), lin2)
    for lin in (lin1, lin2):
        lin.weight = nn.Parameter(
            torch.from_numpy(rng.integers(-3, 4, size=tuple(lin.weight.shape))), requires_grad=False
        )
        lin.bias = nn.Parameter(
            torch.from_numpy(rng.integers(-3, 4, size=tuple(lin.bias.shape))), requires_grad=False
        )
    p = regions.linear_regions(model)
    p.verify()
    assert model[0].weight.dtype == torch.int64  # the model is not changed


@pytest.mark.parametrize(
    ("bbox", "match"),
    [
        ((-1e300, -1e300, 1e300, 1e300), r"overflow float64"),
        ((-1e-300, -1e-300, 1e-300, 1e-300), r"too thin"),
        ((1e6, 0.0, 1e6 + 1e-6, 1.0), r"too thin"),
        (shapely.box(-1e300, -1e300, 1e300, 1e300), r"overflow float64"),
    ],
)
def test_domains_float64_cannot_partition(bbox: object, match: str) -> None:
    with pytest.raises(DomainError, match=match):
        regions.count_regions(_small_net(6), bbox)


def test_check_partition_names_a_wrong_argument() -> None:
    for bad in (None, "p", torch.nn.Linear(2, 1)):
        with pytest.raises(regions.ArgumentTypeError, match="p must be a regions.Partition"):
            regions.check_partition(bad)


def test_repr_says_when_the_domain_is_a_polygon() -> None:
    net = regions.Network.from_arrays([([[1.0, 0.0]], [0.0])], ([[1.0]], [0.0]))
    ell = shapely.Polygon([(-3, -3), (3, -3), (3, 0), (0, 0), (0, 3), (-3, 3)])
    assert "over a Polygon inside (-3.0, -3.0, 3.0, 3.0)" in repr(regions.linear_regions(net, ell))
    assert "over (-3.0, -3.0, 3.0, 3.0)," in repr(regions.linear_regions(net, (-3, -3, 3, 3)))


@pytest.mark.parametrize("bad", ["ab", [[1.0, "x"]], object(), [[1j, 2.0]]])
def test_locate_names_points_it_cannot_read(bad: object) -> None:
    p = regions.linear_regions(_small_net(4))
    with pytest.raises(regions.ArgumentTypeError, match=r"points must be a \(P, 2\) array-like"):
        p.locate(bad)


def test_tensors_that_require_grad_are_read_detached() -> None:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3))
    box = torch.tensor([-2.0, -2.0, 2.0, 2.0], requires_grad=True)
    pts = torch.tensor([[0.1, 0.2], [5.0, 5.0]], requires_grad=True)
    n = regions.count_regions(m, (-2, -2, 2, 2))
    assert regions.count_regions(m, box) == n
    p = regions.linear_regions(m, box)
    assert len(p) == n
    assert p.locate(pts).tolist() == p.locate(pts.detach().numpy()).tolist()
    plain = [[0.1, 0.2], [5, 5]]
    assert regions.predict_class(p, pts).tolist() == regions.predict_class(p, plain).tolist()
    assert regions.gradient_raster(m, box, 8).image.shape == (8, 8)
    net = regions.Network.from_arrays([(m[0].weight, m[0].bias)], (m[2].weight, m[2].bias))
    assert regions.count_regions(net, (-2, -2, 2, 2)) == n


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m, p: regions.count_regions(m, np.array([-2 + 5j, -2, 2, 2])), DomainError,
         r"bbox must be four numbers"),
        (lambda m, p: regions.count_regions(m, torch.tensor([-2 + 5j, -2, 2, 2])), DomainError,
         r"bbox must be four numbers"),
        (lambda m, p: regions.count_regions(m, ("-3", "-3", "3", "3")), DomainError,
         r"bbox must be four numbers"),
        (lambda m, p: p.locate(np.array([[0.5 + 9j, 0.5]])), regions.ArgumentTypeError,
         r"points must be a \(P, 2\) array-like of real numbers"),
        (lambda m, p: regions.Network.from_arrays(
            [(np.array([[1j, 0], [0, 1j]]), np.zeros(2))], (np.ones((1, 2)), np.zeros(1))),
         regions.ArgumentTypeError, r"hidden\[0\].*complex"),
        (lambda m, p: regions.Plane.through(np.array([0j, 0, 0]), np.eye(3)[0], np.eye(3)[1]),
         DomainError, r"complex"),
        (lambda m, p: regions.Network.from_arrays(
            [(np.eye(2), np.zeros(2))], (np.zeros((0, 2)), np.zeros(0))),
         regions.ShapeMismatchError, r"output layer has no outputs"),
    ],
)
def test_complex_text_and_empty_arrays_are_refused(call: Any, error: type, match: str) -> None:
    # numpy would cast complex to real with only a warning, and parse "3" as a number
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1))
    p = regions.linear_regions(m, (-2, -2, 2, 2))
    with pytest.raises(error, match=match):
        call(m, p)


def test_raster_keywords_and_boxes_are_checked() -> None:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1))
    p = regions.linear_regions(m, (0, 0, 1, 1))
    r = regions.gradient_raster(m, (0, 0, 1, 1), 20)
    with pytest.raises(regions.ParameterError, match="drop_boundary must be True or False"):
        regions.raster_count(r, drop_boundary="False")
    for f in (regions.raster_count, lambda r_, rtol: regions.compare_raster(p, r_, rtol)):
        with pytest.raises(regions.ParameterError, match="rtol must be a number"):
            f(r, rtol="1e-6")
    with pytest.raises(regions.ParameterError, match="rtol must be a number"):
        regions.merge_regions(p, rtol="1e-6")
    with pytest.raises(regions.ParameterError, match="resolution=.* is too large"):
        regions.exact_gradient_image(p, 10**30)
    with pytest.raises(DomainError, match=r"bbox=None \(the whole plane\) cannot be rasterised"):
        regions.gradient_raster(m, None)
    with pytest.raises(DomainError, match="no pixel centre of the raster"):
        regions.compare_raster(p, regions.gradient_raster(m, (5, 5, 6, 6), 20))
    with pytest.raises(regions.ParameterError, match="mark_points must be True or False"):
        regions.plot_partition(p, mark_points="no")


def test_a_face_that_lost_convexity_names_its_layer_and_what_to_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # rounding can bend a face (QA17: boxes 1e6 wide near x = 1.5e9, weights up to 1e6); the
    # error named only the neuron, not the layer, and said nothing a user could do
    import regions.split as split_module
    from regions.errors import TopologyError

    def bent(*args: object, **kwargs: object) -> None:
        raise TopologyError("face 3 is not cut by neuron 1 into two pieces")

    monkeypatch.setattr(split_module, "_split_neuron", bent)
    net = regions.Network.from_arrays(
        [(np.eye(2), np.zeros(2)), (np.array([[1.0, -1.0]]), np.array([0.1]))],
        (np.ones((1, 1)), np.zeros(1)),
    )
    with pytest.raises(TopologyError, match=r"hidden layer \d: face 3 .*Normalizing the inputs"):
        regions.linear_regions(net, (-1, -1, 1, 1), progress=False)
