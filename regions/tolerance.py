"""The one tolerance policy of :mod:`regions`.

All geometry is done in float64. Every tolerance of the package is named here,
and this module is the only place that defines them.

Zero test (``ZERO_RTOL``)
    A neuron's pre-activation ``z`` at a vertex is treated as exactly zero when
    ``|z| <= ZERO_RTOL * scale``, where ``scale`` bounds the magnitude of the
    terms that were summed to form ``z`` at that vertex:
    ``scale_j(v) = ||W_j||_1 * s(v) + |b_j|`` with ``s(v) = ||a(v)||_inf``, the
    layer input at the vertex. A vertex made by interpolation along an edge
    ``(u, w)`` inherits ``s = max(s(u), s(w))``, which bounds the error the
    interpolation carries over. The tolerance is local, so a chunk of the mesh
    refined on its own gets the same answer as the whole mesh (the streaming
    count relies on it). The rounding error of ``z`` is
    a few units of ``2**-52 * scale`` (plus what interpolation along a chain of
    splits adds), so ``1e-12`` is about four orders of magnitude above it and
    far below any feature a network draws. ``benchmarks/tolerance_scan.py``
    shows the counts of random nets are the same for every ``ZERO_RTOL`` from
    ``1e-11`` to ``1e-15``; ``1e-8`` and ``1e-10`` already merge real features
    of a 2-50-1 net in a 2e6-wide box. Values inside the band
    are *snapped*: stored as exactly ``0.0``. A vertex created on an edge by a
    neuron gets that neuron's value set to exactly ``0.0`` (it lies on the
    splitting line by construction). So three or more concurrent lines meet in
    one vertex, a line through an existing vertex passes through it, and a line
    along an edge leaves the edge alone.

Inherited scale (``INHERIT_ULPS``, :func:`scale_floor`)
    A vertex's coordinates and rows carry the rounding of the magnitudes they
    were interpolated from, which can be far larger than its own values: a
    first-layer vertex near the origin of a ``[-1e4, 1e4]^2`` box is
    interpolated from the box's corners, so its coordinates are off by about
    ``2**-52 * 1e4`` and the next layer's values there by that times the
    weights, however small ``s(v)`` is. So each layer's scale is at least the
    *floor* its vertices inherit from the layer before:
    ``s'(v) >= INHERIT_ULPS * 2**-52 / ZERO_RTOL * (max_k ||W_k||_1 s(v) + max_k |b_k|)``
    (``W, b`` the layer before, ``s(v)`` its scale at the vertex), which makes
    the zero band at least ``INHERIT_ULPS`` (16) units of that inherited
    rounding. Without it, a line of the second layer that passes exactly
    through a first-layer vertex far from the box's scale could miss it by
    that rounding and leave slivers (a 2-3-1-1 integer net gave 9 regions
    instead of 7 in ``[-1e4, 1e4]^2``). The maxima run over the neurons
    *not clamped* at the vertex: an output clamped to ``0.0`` because its
    value is below minus its band is exact and passes no rounding on, while
    a value snapped to ``0.0`` is zero only up to the band and is kept.
    Taking every neuron (as before QA round 17, on QA round 9's boxes of
    ``1e9`` to ``1e13``) gave a vertex where every neuron is off the floor
    of the steepest one: in ``[-1e9, 2e9]^2`` a second-layer neuron of
    constant value ``2`` there (all its inputs off) sat inside a band of
    ``5.7`` and was called inactive. The floor only matters where a
    vertex's values are some ``1e3`` times smaller than the values it was
    interpolated from; it decays by the factor
    ``INHERIT_ULPS * 2**-52 / ZERO_RTOL * max_k ||W_k||_1`` (about ``0.02``
    for a width-128 layer) from layer to layer.

    What it does not cover: rounding carried on through two or more layers
    (a bound on that grows like the product of the layers' norms, far looser
    than the rounding of random nets). In a stress run of 1,500 small-integer
    nets (one to three hidden layers, weights in ``{-2, ..., 2}``, boxes
    ``1e2`` to ``1e6``) against the rational oracle, 2 nets, both with three
    hidden layers in boxes of ``1e5`` and ``1e6``, still came out wrong (17 to
    23 per path before the floor); :meth:`~regions.Partition.verify` flags
    both (an affine map that disagrees with the forward pass).

Resolution
    Features smaller than about ``ZERO_RTOL`` times the magnitudes a
    vertex's values are formed from are below the zero band: two lines
    ``1e-13`` apart in ``[-1, 1]^2`` are one line, and in a box ``1e12``
    times wider than the structure of a net that structure merges. Float64
    cannot do much better (its unit is ``2.2e-16``), and no fixed band can
    tell such a near-coincidence from an exact one that rounding has pulled
    apart.

Anisotropic domains (``FRAME_RATIO``, :func:`frame_scales`)
    The zero band's scale ``||W_j||_1 * ||v||_inf`` takes the largest
    coordinate for every weight. In a box like ``[-1, 1] x [-1e8, 1e8]`` it
    charges a vertical line ``x = c`` with the rounding of ``y ~ 1e8``, which
    that line's value ``x - c`` never sums: two such lines ``1e-6`` apart were
    one line. So when one axis of the domain is both the shorter and the
    one of smaller coordinates, each by a factor ``FRAME_RATIO`` (16) or
    more, the bounded splitters work in a *frame*: that axis multiplied by a
    power of two (:func:`frame_scales`: about the smaller of the two factors,
    and never past the other axis's magnitude, so the band of a line across
    the long axis is the same as without the frame), the first layer's
    weights of that axis
    (every stage's, for a stage program) divided by it, and the vertices
    multiplied back at the end. (Balancing
    the magnitudes alone would stretch a small box far off the origin, say
    ``0.002`` wide at ``(-1000, 3)``, into a thin one, where rounding that
    leaks between the axes along slanted edges then outgrows the narrowed
    band: two QA round 7 nets gained slivers that way.) Scaling by a power of two is exact,
    and every product ``w x`` is the same number in both frames, so every
    value and vertex is computed bit for bit as without the frame; only the
    zero band, the sliver width and the inherited floors, which take the
    largest coordinate, are now relative to a balanced one (still bounds on
    the rounding, which is the same in both frames). ``verify`` measures
    slivers in the same frame and floors the vertex check's coordinates per
    axis. The whole plane has no domain to balance and is not scaled.

Domains far from the origin (``OFFSET_RATIO``, :func:`frame_offset`)
    The zero band is relative to the coordinates' magnitude, so a box of one
    hour of Unix time (``x`` near ``1.7e9``) merged features under
    ``1e-12 * 1.7e9`` seconds, ``5e-7`` of its width, though float64 places
    points there to ``2.4e-7`` s (QA round 16: 29 of 71 nets trained on such
    data lost regions, 2 with ``verify()`` passing). So an axis whose box
    centre is ``OFFSET_RATIO`` (``2**10``) extents or more from zero is first
    translated by that centre, rounded to few bits (:func:`frame_offset`):
    the box's coordinates move exactly (Sterbenz), the first layer's bias
    (every stage's, for a stage program) becomes ``b + W c`` computed
    exactly and rounded once, which moves each line by at most half an ulp
    of its new bias, at the scale of the translated box and far inside its
    zero band (exactly nothing when the sum is a float64, as for dyadic
    weights; rounding ``W c`` first, at the plane's scale, moved a line
    ``9e-12`` outside a box into it), and the vertices are translated back
    at the end, to the nearest float64 of the plane's coordinates. The
    scaling above then balances the translated box. The whole plane, which
    has no box, is translated the same way when its first layer's lines
    cross far from the origin (``regions.engine._structure_offset``: their
    crossings' median, 16 or more times their spread away).

First layer from the vertices (``DIRECT_MIN_RTOL``)
    The compiled splitter does not store or interpolate the first layer's
    rows while it splits: each value is computed where it is tested,
    ``W_j . v + b_j``, from the vertex ``v`` (which is interpolated as
    before), and the rows it returns are those values, snapped. Their
    rounding is at most about four units of ``2**-52`` of the zero test's
    scale (a vertex's inherited scale bounds its coordinates; interpolated
    rows carry at least as much), so with any band of at least ``DIRECT_MIN_RTOL``
    (``100 * 2**-52``; ``ZERO_RTOL`` is about 4500 of them) a value that is
    zero in exact arithmetic (a vertex's own neuron, a line through a
    vertex) is snapped either way, and the two can only disagree on a value
    within a few units of the band's edge. Under it (tolerance studies) the
    stored rows are used.

Recheck band (``RECHECK_RTOL``)
    The streaming count computes the second layer's pre-activations on a
    first layer's arrangement from per-face affine maps, each one its
    neighbour's plus rank-1 terms (``regions.split._root_next_rows``). Their
    rounding error is at most about ``(n1 + 4) * 2**-52`` times
    ``||W2_i||_1 G(v) + |b2_i|``, where ``G(v) = max_k |W1_k| |v| + |b1_k|``
    bounds the terms the maps sum and can exceed ``s(v)``. Every value within
    ``RECHECK_RTOL`` (1e-8) of zero on that scale is recomputed by the direct
    product ``relu(z1) @ W2.T + b2``, so the zero test above always sees
    directly computed values; the others are at least four orders of
    magnitude (for ``n1 < 10**6``) farther from zero than their error, so
    their signs are certain. The third layer's rows on the second layer's
    arrangement come the same way from maps per cell of the first layer
    (``regions.split._chunk_next_rows``, for layers of at least 192
    neurons), with ``||W3_i||_1 G1(v) + |b3_i|`` as the scale, ``G1(v) =
    max_j ||W2_j||_1 G(v) + |b2_j|``. There the chains are longer, so the
    kernel counts the additions along each chain (an addition costs at most
    two units of ``2**-52`` of the scale, a product of ``n`` terms ``n``,
    and a vector ``u`` taken from a chain of them its chain's count)
    and starts a cell from scratch before the count reaches a hundredth of
    ``RECHECK_RTOL / 2**-52``: those signs are certain by two orders of
    magnitude, and the values within the band are again recomputed directly.

General-position margin (``GENERIC_RTOL``)
    The streaming count may count the faces that a layer (the last) cuts a
    cell into without splitting it: ``1 + m + I`` for ``m`` chords with ``I``
    crossings (``regions._kernel.count_cells``). It does so only where every
    value that decides the arrangement (each straddling neuron at each vertex
    of the cell, at the other chords' end points, and at its neighbouring
    crossings along every chord) is more than ``GENERIC_RTOL`` (1e-9) times
    the scale of the zero test (with the cell's largest vertex scale) away
    from zero: three orders of magnitude outside the zero band and far above
    the rounding of the interpolated values, so the splitter would make
    every one of those decisions the same way and find no degeneracy. Cells
    closer to a degenerate arrangement (a line through a vertex, three lines
    through a point, repeated lines) are split as before, so the count does
    not depend on this margin (the tests run it at 0.1 and 1e-12 too).
    When the values come from face maps (a last second layer,
    ``regions._kernel.root_pass``), a cell is also split when one of them is
    inside the recheck band, or when the maps' rounding bound reaches a
    hundredth of the margin.

Split rule
    A face is split by a neuron only if one of its vertices has ``z > tol`` and
    another ``z < -tol`` after snapping. The side of a face is ``active`` iff
    some vertex has ``z > 0`` (activation pattern ``z > 0``, strict, as ReLU).

Slivers (``SLIVER_ULPS``, :func:`sliver_width`)
    Values are snapped, coordinates are not: a vertex where two nearly
    parallel lines cross is off by the rounding of its values divided by the
    sine of their angle (``5e-12`` for lines ``1.2e-4`` rad apart at
    coordinates ``100``), and a later line that passes exactly through the
    crossing can miss it by more than its zero band. The split then leaves a
    *sliver*: a face a fraction of an ulp wide along the two lines, with a
    pattern no point of the plane has. After every layer (every stage of a
    stage program) the bounded faces whose width ``2 A / P`` (twice the area
    over the perimeter, between the inradius and twice it) is at most
    ``SLIVER_ULPS`` (16) ulps of their own largest coordinate, and at most
    :func:`sliver_width` of the domain, are merged into the neighbour across
    their longest edge (``regions.split.merge_thin``: the mesh stays
    conforming, the neighbour keeps its pattern; a sliver folded by rounding
    is dropped). The streaming count and the shapely reference drop them,
    which gives the same count. On the QA runs of deep dyadic nets
    (``tests/data/slivers.npz``, ``qa7_degenerate.npz``) the slivers were
    ``1e-2`` to ``8`` ulps wide.

    Width alone cannot tell a sliver from a real region that thin, and both
    occur: QA round 9 found real regions of 2.6 ulps near line crossings in
    boxes ``1e8`` to ``1e13`` wide, and real strips ``3e-16`` wide between
    parallel lines in the whole plane. So the limit is a face's own rounding
    (a thin real region near the origin of a huge box is kept), unbounded
    faces are never merged, and ``verify`` rejects a region under
    :func:`noise_width` (100 ulps): a face the merge leaves in between is
    flagged, not silently kept or lost. Not covered: a needle between two
    nearly parallel lines whose crossing rounding moved along them by more
    than that (it is as wide as the move).

Clipping noise (``GRID_ULPS``, :func:`noise_width`)
    Polygon overlay in floating point (GEOS) can leave slivers along edges
    that coincide up to rounding. Their width is a few ulps of the largest
    coordinate, so :func:`noise_width` is ``GRID_ULPS`` ulps of it: a piece of
    a clipped region whose area is at most ``noise_width * perimeter`` is
    noise and dropped (non-convex domains), and ``verify`` redoes doubtful
    overlaps with snap-rounding on that grid. No fixed area threshold is used
    to drop pieces: real regions of relative area 1e-13 exist in wide boxes.

Check tolerances (``AREA_RTOL``, ``SUM_RTOL``, ``CHECK_RTOL``, ``PATTERN_RTOL``, ``EDGE_RTOL``)
    ``AREA_RTOL`` (relative to the domain area) bounds the overlap between
    two regions and the part of a region outside the domain that
    :meth:`~regions.Partition.verify` accepts; ``SUM_RTOL`` bounds the error
    of the sum of region areas. ``CHECK_RTOL`` is the relative tolerance of
    the forward-pass check in ``verify`` (affine map and gradient against
    torch). ``PATTERN_RTOL`` is the band, relative to the same scale as
    ``ZERO_RTOL``, inside which ``verify`` accepts either sign of a
    pre-activation at a region's interior point; that scale also carries,
    layer to layer, the size of the terms the inputs' own rounding comes from
    (a neuron that is 0 on a region up to rounding, from terms of size 1 a
    layer before, is within the band), except from inputs clamped to ``0``
    (below minus the band there), which carry no rounding: carrying it let a
    constant ``2`` called inactive pass beside a clamped neuron of size
    ``1e14``. ``EDGE_RTOL`` (relative to
    the domain's diameter) is the shortest shared boundary that makes two
    regions neighbours rather than regions touching at a point. For convex
    regions ``verify`` proves these bounds without polygon overlay: two
    convex polygons whose best separating axis (an edge normal of either)
    leaves them overlapping by at most ``d`` meet in an area at most
    ``d * min(diameters)``, and a polygon whose vertices are at most ``d``
    outside each of a convex domain's ``m`` edge lines sticks out by at most
    ``m * d * diameter``; their shared boundary is the overlap of their
    extents on that axis's line (vertices within ``noise_width`` of it).
    Pairs and regions these bounds do not clear (non-convex pieces, real
    overlaps) are measured by GEOS overlay as before.

Vertices on zero sets (``VERTEX_ULPS``)
    A vertex of the partition lies on a neuron's zero set when the regions
    around it disagree on that neuron's bit. ``verify`` recomputes the
    neuron's value at every such vertex (a float64 forward pass from the
    vertex's coordinates) and flags one farther from zero than
    ``VERTEX_ULPS`` (256) units of ``2**-52`` of its scale, the scale of the
    zero test with each coordinate taken at least as large as the domain's
    largest (which bounds the rounding a vertex's coordinates inherit from
    the box); the fast splitter's partitions only (the shapely reference's
    vertices come from GEOS overlay, whose rounding this does not bound). Such
    a value was snapped to zero by the splitter without being
    zero: either the zero band merged a real feature smaller than itself (a
    region ``3e-11`` tall between a line and a box edge ``1e-9`` apart in
    slope at ``y = 100``, 743 units off), or rounding moved the vertex far
    off the line (nearly parallel lines). On random nets (boxes ``1e-2`` to
    ``1e7`` and the whole plane) such values are at most 7 units, on the 368
    degenerate dyadic nets of ``qa7_degenerate.npz`` at most 27. On the
    adversarial bounded QA round 9 sets (8,171 dyadic nets with steep, nearly
    parallel or nearly concurrent lines, boxes up to ``1e9``), it turned 25
    of the 77 wrong counts that ``verify`` had passed into flags, and flagged
    30 of the 8,094 right counts it had passed (all in boxes around the whole
    plane's structure, ``1e3`` to ``1e9`` wide). Past the first layer the
    scale's inherited part is bounded per vertex (the largest scale of the
    layer before), so only the values take a full product per layer.

Merge tolerance (``MERGE_RTOL``)
    Two adjacent regions have the *same* affine map (and
    :func:`regions.merge.merge_regions` joins them into one function region)
    when their jacobians differ by at most ``MERGE_RTOL`` times the largest
    jacobian entry and their offsets by at most ``MERGE_RTOL`` times the
    output scale on the domain (largest offset plus largest jacobian entry
    times ``max |bounds|``), for every output. Maps that are equal in exact
    arithmetic (a neuron with zero outgoing weight, a line crossing a region
    where every path to the output is off) come out bit-identical or within
    rounding (~1e-15 relative) of each other; genuine kinks of random nets up
    to 2-100-100-1 and 2-64-64-64-1 change the map by more than 1e-6
    relative, and wider nets can go lower, so ``CHECK_RTOL`` (1e-6) would be
    too coarse. ``1e-9`` sits six orders above rounding.

Input shape tests (``SHAPE_RTOL``)
    Relative tolerance of the tests on the inputs' shape: a domain polygon is
    convex when its area is within ``SHAPE_RTOL`` of its hull's; a raster box
    must be axis-aligned to it; a plane's ``u`` and ``v`` are dependent when the
    sine of their angle is at most ``SHAPE_RTOL``.

Raster tolerance (``RASTER_RTOL``)
    Two sampled ``numpy.gradient`` values are equal when they differ by at
    most ``RASTER_RTOL`` times the largest sampled gradient component, plus
    the rounding floor of the finite differences (``regions.raster``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "FRAME_RATIO",
    "OFFSET_RATIO",
    "frame_offset",
    "frame_scales",
    "GRID_ULPS",
    "SLIVER_ULPS",
    "noise_width",
    "sliver_width",
    "VERTEX_ULPS",
    "ZERO_RTOL",
    "PATTERN_RTOL",
    "AREA_RTOL",
    "CHECK_RTOL",
    "SUM_RTOL",
    "EDGE_RTOL",
    "RASTER_RTOL",
    "SHAPE_RTOL",
    "MERGE_RTOL",
    "RECHECK_RTOL",
    "GENERIC_RTOL",
    "DIRECT_MIN_RTOL",
    "INHERIT_ULPS",
    "zero_tolerance",
    "scale_floor",
    "snap",
]

#: Relative band around zero in which a pre-activation counts as zero.
ZERO_RTOL: float = 1e-12
#: Relative band (same scale as ``ZERO_RTOL``) inside which ``verify`` accepts
#: either sign of a pre-activation at a region's interior point.
PATTERN_RTOL: float = 1e-10
#: Relative (to the domain's area) overlap or overhang that ``verify`` accepts.
AREA_RTOL: float = 1e-12
#: Shortest shared boundary, relative to the domain's diameter, of two neighbours.
EDGE_RTOL: float = 1e-9
#: Relative tolerance of the tests on the inputs' shape (convex, axis-aligned, independent).
SHAPE_RTOL: float = 1e-12
#: Relative tolerance under which two sampled gradients count as equal.
RASTER_RTOL: float = 1e-6
#: Width, in ulps of the largest coordinate, of the floating-point overlay noise.
GRID_ULPS: float = 100.0
#: Distance from the origin, in box extents, from which the splitters translate a domain.
OFFSET_RATIO: float = 2.0**10
#: Imbalance (magnitudes and extents) of a domain's axes from which the splitters balance it.
FRAME_RATIO: float = 16.0
#: Width of a sliver, in ulps of the largest coordinate (:func:`sliver_width`).
SLIVER_ULPS: float = 16.0
#: Relative tolerance of the forward-pass check in ``verify``.
CHECK_RTOL: float = 1e-6
#: Relative tolerance on the sum of region areas against the domain area.
SUM_RTOL: float = 1e-9
#: Relative tolerance under which two adjacent regions' affine maps are the same.
MERGE_RTOL: float = 1e-9
#: Band (relative to a bound on the summed terms) in which values computed from
#: per-face maps are recomputed by the direct product.
RECHECK_RTOL: float = 1e-8
#: Margin (same scale as ``ZERO_RTOL``) outside which a cell's arrangement is counted
#: from its chords instead of split.
GENERIC_RTOL: float = 1e-9
#: Units of ``2**-52`` of the inherited rounding that the next layer's zero band covers
#: at least (:func:`scale_floor`).
INHERIT_ULPS: float = 16.0
#: Units of ``2**-52`` of a value's scale (with the domain's largest coordinate) by which
#: a vertex may miss a zero set it lies on in the partition before ``verify`` flags it.
VERTEX_ULPS: float = 256.0
#: Smallest zero band with which the compiled first layer computes each value from its
#: vertex instead of interpolating stored rows (100 units of ``2**-52``).
DIRECT_MIN_RTOL: float = 100 * 2.0**-52


def scale_floor(
    scale: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    rtol: float | None = None,
    ideal: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """The least zero-test scale the next layer inherits at each vertex.

    Parameters
    ----------
    scale : (V,) float64 array
        This layer's zero-test scale ``s(v)`` at each vertex (inherited along
        the edges the vertex was made on).
    weight : (n, d) float64 array
    bias : (n,) float64 array
        This layer's weights.
    rtol : float, optional
        The zero band, default ``ZERO_RTOL``; ``0`` gives a zero floor.
    ideal : (V,) bool array, optional
        Points at infinity (their values are slopes: no bias).
    rows : (V, n) float64 array, optional
        This layer's pre-activations at the vertices. A neuron whose value
        there is below minus its zero band (``-rtol * (||W_k||_1 s(v) + |b_k|)``)
        is clamped: its output is exactly ``0.0`` and passes no rounding on, so
        the maxima then run only over the others (a vertex where every
        neuron is clamped inherits nothing). A value inside the band is not
        clamped: it is zero only up to the band.

    Returns
    -------
    floor : (V,) float64 array
        ``INHERIT_ULPS * 2**-52 / rtol * (max_k ||W_k||_1 s(v) + max_k |b_k|)``
        over the neurons ``k`` not clamped at ``v`` (all of them without
        ``rows``): the next layer's scale is at least this (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> w, b = np.array([[2.0, -1.0], [1.0, 1.0]]), np.array([1.0, 0.0])
    >>> f = scale_floor(np.array([1.0, 1e4]), w, b)
    >>> bool(f[0] < 0.02 and 100 < f[1] < 110)  # a vertex made from 1e4-sized values
    True
    >>> rows = np.array([[-5.0, -3.0], [-5.0, 2.0], [-5.0, 0.0]])
    >>> f = scale_floor(np.array([1e4, 1e4, 1e4]), w, b, rows=rows)
    >>> float(f[0])  # every neuron clamped
    0.0
    >>> bool(70 < f[1] < 72 and f[2] == f[1])  # only the second, ||W_1||_1 = 2 (snapped too)
    True
    """
    r = ZERO_RTOL if rtol is None else float(rtol)
    s = np.asarray(scale, dtype=np.float64)
    if r <= 0 or weight.size == 0:
        return np.zeros(len(s))
    k = INHERIT_ULPS * 2.0**-52 / r
    w1 = np.abs(weight).sum(axis=1)
    b1 = np.abs(bias)
    wmax = float(w1.max())
    bmax = float(b1.max()) if bias.size else 0.0
    floor = s * (k * wmax)
    if ideal is None:
        floor += k * bmax
    else:
        floor[~ideal] += k * bmax
    if rows is not None and len(s):
        # the floor matters only where it passes the largest output there (the next
        # layer's scale before the floor); only those vertices get the narrower maxima
        top = rows[: len(s)].max(axis=1, initial=0.0)
        near = np.flatnonzero(floor > top)
        if len(near):
            # not clamped: above minus the zero band. A value snapped to 0.0 stays: it is
            # zero only up to the band, and the next layer's values carry that (a net
            # whose first-layer lines all pass within 1e-18 of a corner has second-layer
            # biases of 1e-18 there; without the floor they were read as real signs)
            live = rows[near] >= -r * (np.multiply.outer(s[near], w1) + b1)
            wl = np.where(live, w1, 0.0).max(axis=1, initial=0.0)
            bl = np.where(live, b1, 0.0).max(axis=1, initial=0.0)
            if ideal is not None:
                bl[ideal[near]] = 0.0
            floor[near] = s[near] * (k * wl) + k * bl
    return floor


def zero_tolerance(
    weight: np.ndarray, bias: np.ndarray, input_max: Any, rtol: float | None = None
) -> np.ndarray:
    """Absolute zero tolerance of a layer's neurons, globally or per point.

    Parameters
    ----------
    weight : (n, d) float64 array
        Layer weights.
    bias : (n,) float64 array
        Layer bias.
    input_max : float or (P,) float64 array
        Bound on ``max_k |a_k|`` of the layer input: one for all points, or
        one per point (vertex).
    rtol : float, optional
        Relative tolerance, default :data:`ZERO_RTOL` (other values only for
        studies such as ``benchmarks/tolerance_scan.py``).

    Returns
    -------
    tol : (n,) or (P, n) float64 array
        ``rtol * (||W_j||_1 * input_max + |b_j|)``.

    Examples
    --------
    >>> import numpy as np
    >>> zero_tolerance(np.array([[1.0, -2.0]]), np.array([0.5]), 10.0)
    array([3.05e-11])
    >>> zero_tolerance(np.zeros((1, 2)), np.zeros(1), 10.0)  # a dead neuron
    array([0.])
    >>> zero_tolerance(np.array([[1.0, -2.0]]), np.array([0.5]), np.array([0.0, 10.0]))
    array([[5.00e-13],
           [3.05e-11]])
    """
    r = ZERO_RTOL if rtol is None else float(rtol)
    w1 = np.abs(weight).sum(axis=1)
    m = np.asarray(input_max, dtype=np.float64)
    return r * (np.multiply.outer(m, w1) + np.abs(bias))


def snap(values: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Set the entries with ``|values| <= tol`` to exactly zero, in place.

    Parameters
    ----------
    values : (..., n) float64 array
        Pre-activations, one column per neuron.
    tol : (n,) float64 array
        Per-neuron tolerance from :func:`zero_tolerance`.

    Returns
    -------
    values : (..., n) float64 array
        The same array.

    Examples
    --------
    >>> import numpy as np
    >>> snap(np.array([[1e-12, -3.0], [0.5, 2e-13]]), np.array([1e-11, 1e-11]))
    array([[ 0. , -3. ],
           [ 0.5,  0. ]])
    """
    values[np.abs(values) <= tol] = 0.0
    return values


