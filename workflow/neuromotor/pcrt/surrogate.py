"""Polynomial surrogate of a muscle quantity as a function of the 4 joint angles (docs/decisions.md).

With a fixed default activation and muscle equilibrium, each muscle's length is a smooth function m_j(q) of the
joint angles. The surrogate is ``m_j(q) ~= sum_k c_kj phi_k(q~)`` with ``q~`` the angles mapped linearly from the
joint limits to [-1, 1] and ``phi_k`` the products of Legendre polynomials of total degree <= ``degree``
(degree 6 -> 210 terms). It is fitted by ridge-regularised least squares on scrambled Sobol points of the joint-limit
box (:func:`fit_surrogate`) and checked against independent OpenSim evaluations (:func:`validate_surrogate`,
:func:`check_validation`).

File format (:meth:`MuscleSurrogate.save`): a NumPy ``.npz`` archive (no pickles) with arrays ``coefficients``
(n_terms, n_muscles) float64, ``degree`` (), ``joint_min_deg`` (4,), ``joint_max_deg`` (4,), ``quantity`` (),
``model_digest`` () and ``muscle_names`` (n_muscles,) strings, plus ``format_version`` ().
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from functools import lru_cache
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError, ValidationFailed
from neuromotor.pcrt.archive import load_archive, save_archive
from neuromotor.pcrt.kinematics import JOINT_MAX_DEG, JOINT_MIN_DEG

FORMAT_VERSION = 1
N_JOINTS = 4
DEFAULT_DEGREE = 6
DEFAULT_RIDGE = 1e-8
DEFAULT_N_FIT = 4096
DEFAULT_MAX_RMSE_REL = 0.005
DEFAULT_MAX_ABS_REL = 0.02
MAX_NONFINITE_FRACTION = 0.01
# predict() works in blocks of rows whose (rows, n_terms) design matrix holds at most this many values (64 MB)
PREDICT_BLOCK_VALUES = 1 << 23


def total_degree_exponents(degree: int, n_variables: int = N_JOINTS) -> np.ndarray:
    """All exponent tuples with sum <= degree, shape (comb(degree + n_variables, n_variables), n_variables).

    Ordered by total degree, then lexicographically (descending in the first variable), so term 0 is the constant.
    """
    if degree < 0:
        raise ValueError(f"degree must be >= 0; got {degree}")
    grids = np.stack(np.meshgrid(*[np.arange(degree + 1)] * n_variables, indexing="ij"), -1).reshape(-1, n_variables)
    grids = grids[grids.sum(axis=1) <= degree]
    order = np.lexsort([-grids[:, i] for i in reversed(range(n_variables))] + [grids.sum(axis=1)])
    return grids[order]


def legendre_values(x: np.ndarray, degree: int) -> np.ndarray:
    """Legendre polynomials P_0..P_degree at x, shape x.shape + (degree + 1,) (three-term recurrence)."""
    x = np.asarray(x, dtype=float)
    values = np.empty(x.shape + (degree + 1,))
    values[..., 0] = 1.0
    if degree >= 1:
        values[..., 1] = x
    for n in range(1, degree):
        values[..., n + 1] = ((2 * n + 1) * x * values[..., n] - n * values[..., n - 1]) / (n + 1)
    return values


@lru_cache(maxsize=16)
def _term_structure(degree: int, n_variables: int) -> tuple:
    """Exponents of every term, split into two halves of the variables, with the distinct combinations per half.

    Returns ``(half, first_distinct, first_rows, second_distinct, second_rows)`` where term ``k`` is
    ``prod(first_distinct[first_rows[k]]) * prod(second_distinct[second_rows[k]])``. Cached: the structure depends
    only on the degree, and rebuilding it would dominate the cost of evaluating short trajectories.
    """
    exponents = total_degree_exponents(degree, n_variables)
    half = n_variables // 2
    first_distinct, first_rows = np.unique(exponents[:, :half], axis=0, return_inverse=True)
    second_distinct, second_rows = np.unique(exponents[:, half:], axis=0, return_inverse=True)
    parts = (first_distinct, first_rows.reshape(-1), second_distinct, second_rows.reshape(-1))
    for part in parts:
        part.setflags(write=False)
    return (half, *parts)


def _products(values_t: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Products of Legendre values (n_subset, degree + 1, N) over a subset of variables, per distinct exponent row."""
    products = values_t[0][distinct[:, 0]]
    for variable in range(1, distinct.shape[1]):
        products = products * values_t[variable][distinct[:, variable]]
    return products


