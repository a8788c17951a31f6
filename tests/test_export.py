"""GeoJSON and .npz export: structure (RFC 7946), content, and the command line."""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import shapely
import torch

import regions
from regions.course import deep_model, mlp
from regions.export import last_split_layer, save_npz, to_geojson, write_geojson
from regions.network import Network


# ----------------------------------------------------------------- RFC 7946 structural check
def _signed_area(ring: list[list[float]]) -> float:
    xy = np.asarray(ring, dtype=np.float64)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _check_position(pos: Any, where: str) -> None:
    assert isinstance(pos, list) and len(pos) >= 2, f"{where}: position {pos!r}"
    for v in pos:
        assert isinstance(v, (int, float)) and not isinstance(v, bool), f"{where}: {v!r}"
        assert math.isfinite(v), f"{where}: non-finite coordinate {v!r}"


def check_rfc7946(fc: Any) -> None:
    """Raise AssertionError unless ``fc`` is a structurally valid RFC 7946 FeatureCollection
    of Polygons: closed rings of at least four numeric positions, exterior rings
    counter-clockwise and holes clockwise (section 3.1.6), no ``crs`` member (section 4)."""
    assert isinstance(fc, dict) and fc.get("type") == "FeatureCollection"
    assert "crs" not in fc
    assert isinstance(fc.get("features"), list)
    if "bbox" in fc:
        b = fc["bbox"]
        assert isinstance(b, list) and len(b) == 4
        _check_position(b[:2], "bbox")
        _check_position(b[2:], "bbox")
        assert b[0] <= b[2] and b[1] <= b[3]
    for i, feat in enumerate(fc["features"]):
        where = f"feature {i}"
        assert isinstance(feat, dict) and feat.get("type") == "Feature", where
        assert "crs" not in feat
        assert "properties" in feat and (
            feat["properties"] is None or isinstance(feat["properties"], dict)
        )
        geom = feat.get("geometry")
        assert isinstance(geom, dict) and geom.get("type") == "Polygon", where
        assert "crs" not in geom
        rings = geom.get("coordinates")
        assert isinstance(rings, list) and rings, f"{where}: no rings"
        for k, ring in enumerate(rings):
            assert isinstance(ring, list) and len(ring) >= 4, f"{where} ring {k}: too short"
            for pos in ring:
                _check_position(pos, f"{where} ring {k}")
            assert ring[0] == ring[-1], f"{where} ring {k}: not closed"
            area = _signed_area(ring)
            if k == 0:
                assert area > 0, f"{where}: exterior ring is not counter-clockwise"
            else:
                assert area < 0, f"{where}: hole {k} is not clockwise"


def _square(orient: int = 1) -> list[list[float]]:
    ring = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    return ring if orient > 0 else ring[::-1]


def _fc(rings: list[Any], **extra: Any) -> dict[str, Any]:
    feat = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": rings},
    }
    return {"type": "FeatureCollection", "features": [feat], **extra}


def test_the_structural_check_can_fail() -> None:
    check_rfc7946(_fc([_square()]))
    bad = [
        _fc([_square(-1)]),  # clockwise exterior
        _fc([_square()[:-1]]),  # not closed
        _fc([_square()], crs={"type": "name"}),
        _fc([[[0.0, 0.0], [1.0, 0.0], ["a", 1.0], [0.0, 0.0]]]),
        _fc([[[0.0, 0.0], [1.0, 0.0], [float("nan"), 1.0], [0.0, 0.0]]]),
        _fc([_square(), [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.2]]]),  # hole CCW
        {"type": "GeometryCollection", "features": []},
    ]
    for fc in bad:
        with pytest.raises(AssertionError):
            check_rfc7946(fc)


# ----------------------------------------------------------------- GeoJSON content
def _relu_x_net() -> Network:
    """Layer 0: relu(x), cutting x = 0; layer 1: relu(relu(x) - 0.5), cutting only x > 0."""
    return Network.from_arrays([([[1.0, 0.0]], [0.0]), ([[1.0]], [-0.5])], ([[1.0]], [0.0]))


