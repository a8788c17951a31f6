"""Any piecewise-linear torch model: custom modules, other units, convs, residuals, planes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import regions
from regions.domain import as_domain
from regions.oracle import oracle_regions


def sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])] if a.shape[1] else a


def dyadic_linear(gen: torch.Generator, n_in: int, n_out: int) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    with torch.no_grad():
        lin.weight.copy_(torch.randint(-4, 5, (n_out, n_in), generator=gen) / 4)
        lin.bias.copy_(torch.randint(-4, 5, (n_out,), generator=gen) / 4)
    return lin


def seeded(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """``model`` with each Linear's parameters redrawn from ``gen`` (torch's default bounds)."""
    with torch.no_grad():
        for lin in model.modules():
            if isinstance(lin, nn.Linear):
                bound = lin.in_features**-0.5
                for prm in (lin.weight, lin.bias):
                    prm.uniform_(-bound, bound, generator=gen)
    return model


class TwoLayer(nn.Module):
    """The PyTorch tutorial's style: layers as attributes, F.relu in forward."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.fc1 = dyadic_linear(g, 2, 12)
        self.fc2 = dyadic_linear(g, 12, 12)
        self.out = dyadic_linear(g, 12, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))


@pytest.mark.parametrize("seed", range(3))
def test_custom_module_equals_its_sequential_twin(seed: int) -> None:
    net = TwoLayer(seed)
    twin = nn.Sequential(net.fc1, nn.ReLU(), net.fc2, nn.ReLU(), net.out)
    a = regions.linear_regions(net, (-3, -3, 3, 3))
    b = regions.linear_regions(twin, (-3, -3, 3, 3))
    assert type(a.network).__name__ == "PlaneModel"  # through torch.fx, not the MLP reader
    assert len(a) == len(b) and a.layer_counts == b.layer_counts
    np.testing.assert_array_equal(sorted_rows(a.patterns), sorted_rows(b.patterns))
    a.verify()
    assert regions.count_regions(net, None) == regions.count_regions(twin, None)


UNITS = [
    (lambda: nn.LeakyReLU(0.25), ("leaky", 0.25)),
    (lambda: nn.ReLU6(), ("hardtanh", 0, 6)),
    (lambda: nn.Hardtanh(-0.5, 0.75), ("hardtanh", -0.5, 0.75)),
    (lambda: nn.ReLU(), ("relu",)),
]


@pytest.mark.parametrize("unit", range(len(UNITS)))
@pytest.mark.parametrize("seed", range(4))
def test_other_units_match_the_rational_oracle(unit: int, seed: int) -> None:
    make, kind = UNITS[unit]
    g = torch.Generator().manual_seed(100 * unit + seed)
    l1, l2, l3 = dyadic_linear(g, 2, 4), dyadic_linear(g, 4, 3), dyadic_linear(g, 3, 1)
    if kind[0] == "hardtanh" and kind[2] == 6:  # make ReLU6's upper breakpoint reachable
        with torch.no_grad():
            l1.weight.mul_(8)
            l2.weight.mul_(4)
    model = nn.Sequential(l1, make(), l2, make(), l3)
    box = (-2, -2, 2, 2)
    p = regions.linear_regions(model, box)
    p.verify()
    hidden = [(lin.weight.double().tolist(), lin.bias.double().tolist()) for lin in (l1, l2)]
    ref = oracle_regions(hidden, as_domain(box).ring, kinds=[kind, kind])
    assert len(p) == len(ref.cells)
    assert p.layer_counts == list(ref.layer_counts)
    np.testing.assert_array_equal(
        sorted_rows(p.patterns), sorted_rows(np.asarray(ref.patterns, dtype=bool))
    )


@pytest.mark.parametrize("slope", [0.0, 0.1, 0.5])
def test_leaky_relu_counts_equal_regioncam(slope: float) -> None:
    import regioncam  # a dev dependency: the peer to agree with

    g = torch.Generator().manual_seed(int(slope * 10))
    model = nn.Sequential(
        nn.Linear(2, 16), nn.LeakyReLU(slope), nn.Linear(16, 16), nn.LeakyReLU(slope),
        nn.Linear(16, 1),
    )
    with torch.no_grad():
        for prm in model.parameters():
            prm.uniform_(-1, 1, generator=g)
    cam = regioncam.Regioncam(3.0)
    cam.add(regioncam.nn.convert(model))
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    p.verify()
    assert len(p) == cam.num_faces


