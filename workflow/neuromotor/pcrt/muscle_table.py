"""Tabulated muscle quantity with exact OpenSim evaluation where the table cannot be trusted (``backend: table``).

Why: the published MoBL-ARMS model wraps its muscle paths over surfaces. Evaluated by OpenSim 4.6, several lengths
jump by tens of mm where a wrap switches (LAT1-3, TMAJ, BIClong, TMIN, DELT1 ...) and a few show narrow spikes of
hundreds of mm (TRIlong, TMAJ), so one global polynomial cannot follow them (docs/performance.md has the measured
maps). Elsewhere the lengths are smooth functions of the 4 joint angles.

The method:

1. **Table** (:func:`build_table`): OpenSim values of every muscle on a regular 4-D grid over a joint box (default
   the joint limits; spacing per joint, deg), built once per (model file digest, quantity, grid) and cached.
2. **Trust map** (:func:`untrusted_cells`): per muscle and grid cell, the cell is *untrusted* if any node of its
   4x4x4x4 interpolation stencil is non-finite or its estimated cubic interpolation error (3/128 of the largest
   4th difference along any joint, i.e. the midpoint error of a cubic for a smooth function) exceeds
   ``smooth_tol_mm``; the untrusted set is then dilated by ``dilate`` cells in every direction, so a wrap switch
   that falls between nodes is still covered.
3. **Evaluation** (:meth:`TabulatedMuscles.evaluate`): tensor-product cubic Lagrange interpolation (exact for
   cubics, one-sided stencils at the box faces) for trusted (posture, muscle) pairs; OpenSim, muscle by muscle
   (:meth:`OpenSimArm.evaluate_selected`), for untrusted pairs and for every muscle of a posture outside the box.
   Nothing is ever extrapolated.

Limits: a wrapping artefact narrower than the grid spacing that no node sees (and no neighbouring node flags) is
invisible to the trust map. The validation stage (:func:`validate_tabulated`, rule ``pcrt_table_report``) measures
the errors against OpenSim on every step of held-out accepted trajectories and fails naming the muscles that miss
the criteria (max error and RMSE in mm).

File format (:meth:`MuscleTable.save`): NumPy ``.npz`` (no pickles): ``values`` (n1, n2, n3, n4, n_muscles) float32
mm; ``untrusted`` packed bits of the (n1-1, n2-1, n3-1, n4-1, n_muscles) bool map; ``lower_deg``, ``spacing_deg``
(4,) float64; ``shape`` (5,); ``quantity``, ``model_digest``, ``muscle_names``, ``format_version``,
``smooth_tol_mm``, ``dilate``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError, ModelFileError, ValidationFailed

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
N_JOINTS = 4
STENCIL = 4  # cubic Lagrange: 4 nodes per joint
MIDPOINT_ERROR_FACTOR = 3.0 / 128.0  # |w(1.5)| / 4! for nodes 0..3: cubic interpolation error per unit h^4 f''''
BOX_TOLERANCE_DEG = 1e-9
INTERPOLATION_BLOCK = 4096  # postures per gather block: 4096 x 256 x 25 float64 = 210 MB at most


@dataclass(frozen=True)
class GridSpec:
    """A regular grid over a joint box.

    Attributes:
        lower_deg: (4,) first node per joint (deg).
        spacing_deg: (4,) node spacing per joint (deg).
        n_nodes: (4,) nodes per joint (each >= 5).
    """

    lower_deg: tuple[float, ...]
    spacing_deg: tuple[float, ...]
    n_nodes: tuple[int, ...]

    @classmethod
    def covering(cls, lower_deg, upper_deg, max_spacing_deg) -> GridSpec:
        """The grid with nodes exactly on ``lower_deg`` and ``upper_deg`` and spacing at most ``max_spacing_deg``.

        Raises:
            ValueError: a bound is not finite, upper <= lower, a spacing is not positive, or the box would have
                fewer than 5 nodes along a joint (the stencil needs 4, the trust map one 4th difference).
        """
        lower = np.asarray(lower_deg, dtype=float)
        upper = np.asarray(upper_deg, dtype=float)
        spacing = np.broadcast_to(np.asarray(max_spacing_deg, dtype=float), (N_JOINTS,))
        if lower.shape != (N_JOINTS,) or upper.shape != (N_JOINTS,):
            raise ValueError(f"lower and upper must have {N_JOINTS} values; got {lower.shape} and {upper.shape}")
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

    def axes(self) -> list[np.ndarray]:
        """Node angles (deg) per joint."""
        return [lo + h * np.arange(n) for lo, h, n in zip(self.lower_deg, self.spacing_deg, self.n_nodes)]

    def nodes(self) -> np.ndarray:
        """(prod(n_nodes), 4) node postures (deg), C order (last joint fastest)."""
        mesh = np.meshgrid(*self.axes(), indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


def table_file_name(model_path: str | Path, model_digest: str, quantity: str, table_cfg: dict) -> str:
    """Cache name of a table: ``<model stem>-<quantity>-<key>.npz``, the key a digest of the model file's SHA-256,
    the quantity and the settings that change the table's content (grid box, spacing, trust map), so a table is
    rebuilt exactly when one of those changes (not for build processes or validation settings)."""
    from neuromotor.config import digest

    content = {key: table_cfg[key] for key in ("spacing_deg", "lower_deg", "upper_deg", "smooth_tol_mm", "dilate")}
    key = digest([model_digest, quantity, content, FORMAT_VERSION])
    return f"{Path(model_path).stem}-{quantity}-{key}.npz"


# ---- table construction ---------------------------------------------------------------------------------------

_WORKER_ARM = None


def _worker_init(model_path: str) -> None:
    global _WORKER_ARM
    from neuromotor.pcrt.muscles import _import_opensim, load_arm_model

    _import_opensim().Logger.setLevelString("error")
    _WORKER_ARM = load_arm_model(model_path)


def _worker_evaluate(task: tuple[np.ndarray, str]) -> np.ndarray:
    postures, quantity = task
    every = np.ones((len(postures), len(_WORKER_ARM.muscle_names)), dtype=bool)
    return _WORKER_ARM.evaluate_selected(postures, every, quantity, failure_as_nan=True)


def evaluate_nodes(model_path: str | Path, postures: np.ndarray, quantity: str, processes: int = 1) -> np.ndarray:
    """OpenSim values (N, n_muscles) mm at ``postures`` (N, 4) deg, NaN where no equilibrium exists.

    With ``processes`` > 1 the postures are split in blocks evaluated by that many worker processes, each with its
    own copy of the model (results do not depend on the split: every evaluation is a function of the posture).
    """
    blocks = [postures[start : start + 2000] for start in range(0, len(postures), 2000)]
    if processes <= 1:
        _worker_init(str(model_path))
        parts = [_worker_evaluate((block, quantity)) for block in blocks]
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # OpenSim objects must not be forked
        with context.Pool(processes, initializer=_worker_init, initargs=(str(model_path),)) as pool:
            parts = pool.map(_worker_evaluate, [(block, quantity) for block in blocks], chunksize=1)
    return np.concatenate(parts) if parts else np.zeros((0, 25))


def _fourth_difference_error(values: np.ndarray) -> np.ndarray:
    """Per node, the estimated cubic interpolation error (mm): 3/128 of the largest |4th difference| over joints.

    Args:
        values: (n1, n2, n3, n4, n_muscles) node values; NaN propagates.
    Returns:
        array of the same shape; the 4th difference along each joint is centred (nodes 2..n-3) and repeated from
        the nearest centred node at both ends.
    """
    estimate = np.zeros_like(values)
    for axis in range(N_JOINTS):
        d4 = np.abs(np.diff(values, 4, axis=axis))
        first = np.take(d4, [0], axis=axis)
        last = np.take(d4, [d4.shape[axis] - 1], axis=axis)
        d4 = np.concatenate([first, first, d4, last, last], axis=axis)
        estimate = np.fmax(estimate, d4) if axis else d4
        estimate = np.where(np.isnan(d4), np.nan, estimate)
    return MIDPOINT_ERROR_FACTOR * estimate


def _stencil_any(flags: np.ndarray, axis: int) -> np.ndarray:
    """Along ``axis``, cell c (of n-1) is True if any of the 4 stencil nodes s(c)..s(c)+3 is, s = clip(c-1, 0, n-4)."""
    n = flags.shape[axis]
    start = np.clip(np.arange(n - 1) - 1, 0, n - STENCIL)
    out = np.zeros_like(np.take(flags, start, axis=axis))
    for k in range(STENCIL):
        out |= np.take(flags, start + k, axis=axis)
    return out


def _dilate(cells: np.ndarray, radius: int) -> np.ndarray:
    """Boolean dilation by ``radius`` cells along each joint axis (box neighbourhood; the muscle axis untouched)."""
    out = cells.copy()
    for axis in range(N_JOINTS):
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
    """Cells (n1-1, n2-1, n3-1, n4-1, n_muscles) whose interpolated value must not be used (see module doc)."""
    estimate = _fourth_difference_error(values)
    bad = ~(estimate <= smooth_tol_mm)  # NaN (a node without equilibrium) counts as bad
    for axis in range(N_JOINTS):
        bad = _stencil_any(bad, axis)
    return _dilate(bad, dilate)


# ---- the table ------------------------------------------------------------------------------------------------


@dataclass
class MuscleTable:
    """A tabulated muscle quantity and its trust map.

    Attributes:
        grid: node layout.
        values: (n1, n2, n3, n4, n_muscles) OpenSim values at the nodes (mm; NaN where OpenSim failed).
        untrusted: (n1-1, n2-1, n3-1, n4-1, n_muscles) bool, cells evaluated by OpenSim instead.
        quantity, model_digest, muscle_names: what was tabulated, from which model file (SHA-256).
        smooth_tol_mm, dilate: the trust-map settings.
    """

    grid: GridSpec
    values: np.ndarray
    untrusted: np.ndarray
    quantity: str
    model_digest: str
    muscle_names: tuple[str, ...]
    smooth_tol_mm: float
    dilate: int

    def __post_init__(self):
        shape = tuple(self.grid.n_nodes) + (len(self.muscle_names),)
        if self.values.shape != shape:
            raise ValueError(f"values must have shape {shape}; got {self.values.shape}")
        cells = tuple(n - 1 for n in self.grid.n_nodes) + (len(self.muscle_names),)
        if self.untrusted.shape != cells:
            raise ValueError(f"untrusted must have shape {cells}; got {self.untrusted.shape}")

    def save(self, path: str | Path) -> None:
        """Write the table as ``.npz`` atomically (temporary file in the same folder, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez_compressed(
                    stream,
                    format_version=np.int64(FORMAT_VERSION),
                    values=self.values.astype(np.float32),
                    untrusted=np.packbits(self.untrusted.ravel()),
                    shape=np.asarray(self.values.shape, dtype=np.int64),
                    lower_deg=np.asarray(self.grid.lower_deg, dtype=float),
                    spacing_deg=np.asarray(self.grid.spacing_deg, dtype=float),
                    quantity=np.str_(self.quantity),
                    model_digest=np.str_(self.model_digest),
                    muscle_names=np.array(self.muscle_names, dtype=str),
                    smooth_tol_mm=np.float64(self.smooth_tol_mm),
                    dilate=np.int64(self.dilate),
                )
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)

    @classmethod
    def load(cls, path: str | Path) -> MuscleTable:
        """Read a table written by :meth:`save`; DataFormatError naming the file if missing or malformed."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                fields = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise DataFormatError(f"{path}: cannot read the muscle table ({error})") from None
        expected = {"format_version", "values", "untrusted", "shape", "lower_deg", "spacing_deg", "quantity",
                    "model_digest", "muscle_names", "smooth_tol_mm", "dilate"}  # fmt: skip
        if not expected <= fields.keys():
            raise DataFormatError(f"{path}: muscle table lacks {sorted(expected - fields.keys())}")
        if int(fields["format_version"]) != FORMAT_VERSION:
            raise DataFormatError(f"{path}: muscle table format_version {int(fields['format_version'])}, expected {FORMAT_VERSION}")
        shape = tuple(int(n) for n in fields["shape"])
        try:
            cells = tuple(n - 1 for n in shape[:N_JOINTS]) + shape[N_JOINTS:]
            untrusted = np.unpackbits(fields["untrusted"], count=int(np.prod(cells))).astype(bool).reshape(cells)
            return cls(
                grid=GridSpec(
                    tuple(float(v) for v in fields["lower_deg"]),
                    tuple(float(v) for v in fields["spacing_deg"]),
                    shape[:N_JOINTS],
                ),
                values=fields["values"].astype(np.float64),
                untrusted=untrusted,
                quantity=str(fields["quantity"]),
                model_digest=str(fields["model_digest"]),
                muscle_names=tuple(str(name) for name in fields["muscle_names"]),
                smooth_tol_mm=float(fields["smooth_tol_mm"]),
                dilate=int(fields["dilate"]),
            )
        except ValueError as error:
            raise DataFormatError(f"{path}: inconsistent muscle table ({error})") from None

    def locate(self, joints_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell of each posture and whether it lies in the box.

        Args:
            joints_deg: (N, 4) deg.
        Returns:
            ``inside`` (N,) bool; ``cell`` (N, 4) int cell indices (clipped for postures outside);
            ``local`` (N, 4) float, position relative to the stencil's first node in units of the spacing (0..3).
        """
        lower = np.asarray(self.grid.lower_deg)
        spacing = np.asarray(self.grid.spacing_deg)
        n_nodes = np.asarray(self.grid.n_nodes)
        inside = np.all(
            (joints_deg >= lower - BOX_TOLERANCE_DEG) & (joints_deg <= self.grid.upper_deg + BOX_TOLERANCE_DEG), axis=1
        )
        position = (joints_deg - lower) / spacing
        cell = np.clip(np.floor(position).astype(int), 0, n_nodes - 2)
        start = np.clip(cell - 1, 0, n_nodes - STENCIL)
        return inside, cell, position - start

    def interpolate(self, joints_deg: np.ndarray) -> np.ndarray:
        """Tensor-product cubic Lagrange interpolation (N, n_muscles) mm at postures (N, 4) deg inside the box.

        Postures outside the box raise ValueError (the table never extrapolates; :class:`TabulatedMuscles` sends
        them to OpenSim).
        """
        q = np.asarray(joints_deg, dtype=float)
        inside, cell, local = self.locate(q)
        if not inside.all():
            raise ValueError(
                f"{int(np.sum(~inside))} posture(s) outside the table's box {list(self.grid.lower_deg)} .. "
                f"{self.grid.upper_deg.tolist()} deg, e.g. {q[~inside][0].round(3).tolist()}"
            )
        n_nodes = np.asarray(self.grid.n_nodes)
        start = np.clip(cell - 1, 0, n_nodes - STENCIL)
        strides = np.array([int(np.prod(n_nodes[a + 1 :])) for a in range(N_JOINTS)])
        flat_values = self.values.reshape(-1, self.values.shape[-1])
        k = np.arange(STENCIL)
        # offsets of the 256 stencil nodes, and their per-joint stencil positions
        combos = np.stack(np.meshgrid(k, k, k, k, indexing="ij"), axis=-1).reshape(-1, N_JOINTS)
        offsets = combos @ strides
        out = np.empty((len(q), flat_values.shape[1]))
        for begin in range(0, len(q), INTERPOLATION_BLOCK):
            block = slice(begin, begin + INTERPOLATION_BLOCK)
            weights = _lagrange_weights(local[block])  # (n, 4 joints, 4 nodes)
            w = np.ones((len(weights), len(combos)))
            for axis in range(N_JOINTS):
                w *= weights[:, axis, combos[:, axis]]
            base = start[block] @ strides
            gathered = flat_values[base[:, None] + offsets[None, :]]  # (n, 256, muscles)
            out[block] = np.einsum("ns,nsm->nm", w, gathered)
        return out