def test_geojson_of_a_course_model() -> None:
    model = deep_model()
    p = regions.linear_regions(model)
    fc = to_geojson(p)
    check_rfc7946(fc)
    json.dumps(fc, allow_nan=False)
    assert len(fc["features"]) == regions.count_regions(model) == len(p)
    assert fc["bbox"] == [-10.0, -10.0, 10.0, 10.0]
    assert fc["regions"]["hidden_widths"] == [5, 5, 5, 5]
    assert "not geographic" in fc["regions"]["coordinates"]
    total = 0.0
    for r, feat in enumerate(fc["features"]):
        props = feat["properties"]
        assert props["region"] == r
        assert props["pattern"] == "".join("1" if b else "0" for b in p.patterns[r])
        assert np.allclose(props["gradient"], p.jacobians[r])
        assert np.allclose(props["offset"], p.offsets[r])
        poly = shapely.Polygon(feat["geometry"]["coordinates"][0])
        assert poly.area == pytest.approx(props["area"], rel=1e-9)
        assert 0 <= props["last_split_layer"] <= 3
        # the affine map reproduces the model at an interior point
        pt = shapely.get_coordinates(poly.point_on_surface())[0]
        with torch.no_grad():
            y = model.double()(torch.tensor(pt[None], dtype=torch.float64)).numpy()[0]
        pred = np.asarray(props["gradient"]) @ pt + np.asarray(props["offset"])
        assert np.allclose(pred, y, rtol=1e-9, atol=1e-12)
        total += poly.area
    assert total == pytest.approx(400.0, rel=1e-9)


def test_geojson_hole_is_clockwise() -> None:
    # one neuron cutting at x = 1.5: the left region surrounds the domain's hole
    net = Network.from_arrays([([[1.0, 0.0]], [-1.5])], ([[1.0]], [0.0]))
    dom = shapely.Polygon(
        [(-2, -2), (2, -2), (2, 2), (-2, 2)], holes=[[(-1, -1), (1, -1), (1, 1), (-1, 1)]]
    )
    fc = to_geojson(regions.linear_regions(net, dom))
    check_rfc7946(fc)
    rings = [len(f["geometry"]["coordinates"]) for f in fc["features"]]
    assert sorted(rings) == [1, 2]


def test_write_geojson_round_trips(tmp_path: pathlib.Path) -> None:
    p = regions.linear_regions(mlp((2, 6, 1), seed=3), (-2, -2, 2, 2))
    f = write_geojson(p, tmp_path / "r.geojson")
    assert json.loads(f.read_text()) == json.loads(json.dumps(to_geojson(p)))


def test_export_rejects_non_partitions(tmp_path: pathlib.Path) -> None:
    with pytest.raises(TypeError, match="partition must be a regions.Partition"):
        to_geojson([1, 2])
    with pytest.raises(TypeError, match="partition must be a regions.Partition"):
        save_npz("p", tmp_path / "x.npz")


# ----------------------------------------------------------------- last split layer
def test_last_split_layer_by_hand() -> None:
    for method in ("fast", "shapely"):  # the mesh reading and the pattern reading
        p = regions.linear_regions(_relu_x_net(), (-1, -1, 1, 1), method=method)
        assert (p.mesh is not None) == (method == "fast")
        last = last_split_layer(p)
        x = p.interior_points()[:, 0]
        assert len(p) == 3
        assert last[x < 0].tolist() == [0]  # layer 1 leaves the x < 0 cell whole
        assert sorted(last[x > 0].tolist()) == [1, 1]


def test_last_split_layer_no_split() -> None:
    p = regions.linear_regions(Network.from_arrays([], ([[1.0, 2.0]], [0.5])), (-1, -1, 1, 1))
    assert last_split_layer(p).tolist() == [-1]
    # a neuron whose zero line misses the domain splits nothing either
    net = Network.from_arrays([([[1.0, 0.0]], [5.0])], ([[1.0]], [0.0]))
    assert last_split_layer(regions.linear_regions(net, (-1, -1, 1, 1))).tolist() == [-1]


