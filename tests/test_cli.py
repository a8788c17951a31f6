"""The command line, driven as a subprocess the way a new user would."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import struct
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from conftest import load_suite

import regions
from regions import cli
from regions.course import mlp, shallow_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(
    *args: str, cwd: pathlib.Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regions", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
    )


def png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height of a PNG file (from its IHDR chunk)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_demo_prints_verified_counts_and_writes_figures(tmp_path: pathlib.Path) -> None:
    res = run("demo", "-o", "figs", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for name, model in (("2-20-1", shallow_model()), ("2-5-5-5-5-1", regions.course.deep_model())):
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith(name))
        n = regions.count_regions(model)
        assert f" {n} " in line and line.endswith("ok")
        # the raster comparison, one block per model
        k = res.stdout.index(f"{name}: numpy.gradient on a 500 x 500 grid")
        assert f"exact regions: {n}, raster components:" in res.stdout[k:]
        for kind in ("gradient", "exact", "bent"):
            f = tmp_path / "figs" / f"{name}-{kind}.png"
            assert f.is_file(), res.stdout
            w, h = png_size(f)
            assert w > 300 and h > 200
    assert "gradient mismatches: 0" in res.stdout
    assert "figures written to figs" in res.stdout
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == sorted(
        [f"{m}-{k}.png" for m in ("2-20-1", "2-5-5-5-5-1") for k in ("gradient", "exact", "bent")]
        + ["whole-plane.png"]
    )


def test_demo_defaults() -> None:
    args = cli._parser().parse_args(["demo"])
    assert args.output == cli.DEMO_DIR and not args.no_figures
    assert cli._parser().parse_args(["demo", "--no-figures"]).no_figures


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
    assert res.returncode == 1 and "2-D" in res.stderr and "3-D input" in res.stderr
    assert "--plane A B C" in res.stderr and "Traceback" not in res.stderr


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


# ------------------------------------------------------------------ count --merge
def test_count_merge(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 8, 8, 1), seed=6)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    res = run("count", str(f), "--merge", "--json")
    if not hasattr(regions.Partition, "merged"):
        assert res.returncode == 1 and "Partition.merged()" in res.stderr
        return
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    p = regions.linear_regions(model)
    assert out["regions"] == len(p)
    assert out["merged_regions"] == len(p.merged())
    assert 1 <= out["merged_regions"] <= out["regions"]
    res = run("count", str(f), "--merge")
    assert res.stdout.strip() == str(len(p.merged()))


# ------------------------------------------------------------------ plot
@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, Any]:
    model = mlp((2, 10, 10, 1), seed=5)
    f = tmp_path_factory.mktemp("model") / "m.pt"
    torch.save(model.state_dict(), f)
    return f, model


def test_plot_png(tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]) -> None:
    f, model = model_file
    out = tmp_path / "r.png"
    res = run("plot", str(f), "-o", str(out), "--bbox", "-5", "-5", "5", "5")
    assert res.returncode == 0, res.stderr
    n = regions.count_regions(model, (-5, -5, 5, 5))
    assert f"{n} regions; wrote {out}" in res.stdout
    w1, h1 = png_size(out)
    assert w1 > 200 and h1 > 200
    # --raster puts the two numpy.gradient images beside the polygons
    out2 = tmp_path / "r2.png"
    res = run("plot", str(f), "-o", str(out2), "--raster", "--resolution", "60", "--color-by", "dx")
    assert res.returncode == 0, res.stderr
    w2, h2 = png_size(out2)
    assert w2 > 2.5 * w1 and abs(h2 - h1) < 0.3 * h1


def test_plot_other_formats(tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]) -> None:
    f, _ = model_file
    out = tmp_path / "r.svg"
    res = run("plot", str(f), "-o", str(out), "--color-by", "value")
    assert res.returncode == 0, res.stderr
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()
    jpg = tmp_path / "r.jpg"
    res = run("plot", str(f), "-o", str(jpg))
    assert res.returncode == 0, res.stderr
    assert jpg.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG's start-of-image marker


def test_plot_show_boundaries_and_surface(
    tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]
) -> None:
    f, model = model_file
    n = regions.count_regions(model)
    for show in ("boundaries", "surface"):
        out = tmp_path / f"{show}.png"
        res = run("plot", str(f), "-o", str(out), "--show", show, "--raster", "--resolution", "40")
        assert res.returncode == 0, res.stderr
        assert f"{n} regions; wrote {out}" in res.stdout
        w, h = png_size(out)
        assert w > 2.5 * h  # the exact panel and the two raster images
    res = run("plot", str(f), "-o", str(tmp_path / "x.png"), "--show", "lines")
    assert res.returncode == 2 and "lines" in res.stderr
    res = run("plot", str(f), "-o", str(tmp_path / "x.png"), "--output-index", "1")
    assert res.returncode == 1
    assert "--output-index must be in [0, 0] (the network has 1 output)" in res.stderr


def test_plot_errors(tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]) -> None:
    f, _ = model_file
    res = run("plot", str(f), "-o", str(tmp_path / "r.gif"))
    assert res.returncode == 1 and "unknown figure format '.gif'" in res.stderr
    res = run("plot", str(f), "-o", str(tmp_path / "r.png"), "--resolution", "1")
    assert res.returncode == 2 and "--resolution: must be from 2 to 10000, got 1" in res.stderr
    res = run("plot", str(f), "-o", str(tmp_path / "r.png"), "--color-by", "rainbow")
    assert res.returncode == 2 and "rainbow" in res.stderr
    res = run("plot", str(f))
    assert res.returncode == 2
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ bench
def test_bench_without_suite(tmp_path: pathlib.Path) -> None:
    res = run("bench", "--quick", env={cli.BENCH_SUITE_ENV: str(tmp_path / "suite.py")})
    assert res.returncode == 1
    assert "ships with the source repository" in res.stderr and "Traceback" not in res.stderr


def test_bench_runs_the_suite(tmp_path: pathlib.Path) -> None:
    # a stand-in suite: records its arguments and exits 3, which bench passes on
    suite = tmp_path / "suite.py"
    suite.write_text(
        "import sys, pathlib\n"
        "pathlib.Path(sys.argv[0]).with_name('argv.txt').write_text(' '.join(sys.argv[1:]))\n"
        "sys.exit(3)\n"
    )
    res = run("bench", "--quick", env={cli.BENCH_SUITE_ENV: str(suite)})
    if importlib.util.find_spec("regioncam") is None:
        assert res.returncode == 1 and "regioncam" in res.stderr
        return
    assert res.returncode == 3, res.stderr
    assert (tmp_path / "argv.txt").read_text() == "--quick"


def test_bench_finds_the_repository_suite() -> None:
    path = cli.bench_suite_path()
    assert path.name == "suite.py" and path.parent.name == "benchmarks"
    repo = pathlib.Path(__file__).resolve().parent.parent
    if (repo / "benchmarks" / "suite.py").is_file():
        assert path == repo / "benchmarks" / "suite.py"


# ------------------------------------------------------------------ help, --debug, Ctrl-C
@pytest.mark.parametrize("command", ["demo", "count", "plot", "export", "bench"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"regions {command}" in text and "--debug" in text
    if command in ("count", "plot", "export"):
        assert "--bbox XMIN YMIN XMAX YMAX" in text and "--trust-pickle" in text


def test_debug_shows_traceback_before_or_after_the_command() -> None:
    for args in (("--debug", "count", "no-such.pt"), ("count", "no-such.pt", "--debug")):
        res = run(*args)
        assert res.returncode == 1
        assert "Traceback" in res.stderr and "ModelFileError" in res.stderr
    res = run("count", "no-such.pt")
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        "regions: error: model file 'no-such.pt' does not exist"
    ]


def test_debug_flag_parsing() -> None:
    ap = cli._parser()
    assert ap.parse_args(["--debug", "count", "m.pt"]).debug is True
    assert ap.parse_args(["count", "m.pt", "--debug"]).debug is True
    assert ap.parse_args(["count", "m.pt"]).debug is False


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(_args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "count", interrupted)
    assert cli.main(["count", "m.pt"]) == 130
    assert "interrupted" in capsys.readouterr().err


# ------------------------------------------------------------------ more mistakes
def test_arch_not_integers(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(mlp((2, 6, 1)).state_dict(), f)
    res = run("count", str(f), "--arch", "2-6-1")
    assert res.returncode == 2 and "--arch: '2-6-1'" in res.stderr and "2,20,1" in res.stderr


def test_convolution_state_dict(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(torch.nn.Conv2d(2, 4, 3).state_dict(), f)
    res = run("export", str(f), "-o", str(tmp_path / "r.npz"))
    assert res.returncode == 1 and "only linear layers" in res.stderr
    assert not (tmp_path / "r.npz").exists()


def test_non_finite_weights(tmp_path: pathlib.Path) -> None:
    state = mlp((2, 4, 1)).state_dict()
    state["0.weight"][1, 0] = float("nan")
    f = tmp_path / "m.pt"
    torch.save(state, f)
    res = run("plot", str(f), "-o", str(tmp_path / "r.png"))
    assert res.returncode == 1 and "NaN" in res.stderr and "Traceback" not in res.stderr


def test_empty_file(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pth"
    f.write_bytes(b"")
    res = run("count", str(f))
    assert res.returncode == 1 and "cannot read" in res.stderr


def test_count_whole_plane_json(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 7, 1), seed=3)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    res = run("count", str(f), "--whole-plane", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    p = regions.linear_regions(model, None)
    assert out["regions"] == len(p) == 1 + 7 + 21
    assert out["bbox"] is None and out["unbounded_regions"] == 14
    assert out["extent"] == list(p.extent())
    res = run("count", str(f), "--whole-plane", "--bbox", "0", "0", "1", "1")
    assert res.returncode == 2  # mutually exclusive


# ------------------------------------------------------------------ --plane
def _plane_files(tmp_path: pathlib.Path, shape: tuple[int, ...] = (6,)) -> list[str]:
    rng = np.random.default_rng(0)
    names = []
    for name in ("a", "b", "c"):
        f = tmp_path / f"{name}.npy"
        np.save(f, rng.normal(size=shape))
        names.append(str(f))
    return names


def test_count_on_a_plane_through_three_inputs(tmp_path: pathlib.Path) -> None:
    model = mlp((6, 10, 10, 1), seed=5)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    files = _plane_files(tmp_path)
    plane = regions.Plane.through(*(np.load(x) for x in files))
    res = run("count", str(f), "--plane", *files, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["regions"] == regions.count_regions(model, plane=plane)
    assert out["bbox"] == list(plane.default_bbox()) and out["plane"] == files
    # --bbox is then in plane coordinates
    res = run("count", str(f), "--plane", *files, "--bbox", "-1", "-1", "2", "2", "--verify")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(regions.count_regions(model, (-1, -1, 2, 2), plane=plane))


def test_plot_and_export_on_a_plane(tmp_path: pathlib.Path) -> None:
    model = mlp((6, 8, 1), seed=2)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    files = _plane_files(tmp_path)
    n = regions.count_regions(model, plane=regions.Plane.through(*(np.load(x) for x in files)))
    fig = tmp_path / "r.png"
    res = run("plot", str(f), "--plane", *files, "-o", str(fig), "--raster", "--resolution", "50")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"{n} regions") and png_size(fig)[0] > 300
    geo = tmp_path / "r.geojson"
    res = run("export", str(f), "--plane", *files, "-o", str(geo))
    assert res.returncode == 0, res.stderr
    assert len(json.loads(geo.read_text())["features"]) == n


def test_plane_raster_samples_the_model(tmp_path: pathlib.Path) -> None:
    model = mlp((6, 8, 1), seed=2)
    files = _plane_files(tmp_path)
    plane = regions.Plane.through(*(np.load(x) for x in files))
    p = regions.linear_regions(model, plane=plane)
    r = cli._raster(p, 20)
    st = np.column_stack([np.repeat(r.ys, 20), np.tile(r.xs, 20)])[:, ::-1]
    with torch.no_grad():
        y = model.double()(torch.from_numpy(plane.to_input(st))).numpy()[:, 0]
    np.testing.assert_allclose(r.image.ravel(), y, rtol=1e-12, atol=1e-12)


def test_plane_errors(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "m.pt"
    torch.save(mlp((6, 8, 1)).state_dict(), f)
    a, b, c = _plane_files(tmp_path)
    res = run("count", str(f), "--plane", a, b, str(tmp_path / "nope.npy"))
    assert res.returncode == 1 and "nope.npy: file does not exist" in res.stderr
    np.save(tmp_path / "short.npy", np.ones(5))
    res = run("count", str(f), "--plane", a, b, str(tmp_path / "short.npy"))
    assert res.returncode == 1 and "shape (5,)" in res.stderr and "shape (6,)" in res.stderr
    np.save(tmp_path / "text.npy", np.array(["x"] * 6))
    res = run("count", str(f), "--plane", a, b, str(tmp_path / "text.npy"))
    assert res.returncode == 1 and "expected numbers" in res.stderr
    (tmp_path / "junk.npy").write_text("not numpy")
    res = run("count", str(f), "--plane", a, b, str(tmp_path / "junk.npy"))
    assert res.returncode == 1 and "not a .npy file" in res.stderr
    res = run("count", str(f), "--plane", a, a, c)
    assert res.returncode == 1 and "degenerate" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    # the whole plane through three inputs, as the API's plane= with bbox=None
    res = run("count", str(f), "--plane", a, b, c, "--whole-plane", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    plane = regions.Plane.through(*(np.load(x) for x in (a, b, c)))
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    model.load_state_dict(torch.load(f))
    assert out["bbox"] is None
    assert out["regions"] == regions.count_regions(model, None, plane=plane)


def test_quiet_flag_in_either_position(tmp_path: pathlib.Path) -> None:
    model = mlp((2, 5, 1), seed=1)
    f = tmp_path / "m.pt"
    torch.save(model.state_dict(), f)
    for args in (("--quiet", "count", str(f)), ("count", str(f), "--quiet")):
        res = run(*args)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == str(regions.count_regions(model)) and res.stderr == ""


def test_count_safetensors(tmp_path: pathlib.Path) -> None:
    from safetensors.torch import save_file

    model = mlp((2, 9, 9, 1), seed=6)
    f = tmp_path / "m.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(f))
    res = run("count", str(f), "--arch", "2,9,9,1")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(regions.count_regions(model))


def test_count_json_streams_the_same_numbers_as_the_partition(
    model_file: tuple[pathlib.Path, Any],
) -> None:
    f, model = model_file
    p = regions.linear_regions(model, (-4, -4, 4, 4))
    res = run("count", str(f), "--json", "--bbox", "-4", "-4", "4", "4")  # streamed
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["regions"] == len(p) and out["layer_counts"] == p.layer_counts
    assert out["bbox"] == [-4.0, -4.0, 4.0, 4.0] and out["verified"] is False
    res = run("count", str(f), "--json", "--bbox", "-4", "-4", "4", "4", "--verify")  # partition
    assert json.loads(res.stdout)["layer_counts"] == p.layer_counts


def test_bbox_values_in_exponent_form(model_file: tuple[pathlib.Path, Any]) -> None:
    f, model = model_file
    res = run("count", str(f), "--bbox", "-1e2", "-1e2", "1e2", "1e2")
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) == regions.count_regions(model, (-100, -100, 100, 100))


def test_arch_is_checked_for_every_format(
    tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]
) -> None:
    import warnings

    _, model = model_file
    ts = tmp_path / "ts.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(model), str(ts))
    assert run("count", str(ts), "--arch", "2,10,10,1").returncode == 0
    res = run("count", str(ts), "--arch", "2,10,1")
    assert res.returncode == 1 and "arch=2,10,1 does not match the file" in res.stderr
    res = run("count", str(ts), "--arch", "")
    assert res.returncode == 2 and "give layer widths as integers" in res.stderr


def test_paths_that_are_directories_or_files(
    tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]
) -> None:
    f, _ = model_file
    res = run("count", str(tmp_path))
    assert res.returncode == 1 and "is a directory" in res.stderr
    (tmp_path / "out.geojson").mkdir()
    res = run("export", str(f), "-o", str(tmp_path / "out.geojson"))
    assert res.returncode == 1 and "is a directory" in res.stderr
    (tmp_path / "afile").write_text("x")
    res = run("demo", "-o", str(tmp_path / "afile"))
    assert res.returncode == 1 and "is a file" in res.stderr


def test_whole_plane_with_the_shapely_method_is_a_usage_error(
    model_file: tuple[pathlib.Path, Any],
) -> None:
    f, _ = model_file
    res = run("count", str(f), "--method", "shapely", "--whole-plane")
    assert res.returncode == 2
    assert "regions count: error: --whole-plane needs --method fast" in res.stderr
    assert res.stderr.startswith("usage: regions count ")


# ------------------------------------------------------------------ option values (QA round 12)
def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``regions ARGV`` in-process; assert a usage error (exit 2); return its stderr."""
    with pytest.raises(SystemExit) as exc:
        cli.main(list(argv))
    assert exc.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        ("foo", "'foo': give layer widths as integers separated by commas, e.g. 2,20,1"),
        ("2,,1", "'2,,1': give layer widths as integers"),
        ("2,0,1", "'2,0,1': layer widths must be positive, got 0"),
        ("2,-3,1", "'2,-3,1': layer widths must be positive, got -3"),
    ],
)
def test_malformed_arch_is_a_usage_error(
    arch: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = usage_error(capsys, "count", "m.pt", "--arch", arch)
    assert err.startswith("usage: regions count ")
    assert f"regions count: error: argument --arch: {message}" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--dpi", "100000", "argument --dpi: must be from 1 to 600, got 100000"),
        ("--dpi", "0", "argument --dpi: must be from 1 to 600, got 0"),
        ("--resolution", "100000", "argument --resolution: must be from 2 to 10000, got 100000"),
        ("--resolution", "1", "argument --resolution: must be from 2 to 10000, got 1"),
        ("--resolution", "2.5", "argument --resolution: invalid int value: '2.5'"),
    ],
)
def test_plot_sizes_out_of_range_are_usage_errors(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # refused before the model is read or anything is allocated
    err = usage_error(capsys, "plot", "no-such.pt", "-o", "r.png", "--raster", flag, value)
    assert err.startswith("usage: regions plot ") and f"regions plot: error: {message}" in err
    if value == "100000" and flag == "--resolution":
        assert "would need about 596 GiB" in err


def test_unknown_option_gives_the_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "count", "m.pt", "--bogus")
    assert err.startswith("usage: regions count ")
    assert "regions count: error: unrecognized arguments: --bogus" in err
    err = usage_error(capsys, "count", "m.pt", "--method", "shapely", "--whole-plane")
    assert err.startswith("usage: regions count ")


