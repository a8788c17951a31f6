"""Bad input named up front (audit round 2): mlp, 0-output models, disk scale, axes, paths."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import numpy as np
import pytest
import torch
from conftest import load_suite

import regions
from regions import cli
from regions.course import MAX_PARAMETERS, mlp
from regions.errors import ArgumentTypeError, ParameterError, ShapeMismatchError
from regions.export import save_npz, write_geojson


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@pytest.fixture
def unwritable(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory path that cannot exist: it lies under a regular file."""
    (tmp_path / "f.txt").write_text("x")
    return tmp_path / "f.txt"


@pytest.fixture
def model_file(tmp_path: pathlib.Path) -> pathlib.Path:
    f = tmp_path / "m.pt"
    torch.save(mlp([2, 8, 1], 0).state_dict(), f)
    return f


# ------------------------------------------------------------------ 1. course.mlp
@pytest.mark.parametrize(
    ("widths", "seed", "error", "words"),
    [
        ([2, 0, 1], 0, ParameterError, "widths[1] must be >= 1, got 0"),
        ([2, -1, 1], 0, ParameterError, "widths[1] must be >= 1, got -1"),
        ([2, 8, 0], 0, ParameterError, "widths[2] must be >= 1, got 0"),
        ([2, 1.5, 1], 0, ArgumentTypeError, "widths[1] must be an int, got float 1.5"),
        ((2, True, 1), 0, ArgumentTypeError, "widths[1] must be an int, got bool True"),
        ("2-8-1", 0, ArgumentTypeError, "widths must be a sequence of int"),
        (None, 0, ArgumentTypeError, "got NoneType None"),
        ([], 0, ParameterError, "at least two widths"),
        ([2], 0, ParameterError, "at least two widths"),
        ([2, 10**9, 1], 0, ParameterError, "MAX_PARAMETERS"),
        ([2, 8, 1], "a", ArgumentTypeError, "seed must be an int, got str 'a'"),
        ([2, 8, 1], 1.5, ArgumentTypeError, "seed must be an int, got float 1.5"),
        ([2, 8, 1], True, ArgumentTypeError, "seed must be an int, got bool True"),
        ([2, 8, 1], 2**70, ParameterError, f"got {2**70}"),
        ([2, 8, 1], -1, ParameterError, "got -1"),
    ],
)
def test_mlp_checks_widths_and_seed(widths: Any, seed: Any, error: type, words: str) -> None:
    with pytest.raises(error) as exc:
        mlp(widths, seed)
    assert words in str(exc.value)
    assert MAX_PARAMETERS == 10**8
    assert sum(p.numel() for p in mlp(np.array([3, 4, 1]), np.int64(2**63 - 1)).parameters()) == 21


# ------------------------------------------------------------------ 2. 0-output models
class _NoOutputs(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.m = mlp([2, 8, 1], 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.m(x)[:, :0]


def test_model_with_zero_outputs_is_refused() -> None:
    for call in (regions.linear_regions, regions.count_regions):
        with pytest.raises(ShapeMismatchError, match="the model has 0 outputs"):
            call(_NoOutputs(), (-1, -1, 1, 1))


# ------------------------------------------------------------------ 3. disk scale
@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e101])
def test_disk_scale_out_of_range_is_named(scale: float) -> None:
    from regions.boundaries import plot_boundaries

    plt = _plt()
    w = regions.linear_regions(mlp([2, 8, 1], 0), None)
    pattern = rf"scale must be from .*got {re.escape(repr(scale))}"
    try:
        for draw in (regions.plot_partition, plot_boundaries):
            with pytest.raises(ParameterError, match=pattern):
                draw(w, view="disk", scale=scale)
        for ok in (1e100, 1e-100, np.float32(5.0)):  # no warnings (none casting the bounds)
            regions.plot_partition(w, view="disk", scale=ok)
            plot_boundaries(w, view="disk", scale=ok)
    finally:
        plt.close("all")


# ------------------------------------------------------------------ 4. axes
def test_single_axes_where_one_panel_is_drawn() -> None:
    plt = _plt()
    try:
        p = regions.linear_regions(mlp([2, 8, 1], 0), (-1, -1, 1, 1))
        ax = plt.figure().gca()
        assert len(regions.plot_layers(p, axes=ax)) == 1
        raster = regions.exact_gradient_image(p, 10)
        with pytest.raises(ParameterError, match=r"axes must be a sequence of 2 .*single Axes"):
            regions.plot_gradient_raster(raster, axes=ax)
        with pytest.raises(ArgumentTypeError, match=r"axes must be .*got str 'x'"):
            regions.plot_gradient_raster(raster, axes="x")
        _, pair = plt.subplots(1, 2)
        assert len(regions.plot_gradient_raster(raster, axes=pair)) == 2
        deep = mlp([2, 5, 5, 1], 0)
        with pytest.raises(ParameterError, match=r"2 matplotlib Axes \(one per hidden layer\)"):
            regions.plot_layers(deep, (-1, -1, 1, 1), axes=ax)
    finally:
        plt.close("all")


# ------------------------------------------------------------------ 5. export paths
@pytest.mark.parametrize("write", [write_geojson, save_npz])
def test_export_paths_checked_and_write_errors_wrapped(
    write: Any, tmp_path: pathlib.Path, unwritable: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = regions.linear_regions(mlp([2, 8, 1], 0), (-1, -1, 1, 1))
    bad = unwritable / "x.geojson"
    with pytest.raises(ParameterError, match=r"f\.txt' is a file, not a directory") as exc:
        write(p, bad)
    assert str(bad) in str(exc.value)
    with pytest.raises(ParameterError, match="NUL byte"):
        write(p, str(tmp_path / "a\x00b.geojson"))

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", refuse)
    monkeypatch.setattr(pathlib.Path, "open", refuse)
    out = tmp_path / "r.npz"
    with pytest.raises(ParameterError, match=r"cannot write the file \(No space left"):
        write(p, out)
    monkeypatch.undo()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["f.txt"]  # no probe file left


# ------------------------------------------------------------------ 6. CLI and suite paths
@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["plot", "{model}", "-o", "{bad}/a.png"], "-o"),
        (["export", "{model}", "-o", "{bad}/r.npz"], "-o"),
        (["demo", "-o", "{bad}/demo"], "-o"),
        (["bench", "--quick", "--out", "{bad}/q.md"], "--out"),
    ],
)
def test_cli_output_checked_before_the_work(
    argv: list[str],
    option: str,
    model_file: pathlib.Path,
    unwritable: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_work(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed before checking the output path")

    monkeypatch.setattr(cli, "_partition", no_work)
    monkeypatch.setattr(cli, "bench_suite_path", no_work)
    args = [a.format(model=model_file, bad=unwritable) for a in argv]
    assert cli.main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""  # the demo prints its table only after the check
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"regions: error: {option} {unwritable}/")
    assert "is a file, not a directory" in lines[0]


def test_suite_out_problem(tmp_path: pathlib.Path, unwritable: pathlib.Path) -> None:
    suite = load_suite("_suite_paths_under_test")
    assert suite.out_problem(tmp_path / "q.md") is None
    assert "is a file, not a directory" in suite.out_problem(unwritable / "q.md")
    assert "does not exist" in suite.out_problem(tmp_path / "missing" / "q.md")
    assert "is a directory" in suite.out_problem(tmp_path)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["f.txt"]