def test_last_split_layer_mesh_and_patterns_agree() -> None:
    model = mlp((2, 6, 6, 6, 1), seed=7)
    fast = regions.linear_regions(model, (-3, -3, 3, 3))
    ref = regions.linear_regions(model, (-3, -3, 3, 3), method="shapely")
    assert ref.mesh is None and fast.mesh is not None
    ref_last = last_split_layer(ref)
    by_pattern = {row.tobytes(): v for row, v in zip(ref.patterns, ref_last, strict=True)}
    got = last_split_layer(fast)
    assert [by_pattern[row.tobytes()] for row in fast.patterns] == got.tolist()
    assert len(set(got.tolist())) > 1


# ----------------------------------------------------------------- npz
def _polygons_from_npz(z: Any) -> list[shapely.Polygon]:
    v, ring_ptr, region_ptr = z["vertices"], z["ring_ptr"], z["region_ptr"]
    rings = [v[ring_ptr[k] : ring_ptr[k + 1]] for k in range(len(ring_ptr) - 1)]
    return [
        shapely.Polygon(rings[region_ptr[r]], rings[region_ptr[r] + 1 : region_ptr[r + 1]])
        for r in range(len(region_ptr) - 1)
    ]


def _check_npz(z: Any, p: regions.Partition) -> None:
    r, n = p.patterns.shape
    assert z["vertices"].ndim == 2 and z["vertices"].shape[1] == 2
    assert z["region_ptr"].shape == (r + 1,) and z["region_ptr"][0] == 0
    assert z["ring_ptr"][0] == 0 and z["ring_ptr"][-1] == len(z["vertices"])
    assert z["region_ptr"][-1] == len(z["ring_ptr"]) - 1
    assert (np.diff(z["ring_ptr"]) >= 3).all() and (np.diff(z["region_ptr"]) >= 1).all()
    assert z["patterns"].shape == (r, n) and z["patterns"].dtype == bool
    assert z["jacobians"].shape == (r, p.network.n_out, 2)
    assert z["offsets"].shape == (r, p.network.n_out)
    assert z["areas"].shape == (r,) and z["last_split_layer"].shape == (r,)
    assert z["bbox"].tolist() == list(p.domain.bounds)
    assert z["layer_counts"].tolist() == p.layer_counts
    polys = _polygons_from_npz(z)
    assert all(poly.is_valid for poly in polys)
    assert np.allclose([poly.area for poly in polys], p.areas, rtol=1e-12)
    assert np.allclose(z["areas"], p.areas, rtol=1e-12)
    assert np.array_equal(z["patterns"], p.patterns)
    assert np.array_equal(z["jacobians"], p.jacobians)
    for poly in polys:  # exterior counter-clockwise, holes clockwise
        assert poly.exterior.is_ccw and not any(h.is_ccw for h in poly.interiors)


def test_npz_of_a_course_model(tmp_path: pathlib.Path) -> None:
    p = regions.linear_regions(deep_model())
    f = save_npz(p, tmp_path / "r.npz")
    with np.load(f) as z:
        _check_npz(z, p)


def test_npz_with_holes_and_suffix(tmp_path: pathlib.Path) -> None:
    net = Network.from_arrays([([[1.0, 0.0]], [-1.5])], ([[1.0]], [0.0]))
    dom = shapely.Polygon(
        [(-2, -2), (2, -2), (2, 2), (-2, 2)], holes=[[(-1, -1), (1, -1), (1, 1), (-1, 1)]]
    )
    p = regions.linear_regions(net, dom)
    f = save_npz(p, tmp_path / "r")
    assert f.name == "r.npz"
    with np.load(f) as z:
        _check_npz(z, p)
        assert len(z["ring_ptr"]) - 1 == 3  # two exteriors and one hole


# ----------------------------------------------------------------- command line
def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regions", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, Any]:
    model = mlp((2, 10, 10, 1), seed=5)
    f = tmp_path_factory.mktemp("model") / "m.pt"
    torch.save(model.state_dict(), f)
    return f, model