def frame_offset(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """The translation ``(cx, cy)`` of a domain far from the origin (zero otherwise).

    See "Domains far from the origin" above: an axis whose box centre is at
    least ``OFFSET_RATIO`` times the box's larger extent from zero is
    translated by its centre rounded to a multiple of the power of two at or
    below that axis's extent (so the translation has few significant bits and
    moves the box's own coordinates exactly).

    Parameters
    ----------
    bounds : (xmin, ymin, xmax, ymax)

    Returns
    -------
    cx, cy : float

    Examples
    --------
    >>> frame_offset((-10.0, -10.0, 10.0, 10.0))
    (0.0, 0.0)
    >>> frame_offset((1.7e9, 0.0, 1.7e9 + 3600.0, 5.0))  # an hour of Unix time
    (1700001792.0, 0.0)
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    ext = max(x1 - x0, y1 - y0)
    out = []
    for lo, hi in ((x0, x1), (y0, y1)):
        mid = lo / 2 + hi / 2
        if not ext > 0 or abs(mid) < OFFSET_RATIO * ext:
            out.append(0.0)
            continue
        q = 2.0 ** np.floor(np.log2(hi - lo))
        out.append(float(np.round(mid / q) * q))
    return out[0], out[1]


def frame_scales(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """Powers of two ``(fx, fy)`` that balance a tall or wide domain.

    See "Anisotropic domains" above: the splitters work on ``(x * fx, y * fy)``.

    Parameters
    ----------
    bounds : (xmin, ymin, xmax, ymax)

    Returns
    -------
    fx, fy : float
        ``(1.0, 1.0)`` unless one axis has both the smaller largest magnitude
        (``max(|min|, |max|)``) and the smaller extent (``max - min``), each by
        a factor ``FRAME_RATIO`` or more; then that axis is multiplied by the
        power of two nearest the smaller of the two factors, halved if that
        would make its largest magnitude exceed the other axis's (so the
        frame's largest coordinate is the domain's, and a small box far off
        the origin, whose extents are equal, is left as it is), and the other
        axis by 1.

    Examples
    --------
    >>> frame_scales((-10.0, -10.0, 10.0, 10.0))
    (1.0, 1.0)
    >>> frame_scales((-1.0, -1e8, 1.0, 1e8))  # x by 2**26 (2**27 would pass 1e8)
    (67108864.0, 1.0)
    >>> frame_scales((1000.0, 0.0, 1001.0, 1e6))  # magnitudes 1e3 and 1e6: x by 2**9
    (512.0, 1.0)
    >>> frame_scales((-1000.001, 2.999, -999.999, 3.001))  # equal extents: as it is
    (1.0, 1.0)
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    mx, my = max(abs(x0), abs(x1)), max(abs(y0), abs(y1))
    ex, ey = x1 - x0, y1 - y0
    if mx <= 0.0 or my <= 0.0 or ex <= 0.0 or ey <= 0.0:
        return 1.0, 1.0
    if mx < my and ex < ey:
        r = min(my / mx, ey / ex)
    elif my < mx and ey < ex:
        r = min(mx / my, ex / ey)
    else:
        return 1.0, 1.0
    if r < FRAME_RATIO:
        return 1.0, 1.0
    f = float(2.0 ** round(np.log2(r)))
    if min(mx, my) * f > max(mx, my):  # never past the other axis's coordinates
        f /= 2.0
    return (f, 1.0) if mx < my else (1.0, f)


