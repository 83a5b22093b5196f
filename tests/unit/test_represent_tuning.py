"""Single-unit tuning curves, preferred directions, invariance, decoding and the kinematic alignment, against
independent references (planted tuning, the per-unit lstsq loop, scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from neuromotor.represent import kinematics as kin
from neuromotor.represent import tuning as tun
from neuromotor.represent.decoding import decode
from neuromotor.represent.stats import paired_comparison, score_quantile, violin_scores


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def _horizontal_trajectories(rng, n=30, t=320, height=0.0):
    """Smooth random horizontal hand paths with holds at both ends (zero velocity there)."""
    ee = np.zeros((n, 3, t))
    for i in range(n):
        start, stop = rng.integers(10, 60), rng.integers(200, 300)
        steps = np.cumsum(rng.normal(size=(2, stop - start)), axis=1)
        kernel = np.hanning(25) / np.hanning(25).sum()
        smooth = np.stack([np.convolve(s, kernel, mode="same") for s in steps])
        ee[i, :2, start:stop] = smooth
        ee[i, :2, :start] = smooth[:, :1]
        ee[i, :2, stop:] = smooth[:, -1:]
        ee[i, :2] += rng.normal(size=(2, 1)) * 5 + 30
    ee[:, 2] = height
    return ee


def test_kept_time_indices_follow_the_spec():
    np.testing.assert_array_equal(kin.kept_time_indices(320, 1), np.arange(33, 287))
    for stride, length, cut in ((3, 107, 11), (9, 36, 4), (27, 12, 2), (81, 4, 1)):
        assert kin.time_cutoff(stride) == cut
        np.testing.assert_array_equal(kin.kept_time_indices(length, stride), np.arange(cut, length))
        np.testing.assert_array_equal(kin.kept_time_indices(length, stride, symmetric=True), np.arange(cut, length - cut))
    assert kin.cumulative_strides([1, 1, 1, 1, 3, 3, 3, 3], [320] * 5 + [107, 36, 12, 4], 320) == [
        1, 1, 1, 1, 1, 3, 9, 27, 81,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="layer 2"):
        kin.cumulative_strides([2, 2], [320, 160, 79], 320)


def test_plane_masks_and_features(rng):
    horizontal = _horizontal_trajectories(rng, n=4, height=3.0)
    vertical = horizontal[:, [2, 0, 1]]  # constant X
    vertical[:, 0] = 30.0
    ee = np.concatenate([horizontal, vertical])
    np.testing.assert_array_equal(kin.plane_mask(ee, "horall"), [True] * 4 + [False] * 4)
    np.testing.assert_array_equal(kin.plane_mask(ee, "vertall"), [False] * 4 + [True] * 4)
    masks = kin.height_masks(ee, "horall", [0.0, 3.0])
    assert not masks[0].any() and masks[1, :4].all() and not masks[1, 4:].any()
    features = kin.feature_components(horizontal, "horall")
    velocity = np.gradient(horizontal[:, :2], axis=-1)
    np.testing.assert_allclose(features["vel"][:, 0], np.hypot(velocity[:, 0], velocity[:, 1]))
    moving = features["vel"][:, 0] > 0
    np.testing.assert_allclose(features["vel"][:, 1][moving], np.arctan2(velocity[:, 1], velocity[:, 0])[moving])
    assert np.isnan(features["vel"][:, 1][~moving]).all() and (~moving).any()
    np.testing.assert_array_equal(features["ee"], horizontal[:, :2])
    assert np.all(np.isnan(features["eepolar"][:, 1, 0]))  # relative position is 0 at the first sample
    theta = kin.to_polar(np.array([-1.0, -1.0]), np.array([0.0, -0.0]))[1]
    np.testing.assert_array_equal(theta, [np.pi, np.pi])  # (−π, π]


def _planted_layer(rng, ee, a, b, noise=0.3, constant_units=()):
    """A layer (n, C=units, H=1, T=320) whose units follow a·cos θ + b·sin θ of the velocity direction + noise."""
    theta = kin.feature_components(ee, "horall")["vel"][:, 1]
    cos, sin = np.nan_to_num(np.cos(theta)), np.nan_to_num(np.sin(theta))
    layer = a[None, :, None] * cos[:, None] + b[None, :, None] * sin[:, None] + 2.0
    layer = layer + noise * rng.normal(size=layer.shape)
    for unit in constant_units:
        layer[:, unit] = 0.0
    return layer[:, :, None, :].astype(np.float32)


def test_planted_cosine_tuning_is_recovered_with_its_preferred_direction(rng):
    ee = _horizontal_trajectories(rng, n=40)
    angles = np.linspace(-np.pi + 0.3, np.pi - 0.1, 6)
    a, b = 1.5 * np.cos(angles), 1.5 * np.sin(angles)
    layer = _planted_layer(rng, ee, a, b, constant_units=(5,))
    a[5] = b[5] = 0
    features = kin.feature_components(ee, "horall")
    train, test = tun.trajectory_split(40)
    kept = kin.kept_time_indices(320, 1)
    _, designs_train = tun.tuning_designs({"vel": features["vel"][train]}, {"vel": [1]}, np.arange(len(train)), kept)
    _, designs_test = tun.tuning_designs({"vel": features["vel"][test]}, {"vel": [1]}, np.arange(len(test)), kept)
    fits = tun.fit_linear_models(designs_train, designs_test, tun.layer_samples(layer, train, kept),
                                 tun.layer_samples(layer, test, kept))  # fmt: skip
    r2 = fits.metrics[0, :, 1, 1]
    assert np.all(r2[:5] > 0.2)
    assert r2[5] == 1.0  # a constant unit is predicted exactly ...
    np.testing.assert_array_equal(tun.tuned(r2), [True] * 5 + [False])  # ... and excluded
    pd = tun.preferred_directions(fits.coef[0, :5])
    np.testing.assert_allclose(kin.wrap_angle(pd - angles[:5]), 0, atol=0.05)
    np.testing.assert_allclose(fits.coef[0, :5, 2], 2.0, atol=0.05)


def test_vectorised_fits_equal_the_per_unit_lstsq_loop(rng):
    ee = _horizontal_trajectories(rng, n=25)
    layer = _planted_layer(rng, ee, rng.normal(size=7), rng.normal(size=7), noise=1.0, constant_units=(3,))
    layer[:, 4] += 10 * np.abs(rng.normal(size=layer[:, 4].shape))  # a unit with a large mean and spread
    features = kin.feature_components(ee, "horall")
    moving = features["vel"][:, 0] > 0
    layer[:, 5, 0] = np.where(moving, 0.0, 3.0)  # constant on the samples of the direction models, not on all
    layer[:, 6, 0] = 1000.0 + 1e-3 * rng.normal(size=moving.shape)  # a tiny spread on a large mean
    train, test = tun.trajectory_split(25)
    times = np.arange(33, 287, 2)
    models = {name: [0, 1, 2, 3] for name in kin.FEATURE_SETS}
    sub = lambda idx: {name: values[idx] for name, values in features.items()}  # noqa: E731
    keys, designs_train = tun.tuning_designs(sub(train), models, np.arange(len(train)), times)
    _, designs_test = tun.tuning_designs(sub(test), models, np.arange(len(test)), times)
    assert len(keys) == 16 and any(np.isnan(d).any() for d in designs_train)  # some designs drop rows at rest
    y_train, y_test = tun.layer_samples(layer, train, times), tun.layer_samples(layer, test, times)
    fast = tun.fit_linear_models(designs_train, designs_test, y_train, y_test, unit_chunk=3)
    slow = tun.fit_linear_models_loop(designs_train, designs_test, y_train, y_test)
    r2_fast, r2_slow = fast.metrics[..., 1], slow.metrics[..., 1]
    np.testing.assert_allclose(r2_fast, r2_slow, atol=1e-6, rtol=0)  # every unit, constant ones included
    assert r2_fast[:, 3].tolist() == [[1.0, 1.0]] * 16  # the all-zero unit: predicted exactly
    k1 = keys.index(("vel", 1))
    assert r2_fast[k1, 5, 0] == 1.0 and r2_slow[k1, 5, 0] == 1.0
    regular = [0, 1, 2, 4]
    np.testing.assert_allclose(fast.metrics[:, regular], slow.metrics[:, regular], atol=1e-6, rtol=0)
    np.testing.assert_allclose(fast.coef[:, regular], slow.coef[:, regular], atol=1e-6, rtol=0)
    np.testing.assert_allclose(fast.metrics[:, 6, :, 1], slow.metrics[:, 6, :, 1], atol=1e-6, rtol=0)
    np.testing.assert_array_equal(fast.n_samples, slow.n_samples)
    # r2 against sklearn directly for one design and unit
    k = keys.index(("vel", 3))
    valid = np.all(np.isfinite(designs_test[k]), axis=1)
    x = np.column_stack([designs_test[k][valid], np.ones(valid.sum())])
    assert fast.metrics[k, 0, 1, 1] == pytest.approx(r2_score(y_test[valid, 0], x @ fast.coef[k, 0]), abs=1e-9)


def test_layer_samples_order_units_by_row_then_channel(rng):
    layer = rng.normal(size=(3, 4, 2, 10))  # (n, C, H, T)
    samples = tun.layer_samples(layer, np.array([2, 0]), np.array([1, 5]))
    assert samples.shape == (4, 8)
    assert samples[1, 1 * 4 + 3] == layer[2, 3, 1, 5]  # trajectory 2, time 5; unit (row 1, channel 3)
    assert samples[2, 0 * 4 + 2] == layer[0, 2, 0, 1]


def test_label_scores_detect_a_label_coding_unit(rng):
    labels = np.repeat([1, 2, 3, 4], 50)
    coding = labels + 0.1 * rng.normal(size=200)
    train, test = np.arange(0, 200, 2), np.arange(1, 200, 2)
    strong = tun.label_scores(coding[train], labels[train], coding[test], labels[test], [1, 2, 3, 4])
    weak = tun.label_scores(rng.normal(size=100), labels[train], rng.normal(size=100), labels[test], [1, 2, 3, 4])
    assert strong[1] > 0.3 and abs(weak[1]) < 0.2


@pytest.mark.parametrize("classes", [[1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2]])
def test_label_scores_equal_roc_auc_of_the_svm_decision_values(rng, classes):
    """The label score from each classifier's slope sign and the activation's mid-ranks equals roc_auc_score of the
    LinearSVCs' decision values (the original's scoring): coding, noisy, tied, ReLU-like and constant units, a
    class absent from the train samples (class 5: constant classifier) and two classes."""
    labels = np.repeat(classes[:4], 60 if len(classes) > 2 else 120)
    labels = np.where(labels == 4, rng.choice([4, 5], size=len(labels)), labels) if 5 in classes else labels
    n = len(labels)
    units = [labels + 0.8 * rng.normal(size=n), rng.normal(size=n), np.round(rng.normal(size=n), 1),
             np.maximum(rng.normal(size=n) - 0.5 * labels, 0.0), np.full(n, 0.3), -2.0 * labels + rng.normal(size=n)]
    train, test = np.arange(0, n, 2), np.arange(1, n, 2)
    if 5 in classes:
        train = train[labels[train] != 5]  # class 5 only among the test samples
    for y in units:
        fast = tun.label_scores(y[train], labels[train], y[test], labels[test], classes)
        reference = tun.label_scores_roc(y[train], labels[train], y[test], labels[test], classes)
        assert fast == pytest.approx(reference, abs=1e-12), (fast, reference)
    assert tun.label_scores(units[0][train], labels[train], units[0][test], labels[test], classes)[1] > 0.2
    assert tun.label_scores(units[4][train], labels[train], units[4][test], labels[test], classes) == (0.0, 0.0)


def test_class_aucs_equal_sklearn_and_the_auc_method_agrees_with_the_svm(rng):
    from sklearn.metrics import roc_auc_score

    from neuromotor.represent.stages import _label_tuning

    labels = np.repeat([1, 2, 3, 4], 60)
    y = np.column_stack([labels + 0.8 * rng.normal(size=240), rng.normal(size=240), np.zeros(240)])
    y[:, 1] = np.round(y[:, 1], 1)  # ties
    aucs = tun.class_aucs(y, labels, [1, 2, 3, 4, 5])
    for k, label in enumerate([1, 2, 3, 4]):
        for unit in range(3):
            assert aucs[k, unit] == pytest.approx(roc_auc_score(labels == label, y[:, unit]), abs=1e-12)
    assert np.isnan(aucs[4]).all()  # class 5 has no sample
    train, test = np.arange(0, 240, 2), np.arange(1, 240, 2)
    fast = tun.label_scores_auc(y[train], labels[train], y[test], labels[test], [1, 2, 3, 4])
    svm = _label_tuning(y[train], y[test], labels[train], labels[test], [1, 2, 3, 4], max_iter=10, threads=2)
    assert fast.shape == svm.shape == (3, 2)
    assert fast[0, 1] == pytest.approx(svm[0, 1], abs=0.05) and fast[0, 1] > 0.5  # same orientations
    assert fast[2].tolist() == [0.0, 0.0] and svm[2].tolist() == [0.0, 0.0]  # a constant unit ranks nothing


def test_uniformity_and_invariance():
    assert tun.uniformity_deviation(np.full(18, 4)) == 0.0
    one_bin = np.zeros(18)
    one_bin[3] = 10
    assert tun.uniformity_deviation(one_bin) == pytest.approx(34 / 18)
    assert np.isnan(tun.uniformity_deviation(np.zeros(18)))
    pds = np.linspace(-np.pi, np.pi, 18, endpoint=False) + 0.01
    assert tun.direction_histogram(pds).tolist() == [1] * 18
    reference = np.array([3.0, -3.0, 0.5, np.nan])
    height = np.array([-3.0, 3.0, 0.7, 1.0])
    mean, count = tun.invariance_deviation(height, reference, min_units=3)
    expected = np.abs(kin.wrap_angle(height[:3] - reference[:3]))
    assert count == 3 and mean == pytest.approx(expected.mean())
    assert np.all(expected <= np.pi) and expected[0] == pytest.approx(2 * np.pi - 6)
    assert np.isnan(tun.invariance_deviation(height, reference, min_units=4)[0])


def test_decoding_equals_sklearn_ridge(rng):
    x = rng.normal(size=(300, 12))
    y = x[:, :2] @ rng.normal(size=(2, 2)) + 0.1 * rng.normal(size=(300, 2))
    y[5, 1] = np.nan
    result = decode(x[:200], y[:200], x[200:], y[200:], alpha=1.0)
    keep = np.isfinite(y[:200]).all(axis=1)
    prediction = Ridge(alpha=1.0).fit(x[:200][keep], y[:200][keep]).predict(x[200:])
    for c in range(2):
        assert result["test"][c, 1] == pytest.approx(r2_score(y[200:, c], prediction[:, c]), abs=1e-9)
    assert result["distance"][1] == pytest.approx(np.linalg.norm(y[200:] - prediction, axis=1).mean(), abs=1e-9)
    assert result["n"].tolist() == [199, 100]


def test_midranks_equal_scipy_rankdata(rng):
    from scipy.stats import rankdata

    from neuromotor.represent.stats import midranks

    values = np.round(rng.normal(size=(200, 4)), 1)  # many ties
    values[:, 3] = 0.0
    np.testing.assert_array_equal(midranks(values), rankdata(values, axis=0))
    np.testing.assert_array_equal(midranks(values[:, 0]), rankdata(values[:, 0]))


def test_statistics():
    scores = np.array([1.0, 0.5, 0.1, -0.5, np.nan, 0.3])
    assert score_quantile(scores) == pytest.approx(np.quantile([0.5, 0.1, -0.5, 0.3], 0.9))
    assert violin_scores(scores).tolist() == [0.5, 0.1, 0.3]
    from scipy.stats import ttest_rel

    a, b = np.array([0.5, 0.6, 0.55, 0.7, 0.65]), np.array([0.2, 0.25, 0.3, 0.2, 0.22])
    out = paired_comparison(a, b, n_tests=9)
    assert out["p"] == pytest.approx(ttest_rel(a, b).pvalue)
    assert out["p_bonferroni"] == pytest.approx(min(1, 9 * out["p"]))
    assert out["ci_low"] < out["mean_difference"] < out["ci_high"]
    assert np.isnan(paired_comparison(a[:1], b[:1], 9)["p"])
