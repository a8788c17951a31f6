"""The command line, driven as a subprocess the way a new user would."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import warnings

import torch

import regions
from regions.course import mlp, shallow_model


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regions", *args], capture_output=True, text=True, timeout=120
    )


def test_demo_prints_verified_counts() -> None:
    res = run("demo")
    assert res.returncode == 0, res.stderr
    for name, model in (("2-20-1", shallow_model()), ("2-5-5-5-5-1", regions.course.deep_model())):
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith(name))
        assert f" {regions.count_regions(model)} " in line and line.endswith("ok")


def test_count_state_dict(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 12, 12, 1), seed=4)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    res = run("count", str(f), "--json", "--bbox", "-3", "-3", "3", "3", "--verify")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["regions"] == regions.count_regions(model, (-3, -3, 3, 3))
    assert out["verified"] is True
    res = run("count", str(f), "--arch", "2,12,12,1")
    assert res.stdout.strip() == str(regions.count_regions(model))


def test_count_torchscript(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 8, 1), seed=1)
    f = tmp_path / "m.ts"
    with warnings.catch_warnings():  # torch marks TorchScript as deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(model), str(f))
    res = run("count", str(f))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(regions.count_regions(model))


def test_missing_file() -> None:
    res = run("count", "no-such-model.pt")
    assert res.returncode == 1
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_wrong_format(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    f.write_text("not a model")
    res = run("count", str(f))
    assert res.returncode == 1 and "cannot read" in res.stderr and "Traceback" not in res.stderr


def test_shapes_do_not_chain(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    state = {"0.weight": torch.ones(4, 2), "0.bias": torch.ones(4), "2.weight": torch.ones(1, 5)}
    torch.save(state, f)
    res = run("count", str(f))
    assert res.returncode == 1 and "'2.weight'" in res.stderr and "width 4" in res.stderr


def test_arch_mismatch(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(mlp((2, 6, 1)).state_dict(), f)
    res = run("count", str(f), "--arch", "2,5,1")
    assert res.returncode == 1 and "arch=2,5,1" in res.stderr


def test_input_dimension_other_than_two(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(mlp((3, 6, 1)).state_dict(), f)
    res = run("count", str(f))
    assert res.returncode == 1 and "2-D" in res.stderr


def test_inverted_box(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(mlp((2, 6, 1)).state_dict(), f)
    res = run("count", str(f), "--bbox", "1", "0", "0", "1")
    assert res.returncode == 1 and "bbox is inverted" in res.stderr


def test_pickle_is_refused_unless_trusted(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 6, 1), seed=2)
    f = tmp_path / "m.pt"
    torch.save(model, f)  # a whole pickled module: loading it would run code
    res = run("count", str(f))
    assert res.returncode == 1 and "pickle" in res.stderr and "--trust-pickle" in res.stderr
    res = run("count", str(f), "--trust-pickle")
    assert res.returncode == 0 and res.stdout.strip() == str(regions.count_regions(model))


def test_usage_error_exit_code() -> None:
    res = run("count")
    assert res.returncode == 2
    res = run("frobnicate")
    assert res.returncode == 2