def legendre_design_transposed(q_scaled: np.ndarray, degree: int) -> np.ndarray:
    """Transpose of :func:`legendre_design`, shape (n_terms, N) (the faster layout to build)."""
    q_scaled = np.asarray(q_scaled, dtype=float)
    if q_scaled.ndim != 2:
        raise ValueError(f"q_scaled must have shape (N, n_variables); got {q_scaled.shape}")
    n_variables = q_scaled.shape[1]
    values_t = np.moveaxis(legendre_values(q_scaled, degree), 0, -1)  # (n_variables, degree + 1, N)
    if n_variables == 1:
        return values_t[0][total_degree_exponents(degree, 1)[:, 0]]
    # a term is (product over the first half of the variables) * (product over the second half); each half has far
    # fewer distinct exponent combinations than there are terms, so this saves most of the multiplications
    half, first_distinct, first_rows, second_distinct, second_rows = _term_structure(degree, n_variables)
    first = _products(values_t[:half], first_distinct)
    second = _products(values_t[half:], second_distinct)
    return first[first_rows] * second[second_rows]


def legendre_design(q_scaled: np.ndarray, degree: int) -> np.ndarray:
    """Design matrix of total-degree Legendre products.

    Args:
        q_scaled: (N, 4) joint angles mapped to [-1, 1].
        degree: maximal total degree.
    Returns:
        (N, n_terms) with n_terms = comb(degree + 4, 4) (210 for degree 6), columns in
        :func:`total_degree_exponents` order.
    """
    return legendre_design_transposed(q_scaled, degree).T


def scale_to_unit_box(joints_deg: np.ndarray, joint_min_deg: np.ndarray, joint_max_deg: np.ndarray) -> np.ndarray:
    """Map angles (..., 4) in degrees linearly from [joint_min, joint_max] to [-1, 1]."""
    low, high = np.asarray(joint_min_deg, dtype=float), np.asarray(joint_max_deg, dtype=float)
    return 2.0 * (np.asarray(joints_deg, dtype=float) - low) / (high - low) - 1.0


def sobol_postures(n_points: int, seed: int, joint_min_deg=JOINT_MIN_DEG, joint_max_deg=JOINT_MAX_DEG) -> np.ndarray:
    """Scrambled, seeded Sobol points in the joint-limit box, shape (n_points, 4), degrees.

    The first ``n_points`` of a 2**m-point sequence (all of it when ``n_points`` is a power of two).
    """
    from scipy.stats import qmc

    if n_points < 1:
        raise ValueError(f"n_points must be >= 1; got {n_points}")
    sampler = qmc.Sobol(d=N_JOINTS, scramble=True, seed=seed)
    unit = sampler.random_base2(int(np.ceil(np.log2(n_points))))[:n_points]
    return qmc.scale(unit, joint_min_deg, joint_max_deg)


