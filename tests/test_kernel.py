"""The compiled kernel (numba) against the array code: the same partitions."""

from __future__ import annotations

import re
from typing import Any

import numba  # noqa: F401  (a dev dependency: the kernel is optional for users)
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import regions
from regions import Network, Partition
from regions.domain import as_domain
from regions.oracle import oracle_regions
from regions.split import count_faces, split_mesh


def random_mlp(rng: np.random.Generator, widths: list[int]) -> Network:
    hidden, d = [], 2
    for n in widths:
        hidden.append((rng.normal(size=(n, d)) / np.sqrt(d), rng.normal(size=n) * 0.5))
        d = n
    return Network.from_arrays(hidden, (rng.normal(size=(1, d)), rng.normal(size=1)))


def partition(net: Network, bbox: tuple[float, ...], kernel: str) -> Partition:
    dom = as_domain(bbox)
    mesh = split_mesh(net.hidden, dom.ring, kernel=kernel)
    return Partition(net, dom, mesh.patterns(), mesh.layer_counts, mesh=mesh)


def sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])] if a.shape[1] else a


@pytest.mark.parametrize("seed", range(25))
def test_numba_equals_numpy_on_random_nets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    widths = [int(v) for v in rng.integers(1, 24, size=int(rng.integers(1, 4)))]
    net = random_mlp(rng, widths)
    h = float(rng.uniform(0.5, 20))
    bbox = (-h, -h, h, h)
    a, b = partition(net, bbox, "numpy"), partition(net, bbox, "numba")
    assert a.layer_counts == b.layer_counts
    # the same regions in the same (canonical) order, whichever kernel made them
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_allclose(a.areas, b.areas, rtol=1e-9, atol=1e-12 * a.domain.area)
    np.testing.assert_array_equal(sorted_rows(a.patterns), sorted_rows(b.patterns))
    idx = b.locate(a.interior_points())
    np.testing.assert_array_equal(a.patterns, b.patterns[idx])
    diff = shapely.area(shapely.symmetric_difference(a.polygons, b.polygons[idx]))
    assert float(np.max(diff)) <= 1e-9 * a.domain.area
    b.verify()
    ring = as_domain(bbox).ring
    assert count_faces(net.hidden, ring, chunk_faces=50, kernel="numba") == a.layer_counts


def test_numba_on_degenerate_nets_matches_the_oracle(degenerate_case: Any) -> None:
    net = degenerate_case.net
    dom = as_domain(degenerate_case.bbox)
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in net.hidden], dom.ring)
    mesh = split_mesh(net.hidden, dom.ring, kernel="numba")
    assert mesh.layer_counts == list(ref.layer_counts)
    np.testing.assert_array_equal(
        sorted_rows(mesh.patterns()), sorted_rows(np.asarray(ref.patterns, dtype=bool))
    )


def test_numba_respects_max_regions_and_validates_the_kernel_name() -> None:
    rng = np.random.default_rng(0)
    net = random_mlp(rng, [20, 20])
    for kernel in ("numba", "numpy"):
        with pytest.raises(regions.RegionLimitError, match="max_regions=10") as info:
            split_mesh(net.hidden, as_domain((-3, -3, 3, 3)).ring, max_faces=10, kernel=kernel)
        so_far = re.search(r"\((\d+) so far\)", str(info.value))
        assert so_far is not None and int(so_far.group(1)) > 10, str(info.value)
    with pytest.raises(ValueError, match="kernel must be"):
        split_mesh(net.hidden, as_domain((-3, -3, 3, 3)).ring, kernel="cuda")