def test_residual_mlp() -> None:
    class Res(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            g = torch.Generator().manual_seed(5)
            self.a, self.b = dyadic_linear(g, 2, 6), dyadic_linear(g, 6, 6)
            self.c = dyadic_linear(g, 6, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.a(x))
            return self.c(h + F.relu(self.b(h)))

    model = Res()
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    p.verify()
    # the affine map of the region holding each random point is the model there
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(400, 2))
    idx = p.locate(x)
    with torch.no_grad():
        y = model.double()(torch.tensor(x)).numpy()
    pred = np.einsum("pij,pj->pi", p.jacobians[idx], x) + p.offsets[idx]
    np.testing.assert_allclose(pred, y, rtol=1e-9, atol=1e-9)
    assert regions.count_regions(model, None) >= len(p)


def test_maxpool_net() -> None:
    g = torch.Generator().manual_seed(2)
    model = nn.Sequential(
        dyadic_linear(g, 2, 8), nn.Unflatten(1, (1, 8)), nn.MaxPool1d(2), nn.Flatten(),
        nn.ReLU(), dyadic_linear(g, 4, 1),
    )
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    p.verify()
    # every region's affine map is right at random points
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, size=(500, 2))
    idx = p.locate(x)
    with torch.no_grad():
        y = model(torch.tensor(x, dtype=torch.float32)).double().numpy()
    pred = np.einsum("pij,pj->pi", p.jacobians[idx], x) + p.offsets[idx]
    np.testing.assert_allclose(pred, y, rtol=1e-5, atol=1e-5)
    assert len(p.merged()) <= len(p)


def conv_net(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3), nn.ReLU(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(36, 3),
    ).eval()


def unrolled_on_plane(model: nn.Sequential, plane: regions.Plane) -> nn.Sequential:
    """The same conv net as a plain 2-D MLP: each affine block's matrix by autograd."""
    o = torch.tensor(np.asarray(plane.origin), dtype=torch.float64)
    basis = torch.tensor(plane.basis, dtype=torch.float64)  # (64, 2)
    m = model.double()
    blocks = [m[0:1], m[2:3], m[4:7]]  # conv1 | conv2 | pool, flatten, linear
    layers: list[nn.Module] = []
    x0 = o.reshape(1, 1, 8, 8)
    shape_in = x0.shape[1:]
    for i, blk in enumerate(blocks):
        f = lambda v, blk=blk, s=shape_in: blk(v.reshape(1, *s)).reshape(-1)  # noqa: E731
        z0 = f(x0.reshape(-1))
        jac = torch.autograd.functional.jacobian(f, x0.reshape(-1))  # (out, in)
        bias = z0 - jac @ x0.reshape(-1)
        if i == 0:  # fold the plane into the first block: f(o + U st) = f(o) + J U st
            w, b = jac @ basis, z0
        else:
            w, b = jac, bias
        lin = nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        layers.append(lin)
        if i < 2:
            layers.append(nn.ReLU())
        x0 = torch.relu(blk(x0.reshape(1, *shape_in))) if i < 2 else x0
        shape_in = x0.shape[1:]
    return nn.Sequential(*layers)


def test_conv_net_on_a_plane_through_three_images_equals_its_unrolled_mlp() -> None:
    g = torch.Generator().manual_seed(7)
    a, b, c = (torch.rand(1, 8, 8, generator=g).double().numpy() for _ in range(3))
    plane = regions.Plane.through(a, b, c)
    model = conv_net(3)
    p = regions.linear_regions(model, plane=plane)
    p.verify()
    assert p.domain.bounds == plane.default_bbox()
    mlp = unrolled_on_plane(conv_net(3), plane)
    q = regions.linear_regions(mlp, plane.default_bbox())
    assert type(q.network).__name__ == "Network"  # the plain MLP reader, not torch.fx
    assert len(p) == len(q) and p.layer_counts == q.layer_counts
    # the three images sit at (0, 0), (1, 0), (0, 1): check the model's output there
    st = plane.points()
    idx = p.locate(st)
    pred = np.einsum("pij,pj->pi", p.jacobians[idx], st) + p.offsets[idx]
    with torch.no_grad():
        y = conv_net(3).double()(torch.tensor(np.stack([a, b, c]))).numpy()
    np.testing.assert_allclose(pred, y, rtol=1e-9, atol=1e-9)


