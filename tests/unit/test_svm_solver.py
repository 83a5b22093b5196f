"""The exact SVM solver against scikit-learn's LinearSVC, the KKT conditions and the decomposition path."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from neuromotor.svm.solver import (
    DenseQ,
    FactorQ,
    FeatureGram,
    GramMatrix,
    dual_to_primal,
    gram_matrix,
    liblinear_path,
    kkt_violation,
    projected_gradient,
    scaled_kkt,
    solve_box_qp,
    solve_box_qp_working_set,
    svm_path,
)
from neuromotor.svm.synthetic import synthetic_split

C_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0]


def pair_data(name="endeffector_coords", pair=(1, 2), time_steps=4, seed=0):
    """Fit and test samples of one pair; y = +1 for the larger label."""
    train = synthetic_split([1, 2, 3], 50, time_steps=time_steps, seed=seed)
    test = synthetic_split([1, 2, 3], 30, time_steps=time_steps, seed=seed, split=1)
    i, j = pair
    keep = np.isin(train["label"], pair)
    X, y = train[name][keep].reshape(keep.sum(), -1), np.where(train["label"][keep] == j, 1.0, -1.0)
    keep = np.isin(test["label"], pair)
    Xt, yt = test[name][keep].reshape(keep.sum(), -1), np.where(test["label"][keep] == j, 1.0, -1.0)
    return X, y, Xt, yt


def primal_objective(X, y, w, b, C, s=1.0):
    margins = y * (X.astype(np.float64) @ w + b)
    return 0.5 * (w @ w + (b / s) ** 2) + C * np.maximum(0.0, 1.0 - margins).sum()


def linearsvc(X, y, C, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LinearSVC(loss="hinge", dual=True, C=C, random_state=0, **kwargs).fit(X, y)


@pytest.mark.parametrize("time_steps", [4, 20])  # 12 features (overlapping classes) or 60 (separable)
@pytest.mark.parametrize("name", ["endeffector_coords", "muscle_coords"])
def test_exact_path_equals_linearsvc_where_liblinear_converges(name, time_steps):
    X, y, Xt, yt = pair_data(name, time_steps=time_steps)
    path = svm_path(GramMatrix(gram_matrix(X)), y, C_GRID)
    assert path.converged.all() and (path.kkt <= 1e-6).all()
    compared = 0
    for k, C in enumerate(C_GRID):
        model = linearsvc(X, y, C)
        w, b = dual_to_primal(X, y, path.alpha[k])
        # the exact solution is never worse than liblinear's, converged or not
        ours = primal_objective(X, y, w, b, C)
        theirs = primal_objective(X, y, model.coef_.ravel(), model.intercept_[0], C)
        assert ours <= theirs * (1 + 1e-9) + 1e-12
        if model.n_iter_ >= 1000:
            continue
        compared += 1
        accuracy = np.mean((Xt @ w + b > 0) == (yt > 0))
        assert abs(accuracy - model.score(Xt, yt)) <= 0.01
        np.testing.assert_allclose(w, model.coef_.ravel(), rtol=0, atol=2e-3 * np.abs(w).max())
        assert abs(b - model.intercept_[0]) <= 2e-3 * max(1.0, abs(b))
    assert compared >= 5


def test_dual_solution_meets_kkt_and_closes_the_duality_gap():
    X, y, _, _ = pair_data("joint_coords")
    K = gram_matrix(X)
    Q = np.outer(y, y) * (K + 1.0)
    for C in (1e-3, 1.0, 100.0):
        result = solve_box_qp(Q, np.ones(len(y)), C, tol=1e-9)
        alpha = result.alpha
        assert result.converged and np.all((alpha >= 0) & (alpha <= C))
        assert np.abs(projected_gradient(alpha, Q @ alpha - 1, C)).max() <= 1e-9
        w, b = dual_to_primal(X, y, alpha)
        dual = alpha.sum() - 0.5 * alpha @ Q @ alpha
        primal = primal_objective(X, y, w, b, C)
        assert primal - dual <= 1e-7 * max(1.0, abs(primal))


def test_box_qp_with_a_diagonal_matrix_is_a_clip():
    Q = np.diag([1.0, 2.0, 4.0, 0.5])
    p = np.array([0.5, -1.0, 8.0, 0.25])
    result = solve_box_qp(Q, p, 1.0, tol=1e-12)
    np.testing.assert_allclose(result.alpha, np.clip(p / np.diag(Q), 0, 1.0), atol=1e-12)


def test_factored_form_equals_the_full_gram_solution():
    X, y, Xt, _ = pair_data("muscle_coords", time_steps=4)
    full = svm_path(GramMatrix(gram_matrix(X)), y, C_GRID, tol=1e-8)
    parts = svm_path(FeatureGram(X), y, C_GRID, tol=1e-8, gram_limit=16)
    assert parts.converged.all()
    for k in range(len(C_GRID)):
        w_full, b_full = dual_to_primal(X, y, full.alpha[k])
        w_parts, b_parts = dual_to_primal(X, y, parts.alpha[k])
        np.testing.assert_allclose(Xt @ w_parts + b_parts, Xt @ w_full + b_full, rtol=1e-5, atol=1e-5)


def test_hard_margin_solutions_are_shared_along_the_path():
    X, y, _, _ = pair_data("muscle_coords", time_steps=20)  # 500 features, 90 samples: separable
    path = svm_path(GramMatrix(gram_matrix(X)), y, C_GRID)
    top = path.alpha[-1]
    assert top.max() < C_GRID[-1]
    shared = [k for k in range(len(C_GRID)) if top.max() < C_GRID[k]]
    assert len(shared) >= 3
    for k in shared:
        np.testing.assert_array_equal(path.alpha[k], top)
        assert path.iterations[k] == 0 or k == len(C_GRID) - 1


def test_liblinear_path_is_the_loop_of_linearsvc_fits():
    X, y, _, _ = pair_data()
    fits = liblinear_path(X, y, [0.01, 1.0])
    for k, C in enumerate([0.01, 1.0]):
        model = linearsvc(X, y, C)
        np.testing.assert_array_equal(fits.w[k], model.coef_.ravel())
        assert fits.b[k] == model.intercept_[0] and fits.iterations[k] == model.n_iter_


def test_bad_arguments_are_named():
    X, y, _, _ = pair_data()
    with pytest.raises(ValueError, match="strictly increasing"):
        svm_path(GramMatrix(gram_matrix(X)), y, [1.0, 0.1])
    with pytest.raises(ValueError, match="-1 and \\+1"):
        svm_path(GramMatrix(gram_matrix(X)), np.where(y > 0, 2.0, 0.0), [1.0])
    with pytest.raises(ValueError, match="covers"):
        svm_path(GramMatrix(gram_matrix(X[:-1])), y, [1.0])


def smooth_pair(n=240, channels=3, steps=40, seed=0):
    """Ill-conditioned fit data like the PCRT inputs: smooth time courses in mm around 90, overlapping classes."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, steps)
    basis = np.stack([np.sin((k + 1) * np.pi * t) for k in range(6)])
    label = rng.integers(0, 2, n)
    coefficients = rng.standard_normal((n, channels, 6)) + 0.4 * label[:, None, None]
    X = 20.0 * (coefficients @ basis).reshape(n, -1) + 90.0 + 1e-3 * rng.standard_normal((n, channels * steps))
    return X, np.where(label == 1, 1.0, -1.0)


