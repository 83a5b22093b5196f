"""Single-unit tuning curves (Sandbrink et al. 2023, Figure 5; original ``rowwise_neuron_curves.py``).

A unit's activation at the kept (trajectory, time) samples is regressed, by least squares with an intercept, on the
regressors of four models per kinematic feature set:

==  =================  =====================================================================================
id  name               regressors (features stored polar (r, θ): vel, acc, eepolar; Cartesian (u, w): ee)
==  =================  =====================================================================================
0   linear             the two stored components: (r, θ) for polar sets, (u, w) for ``ee`` (the original's
                       "Cartesian linear" model regresses on whatever the feature set stores)
1   direction          cos θ, sin θ
2   speed (magnitude)  r
3   direction × speed  r·cos θ, r·sin θ
==  =================  =====================================================================================

For ``ee`` the polar form (r, θ) of models 1–3 is taken about the origin of the (u, w) plane, as in the original.
Samples whose regressors are not finite (θ at rest) are left out of that model's fit and scores.

The workflow solves every model for all units at once (:func:`fit_linear_models`): the design of a model is shared
by all units of a layer, so one pass over the activations accumulates the sufficient statistics (DᵀY, per-unit sums
and sums of squares) of every model in float64, and each model's coefficients, predictions' RMSE, R² and Pearson r
follow from p×p systems (p ≤ 3). :func:`fit_linear_models_loop` is the original procedure (one
``np.linalg.lstsq`` and the metrics of scikit-learn per unit and model); both give the same numbers (tested) and
``tests/bench/bench_represent.py`` times them.

Metric conventions (scikit-learn's): R² = 1 − SS_res/SS_tot; a unit constant over the scored samples has R² = 1
(its intercept predicts it exactly) and is excluded by the analyses; Pearson r is NaN when either side is constant.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from neuromotor.represent.kinematics import POLAR_FEATURE_SETS, to_polar

MODELS = ("linear", "direction", "speed", "direction_speed")
"""Model ids 0..3 of Sandbrink et al. 2023, Figure 5."""

METRICS = ("rmse", "r2", "pcc")
"""Per-fit metrics, in this order along the metric axis."""

SPLITS = ("train", "test")

UNIT_CLASSES: dict[str, tuple[str, int]] = {
    "direction": ("vel", 1),
    "speed": ("vel", 2),
    "direction_speed": ("vel", 3),
    "cartesian_position": ("ee", 0),
    "polar_position": ("eepolar", 3),
    "acceleration": ("acc", 3),
}
"""Unit classification (original ``unit_classification.py``): class → (feature set, model); plus ``labels``."""


def model_regressors(components: np.ndarray, feature_set: str, model: int) -> np.ndarray:
    """Regressors (without the intercept) of one model: ``components`` (m, 2) as stored for the feature set →
    (m, p) float64; rows with a non-finite entry are invalid samples for this model."""
    components = np.asarray(components, dtype=np.float64)
    if model == 0:
        return components
    if feature_set in POLAR_FEATURE_SETS:
        r, theta = components[:, 0], components[:, 1]
    else:
        r, theta = to_polar(components[:, 0], components[:, 1])
    if model == 1:
        return np.column_stack([np.cos(theta), np.sin(theta)])
    if model == 2:
        return r[:, None]
    if model == 3:
        return np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    raise ValueError(f"unknown tuning model {model}; expected 0..3")


@dataclass
class LinearFits:
    """Least-squares fits of several designs to every unit.

    ``coef``: (n_designs, n_units, 3) float64 — coefficients of the regressors then the intercept, padded with
    zeros to 3 (speed model: a, c, 0 like the original's storage); ``metrics``: (n_designs, n_units, 2, 3)
    float64 — split (train, test) × (RMSE, R², Pearson r); ``n_samples``: (n_designs, 2) int — valid samples per
    design and split.
    """

    coef: np.ndarray
    metrics: np.ndarray
    n_samples: np.ndarray


ROUNDING = 1e-12
"""Relative size below which a residual or a prediction's spread counts as rounding: a unit constant on the scored
samples and predicted to this precision scores R² = 1 (as scikit-learn scores an exact prediction)."""


def _scores(n, ss_tot, ss_res, cov, var_p, level) -> np.ndarray:
    """RMSE, R² and Pearson r (U, 3) from the sums of one sample set: ``ss_tot`` = Σ(y − ȳ)², ``ss_res`` =
    Σ(y − ŷ)², ``cov`` = Σ(y − ȳ)(ŷ − mean ŷ), ``var_p`` = Σ(ŷ − mean ŷ)², ``level`` = |ȳ| (for the rounding
    tolerance). R² follows scikit-learn for constant targets: 1 when predicted (to rounding), 0 otherwise."""
    ss_res = np.maximum(ss_res, 0.0)
    var_p = np.maximum(var_p, 0.0)
    tolerance = n * (ROUNDING * (1.0 + level)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res <= tolerance, 1.0, 0.0))
        pcc = np.where((ss_tot > 0) & (var_p > tolerance), cov / np.sqrt(ss_tot * var_p), np.nan)
    return np.column_stack([np.sqrt(ss_res / n), r2, np.clip(pcc, -1.0, 1.0)])


def _solve(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Minimum-norm solution of the (symmetric, possibly singular) normal equations, columns scaled to unit
    diagonal first so the regressors' units do not matter."""
    scale = np.sqrt(np.diag(gram))
    scale = np.where(scale > 0, scale, 1.0)
    solution = np.linalg.lstsq(gram / np.outer(scale, scale), rhs / scale[:, None], rcond=1e-12)[0]
    return solution / scale[:, None]


def _valid_rows(design: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(design), axis=1)


def _design_rows(x: np.ndarray | None, spans) -> list[np.ndarray]:
    """Valid rows of each design (its columns ``spans[k]`` of ``x``): all its regressors finite."""
    if x is None:
        return []
    finite = np.isfinite(x)
    return [finite[:, lo] if hi - lo == 1 else finite[:, lo:hi].all(axis=1) for lo, hi in spans]


class _Masks:
    """The distinct valid-row masks of a split's designs, as an indicator matrix (m, n_masks)."""

    def __init__(self, masks: Sequence[np.ndarray], n_rows: int):
        distinct: dict[bytes, int] = {}
        self.of_design = [distinct.setdefault(np.packbits(mask).tobytes(), len(distinct)) for mask in masks]
        self.rows: list = [None] * len(distinct)
        for mask, index in zip(masks, self.of_design):
            self.rows[index] = None if mask.all() else np.flatnonzero(mask)
        self.counts = np.array([n_rows if r is None else len(r) for r in self.rows], dtype=np.float64)
        self.indicator = np.zeros((n_rows, len(distinct)))
        for index, rows in enumerate(self.rows):
            self.indicator[slice(None) if rows is None else rows, index] = 1.0

    def moments(self, y: np.ndarray, sums: np.ndarray, squares: np.ndarray, shift: np.ndarray):
        """Per mask and unit: mean and Σ(y − mean)² over the mask's rows, (n_masks, U) each, from the sums of
        y − ``shift`` and of its squares over each mask's rows. Where that loses more than 6 digits to cancellation
        (a unit nearly constant on the mask's rows) the sum of squares is recomputed from ``y`` itself centred on
        the mask's own mean, so a unit constant on those rows gets exactly 0."""
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / self.counts[:, None]
        ss = squares - self.counts[:, None] * means**2
        for index, rows in enumerate(self.rows):
            # (a unit whose shifted values are all 0 on these rows has ss = 0 and its mean exactly already)
            unsure = np.flatnonzero((ss[index] <= 1e-6 * squares[index]) & (squares[index] > 0))
            if len(unsure):
                values = np.asarray(y[:, unsure] if rows is None else y[np.ix_(rows, unsure)], dtype=np.float64)
                mean = values.mean(axis=0)
                deviation = values - mean
                ss[index, unsure] = np.einsum("mu,mu->u", deviation, deviation)
                means[index, unsure] = mean - shift[unsure]
        return means + shift, np.maximum(ss, 0.0)


def _block_sums(weights: np.ndarray, n_squared: int, y: np.ndarray, shift: np.ndarray):
    """Σ wᵢ (yᵢ − shift) for every column w of ``weights`` (m, W), and Σ wᵢ (yᵢ − shift)² for its last
    ``n_squared`` columns, accumulated in float64 over blocks of rows small enough to stay in cache (no float64
    copy of y is ever made whole). Returns ((W, U), (n_squared, U))."""
    n_rows, n_units = y.shape
    linear = np.zeros((weights.shape[1], n_units))
    squared = np.zeros((n_squared, n_units))
    block = max(256, 2**17 // max(1, n_units))
    for start in range(0, n_rows, block):
        values = np.asarray(y[start : start + block], dtype=np.float64) - shift
        rows = weights[start : start + block]
        linear += rows.T @ values
        values *= values
        squared += rows[:, weights.shape[1] - n_squared :].T @ values
    return linear, squared


class DesignSet:
    """Designs prepared once for any number of units (and layers sampled at the same time steps).

    ``designs_train[k]`` (m_train, p_k) and ``designs_test[k]`` (m_test, p_k): regressors of design k on the train
    and test samples; rows with a non-finite entry are left out of that design. Holds the regressors centred on
    each design's valid train rows (zero outside its valid rows) side by side, their Gram matrices and the
    distinct valid-row masks.
    """

    def __init__(self, designs_train: Sequence[np.ndarray], designs_test: Sequence[np.ndarray]):
        if len(designs_train) != len(designs_test):
            raise ValueError(f"{len(designs_train)} train designs but {len(designs_test)} test designs")
        widths = [np.shape(d)[1] for d in designs_train]
        bounds = np.cumsum([0] + widths)
        self.spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
        x_train = np.concatenate([np.asarray(d, dtype=np.float64) for d in designs_train], axis=1) if widths else None
        x_test = np.concatenate([np.asarray(d, dtype=np.float64) for d in designs_test], axis=1) if widths else None
        self.n_rows = (len(x_train), len(x_test)) if widths else (0, 0)
        valid_train = _design_rows(x_train, self.spans)
        valid_test = _design_rows(x_test, self.spans)
        self.n_samples = np.array([[v.sum(), t.sum()] for v, t in zip(valid_train, valid_test)], dtype=int)
        self.n_samples = self.n_samples.reshape(-1, 2)
        self.masks_train, self.masks_test = _Masks(valid_train, self.n_rows[0]), _Masks(valid_test, self.n_rows[1])
        # regressors centred on each design's valid train rows and zero outside its valid rows, side by side
        rows_train = np.repeat(np.column_stack(valid_train), widths, axis=1) if widths else None
        rows_test = np.repeat(np.column_stack(valid_test), widths, axis=1) if widths else None
        if widths:
            counts = np.repeat(np.maximum(self.n_samples[:, 0], 1), widths)
            column_means = np.where(rows_train, x_train, 0.0).sum(axis=0) / counts
            self.d_train = np.where(rows_train, x_train - column_means, 0.0)
            self.d_test = np.where(rows_test, x_test - column_means, 0.0)
        else:
            column_means = np.zeros(0)
            self.d_train, self.d_test = np.zeros((0, 0)), np.zeros((0, 0))
        self.means = [column_means[lo:hi] for lo, hi in self.spans]
        self.g_train, self.g_test = self.d_train.T @ self.d_train, self.d_test.T @ self.d_test
        self.s_test = self.masks_test.indicator.T @ self.d_test  # per test mask: Σx̃ over its rows
        # the regressors and the mask indicators side by side: one product per block of rows gives all sums
        self.w_train = np.ascontiguousarray(np.concatenate([self.d_train, self.masks_train.indicator], axis=1))
        self.w_test = np.ascontiguousarray(np.concatenate([self.d_test, self.masks_test.indicator], axis=1))

    def fit(self, y_train: np.ndarray, y_test: np.ndarray, unit_chunk: int = 512) -> LinearFits:
        """Fits of every design to every unit: ``y_train`` (m_train, U), ``y_test`` (m_test, U)."""
        n_units = y_train.shape[1]
        if y_test.shape[1] != n_units or (self.spans and (len(y_train), len(y_test)) != self.n_rows):
            raise ValueError(f"activations {y_train.shape} / {y_test.shape} do not match the designs' rows {self.n_rows}")
        coef = np.zeros((len(self.spans), n_units, 3))
        metrics = np.full((len(self.spans), n_units, 2, 3), np.nan)
        if not self.spans:
            return LinearFits(coef=coef, metrics=metrics, n_samples=self.n_samples.copy())
        for first in range(0, n_units, unit_chunk):
            units = slice(first, min(first + unit_chunk, n_units))
            self._fit_chunk(y_train[:, units], y_test[:, units], coef[:, units], metrics[:, units])
        return LinearFits(coef=coef, metrics=metrics, n_samples=self.n_samples.copy())

    def _fit_chunk(self, y_train, y_test, coef, metrics) -> None:
        # a common shift changes no fit (every model has an intercept) and keeps the sums well scaled
        shift_train = np.mean(y_train, axis=0, dtype=np.float64) if len(y_train) else np.zeros(y_train.shape[1])
        shift_test = np.mean(y_test, axis=0, dtype=np.float64) if len(y_test) else np.zeros(y_test.shape[1])
        n_columns = self.d_train.shape[1]
        sums, squares = _block_sums(self.w_train, len(self.masks_train.counts), y_train, shift_train)
        p_train = sums[:n_columns]
        mean_train, ss_train = self.masks_train.moments(y_train, sums[n_columns:], squares, shift_train)
        sums, squares = _block_sums(self.w_test, len(self.masks_test.counts), y_test, shift_test)
        p_test = sums[:n_columns]
        mean_test, ss_test = self.masks_test.moments(y_test, sums[n_columns:], squares, shift_test)
        for k, (lo, hi) in enumerate(self.spans):
            n_train, n_test = self.n_samples[k]
            if n_train == 0:
                continue
            m, t = self.masks_train.of_design[k], self.masks_test.of_design[k]
            gram, cross = self.g_train[lo:hi, lo:hi], p_train[lo:hi]  # Σx̃x̃ᵀ, Σx̃(y − ȳ) on the valid train rows
            beta = _solve(gram, cross)
            explained = np.einsum("pu,pu->u", beta, cross)
            metrics[k, :, 0] = _scores(n_train, ss_train[m], ss_train[m] - explained, explained,
                                       np.einsum("pu,pq,qu->u", beta, gram, beta), np.abs(mean_train[m]))  # fmt: skip
            coef[k, :, : hi - lo] = beta.T
            coef[k, :, hi - lo] = mean_train[m] - self.means[k] @ beta
            if n_test == 0:
                continue
            # test: ŷ = ȳ_train + x̃ᵀβ; sums centred on the test mask's own means
            s_x = self.s_test[t, lo:hi]
            x_mean = s_x / n_test
            cov = np.einsum("pu,pu->u", beta, p_test[lo:hi] - np.outer(s_x, mean_test[t] - shift_test))
            spread = self.g_test[lo:hi, lo:hi] - n_test * np.outer(x_mean, x_mean)
            var_p = np.einsum("pu,pq,qu->u", beta, spread, beta)
            offset = mean_train[m] + x_mean @ beta - mean_test[t]  # mean prediction − mean activation
            ss_res = ss_test[t] + var_p + n_test * offset**2 - 2 * cov
            metrics[k, :, 1] = _scores(n_test, ss_test[t], ss_res, cov, var_p, np.abs(mean_test[t]))


def fit_linear_models(
    designs_train: Sequence[np.ndarray],
    designs_test: Sequence[np.ndarray],
    y_train: np.ndarray,
    y_test: np.ndarray,
    unit_chunk: int = 512,
) -> LinearFits:
    """Least squares with intercept of every unit on every design, all units at once.

    ``designs_train[k]`` (m_train, p_k) and ``designs_test[k]`` (m_test, p_k): regressors of design k on the train
    and test samples (rows with a non-finite entry are left out of that design); ``y_train`` (m_train, U) and
    ``y_test`` (m_test, U): the units' activations on the same samples (any float dtype; sums are float64).

    One pass over the activations gives, per design, Σx̃y with the regressors centred on the design's valid train
    rows (zero elsewhere), and per distinct valid-row mask the units' means and centred sums of squares. The fit,
    RMSE, R² and Pearson r on both splits follow exactly (up to rounding) from these sums. Units are processed
    ``unit_chunk`` at a time (memory ≈ 4 × m × unit_chunk × 8 bytes). See :class:`DesignSet` to reuse the
    prepared designs for several sets of units.
    """
    return DesignSet(designs_train, designs_test).fit(y_train, y_test, unit_chunk)


def fit_linear_models_loop(
    designs_train: Sequence[np.ndarray],
    designs_test: Sequence[np.ndarray],
    y_train: np.ndarray,
    y_test: np.ndarray,
) -> LinearFits:
    """The original procedure: for every unit and design, drop the invalid rows, ``np.linalg.lstsq`` on [X, 1],
    then RMSE (``mean_squared_error``), R² (``r2_score``) and Pearson r (``np.corrcoef``) of the predictions on the
    train and test samples. Same output as :func:`fit_linear_models`; the reference for tests and the benchmark."""
    from sklearn.metrics import mean_squared_error, r2_score

    n_designs, n_units = len(designs_train), y_train.shape[1]
    coef = np.zeros((n_designs, n_units, 3))
    metrics = np.full((n_designs, n_units, 2, 3), np.nan)
    n_samples = np.zeros((n_designs, 2), dtype=int)
    for k, (train, test) in enumerate(zip(designs_train, designs_test)):
        valid_train, valid_test = _valid_rows(train), _valid_rows(test)
        n_samples[k] = valid_train.sum(), valid_test.sum()
        x_train = np.column_stack([train[valid_train], np.ones(valid_train.sum())])
        x_test = np.column_stack([test[valid_test], np.ones(valid_test.sum())])
        for unit in range(n_units):
            y = np.asarray(y_train[valid_train, unit], dtype=np.float64)
            yt = np.asarray(y_test[valid_test, unit], dtype=np.float64)
            c = np.linalg.lstsq(x_train, y, rcond=None)[0]
            coef[k, unit, : len(c)] = c
            for split, (target, x) in enumerate(((y, x_train), (yt, x_test))):
                if len(target) == 0:
                    continue
                prediction = x @ c
                with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    pcc = np.corrcoef(target, prediction)[0, 1]
                metrics[k, unit, split] = (
                    np.sqrt(mean_squared_error(target, prediction)),
                    r2_score(target, prediction),
                    pcc,
                )
    return LinearFits(coef=coef, metrics=metrics, n_samples=n_samples)


# ---------------------------------------------------------------------------------------------------------------
# samples of a layer


def layer_samples(layer: np.ndarray, trajectories: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Activations of every unit at the kept times of some trajectories.

    ``layer`` (n, C, H, T) → (len(trajectories) · len(kept), H · C): samples ordered trajectory-major then time;
    unit index ``h · C + c`` (row-major over (row, channel), the original's order).
    """
    values = np.asarray(layer)[np.asarray(trajectories)][..., np.asarray(kept)]  # (n_t, C, H, n_k)
    n_t, channels, rows, n_k = values.shape
    return values.transpose(0, 3, 2, 1).reshape(n_t * n_k, rows * channels)


def feature_samples(features: np.ndarray, trajectories: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Kinematic components at the given input steps: ``features`` (n, 2, T) → (n_t · n_times, 2), same sample order
    as :func:`layer_samples`."""
    values = np.asarray(features)[np.asarray(trajectories)][..., np.asarray(times)]
    return values.transpose(0, 2, 1).reshape(-1, values.shape[1])


def trajectory_split(n_trajectories: int, test_size: float = 0.2, random_state: int = 42):
    """Train and test trajectory positions: ``train_test_split(range(n), test_size, random_state)`` (the
    original's split, applied to trajectories before pooling their time steps)."""
    from sklearn.model_selection import train_test_split

    return tuple(np.asarray(part) for part in train_test_split(
        np.arange(n_trajectories), test_size=test_size, random_state=random_state
    ))  # fmt: skip


def tuning_designs(
    features: Mapping[str, np.ndarray], models: Mapping[str, Sequence[int]], trajectories, times
) -> tuple[list[tuple[str, int]], list[np.ndarray]]:
    """The (feature set, model) pairs to fit and their designs on the samples of ``trajectories`` × ``times``."""
    keys, designs = [], []
    for name, ids in models.items():
        components = feature_samples(features[name], trajectories, times)
        for model in ids:
            keys.append((name, int(model)))
            designs.append(model_regressors(components, name, int(model)))
    return keys, designs


# ---------------------------------------------------------------------------------------------------------------
# label tuning


def _label_classifier(x_train: np.ndarray, labels_train: np.ndarray, classes: Sequence[int], max_iter: int):
    """The original's ``OneVsRestClassifier(LinearSVC(max_iter))`` fitted on one unit's activation ``x_train``
    (m,) (one feature per sample) against the binarised labels (m,) of ``classes``.

    ``dual=True`` as in the scikit-learn the original ran (its default before 1.5; the current default ``"auto"``
    picks the primal solver here, since m samples > 1 feature). The choice matters: after the original's 10 epochs
    the dual coordinate descent is far from converged, and on three synthetic units of 1,600 x 254 samples (the paper
    plan's size) its slope signs differed from the primal solver's for 4-7 of the 20 classes, at about 3x its cost."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import label_binarize
    from sklearn.svm import LinearSVC

    targets_train = label_binarize(labels_train, classes=list(classes))
    if len(classes) == 2:  # label_binarize returns one column for two classes
        targets_train = np.column_stack([1 - targets_train[:, 0], targets_train[:, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # a class absent from the train samples: constant predictor
        classifier = OneVsRestClassifier(LinearSVC(max_iter=max_iter, dual=True, random_state=0))
        classifier.fit(np.asarray(x_train, dtype=np.float64).reshape(-1, 1), targets_train)
    return classifier


def label_orientations(
    x_train: np.ndarray, labels_train: np.ndarray, classes: Sequence[int], max_iter: int = 10
) -> np.ndarray:
    """Sign of the slope w of each class's one-vs-rest LinearSVC on one unit (:func:`_label_classifier`):
    (n_classes,) in {−1, 0, 1}; 0 for a class whose classifier is constant (absent from, or alone in, the train
    samples). A decision w·x + b ranks the samples as x does (w > 0), in reverse (w < 0) or not at all (w = 0), so
    its ROC-AUC is AUC(x), 1 − AUC(x) or 0.5: the slope's sign is all of the fit the label score uses."""
    classifier = _label_classifier(x_train, labels_train, classes, max_iter)
    return np.array([float(np.sign(np.ravel(getattr(e, "coef_", [0.0]))[0])) for e in classifier.estimators_])


def oriented_label_scores(
    y_train: np.ndarray, labels_train: np.ndarray, y_test: np.ndarray, labels_test: np.ndarray,
    classes: Sequence[int], orientation: np.ndarray,
) -> np.ndarray:
    """Label scores of all units from each class's classifier orientation ``orientation`` (n_classes, U) in
    {−1, 0, 1}: the ROC-AUC of an oriented activation is 0.5 + orientation · (AUC − 0.5) (:func:`class_aucs`,
    mid-ranks); score = 2 · (macro AUC − 0.5) over the classes with positives and negatives in the scored samples,
    0 when there are none. ``y`` (m, U) → (U, 2) scores (train, test)."""
    orientation = np.asarray(orientation, dtype=np.float64)
    scores = []
    for y, labels in ((y_train, labels_train), (y_test, labels_test)):
        oriented = 0.5 + orientation * (class_aucs(y, labels, classes) - 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            scores.append(np.nanmean(oriented, axis=0))
    scores = np.column_stack(scores)
    return np.where(np.isfinite(scores), 2 * (scores - 0.5), 0.0)


def label_scores(
    x_train: np.ndarray,
    labels_train: np.ndarray,
    x_test: np.ndarray,
    labels_test: np.ndarray,
    classes: Sequence[int],
    max_iter: int = 10,
) -> tuple[float, float]:
    """Label tuning of one unit: ``OneVsRestClassifier(LinearSVC(max_iter))`` on the unit's activation (one feature
    per (trajectory, time) sample) against the binarised character labels; score = 2 · (ROC-AUC − 0.5), macro
    average over the classes present (with positives and negatives) in the scored samples. Returns (train, test);
    0 when nothing can be scored (the original's fallback of AUC 0.5).

    The AUCs of the decision values come from the activation's mid-ranks and each classifier's slope sign
    (:func:`label_orientations`, :func:`oriented_label_scores`): the same scores as scoring the decision values with
    ``roc_auc_score`` (:func:`label_scores_roc`, to rounding; tested) at about 60 % of its cost
    (tests/bench/bench_representations_units.py)."""
    orientation = label_orientations(x_train, labels_train, classes, max_iter)[:, None]
    scores = oriented_label_scores(np.asarray(x_train)[:, None], labels_train, np.asarray(x_test)[:, None],
                                   labels_test, classes, orientation)[0]  # fmt: skip
    return float(scores[0]), float(scores[1])


def label_scores_roc(
    x_train: np.ndarray,
    labels_train: np.ndarray,
    x_test: np.ndarray,
    labels_test: np.ndarray,
    classes: Sequence[int],
    max_iter: int = 10,
) -> tuple[float, float]:
    """:func:`label_scores` the original's way: the decision values of every class's classifier scored by
    ``roc_auc_score`` on the train and test samples. The reference for tests and the benchmark."""
    from sklearn.metrics import roc_auc_score

    classifier = _label_classifier(x_train, labels_train, classes, max_iter)
    scores = []
    for x, labels in ((x_train, labels_train), (x_test, labels_test)):
        decision = classifier.decision_function(np.asarray(x, dtype=np.float64).reshape(-1, 1))
        if decision.ndim == 1:
            decision = decision[:, None]
        aucs = []
        for column, label in enumerate(classes):
            positive = np.asarray(labels) == label
            if positive.any() and not positive.all():
                aucs.append(roc_auc_score(positive, decision[:, column]))
        scores.append(2 * (float(np.mean(aucs)) - 0.5) if aucs else 0.0)
    return scores[0], scores[1]


def class_aucs(y: np.ndarray, labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """ROC-AUC of every unit's activation for every class against the rest, from mid-ranks (ties count half):
    ``y`` (m, U), ``labels`` (m,) → (n_classes, U); NaN for a class without positives or negatives."""
    from neuromotor.represent.stats import midranks

    ranks = midranks(np.asarray(y, dtype=np.float64))
    labels = np.asarray(labels)
    onehot = (labels[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
    positives = onehot.sum(axis=0)
    negatives = len(labels) - positives
    rank_sums = onehot.T @ ranks
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sums - (positives * (positives + 1) / 2)[:, None]) / (positives * negatives)[:, None]
    auc[(positives == 0) | (negatives == 0)] = np.nan
    return auc


def label_scores_auc(
    y_train: np.ndarray, labels_train: np.ndarray, y_test: np.ndarray, labels_test: np.ndarray,
    classes: Sequence[int],
) -> np.ndarray:
    """Label tuning of all units at once (option ``labels: auc``): each class's one-vs-rest classifier on the one
    feature is the orientation of the activation (+, −, or none at a training AUC of exactly 0.5) with the higher
    training AUC — the best ranking any one-feature linear classifier achieves; score = 2 · (macro ROC-AUC − 0.5)
    over the classes present. ``y`` (m, U) → (U, 2) scores (train, test)."""
    train = class_aucs(y_train, labels_train, classes)
    test = class_aucs(y_test, labels_test, classes)
    orientation = np.sign(train - 0.5)
    oriented_train = 0.5 + np.abs(train - 0.5)
    oriented_test = 0.5 + orientation * (test - 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        scores = np.column_stack([np.nanmean(oriented_train, axis=0), np.nanmean(oriented_test, axis=0)])
    return np.where(np.isfinite(scores), 2 * (scores - 0.5), 0.0)


# ---------------------------------------------------------------------------------------------------------------
# preferred directions


def preferred_directions(coef: np.ndarray) -> np.ndarray:
    """Preferred direction atan2(b, a) ∈ (−π, π] of direction-model fits; ``coef`` (..., 3) → (...)."""
    pd = np.arctan2(coef[..., 1], coef[..., 0])
    return np.where(pd == -np.pi, np.pi, pd)


def tuned(r2_test: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Units tuned by a model: test R² above ``threshold`` and not exactly 1 (constant units)."""
    r2_test = np.asarray(r2_test)
    return (r2_test > threshold) & (r2_test != 1.0)


def direction_histogram(pds: np.ndarray, bins: int = 18) -> np.ndarray:
    """Counts of preferred directions in ``bins`` equal bins over [−π, π]."""
    return np.histogram(np.asarray(pds), bins=bins, range=(-np.pi, np.pi))[0]


def uniformity_deviation(counts: np.ndarray) -> float:
    """Total absolute deviation from uniformity D = Σ|h_i − mean(h)| / Σh (0 = uniform; 2(B−1)/B when all fall
    in one of B bins); NaN without tuned units."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    return float(np.abs(counts - counts.mean()).sum() / total)


def invariance_deviation(
    pd_height: np.ndarray, pd_reference: np.ndarray, min_units: int = 3
) -> tuple[float, int]:
    """Mean |ΔPD| (rad) over units tuned at a height and at the reference plane (NaN marks untuned units), ΔPD =
    wrap(PD_h − PD_ref) ∈ (−π, π]; NaN when fewer than ``min_units`` units are tuned at both. Returns (mean, count)."""
    from neuromotor.represent.kinematics import wrap_angle

    both = np.isfinite(pd_height) & np.isfinite(pd_reference)
    count = int(both.sum())
    if count < min_units:
        return float("nan"), count
    return float(np.mean(np.abs(wrap_angle(pd_height[both] - pd_reference[both])))), count