def _lagrange_weights(t: np.ndarray) -> np.ndarray:
    """Cubic Lagrange weights (N, 4, 4) of nodes 0..3 at positions t (N, 4) in node units."""
    t = t[..., None]
    nodes = np.arange(STENCIL, dtype=float)
    weights = np.ones(t.shape[:-1] + (STENCIL,))
    for j in range(STENCIL):
        for m in range(STENCIL):
            if m != j:
                weights[..., j] *= ((t[..., 0] - m) / (j - m))
    return weights


def build_table(
    model_path: str | Path,
    quantity: str,
    grid: GridSpec,
    *,
    smooth_tol_mm: float,
    dilate: int,
    processes: int = 1,
) -> MuscleTable:
    """Evaluate OpenSim on every node of ``grid`` and derive the trust map (see the module doc)."""
    from neuromotor.pcrt.muscles import MUSCLE_NAMES, file_digest, load_arm_model

    load_arm_model(model_path)  # checks the file, its coordinates and muscles, with one clear error
    nodes = grid.nodes()
    log.info("muscle table: %d nodes %s, %d process(es)", len(nodes), grid.n_nodes, processes)
    values = evaluate_nodes(model_path, nodes, quantity, processes).reshape(tuple(grid.n_nodes) + (len(MUSCLE_NAMES),))
    n_failed = int(np.sum(~np.isfinite(values)))
    if n_failed:
        log.warning("muscle table: no OpenSim equilibrium at %d (node, muscle) pairs; their cells use OpenSim", n_failed)
    untrusted = untrusted_cells(values, smooth_tol_mm, dilate)
    for j, name in enumerate(MUSCLE_NAMES):
        log.info("muscle table: %s untrusted cells %.2f %%", name, 100 * untrusted[..., j].mean())
    return MuscleTable(grid, values, untrusted, quantity, file_digest(model_path), MUSCLE_NAMES, smooth_tol_mm, dilate)