def test_working_set_path_is_certified_and_equals_the_whole_problem_solution():
    X, y = smooth_pair()
    K = gram_matrix(X)
    assert np.linalg.cond(K + 1.0) > 1e8  # the conditioning of the real inputs
    whole = svm_path(GramMatrix(K), y, C_GRID, working_set_from=None)
    parts = svm_path(FeatureGram(X), y, C_GRID, working_set_from=50)
    assert whole.converged.all() and parts.converged.all()
    # each fit is certified absolutely (float64 KKT <= 1e-6) or by the scale-aware test (uncentred features ~90)
    assert np.all((parts.kkt <= 1e-6) == (parts.certificate == "absolute"))
    assert np.all((parts.certificate == "scaled") <= (parts.kkt_extended <= np.maximum(1e-6, parts.resolution)))
    Q = np.outer(y, y) * (K + 1.0)
    for k, C in enumerate(C_GRID):
        alpha = parts.alpha[k]
        assert np.all((alpha >= 0) & (alpha <= C))
        w, b = dual_to_primal(X, y, alpha)
        margins = y * (X @ w + b)  # the certificate in margin units, from the primal solution
        tolerance = 1e-6 if parts.certificate[k] == "absolute" else 2 * max(1e-6, parts.resolution[k])
        assert np.abs(projected_gradient(alpha, margins - 1, C)).max() <= tolerance
        objective = [0.5 * a @ Q @ a - a.sum() for a in (alpha, whole.alpha[k])]
        assert abs(objective[0] - objective[1]) <= 1e-6 * max(1.0, abs(objective[1]))
        w_whole, b_whole = dual_to_primal(X, y, whole.alpha[k])
        np.testing.assert_allclose(X @ w + b, X @ w_whole + b_whole, rtol=0, atol=1e-4)


def test_working_set_solver_with_small_blocks_and_an_uncertifiable_cap():
    X, y = smooth_pair(n=200, seed=1)
    Q = np.outer(y, y) * (gram_matrix(X) + 1.0)
    result = solve_box_qp_working_set(Q, np.ones(len(y)), 10.0, block=20)
    assert result.converged and result.kkt <= 1e-6
    w, b = dual_to_primal(X, y, result.alpha)
    assert np.abs(projected_gradient(result.alpha, y * (X @ w + b) - 1, 10.0)).max() <= 1e-6
    reference = solve_box_qp(Q, np.ones(len(y)), 10.0)
    objective = [0.5 * a @ Q @ a - a.sum() for a in (result.alpha, reference.alpha)]
    assert abs(objective[0] - objective[1]) <= 1e-6 * abs(objective[1])
    capped = solve_box_qp_working_set(Q, np.ones(len(y)), 10.0, block=20, max_iter=1)
    assert not capped.converged and capped.kkt > 1e-6


