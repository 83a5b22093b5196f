"""Tabulated muscle quantity with exact OpenSim evaluation where the table cannot be trusted (``backend: table``).

Why: the published MoBL-ARMS model wraps its muscle paths over surfaces. Evaluated by OpenSim 4.6, several lengths
jump by tens of mm where a wrap switches (LAT1-3, TMAJ, BIClong, TMIN, DELT1 ...) and a few show narrow spikes of
hundreds of mm (TRIlong, TMAJ), so one global polynomial cannot follow them (docs/performance.md has the measured
maps). Elsewhere the lengths are smooth functions of the joint angles.

The method rests on two exact properties of such arm models, checked for each muscle when the table is built
(:func:`muscle_structure`) rather than assumed:

- **Separable paths.** A muscle's geometry-path (musculotendon) length is the sum of a shoulder part, a function of
  (elv_angle, shoulder_elv, shoulder_rot), and an elbow part, a function of elbow_flexion (one of them may be
  constant): every path segment and wrap lies either before a point fixed on the humerus or after it. On
  MoBL-ARMS the 15 shoulder muscles do not depend on the elbow, 7 elbow muscles depend on the elbow alone, and
  BIClong, BICshort and TRIlong are sums to 2e-13 mm.
- **The quantity is a function of the path length.** With the default activation and muscle equilibrium, fiber
  length (and fiber + tendon length) depends on the posture only through the path length.

So the 4-D function of every muscle is tabulated as a 3-D shoulder table, a 1-D elbow table and a 1-D map from path
length to the quantity, which allows far finer grids than a 4-D table at the same cost:

1. **Tables** (:func:`build_table`): OpenSim path lengths on a regular grid of the shoulder joints (elbow at the
   box centre) and of the elbow (shoulder at the box centre), over a joint box (default the joint limits; spacing
   per joint, deg), built once per (model file digest, quantity, grid) and cached.
2. **Trust map** (:func:`untrusted_cells`): per muscle and grid cell, the cell is *untrusted* if any node of its
   4-node-per-joint interpolation stencil is non-finite or its estimated cubic interpolation error (3/128 of the
   largest 4th difference along any joint, the midpoint error of a cubic for a smooth function) exceeds
   ``smooth_tol_mm``; the untrusted set is then dilated by ``dilate`` cells, so a wrap switch that falls between
   nodes is still covered.
3. **Length map** (:class:`LengthMap`): per muscle, OpenSim's (path length, quantity) pairs at every table node,
   sorted; linear interpolation between neighbouring samples where its estimated error (gap^2/8 times the local
   second divided difference) is at most ``smooth_tol_mm``.
4. **Evaluation** (:meth:`TabulatedMuscles.evaluate`): tensor-product cubic Lagrange interpolation of the parts
   (exact for cubics, one-sided stencils at the box faces), their sum mapped to the quantity, for trusted
   (posture, muscle) pairs; OpenSim, muscle by muscle (:meth:`OpenSimArm.evaluate_selected`), for the pairs in an
   untrusted cell or map interval, outside the box, of a muscle that failed a structure check, or listed in
   ``exact_muscles``. Nothing is ever extrapolated.

Limits: a wrapping artefact narrower than the grid spacing that no node sees (and no neighbouring node flags) is
invisible to the trust map. The validation stage (:func:`validate_tabulated`, rule ``pcrt_table_report``) measures
the errors against OpenSim on every step of held-out accepted trajectories and fails naming the muscles that miss
the criteria (max error and RMSE in mm).

File format (:meth:`MuscleTable.save`): NumPy ``.npz`` (no pickles), ``format_version`` 2: the 4-D box
``lower_deg``, ``spacing_deg``, ``n_nodes`` (4,); ``base_deg`` (4,); per part p (``n_parts`` of them)
``part<p>_joints`` (k,) joint indices, ``part<p>_columns`` (m,) muscle indices, ``part<p>_values`` (n..., m)
float32 path lengths in mm, ``part<p>_untrusted`` packed bits of the (n-1..., m) bool cells; the map's
``map_lengths``, ``map_values`` (sum K_j,) float64 mm, ``map_offsets`` (n_muscles + 1,), ``map_untrusted``
packed bits of the (sum (K_j - 1),) intervals; ``always_exact`` (n_muscles,) bool; ``quantity``,
``model_digest``, ``muscle_names``, ``smooth_tol_mm``, ``dilate``.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError, ModelFileError, ValidationFailed
from neuromotor.pcrt.archive import load_archive, save_archive

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
N_JOINTS = 4
SHOULDER_JOINTS = (0, 1, 2)  # elv_angle, shoulder_elv, shoulder_rot
ELBOW_JOINTS = (3,)  # elbow_flexion
STENCIL = 4  # cubic Lagrange: 4 nodes per joint
MIDPOINT_ERROR_FACTOR = 3.0 / 128.0  # |w(1.5)| / 4! for nodes 0..3: cubic interpolation error per unit h^4 f''''
BOX_TOLERANCE_DEG = 1e-9
INTERPOLATION_BLOCK = 1024  # postures per gather block: 1024 x 18 x 64 float64 = 9 MB per array (shoulder part)
STRUCTURE_PAIRS = 24  # random posture pairs of the separability and dependence checks
SEPARABLE_TOL_MM = 1e-6  # the four-posture sum test of separability (MoBL-ARMS: 2e-13 mm)
DEPENDS_TOL_MM = 1e-9  # a path length changing by more than this depends on the joints changed
MAP_MERGE_MM = 0.005  # path-length samples closer than this to the previous kept one are checked, not kept
NODE_BLOCK = 2000  # postures per OpenSim task of the build


@dataclass(frozen=True)
class GridSpec:
    """A regular grid over a box of k joints.

    Attributes:
        lower_deg: (k,) first node per joint (deg).
        spacing_deg: (k,) node spacing per joint (deg).
        n_nodes: (k,) nodes per joint (each >= 5).
    """

    lower_deg: tuple[float, ...]
    spacing_deg: tuple[float, ...]
    n_nodes: tuple[int, ...]

    @classmethod
    def covering(cls, lower_deg, upper_deg, max_spacing_deg) -> GridSpec:
        """The grid with nodes exactly on ``lower_deg`` and ``upper_deg`` and spacing at most ``max_spacing_deg``.

        Raises:
            ValueError: the bounds differ in length, a bound is not finite, upper <= lower, a spacing is not
                positive (the box gets at least 5 nodes along a joint: the stencil needs 4, the trust map one 4th
                difference).
        """
        lower = np.atleast_1d(np.asarray(lower_deg, dtype=float))
        upper = np.atleast_1d(np.asarray(upper_deg, dtype=float))
        if lower.ndim != 1 or lower.shape != upper.shape or len(lower) == 0:
            raise ValueError(f"lower and upper must have one value per joint; got {lower.shape} and {upper.shape}")
        try:
            spacing = np.broadcast_to(np.asarray(max_spacing_deg, dtype=float), lower.shape)
        except ValueError:
            raise ValueError(f"spacing must have {len(lower)} values; got {np.shape(max_spacing_deg)}") from None
        if not (np.isfinite(lower).all() and np.isfinite(upper).all() and (upper > lower).all()):
            raise ValueError(f"the joint box needs finite lower < upper per joint; got {lower.tolist()}, {upper.tolist()}")
        if not (np.isfinite(spacing).all() and (spacing > 0).all()):
            raise ValueError(f"spacing must be positive; got {spacing.tolist()}")
        n_intervals = np.ceil((upper - lower) / spacing - 1e-9).astype(int)
        n_nodes = np.maximum(n_intervals, STENCIL) + 1  # >= 5 nodes: one centred 4th difference
        return cls(tuple(lower.tolist()), tuple(((upper - lower) / (n_nodes - 1)).tolist()), tuple(n_nodes.tolist()))

    @property
    def upper_deg(self) -> np.ndarray:
        return np.asarray(self.lower_deg) + np.asarray(self.spacing_deg) * (np.asarray(self.n_nodes) - 1)

    @property
    def centre_deg(self) -> np.ndarray:
        """(k,) centre of the box (deg)."""
        return (np.asarray(self.lower_deg) + self.upper_deg) / 2

    def select(self, joints: tuple[int, ...]) -> GridSpec:
        """The grid over some of the joints (indices into this grid's joints)."""
        return GridSpec(*(tuple(np.asarray(field)[list(joints)].tolist()) for field in (self.lower_deg, self.spacing_deg, self.n_nodes)))

    def axes(self) -> list[np.ndarray]:
        """Node angles (deg) per joint."""
        return [lo + h * np.arange(n) for lo, h, n in zip(self.lower_deg, self.spacing_deg, self.n_nodes)]

    def nodes(self) -> np.ndarray:
        """(prod(n_nodes), k) node postures (deg), C order (last joint fastest)."""
        mesh = np.meshgrid(*self.axes(), indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


def table_file_name(model_path: str | Path, model_digest: str, quantity: str, table_cfg: dict) -> str:
    """Cache name of a table: ``<model stem>-<quantity>-<key>.npz``, the key a digest of the model file's SHA-256,
    the quantity and the settings that change the table's content (grid box, spacing, trust map), so a table is
    rebuilt exactly when one of those changes (not for build processes or validation settings)."""
    from neuromotor.config import digest

    content = {key: table_cfg[key] for key in ("spacing_deg", "lower_deg", "upper_deg", "smooth_tol_mm", "dilate")}
    content["exact_muscles"] = sorted(table_cfg.get("exact_muscles", ()))  # not tabulated
    key = digest([model_digest, quantity, content, FORMAT_VERSION])
    return f"{Path(model_path).stem}-{quantity}-{key}.npz"


# ---- grids: trust map and interpolation (any number of joints) ------------------------------------------------


def _window_ok(values: np.ndarray, axis: int, smooth_tol_mm: float) -> np.ndarray:
    """Along ``axis``, whether each 4-node stencil start s (0..n-4) is *verified*: one of the 5-node windows holding
    it (nodes s-1..s+3 or s..s+4) has an estimated cubic interpolation error, 3/128 of its |4th difference|, of at
    most ``smooth_tol_mm`` (NaN: not verified).

    Args:
        values: (n1, ..., nk, n_muscles) node values.
    Returns:
        bool array of ``values``' shape with n_axis - 3 entries along ``axis``.
    """
    window = MIDPOINT_ERROR_FACTOR * np.abs(np.diff(values, 4, axis=axis)) <= smooth_tol_mm  # (.., n-4, ..)
    n_starts = values.shape[axis] - 3
    ok = np.zeros(values.shape[:axis] + (n_starts,) + values.shape[axis + 1 :], dtype=bool)
    index = [slice(None)] * values.ndim
    index[axis] = slice(0, n_starts - 1)
    ok[tuple(index)] |= window  # window s verifies start s
    index[axis] = slice(1, n_starts)
    ok[tuple(index)] |= window  # window s - 1 verifies start s
    return ok


def _along(axis: int, ndim: int, vector: np.ndarray) -> np.ndarray:
    """``vector`` shaped to broadcast along ``axis`` of an ``ndim``-dimensional array."""
    shape = [1] * ndim
    shape[axis] = len(vector)
    return vector.reshape(shape)


def _all_in_stencil(flags: np.ndarray, axis: int) -> np.ndarray:
    """Along ``axis`` (n nodes -> n-3 stencil starts), start s is True if ``flags`` holds at all nodes s..s+3."""
    n = flags.shape[axis]
    out = np.take(flags, np.arange(n - 3), axis=axis).copy()
    for k in range(1, STENCIL):
        out &= np.take(flags, np.arange(k, n - 3 + k), axis=axis)
    return out


def _stencil_shifts(k: int) -> list[tuple[int, ...]]:
    """Per-joint stencil starts relative to the cell (-1 centred, -2 and 0 shifted), fewest shifted joints first."""
    shifts = list(itertools.product((-1, -2, 0), repeat=k))
    return sorted(shifts, key=lambda shift: sum(s != -1 for s in shift))  # stable: centred, then one joint ...


def trust_map(values: np.ndarray, smooth_tol_mm: float, dilate: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell and muscle, a verified interpolation stencil, or untrusted (see the module doc).

    Per joint a cell may use the centred stencil (nodes c-1..c+2) or, where that one crosses a switch, one shifted
    by one node to either side (c-2..c+1, c..c+3). A stencil block (one stencil per joint) is *verified* if along
    every joint, on every line of nodes of the block, a 5-node window holding the line's stencil has an estimated
    cubic error of at most ``smooth_tol_mm`` (:func:`_window_ok`). Each cell takes the first verified block, the
    centred one first, then those with the fewest shifted joints; a cell with none is untrusted, and the untrusted
    set is dilated by ``dilate`` cells.

    Args:
        values: (n1, ..., nk, n_muscles) node values (NaN: a node without a value).
    Returns:
        ``untrusted`` (n1-1, ..., nk-1, n_muscles) bool and ``offsets`` (n1-1, ..., nk-1, n_muscles, k) int8, the
        chosen stencil's first node minus the cell index per joint (-2, -1 or 0; clipped at the box faces).
    """
    k = values.ndim - 1
    n_nodes = values.shape[:-1]
    verified = None  # (n1-3, ..., nk-3, n_muscles): the block starting at these nodes is verified
    for axis in range(k):
        ok = _window_ok(values, axis, smooth_tol_mm)
        for other in range(k):
            if other != axis:
                ok = _all_in_stencil(ok, other)
        verified = ok if verified is None else verified & ok
    cells_shape = tuple(n - 1 for n in n_nodes) + values.shape[-1:]
    found = np.zeros(cells_shape, dtype=bool)
    offsets = np.zeros(cells_shape + (k,), dtype=np.int8)
    cells = [np.arange(n - 1) for n in n_nodes]
    for shift in _stencil_shifts(k):
        starts = [np.clip(c + s, 0, n - STENCIL) for c, s, n in zip(cells, shift, n_nodes)]
        new = verified[np.ix_(*starts)] & ~found
        for axis, (start, c) in enumerate(zip(starts, cells)):
            offsets[..., axis] = np.where(new, _along(axis, len(cells_shape), start - c), offsets[..., axis])
        found |= new
    return _dilate(~found, dilate), offsets


def _dilate(cells: np.ndarray, radius: int) -> np.ndarray:
    """Boolean dilation by ``radius`` cells along each joint axis (box neighbourhood; the last, muscle axis untouched)."""
    out = cells.copy()
    for axis in range(cells.ndim - 1):
        grown = out.copy()
        n = out.shape[axis]
        for shift in range(1, radius + 1):
            if shift >= n:
                break
            index = [slice(None)] * out.ndim
            source = [slice(None)] * out.ndim
            index[axis], source[axis] = slice(shift, None), slice(None, n - shift)
            grown[tuple(index)] |= out[tuple(source)]
            grown[tuple(source)] |= out[tuple(index)]
        out = grown
    return out


def untrusted_cells(values: np.ndarray, smooth_tol_mm: float, dilate: int) -> np.ndarray:
    """The ``untrusted`` cells (n1-1, ..., nk-1, n_muscles) of :func:`trust_map`."""
    return trust_map(values, smooth_tol_mm, dilate)[0]


def locate(grid: GridSpec, points_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell of each point and whether it lies in the grid's box.

    Args:
        points_deg: (N, k) deg.
    Returns:
        ``inside`` (N,) bool; ``cell`` (N, k) int cell indices (clipped for points outside); ``position`` (N, k)
        float, the point in node units from the first node.
    """
    lower = np.asarray(grid.lower_deg)
    inside = np.all(
        (points_deg >= lower - BOX_TOLERANCE_DEG) & (points_deg <= grid.upper_deg + BOX_TOLERANCE_DEG), axis=1
    )
    position = (points_deg - lower) / np.asarray(grid.spacing_deg)
    cell = np.clip(np.floor(position).astype(int), 0, np.asarray(grid.n_nodes) - 2)
    return inside, cell, position


def _lagrange_weights(t: np.ndarray) -> np.ndarray:
    """Cubic Lagrange weights (..., 4) of nodes 0..3 at positions t (...) in node units."""
    weights = np.ones(t.shape + (STENCIL,))
    for j in range(STENCIL):
        for m in range(STENCIL):
            if m != j:
                weights[..., j] *= (t - m) / (j - m)
    return weights


def interpolate_grid(grid: GridSpec, values: np.ndarray, points_deg: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Tensor-product cubic Lagrange interpolation (N, m) of node values (n1, ..., nk, m) at points (N, k) deg
    inside the box (exact for functions of degree <= 3 in every joint).

    Args:
        offsets: (n1-1, ..., nk-1, m, k) per cell and value, the stencil's first node minus the cell index per
            joint (:func:`trust_map`); None: the centred stencil (nodes c-1..c+2, one-sided at the box faces).
    Raises:
        ValueError: a point lies outside the box (nothing is extrapolated).
    """
    q = np.asarray(points_deg, dtype=float)
    inside, cell, position = locate(grid, q)
    if not inside.all():
        raise ValueError(
            f"{int(np.sum(~inside))} posture(s) outside the table's box {list(grid.lower_deg)} .. "
            f"{grid.upper_deg.tolist()} deg, e.g. {q[~inside][0].round(3).tolist()}"
        )
    n_nodes = np.asarray(grid.n_nodes)
    k, m = len(n_nodes), values.shape[-1]
    strides = np.array([int(np.prod(n_nodes[a + 1 :])) for a in range(k)])
    flat_values = values.reshape(-1, m)
    combos = np.stack(np.meshgrid(*[np.arange(STENCIL)] * k, indexing="ij"), axis=-1).reshape(-1, k)
    node_offsets = combos @ strides
    column = np.arange(m)[None, :, None]
    out = np.empty((len(q), m))
    for begin in range(0, len(q), INTERPOLATION_BLOCK):
        block = slice(begin, begin + INTERPOLATION_BLOCK)
        shift = -1 if offsets is None else offsets[tuple(cell[block].T)]  # scalar or (n, m, k)
        start = np.clip(cell[block][:, None, :] + shift, 0, n_nodes - STENCIL)  # (n, m or 1, k)
        start = np.broadcast_to(start, (len(start), m, k))
        weights = _lagrange_weights(position[block][:, None, :] - start)  # (n, m, k, 4)
        w = np.ones(start.shape[:2] + (len(combos),))
        for axis in range(k):
            w *= weights[:, :, axis, combos[:, axis]]
        gathered = flat_values[(start @ strides)[..., None] + node_offsets, column]  # (n, m, 4^k)
        out[block] = np.sum(w * gathered, axis=-1)
    return out


@dataclass
class GridTable:
    """Path lengths of some muscles on a grid over some joints, and their trust map.

    Attributes:
        joints: (k,) the posture columns (joint indices) the grid spans.
        grid: the k-joint grid.
        values: (n1, ..., nk, m) node values (mm; NaN where OpenSim gave none).
        untrusted: (n1-1, ..., nk-1, m) bool, cells not to interpolate.
        offsets: (n1-1, ..., nk-1, m, k) int8, each cell's verified stencil (:func:`trust_map`).
        columns: (m,) the muscles (indices into the table's muscle names) of the last axis.
    """

    joints: tuple[int, ...]
    grid: GridSpec
    values: np.ndarray
    untrusted: np.ndarray
    offsets: np.ndarray
    columns: tuple[int, ...]

    def __post_init__(self):
        shape = tuple(self.grid.n_nodes) + (len(self.columns),)
        if len(self.joints) != len(self.grid.n_nodes) or self.values.shape != shape:
            raise ValueError(f"values must have shape {shape} over joints {self.joints}; got {self.values.shape}")
        cells = tuple(n - 1 for n in self.grid.n_nodes) + (len(self.columns),)
        if self.untrusted.shape != cells or self.offsets.shape != cells + (len(self.joints),):
            raise ValueError(f"untrusted and offsets must have shapes {cells} and {cells + (len(self.joints),)}; "
                             f"got {self.untrusted.shape} and {self.offsets.shape}")  # fmt: skip

    @classmethod
    def from_values(cls, joints, grid: GridSpec, values: np.ndarray, columns, smooth_tol_mm: float, dilate: int) -> GridTable:
        """The table of node values with its trust map (:func:`trust_map`)."""
        untrusted, offsets = trust_map(values, smooth_tol_mm, dilate)
        return cls(tuple(joints), grid, values, untrusted, offsets, tuple(columns))

    def evaluate(self, joints_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Interpolated values (N, m) mm at postures (N, 4) deg and which must not be used (N, m) bool (untrusted
        cell or posture outside the box; their values are NaN)."""
        points = joints_deg[:, list(self.joints)]
        inside, cell, _ = locate(self.grid, points)
        exact = self.untrusted[tuple(cell.T)]
        exact[~inside] = True
        out = np.full(exact.shape, np.nan)
        if inside.any():
            out[inside] = interpolate_grid(self.grid, self.values, points[inside], self.offsets)
        out[exact] = np.nan
        return out, exact


# ---- the quantity as a function of the path length --------------------------------------------------------------


@dataclass
class LengthMap:
    """Per muscle, the quantity (mm) as a function of the path length (mm), from OpenSim samples.

    Attributes:
        lengths: per muscle (K_j,) increasing path lengths (mm).
        values: per muscle (K_j,) the quantity there (mm; NaN where OpenSim found no equilibrium).
        untrusted: per muscle (K_j - 1,) bool, intervals not to interpolate.
    """

    lengths: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]
    untrusted: tuple[np.ndarray, ...]

    def evaluate(self, paths_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The quantity (N, n_muscles) mm at path lengths (N, n_muscles) mm by linear interpolation, and where it
        must not be used (N, n_muscles) bool: NaN input, outside the sampled range or in an untrusted interval
        (values NaN there)."""
        out = np.full(paths_mm.shape, np.nan)
        exact = np.ones(paths_mm.shape, dtype=bool)
        for j, (x, y, bad) in enumerate(zip(self.lengths, self.values, self.untrusted)):
            if len(x) < 2:
                continue
            p = paths_mm[:, j]
            interval = np.clip(np.searchsorted(x, p, side="right") - 1, 0, len(x) - 2)
            ok = (p >= x[0]) & (p <= x[-1]) & ~bad[interval]
            with np.errstate(divide="ignore", invalid="ignore"):  # zero-width intervals are untrusted anyway
                t = (p - x[interval]) / (x[interval + 1] - x[interval])
                out[:, j] = np.where(ok, y[interval] + t * (y[interval + 1] - y[interval]), np.nan)
            exact[:, j] = ~ok
        return out, exact


def _interval_error(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Estimated error (K-1,) of linear interpolation per interval of samples (K,) >= 2: gap^2 / 8 times the
    largest second divided difference at its two ends (zero at the ends of the range; NaN propagates)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # zero gaps only next to samples without a value
        slope = np.diff(y) / np.diff(x)
        second = np.zeros(len(x))
        if len(x) > 2:
            second[1:-1] = 2 * np.abs(np.diff(slope)) / (x[2:] - x[:-2])
    second[np.isnan(y)] = np.nan
    return np.diff(x) ** 2 / 8 * np.fmax(second[:-1], second[1:]) + np.where(np.isnan(slope), np.nan, 0.0)


def map_from_samples(paths_mm: np.ndarray, values_mm: np.ndarray, tol_mm: float) -> tuple[LengthMap, np.ndarray]:
    """The :class:`LengthMap` of OpenSim samples and which muscles' quantity is not a function of the path length.

    Samples closer than ``MAP_MERGE_MM`` to the previously kept one are not kept but checked: the map must give
    them within ``tol_mm``, else the muscle is flagged (and gets an empty map). Samples without a value
    (no equilibrium) are always kept, so the intervals next to them are untrusted (OpenSim decides there).

    Args:
        paths_mm, values_mm: (S, n_muscles) samples; NaN path = no sample.
        tol_mm: largest estimated interpolation error of a trusted interval.
    Returns:
        the map, and (n_muscles,) bool flags of muscles that failed the check.
    """
    lengths, values, untrusted, failed = [], [], [], []
    for j in range(paths_mm.shape[1]):
        have = ~np.isnan(paths_mm[:, j])
        order = np.argsort(paths_mm[have, j], kind="stable")
        x, y = paths_mm[have, j][order], values_mm[have, j][order]
        keep = np.zeros(len(x), dtype=bool)
        last = -np.inf
        for i, (xi, yi) in enumerate(zip(x, y)):  # sorted: keep those >= MAP_MERGE_MM past the last kept, and
            if xi - last >= MAP_MERGE_MM or yi != yi:  # every sample without equilibrium (its intervals: untrusted)
                keep[i], last = True, xi
        kx, ky = x[keep], y[keep]
        bad = ~(_interval_error(kx, ky) <= tol_mm) if len(kx) >= 2 else np.zeros(0, bool)  # NaN: untrusted
        check = LengthMap((kx,), (ky,), (bad,)).evaluate(x[~keep, None])[0][:, 0]
        checked = y[~keep]
        failed.append(bool(np.any(np.abs(check - checked) > tol_mm)))  # a checked sample off the map
        lengths.append(kx if not failed[-1] else kx[:0])
        values.append(ky if not failed[-1] else ky[:0])
        untrusted.append(bad if not failed[-1] else bad[:0])
    return LengthMap(tuple(lengths), tuple(values), tuple(untrusted)), np.array(failed, dtype=bool)


# ---- the table ------------------------------------------------------------------------------------------------


@dataclass
class MuscleTable:
    """A tabulated muscle quantity: separable path-length tables, the length map, and their trust maps.

    Attributes:
        grid: the 4-D box and spacing the parts are cut from (each part spans some of its joints).
        base_deg: (4,) posture of the joints a part does not span (the box centre).
        parts: the :class:`GridTable` parts (shoulder, elbow); a muscle's path length is the sum of its parts.
        length_map: the quantity as a function of the path length.
        always_exact: (n_muscles,) bool, muscles that failed a structure check (OpenSim for every posture).
        quantity, model_digest, muscle_names: what was tabulated, from which model file (SHA-256).
        smooth_tol_mm, dilate: the trust-map settings.
    """

    grid: GridSpec
    base_deg: np.ndarray
    parts: tuple[GridTable, ...]
    length_map: LengthMap
    always_exact: np.ndarray
    quantity: str
    model_digest: str
    muscle_names: tuple[str, ...]
    smooth_tol_mm: float
    dilate: int

    def __post_init__(self):
        n = len(self.muscle_names)
        if self.always_exact.shape != (n,) or len(self.length_map.lengths) != n:
            raise ValueError(f"always_exact and the length map must cover the {n} muscles")

    def evaluate(self, joints_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tabulated quantity (N, n_muscles) mm at postures (N, 4) deg and the pairs it cannot give (N, n_muscles)
        bool (NaN values there): OpenSim must evaluate those."""
        q = np.asarray(joints_deg, dtype=float)
        paths = np.zeros((len(q), len(self.muscle_names)))
        exact = np.zeros(paths.shape, dtype=bool)
        for part in self.parts:
            values, untrusted = part.evaluate(q)
            paths[:, list(part.columns)] += values
            exact[:, list(part.columns)] |= untrusted
        exact[:, self.always_exact] = True
        paths[exact] = np.nan
        out, unmapped = self.length_map.evaluate(paths)
        return out, exact | unmapped

    def untrusted_fraction(self) -> dict[str, float]:
        """Per muscle, the largest fraction of untrusted cells over its parts (1.0 for an always-exact muscle)."""
        fraction = {name: 0.0 for name in self.muscle_names}
        for part in self.parts:
            for k, j in enumerate(part.columns):
                name = self.muscle_names[j]
                fraction[name] = max(fraction[name], float(part.untrusted[..., k].mean()))
        return {name: (1.0 if self.always_exact[j] else fraction[name]) for j, name in enumerate(self.muscle_names)}

    def save(self, path: str | Path) -> None:
        """Write the table as ``.npz`` atomically (format in the module doc)."""
        offsets = np.cumsum([0] + [len(x) for x in self.length_map.lengths])
        arrays = {
            "lower_deg": np.asarray(self.grid.lower_deg, dtype=float),
            "spacing_deg": np.asarray(self.grid.spacing_deg, dtype=float),
            "n_nodes": np.asarray(self.grid.n_nodes, dtype=np.int64),
            "base_deg": np.asarray(self.base_deg, dtype=float),
            "n_parts": np.int64(len(self.parts)),
            "map_lengths": np.concatenate(self.length_map.lengths).astype(float),
            "map_values": np.concatenate(self.length_map.values).astype(float),
            "map_offsets": offsets.astype(np.int64),
            "map_untrusted": np.packbits(np.concatenate(self.length_map.untrusted).astype(bool)),
            "always_exact": np.asarray(self.always_exact, dtype=bool),
            "quantity": np.str_(self.quantity),
            "model_digest": np.str_(self.model_digest),
            "muscle_names": np.array(self.muscle_names, dtype=str),
            "smooth_tol_mm": np.float64(self.smooth_tol_mm),
            "dilate": np.int64(self.dilate),
        }
        for p, part in enumerate(self.parts):
            arrays[f"part{p}_joints"] = np.asarray(part.joints, dtype=np.int64)
            arrays[f"part{p}_columns"] = np.asarray(part.columns, dtype=np.int64)
            arrays[f"part{p}_values"] = part.values.astype(np.float32)
            arrays[f"part{p}_untrusted"] = np.packbits(part.untrusted.ravel())
            arrays[f"part{p}_offsets"] = part.offsets.astype(np.int8)
        save_archive(path, arrays, FORMAT_VERSION, compressed=True)

    @classmethod
    def load(cls, path: str | Path) -> MuscleTable:
        """Read a table written by :meth:`save`; DataFormatError naming the file if missing or malformed."""
        expected = {"lower_deg", "spacing_deg", "n_nodes", "base_deg", "n_parts", "map_lengths", "map_values",
                    "map_offsets", "map_untrusted", "always_exact", "quantity", "model_digest", "muscle_names",
                    "smooth_tol_mm", "dilate"}  # fmt: skip
        fields = load_archive(path, "muscle table", expected, FORMAT_VERSION)
        try:
            grid = GridSpec(*(tuple(t(v) for v in fields[key]) for key, t in
                              (("lower_deg", float), ("spacing_deg", float), ("n_nodes", int))))  # fmt: skip
            parts = []
            for p in range(int(fields["n_parts"])):
                joints = tuple(int(j) for j in fields[f"part{p}_joints"])
                values = fields[f"part{p}_values"].astype(np.float64)
                cells = tuple(n - 1 for n in values.shape[:-1]) + values.shape[-1:]
                untrusted = np.unpackbits(fields[f"part{p}_untrusted"], count=int(np.prod(cells))).astype(bool)
                columns = tuple(int(j) for j in fields[f"part{p}_columns"])
                offsets = fields[f"part{p}_offsets"].astype(np.int8)
                parts.append(GridTable(joints, grid.select(joints), values, untrusted.reshape(cells), offsets, columns))
            offsets = fields["map_offsets"]
            n_intervals = int(np.sum(np.maximum(np.diff(offsets) - 1, 0)))
            bad = np.unpackbits(fields["map_untrusted"], count=n_intervals).astype(bool)
            lengths, values, untrusted, used = [], [], [], 0
            for begin, end in zip(offsets[:-1], offsets[1:]):
                lengths.append(fields["map_lengths"][begin:end])
                values.append(fields["map_values"][begin:end])
                n = max(int(end - begin) - 1, 0)
                untrusted.append(bad[used : used + n])
                used += n
            return cls(
                grid=grid,
                base_deg=np.asarray(fields["base_deg"], dtype=float),
                parts=tuple(parts),
                length_map=LengthMap(tuple(lengths), tuple(values), tuple(untrusted)),
                always_exact=np.asarray(fields["always_exact"], dtype=bool),
                quantity=str(fields["quantity"]),
                model_digest=str(fields["model_digest"]),
                muscle_names=tuple(str(name) for name in fields["muscle_names"]),
                smooth_tol_mm=float(fields["smooth_tol_mm"]),
                dilate=int(fields["dilate"]),
            )
        except (KeyError, ValueError) as error:
            raise DataFormatError(f"{path}: inconsistent muscle table ({error})") from None


# ---- table construction ---------------------------------------------------------------------------------------

_WORKER_ARM = None


def _worker_init(model_path: str) -> None:
    global _WORKER_ARM
    from neuromotor.pcrt.muscles import _import_opensim, file_digest, load_arm_model

    if _WORKER_ARM is not None and _WORKER_ARM.path == Path(model_path) and _WORKER_ARM.digest == file_digest(model_path):
        return  # the same model file, already loaded in this process
    _import_opensim().Logger.setLevelString("error")
    _WORKER_ARM = load_arm_model(model_path)


def _worker_evaluate(task: tuple[np.ndarray, np.ndarray, str]) -> tuple[np.ndarray, np.ndarray]:
    postures, columns, quantity = task
    selected = np.zeros((len(postures), len(_WORKER_ARM.muscle_names)), dtype=bool)
    selected[:, columns] = True
    return _WORKER_ARM.evaluate_with_paths(postures, selected, quantity)


def evaluate_nodes(
    model_path: str | Path, postures: np.ndarray, columns: np.ndarray, quantity: str, processes: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """OpenSim path lengths and quantity (each (N, n_muscles) mm, NaN outside ``columns`` and the quantity NaN where
    no equilibrium exists) at ``postures`` (N, 4) deg, for the muscles ``columns`` (n_muscles,) bool.

    With ``processes`` > 1 the postures are split in blocks evaluated by that many worker processes, each with its
    own copy of the model (results do not depend on the split: every evaluation is a function of the posture).
    """
    tasks = [(postures[start : start + NODE_BLOCK], columns, quantity) for start in range(0, len(postures), NODE_BLOCK)]
    if processes <= 1:
        _worker_init(str(model_path))
        parts = [_worker_evaluate(task) for task in tasks]
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # OpenSim objects must not be forked
        with context.Pool(processes, initializer=_worker_init, initargs=(str(model_path),)) as pool:
            parts = pool.map(_worker_evaluate, tasks, chunksize=1)
    if not parts:
        empty = np.zeros((0, len(columns)))
        return empty, empty
    return np.concatenate([values for _, values in parts]), np.concatenate([paths for paths, _ in parts])


@dataclass(frozen=True)
class MuscleStructure:
    """Which joints each muscle's path length depends on, and whether it is separable (checked, not assumed).

    Attributes:
        shoulder, elbow: (n_muscles,) bool, the path length changes with the shoulder joints / the elbow.
        separable: (n_muscles,) bool, the path length is a shoulder part plus an elbow part (to SEPARABLE_TOL_MM).
    """

    shoulder: np.ndarray
    elbow: np.ndarray
    separable: np.ndarray


def structure_postures(grid: GridSpec, n_pairs: int, seed: int = 0) -> np.ndarray:
    """(4 n_pairs, 4) postures deg for :func:`muscle_structure`: per pair of random postures a = (s_a, e_a) and
    b = (s_b, e_b) in the box, the four (s_a, e_a), (s_b, e_b), (s_a, e_b), (s_b, e_a)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(grid.lower_deg, grid.upper_deg, size=(n_pairs, N_JOINTS))
    b = rng.uniform(grid.lower_deg, grid.upper_deg, size=(n_pairs, N_JOINTS))
    mixed_ab, mixed_ba = a.copy(), b.copy()
    mixed_ab[:, list(ELBOW_JOINTS)] = b[:, list(ELBOW_JOINTS)]
    mixed_ba[:, list(ELBOW_JOINTS)] = a[:, list(ELBOW_JOINTS)]
    return np.concatenate([a, b, mixed_ab, mixed_ba])


def muscle_structure(paths_mm: np.ndarray) -> MuscleStructure:
    """Dependence and separability from path lengths (4 n_pairs, n_muscles) mm at :func:`structure_postures`."""
    aa, bb, ab, ba = np.split(np.asarray(paths_mm, dtype=float), 4)
    shoulder = np.any(np.abs(ba - aa) > DEPENDS_TOL_MM, axis=0) | np.any(np.abs(ab - bb) > DEPENDS_TOL_MM, axis=0)
    elbow = np.any(np.abs(ab - aa) > DEPENDS_TOL_MM, axis=0) | np.any(np.abs(ba - bb) > DEPENDS_TOL_MM, axis=0)
    separable = np.all(np.abs(aa + bb - ab - ba) <= SEPARABLE_TOL_MM, axis=0)
    return MuscleStructure(shoulder, elbow, separable)


def build_table(
    model_path: str | Path,
    quantity: str,
    grid: GridSpec,
    *,
    smooth_tol_mm: float,
    dilate: int,
    processes: int = 1,
    exact_muscles: tuple[str, ...] = (),
) -> MuscleTable:
    """Check each muscle's structure, evaluate OpenSim on the part grids, derive the trust maps (see the module doc).

    Args:
        model_path: the ``.osim`` file.
        quantity: ``"fiber_length"`` or ``"mtu_length"``.
        grid: the 4-D box and spacing (the shoulder part uses its first 3 joints, the elbow part the 4th).
        smooth_tol_mm, dilate: trust-map settings; processes: OpenSim worker processes.
        exact_muscles: muscles OpenSim evaluates at every posture anyway: not tabulated (saves their build cost).
    """
    from neuromotor.pcrt.muscles import MUSCLE_NAMES, file_digest, load_arm_model

    load_arm_model(model_path)  # checks the file, its coordinates and muscles, with one clear error
    unknown = sorted(set(exact_muscles) - set(MUSCLE_NAMES))
    if unknown:
        raise ValueError(f"exact_muscles {unknown} are not muscles of the table ({', '.join(MUSCLE_NAMES)})")
    n = len(MUSCLE_NAMES)
    every = np.ones(n, dtype=bool)
    probe = structure_postures(grid, STRUCTURE_PAIRS)
    probe_values, probe_paths = evaluate_nodes(model_path, probe, every, quantity)
    structure = muscle_structure(probe_paths)
    always_exact = ~structure.separable | np.isin(np.array(MUSCLE_NAMES), list(exact_muscles))
    for j in np.flatnonzero(~structure.separable):
        log.warning("muscle table: %s's path length is not a shoulder part plus an elbow part: OpenSim always", MUSCLE_NAMES[j])
    in_shoulder = ~always_exact & (structure.shoulder | ~structure.elbow)
    in_elbow = ~always_exact & structure.elbow
    base = grid.centre_deg
    samples = [(probe_paths, probe_values)]
    parts = []
    for joints, members in ((SHOULDER_JOINTS, in_shoulder), (ELBOW_JOINTS, in_elbow)):
        if not members.any():
            continue
        part_grid = grid.select(joints)
        nodes = np.tile(base, (int(np.prod(part_grid.n_nodes)), 1))
        nodes[:, list(joints)] = part_grid.nodes()
        log.info("muscle table: part %s, %d nodes %s, %d muscles, %d process(es)",
                 joints, len(nodes), part_grid.n_nodes, int(members.sum()), processes)  # fmt: skip
        values, paths = evaluate_nodes(model_path, nodes, members, quantity, processes)
        samples.append((paths, values))
        parts.append((joints, part_grid, paths[:, members], members))
    # the elbow part of a muscle with both parts is relative to the base posture; the shoulder part holds the rest
    _, base_paths = evaluate_nodes(model_path, base[None], every, quantity)
    both = in_shoulder & in_elbow
    tables = []
    for joints, part_grid, paths, members in parts:
        columns = np.flatnonzero(members)
        if joints == ELBOW_JOINTS:
            paths = paths - np.where(both[columns], base_paths[0, columns], 0.0)
        values = paths.reshape(tuple(part_grid.n_nodes) + (len(columns),))
        tables.append(GridTable.from_values(joints, part_grid, values, columns.tolist(), smooth_tol_mm, dilate))
    samples += _coverage_samples(model_path, grid, base, tables, both, quantity, processes)
    length_map, not_function = map_from_samples(
        np.concatenate([p for p, _ in samples]), np.concatenate([v for _, v in samples]), smooth_tol_mm
    )
    for j in np.flatnonzero(not_function & ~always_exact):
        log.warning("muscle table: %s's %s is not a function of its path length: OpenSim always", MUSCLE_NAMES[j], quantity)
    always_exact |= not_function
    table = MuscleTable(grid, base, tuple(tables), length_map, always_exact, quantity, file_digest(model_path),
                        MUSCLE_NAMES, smooth_tol_mm, dilate)  # fmt: skip
    for name, fraction in table.untrusted_fraction().items():
        log.info("muscle table: %s untrusted cells %.2f %%", name, 100 * fraction)
    return table


def _coverage_samples(model_path, grid, base, tables, both, quantity, processes) -> list[tuple[np.ndarray, np.ndarray]]:
    """(path, quantity) samples over the whole range of path lengths of the muscles with both parts: the elbow
    grid at the shoulder nodes where each such muscle's shoulder part is shortest and longest."""
    if not both.any() or len(tables) < 2:
        return []
    shoulder, elbow = tables
    shoulder_nodes = shoulder.grid.nodes()
    postures = []
    for j in np.flatnonzero(both):
        column = shoulder.columns.index(j)
        flat = shoulder.values[..., column].ravel()
        for index in (np.nanargmin(flat), np.nanargmax(flat)):
            sweep = np.tile(base, (int(np.prod(elbow.grid.n_nodes)), 1))
            sweep[:, list(SHOULDER_JOINTS)] = shoulder_nodes[index]
            sweep[:, list(ELBOW_JOINTS)] = elbow.grid.nodes()
            postures.append(sweep)
    values, paths = evaluate_nodes(model_path, np.concatenate(postures), both, quantity, processes)
    return [(paths, values)]


class TabulatedMuscles:
    """Joint angles (N, 4) deg -> muscle quantity (N, n_muscles) mm: the table where trusted, OpenSim elsewhere.

    Attributes:
        table: the :class:`MuscleTable`.
        arm: the :class:`~neuromotor.pcrt.muscles.OpenSimArm` of the same model file (digest checked).
        always_exact: (n_muscles,) bool, muscles always given to OpenSim (``exact_muscles``).
        n_points, n_exact_pairs, n_exact_postures, n_outside: running counts of evaluated postures, (posture,
            muscle) pairs given to OpenSim, postures with any such pair and postures outside the box.
    """

    def __init__(self, table: MuscleTable, arm, quantity: str, exact_muscles: tuple[str, ...] = ()):
        if table.model_digest != arm.digest:
            raise ModelFileError(
                f"{arm.path}: the muscle table was built from a model file with SHA-256 {table.model_digest[:12]}..., "
                f"this file has {arm.digest[:12]}...; rebuild the table for this model"
            )
        if table.quantity != quantity:
            raise ValueError(f"the muscle table holds {table.quantity!r}; {quantity!r} was asked for")
        if tuple(table.muscle_names) != tuple(arm.muscle_names):
            raise ValueError(f"table muscles {table.muscle_names} differ from the model's {arm.muscle_names}")
        unknown = sorted(set(exact_muscles) - set(table.muscle_names))
        if unknown:
            raise ValueError(f"exact_muscles {unknown} are not muscles of the table ({', '.join(table.muscle_names)})")
        self.table, self.arm, self.quantity = table, arm, quantity
        self.always_exact = np.isin(np.array(table.muscle_names), list(exact_muscles))
        self.n_points = self.n_exact_pairs = self.n_exact_postures = self.n_outside = 0

    def _tabulated(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values, exact = self.table.evaluate(q)
        exact[:, self.always_exact] = True
        return values, exact

    def exact_mask(self, joints_deg: np.ndarray) -> np.ndarray:
        """(N, n_muscles) bool: the pairs evaluated by OpenSim."""
        return self._tabulated(self.arm._check_postures(joints_deg))[1]

    def evaluate(self, joints_deg) -> np.ndarray:
        """Muscle quantity (N, n_muscles) in mm at postures (N, 4) in deg."""
        q = self.arm._check_postures(joints_deg)
        out, mask = self._tabulated(q)
        exact = self.arm.evaluate_selected(q, mask, self.quantity)
        out[mask] = exact[mask]
        inside = locate(self.table.grid, q)[0]
        self.n_points += len(q)
        self.n_exact_pairs += int(mask.sum())
        self.n_exact_postures += int(mask.any(axis=1).sum())
        self.n_outside += int(np.sum(~inside))
        return out

    def __call__(self, joints_deg) -> np.ndarray:
        return self.evaluate(joints_deg)


# ---- validation -----------------------------------------------------------------------------------------------


def validate_tabulated(
    predicted_mm: np.ndarray,
    reference_mm: np.ndarray,
    exact_mask: np.ndarray,
    muscle_names: tuple[str, ...],
    *,
    max_abs_mm: float,
    max_rmse_mm: float,
) -> dict:
    """Per-muscle max |error| and RMSE (mm) of the method against OpenSim, and pass flags.

    Args:
        predicted_mm, reference_mm: (M, n_muscles) the method's and OpenSim's values at the same postures.
        exact_mask: (M, n_muscles) bool, pairs the method gave to OpenSim (reported as a fraction).
        max_abs_mm, max_rmse_mm: pass thresholds, every muscle.
    Returns:
        JSON-serialisable dict: ``n_points``, ``thresholds``, ``passed``, ``failing_muscles``, ``worst``
        (largest ``max_abs_error_mm`` and ``rmse_mm``), ``exact_fraction`` and ``muscles``: name ->
        ``max_abs_error_mm``, ``rmse_mm``, ``exact_fraction``, ``passed``.
    """
    predicted = np.asarray(predicted_mm, dtype=float)
    reference = np.asarray(reference_mm, dtype=float)
    if predicted.shape != reference.shape or predicted.shape != np.shape(exact_mask):
        raise ValueError(f"shapes differ: {predicted.shape}, {reference.shape}, {np.shape(exact_mask)}")
    if len(predicted):
        error = np.abs(predicted - reference)
        error = np.where(np.isnan(predicted) & np.isnan(reference), 0.0, error)  # both failed alike
        error = np.where(np.isnan(error), np.inf, error)
        max_abs = error.max(axis=0)
        rmse = np.sqrt(np.mean(error**2, axis=0))
        exact = np.mean(exact_mask, axis=0)
    else:
        max_abs = rmse = exact = np.zeros(len(muscle_names))
    passed = (max_abs <= max_abs_mm) & (rmse <= max_rmse_mm)
    return {
        "n_points": int(len(predicted)),
        "thresholds": {"max_abs_error_mm": float(max_abs_mm), "rmse_mm": float(max_rmse_mm)},
        "passed": bool(passed.all()),
        "failing_muscles": [name for name, ok in zip(muscle_names, passed) if not ok],
        "worst": {"max_abs_error_mm": float(max_abs.max()), "rmse_mm": float(rmse.max())},
        "exact_fraction": float(np.mean(exact_mask)) if len(predicted) else 0.0,
        "exact_fraction_postures": float(np.mean(np.any(exact_mask, axis=1))) if len(predicted) else 0.0,
        "muscles": {
            name: {
                "max_abs_error_mm": float(max_abs[j]),
                "rmse_mm": float(rmse[j]),
                "exact_fraction": float(exact[j]),
                "passed": bool(passed[j]),
            }
            for j, name in enumerate(muscle_names)
        },
    }


def check_tabulated(report: dict, what: str = "muscle table") -> None:
    """Raise ValidationFailed naming every failing muscle of a :func:`validate_tabulated` report."""
    if report["passed"]:
        return
    thresholds = report["thresholds"]
    details = ", ".join(
        f"{name} (max error {report['muscles'][name]['max_abs_error_mm']:.4g} mm, "
        f"RMSE {report['muscles'][name]['rmse_mm']:.4g} mm)"
        for name in report["failing_muscles"]
    )
    raise ValidationFailed(
        f"{what} fails validation against OpenSim on {len(report['failing_muscles'])} muscle(s): {details}; "
        f"criteria max error <= {thresholds['max_abs_error_mm']} mm and RMSE <= {thresholds['rmse_mm']} mm; "
        "try a finer pcrt.muscle.table.spacing_deg, a smaller smooth_tol_mm or a larger dilate"
    )