def test_high_dimensional_input_needs_a_plane() -> None:
    model = conv_net(0)
    with pytest.raises(regions.InputDimensionError, match="pass plane="):
        regions.count_regions(model, input_shape=(1, 8, 8))
    mlp = seeded(nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1)),
                 torch.Generator().manual_seed(5))
    with pytest.raises(regions.InputDimensionError, match="2-D"):
        regions.count_regions(mlp)
    rng = np.random.default_rng(0)
    plane = regions.Plane(rng.normal(size=5), rng.normal(size=5), rng.normal(size=5))
    p = regions.linear_regions(mlp, (-2, -2, 2, 2), plane=plane)
    p.verify()


def test_shapely_method_is_for_mlps() -> None:
    with pytest.raises(ValueError, match="method='shapely'"):
        regions.linear_regions(TwoLayer(0), method="shapely")


def test_raster_and_refinement_figure_for_a_compiled_model() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = torch.Generator().manual_seed(4)
    model = nn.Sequential(
        dyadic_linear(g, 2, 6), nn.LeakyReLU(0.1), dyadic_linear(g, 6, 6), nn.ReLU6(),
        dyadic_linear(g, 6, 1),
    )
    p = regions.linear_regions(model, (-2, -2, 2, 2))
    colls = regions.plot_layers(p)
    assert [len(c.get_paths()) for c in colls] == p.layer_counts
    plt.close("all")
    report = p.compare_raster(80)
    assert report.n_checked > 0 and report.n_mismatch == 0



INTEGER_UNITS = [  # (first layer's unit, second layer's unit)
    ((lambda: nn.Hardtanh(0.0, 2.0), ("hardtanh", 0, 2)),
     (lambda: nn.Hardtanh(-1.0, 1.0), ("hardtanh", -1, 1))),
    ((lambda: nn.Hardtanh(-1.0, 1.0), ("hardtanh", -1, 1)),
     (lambda: nn.Hardtanh(0.0, 2.0), ("hardtanh", 0, 2))),
    ((lambda: nn.ReLU6(), ("hardtanh", 0, 6)), (lambda: nn.ReLU6(), ("hardtanh", 0, 6))),
    ((lambda: nn.LeakyReLU(0.5), ("leaky", 0.5)), (lambda: nn.ReLU(), ("relu",))),
]


@pytest.mark.parametrize("unit", range(len(INTEGER_UNITS)))
def test_small_integer_nets_match_the_oracle(unit: int) -> None:
    # weights in {-2..2}: outputs that sit exactly on a breakpoint over a whole cell
    # (a hardtanh saturated at its lower bound feeding a neuron that is then constantly
    # at the next unit's lower bound), lines through vertices and repeated lines are
    # common, and each must cut nothing it does not cross
    units = INTEGER_UNITS[unit]
    kinds = [kind for _, kind in units]
    rng = np.random.default_rng(7 + unit)
    gen = torch.Generator().manual_seed(7 + unit)  # the output layers (they cut nothing)
    box = (-10, -10, 10, 10)
    for _ in range(60):
        widths = [2, int(rng.integers(2, 4)), int(rng.integers(1, 4))]
        hidden = []
        for n, m, (_, kind) in zip(widths[:-1], widths[1:], units, strict=True):
            scale = 3.0 if kind[0] == "hardtanh" and kind[2] == 6 else 1.0
            hidden.append((scale * rng.integers(-2, 3, size=(m, n)).astype(float),
                           scale * rng.integers(-2, 3, size=m).astype(float)))
        layers: list[nn.Module] = []
        for (w, b), (make, _) in zip(hidden, units, strict=True):
            lin = nn.Linear(w.shape[1], w.shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, make()]
        model = nn.Sequential(*layers, seeded(nn.Linear(widths[-1], 1).double(), gen))
        p = regions.linear_regions(model, box)
        p.verify()
        ref = oracle_regions(
            [(w.tolist(), b.tolist()) for w, b in hidden], as_domain(box).ring, kinds=kinds
        )
        assert len(p) == len(ref.cells), (hidden, len(p), len(ref.cells))
        assert regions.count_regions(model, box) == len(ref.cells)


