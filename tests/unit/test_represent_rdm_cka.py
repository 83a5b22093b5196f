"""RDMs, oracle similarity and CKA/CCA against direct formulas (scipy pdist, numpy Gram matrices)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import kendalltau, pearsonr

from neuromotor.errors import DataFormatError
from neuromotor.represent import cka, rdm


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_correlation_rdm_equals_pdist(rng):
    x = rng.normal(size=(37, 3, 4, 9)).astype(np.float32) + 5.0  # a large offset: centring must be exact
    expected = pdist(x.reshape(37, -1).astype(np.float64), "correlation")
    np.testing.assert_allclose(rdm.correlation_rdm(x, chunk=17), expected, atol=1e-6, rtol=0)
    assert len(rdm.correlation_rdm(x)) == 37 * 36 // 2


def test_oracle_similarity_and_kendall_equal_scipy(rng):
    labels = np.repeat(np.arange(1, 6), 8)
    x = rng.normal(size=(40, 30))
    d = rdm.correlation_rdm(x)
    oracle = rdm.oracle_rdm(labels)
    rows, cols = np.triu_indices(40, 1)
    np.testing.assert_array_equal(oracle, (labels[rows] != labels[cols]).astype(float))
    assert rdm.rdm_similarity(d, oracle) == pytest.approx(pearsonr(d, oracle).statistic, abs=1e-10)
    assert rdm.rdm_kendall(d, oracle) == pytest.approx(kendalltau(d, oracle).statistic, abs=1e-12)
    tied = np.round(d, 2)  # ties in the RDM too
    assert rdm.rdm_kendall(tied, oracle) == pytest.approx(kendalltau(tied, oracle).statistic, abs=1e-12)


def test_one_hot_labels_are_oracle_like_and_noise_is_not(rng):
    labels = np.repeat(np.arange(20), 10)
    one_hot = np.eye(20)[labels] + 0.01 * rng.normal(size=(200, 20))
    oracle = rdm.oracle_rdm(labels)
    # exactly oracle-like: one-hot codes have distance 0 within and 1 + 1/19 across classes
    assert rdm.rdm_similarity(rdm.correlation_rdm(np.eye(20)[labels]), oracle) == pytest.approx(1.0, abs=1e-12)
    assert rdm.rdm_similarity(rdm.correlation_rdm(one_hot), oracle) > 0.9
    assert abs(rdm.rdm_similarity(rdm.correlation_rdm(rng.normal(size=(200, 50))), oracle)) < 0.05


def test_class_balanced_sample_draws_distinct_rows_per_class(rng):
    labels = rng.integers(1, 5, size=300)
    rows = rdm.class_balanced_sample(labels, 20, seed=1219)
    assert len(rows) == len(set(rows)) == 4 * 20
    assert np.all(np.diff(rows) > 0)
    assert all((labels[rows] == label).sum() == 20 for label in range(1, 5))
    np.testing.assert_array_equal(rows, rdm.class_balanced_sample(labels, 20, seed=1219))
    with pytest.raises(DataFormatError, match="representations.rdm.per_class"):
        rdm.class_balanced_sample(labels, 200, seed=1)


def test_class_mean_rdm_averages_the_pairs_of_each_class_pair(rng):
    labels = np.array([1, 2, 1, 3, 2, 2])
    x = rng.normal(size=(6, 10))
    d = rdm.correlation_rdm(x)
    square = 1 - np.corrcoef(x)
    means = rdm.class_mean_rdm(d, labels, [1, 2, 3])
    for i, a in enumerate([1, 2, 3]):
        for j, b in enumerate([1, 2, 3]):
            pairs = [square[p, q] for p in range(6) for q in range(6) if p != q and labels[p] == a and labels[q] == b]
            expected = np.mean(pairs) if pairs else np.nan
            np.testing.assert_allclose(means[i, j], expected, atol=1e-10)


def _cka_direct(x, y):
    """CKA from the Gram matrices with the centring matrix H (the textbook formula)."""
    n = len(x)
    h = np.eye(n) - np.ones((n, n)) / n
    k, l = h @ x @ x.T @ h, h @ y @ y.T @ h
    return np.trace(k @ l) / (np.linalg.norm(k) * np.linalg.norm(l))


@pytest.mark.parametrize("shapes", [((50, 6), (50, 4)), ((20, 90), (20, 70))])  # feature and Gram formulas
def test_linear_cka_matches_gram_formula_and_invariances(rng, shapes):
    x, y = rng.normal(size=shapes[0]) + 3.0, rng.normal(size=shapes[1])
    y = y + x[:, :1] @ rng.normal(size=(1, y.shape[1]))
    value = cka.linear_cka(x, y)
    assert value == pytest.approx(_cka_direct(x, y), abs=1e-10)
    assert 0 <= value <= 1
    assert cka.linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
    rotation, _ = np.linalg.qr(rng.normal(size=(x.shape[1], x.shape[1])))
    assert cka.linear_cka(2.5 * x @ rotation, y) == pytest.approx(value, abs=1e-10)
    grams = [cka.normalized_gram(x), cka.normalized_gram(y)]
    np.testing.assert_allclose(cka.cka_matrix(grams, grams), [[1, value], [value, 1]], atol=1e-10)


def test_cca_r2_of_itself_is_one_and_undefined_when_wide(rng):
    x = rng.normal(size=(40, 5))
    basis = cka.cca_basis(x)
    assert cka.cca_r2(basis, basis) == pytest.approx(1.0, abs=1e-12)
    y = np.column_stack([x[:, 0], rng.normal(size=(40, 3))])
    r2 = cka.cca_r2(basis, cka.cca_basis(y))
    # direct: squared canonical correlations = eigenvalues of the product of projections
    xc, yc = x - x.mean(0), y - y.mean(0)
    px = xc @ np.linalg.pinv(xc)
    py = yc @ np.linalg.pinv(yc)
    assert r2 == pytest.approx(np.trace(px @ py) / 4, abs=1e-10)
    assert cka.cca_basis(rng.normal(size=(10, 12))) is None
    assert np.isnan(cka.cca_r2(None, basis))
    wide = rng.normal(size=(10, 12))
    pcs = cka.cca_basis(wide, n_components=3)
    u = np.linalg.svd(wide - wide.mean(0), full_matrices=False)[0][:, :3]  # the first 3 principal components
    np.testing.assert_allclose(pcs @ pcs.T, u @ u.T, atol=1e-10)
