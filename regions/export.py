"""Write a :class:`~regions.Partition` to GeoJSON or to a NumPy ``.npz`` archive.

Coordinates are the network's **input-plane coordinates** ``(x, y)``, not
geographic longitude/latitude: GeoJSON is used as a widespread polygon
container (QGIS, shapely, geopandas, web viewers read it), and a tool that
assumes WGS 84 will place the regions at those "degrees". RFC 7946 has no
``crs`` member, so none is written.

Both formats carry, per region, its polygon, activation pattern, affine map
(jacobian and offset), area and :func:`last_split_layer`.
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import tempfile
from typing import Any

import numpy as np

from .errors import ArgumentTypeError, ParameterError

__all__ = ["last_split_layer", "to_geojson", "write_geojson", "save_npz"]


def _check_partition(partition: Any) -> Any:
    from .partition import Partition

    if not isinstance(partition, Partition):
        raise ArgumentTypeError(
            f"partition must be a regions.Partition, got {type(partition).__name__}"
        )
    return partition


def _exists(path: pathlib.Path) -> bool:
    """``path.exists()``, False where it cannot be looked at (no permission, ...)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _unwritable(directory: pathlib.Path) -> str | None:
    """Why no file can be created in the existing ``directory`` (the OS's words), or None.

    Tried for real (a temporary file is created and removed): permission
    bits do not tell, e.g. for root, a read-only mount or ``/proc``.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=".regions-write-check-", dir=directory)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:  # pragma: no cover - created a moment ago
        pass
    return None


def _dir_problem(directory: pathlib.Path, *, create: bool = False) -> str | None:
    """Why files cannot be written into ``directory`` (a phrase), or None.

    With ``create`` the directory may be missing, if its nearest existing
    ancestor is a directory new folders can be made in.
    """
    if "\x00" in str(directory):
        return "the path contains a NUL byte"
    for existing in (directory, *directory.parents):
        if _exists(existing):
            break
    else:  # pragma: no cover - a relative path's "." exists
        existing = pathlib.Path(".")
    if not existing.is_dir():
        return f"{str(existing)!r} is a file, not a directory"
    if existing != directory and not create:
        return (
            f"directory {str(directory)!r} does not exist; create it first (it is not "
            "created for you)"
        )
    reason = _unwritable(existing)
    if reason is not None:
        return f"cannot create files in directory {str(existing)!r} ({reason})"
    return None


def _file_problem(out: pathlib.Path, example: str) -> str | None:
    """Why the file ``out`` cannot be written (a phrase), or None; ``example`` a file name."""
    if "\x00" in str(out):
        return "the path contains a NUL byte"
    if out.is_dir():
        return f"it is a directory; give a file name such as {str(out / example)!r}"
    return _dir_problem(out.parent)


def _output_file(path: Any, example: str) -> pathlib.Path:
    """``path`` as a file to write: a str or path-like in a directory that exists.

    A missing directory is refused rather than created, as the command line's
    ``-o`` refuses it; so is a directory in which no file can be created.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"path must be a str or path-like file name, got {type(path).__name__}"
        )
    try:
        out = pathlib.Path(path)
    except TypeError:  # a path-like whose __fspath__ returns bytes
        raise ArgumentTypeError(
            f"path must be a str or path-like file name, got {type(path).__name__}"
        ) from None
    problem = _file_problem(out, example)
    if problem is not None:
        raise ParameterError(f"path {str(out)!r}: {problem}")
    return out