def uniform_postures(n_points: int, seed: int, joint_min_deg=JOINT_MIN_DEG, joint_max_deg=JOINT_MAX_DEG) -> np.ndarray:
    """Independent uniform points in the joint-limit box, shape (n_points, 4), degrees (validation set)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(joint_min_deg, joint_max_deg, size=(n_points, N_JOINTS))


def ridge_least_squares(design: np.ndarray, targets: np.ndarray, ridge: float = DEFAULT_RIDGE) -> np.ndarray:
    """Coefficients minimising ``|design c - targets|^2 + lam |c|^2`` with lam = ridge * mean(diag(design^T design)).

    Args:
        design: (N, n_terms); targets: (N, n_outputs).
    Returns:
        (n_terms, n_outputs) coefficients.
    """
    n_terms = design.shape[1]
    lam = ridge * np.mean(np.sum(design**2, axis=0))
    augmented = np.vstack([design, np.sqrt(lam) * np.eye(n_terms)])
    padded = np.vstack([targets, np.zeros((n_terms, targets.shape[1]))])
    coefficients, *_ = np.linalg.lstsq(augmented, padded, rcond=None)
    return coefficients


@dataclass(frozen=True, eq=False)
class MuscleSurrogate:
    """Fitted polynomial surrogate of one muscle quantity.

    Attributes:
        coefficients: (n_terms, n_muscles) coefficients in mm of the Legendre products.
        degree: total degree of the polynomial basis.
        joint_min_deg, joint_max_deg: (4,) joint limits (deg) mapped to -1 and +1.
        quantity: ``"fiber_length"`` or ``"mtu_length"``.
        model_digest: SHA-256 of the OpenSim model file it was fitted to.
        muscle_names: muscles in output column order.
    """

    coefficients: np.ndarray
    degree: int
    joint_min_deg: np.ndarray
    joint_max_deg: np.ndarray
    quantity: str
    model_digest: str
    muscle_names: tuple[str, ...]

    def __post_init__(self):
        n_terms = comb(self.degree + N_JOINTS, N_JOINTS)
        if self.coefficients.shape != (n_terms, len(self.muscle_names)):
            raise ValueError(
                f"coefficients must have shape ({n_terms}, {len(self.muscle_names)}) for degree {self.degree} and "
                f"{len(self.muscle_names)} muscles; got {self.coefficients.shape}"
            )

    def predict(self, joints_deg) -> np.ndarray:
        """Muscle quantity (mm), shape (..., n_muscles), at joint angles (..., 4) in degrees.

        Angles outside the joint limits are extrapolated (inaccurately); NaN postures give NaN rows.
        """
        q = np.asarray(joints_deg, dtype=float)
        if q.shape[-1:] != (N_JOINTS,):
            raise ValueError(f"joints_deg must have shape (..., {N_JOINTS}); got {q.shape}")
        flat = scale_to_unit_box(q.reshape(-1, N_JOINTS), self.joint_min_deg, self.joint_max_deg)
        out = np.empty((len(flat), self.coefficients.shape[1]))
        block_rows = max(1, PREDICT_BLOCK_VALUES // self.coefficients.shape[0])
        for start in range(0, len(flat), block_rows):
            block = slice(start, start + block_rows)
            out[block] = (self.coefficients.T @ legendre_design_transposed(flat[block], self.degree)).T
        return out.reshape(q.shape[:-1] + (self.coefficients.shape[1],))

    def save(self, path: str | Path) -> None:
        """Write the surrogate as an ``.npz`` archive, atomically (temporary file, then rename)."""
        arrays = {
            "coefficients": self.coefficients,
            "degree": np.int64(self.degree),
            "joint_min_deg": np.asarray(self.joint_min_deg, dtype=float),
            "joint_max_deg": np.asarray(self.joint_max_deg, dtype=float),
            "quantity": np.str_(self.quantity),
            "model_digest": np.str_(self.model_digest),
            "muscle_names": np.array(self.muscle_names, dtype=str),
        }
        save_archive(path, arrays, FORMAT_VERSION)

    @classmethod
    def load(cls, path: str | Path) -> MuscleSurrogate:
        """Read a surrogate written by :meth:`save`; DataFormatError if the file is missing or malformed."""
        expected = {"coefficients", "degree", "joint_min_deg", "joint_max_deg", "quantity", "model_digest",
                    "muscle_names"}  # fmt: skip
        fields = load_archive(path, "muscle surrogate", expected, FORMAT_VERSION)
        try:
            return cls(
                coefficients=np.asarray(fields["coefficients"], dtype=float),
                degree=int(fields["degree"]),
                joint_min_deg=np.asarray(fields["joint_min_deg"], dtype=float),
                joint_max_deg=np.asarray(fields["joint_max_deg"], dtype=float),
                quantity=str(fields["quantity"]),
                model_digest=str(fields["model_digest"]),
                muscle_names=tuple(str(name) for name in fields["muscle_names"]),
            )
        except ValueError as error:
            raise DataFormatError(f"{path}: inconsistent muscle surrogate ({error})") from None


def fit_coefficients(
    joints_deg: np.ndarray,
    values_mm: np.ndarray,
    degree: int = DEFAULT_DEGREE,
    ridge: float = DEFAULT_RIDGE,
    joint_min_deg=JOINT_MIN_DEG,
    joint_max_deg=JOINT_MAX_DEG,
) -> np.ndarray:
    """Least-squares Legendre coefficients (n_terms, n_muscles) from postures (N, 4) deg and values (N, n_muscles) mm.

    The joint limits define the linear map of the angles onto [-1, 1]; ``ridge`` as in :func:`ridge_least_squares`.
    """
    design = legendre_design(scale_to_unit_box(joints_deg, joint_min_deg, joint_max_deg), degree)
    if design.shape[0] < design.shape[1]:
        raise ValueError(f"{design.shape[0]} fit points are fewer than the {design.shape[1]} polynomial terms")
    return ridge_least_squares(design, np.asarray(values_mm, dtype=float), ridge)


def fit_surrogate(
    arm,
    quantity: str = "fiber_length",
    degree: int = DEFAULT_DEGREE,
    ridge: float = DEFAULT_RIDGE,
    n_fit: int = DEFAULT_N_FIT,
    seed: int = 0,
    joint_min_deg=JOINT_MIN_DEG,
    joint_max_deg=JOINT_MAX_DEG,
    max_nonfinite_fraction: float = MAX_NONFINITE_FRACTION,
) -> MuscleSurrogate:
    """Fit a surrogate to OpenSim evaluations at ``n_fit`` scrambled Sobol points (``sobol_postures(n_fit, seed)``).

    Postures where OpenSim returns a non-finite value (its muscle equilibrium failed) are left out of the fit.

    Args:
        arm: a :class:`neuromotor.pcrt.muscles.OpenSimArm` (anything with ``evaluate``, ``digest``, ``muscle_names``).
        quantity: ``"fiber_length"`` or ``"mtu_length"``.
        degree: total degree of the Legendre basis (6 -> 210 terms).
        ridge: ridge weight relative to the mean squared column norm of the design matrix.
        n_fit: number of fit postures; seed: Sobol scrambling seed.
        joint_min_deg, joint_max_deg: (4,) box the postures are drawn from and mapped to [-1, 1].
        max_nonfinite_fraction: largest tolerated fraction of fit postures with non-finite OpenSim values.
    Raises:
        ValidationFailed: more fit postures than ``max_nonfinite_fraction`` gave non-finite values.
    """
    joints = sobol_postures(n_fit, seed, joint_min_deg, joint_max_deg)
    values = arm.evaluate(joints, quantity)
    finite = np.isfinite(values).all(axis=1)
    if np.mean(~finite) > max_nonfinite_fraction:
        raise ValidationFailed(
            f"{getattr(arm, 'path', 'model')}: OpenSim gave non-finite {quantity} at {int(np.sum(~finite))} of "
            f"{n_fit} fit postures (tolerated fraction {max_nonfinite_fraction})"
        )
    return MuscleSurrogate(
        coefficients=fit_coefficients(joints[finite], values[finite], degree, ridge, joint_min_deg, joint_max_deg),
        degree=int(degree),
        joint_min_deg=np.asarray(joint_min_deg, dtype=float),
        joint_max_deg=np.asarray(joint_max_deg, dtype=float),
        quantity=quantity,
        model_digest=arm.digest,
        muscle_names=tuple(arm.muscle_names),
    )


def _relative(error: np.ndarray, value_range: np.ndarray) -> np.ndarray:
    """error / range, with 0 where both are 0 and inf where only the range is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(value_range > 0, error / value_range, np.where(error > 0, np.inf, 0.0))


