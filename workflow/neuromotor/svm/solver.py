"""Linear SVMs with the objective of ``LinearSVC(loss='hinge', dual=True)``, solved exactly, for a whole C grid.

The problem is liblinear's L2-regularised hinge-loss SVC, whose bias is an extra feature of constant value ``s``
(``intercept_scaling``) and therefore regularised like the weights. With fit samples ``x_i`` (D features), labels
``y_i`` in {-1, +1} and the augmented samples ``[x_i, s]``::

    primal:  min_w,b  1/2 (|w|^2 + b^2 / s^2) + C sum_i max(0, 1 - y_i (w.x_i + b))
    dual:    min_a    1/2 a'Qa - sum_i a_i   subject to 0 <= a_i <= C,   Q_ij = y_i y_j (x_i.x_j + s^2)

and ``w = sum_i a_i y_i x_i``, ``b = s^2 sum_i a_i y_i`` (scikit-learn's ``coef_`` and ``intercept_``); the decision
value is ``w.x + b`` (> 0: the positive class). The primal is strongly convex, so (w, b) is unique.

Why not liblinear's coordinate descent: on the raw PCRT inputs (no scaling, features in mm or degrees, strongly
correlated time steps) the dual is ill-conditioned (Gram condition numbers of 1e7 to 1e11) and coordinate descent
stops at ``max_iter=1000`` epochs with a primal objective often 10 to 10^5 times the optimum.

:func:`solve_box_qp` solves the dual box QP in two phases:

1. a primal-dual interior-point method (Mehrotra predictor-corrector, about 15-25 Newton systems whatever the
   conditioning) brings the iterate close to the optimum; each variable is then snapped to the bound whose
   multiplier dominates;
2. a projected Newton method finishes from there: each iteration solves the Newton system on the free variables
   (after clamping the variables a bound blocks) and takes the best point of the projected Newton arc, so the
   objective decreases monotonically; it ends when the largest projected gradient (in margin units, the quantity
   liblinear's ``tol`` bounds) is at most ``tol``, usually after 0 to 3 iterations. (Problems of at most
   :data:`INTERIOR_POINT_FROM` variables skip phase 1.)

Q enters in one of two forms (:class:`DenseQ`, :class:`FactorQ`): the n x n matrix, or, when a pair has more
samples than ``gram_limit`` and than features, its factor ``Z = y [X, s]`` (n x (D + 1)), with which an iteration
costs O(n D^2) instead of O(n^3) and memory stays O(n D) (Newton systems by the Woodbury identity).

The C grid is solved from the largest C down (:func:`svm_path`): a solution whose largest coefficient is below the
next smaller C is optimal for that C as well (the hard-margin regime, which the unscaled inputs reach for most of
the grid), so those grid points cost nothing.

The certificate. A fit is certified when the largest projected gradient of the dual (margin units, the quantity
liblinear's ``tol`` bounds) is at most ``tol`` = 1e-6 (``certificate = "absolute"``). On raw features of large scale
(joints: |x| up to 3,700, Q_ii up to 1.4e7) that is finer than float64 dual coefficients represent at large C: one
unit in the last place of the free coefficients moves the gradient by more than 1e-6 (docs/performance.md, "Why
joints is not certified"). The working-set path (:func:`solve_box_qp_working_set`, problems of more than
:data:`WORKING_SET_FROM` variables) therefore also accepts the scale-aware certificate of :func:`scaled_kkt`
(``certificate = "scaled"``): the gradient recomputed in extended precision (``np.longdouble``) satisfies, for every
i, ``|projected gradient_i| <= max(tol, rho_i)`` with ``rho_i = u sum_{j free} |Q_ij| alpha_j`` (u = 2^-53): rho_i
bounds how far the exact optimum's gradient moves when its free coefficients are rounded to float64, so no float64
vector is guaranteed closer. Where rho_i <= tol (well-scaled problems) the two certificates are the same test.
The absolute float64 KKT stays the reported ``kkt``; a fit neither certificate accepts has ``converged = False``.

Everything is float64 and sequential per problem, so results do not depend on which other problems share a job.
:func:`liblinear_path` is the original procedure (a loop of LinearSVC fits) with the same outputs.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs

log = logging.getLogger(__name__)

INTERIOR_POINT_FROM = 50
"""Problems with more variables start with the interior-point phase; smaller ones go to projected Newton at once."""

_STEPS = 0.7 ** np.arange(30.0)
"""Step lengths tried along the projected Newton arc (down to 2e-5; finer ones are added when a bound is near)."""


UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2
"""u = 2^-53: the largest relative rounding error of one float64 operation (round to nearest)."""

CERTIFICATES = ("absolute", "scaled", "none")
"""How a fit was certified: float64 KKT <= tol; the scale-aware test of :func:`scaled_kkt`; not certified."""


@dataclass(frozen=True)
class BoxQPResult:
    """Solution of :func:`solve_box_qp`: ``alpha`` (n,), ``iterations`` (interior-point and projected Newton),
    final ``kkt`` (largest projected gradient, float64) and whether it ``converged`` (certified). ``certificate``
    names the test that certified it (:data:`CERTIFICATES`); ``kkt_extended`` (the KKT violation with the gradient
    in extended precision) and ``resolution`` (max_i rho_i of :func:`scaled_kkt`) are NaN where not evaluated."""

    alpha: np.ndarray
    iterations: int
    kkt: float
    converged: bool
    certificate: str = "absolute"
    kkt_extended: float = float("nan")
    resolution: float = float("nan")


def projected_gradient(alpha: np.ndarray, grad: np.ndarray, upper: float) -> np.ndarray:
    """Gradient components that the bounds 0 <= alpha <= upper do not block (zero everywhere at a KKT point)."""
    return np.where(alpha <= 0, np.minimum(grad, 0.0), np.where(alpha >= upper, np.maximum(grad, 0.0), grad))


def _solve_spd(matrix: np.ndarray, rhs: np.ndarray, ridge: float) -> np.ndarray:
    """Solve (matrix + ridge I) x = rhs by Cholesky (LAPACK potrf/potrs), raising the ridge until it factorises."""
    diagonal = np.diag_indices(len(rhs))
    for attempt in range(8):
        shifted = matrix.copy()
        shifted[diagonal] += ridge * 1000.0**attempt
        factor, info = dpotrf(shifted, lower=1, clean=0, overwrite_a=1)
        if info == 0:
            return dpotrs(factor, rhs, lower=1)[0]
    return np.linalg.lstsq(matrix, rhs, rcond=None)[0]


# ---------------------------------------------------------------------------------------------------------------
# the two forms of Q


class DenseQ:
    """Q as an (n, n) matrix."""

    def __init__(self, Q: np.ndarray):
        self.Q = np.asarray(Q, dtype=np.float64)
        self.n = self.Q.shape[0]
        if self.Q.shape != (self.n, self.n):
            raise ValueError(f"DenseQ: Q must be square, got shape {self.Q.shape}")

    def matvec(self, v):
        return self.Q @ v

    def times_rows(self, S):
        """S Q for S (k, n) (Q is symmetric)."""
        return S @ self.Q

    def block(self, idx):
        return self.Q[np.ix_(idx, idx)]

    def columns(self, idx):
        """Q[:, idx] (n, k)."""
        return self.Q[:, idx]

    def mean_diagonal(self) -> float:
        return float(np.mean(np.diag(self.Q))) if self.n else 0.0

    def abs_diagonal(self) -> np.ndarray:
        """|Q_ii| (n,)."""
        return np.abs(np.diag(self.Q)).copy()

    def abs_times(self, v: np.ndarray) -> np.ndarray:
        """|Q| v (n,) for v >= 0, in row blocks."""
        return np.concatenate([np.abs(self.Q[rows]) @ v for rows in _row_blocks(self.n)] or [np.zeros(0)])

    def matvec_extended(self, v: np.ndarray) -> np.ndarray:
        """Q v (n,) accumulated in np.longdouble, in row blocks."""
        v = np.asarray(v, dtype=np.longdouble)
        parts = [self.Q[rows].astype(np.longdouble) @ v for rows in _row_blocks(self.n)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.longdouble)

    def newton_solver(self, scale: float, d: np.ndarray):
        """A solver of (scale Q + diag(d)) x = r (Cholesky), or None when it does not factorise."""
        M = scale * self.Q
        M[np.diag_indices(self.n)] += d + 1e-14 * max(scale * self.mean_diagonal(), 1.0)
        factor, info = dpotrf(M, lower=1, clean=0, overwrite_a=1)
        return None if info != 0 else (lambda rhs: dpotrs(factor, rhs, lower=1)[0])


class FactorQ:
    """Q = Z Z' given by its factor Z (n, r): memory O(n r), products O(n r)."""

    def __init__(self, Z: np.ndarray):
        self.Z = np.asarray(Z, dtype=np.float64)
        self.n = self.Z.shape[0]

    def matvec(self, v):
        return self.Z @ (self.Z.T @ v)

    def times_rows(self, S):
        return (S @ self.Z) @ self.Z.T

    def block(self, idx):
        rows = self.Z[idx]
        return rows @ rows.T

    def mean_diagonal(self) -> float:
        return float(np.einsum("ij,ij->", self.Z, self.Z)) / max(self.n, 1)

    def abs_diagonal(self) -> np.ndarray:
        """Q_ii = |z_i|^2 (n,)."""
        return np.einsum("ij,ij->i", self.Z, self.Z)

    def abs_times(self, v: np.ndarray) -> np.ndarray:
        """|Z| (|Z|' v) (n,) for v >= 0: an upper bound of |Q| v (entrywise |z_i.z_j| <= |z_i|.|z_j|), O(n r)."""
        inner = sum((np.abs(self.Z[rows]).T @ v[rows] for rows in _row_blocks(self.n)), np.zeros(self.Z.shape[1]))
        return np.concatenate([np.abs(self.Z[rows]) @ inner for rows in _row_blocks(self.n)] or [np.zeros(0)])

    def matvec_extended(self, v: np.ndarray) -> np.ndarray:
        """Z (Z' v) (n,) accumulated in np.longdouble (Z' v kept in extended precision), in row blocks."""
        v = np.asarray(v, dtype=np.longdouble)
        inner = np.zeros(self.Z.shape[1], dtype=np.longdouble)
        for rows in _row_blocks(self.n):
            inner += self.Z[rows].astype(np.longdouble).T @ v[rows]
        parts = [self.Z[rows].astype(np.longdouble) @ inner for rows in _row_blocks(self.n)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.longdouble)

    def newton_solver(self, scale: float, d: np.ndarray):
        """A solver of (scale Z Z' + diag(d)) x = r by the Woodbury identity (an r x r Cholesky), or None."""
        Z = np.sqrt(scale) * self.Z
        inverse = 1.0 / d
        core = Z.T @ (Z * inverse[:, None])
        core[np.diag_indices(Z.shape[1])] += 1.0
        factor, info = dpotrf(core, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return None
        return lambda rhs: inverse * rhs - inverse * (Z @ dpotrs(factor, Z.T @ (inverse * rhs), lower=1)[0])


def _row_blocks(n: int, size: int = 1024) -> list[slice]:
    """Consecutive row ranges of at most ``size`` rows covering 0..n (bounded temporary memory)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _as_operator(Q) -> DenseQ | FactorQ:
    return Q if isinstance(Q, (DenseQ, FactorQ)) else DenseQ(Q)


def _box_qp_problem(caller: str, Q, p, upper: float) -> tuple[DenseQ | FactorQ, np.ndarray]:
    """The operator of ``Q`` and ``p`` (n,) as float64, after checking that they match and that ``upper`` > 0."""
    op = _as_operator(Q)
    p = np.asarray(p, dtype=np.float64)
    if op.n != len(p):
        raise ValueError(f"{caller}: Q covers {op.n} variables, p {len(p)}")
    if not upper > 0:
        raise ValueError(f"{caller}: upper must be positive, got {upper}")
    return op, p


def kkt_violation(alpha: np.ndarray, grad: np.ndarray, upper: float) -> float:
    """The certificate: the largest projected gradient (0 for no variables); ``grad`` = Q alpha - p (margin units)."""
    return float(np.max(np.abs(projected_gradient(alpha, grad, upper)), initial=0.0))


def scaled_kkt(Q, p: np.ndarray, alpha: np.ndarray, upper: float, tol: float = 1e-6) -> tuple[float, float, bool]:
    """The scale-aware certificate of a dual point: (kkt_extended, resolution, certified).

    ``Q``: (n, n) array, :class:`DenseQ` or :class:`FactorQ`; ``p`` (n,); ``alpha`` (n,) in [0, upper].
    The gradient ``Q alpha - p`` is accumulated in ``np.longdouble`` (its own rounding error is about 2^-11 of the
    float64 evaluation's); ``kkt_extended`` is the largest projected gradient from it (margin units). The tolerance
    of variable i is ``max(tol, rho_i)``, ``rho_i = u sum_{j free} |Q_ij| alpha_j`` (u = 2^-53; with a
    :class:`FactorQ`, |Q| is bounded by |Z||Z|', exact where a row's products have one sign, as for uncentred
    features): variables at a bound are exact in float64, and rounding the free coefficients of the exact optimum
    to float64 moves gradient i by at most rho_i, so a float64 point cannot be asked to be closer.
    ``resolution`` = max_i rho_i; ``certified``: every variable within its tolerance. Where every rho_i <= tol the
    test is the absolute one (KKT <= tol), on the extended-precision gradient.
    """
    op, p = _box_qp_problem("scaled_kkt", Q, p, upper)
    alpha = np.asarray(alpha, dtype=np.float64)
    if len(alpha) != op.n:
        raise ValueError(f"scaled_kkt: alpha has {len(alpha)} variables, Q covers {op.n}")
    if op.n == 0:
        return 0.0, 0.0, True
    free = (alpha > 0) & (alpha < upper)
    rho = UNIT_ROUNDOFF * op.abs_times(np.where(free, alpha, 0.0))
    grad = op.matvec_extended(alpha) - np.asarray(p, dtype=np.longdouble)
    violation = np.abs(projected_gradient(alpha, grad, upper)).astype(np.float64)
    certified = bool(np.all(violation <= np.maximum(tol, rho)))
    return float(violation.max()), float(rho.max()), certified


# ---------------------------------------------------------------------------------------------------------------
# phase 1: interior point


def interior_point_box_qp(
    Q, p: np.ndarray, upper: float, *, max_iter: int = 60, mu_tol: float = 1e-11, residual_tol: float = 1e-7
) -> tuple[np.ndarray, int]:
    """Approximate minimiser of ``1/2 a'Qa - p'a`` on ``0 <= a <= upper`` by a primal-dual interior-point method.

    ``Q``: an (n, n) array, :class:`DenseQ` or :class:`FactorQ`. Mehrotra predictor-corrector on the scaled
    variable x = a / upper in [0, 1] with multipliers z (lower bound) and w (upper bound). Stops when the
    complementarity mu and the dual residual (margin units) are small, when progress stalls, or before a step would
    leave the interior numerically. Returns (a, iterations), with every variable snapped to the bound whose
    multiplier exceeds it (x <= z: 0; 1 - x <= w: upper).
    """
    op = _as_operator(Q)
    n = len(p)
    x, z, w = np.full(n, 0.5), np.ones(n), np.ones(n)
    best, since_best, iteration = np.inf, 0, 0
    for iteration in range(1, max_iter + 1):
        s = 1.0 - x
        residual = upper * op.matvec(x) - p - z + w
        mu = float(x @ z + s @ w) / (2 * n)
        size = mu + float(np.abs(residual).max())
        if mu <= mu_tol and np.abs(residual).max() <= residual_tol:
            break
        best, since_best = (size, 0) if size < 0.5 * best else (best, since_best + 1)
        if since_best > 8:
            break
        solve = op.newton_solver(upper, z / x + w / s)
        if solve is None:
            break

        def newton(r_xz, r_sw):
            dx = solve(-residual - r_xz / x + r_sw / s)
            return dx, -(r_xz + z * dx) / x, -(r_sw - w * dx) / s

        def room(v, dv):
            shrinking = dv < 0
            return min(1.0, float(np.min(-v[shrinking] / dv[shrinking]))) if shrinking.any() else 1.0

        dx, dz, dw = newton(x * z, s * w)  # predictor (affine scaling)
        step_p, step_d = min(room(x, dx), room(s, -dx)), min(room(z, dz), room(w, dw))
        mu_affine = float((x + step_p * dx) @ (z + step_d * dz) + (s - step_p * dx) @ (w + step_d * dw)) / (2 * n)
        sigma_mu = (mu_affine / mu) ** 3 * mu
        dx, dz, dw = newton(x * z + dx * dz - sigma_mu, s * w - dx * dw - sigma_mu)  # corrector
        step_p = min(1.0, 0.995 * min(room(x, dx), room(s, -dx)))
        step_d = min(1.0, 0.995 * min(room(z, dz), room(w, dw)))
        x_new, z_new, w_new = x + step_p * dx, z + step_d * dz, w + step_d * dw
        if not (np.isfinite(x_new).all() and np.isfinite(z_new).all() and np.isfinite(w_new).all()):
            break
        if not (np.all(x_new > 0) and np.all(x_new < 1) and np.all(z_new > 0) and np.all(w_new > 0)):
            break
        x, z, w = x_new, z_new, w_new
    alpha = np.where(x <= z, 0.0, np.where(1.0 - x <= w, upper, upper * x))
    return alpha, iteration


# ---------------------------------------------------------------------------------------------------------------
# phase 2: projected Newton


def _newton_direction(op, grad, alpha, upper, clamped, ridge) -> np.ndarray:
    """Newton direction on the free variables; variables at a bound that it would push outward are clamped too."""
    n = len(grad)
    clamped = clamped.copy()
    direction = np.zeros(n)
    for _ in range(n + 1):
        free = np.flatnonzero(~clamped)
        direction = np.zeros(n)
        if free.size == 0:
            return direction
        direction[free] = -_solve_spd(op.block(free), grad[free], ridge)
        outward = ~clamped & (((alpha <= 0) & (direction < 0)) | ((alpha >= upper) & (direction > 0)))
        if not outward.any():
            return direction
        clamped |= outward
    return direction


def solve_box_qp(
    Q,
    p: np.ndarray,
    upper: float,
    alpha0: np.ndarray | None = None,
    *,
    tol: float = 1e-6,
    max_iter: int = 300,
    ridge: float = 1e-12,
) -> BoxQPResult:
    """Minimise ``1/2 a'Qa - p'a`` subject to ``0 <= a <= upper``: interior-point start, projected Newton finish.

    Parameters
    ----------
    Q : (n, n) float64 symmetric positive semi-definite array, or :class:`DenseQ` / :class:`FactorQ`.
    p : (n,) float64, linear term.
    upper : float > 0, the common upper bound (C).
    alpha0 : (n,), optional start for the projected Newton phase (clipped into the box); by default the
        interior-point method provides it (problems of at most :data:`INTERIOR_POINT_FROM` variables start at 0).
    tol : stop when the largest projected gradient is at most this.
    max_iter : projected Newton iterations at most (the reported iterations include the interior-point ones).
    ridge : added to the free block's diagonal, relative to the mean diagonal of Q (singular blocks).
    """
    op, p = _box_qp_problem("solve_box_qp", Q, p, upper)
    n = len(p)
    if n == 0:
        return BoxQPResult(np.zeros(0), 0, 0.0, True)
    start_iterations = 0
    if alpha0 is not None:
        alpha = np.clip(np.asarray(alpha0, dtype=np.float64), 0.0, upper)
    elif n > INTERIOR_POINT_FROM:
        alpha, start_iterations = interior_point_box_qp(op, p, upper)
    else:
        alpha = np.zeros(n)
    ridge_abs = ridge * max(op.mean_diagonal(), np.finfo(float).tiny)
    grad = op.matvec(alpha) - p
    kkt, iteration = np.inf, 0
    for iteration in range(max_iter + 1):
        kkt = kkt_violation(alpha, grad, upper)
        if kkt <= tol:
            return BoxQPResult(alpha, start_iterations + iteration, kkt, True)
        if iteration == max_iter:
            break
        clamped = ((alpha <= 0) & (grad > 0)) | ((alpha >= upper) & (grad < 0))
        direction = _newton_direction(op, grad, alpha, upper, clamped, ridge_abs)
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(
                direction < 0, alpha / -direction, np.where(direction > 0, (upper - alpha) / direction, np.inf)
            )
        longest = float(np.min(room))  # the first bound hit along the direction
        lengths = _STEPS
        if 0 < longest < 1:  # the longest step that stays in the box, and finer steps down to it
            finer = np.geomspace(longest, _STEPS[-1], 20) if longest < _STEPS[-1] else ()
            lengths = np.concatenate([_STEPS, [longest], finer])
        candidates = np.clip(alpha + lengths[:, None] * direction, 0.0, upper)
        steps = candidates - alpha
        q_steps = op.times_rows(steps)
        change = steps @ grad + 0.5 * np.einsum("kn,kn->k", q_steps, steps)
        best = int(np.argmin(change))
        if not change[best] < 0:
            log.debug("solve_box_qp: no decrease at iteration %d (kkt %.3g)", iteration, kkt)
            break
        alpha = candidates[best]
        grad = grad + q_steps[best]
        if iteration % 20 == 19:  # refresh the running gradient against rounding drift
            grad = op.matvec(alpha) - p
    return BoxQPResult(alpha, start_iterations + iteration, kkt, False, "none")


# ---------------------------------------------------------------------------------------------------------------
# large problems: a working set of the variables at a time


WORKING_SET_FROM = 2000
"""Problems with more variables than this are solved by :func:`solve_box_qp_working_set`."""


def _working_set(alpha, grad, upper, tol, size) -> np.ndarray:
    """Indices (sorted): every free variable and the ``size`` largest KKT violators (or more to keep it square)."""
    violation = np.abs(projected_gradient(alpha, grad, upper))
    free = (alpha > 0) & (alpha < upper)
    violators = np.flatnonzero((violation > tol) & ~free)
    take = violators[np.argsort(-violation[violators], kind="stable")[:size]]
    return np.union1d(np.flatnonzero(free), take)


def solve_box_qp_working_set(
    Q,
    p: np.ndarray,
    upper: float,
    alpha0: np.ndarray | None = None,
    *,
    tol: float = 1e-6,
    max_iter: int = 300,
    ridge: float = 1e-12,
    block: int = 1000,
    scaled: bool = True,
) -> BoxQPResult:
    """:func:`solve_box_qp` for many variables: exact solves on a working set, until every variable is certified.

    Each outer iteration solves the problem in the variables W = (the free variables) + (the ``block`` largest KKT
    violators) exactly, the others held at their bounds (:func:`solve_box_qp` on the dense |W| x |W| block of Q,
    interior point then projected Newton), then updates the gradient of all n variables. The subproblem's gradient
    is the full gradient restricted to W, so each outer step certifies W and lowers the objective strictly; the
    method stops when the largest projected gradient of all n variables is at most ``tol`` (the same certificate
    as :func:`solve_box_qp`). Linear-SVM duals have at most D + 1 free variables at the optimum and most of the
    others at 0, so W stays small next to n and each outer step costs O(|W|^3 + n |W|) with a Gram matrix
    (:class:`DenseQ`), O(|W|^2 D + n D) with a factor (:class:`FactorQ`). Hand-written: the general QP solvers
    measured on these problems (docs/performance.md, "SVM at paper size") are far slower or fail to certify.

    ``max_iter`` bounds the outer iterations and each subproblem's projected Newton iterations; the reported
    ``iterations`` are the subproblems' Newton iterations summed. With ``scaled`` (default), a point whose float64
    KKT exceeds ``tol`` is also tested by :func:`scaled_kkt` once every float64 projected gradient is within twice
    its scale-aware tolerance, and the method stops when that certifies it (``certificate = "scaled"``).
    """
    op, p = _box_qp_problem("solve_box_qp_working_set", Q, p, upper)
    n = len(p)
    alpha = np.zeros(n) if alpha0 is None else np.clip(np.asarray(alpha0, dtype=np.float64), 0.0, upper)
    grad = op.matvec(alpha) - p
    iterations, kkt = 0, np.inf
    tested = (float("nan"), float("nan"))
    norms = np.sqrt(op.abs_diagonal()) if scaled else None  # |z_i|: a cheap bound of rho before computing it
    for outer in range(max_iter + 1):
        last = outer == max_iter  # after the last working-set step: certify by every available test, then stop
        kkt = kkt_violation(alpha, grad, upper)
        if kkt <= tol:
            return BoxQPResult(alpha, iterations, kkt, True)
        if scaled:
            certified, tested = _scaled_stop(op, p, alpha, grad, upper, tol, always=last, norms=norms)
            if certified:
                return BoxQPResult(alpha, iterations, kkt, True, "scaled", *tested)
        if last:
            break
        W = _working_set(alpha, grad, upper, tol, block)
        Q_W = op.block(W)
        p_W = -(grad[W] - Q_W @ alpha[W])  # the linear term with every variable outside W fixed
        # from the interior point, not from alpha[W]: measured, projected Newton from the previous working set's
        # values needs 100-300 iterations where the interior-point start needs 20-40
        result = solve_box_qp(Q_W, p_W, upper, None, tol=0.5 * tol, max_iter=max_iter, ridge=ridge)
        iterations += result.iterations
        log.debug("working set: kkt %.3g, |W| %d, subproblem %d iterations, kkt %.3g", kkt, len(W),
                  result.iterations, result.kkt)  # fmt: skip
        step = result.alpha - alpha[W]
        alpha[W] = result.alpha
        grad = op.matvec(alpha) - p if isinstance(op, FactorQ) else grad + op.columns(W) @ step
    return BoxQPResult(alpha, iterations, kkt, False, "none", *tested)


def _scaled_stop(op, p, alpha, grad, upper, tol, always: bool = False, norms=None) -> tuple[bool, tuple[float, float]]:
    """(certified, (kkt_extended, resolution)) by :func:`scaled_kkt`, evaluated only when the float64 projected
    gradient is within twice the scale-aware tolerance everywhere (or ``always``); NaNs where not evaluated.
    ``norms`` (n,) = sqrt(|Q_ii|) skip the O(n D) evaluation of rho when even its bound
    rho_i <= u norms_i sum_{j free} norms_j alpha_j (Cauchy-Schwarz) cannot reach the float64 KKT."""
    free = (alpha > 0) & (alpha < upper)
    kkt = kkt_violation(alpha, grad, upper)
    if not always and norms is not None:
        bound = UNIT_ROUNDOFF * float(norms.max(initial=0.0)) * float(norms[free] @ alpha[free])
        if kkt > 2 * max(tol, bound):
            return False, (float("nan"), float("nan"))
    rho = UNIT_ROUNDOFF * op.abs_times(np.where(free, alpha, 0.0))
    if not always and np.any(np.abs(projected_gradient(alpha, grad, upper)) > 2 * np.maximum(tol, rho)):
        return False, (float("nan"), float(rho.max(initial=0.0)))
    kkt_extended, resolution, certified = scaled_kkt(op, p, alpha, upper, tol)
    return certified, (kkt_extended, resolution)


# ---------------------------------------------------------------------------------------------------------------
# Gram matrices


class Gram(Protocol):
    """Inner products of the fit samples: ``block(rows, cols)`` = X[rows] X[cols]'."""

    n: int

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray: ...


class GramMatrix:
    """A precomputed (n, n) Gram matrix."""

    def __init__(self, K: np.ndarray):
        self.K = np.asarray(K, dtype=np.float64)
        self.n = self.K.shape[0]

    def block(self, rows, cols):
        return self.K[np.ix_(rows, cols)]


class FeatureGram:
    """The samples (n, D) themselves, in float64; Gram blocks are computed on demand."""

    def __init__(self, X: np.ndarray):
        self.X = np.asarray(X, dtype=np.float64)
        self.n = self.X.shape[0]

    def block(self, rows, cols):
        return self.X[rows] @ self.X[cols].T


def gram_matrix(X: np.ndarray) -> np.ndarray:
    """X X' in float64 (products of float32 inputs are exact in float64)."""
    X64 = np.asarray(X, dtype=np.float64)
    return X64 @ X64.T


# ---------------------------------------------------------------------------------------------------------------
# SVM along the C grid


@dataclass(frozen=True)
class SVMPath:
    """Dual solutions along a C grid: ``alpha`` (n_C, n), solver ``iterations`` (n_C,) (0 where the next larger C's
    solution was already optimal), ``kkt`` (n_C,, float64 absolute) and ``converged`` (n_C,); per C also the
    ``certificate`` that holds (:data:`CERTIFICATES`), ``kkt_extended`` and ``resolution`` (see
    :class:`BoxQPResult`; NaN where not evaluated)."""

    Cs: np.ndarray
    alpha: np.ndarray
    iterations: np.ndarray
    kkt: np.ndarray
    converged: np.ndarray
    certificate: np.ndarray
    kkt_extended: np.ndarray
    resolution: np.ndarray


def _signs(y) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or not np.all(np.abs(y) == 1):
        raise ValueError("svm labels must be a 1-D array of -1 and +1")
    return y


def svm_path(
    gram: Gram,
    y: np.ndarray,
    Cs: Sequence[float],
    *,
    intercept_scaling: float = 1.0,
    tol: float = 1e-6,
    max_iter: int = 300,
    gram_limit: int = 4000,
    working_set_from: int | None = WORKING_SET_FROM,
) -> SVMPath:
    """Exact dual solutions for every C of the increasing grid ``Cs``, from the largest C down.

    ``gram`` gives the fit samples' inner products (:class:`GramMatrix` or :class:`FeatureGram`); ``y`` (n,) holds
    -1/+1. With a :class:`FeatureGram` of more than ``gram_limit`` samples and more samples than features, Q is used
    in factored form (:class:`FactorQ`) and never formed. Problems of more than :data:`WORKING_SET_FROM` samples
    (``working_set_from``; None: never) are solved by :func:`solve_box_qp_working_set` (with the factor whenever
    the features are given), each C starting from the larger C's solution.
    """
    y = _signs(y)
    Cs = np.asarray(Cs, dtype=np.float64)
    if Cs.ndim != 1 or Cs.size == 0 or np.any(Cs <= 0) or np.any(np.diff(Cs) <= 0):
        raise ValueError(f"svm_path: Cs must be positive and strictly increasing, got {Cs.tolist()}")
    n = len(y)
    if gram.n != n:
        raise ValueError(f"svm_path: the Gram matrix covers {gram.n} samples, the labels {n}")
    s2 = float(intercept_scaling) ** 2
    features = getattr(gram, "X", None)
    large = working_set_from is not None and n > working_set_from
    if features is not None and ((n > gram_limit and features.shape[1] + 1 < n) or large):
        Q = FactorQ(y[:, None] * np.hstack([features, np.full((n, 1), np.sqrt(s2))]))
    else:
        everything = np.arange(n)
        Q = DenseQ(np.outer(y, y) * (gram.block(everything, everything) + s2))
    alphas = np.zeros((len(Cs), n))
    iterations = np.zeros(len(Cs), dtype=np.int64)
    kkt = np.zeros(len(Cs))
    converged = np.zeros(len(Cs), dtype=bool)
    certificate = np.full(len(Cs), "none", dtype=object)
    kkt_extended = np.full(len(Cs), np.nan)
    resolution = np.full(len(Cs), np.nan)
    alpha = np.zeros(n)
    previous = None
    for k in range(len(Cs) - 1, -1, -1):
        C = Cs[k]
        if previous is not None and converged[previous] and np.max(alpha, initial=0.0) < C:
            # every coefficient is below this C: the KKT conditions hold unchanged
            alphas[k], kkt[k], converged[k] = alpha, kkt[previous], True
            certificate[k], kkt_extended[k], resolution[k] = (
                certificate[previous], kkt_extended[previous], resolution[previous])
            continue
        if large:  # warm start from the larger C's solution, clipped into the new box
            result = solve_box_qp_working_set(Q, np.ones(n), C, np.minimum(alpha, C), tol=tol, max_iter=max_iter)
        else:
            result = solve_box_qp(Q, np.ones(n), C, tol=tol, max_iter=max_iter)
        alpha = result.alpha
        alphas[k], iterations[k], kkt[k], converged[k] = alpha, result.iterations, result.kkt, result.converged
        certificate[k] = result.certificate if result.converged else "none"
        kkt_extended[k], resolution[k] = result.kkt_extended, result.resolution
        previous = k
    return SVMPath(Cs, alphas, iterations, kkt, converged, certificate.astype(str), kkt_extended, resolution)


def dual_to_primal(X_fit: np.ndarray, y: np.ndarray, alpha: np.ndarray, intercept_scaling: float = 1.0):
    """(w (D,), b) of a dual solution: w = X' (alpha y), b = s^2 sum(alpha y)."""
    coef = np.asarray(alpha, dtype=np.float64) * _signs(y)
    w = np.asarray(X_fit, dtype=np.float64).T @ coef
    return w, float(intercept_scaling) ** 2 * float(coef.sum())


# ---------------------------------------------------------------------------------------------------------------
# the original procedure


@dataclass(frozen=True)
class LiblinearFit:
    """One ``LinearSVC`` fit per C: weights ``w`` (n_C, D), intercepts ``b`` (n_C,), liblinear epochs ``iterations``
    and ``converged`` (fewer epochs than ``max_iter``)."""

    Cs: np.ndarray
    w: np.ndarray
    b: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def liblinear_path(
    X_fit: np.ndarray,
    y: np.ndarray,
    Cs: Sequence[float],
    *,
    intercept_scaling: float = 1.0,
    tol: float = 1e-4,
    max_iter: int = 1000,
    random_state: int = 0,
) -> LiblinearFit:
    """The original: ``LinearSVC(loss='hinge', dual=True, C=C)`` fitted independently for every C (Sandbrink et al.
    2023, Methods)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    y = _signs(y)
    if len(np.unique(y)) < 2:
        raise ValueError("liblinear_path: the fit set needs samples of both classes")
    Cs = np.asarray(Cs, dtype=np.float64)
    ws, bs, iterations = [], [], []
    for C in Cs:
        model = LinearSVC(
            loss="hinge", dual=True, C=float(C), tol=tol, max_iter=max_iter,
            intercept_scaling=intercept_scaling, random_state=random_state,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_fit, y)
        ws.append(model.coef_.ravel().astype(np.float64))
        bs.append(float(model.intercept_[0]))
        iterations.append(int(model.n_iter_))
    iterations = np.asarray(iterations)
    return LiblinearFit(Cs, np.stack(ws), np.asarray(bs), iterations, iterations < max_iter)