def _write_failed(out: pathlib.Path, exc: OSError) -> ParameterError:
    """The error for a write to ``out`` that the OS refused."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return ParameterError(f"path {str(out)!r}: cannot write the file ({reason})")


def last_split_layer(partition: Any) -> np.ndarray:
    """The last hidden layer that split each region's ancestor cell.

    The regions are built layer by layer: the cells after hidden layer
    ``l - 1`` (for ``l = 0``: the domain) are cut by the neurons of layer
    ``l``. Region ``r``'s ancestor at layer ``l - 1`` is the cell it lies in
    after layer ``l - 1``; it was *split at layer* ``l`` when layer ``l`` cut
    that cell into two or more cells. The result is the largest such ``l``:
    every later layer left the region's cell whole. ``-1`` means no layer
    split it (the network has no hidden layer, or no neuron's zero set crosses
    the domain).

    With the fast splitter on a convex domain this is read from the mesh's
    ``layer_parents``; otherwise from the patterns: layer ``l`` split the
    ancestor of ``r`` iff some region has the same pattern as ``r`` on the
    layers before ``l`` and a different one on layer ``l`` (in a convex domain
    the cells after each layer are convex, so the two readings agree).

    Parameters
    ----------
    partition : Partition

    Returns
    -------
    layers : (R,) int64 array
        Hidden-layer index (0-based) of the last split, or -1.

    Examples
    --------
    >>> import regions
    >>> from regions.course import deep_model
    >>> p = regions.linear_regions(deep_model())
    >>> layer = last_split_layer(p)
    >>> p.layer_counts
    [15, 42, 69, 81]
    >>> [int((layer == l).sum()) for l in range(4)]
    [2, 22, 33, 24]
    """
    p = _check_partition(partition)
    r = len(p)
    n_layers = len(p.network.widths)
    out = np.full(r, -1, dtype=np.int64)
    if n_layers == 0 or r == 0:
        return out
    mesh = p.mesh
    if mesh is not None and len(mesh.layer_parents) == n_layers and mesh.n_faces == r:
        idx = np.arange(r, dtype=np.int64)
        n_before = 1
        children = []
        for par in mesh.layer_parents:
            children.append(np.bincount(par, minlength=n_before))
            n_before = len(par)
        for layer in range(n_layers - 1, -1, -1):
            par = mesh.layer_parents[layer][idx]
            hit = (out < 0) & (children[layer][par] > 1)
            out[hit] = layer
            idx = par
        return out
    widths = [int(w) for w in p.network.widths]
    bounds = np.concatenate([[0], np.cumsum(widths)])
    for layer in range(n_layers - 1, -1, -1):
        _, prefix = np.unique(p.patterns[:, : bounds[layer]], axis=0, return_inverse=True)
        _, cell = np.unique(p.patterns[:, : bounds[layer + 1]], axis=0, return_inverse=True)
        prefix = np.asarray(prefix).reshape(-1)
        cell = np.asarray(cell).reshape(-1)
        # number of distinct layer-`layer` cells inside each prefix cell
        pairs = np.unique(np.column_stack([prefix, cell]), axis=0)
        n_children = np.bincount(pairs[:, 0], minlength=int(prefix.max()) + 1)
        hit = (out < 0) & (n_children[prefix] > 1)
        out[hit] = layer
    return out


def _oriented(partition: Any) -> np.ndarray:
    """Polygons with RFC 7946 orientation (exterior counter-clockwise, holes clockwise)."""
    import shapely

    return np.asarray(shapely.orient_polygons(partition.polygons, exterior_cw=False))


def _rings(polys: np.ndarray) -> list[list[list[list[float]]]]:
    """Each polygon's closed GeoJSON rings (exterior first), from one flat coordinate array."""
    import shapely

    geom_type, coords, (ring_off, poly_off) = shapely.to_ragged_array(polys)
    if geom_type != shapely.GeometryType.POLYGON:
        raise ParameterError(f"expected polygons, got {geom_type!r}")
    pts = coords.tolist()  # shapely rings are closed: first position == last
    ring_l, poly_l = ring_off.tolist(), poly_off.tolist()
    ring = [pts[a:b] for a, b in itertools.pairwise(ring_l)]
    return [ring[a:b] for a, b in itertools.pairwise(poly_l)]