def test_torchscript_models_are_read_as_their_sequential() -> None:
    torch.manual_seed(11)
    m = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    box = (-4, -4, 4, 4)
    p = regions.linear_regions(m, box)
    with warnings.catch_warnings():  # torch 2.10+ deprecates TorchScript; files still hold it
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = [torch.jit.script(m), torch.jit.trace(m, torch.zeros(1, 2))]
    for sm in scripted:
        q = regions.linear_regions(sm, box)
        q.verify()
        assert len(q) == len(p)
        np.testing.assert_array_equal(sorted_rows(q.patterns), sorted_rows(p.patterns))


def test_a_module_list_model_is_refused_by_name() -> None:
    with pytest.raises(regions.UnsupportedLayerError, match=r"nn.ModuleList, which has no forward"):
        regions.count_regions(nn.ModuleList([nn.Linear(2, 3), nn.ReLU()]))


@pytest.mark.parametrize(
    ("pool", "n_out"),
    [
        (nn.MaxPool1d(3, 2), 2),
        (nn.MaxPool1d(2, 1), 5),
        (nn.MaxPool1d(4, 1), 3),
        (nn.MaxPool1d(2, 2, dilation=2), 2),
    ],
)
def test_overlapping_max_pool_windows_have_the_right_maps(pool: nn.Module, n_out: int) -> None:
    # windows that share elements: each window's max is decided by its own pairs only
    g = torch.Generator().manual_seed(21)
    lin = nn.Linear(2, 6).double()
    head = nn.Linear(n_out, 1).double()
    with torch.no_grad():
        for prm in [*lin.parameters(), *head.parameters()]:
            prm.copy_(torch.randn(prm.shape, generator=g, dtype=torch.float64))
    model = nn.Sequential(lin, nn.Unflatten(1, (1, 6)), pool, nn.Flatten(), head).eval()
    p = regions.linear_regions(model, (-3, -3, 3, 3))
    p.verify()
    pts = np.random.default_rng(2).uniform(-3, 3, size=(500, 2))
    idx = p.locate(pts)
    y = model(torch.from_numpy(pts)).detach().numpy()
    got = np.einsum("rij,rj->ri", p.jacobians[idx], pts) + p.offsets[idx]
    np.testing.assert_allclose(got, y, rtol=1e-9, atol=1e-9)


def test_a_forward_hook_that_changes_the_function_is_flagged_by_verify() -> None:
    # hooks are not read (the regions are the layers' own); verify runs the model with them
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)).eval()
    plain = regions.linear_regions(m, (-3, -3, 3, 3))
    plain.verify()
    m[0].register_forward_hook(lambda _mod, _inp, out: out * 2 + 0.5)
    hooked = regions.linear_regions(m, (-3, -3, 3, 3))
    assert len(hooked) == len(plain)
    with pytest.raises(regions.VerificationError):
        hooked.verify()