@pytest.mark.parametrize("seed", range(6))
def test_regrouping_the_cells_mid_layer_changes_nothing(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regions._kernel as kernel_module

    rng = np.random.default_rng(100 + seed)
    net = random_mlp(rng, [int(rng.integers(20, 60)), int(rng.integers(5, 30))])
    ring = as_domain((-4, -4, 4, 4)).ring
    monkeypatch.setattr(kernel_module, "REGROUP_FACTOR", 10**9)  # never
    once = split_mesh(net.hidden, ring, kernel="numba")
    monkeypatch.setattr(kernel_module, "REGROUP_FACTOR", 2)  # often
    often = split_mesh(net.hidden, ring, kernel="numba")
    ref = split_mesh(net.hidden, ring, kernel="numpy")
    assert once.layer_counts == often.layer_counts == ref.layer_counts
    for m in (once, often):
        np.testing.assert_array_equal(sorted_rows(m.patterns()), sorted_rows(ref.patterns()))
        # parents point into the previous layer: each face's pattern there is its parent's
        for layer in range(1, len(m.layer_patterns)):
            par = m.layer_parents[layer]
            assert par.min() >= 0 and par.max() < len(m.layer_patterns[layer - 1])


@pytest.mark.parametrize("seed", range(4))
def test_streaming_count_is_the_same_for_any_workers_and_chunks(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    net = random_mlp(rng, [int(v) for v in rng.integers(8, 30, size=3)])
    ring = as_domain((-6, -6, 6, 6)).ring
    full = split_mesh(net.hidden, ring, kernel="numpy").layer_counts
    for kernel in ("numpy", "numba"):
        for workers in (1, 2, 3):
            for chunk in (7, 200, 20000):
                got = count_faces(net.hidden, ring, chunk_faces=chunk, kernel=kernel,
                                  workers=workers)
                assert got == full, (kernel, workers, chunk)


@pytest.mark.parametrize("seed", range(6))
def test_streaming_count_with_every_face_map_path_equals_the_splitter(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # float nets of three and four layers, every map path forced (second and third layers'
    # rows, a last second layer), against the array splitter's counts
    rng = np.random.default_rng(900 + seed)
    net = random_mlp(rng, [int(v) for v in rng.integers(6, 40, size=3 + seed % 2)])
    h = float(rng.uniform(1, 30))
    ring = as_domain((-h, -h, h, h)).ring
    full = split_mesh(net.hidden, ring, kernel="numpy").layer_counts
    calls = _spy_root_maps(monkeypatch)
    for workers, chunk in ((1, 20000), (2, 9), (3, 150)):
        got = count_faces(net.hidden, ring, chunk_faces=chunk, kernel="numba", workers=workers)
        assert got == full, (workers, chunk)
    assert "_chunk_next_rows" in calls


def test_streaming_count_passes_errors_on_and_validates_workers() -> None:
    net = random_mlp(np.random.default_rng(1), [10, 10])
    ring = as_domain((-3, -3, 3, 3)).ring
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        count_faces(net.hidden, ring, workers=0)
    with pytest.raises(ValueError, match="kernel must be"):  # raised in a worker thread
        count_faces(net.hidden, ring, kernel="gpu", workers=2)


def test_spatial_order_is_a_permutation_of_compact_runs() -> None:
    from regions.split import _spatial_order

    rng = np.random.default_rng(3)
    net = random_mlp(rng, [40])
    mesh = split_mesh(net.hidden, as_domain((-5, -5, 5, 5)).ring)
    order = _spatial_order(mesh.xy, mesh.face_ptr, mesh.face_verts)
    np.testing.assert_array_equal(np.sort(order), np.arange(mesh.n_faces))
    # faces next to each other in the order are closer than random pairs, on average
    first = mesh.xy[mesh.face_verts[mesh.face_ptr[:-1]]][order]
    near = np.linalg.norm(np.diff(first, axis=0), axis=1).mean()
    rand = np.linalg.norm(first - first[rng.permutation(len(first))], axis=1).mean()
    assert near < 0.5 * rand


def test_streaming_count_with_a_progress_bar_counts_the_same() -> None:
    net = random_mlp(np.random.default_rng(5), [25, 25])
    ring = as_domain((-5, -5, 5, 5)).ring
    assert count_faces(net.hidden, ring, chunk_faces=30, progress=True) == count_faces(
        net.hidden, ring, chunk_faces=30
    )


def _spy_root_maps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Force the per-face map paths of ``count_faces`` and count their calls.

    Rows for a third layer (``_root_next_rows``), for a fourth
    (``_chunk_next_rows``), or the count of a last second layer
    (``_root_count_next``, its faces split between threads even when few).
    """
    import regions.split as split_module

    calls: list[str] = []
    for name in ("_root_next_rows", "_root_count_next", "_chunk_next_rows"):
        real = getattr(split_module, name)

        def spy(*a: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append(_name)
            return _real(*a)

        monkeypatch.setattr(split_module, name, spy)
    monkeypatch.setattr(split_module, "ROOT_MAP_MIN", 1)
    monkeypatch.setattr(split_module, "ROOT_PART_FACES", 1)
    monkeypatch.setattr(split_module, "CHUNK_MAP_MIN", 1)
    monkeypatch.setattr(split_module, "CHUNK_MAP_RATIO", 0.0)
    return calls


def test_root_maps_on_degenerate_nets_match_the_oracle(
    degenerate_case: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = list(degenerate_case.net.hidden)
    if len(hidden) == 1:  # give the maps a second layer to compute (half-integer weights)
        rng = np.random.default_rng(7)
        n = hidden[0][0].shape[0]
        hidden.append((rng.integers(-2, 3, size=(3, n)) / 2, rng.integers(-2, 3, size=3) / 2))
    calls = _spy_root_maps(monkeypatch)
    dom = as_domain(degenerate_case.bbox)
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], dom.ring)
    for chunk, workers in ((1, 1), (20000, 3)):
        got = count_faces(hidden, dom.ring, chunk_faces=chunk, kernel="numba", workers=workers)
        assert got == list(ref.layer_counts), chunk
    assert calls


@pytest.mark.parametrize("seed", range(40))
def test_root_maps_on_integer_nets_match_the_oracle(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small-integer weights: concurrent, parallel and repeated lines, lines through vertices
    rng = np.random.default_rng(300 + seed)
    hidden, d = [], 2
    for n in rng.integers(2, 7, size=int(rng.integers(2, 4))):
        hidden.append((rng.integers(-2, 3, size=(n, d)) / 2, rng.integers(-2, 3, size=n) / 2))
        d = int(n)
    calls = _spy_root_maps(monkeypatch)
    ring = as_domain((-3, -2, 2, 3)).ring
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], ring)
    got = count_faces(hidden, ring, chunk_faces=int(rng.integers(1, 6)), kernel="numba")
    assert got == list(ref.layer_counts)
    assert calls


@pytest.mark.parametrize("seed", range(30))
def test_chunk_maps_on_integer_nets_match_the_oracle(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three or four layers of small-integer weights: the third layer's rows from face maps
    rng = np.random.default_rng(700 + seed)
    hidden, d = [], 2
    for n in rng.integers(2, 7, size=int(rng.integers(3, 5))):
        hidden.append((rng.integers(-2, 3, size=(n, d)) / 2, rng.integers(-2, 3, size=n) / 2))
        d = int(n)
    import regions.split as split_module

    calls: list[int] = []
    real = split_module._chunk_next_rows

    def spy(*a: Any) -> Any:
        calls.append(1)
        return real(*a)

    _spy_root_maps(monkeypatch)
    monkeypatch.setattr(split_module, "_chunk_next_rows", spy)
    ring = as_domain((-3, -2, 2, 3)).ring
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], ring)
    for chunk, workers in ((int(rng.integers(1, 6)), 2), (20000, 1)):
        got = count_faces(hidden, ring, chunk_faces=chunk, kernel="numba", workers=workers)
        assert got == list(ref.layer_counts), (chunk, workers)
    assert calls


@pytest.mark.parametrize("seed", range(8))
def test_chunk_rows_equal_the_direct_product(seed: int) -> None:
    from regions._kernel import face_bits
    from regions.split import _chunk_next_rows, _root_next_rows, _sub_mesh, refine_layer

    rng = np.random.default_rng(500 + seed)
    n0, n1, n2 = (int(n) for n in rng.integers(1, 60, size=3))
    net = random_mlp(rng, [n0, n1, n2])
    (w0, b0), (w1, b1), (w2, b2) = net.hidden
    if seed % 2:  # repeated and dead neurons in the first two layers
        w0[1::3], b0[1::3] = w0[0], b0[0]
        w1[2::5], b1[2::5] = 0.0, -1.0
        w1[1::4], b1[1::4] = w1[0], b1[0]
    h = float(rng.uniform(0.5, 50))
    ring = as_domain((-h, -h, h, h)).ring
    r = refine_layer(ring, ring.copy(), np.array([0, 4]), np.arange(4), w0, b0, kernel="numba")
    _, _, bits = _root_next_rows(r.xy, r.z, r.face_ptr, r.face_verts, w0, b0, w1, b1)
    # a chunk of the first layer's cells (not all: some neighbours are missing)
    nf = len(r.face_ptr) - 1
    cells = np.sort(rng.choice(nf, size=max(1, 2 * nf // 3), replace=False))
    used, cptr, cverts = _sub_mesh(r.face_ptr, r.face_verts, cells)
    act1 = np.maximum(r.xy[used] @ w0.T + b0, 0.0)
    r2 = refine_layer(r.xy[used], act1, cptr, cverts, w1, b1, kernel="numba")
    nv = len(r2.xy)
    got, sc = _chunk_next_rows(
        r2.xy, r2.z, cptr, cverts, r2.face_ptr, r2.face_verts, r2.parents, bits[cells],
        (w0, b0), (w1, b1), (w2, b2),
    )
    act = np.maximum(r2.z[:nv], 0.0)
    direct = act @ w2.T + b2
    np.testing.assert_array_equal(sc[:nv], act.max(axis=1))
    # within the rounding of the summed terms, never a sign the direct product lacks
    g0 = (np.abs(r2.xy) @ np.abs(w0).T + np.abs(b0)).max(axis=1)
    g1 = (np.outer(g0, np.abs(w1).sum(axis=1)) + np.abs(b1)).max(axis=1)
    big = np.outer(g1, np.abs(w2).sum(axis=1)) + np.abs(b2)
    assert np.all(np.abs(got[:nv] - direct) <= 1e-12 * big)
    near = np.abs(direct) <= 1e-9 * big
    np.testing.assert_array_equal(np.sign(got[:nv][~near]), np.sign(direct[~near]))
    # the chunk's cells have the bits of the root arrangement
    np.testing.assert_array_equal(
        bits[cells], face_bits(np.ascontiguousarray(r.z[used]), len(used), cptr, cverts)
    )


@pytest.mark.parametrize("seed", range(8))
def test_root_rows_equal_the_direct_product(seed: int) -> None:
    from regions.split import _root_next_rows, refine_layer

    rng = np.random.default_rng(400 + seed)
    n1, n2 = int(rng.integers(1, 80)), int(rng.integers(1, 80))
    net = random_mlp(rng, [n1, n2])
    (w1, b1), (w2, b2) = net.hidden
    if seed % 2:  # repeated and dead neurons in the first layer
        w1[1::3], b1[1::3] = w1[0], b1[0]
        w1[2::5], b1[2::5] = 0.0, -1.0
    h = float(rng.uniform(0.5, 50))
    ring = as_domain((-h, -h, h, h)).ring
    r = refine_layer(ring, ring.copy(), np.array([0, 4]), np.arange(4), w1, b1, kernel="numba")
    nv = len(r.xy)
    rows, scale, _ = _root_next_rows(r.xy, r.z, r.face_ptr, r.face_verts, w1, b1, w2, b2)
    act = np.maximum(r.z[:nv], 0.0)
    direct = act @ w2.T + b2
    np.testing.assert_array_equal(scale[:nv], act.max(axis=1))
    # within the rounding of the summed terms, never a sign the direct product lacks
    g = (np.abs(r.xy) @ np.abs(w1).T + np.abs(b1)).max(axis=1)
    bound = 1e-13 * (np.outer(g, np.abs(w2).sum(axis=1)) + np.abs(b2))
    assert np.all(np.abs(rows[:nv] - direct) <= bound)
    near = np.abs(direct) <= 1e-9 * (np.outer(g, np.abs(w2).sum(axis=1)) + np.abs(b2))
    np.testing.assert_array_equal(np.sign(rows[:nv][~near]), np.sign(direct[~near]))


def test_count_regions_kernel_choice_gives_the_same_count() -> None:
    rng = np.random.default_rng(11)
    net = random_mlp(rng, [12, 9])
    bbox = (-4.0, -3.0, 5.0, 4.0)
    counts = {k: regions.count_regions(net, bbox, kernel=k) for k in ("auto", "numba", "numpy")}
    assert len(set(counts.values())) == 1
    assert counts["numba"] == len(regions.linear_regions(net, bbox))
    with pytest.raises(ValueError, match=r"kernel must be one of .*, got 'gpu'"):
        regions.count_regions(net, bbox, kernel="gpu")


def _count_and_split(hidden: list[Any], ring: np.ndarray, layer: int) -> tuple[int, int]:
    """Faces of ``layer`` on the mesh of the layers before it: counted, and split."""
    from regions.split import count_layer, refine_layer

    mesh = split_mesh(hidden[:layer], ring) if layer else None
    if mesh is None:
        xy, act = ring, ring.copy()
        ptr, verts = np.array([0, len(ring)]), np.arange(len(ring))
    else:
        xy, ptr, verts = mesh.xy, mesh.face_ptr, mesh.face_verts
        act = xy
        for w, b in hidden[:layer]:  # the layer input at the vertices
            act = np.maximum(act @ w.T + b, 0.0)
    w, b = hidden[layer]
    counted = count_layer(xy, act, ptr, verts, w, b, kernel="numba")
    split = refine_layer(xy, act, ptr, verts, w, b, kernel="numba")
    return counted, len(split.face_ptr) - 1


@pytest.mark.parametrize("margin", [0.1, 1e-9, 1e-12])
def test_counting_chords_equals_splitting_on_degenerate_nets(
    degenerate_case: Any, margin: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regions.split as split_module

    monkeypatch.setattr(split_module, "GENERIC_RTOL", margin)
    hidden = list(degenerate_case.net.hidden)
    ring = as_domain(degenerate_case.bbox).ring
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], ring)
    for layer in range(len(hidden)):
        counted, split = _count_and_split(hidden, ring, layer)
        assert counted == split == ref.layer_counts[layer], layer
    assert count_faces(hidden, ring, kernel="numba", workers=1) == list(ref.layer_counts)


@pytest.mark.parametrize("seed", range(30))
def test_counting_chords_equals_the_oracle_on_integer_nets(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regions.split as split_module

    # half-integer weights: concurrent, parallel and repeated lines, lines through vertices
    rng = np.random.default_rng(700 + seed)
    hidden, d = [], 2
    for n in rng.integers(2, 9, size=int(rng.integers(1, 4))):
        hidden.append((rng.integers(-2, 3, size=(n, d)) / 2, rng.integers(-2, 3, size=n) / 2))
        d = int(n)
    ring = as_domain((-3, -2, 2, 3)).ring
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], ring)
    for margin in (0.1, 1e-9, 1e-12):
        monkeypatch.setattr(split_module, "GENERIC_RTOL", margin)
        got = count_faces(hidden, ring, chunk_faces=int(rng.integers(1, 6)), kernel="numba")
        assert got == list(ref.layer_counts), margin


@pytest.mark.parametrize("seed", range(12))
def test_counting_chords_equals_splitting_on_random_nets(seed: int) -> None:
    rng = np.random.default_rng(800 + seed)
    widths = [int(v) for v in rng.integers(1, 40, size=int(rng.integers(1, 4)))]
    net = random_mlp(rng, widths)
    h = float(rng.uniform(0.5, 30))
    ring = as_domain((-h, -h, h, h)).ring
    hidden = list(net.hidden)
    for layer in range(len(hidden)):
        counted, split = _count_and_split(hidden, ring, layer)
        assert counted == split, layer
    assert count_faces(hidden, ring, kernel="numba") == split_mesh(hidden, ring).layer_counts


def test_count_cells_counts_generic_cells_and_leaves_degenerate_ones() -> None:
    from regions._kernel import count_cells

    sq = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]])
    ptr, verts = np.array([0, 4]), np.arange(4)

    def run(w: np.ndarray, b: np.ndarray) -> tuple[int, bool]:
        z = sq @ w.T + b
        faces, fallback = count_cells(
            z, 4, np.ones(4), np.abs(w).sum(axis=1), np.abs(b), 1e-12, 1e-9, ptr, verts
        )
        return int(faces), bool(fallback[0])

    # three lines in general position: 1 + 3 + 3 faces, counted
    w = np.array([[1.0, 0], [0, 1], [1, 1]])
    assert run(w, np.array([0.1, 0.2, 0.5])) == (7, False)
    # parallel lines do not cross: 1 + 3 + 0
    assert run(np.array([[1.0, 0], [1, 0], [1, 0]]), np.array([0.0, 0.3, -0.4])) == (4, False)
    # three lines through one point, a repeated line, a line through a corner: split instead
    assert run(w, np.zeros(3))[1]
    assert run(np.array([[1.0, 0], [1, 0]]), np.array([0.3, 0.3]))[1]
    assert run(np.array([[1.0, 1]]), np.array([0.0]))[1]
    # a line missing the cell leaves it one face
    assert run(np.array([[1.0, 0]]), np.array([5.0])) == (1, False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    box=st.sampled_from([(-1, -1, 1, 1), (-2, -1, 3, 2), (0, 0, 1, 1), (-4, -4, 4, 4)]),
    chunk=st.integers(1, 5),
    maps=st.booleans(),
    workers=st.integers(1, 3),
)
def test_streaming_count_on_integer_nets_matches_the_oracle(
    widths: list[int], seed: int, box: tuple[int, int, int, int], chunk: int, maps: bool,
    workers: int,
) -> None:
    # the compiled count: chords for the last layer; with ``maps`` the face maps for the
    # second layer (rows, or the count itself when it is the last), on every width
    import regions.split as split_module

    rng = np.random.default_rng(seed)
    hidden, d = [], 2
    for n in widths:
        hidden.append((rng.integers(-2, 3, size=(n, d)) / 2, rng.integers(-2, 3, size=n) / 2))
        d = n
    ring = as_domain(box).ring
    ref = oracle_regions([(w.tolist(), b.tolist()) for w, b in hidden], ring)
    with pytest.MonkeyPatch.context() as mp:
        if maps:
            mp.setattr(split_module, "ROOT_MAP_MIN", 1)
            mp.setattr(split_module, "ROOT_PART_FACES", 1)
        got = count_faces(hidden, ring, chunk_faces=chunk, kernel="numba", workers=workers)
    assert got == list(ref.layer_counts)


@pytest.mark.parametrize("seed", range(10))
def test_second_layer_count_from_face_maps_equals_splitting(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2-layer nets: the last layer counted from face maps, on 1 to 4 threads
    rng = np.random.default_rng(900 + seed)
    net = random_mlp(rng, [int(v) for v in rng.integers(16, 90, size=2)])
    h = float(rng.uniform(0.5, 30))
    ring = as_domain((-h, -h, h, h)).ring
    hidden = list(net.hidden)
    calls = _spy_root_maps(monkeypatch)
    want = split_mesh(hidden, ring, kernel="numpy").layer_counts
    for workers in (1, 2, 4):
        assert count_faces(hidden, ring, kernel="numba", workers=workers) == want, workers
    assert len(calls) == 3


@pytest.mark.parametrize("seed", range(12))
def test_first_layer_from_the_vertices_equals_the_stored_rows(seed: int) -> None:
    # the compiled first layer computes each value from its vertex (no rows stored while
    # splitting); the same split with interpolated rows gives the same faces, and the rows
    # it returns are the direct values, snapped, with no face on both sides of any line
    from regions._kernel import bias_and_scale, refine
    from regions.split import face_reduce
    from regions.tolerance import DIRECT_MIN_RTOL, ZERO_RTOL

    rng = np.random.default_rng(1300 + seed)
    n = int(rng.integers(1, 90))
    h = 3.0
    rtol = ZERO_RTOL
    if seed % 3 == 0:  # float lines, also with the smallest band that computes values
        w, b = rng.normal(size=(n, 2)), rng.normal(size=n)
        h = float(rng.uniform(0.5, 20))
        rtol = DIRECT_MIN_RTOL if seed % 2 else ZERO_RTOL
    else:  # integer lines: concurrent, parallel, repeated, through corners, along edges
        w = rng.integers(-2, 3, size=(n, 2)).astype(float)
        b = rng.integers(-3, 4, size=n).astype(float)
        if seed % 3 == 2:
            w[::4], b[::4] = 0.0, -1.0  # dead neurons
            w[1::5], b[1::5] = w[0], b[0]  # repeated
            w[2::7], b[2::7] = (1.0, 0.0), -h  # along the box edge
    ring = as_domain((-h, -h, h, h)).ring
    w1, b1 = np.abs(w).sum(axis=1), np.abs(b)
    ptr0, verts0 = np.array([0, 4]), np.arange(4)
    z = np.empty((76, n))
    np.matmul(ring, w.T, out=z[:4])
    scale = np.empty(76)
    bias_and_scale(z, 4, ring, b, scale)
    stored = refine(ring, z, 4, n, scale.copy(), w1, b1, ptr0, verts0, rtol, None)
    direct = refine(ring, z, 4, n, scale.copy(), w1, b1, ptr0, verts0, rtol, None, False, (w, b))
    assert stored[0] == 0 and direct[0] == 0
    xs, zs, ps, vs, _, _ = stored[3]
    xd, zd, pd, vd, _, _ = direct[3]
    np.testing.assert_array_equal(ps, pd)
    np.testing.assert_array_equal(vs, vd)
    np.testing.assert_allclose(xd, xs, rtol=0, atol=1e-12 * h)
    # the rows are the values at the vertices (the scale a vertex inherits is at most h)
    values = xd @ w.T + b
    band = max(rtol, 1e-14) * (h * w1 + b1)
    assert np.all(np.abs(zd - values) <= band)
    far = np.abs(values) > band
    np.testing.assert_array_equal(np.sign(zd[far]), np.sign(values[far]))
    assert np.all(np.abs(zs - zd) <= band)
    # every face lies on one side of every line
    pos = face_reduce(zd > 0, pd, vd, np.bitwise_or)
    neg = face_reduce(zd < 0, pd, vd, np.bitwise_or)
    assert not (pos & neg).any()
    mesh = split_mesh([(w, b)], ring, kernel="numba", zero_rtol=rtol)
    assert mesh.layer_counts == [len(pd) - 1]
    if seed % 3:
        ref = oracle_regions([(w.tolist(), b.tolist())], ring)
        assert mesh.layer_counts == list(ref.layer_counts)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_thin_mask_equals_the_array_code(seed: int) -> None:
    from regions._kernel import thin_mask
    from regions.split import _thin_numpy
    from regions.tolerance import SLIVER_ULPS, sliver_width

    rng = np.random.default_rng(seed)
    half = 10 ** rng.uniform(-3, 3)
    sq = np.array([[-1.0, -1], [1, -1], [1, 1], [-1, 1]]) * half
    w1, b1 = rng.normal(size=(24, 2)), rng.normal(size=24) * half
    m = split_mesh([(w1, b1), (rng.normal(size=(16, 24)), rng.normal(size=16))], sq)
    ideal = np.zeros(len(m.xy), dtype=bool)
    polys = m.polygons()
    width = 2 * shapely.area(polys) / shapely.length(polys)
    for thin in [0.0, *np.quantile(width, [0.01, 0.1, 0.5])]:
        a = _thin_numpy(m.xy, m.face_ptr, m.face_verts, float(thin), None)
        b = thin_mask(m.xy, m.face_ptr, m.face_verts, float(thin), ideal, SLIVER_ULPS)
        np.testing.assert_array_equal(a, b)
        # the same faces shapely finds narrower than that (away from the threshold), up to
        # each face's own rounding width
        lim = np.minimum(thin, [sliver_width(q.bounds) for q in polys])
        clear = np.abs(width - lim) > 1e-9 * half
        np.testing.assert_array_equal(a[clear], (width <= lim)[clear])


def test_auto_kernel_result_does_not_depend_on_what_ran_before() -> None:
    # kernel="auto" took the compiled kernel for small layers once it was loaded, so the
    # same call gave other last bits (and, on edge cases, other flags) after any bigger
    # one in the process (QA round 16). The choice is now by the work alone.
    import subprocess
    import sys

    script = """
import hashlib, numpy as np, regions
from regions import Network
rng = np.random.default_rng(1)
hidden = [(rng.normal(size=(40, 2)), rng.normal(size=40)),
          (rng.normal(size=(40, 40)), rng.normal(size=40)),
          (rng.normal(size=(30, 40)), rng.normal(size=30))]
net = Network.from_arrays(hidden, (np.ones((1, 30)), np.zeros(1)))
def digest():
    p = regions.linear_regions(net, (-5, -5, 5, 5), progress=False)
    xy = np.concatenate([np.asarray(g.exterior.coords).ravel() for g in p.polygons])
    return hashlib.sha1(xy.tobytes()).hexdigest()
first = digest()
regions.count_regions(net, (-5, -5, 5, 5), kernel="numba", progress=False)
print(first == digest())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip() == "True", out.stdout + out.stderr