def to_geojson(partition: Any) -> dict[str, Any]:
    """The regions as an RFC 7946 GeoJSON FeatureCollection (a JSON-ready dict).

    Coordinates are input-plane coordinates, not longitude/latitude; there is
    no ``crs`` member. Each exterior ring is counter-clockwise, each hole
    clockwise, and every ring is closed (first position == last).

    Parameters
    ----------
    partition : Partition

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "bbox": [xmin, ymin, xmax, ymax],
        "features": [...], "regions": {...}}`` with one ``Feature`` per region
        ``r`` (in partition order) whose geometry is a ``Polygon`` and whose
        ``properties`` are

        * ``region``: ``r``;
        * ``pattern``: the activation pattern, a string of ``"0"``/``"1"``
          of length N (hidden neurons in layer order);
        * ``gradient``: ``jacobians[r]``, n_out rows of ``[d/dx, d/dy]``;
        * ``offset``: ``offsets[r]``, n_out numbers
          (``model(x) = gradient @ x + offset`` in the region);
        * ``area``: the region's area (``null`` for an unbounded region);
        * ``bounded``: false for an unbounded region of a whole-plane
          partition, whose polygon is then clipped to the frame ``bbox``;
        * ``last_split_layer``: see :func:`last_split_layer`.

        The foreign member ``regions`` holds ``hidden_widths``, ``n_out``,
        ``layer_counts``, ``whole_plane`` and
        ``coordinates: "input plane, not geographic"``.

    Examples
    --------
    >>> import regions
    >>> from regions.course import deep_model
    >>> fc = to_geojson(regions.linear_regions(deep_model()))
    >>> fc["type"], len(fc["features"])
    ('FeatureCollection', 81)
    >>> sorted(fc["features"][0]["properties"])
    ['area', 'bounded', 'gradient', 'last_split_layer', 'offset', 'pattern', 'region']
    """
    p = _check_partition(partition)
    polys = _oriented(p)
    jac, off, areas, bounded = p.jacobians, p.offsets, p.areas, p.bounded
    last = last_split_layer(p)
    pats = p.patterns.astype(np.uint8) + ord("0")
    rings = _rings(polys)
    jl, ol = jac.tolist(), off.tolist()
    area_l = [float(a) if np.isfinite(a) else None for a in areas.tolist()]
    bl, ll = np.asarray(bounded, dtype=bool).tolist(), last.astype(np.int64).tolist()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": rings[r]},
            "properties": {
                "region": r,
                "pattern": pats[r].tobytes().decode("ascii"),
                "gradient": jl[r],
                "offset": ol[r],
                "area": area_l[r],
                "bounded": bl[r],
                "last_split_layer": ll[r],
            },
        }
        for r in range(len(polys))
    ]
    return {
        "type": "FeatureCollection",
        "bbox": [float(v) for v in p.domain.bounds],
        "regions": {
            "coordinates": "input plane, not geographic",
            "hidden_widths": [int(w) for w in p.network.widths],
            "n_out": int(p.network.n_out),
            "layer_counts": [int(c) for c in p.layer_counts],
            "whole_plane": bool(getattr(p, "whole_plane", False)),
        },
        "features": features,
    }


def write_geojson(partition: Any, path: Any) -> pathlib.Path:
    """Write :func:`to_geojson` of a partition to a file.

    Parameters
    ----------
    partition : Partition
    path : str or path-like
        The output file (conventionally ``.geojson``), in a directory that
        exists: a missing directory is refused, not created (as ``regions
        export -o`` refuses it).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition or ``path`` not a str or path-like.
    ParameterError
        If ``path`` is a directory, its directory does not exist or takes no
        new files, or the write fails (the path and the OS's reason named).
    """
    p = _check_partition(partition)
    out = _output_file(path, "regions.geojson")
    data = to_geojson(p)
    try:
        with out.open("w", encoding="utf-8") as f:
            json.dump(data, f, allow_nan=False)
    except OSError as exc:
        raise _write_failed(out, exc) from exc
    return out