def test_largest_allowed_values_are_accepted() -> None:
    from regions.raster import MAX_RASTER_PIXELS

    args = cli._parser().parse_args(
        ["plot", "m.pt", "-o", "r.png", "--dpi", str(cli.MAX_DPI), "--resolution", "10000"]
    )
    assert args.dpi == cli.MAX_DPI and args.resolution**2 == MAX_RASTER_PIXELS
    assert cli._parser().parse_args(["count", "m.pt", "--arch", "2,5,1"]).arch == [2, 5, 1]


def test_bench_passes_out_to_the_suite(tmp_path: pathlib.Path) -> None:
    suite = tmp_path / "suite.py"
    suite.write_text(
        "import sys, pathlib\n"
        "pathlib.Path(sys.argv[0]).with_name('argv.txt').write_text(' '.join(sys.argv[1:]))\n"
    )
    if importlib.util.find_spec("regioncam") is None:
        pytest.skip("regions bench needs regioncam")
    res = run(
        "bench", "--quick", "--out", "q.md", cwd=tmp_path, env={cli.BENCH_SUITE_ENV: str(suite)}
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "argv.txt").read_text() == f"--quick --out {tmp_path.resolve() / 'q.md'}"


def _load_suite() -> Any:
    return load_suite()


@pytest.mark.parametrize("out", [None, "quick.md"])
def test_quick_suite_writes_only_with_out(
    out: str | None,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("regioncam")
    suite = _load_suite()
    # a stand-in checkout: a quick run must not write into its results folder
    (tmp_path / "results").mkdir()
    monkeypatch.setattr(suite, "HERE", tmp_path)
    fake = {"count": 7, "times": [0.01], "peak_mb": 100.0}
    monkeypatch.setattr(suite, "measure", lambda spec, max_mb, timeout: dict(fake))
    monkeypatch.chdir(tmp_path)
    argv = ["suite.py", "--quick", *(["--out", out] if out else [])]
    monkeypatch.setattr(sys, "argv", argv)
    suite.main()
    printed = capsys.readouterr().out
    assert "| 7 |" in printed
    assert list((tmp_path / "results").iterdir()) == []
    if out is None:
        assert "printed only" in printed and sorted(p.name for p in tmp_path.iterdir()) == [
            "results"
        ]
    else:
        assert "| 7 |" in (tmp_path / out).read_text()