def validate_surrogate(
    surrogate: MuscleSurrogate,
    joints_deg: np.ndarray,
    reference_mm: np.ndarray,
    max_rmse_rel: float = DEFAULT_MAX_RMSE_REL,
    max_abs_rel: float = DEFAULT_MAX_ABS_REL,
    range_mm: np.ndarray | None = None,
) -> dict:
    """Per-muscle errors of the surrogate against reference (OpenSim) values, and pass flags.

    Args:
        surrogate: the fitted surrogate.
        joints_deg: (M, 4) validation postures (deg); M may be 0.
        reference_mm: (M, n_muscles) reference values (mm) at those postures. Rows with a non-finite value (OpenSim
            failed there) are left out and counted in ``n_nonfinite_reference``.
        max_rmse_rel, max_abs_rel: pass thresholds on RMSE / range and max |error| / range.
        range_mm: (n_muscles,) ranges (mm) to normalise by; default the reference's max - min over the validation
            postures. Pass the ranges over uniform postures when validating on a narrow set such as a few
            trajectories, whose own ranges would make the relative errors meaninglessly large.
    Returns:
        JSON-serialisable dict: ``quantity``, ``degree``, ``model_digest``, ``n_points``, ``n_nonfinite_reference``,
        ``thresholds``, ``passed``, ``failing_muscles``, ``worst`` (largest rmse_rel and max_abs_rel) and
        ``muscles``: name -> ``rmse_mm``, ``max_abs_error_mm``, ``range_mm``, ``rmse_rel``, ``max_abs_rel``,
        ``passed``.
    """
    joints = np.asarray(joints_deg, dtype=float)
    reference = np.asarray(reference_mm, dtype=float)
    n_muscles = len(surrogate.muscle_names)
    if joints.ndim != 2 or joints.shape[1] != N_JOINTS or reference.shape != (len(joints), n_muscles):
        raise ValueError(
            f"expected joints_deg (M, {N_JOINTS}) and reference_mm (M, {n_muscles}); got {joints.shape} and "
            f"{reference.shape}"
        )
    finite = np.isfinite(reference).all(axis=1) & np.isfinite(joints).all(axis=1)
    joints, reference = joints[finite], reference[finite]
    if len(joints):
        error = surrogate.predict(joints) - reference
        rmse = np.sqrt(np.mean(error**2, axis=0))
        max_abs = np.max(np.abs(error), axis=0)
        own_range = np.ptp(reference, axis=0)
    else:
        rmse = max_abs = own_range = np.zeros(n_muscles)
    value_range = own_range if range_mm is None else np.broadcast_to(np.asarray(range_mm, dtype=float), (n_muscles,))
    rmse_rel, max_abs_rel_values = _relative(rmse, value_range), _relative(max_abs, value_range)
    passed = (rmse_rel <= max_rmse_rel) & (max_abs_rel_values <= max_abs_rel)
    muscles = {
        name: {
            "rmse_mm": float(rmse[j]),
            "max_abs_error_mm": float(max_abs[j]),
            "range_mm": float(value_range[j]),
            "rmse_rel": float(rmse_rel[j]),
            "max_abs_rel": float(max_abs_rel_values[j]),
            "passed": bool(passed[j]),
        }
        for j, name in enumerate(surrogate.muscle_names)
    }
    return {
        "quantity": surrogate.quantity,
        "degree": surrogate.degree,
        "model_digest": surrogate.model_digest,
        "n_points": int(len(joints)),
        "n_nonfinite_reference": int(np.sum(~finite)),
        "thresholds": {"max_rmse_rel": float(max_rmse_rel), "max_abs_rel": float(max_abs_rel)},
        "passed": bool(passed.all()),
        "failing_muscles": [name for name, ok in zip(surrogate.muscle_names, passed) if not ok],
        "worst": {"rmse_rel": float(rmse_rel.max()), "max_abs_rel": float(max_abs_rel_values.max())},
        "muscles": muscles,
    }


def check_validation(report: dict) -> None:
    """Raise ValidationFailed naming every failing muscle of a :func:`validate_surrogate` report."""
    if report["passed"]:
        return
    thresholds = report["thresholds"]
    details = ", ".join(
        f"{name} (rmse/range {report['muscles'][name]['rmse_rel']:.4f}, "
        f"max/range {report['muscles'][name]['max_abs_rel']:.4f})"
        for name in report["failing_muscles"]
    )
    raise ValidationFailed(
        f"muscle surrogate ({report['quantity']}, degree {report['degree']}) fails validation on "
        f"{len(report['failing_muscles'])} muscle(s): {details}; thresholds rmse/range <= "
        f"{thresholds['max_rmse_rel']}, max/range <= {thresholds['max_abs_rel']}; "
        "try a higher degree (with more fit postures)"
    )