def noise_width(bounds: tuple[float, float, float, float]) -> float:
    """Width of floating-point overlay noise in a domain: ``GRID_ULPS`` ulps.

    Parameters
    ----------
    bounds : (xmin, ymin, xmax, ymax)
        Bounds of the domain.

    Returns
    -------
    float
        ``GRID_ULPS * spacing(max |bounds|)``.

    Examples
    --------
    >>> noise_width((-10.0, -10.0, 10.0, 10.0))
    1.7763568394002505e-13
    """
    return GRID_ULPS * float(np.spacing(max(abs(float(v)) for v in bounds)))



def sliver_width(bounds: tuple[float, float, float, float]) -> float:
    """Width under which a face is a rounding sliver: ``SLIVER_ULPS`` ulps.

    The splitters merge (or, counting, drop) faces at most this wide after
    every layer (see "Slivers" above). It is a sixth of :func:`noise_width`,
    under which ``verify`` rejects a region: the slivers rounding made on the
    QA runs were at most 8 ulps wide, while real regions of 45 ulps were seen
    on huge whole-plane frames; a face between the two is kept, and flagged.

    Parameters
    ----------
    bounds : (xmin, ymin, xmax, ymax)

    Returns
    -------
    float
        ``SLIVER_ULPS * spacing(max |bounds|)``.

    Examples
    --------
    >>> sliver_width((-1.0, -1.0, 1.0, 1.0)) == 16 * 2.0**-52
    True
    """
    return SLIVER_ULPS * float(np.spacing(max(abs(float(v)) for v in bounds)))
