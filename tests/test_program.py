"""Program.from_torch: the stage program of piecewise-linear torch models."""

from __future__ import annotations

import copy
import pathlib
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import regions
from regions.errors import (
    InputDimensionError,
    NonFiniteWeightError,
    ShapeMismatchError,
    TrainingModeError,
    UnsupportedLayerError,
)
from regions.network import Network
from regions.plane import Plane
from regions.program import Program, Stage

RTOL = 1e-9


def _init(model: nn.Module, seed: int) -> nn.Module:
    """Set every parameter and BatchNorm buffer from a local RNG; eval mode."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.7, size=tuple(p.shape))))
        for m in model.modules():
            if type(m) in (nn.BatchNorm1d, nn.BatchNorm2d):
                m.running_mean.copy_(torch.from_numpy(rng.normal(0.0, 0.5, m.num_features)))
                m.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, m.num_features)))
    return model.eval()


def _torch64(model: nn.Module, x: np.ndarray) -> np.ndarray:
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        y = m(torch.from_numpy(x))
    return y.reshape(x.shape[0], -1).numpy()


def _check(
    model: nn.Module, input_shape: tuple[int, ...] | None = None, seed: int = 0, n: int = 300
) -> Program:
    """Compile ``model`` and compare with torch in float64 at random inputs."""
    prog = Program.from_torch(model, input_shape)
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, size=(n, *prog.input_shape))
    ref = _torch64(model, x)
    got = prog.forward(x.reshape(n, -1))
    np.testing.assert_allclose(got, ref, rtol=0, atol=RTOL * max(1.0, np.abs(ref).max()))
    # the (P, *input_shape) form is accepted too
    np.testing.assert_array_equal(prog.forward(x), got)
    return prog


def _hook_inputs(model: nn.Module, types: tuple[type, ...], x: np.ndarray) -> list[np.ndarray]:
    """Inputs of the modules of the given types in a float64 forward pass, in call order."""
    m64 = copy.deepcopy(model).double()
    seen: list[np.ndarray] = []
    handles = [
        sub.register_forward_hook(
            lambda mod, inp, out: seen.append(inp[0].reshape(inp[0].shape[0], -1).numpy())
        )
        for sub in m64.modules()
        if type(sub) in types
    ]
    with torch.no_grad():
        m64(torch.from_numpy(x))
    for h in handles:
        h.remove()
    return seen


def _mlp() -> nn.Sequential:
    return _init(
        nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3)), 1
    )


class FunctionalMLP(nn.Module):
    def __init__(self, seq: nn.Sequential) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = seq[0], seq[2], seq[4]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


# ------------------------------------------------------------------ MLPs
def test_sequential_mlp_forward_preactivations_and_layout() -> None:
    model = _mlp()
    prog = _check(model)
    assert prog.input_shape == (2,)
    assert [s.kind for s in prog.stages] == ["relu", "relu"]
    assert prog.widths == (8, 6)
    assert [s.weight.shape for s in prog.stages] == [(8, 2), (6, 10)]
    assert prog.out_weight.shape == (3, 16)
    assert prog.state_offsets == (2, 10) and prog.n_state == 16
    assert [s.path for s in prog.stages] == ["1", "3"]
    # the second layer reads only the first layer's outputs
    assert not prog.stages[1].weight[:, :2].any()
    x = np.random.default_rng(5).normal(size=(50, 2))
    zs = prog.preactivations(x)
    ref = _hook_inputs(model, (nn.ReLU,), x)
    for z, r in zip(zs, ref, strict=True):
        np.testing.assert_allclose(z, r, rtol=0, atol=RTOL * max(1.0, np.abs(r).max()))
    # model untouched
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_functional_mlp_gives_the_same_program() -> None:
    seq = _mlp()
    a = Program.from_torch(seq)
    b = _check(FunctionalMLP(seq))
    assert [s.kind for s in b.stages] == ["relu", "relu"]
    assert b.stages[0].path == "F.relu at node relu"
    for sa, sb in zip(a.stages, b.stages, strict=True):
        np.testing.assert_array_equal(sa.weight, sb.weight)
        np.testing.assert_array_equal(sa.bias, sb.bias)
    np.testing.assert_array_equal(a.out_weight, b.out_weight)


def test_from_network_matches_network_and_torch() -> None:
    model = _mlp()
    net = Network.from_torch(model)
    prog = Program.from_network(net)
    direct = Program.from_torch(model)
    x = np.random.default_rng(3).normal(0, 3, size=(100, 2))
    np.testing.assert_allclose(prog.forward(x), net.forward(x), rtol=1e-12, atol=1e-12)
    for z1, z2 in zip(prog.preactivations(x), net.preactivations(x), strict=True):
        np.testing.assert_allclose(z1, z2, rtol=1e-12, atol=1e-12)
    for s1, s2 in zip(prog.stages, direct.stages, strict=True):
        np.testing.assert_allclose(s1.weight, s2.weight, rtol=1e-15, atol=0)
    assert Program.from_torch(net).n_state == prog.n_state  # a Network goes to from_network
    assert [s.path for s in prog.stages] == ["1", "3"]


def test_from_network_without_hidden_layers() -> None:
    net = Network.from_arrays([], (np.array([[1.0, 2.0]]), np.array([0.5])))
    prog = Program.from_network(net)
    assert prog.stages == () and prog.out_weight.shape == (1, 2)
    np.testing.assert_allclose(prog.forward(np.array([[1.0, 1.0]])), [[3.5]])


ACTIVATION_MODELS = {
    "leaky": (lambda: nn.Sequential(nn.Linear(2, 6), nn.LeakyReLU(0.1), nn.Linear(6, 2)), "leaky"),
    "prelu_per_channel": (
        lambda: nn.Sequential(nn.Linear(2, 6), nn.PReLU(6), nn.Linear(6, 1)),
        "leaky",
    ),
    "prelu_shared": (lambda: nn.Sequential(nn.Linear(2, 6), nn.PReLU(), nn.Linear(6, 1)), "leaky"),
    "relu6": (lambda: nn.Sequential(nn.Linear(2, 6), nn.ReLU6(), nn.Linear(6, 1)), "hardtanh"),
    "hardtanh": (
        lambda: nn.Sequential(nn.Linear(2, 6), nn.Hardtanh(-0.5, 2.0), nn.Linear(6, 1)),
        "hardtanh",
    ),
    "dropout_bn_identity_flatten": (
        lambda: nn.Sequential(
            nn.Linear(2, 6),
            nn.BatchNorm1d(6),
            nn.Dropout(0.3),
            nn.ReLU(),
            nn.Identity(),
            nn.Flatten(),
            nn.Linear(6, 1),
        ),
        "relu",
    ),
    "nested_sequential": (
        lambda: nn.Sequential(
            nn.Sequential(nn.Linear(2, 5), nn.ReLU()),
            nn.Sequential(nn.Sequential(nn.Linear(5, 4), nn.ReLU()), nn.Linear(4, 1)),
        ),
        "relu",
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIVATION_MODELS))
def test_activations_and_affine_modules(name: str) -> None:
    make, kind = ACTIVATION_MODELS[name]
    model = _init(make(), 7)
    prog = _check(model)
    assert {s.kind for s in prog.stages} == {kind}
    x = np.random.default_rng(8).normal(0, 3, size=(40, 2))
    types = (nn.LeakyReLU, nn.PReLU, nn.ReLU6, nn.Hardtanh, nn.ReLU)
    for z, r in zip(prog.preactivations(x), _hook_inputs(model, types, x), strict=True):
        np.testing.assert_allclose(z, r, rtol=0, atol=RTOL * max(1.0, np.abs(r).max()))


def test_stage_parameters_of_activations() -> None:
    model = _init(
        nn.Sequential(
            nn.Linear(2, 3), nn.PReLU(3), nn.Linear(3, 3), nn.ReLU6(), nn.Hardtanh(-2.0, 0.5)
        ),
        2,
    )
    prog = _check(model)
    s0, s1, s2 = prog.stages
    np.testing.assert_array_equal(s0.slope, model[1].weight.detach().double().numpy())
    np.testing.assert_array_equal(s1.lo, 0.0)
    np.testing.assert_array_equal(s1.hi, 6.0)
    np.testing.assert_array_equal(s2.lo, -2.0)
    np.testing.assert_array_equal(s2.hi, 0.5)
    assert s2.path == "4"


class ListNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 5), nn.Linear(5, 5), nn.Linear(5, 2)])
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


def test_module_list_and_reused_relu() -> None:
    prog = _check(_init(ListNet(), 4))
    assert [s.path for s in prog.stages] == ["act", "act"]
    assert prog.widths == (5, 5)


# ------------------------------------------------------------------ wiring
class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(2, 4)
        self.block = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
        self.out = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        h = F.relu(h + self.block(h))
        return self.out(h)


class SimpleResidual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.lin(x))


class Concat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(2, 3)
        self.b = nn.Linear(2, 4)
        self.out = nn.Linear(7, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([F.relu(self.a(x)), self.b(x).relu()], dim=1))


def test_simple_residual() -> None:
    prog = _check(_init(SimpleResidual(), 3))
    # y = x + a_1: the output reads the input columns and the stage columns
    np.testing.assert_array_equal(prog.out_weight, np.hstack([np.eye(2), np.eye(2)]))


def test_residual_block() -> None:
    prog = _check(_init(Residual(), 5))
    assert [s.path for s in prog.stages] == ["block.1", "F.relu at node relu"]
    assert prog.stages[1].weight.shape == (4, 6)
    # the second stage reads the input (through h) and the block's ReLU
    assert prog.stages[1].weight[:, :2].any() and prog.stages[1].weight[:, 2:].any()


def test_concatenation() -> None:
    prog = _check(_init(Concat(), 6))
    assert prog.widths == (3, 4)
    # the second stage (b(x).relu()) does not read the first stage's outputs
    assert not prog.stages[1].weight[:, 2:].any()
    assert prog.out_weight.shape == (2, 9)


class Arithmetic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(2, 4)
        self.b = nn.Linear(2, 4)
        self.shift = nn.Parameter(torch.zeros(4))
        self.out = nn.Linear(2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = 2.0 * self.a(x) - self.b(x) / 4 + self.shift
        h = -F.leaky_relu(h, negative_slope=0.2) + 1
        h = torch.sub(h, torch.add(self.b(x), 0.5, alpha=2))
        h = F.hardtanh(h, min_val=-1.0, max_val=2.0)
        g = F.relu6(h.view(x.size(0), 2, 2)).reshape(x.shape[0], -1)
        return self.out(g[:, 1:3] - 3 * g[:, :2])


def test_arithmetic_functions_and_reshapes() -> None:
    prog = _check(_init(Arithmetic(), 9))
    assert [s.kind for s in prog.stages] == ["leaky", "hardtanh", "hardtanh"]
    assert prog.stages[1].lo[0] == -1.0 and prog.stages[2].hi[0] == 6.0


# ------------------------------------------------------------------ conv nets
def _convnet(pool: nn.Module) -> nn.Sequential:
    return _init(
        nn.Sequential(
            nn.Conv2d(1, 3, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(3, 4, 3),
            nn.ReLU(),
            pool,
            nn.Flatten(),
            nn.Linear(4 * 3 * 3, 2),
        ),
        11,
    )


def test_convnet_avgpool() -> None:
    model = _convnet(nn.AvgPool2d(2))
    prog = _check(model, (1, 8, 8))
    assert prog.input_shape == (1, 8, 8)
    assert prog.widths == (3 * 8 * 8, 4 * 6 * 6)
    assert prog.n_state == 64 + 192 + 144
    x = np.random.default_rng(1).normal(size=(20, 1, 8, 8))
    for z, r in zip(prog.preactivations(x), _hook_inputs(model, (nn.ReLU,), x), strict=True):
        np.testing.assert_allclose(z, r, rtol=0, atol=RTOL * max(1.0, np.abs(r).max()))


def test_convnet_maxpool() -> None:
    model = _convnet(nn.MaxPool2d(2))
    prog = _check(model, (1, 8, 8))
    assert [s.kind for s in prog.stages] == ["relu", "relu", "maxpool"]
    pool = prog.stages[2]
    assert pool.n_in == 144 and pool.groups.shape == (36, 4) and pool.n_out == 36
    # channel 0, output (0, 0) pools z at (0,0), (0,1), (1,0), (1,1) of the 6x6 map
    np.testing.assert_array_equal(pool.groups[0], [0, 1, 6, 7])
    assert prog.n_state == 64 + 192 + 144 + 36


class Conv1dNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 2, 3)
        self.pool = nn.MaxPool1d(3, stride=2)
        self.out = nn.Linear(2 * 6, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.conv(x))
        h = F.max_pool1d(h, 2)  # (2, 6) -> (2, 3)
        return self.out(torch.cat([h, h], dim=2).flatten(1))


def test_conv1d_maxpool1d() -> None:
    prog = _check(_init(Conv1dNet(), 12), (1, 16))
    assert [s.kind for s in prog.stages] == ["maxpool", "maxpool"]
    assert prog.stages[0].groups.shape == (12, 3)  # overlapping windows of the 14 conv outputs
    np.testing.assert_array_equal(prog.stages[0].groups[1], [2, 3, 4])
    assert prog.stages[1].groups.shape == (6, 2)


class FunctionalConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * 2 * 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn(self.conv(x)), inplace=True)
        h = F.max_pool2d(h, 2)
        return self.fc(h.view(h.size(0), -1))


def test_functional_conv_with_batchnorm2d() -> None:
    prog = _check(_init(FunctionalConv(), 13), (2, 4, 4))
    assert [s.kind for s in prog.stages] == ["relu", "maxpool"]


# ------------------------------------------------------------------ split functions
def test_split_functions() -> None:
    model = _init(
        nn.Sequential(nn.Linear(2, 4), nn.Hardtanh(-1.0, 0.5), nn.Linear(4, 4), nn.LeakyReLU()),
        3,
    )
    prog = Program.from_torch(model)
    b0, beta0 = prog.split_functions(0)
    np.testing.assert_array_equal(b0, np.vstack([np.eye(4), np.eye(4)]))
    np.testing.assert_array_equal(beta0, [1, 1, 1, 1, -0.5, -0.5, -0.5, -0.5])
    b1, beta1 = prog.split_functions(1)
    np.testing.assert_array_equal(b1, np.eye(4))
    np.testing.assert_array_equal(beta1, np.zeros(4))
    pool = Program.from_torch(_convnet(nn.MaxPool2d(2)), (1, 8, 8))
    b2, beta2 = pool.split_functions(2)
    assert b2.shape == (36 * 6, 144) and not beta2.any()
    assert (b2.sum(axis=1) == 0).all() and (np.abs(b2).sum(axis=1) == 2).all()


def test_split_functions_of_overlapping_windows_are_unique() -> None:
    st = Stage("maxpool", np.eye(4), np.zeros(4), groups=np.array([[0, 1, 2], [1, 2, 3]]))
    b, _ = Program((4,), (st,), np.ones((1, 6)), np.zeros(1)).split_functions(0)
    assert b.shape == (5, 4)  # (0,1), (0,2), (1,2), (1,3), (2,3)


# ------------------------------------------------------------------ planes
def test_on_plane_mlp() -> None:
    model = _mlp()
    rng = np.random.default_rng(21)
    a, b, c = rng.normal(size=(3, 2))
    plane = Plane.through(a, b, c)
    prog = Program.from_torch(model).on_plane(plane)
    assert prog.input_shape == (2,)
    st = rng.uniform(-2, 2, size=(200, 2))
    ref = _torch64(model, plane.to_input(st))
    np.testing.assert_allclose(prog.forward(st), ref, rtol=0, atol=RTOL * np.abs(ref).max())


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_on_plane_convnet(pool: str) -> None:
    model = _convnet(nn.AvgPool2d(2) if pool == "avg" else nn.MaxPool2d(2))
    rng = np.random.default_rng(22)
    a, b, c = rng.normal(size=(3, 1, 8, 8))
    plane = Plane.through(a, b, c)
    prog = Program.from_torch(model, (1, 8, 8)).on_plane(plane)
    assert prog.input_shape == (2,) and prog.stages[0].weight.shape == (192, 2)
    st = rng.uniform(-1, 2, size=(200, 2))
    ref = _torch64(model, plane.to_input(st))
    np.testing.assert_allclose(prog.forward(st), ref, rtol=0, atol=RTOL * np.abs(ref).max())
    # the three points are at (0, 0), (1, 0), (0, 1)
    np.testing.assert_allclose(
        prog.forward(plane.points()), _torch64(model, np.stack([a, b, c])), rtol=1e-9
    )


def test_on_plane_rejects_other_shapes() -> None:
    prog = Program.from_torch(_mlp())
    with pytest.raises(InputDimensionError, match=r"plane's points have shape \(3,\)"):
        prog.on_plane(Plane.through([0.0, 0, 0], [1.0, 0, 0], [0.0, 1, 0]))


# ------------------------------------------------------------------ rejections
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
def test_rejects_smooth_layers(layer: nn.Module, name: str) -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), layer, nn.Linear(4, 1))
    with pytest.raises(UnsupportedLayerError, match=rf"unsupported layer {name} at index 3"):
        Program.from_torch(model)


class MyReLU(nn.ReLU):
    pass


def test_rejects_relu_subclass() -> None:
    model = nn.Sequential(nn.Linear(2, 4), MyReLU(), nn.Linear(4, 1))
    with pytest.raises(
        UnsupportedLayerError,
        match=r"unsupported layer MyReLU at index 1 \(a subclass of nn.ReLU\)",
    ):
        Program.from_torch(model)
    with pytest.raises(
        UnsupportedLayerError, match=r"unsupported layer MyReLU \(a subclass of nn.ReLU\);"
    ):
        Program.from_torch(MyReLU(), input_shape=(2,))


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.act = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.lin(x))


def test_rejection_names_the_module_path() -> None:
    model = nn.Sequential(Block(), nn.Linear(2, 1))
    with pytest.raises(UnsupportedLayerError, match=r"nn.Tanh at 0.act"):
        Program.from_torch(model)


def test_rejects_training_mode() -> None:
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(TrainingModeError, match=r"nn.BatchNorm1d at index 1 is in training mode"):
        Program.from_torch(bn)
    drop = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))
    with pytest.raises(TrainingModeError, match=r"nn.Dropout at index 2 is in training mode"):
        Program.from_torch(drop)
    assert drop.training and bn.training  # untouched

    class FDrop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.dropout(self.lin(x), 0.2)  # training=True by default

    with pytest.raises(TrainingModeError, match=r"F.dropout at node dropout has training=True"):
        Program.from_torch(FDrop().eval())


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.lin(x)
        return -x


def test_rejects_data_dependent_control_flow() -> None:
    with pytest.raises(UnsupportedLayerError, match=r"cannot be traced by torch.fx.*control flow"):
        Program.from_torch(Branchy())


class Smooth(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.lin(x))


class Product(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x) * x


class BatchCat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.lin(x), x])


class BatchView(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x).view(-1)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (Smooth(), r"unsupported function torch.tanh at node tanh"),
        (Product(), r"operator.mul at node mul multiplies or divides two tensors"),
        (BatchCat(), r"torch.cat at node cat concatenates along the batch dimension"),
        (BatchView(), r"Tensor.view at node view mixes the samples of a batch"),
    ],
)
def test_rejects_functions(model: nn.Module, match: str) -> None:
    with pytest.raises(UnsupportedLayerError, match=match):
        Program.from_torch(model)


def test_rejects_maxpool_padding_and_partial_windows() -> None:
    pad = nn.Sequential(nn.MaxPool2d(2, padding=1), nn.Flatten(), nn.Linear(25, 1))
    with pytest.raises(UnsupportedLayerError, match=r"nn.MaxPool2d at index 0 with padding=1"):
        Program.from_torch(pad, (1, 8, 8))
    ceil = nn.Sequential(nn.MaxPool2d(3, ceil_mode=True), nn.Flatten(), nn.Linear(9, 1))
    with pytest.raises(UnsupportedLayerError, match=r"ceil_mode=True has partial windows"):
        Program.from_torch(ceil, (1, 8, 8))
    # ceil_mode without partial windows is the same pooling
    _check(_init(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True), nn.Flatten()), 0), (1, 4, 4))


def test_rejects_non_finite_weights() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[2].bias[0] = float("nan")
    with pytest.raises(
        NonFiniteWeightError, match=r"nn.Linear at index 2 has NaN values in its bias"
    ):
        Program.from_torch(model)


def test_input_shape_inference_and_validation() -> None:
    conv = _convnet(nn.AvgPool2d(2))
    with pytest.raises(
        InputDimensionError, match=r"cannot infer the input shape.*nn.Conv2d at index 0"
    ):
        Program.from_torch(conv)
    with pytest.raises(InputDimensionError, match=r"input_shape must be a tuple of positive"):
        Program.from_torch(conv, (0, 8))
    with pytest.raises(ShapeMismatchError, match=r"nn.Linear at index 0 has in_features=2"):
        Program.from_torch(_mlp(), (3,))
    # a model with in_features=5 reads (5,) inputs
    assert Program.from_torch(nn.Sequential(nn.Linear(5, 1))).input_shape == (5,)
    with pytest.raises(TypeError, match=r"must be a torch.nn.Module"):
        Program.from_torch("not a model")


def test_model_is_not_modified() -> None:
    model = _convnet(nn.MaxPool2d(2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    Program.from_torch(model, (1, 8, 8))
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k, v in before.items():
        assert after[k].dtype == v.dtype and torch.equal(after[k], v)
    assert not hasattr(model, "_tensor_constant0")


def test_program_validation() -> None:
    st = Stage("relu", np.ones((2, 3)), np.zeros(2))
    with pytest.raises(ShapeMismatchError, match=r"reads 3 state columns, but the state before"):
        Program((2,), (st,), np.ones((1, 5)), np.zeros(1))
    with pytest.raises(ValueError, match=r"kind must be one of"):
        Stage("tanh", np.ones((2, 2)), np.zeros(2))
    with pytest.raises(ShapeMismatchError, match=r"groups must be a \(G, k\) array"):
        Stage("maxpool", np.ones((2, 2)), np.zeros(2), groups=np.array([[0, 2]]))
    with pytest.raises(InputDimensionError, match=r"x must be \(P, 2\)"):
        Program.from_torch(_mlp()).forward(np.zeros((4, 3)))


def test_functional_convolutions_with_torch_defaults() -> None:
    # F.conv2d(x, w) and F.conv1d(x, w, padding=1): stride, padding, dilation and groups
    # take torch's defaults when left out
    import regions

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.k2 = torch.nn.Parameter(torch.randn(2, 1, 3, 3))
            self.k1 = torch.nn.Parameter(torch.randn(2, 1, 3))
            self.out = torch.nn.Linear(2 * 4 * 4 + 2 * 6, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            a = F.relu(F.conv2d(x, self.k2))
            b = F.relu(F.conv1d(x.reshape(-1, 1, 36)[:, :, :6], self.k1, padding=1))
            return self.out(torch.cat([a.flatten(1), b.flatten(1)], 1))

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    plane = Plane.through(*(rng.normal(size=(1, 6, 6)) for _ in range(3)))
    p = regions.linear_regions(Net().eval(), plane=plane)
    p.verify()
    assert len(p) > 100


def test_input_shape_inferred_from_a_functional_linear() -> None:
    import regions

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(4, 2))
            self.b = nn.Parameter(torch.randn(4))
            self.out = nn.Linear(4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out(F.relu(F.linear(x, self.w, self.b)))

    torch.manual_seed(0)
    net = Net()
    p = regions.linear_regions(net)
    p.verify()
    assert regions.count_regions(net) == len(p)


# ------------------------------------------------------------ TorchScript, fx (QA round 12)
def _scripted(model: nn.Module, x: torch.Tensor) -> list[torch.nn.Module]:
    """``torch.jit.script`` and ``torch.jit.trace`` of ``model``, each also saved and loaded."""
    import io
    import warnings

    out = []
    with warnings.catch_warnings():  # torch 2.10+ deprecates TorchScript; files still hold it
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # training-mode BatchNorm
        for sm in (torch.jit.script(model), torch.jit.trace(model, x, check_trace=False)):
            buf = io.BytesIO()
            torch.jit.save(sm, buf)
            buf.seek(0)
            out += [sm, torch.jit.load(buf)]
    return out


def test_torchscript_sequentials_of_every_supported_layer_count_as_the_eager_model() -> None:
    import regions

    torch.manual_seed(12)
    relu = nn.ReLU()  # used twice: applied twice
    conv = _init(
        nn.Sequential(
            nn.Conv2d(1, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), relu,
            nn.MaxPool2d(2), nn.AvgPool2d(1), nn.AdaptiveAvgPool2d(2), nn.Dropout2d(0.1),
            nn.Flatten(), nn.Unflatten(1, (3, 4)), nn.Conv1d(3, 2, 2, stride=1), relu,
            nn.Dropout1d(0.1), nn.Flatten(),
            nn.Sequential(nn.Linear(6, 5), nn.LeakyReLU(0.2)), nn.PReLU(5), nn.Dropout(0.2),
            nn.Identity(), nn.Linear(5, 4, bias=False), nn.ReLU6(), nn.Linear(4, 4),
            nn.Hardtanh(-0.5, 0.5), nn.Linear(4, 2),
        ),
        seed=12,
    )
    a = np.zeros((1, 6, 6))
    a[:, :, 2] = 1
    b = np.zeros((1, 6, 6))
    b[:, 2, :] = 1
    plane = Plane.through(a, b, np.eye(6)[None])
    box = (-1, -1, 2, 2)
    ref = regions.linear_regions(conv, box, plane=plane)
    leaky = _init(nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.1), nn.Linear(8, 1)), seed=13)
    ref2 = regions.count_regions(leaky)
    x = torch.from_numpy(np.random.default_rng(12).normal(size=(3, 1, 6, 6))).float()
    for sm in _scripted(conv.float(), x):
        p = regions.linear_regions(sm, box, plane=plane)
        p.verify()
        assert len(p) == len(ref) > 50
        assert regions.count_regions(sm, box, plane=plane) == len(ref)
    for sm in _scripted(leaky.float(), torch.zeros(1, 2)):
        assert regions.count_regions(sm) == ref2 > 5


@pytest.mark.parametrize("layer", [nn.Dropout(0.5), nn.BatchNorm1d(8)])
def test_torchscript_layers_in_training_mode_raise_as_the_eager_model(layer: nn.Module) -> None:
    import regions

    torch.manual_seed(13)
    m = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), layer, nn.Linear(8, 1)).train()
    with pytest.raises(TrainingModeError, match="at index 2 is in training mode"):
        regions.count_regions(m)
    for sm in _scripted(m, torch.randn(4, 2)):
        with pytest.raises(TrainingModeError, match="at index 2 is in training mode"):
            regions.count_regions(sm)


def test_torchscript_custom_module_is_refused_saying_why() -> None:
    import regions

    torch.manual_seed(14)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.a(x))

    for sm in _scripted(Net(), torch.zeros(1, 2)):
        with pytest.raises(UnsupportedLayerError, match=r"TorchScript module Net.*nn.Sequential"
                           r".*not its Python forward, which torch.fx needs"):
            regions.count_regions(sm)
    tanh = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    for sm in _scripted(tanh, torch.zeros(1, 2)):
        with pytest.raises(UnsupportedLayerError, match=r"unsupported layer nn.Tanh at index 1"):
            regions.count_regions(sm)


def test_fx_graph_modules_count_as_the_models_they_trace() -> None:
    import torch.fx

    import regions

    torch.manual_seed(15)
    mlp = _init(nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(),
                              nn.Linear(6, 1)), seed=15)

    class Res(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(2, 6), nn.Linear(6, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.b(F.leaky_relu(self.a(x), 0.1))

    res = _init(Res(), seed=16)
    for model in (mlp, res):
        ref = regions.count_regions(model, (-3, -3, 3, 3))
        gm = torch.fx.symbolic_trace(model)
        assert regions.count_regions(gm, (-3, -3, 3, 3)) == ref > 10
        assert regions.count_regions(gm, (-3, -3, 3, 3), input_shape=(2,)) == ref
        assert len(regions.linear_regions(gm, None)) == len(regions.linear_regions(model, None))
        assert Program.from_torch(gm).widths == Program.from_torch(model).widths


class _LSTMNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: nn.Sequential(nn.Embedding(10, 2), nn.Linear(2, 1)), r"nn.Embedding at index 0"),
        (lambda: nn.Sequential(nn.LSTM(2, 3)), r"nn.LSTM at index 0"),
        (_LSTMNet, r"nn.LSTM at rnn"),
    ],
)
def test_an_unsupported_first_layer_is_named_rather_than_the_input_shape(
    make: Callable[[], nn.Module], name: str
) -> None:
    import regions

    torch.manual_seed(17)
    with pytest.raises(UnsupportedLayerError, match="unsupported layer " + name):
        regions.count_regions(make())
    with pytest.raises(UnsupportedLayerError, match="unsupported layer " + name):
        Program.from_torch(make())


def test_model_files_of_torchscript_sequentials_read_every_supported_layer(
    tmp_path: pathlib.Path,
) -> None:
    # the command line's loader: a saved scripted LeakyReLU net counts as the eager one, and
    # a saved net with Dropout in training mode raises instead of being read as Identity
    from regions.io import load_model

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.1), nn.Linear(8, 1)).eval()
    drop = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1)).train()
    for name, m in (("leaky", model), ("drop", drop)):
        with warnings.catch_warnings():  # torch marks TorchScript as deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.save(torch.jit.script(m), str(tmp_path / f"{name}.pt"))
    loaded = load_model(tmp_path / "leaky.pt")
    assert regions.count_regions(loaded) == regions.count_regions(model)
    with pytest.raises(TrainingModeError):
        regions.count_regions(load_model(tmp_path / "drop.pt"))


@pytest.mark.parametrize("slope", [float("nan"), float("inf")])
def test_a_non_finite_slope_is_a_non_finite_weight(slope: float) -> None:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(slope), nn.Linear(2, 1))
    with pytest.raises(NonFiniteWeightError, match="slope must be finite"):
        regions.count_regions(m, (-1, -1, 1, 1))