# ---------------------------------------------------------------------------------------------------------------
# the scale-aware certificate


def well_scaled_problem(n=300, d=5, seed=0):
    """A planted well-scaled SVM dual: standard normal features, classes shifted apart, Q = Z Z' with Z = y [X, 1]."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = rng.standard_normal((n, d)) + 0.8 * y[:, None]
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    return Z, Z @ Z.T


def test_a_planted_well_scaled_problem_certifies_and_the_tolerance_is_the_absolute_one():
    Z, Q = well_scaled_problem()
    C = 1.0
    result = solve_box_qp(Q, np.ones(len(Q)), C, tol=1e-9)
    assert result.converged and result.kkt <= 1e-9
    for op in (Q, DenseQ(Q), FactorQ(Z)):
        kkt_extended, resolution, certified = scaled_kkt(op, np.ones(len(Q)), result.alpha, C)
        assert certified and kkt_extended <= 1e-9
        assert resolution < 1e-12  # rho_i << tol: max(tol, rho_i) = tol, the absolute test
        assert abs(kkt_extended - result.kkt) <= 1e-12  # float64 and extended gradients agree here


def test_a_perturbed_solution_is_not_certified():
    Z, Q = well_scaled_problem(seed=1)
    C = 1.0
    alpha = solve_box_qp(Q, np.ones(len(Q)), C, tol=1e-9).alpha
    free = np.flatnonzero((alpha > 0) & (alpha < C))
    assert free.size > 0
    perturbed = alpha.copy()
    perturbed[free[0]] = np.clip(perturbed[free[0]] + 1e-3, 0.0, C)
    kkt_extended, resolution, certified = scaled_kkt(FactorQ(Z), np.ones(len(Q)), perturbed, C)
    assert not certified and kkt_extended > 1e-6 and resolution < 1e-12


def test_on_well_scaled_data_the_scaled_and_absolute_certificates_agree():
    Z, Q = well_scaled_problem(seed=2)
    rng = np.random.default_rng(3)
    C = 1.0
    optimum = solve_box_qp(Q, np.ones(len(Q)), C, tol=1e-10).alpha
    for size in (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):  # points at every distance from the optimum
        alpha = np.clip(optimum + size * rng.standard_normal(len(Q)), 0.0, C)
        absolute = kkt_violation(alpha, Q @ alpha - 1.0, C)
        kkt_extended, resolution, certified = scaled_kkt(Q, np.ones(len(Q)), alpha, C)
        assert resolution < 1e-6 and abs(kkt_extended - absolute) <= 1e-12
        assert certified == (absolute <= 1e-6)


def test_the_factor_form_bounds_the_dense_resolution_and_agrees_on_the_gradient():
    """Uncentred features (all of one sign, like the raw joint angles): |Z||Z|' = |Q|, so the bound is exact."""
    rng = np.random.default_rng(4)
    n = 200
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = 3000.0 + 50.0 * rng.standard_normal((n, 8)) + 5.0 * y[:, None]
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    Q = Z @ Z.T
    alpha = rng.uniform(0.0, 40.0, n)
    alpha[:50] = 0.0
    dense, factor = DenseQ(Q), FactorQ(Z)
    free = np.where((alpha > 0) & (alpha < 20.0), alpha, 0.0)
    np.testing.assert_allclose(factor.abs_times(free), dense.abs_times(free), rtol=1e-12)
    exact = Z.astype(np.longdouble) @ (Z.astype(np.longdouble).T @ alpha.astype(np.longdouble))
    assert np.max(np.abs(factor.matvec_extended(alpha) - exact) / np.abs(exact)) < 1e-17
    _, resolution, _ = scaled_kkt(factor, np.ones(n), np.clip(alpha, 0.0, 20.0), 20.0)
    assert resolution > 1e-6  # this scale is coarser than the absolute tolerance: the scaled test is looser


def test_the_working_set_solver_reports_its_certificate():
    X, y = smooth_pair(n=200, seed=1)
    Q = np.outer(y, y) * (gram_matrix(X) + 1.0)
    capped = solve_box_qp_working_set(Q, np.ones(len(y)), 10.0, block=20, max_iter=1)
    assert not capped.converged and capped.certificate == "none" and capped.kkt > 1e-6
    absolute_only = solve_box_qp_working_set(Q, np.ones(len(y)), 10.0, block=20, scaled=False)
    assert absolute_only.converged and absolute_only.certificate == "absolute" and absolute_only.kkt <= 1e-6