class TabulatedMuscles:
    """Joint angles (N, 4) deg -> muscle quantity (N, n_muscles) mm: the table where trusted, OpenSim elsewhere.

    Attributes:
        table: the :class:`MuscleTable`.
        arm: the :class:`~neuromotor.pcrt.muscles.OpenSimArm` of the same model file (digest checked).
        always_exact: (n_muscles,) bool, muscles always given to OpenSim (``exact_muscles``).
        n_points, n_exact_pairs, n_outside: running counts of evaluated postures, (posture, muscle) pairs given to
            OpenSim and postures outside the box.
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
        self.n_points = self.n_exact_pairs = self.n_outside = 0

    def exact_mask(self, joints_deg: np.ndarray) -> np.ndarray:
        """(N, n_muscles) bool: the pairs evaluated by OpenSim (untrusted cell, or posture outside the box)."""
        inside, cell, _ = self.table.locate(joints_deg)
        mask = self.table.untrusted[cell[:, 0], cell[:, 1], cell[:, 2], cell[:, 3]]
        mask[~inside] = True
        mask[:, self.always_exact] = True
        return mask

    def evaluate(self, joints_deg) -> np.ndarray:
        """Muscle quantity (N, n_muscles) in mm at postures (N, 4) in deg."""
        q = self.arm._check_postures(joints_deg)
        inside, _, _ = self.table.locate(q)
        mask = self.exact_mask(q)
        out = np.empty(mask.shape)
        if inside.any():
            out[inside] = self.table.interpolate(q[inside])
        exact = self.arm.evaluate_selected(q, mask, self.quantity)
        out[mask] = exact[mask]
        self.n_points += len(q)
        self.n_exact_pairs += int(mask.sum())
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