def save_npz(partition: Any, path: Any) -> pathlib.Path:
    """Write a partition's arrays to a compressed ``.npz`` archive.

    Polygons are ragged, so their rings are stored flat: region ``r`` has
    rings ``region_ptr[r]`` to ``region_ptr[r + 1] - 1``, the first its
    exterior (counter-clockwise) and the others holes (clockwise); ring ``k``
    is ``vertices[ring_ptr[k]:ring_ptr[k + 1]]``, not closed (the first vertex
    is not repeated). On a convex domain every region has exactly one ring.
    Coordinates are input-plane coordinates.

    Parameters
    ----------
    partition : Partition
    path : str or path-like
        The output file; ``.npz`` is appended if it is missing. Its directory
        must exist: a missing directory is refused, not created (as
        ``regions export -o`` refuses it).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ArgumentTypeError
        If ``partition`` is not a Partition or ``path`` not a str or path-like.
    ParameterError
        If ``path`` is a directory, its directory does not exist or takes no
        new files, or the write fails (the path and the OS's reason named).

    Notes
    -----
    The archive holds (R regions, N hidden neurons, K rings, S vertices):

    ``vertices`` (S, 2) float64, ``ring_ptr`` (K + 1,) int64,
    ``region_ptr`` (R + 1,) int64, ``patterns`` (R, N) bool,
    ``jacobians`` (R, n_out, 2) float64, ``offsets`` (R, n_out) float64,
    ``areas`` (R,) float64, ``last_split_layer`` (R,) int64,
    ``layer_counts`` (L,) int64, ``hidden_widths`` (L,) int64,
    ``bbox`` (4,) float64 ``(xmin, ymin, xmax, ymax)``,
    ``bounded`` (R,) bool, ``whole_plane`` () bool.

    A whole-plane partition (``bbox=None``) is stored as its frame:
    ``bbox`` is the frame box (:attr:`Partition.domain`), each unbounded
    region's polygon is clipped to it, ``bounded`` is False for those regions
    and their ``areas`` are ``inf`` (the area of the whole region, not of the
    clipped polygon). Their directions at infinity
    (:attr:`Partition.recession`) are not stored. On a bounded domain
    ``bounded`` is all True and ``whole_plane`` False.

    Examples
    --------
    >>> import tempfile, numpy as np, regions
    >>> from regions.course import deep_model
    >>> p = regions.linear_regions(deep_model())
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = save_npz(p, d + "/regions.npz")
    ...     z = np.load(f)
    ...     z["region_ptr"].shape, z["patterns"].shape, z["jacobians"].shape
    ((82,), (81, 20), (81, 1, 2))
    """
    import shapely

    p = _check_partition(partition)
    out = _output_file(path, "regions.npz")
    if out.suffix.lower() != ".npz":
        out = _output_file(out.with_name(out.name + ".npz"), "regions.npz")
    polys = _oriented(p)
    # all rings at once: shapely's ragged arrays hold closed rings; drop each closing vertex
    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(polys)
    ring_off = np.asarray(ring_off, dtype=np.int64)
    keep = np.ones(len(coords), dtype=bool)
    keep[ring_off[1:] - 1] = False
    vertices = np.asarray(coords, dtype=np.float64)[keep]
    arrays = dict(
        vertices=vertices,
        ring_ptr=ring_off - np.arange(len(ring_off), dtype=np.int64),
        region_ptr=np.asarray(poly_off, dtype=np.int64),
        patterns=p.patterns,
        jacobians=p.jacobians,
        offsets=p.offsets,
        areas=np.asarray(p.areas, dtype=np.float64),
        last_split_layer=last_split_layer(p),
        layer_counts=np.asarray(p.layer_counts, dtype=np.int64),
        hidden_widths=np.asarray(p.network.widths, dtype=np.int64),
        bbox=np.asarray(p.domain.bounds, dtype=np.float64),
        bounded=np.asarray(p.bounded, dtype=bool),
        whole_plane=np.asarray(bool(getattr(p, "whole_plane", False))),
    )
    try:
        np.savez_compressed(out, **arrays)
    except OSError as exc:
        raise _write_failed(out, exc) from exc
    return out
