"""Models on another device, in another dtype than float64, or behind a torch wrapper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import regions
from regions.network import cpu_float64_copy


class Net(nn.Module):
    """A tutorial-style module (compiled by torch.fx, not read as nn.Sequential)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(2, 12), nn.Linear(12, 12), nn.Linear(12, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Conv(nn.Module):
    """A small conv net on 1x6x6 images, for a plane slice."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc = nn.Linear(3 * 4 * 4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.relu(self.conv(x)), 1))


def _mlp(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 1)
    )


def test_the_copy_is_float64_on_the_cpu_and_the_model_is_untouched() -> None:
    model = _mlp(0).to(torch.bfloat16)
    before = [p.detach().clone() for p in model.parameters()]
    copy = cpu_float64_copy(model)
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in copy.parameters())
    assert all(p.dtype == torch.bfloat16 for p in model.parameters())
    for a, b in zip(before, model.parameters(), strict=True):
        assert torch.equal(a, b)
    # the copy holds the model's weights, widened exactly
    for a, b in zip(model.parameters(), copy.parameters(), strict=True):
        assert torch.equal(a.detach().double(), b.detach())


def test_a_bfloat16_model_is_counted_and_verified_as_its_float64_twin() -> None:
    low = _mlp(1).to(torch.bfloat16)
    twin = cpu_float64_copy(low)
    box = (-4, -4, 4, 4)
    p = regions.linear_regions(low, box)
    p.verify()
    assert len(p) == regions.count_regions(low, box) == len(regions.linear_regions(twin, box))
    np.testing.assert_array_equal(
        regions.gradient_raster(low, box, 50).image, regions.gradient_raster(twin, box, 50).image
    )


# torch.compile imports torch's inductor, whose import warns about torch's own jit API
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compiled_and_data_parallel_models_are_read_as_the_module_they_run() -> None:
    box = (-4, -4, 4, 4)
    for make in (lambda: _mlp(5), Net):
        torch.manual_seed(6)
        m = make()
        want = regions.linear_regions(m, box)
        image = regions.gradient_raster(m, box, 30).image
        for w in (torch.compile(m), nn.DataParallel(m), torch.compile(nn.DataParallel(m))):
            p = regions.linear_regions(w, box)
            p.verify()
            assert len(p) == len(want) == regions.count_regions(w, box)
            np.testing.assert_array_equal(p.patterns, want.patterns)
            np.testing.assert_array_equal(regions.gradient_raster(w, box, 30).image, image)


def test_other_wrappers_are_not_unwrapped() -> None:
    from regions.errors import UnsupportedLayerError

    class Wrapper(nn.Module):  # has a .module but is no known wrapper: compiled as it is
        def __init__(self, m: nn.Module) -> None:
            super().__init__()
            self.module = m

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.tanh(self.module(x))

    with pytest.raises(UnsupportedLayerError, match="tanh"):
        regions.count_regions(Wrapper(_mlp(7)), (-1, -1, 1, 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_models_on_a_gpu_give_the_regions_of_their_cpu_twins() -> None:
    box = (-3, -3, 3, 3)
    for make in (lambda: _mlp(2), Net):
        torch.manual_seed(3)
        cpu = make()
        gpu = make().cuda()
        gpu.load_state_dict(cpu.state_dict())
        p = regions.linear_regions(gpu, box)
        p.verify()  # forward passes through the model on the GPU's CPU copy
        q = regions.linear_regions(cpu, box)
        assert len(p) == len(q) == regions.count_regions(gpu, box)
        np.testing.assert_array_equal(p.patterns, q.patterns)
        np.testing.assert_allclose(p.jacobians, q.jacobians, rtol=0, atol=1e-12)
        r, s = regions.gradient_raster(gpu, box, 40), regions.gradient_raster(cpu, box, 40)
        np.testing.assert_array_equal(r.image, s.image)
        assert next(gpu.parameters()).device.type == "cuda"  # the model stays where it was
    torch.manual_seed(4)
    conv = Conv()
    rng = np.random.default_rng(4)
    a, b, c = (rng.normal(size=(1, 6, 6)) for _ in range(3))
    plane = regions.Plane.through(a, b, c)
    p = regions.linear_regions(conv.cuda(), plane=plane)
    p.verify()
    assert len(p) == len(regions.linear_regions(conv.cpu(), plane=plane))
