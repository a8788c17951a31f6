"""Bad input to io, cli, plane and plot: a clear error naming the parameter and value."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import torch

from regions import cli
from regions.course import mlp
from regions.errors import (
    ArgumentTypeError,
    DomainError,
    NonFiniteWeightError,
    ParameterError,
    ShapeMismatchError,
)
from regions.io import ModelFileError, load_model, mlp_from_state_dict
from regions.plane import Plane


def _state() -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in mlp([2, 8, 1], 0).state_dict().items()}


@pytest.fixture
def partition() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import regions

    return regions.linear_regions(mlp([2, 8, 1], 0), (-2, -2, 2, 2), progress=False)


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# ------------------------------------------------------------------ regions/io.py
def test_complex_weights_are_refused_by_key() -> None:
    sd = _state()
    sd["0.weight"] = torch.full((8, 2), 1 + 5j)
    with pytest.raises(ArgumentTypeError, match=r"'0\.weight' is complex"):
        mlp_from_state_dict(sd)


def test_complex_weights_file_fails_in_the_cli(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sd = _state()
    sd["2.weight"] = sd["2.weight"].to(torch.complex64)
    f = tmp_path / "complex.pt"
    torch.save(sd, f)
    assert cli.main(["count", str(f)]) == 1
    assert "'2.weight' is complex" in capsys.readouterr().err


def test_meta_weights_are_refused_by_key() -> None:
    sd = _state()
    sd["0.weight"] = torch.ones(8, 2, device="meta")
    with pytest.raises(ArgumentTypeError, match=r"'0\.weight' is on the meta device"):
        mlp_from_state_dict(sd)


def test_sparse_weights_are_refused_by_key() -> None:
    sd = _state()
    sd["0.weight"] = sd["0.weight"].to_sparse()
    with pytest.raises(ArgumentTypeError, match=r"'0\.weight' is a sparse tensor"):
        mlp_from_state_dict(sd)


def test_nan_weights_are_refused_by_key() -> None:
    sd = _state()
    sd["0.bias"][3] = float("nan")
    with pytest.raises(NonFiniteWeightError, match=r"'0\.bias' has NaN"):
        mlp_from_state_dict(sd)


def test_damaged_safetensors_names_the_file(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("safetensors")
    f = tmp_path / "garbage.safetensors"
    f.write_bytes(b"xyz")
    with pytest.raises(ModelFileError, match=r"garbage\.safetensors"):
        load_model(f)


@pytest.mark.parametrize("path", [None, 5])
def test_load_model_path_type(path: Any) -> None:
    with pytest.raises(ArgumentTypeError, match=f"path must be a file name.*{path}"):
        load_model(path)


# ------------------------------------------------------------------ regions/cli.py
def test_plane_point_that_is_a_directory(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "m3.pt"
    torch.save(mlp([3, 4, 1], 0).state_dict(), f)
    for name in ("a", "b"):
        np.save(tmp_path / f"{name}.npy", np.eye(3)[0 if name == "a" else 1])
    d = tmp_path / "dir.npy"
    d.mkdir()
    argv = ["count", str(f), "--plane", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), str(d)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "dir.npy: is a directory" in err and "does not exist" not in err


def test_arch_is_shown_as_given() -> None:
    with pytest.raises(ArgumentTypeError, match=r"arch must be a sequence .* got str '2,8,1'"):
        mlp_from_state_dict(_state(), arch="2,8,1")
    with pytest.raises(ShapeMismatchError, match=r"arch=2,8,2 does not match .* 2,8,1"):
        mlp_from_state_dict(_state(), arch=(2, 8, 2))
    assert len(mlp_from_state_dict(_state(), arch=[2, 8, 1])) == 3


# ------------------------------------------------------------------ regions/plane.py
@pytest.fixture
def plane() -> Plane:
    return Plane.through([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])


def test_to_plane_checks_the_shape(plane: Plane) -> None:
    with pytest.raises(DomainError, match=r"x must be a \(P, 3\) array.*got shape \(1, 2\)"):
        plane.to_plane([[1.0, 2.0]])


def test_text_is_refused_by_name(plane: Plane) -> None:
    with pytest.raises(DomainError, match="st must be an array of numbers, got 'x'"):
        plane.to_input("x")
    with pytest.raises(DomainError, match="margin must be a number.*got str 'x'"):
        plane.default_bbox("x")  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="anchors must be an array of numbers, got 'x'"):
        Plane(np.zeros(3), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), anchors="x")  # type: ignore[arg-type]


def test_huge_orthogonal_directions_are_independent() -> None:
    p = Plane.through([0, 0, 0], [1e300, 0, 0], [0, 1e300, 0])
    np.testing.assert_allclose(p.to_plane([[1e300, 1e300, 3.0]]), [[1.0, 1.0]])
    with pytest.raises(DomainError, match="b - a overflows float64"):
        Plane.through([-1e308, 0, 0], [1e308, 0, 0], [0, 1, 0])


# ------------------------------------------------------------------ regions/plot.py
def test_gradient_raster_cmap(partition: Any) -> None:
    from regions.plot import plot_gradient_raster
    from regions.raster import gradient_raster

    r = gradient_raster(mlp([2, 8, 1], 0), (-2, -2, 2, 2), 10)
    with pytest.raises(ParameterError, match="cmap must be .* got 'bogus'"):
        plot_gradient_raster(r, cmap="bogus")


def test_edgecolor_is_checked(partition: Any) -> None:
    import matplotlib.pyplot as plt

    from regions.plot import plot_layers, plot_surface

    with pytest.raises(ParameterError, match="edgecolor must be a matplotlib colour.*'notacolor'"):
        partition.plot(edgecolor="notacolor")
    with pytest.raises(ParameterError, match="edgecolor must be a matplotlib colour.*'bogus'"):
        plot_layers(partition, edgecolor="bogus")
    ax = plt.figure().add_subplot(projection="3d")
    with pytest.raises(ParameterError, match="edgecolor must be a matplotlib colour.*'bogus'"):
        plot_surface(partition, ax, edgecolor="bogus")
    partition.plot(edgecolor="none")  # valid colours still work
    partition.plot(edgecolor=(0.1, 0.2, 0.3))


def test_artist_kwargs_helper() -> None:
    from matplotlib.collections import LineCollection

    from regions.plot import _check_artist_kwargs, _check_style

    with pytest.raises(ParameterError, match="unknown keyword argument bogus=1"):
        _check_artist_kwargs({"bogus": 1}, LineCollection, "plot_decision_boundary")
    with pytest.raises(ParameterError, match="color must be a matplotlib colour.*'bogus'"):
        _check_style(colors={"color": "bogus"})
    _check_artist_kwargs({"linestyles": "--", "zorder": 3}, LineCollection, "f")


def test_plot_decision_boundary_arguments() -> None:
    import matplotlib.pyplot as plt

    from regions import linear_regions, plot_decision_boundary

    p3 = linear_regions(mlp([2, 6, 3], 0), (-2, -2, 2, 2), progress=False)
    with pytest.raises(ParameterError, match="color must be a matplotlib colour.*'bogus'"):
        plot_decision_boundary(p3, color="bogus")
    with pytest.raises(ParameterError, match="unknown keyword argument bogus=1"):
        plot_decision_boundary(p3, bogus=1)
    plot_decision_boundary(p3, color="red", linestyles="--")  # still drawn
    plt.close("all")