def test_a_partition_keeps_the_weights_it_was_made_from() -> None:
    # counting during training: a partition made before an optimiser step still verifies
    # (against the weights it was read from) and its maps are those of the old model
    gen = torch.Generator().manual_seed(3)
    m = seeded(nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)), gen)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    p = regions.linear_regions(m, (-2, -2, 2, 2))
    opt = torch.optim.SGD(m.parameters(), lr=0.5)
    x = torch.randn(64, 2, generator=gen)
    for _ in range(3):
        opt.zero_grad()
        ((m(x) - x[:, :1] * x[:, 1:]) ** 2).mean().backward()
        opt.step()
    assert not torch.equal(m[0].weight, before["0.weight"])  # the model did change
    p.verify()
    old = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)).double()
    # (every parameter of `old` is replaced here: its init is not used)
    old.load_state_dict({k: v.double() for k, v in before.items()})
    pts = np.array([[0.3, -0.7], [-1.1, 0.4], [1.5, 1.5]])
    r = p.locate(pts)
    mapped = np.einsum("pij,pj->pi", p.jacobians[r], pts) + p.offsets[r]
    np.testing.assert_allclose(mapped, old(torch.tensor(pts)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("context", ["no_grad", "inference_mode", "grad_disabled"])
def test_verify_runs_inside_no_grad_and_inference_mode(context: str) -> None:
    torch.manual_seed(1)
    seq = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    custom = TwoLayer(5)
    ctx = {
        "no_grad": torch.no_grad, "inference_mode": torch.inference_mode,
        "grad_disabled": lambda: torch.set_grad_enabled(False),
    }[context]
    with ctx():
        for model in (seq, custom):
            p = regions.linear_regions(model, (-2, -2, 2, 2))
            p.verify()
            p.merged().verify()
    p.verify()  # made inside the context, checked outside it


def test_pruned_weights_are_read_as_the_forward_pass_uses_them() -> None:
    # torch.nn.utils.prune recomputes `weight` in a pre-hook; read before any forward pass
    from torch.nn.utils import prune

    gen = torch.Generator().manual_seed(7)

    def mlp() -> nn.Module:
        lin = nn.Linear
        return seeded(nn.Sequential(lin(2, 10), nn.ReLU(), lin(10, 10), nn.ReLU(), lin(10, 1)), gen)

    m = mlp()
    prune.l1_unstructured(m[0], "weight", amount=0.4)
    # prune.random_unstructured(amount=0.5) draws from the global RNG: the same kind of mask
    # (half the entries, chosen at random) from the local generator
    mask = torch.ones(100)
    mask[torch.randperm(100, generator=gen)[:50]] = 0
    prune.custom_from_mask(m[2], "weight", mask.reshape(10, 10))
    with torch.no_grad():  # an update of the pruned parameter, no forward pass after it
        m[0].weight_orig.add_(torch.randn(10, 2, generator=gen))
    twin = mlp()
    with torch.no_grad():
        for i in (0, 2, 4):
            w = m[i].weight_orig * m[i].weight_mask if i < 4 else m[i].weight
            twin[i].weight.copy_(w)
            twin[i].bias.copy_(m[i].bias)
    box = (-3, -3, 3, 3)
    assert regions.count_regions(m, box) == regions.count_regions(twin, box)
    p = regions.linear_regions(m, box)
    p.verify()
    assert len(p) == len(regions.linear_regions(twin, box))


def test_reparametrized_weights_are_read_as_the_forward_pass_uses_them() -> None:
    # spectral_norm (a pre-hook: `weight` is recomputed from `weight_orig` at the next forward)
    # and torch.nn.utils.parametrize modules (ParametrizedLinear): read with their current
    # weights, and the model keeps its parametrizations
    from torch.nn.utils import parametrizations, parametrize

    torch.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old_style = nn.Sequential(
            nn.utils.spectral_norm(nn.Linear(2, 8)), nn.ReLU(), nn.Linear(8, 1)
        ).eval()
    with torch.no_grad():
        old_style(torch.zeros(1, 2))
        old_style[0].weight_orig.mul_(3.0).add_(0.5)  # `weight` is stale until a forward pass
    models = [old_style]
    for wrap in (parametrizations.weight_norm, parametrizations.spectral_norm,
                 parametrizations.orthogonal):
        models.append(nn.Sequential(
            wrap(nn.Linear(2, 8)), nn.ReLU(), wrap(nn.Linear(8, 8)), nn.ReLU(), nn.Linear(8, 1)
        ).eval())
    box = (-3, -3, 3, 3)
    for m in models:
        with torch.no_grad():  # the plain twin of the function the model computes now
            m(torch.zeros(1, 2))
            twin = nn.Sequential(*(
                nn.Linear(lin.in_features, lin.out_features) if isinstance(lin, nn.Linear)
                else nn.ReLU() for lin in m
            ))
            for lin, t in zip(m, twin, strict=True):
                if isinstance(lin, nn.Linear):
                    t.weight.copy_(lin.weight)
                    t.bias.copy_(lin.bias)
        p = regions.linear_regions(m, box)
        p.verify()
        assert len(p) == regions.count_regions(m, box) == regions.count_regions(twin, box)
    for m in models[1:]:  # the user's models are left as they were, and still run
        assert parametrize.is_parametrized(m[0]) and parametrize.is_parametrized(m[2])
        assert type(m[0]).__name__ == "ParametrizedLinear"
        m(torch.zeros(1, 2))