def test_cli_export_geojson(tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]) -> None:
    f, model = model_file
    out = tmp_path / "r.geojson"
    res = run("export", str(f), "-o", str(out), "--bbox", "-4", "-3", "5", "3")
    assert res.returncode == 0, res.stderr
    fc = json.loads(out.read_text())
    check_rfc7946(fc)
    n = regions.count_regions(model, (-4, -3, 5, 3))
    assert len(fc["features"]) == n and f"{n} regions" in res.stdout
    assert fc["bbox"] == [-4.0, -3.0, 5.0, 3.0]
    for feat in fc["features"]:
        assert {"pattern", "gradient", "offset", "last_split_layer"} <= set(feat["properties"])
        assert len(feat["properties"]["pattern"]) == 20


def test_cli_export_npz(tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]) -> None:
    f, model = model_file
    out = tmp_path / "r.npz"
    res = run("export", str(f), "-o", str(out))
    assert res.returncode == 0, res.stderr
    p = regions.linear_regions(model)
    with np.load(out) as z:
        _check_npz(z, p)


def test_cli_export_bad_output(
    tmp_path: pathlib.Path, model_file: tuple[pathlib.Path, Any]
) -> None:
    f, _ = model_file
    res = run("export", str(f), "-o", str(tmp_path / "r.shp"))
    assert res.returncode == 1 and "unknown export format '.shp'" in res.stderr
    assert "Traceback" not in res.stderr
    res = run("export", str(f), "-o", str(tmp_path / "missing" / "r.npz"))
    assert res.returncode == 1 and "does not exist" in res.stderr
    res = run("export", str(f))
    assert res.returncode == 2 and "-o" in res.stderr


def test_whole_plane_geojson_marks_unbounded_regions() -> None:
    import json

    import regions
    from regions.course import mlp
    from regions.export import to_geojson

    p = regions.linear_regions(mlp((2, 6, 1), seed=1), None)
    fc = json.loads(json.dumps(to_geojson(p), allow_nan=False))  # strict JSON: no inf
    props = [f["properties"] for f in fc["features"]]
    assert len(props) == len(p) == 1 + 6 + 15
    assert sum(not q["bounded"] for q in props) == 12
    assert all((q["area"] is None) == (not q["bounded"]) for q in props)
    assert fc["regions"]["whole_plane"] is True


def test_save_npz_refuses_a_directory(tmp_path: pathlib.Path) -> None:
    p = regions.linear_regions(mlp((2, 4, 1), seed=1))
    with pytest.raises(regions.ParameterError, match=r"is a directory"):
        save_npz(p, tmp_path)
    assert not (tmp_path.parent / (tmp_path.name + ".npz")).exists()


# ----------------------------------------------------------------- bad paths (QA round 12)
@pytest.mark.parametrize("write", [save_npz, write_geojson])
def test_bad_output_paths_are_named(write: Any, tmp_path: pathlib.Path) -> None:
    p = regions.linear_regions(mlp((2, 4, 1), seed=1))
    for bad in (None, 3, b"r.npz"):
        with pytest.raises(regions.ArgumentTypeError, match=r"path must be a str or path-like"):
            write(p, bad)
    missing = tmp_path / "missing" / "r.npz"
    with pytest.raises(regions.ParameterError, match=r"directory .*missing' does not exist"):
        write(p, missing)
    with pytest.raises(regions.ParameterError, match=r"directory .*missing' does not exist"):
        write(p, str(missing))
    assert not (tmp_path / "missing").exists()  # refused, not created: as the CLI's -o
    with pytest.raises(regions.ParameterError, match=r"is a directory"):
        write(p, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_npz_of_the_whole_plane_marks_unbounded_regions(tmp_path: pathlib.Path) -> None:
    p = regions.linear_regions(mlp((2, 6, 1), seed=1), None)
    with np.load(save_npz(p, tmp_path / "w.npz")) as z:
        assert bool(z["whole_plane"]) is True
        assert np.array_equal(z["bounded"], p.bounded) and int((~z["bounded"]).sum()) == 12
        assert np.array_equal(np.isinf(z["areas"]), ~z["bounded"])
        assert np.array_equal(z["bbox"], p.domain.bounds)  # the frame the polygons are clipped to
        assert len(z["region_ptr"]) == len(p) + 1
    q = regions.linear_regions(mlp((2, 6, 1), seed=1))
    with np.load(save_npz(q, tmp_path / "b.npz")) as z:
        assert bool(z["whole_plane"]) is False and z["bounded"].all()
